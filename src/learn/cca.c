/* CCA as scikit-learn 1.2.1 fits it: center and
 * scale both blocks (ddof = 1, zero std -> 1), then per component the NIPALS
 * power method in mode B with the old-style pseudo-inverses (cutoff
 * max(S) 1e6 eps), the 1-d sign flip, canonical deflation of both blocks, and
 * finally the rotations W (P^T W)^+ with scipy's pinv cutoff
 * (max(S) max(rows, cols) eps).
 *
 * The deflated blocks are kept row-major (n x p), which BLAS reads as their
 * column-major transposes: a product X w is a transposed gemv and a rank-one
 * deflation is a ger on the transpose. */
#include "learn/decomp_internal.h"

#include <cblas.h>

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct mm_cca {
    size_t p, q, k, n_fitted;
    int *n_iter;
    double *x_weights, *y_weights;     /* p x k, q x k (row-major) */
    double *x_loadings, *y_loadings;
    double *x_rotations, *y_rotations;
    double *x_mean, *y_mean, *x_std, *y_std;
};

static size_t zmin(size_t a, size_t b) { return a < b ? a : b; }

void mm_cca_free(mm_cca *m)
{
    if (!m) return;
    free(m->n_iter);
    free(m->x_weights);
    free(m->y_weights);
    free(m->x_loadings);
    free(m->y_loadings);
    free(m->x_rotations);
    free(m->y_rotations);
    free(m->x_mean);
    free(m->y_mean);
    free(m->x_std);
    free(m->y_std);
    free(m);
}

static mm_cca *cca_alloc(size_t p, size_t q, size_t k)
{
    mm_cca *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->p = p;
    m->q = q;
    m->k = k;
    m->n_iter = calloc(k, sizeof *m->n_iter);
    m->x_weights = mm_calloc_array(p, k * sizeof(double));
    m->y_weights = mm_calloc_array(q, k * sizeof(double));
    m->x_loadings = mm_calloc_array(p, k * sizeof(double));
    m->y_loadings = mm_calloc_array(q, k * sizeof(double));
    m->x_rotations = mm_calloc_array(p, k * sizeof(double));
    m->y_rotations = mm_calloc_array(q, k * sizeof(double));
    m->x_mean = mm_calloc_array(p, sizeof(double));
    m->y_mean = mm_calloc_array(q, sizeof(double));
    m->x_std = mm_calloc_array(p, sizeof(double));
    m->y_std = mm_calloc_array(q, sizeof(double));
    if (!m->n_iter || !m->x_weights || !m->y_weights || !m->x_loadings || !m->y_loadings ||
        !m->x_rotations || !m->y_rotations || !m->x_mean || !m->y_mean || !m->x_std ||
        !m->y_std) {
        mm_cca_free(m);
        return NULL;
    }
    return m;
}

size_t mm_cca_n_components(const mm_cca *m) { return m ? m->k : 0; }
size_t mm_cca_n_fitted(const mm_cca *m) { return m ? m->n_fitted : 0; }
size_t mm_cca_x_dim(const mm_cca *m) { return m ? m->p : 0; }
size_t mm_cca_y_dim(const mm_cca *m) { return m ? m->q : 0; }
int mm_cca_n_iter(const mm_cca *m, size_t c) { return m && c < m->n_fitted ? m->n_iter[c] : 0; }
const double *mm_cca_x_weights(const mm_cca *m) { return m ? m->x_weights : NULL; }
const double *mm_cca_y_weights(const mm_cca *m) { return m ? m->y_weights : NULL; }
const double *mm_cca_x_loadings(const mm_cca *m) { return m ? m->x_loadings : NULL; }
const double *mm_cca_y_loadings(const mm_cca *m) { return m ? m->y_loadings : NULL; }
const double *mm_cca_x_rotations(const mm_cca *m) { return m ? m->x_rotations : NULL; }
const double *mm_cca_y_rotations(const mm_cca *m) { return m ? m->y_rotations : NULL; }
const double *mm_cca_x_mean(const mm_cca *m) { return m ? m->x_mean : NULL; }
const double *mm_cca_y_mean(const mm_cca *m) { return m ? m->y_mean : NULL; }
const double *mm_cca_x_std(const mm_cca *m) { return m ? m->x_std : NULL; }
const double *mm_cca_y_std(const mm_cca *m) { return m ? m->y_std : NULL; }

/* ------------------------------------------------------------ input */

static mm_status check_block(const mm_mat *A, const char *what, mm_error *err)
{
    if (!A || !A->data || A->rows == 0 || A->cols == 0 || (A->rows > 1 && A->stride < A->cols))
        return mm_error_set(err, MM_EINVAL, "cca: %s: empty or malformed matrix", what);
    if (A->rows > (size_t)INT32_MAX || A->cols > (size_t)INT32_MAX)
        return mm_error_set(err, MM_EINVAL, "cca: %s: %zu x %zu matrix is too large", what,
                            A->rows, A->cols);
    for (size_t i = 0; i < A->rows; i++) {
        const float *row = mm_mat_row(A, i);
        for (size_t j = 0; j < A->cols; j++)
            if (!isfinite(row[j]))
                return mm_error_set(err, MM_ENUMERIC, "cca: %s: row %zu, column %zu: %s value",
                                    what, i, j, isnan(row[j]) ? "NaN" : "infinite");
    }
    return MM_OK;
}

/* Centered and scaled double copy (n x d, row-major), as numpy computes
 * X.mean(axis=0) and X.std(axis=0, ddof=1) of the centered array: sums in
 * row order, the std's own mean subtracted again. */
static double *center_scale(const mm_mat *A, double *mean, double *std)
{
    size_t n = A->rows, d = A->cols;
    double *Z = mm_alloc_array(n, d * sizeof(double));
    double *m2 = calloc(d, sizeof(double));
    if (!Z || !m2) {
        free(Z);
        free(m2);
        return NULL;
    }
    for (size_t j = 0; j < d; j++) mean[j] = std[j] = 0.0;
    for (size_t i = 0; i < n; i++) {
        const float *row = mm_mat_row(A, i);
        for (size_t j = 0; j < d; j++) mean[j] += (double)row[j];
    }
    for (size_t j = 0; j < d; j++) mean[j] /= (double)n;
    for (size_t i = 0; i < n; i++) {
        const float *row = mm_mat_row(A, i);
        double *z = Z + i * d;
        for (size_t j = 0; j < d; j++) {
            z[j] = (double)row[j] - mean[j];
            m2[j] += z[j];
        }
    }
    for (size_t j = 0; j < d; j++) m2[j] /= (double)n;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++) {
            double t = Z[i * d + j] - m2[j];
            std[j] += t * t;
        }
    for (size_t j = 0; j < d; j++) {
        std[j] = sqrt(std[j] / ((double)n - 1.0));
        if (std[j] == 0.0) std[j] = 1.0;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++) Z[i * d + j] /= std[j];
    free(m2);
    return Z;
}

/* ------------------------------------------------------------ pseudo-inverses */

/* P (d x n, column-major) = pinv(A) for the row-major n x d matrix A, with
 * rank cutoff max(S) * rcond. Through the SVD of A^T (A read column-major):
 * A^T = U S VT  =>  pinv(A) = U_r S_r^-1 VT_r. */
static mm_status pinv_rowmajor(const double *A, size_t n, size_t d, double rcond, double *P,
                               mm_error *err)
{
    size_t r = zmin(n, d);
    double *C = mm_alloc_array(n, d * sizeof(double));
    double *S = mm_alloc_array(r, sizeof(double));
    double *U = mm_alloc_array(d, r * sizeof(double));
    double *VT = mm_alloc_array(r, n * sizeof(double));
    mm_status st = MM_OK;
    if (!C || !S || !U || !VT) {
        st = mm_error_set(err, MM_ENOMEM, "cca: out of memory (pseudo-inverse of %zu x %zu)", n,
                          d);
        goto done;
    }
    memcpy(C, A, n * d * sizeof(double));
    if ((st = mm_decomp_svd('S', d, n, C, d, S, U, d, VT, r, "cca", err))) goto done;
    double cut = S[0] * rcond;
    size_t rank = 0;
    while (rank < r && S[rank] > cut) rank++;
    for (size_t c = 0; c < rank; c++)
        for (size_t i = 0; i < d; i++) U[c * d + i] /= S[c];
    if (rank == 0) {
        memset(P, 0, n * d * sizeof(double));
    } else {
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)d, (int)n, (int)rank, 1.0, U,
                    (int)d, VT, (int)r, 0.0, P, (int)d);
    }
done:
    free(C);
    free(S);
    free(U);
    free(VT);
    return st;
}

/* scipy.linalg.pinv of the k x k matrix M (row-major in, row-major out),
 * cutoff max(S) * k * eps. */
static mm_status pinv_small(const double *M, size_t k, double *out, mm_error *err)
{
    return pinv_rowmajor(M, k, k, (double)k * DBL_EPSILON, out, err);
}

/* ------------------------------------------------------------ NIPALS */

static double dot(const double *a, const double *b, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

/* v = A w for row-major n x d A. */
static void mat_vec(const double *A, size_t n, size_t d, const double *w, double *v)
{
    cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)n, (int)d, 1.0, A, (int)d, w, 1, 0.0, v, 1);
}

/* v = A^T s for row-major n x d A. */
static void mat_tvec(const double *A, size_t n, size_t d, const double *s, double *v)
{
    cblas_dgemv(CblasRowMajor, CblasTrans, (int)n, (int)d, 1.0, A, (int)d, s, 1, 0.0, v, 1);
}

/* Columns of the row-major n x d matrix whose entries are all below 10 eps
 * in magnitude are zeroed; returns the first column with an entry above
 * eps, or d when there is none. */
static size_t clean_y(double *Y, size_t n, size_t d)
{
    const double eps = DBL_EPSILON;
    size_t first = d;
    for (size_t j = 0; j < d; j++) {
        bool tiny = true, some = false;
        for (size_t i = 0; i < n; i++) {
            double a = fabs(Y[i * d + j]);
            if (!(a < 10.0 * eps)) tiny = false;
            if (a > eps) some = true;
        }
        if (tiny) {
            for (size_t i = 0; i < n; i++) Y[i * d + j] = 0.0;
            some = false;
        }
        if (some && first == d) first = j;
    }
    return first;
}

typedef struct nipals_ws {
    double *Xp, *Yp;          /* p x n, q x n (column-major) */
    double *xw, *yw, *xw_old; /* p, q, p */
    double *xs, *ys;          /* n, n */
    double *xl, *yl;          /* p, q */
} nipals_ws;

/* One component: returns the iteration count in *it. */
static void nipals(const double *Xk, const double *Yk, size_t n, size_t p, size_t q,
                   int max_iter, double tol, nipals_ws *w, int *it_out)
{
    const double eps = DBL_EPSILON;
    for (size_t j = 0; j < p; j++) w->xw_old[j] = 100.0;
    int it = 0;
    for (it = 0; it < max_iter; it++) {
        cblas_dgemv(CblasColMajor, CblasNoTrans, (int)p, (int)n, 1.0, w->Xp, (int)p, w->ys, 1,
                    0.0, w->xw, 1);
        double nx = sqrt(dot(w->xw, w->xw, p)) + eps;
        for (size_t j = 0; j < p; j++) w->xw[j] /= nx;
        mat_vec(Xk, n, p, w->xw, w->xs);
        cblas_dgemv(CblasColMajor, CblasNoTrans, (int)q, (int)n, 1.0, w->Yp, (int)q, w->xs, 1,
                    0.0, w->yw, 1);
        double ny = sqrt(dot(w->yw, w->yw, q)) + eps;
        for (size_t j = 0; j < q; j++) w->yw[j] /= ny;
        mat_vec(Yk, n, q, w->yw, w->ys);
        double yy = dot(w->yw, w->yw, q) + eps;
        for (size_t i = 0; i < n; i++) w->ys[i] /= yy;
        double diff = 0.0;
        for (size_t j = 0; j < p; j++) {
            double d = w->xw[j] - w->xw_old[j];
            diff += d * d;
        }
        if (diff < tol || q == 1) break;
        memcpy(w->xw_old, w->xw, p * sizeof(double));
    }
    *it_out = it < max_iter ? it + 1 : max_iter;
}

/* x_rotations = W (P^T W)^+ for p x k row-major W and P. */
static mm_status rotations(const double *W, const double *P, size_t p, size_t k, double *R,
                           mm_error *err)
{
    double *M = mm_alloc_array(k, k * sizeof(double));
    double *Mi = mm_alloc_array(k, k * sizeof(double));
    if (!M || !Mi) {
        free(M);
        free(Mi);
        return mm_error_set(err, MM_ENOMEM, "cca: out of memory (rotations)");
    }
    /* M = P^T W (k x k) */
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)k, (int)k, (int)p, 1.0, P, (int)k,
                W, (int)k, 0.0, M, (int)k);
    mm_status st = pinv_small(M, k, Mi, err);
    if (!st) {
        /* Mi holds pinv(M) column-major = pinv(M)^T row-major */
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)p, (int)k, (int)k, 1.0, W,
                    (int)k, Mi, (int)k, 0.0, R, (int)k);
    }
    free(M);
    free(Mi);
    return st;
}

mm_status mm_cca_fit(const mm_mat *X, const mm_mat *Y, size_t n_components, int max_iter,
                     double tol, mm_cca **out, mm_error *err)
{
    if (!out) return mm_error_set(err, MM_EINVAL, "cca: NULL output");
    *out = NULL;
    mm_status st;
    if ((st = check_block(X, "X", err)) || (st = check_block(Y, "Y", err))) return st;
    size_t n = X->rows, p = X->cols, q = Y->cols, k = n_components;
    if (Y->rows != n)
        return mm_error_set(err, MM_EINVAL, "cca: X has %zu rows but Y has %zu", n, Y->rows);
    if (n < 2) return mm_error_set(err, MM_EINVAL, "cca: needs at least 2 rows, got %zu", n);
    size_t ub = zmin(n, zmin(p, q));
    if (k < 1 || k > ub)
        return mm_error_set(err, MM_EINVAL,
                            "cca: n_components = %zu must be in [1, min(rows, p, q) = %zu]", k,
                            ub);
    if (max_iter < 1)
        return mm_error_set(err, MM_EINVAL, "cca: max_iter must be >= 1, got %d", max_iter);
    if (!(tol >= 0.0) || !isfinite(tol))
        return mm_error_set(err, MM_EINVAL, "cca: tol must be finite and >= 0");

    mm_cca *m = cca_alloc(p, q, k);
    double *Xk = NULL, *Yk = NULL;
    nipals_ws w = {0};
    if (!m) goto oom;
    Xk = center_scale(X, m->x_mean, m->x_std);
    Yk = center_scale(Y, m->y_mean, m->y_std);
    w.Xp = mm_alloc_array(p, n * sizeof(double));
    w.Yp = mm_alloc_array(q, n * sizeof(double));
    w.xw = mm_alloc_array(p, sizeof(double));
    w.xw_old = mm_alloc_array(p, sizeof(double));
    w.yw = mm_alloc_array(q, sizeof(double));
    w.xs = mm_alloc_array(n, sizeof(double));
    w.ys = mm_alloc_array(n, sizeof(double));
    w.xl = mm_alloc_array(p, sizeof(double));
    w.yl = mm_alloc_array(q, sizeof(double));
    if (!Xk || !Yk || !w.Xp || !w.Yp || !w.xw || !w.xw_old || !w.yw || !w.xs || !w.ys || !w.xl ||
        !w.yl)
        goto oom;

    const double rcond_old = 1e6 * DBL_EPSILON;
    for (size_t c = 0; c < k; c++) {
        size_t first = clean_y(Yk, n, q);
        if (first == q) break; /* Y residual is constant: no more components */
        for (size_t i = 0; i < n; i++) w.ys[i] = Yk[i * q + first];
        if ((st = pinv_rowmajor(Xk, n, p, rcond_old, w.Xp, err)) ||
            (st = pinv_rowmajor(Yk, n, q, rcond_old, w.Yp, err)))
            goto fail;
        nipals(Xk, Yk, n, p, q, max_iter, tol, &w, &m->n_iter[c]);

        /* sign: the largest |x weight| (first on ties) positive */
        size_t big = 0;
        for (size_t j = 1; j < p; j++)
            if (fabs(w.xw[j]) > fabs(w.xw[big])) big = j;
        double sg = w.xw[big] > 0.0 ? 1.0 : w.xw[big] < 0.0 ? -1.0 : 0.0;
        for (size_t j = 0; j < p; j++) w.xw[j] *= sg;
        for (size_t j = 0; j < q; j++) w.yw[j] *= sg;

        mat_vec(Xk, n, p, w.xw, w.xs);
        mat_vec(Yk, n, q, w.yw, w.ys);
        mat_tvec(Xk, n, p, w.xs, w.xl);
        double xss = dot(w.xs, w.xs, n);
        for (size_t j = 0; j < p; j++) w.xl[j] /= xss;
        mat_tvec(Yk, n, q, w.ys, w.yl);
        double yss = dot(w.ys, w.ys, n);
        for (size_t j = 0; j < q; j++) w.yl[j] /= yss;
        /* deflation: Xk -= xs xl^T, Yk -= ys yl^T */
        for (size_t i = 0; i < n; i++) {
            for (size_t j = 0; j < p; j++) Xk[i * p + j] -= w.xs[i] * w.xl[j];
            for (size_t j = 0; j < q; j++) Yk[i * q + j] -= w.ys[i] * w.yl[j];
        }
        for (size_t j = 0; j < p; j++) {
            m->x_weights[j * k + c] = w.xw[j];
            m->x_loadings[j * k + c] = w.xl[j];
        }
        for (size_t j = 0; j < q; j++) {
            m->y_weights[j * k + c] = w.yw[j];
            m->y_loadings[j * k + c] = w.yl[j];
        }
        m->n_fitted = c + 1;
    }
    if ((st = rotations(m->x_weights, m->x_loadings, p, k, m->x_rotations, err)) ||
        (st = rotations(m->y_weights, m->y_loadings, q, k, m->y_rotations, err)))
        goto fail;
    st = MM_OK;
    goto done;
oom:
    st = mm_error_set(err, MM_ENOMEM, "cca: out of memory (%zu rows, %zu + %zu columns)", n, p,
                      q);
fail:
    mm_cca_free(m);
    m = NULL;
done:
    free(Xk);
    free(Yk);
    free(w.Xp);
    free(w.Yp);
    free(w.xw);
    free(w.xw_old);
    free(w.yw);
    free(w.xs);
    free(w.ys);
    free(w.xl);
    free(w.yl);
    *out = m;
    return st;
}

/* ------------------------------------------------------------ transform */

/* S (n x k, row-major) = ((A - mean) / std) R. */
static void scores(const mm_mat *A, const double *mean, const double *std, const double *R,
                   size_t k, double *S, double *rowbuf)
{
    size_t d = A->cols;
    for (size_t i = 0; i < A->rows; i++) {
        const float *row = mm_mat_row(A, i);
        for (size_t j = 0; j < d; j++) rowbuf[j] = ((double)row[j] - mean[j]) / std[j];
        cblas_dgemv(CblasRowMajor, CblasTrans, (int)d, (int)k, 1.0, R, (int)k, rowbuf, 1, 0.0,
                    S + i * k, 1);
    }
}

static mm_status check_side(const mm_mat *A, size_t dim, const char *what, mm_error *err)
{
    mm_status st = check_block(A, what, err);
    if (st) return st;
    if (A->cols != dim)
        return mm_error_set(err, MM_EINVAL, "cca: %s has %zu columns, the CCA was fit on %zu",
                            what, A->cols, dim);
    return MM_OK;
}

mm_status mm_cca_transform(const mm_cca *m, const mm_mat *X, const mm_mat *Y, double *x_scores,
                           double *y_scores, mm_error *err)
{
    if (!m) return mm_error_set(err, MM_EINVAL, "cca: NULL model");
    mm_status st;
    if (x_scores && (st = check_side(X, m->p, "X", err))) return st;
    if (y_scores && (st = check_side(Y, m->q, "Y", err))) return st;
    if (x_scores && y_scores && X->rows != Y->rows)
        return mm_error_set(err, MM_EINVAL, "cca: X has %zu rows but Y has %zu", X->rows,
                            Y->rows);
    double *rowbuf = mm_alloc_array(m->p > m->q ? m->p : m->q, sizeof(double));
    if (!rowbuf) return mm_error_set(err, MM_ENOMEM, "cca: out of memory");
    if (x_scores) scores(X, m->x_mean, m->x_std, m->x_rotations, m->k, x_scores, rowbuf);
    if (y_scores) scores(Y, m->y_mean, m->y_std, m->y_rotations, m->k, y_scores, rowbuf);
    free(rowbuf);
    return MM_OK;
}

mm_status mm_cca_correlations(const mm_cca *m, const mm_mat *X, const mm_mat *Y, double *corr,
                              mm_error *err)
{
    if (!m || !X || !Y || !corr) return mm_error_set(err, MM_EINVAL, "cca: NULL argument");
    if (X->rows < 2)
        return mm_error_set(err, MM_EINVAL, "cca: correlations need at least 2 rows");
    size_t n = X->rows, k = m->k;
    double *xs = mm_alloc_array(n, k * sizeof(double));
    double *ys = mm_alloc_array(n, k * sizeof(double));
    mm_status st = MM_OK;
    if (!xs || !ys) {
        st = mm_error_set(err, MM_ENOMEM, "cca: out of memory (%zu x %zu scores)", n, k);
        goto done;
    }
    if ((st = mm_cca_transform(m, X, Y, xs, ys, err))) goto done;
    /* np.corrcoef: covariance of the centered pair over n - 1, divided by
     * each standard deviation in turn, clipped to [-1, 1] */
    for (size_t c = 0; c < k; c++) {
        double mx = 0.0, my = 0.0;
        for (size_t i = 0; i < n; i++) {
            mx += xs[i * k + c];
            my += ys[i * k + c];
        }
        mx /= (double)n;
        my /= (double)n;
        double sxx = 0.0, syy = 0.0, sxy = 0.0;
        for (size_t i = 0; i < n; i++) {
            double dx = xs[i * k + c] - mx, dy = ys[i * k + c] - my;
            sxx += dx * dx;
            syy += dy * dy;
            sxy += dx * dy;
        }
        double f = (double)n - 1.0;
        double r = (sxy / f) / sqrt(sxx / f) / sqrt(syy / f);
        if (r > 1.0) r = 1.0;
        if (r < -1.0) r = -1.0;
        corr[c] = r;
    }
done:
    free(xs);
    free(ys);
    return st;
}
