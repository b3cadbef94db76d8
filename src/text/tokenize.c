/*
 * The word tokenizer of scikit-learn's default analyzer, in one pass:
 * Python str.lower() (full lowercase: U+0130 becomes "i" + U+0307, and
 * U+03A3 becomes final 'ς' or 'σ' by Python's Final_Sigma test), then the
 * matches of (?u)\b\w\w+\b, i.e. maximal runs of at least two word code
 * points, then optional removal of English stop words. ASCII bytes take a table-free fast path.
 */
#include "text/text_internal.h"

#include <stdlib.h>
#include <string.h>

/* clang-format off */
/* ASCII bytes that are \w: [0-9A-Za-z_] (bytes >= 0x80 are 0 here). */
static const uint8_t ascii_word_tab[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0,
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1,
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

/* ASCII lowercase. */
static const uint8_t ascii_lower_tab[128] = {
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
    16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
    32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47,
    48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63,
    64, 97, 98, 99, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111,
    112, 113, 114, 115, 116, 117, 118, 119, 120, 121, 122, 91, 92, 93, 94, 95,
    96, 97, 98, 99, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111,
    112, 113, 114, 115, 116, 117, 118, 119, 120, 121, 122, 123, 124, 125, 126, 127,
};

/* clang-format on */

static inline bool ascii_word(uint8_t b)
{
    return ascii_word_tab[b] != 0;
}

static inline uint8_t ascii_lower(uint8_t b)
{
    return ascii_lower_tab[b & 0x7F];
}

void mm_text_buf_free(mm_text_buf *b)
{
    if (!b) return;
    free(b->p);
    b->p = NULL;
    b->cap = 0;
}

static bool buf_reserve(mm_text_buf *b, size_t need)
{
    if (need <= b->cap) return true;
    size_t nc = b->cap ? b->cap : 64;
    while (nc < need) {
        if (nc > SIZE_MAX / 2) return false;
        nc *= 2;
    }
    uint8_t *p = realloc(b->p, nc);
    if (!p) return false;
    b->p = p;
    b->cap = nc;
    return true;
}

/* Python's Final_Sigma condition for the U+03A3 at s[i..i+k): the nearest
 * code point before it that is not case-ignorable exists and is cased, and
 * the nearest one after it that is not case-ignorable is absent or not
 * cased. Each scan stops at the first code point that is not
 * case-ignorable, so over a document the scans stay linear. */
static bool final_sigma(const uint8_t *s, size_t n, size_t i, size_t k)
{
    bool final = false;
    size_t j = i;
    while (j > 0) {
        size_t at = j - 1;
        while (at > 0 && (s[at] & 0xC0) == 0x80) at--; /* s[0..i) is valid UTF-8 */
        int32_t c = 0;
        mm_text_utf8_decode(s + at, j - at, &c);
        unsigned p = mm_text_cp_props(c);
        if (!(p & MM_CP_IGNORABLE)) {
            final = (p & MM_CP_CASED) != 0;
            break;
        }
        j = at;
    }
    if (!final) return false;
    j = i + k;
    while (j < n) {
        int32_t c;
        size_t kk = mm_text_utf8_decode(s + j, n - j, &c);
        if (!kk) return true; /* invalid bytes: the caller reports them */
        unsigned p = mm_text_cp_props(c);
        if (!(p & MM_CP_IGNORABLE)) return !(p & MM_CP_CASED);
        j += kk;
    }
    return true;
}

mm_status mm_text_scan(const uint8_t *s, size_t n, bool lower, bool stop, mm_text_buf *buf,
                       mm_text_emit_fn emit, void *user, size_t *bad_at)
{
    size_t tl = 0; /* bytes of the current run */
    size_t tc = 0; /* code points of the current run */
    size_t i = 0;
    mm_status st;

#define FLUSH_RUN()                                                                                \
    do {                                                                                           \
        if (tc >= 2 && !(stop && mm_text_is_stop_word(buf->p, tl))) {                              \
            buf->p[tl] = 0;                                                                        \
            st = emit(user, buf->p, tl);                                                           \
            if (st != MM_OK) return st;                                                            \
        }                                                                                          \
        tl = tc = 0;                                                                               \
    } while (0)

    while (i < n) {
        uint8_t b = s[i];
        if (b < 0x80) {
            if (!ascii_word(b)) {
                if (tc) FLUSH_RUN();
                i++;
                continue;
            }
            size_t j = i + 1;
            while (j < n && ascii_word(s[j])) j++;
            size_t m = j - i;
            if (!buf_reserve(buf, tl + m + 5)) return MM_ENOMEM;
            uint8_t *o = buf->p + tl;
            if (lower)
                for (size_t q = 0; q < m; q++) o[q] = ascii_lower(s[i + q]);
            else
                memcpy(o, s + i, m);
            tl += m;
            tc += m;
            i = j;
            continue;
        }
        int32_t c;
        size_t k = mm_text_utf8_decode(s + i, n - i, &c);
        if (!k) {
            if (bad_at) *bad_at = i;
            return MM_EFORMAT;
        }
        int32_t out[2] = {c, 0};
        int nout = 1;
        if (lower) {
            if (c == 0x130) { /* SpecialCasing: "i" + COMBINING DOT ABOVE */
                out[0] = 'i';
                out[1] = 0x307;
                nout = 2;
            } else if (c == 0x3A3) {
                out[0] = final_sigma(s, n, i, k) ? 0x3C2 : 0x3C3;
            } else {
                out[0] = mm_text_cp_lower(c);
            }
        }
        for (int q = 0; q < nout; q++) {
            if (mm_text_cp_is_word(out[q])) {
                if (!buf_reserve(buf, tl + 5)) return MM_ENOMEM;
                tl += mm_text_utf8_encode(out[q], buf->p + tl);
                tc++;
            } else if (tc) {
                FLUSH_RUN();
            }
        }
        i += k;
    }
    if (tc) FLUSH_RUN();
#undef FLUSH_RUN
    return MM_OK;
}

/* ------------------------------------------------------------- public */

typedef struct tramp {
    mm_token_fn fn;
    void *user;
} tramp;

static mm_status tramp_emit(void *user, const uint8_t *tok, size_t len)
{
    const tramp *t = user;
    t->fn((const char *)tok, len, t->user);
    return MM_OK;
}

mm_status mm_text_tokenize(const char *doc, size_t len, bool lowercase, bool stop_words,
                           mm_token_fn fn, void *user, mm_error *err)
{
    if (!fn) return mm_error_set(err, MM_EINVAL, "tokenize: no token callback");
    if (!doc) {
        if (len) return mm_error_set(err, MM_EINVAL, "tokenize: NULL document of %zu bytes", len);
        return MM_OK;
    }
    mm_text_buf buf = {0};
    tramp t = {fn, user};
    size_t bad = 0;
    mm_status st =
        mm_text_scan((const uint8_t *)doc, len, lowercase, stop_words, &buf, tramp_emit, &t, &bad);
    mm_text_buf_free(&buf);
    if (st == MM_EFORMAT) return mm_error_set(err, st, "invalid UTF-8 at byte %zu", bad);
    if (st != MM_OK) return mm_error_set(err, st, "tokenize: out of memory");
    return MM_OK;
}
