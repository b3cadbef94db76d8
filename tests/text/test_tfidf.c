/* Tests of the TF-IDF vectorizer and the tokenizer (the scikit-learn parity
 * checks live in test_tfidf_sklearn.py):
 * - invalid parameters, invalid UTF-8, empty vocabulary, "no terms remain";
 * - a TF-IDF test vector worked out by hand;
 * - model round trip through mm_tfidf_from_parts, and its rejections;
 * - identical results on 1 and 2 threads, fit_transform == transform;
 * - tokenizer examples, stop words (SHA-256 of Appendix C), argsort head;
 * - large inputs (a long document with trigrams, a 1 MB word) stay fast. */
#include "mmfuse/text.h"
#include "text/tfidf_internal.h"
#include "mmtest.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ SHA-256 */

typedef struct sha256 {
    uint32_t h[8];
    uint8_t buf[64];
    uint64_t len;
    size_t fill;
} sha256;

static const uint32_t sha_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static uint32_t ror(uint32_t x, int n)
{
    return (x >> n) | (x << (32 - n));
}

static void sha_block(sha256 *s, const uint8_t *p)
{
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3], e = s->h[4], f = s->h[5],
             g = s->h[6], h = s->h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 =
            h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + sha_k[i] + w[i];
        uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    s->h[0] += a;
    s->h[1] += b;
    s->h[2] += c;
    s->h[3] += d;
    s->h[4] += e;
    s->h[5] += f;
    s->h[6] += g;
    s->h[7] += h;
}

static void sha_init(sha256 *s)
{
    static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(s->h, h0, sizeof h0);
    s->len = 0;
    s->fill = 0;
}

static void sha_update(sha256 *s, const void *data, size_t n)
{
    const uint8_t *p = data;
    s->len += n;
    while (n--) {
        s->buf[s->fill++] = *p++;
        if (s->fill == 64) {
            sha_block(s, s->buf);
            s->fill = 0;
        }
    }
}

static void sha_hex(sha256 *s, char out[65])
{
    uint64_t bits = s->len * 8;
    uint8_t pad = 0x80, zero = 0;
    sha_update(s, &pad, 1);
    while (s->fill != 56) sha_update(s, &zero, 1);
    uint8_t lb[8];
    for (int i = 0; i < 8; i++) lb[i] = (uint8_t)(bits >> (56 - 8 * i));
    sha_update(s, lb, 8);
    for (int i = 0; i < 8; i++) snprintf(out + 8 * i, 9, "%08x", s->h[i]);
}

/* ------------------------------------------------------------ helpers */

typedef struct toks {
    char items[32][64];
    int n;
} toks;

static void collect(const char *tok, size_t len, void *user)
{
    toks *t = user;
    if (t->n < 32 && len < 64) {
        memcpy(t->items[t->n], tok, len);
        t->items[t->n][len] = 0;
    }
    t->n++;
}

/* Tokens of s joined by '|'. */
static const char *tokjoin(const char *s, bool lower, bool stop, char *out, size_t cap)
{
    toks t = {.n = 0};
    mm_error err = {0};
    out[0] = 0;
    if (mm_text_tokenize(s, strlen(s), lower, stop, collect, &t, &err) != MM_OK) {
        snprintf(out, cap, "ERR");
        return out;
    }
    size_t at = 0;
    for (int i = 0; i < t.n && i < 32; i++)
        at += (size_t)snprintf(out + at, cap - at, "%s%s", i ? "|" : "", t.items[i]);
    return out;
}

static bool csr_equal(const mm_csr *a, const mm_csr *b)
{
    if (a->rows != b->rows || a->cols != b->cols || a->nnz != b->nnz) return false;
    if (memcmp(a->indptr, b->indptr, (a->rows + 1) * sizeof *a->indptr)) return false;
    if (a->nnz && memcmp(a->indices, b->indices, a->nnz * sizeof *a->indices)) return false;
    if (a->nnz && memcmp(a->data, b->data, a->nnz * sizeof *a->data)) return false;
    return true;
}

static double row_value(const mm_csr *X, size_t r, size_t c)
{
    for (int64_t k = X->indptr[r]; k < X->indptr[r + 1]; k++)
        if ((size_t)X->indices[k] == c) return X->data[k];
    return 0.0;
}

/* A deterministic corpus of n documents (LCG-driven, fixed seed). */
static char **make_corpus(size_t n, uint32_t seed)
{
    static const char *words[] = {"red",   "green", "blue", "apple", "pie",  "the",    "and",
                                  "usb",   "hub",   "café", "ΟΔΟΣ",  "x²",   "7-in-1", "t-shirt",
                                  "cable", "of",    "fast", "slow",  "東京", "a_b",    "İstanbul",
                                  "Größe", "new",   "best", "value", "pack", "mini",   "pro"};
    size_t nw = sizeof words / sizeof words[0];
    char **docs = malloc(n * sizeof *docs);
    uint32_t x = seed;
    for (size_t i = 0; i < n; i++) {
        char buf[512];
        size_t at = 0;
        x = x * 1664525u + 1013904223u;
        int k = (int)(x >> 28);
        for (int j = 0; j < k; j++) {
            x = x * 1664525u + 1013904223u;
            size_t w = (x >> 8) % nw;
            if ((x >> 4) % 5 == 0) w = (x >> 12) % 6; /* frequent words */
            at +=
                (size_t)snprintf(buf + at, sizeof buf - at, "%s%s", words[w], (x & 7) ? " " : ", ");
        }
        buf[at] = 0;
        docs[i] = (x % 97 == 0) ? NULL : strdup(buf);
    }
    return docs;
}

static void free_corpus(char **docs, size_t n)
{
    for (size_t i = 0; i < n; i++) free(docs[i]);
    free(docs);
}

/* ------------------------------------------------------------ tests */

static void test_params(void)
{
    mm_error err = {0};
    mm_tfidf_params p = mm_tfidf_params_default();
    MM_CHECK_STATUS(mm_tfidf_params_check(&p, &err), MM_OK);
    MM_CHECK(p.lowercase && !p.stop_words_english && p.ngram_lo == 1 && p.ngram_hi == 1);
    MM_CHECK(p.min_df == 1.0 && !p.min_df_is_fraction && p.max_df == 1.0 && p.max_df_is_fraction);
    MM_CHECK(p.use_idf && p.smooth_idf && !p.sublinear_tf && p.norm == MM_NORM_L2 &&
             p.max_features == 0);

    mm_tfidf_params q;
#define BAD(stmt)                                                                                  \
    do {                                                                                           \
        q = mm_tfidf_params_default();                                                             \
        stmt;                                                                                      \
        MM_CHECK_STATUS(mm_tfidf_params_check(&q, &err), MM_EINVAL);                               \
    } while (0)
    BAD(q.ngram_lo = 0);
    BAD(q.ngram_lo = -1);
    BAD((q.ngram_lo = 3, q.ngram_hi = 2));
    BAD(q.ngram_hi = 100000);
    BAD(q.min_df = -1.0);
    BAD((q.min_df = -0.1, q.min_df_is_fraction = true));
    BAD((q.max_df = -0.5));
    BAD((q.max_df = 1.5));
    BAD((q.max_df = 2.0, q.max_df_is_fraction = false, q.min_df = 3.0));
    BAD(q.min_df = 1.5);
    BAD(q.min_df = 0.0);
    BAD(q.min_df = NAN);
    BAD(q.max_df = INFINITY);
    BAD((q.min_df = 0.6, q.min_df_is_fraction = true, q.max_df = 0.5));
    BAD(q.norm = (mm_norm)7);
#undef BAD
    MM_CHECK(strstr(err.msg, "norm") != NULL);
    MM_CHECK_STATUS(mm_tfidf_params_check(NULL, &err), MM_EINVAL);

    /* fit refuses bad parameters before any work */
    const char *docs[] = {"a b c"};
    mm_tfidf *v = (mm_tfidf *)1;
    q = mm_tfidf_params_default();
    q.ngram_lo = 0;
    MM_CHECK_STATUS(mm_tfidf_fit(&q, docs, NULL, 1, &v, &err), MM_EINVAL);
    MM_CHECK(v == NULL);
    /* valid edge values */
    q = mm_tfidf_params_default();
    q.min_df = 0.0;
    q.min_df_is_fraction = true;
    q.max_df = 5.0;
    q.max_df_is_fraction = false;
    MM_CHECK_STATUS(mm_tfidf_params_check(&q, &err), MM_OK);
}

static void test_errors(void)
{
    mm_error err = {0};
    mm_tfidf_params p = mm_tfidf_params_default();
    mm_tfidf *v = NULL;
    mm_csr X;

    /* invalid UTF-8 names the document (the lowest bad index) */
    const char *bad[] = {"fine text", "also fine", "bad \xc3\x28 here", "\xff worse"};
    MM_CHECK_STATUS(mm_tfidf_fit(&p, bad, NULL, 4, &v, &err), MM_EFORMAT);
    MM_CHECK(strstr(err.msg, "document 2") != NULL);
    MM_CHECK(v == NULL);
    MM_CHECK_STATUS(mm_tfidf_fit_transform(&p, bad, NULL, 4, &v, &X, &err), MM_EFORMAT);
    MM_CHECK(X.indptr == NULL && v == NULL);
    const char *surrogate[] = {"ok", "\xed\xa0\x80"};
    MM_CHECK_STATUS(mm_tfidf_fit(&p, surrogate, NULL, 2, &v, &err), MM_EFORMAT);
    MM_CHECK(strstr(err.msg, "document 1") != NULL);

    /* empty vocabulary */
    const char *empty[] = {"", "a b c", NULL, "!!"};
    MM_CHECK_STATUS(mm_tfidf_fit(&p, empty, NULL, 4, &v, &err), MM_EFORMAT);
    MM_CHECK(strstr(err.msg, "empty vocabulary") != NULL);
    MM_CHECK_STATUS(mm_tfidf_fit(&p, NULL, NULL, 0, &v, &err), MM_EFORMAT);
    const char *stops[] = {"the and of", "The AND"};
    p.stop_words_english = true;
    MM_CHECK_STATUS(mm_tfidf_fit(&p, stops, NULL, 2, &v, &err), MM_EFORMAT);
    MM_CHECK(strstr(err.msg, "empty vocabulary") != NULL);
    p = mm_tfidf_params_default();
    p.ngram_lo = p.ngram_hi = 2;
    const char *single[] = {"one", "two", "three"};
    MM_CHECK_STATUS(mm_tfidf_fit(&p, single, NULL, 3, &v, &err), MM_EFORMAT);
    MM_CHECK(strstr(err.msg, "empty vocabulary") != NULL);

    /* no terms remain after pruning */
    p = mm_tfidf_params_default();
    p.min_df = 3;
    const char *rare[] = {"alpha beta", "beta gamma", "gamma delta"};
    MM_CHECK_STATUS(mm_tfidf_fit(&p, rare, NULL, 3, &v, &err), MM_EFORMAT);
    MM_CHECK(strstr(err.msg, "no terms remain") != NULL);
    /* fraction bounds that cross once multiplied by n_docs */
    p = mm_tfidf_params_default();
    p.min_df = 2;
    p.max_df = 0.5;
    MM_CHECK_STATUS(mm_tfidf_fit(&p, rare, NULL, 3, &v, &err), MM_EINVAL);
    MM_CHECK(strstr(err.msg, "max_df") != NULL);

    /* NULL arguments */
    p = mm_tfidf_params_default();
    MM_CHECK_STATUS(mm_tfidf_fit(&p, NULL, NULL, 2, &v, &err), MM_EINVAL);
    MM_CHECK_STATUS(mm_tfidf_fit(&p, rare, NULL, 3, NULL, &err), MM_EINVAL);
    MM_CHECK_STATUS(mm_tfidf_fit_transform(&p, rare, NULL, 3, &v, NULL, &err), MM_EINVAL);
    size_t lens[] = {3, 0};
    const char *nulldoc[] = {"abc", NULL};
    lens[1] = 4;
    MM_CHECK_STATUS(mm_tfidf_fit(&p, nulldoc, lens, 2, &v, &err), MM_EINVAL);

    /* transform reports invalid UTF-8 too */
    MM_CHECK_STATUS(mm_tfidf_fit(&p, rare, NULL, 3, &v, &err), MM_OK);
    MM_CHECK_STATUS(mm_tfidf_transform(v, bad, NULL, 4, &X, &err), MM_EFORMAT);
    MM_CHECK(strstr(err.msg, "document 2") != NULL);
    MM_CHECK_STATUS(mm_tfidf_transform(v, NULL, NULL, 1, &X, &err), MM_EINVAL);
    MM_CHECK_STATUS(mm_tfidf_transform(v, NULL, NULL, 0, &X, &err), MM_OK);
    MM_CHECK(X.rows == 0 && X.cols == mm_tfidf_n_terms(v) && X.nnz == 0);
    mm_csr_free(&X);
    MM_CHECK(mm_tfidf_term(v, 99) == NULL);
    mm_tfidf_free(v);
    mm_tfidf_free(NULL);
}

/* a TF-IDF test vector worked out by hand */
static void test_vector(void)
{
    mm_error err = {0};
    mm_tfidf_params p = mm_tfidf_params_default();
    p.sublinear_tf = true;
    p.ngram_hi = 2;
    p.stop_words_english = true;
    const char *docs[] = {"red red apple", "green apple pie", "the pie"};
    mm_tfidf *v = NULL;
    mm_csr X;
    MM_CHECK_STATUS(mm_tfidf_fit_transform(&p, docs, NULL, 3, &v, &X, &err), MM_OK);
    if (!v) return;
    static const char *vocab[] = {"apple", "apple pie", "green",     "green apple",
                                  "pie",   "red",       "red apple", "red red"};
    MM_CHECK(mm_tfidf_n_terms(v) == 8);
    for (size_t j = 0; j < 8 && j < mm_tfidf_n_terms(v); j++)
        MM_CHECK(strcmp(mm_tfidf_term(v, j), vocab[j]) == 0);
    static const double idf[] = {1.2876820725, 1.6931471806, 1.6931471806, 1.6931471806,
                                 1.2876820725, 1.6931471806, 1.6931471806, 1.6931471806};
    for (size_t j = 0; j < 8; j++) MM_CHECK_NEAR(mm_tfidf_idf(v, j), idf[j], 1e-9);
    /* exact idf formula */
    MM_CHECK(mm_tfidf_idf(v, 0) == log(4.0 / 3.0) + 1.0);

    /* rows, independently in double: row 0 = red x2, apple, "red apple", "red red" */
    double a = log(4.0 / 3.0) + 1.0, b = log(2.0) + 1.0;
    double red = (1.0 + log(2.0)) * b;
    double r0[8] = {a, 0, 0, 0, 0, red, b, b};
    double s = 0;
    for (int j = 0; j < 8; j++) s += r0[j] * r0[j];
    s = sqrt(s);
    for (int j = 0; j < 8; j++) r0[j] /= s;
    static const double ref0[8] = {0.3259185954, 0,           0, 0, 0, 0.7255877036,
                                   0.4285437863, 0.4285437863};
    static const double ref2[8] = {0, 0, 0, 0, 1, 0, 0, 0};
    for (int j = 0; j < 8; j++) {
        MM_CHECK_NEAR(r0[j], ref0[j], 1e-9);                           /* the formula ... */
        MM_CHECK(row_value(&X, 0, (size_t)j) == (double)(float)r0[j]); /* ... rounded to f32 */
        MM_CHECK_NEAR(row_value(&X, 2, (size_t)j), ref2[j], 1e-9);
    }
    MM_CHECK(X.rows == 3 && X.cols == 8);
    MM_CHECK(X.indptr[1] - X.indptr[0] == 4);
    mm_csr_free(&X);
    mm_tfidf_free(v);
}

static void test_round_trip_and_threads(void)
{
    mm_error err = {0};
    size_t n = 6000;
    char **docs = make_corpus(n, 12345);
    char **news = make_corpus(500, 777);
    mm_tfidf_params p = mm_tfidf_params_default();
    p.ngram_hi = 3;
    p.sublinear_tf = true;
    p.max_features = 150;
    p.stop_words_english = true;

    mm_tfidf *v1 = NULL, *v2 = NULL, *v3 = NULL;
    mm_csr X1, X2, Y1, Y3, X1t;
    p.n_threads = 1;
    MM_CHECK_STATUS(mm_tfidf_fit_transform(&p, (const char *const *)docs, NULL, n, &v1, &X1, &err),
                    MM_OK);
    p.n_threads = 2;
    MM_CHECK_STATUS(mm_tfidf_fit_transform(&p, (const char *const *)docs, NULL, n, &v2, &X2, &err),
                    MM_OK);
    if (!v1 || !v2) return;
    MM_CHECK(mm_tfidf_n_terms(v1) == 150 && mm_tfidf_n_terms(v2) == 150);
    bool same_vocab = true;
    for (size_t j = 0; j < mm_tfidf_n_terms(v1); j++) {
        same_vocab &= strcmp(mm_tfidf_term(v1, j), mm_tfidf_term(v2, j)) == 0;
        same_vocab &= mm_tfidf_idf(v1, j) == mm_tfidf_idf(v2, j);
        if (j) MM_CHECK(strcmp(mm_tfidf_term(v1, j - 1), mm_tfidf_term(v1, j)) < 0);
    }
    MM_CHECK(same_vocab);
    MM_CHECK(csr_equal(&X1, &X2)); /* bit-identical on 1 and 2 threads */
    MM_CHECK(X1.rows == n && X1.cols == 150);

    /* fit_transform equals transform of the same documents */
    MM_CHECK_STATUS(mm_tfidf_transform(v1, (const char *const *)docs, NULL, n, &X1t, &err), MM_OK);
    MM_CHECK(csr_equal(&X1, &X1t));

    /* the fit alone gives the same vectorizer */
    MM_CHECK_STATUS(mm_tfidf_fit(&p, (const char *const *)docs, NULL, n, &v3, &err), MM_OK);
    if (v3) {
        for (size_t j = 0; j < mm_tfidf_n_terms(v1); j++)
            MM_CHECK(strcmp(mm_tfidf_term(v1, j), mm_tfidf_term(v3, j)) == 0);
        mm_tfidf_free(v3);
        v3 = NULL;
    }

    /* rebuild from parts: same transform, bit for bit */
    size_t K = mm_tfidf_n_terms(v1);
    const char **terms = malloc(K * sizeof *terms);
    double *idf = malloc(K * sizeof *idf);
    for (size_t j = 0; j < K; j++) {
        terms[j] = mm_tfidf_term(v1, j);
        idf[j] = mm_tfidf_idf(v1, j);
    }
    MM_CHECK_STATUS(mm_tfidf_from_parts(mm_tfidf_get_params(v1), terms, idf, K, &v3, &err), MM_OK);
    MM_CHECK_STATUS(mm_tfidf_transform(v1, (const char *const *)news, NULL, 500, &Y1, &err), MM_OK);
    if (v3) {
        MM_CHECK_STATUS(mm_tfidf_transform(v3, (const char *const *)news, NULL, 500, &Y3, &err),
                        MM_OK);
        MM_CHECK(csr_equal(&Y1, &Y3));
        mm_csr_free(&Y3);
        mm_csr Z;
        MM_CHECK_STATUS(mm_tfidf_transform(v3, (const char *const *)docs, NULL, n, &Z, &err),
                        MM_OK);
        MM_CHECK(csr_equal(&X1, &Z));
        mm_csr_free(&Z);
        mm_tfidf_free(v3);
        v3 = NULL;
    }

    /* from_parts rejections */
    mm_tfidf_params q = *mm_tfidf_get_params(v1);
    const char *unsorted[] = {"blue", "apple"};
    const char *dup[] = {"apple", "apple"};
    const char *emptyw[] = {"apple", "apple  pie"};
    const char *toolong[] = {"a b c d"};
    const char *badutf[] = {"caf\xc3"};
    const char *nullterm[] = {"apple", NULL};
    const char *ok2[] = {"apple", "apple pie"};
    double id2[] = {1.5, 2.0}, nanidf[] = {1.0, NAN};
    MM_CHECK_STATUS(mm_tfidf_from_parts(&q, unsorted, id2, 2, &v3, &err), MM_EFORMAT);
    MM_CHECK(v3 == NULL);
    MM_CHECK_STATUS(mm_tfidf_from_parts(&q, dup, id2, 2, &v3, &err), MM_EFORMAT);
    MM_CHECK_STATUS(mm_tfidf_from_parts(&q, emptyw, id2, 2, &v3, &err), MM_EFORMAT);
    MM_CHECK_STATUS(mm_tfidf_from_parts(&q, toolong, id2, 1, &v3, &err), MM_EFORMAT);
    MM_CHECK_STATUS(mm_tfidf_from_parts(&q, badutf, id2, 1, &v3, &err), MM_EFORMAT);
    MM_CHECK_STATUS(mm_tfidf_from_parts(&q, nullterm, id2, 2, &v3, &err), MM_EINVAL);
    MM_CHECK_STATUS(mm_tfidf_from_parts(&q, ok2, nanidf, 2, &v3, &err), MM_EFORMAT);
    MM_CHECK_STATUS(mm_tfidf_from_parts(&q, ok2, NULL, 2, &v3, &err), MM_EINVAL);
    MM_CHECK_STATUS(mm_tfidf_from_parts(&q, ok2, id2, 0, &v3, &err), MM_EINVAL);
    q.ngram_lo = 0;
    MM_CHECK_STATUS(mm_tfidf_from_parts(&q, ok2, id2, 2, &v3, &err), MM_EINVAL);
    q = *mm_tfidf_get_params(v1);
    MM_CHECK_STATUS(mm_tfidf_from_parts(&q, ok2, id2, 2, &v3, &err), MM_OK);
    if (v3) {
        const char *d[] = {"Apple pie, apple!", "pie"};
        mm_csr Z;
        MM_CHECK_STATUS(mm_tfidf_transform(v3, d, NULL, 2, &Z, &err), MM_OK);
        /* row 0: apple x2 (1 + ln 2) * 1.5, "apple pie" 2.0, then l2 */
        double x0 = (1.0 + log(2.0)) * 1.5, x1 = 2.0, nn = sqrt(x0 * x0 + x1 * x1);
        MM_CHECK(Z.nnz == 2 && Z.indptr[2] == 2);
        MM_CHECK_NEAR(row_value(&Z, 0, 0), x0 / nn, 1e-7);
        MM_CHECK_NEAR(row_value(&Z, 0, 1), x1 / nn, 1e-7);
        mm_csr_free(&Z);
        mm_tfidf_free(v3);
    }
    /* use_idf off: idf may be NULL and reads back as 1 */
    q.use_idf = false;
    MM_CHECK_STATUS(mm_tfidf_from_parts(&q, ok2, NULL, 2, &v3, &err), MM_OK);
    if (v3) MM_CHECK(mm_tfidf_idf(v3, 0) == 1.0 && mm_tfidf_idf(v3, 1) == 1.0);
    mm_tfidf_free(v3);

    free(terms);
    free(idf);
    mm_csr_free(&X1);
    mm_csr_free(&X2);
    mm_csr_free(&X1t);
    mm_csr_free(&Y1);
    mm_tfidf_free(v1);
    mm_tfidf_free(v2);
    free_corpus(docs, n);
    free_corpus(news, 500);
}

static void test_tokenizer(void)
{
    char out[1024];
    MM_CHECK(strcmp(tokjoin("7-in-1 t-shirt 12-cup usb c hub", true, false, out, sizeof out),
                    "in|shirt|12|cup|usb|hub") == 0);
    MM_CHECK(strcmp(tokjoin("x\xc2\xb2y a_b __ _", true, false, out, sizeof out),
                    "x\xc2\xb2y|a_b|__") == 0);
    /* U+0130 lowercases to "i" + U+0307, which is not a word character */
    MM_CHECK(strcmp(tokjoin("\xc4\xb0stanbul", true, false, out, sizeof out), "stanbul") == 0);
    MM_CHECK(strcmp(tokjoin("\xc4\xb0stanbul", false, false, out, sizeof out), "\xc4\xb0stanbul") ==
             0);
    /* final sigma: ΟΔΟΣ -> οδος with ς; ΣΑ -> σα */
    MM_CHECK(strcmp(tokjoin("\xce\x9f\xce\x94\xce\x9f\xce\xa3 \xce\xa3\xce\x91", true, false, out,
                            sizeof out),
                    "\xce\xbf\xce\xb4\xce\xbf\xcf\x82|\xcf\x83\xce\xb1") == 0);
    /* combining acute splits a word; é precomposed does not */
    MM_CHECK(strcmp(tokjoin("cafe\xcc\x81 caf\xc3\xa9", true, false, out, sizeof out),
                    "cafe|caf\xc3\xa9") == 0);
    MM_CHECK(strcmp(tokjoin("The Quick brown THE fox", true, true, out, sizeof out),
                    "quick|brown|fox") == 0);
    MM_CHECK(strcmp(tokjoin("The Quick brown THE fox", false, true, out, sizeof out),
                    "The|Quick|brown|THE|fox") == 0);
    MM_CHECK(strcmp(tokjoin("\xff", true, false, out, sizeof out), "ERR") == 0);
    mm_error err = {0};
    toks t = {.n = 0};
    MM_CHECK_STATUS(mm_text_tokenize("ab \xc3", 4, true, false, collect, &t, &err), MM_EFORMAT);
    MM_CHECK(strstr(err.msg, "byte 3") != NULL);
    MM_CHECK_STATUS(mm_text_tokenize(NULL, 0, true, false, collect, &t, &err), MM_OK);
    MM_CHECK_STATUS(mm_text_tokenize(NULL, 3, true, false, collect, &t, &err), MM_EINVAL);
    MM_CHECK_STATUS(mm_text_tokenize("ab", 2, true, false, NULL, NULL, &err), MM_EINVAL);
    /* embedded NUL is a separator, and lengths are honoured */
    t.n = 0;
    MM_CHECK_STATUS(mm_text_tokenize("ab\0cd ef", 8, true, false, collect, &t, &err), MM_OK);
    MM_CHECK(t.n == 3);
}

static void test_stop_words(void)
{
    MM_CHECK(mm_text_stop_word_count() == 318);
    sha256 s;
    sha_init(&s);
    bool all_found = true, sorted = true;
    for (size_t i = 0; i < mm_text_stop_word_count(); i++) {
        const char *w = mm_text_stop_word(i);
        if (i) sha_update(&s, "\n", 1);
        sha_update(&s, w, strlen(w));
        all_found &= mm_text_is_stop_word((const uint8_t *)w, strlen(w));
        if (i) sorted &= strcmp(mm_text_stop_word(i - 1), w) < 0;
    }
    char hex[65];
    sha_hex(&s, hex);
    MM_CHECK(strcmp(hex, "40e0a284c5b9a220efffd18d4d739fbd3270091d6ce2c75b6effe289d3be5487") == 0);
    MM_CHECK(all_found && sorted);
    MM_CHECK(mm_text_stop_word(318) == NULL);
    /* prefixes, extensions and neighbours of stop words are not stop words */
    static const char *no[] = {"ab",          "abou",  "abouts", "thee", "th", "zz",
                               "yourselvess", "wher",  "cafe",   "The",  "",   "z",
                               "b",           "alsoo", "x",      "yo"};
    bool none = true;
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        none &= !mm_text_is_stop_word((const uint8_t *)no[i], strlen(no[i]));
    MM_CHECK(none);
    /* every 1-3 letter lowercase string: exactly the listed ones are found */
    size_t hits = 0, listed = 0;
    for (size_t i = 0; i < 318; i++) listed += strlen(mm_text_stop_word(i)) <= 3;
    uint8_t w[3];
    for (int a = 'a'; a <= 'z'; a++) {
        w[0] = (uint8_t)a;
        hits += mm_text_is_stop_word(w, 1);
        for (int b = 'a'; b <= 'z'; b++) {
            w[1] = (uint8_t)b;
            hits += mm_text_is_stop_word(w, 2);
            for (int c = 'a'; c <= 'z'; c++) {
                w[2] = (uint8_t)c;
                hits += mm_text_is_stop_word(w, 3);
            }
        }
    }
    MM_CHECK(hits == listed);
}

static void test_argsort_head(void)
{
    size_t n = 5000;
    int64_t *key = malloc(n * sizeof *key);
    size_t *full = malloc(n * sizeof *full), *head = malloc(n * sizeof *head);
    uint32_t x = 1;
    bool ok = true;
    for (int rep = 0; rep < 20; rep++) {
        for (size_t i = 0; i < n; i++) {
            x = x * 1664525u + 1013904223u;
            key[i] = -(int64_t)((x >> 16) % (size_t)(rep + 2));
        }
        mm_text_argsort_i64(key, n, full);
        size_t k = (size_t)rep * 97 % n + 1;
        mm_text_argsort_i64_head(key, n, k, head);
        for (size_t i = 0; i + 1 < n; i++) ok &= key[full[i]] <= key[full[i + 1]];
        ok &= memcmp(full, head, k * sizeof *full) == 0;
    }
    MM_CHECK(ok);
    free(key);
    free(full);
    free(head);
}

static int cmp_u32_ref(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* the specialized sorts agree with qsort (duplicates, runs, sizes) */
static void test_sorts(void)
{
    size_t sizes[] = {0, 1, 2, 5, 24, 25, 100, 1000, 20000};
    uint32_t x = 9;
    bool ok = true;
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        size_t n = sizes[si];
        for (int kind = 0; kind < 4; kind++) {
            uint32_t *a = malloc((n + 1) * sizeof *a), *b = malloc((n + 1) * sizeof *b);
            mm_text_col_count *c = malloc((n + 1) * sizeof *c);
            for (size_t i = 0; i < n; i++) {
                x = x * 1664525u + 1013904223u;
                a[i] = kind == 0   ? x
                       : kind == 1 ? x % 7
                       : kind == 2 ? (uint32_t)i
                                   : (uint32_t)(n - i);
                b[i] = a[i];
                c[i].col = (int32_t)((uint32_t)i * 2654435761u % 1000003u); /* distinct */
                c[i].count = i;
            }
            mm_text_sort_u32(a, n);
            qsort(b, n, sizeof *b, cmp_u32_ref);
            ok &= n == 0 || memcmp(a, b, n * sizeof *a) == 0;
            mm_text_sort_col_count(c, n);
            for (size_t i = 0; i + 1 < n; i++) ok &= c[i].col < c[i + 1].col;
            for (size_t i = 0; i < n; i++)
                ok &= (size_t)c[i].col == (size_t)((uint32_t)c[i].count * 2654435761u % 1000003u);
            free(a);
            free(b);
            free(c);
        }
    }
    MM_CHECK(ok);
}

static void test_large(void)
{
    mm_error err = {0};
    /* one long document (200k words) with trigrams: linear time */
    size_t nw = 200000;
    char *doc = malloc(nw * 8 + 1);
    size_t at = 0;
    uint32_t x = 5;
    for (size_t i = 0; i < nw; i++) {
        x = x * 1664525u + 1013904223u;
        at += (size_t)sprintf(doc + at, "w%u ", (x >> 16) % 5000);
    }
    const char *docs[2] = {doc, NULL};
    /* a single 1 MB word */
    char *big = malloc((1 << 20) + 1);
    memset(big, 'q', 1 << 20);
    big[1 << 20] = 0;
    docs[1] = big;
    mm_tfidf_params p = mm_tfidf_params_default();
    p.ngram_hi = 3;
    p.max_features = 1000;
    mm_tfidf *v = NULL;
    mm_csr X;
    MM_CHECK_STATUS(mm_tfidf_fit_transform(&p, docs, NULL, 2, &v, &X, &err), MM_OK);
    if (v) {
        MM_CHECK(mm_tfidf_n_terms(v) == 1000);
        MM_CHECK(X.indptr[1] == 1000);
        mm_csr_free(&X);
        mm_tfidf_free(v);
    }
    p.max_features = 0;
    p.min_df = 2;
    MM_CHECK_STATUS(mm_tfidf_fit_transform(&p, docs, NULL, 2, &v, &X, &err), MM_EFORMAT);
    free(doc);
    free(big);
}

int main(void)
{
    test_params();
    test_errors();
    test_vector();
    test_round_trip_and_threads();
    test_tokenizer();
    test_stop_words();
    test_argsort_head();
    test_sorts();
    test_large();
    return mm_test_summary();
}
