/*
 * text/text_internal.h — private pieces of the text module: Unicode
 * properties with Python 3.11 semantics, the word tokenizer core, the
 * English stop-word list, numpy's argsort, and the hash tables used to
 * intern terms.
 */
#ifndef MM_TEXT_INTERNAL_H
#define MM_TEXT_INTERNAL_H

#include "mmfuse/text.h"

#include <stdint.h>
#include <string.h>

/* ---------------------------------------------------------------- unicode */

/* Properties of a code point as Python 3.11 (Unicode 14) sees them. */
enum {
    MM_CP_WORD = 1,     /* re's \w: letters L*, numbers N*, '_'            */
    MM_CP_CASED = 2,    /* Unicode "Cased" (Lowercase, Uppercase or Lt)    */
    MM_CP_IGNORABLE = 4 /* Unicode "Case_Ignorable"                        */
};

/* MM_CP_* bits of a valid code point (0 .. 0x10FFFF, not a surrogate). */
unsigned mm_text_cp_props(int32_t c);
/* True when c is \w. */
bool mm_text_cp_is_word(int32_t c);
/* Python's lowercase of a single code point, ignoring the two context or
 * multi-character rules (U+0130 and U+03A3, which the tokenizer handles). */
int32_t mm_text_cp_lower(int32_t c);

/* Decodes one code point of strict UTF-8 (what Python's decoder accepts:
 * no overlong forms, no surrogates, nothing above U+10FFFF). Returns the
 * number of bytes used, or 0 when the bytes at s are not valid UTF-8. */
size_t mm_text_utf8_decode(const uint8_t *s, size_t n, int32_t *cp);
/* Encodes c (valid code point) into out (4 bytes room); returns its length. */
size_t mm_text_utf8_encode(int32_t c, uint8_t *out);
/* True when s[0..n) is valid UTF-8; else *bad_at is the offending offset. */
bool mm_text_utf8_valid(const uint8_t *s, size_t n, size_t *bad_at);

/* -------------------------------------------------------------- tokenizer */

/* Growable byte buffer reused across documents by one worker. */
typedef struct mm_text_buf {
    uint8_t *p;
    size_t cap;
} mm_text_buf;

void mm_text_buf_free(mm_text_buf *b);

/* Receives one token (lowercased UTF-8, not NUL-terminated). A non-OK
 * status stops the scan and is returned by mm_text_scan. */
typedef mm_status (*mm_text_emit_fn)(void *user, const uint8_t *tok, size_t len);

/* Tokenizes doc[0..len) like sklearn's default word analyzer without
 * n-grams: optional Python str.lower(), maximal runs of >= 2 word code
 * points, optional English stop-word removal. Returns MM_OK, MM_EFORMAT
 * for invalid UTF-8 (*bad_at = byte offset), MM_ENOMEM, or the status of
 * emit. Writes no message. */
mm_status mm_text_scan(const uint8_t *doc, size_t len, bool lowercase, bool stop_words,
                       mm_text_buf *buf, mm_text_emit_fn emit, void *user, size_t *bad_at);

/* ------------------------------------------------------------- stop words */

/* sklearn's ENGLISH_STOP_WORDS (318 words, sorted, ASCII). */
size_t mm_text_stop_word_count(void);
const char *mm_text_stop_word(size_t i);
bool mm_text_is_stop_word(const uint8_t *s, size_t len);

/* ---------------------------------------------------------------- argsort */

/* idx = numpy 1.24 np.argsort(key) (default kind: introsort, not stable). */
void mm_text_argsort_i64(const int64_t *key, size_t n, size_t *idx);
/* Same first k entries as mm_text_argsort_i64 (the rest are unspecified),
 * skipping the work that only orders positions >= k. */
void mm_text_argsort_i64_head(const int64_t *key, size_t n, size_t k, size_t *idx);

/* ------------------------------------------------------------ hash tables */

static inline uint64_t mm_text_load64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static inline uint32_t mm_text_load32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* a[0..n) == b[0..n), inline for short strings. */
static inline bool mm_text_bytes_eq(const uint8_t *a, const uint8_t *b, size_t n)
{
    if (n >= 8) {
        for (size_t i = 0; i + 8 < n; i += 8)
            if (mm_text_load64(a + i) != mm_text_load64(b + i)) return false;
        return mm_text_load64(a + n - 8) == mm_text_load64(b + n - 8);
    }
    if (n >= 4)
        return mm_text_load32(a) == mm_text_load32(b) &&
               mm_text_load32(a + n - 4) == mm_text_load32(b + n - 4);
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i]) return false;
    return true;
}

uint64_t mm_text_hash_bytes(const void *s, size_t len);
static inline uint64_t mm_text_hash_u64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

/* Interned byte strings with dense ids 0..n-1 (first come, first numbered). */
typedef struct mm_text_strtab {
    uint64_t *slots; /* (hash >> 32) << 32 | (id + 1); 0 = empty */
    size_t mask;
    uint32_t n, ids_cap;
    uint64_t *hash; /* per id */
    uint64_t *off;  /* per id: offset of the bytes in arena */
    uint32_t *len;  /* per id */
    uint8_t *arena;
    size_t arena_len, arena_cap;
} mm_text_strtab;

enum { MM_TEXT_NO_ID = UINT32_MAX };

mm_status mm_text_strtab_init(mm_text_strtab *t, size_t expect);
void mm_text_strtab_free(mm_text_strtab *t);
/* Id of s (inserted when new). MM_ENOMEM, or MM_EUNSUPPORTED past 2^32-2 ids. */
mm_status mm_text_strtab_intern(mm_text_strtab *t, const uint8_t *s, size_t len, uint64_t h,
                                uint32_t *id);
/* Id of s or MM_TEXT_NO_ID. */
uint32_t mm_text_strtab_find(const mm_text_strtab *t, const uint8_t *s, size_t len, uint64_t h);
static inline const uint8_t *mm_text_strtab_str(const mm_text_strtab *t, uint32_t id)
{
    return t->arena + t->off[id];
}

/* Interned 64-bit keys with dense ids 0..n-1; h must be mm_text_hash_u64(key). */
typedef struct mm_text_pairtab {
    uint64_t *slots; /* (hash >> 32) << 32 | (id + 1); 0 = empty */
    size_t mask;
    uint32_t n, ids_cap;
    uint64_t *key; /* per id */
} mm_text_pairtab;

mm_status mm_text_pairtab_init(mm_text_pairtab *t, size_t expect);
void mm_text_pairtab_free(mm_text_pairtab *t);
mm_status mm_text_pairtab_intern(mm_text_pairtab *t, uint64_t key, uint64_t h, uint32_t *id);
uint32_t mm_text_pairtab_find(const mm_text_pairtab *t, uint64_t key, uint64_t h);
static inline void mm_text_pairtab_prefetch(const mm_text_pairtab *t, uint64_t h)
{
#if defined(__GNUC__)
    __builtin_prefetch(&t->slots[h & t->mask]);
#else
    (void)t;
    (void)h;
#endif
}

#endif /* MM_TEXT_INTERNAL_H */
