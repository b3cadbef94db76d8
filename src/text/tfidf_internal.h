/*
 * text/tfidf_internal.h — the fitted vectorizer and the pieces shared by
 * fitting (fit.c) and transforming (tfidf.c).
 */
#ifndef MM_TFIDF_INTERNAL_H
#define MM_TFIDF_INTERNAL_H

#include "text/text_internal.h"

/*
 * A fitted vectorizer. Terms are looked up through a trie of words: a
 * unigram is the node of its word id (0 .. n_words-1), and an n-gram
 * "w1 ... wn" is the node n_words + pairs-id of the key
 * (node of "w1 ... w(n-1)") << 32 | word id of wn. node_col maps a node to
 * its column, or -1 for a prefix that is not itself a term.
 */
struct mm_tfidf {
    mm_tfidf_params p;
    size_t n_terms;
    char *terms;      /* the terms, each NUL-terminated, in column order */
    size_t *term_off; /* n_terms offsets into terms */
    double *idf;      /* n_terms */
    mm_text_strtab words;
    mm_text_pairtab pairs;
    int32_t *node_col; /* words.n + pairs.n */
};

/* Fills v->pairs and v->node_col for terms given as word-id sequences
 * (term j = wseq[woff[j] .. woff[j+1]), word ids of v->words). */
mm_status mm_tfidf_index_terms(mm_tfidf *v, const uint32_t *wseq, const size_t *woff,
                               mm_error *err);

/* Document slicing: lengths (strlen when lens is NULL) and chunk bounds.
 * Chunks depend only on the documents, never on the thread count. */
typedef struct mm_text_chunks {
    size_t *len;   /* n_docs lengths */
    size_t *start; /* n_chunks + 1 document indices */
    size_t n_chunks;
} mm_text_chunks;

mm_status mm_text_chunks_plan(const char *const *docs, const size_t *lens, size_t n_docs,
                              mm_text_chunks *c, mm_error *err);
void mm_text_chunks_free(mm_text_chunks *c);

/* One column of a row and its term count. */
typedef struct mm_text_col_count {
    uint64_t count;
    int32_t col;
} mm_text_col_count;

/* Output rows of one chunk, concatenated into the final CSR afterwards. */
typedef struct mm_text_rows {
    size_t *row_nnz; /* per document of the chunk */
    int32_t *ind;
    float *val;
    size_t nnz, cap;
} mm_text_rows;

/* Appends one row (pc sorted by column, m entries) with TF-IDF values:
 * optional 1 + ln(tf), times idf, then the row norm. tmp has room for m. */
mm_status mm_text_rows_add(mm_text_rows *b, const mm_tfidf *v, size_t row,
                           const mm_text_col_count *pc, size_t m, double *tmp);
void mm_text_rows_free(mm_text_rows *b);
/* Concatenates the blocks (one per chunk) into X (n_docs x n_terms). */
mm_status mm_text_rows_to_csr(mm_text_rows *blocks, size_t n_blocks, const mm_text_chunks *dc,
                              size_t n_cols, int n_threads, mm_csr *X, mm_error *err);

/* Sorting helpers (O(n log n) in the worst case). */
void mm_text_sort_u32(uint32_t *a, size_t n);
void mm_text_sort_u64(uint64_t *a, size_t n);
void mm_text_sort_col_count(mm_text_col_count *a, size_t n);

/* Grows a malloc'd array to hold at least need elements (doubling). */
bool mm_text_grow(void **p, size_t *cap, size_t need, size_t elem);

#endif /* MM_TFIDF_INTERNAL_H */
