/*
 * Open-addressing hash tables (linear probing, power-of-two sizes, at most
 * 5/8 full) that intern byte strings and 64-bit keys into dense 32-bit ids.
 * A slot holds the upper 32 bits of the hash next to the id, so most
 * mismatches are rejected without touching the stored keys. Strings live in
 * one arena: no allocation per entry.
 */
#include "text/text_internal.h"

#include <stdlib.h>
#include <string.h>

uint64_t mm_text_hash_bytes(const void *data, size_t len)
{
    /* Words are short: short inputs are read with (overlapping) loads of
     * their ends, longer ones 8 bytes at a time; one strong final mix. */
    const uint8_t *p = data;
    const uint64_t k = 0x9e3779b97f4a7c15ULL;
    uint64_t h = 0x2545f4914f6cdd1dULL ^ (len * k);
    if (len <= 8) {
        uint64_t v;
        if (len >= 4)
            v = (uint64_t)mm_text_load32(p) << 32 | mm_text_load32(p + len - 4);
        else if (len > 0)
            v = (uint64_t)p[0] << 16 | (uint64_t)p[len >> 1] << 8 | p[len - 1];
        else
            v = 0;
        return mm_text_hash_u64(h ^ v);
    }
    size_t i = 0;
    for (; i + 8 < len; i += 8) {
        h = (h ^ mm_text_load64(p + i)) * 0xff51afd7ed558ccdULL;
        h ^= h >> 32;
    }
    h = (h ^ mm_text_load64(p + len - 8)) * 0xc4ceb9fe1a85ec53ULL;
    return mm_text_hash_u64(h);
}

/* --------------------------------------------------------------- slots */

static size_t cap_for(size_t expect)
{
    size_t cap = 16;
    while (cap / 8 * 5 < expect && cap < ((size_t)1 << 62)) cap <<= 1;
    return cap;
}

static inline uint64_t slot_make(uint64_t h, uint32_t id)
{
    return (h & 0xffffffff00000000ULL) | (uint64_t)(id + 1u);
}

static inline uint32_t slot_id(uint64_t s)
{
    return (uint32_t)s - 1u;
}

/* Rebuilds a slot array of twice the size from the per-id hashes. */
static mm_status slots_grow(uint64_t **slots, size_t *mask, uint32_t n,
                            uint64_t (*hash_of)(const void *ctx, uint32_t id), const void *ctx)
{
    size_t cap = (*mask + 1) * 2;
    uint64_t *ns = mm_calloc_array(cap, sizeof *ns);
    if (!ns) return MM_ENOMEM;
    size_t m = cap - 1;
    for (uint32_t id = 0; id < n; id++) {
        uint64_t h = hash_of(ctx, id);
        size_t i = (size_t)h & m;
        while (ns[i]) i = (i + 1) & m;
        ns[i] = slot_make(h, id);
    }
    free(*slots);
    *slots = ns;
    *mask = m;
    return MM_OK;
}

static bool grow_array(void **p, size_t *cap, size_t need, size_t elem)
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

/* ----------------------------------------------------------- string table */

mm_status mm_text_strtab_init(mm_text_strtab *t, size_t expect)
{
    memset(t, 0, sizeof *t);
    size_t cap = cap_for(expect);
    t->slots = mm_calloc_array(cap, sizeof *t->slots);
    if (!t->slots) return MM_ENOMEM;
    t->mask = cap - 1;
    return MM_OK;
}

void mm_text_strtab_free(mm_text_strtab *t)
{
    if (!t) return;
    free(t->slots);
    free(t->hash);
    free(t->off);
    free(t->len);
    free(t->arena);
    memset(t, 0, sizeof *t);
}

static uint64_t strtab_hash_of(const void *ctx, uint32_t id)
{
    return ((const mm_text_strtab *)ctx)->hash[id];
}

uint32_t mm_text_strtab_find(const mm_text_strtab *t, const uint8_t *s, size_t len, uint64_t h)
{
    uint64_t tag = h & 0xffffffff00000000ULL;
    size_t i = (size_t)h & t->mask;
    for (;;) {
        uint64_t sl = t->slots[i];
        if (!sl) return MM_TEXT_NO_ID;
        if ((sl & 0xffffffff00000000ULL) == tag) {
            uint32_t id = slot_id(sl);
            if (t->len[id] == len && mm_text_bytes_eq(t->arena + t->off[id], s, len)) return id;
        }
        i = (i + 1) & t->mask;
    }
}

mm_status mm_text_strtab_intern(mm_text_strtab *t, const uint8_t *s, size_t len, uint64_t h,
                                uint32_t *id)
{
    uint64_t tag = h & 0xffffffff00000000ULL;
    size_t i = (size_t)h & t->mask;
    for (;;) {
        uint64_t sl = t->slots[i];
        if (!sl) break;
        if ((sl & 0xffffffff00000000ULL) == tag) {
            uint32_t k = slot_id(sl);
            if (t->len[k] == len && mm_text_bytes_eq(t->arena + t->off[k], s, len)) {
                *id = k;
                return MM_OK;
            }
        }
        i = (i + 1) & t->mask;
    }
    if (t->n >= UINT32_MAX - 1 || len > UINT32_MAX) return MM_EUNSUPPORTED;
    uint32_t nid = t->n;
    if (nid == t->ids_cap) {
        size_t c1 = t->ids_cap, c2 = t->ids_cap, c3 = t->ids_cap;
        if (!grow_array((void **)&t->hash, &c1, (size_t)nid + 1, sizeof *t->hash) ||
            !grow_array((void **)&t->off, &c2, (size_t)nid + 1, sizeof *t->off) ||
            !grow_array((void **)&t->len, &c3, (size_t)nid + 1, sizeof *t->len))
            return MM_ENOMEM;
        size_t c = c1 < c2 ? c1 : c2;
        c = c < c3 ? c : c3;
        t->ids_cap = c > UINT32_MAX ? UINT32_MAX : (uint32_t)c;
    }
    size_t need;
    if (!mm_size_add(t->arena_len, len, &need) ||
        !grow_array((void **)&t->arena, &t->arena_cap, need, 1))
        return MM_ENOMEM;
    if (len) memcpy(t->arena + t->arena_len, s, len);
    t->hash[nid] = h;
    t->off[nid] = t->arena_len;
    t->len[nid] = (uint32_t)len;
    t->arena_len = need;
    t->slots[i] = slot_make(h, nid);
    t->n = nid + 1;
    if ((size_t)t->n > (t->mask + 1) / 8 * 5) {
        if (slots_grow(&t->slots, &t->mask, t->n, strtab_hash_of, t) != MM_OK) {
            /* the entry is in and findable; only the growth failed */
            return MM_ENOMEM;
        }
    }
    *id = nid;
    return MM_OK;
}

/* ------------------------------------------------------------- pair table */

mm_status mm_text_pairtab_init(mm_text_pairtab *t, size_t expect)
{
    memset(t, 0, sizeof *t);
    size_t cap = cap_for(expect);
    t->slots = mm_calloc_array(cap, sizeof *t->slots);
    if (!t->slots) return MM_ENOMEM;
    t->mask = cap - 1;
    return MM_OK;
}

void mm_text_pairtab_free(mm_text_pairtab *t)
{
    if (!t) return;
    free(t->slots);
    free(t->key);
    memset(t, 0, sizeof *t);
}

static uint64_t pairtab_hash_of(const void *ctx, uint32_t id)
{
    return mm_text_hash_u64(((const mm_text_pairtab *)ctx)->key[id]);
}

uint32_t mm_text_pairtab_find(const mm_text_pairtab *t, uint64_t key, uint64_t h)
{
    uint64_t tag = h & 0xffffffff00000000ULL;
    size_t i = (size_t)h & t->mask;
    for (;;) {
        uint64_t sl = t->slots[i];
        if (!sl) return MM_TEXT_NO_ID;
        if ((sl & 0xffffffff00000000ULL) == tag && t->key[slot_id(sl)] == key) return slot_id(sl);
        i = (i + 1) & t->mask;
    }
}

mm_status mm_text_pairtab_intern(mm_text_pairtab *t, uint64_t key, uint64_t h, uint32_t *id)
{
    uint64_t tag = h & 0xffffffff00000000ULL;
    size_t i = (size_t)h & t->mask;
    for (;;) {
        uint64_t sl = t->slots[i];
        if (!sl) break;
        if ((sl & 0xffffffff00000000ULL) == tag && t->key[slot_id(sl)] == key) {
            *id = slot_id(sl);
            return MM_OK;
        }
        i = (i + 1) & t->mask;
    }
    if (t->n >= UINT32_MAX - 1) return MM_EUNSUPPORTED;
    uint32_t nid = t->n;
    if (nid == t->ids_cap) {
        size_t c = t->ids_cap;
        if (!grow_array((void **)&t->key, &c, (size_t)nid + 1, sizeof *t->key)) return MM_ENOMEM;
        t->ids_cap = c > UINT32_MAX ? UINT32_MAX : (uint32_t)c;
    }
    t->key[nid] = key;
    t->slots[i] = slot_make(h, nid);
    t->n = nid + 1;
    if ((size_t)t->n > (t->mask + 1) / 8 * 5) {
        if (slots_grow(&t->slots, &t->mask, t->n, pairtab_hash_of, t) != MM_OK) return MM_ENOMEM;
    }
    *id = nid;
    return MM_OK;
}
