/* safetensors reader (layout and rules: mmfuse/io.h).
 *
 * The whole file image is validated before anything is exposed: header
 * length, UTF-8, JSON syntax, every tensor entry, and the tiling of the data
 * buffer (sorted by offsets, the tensors must cover it exactly, from 0 to its
 * end, without overlap or hole). Tensor data is never cast in place: the
 * header need not be padded, so the data may be unaligned. */
#include "mmfuse/io.h"

#include "io/guard.h"
#include "io/st_dtype.h"
#include "io/utf8.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

enum { ST_MAX_HEADER = 100000000 };

/* JSON numbers are doubles in cJSON: integers are exact up to 2^53. */
#define ST_MAX_JSON_INT 9007199254740992.0

struct mm_st_file {
    char *name;
    const unsigned char *image; /* the whole file                      */
    size_t size;
    void *map; /* non-NULL when image is an mmap of `size` bytes */
    unsigned char *owned;
    const unsigned char *data; /* the data buffer: image + 8 + N       */
    size_t data_len;
    cJSON *root; /* names and metadata strings point into it */
    mm_st_tensor *tensors; /* in data order                          */
    size_t n;
    size_t *by_name; /* tensor indices sorted by name              */
    const char **meta_keys, **meta_vals; /* sorted by key          */
    size_t n_meta;
};

/* --------------------------------------------------------------- helpers */

static uint64_t le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }

/* IEEE binary16 -> binary32, exact for every input (subnormals, inf, NaN
 * payloads included). */
static float half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1Fu, man = h & 0x3FFu, bits;
    if (exp == 0x1F) {
        bits = sign | 0x7F800000u | (man << 13);
    } else if (exp != 0) {
        bits = sign | ((exp + 112u) << 23) | (man << 13);
    } else {
        float f = (float)man * 5.9604644775390625e-8f; /* man * 2^-24, exact */
        memcpy(&bits, &f, 4);
        bits |= sign;
    }
    float out;
    memcpy(&out, &bits, 4);
    return out;
}

static float bf16_to_float(uint16_t h)
{
    uint32_t bits = (uint32_t)h << 16;
    float out;
    memcpy(&out, &bits, 4);
    return out;
}

static float f32_at(const unsigned char *p)
{
    uint32_t u = le32(p);
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static double f64_at(const unsigned char *p)
{
    uint64_t u = le64(p);
    double d;
    memcpy(&d, &u, 8);
    return d;
}

static int cmp_str_ptr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

typedef struct str_pair {
    const char *key, *val;
    size_t idx;
} str_pair;

static int cmp_str_pair(const void *a, const void *b)
{
    const str_pair *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    if (c) return c;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* ------------------------------------------------------------ validation */

typedef struct st_entry {
    const char *name;
    mm_dtype dtype;
    size_t ndim, shape[MM_ST_MAX_DIMS], count, nbytes, begin, end;
} st_entry;

static int cmp_entry_offsets(const void *a, const void *b)
{
    const st_entry *x = a, *y = b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    return strcmp(x->name, y->name);
}

static const char *const st_known_unsupported[] = {"F8_E5M2", "F8_E4M3", "F8_E8M0", "F4",
                                                   "F6_E2M3", "F6_E3M2", "C64"};

static mm_status parse_dtype(const char *fname, const char *key, const char *s, mm_dtype *out,
                             mm_error *err)
{
    for (int d = 0; d < MM_IO_ST_NDTYPES; d++)
        if (strcmp(s, mm_io_st_dtypes[d].name) == 0) {
            *out = (mm_dtype)d;
            return MM_OK;
        }
    for (size_t i = 0; i < sizeof st_known_unsupported / sizeof *st_known_unsupported; i++)
        if (strcmp(s, st_known_unsupported[i]) == 0)
            return mm_error_set(err, MM_EUNSUPPORTED,
                                "%s: tensor '%.200s': dtype %s is not supported", fname, key, s);
    return mm_error_set(err, MM_EFORMAT, "%s: tensor '%.200s': unknown dtype '%.40s'", fname, key,
                        s);
}

static bool json_size(const cJSON *v, size_t *out)
{
    if (!cJSON_IsNumber(v)) return false;
    double d = v->valuedouble;
    if (!(d >= 0.0) || d >= ST_MAX_JSON_INT || (double)SIZE_MAX < d) return false;
    size_t s = (size_t)d;
    if ((double)s != d) return false; /* a fraction */
    *out = s;
    return true;
}

static mm_status parse_tensor(const char *fname, const cJSON *item, st_entry *e, mm_error *err)
{
    const char *key = item->string;
    e->name = key;
    if (!cJSON_IsObject(item))
        return mm_error_set(err, MM_EFORMAT, "%s: tensor '%.200s': entry is not a JSON object",
                            fname, key);
    const cJSON *jd = NULL, *js = NULL, *jo = NULL;
    for (const cJSON *c = item->child; c; c = c->next) {
        const cJSON **slot = NULL;
        if (strcmp(c->string, "dtype") == 0) slot = &jd;
        else if (strcmp(c->string, "shape") == 0) slot = &js;
        else if (strcmp(c->string, "data_offsets") == 0) slot = &jo;
        if (!slot) continue; /* unknown fields are ignored, as the reference does */
        if (*slot)
            return mm_error_set(err, MM_EFORMAT, "%s: tensor '%.200s': duplicate field '%s'",
                                fname, key, c->string);
        *slot = c;
    }
    if (!cJSON_IsString(jd))
        return mm_error_set(err, MM_EFORMAT, "%s: tensor '%.200s': missing or non-string \"dtype\"",
                            fname, key);
    mm_status st = parse_dtype(fname, key, jd->valuestring, &e->dtype, err);
    if (st) return st;
    if (!cJSON_IsArray(js))
        return mm_error_set(err, MM_EFORMAT, "%s: tensor '%.200s': missing or non-array \"shape\"",
                            fname, key);
    int nd = cJSON_GetArraySize(js);
    if (nd > MM_ST_MAX_DIMS)
        return mm_error_set(err, MM_EUNSUPPORTED,
                            "%s: tensor '%.200s': %d dimensions (at most %d are supported)", fname,
                            key, nd, MM_ST_MAX_DIMS);
    e->ndim = (size_t)nd;
    e->count = 1;
    bool overflow = false;
    size_t i = 0;
    for (const cJSON *c = js->child; c; c = c->next, i++) {
        if (!json_size(c, &e->shape[i]))
            return mm_error_set(err, MM_EFORMAT,
                                "%s: tensor '%.200s': shape[%zu] is not a non-negative integer "
                                "below 2^53",
                                fname, key, i);
        if (!mm_size_mul(e->count, e->shape[i], &e->count)) overflow = true;
    }
    /* a zero dimension makes the product 0 whatever the others are, but the
     * reference multiplies left to right and rejects any overflow on the way */
    if (overflow || !mm_size_mul(e->count, mm_io_st_dtypes[e->dtype].size, &e->nbytes))
        return mm_error_set(err, MM_EFORMAT,
                            "%s: tensor '%.200s': shape element count overflows", fname, key);
    if (!cJSON_IsArray(jo) || cJSON_GetArraySize(jo) != 2)
        return mm_error_set(err, MM_EFORMAT,
                            "%s: tensor '%.200s': \"data_offsets\" must be an array of two "
                            "integers",
                            fname, key);
    if (!json_size(jo->child, &e->begin) || !json_size(jo->child->next, &e->end))
        return mm_error_set(err, MM_EFORMAT,
                            "%s: tensor '%.200s': data_offsets are not non-negative integers "
                            "below 2^53",
                            fname, key);
    if (e->end < e->begin)
        return mm_error_set(err, MM_EFORMAT,
                            "%s: tensor '%.200s': data_offsets [%zu, %zu] end before they begin",
                            fname, key, e->begin, e->end);
    if (e->end - e->begin != e->nbytes)
        return mm_error_set(err, MM_EFORMAT,
                            "%s: tensor '%.200s': data_offsets [%zu, %zu] hold %zu bytes but "
                            "shape x %s needs %zu",
                            fname, key, e->begin, e->end, e->end - e->begin,
                            mm_io_st_dtypes[e->dtype].name, e->nbytes);
    return MM_OK;
}

static mm_status parse_metadata(mm_st_file *f, const cJSON *item, mm_error *err)
{
    if (!cJSON_IsObject(item))
        return mm_error_set(err, MM_EFORMAT, "%s: __metadata__ is not a JSON object", f->name);
    size_t n = 0;
    for (const cJSON *c = item->child; c; c = c->next) {
        if (!cJSON_IsString(c))
            return mm_error_set(err, MM_EFORMAT,
                                "%s: __metadata__ value for key '%.200s' is not a string", f->name,
                                c->string);
        n++;
    }
    str_pair *pairs = mm_alloc_array(n ? n : 1, sizeof *pairs);
    f->meta_keys = mm_alloc_array(n ? n : 1, sizeof *f->meta_keys);
    f->meta_vals = mm_alloc_array(n ? n : 1, sizeof *f->meta_vals);
    if (!pairs || !f->meta_keys || !f->meta_vals) {
        free(pairs);
        return mm_error_set(err, MM_ENOMEM, "%s: out of memory", f->name);
    }
    size_t i = 0;
    for (const cJSON *c = item->child; c; c = c->next, i++) {
        pairs[i].key = c->string;
        pairs[i].val = c->valuestring;
        pairs[i].idx = i;
    }
    qsort(pairs, n, sizeof *pairs, cmp_str_pair);
    for (size_t k = 0; k < n; k++) {
        if (k > 0 && strcmp(pairs[k].key, pairs[k - 1].key) == 0) {
            mm_error_set(err, MM_EFORMAT, "%s: duplicate __metadata__ key '%.200s'", f->name,
                         pairs[k].key);
            free(pairs);
            return MM_EFORMAT;
        }
        f->meta_keys[k] = pairs[k].key;
        f->meta_vals[k] = pairs[k].val;
    }
    free(pairs);
    f->n_meta = n;
    return MM_OK;
}

static mm_status check_header_bytes(const mm_st_file *f, const unsigned char *h, size_t n,
                                    mm_error *err)
{
    if (n == 0 || h[0] != '{')
        return mm_error_set(err, MM_EFORMAT, "%s: header does not start with '{'", f->name);
    size_t bad = mm_io_utf8_check(h, n);
    if (bad < n)
        return mm_error_set(err, MM_EFORMAT, "%s: header is not valid UTF-8 (at byte %zu)",
                            f->name, 8 + bad);
    for (size_t i = 0; i < n; i++)
        if (h[i] < 0x20 && h[i] != ' ' && h[i] != '\t' && h[i] != '\n' && h[i] != '\r')
            return mm_error_set(err, MM_EFORMAT,
                                "%s: header contains control byte 0x%02X (at byte %zu)", f->name,
                                h[i], 8 + i);
    return MM_OK;
}

static mm_status parse_header(mm_st_file *f, size_t n_hdr, mm_error *err)
{
    const unsigned char *h = f->image + 8;
    mm_status st = check_header_bytes(f, h, n_hdr, err);
    if (st) return st;
    char *text = malloc(n_hdr + 1);
    if (!text) return mm_error_set(err, MM_ENOMEM, "%s: out of memory for the header", f->name);
    memcpy(text, h, n_hdr);
    text[n_hdr] = '\0';
    const char *end = NULL;
    f->root = cJSON_ParseWithLengthOpts(text, n_hdr, &end, 0);
    if (!f->root) {
        size_t at = end && end >= text && end <= text + n_hdr ? (size_t)(end - text) : 0;
        free(text);
        return mm_error_set(err, MM_EFORMAT, "%s: header is not valid JSON (near byte %zu)",
                            f->name, 8 + at);
    }
    size_t rest = end ? (size_t)(end - text) : n_hdr;
    for (; rest < n_hdr; rest++) {
        char c = text[rest];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
            free(text);
            return mm_error_set(err, MM_EFORMAT,
                                "%s: unexpected data after the JSON header (at byte %zu)", f->name,
                                8 + rest);
        }
    }
    free(text);
    if (!cJSON_IsObject(f->root))
        return mm_error_set(err, MM_EFORMAT, "%s: header is not a JSON object", f->name);
    return MM_OK;
}

static mm_status check_duplicates(mm_st_file *f, size_t n_keys, mm_error *err)
{
    if (n_keys < 2) return MM_OK;
    const char **keys = mm_alloc_array(n_keys, sizeof *keys);
    if (!keys) return mm_error_set(err, MM_ENOMEM, "%s: out of memory", f->name);
    size_t i = 0;
    for (const cJSON *c = f->root->child; c; c = c->next) keys[i++] = c->string;
    qsort(keys, n_keys, sizeof *keys, cmp_str_ptr);
    mm_status st = MM_OK;
    for (i = 1; i < n_keys; i++)
        if (strcmp(keys[i], keys[i - 1]) == 0) {
            st = mm_error_set(err, MM_EFORMAT, "%s: duplicate key '%.200s' in the header",
                              f->name, keys[i]);
            break;
        }
    free(keys);
    return st;
}

static mm_status check_tiling(const mm_st_file *f, const st_entry *e, size_t n, mm_error *err)
{
    size_t expect = 0;
    for (size_t i = 0; i < n; i++) {
        if (e[i].begin != expect) {
            if (i == 0)
                return mm_error_set(err, MM_EFORMAT,
                                    "%s: tensor '%.200s': data_offsets start at %zu, but the "
                                    "first tensor must start at 0",
                                    f->name, e[i].name, e[i].begin);
            if (e[i].begin < expect)
                return mm_error_set(err, MM_EFORMAT,
                                    "%s: tensor '%.200s': data_offsets [%zu, %zu] overlap tensor "
                                    "'%.200s' (which ends at %zu)",
                                    f->name, e[i].name, e[i].begin, e[i].end, e[i - 1].name,
                                    expect);
            return mm_error_set(err, MM_EFORMAT,
                                "%s: tensor '%.200s': data_offsets [%zu, %zu] leave a hole of %zu "
                                "bytes after tensor '%.200s' (which ends at %zu)",
                                f->name, e[i].name, e[i].begin, e[i].end, e[i].begin - expect,
                                e[i - 1].name, expect);
        }
        expect = e[i].end;
    }
    if (expect > f->data_len)
        return mm_error_set(err, MM_EFORMAT,
                            "%s: tensor '%.200s': data_offsets end at %zu, past the end of the "
                            "file (the data buffer holds %zu bytes)",
                            f->name, e[n - 1].name, expect, f->data_len);
    if (expect < f->data_len)
        return mm_error_set(err, MM_EFORMAT,
                            "%s: %zu trailing bytes after the last tensor (tensors end at %zu, "
                            "the data buffer holds %zu bytes)",
                            f->name, f->data_len - expect, expect, f->data_len);
    return MM_OK;
}

static mm_status validate(mm_st_file *f, mm_error *err)
{
    if (f->size < 8)
        return mm_error_set(err, MM_EFORMAT,
                            "%s: file is %zu bytes, shorter than the 8-byte header length",
                            f->name, f->size);
    uint64_t n64 = le64(f->image);
    if (n64 > ST_MAX_HEADER)
        return mm_error_set(err, MM_EFORMAT,
                            "%s: header length %llu exceeds the limit of %d bytes", f->name,
                            (unsigned long long)n64, ST_MAX_HEADER);
    size_t n_hdr = (size_t)n64;
    if (n_hdr > f->size - 8)
        return mm_error_set(err, MM_EFORMAT,
                            "%s: header length %zu runs past the end of the file (%zu bytes)",
                            f->name, n_hdr, f->size);
    f->data = f->image + 8 + n_hdr;
    f->data_len = f->size - 8 - n_hdr;
    mm_status st = parse_header(f, n_hdr, err);
    if (st) return st;

    size_t n_keys = 0, n_tensors = 0;
    const cJSON *meta = NULL;
    for (const cJSON *c = f->root->child; c; c = c->next) {
        if (!c->string)
            return mm_error_set(err, MM_EFORMAT, "%s: header member without a key", f->name);
        n_keys++;
        if (strcmp(c->string, "__metadata__") == 0) meta = c;
        else n_tensors++;
    }
    if ((st = check_duplicates(f, n_keys, err))) return st;
    if (meta && (st = parse_metadata(f, meta, err))) return st;

    st_entry *e = mm_alloc_array(n_tensors ? n_tensors : 1, sizeof *e);
    if (!e) return mm_error_set(err, MM_ENOMEM, "%s: out of memory", f->name);
    size_t i = 0;
    for (const cJSON *c = f->root->child; c; c = c->next) {
        if (c == meta) continue;
        if ((st = parse_tensor(f->name, c, &e[i], err))) {
            free(e);
            return st;
        }
        i++;
    }
    qsort(e, n_tensors, sizeof *e, cmp_entry_offsets);
    if ((st = check_tiling(f, e, n_tensors, err))) {
        free(e);
        return st;
    }

    f->tensors = mm_alloc_array(n_tensors ? n_tensors : 1, sizeof *f->tensors);
    f->by_name = mm_alloc_array(n_tensors ? n_tensors : 1, sizeof *f->by_name);
    str_pair *names = mm_alloc_array(n_tensors ? n_tensors : 1, sizeof *names);
    if (!f->tensors || !f->by_name || !names) {
        free(e);
        free(names);
        return mm_error_set(err, MM_ENOMEM, "%s: out of memory", f->name);
    }
    for (i = 0; i < n_tensors; i++) {
        mm_st_tensor *t = &f->tensors[i];
        memset(t, 0, sizeof *t);
        t->name = e[i].name;
        t->dtype = e[i].dtype;
        t->ndim = e[i].ndim;
        memcpy(t->shape, e[i].shape, e[i].ndim * sizeof t->shape[0]);
        t->count = e[i].count;
        t->data = f->data + e[i].begin;
        t->nbytes = e[i].nbytes;
        names[i].key = t->name;
        names[i].val = NULL;
        names[i].idx = i;
    }
    free(e);
    qsort(names, n_tensors, sizeof *names, cmp_str_pair);
    for (i = 0; i < n_tensors; i++) f->by_name[i] = names[i].idx;
    free(names);
    f->n = n_tensors;
    return MM_OK;
}

/* -------------------------------------------------------------- open/close */

static mm_st_file *file_new(const char *name)
{
    mm_st_file *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    size_t nl = strlen(name);
    f->name = malloc(nl + 1);
    if (!f->name) {
        free(f);
        return NULL;
    }
    memcpy(f->name, name, nl + 1);
    return f;
}

void mm_st_close(mm_st_file *f)
{
    if (!f) return;
    if (f->map) munmap(f->map, f->size);
    free(f->owned);
    cJSON_Delete(f->root);
    free(f->tensors);
    free(f->by_name);
    free(f->meta_keys);
    free(f->meta_vals);
    free(f->name);
    free(f);
}

static mm_status finish_open(mm_st_file *f, mm_st_file **out, mm_error *err)
{
    mm_status st = validate(f, err);
    if (st) {
        mm_st_close(f);
        return st;
    }
    *out = f;
    return MM_OK;
}

mm_status mm_st_open_buffer(const void *data, size_t len, const char *name, mm_st_file **out,
                            mm_error *err)
{
    if (!out) return mm_error_set(err, MM_EINVAL, "mm_st_open_buffer: out is NULL");
    *out = NULL;
    if (!name) name = "<buffer>";
    if (!data && len > 0)
        return mm_error_set(err, MM_EINVAL, "%s: data is NULL but length is %zu", name, len);
    mm_st_file *f = file_new(name);
    if (!f) return mm_error_set(err, MM_ENOMEM, "%s: out of memory", name);
    f->owned = malloc(len ? len : 1);
    if (!f->owned) {
        mm_st_close(f);
        return mm_error_set(err, MM_ENOMEM, "%s: out of memory for a %zu-byte image", name, len);
    }
    if (len) memcpy(f->owned, data, len);
    f->image = f->owned;
    f->size = len;
    return finish_open(f, out, err);
}

/* Reads a regular file of known size into memory (when mmap is refused). */
static mm_status read_exact(int fd, mm_st_file *f, size_t size, mm_error *err)
{
    unsigned char *b = malloc(size ? size : 1);
    if (!b) return mm_error_set(err, MM_ENOMEM, "%s: out of memory for %zu bytes", f->name, size);
    size_t got = 0;
    while (got < size) {
        ssize_t r = read(fd, b + got, size - got);
        if (r < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            free(b);
            return mm_error_set(err, MM_EIO, "%s: read error: %s", f->name, strerror(e));
        }
        if (r == 0) break; /* shrank while reading: validate what is there */
        got += (size_t)r;
    }
    f->owned = b;
    f->image = b;
    f->size = got;
    return MM_OK;
}

mm_status mm_st_open_kind(const char *path, mm_guard_kind kind, mm_st_file **out, mm_error *err)
{
    if (!out) return mm_error_set(err, MM_EINVAL, "mm_st_open: out is NULL");
    *out = NULL;
    if (!path) return mm_error_set(err, MM_EINVAL, "mm_st_open: path is NULL");
    /* a regular file within the kind's limit, or nothing is read at all
     * (a FIFO, /dev/zero or a directory is refused at once) */
    int fd;
    uint64_t fsize;
    mm_status st = mm_guard_open(path, kind, 0, &fd, &fsize, err);
    if (st) return st;
    mm_st_file *f = file_new(path);
    if (!f) {
        close(fd);
        return mm_error_set(err, MM_ENOMEM, "%s: out of memory", path);
    }
    if (fsize < 8) {
        f->image = (const unsigned char *)"";
        f->size = (size_t)fsize;
    } else if (fsize > SIZE_MAX) {
        st = mm_error_set(err, MM_EUNSUPPORTED, "%s: file too large to map", path);
    } else {
        size_t size = (size_t)fsize;
        void *m = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m != MAP_FAILED) {
            f->map = m;
            f->image = m;
            f->size = size;
        } else {
            st = read_exact(fd, f, size, err);
        }
    }
    close(fd);
    if (st) {
        mm_st_close(f);
        return st;
    }
    return finish_open(f, out, err);
}

mm_status mm_st_open(const char *path, mm_st_file **out, mm_error *err)
{
    return mm_st_open_kind(path, MM_GUARD_WEIGHTS, out, err);
}

/* ------------------------------------------------------------- accessors */

size_t mm_st_count(const mm_st_file *f) { return f ? f->n : 0; }

const mm_st_tensor *mm_st_at(const mm_st_file *f, size_t i)
{
    if (!f || i >= f->n) return NULL;
    return &f->tensors[i];
}

const mm_st_tensor *mm_st_find(const mm_st_file *f, const char *name)
{
    if (!f || !name) return NULL;
    size_t lo = 0, hi = f->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const mm_st_tensor *t = &f->tensors[f->by_name[mid]];
        int c = strcmp(t->name, name);
        if (c == 0) return t;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

const char *mm_st_meta(const mm_st_file *f, const char *key)
{
    if (!f || !key) return NULL;
    size_t lo = 0, hi = f->n_meta;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(f->meta_keys[mid], key);
        if (c == 0) return f->meta_vals[mid];
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

uint64_t mm_st_data_hash(const mm_st_file *f)
{
    if (!f) return XXH64(NULL, 0, 0);
    return XXH64(f->data, f->data_len, 0);
}

const unsigned char *mm_st_image(const mm_st_file *f, size_t *size)
{
    if (size) *size = f ? f->size : 0;
    return f ? f->image : NULL;
}

/* ------------------------------------------------------------ conversion */

static mm_status lookup(const mm_st_file *f, const char *name, const void *dst, size_t count,
                        const mm_st_tensor **out, mm_error *err)
{
    if (!f || !name) return mm_error_set(err, MM_EINVAL, "mm_st_read: NULL file or name");
    if (!dst && count > 0) return mm_error_set(err, MM_EINVAL, "%s: destination is NULL", f->name);
    const mm_st_tensor *t = mm_st_find(f, name);
    if (!t)
        return mm_error_set(err, MM_EFORMAT, "%s: no tensor named '%.200s'", f->name, name);
    if (t->count != count)
        return mm_error_set(err, MM_EFORMAT,
                            "%s: tensor '%.200s' has %zu elements, expected %zu", f->name, name,
                            t->count, count);
    *out = t;
    return MM_OK;
}

/* Each integer type converts directly to the destination type (one
 * rounding), never through double. */
#define ST_CONVERT(DST_T, dst, t)                                                       \
    do {                                                                                \
        const unsigned char *p_ = (const unsigned char *)(t)->data;                     \
        size_t n_ = (t)->count;                                                         \
        switch ((t)->dtype) {                                                           \
        case MM_DTYPE_F32:                                                              \
            for (size_t i_ = 0; i_ < n_; i_++) dst[i_] = (DST_T)f32_at(p_ + 4 * i_);    \
            break;                                                                      \
        case MM_DTYPE_F64:                                                              \
            for (size_t i_ = 0; i_ < n_; i_++) dst[i_] = (DST_T)f64_at(p_ + 8 * i_);    \
            break;                                                                      \
        case MM_DTYPE_F16:                                                              \
            for (size_t i_ = 0; i_ < n_; i_++)                                          \
                dst[i_] = (DST_T)half_to_float(le16(p_ + 2 * i_));                      \
            break;                                                                      \
        case MM_DTYPE_BF16:                                                             \
            for (size_t i_ = 0; i_ < n_; i_++)                                          \
                dst[i_] = (DST_T)bf16_to_float(le16(p_ + 2 * i_));                      \
            break;                                                                      \
        case MM_DTYPE_I64:                                                              \
            for (size_t i_ = 0; i_ < n_; i_++) dst[i_] = (DST_T)(int64_t)le64(p_ + 8 * i_); \
            break;                                                                      \
        case MM_DTYPE_U64:                                                              \
            for (size_t i_ = 0; i_ < n_; i_++) dst[i_] = (DST_T)le64(p_ + 8 * i_);      \
            break;                                                                      \
        case MM_DTYPE_I32:                                                              \
            for (size_t i_ = 0; i_ < n_; i_++) dst[i_] = (DST_T)(int32_t)le32(p_ + 4 * i_); \
            break;                                                                      \
        case MM_DTYPE_U32:                                                              \
            for (size_t i_ = 0; i_ < n_; i_++) dst[i_] = (DST_T)le32(p_ + 4 * i_);      \
            break;                                                                      \
        case MM_DTYPE_I16:                                                              \
            for (size_t i_ = 0; i_ < n_; i_++) dst[i_] = (DST_T)(int16_t)le16(p_ + 2 * i_); \
            break;                                                                      \
        case MM_DTYPE_U16:                                                              \
            for (size_t i_ = 0; i_ < n_; i_++) dst[i_] = (DST_T)le16(p_ + 2 * i_);      \
            break;                                                                      \
        case MM_DTYPE_I8:                                                               \
            for (size_t i_ = 0; i_ < n_; i_++) dst[i_] = (DST_T)(int8_t)p_[i_];         \
            break;                                                                      \
        case MM_DTYPE_U8:                                                               \
            for (size_t i_ = 0; i_ < n_; i_++) dst[i_] = (DST_T)p_[i_];                 \
            break;                                                                      \
        case MM_DTYPE_BOOL:                                                             \
            for (size_t i_ = 0; i_ < n_; i_++) dst[i_] = (DST_T)(p_[i_] != 0);          \
            break;                                                                      \
        }                                                                               \
    } while (0)

mm_status mm_st_read_f32(const mm_st_file *f, const char *name, float *dst, size_t count,
                         mm_error *err)
{
    const mm_st_tensor *t;
    mm_status st = lookup(f, name, dst, count, &t, err);
    if (st) return st;
    ST_CONVERT(float, dst, t);
    return MM_OK;
}

mm_status mm_st_read_f64(const mm_st_file *f, const char *name, double *dst, size_t count,
                         mm_error *err)
{
    const mm_st_tensor *t;
    mm_status st = lookup(f, name, dst, count, &t, err);
    if (st) return st;
    ST_CONVERT(double, dst, t);
    return MM_OK;
}
