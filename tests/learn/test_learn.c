/* Unit tests of the learn module: argument checking, scaler edge cases,
 * model round trips, thread-count independence, mixed design matrices,
 * the fast kernels against their reference twins, and the L-BFGS on
 * Rosenbrock's function. Parity with scikit-learn is in the *_sklearn.py
 * tests. */
#include "mmfuse/learn.h"

#include "learn/lbfgs.h"
#include "learn/xmat.h"
#include "mmtest.h"

#include <float.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ fixtures */

static void fill_gauss(mm_rng *r, float *a, size_t n, double scale)
{
    for (size_t i = 0; i < n; i++) a[i] = (float)(scale * mm_rng_gauss(r));
}

/* A dense n x p problem with labels from a random linear model. */
static void make_dense(mm_rng *r, size_t n, size_t p, size_t K, mm_mat *X, int32_t *y)
{
    mm_mat_alloc(X, n, p, NULL);
    fill_gauss(r, X->data, n * p, 1.0);
    double *W = malloc(K * p * sizeof *W);
    for (size_t i = 0; i < K * p; i++) W[i] = mm_rng_gauss(r);
    for (size_t i = 0; i < n; i++) {
        double best = -1e300;
        for (size_t k = 0; k < K; k++) {
            double z = mm_rng_gauss(r);
            for (size_t j = 0; j < p; j++) z += W[k * p + j] * X->data[i * p + j];
            if (z > best) {
                best = z;
                y[i] = (int32_t)k;
            }
        }
    }
    free(W);
}

/* Sparse copy of a dense matrix after zeroing entries with |x| < thresh. */
static void sparsify(mm_mat *X, float thresh, mm_csr *S)
{
    size_t nnz = 0;
    for (size_t i = 0; i < X->rows * X->cols; i++) {
        if (fabsf(X->data[i]) < thresh) X->data[i] = 0.0f;
        if (X->data[i] != 0.0f) nnz++;
    }
    mm_csr_alloc(S, X->rows, X->cols, nnz, NULL);
    size_t k = 0;
    for (size_t i = 0; i < X->rows; i++) {
        for (size_t j = 0; j < X->cols; j++) {
            float v = X->data[i * X->cols + j];
            if (v == 0.0f) continue;
            S->indices[k] = (int32_t)j;
            S->data[k++] = v;
        }
        S->indptr[i + 1] = (int64_t)k;
    }
}

/* Columns [c0, c0+nc) of X as a new dense matrix with a padded stride. */
static void take_cols(const mm_mat *X, size_t c0, size_t nc, size_t pad, mm_mat *out)
{
    out->rows = X->rows;
    out->cols = nc;
    out->stride = nc + pad;
    out->data = calloc(X->rows * out->stride, sizeof(float));
    for (size_t i = 0; i < X->rows; i++)
        memcpy(out->data + i * out->stride, X->data + i * X->cols + c0, nc * sizeof(float));
}

static void take_cols_csr(const mm_mat *X, size_t c0, size_t nc, mm_csr *S)
{
    mm_mat tmp;
    take_cols(X, c0, nc, 0, &tmp);
    sparsify(&tmp, 0.0f, S);
    mm_mat_free(&tmp);
}

/* ------------------------------------------------------------ argument checks */

static void test_invalid(void)
{
    mm_rng r;
    mm_rng_seed(&r, 1);
    mm_mat X, X2;
    int32_t y[40];
    make_dense(&r, 40, 5, 3, &X, y);
    mm_mat_alloc(&X2, 39, 5, NULL);
    mm_error err = {0};
    mm_logreg *m = (mm_logreg *)&r; /* must be reset to NULL on failure */
    mm_logreg_params p = mm_logreg_params_default();

    MM_CHECK(p.C == 1.0 && p.max_iter == 500 && p.tol == 1e-4 && p.fit_intercept);
    mm_xmat V = mm_xmat_empty(40);
    MM_CHECK_STATUS(mm_xmat_add_dense(&V, &X, &err), MM_OK);
    mm_xmat Vbad = V;
    MM_CHECK_STATUS(mm_xmat_add_dense(&Vbad, &X2, &err), MM_EINVAL); /* row mismatch */
    MM_CHECK(Vbad.n_parts == 1);
    MM_CHECK_STATUS(mm_xmat_add_dense(&Vbad, NULL, &err), MM_EINVAL);
    mm_xmat full = mm_xmat_empty(40);
    for (int i = 0; i < MM_XMAT_MAX_PARTS; i++) mm_xmat_add_dense(&full, &X, NULL);
    MM_CHECK_STATUS(mm_xmat_add_dense(&full, &X, &err), MM_EINVAL); /* too many parts */

    MM_CHECK_STATUS(mm_logreg_fit(&p, &V, y, 1, NULL, &m, &err), MM_EINVAL);
    MM_CHECK(m == NULL);
    MM_CHECK_STATUS(mm_logreg_fit(&p, &V, y, 0, NULL, &m, &err), MM_EINVAL);
    p.C = 0.0;
    MM_CHECK_STATUS(mm_logreg_fit(&p, &V, y, 3, NULL, &m, &err), MM_EINVAL);
    p.C = -1.0;
    MM_CHECK_STATUS(mm_logreg_params_check(&p, &err), MM_EINVAL);
    p.C = NAN;
    MM_CHECK_STATUS(mm_logreg_params_check(&p, &err), MM_EINVAL);
    p = mm_logreg_params_default();
    p.max_iter = 0;
    MM_CHECK_STATUS(mm_logreg_fit(&p, &V, y, 3, NULL, &m, &err), MM_EINVAL);
    p = mm_logreg_params_default();
    p.tol = -1.0;
    MM_CHECK_STATUS(mm_logreg_params_check(&p, &err), MM_EINVAL);
    p = mm_logreg_params_default();
    MM_CHECK_STATUS(mm_logreg_params_check(&p, &err), MM_OK);
    MM_CHECK_STATUS(mm_logreg_params_check(NULL, &err), MM_EINVAL);

    y[7] = 3; /* label outside [0, 3) */
    MM_CHECK_STATUS(mm_logreg_fit(&p, &V, y, 3, NULL, &m, &err), MM_EINVAL);
    MM_CHECK(strstr(err.msg, "row 7") != NULL);
    y[7] = 0;
    double sw[40];
    for (int i = 0; i < 40; i++) sw[i] = 1.0;
    sw[2] = -1.0;
    MM_CHECK_STATUS(mm_logreg_fit(&p, &V, y, 3, sw, &m, &err), MM_EINVAL);
    sw[2] = INFINITY;
    MM_CHECK_STATUS(mm_logreg_fit(&p, &V, y, 3, sw, &m, &err), MM_EINVAL);

    /* a view whose part disagrees with its row count */
    Vbad = V;
    Vbad.rows = 41;
    MM_CHECK_STATUS(mm_logreg_fit(&p, &Vbad, y, 3, NULL, &m, &err), MM_EINVAL);
    Vbad = V;
    Vbad.cols = 6;
    MM_CHECK_STATUS(mm_logreg_fit(&p, &Vbad, y, 3, NULL, &m, &err), MM_EINVAL);

    /* non-finite values name the row and the column of the whole matrix */
    mm_xmat V2 = mm_xmat_empty(40);
    mm_xmat_add_dense(&V2, &X, NULL);
    mm_xmat_add_dense(&V2, &X, NULL);
    float keep = X.data[3 * 5 + 2];
    X.data[3 * 5 + 2] = NAN;
    MM_CHECK_STATUS(mm_logreg_fit(&p, &V2, y, 3, NULL, &m, &err), MM_ENUMERIC);
    MM_CHECK(strstr(err.msg, "row 3") != NULL && strstr(err.msg, "column 2") != NULL);
    X.data[3 * 5 + 2] = keep;
    mm_csr S;
    mm_mat Xc;
    take_cols(&X, 0, 5, 0, &Xc);
    sparsify(&Xc, 0.0f, &S);
    mm_xmat V3 = mm_xmat_empty(40);
    mm_xmat_add_dense(&V3, &X, NULL);
    mm_xmat_add_sparse(&V3, &S, NULL);
    S.data[S.indptr[9] + 1] = INFINITY;
    MM_CHECK_STATUS(mm_logreg_fit(&p, &V3, y, 3, NULL, &m, &err), MM_ENUMERIC);
    char want[64];
    snprintf(want, sizeof want, "row 9, column %d", 5 + (int)S.indices[S.indptr[9] + 1]);
    MM_CHECK(strstr(err.msg, want) != NULL);
    S.data[S.indptr[9] + 1] = 1.0f;
    S.indices[4] = 99; /* out of range column index */
    MM_CHECK_STATUS(mm_logreg_fit(&p, &V3, y, 3, NULL, &m, &err), MM_EINVAL);
    S.indices[4] = 0;

    /* predict with the wrong width */
    MM_CHECK_STATUS(mm_logreg_fit(&p, &V, y, 3, NULL, &m, &err), MM_OK);
    double *proba = malloc(40 * 3 * sizeof *proba);
    MM_CHECK_STATUS(mm_logreg_predict_proba(m, &V2, proba, &err), MM_EINVAL);
    MM_CHECK_STATUS(mm_logreg_predict_proba(m, &V, proba, &err), MM_OK);
    X.data[0] = NAN;
    MM_CHECK_STATUS(mm_logreg_predict_proba(m, &V, proba, &err), MM_ENUMERIC);
    mm_logreg_free(m);
    mm_logreg_free(NULL);

    /* from_parts */
    double coef[6] = {1, 2, 3, 4, 5, 6}, icpt[3] = {0, 0, 0};
    MM_CHECK_STATUS(mm_logreg_from_parts(1, 2, coef, icpt, &m, &err), MM_EINVAL);
    MM_CHECK_STATUS(mm_logreg_from_parts(3, 0, coef, icpt, &m, &err), MM_EINVAL);
    MM_CHECK_STATUS(mm_logreg_from_parts(3, 2, NULL, icpt, &m, &err), MM_EINVAL);
    coef[1] = NAN;
    MM_CHECK_STATUS(mm_logreg_from_parts(3, 2, coef, icpt, &m, &err), MM_EINVAL);

    /* balanced class weights */
    int32_t yy[6] = {0, 0, 0, 1, 2, 2};
    double w[6];
    MM_CHECK_STATUS(mm_class_weights_balanced(yy, 6, 4, w, &err), MM_OK);
    MM_CHECK_NEAR(w[0], 6.0 / 12.0, 0);
    MM_CHECK_NEAR(w[3], 6.0 / 4.0, 0);
    MM_CHECK_NEAR(w[4], 6.0 / 8.0, 0);
    yy[5] = 4;
    MM_CHECK_STATUS(mm_class_weights_balanced(yy, 6, 4, w, &err), MM_EINVAL);
    MM_CHECK_STATUS(mm_class_weights_balanced(yy, 6, 0, w, &err), MM_EINVAL);

    /* scaler arguments */
    mm_scaler *s = NULL;
    mm_mat empty = {0};
    MM_CHECK_STATUS(mm_scaler_fit_dense(&empty, true, true, &s, &err), MM_EINVAL);
    MM_CHECK_STATUS(mm_scaler_fit_dense(NULL, true, true, &s, &err), MM_EINVAL);
    MM_CHECK_STATUS(mm_scaler_fit_csr(NULL, true, &s, &err), MM_EINVAL);
    keep = X.data[1];
    X.data[1] = -INFINITY;
    MM_CHECK_STATUS(mm_scaler_fit_dense(&X, true, true, &s, &err), MM_ENUMERIC);
    MM_CHECK(strstr(err.msg, "row 0, column 1") != NULL);
    X.data[1] = keep;
    X.data[0] = 0.5f;
    MM_CHECK_STATUS(mm_scaler_fit_dense(&X, true, true, &s, &err), MM_OK);
    MM_CHECK_STATUS(mm_scaler_transform_dense(s, &X2, &err), MM_OK); /* same width */
    mm_mat X3;
    mm_mat_alloc(&X3, 2, 4, NULL);
    MM_CHECK_STATUS(mm_scaler_transform_dense(s, &X3, &err), MM_EINVAL);
    MM_CHECK_STATUS(mm_scaler_transform_csr(s, &S, &err), MM_EINVAL); /* centering scaler */
    mm_scaler_free(s);
    mm_scaler_free(NULL);
    double sc[2] = {1.0, 0.0}, mu[2] = {0, 0};
    MM_CHECK_STATUS(mm_scaler_from_parts(2, true, mu, NULL, sc, &s, &err), MM_EINVAL);
    sc[1] = 2.0;
    MM_CHECK_STATUS(mm_scaler_from_parts(2, true, NULL, NULL, sc, &s, &err), MM_EINVAL);
    MM_CHECK_STATUS(mm_scaler_from_parts(2, true, mu, NULL, sc, &s, &err), MM_OK);
    MM_CHECK(isnan(mm_scaler_var(s)[0]));
    mm_scaler_free(s);

    free(proba);
    mm_mat_free(&X);
    mm_mat_free(&X2);
    mm_mat_free(&X3);
    mm_mat_free(&Xc);
    mm_csr_free(&S);
}

/* ------------------------------------------------------------ scaler */

static void test_scaler(void)
{
    mm_rng r;
    mm_rng_seed(&r, 2);
    size_t n = 100, p = 5;
    mm_mat X;
    mm_mat_alloc(&X, n, p, NULL);
    for (size_t i = 0; i < n; i++) {
        float *row = mm_mat_row(&X, i);
        row[0] = (float)(3.0 + 2.0 * mm_rng_gauss(&r));
        row[1] = 0.1f;                                    /* constant */
        row[2] = i % 10 == 3 ? NAN : (float)mm_rng_gauss(&r);
        row[3] = (float)(1e-20 * mm_rng_gauss(&r));       /* tiny but not constant */
        row[4] = (float)(5.0 + 1e-20 * mm_rng_gauss(&r)); /* 5.0 exactly in float */
    }
    mm_error err = {0};
    mm_scaler *s = NULL;
    MM_CHECK_STATUS(mm_scaler_fit_dense(&X, true, true, &s, &err), MM_OK);
    const double *mean = mm_scaler_mean(s), *var = mm_scaler_var(s), *scale = mm_scaler_scale(s);
    MM_CHECK(mm_scaler_dim(s) == p && mm_scaler_with_mean(s));
    MM_CHECK(scale[1] == 1.0 && scale[4] == 1.0);
    MM_CHECK(fabs(var[1]) < 1e-30);
    MM_CHECK(scale[3] > 0.0 && scale[3] < 1e-19); /* numerics §3 keeps it */
    MM_CHECK_NEAR(scale[3], sqrt(var[3]), 0);
    /* NaN ignored in the statistics */
    double sum = 0.0, cnt = 0.0;
    for (size_t i = 0; i < n; i++)
        if (i % 10 != 3) {
            sum += (double)X.data[i * p + 2];
            cnt += 1.0;
        }
    MM_CHECK_NEAR(mean[2], sum / cnt, 1e-15);
    MM_CHECK_STATUS(mm_scaler_transform_dense(s, &X, &err), MM_OK);
    MM_CHECK(isnan(X.data[3 * p + 2]) && isnan(X.data[13 * p + 2]));
    MM_CHECK(!isnan(X.data[4 * p + 2]));
    MM_CHECK(fabsf(X.data[7 * p + 1]) < 1e-12f);
    MM_CHECK(X.data[7 * p + 4] == 0.0f);
    double m0 = 0.0, v0 = 0.0;
    for (size_t i = 0; i < n; i++) m0 += X.data[i * p] / (double)n;
    for (size_t i = 0; i < n; i++) v0 += (X.data[i * p] - m0) * (X.data[i * p] - m0) / (double)n;
    MM_CHECK_NEAR(m0, 0.0, 1e-6);
    MM_CHECK_NEAR(v0, 1.0, 1e-5);

    /* from_parts rebuilds an identical transform */
    mm_mat A, B;
    mm_mat_alloc(&A, 10, p, NULL);
    fill_gauss(&r, A.data, 10 * p, 3.0);
    mm_mat_alloc(&B, 10, p, NULL);
    memcpy(B.data, A.data, 10 * p * sizeof(float));
    mm_scaler *s2 = NULL;
    MM_CHECK_STATUS(mm_scaler_from_parts(p, true, mean, var, scale, &s2, &err), MM_OK);
    mm_scaler_transform_dense(s, &A, NULL);
    mm_scaler_transform_dense(s2, &B, NULL);
    MM_CHECK(memcmp(A.data, B.data, 10 * p * sizeof(float)) == 0);
    mm_scaler_free(s2);
    mm_scaler_free(s);

    /* a single row: variance 0, scale 1, output 0 */
    mm_mat one;
    mm_mat_alloc(&one, 1, 3, NULL);
    one.data[0] = 2.5f;
    one.data[1] = -7.0f;
    one.data[2] = 0.3f;
    MM_CHECK_STATUS(mm_scaler_fit_dense(&one, true, true, &s, &err), MM_OK);
    MM_CHECK(mm_scaler_scale(s)[0] == 1.0 && mm_scaler_scale(s)[2] == 1.0);
    mm_scaler_transform_dense(s, &one, NULL);
    MM_CHECK(one.data[0] == 0.0f && one.data[1] == 0.0f && fabsf(one.data[2]) < 1e-7f);
    mm_scaler_free(s);

    /* CSR: only scaling, implicit zeros count, sparsity kept */
    mm_mat D;
    mm_mat_alloc(&D, 50, 4, NULL);
    fill_gauss(&r, D.data, 200, 1.0);
    for (size_t i = 0; i < 50; i++) D.data[i * 4 + 3] = 0.0f; /* empty column */
    mm_csr S;
    sparsify(&D, 0.7f, &S);
    MM_CHECK_STATUS(mm_scaler_fit_csr(&S, true, &s, &err), MM_OK);
    MM_CHECK(!mm_scaler_with_mean(s));
    MM_CHECK(mm_scaler_scale(s)[3] == 1.0);
    double mu = 0.0, sq = 0.0;
    for (size_t i = 0; i < 50; i++) mu += D.data[i * 4] / 50.0;
    for (size_t i = 0; i < 50; i++) sq += (D.data[i * 4] - mu) * (D.data[i * 4] - mu) / 50.0;
    MM_CHECK_NEAR(mm_scaler_mean(s)[0], mu, 1e-6);
    MM_CHECK_NEAR(mm_scaler_var(s)[0], sq, 1e-6);
    size_t nnz = S.nnz;
    float first = S.data[0];
    int32_t c0 = S.indices[0];
    MM_CHECK_STATUS(mm_scaler_transform_csr(s, &S, &err), MM_OK);
    MM_CHECK(S.nnz == nnz);
    MM_CHECK_NEAR(S.data[0], first / mm_scaler_scale(s)[c0], 1e-6);
    mm_scaler_free(s);

    mm_csr_free(&S);
    mm_mat_free(&D);
    mm_mat_free(&one);
    mm_mat_free(&A);
    mm_mat_free(&B);
    mm_mat_free(&X);
}

/* ------------------------------------------------------------ kernels */

static void test_kernels(void)
{
    mm_rng r;
    mm_rng_seed(&r, 3);
    size_t n = 37;
    mm_mat full;
    mm_mat_alloc(&full, n, 23, NULL);
    fill_gauss(&r, full.data, n * 23, 1.0);
    for (size_t i = 0; i < n * 23; i++)
        if (mm_rng_double(&r) < 0.6) full.data[i] = 0.0f;
    /* dense (padded stride) | sparse | dense | sparse */
    mm_mat d1, d2;
    mm_csr s1, s2;
    take_cols(&full, 0, 7, 3, &d1);
    take_cols_csr(&full, 7, 5, &s1);
    take_cols(&full, 12, 9, 0, &d2);
    take_cols_csr(&full, 21, 2, &s2);
    mm_xmat X = mm_xmat_empty(n);
    mm_xmat_add_dense(&X, &d1, NULL);
    mm_xmat_add_sparse(&X, &s1, NULL);
    mm_xmat_add_dense(&X, &d2, NULL);
    mm_xmat_add_sparse(&X, &s2, NULL);
    MM_CHECK(X.cols == 23 && mm_xmat_validate(&X, "X", NULL) == MM_OK);

    size_t Ks[] = {1, 2, 3, 4, 5, 7, 9};
    for (size_t t = 0; t < sizeof Ks / sizeof Ks[0]; t++) {
        size_t K = Ks[t], pk = 23 * K;
        double *Wt = malloc(pk * sizeof *Wt), *Wm = malloc(pk * sizeof *Wm);
        double *Z1 = calloc(n * K, sizeof *Z1), *Z2 = calloc(n * K, sizeof *Z2);
        double *G1 = calloc(pk, sizeof *G1), *G2 = calloc(pk, sizeof *G2);
        double *Gm = calloc(pk, sizeof *Gm), *Wb = malloc(pk * sizeof *Wb);
        for (size_t i = 0; i < pk; i++) Wt[i] = mm_rng_gauss(&r);
        mm_xmat_pack_w(&X, K, Wt, Wm);
        mm_xmat_unpack_g(&X, K, Wm, Wb);
        MM_CHECK(memcmp(Wb, Wt, pk * sizeof *Wt) == 0);
        /* blocks of uneven sizes */
        for (size_t r0 = 0; r0 < n; r0 += 10) {
            size_t nb = n - r0 < 10 ? n - r0 : 10;
            mm_xmat_block_scores(&X, r0, nb, Wm, K, Z1 + r0 * K);
        }
        mm_xmat_gemm_ref(&X, 0, n, Wt, K, Z2);
        double dz = 0.0;
        for (size_t i = 0; i < n * K; i++) dz = fmax(dz, fabs(Z1[i] - Z2[i]));
        MM_CHECK(dz < 1e-12);
        for (size_t r0 = 0; r0 < n; r0 += 6) {
            size_t nb = n - r0 < 6 ? n - r0 : 6;
            mm_xmat_block_grad(&X, r0, nb, Z2 + r0 * K, K, Gm);
        }
        mm_xmat_unpack_g(&X, K, Gm, G1);
        mm_xmat_gemm_t_ref(&X, 0, n, Z2, K, G2);
        double dg = 0.0;
        for (size_t i = 0; i < pk; i++) dg = fmax(dg, fabs(G1[i] - G2[i]));
        MM_CHECK(dg < 1e-11);
        if (dz >= 1e-12 || dg >= 1e-11) fprintf(stderr, "K=%zu: dz %g dg %g\n", K, dz, dg);
        free(Wt);
        free(Wm);
        free(Wb);
        free(Z1);
        free(Z2);
        free(G1);
        free(G2);
        free(Gm);
    }
    mm_mat_free(&full);
    free(d1.data);
    free(d2.data);
    mm_csr_free(&s1);
    mm_csr_free(&s2);
}

/* ------------------------------------------------------------ fits */

typedef struct fit_out {
    mm_logreg *m;
    double *proba;
} fit_out;

static fit_out fit(const mm_xmat *X, const int32_t *y, size_t K, int threads, double tol,
                   const double *sw)
{
    fit_out o = {NULL, NULL};
    mm_logreg_params p = mm_logreg_params_default();
    p.n_threads = threads;
    p.tol = tol;
    mm_error err = {0};
    if (mm_logreg_fit(&p, X, y, K, sw, &o.m, &err) != MM_OK) {
        fprintf(stderr, "fit failed: %s\n", err.msg);
        return o;
    }
    o.proba = malloc(X->rows * K * sizeof *o.proba);
    mm_logreg_predict_proba(o.m, X, o.proba, &err);
    return o;
}

static void fit_free(fit_out *o)
{
    mm_logreg_free(o->m);
    free(o->proba);
}

static bool same_model(const mm_logreg *a, const mm_logreg *b)
{
    size_t len = mm_logreg_coef_rows(a) * mm_logreg_dim(a);
    return mm_logreg_n_iter(a) == mm_logreg_n_iter(b) && mm_logreg_loss(a) == mm_logreg_loss(b) &&
           memcmp(mm_logreg_coef(a), mm_logreg_coef(b), len * sizeof(double)) == 0 &&
           memcmp(mm_logreg_intercept(a), mm_logreg_intercept(b),
                  mm_logreg_coef_rows(a) * sizeof(double)) == 0;
}

static void test_threads_and_parts(void)
{
    mm_rng r;
    mm_rng_seed(&r, 4);
    size_t n = 3000, p = 30; /* several row chunks */
    mm_mat X;
    int32_t *y = malloc(n * sizeof *y), *yb = malloc(n * sizeof *yb);
    make_dense(&r, n, p, 4, &X, y);
    for (size_t i = 0; i < n; i++) yb[i] = y[i] >= 2;
    double *sw = malloc(n * sizeof *sw);
    mm_class_weights_balanced(y, n, 4, sw, NULL);
    mm_xmat V = mm_xmat_empty(n);
    mm_xmat_add_dense(&V, &X, NULL);

    for (size_t K = 2; K <= 4; K += 2) {
        const int32_t *yy = K == 2 ? yb : y;
        fit_out a = fit(&V, yy, K, 1, 1e-4, sw), b = fit(&V, yy, K, 2, 1e-4, sw);
        MM_CHECK(a.m && b.m && same_model(a.m, b.m));
        MM_CHECK(memcmp(a.proba, b.proba, n * K * sizeof(double)) == 0);
        MM_CHECK(mm_logreg_converged(a.m));
        MM_CHECK(mm_logreg_coef_rows(a.m) == (K == 2 ? 1 : K) && mm_logreg_n_classes(a.m) == K);
        double worst = 0.0;
        for (size_t i = 0; i < n; i++) {
            double s = 0.0;
            for (size_t k = 0; k < K; k++) s += a.proba[i * K + k];
            worst = fmax(worst, fabs(s - 1.0));
        }
        MM_CHECK(worst < 1e-12);

        /* a rebuilt model predicts bit-identically */
        mm_logreg *c = NULL;
        MM_CHECK_STATUS(mm_logreg_from_parts(K, p, mm_logreg_coef(a.m), mm_logreg_intercept(a.m),
                                             &c, NULL),
                        MM_OK);
        double *pc = malloc(n * K * sizeof *pc);
        MM_CHECK_STATUS(mm_logreg_predict_proba(c, &V, pc, NULL), MM_OK);
        MM_CHECK(memcmp(pc, a.proba, n * K * sizeof(double)) == 0);
        free(pc);
        mm_logreg_free(c);
        fit_free(&a);
        fit_free(&b);
    }

    /* CSR fits: 1 and 2 threads bit-identical */
    mm_csr S;
    mm_mat Xs;
    take_cols(&X, 0, p, 0, &Xs);
    sparsify(&Xs, 0.8f, &S);
    mm_xmat VS = mm_xmat_empty(n);
    mm_xmat_add_sparse(&VS, &S, NULL);
    for (size_t K = 2; K <= 4; K += 2) {
        const int32_t *yy = K == 2 ? yb : y;
        fit_out a = fit(&VS, yy, K, 1, 1e-4, NULL), b = fit(&VS, yy, K, 2, 1e-4, NULL);
        MM_CHECK(a.m && b.m && same_model(a.m, b.m));
        MM_CHECK(memcmp(a.proba, b.proba, n * K * sizeof(double)) == 0);
        fit_free(&a);
        fit_free(&b);
    }

    /* the same data as dense | sparse | dense parts and as one dense part */
    mm_mat left, right;
    mm_csr mid;
    take_cols(&Xs, 0, 10, 2, &left);
    take_cols_csr(&Xs, 10, 12, &mid);
    take_cols(&Xs, 22, 8, 0, &right);
    mm_xmat VM = mm_xmat_empty(n), VD = mm_xmat_empty(n);
    mm_xmat_add_dense(&VM, &left, NULL);
    mm_xmat_add_sparse(&VM, &mid, NULL);
    mm_xmat_add_dense(&VM, &right, NULL);
    mm_xmat_add_dense(&VD, &Xs, NULL);
    for (size_t K = 2; K <= 4; K += 2) {
        const int32_t *yy = K == 2 ? yb : y;
        fit_out a = fit(&VM, yy, K, 2, 1e-8, NULL), b = fit(&VD, yy, K, 2, 1e-8, NULL);
        size_t len = mm_logreg_coef_rows(a.m) * p;
        double dc = 0.0, dp = 0.0;
        for (size_t i = 0; i < len; i++)
            dc = fmax(dc, fabs(mm_logreg_coef(a.m)[i] - mm_logreg_coef(b.m)[i]));
        for (size_t k = 0; k < mm_logreg_coef_rows(a.m); k++)
            dc = fmax(dc, fabs(mm_logreg_intercept(a.m)[k] - mm_logreg_intercept(b.m)[k]));
        for (size_t i = 0; i < n * K; i++) dp = fmax(dp, fabs(a.proba[i] - b.proba[i]));
        MM_CHECK(dc < 1e-10);
        MM_CHECK(dp < 1e-10);
        if (getenv("MM_TEST_VERBOSE") || dc >= 1e-10 || dp >= 1e-10)
            fprintf(stderr, "mixed K=%zu: dcoef %g dproba %g\n", K, dc, dp);
        fit_free(&a);
        fit_free(&b);
    }

    free(left.data);
    free(right.data);
    mm_csr_free(&mid);
    mm_csr_free(&S);
    mm_mat_free(&Xs);
    mm_mat_free(&X);
    free(y);
    free(yb);
    free(sw);
}

/* ------------------------------------------------------------ L-BFGS */

static mm_status rosen(const double *x, double *f, double *g, void *user, mm_error *err)
{
    (void)user;
    (void)err;
    double a = x[1] - x[0] * x[0], b = 1.0 - x[0];
    *f = 100.0 * a * a + b * b;
    g[0] = -400.0 * x[0] * a - 2.0 * b;
    g[1] = 200.0 * a;
    return MM_OK;
}

static mm_status failing(const double *x, double *f, double *g, void *user, mm_error *err)
{
    int *calls = user;
    (void)x;
    *f = 0.0;
    g[0] = 1.0;
    if (++*calls == 3) return mm_error_set(err, MM_ECANCELLED, "stop");
    *f = -(double)*calls;
    return MM_OK;
}

static void test_lbfgs(void)
{
    double x[2] = {-1.2, 1.0};
    mm_lbfgs_params p = mm_lbfgs_params_default();
    mm_lbfgs_result res;
    mm_error err = {0};
    MM_CHECK_STATUS(mm_lbfgs_minimize(2, x, rosen, NULL, &p, &res, &err), MM_OK);
    MM_CHECK(res.status == 0);
    MM_CHECK_NEAR(x[0], 1.0, 1e-4);
    MM_CHECK_NEAR(x[1], 1.0, 1e-4);
    /* scipy 1.10 stops here after 36 iterations and 44 evaluations, by the
     * relative reduction of f */
    MM_CHECK(res.n_iter == 36 && res.n_fev == 44);
    MM_CHECK(res.reason == MM_LBFGS_CONV_FTOL);

    /* the iteration limit is checked before convergence */
    x[0] = -1.2;
    x[1] = 1.0;
    p.max_iter = 5;
    MM_CHECK_STATUS(mm_lbfgs_minimize(2, x, rosen, NULL, &p, &res, &err), MM_OK);
    MM_CHECK(res.status == 1 && res.reason == MM_LBFGS_MAX_ITER && res.n_iter == 5);

    /* converged at the start: no iteration */
    x[0] = 1.0;
    x[1] = 1.0;
    p = mm_lbfgs_params_default();
    MM_CHECK_STATUS(mm_lbfgs_minimize(2, x, rosen, NULL, &p, &res, &err), MM_OK);
    MM_CHECK(res.n_iter == 0 && res.n_fev == 1 && res.reason == MM_LBFGS_CONV_PGTOL);

    /* an error from the objective stops the run and is returned */
    int calls = 0;
    double z[1] = {0.0};
    MM_CHECK_STATUS(mm_lbfgs_minimize(1, z, failing, &calls, &p, &res, &err), MM_ECANCELLED);
    p.m = 0;
    MM_CHECK_STATUS(mm_lbfgs_minimize(2, x, rosen, NULL, &p, &res, &err), MM_EINVAL);

    /* line search: a quadratic is solved in one step from a unit start */
    mm_dcsrch_state st;
    double stp = 1.0;
    int task = mm_dcsrch(1.0, -2.0, &stp, 1e-3, 0.9, 0.1, 0.0, 1e10, MM_DCSRCH_START, &st);
    MM_CHECK(task == MM_DCSRCH_FG);
    /* phi(a) = (1 - a)^2: phi(1) = 0, phi'(1) = 0 */
    task = mm_dcsrch(0.0, 0.0, &stp, 1e-3, 0.9, 0.1, 0.0, 1e10, task, &st);
    MM_CHECK(task == MM_DCSRCH_CONV && stp == 1.0);
    stp = 1.0;
    MM_CHECK(mm_dcsrch(1.0, 2.0, &stp, 1e-3, 0.9, 0.1, 0.0, 1e10, MM_DCSRCH_START, &st) ==
             MM_DCSRCH_ERROR);
}

int main(void)
{
    test_invalid();
    test_scaler();
    test_kernels();
    test_threads_and_parts();
    test_lbfgs();
    return mm_test_summary();
}
