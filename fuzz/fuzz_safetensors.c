/* libFuzzer target: the safetensors reader (mm_st_open_buffer).
 *
 * Accepted files are walked completely: every tensor is found by name, its
 * byte size agrees with its shape, and its values are converted to float32
 * and float64 (which touches every data byte). Broken invariants abort. */
#include "mmfuse/io.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mm_st_file *f = NULL;
    mm_error err = {0};
    if (mm_st_open_buffer(data, size, "fuzz.st", &f, &err) != MM_OK) {
        if (f || strncmp(err.msg, "fuzz.st", 7) != 0) abort();
        return 0;
    }
    size_t total = 0;
    for (size_t i = 0; i < mm_st_count(f); i++) {
        const mm_st_tensor *t = mm_st_at(f, i);
        if (!t || !t->name || mm_st_find(f, t->name) != t) abort();
        if (t->ndim > MM_ST_MAX_DIMS) abort();
        size_t count = 1;
        for (size_t d = 0; d < t->ndim; d++) count *= t->shape[d];
        if (count != t->count || t->nbytes > size) abort();
        total += t->nbytes;
        double *dv = malloc((t->count ? t->count : 1) * sizeof *dv);
        float *fv = malloc((t->count ? t->count : 1) * sizeof *fv);
        if (dv && fv) {
            if (mm_st_read_f64(f, t->name, dv, t->count, &err) != MM_OK) abort();
            if (mm_st_read_f32(f, t->name, fv, t->count, &err) != MM_OK) abort();
            if (t->count && mm_st_read_f32(f, t->name, fv, t->count - 1, &err) != MM_EFORMAT)
                abort();
        }
        free(dv);
        free(fv);
    }
    if (total + 8 > size) abort();
    (void)mm_st_data_hash(f);
    (void)mm_st_meta(f, "format");
    if (mm_st_find(f, "__metadata__")) abort();
    mm_st_close(f);
    return 0;
}
