/* The design-matrix view: construction, validation and the two products a
 * linear model needs (Z = X·Wt and Gt = Xᵀ·R) over dense and CSR parts. */
#include "learn/xmat.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

mm_xmat mm_xmat_empty(size_t rows)
{
    mm_xmat x;
    memset(&x, 0, sizeof x);
    x.rows = rows;
    return x;
}

static mm_status xmat_add(mm_xmat *x, const mm_mat *d, const mm_csr *s, mm_error *err)
{
    if (!x) return mm_error_set(err, MM_EINVAL, "design matrix: NULL view");
    if (!d && !s) return mm_error_set(err, MM_EINVAL, "design matrix: NULL part");
    size_t rows = d ? d->rows : s->rows, cols = d ? d->cols : s->cols, total;
    if (x->n_parts >= MM_XMAT_MAX_PARTS)
        return mm_error_set(err, MM_EINVAL, "design matrix: more than %d parts",
                            (int)MM_XMAT_MAX_PARTS);
    if (rows != x->rows)
        return mm_error_set(err, MM_EINVAL, "design matrix: part %zu has %zu rows, expected %zu",
                            x->n_parts, rows, x->rows);
    if (d && d->stride < d->cols && d->rows > 1)
        return mm_error_set(err, MM_EINVAL, "design matrix: part %zu has stride %zu < %zu columns",
                            x->n_parts, d->stride, d->cols);
    if (!mm_size_add(x->cols, cols, &total))
        return mm_error_set(err, MM_EINVAL, "design matrix: column count overflows");
    mm_xpart *p = &x->parts[x->n_parts++];
    p->dense = d;
    p->sparse = s;
    p->col0 = x->cols;
    x->cols = total;
    return MM_OK;
}

mm_status mm_xmat_add_dense(mm_xmat *x, const mm_mat *m, mm_error *err)
{
    if (!m) return mm_error_set(err, MM_EINVAL, "design matrix: NULL dense part");
    return xmat_add(x, m, NULL, err);
}

mm_status mm_xmat_add_sparse(mm_xmat *x, const mm_csr *m, mm_error *err)
{
    if (!m) return mm_error_set(err, MM_EINVAL, "design matrix: NULL sparse part");
    return xmat_add(x, NULL, m, err);
}

/* ------------------------------------------------------------ checks */

mm_status mm_xmat_validate(const mm_xmat *x, const char *what, mm_error *err)
{
    if (!x) return mm_error_set(err, MM_EINVAL, "%s: NULL design matrix", what);
    if (x->n_parts > MM_XMAT_MAX_PARTS)
        return mm_error_set(err, MM_EINVAL, "%s: %zu parts (at most %d)", what, x->n_parts,
                            (int)MM_XMAT_MAX_PARTS);
    size_t col = 0;
    for (size_t q = 0; q < x->n_parts; q++) {
        const mm_xpart *p = &x->parts[q];
        if ((p->dense != NULL) == (p->sparse != NULL))
            return mm_error_set(err, MM_EINVAL, "%s: part %zu must be either dense or sparse",
                                what, q);
        if (p->col0 != col)
            return mm_error_set(err, MM_EINVAL, "%s: part %zu starts at column %zu, expected %zu",
                                what, q, p->col0, col);
        if (p->dense) {
            const mm_mat *m = p->dense;
            if (m->rows != x->rows)
                return mm_error_set(err, MM_EINVAL, "%s: part %zu has %zu rows, expected %zu",
                                    what, q, m->rows, x->rows);
            if (m->cols > INT32_MAX)
                return mm_error_set(err, MM_EINVAL, "%s: dense part %zu is too wide (%zu columns)",
                                    what, q, m->cols);
            if (m->rows > 0 && m->cols > 0 && (!m->data || m->stride < m->cols))
                return mm_error_set(err, MM_EINVAL, "%s: dense part %zu has no data or a bad stride",
                                    what, q);
            col += m->cols;
        } else {
            const mm_csr *s = p->sparse;
            if (s->rows != x->rows)
                return mm_error_set(err, MM_EINVAL, "%s: part %zu has %zu rows, expected %zu",
                                    what, q, s->rows, x->rows);
            if (!s->indptr || (s->nnz > 0 && (!s->indices || !s->data)))
                return mm_error_set(err, MM_EINVAL, "%s: sparse part %zu has no index arrays", what,
                                    q);
            if (s->indptr[0] != 0 || s->indptr[s->rows] < 0 || (uint64_t)s->indptr[s->rows] != s->nnz)
                return mm_error_set(err, MM_EINVAL, "%s: sparse part %zu: indptr does not span nnz",
                                    what, q);
            for (size_t i = 0; i < s->rows; i++)
                if (s->indptr[i + 1] < s->indptr[i])
                    return mm_error_set(err, MM_EINVAL,
                                        "%s: sparse part %zu: indptr decreases at row %zu", what, q, i);
            for (size_t k = 0; k < s->nnz; k++)
                if (s->indices[k] < 0 || (size_t)s->indices[k] >= s->cols)
                    return mm_error_set(err, MM_EINVAL,
                                        "%s: sparse part %zu: column index %d out of range [0, %zu)",
                                        what, q, (int)s->indices[k], s->cols);
            col += s->cols;
        }
    }
    if (col != x->cols)
        return mm_error_set(err, MM_EINVAL, "%s: parts hold %zu columns, the view says %zu", what,
                            col, x->cols);
    return MM_OK;
}

enum { FINITE_CHUNK_ROWS = 1024 };

typedef struct finite_job {
    const mm_xmat *x;
    size_t *bad_row, *bad_col; /* per chunk; bad_row == SIZE_MAX when clean */
} finite_job;

static void finite_chunk(size_t c, void *user)
{
    finite_job *j = user;
    const mm_xmat *x = j->x;
    size_t r1 = c * FINITE_CHUNK_ROWS, r2 = r1 + FINITE_CHUNK_ROWS;
    if (r2 > x->rows) r2 = x->rows;
    j->bad_row[c] = SIZE_MAX;
    for (size_t i = r1; i < r2; i++) {
        for (size_t q = 0; q < x->n_parts; q++) {
            const mm_xpart *p = &x->parts[q];
            if (p->dense) {
                const float *row = mm_mat_row(p->dense, i);
                size_t nc = p->dense->cols;
                uint32_t bad = 0;
                for (size_t k = 0; k < nc; k++) {
                    uint32_t b;
                    memcpy(&b, &row[k], sizeof b);
                    bad |= (uint32_t)((b & 0x7f800000u) == 0x7f800000u); /* exponent all ones */
                }
                if (!bad) continue;
                for (size_t k = 0; k < nc; k++)
                    if (!isfinite(row[k])) {
                        j->bad_row[c] = i;
                        j->bad_col[c] = p->col0 + k;
                        return;
                    }
            } else {
                const mm_csr *s = p->sparse;
                for (int64_t k = s->indptr[i]; k < s->indptr[i + 1]; k++)
                    if (!isfinite(s->data[k])) {
                        j->bad_row[c] = i;
                        j->bad_col[c] = p->col0 + (size_t)s->indices[k];
                        return;
                    }
            }
        }
    }
}

mm_status mm_xmat_check_finite(const mm_xmat *x, const char *what, int n_threads, mm_error *err)
{
    size_t n_chunks = (x->rows + FINITE_CHUNK_ROWS - 1) / FINITE_CHUNK_ROWS;
    if (n_chunks == 0) return MM_OK;
    size_t *buf = mm_alloc_array(n_chunks, 2 * sizeof(size_t));
    if (!buf) return mm_error_set(err, MM_ENOMEM, "%s: out of memory checking values", what);
    finite_job j = {x, buf, buf + n_chunks};
    mm_parallel_for(n_chunks, n_threads, finite_chunk, &j);
    mm_status st = MM_OK;
    for (size_t c = 0; c < n_chunks; c++)
        if (buf[c] != SIZE_MAX) {
            st = mm_error_set(err, MM_ENUMERIC, "%s: row %zu, column %zu: non-finite value", what,
                              buf[c], buf[n_chunks + c]);
            break;
        }
    free(buf);
    return st;
}

size_t mm_xmat_dense_cols(const mm_xmat *x)
{
    size_t n = 0;
    for (size_t q = 0; q < x->n_parts; q++)
        if (x->parts[q].dense) n += x->parts[q].dense->cols;
    return n;
}

/* ------------------------------------------------------------ block kernels */

/* The kernels below are vectorized with OpenMP simd; on x86-64 a clone
 * for x86-64-v3 CPUs (AVX2 + FMA, with a*b + c contracted to one fused
 * multiply-add) is chosen at load time when the CPU has it. The rounding is
 * thus fixed by the build and the CPU, never by the thread count. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) && \
    __GNUC__ >= 12
#define MM_SIMD_CLONES \
    __attribute__((target_clones("arch=x86-64-v3", "default"), optimize("fp-contract=fast")))
#else
#define MM_SIMD_CLONES
#endif

void mm_xmat_pack_w(const mm_xmat *x, size_t K, const double *Wt, double *Wm)
{
    for (size_t q = 0; q < x->n_parts; q++) {
        const mm_xpart *p = &x->parts[q];
        size_t nc = p->dense ? p->dense->cols : p->sparse->cols;
        const double *src = Wt + p->col0 * K;
        double *dst = Wm + p->col0 * K;
        if (p->dense && K > 1) {
            for (size_t j = 0; j < nc; j++)
                for (size_t k = 0; k < K; k++) dst[k * nc + j] = src[j * K + k];
        } else {
            memcpy(dst, src, nc * K * sizeof *dst);
        }
    }
}

void mm_xmat_unpack_g(const mm_xmat *x, size_t K, const double *Gm, double *Gt)
{
    for (size_t q = 0; q < x->n_parts; q++) {
        const mm_xpart *p = &x->parts[q];
        size_t nc = p->dense ? p->dense->cols : p->sparse->cols;
        const double *src = Gm + p->col0 * K;
        double *dst = Gt + p->col0 * K;
        if (p->dense && K > 1) {
            for (size_t j = 0; j < nc; j++)
                for (size_t k = 0; k < K; k++) dst[j * K + k] = src[k * nc + j];
        } else {
            memcpy(dst, src, nc * K * sizeof *dst);
        }
    }
}

/* z[k] += x · W[k*p ..] for the nb rows of a dense part. Classes go in
 * groups of four per row (each converted x value feeds four sums); the
 * remaining classes go four rows at a time, so that every inner loop carries
 * four independent sums. */
MM_SIMD_CLONES
static void dense_scores(const float *restrict X, size_t ld, size_t nb, size_t p,
                         const double *restrict W, size_t K, double *restrict Z)
{
    size_t K4 = K & ~(size_t)3;
    for (size_t i = 0; i < nb; i++) {
        const float *restrict x = X + i * ld;
        double *z = Z + i * K;
        for (size_t k = 0; k < K4; k += 4) {
            const double *w0 = W + k * p, *w1 = w0 + p, *w2 = w1 + p, *w3 = w2 + p;
            double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0;
#pragma omp simd reduction(+ : a0, a1, a2, a3)
            for (size_t j = 0; j < p; j++) {
                double v = (double)x[j];
                a0 += v * w0[j];
                a1 += v * w1[j];
                a2 += v * w2[j];
                a3 += v * w3[j];
            }
            z[k] += a0;
            z[k + 1] += a1;
            z[k + 2] += a2;
            z[k + 3] += a3;
        }
    }
    if (K4 == K) return;
    size_t i = 0;
    for (; i + 4 <= nb; i += 4) {
        const float *x0 = X + i * ld, *x1 = x0 + ld, *x2 = x1 + ld, *x3 = x2 + ld;
        for (size_t k = K4; k < K; k++) {
            const double *w = W + k * p;
            double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0;
#pragma omp simd reduction(+ : a0, a1, a2, a3)
            for (size_t j = 0; j < p; j++) {
                double wj = w[j];
                a0 += (double)x0[j] * wj;
                a1 += (double)x1[j] * wj;
                a2 += (double)x2[j] * wj;
                a3 += (double)x3[j] * wj;
            }
            Z[i * K + k] += a0;
            Z[(i + 1) * K + k] += a1;
            Z[(i + 2) * K + k] += a2;
            Z[(i + 3) * K + k] += a3;
        }
    }
    for (; i < nb; i++) {
        const float *x0 = X + i * ld;
        for (size_t k = K4; k < K; k++) {
            const double *w = W + k * p;
            double a0 = 0.0;
#pragma omp simd reduction(+ : a0)
            for (size_t j = 0; j < p; j++) a0 += (double)x0[j] * w[j];
            Z[i * K + k] += a0;
        }
    }
}

/* G[k*p ..] += sum_i R[i,k] x_i. Four rows at a time: each converted x
 * value of the four rows feeds four classes, and each pass over a gradient
 * row adds four contributions. */
MM_SIMD_CLONES
static void dense_grad(const float *restrict X, size_t ld, size_t nb, size_t p,
                       const double *restrict R, size_t K, double *restrict G)
{
    size_t K4 = K & ~(size_t)3, i = 0;
    for (; i + 4 <= nb; i += 4) {
        const float *x0 = X + i * ld, *x1 = x0 + ld, *x2 = x1 + ld, *x3 = x2 + ld;
        const double *q0 = R + i * K, *q1 = q0 + K, *q2 = q1 + K, *q3 = q2 + K;
        for (size_t k = 0; k < K4; k += 4) {
            double *g0 = G + k * p, *g1 = g0 + p, *g2 = g1 + p, *g3 = g2 + p;
            double a0 = q0[k], a1 = q0[k + 1], a2 = q0[k + 2], a3 = q0[k + 3];
            double b0 = q1[k], b1 = q1[k + 1], b2 = q1[k + 2], b3 = q1[k + 3];
            double c0 = q2[k], c1 = q2[k + 1], c2 = q2[k + 2], c3 = q2[k + 3];
            double d0 = q3[k], d1 = q3[k + 1], d2 = q3[k + 2], d3 = q3[k + 3];
#pragma omp simd
            for (size_t j = 0; j < p; j++) {
                double v0 = (double)x0[j], v1 = (double)x1[j];
                double v2 = (double)x2[j], v3 = (double)x3[j];
                g0[j] += (a0 * v0 + b0 * v1) + (c0 * v2 + d0 * v3);
                g1[j] += (a1 * v0 + b1 * v1) + (c1 * v2 + d1 * v3);
                g2[j] += (a2 * v0 + b2 * v1) + (c2 * v2 + d2 * v3);
                g3[j] += (a3 * v0 + b3 * v1) + (c3 * v2 + d3 * v3);
            }
        }
        for (size_t k = K4; k < K; k++) {
            double r0 = q0[k], r1 = q1[k], r2 = q2[k], r3 = q3[k];
            double *g = G + k * p;
#pragma omp simd
            for (size_t j = 0; j < p; j++)
                g[j] += (r0 * (double)x0[j] + r1 * (double)x1[j]) +
                        (r2 * (double)x2[j] + r3 * (double)x3[j]);
        }
    }
    for (; i < nb; i++) {
        const float *x0 = X + i * ld;
        for (size_t k = 0; k < K; k++) {
            double r0 = R[i * K + k];
            double *g = G + k * p;
#pragma omp simd
            for (size_t j = 0; j < p; j++) g[j] += r0 * (double)x0[j];
        }
    }
}

/* Scores of CSR rows. A group of four classes is one vector (the four
 * weights of a column are contiguous); two nonzeros go per step into two
 * independent sums. */
MM_SIMD_CLONES
static void sparse_scores(const mm_csr *s, size_t r0, size_t nb, const double *restrict W,
                          size_t K, double *restrict Z)
{
    const int32_t *restrict idx = s->indices;
    const float *restrict val = s->data;
    for (size_t i = 0; i < nb; i++) {
        int64_t e0 = s->indptr[r0 + i], e1 = s->indptr[r0 + i + 1];
        double *z = Z + i * K;
        size_t k = 0;
        for (; k + 4 <= K; k += 4) {
            double a[4] = {0.0, 0.0, 0.0, 0.0}, b[4] = {0.0, 0.0, 0.0, 0.0};
            int64_t e = e0;
            for (; e + 2 <= e1; e += 2) {
                double v0 = (double)val[e], v1 = (double)val[e + 1];
                const double *w0 = W + (size_t)idx[e] * K + k, *w1 = W + (size_t)idx[e + 1] * K + k;
#pragma omp simd
                for (size_t t = 0; t < 4; t++) {
                    a[t] += v0 * w0[t];
                    b[t] += v1 * w1[t];
                }
            }
            if (e < e1) {
                double v0 = (double)val[e];
                const double *w0 = W + (size_t)idx[e] * K + k;
#pragma omp simd
                for (size_t t = 0; t < 4; t++) a[t] += v0 * w0[t];
            }
            for (size_t t = 0; t < 4; t++) z[k + t] += a[t] + b[t];
        }
        for (; k < K; k++) {
            double a0 = 0.0, a1 = 0.0;
            int64_t e = e0;
            for (; e + 2 <= e1; e += 2) {
                a0 += (double)val[e] * W[(size_t)idx[e] * K + k];
                a1 += (double)val[e + 1] * W[(size_t)idx[e + 1] * K + k];
            }
            if (e < e1) a0 += (double)val[e] * W[(size_t)idx[e] * K + k];
            z[k] += a0 + a1;
        }
    }
}

MM_SIMD_CLONES
static void sparse_grad(const mm_csr *s, size_t r0, size_t nb, const double *restrict R,
                        size_t K, double *restrict G)
{
    const int32_t *restrict idx = s->indices;
    const float *restrict val = s->data;
    for (size_t i = 0; i < nb; i++) {
        int64_t e0 = s->indptr[r0 + i], e1 = s->indptr[r0 + i + 1];
        const double *r = R + i * K;
        size_t k = 0;
        for (; k + 4 <= K; k += 4) {
            double q[4] = {r[k], r[k + 1], r[k + 2], r[k + 3]};
            for (int64_t e = e0; e < e1; e++) {
                double v = (double)val[e];
                double *g = G + (size_t)idx[e] * K + k;
#pragma omp simd
                for (size_t t = 0; t < 4; t++) g[t] += v * q[t];
            }
        }
        for (; k < K; k++) {
            double q0 = r[k];
            for (int64_t e = e0; e < e1; e++) G[(size_t)idx[e] * K + k] += (double)val[e] * q0;
        }
    }
}

void mm_xmat_block_scores(const mm_xmat *x, size_t r0, size_t nb, const double *Wm, size_t K,
                          double *Z)
{
    for (size_t q = 0; q < x->n_parts; q++) {
        const mm_xpart *p = &x->parts[q];
        const double *W = Wm + p->col0 * K;
        if (p->dense) {
            const mm_mat *m = p->dense;
            if (m->cols == 0 || nb == 0) continue;
            dense_scores(mm_mat_row(m, r0), m->stride, nb, m->cols, W, K, Z);
        } else {
            sparse_scores(p->sparse, r0, nb, W, K, Z);
        }
    }
}

void mm_xmat_block_grad(const mm_xmat *x, size_t r0, size_t nb, const double *R, size_t K,
                        double *Gm)
{
    for (size_t q = 0; q < x->n_parts; q++) {
        const mm_xpart *p = &x->parts[q];
        double *G = Gm + p->col0 * K;
        if (p->dense) {
            const mm_mat *m = p->dense;
            if (m->cols == 0 || nb == 0) continue;
            dense_grad(mm_mat_row(m, r0), m->stride, nb, m->cols, R, K, G);
        } else {
            sparse_grad(p->sparse, r0, nb, R, K, G);
        }
    }
}

/* ------------------------------------------------------------ reference twins */

void mm_xmat_gemm_ref(const mm_xmat *x, size_t r0, size_t nb, const double *Wt, size_t K,
                      double *Z)
{
    for (size_t i = 0; i < nb; i++) {
        double *z = Z + i * K;
        for (size_t q = 0; q < x->n_parts; q++) {
            const mm_xpart *p = &x->parts[q];
            const double *W = Wt + p->col0 * K;
            if (p->dense) {
                const float *row = mm_mat_row(p->dense, r0 + i);
                for (size_t j = 0; j < p->dense->cols; j++) {
                    double v = (double)row[j];
                    for (size_t k = 0; k < K; k++) z[k] += v * W[j * K + k];
                }
            } else {
                const mm_csr *s = p->sparse;
                for (int64_t e = s->indptr[r0 + i]; e < s->indptr[r0 + i + 1]; e++) {
                    double v = (double)s->data[e];
                    const double *w = W + (size_t)s->indices[e] * K;
                    for (size_t k = 0; k < K; k++) z[k] += v * w[k];
                }
            }
        }
    }
}

void mm_xmat_gemm_t_ref(const mm_xmat *x, size_t r0, size_t nb, const double *R, size_t K,
                        double *Gt)
{
    for (size_t i = 0; i < nb; i++) {
        const double *r = R + i * K;
        for (size_t q = 0; q < x->n_parts; q++) {
            const mm_xpart *p = &x->parts[q];
            double *G = Gt + p->col0 * K;
            if (p->dense) {
                const float *row = mm_mat_row(p->dense, r0 + i);
                for (size_t j = 0; j < p->dense->cols; j++) {
                    double v = (double)row[j];
                    for (size_t k = 0; k < K; k++) G[j * K + k] += v * r[k];
                }
            } else {
                const mm_csr *s = p->sparse;
                for (int64_t e = s->indptr[r0 + i]; e < s->indptr[r0 + i + 1]; e++) {
                    double v = (double)s->data[e];
                    double *g = G + (size_t)s->indices[e] * K;
                    for (size_t k = 0; k < K; k++) g[k] += v * r[k];
                }
            }
        }
    }
}
