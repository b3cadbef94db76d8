/* safetensors writer.
 *
 * Produces the same bytes as the reference serializer: tensors sorted by dtype
 * (the reference Dtype order, descending: 8-byte types first, then 4, 2, 1)
 * and then by name; offsets contiguous from 0; a compact JSON header with
 * "__metadata__" first (keys sorted here, since the reference's map order is
 * unspecified) and each tensor as {"dtype","shape","data_offsets"}; the
 * header padded with spaces to a multiple of 8 bytes. */
#include "mmfuse/io.h"

#include "io/atomic.h"
#include "io/st_dtype.h"
#include "io/utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

enum { ST_MAX_HEADER = 100000000 };

typedef struct st_wtensor {
    char *name;
    mm_dtype dtype;
    size_t ndim, shape[MM_ST_MAX_DIMS];
    size_t nbytes;
    unsigned char *data;
} st_wtensor;

typedef struct st_meta {
    char *key, *value;
} st_meta;

struct mm_st_writer {
    st_wtensor *t;
    size_t n, cap;
    st_meta *m;
    size_t nm, mcap;
};

mm_status mm_st_writer_new(mm_st_writer **out, mm_error *err)
{
    if (!out) return mm_error_set(err, MM_EINVAL, "mm_st_writer_new: out is NULL");
    *out = calloc(1, sizeof **out);
    if (!*out) return mm_error_set(err, MM_ENOMEM, "safetensors writer: out of memory");
    return MM_OK;
}

void mm_st_writer_free(mm_st_writer *w)
{
    if (!w) return;
    for (size_t i = 0; i < w->n; i++) {
        free(w->t[i].name);
        free(w->t[i].data);
    }
    for (size_t i = 0; i < w->nm; i++) {
        free(w->m[i].key);
        free(w->m[i].value);
    }
    free(w->t);
    free(w->m);
    free(w);
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s);
    char *d = malloc(n + 1);
    if (d) memcpy(d, s, n + 1);
    return d;
}

static bool valid_utf8(const char *s)
{
    size_t n = strlen(s);
    return mm_io_utf8_check((const unsigned char *)s, n) == n;
}

mm_status mm_st_writer_add(mm_st_writer *w, const char *name, mm_dtype dtype, const size_t *shape,
                           size_t ndim, const void *data, mm_error *err)
{
    if (!w || !name) return mm_error_set(err, MM_EINVAL, "mm_st_writer_add: NULL writer or name");
    if (!valid_utf8(name))
        return mm_error_set(err, MM_EINVAL, "safetensors writer: tensor name is not valid UTF-8");
    if (strcmp(name, "__metadata__") == 0)
        return mm_error_set(err, MM_EINVAL,
                            "safetensors writer: '__metadata__' cannot name a tensor");
    if (!mm_io_st_dtype_valid(dtype))
        return mm_error_set(err, MM_EINVAL, "safetensors writer: tensor '%.200s': invalid dtype %d",
                            name, (int)dtype);
    if (ndim > MM_ST_MAX_DIMS)
        return mm_error_set(err, MM_EINVAL,
                            "safetensors writer: tensor '%.200s': %zu dimensions (at most %d)",
                            name, ndim, MM_ST_MAX_DIMS);
    if (ndim > 0 && !shape)
        return mm_error_set(err, MM_EINVAL, "safetensors writer: tensor '%.200s': shape is NULL",
                            name);
    size_t count = 1, nbytes;
    for (size_t i = 0; i < ndim; i++)
        if (!mm_size_mul(count, shape[i], &count))
            return mm_error_set(err, MM_EINVAL,
                                "safetensors writer: tensor '%.200s': element count overflows",
                                name);
    if (!mm_size_mul(count, mm_io_st_dtypes[dtype].size, &nbytes))
        return mm_error_set(err, MM_EINVAL,
                            "safetensors writer: tensor '%.200s': byte size overflows", name);
    if (nbytes > 0 && !data)
        return mm_error_set(err, MM_EINVAL, "safetensors writer: tensor '%.200s': data is NULL",
                            name);
    for (size_t i = 0; i < w->n; i++)
        if (strcmp(w->t[i].name, name) == 0)
            return mm_error_set(err, MM_EINVAL,
                                "safetensors writer: duplicate tensor name '%.200s'", name);
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 16;
        st_wtensor *t = realloc(w->t, cap * sizeof *t);
        if (!t) return mm_error_set(err, MM_ENOMEM, "safetensors writer: out of memory");
        w->t = t;
        w->cap = cap;
    }
    st_wtensor *t = &w->t[w->n];
    memset(t, 0, sizeof *t);
    t->name = dup_str(name);
    t->data = malloc(nbytes ? nbytes : 1);
    if (!t->name || !t->data) {
        free(t->name);
        free(t->data);
        return mm_error_set(err, MM_ENOMEM,
                            "safetensors writer: tensor '%.200s': out of memory for %zu bytes",
                            name, nbytes);
    }
    if (nbytes) memcpy(t->data, data, nbytes);
    t->dtype = dtype;
    t->ndim = ndim;
    if (ndim) memcpy(t->shape, shape, ndim * sizeof *shape);
    t->nbytes = nbytes;
    w->n++;
    return MM_OK;
}

mm_status mm_st_writer_meta(mm_st_writer *w, const char *key, const char *value, mm_error *err)
{
    if (!w || !key || !value)
        return mm_error_set(err, MM_EINVAL, "mm_st_writer_meta: NULL writer, key or value");
    if (!valid_utf8(key) || !valid_utf8(value))
        return mm_error_set(err, MM_EINVAL,
                            "safetensors writer: metadata '%.200s' is not valid UTF-8", key);
    char *v = dup_str(value);
    if (!v) return mm_error_set(err, MM_ENOMEM, "safetensors writer: out of memory");
    for (size_t i = 0; i < w->nm; i++)
        if (strcmp(w->m[i].key, key) == 0) {
            free(w->m[i].value);
            w->m[i].value = v;
            return MM_OK;
        }
    if (w->nm == w->mcap) {
        size_t cap = w->mcap ? w->mcap * 2 : 8;
        st_meta *m = realloc(w->m, cap * sizeof *m);
        if (!m) {
            free(v);
            return mm_error_set(err, MM_ENOMEM, "safetensors writer: out of memory");
        }
        w->m = m;
        w->mcap = cap;
    }
    char *k = dup_str(key);
    if (!k) {
        free(v);
        return mm_error_set(err, MM_ENOMEM, "safetensors writer: out of memory");
    }
    w->m[w->nm].key = k;
    w->m[w->nm].value = v;
    w->nm++;
    return MM_OK;
}

/* ------------------------------------------------------------ layout */

static int cmp_wtensor(const void *a, const void *b)
{
    const st_wtensor *x = *(const st_wtensor *const *)a, *y = *(const st_wtensor *const *)b;
    int rx = mm_io_st_dtypes[x->dtype].rank, ry = mm_io_st_dtypes[y->dtype].rank;
    if (rx != ry) return rx > ry ? -1 : 1;
    return strcmp(x->name, y->name);
}

static int cmp_meta(const void *a, const void *b)
{
    return strcmp(((const st_meta *)a)->key, ((const st_meta *)b)->key);
}

/* Tensors in file order; the caller frees the array. */
static const st_wtensor **layout(const mm_st_writer *w)
{
    const st_wtensor **o = mm_alloc_array(w->n ? w->n : 1, sizeof *o);
    if (!o) return NULL;
    for (size_t i = 0; i < w->n; i++) o[i] = &w->t[i];
    qsort(o, w->n, sizeof *o, cmp_wtensor);
    return o;
}

uint64_t mm_st_writer_data_hash(const mm_st_writer *w)
{
    XXH64_state_t s;
    XXH64_reset(&s, 0);
    if (w && w->n) {
        const st_wtensor **o = layout(w);
        if (!o) return 0;
        for (size_t i = 0; i < w->n; i++) XXH64_update(&s, o[i]->data, o[i]->nbytes);
        free(o);
    }
    return XXH64_digest(&s);
}

typedef struct strbuf {
    char *p;
    size_t len, cap;
    bool oom;
} strbuf;

static void sb_put(strbuf *b, const char *s, size_t n)
{
    if (b->oom) return;
    if (n > SIZE_MAX - b->len - 1) {
        b->oom = true;
        return;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) cap = cap > SIZE_MAX / 2 ? b->len + n + 1 : cap * 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_puts(strbuf *b, const char *s) { sb_put(b, s, strlen(s)); }

/* A JSON string literal, escaped as serde_json does: '"' and '\\', the short
 * forms \b \f \n \r \t, other control characters as \u00xx; everything else
 * (UTF-8 included) verbatim. */
static void sb_json_string(strbuf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    sb_put(b, "\"", 1);
    const char *run = s;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        const char *esc = NULL;
        char u[7];
        switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        default:
            if (c < 0x20) {
                memcpy(u, "\\u00", 4);
                u[4] = hex[c >> 4];
                u[5] = hex[c & 15];
                u[6] = '\0';
                esc = u;
            }
        }
        if (esc) {
            sb_put(b, run, (size_t)(s - run));
            sb_puts(b, esc);
            run = s + 1;
        }
    }
    sb_put(b, run, (size_t)(s - run));
    sb_put(b, "\"", 1);
}

static void sb_size(strbuf *b, size_t v)
{
    char num[32];
    int n = snprintf(num, sizeof num, "%zu", v);
    sb_put(b, num, (size_t)n);
}

/* The complete header: 8-byte length + padded JSON. */
static mm_status build_header(const mm_st_writer *w, const st_wtensor **o, strbuf *b,
                              const char *path, mm_error *err)
{
    sb_put(b, "\0\0\0\0\0\0\0\0", 8);
    sb_put(b, "{", 1);
    bool first = true;
    if (w->nm) {
        st_meta *m = mm_alloc_array(w->nm, sizeof *m);
        if (!m) return mm_error_set(err, MM_ENOMEM, "%s: out of memory", path);
        memcpy(m, w->m, w->nm * sizeof *m);
        qsort(m, w->nm, sizeof *m, cmp_meta);
        sb_puts(b, "\"__metadata__\":{");
        for (size_t i = 0; i < w->nm; i++) {
            if (i) sb_put(b, ",", 1);
            sb_json_string(b, m[i].key);
            sb_put(b, ":", 1);
            sb_json_string(b, m[i].value);
        }
        sb_put(b, "}", 1);
        free(m);
        first = false;
    }
    size_t off = 0;
    for (size_t i = 0; i < w->n; i++) {
        const st_wtensor *t = o[i];
        if (!first) sb_put(b, ",", 1);
        first = false;
        sb_json_string(b, t->name);
        sb_puts(b, ":{\"dtype\":\"");
        sb_puts(b, mm_io_st_dtypes[t->dtype].name);
        sb_puts(b, "\",\"shape\":[");
        for (size_t d = 0; d < t->ndim; d++) {
            if (d) sb_put(b, ",", 1);
            sb_size(b, t->shape[d]);
        }
        sb_puts(b, "],\"data_offsets\":[");
        sb_size(b, off);
        sb_put(b, ",", 1);
        if (!mm_size_add(off, t->nbytes, &off))
            return mm_error_set(err, MM_EINVAL, "%s: total data size overflows", path);
        sb_size(b, off);
        sb_puts(b, "]}");
    }
    sb_put(b, "}", 1);
    while (!b->oom && (b->len - 8) % 8 != 0) sb_put(b, " ", 1);
    if (b->oom) return mm_error_set(err, MM_ENOMEM, "%s: out of memory for the header", path);
    size_t n = b->len - 8;
    if (n > ST_MAX_HEADER)
        return mm_error_set(err, MM_EINVAL,
                            "%s: header of %zu bytes exceeds the safetensors limit of %d", path, n,
                            ST_MAX_HEADER);
    for (int i = 0; i < 8; i++) b->p[i] = (char)(unsigned char)((uint64_t)n >> (8 * i));
    return MM_OK;
}

mm_status mm_st_writer_save(const mm_st_writer *w, const char *path, mm_error *err)
{
    if (!w || !path) return mm_error_set(err, MM_EINVAL, "mm_st_writer_save: NULL writer or path");
    const st_wtensor **o = layout(w);
    if (!o) return mm_error_set(err, MM_ENOMEM, "%s: out of memory", path);
    strbuf b = {0};
    mm_status st = build_header(w, o, &b, path, err);
    if (st) {
        free(b.p);
        free(o);
        return st;
    }
    mm_io_atomic a;
    st = mm_io_atomic_open(&a, path, err);
    if (!st) st = mm_io_atomic_write(&a, b.p, b.len, err);
    for (size_t i = 0; !st && i < w->n; i++) st = mm_io_atomic_write(&a, o[i]->data, o[i]->nbytes, err);
    if (!st) st = mm_io_atomic_commit(&a, err);
    free(b.p);
    free(o);
    return st;
}

mm_status mm_st_writer_serialize(const mm_st_writer *w, unsigned char **out, size_t *len,
                                 mm_error *err)
{
    if (!out || !len) return mm_error_set(err, MM_EINVAL, "mm_st_writer_serialize: out is NULL");
    *out = NULL;
    *len = 0;
    if (!w) return mm_error_set(err, MM_EINVAL, "mm_st_writer_serialize: NULL writer");
    const st_wtensor **o = layout(w);
    if (!o) return mm_error_set(err, MM_ENOMEM, "safetensors writer: out of memory");
    strbuf b = {0};
    mm_status st = build_header(w, o, &b, "safetensors writer", err);
    size_t total = b.len;
    for (size_t i = 0; !st && i < w->n; i++)
        if (!mm_size_add(total, o[i]->nbytes, &total))
            st = mm_error_set(err, MM_EINVAL, "safetensors writer: total size overflows");
    unsigned char *img = st ? NULL : malloc(total ? total : 1);
    if (!st && !img)
        st = mm_error_set(err, MM_ENOMEM, "safetensors writer: out of memory for %zu bytes", total);
    if (!st) {
        memcpy(img, b.p, b.len);
        size_t at = b.len;
        for (size_t i = 0; i < w->n; i++) {
            if (o[i]->nbytes) memcpy(img + at, o[i]->data, o[i]->nbytes);
            at += o[i]->nbytes;
        }
        *out = img;
        *len = total;
    }
    free(b.p);
    free(o);
    return st;
}
