/*
 * Shared plumbing of TF-IDF fit and transform: document chunks, the
 * TF-IDF value of a row (scikit-learn's TfidfTransformer followed by
 * normalize), assembling per-chunk rows into one CSR, small sorts.
 */
#include "text/tfidf_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { CHUNK_MAX_DOCS = 4096 };
#define CHUNK_MAX_BYTES ((size_t)1 << 20)

bool mm_text_grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return true;
    size_t nc = *cap ? *cap : 16;
    while (nc < need) {
        if (nc > SIZE_MAX / 2) return false;
        nc *= 2;
    }
    size_t bytes;
    if (!mm_size_mul(nc, elem, &bytes)) return false;
    void *q = realloc(*p, bytes);
    if (!q) return false;
    *p = q;
    *cap = nc;
    return true;
}

/* ----------------------------------------------------------- chunks */

mm_status mm_text_chunks_plan(const char *const *docs, const size_t *lens, size_t n_docs,
                              mm_text_chunks *c, mm_error *err)
{
    memset(c, 0, sizeof *c);
    c->len = mm_alloc_array(n_docs, sizeof *c->len);
    /* at most one chunk per document, plus the end marker */
    c->start = mm_alloc_array(n_docs + 1, sizeof *c->start);
    if (!c->len || !c->start) {
        mm_text_chunks_free(c);
        return mm_error_set(err, MM_ENOMEM, "tf-idf: cannot allocate chunks for %zu documents",
                            n_docs);
    }
    size_t nch = 0, in_chunk = 0, bytes = 0;
    for (size_t i = 0; i < n_docs; i++) {
        size_t l = 0;
        if (docs[i])
            l = lens ? lens[i] : strlen(docs[i]);
        else if (lens && lens[i]) {
            mm_text_chunks_free(c);
            return mm_error_set(err, MM_EINVAL, "document %zu: NULL text with length %zu", i,
                                lens[i]);
        }
        c->len[i] = l;
        if (in_chunk == 0) c->start[nch++] = i;
        in_chunk++;
        bytes += l < CHUNK_MAX_BYTES ? l : CHUNK_MAX_BYTES;
        if (in_chunk == CHUNK_MAX_DOCS || bytes >= CHUNK_MAX_BYTES) in_chunk = bytes = 0;
    }
    c->start[nch] = n_docs;
    c->n_chunks = nch;
    return MM_OK;
}

void mm_text_chunks_free(mm_text_chunks *c)
{
    if (!c) return;
    free(c->len);
    free(c->start);
    memset(c, 0, sizeof *c);
}

/* ----------------------------------------------------------- rows */

mm_status mm_text_rows_add(mm_text_rows *b, const mm_tfidf *v, size_t row,
                           const mm_text_col_count *pc, size_t m, double *tmp)
{
    const mm_tfidf_params *p = &v->p;
    size_t need;
    if (!mm_size_add(b->nnz, m, &need)) return MM_ENOMEM;
    if (need > b->cap) {
        size_t nc = b->cap ? b->cap : 256;
        while (nc < need) {
            if (nc > SIZE_MAX / 2 / sizeof(float)) return MM_ENOMEM;
            nc *= 2;
        }
        int32_t *ni = realloc(b->ind, nc * sizeof *ni);
        if (!ni) return MM_ENOMEM;
        b->ind = ni;
        float *nv = realloc(b->val, nc * sizeof *nv);
        if (!nv) return MM_ENOMEM;
        b->val = nv;
        b->cap = nc;
    }
    for (size_t k = 0; k < m; k++) {
        double tf = (double)pc[k].count;
        if (p->sublinear_tf && pc[k].count > 1) tf = log(tf) + 1.0; /* ln 1 + 1 = 1 */
        tmp[k] = p->use_idf ? tf * v->idf[pc[k].col] : tf;
    }
    if (p->norm != MM_NORM_NONE) {
        double s = 0.0;
        if (p->norm == MM_NORM_L2)
            for (size_t k = 0; k < m; k++) s += tmp[k] * tmp[k];
        else
            for (size_t k = 0; k < m; k++) s += fabs(tmp[k]);
        if (s != 0.0) {
            if (p->norm == MM_NORM_L2) s = sqrt(s);
            for (size_t k = 0; k < m; k++) tmp[k] /= s;
        }
    }
    for (size_t k = 0; k < m; k++) {
        b->ind[b->nnz + k] = pc[k].col;
        b->val[b->nnz + k] = (float)tmp[k];
    }
    b->nnz += m;
    b->row_nnz[row] = m;
    return MM_OK;
}

void mm_text_rows_free(mm_text_rows *b)
{
    if (!b) return;
    free(b->row_nnz);
    free(b->ind);
    free(b->val);
    memset(b, 0, sizeof *b);
}

typedef struct concat_job {
    mm_text_rows *blocks;
    const size_t *offset;
    mm_csr *X;
} concat_job;

static void concat_chunk(size_t c, void *user)
{
    concat_job *j = user;
    mm_text_rows *b = &j->blocks[c];
    if (b->nnz) {
        memcpy(j->X->indices + j->offset[c], b->ind, b->nnz * sizeof *b->ind);
        memcpy(j->X->data + j->offset[c], b->val, b->nnz * sizeof *b->val);
    }
    free(b->ind);
    free(b->val);
    b->ind = NULL;
    b->val = NULL;
}

mm_status mm_text_rows_to_csr(mm_text_rows *blocks, size_t n_blocks, const mm_text_chunks *dc,
                              size_t n_cols, int n_threads, mm_csr *X, mm_error *err)
{
    size_t n_docs = dc->start[dc->n_chunks];
    size_t *offset = mm_alloc_array(n_blocks + 1, sizeof *offset);
    if (!offset) return mm_error_set(err, MM_ENOMEM, "tf-idf: out of memory");
    size_t nnz = 0;
    for (size_t c = 0; c < n_blocks; c++) {
        offset[c] = nnz;
        nnz += blocks[c].nnz;
    }
    offset[n_blocks] = nnz;
    mm_status st = mm_csr_alloc(X, n_docs, n_cols, nnz, err);
    if (st != MM_OK) {
        free(offset);
        return st;
    }
    size_t at = 0;
    X->indptr[0] = 0;
    for (size_t c = 0; c < n_blocks; c++) {
        size_t nd = dc->start[c + 1] - dc->start[c];
        for (size_t d = 0; d < nd; d++) {
            at += blocks[c].row_nnz[d];
            X->indptr[dc->start[c] + d + 1] = (int64_t)at;
        }
    }
    concat_job job = {blocks, offset, X};
    mm_parallel_for(n_blocks, n_threads, concat_chunk, &job);
    free(offset);
    return MM_OK;
}

/* ----------------------------------------------------------- sorting */

/* Introsort specialized per element type (qsort's indirect calls cost more
 * than the comparisons here): median-of-three quicksort on the larger part
 * iteratively, recursion on the smaller one, heapsort past 2 log2 n levels,
 * insertion sort below 24 elements. */
#define MM_DEFINE_SORT(NAME, T, KEY)                                                               \
    static void NAME##_insertion(T *a, size_t n)                                                   \
    {                                                                                              \
        for (size_t i = 1; i < n; i++) {                                                           \
            T v = a[i];                                                                            \
            size_t j = i;                                                                          \
            while (j > 0 && KEY(a[j - 1]) > KEY(v)) {                                              \
                a[j] = a[j - 1];                                                                   \
                j--;                                                                               \
            }                                                                                      \
            a[j] = v;                                                                              \
        }                                                                                          \
    }                                                                                              \
    static void NAME##_sift(T *a, size_t i, size_t n)                                              \
    {                                                                                              \
        T v = a[i];                                                                                \
        for (size_t c; (c = 2 * i + 1) < n; i = c) {                                               \
            if (c + 1 < n && KEY(a[c + 1]) > KEY(a[c])) c++;                                       \
            if (!(KEY(a[c]) > KEY(v))) break;                                                      \
            a[i] = a[c];                                                                           \
        }                                                                                          \
        a[i] = v;                                                                                  \
    }                                                                                              \
    static void NAME##_heap(T *a, size_t n)                                                        \
    {                                                                                              \
        for (size_t i = n / 2; i-- > 0;) NAME##_sift(a, i, n);                                     \
        for (size_t m = n; m-- > 1;) {                                                             \
            T t = a[0];                                                                            \
            a[0] = a[m];                                                                           \
            a[m] = t;                                                                              \
            NAME##_sift(a, 0, m);                                                                  \
        }                                                                                          \
    }                                                                                              \
    static void NAME##_intro(T *a, size_t n, int depth)                                            \
    {                                                                                              \
        while (n > 24) {                                                                           \
            if (depth-- == 0) {                                                                    \
                NAME##_heap(a, n);                                                                 \
                return;                                                                            \
            }                                                                                      \
            size_t m = n / 2;                                                                      \
            T t;                                                                                   \
            if (KEY(a[m]) < KEY(a[0])) t = a[m], a[m] = a[0], a[0] = t;                            \
            if (KEY(a[n - 1]) < KEY(a[m])) t = a[n - 1], a[n - 1] = a[m], a[m] = t;                \
            if (KEY(a[m]) < KEY(a[0])) t = a[m], a[m] = a[0], a[0] = t;                            \
            T pivot = a[m];                                                                        \
            size_t i = 0, j = n - 1;                                                               \
            for (;;) {                                                                             \
                while (KEY(a[i]) < KEY(pivot)) i++;                                                \
                while (KEY(pivot) < KEY(a[j])) j--;                                                \
                if (i >= j) break;                                                                 \
                t = a[i], a[i] = a[j], a[j] = t;                                                   \
                i++;                                                                               \
                j--;                                                                               \
            }                                                                                      \
            /* a[0..j] <= pivot <= a[j+1..n) */                                                    \
            size_t left = j + 1;                                                                   \
            if (left < n - left) {                                                                 \
                NAME##_intro(a, left, depth);                                                      \
                a += left;                                                                         \
                n -= left;                                                                         \
            } else {                                                                               \
                NAME##_intro(a + left, n - left, depth);                                           \
                n = left;                                                                          \
            }                                                                                      \
        }                                                                                          \
        NAME##_insertion(a, n);                                                                    \
    }

#define KEY_U32(x) (x)
#define KEY_CC(x) ((x).col)
MM_DEFINE_SORT(sort_u32, uint32_t, KEY_U32)
MM_DEFINE_SORT(sort_u64, uint64_t, KEY_U32)
MM_DEFINE_SORT(sort_cc, mm_text_col_count, KEY_CC)

static int depth_limit(size_t n)
{
    int d = 0;
    while (n > 1) {
        n >>= 1;
        d += 2;
    }
    return d;
}

void mm_text_sort_u32(uint32_t *a, size_t n)
{
    sort_u32_intro(a, n, depth_limit(n));
}

void mm_text_sort_u64(uint64_t *a, size_t n)
{
    sort_u64_intro(a, n, depth_limit(n));
}

void mm_text_sort_col_count(mm_text_col_count *a, size_t n)
{
    sort_cc_intro(a, n, depth_limit(n));
}
