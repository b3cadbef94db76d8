/* io: safetensors writer and reader — round trips of every dtype, the
 * reference serializer's exact bytes, F16/BF16 conversion, and hostile files
 * (each rejected with a message naming the problem, never a crash). */
#include "mmfuse/io.h"
#include "mmtest.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)n + 1);
    *len = fread(b, 1, (size_t)n, f);
    fclose(f);
    return b;
}

static void put_le64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* --------------------------------------------------------- round trip */

static void test_round_trip(void)
{
    mm_st_writer *w;
    mm_error err = {0};
    MM_CHECK_STATUS(mm_st_writer_new(&w, &err), MM_OK);

    float f32[6] = {1.5f, -2.25f, 0.0f, -0.0f, 3.4e38f, 1e-45f};
    double f64[4] = {3.141592653589793, -1e300, 5e-324, 2.0};
    int64_t i64[4] = {INT64_MIN, -1, 0, INT64_MAX};
    int32_t i32[3] = {INT32_MIN, 7, INT32_MAX};
    uint16_t f16[6] = {0x3C00, 0xC000, 0x0001, 0x7BFF, 0x7C00, 0x8000}; /* 1 -2 2^-24 65504 inf -0 */
    uint16_t bf16[3] = {0x3F80, 0xC040, 0x0001};                        /* 1 -3 tiny */
    uint8_t u8[4] = {0, 1, 200, 255};
    uint8_t b8[3] = {0, 1, 1};
    int8_t i8[2] = {-128, 127};
    int16_t i16[2] = {-32768, 12345};
    uint16_t u16[2] = {65535, 1};
    uint32_t u32[2] = {4294967295u, 3};
    uint64_t u64[1] = {UINT64_MAX};
    float scalar = 42.0f;
    size_t s23[2] = {2, 3}, s4[1] = {4}, s3[1] = {3}, s6[1] = {6}, s2[1] = {2},
           s0[1] = {0}, s05[2] = {0, 5}, s1[1] = {1}, s221[3] = {2, 2, 1};

    MM_CHECK_STATUS(mm_st_writer_add(w, "w.f32", MM_DTYPE_F32, s23, 2, f32, &err), MM_OK);
    MM_CHECK_STATUS(mm_st_writer_add(w, "b.f64", MM_DTYPE_F64, s4, 1, f64, &err), MM_OK);
    MM_CHECK_STATUS(mm_st_writer_add(w, "a.i64", MM_DTYPE_I64, s221, 3, i64, &err), MM_OK);
    MM_CHECK_STATUS(mm_st_writer_add(w, "i32", MM_DTYPE_I32, s3, 1, i32, &err), MM_OK);
    MM_CHECK_STATUS(mm_st_writer_add(w, "half", MM_DTYPE_F16, s6, 1, f16, &err), MM_OK);
    MM_CHECK_STATUS(mm_st_writer_add(w, "brain", MM_DTYPE_BF16, s3, 1, bf16, &err), MM_OK);
    MM_CHECK_STATUS(mm_st_writer_add(w, "u8", MM_DTYPE_U8, s4, 1, u8, &err), MM_OK);
    MM_CHECK_STATUS(mm_st_writer_add(w, "mask", MM_DTYPE_BOOL, s3, 1, b8, &err), MM_OK);
    MM_CHECK_STATUS(mm_st_writer_add(w, "i8", MM_DTYPE_I8, s2, 1, i8, &err), MM_OK);
    MM_CHECK_STATUS(mm_st_writer_add(w, "i16", MM_DTYPE_I16, s2, 1, i16, &err), MM_OK);
    MM_CHECK_STATUS(mm_st_writer_add(w, "u16", MM_DTYPE_U16, s2, 1, u16, &err), MM_OK);
    MM_CHECK_STATUS(mm_st_writer_add(w, "u32", MM_DTYPE_U32, s2, 1, u32, &err), MM_OK);
    MM_CHECK_STATUS(mm_st_writer_add(w, "u64", MM_DTYPE_U64, s1, 1, u64, &err), MM_OK);
    MM_CHECK_STATUS(mm_st_writer_add(w, "scalar", MM_DTYPE_F32, NULL, 0, &scalar, &err), MM_OK);
    MM_CHECK_STATUS(mm_st_writer_add(w, "empty", MM_DTYPE_F32, s0, 1, NULL, &err), MM_OK);
    MM_CHECK_STATUS(mm_st_writer_add(w, "empty2d", MM_DTYPE_U8, s05, 2, NULL, &err), MM_OK);
    MM_CHECK_STATUS(mm_st_writer_add(w, "we\"ird\\na\nme \xC3\xA9\x01", MM_DTYPE_F32, s1, 1, f32, &err), MM_OK);
    MM_CHECK_STATUS(mm_st_writer_meta(w, "format", "pt", &err), MM_OK);
    MM_CHECK_STATUS(mm_st_writer_meta(w, "note", "first", &err), MM_OK);
    MM_CHECK_STATUS(mm_st_writer_meta(w, "note", "second \"quoted\"\n", &err), MM_OK);

    /* writer errors */
    MM_CHECK_STATUS(mm_st_writer_add(w, "u8", MM_DTYPE_U8, s4, 1, u8, &err), MM_EINVAL);
    MM_CHECK(strstr(err.msg, "duplicate tensor name 'u8'") != NULL);
    MM_CHECK_STATUS(mm_st_writer_add(w, "__metadata__", MM_DTYPE_U8, s4, 1, u8, &err), MM_EINVAL);
    MM_CHECK_STATUS(mm_st_writer_add(w, "bad\xC3", MM_DTYPE_U8, s4, 1, u8, &err), MM_EINVAL);
    MM_CHECK_STATUS(mm_st_writer_add(w, "x", MM_DTYPE_U8, s4, 1, NULL, &err), MM_EINVAL);
    MM_CHECK_STATUS(mm_st_writer_add(w, "x", (mm_dtype)99, s4, 1, u8, &err), MM_EINVAL);
    size_t s9[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    MM_CHECK_STATUS(mm_st_writer_add(w, "x", MM_DTYPE_U8, s9, 9, u8, &err), MM_EINVAL);
    size_t sbig[2] = {SIZE_MAX / 2, 4};
    MM_CHECK_STATUS(mm_st_writer_add(w, "x", MM_DTYPE_U8, sbig, 2, u8, &err), MM_EINVAL);
    MM_CHECK_STATUS(mm_st_writer_meta(w, "k", "\xFF", &err), MM_EINVAL);

    unlink("io_rt.safetensors");
    MM_CHECK_STATUS(mm_st_writer_save(w, "io_rt.safetensors", &err), MM_OK);
    uint64_t wh = mm_st_writer_data_hash(w);

    size_t flen;
    unsigned char *img = slurp("io_rt.safetensors", &flen);
    MM_CHECK(img != NULL);
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--) n = n << 8 | img[i];
    MM_CHECK(n % 8 == 0 && img[8] == '{');
    const char *mhead = "{\"__metadata__\":{\"format\":\"pt\",\"note\":\"second \\\"quoted\\\"\\n\"},"
                        "\"u64\":{\"dtype\":\"U64\",\"shape\":[1],\"data_offsets\":[0,8]},";
    MM_CHECK(strncmp((const char *)img + 8, mhead, strlen(mhead)) == 0);
    MM_CHECK(XXH64(img + 8 + n, flen - 8 - n, 0) == wh);

    mm_st_file *f;
    MM_CHECK_STATUS(mm_st_open("io_rt.safetensors", &f, &err), MM_OK);
    MM_CHECK(mm_st_count(f) == 17);
    MM_CHECK(mm_st_data_hash(f) == wh);
    MM_CHECK(strcmp(mm_st_meta(f, "format"), "pt") == 0);
    MM_CHECK(strcmp(mm_st_meta(f, "note"), "second \"quoted\"\n") == 0);
    MM_CHECK(mm_st_meta(f, "nope") == NULL);

    /* file order: reference dtype order descending, then name */
    static const char *order[] = {"u64", "a.i64", "b.f64", "empty", "scalar", "w.f32",
                                  "we\"ird\\na\nme \xC3\xA9\x01", "u32", "i32", "brain", "half",
                                  "u16", "i16", "i8", "empty2d", "u8", "mask"};
    bool ord = true;
    for (size_t i = 0; i < 17; i++) ord = ord && strcmp(mm_st_at(f, i)->name, order[i]) == 0;
    MM_CHECK(ord);
    MM_CHECK(mm_st_at(f, 17) == NULL);

    const mm_st_tensor *t = mm_st_find(f, "w.f32");
    MM_CHECK(t && t->dtype == MM_DTYPE_F32 && t->ndim == 2 && t->shape[0] == 2 && t->shape[1] == 3 &&
             t->count == 6 && t->nbytes == 24 && memcmp(t->data, f32, 24) == 0);
    t = mm_st_find(f, "a.i64");
    MM_CHECK(t && t->ndim == 3 && t->shape[2] == 1 && memcmp(t->data, i64, 32) == 0);
    t = mm_st_find(f, "scalar");
    MM_CHECK(t && t->ndim == 0 && t->count == 1 && t->nbytes == 4);
    t = mm_st_find(f, "empty");
    MM_CHECK(t && t->ndim == 1 && t->count == 0 && t->nbytes == 0);
    t = mm_st_find(f, "empty2d");
    MM_CHECK(t && t->ndim == 2 && t->shape[1] == 5 && t->count == 0 && t->dtype == MM_DTYPE_U8);
    t = mm_st_find(f, "we\"ird\\na\nme \xC3\xA9\x01");
    MM_CHECK(t && t->count == 1);
    MM_CHECK(mm_st_find(f, "missing") == NULL && mm_st_find(f, "__metadata__") == NULL);

    float of[6];
    double od[6];
    MM_CHECK_STATUS(mm_st_read_f32(f, "w.f32", of, 6, &err), MM_OK);
    MM_CHECK(memcmp(of, f32, sizeof f32) == 0);
    MM_CHECK_STATUS(mm_st_read_f64(f, "b.f64", od, 4, &err), MM_OK);
    MM_CHECK(memcmp(od, f64, sizeof f64) == 0);
    MM_CHECK_STATUS(mm_st_read_f32(f, "b.f64", of, 4, &err), MM_OK);
    MM_CHECK(of[0] == (float)f64[0] && isinf(of[1]) && of[1] < 0 && of[2] == 0.0f);
    MM_CHECK_STATUS(mm_st_read_f64(f, "a.i64", od, 4, &err), MM_OK);
    MM_CHECK(od[0] == -9223372036854775808.0 && od[1] == -1 && od[3] == 9223372036854775807.0);
    MM_CHECK_STATUS(mm_st_read_f64(f, "half", od, 6, &err), MM_OK);
    MM_CHECK(od[0] == 1 && od[1] == -2 && od[2] == 5.9604644775390625e-8 && od[3] == 65504 &&
             isinf(od[4]) && od[5] == 0 && signbit(od[5]));
    MM_CHECK_STATUS(mm_st_read_f32(f, "brain", of, 3, &err), MM_OK);
    MM_CHECK(of[0] == 1 && of[1] == -3 && of[2] == 9.18354961579912115600575419705e-41f);
    MM_CHECK_STATUS(mm_st_read_f64(f, "u8", od, 4, &err), MM_OK);
    MM_CHECK(od[2] == 200 && od[3] == 255);
    MM_CHECK_STATUS(mm_st_read_f32(f, "mask", of, 3, &err), MM_OK);
    MM_CHECK(of[0] == 0 && of[1] == 1 && of[2] == 1);
    MM_CHECK_STATUS(mm_st_read_f64(f, "i8", od, 2, &err), MM_OK);
    MM_CHECK(od[0] == -128 && od[1] == 127);
    MM_CHECK_STATUS(mm_st_read_f64(f, "i16", od, 2, &err), MM_OK);
    MM_CHECK(od[0] == -32768 && od[1] == 12345);
    MM_CHECK_STATUS(mm_st_read_f64(f, "u16", od, 2, &err), MM_OK);
    MM_CHECK(od[0] == 65535);
    MM_CHECK_STATUS(mm_st_read_f64(f, "u32", od, 2, &err), MM_OK);
    MM_CHECK(od[0] == 4294967295.0);
    MM_CHECK_STATUS(mm_st_read_f64(f, "i32", od, 3, &err), MM_OK);
    MM_CHECK(od[0] == -2147483648.0 && od[2] == 2147483647.0);
    MM_CHECK_STATUS(mm_st_read_f32(f, "u64", of, 1, &err), MM_OK);
    MM_CHECK(of[0] == 18446744073709551616.0f);
    MM_CHECK_STATUS(mm_st_read_f32(f, "scalar", of, 1, &err), MM_OK);
    MM_CHECK(of[0] == 42.0f);
    MM_CHECK_STATUS(mm_st_read_f32(f, "empty", NULL, 0, &err), MM_OK);
    /* read errors name the key */
    MM_CHECK_STATUS(mm_st_read_f32(f, "nope", of, 1, &err), MM_EFORMAT);
    MM_CHECK(strcmp(err.msg, "io_rt.safetensors: no tensor named 'nope'") == 0);
    MM_CHECK_STATUS(mm_st_read_f32(f, "w.f32", of, 5, &err), MM_EFORMAT);
    MM_CHECK(strcmp(err.msg, "io_rt.safetensors: tensor 'w.f32' has 6 elements, expected 5") == 0);
    mm_st_close(f);
    mm_st_close(NULL);

    /* the same image from memory */
    MM_CHECK_STATUS(mm_st_open_buffer(img, flen, "mem", &f, &err), MM_OK);
    MM_CHECK(mm_st_count(f) == 17 && mm_st_data_hash(f) == wh);
    mm_st_close(f);
    free(img);

    /* saving replaces atomically; a bad directory leaves nothing behind */
    MM_CHECK_STATUS(mm_st_writer_save(w, "io_rt.safetensors", &err), MM_OK);
    MM_CHECK_STATUS(mm_st_writer_save(w, "io_no_such_dir/x.safetensors", &err), MM_EIO);
    MM_CHECK(strstr(err.msg, "io_no_such_dir/x.safetensors") != NULL);
    mkdir("io_st_dir", 0755);
    MM_CHECK_STATUS(mm_st_writer_save(w, "io_st_dir", &err), MM_EIO); /* rename onto a directory */
    char tmpname[256];
    snprintf(tmpname, sizeof tmpname, "io_st_dir.tmp.%ld", (long)getpid());
    MM_CHECK(access(tmpname, F_OK) != 0);
    MM_CHECK_STATUS(mm_st_open("io_st_dir", &f, &err), MM_EIO);
    MM_CHECK(strcmp(err.msg, "io_st_dir: is a directory; a weights file must be a regular file") == 0);
    rmdir("io_st_dir");
    /* a FIFO and a device are refused at once, before a byte is read */
    unlink("io_st_fifo");
    if (mkfifo("io_st_fifo", 0644) == 0) {
        MM_CHECK_STATUS(mm_st_open("io_st_fifo", &f, &err), MM_EIO);
        MM_CHECK(strstr(err.msg, "io_st_fifo: is a FIFO") != NULL);
        unlink("io_st_fifo");
    }
    MM_CHECK_STATUS(mm_st_open("/dev/zero", &f, &err), MM_EIO);
    MM_CHECK(strstr(err.msg, "/dev/zero: is a character device") != NULL);
    unlink("io_missing.safetensors");
    MM_CHECK_STATUS(mm_st_open("io_missing.safetensors", &f, &err), MM_EIO);
    MM_CHECK(strcmp(err.msg, "io_missing.safetensors: cannot open: No such file or directory") == 0);
    mm_st_writer_free(w);
    mm_st_writer_free(NULL);
    unlink("io_rt.safetensors");
}

/* The reference serializer's bytes for small cases (its own unit tests). */
static void test_reference_bytes(void)
{
    mm_error err = {0};
    mm_st_writer *w;
    size_t len;
    unsigned char *b;
    unsigned char want[256];

    /* no tensors: "{}" padded to 8 */
    MM_CHECK_STATUS(mm_st_writer_new(&w, &err), MM_OK);
    MM_CHECK_STATUS(mm_st_writer_save(w, "io_ref.safetensors", &err), MM_OK);
    b = slurp("io_ref.safetensors", &len);
    put_le64(want, 8);
    memcpy(want + 8, "{}      ", 8);
    MM_CHECK(len == 16 && memcmp(b, want, 16) == 0);
    free(b);
    MM_CHECK(mm_st_writer_data_hash(w) == UINT64_C(0xEF46DB3751D8E999)); /* XXH64("") */
    /* metadata only */
    MM_CHECK_STATUS(mm_st_writer_meta(w, "framework", "pt", &err), MM_OK);
    MM_CHECK_STATUS(mm_st_writer_save(w, "io_ref.safetensors", &err), MM_OK);
    b = slurp("io_ref.safetensors", &len);
    put_le64(want, 40);
    memcpy(want + 8, "{\"__metadata__\":{\"framework\":\"pt\"}}     ", 40);
    MM_CHECK(len == 48 && memcmp(b, want, 48) == 0);
    free(b);
    mm_st_writer_free(w);

    /* one F32 tensor 1x2x3 = 0..5: header exactly 64 bytes, no padding */
    float v[6] = {0, 1, 2, 3, 4, 5};
    size_t shape[4] = {1, 2, 3};
    MM_CHECK_STATUS(mm_st_writer_new(&w, &err), MM_OK);
    MM_CHECK_STATUS(mm_st_writer_add(w, "attn.0", MM_DTYPE_F32, shape, 3, v, &err), MM_OK);
    MM_CHECK_STATUS(mm_st_writer_save(w, "io_ref.safetensors", &err), MM_OK);
    b = slurp("io_ref.safetensors", &len);
    const char *h = "{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}";
    put_le64(want, 64);
    memcpy(want + 8, h, 64);
    memcpy(want + 72, v, 24);
    MM_CHECK(strlen(h) == 64 && len == 96 && memcmp(b, want, 96) == 0);
    free(b);
    mm_st_writer_free(w);

    /* the same with a shorter name and 4 dims: 7 spaces of padding */
    size_t shape4[4] = {1, 1, 2, 3};
    MM_CHECK_STATUS(mm_st_writer_new(&w, &err), MM_OK);
    MM_CHECK_STATUS(mm_st_writer_add(w, "attn0", MM_DTYPE_F32, shape4, 4, v, &err), MM_OK);
    MM_CHECK_STATUS(mm_st_writer_save(w, "io_ref.safetensors", &err), MM_OK);
    b = slurp("io_ref.safetensors", &len);
    h = "{\"attn0\":{\"dtype\":\"F32\",\"shape\":[1,1,2,3],\"data_offsets\":[0,24]}}       ";
    put_le64(want, 72);
    memcpy(want + 8, h, 72);
    memcpy(want + 80, v, 24);
    MM_CHECK(len == 104 && memcmp(b, want, 104) == 0);
    free(b);
    mm_st_writer_free(w);
    unlink("io_ref.safetensors");
}

/* Every binary16 value against an independent formula. */
static void test_half_conversion(void)
{
    mm_error err = {0};
    mm_st_writer *w;
    uint16_t *h = malloc(65536 * sizeof *h);
    for (uint32_t i = 0; i < 65536; i++) h[i] = (uint16_t)i;
    size_t shape[1] = {65536};
    MM_CHECK_STATUS(mm_st_writer_new(&w, &err), MM_OK);
    MM_CHECK_STATUS(mm_st_writer_add(w, "h", MM_DTYPE_F16, shape, 1, h, &err), MM_OK);
    MM_CHECK_STATUS(mm_st_writer_add(w, "b", MM_DTYPE_BF16, shape, 1, h, &err), MM_OK);
    MM_CHECK_STATUS(mm_st_writer_save(w, "io_half.safetensors", &err), MM_OK);
    mm_st_writer_free(w);
    mm_st_file *f;
    MM_CHECK_STATUS(mm_st_open("io_half.safetensors", &f, &err), MM_OK);
    float *out = malloc(65536 * sizeof *out);
    double *outd = malloc(65536 * sizeof *outd);
    MM_CHECK_STATUS(mm_st_read_f32(f, "h", out, 65536, &err), MM_OK);
    MM_CHECK_STATUS(mm_st_read_f64(f, "h", outd, 65536, &err), MM_OK);
    size_t bad = 0;
    for (uint32_t i = 0; i < 65536; i++) {
        int e = (int)((i >> 10) & 31), m = (int)(i & 1023);
        double sign = (i & 0x8000) ? -1.0 : 1.0, want;
        if (e == 31) want = m ? NAN : sign * INFINITY;
        else if (e == 0) want = sign * ldexp(m, -24);
        else want = sign * ldexp(1024 + m, e - 25);
        bool ok;
        if (isnan(want)) {
            uint32_t bits;
            memcpy(&bits, &out[i], 4);
            /* NaN stays NaN, sign and payload carried over */
            ok = isnan(out[i]) && isnan(outd[i]) && (bits >> 31) == (i >> 15) &&
                 ((bits >> 13) & 1023) == (uint32_t)m;
        } else {
            ok = (double)out[i] == want && outd[i] == want && !signbit(out[i]) == !signbit(want);
        }
        if (!ok) bad++;
    }
    MM_CHECK(bad == 0);
    MM_CHECK_STATUS(mm_st_read_f32(f, "b", out, 65536, &err), MM_OK);
    bad = 0;
    for (uint32_t i = 0; i < 65536; i++) {
        uint32_t bits;
        memcpy(&bits, &out[i], 4);
        if (bits != i << 16) bad++;
    }
    MM_CHECK(bad == 0);
    mm_st_close(f);
    free(h);
    free(out);
    free(outd);
    unlink("io_half.safetensors");
}

/* ---------------------------------------------------------- hostile files */

/* u64 N | header | data_len bytes (data byte i = i & 255). N may be forced. */
static size_t build(unsigned char *out, const char *hdr, size_t data_len, uint64_t force_n)
{
    size_t n = strlen(hdr);
    put_le64(out, force_n ? force_n : n);
    memcpy(out + 8, hdr, n);
    for (size_t i = 0; i < data_len; i++) out[8 + n + i] = (unsigned char)i;
    return 8 + n + data_len;
}

static void expect_st(const char *hdr, size_t data_len, uint64_t force_n, mm_status code,
                      const char *msg, int line)
{
    static unsigned char buf[8192];
    size_t len = build(buf, hdr, data_len, force_n);
    mm_st_file *f = (mm_st_file *)1;
    mm_error err = {0};
    mm_status st = mm_st_open_buffer(buf, len, "bad.st", &f, &err);
    bool ok = st == code && f == NULL && strcmp(err.msg, msg) == 0;
    MM_CHECK(ok);
    if (!ok)
        fprintf(stderr, "  (test_safetensors.c:%d) status %d \"%s\"; expected %d \"%s\"\n", line,
                (int)st, err.msg, (int)code, msg);
    if (st == MM_OK) mm_st_close(f);
}

#define BAD(hdr, dlen, code, msg) expect_st(hdr, dlen, 0, code, msg, __LINE__)
#define T(name, dt, shape, b, e) "\"" name "\":{\"dtype\":\"" dt "\",\"shape\":" shape ",\"data_offsets\":[" #b "," #e "]}"

static void test_hostile(void)
{
    mm_error err = {0};
    mm_st_file *f;
    /* sizes and the header length */
    MM_CHECK_STATUS(mm_st_open_buffer("\x02\0\0\0\0", 5, "bad.st", &f, &err), MM_EFORMAT);
    MM_CHECK(strcmp(err.msg, "bad.st: file is 5 bytes, shorter than the 8-byte header length") == 0);
    MM_CHECK_STATUS(mm_st_open_buffer(NULL, 0, "bad.st", &f, &err), MM_EFORMAT);
    expect_st("{}", 0, 100000001, MM_EFORMAT,
              "bad.st: header length 100000001 exceeds the limit of 100000000 bytes", __LINE__);
    expect_st("{}", 0, UINT64_MAX, MM_EFORMAT,
              "bad.st: header length 18446744073709551615 exceeds the limit of 100000000 bytes",
              __LINE__);
    expect_st("{}", 0, 3, MM_EFORMAT,
              "bad.st: header length 3 runs past the end of the file (10 bytes)", __LINE__);
    BAD("", 0, MM_EFORMAT, "bad.st: header does not start with '{'");
    /* syntax and shape of the header */
    BAD("{\"a\":", 0, MM_EFORMAT, "bad.st: header is not valid JSON (near byte 12)");
    BAD("{\"a\" 1}", 0, MM_EFORMAT, "bad.st: header is not valid JSON (near byte 13)");
    BAD("[1, 2]", 0, MM_EFORMAT, "bad.st: header does not start with '{'");
    BAD("\"{}\"", 0, MM_EFORMAT, "bad.st: header does not start with '{'");
    BAD(" {}", 0, MM_EFORMAT, "bad.st: header does not start with '{'");
    BAD("{} x", 0, MM_EFORMAT, "bad.st: unexpected data after the JSON header (at byte 11)");
    BAD("{}{}", 0, MM_EFORMAT, "bad.st: unexpected data after the JSON header (at byte 10)");
    BAD("{\"a\xFF\":1}", 0, MM_EFORMAT, "bad.st: header is not valid UTF-8 (at byte 11)");
    BAD("{\"a\x01\":1}", 0, MM_EFORMAT, "bad.st: header contains control byte 0x01 (at byte 11)");
    BAD("{\"a\":1}", 0, MM_EFORMAT, "bad.st: tensor 'a': entry is not a JSON object");
    BAD("{\"a\":{}}", 0, MM_EFORMAT, "bad.st: tensor 'a': missing or non-string \"dtype\"");
    BAD("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,0]}}", 0, MM_EFORMAT,
        "bad.st: tensor 'a': missing or non-array \"shape\"");
    BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[]}}", 4, MM_EFORMAT,
        "bad.st: tensor 'a': \"data_offsets\" must be an array of two integers");
    BAD("{" T("a", "F32", "[]", 0, 4) ",\"a\":{}}", 4, MM_EFORMAT,
        "bad.st: duplicate key 'a' in the header");
    BAD("{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", 4,
        MM_EFORMAT, "bad.st: tensor 'a': duplicate field 'dtype'");
    BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4,8]}}", 4, MM_EFORMAT,
        "bad.st: tensor 'a': \"data_offsets\" must be an array of two integers");
    /* dtypes */
    BAD("{" T("w", "XYZ", "[1]", 0, 1) "}", 1, MM_EFORMAT, "bad.st: tensor 'w': unknown dtype 'XYZ'");
    BAD("{" T("w", "f32", "[1]", 0, 4) "}", 4, MM_EFORMAT, "bad.st: tensor 'w': unknown dtype 'f32'");
    BAD("{" T("w8", "F8_E4M3", "[1]", 0, 1) "}", 1, MM_EUNSUPPORTED,
        "bad.st: tensor 'w8': dtype F8_E4M3 is not supported");
    BAD("{" T("c", "C64", "[1]", 0, 8) "}", 8, MM_EUNSUPPORTED,
        "bad.st: tensor 'c': dtype C64 is not supported");
    /* shapes */
    BAD("{" T("s", "F32", "[1.5]", 0, 4) "}", 4, MM_EFORMAT,
        "bad.st: tensor 's': shape[0] is not a non-negative integer below 2^53");
    BAD("{" T("s", "F32", "[2,-1]", 0, 4) "}", 4, MM_EFORMAT,
        "bad.st: tensor 's': shape[1] is not a non-negative integer below 2^53");
    BAD("{" T("s", "F32", "[\"2\"]", 0, 8) "}", 8, MM_EFORMAT,
        "bad.st: tensor 's': shape[0] is not a non-negative integer below 2^53");
    BAD("{" T("s", "F32", "[1,1,1,1,1,1,1,1,1]", 0, 4) "}", 4, MM_EUNSUPPORTED,
        "bad.st: tensor 's': 9 dimensions (at most 8 are supported)");
    BAD("{" T("s", "F32", "[4294967296,4294967296,2]", 0, 4) "}", 4, MM_EFORMAT,
        "bad.st: tensor 's': shape element count overflows");
    BAD("{" T("s", "F32", "[4294967296,4294967296,0]", 0, 0) "}", 0, MM_EFORMAT,
        "bad.st: tensor 's': shape element count overflows");
    BAD("{" T("s", "F64", "[4611686018427387904]", 0, 8) "}", 8, MM_EFORMAT,
        "bad.st: tensor 's': shape[0] is not a non-negative integer below 2^53");
    BAD("{" T("s", "F64", "[2305843009213693952]", 0, 8) "}", 8, MM_EFORMAT,
        "bad.st: tensor 's': shape[0] is not a non-negative integer below 2^53");
    BAD("{" T("s", "F32", "[3]", 0, 8) "}", 8, MM_EFORMAT,
        "bad.st: tensor 's': data_offsets [0, 8] hold 8 bytes but shape x F32 needs 12");
    BAD("{" T("s", "F32", "[2]", 8, 0) "}", 8, MM_EFORMAT,
        "bad.st: tensor 's': data_offsets [8, 0] end before they begin");
    BAD("{" T("s", "F32", "[2]", -1, 7) "}", 8, MM_EFORMAT,
        "bad.st: tensor 's': data_offsets are not non-negative integers below 2^53");
    /* tiling of the data buffer */
    BAD("{" T("a", "F32", "[2]", 0, 8) "}", 4, MM_EFORMAT,
        "bad.st: tensor 'a': data_offsets end at 8, past the end of the file (the data buffer "
        "holds 4 bytes)");
    BAD("{" T("a", "F32", "[2]", 0, 8) "," T("b", "F32", "[2]", 4, 12) "}", 12, MM_EFORMAT,
        "bad.st: tensor 'b': data_offsets [4, 12] overlap tensor 'a' (which ends at 8)");
    BAD("{" T("a", "F32", "[1]", 0, 4) "," T("b", "F32", "[1]", 8, 12) "}", 12, MM_EFORMAT,
        "bad.st: tensor 'b': data_offsets [8, 12] leave a hole of 4 bytes after tensor 'a' (which "
        "ends at 4)");
    BAD("{" T("a", "F32", "[1]", 4, 8) "}", 8, MM_EFORMAT,
        "bad.st: tensor 'a': data_offsets start at 4, but the first tensor must start at 0");
    BAD("{" T("a", "F32", "[1]", 0, 4) "}", 6, MM_EFORMAT,
        "bad.st: 2 trailing bytes after the last tensor (tensors end at 4, the data buffer holds "
        "6 bytes)");
    BAD("{}", 1, MM_EFORMAT,
        "bad.st: 1 trailing bytes after the last tensor (tensors end at 0, the data buffer holds "
        "1 bytes)");
    BAD("{" T("a", "F32", "[1]", 0, 4) "," T("b", "F32", "[1]", 0, 4) "}", 4, MM_EFORMAT,
        "bad.st: tensor 'b': data_offsets [0, 4] overlap tensor 'a' (which ends at 4)");
    /* metadata */
    BAD("{\"__metadata__\":{\"k\":1}}", 0, MM_EFORMAT,
        "bad.st: __metadata__ value for key 'k' is not a string");
    BAD("{\"__metadata__\":{\"k\":\"v\",\"j\":null}}", 0, MM_EFORMAT,
        "bad.st: __metadata__ value for key 'j' is not a string");
    BAD("{\"__metadata__\":[\"k\"]}", 0, MM_EFORMAT, "bad.st: __metadata__ is not a JSON object");
    BAD("{\"__metadata__\":{\"k\":\"v\",\"k\":\"w\"}}", 0, MM_EFORMAT,
        "bad.st: duplicate __metadata__ key 'k'");
    BAD("{\"__metadata__\":{},\"__metadata__\":{}}", 0, MM_EFORMAT,
        "bad.st: duplicate key '__metadata__' in the header");

    /* accepted: unpadded header, any key order, zero-sized tensors anywhere,
     * unknown fields, trailing whitespace in the header, escaped names */
    static unsigned char buf[1024];
    size_t len = build(buf,
                       "{" T("z", "U8", "[0,3]", 0, 0) ",\"__metadata__\":{\"a\":\"\\u00e9\"},"
                       "\"b\\\"q\":{\"shape\":[3],\"data_offsets\":[0,3],\"dtype\":\"I8\",\"x\":[{}]},"
                       T("c", "BOOL", "[]", 3, 4) "}\n\t ",
                       4, 0);
    MM_CHECK_STATUS(mm_st_open_buffer(buf, len, "ok.st", &f, &err), MM_OK);
    if (f) {
        /* offset order; the empty tensor sorts before the one sharing its start */
        MM_CHECK(mm_st_count(f) == 3 && strcmp(mm_st_at(f, 0)->name, "z") == 0 &&
                 strcmp(mm_st_at(f, 1)->name, "b\"q") == 0 && strcmp(mm_st_at(f, 2)->name, "c") == 0);
        MM_CHECK(strcmp(mm_st_meta(f, "a"), "\xC3\xA9") == 0);
        double d[3];
        MM_CHECK_STATUS(mm_st_read_f64(f, "b\"q", d, 3, &err), MM_OK);
        MM_CHECK(d[0] == 0 && d[1] == 1 && d[2] == 2);
        MM_CHECK_STATUS(mm_st_read_f64(f, "c", d, 1, &err), MM_OK);
        MM_CHECK(d[0] == 1); /* byte 3 != 0 */
        mm_st_close(f);
    }
}

/* Every prefix of a valid file must be rejected cleanly, from memory and
 * from a file. */
static void test_truncation(void)
{
    mm_error err = {0};
    mm_st_writer *w;
    MM_CHECK_STATUS(mm_st_writer_new(&w, &err), MM_OK);
    float a[3] = {1, 2, 3};
    uint16_t h[2] = {0x3C00, 0x4000};
    int64_t l[1] = {-5};
    size_t s3[1] = {3}, s2[1] = {2}, s0[2] = {0, 2};
    mm_st_writer_add(w, "a", MM_DTYPE_F32, s3, 1, a, &err);
    mm_st_writer_add(w, "h", MM_DTYPE_F16, s2, 1, h, &err);
    mm_st_writer_add(w, "l", MM_DTYPE_I64, NULL, 0, l, &err);
    mm_st_writer_add(w, "e", MM_DTYPE_U8, s0, 2, NULL, &err);
    mm_st_writer_meta(w, "format", "pt", &err);
    MM_CHECK_STATUS(mm_st_writer_save(w, "io_trunc.safetensors", &err), MM_OK);
    mm_st_writer_free(w);
    size_t len;
    unsigned char *img = slurp("io_trunc.safetensors", &len);
    mm_st_file *f;
    MM_CHECK_STATUS(mm_st_open_buffer(img, len, "full", &f, &err), MM_OK);
    mm_st_close(f);
    size_t rejected = 0, rejected_file = 0;
    for (size_t n = 0; n < len; n++) {
        f = (mm_st_file *)1;
        mm_status st = mm_st_open_buffer(img, n, "prefix", &f, &err);
        if (st == MM_EFORMAT && f == NULL && strncmp(err.msg, "prefix: ", 8) == 0) rejected++;
        FILE *fp = fopen("io_trunc_prefix.safetensors", "wb");
        fwrite(img, 1, n, fp);
        fclose(fp);
        f = (mm_st_file *)1;
        st = mm_st_open("io_trunc_prefix.safetensors", &f, &err);
        if (st == MM_EFORMAT && f == NULL) rejected_file++;
    }
    MM_CHECK(rejected == len);
    MM_CHECK(rejected_file == len);
    /* one byte too many is trailing data */
    unsigned char *longer = malloc(len + 1);
    memcpy(longer, img, len);
    longer[len] = 0;
    MM_CHECK_STATUS(mm_st_open_buffer(longer, len + 1, "longer", &f, &err), MM_EFORMAT);
    MM_CHECK(strstr(err.msg, "1 trailing bytes") != NULL);
    free(longer);
    free(img);
    unlink("io_trunc.safetensors");
    unlink("io_trunc_prefix.safetensors");
}

int main(void)
{
    test_round_trip();
    test_reference_bytes();
    test_half_conversion();
    test_hostile();
    test_truncation();
    return mm_test_summary();
}
