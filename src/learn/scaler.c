/* StandardScaler as scikit-learn 1.2 computes it:
 * column sums in row order in double, the corrected two-pass variance,
 * NaN ignored in the statistics, the constant-feature test, and transforms
 * that round to float after each step exactly as numpy's in-place
 * operations on a float32 array do. */
#include "mmfuse/learn.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct mm_scaler {
    size_t dim;
    bool with_mean;
    bool with_std;
    double *mean, *var, *scale;
};

static mm_scaler *scaler_alloc(size_t dim)
{
    mm_scaler *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->dim = dim;
    s->mean = mm_calloc_array(dim, sizeof(double));
    s->var = mm_calloc_array(dim, sizeof(double));
    s->scale = mm_alloc_array(dim, sizeof(double));
    if (!s->mean || !s->var || !s->scale) {
        mm_scaler_free(s);
        return NULL;
    }
    return s;
}

void mm_scaler_free(mm_scaler *s)
{
    if (!s) return;
    free(s->mean);
    free(s->var);
    free(s->scale);
    free(s);
}

/* scale = sqrt(var), or 1 for a feature scikit-learn calls constant:
 * var <= n·eps·var + (n·mean·eps)², with n the non-NaN count. */
static void finish_scale(mm_scaler *s, const double *count, bool with_std)
{
    const double eps = DBL_EPSILON;
    for (size_t j = 0; j < s->dim; j++) {
        double v = s->var[j], n = count[j];
        bool constant = v <= n * eps * v + (n * s->mean[j] * eps) * (n * s->mean[j] * eps);
        s->scale[j] = (!with_std || constant) ? 1.0 : sqrt(v);
    }
}

mm_status mm_scaler_fit_dense(const mm_mat *X, bool with_mean, bool with_std, mm_scaler **out,
                              mm_error *err)
{
    if (!out) return mm_error_set(err, MM_EINVAL, "scaler: NULL output");
    *out = NULL;
    if (!X || X->rows == 0 || X->cols == 0 || !X->data || (X->rows > 1 && X->stride < X->cols))
        return mm_error_set(err, MM_EINVAL, "scaler: empty or malformed input matrix");
    size_t n = X->rows, p = X->cols;
    for (size_t i = 0; i < n; i++) {
        const float *row = mm_mat_row(X, i);
        for (size_t j = 0; j < p; j++)
            if (isinf(row[j]))
                return mm_error_set(err, MM_ENUMERIC, "scaler: row %zu, column %zu: infinite value",
                                    i, j);
    }
    mm_scaler *s = scaler_alloc(p);
    double *work = mm_calloc_array(p, 3 * sizeof(double));
    if (!s || !work) {
        mm_scaler_free(s);
        free(work);
        return mm_error_set(err, MM_ENOMEM, "scaler: out of memory (%zu features)", p);
    }
    s->with_mean = with_mean;
    s->with_std = with_std;
    double *count = work, *corr = work + p, *sq = work + 2 * p;

    /* sums in row order, as numpy reduces axis 0 of a C-ordered array */
    double *sum = s->var; /* borrowed as the sum accumulator */
    for (size_t i = 0; i < n; i++) {
        const float *row = mm_mat_row(X, i);
        for (size_t j = 0; j < p; j++) {
            double v = (double)row[j];
            if (v == v) {
                sum[j] += v;
                count[j] += 1.0;
            }
        }
    }
    for (size_t j = 0; j < p; j++) s->mean[j] = sum[j] / count[j];

    /* corrected two-pass variance around T = sum / n (= mean) */
    for (size_t i = 0; i < n; i++) {
        const float *row = mm_mat_row(X, i);
        for (size_t j = 0; j < p; j++) {
            double d = (double)row[j] - s->mean[j];
            if (d == d) {
                corr[j] += d;
                sq[j] += d * d;
            }
        }
    }
    for (size_t j = 0; j < p; j++) {
        double unnorm = sq[j] - corr[j] * corr[j] / count[j];
        s->var[j] = unnorm / count[j];
    }
    finish_scale(s, count, with_std);
    free(work);
    *out = s;
    return MM_OK;
}

static mm_status csr_check(const mm_csr *X, const char *what, mm_error *err)
{
    if (!X || !X->indptr || (X->nnz > 0 && (!X->indices || !X->data)))
        return mm_error_set(err, MM_EINVAL, "%s: malformed sparse matrix", what);
    if (X->indptr[0] != 0 || X->indptr[X->rows] < 0 || (uint64_t)X->indptr[X->rows] != X->nnz)
        return mm_error_set(err, MM_EINVAL, "%s: indptr does not span the %zu nonzeros", what,
                            X->nnz);
    for (size_t i = 0; i < X->rows; i++) {
        if (X->indptr[i + 1] < X->indptr[i])
            return mm_error_set(err, MM_EINVAL, "%s: indptr decreases at row %zu", what, i);
        for (int64_t k = X->indptr[i]; k < X->indptr[i + 1]; k++) {
            if (X->indices[k] < 0 || (size_t)X->indices[k] >= X->cols)
                return mm_error_set(err, MM_EINVAL, "%s: row %zu: column index %d out of range", what,
                                    i, (int)X->indices[k]);
            if (isinf(X->data[k]))
                return mm_error_set(err, MM_ENUMERIC, "%s: row %zu, column %d: infinite value", what,
                                    i, (int)X->indices[k]);
        }
    }
    return MM_OK;
}

mm_status mm_scaler_fit_csr(const mm_csr *X, bool with_std, mm_scaler **out, mm_error *err)
{
    if (!out) return mm_error_set(err, MM_EINVAL, "scaler: NULL output");
    *out = NULL;
    if (!X || X->rows == 0 || X->cols == 0)
        return mm_error_set(err, MM_EINVAL, "scaler: empty sparse matrix");
    mm_status st = csr_check(X, "scaler", err);
    if (st) return st;
    size_t n = X->rows, p = X->cols;
    mm_scaler *s = scaler_alloc(p);
    double *work = mm_calloc_array(p, 4 * sizeof(double));
    if (!s || !work) {
        mm_scaler_free(s);
        free(work);
        return mm_error_set(err, MM_ENOMEM, "scaler: out of memory (%zu features)", p);
    }
    s->with_mean = false;
    s->with_std = with_std;
    /* sw: non-NaN count; nz: stored non-NaN count; implicit zeros are values */
    double *sw = work, *nz = work + p, *corr = work + 2 * p, *sq = work + 3 * p;
    for (size_t j = 0; j < p; j++) sw[j] = (double)n;
    for (size_t i = 0; i < n; i++)
        for (int64_t k = X->indptr[i]; k < X->indptr[i + 1]; k++) {
            size_t j = (size_t)X->indices[k];
            double v = (double)X->data[k];
            if (v == v) {
                s->mean[j] += v;
                nz[j] += 1.0;
            } else {
                sw[j] -= 1.0;
            }
        }
    for (size_t j = 0; j < p; j++) s->mean[j] /= sw[j];
    for (size_t i = 0; i < n; i++)
        for (int64_t k = X->indptr[i]; k < X->indptr[i + 1]; k++) {
            size_t j = (size_t)X->indices[k];
            double d = (double)X->data[k] - s->mean[j];
            if (d == d) {
                corr[j] += d;
                sq[j] += d * d;
            }
        }
    for (size_t j = 0; j < p; j++) {
        double c = corr[j], v = sq[j];
        if (sw[j] != nz[j]) { /* the implicit zeros, each at distance -mean */
            c -= (sw[j] - nz[j]) * s->mean[j];
            v += (sw[j] - nz[j]) * s->mean[j] * s->mean[j];
        }
        c = c * c / sw[j];
        /* scikit-learn returns float32 statistics for float32 input */
        s->mean[j] = (double)(float)s->mean[j];
        s->var[j] = (double)(float)((v - c) / sw[j]);
    }
    finish_scale(s, sw, with_std);
    free(work);
    *out = s;
    return MM_OK;
}

mm_status mm_scaler_transform_dense(const mm_scaler *s, mm_mat *X, mm_error *err)
{
    if (!s || !X || (X->rows > 0 && X->cols > 0 && !X->data))
        return mm_error_set(err, MM_EINVAL, "scaler transform: NULL scaler or matrix");
    if (X->cols != s->dim)
        return mm_error_set(err, MM_EINVAL, "scaler transform: %zu columns, the scaler has %zu",
                            X->cols, s->dim);
    for (size_t i = 0; i < X->rows; i++) {
        float *row = mm_mat_row(X, i);
        for (size_t j = 0; j < X->cols; j++) {
            float v = row[j];
            if (s->with_mean) v = (float)((double)v - s->mean[j]);
            if (s->with_std) v = (float)((double)v / s->scale[j]);
            row[j] = v;
        }
    }
    return MM_OK;
}

mm_status mm_scaler_transform_csr(const mm_scaler *s, mm_csr *X, mm_error *err)
{
    if (!s || !X) return mm_error_set(err, MM_EINVAL, "scaler transform: NULL scaler or matrix");
    if (X->cols != s->dim)
        return mm_error_set(err, MM_EINVAL, "scaler transform: %zu columns, the scaler has %zu",
                            X->cols, s->dim);
    if (s->with_mean)
        return mm_error_set(err, MM_EINVAL, "scaler transform: cannot center a sparse matrix");
    if (!X->indptr || (X->nnz > 0 && (!X->indices || !X->data)))
        return mm_error_set(err, MM_EINVAL, "scaler transform: malformed sparse matrix");
    if (!s->with_std) return MM_OK;
    for (size_t k = 0; k < X->nnz; k++) {
        int32_t j = X->indices[k];
        if (j < 0 || (size_t)j >= s->dim)
            return mm_error_set(err, MM_EINVAL, "scaler transform: column index %d out of range",
                                (int)j);
    }
    for (size_t k = 0; k < X->nnz; k++)
        X->data[k] = (float)((double)X->data[k] * (1.0 / s->scale[X->indices[k]]));
    return MM_OK;
}

size_t mm_scaler_dim(const mm_scaler *s) { return s ? s->dim : 0; }
bool mm_scaler_with_mean(const mm_scaler *s) { return s ? s->with_mean : false; }
const double *mm_scaler_mean(const mm_scaler *s) { return s ? s->mean : NULL; }
const double *mm_scaler_var(const mm_scaler *s) { return s ? s->var : NULL; }
const double *mm_scaler_scale(const mm_scaler *s) { return s ? s->scale : NULL; }

mm_status mm_scaler_from_parts(size_t dim, bool with_mean, const double *mean, const double *var,
                               const double *scale, mm_scaler **out, mm_error *err)
{
    if (!out) return mm_error_set(err, MM_EINVAL, "scaler from parts: NULL output");
    *out = NULL;
    if (dim == 0 || !scale || (with_mean && !mean))
        return mm_error_set(err, MM_EINVAL, "scaler from parts: missing statistics");
    for (size_t j = 0; j < dim; j++) {
        if (scale[j] <= 0.0 || isinf(scale[j]))
            return mm_error_set(err, MM_EINVAL, "scaler from parts: scale[%zu] = %g is invalid", j,
                                scale[j]);
        if (mean && isinf(mean[j]))
            return mm_error_set(err, MM_EINVAL, "scaler from parts: mean[%zu] is infinite", j);
    }
    mm_scaler *s = scaler_alloc(dim);
    if (!s) return mm_error_set(err, MM_ENOMEM, "scaler from parts: out of memory");
    s->with_mean = with_mean;
    s->with_std = true;
    for (size_t j = 0; j < dim; j++) {
        s->mean[j] = mean ? mean[j] : 0.0;
        s->var[j] = var ? var[j] : NAN;
        s->scale[j] = scale[j];
    }
    *out = s;
    return MM_OK;
}
