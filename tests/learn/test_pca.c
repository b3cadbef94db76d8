/* Unit tests of PCA and CCA (include/mmfuse/decomp.h): argument checking,
 * a tiny matrix with a known decomposition, the randomized solver when
 * k + oversamples exceeds the matrix, zero-variance data, the from_parts
 * round trip, independence of mmfuse's thread count (bitwise; the BLAS
 * thread count moves only the last bits), the internal paths
 * against each other (Gram vs direct power iterations, resident vs
 * block-by-block conversion, sparse vs dense), the float32-Gram precision
 * mode against double on a spiked spectrum, and CCA on a perfectly
 * correlated pair. Parity with scikit-learn is in test_pca_sklearn.py and
 * test_cca_sklearn.py. */
#include "mmfuse/decomp.h"

#include "learn/decomp_internal.h"
#include "mmtest.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ fixtures */

/* n x p with column scales decreasing from 3 to 0.3 and a shift. */
static void make_dense(mm_rng *r, size_t n, size_t p, mm_mat *X)
{
    mm_mat_alloc(X, n, p, NULL);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < p; j++) {
            double s = 3.0 - 2.7 * (double)j / (double)(p > 1 ? p - 1 : 1);
            X->data[i * p + j] = (float)(s * mm_rng_gauss(r) + 0.5);
        }
}

/* Random sparse n x p with about density * n * p nonzeros in (0, 1]. */
static void make_csr(mm_rng *r, size_t n, size_t p, double density, mm_csr *S)
{
    size_t cap = (size_t)(density * (double)n * (double)p * 2.0) + n + 8, nnz = 0;
    mm_csr_alloc(S, n, p, cap, NULL);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < p && nnz < cap; j++)
            if (mm_rng_double(r) < density) {
                S->indices[nnz] = (int32_t)j;
                S->data[nnz++] = (float)(1.0 - mm_rng_double(r));
            }
        S->indptr[i + 1] = (int64_t)nnz;
    }
    S->nnz = nnz;
}

static double max_abs_diff(const double *a, const double *b, size_t n)
{
    double d = 0.0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs(a[i] - b[i]);
        if (e > d || e != e) d = e;
    }
    return d;
}

static double max_abs_diff_f(const float *a, const float *b, size_t n)
{
    double d = 0.0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)a[i] - (double)b[i]);
        if (e > d) d = e;
    }
    return d;
}

static mm_pca_params params(size_t k, mm_pca_solver s, int threads)
{
    mm_pca_params p = mm_pca_params_default();
    p.n_components = k;
    p.solver = s;
    p.n_threads = threads;
    return p;
}

/* ------------------------------------------------------------ PCA: invalid input */

static void test_invalid(void)
{
    mm_error err = {0};
    mm_pca_params p = mm_pca_params_default();
    MM_CHECK(p.n_components == 0 && p.solver == MM_PCA_AUTO && p.n_oversamples == 10 &&
             p.n_iter == -1 && p.seed == 42 && p.n_threads == 0);
    MM_CHECK_STATUS(mm_pca_params_check(&p, &err), MM_EINVAL); /* k unset */
    MM_CHECK(strstr(err.msg, "n_components") != NULL);
    p.n_components = 3;
    MM_CHECK_STATUS(mm_pca_params_check(&p, &err), MM_OK);
    p.n_iter = -2;
    MM_CHECK_STATUS(mm_pca_params_check(&p, &err), MM_EINVAL);
    p.n_iter = -1;
    p.solver = (mm_pca_solver)7;
    MM_CHECK_STATUS(mm_pca_params_check(&p, &err), MM_EINVAL);
    p.solver = MM_PCA_AUTO;
    p.n_oversamples = SIZE_MAX;
    MM_CHECK_STATUS(mm_pca_params_check(&p, &err), MM_EINVAL);
    p.n_oversamples = 10;
    MM_CHECK(p.precision == MM_PCA_PRECISION_DOUBLE);
    p.precision = (mm_pca_precision)9;
    MM_CHECK_STATUS(mm_pca_params_check(&p, &err), MM_EINVAL);
    p.precision = MM_PCA_PRECISION_MIXED;
    MM_CHECK_STATUS(mm_pca_params_check(&p, &err), MM_OK);
    p.precision = MM_PCA_PRECISION_DOUBLE;
    MM_CHECK_STATUS(mm_pca_params_check(NULL, &err), MM_EINVAL);

    mm_rng r;
    mm_rng_seed(&r, 1);
    mm_mat X;
    make_dense(&r, 6, 4, &X);
    mm_pca *m = (mm_pca *)&err; /* must be reset to NULL on failure */
    p.n_components = 0;
    MM_CHECK_STATUS(mm_pca_fit_dense(&p, &X, &m, &err), MM_EINVAL);
    MM_CHECK(m == NULL);
    p.n_components = 5; /* > min(6, 4) */
    MM_CHECK_STATUS(mm_pca_fit_dense(&p, &X, &m, &err), MM_EINVAL);
    MM_CHECK(strstr(err.msg, "n_components") != NULL);
    p.n_components = 2;
    MM_CHECK_STATUS(mm_pca_fit_dense(&p, &X, NULL, &err), MM_EINVAL);
    MM_CHECK_STATUS(mm_pca_fit_dense(&p, NULL, &m, &err), MM_EINVAL);
    mm_mat one = {1, 4, 4, X.data};
    MM_CHECK_STATUS(mm_pca_fit_dense(&p, &one, &m, &err), MM_EINVAL); /* n < 2 */
    MM_CHECK(strstr(err.msg, "2 rows") != NULL);
    mm_mat bad = {6, 4, 3, X.data}; /* stride < cols */
    MM_CHECK_STATUS(mm_pca_fit_dense(&p, &bad, &m, &err), MM_EINVAL);
    X.data[2 * 4 + 1] = NAN;
    MM_CHECK_STATUS(mm_pca_fit_dense(&p, &X, &m, &err), MM_ENUMERIC);
    MM_CHECK(strstr(err.msg, "row 2, column 1") != NULL);
    X.data[2 * 4 + 1] = INFINITY;
    p.solver = MM_PCA_RANDOMIZED;
    MM_CHECK_STATUS(mm_pca_fit_dense(&p, &X, &m, &err), MM_ENUMERIC);
    MM_CHECK(m == NULL);
    X.data[2 * 4 + 1] = 1.0f;
    p.solver = MM_PCA_AUTO;

    /* transform: width mismatch, NaN */
    MM_CHECK_STATUS(mm_pca_fit_dense(&p, &X, &m, &err), MM_OK);
    mm_mat Z = {1, 1, 1, NULL};
    mm_mat narrow = {6, 3, 4, X.data};
    MM_CHECK_STATUS(mm_pca_transform_dense(m, &narrow, &Z, &err), MM_EINVAL);
    MM_CHECK(Z.data == NULL && Z.rows == 0);
    MM_CHECK(strstr(err.msg, "3 columns") != NULL);
    X.data[5] = NAN;
    MM_CHECK_STATUS(mm_pca_transform_dense(m, &X, &Z, &err), MM_ENUMERIC);
    MM_CHECK(Z.data == NULL);
    MM_CHECK_STATUS(mm_pca_transform_dense(NULL, &X, &Z, &err), MM_EINVAL);
    X.data[5] = 0.0f;

    /* sparse: index out of range, NaN, wrong width for transform */
    mm_csr S;
    make_csr(&r, 10, 8, 0.4, &S);
    MM_CHECK(S.nnz > 3);
    int32_t keep = S.indices[1];
    S.indices[1] = 8;
    mm_pca *ms = NULL;
    MM_CHECK_STATUS(mm_pca_fit_csr(&p, &S, &ms, &err), MM_EINVAL);
    S.indices[1] = keep;
    S.data[2] = NAN;
    MM_CHECK_STATUS(mm_pca_fit_csr(&p, &S, &ms, &err), MM_ENUMERIC);
    S.data[2] = 0.5f;
    MM_CHECK_STATUS(mm_pca_transform_csr(m, &S, &Z, &err), MM_EINVAL); /* 8 vs 4 columns */
    MM_CHECK_STATUS(mm_pca_fit_csr(&p, &S, &ms, &err), MM_OK);
    mm_pca_free(ms);
    mm_csr_free(&S);
    mm_pca_free(m);
    mm_pca_free(NULL);
    mm_mat_free(&X);
}

/* ------------------------------------------------------------ PCA: known answer */

/* Centered columns a = (3,-1,-1,-1), b = (0,1,1,-2) are orthogonal, |a|^2 =
 * 12, |b|^2 = 6: S = (sqrt 12, sqrt 6), ev = (4, 2), ratio = (2/3, 1/3).
 * Score columns a/sqrt12 (largest entry +3: component +e1) and b/sqrt6
 * (largest |entry| is -2: flipped, component -e2). */
static void test_known(void)
{
    float data[8] = {8, -3, 4, -2, 4, -2, 4, -5}; /* a + 5, b - 3 */
    mm_mat X = {4, 2, 2, data};
    mm_error err = {0};
    for (int s = 0; s < 2; s++) {
        mm_pca_params p = params(2, s ? MM_PCA_RANDOMIZED : MM_PCA_FULL, 1);
        mm_pca *m = NULL;
        MM_CHECK_STATUS(mm_pca_fit_dense(&p, &X, &m, &err), MM_OK);
        if (!m) continue;
        MM_CHECK(mm_pca_solver_used(m) == p.solver);
        MM_CHECK(mm_pca_n_components(m) == 2 && mm_pca_dim(m) == 2 && mm_pca_n_samples(m) == 4);
        const double *mu = mm_pca_mean(m), *c = mm_pca_components(m);
        MM_CHECK_NEAR(mu[0], 5.0, 1e-15);
        MM_CHECK_NEAR(mu[1], -3.0, 1e-15);
        MM_CHECK_NEAR(c[0], 1.0, 1e-14);
        MM_CHECK_NEAR(c[1], 0.0, 1e-14);
        MM_CHECK_NEAR(c[2], 0.0, 1e-14);
        MM_CHECK_NEAR(c[3], -1.0, 1e-14);
        MM_CHECK_NEAR(mm_pca_explained_variance(m)[0], 4.0, 1e-13);
        MM_CHECK_NEAR(mm_pca_explained_variance(m)[1], 2.0, 1e-13);
        MM_CHECK_NEAR(mm_pca_explained_variance_ratio(m)[0], 2.0 / 3.0, 1e-14);
        MM_CHECK_NEAR(mm_pca_explained_variance_ratio(m)[1], 1.0 / 3.0, 1e-14);
        MM_CHECK_NEAR(mm_pca_singular_values(m)[0], sqrt(12.0), 1e-13);
        MM_CHECK_NEAR(mm_pca_singular_values(m)[1], sqrt(6.0), 1e-13);
        MM_CHECK_NEAR(mm_pca_noise_variance(m), 0.0, 1e-14);
        mm_mat Z;
        MM_CHECK_STATUS(mm_pca_transform_dense(m, &X, &Z, &err), MM_OK);
        const float want[8] = {3, 0, -1, -1, -1, -1, -1, 2};
        MM_CHECK(Z.rows == 4 && Z.cols == 2);
        MM_CHECK(max_abs_diff_f(Z.data, want, 8) <= 1e-6);
        mm_mat_free(&Z);
        mm_pca_free(m);
    }
    /* k = 1: the discarded component is the noise variance */
    mm_pca_params p = params(1, MM_PCA_FULL, 1);
    mm_pca *m = NULL;
    MM_CHECK_STATUS(mm_pca_fit_dense(&p, &X, &m, &err), MM_OK);
    if (m) {
        MM_CHECK_NEAR(mm_pca_noise_variance(m), 2.0, 1e-13);
        MM_CHECK_NEAR(mm_pca_explained_variance_ratio(m)[0], 2.0 / 3.0, 1e-14);
    }
    mm_pca_free(m);
    p.solver = MM_PCA_RANDOMIZED; /* q = 11 > min(n, p): the range is everything */
    MM_CHECK_STATUS(mm_pca_fit_dense(&p, &X, &m, &err), MM_OK);
    if (m) {
        MM_CHECK_NEAR(mm_pca_noise_variance(m), 2.0, 1e-13);
        MM_CHECK_NEAR(mm_pca_components(m)[0], 1.0, 1e-14);
    }
    mm_pca_free(m);

    /* zero variance: no failure, zero variances, ratio 0/0 = NaN (numpy) */
    float flat[12] = {1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3};
    mm_mat F = {4, 3, 3, flat};
    for (int s = 0; s < 2; s++) {
        p = params(2, s ? MM_PCA_RANDOMIZED : MM_PCA_FULL, 1);
        MM_CHECK_STATUS(mm_pca_fit_dense(&p, &F, &m, &err), MM_OK);
        if (!m) continue;
        MM_CHECK(mm_pca_explained_variance(m)[0] == 0.0);
        MM_CHECK(isnan(mm_pca_explained_variance_ratio(m)[0]));
        mm_mat Z;
        MM_CHECK_STATUS(mm_pca_transform_dense(m, &F, &Z, &err), MM_OK);
        MM_CHECK(Z.data && Z.data[0] == 0.0f);
        mm_mat_free(&Z);
        mm_pca_free(m);
    }
}

/* ------------------------------------------------------------ PCA: from_parts */

static void test_from_parts(void)
{
    mm_rng r;
    mm_rng_seed(&r, 7);
    mm_mat X;
    make_dense(&r, 50, 20, &X);
    mm_error err = {0};
    mm_pca_params p = params(5, MM_PCA_AUTO, 1);
    mm_pca *m = NULL, *b = NULL;
    MM_CHECK_STATUS(mm_pca_fit_dense(&p, &X, &m, &err), MM_OK);
    if (!m) {
        mm_mat_free(&X);
        return;
    }
    MM_CHECK_STATUS(mm_pca_from_parts(20, 5, mm_pca_mean(m), mm_pca_components(m),
                                      mm_pca_explained_variance(m), &b, &err),
                    MM_OK);
    if (b) {
        mm_mat Z1, Z2;
        mm_pca_transform_dense(m, &X, &Z1, &err);
        mm_pca_transform_dense(b, &X, &Z2, &err);
        MM_CHECK(Z1.data && Z2.data && memcmp(Z1.data, Z2.data, 50 * 5 * sizeof(float)) == 0);
        MM_CHECK(memcmp(mm_pca_explained_variance(b), mm_pca_explained_variance(m),
                        5 * sizeof(double)) == 0);
        MM_CHECK(isnan(mm_pca_explained_variance_ratio(b)[0]));
        MM_CHECK(isnan(mm_pca_noise_variance(b)));
        MM_CHECK(mm_pca_n_samples(b) == 0 && mm_pca_solver_used(b) == MM_PCA_AUTO);
        mm_mat_free(&Z1);
        mm_mat_free(&Z2);
        mm_pca_free(b);
    }
    b = NULL;
    MM_CHECK_STATUS(mm_pca_from_parts(20, 5, mm_pca_mean(m), mm_pca_components(m), NULL, &b,
                                      &err),
                    MM_OK);
    if (b) MM_CHECK(mm_pca_explained_variance(b)[4] == 0.0);
    mm_pca_free(b);
    MM_CHECK_STATUS(mm_pca_from_parts(20, 0, mm_pca_mean(m), mm_pca_components(m), NULL, &b,
                                      &err),
                    MM_EINVAL);
    MM_CHECK_STATUS(mm_pca_from_parts(20, 5, NULL, mm_pca_components(m), NULL, &b, &err),
                    MM_EINVAL);
    double mean[20];
    memcpy(mean, mm_pca_mean(m), sizeof mean);
    mean[3] = NAN;
    MM_CHECK_STATUS(mm_pca_from_parts(20, 5, mean, mm_pca_components(m), NULL, &b, &err),
                    MM_EINVAL);
    MM_CHECK(b == NULL);
    mm_pca_free(m);
    mm_mat_free(&X);
}

/* ------------------------------------------------------------ PCA: threads and paths */

typedef struct fit_result {
    mm_pca *m;
    mm_mat Z;
} fit_result;

/* threads: mmfuse's n_threads; the BLAS thread count is set separately */
static fit_result fit_dense(const mm_mat *X, size_t k, mm_pca_solver s, mm_pca_path path,
                            size_t block, int threads)
{
    fit_result f = {0};
    mm_pca_params p = params(k, s, threads);
    mm_error err = {0};
    if (mm_pca_fit_dense_ex(&p, X, path, block, &f.m, &err) ||
        mm_pca_transform_dense(f.m, X, &f.Z, &err))
        fprintf(stderr, "fit failed: %s\n", err.msg);
    return f;
}

static fit_result fit_csr(const mm_csr *S, size_t k, mm_pca_solver s, int threads)
{
    fit_result f = {0};
    mm_pca_params p = params(k, s, threads);
    mm_error err = {0};
    if (mm_pca_fit_csr(&p, S, &f.m, &err) || mm_pca_transform_csr(f.m, S, &f.Z, &err))
        fprintf(stderr, "fit failed: %s\n", err.msg);
    return f;
}

static void release(fit_result *f)
{
    mm_pca_free(f->m);
    mm_mat_free(&f->Z);
}

static bool identical(const fit_result *a, const fit_result *b)
{
    if (!a->m || !b->m) return false;
    size_t k = mm_pca_n_components(a->m), p = mm_pca_dim(a->m);
    return memcmp(mm_pca_components(a->m), mm_pca_components(b->m), k * p * sizeof(double)) == 0 &&
           memcmp(mm_pca_explained_variance(a->m), mm_pca_explained_variance(b->m),
                  k * sizeof(double)) == 0 &&
           memcmp(mm_pca_mean(a->m), mm_pca_mean(b->m), p * sizeof(double)) == 0 &&
           a->Z.data && b->Z.data &&
           memcmp(a->Z.data, b->Z.data, a->Z.rows * k * sizeof(float)) == 0;
}

/* max |difference| of components and relative difference of ev */
static double distance(const fit_result *a, const fit_result *b)
{
    if (!a->m || !b->m) return INFINITY;
    size_t k = mm_pca_n_components(a->m), p = mm_pca_dim(a->m);
    double d = max_abs_diff(mm_pca_components(a->m), mm_pca_components(b->m), k * p);
    for (size_t c = 0; c < k; c++) {
        double e = fabs(mm_pca_explained_variance(a->m)[c] - mm_pca_explained_variance(b->m)[c]) /
                   mm_pca_explained_variance(b->m)[c];
        if (e > d) d = e;
    }
    return d;
}

static void test_threads_and_paths(void)
{
    mm_rng r;
    mm_rng_seed(&r, 11);
    mm_mat A, B;
    make_dense(&r, 700, 90, &A);  /* n > p */
    make_dense(&r, 80, 650, &B);  /* n < p */
    struct { const mm_mat *X; size_t k; mm_pca_solver s; mm_pca_path path; } cases[] = {
        {&A, 10, MM_PCA_FULL, MM_PCA_PATH_AUTO},
        {&A, 10, MM_PCA_RANDOMIZED, MM_PCA_PATH_GRAM},
        {&A, 10, MM_PCA_RANDOMIZED, MM_PCA_PATH_DIRECT},
        {&B, 12, MM_PCA_RANDOMIZED, MM_PCA_PATH_GRAM},
        {&B, 12, MM_PCA_RANDOMIZED, MM_PCA_PATH_DIRECT},
        {&B, 12, MM_PCA_FULL, MM_PCA_PATH_AUTO},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        /* mmfuse's own thread count never changes a bit */
        mm_blas_set_threads(2);
        fit_result f1 = fit_dense(cases[c].X, cases[c].k, cases[c].s, cases[c].path, 0, 1);
        fit_result f2 = fit_dense(cases[c].X, cases[c].k, cases[c].s, cases[c].path, 0, 2);
        MM_CHECK(identical(&f1, &f2));
        /* OpenBLAS partitions its products by its thread count, which moves
         * the last bits only */
        mm_blas_set_threads(1);
        fit_result f3 = fit_dense(cases[c].X, cases[c].k, cases[c].s, cases[c].path, 0, 2);
        double d = distance(&f3, &f1);
        MM_CHECK(d <= 1e-12);
        if (d > 1e-12) fprintf(stderr, "case %zu: BLAS 1 vs 2 threads %.3g\n", c, d);
        release(&f3);
        mm_blas_set_threads(2);
        if (cases[c].s == MM_PCA_RANDOMIZED) {
            MM_CHECK(f1.m && mm_pca_path_used(f1.m) == cases[c].path);
            /* block-by-block conversion (a few rows or columns at a time) */
            fit_result fb = fit_dense(cases[c].X, cases[c].k, cases[c].s, cases[c].path, 20000, 2);
            d = distance(&fb, &f1);
            MM_CHECK(d <= 1e-11);
            if (d > 1e-11) fprintf(stderr, "case %zu: blocked vs resident %.3g\n", c, d);
            fit_result fb1 = fit_dense(cases[c].X, cases[c].k, cases[c].s, cases[c].path, 20000, 1);
            MM_CHECK(identical(&fb, &fb1));
            release(&fb);
            release(&fb1);
        }
        release(&f1);
        release(&f2);
    }
    /* Gram vs direct power iterations: same subspaces, same result */
    for (int which = 0; which < 2; which++) {
        const mm_mat *X = which ? &B : &A;
        fit_result g = fit_dense(X, 10, MM_PCA_RANDOMIZED, MM_PCA_PATH_GRAM, 0, 2);
        fit_result d = fit_dense(X, 10, MM_PCA_RANDOMIZED, MM_PCA_PATH_DIRECT, 0, 2);
        double dist = distance(&g, &d);
        MM_CHECK(dist <= 1e-10);
        if (dist > 1e-10) fprintf(stderr, "gram vs direct (%d): %.3g\n", which, dist);
        release(&g);
        release(&d);
    }

    /* sparse: thread independence, and agreement with the dense fit */
    mm_csr S;
    make_csr(&r, 300, 700, 0.02, &S);
    mm_mat D;
    mm_error err = {0};
    MM_CHECK_STATUS(mm_csr_to_dense(&S, &D, &err), MM_OK);
    for (int s = 0; s < 2; s++) {
        mm_pca_solver sol = s ? MM_PCA_FULL : MM_PCA_RANDOMIZED;
        fit_result s1 = fit_csr(&S, 15, sol, 1), s2 = fit_csr(&S, 15, sol, 2);
        MM_CHECK(identical(&s1, &s2));
        mm_blas_set_threads(1);
        fit_result s3 = fit_csr(&S, 15, sol, 2);
        MM_CHECK(distance(&s3, &s1) <= 1e-12);
        release(&s3);
        mm_blas_set_threads(2);
        fit_result dd = fit_dense(&D, 15, sol, MM_PCA_PATH_AUTO, 0, 2);
        double dist = distance(&s1, &dd);
        MM_CHECK(dist <= 1e-10);
        if (dist > 1e-10) fprintf(stderr, "sparse vs dense (%d): %.3g\n", s, dist);
        MM_CHECK(s1.Z.data && dd.Z.data && max_abs_diff_f(s1.Z.data, dd.Z.data, 300 * 15) <= 1e-5);
        release(&s1);
        release(&s2);
        release(&dd);
    }
    mm_mat_free(&D);
    mm_csr_free(&S);
    mm_mat_free(&A);
    mm_mat_free(&B);
    mm_blas_set_threads(1);
}

/* ------------------------------------------------------------ PCA: mixed precision */

/* A spiked spectrum (8 strong directions over unit noise): the float32 Gram
 * matrix leaves the leading components and variances at double accuracy
 * up to float32-level perturbations of the subspace. */
static void test_mixed(void)
{
    mm_rng r;
    mm_rng_seed(&r, 5);
    size_t n = 900, p = 120, ns = 8;
    double *U = malloc(n * ns * sizeof *U), *V = malloc(p * ns * sizeof *V);
    for (size_t i = 0; i < n * ns; i++) U[i] = mm_rng_gauss(&r);
    for (size_t i = 0; i < p * ns; i++) V[i] = mm_rng_gauss(&r);
    mm_mat X;
    mm_mat_alloc(&X, n, p, NULL);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < p; j++) {
            double v = mm_rng_gauss(&r) + 1.0;
            for (size_t c = 0; c < ns; c++) v += (double)(12 - c) * U[i * ns + c] * V[j * ns + c];
            X.data[i * p + j] = (float)v;
        }
    mm_error err = {0};
    mm_pca *md = NULL, *mx = NULL;
    mm_pca_params pp = params(ns, MM_PCA_RANDOMIZED, 2);
    MM_CHECK_STATUS(mm_pca_fit_dense_ex(&pp, &X, MM_PCA_PATH_GRAM, 0, &md, &err), MM_OK);
    pp.precision = MM_PCA_PRECISION_MIXED;
    MM_CHECK_STATUS(mm_pca_fit_dense_ex(&pp, &X, MM_PCA_PATH_GRAM, 0, &mx, &err), MM_OK);
    if (md && mx) {
        double dc = max_abs_diff(mm_pca_components(md), mm_pca_components(mx), ns * p), de = 0.0;
        for (size_t c = 0; c < ns; c++) {
            double e = fabs(mm_pca_explained_variance(md)[c] - mm_pca_explained_variance(mx)[c]) /
                       mm_pca_explained_variance(md)[c];
            de = e > de ? e : de;
        }
        MM_CHECK(dc > 0.0); /* it did take the float32 route */
        MM_CHECK(dc <= 1e-8);
        MM_CHECK(de <= 1e-12);
        printf("mixed vs double precision: components %.3g, explained variance (rel) %.3g\n", dc,
               de);
    }
    mm_pca_free(md);
    mm_pca_free(mx);
    mm_mat_free(&X);
    free(U);
    free(V);
}

/* ------------------------------------------------------------ CCA */

static void test_cca(void)
{
    mm_rng r;
    mm_rng_seed(&r, 3);
    size_t n = 60;
    mm_mat X, Y;
    mm_mat_alloc(&X, n, 3, NULL);
    mm_mat_alloc(&Y, n, 2, NULL);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < 3; j++) X.data[i * 3 + j] = (float)mm_rng_gauss(&r);
        Y.data[i * 2] = 2.0f * X.data[i * 3] + 1.0f; /* exactly linear in x0 */
        Y.data[i * 2 + 1] = (float)mm_rng_gauss(&r);
    }
    mm_error err = {0};
    mm_cca *m = (mm_cca *)&err;
    MM_CHECK_STATUS(mm_cca_fit(&X, &Y, 0, 500, 1e-6, &m, &err), MM_EINVAL);
    MM_CHECK(m == NULL);
    MM_CHECK_STATUS(mm_cca_fit(&X, &Y, 3, 500, 1e-6, &m, &err), MM_EINVAL); /* > q */
    MM_CHECK_STATUS(mm_cca_fit(&X, &Y, 1, 0, 1e-6, &m, &err), MM_EINVAL);
    MM_CHECK_STATUS(mm_cca_fit(&X, &Y, 1, 500, NAN, &m, &err), MM_EINVAL);
    MM_CHECK_STATUS(mm_cca_fit(&X, &Y, 1, 500, -1.0, &m, &err), MM_EINVAL);
    MM_CHECK_STATUS(mm_cca_fit(&X, NULL, 1, 500, 1e-6, &m, &err), MM_EINVAL);
    mm_mat Yshort = {n - 1, 2, 2, Y.data};
    MM_CHECK_STATUS(mm_cca_fit(&X, &Yshort, 1, 500, 1e-6, &m, &err), MM_EINVAL);
    MM_CHECK(strstr(err.msg, "rows") != NULL);
    mm_mat X1 = {1, 3, 3, X.data}, Y1 = {1, 2, 2, Y.data};
    MM_CHECK_STATUS(mm_cca_fit(&X1, &Y1, 1, 500, 1e-6, &m, &err), MM_EINVAL);
    float keep = X.data[7];
    X.data[7] = NAN;
    MM_CHECK_STATUS(mm_cca_fit(&X, &Y, 1, 500, 1e-6, &m, &err), MM_ENUMERIC);
    MM_CHECK(strstr(err.msg, "row 2, column 1") != NULL);
    X.data[7] = keep;

    MM_CHECK_STATUS(mm_cca_fit(&X, &Y, 2, 500, 1e-6, &m, &err), MM_OK);
    if (m) {
        MM_CHECK(mm_cca_n_components(m) == 2 && mm_cca_n_fitted(m) == 2);
        MM_CHECK(mm_cca_x_dim(m) == 3 && mm_cca_y_dim(m) == 2);
        MM_CHECK(mm_cca_n_iter(m, 0) >= 1 && mm_cca_n_iter(m, 0) < 500);
        double corr[2];
        MM_CHECK_STATUS(mm_cca_correlations(m, &X, &Y, corr, &err), MM_OK);
        MM_CHECK_NEAR(corr[0], 1.0, 1e-6);
        MM_CHECK(fabs(corr[1]) < 0.5);
        /* the first x weight loads on x0 only (positive: the sign rule) */
        const double *xw = mm_cca_x_weights(m);
        MM_CHECK(xw[0] > 0.99 && fabs(xw[2]) < 0.05 && fabs(xw[4]) < 0.05);
        mm_mat Xn = {n, 2, 3, X.data};
        MM_CHECK_STATUS(mm_cca_correlations(m, &Xn, &Y, corr, &err), MM_EINVAL);
        double xs[2 * 60];
        MM_CHECK_STATUS(mm_cca_transform(m, &X, NULL, xs, NULL, &err), MM_OK);
        MM_CHECK_STATUS(mm_cca_transform(NULL, &X, NULL, xs, NULL, &err), MM_EINVAL);
    }
    mm_cca_free(m);
    mm_cca_free(NULL);
    mm_mat_free(&X);
    mm_mat_free(&Y);
}

int main(void)
{
    test_invalid();
    test_known();
    test_from_parts();
    test_threads_and_paths();
    test_mixed();
    test_cca();
    return mm_test_summary();
}
