/* Weight files for the engine: a safetensors file with upstream key names,
 * looked up by key with one common wrapper prefix stripped, checked for
 * shape and converted to float32. */
#include "nn/nn_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mm_nn_weights {
    mm_st_file *f;
    char *path;
    char prefix[16]; /* stripped from every key ("" when none) */
};

/* Wrappers that training code puts around a state dict. */
static const char *const PREFIXES[] = {"module.", "model.", "backbone."};

mm_status mm_nn_weights_open(const char *path, mm_nn_weights **out, mm_error *err)
{
    *out = NULL;
    mm_nn_weights *w = calloc(1, sizeof *w);
    if (!w || !(w->path = strdup(path))) {
        free(w);
        return mm_error_set(err, MM_ENOMEM, "out of memory (weights %s)", path);
    }
    mm_status st = mm_st_open(path, &w->f, err);
    if (st) {
        mm_nn_weights_close(w);
        return st;
    }
    size_t n = mm_st_count(w->f);
    for (size_t p = 0; p < sizeof PREFIXES / sizeof PREFIXES[0] && n > 0; p++) {
        size_t len = strlen(PREFIXES[p]), i = 0;
        while (i < n && strncmp(mm_st_at(w->f, i)->name, PREFIXES[p], len) == 0) i++;
        if (i == n) {
            snprintf(w->prefix, sizeof w->prefix, "%s", PREFIXES[p]);
            break;
        }
    }
    *out = w;
    return MM_OK;
}

void mm_nn_weights_close(mm_nn_weights *w)
{
    if (!w) return;
    mm_st_close(w->f);
    free(w->path);
    free(w);
}

const mm_st_file *mm_nn_weights_file(const mm_nn_weights *w)
{
    return w->f;
}

const mm_st_tensor *mm_nn_weights_find(const mm_nn_weights *w, const char *key)
{
    char full[256];
    int len = snprintf(full, sizeof full, "%s%s", w->prefix, key);
    if (len < 0 || (size_t)len >= sizeof full) return NULL;
    return mm_st_find(w->f, full);
}

bool mm_nn_weights_has(const mm_nn_weights *w, const char *key)
{
    return mm_nn_weights_find(w, key) != NULL;
}

static void shape_str(const size_t *shape, size_t ndim, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < ndim && used < size; i++) {
        int k = snprintf(buf + used, size - used, "%s%zu", i ? ", " : "", shape[i]);
        if (k < 0) break;
        used += (size_t)k;
    }
}

mm_status mm_nn_weights_get(const mm_nn_weights *w, const char *key, const size_t *shape, size_t ndim, float *dst,
                            mm_error *err)
{
    const mm_st_tensor *t = mm_nn_weights_find(w, key);
    if (!t) return mm_error_set(err, MM_EFORMAT, "%s: missing tensor '%s%s'", w->path, w->prefix, key);
    bool same = t->ndim == ndim;
    for (size_t i = 0; same && i < ndim; i++) same = t->shape[i] == shape[i];
    if (!same) {
        char want[128], have[128];
        shape_str(shape, ndim, want, sizeof want);
        shape_str(t->shape, t->ndim, have, sizeof have);
        return mm_error_set(err, MM_EFORMAT, "%s: tensor '%s' has shape [%s], expected [%s]", w->path, t->name, have,
                            want);
    }
    if (t->dtype != MM_DTYPE_F32 && t->dtype != MM_DTYPE_F16 && t->dtype != MM_DTYPE_BF16 &&
        t->dtype != MM_DTYPE_F64)
        return mm_error_set(err, MM_EFORMAT, "%s: tensor '%s' is not floating point (F32, F16, BF16 or F64)",
                            w->path, t->name);
    return mm_st_read_f32(w->f, t->name, dst, t->count, err);
}
