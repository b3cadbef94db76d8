/* PCA as scikit-learn 1.2.1 computes it, in
 * double: full solver (dgesdd), randomized solver (range finder with a numpy
 * RandomState test matrix, QR-normalized power iterations), u-based sign
 * flip. Dense input is converted to centered double block by block; sparse
 * input is centered implicitly inside every product.
 *
 * Layout: every working matrix is column-major (what LAPACK wants). A
 * row-major n x p block of centered data is, read column-major, its p x n
 * transpose, so the BLAS calls below use it with the matching op flag
 * instead of ever transposing it. */
#include "learn/decomp_internal.h"

#include <cblas.h>
#include <lapack.h>

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct mm_pca {
    size_t dim, k, n_samples;
    mm_pca_solver solver;
    mm_pca_path path;
    int n_threads;
    double *mean;       /* dim                 */
    double *components; /* k x dim, row-major  */
    double *ev, *ratio, *sv;
    double noise;
};

enum {
    PCA_CONV_ROWS = 64,    /* rows per conversion chunk                      */
    PCA_STAT_COLS = 256,   /* columns per statistics chunk                   */
    PCA_SPMM_ROWS = 256    /* rows per sparse-product chunk                  */
};
/* Dense input up to this size is converted to double once and kept; larger
 * input is converted block by block in buffers of this size. */
#define PCA_BLOCK_BYTES ((size_t)64 << 20)
/* The direct path re-reads the data 2 n_iter + 2 times: keep it resident up
 * to this size rather than convert it again on every pass. */
#define PCA_RESIDENT_DIRECT_BYTES ((size_t)1 << 30)
/* Largest Gram matrix the Gram path builds. */
#define PCA_GRAM_MAX_BYTES ((size_t)2 << 30)

static size_t zmin(size_t a, size_t b) { return a < b ? a : b; }
static size_t zmax(size_t a, size_t b) { return a > b ? a : b; }
static bool fits_int(size_t v) { return v <= (size_t)INT_MAX; }

/* ================================================================ LAPACK */

mm_status mm_decomp_svd(char jobz, size_t m, size_t n, double *A, size_t lda, double *S,
                        double *U, size_t ldu, double *VT, size_t ldvt, const char *what,
                        mm_error *err)
{
    const char jz[2] = {jobz, '\0'};
    if (!fits_int(m) || !fits_int(n) || !fits_int(lda) || !fits_int(ldu) || !fits_int(ldvt))
        return mm_error_set(err, MM_EINVAL, "%s: %zu x %zu matrix is too large for LAPACK", what,
                            m, n);
    size_t r = zmin(m, n);
    lapack_int im = (lapack_int)m, in = (lapack_int)n, ilda = (lapack_int)lda;
    lapack_int ildu = (lapack_int)ldu, ildvt = (lapack_int)ldvt, lwork = -1, info = 0;
    lapack_int *iwork = mm_alloc_array(zmax(8 * r, 1), sizeof *iwork);
    if (!iwork) return mm_error_set(err, MM_ENOMEM, "%s: out of memory (SVD)", what);
    double wq = 0.0;
    LAPACK_dgesdd(jz, &im, &in, A, &ilda, S, U, &ildu, VT, &ildvt, &wq, &lwork, iwork, &info);
    if (info != 0 || !(wq >= 1.0) || wq > (double)INT_MAX) {
        free(iwork);
        return mm_error_set(err, MM_ENUMERIC, "%s: SVD workspace query failed (info %d)", what,
                            (int)info);
    }
    lwork = (lapack_int)wq;
    double *work = mm_alloc_array((size_t)lwork, sizeof *work);
    if (!work) {
        free(iwork);
        return mm_error_set(err, MM_ENOMEM, "%s: out of memory (SVD workspace, %zu doubles)",
                            what, (size_t)lwork);
    }
    LAPACK_dgesdd(jz, &im, &in, A, &ilda, S, U, &ildu, VT, &ildvt, work, &lwork, iwork, &info);
    free(work);
    free(iwork);
    if (info != 0)
        return mm_error_set(err, MM_ENUMERIC, "%s: SVD of a %zu x %zu matrix failed (info %d)",
                            what, m, n, (int)info);
    return MM_OK;
}

mm_status mm_decomp_orth(double *A, size_t m, size_t c, size_t *c_out, const char *what,
                         mm_error *err)
{
    if (!fits_int(m) || !fits_int(c))
        return mm_error_set(err, MM_EINVAL, "%s: %zu x %zu matrix is too large for LAPACK", what,
                            m, c);
    size_t r = zmin(m, c);
    lapack_int im = (lapack_int)m, ic = (lapack_int)c, ir = (lapack_int)r, lwork = -1, info = 0;
    double *tau = mm_alloc_array(zmax(r, 1), sizeof *tau);
    if (!tau) return mm_error_set(err, MM_ENOMEM, "%s: out of memory (QR)", what);
    double q1 = 0.0, q2 = 0.0;
    LAPACK_dgeqrf(&im, &ic, A, &im, tau, &q1, &lwork, &info);
    if (info == 0) LAPACK_dorgqr(&im, &ir, &ir, A, &im, tau, &q2, &lwork, &info);
    double wq = q1 > q2 ? q1 : q2;
    if (info != 0 || wq > (double)INT_MAX) {
        free(tau);
        return mm_error_set(err, MM_ENUMERIC, "%s: QR workspace query failed (info %d)", what,
                            (int)info);
    }
    lwork = (lapack_int)(wq < 1.0 ? 1.0 : wq);
    double *work = mm_alloc_array((size_t)lwork, sizeof *work);
    if (!work) {
        free(tau);
        return mm_error_set(err, MM_ENOMEM, "%s: out of memory (QR workspace)", what);
    }
    LAPACK_dgeqrf(&im, &ic, A, &im, tau, work, &lwork, &info);
    if (info == 0) LAPACK_dorgqr(&im, &ir, &ir, A, &im, tau, work, &lwork, &info);
    free(work);
    free(tau);
    if (info != 0)
        return mm_error_set(err, MM_ENUMERIC, "%s: QR of a %zu x %zu matrix failed (info %d)",
                            what, m, c, (int)info);
    *c_out = r;
    return MM_OK;
}

/* ================================================================ params */

mm_pca_params mm_pca_params_default(void)
{
    mm_pca_params p;
    p.n_components = 0;
    p.solver = MM_PCA_AUTO;
    p.n_oversamples = 10;
    p.n_iter = -1;
    p.seed = 42;
    p.n_threads = 0;
    p.precision = MM_PCA_PRECISION_DOUBLE;
    return p;
}

mm_status mm_pca_params_check(const mm_pca_params *p, mm_error *err)
{
    if (!p) return mm_error_set(err, MM_EINVAL, "pca: NULL parameters");
    if (p->n_components == 0)
        return mm_error_set(err, MM_EINVAL, "pca: n_components must be at least 1");
    if (p->solver != MM_PCA_AUTO && p->solver != MM_PCA_FULL && p->solver != MM_PCA_RANDOMIZED)
        return mm_error_set(err, MM_EINVAL, "pca: unknown solver %d", (int)p->solver);
    if (p->n_iter < -1)
        return mm_error_set(err, MM_EINVAL, "pca: n_iter must be -1 (auto) or >= 0, got %d",
                            p->n_iter);
    if (p->precision != MM_PCA_PRECISION_DOUBLE && p->precision != MM_PCA_PRECISION_MIXED)
        return mm_error_set(err, MM_EINVAL, "pca: unknown precision %d", (int)p->precision);
    if (p->n_iter > 1000)
        return mm_error_set(err, MM_EINVAL, "pca: n_iter %d is unreasonably large (max 1000)",
                            p->n_iter);
    size_t q;
    if (!mm_size_add(p->n_components, p->n_oversamples, &q) || !fits_int(q))
        return mm_error_set(err, MM_EINVAL, "pca: n_components + n_oversamples is too large");
    return MM_OK;
}

/* ================================================================ object */

void mm_pca_free(mm_pca *m)
{
    if (!m) return;
    free(m->mean);
    free(m->components);
    free(m->ev);
    free(m->ratio);
    free(m->sv);
    free(m);
}

static mm_pca *pca_alloc(size_t dim, size_t k)
{
    mm_pca *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->dim = dim;
    m->k = k;
    m->mean = mm_alloc_array(dim, sizeof(double));
    size_t kd;
    m->components = mm_size_mul(k, dim, &kd) ? mm_alloc_array(kd, sizeof(double)) : NULL;
    m->ev = mm_alloc_array(k, sizeof(double));
    m->ratio = mm_alloc_array(k, sizeof(double));
    m->sv = mm_alloc_array(k, sizeof(double));
    if (!m->mean || !m->components || !m->ev || !m->ratio || !m->sv) {
        mm_pca_free(m);
        return NULL;
    }
    return m;
}

size_t mm_pca_n_components(const mm_pca *m) { return m ? m->k : 0; }
size_t mm_pca_dim(const mm_pca *m) { return m ? m->dim : 0; }
size_t mm_pca_n_samples(const mm_pca *m) { return m ? m->n_samples : 0; }
mm_pca_solver mm_pca_solver_used(const mm_pca *m) { return m ? m->solver : MM_PCA_AUTO; }
mm_pca_path mm_pca_path_used(const mm_pca *m) { return m ? m->path : MM_PCA_PATH_AUTO; }
const double *mm_pca_mean(const mm_pca *m) { return m ? m->mean : NULL; }
const double *mm_pca_components(const mm_pca *m) { return m ? m->components : NULL; }
const double *mm_pca_explained_variance(const mm_pca *m) { return m ? m->ev : NULL; }
const double *mm_pca_explained_variance_ratio(const mm_pca *m) { return m ? m->ratio : NULL; }
const double *mm_pca_singular_values(const mm_pca *m) { return m ? m->sv : NULL; }
double mm_pca_noise_variance(const mm_pca *m) { return m ? m->noise : NAN; }

mm_status mm_pca_from_parts(size_t dim, size_t n_components, const double *mean,
                            const double *components, const double *explained_variance,
                            mm_pca **out, mm_error *err)
{
    if (!out) return mm_error_set(err, MM_EINVAL, "pca: NULL output");
    *out = NULL;
    if (dim == 0 || n_components == 0 || !mean || !components)
        return mm_error_set(err, MM_EINVAL, "pca: from_parts needs dim, n_components, mean "
                                            "and components");
    size_t kd;
    if (!mm_size_mul(n_components, dim, &kd) || !mm_size_mul(kd, sizeof(double), &kd))
        return mm_error_set(err, MM_EINVAL, "pca: %zu x %zu components overflow", n_components,
                            dim);
    for (size_t j = 0; j < dim; j++)
        if (!isfinite(mean[j]))
            return mm_error_set(err, MM_EINVAL, "pca: mean[%zu] is not finite", j);
    for (size_t i = 0; i < n_components * dim; i++)
        if (!isfinite(components[i]))
            return mm_error_set(err, MM_EINVAL, "pca: components[%zu][%zu] is not finite",
                                i / dim, i % dim);
    if (explained_variance)
        for (size_t c = 0; c < n_components; c++)
            if (!isfinite(explained_variance[c]))
                return mm_error_set(err, MM_EINVAL, "pca: explained_variance[%zu] is not finite",
                                    c);
    mm_pca *m = pca_alloc(dim, n_components);
    if (!m) return mm_error_set(err, MM_ENOMEM, "pca: out of memory (%zu x %zu)", n_components, dim);
    memcpy(m->mean, mean, dim * sizeof(double));
    memcpy(m->components, components, kd);
    for (size_t c = 0; c < n_components; c++) {
        m->ev[c] = explained_variance ? explained_variance[c] : 0.0;
        m->ratio[c] = NAN;
        m->sv[c] = NAN;
    }
    m->noise = NAN;
    m->solver = MM_PCA_AUTO;
    m->path = MM_PCA_PATH_AUTO;
    *out = m;
    return MM_OK;
}

/* ================================================================ input checks */

static mm_status check_dense(const mm_mat *X, const char *what, mm_error *err)
{
    if (!X || !X->data || X->rows == 0 || X->cols == 0 || (X->rows > 1 && X->stride < X->cols))
        return mm_error_set(err, MM_EINVAL, "%s: empty or malformed matrix", what);
    size_t span;
    if (!mm_size_mul(X->rows - 1, X->stride, &span) || !mm_size_add(span, X->cols, &span))
        return mm_error_set(err, MM_EINVAL, "%s: matrix size overflows", what);
    return MM_OK;
}

static mm_status check_csr(const mm_csr *S, const char *what, mm_error *err)
{
    if (!S || S->rows == 0 || S->cols == 0 || !S->indptr || (S->nnz > 0 && (!S->indices || !S->data)))
        return mm_error_set(err, MM_EINVAL, "%s: empty or malformed sparse matrix", what);
    if (S->indptr[0] != 0 || S->indptr[S->rows] < 0 || (size_t)S->indptr[S->rows] != S->nnz)
        return mm_error_set(err, MM_EINVAL, "%s: indptr does not span 0..nnz", what);
    if (S->cols > (size_t)INT32_MAX)
        return mm_error_set(err, MM_EINVAL, "%s: too many columns (%zu)", what, S->cols);
    for (size_t i = 0; i < S->rows; i++) {
        if (S->indptr[i + 1] < S->indptr[i])
            return mm_error_set(err, MM_EINVAL, "%s: row %zu: decreasing indptr", what, i);
        for (int64_t t = S->indptr[i]; t < S->indptr[i + 1]; t++) {
            if (S->indices[t] < 0 || (size_t)S->indices[t] >= S->cols)
                return mm_error_set(err, MM_EINVAL, "%s: row %zu: column index %d out of range",
                                    what, i, (int)S->indices[t]);
            if (!isfinite(S->data[t]))
                return mm_error_set(err, MM_ENUMERIC, "%s: row %zu, column %d: non-finite value",
                                    what, i, (int)S->indices[t]);
        }
    }
    return MM_OK;
}

static mm_status first_nonfinite(const mm_mat *X, const char *what, mm_error *err)
{
    for (size_t i = 0; i < X->rows; i++) {
        const float *row = mm_mat_row(X, i);
        for (size_t j = 0; j < X->cols; j++)
            if (!isfinite(row[j]))
                return mm_error_set(err, MM_ENUMERIC, "%s: row %zu, column %zu: %s value", what,
                                    i, j, isnan(row[j]) ? "NaN" : "infinite");
    }
    return mm_error_set(err, MM_ENUMERIC, "%s: non-finite column statistics", what);
}

/* ================================================================ statistics */

/* Column means (rows summed in order, as numpy reduces axis 0) and the
 * column sums of squared deviations, over fixed column chunks. */
typedef struct stat_task {
    const mm_mat *X;
    double *mean, *ss;
} stat_task;

static void stat_chunk(size_t c, void *u)
{
    stat_task *t = u;
    const mm_mat *X = t->X;
    size_t j0 = c * PCA_STAT_COLS, j1 = zmin(X->cols, j0 + PCA_STAT_COLS);
    double *mean = t->mean, *ss = t->ss;
    for (size_t j = j0; j < j1; j++) mean[j] = ss[j] = 0.0;
    for (size_t i = 0; i < X->rows; i++) {
        const float *row = mm_mat_row(X, i);
        for (size_t j = j0; j < j1; j++) mean[j] += (double)row[j];
    }
    for (size_t j = j0; j < j1; j++) mean[j] /= (double)X->rows;
    for (size_t i = 0; i < X->rows; i++) {
        const float *row = mm_mat_row(X, i);
        for (size_t j = j0; j < j1; j++) {
            double d = (double)row[j] - mean[j];
            ss[j] += d * d;
        }
    }
}

/* The transpose (CSC view) of a CSR matrix, rows of the result in input
 * row order within each column. */
static mm_status csr_transpose(const mm_csr *S, mm_csr *T, mm_error *err)
{
    if (mm_csr_alloc(T, S->cols, S->rows, S->nnz, err)) return MM_ENOMEM;
    for (size_t t = 0; t < S->nnz; t++) T->indptr[S->indices[t] + 1]++;
    for (size_t j = 0; j < S->cols; j++) T->indptr[j + 1] += T->indptr[j];
    int64_t *next = mm_alloc_array(zmax(S->cols, 1), sizeof *next);
    if (!next) {
        mm_csr_free(T);
        return mm_error_set(err, MM_ENOMEM, "pca: out of memory (sparse transpose)");
    }
    memcpy(next, T->indptr, S->cols * sizeof *next);
    for (size_t i = 0; i < S->rows; i++)
        for (int64_t t = S->indptr[i]; t < S->indptr[i + 1]; t++) {
            int64_t d = next[S->indices[t]]++;
            T->indices[d] = (int32_t)i;
            T->data[d] = S->data[t];
        }
    free(next);
    return MM_OK;
}

/* Same statistics from the transpose: per column, the nonzeros in row
 * order (the zeros add nothing to the sum) and the implicit zeros'
 * deviations as (n - nnz_j) mean^2. */
static void csr_stats(const mm_csr *T, size_t n, double *mean, double *ss)
{
    for (size_t j = 0; j < T->rows; j++) {
        double s = 0.0;
        for (int64_t t = T->indptr[j]; t < T->indptr[j + 1]; t++) s += (double)T->data[t];
        double mu = s / (double)n, q = 0.0;
        for (int64_t t = T->indptr[j]; t < T->indptr[j + 1]; t++) {
            double d = (double)T->data[t] - mu;
            q += d * d;
        }
        size_t zeros = n - (size_t)(T->indptr[j + 1] - T->indptr[j]);
        mean[j] = mu;
        ss[j] = q + (double)zeros * mu * mu;
    }
}

/* ================================================================ data source */

/* The centered data Xc = X - 1 mean^T behind the two products the solvers
 * need, for dense or sparse X. */
typedef struct pca_src {
    size_t n, p;
    const mm_mat *X;   /* dense input, or NULL   */
    const mm_csr *S;   /* sparse input, or NULL  */
    mm_csr T;          /* S transposed (owned)   */
    const double *mean;
    int n_threads;
    double *buf;       /* dense: centered double block              */
    size_t block_rows; /* rows per block; n when resident           */
    size_t slab_cols;  /* columns per slab for the row Gram          */
    bool resident, converted;
    bool f32_gram;     /* MM_PCA_PRECISION_MIXED                    */
    size_t fblock;     /* float block budget in bytes               */
    double *scratch;   /* sparse: row-major operands and results    */
    double *vec;       /* max(n, p) doubles                         */
} pca_src;

typedef struct conv_task {
    const mm_mat *X;
    const double *mean;
    size_t r0, nr, c0, w;
    double *dst;  /* nr x w, row-major (or NULL) */
    float *dstf;  /* the same, rounded to float  */
} conv_task;

static void conv_chunk(size_t c, void *u)
{
    const conv_task *t = u;
    size_t i0 = c * PCA_CONV_ROWS, i1 = zmin(t->nr, i0 + PCA_CONV_ROWS);
    const double *mu = t->mean + t->c0;
    for (size_t i = i0; i < i1; i++) {
        const float *row = mm_mat_row(t->X, t->r0 + i) + t->c0;
        if (t->dst) {
            double *d = t->dst + i * t->w;
            for (size_t j = 0; j < t->w; j++) d[j] = (double)row[j] - mu[j];
        } else {
            float *d = t->dstf + i * t->w;
            for (size_t j = 0; j < t->w; j++) d[j] = (float)((double)row[j] - mu[j]);
        }
    }
}

/* dst (nr x w, row-major) = Xc[r0 : r0+nr, c0 : c0+w]; into dstf as float
 * when dst is NULL. */
static void src_convert_to(const pca_src *s, size_t r0, size_t nr, size_t c0, size_t w,
                           double *dst, float *dstf)
{
    conv_task t = {s->X, s->mean, r0, nr, c0, w, dst, dstf};
    size_t chunks = (nr + PCA_CONV_ROWS - 1) / PCA_CONV_ROWS;
    mm_parallel_for(chunks, nr * w >= 65536 ? s->n_threads : 1, conv_chunk, &t);
}

static void src_convert(const pca_src *s, size_t r0, size_t nr, size_t c0, size_t w, double *dst)
{
    src_convert_to(s, r0, nr, c0, w, dst, NULL);
}

/* A (n x p, column-major, ld n) = Xc, a chunk of rows at a time so that
 * each chunk reads its rows once and writes short contiguous runs. */
typedef struct tconv_task {
    const mm_mat *X;
    const double *mean;
    double *A;
} tconv_task;

static void tconv_chunk(size_t c, void *u)
{
    const tconv_task *t = u;
    size_t n = t->X->rows, p = t->X->cols;
    size_t i0 = c * PCA_CONV_ROWS, i1 = zmin(n, i0 + PCA_CONV_ROWS);
    for (size_t j = 0; j < p; j++) {
        double *col = t->A + j * n, mu = t->mean[j];
        for (size_t i = i0; i < i1; i++) col[i] = (double)mm_mat_row(t->X, i)[j] - mu;
    }
}

static void src_convert_colmajor(const pca_src *s, double *A)
{
    tconv_task t = {s->X, s->mean, A};
    size_t chunks = (s->n + PCA_CONV_ROWS - 1) / PCA_CONV_ROWS;
    mm_parallel_for(chunks, s->n * s->p >= 65536 ? s->n_threads : 1, tconv_chunk, &t);
}

/* Centered rows [r0, r0 + nb) as a row-major nb x p array. */
static const double *src_rows(pca_src *s, size_t r0, size_t nb)
{
    if (s->resident) {
        if (!s->converted) {
            src_convert(s, 0, s->n, 0, s->p, s->buf);
            s->converted = true;
        }
        return s->buf + r0 * s->p;
    }
    src_convert(s, r0, nb, 0, s->p, s->buf);
    return s->buf;
}

/* Sparse product with implicit centering:
 *   out (rows x m, row-major) = S A - u v^T
 * A: cols x m row-major; u: rows values or NULL for all ones; v: m values. */
typedef struct spmm_task {
    const mm_csr *S;
    const double *A, *u, *v;
    size_t m;
    double *out;
} spmm_task;

static void spmm_chunk(size_t c, void *user)
{
    const spmm_task *t = user;
    size_t i0 = c * PCA_SPMM_ROWS, i1 = zmin(t->S->rows, i0 + PCA_SPMM_ROWS), m = t->m;
    for (size_t i = i0; i < i1; i++) {
        double *o = t->out + i * m;
        for (size_t j = 0; j < m; j++) o[j] = 0.0;
        for (int64_t q = t->S->indptr[i]; q < t->S->indptr[i + 1]; q++) {
            double x = (double)t->S->data[q];
            const double *a = t->A + (size_t)t->S->indices[q] * m;
            for (size_t j = 0; j < m; j++) o[j] += x * a[j];
        }
        double ui = t->u ? t->u[i] : 1.0;
        for (size_t j = 0; j < m; j++) o[j] -= ui * t->v[j];
    }
}

static void spmm(const pca_src *s, const mm_csr *S, const double *A, const double *u,
                 const double *v, size_t m, double *out)
{
    spmm_task t = {S, A, u, v, m, out};
    size_t chunks = (S->rows + PCA_SPMM_ROWS - 1) / PCA_SPMM_ROWS;
    mm_parallel_for(chunks, s->n_threads, spmm_chunk, &t);
}

/* Column-major rows x m  <->  row-major rows x m. */
static void to_rowmajor(const double *A, size_t rows, size_t m, double *R)
{
    for (size_t j = 0; j < m; j++)
        for (size_t i = 0; i < rows; i++) R[i * m + j] = A[i + j * rows];
}

static void to_colmajor(const double *R, size_t rows, size_t m, double *A)
{
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < m; j++) A[i + j * rows] = R[i * m + j];
}

/* Y (n x m, ld n) = Xc A, with A p x m (ld p). */
static void src_mul(pca_src *s, const double *A, size_t m, double *Y)
{
    size_t n = s->n, p = s->p;
    if (s->X) {
        for (size_t r0 = 0; r0 < n; r0 += s->block_rows) {
            size_t nb = zmin(s->block_rows, n - r0);
            const double *B = src_rows(s, r0, nb);
            cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, (int)nb, (int)m, (int)p, 1.0, B,
                        (int)p, A, (int)p, 0.0, Y + r0, (int)n);
        }
        return;
    }
    /* v = mean^T A, then rows of X A - 1 v^T */
    double *Ar = s->scratch, *out = s->scratch + zmax(n, p) * m, *v = s->vec;
    to_rowmajor(A, p, m, Ar);
    for (size_t j = 0; j < m; j++) {
        double acc = 0.0;
        for (size_t c = 0; c < p; c++) acc += s->mean[c] * A[c + j * p];
        v[j] = acc;
    }
    spmm(s, s->S, Ar, NULL, v, m, out);
    to_colmajor(out, n, m, Y);
}

/* Z (p x m, ld p) = Xc^T Y, with Y n x m (ld n). */
static void src_mul_t(pca_src *s, const double *Y, size_t m, double *Z)
{
    size_t n = s->n, p = s->p;
    if (s->X) {
        for (size_t r0 = 0; r0 < n; r0 += s->block_rows) {
            size_t nb = zmin(s->block_rows, n - r0);
            const double *B = src_rows(s, r0, nb);
            cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)p, (int)m, (int)nb, 1.0,
                        B, (int)p, Y + r0, (int)n, r0 ? 1.0 : 0.0, Z, (int)p);
        }
        return;
    }
    /* v = 1^T Y, then rows of X^T Y - mean v^T */
    double *Yr = s->scratch, *out = s->scratch + zmax(n, p) * m, *v = s->vec;
    to_rowmajor(Y, n, m, Yr);
    for (size_t j = 0; j < m; j++) {
        double acc = 0.0;
        for (size_t i = 0; i < n; i++) acc += Y[i + j * n];
        v[j] = acc;
    }
    spmm(s, &s->T, Yr, s->mean, v, m, out);
    to_colmajor(out, p, m, Z);
}

/* The Gram matrix in float32: blocks of centered data rounded to float,
 * accumulated by ssyrk into a float matrix, widened at the end. */
static mm_status src_gram_f32(pca_src *s, bool rows, double *G, mm_error *err)
{
    size_t n = s->n, p = s->p, g = rows ? n : p;
    size_t width = rows ? n : p; /* floats per slab column / block row */
    size_t per = zmax(1, s->fblock / (width * sizeof(float)));
    size_t span = rows ? zmin(per, p) : zmin(per, n);
    float *G32 = mm_alloc_array(g, g * sizeof(float));
    float *B = mm_alloc_array(span, width * sizeof(float));
    if (!G32 || !B) {
        free(G32);
        free(B);
        return mm_error_set(err, MM_ENOMEM, "pca: out of memory (float32 Gram matrix)");
    }
    if (!rows) {
        for (size_t r0 = 0; r0 < n; r0 += span) {
            size_t nb = zmin(span, n - r0);
            src_convert_to(s, r0, nb, 0, p, NULL, B);
            cblas_ssyrk(CblasColMajor, CblasLower, CblasNoTrans, (int)p, (int)nb, 1.0f, B, (int)p,
                        r0 ? 1.0f : 0.0f, G32, (int)p);
        }
    } else {
        for (size_t c0 = 0; c0 < p; c0 += span) {
            size_t w = zmin(span, p - c0);
            src_convert_to(s, 0, n, c0, w, NULL, B);
            cblas_ssyrk(CblasColMajor, CblasLower, CblasTrans, (int)n, (int)w, 1.0f, B, (int)w,
                        c0 ? 1.0f : 0.0f, G32, (int)n);
        }
    }
    for (size_t j = 0; j < g; j++)
        for (size_t i = j; i < g; i++) G[i + j * g] = (double)G32[i + j * g];
    free(G32);
    free(B);
    return MM_OK;
}

/* Lower triangle of the Gram matrix of the centered data: Xc^T Xc (p x p)
 * when !rows, Xc Xc^T (n x n) when rows. Dense input only. */
static void src_gram(pca_src *s, bool rows, double *G)
{
    size_t n = s->n, p = s->p;
    if (!rows) {
        for (size_t r0 = 0; r0 < n; r0 += s->block_rows) {
            size_t nb = zmin(s->block_rows, n - r0);
            const double *B = src_rows(s, r0, nb);
            cblas_dsyrk(CblasColMajor, CblasLower, CblasNoTrans, (int)p, (int)nb, 1.0, B, (int)p,
                        r0 ? 1.0 : 0.0, G, (int)p);
        }
        return;
    }
    if (s->resident) {
        const double *B = src_rows(s, 0, n);
        cblas_dsyrk(CblasColMajor, CblasLower, CblasTrans, (int)n, (int)p, 1.0, B, (int)p, 0.0, G,
                    (int)n);
        return;
    }
    for (size_t c0 = 0; c0 < p; c0 += s->slab_cols) {
        size_t w = zmin(s->slab_cols, p - c0);
        src_convert(s, 0, n, c0, w, s->buf);
        cblas_dsyrk(CblasColMajor, CblasLower, CblasTrans, (int)n, (int)w, 1.0, s->buf, (int)w,
                    c0 ? 1.0 : 0.0, G, (int)n);
    }
}

static void src_release(pca_src *s)
{
    free(s->buf);
    free(s->scratch);
    free(s->vec);
    mm_csr_free(&s->T);
}

/* ================================================================ solvers */

/* sklearn 1.2.1 svd_flip (u-based): the sign that makes the first
 * largest-magnitude entry of u (len values, stride inc) positive. */
static double flip_sign(const double *u, size_t len, size_t inc)
{
    size_t best = 0;
    double bv = -1.0;
    for (size_t i = 0; i < len; i++) {
        double a = fabs(u[i * inc]);
        if (a > bv) {
            bv = a;
            best = i;
        }
    }
    return u[best * inc] < 0.0 ? -1.0 : 1.0;
}

/* Exact solver on the centered matrix A = Xc, column-major n x p (ld n),
 * destroyed. dgesdd with jobz 'O' keeps only one n x p array: the left
 * vectors (n >= p) or the right ones (n < p) come back in A. The ratio's
 * denominator is the sum of all S^2 / (n - 1), as in scikit-learn. */
static mm_status pca_full(mm_pca *m, double *A, size_t n, size_t p, mm_error *err)
{
    size_t k = m->k, r = zmin(n, p);
    bool tall = n >= p;
    double *S = mm_alloc_array(r, sizeof *S);
    double *F = mm_alloc_array(r, r * sizeof *F); /* VT (tall) or U (wide): r x r */
    mm_status st = MM_OK;
    if (!S || !F) {
        st = mm_error_set(err, MM_ENOMEM, "pca: out of memory (full SVD of %zu x %zu)", n, p);
        goto done;
    }
    st = tall ? mm_decomp_svd('O', n, p, A, n, S, NULL, 1, F, r, "pca", err)
              : mm_decomp_svd('O', n, p, A, n, S, F, n, NULL, 1, "pca", err);
    if (st) goto done;
    double dof = (double)n - 1.0, total = 0.0;
    for (size_t c = 0; c < r; c++) total += S[c] * S[c] / dof;
    for (size_t c = 0; c < k; c++) {
        /* left vector c: column c of A (tall) or of U; component c: row c of
         * VT, or of A's first r rows */
        double sg = flip_sign(tall ? A + c * n : F + c * n, n, 1);
        const double *vt = tall ? F + c : A + c;
        size_t ld = tall ? r : n;
        for (size_t j = 0; j < p; j++) m->components[c * p + j] = sg * vt[j * ld];
        m->sv[c] = S[c];
        m->ev[c] = S[c] * S[c] / dof;
        m->ratio[c] = m->ev[c] / total;
    }
    m->noise = 0.0;
    if (k < r) {
        double acc = 0.0;
        for (size_t c = k; c < r; c++) acc += S[c] * S[c] / dof;
        m->noise = acc / (double)(r - k);
    }
done:
    free(S);
    free(F);
    return st;
}

static int auto_n_iter(const mm_pca_params *prm, size_t k, size_t n, size_t p)
{
    if (prm->n_iter >= 0) return prm->n_iter;
    return (double)k < 0.1 * (double)zmin(n, p) ? 7 : 4;
}

/* Flop counts of the two ways to run the power iterations (a float32
 * Gram matrix counted at half price: twice the rate of double). */
static bool prefer_gram(size_t n, size_t p, size_t q, int it, bool f32)
{
    double dn = (double)n, dp = (double)p, dq = (double)q, cm = (double)zmin(n, p);
    double direct = (2.0 * it + 2.0) * 2.0 * dn * dp * dq;
    double gram = dn * dp * cm * (f32 ? 0.5 : 1.0) + it * 2.0 * cm * cm * dq +
                  4.0 * dn * dp * dq;
    return gram < direct;
}

/* M = Xc (n >= p) or Xc^T (n < p): products with M and M^T. */
static void mul_M(pca_src *s, bool tr, const double *A, size_t m, double *out)
{
    if (tr) src_mul_t(s, A, m, out);
    else src_mul(s, A, m, out);
}

static void mul_Mt(pca_src *s, bool tr, const double *A, size_t m, double *out)
{
    if (tr) src_mul(s, A, m, out);
    else src_mul_t(s, A, m, out);
}

/* Randomized solver (sklearn randomized_svd with flip_sign=True). */
static mm_status pca_randomized(mm_pca *m, pca_src *s, const mm_pca_params *prm, bool gram,
                                double total_var, mm_error *err)
{
    size_t n = s->n, p = s->p, k = m->k;
    bool tr = n < p;
    size_t rm = tr ? p : n, cm = tr ? n : p; /* M is rm x cm, rm >= cm */
    size_t q = k + prm->n_oversamples;
    int it = auto_n_iter(prm, k, n, p);
    size_t wq = zmax(q, 1);
    double *Q = mm_alloc_array(cm, wq * sizeof(double));
    double *Y = mm_alloc_array(rm, wq * sizeof(double));
    double *G = NULL, *S = NULL, *W = NULL, *ZT = NULL, *U = NULL;
    mm_status st = MM_OK;
    if (!Q || !Y) goto oom;

    /* Omega = RandomState(seed).normal(size=(cm, q)), filled row-major */
    mm_rng rng;
    mm_rng_seed(&rng, prm->seed);
    for (size_t i = 0; i < cm; i++)
        for (size_t j = 0; j < q; j++) Q[i + j * cm] = mm_rng_gauss(&rng);

    size_t qc = q;
    if (it > 0 && gram) {
        /* span(M^T orth(M Q)) = span(M^T M Q): iterate on the Gram matrix */
        G = mm_alloc_array(cm, cm * sizeof(double));
        if (!G) goto oom;
        if (s->f32_gram) {
            if ((st = src_gram_f32(s, tr, G, err))) goto done;
        } else {
            src_gram(s, tr, G);
        }
        for (int i = 0; i < it; i++) {
            cblas_dsymm(CblasColMajor, CblasLeft, CblasLower, (int)cm, (int)qc, 1.0, G, (int)cm,
                        Q, (int)cm, 0.0, Y, (int)cm);
            if ((st = mm_decomp_orth(Y, cm, qc, &qc, "pca", err))) goto done;
            memcpy(Q, Y, cm * qc * sizeof(double));
        }
        free(G);
        G = NULL;
    } else {
        for (int i = 0; i < it; i++) {
            mul_M(s, tr, Q, qc, Y);
            if ((st = mm_decomp_orth(Y, rm, qc, &qc, "pca", err))) goto done;
            mul_Mt(s, tr, Y, qc, Q);
            if ((st = mm_decomp_orth(Q, cm, qc, &qc, "pca", err))) goto done;
        }
    }
    /* Q_f = orth(M Q);  B^T = M^T Q_f (cm x qf);  B^T = W diag(S) ZT */
    size_t qf;
    mul_M(s, tr, Q, qc, Y);
    if ((st = mm_decomp_orth(Y, rm, qc, &qf, "pca", err))) goto done;
    double *Bt = Q; /* cm x qf fits: qf <= qc <= q */
    mul_Mt(s, tr, Y, qf, Bt);
    size_t r = zmin(cm, qf);
    S = mm_alloc_array(r, sizeof *S);
    W = mm_alloc_array(cm, r * sizeof *W);
    ZT = mm_alloc_array(r, qf * sizeof *ZT);
    U = mm_alloc_array(rm, k * sizeof *U);
    if (!S || !W || !ZT || !U) goto oom;
    if ((st = mm_decomp_svd('S', cm, qf, Bt, cm, S, W, cm, ZT, r, "pca", err))) goto done;
    /* B = Z S W^T, so M's left vectors are Q_f Z and its right vectors W:
     * U (rm x k) = Y ZT[:k, :]^T */
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, (int)rm, (int)k, (int)qf, 1.0, Y,
                (int)rm, ZT, (int)r, 0.0, U, (int)rm);
    double dof = (double)n - 1.0, sum_ev = 0.0;
    for (size_t c = 0; c < k; c++) {
        /* the sign is decided on Xc's left vector: U's column, or W's when
         * M = Xc^T; the component is Xc's right vector: W's column, or U's */
        const double *left = tr ? W + c * cm : U + c * rm;
        const double *right = tr ? U + c * rm : W + c * cm;
        double sg = flip_sign(left, n, 1);
        for (size_t j = 0; j < p; j++) m->components[c * p + j] = sg * right[j];
        m->sv[c] = S[c];
        m->ev[c] = S[c] * S[c] / dof;
        m->ratio[c] = m->ev[c] / total_var;
        sum_ev += m->ev[c];
    }
    size_t mn = zmin(n, p);
    m->noise = k < mn ? (total_var - sum_ev) / (double)(mn - k) : 0.0;
    goto done;
oom:
    st = mm_error_set(err, MM_ENOMEM, "pca: out of memory (randomized solver, %zu x %zu, %zu "
                                      "vectors)", n, p, q);
done:
    free(Q);
    free(Y);
    free(G);
    free(S);
    free(W);
    free(ZT);
    free(U);
    return st;
}

/* ================================================================ fit */

static mm_pca_solver resolve_solver(mm_pca_solver s, size_t n, size_t p, size_t k)
{
    if (s != MM_PCA_AUTO) return s;
    if (zmax(n, p) <= 500) return MM_PCA_FULL;
    if ((double)k < 0.8 * (double)zmin(n, p)) return MM_PCA_RANDOMIZED;
    return MM_PCA_FULL;
}

static mm_status pca_fit(const mm_pca_params *prm, const mm_mat *X, const mm_csr *S,
                         mm_pca_path path, size_t block_bytes, mm_pca **out, mm_error *err)
{
    if (!out) return mm_error_set(err, MM_EINVAL, "pca: NULL output");
    *out = NULL;
    mm_status st;
    if ((st = mm_pca_params_check(prm, err))) return st;
    if (X ? (st = check_dense(X, "pca: X", err)) : (st = check_csr(S, "pca: X", err))) return st;
    size_t n = X ? X->rows : S->rows, p = X ? X->cols : S->cols, k = prm->n_components;
    if (n < 2) return mm_error_set(err, MM_EINVAL, "pca: needs at least 2 rows, got %zu", n);
    if (k > zmin(n, p))
        return mm_error_set(err, MM_EINVAL,
                            "pca: n_components = %zu exceeds min(rows, columns) = min(%zu, %zu)",
                            k, n, p);
    size_t np8;
    if (!fits_int(n) || !fits_int(p) || !mm_size_mul(n, p, &np8) ||
        !mm_size_mul(np8, sizeof(double), &np8))
        return mm_error_set(err, MM_EINVAL, "pca: %zu x %zu matrix is too large", n, p);

    mm_pca *m = pca_alloc(p, k);
    double *ss = mm_alloc_array(p, sizeof(double));
    pca_src s = {0};
    double *Xc = NULL;
    if (!m || !ss) goto oom;
    m->n_samples = n;
    m->n_threads = prm->n_threads;
    m->solver = resolve_solver(prm->solver, n, p, k);
    m->path = MM_PCA_PATH_AUTO;

    s.n = n;
    s.p = p;
    s.X = X;
    s.S = S;
    s.mean = m->mean;
    s.n_threads = prm->n_threads;
    if (X) {
        stat_task t = {X, m->mean, ss};
        mm_parallel_for((p + PCA_STAT_COLS - 1) / PCA_STAT_COLS, prm->n_threads, stat_chunk, &t);
    } else {
        if ((st = csr_transpose(S, &s.T, err))) goto fail;
        csr_stats(&s.T, n, m->mean, ss);
    }
    double total_ss = 0.0;
    for (size_t j = 0; j < p; j++) total_ss += ss[j];
    if (!isfinite(total_ss)) {
        st = X ? first_nonfinite(X, "pca: X", err)
               : mm_error_set(err, MM_ENUMERIC, "pca: X: values too large (variance overflows)");
        goto fail;
    }

    if (m->solver == MM_PCA_FULL) {
        Xc = mm_alloc_array(n, p * sizeof(double));
        if (!Xc) goto oom;
        if (X) {
            src_convert_colmajor(&s, Xc);
        } else {
            for (size_t j = 0; j < p; j++)
                for (size_t i = 0; i < n; i++) Xc[i + j * n] = -m->mean[j];
            for (size_t i = 0; i < n; i++)
                for (int64_t t = S->indptr[i]; t < S->indptr[i + 1]; t++)
                    Xc[i + (size_t)S->indices[t] * n] += (double)S->data[t];
        }
        st = pca_full(m, Xc, n, p, err);
        free(Xc);
        Xc = NULL;
        if (st) goto fail;
    } else {
        size_t q = k + prm->n_oversamples;
        int it = auto_n_iter(prm, k, n, p);
        size_t cm = zmin(n, p), rm = zmax(n, p), cm2;
        bool gram = false;
        if (X && it > 0 && mm_size_mul(cm, cm * sizeof(double), &cm2) &&
            cm2 <= PCA_GRAM_MAX_BYTES) {
            if (path == MM_PCA_PATH_GRAM) gram = true;
            else if (path == MM_PCA_PATH_AUTO)
                gram = prefer_gram(n, p, q, it, prm->precision == MM_PCA_PRECISION_MIXED);
        }
        m->path = X && it > 0 ? (gram ? MM_PCA_PATH_GRAM : MM_PCA_PATH_DIRECT) : MM_PCA_PATH_AUTO;
        if (X) {
            size_t budget = block_bytes ? block_bytes
                            : (!gram && np8 <= PCA_RESIDENT_DIRECT_BYTES) ? np8
                                                                           : PCA_BLOCK_BYTES;
            s.resident = np8 <= budget;
            s.f32_gram = gram && prm->precision == MM_PCA_PRECISION_MIXED;
            s.fblock = block_bytes ? block_bytes : PCA_BLOCK_BYTES;
            s.block_rows = s.resident ? n : zmax(1, budget / (p * sizeof(double)));
            s.slab_cols = zmax(1, budget / (n * sizeof(double)));
            size_t cap = s.resident ? n * p : zmax(s.block_rows * p, s.slab_cols * n);
            s.buf = mm_alloc_array(cap, sizeof(double));
            if (!s.buf) goto oom;
        } else {
            size_t big = zmax(q, 1) * rm;
            s.scratch = mm_alloc_array(big, 2 * sizeof(double));
            s.vec = mm_alloc_array(zmax(q, 1), sizeof(double));
            if (!s.scratch || !s.vec) goto oom;
        }
        if ((st = pca_randomized(m, &s, prm, gram, total_ss / ((double)n - 1.0), err))) goto fail;
    }
    src_release(&s);
    free(ss);
    *out = m;
    return MM_OK;
oom:
    st = mm_error_set(err, MM_ENOMEM, "pca: out of memory (%zu x %zu)", n, p);
fail:
    src_release(&s);
    free(Xc);
    free(ss);
    mm_pca_free(m);
    return st;
}

mm_status mm_pca_fit_dense(const mm_pca_params *p, const mm_mat *X, mm_pca **out, mm_error *err)
{
    if (!X) {
        if (out) *out = NULL;
        return mm_error_set(err, MM_EINVAL, "pca: NULL matrix");
    }
    return pca_fit(p, X, NULL, MM_PCA_PATH_AUTO, 0, out, err);
}

mm_status mm_pca_fit_dense_ex(const mm_pca_params *p, const mm_mat *X, mm_pca_path path,
                              size_t block_bytes, mm_pca **out, mm_error *err)
{
    if (!X) {
        if (out) *out = NULL;
        return mm_error_set(err, MM_EINVAL, "pca: NULL matrix");
    }
    return pca_fit(p, X, NULL, path, block_bytes, out, err);
}

mm_status mm_pca_fit_csr(const mm_pca_params *p, const mm_csr *X, mm_pca **out, mm_error *err)
{
    if (!X) {
        if (out) *out = NULL;
        return mm_error_set(err, MM_EINVAL, "pca: NULL matrix");
    }
    return pca_fit(p, NULL, X, MM_PCA_PATH_AUTO, 0, out, err);
}

/* ================================================================ transform */

static mm_status transform_prepare(const mm_pca *m, size_t rows, size_t cols, mm_mat *out,
                                   mm_error *err)
{
    if (!out) return mm_error_set(err, MM_EINVAL, "pca transform: NULL output");
    memset(out, 0, sizeof *out);
    if (!m) return mm_error_set(err, MM_EINVAL, "pca transform: NULL model");
    if (cols != m->dim)
        return mm_error_set(err, MM_EINVAL, "pca transform: X has %zu columns, the PCA was fit "
                                            "on %zu", cols, m->dim);
    if (!fits_int(rows) || !fits_int(cols))
        return mm_error_set(err, MM_EINVAL, "pca transform: %zu x %zu matrix is too large", rows,
                            cols);
    return mm_mat_alloc(out, rows, m->k, err);
}

mm_status mm_pca_transform_dense(const mm_pca *m, const mm_mat *X, mm_mat *out, mm_error *err)
{
    mm_status st;
    if (!X) {
        if (out) memset(out, 0, sizeof *out);
        return mm_error_set(err, MM_EINVAL, "pca transform: NULL matrix");
    }
    if ((st = check_dense(X, "pca transform: X", err))) {
        if (out) memset(out, 0, sizeof *out);
        return st;
    }
    if ((st = transform_prepare(m, X->rows, X->cols, out, err))) return st;
    size_t n = X->rows, p = m->dim, k = m->k;
    for (size_t i = 0; i < n; i++) {
        const float *row = mm_mat_row(X, i);
        for (size_t j = 0; j < p; j++)
            if (!isfinite(row[j])) {
                mm_mat_free(out);
                return mm_error_set(err, MM_ENUMERIC, "pca transform: row %zu, column %zu: %s "
                                                      "value", i, j,
                                    isnan(row[j]) ? "NaN" : "infinite");
            }
    }
    size_t nb = zmax(1, zmin(n, PCA_BLOCK_BYTES / (8 * p)));
    double *buf = mm_alloc_array(nb, p * sizeof(double));
    double *ob = mm_alloc_array(nb, k * sizeof(double));
    if (!buf || !ob) {
        free(buf);
        free(ob);
        mm_mat_free(out);
        return mm_error_set(err, MM_ENOMEM, "pca transform: out of memory");
    }
    pca_src s = {0};
    s.n = n;
    s.p = p;
    s.X = X;
    s.mean = m->mean;
    s.n_threads = m->n_threads;
    for (size_t r0 = 0; r0 < n; r0 += nb) {
        size_t b = zmin(nb, n - r0);
        src_convert(&s, r0, b, 0, p, buf);
        /* ob (k x b, column-major) = components (k x p) . Xc_block^T */
        cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, (int)k, (int)b, (int)p, 1.0,
                    m->components, (int)p, buf, (int)p, 0.0, ob, (int)k);
        for (size_t i = 0; i < b; i++) {
            float *o = mm_mat_row(out, r0 + i);
            for (size_t c = 0; c < k; c++) o[c] = (float)ob[i * k + c];
        }
    }
    free(buf);
    free(ob);
    return MM_OK;
}

mm_status mm_pca_transform_csr(const mm_pca *m, const mm_csr *X, mm_mat *out, mm_error *err)
{
    mm_status st;
    if ((st = check_csr(X, "pca transform: X", err))) {
        if (out) memset(out, 0, sizeof *out);
        return st;
    }
    if ((st = transform_prepare(m, X->rows, X->cols, out, err))) return st;
    size_t n = X->rows, p = m->dim, k = m->k;
    double *A = mm_alloc_array(p, k * sizeof(double));
    double *v = mm_alloc_array(k, sizeof(double));
    double *ob = mm_alloc_array(n, k * sizeof(double));
    if (!A || !v || !ob) {
        free(A);
        free(v);
        free(ob);
        mm_mat_free(out);
        return mm_error_set(err, MM_ENOMEM, "pca transform: out of memory");
    }
    /* A = components^T (p x k, row-major); v = mean . components^T */
    for (size_t c = 0; c < k; c++) {
        double acc = 0.0;
        for (size_t j = 0; j < p; j++) {
            A[j * k + c] = m->components[c * p + j];
            acc += m->mean[j] * m->components[c * p + j];
        }
        v[c] = acc;
    }
    pca_src s = {0};
    s.n_threads = m->n_threads;
    spmm(&s, X, A, NULL, v, k, ob);
    for (size_t i = 0; i < n; i++) {
        float *o = mm_mat_row(out, i);
        for (size_t c = 0; c < k; c++) o[c] = (float)ob[i * k + c];
    }
    free(A);
    free(v);
    free(ob);
    return MM_OK;
}
