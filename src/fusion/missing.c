/* Missing-modality strategies, applied to a block's raw values before
 * scaling (as the article's handle_missing_modality does):
 *   zero   absent rows stay all-zero;
 *   mean   absent rows get the mean of the present *training* rows;
 *   flag   zero, plus a last column "<block>_present" (1 = present), added
 *          only when some training row lacked the modality;
 *   remove zero here; the models skip training rows that lack the block
 *          (the caller's job, using the present flags).
 * Fitting sees only the rows it is given (the training fold). */
#include "mmfuse/fusion.h"

#include <stdlib.h>
#include <string.h>

static const char *const names[] = {"zero", "mean", "flag", "remove"};

const char *mm_missing_name(mm_missing m)
{
    return (unsigned)m < 4 ? names[m] : "?";
}

int mm_missing_parse(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0) return i;
    return -1;
}

void mm_missing_fit_free(mm_missing_fit *f)
{
    if (!f) return;
    free(f->mean);
    memset(f, 0, sizeof *f);
}

mm_status mm_missing_fit_block(mm_missing strategy, const mm_block *b, mm_missing_fit *out, mm_error *err)
{
    memset(out, 0, sizeof *out);
    out->strategy = strategy;
    out->dim_in = b->dim;
    size_t present = mm_block_count_present(b);
    out->flag = strategy == MM_MISSING_FLAG && present < b->rows;
    if (strategy != MM_MISSING_MEAN) return MM_OK;
    double *acc = calloc(b->dim ? b->dim : 1, sizeof *acc);
    out->mean = calloc(b->dim ? b->dim : 1, sizeof *out->mean);
    if (!acc || !out->mean) {
        free(acc);
        mm_missing_fit_free(out);
        return mm_error_set(err, MM_ENOMEM, "out of memory (mean imputation of '%s')", b->name);
    }
    for (size_t i = 0; i < b->rows; i++) {
        if (!b->present[i]) continue;
        if (b->sparse) {
            for (int64_t k = b->csr.indptr[i]; k < b->csr.indptr[i + 1]; k++) acc[b->csr.indices[k]] += b->csr.data[k];
        } else {
            const float *x = mm_mat_row(&b->dense, i);
            for (size_t j = 0; j < b->dim; j++) acc[j] += x[j];
        }
    }
    for (size_t j = 0; j < b->dim && present; j++) out->mean[j] = (float)(acc[j] / (double)present);
    free(acc);
    return MM_OK;
}

size_t mm_missing_out_dim(const mm_missing_fit *f)
{
    return f->dim_in + (f->flag ? 1 : 0);
}

/* Dense: a new matrix with the flag column, absent rows filled. */
static mm_status apply_dense(const mm_missing_fit *f, mm_block *b, mm_error *err)
{
    size_t dout = mm_missing_out_dim(f);
    if (dout == b->dim) {
        if (f->strategy == MM_MISSING_MEAN)
            for (size_t i = 0; i < b->rows; i++)
                if (!b->present[i]) memcpy(mm_mat_row(&b->dense, i), f->mean, b->dim * sizeof(float));
        return MM_OK;
    }
    mm_mat m;
    mm_status st = mm_mat_alloc(&m, b->rows, dout, err);
    if (st) return st;
    for (size_t i = 0; i < b->rows; i++) {
        float *dst = mm_mat_row(&m, i);
        memcpy(dst, mm_mat_row(&b->dense, i), b->dim * sizeof(float));
        dst[b->dim] = b->present[i] ? 1.0f : 0.0f;
    }
    mm_mat_free(&b->dense);
    b->dense = m;
    b->dim = dout;
    b->present_column = true;
    return MM_OK;
}

static mm_status apply_sparse(const mm_missing_fit *f, mm_block *b, mm_error *err)
{
    size_t dout = mm_missing_out_dim(f), nnz_mean = 0, nnz = 0;
    bool fill = f->strategy == MM_MISSING_MEAN;
    if (dout == b->dim && !fill) return MM_OK;
    if (fill)
        for (size_t j = 0; j < b->dim; j++) nnz_mean += f->mean[j] != 0.0f;
    for (size_t i = 0; i < b->rows; i++) {
        nnz += (size_t)(b->csr.indptr[i + 1] - b->csr.indptr[i]);
        if (!b->present[i] && fill) nnz += nnz_mean;
        if (f->flag && b->present[i]) nnz++;
    }
    mm_csr out;
    mm_status st = mm_csr_alloc(&out, b->rows, dout, nnz, err);
    if (st) return st;
    size_t at = 0;
    for (size_t i = 0; i < b->rows; i++) {
        if (!b->present[i] && fill) {
            for (size_t j = 0; j < b->dim; j++)
                if (f->mean[j] != 0.0f) {
                    out.indices[at] = (int32_t)j;
                    out.data[at++] = f->mean[j];
                }
        } else {
            for (int64_t k = b->csr.indptr[i]; k < b->csr.indptr[i + 1]; k++) {
                out.indices[at] = b->csr.indices[k];
                out.data[at++] = b->csr.data[k];
            }
        }
        if (f->flag && b->present[i]) {
            out.indices[at] = (int32_t)b->dim;
            out.data[at++] = 1.0f;
        }
        out.indptr[i + 1] = (int64_t)at;
    }
    mm_csr_free(&b->csr);
    b->csr = out;
    b->dim = dout;
    b->present_column = f->flag;
    return MM_OK;
}

mm_status mm_missing_apply(const mm_missing_fit *f, mm_block *b, mm_error *err)
{
    if (b->dim != f->dim_in)
        return mm_error_set(err, MM_EINVAL, "block '%s' has %zu columns, the missing-value step expects %zu", b->name,
                            b->dim, f->dim_in);
    return b->sparse ? apply_sparse(f, b, err) : apply_dense(f, b, err);
}
