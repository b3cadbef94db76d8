/*
 * mmfuse/text.h — text to sparse TF-IDF features, reproducing scikit-learn
 * 1.2's TfidfVectorizer.
 *
 * Analysis of one document: Python str.lower() (full Unicode, incl. special
 * casing), tokens = maximal runs of "word" characters (Unicode letters L*,
 * numbers N*, and '_') of length >= 2 (the regex (?u)\b\w\w+\b), optional
 * removal of sklearn's 318 English stop words, then n-grams (lo..hi) joined
 * by one space. Vocabulary columns are in byte order of the UTF-8 terms;
 * min_df / max_df pruning, then max_features by corpus frequency with
 * numpy's (unstable) argsort tie-breaking; idf = ln((1+n)/(1+df)) + 1 when
 * smooth; tf -> 1 + ln(tf) when sublinear; rows L2-normalized (a zero row
 * stays zero).
 *
 * Usage
 *     mm_tfidf_params p = mm_tfidf_params_default();
 *     p.ngram_hi = 2; p.sublinear_tf = true; p.max_features = 500;
 *     mm_tfidf *vec; mm_csr X;
 *     mm_tfidf_fit_transform(&p, docs, lens, n, &vec, &X, &err);
 *     ... mm_tfidf_transform(vec, new_docs, new_lens, m, &Y, &err);
 *     mm_csr_free(&X); mm_tfidf_free(vec);
 *
 * Documents are UTF-8 (docs[i] == NULL means missing = empty document).
 * Invalid UTF-8 is MM_EFORMAT naming the document index. A fitted mm_tfidf
 * is immutable and may be used from several threads.
 */
#ifndef MMFUSE_TEXT_H
#define MMFUSE_TEXT_H

#include "mmfuse/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mm_norm { MM_NORM_NONE = 0, MM_NORM_L2, MM_NORM_L1 } mm_norm;

typedef struct mm_tfidf_params {
    bool lowercase;          /* true                                         */
    bool stop_words_english; /* false (sklearn stop_words='english' if true) */
    int ngram_lo, ngram_hi;  /* 1, 1                                         */
    double min_df;           /* 1 : an integer count when >= 1 and integral  */
    double max_df;           /* 1.0 : a fraction of documents when <= 1.0    */
    bool min_df_is_fraction; /* false: min_df is a count                     */
    bool max_df_is_fraction; /* true:  max_df is a fraction                  */
    size_t max_features;     /* 0 = no limit                                 */
    bool sublinear_tf;       /* false                                        */
    bool use_idf;            /* true                                         */
    bool smooth_idf;         /* true                                         */
    mm_norm norm;            /* MM_NORM_L2                                   */
    int n_threads;           /* 0 = all cores                                */
} mm_tfidf_params;

MM_API mm_tfidf_params mm_tfidf_params_default(void);
/* Validates params without working (ngram range, df bounds, ...). */
MM_API mm_status mm_tfidf_params_check(const mm_tfidf_params *p, mm_error *err);

typedef struct mm_tfidf mm_tfidf;

/* Fits vocabulary and idf. Errors: MM_EINVAL (bad params), MM_EFORMAT
 * (invalid UTF-8; "empty vocabulary" when no document has a term; "no
 * terms remain" after pruning). */
MM_API mm_status mm_tfidf_fit(const mm_tfidf_params *p, const char *const *docs,
                              const size_t *lens, size_t n_docs, mm_tfidf **out, mm_error *err);
/* fit + transform of the same documents, tokenizing each document once. */
MM_API mm_status mm_tfidf_fit_transform(const mm_tfidf_params *p, const char *const *docs,
                                        const size_t *lens, size_t n_docs, mm_tfidf **out,
                                        mm_csr *X, mm_error *err);
/* Rows of TF-IDF values (n_docs x n_terms, column indices sorted). Terms
 * outside the vocabulary are ignored. */
MM_API mm_status mm_tfidf_transform(const mm_tfidf *v, const char *const *docs,
                                    const size_t *lens, size_t n_docs, mm_csr *X, mm_error *err);
MM_API void mm_tfidf_free(mm_tfidf *v);

MM_API size_t mm_tfidf_n_terms(const mm_tfidf *v);
/* Term of column j (NUL-terminated UTF-8). */
MM_API const char *mm_tfidf_term(const mm_tfidf *v, size_t j);
/* idf of column j (1.0 for every column when use_idf is false). */
MM_API double mm_tfidf_idf(const mm_tfidf *v, size_t j);
MM_API const mm_tfidf_params *mm_tfidf_get_params(const mm_tfidf *v);

/* Rebuilds a fitted vectorizer from its parts (for model files). Terms must
 * be strictly increasing in byte order and unique. */
MM_API mm_status mm_tfidf_from_parts(const mm_tfidf_params *p, const char *const *terms,
                                     const double *idf, size_t n_terms, mm_tfidf **out,
                                     mm_error *err);

/* Tokenizes one document exactly as the vectorizer does (lowercase, \w\w+,
 * stop words; no n-grams). Calls fn(token, len, user) for each token in
 * order. Exposed for tests and for other text encoders. */
typedef void (*mm_token_fn)(const char *tok, size_t len, void *user);
MM_API mm_status mm_text_tokenize(const char *doc, size_t len, bool lowercase, bool stop_words,
                                  mm_token_fn fn, void *user, mm_error *err);

#ifdef __cplusplus
}
#endif
#endif /* MMFUSE_TEXT_H */
