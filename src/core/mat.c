/* Dense and CSR float32 matrices: allocation, row selection, densify. */
#include "mmfuse/core.h"

#include <stdlib.h>
#include <string.h>

void *mm_alloc_array(size_t a, size_t b)
{
    size_t n;
    if (!mm_size_mul(a, b, &n)) return NULL;
    return malloc(n ? n : 1);
}

void *mm_calloc_array(size_t a, size_t b)
{
    size_t n;
    if (!mm_size_mul(a, b, &n)) return NULL;
    return calloc(n ? n : 1, 1);
}

mm_status mm_mat_alloc(mm_mat *m, size_t rows, size_t cols, mm_error *err)
{
    size_t n;
    memset(m, 0, sizeof *m);
    if (!mm_size_mul(rows, cols, &n))
        return mm_error_set(err, MM_EINVAL, "matrix size %zu x %zu overflows", rows, cols);
    m->data = mm_calloc_array(n, sizeof(float));
    if (!m->data)
        return mm_error_set(err, MM_ENOMEM, "cannot allocate a %zu x %zu matrix", rows, cols);
    m->rows = rows;
    m->cols = cols;
    m->stride = cols;
    return MM_OK;
}

void mm_mat_free(mm_mat *m)
{
    if (!m) return;
    free(m->data);
    memset(m, 0, sizeof *m);
}

mm_status mm_csr_alloc(mm_csr *m, size_t rows, size_t cols, size_t nnz, mm_error *err)
{
    memset(m, 0, sizeof *m);
    if (cols > INT32_MAX)
        return mm_error_set(err, MM_EINVAL, "sparse matrix with %zu columns is too wide", cols);
    m->indptr = mm_calloc_array(rows + 1, sizeof(int64_t));
    m->indices = mm_alloc_array(nnz, sizeof(int32_t));
    m->data = mm_alloc_array(nnz, sizeof(float));
    if (!m->indptr || !m->indices || !m->data) {
        mm_csr_free(m);
        return mm_error_set(err, MM_ENOMEM, "cannot allocate a sparse %zu x %zu matrix (%zu nonzeros)",
                            rows, cols, nnz);
    }
    m->rows = rows;
    m->cols = cols;
    m->nnz = nnz;
    return MM_OK;
}

void mm_csr_free(mm_csr *m)
{
    if (!m) return;
    free(m->indptr);
    free(m->indices);
    free(m->data);
    memset(m, 0, sizeof *m);
}

mm_status mm_csr_to_dense(const mm_csr *s, mm_mat *out, mm_error *err)
{
    mm_status st = mm_mat_alloc(out, s->rows, s->cols, err);
    if (st) return st;
    for (size_t i = 0; i < s->rows; i++) {
        float *row = mm_mat_row(out, i);
        for (int64_t k = s->indptr[i]; k < s->indptr[i + 1]; k++) row[s->indices[k]] = s->data[k];
    }
    return MM_OK;
}

mm_status mm_csr_take_rows(const mm_csr *s, const size_t *idx, size_t n, mm_csr *out, mm_error *err)
{
    size_t nnz = 0;
    for (size_t r = 0; r < n; r++) {
        if (idx[r] >= s->rows)
            return mm_error_set(err, MM_EINVAL, "row %zu out of range (%zu rows)", idx[r], s->rows);
        nnz += (size_t)(s->indptr[idx[r] + 1] - s->indptr[idx[r]]);
    }
    mm_status st = mm_csr_alloc(out, n, s->cols, nnz, err);
    if (st) return st;
    size_t at = 0;
    for (size_t r = 0; r < n; r++) {
        int64_t a = s->indptr[idx[r]], b = s->indptr[idx[r] + 1];
        size_t len = (size_t)(b - a);
        memcpy(out->indices + at, s->indices + a, len * sizeof(int32_t));
        memcpy(out->data + at, s->data + a, len * sizeof(float));
        at += len;
        out->indptr[r + 1] = (int64_t)at;
    }
    return MM_OK;
}

mm_status mm_mat_take_rows(const mm_mat *m, const size_t *idx, size_t n, mm_mat *out, mm_error *err)
{
    mm_status st = mm_mat_alloc(out, n, m->cols, err);
    if (st) return st;
    for (size_t r = 0; r < n; r++) {
        if (idx[r] >= m->rows) {
            mm_mat_free(out);
            return mm_error_set(err, MM_EINVAL, "row %zu out of range (%zu rows)", idx[r], m->rows);
        }
        memcpy(mm_mat_row(out, r), mm_mat_row(m, idx[r]), m->cols * sizeof(float));
    }
    return MM_OK;
}
