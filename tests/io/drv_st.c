/* Driver for test_safetensors_numpy.py.
 *   drv_st write <path>           writes a fixed set of tensors, prints the data hash
 *   drv_st read <path> [keys...]  prints every tensor (file order) and the given
 *                                 metadata keys:
 *       T <name> <dtype> <ndim> <d0> <d1> ...
 *       D <v0> <v1> ...   values through mm_st_read_f64 (%.17g)
 *       F <v0> <v1> ...   values through mm_st_read_f32 (%.9g)
 *       M <key> <value>   or  M <key> (null)
 *   On a rejected file: "ERR <status> <message>" and exit status 2. */
#include "mmfuse/io.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const dtype_names[] = {"F32", "F64", "F16", "BF16", "I64", "I32", "U8",
                                          "BOOL", "I8", "I16", "U16", "U32", "U64"};

static int fail(const mm_error *err, mm_status st)
{
    printf("ERR %d %s\n", (int)st, err->msg);
    return 2;
}

static int do_write(const char *path)
{
    mm_error err = {0};
    mm_st_writer *w;
    mm_status st = mm_st_writer_new(&w, &err);
    if (st) return fail(&err, st);
    float f32[12];
    for (int k = 0; k < 12; k++) f32[k] = (float)((k * 37) % 101 - 50) / 8.0f;
    double f64[5];
    for (int k = 0; k < 5; k++) f64[k] = k / 3.0;
    int64_t i64[6];
    for (int k = 0; k < 6; k++) i64[k] = (int64_t)(k - 3) * 1000000000000LL;
    i64[5] = INT64_MAX;
    uint16_t f16[7] = {0x3C00, 0xC500, 0x0001, 0x03FF, 0x7BFF, 0x7C00, 0x8000};
    double scalar = -2.5;
    uint8_t mask[4] = {1, 0, 0, 1};
    int32_t i32[2] = {-7, 123456789};
    size_t s34[2] = {3, 4}, s5[1] = {5}, s23[2] = {2, 3}, s7[1] = {7}, s03[2] = {0, 3},
           s4[1] = {4}, s2[1] = {2};
    st = mm_st_writer_add(w, "layer.f32", MM_DTYPE_F32, s34, 2, f32, &err);
    if (!st) st = mm_st_writer_add(w, "f64", MM_DTYPE_F64, s5, 1, f64, &err);
    if (!st) st = mm_st_writer_add(w, "ids", MM_DTYPE_I64, s23, 2, i64, &err);
    if (!st) st = mm_st_writer_add(w, "half", MM_DTYPE_F16, s7, 1, f16, &err);
    if (!st) st = mm_st_writer_add(w, "scalar", MM_DTYPE_F64, NULL, 0, &scalar, &err);
    if (!st) st = mm_st_writer_add(w, "empty", MM_DTYPE_F32, s03, 2, NULL, &err);
    if (!st) st = mm_st_writer_add(w, "mask", MM_DTYPE_BOOL, s4, 1, mask, &err);
    if (!st) st = mm_st_writer_add(w, "i32", MM_DTYPE_I32, s2, 1, i32, &err);
    if (!st) st = mm_st_writer_meta(w, "format", "pt", &err);
    if (!st) st = mm_st_writer_meta(w, "created_by", "mmfuse \"test\"", &err);
    if (!st) st = mm_st_writer_save(w, path, &err);
    if (st) {
        mm_st_writer_free(w);
        return fail(&err, st);
    }
    printf("%016" PRIx64 "\n", mm_st_writer_data_hash(w));
    mm_st_writer_free(w);
    return 0;
}

static int do_read(const char *path, int nkeys, char **keys)
{
    mm_error err = {0};
    mm_st_file *f;
    mm_status st = mm_st_open(path, &f, &err);
    if (st) return fail(&err, st);
    for (size_t i = 0; i < mm_st_count(f); i++) {
        const mm_st_tensor *t = mm_st_at(f, i);
        printf("T %s %s %zu", t->name, dtype_names[t->dtype], t->ndim);
        for (size_t d = 0; d < t->ndim; d++) printf(" %zu", t->shape[d]);
        printf("\n");
        double *dv = malloc((t->count ? t->count : 1) * sizeof *dv);
        float *fv = malloc((t->count ? t->count : 1) * sizeof *fv);
        st = mm_st_read_f64(f, t->name, dv, t->count, &err);
        if (!st) st = mm_st_read_f32(f, t->name, fv, t->count, &err);
        if (st) {
            free(dv);
            free(fv);
            mm_st_close(f);
            return fail(&err, st);
        }
        printf("D");
        for (size_t k = 0; k < t->count; k++) printf(" %.17g", dv[k]);
        printf("\nF");
        for (size_t k = 0; k < t->count; k++) printf(" %.9g", (double)fv[k]);
        printf("\n");
        free(dv);
        free(fv);
    }
    for (int k = 0; k < nkeys; k++) {
        const char *v = mm_st_meta(f, keys[k]);
        printf("M %s %s\n", keys[k], v ? v : "(null)");
    }
    printf("H %016" PRIx64 "\n", mm_st_data_hash(f));
    mm_st_close(f);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "write") == 0) return do_write(argv[2]);
    if (argc >= 3 && strcmp(argv[1], "read") == 0) return do_read(argv[2], argc - 3, argv + 3);
    fprintf(stderr, "usage: drv_st write|read path [keys...]\n");
    return 3;
}
