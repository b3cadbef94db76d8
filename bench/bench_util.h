/* Small helpers shared by the benchmark drivers (the .c files in bench/):
 * file reading, a minimal .npy reader/writer (little-endian, C order,
 * version 1-3 headers), peak RSS and the one-line result record the harness
 * parses.
 *
 * Header-only on purpose: CMake builds every .c file in bench/ into its own
 * program. */
#ifndef MMFUSE_BENCH_UTIL_H
#define MMFUSE_BENCH_UTIL_H

#include "mmfuse/core.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

/* Reads a whole file into a NUL-terminated buffer (NULL on failure). */
static inline char *bench_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    if (fseek(f, 0, SEEK_END) != 0) {
        fclose(f);
        return NULL;
    }
    long size = ftell(f);
    if (size < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return NULL;
    }
    char *buf = malloc((size_t)size + 1);
    if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[size] = '\0';
        *len = (size_t)size;
    }
    return buf;
}

/* Peak resident set size of this process so far, in KiB. */
static inline long bench_maxrss_kb(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
}

/* --------------------------------------------------------------- .npy */

typedef struct bench_npy {
    char descr[8];   /* "<f4", "<f8", "<i4", "<i8" */
    size_t shape[2];
    int ndim;
    size_t count;    /* product of the shape */
    void *data;      /* malloc'd, count elements */
} bench_npy;

static inline const char *bench_find_key(const char *hdr, const char *key)
{
    const char *p = strstr(hdr, key);
    return p ? p + strlen(key) : NULL;
}

/* Reads a little-endian C-order array of at most 2 dimensions. Returns 0 on
 * success, else prints why and returns -1. */
static inline int bench_npy_read(const char *path, bench_npy *out)
{
    memset(out, 0, sizeof *out);
    size_t len;
    char *buf = bench_read_file(path, &len);
    if (!buf) {
        fprintf(stderr, "%s: cannot read\n", path);
        return -1;
    }
    if (len < 10 || memcmp(buf, "\x93NUMPY", 6) != 0) {
        fprintf(stderr, "%s: not a .npy file\n", path);
        free(buf);
        return -1;
    }
    size_t hlen, hstart;
    const unsigned char *u = (const unsigned char *)buf;
    if (u[6] == 1) {
        hlen = (size_t)u[8] | (size_t)u[9] << 8;
        hstart = 10;
    } else {
        if (len < 12) {
            free(buf);
            return -1;
        }
        hlen = (size_t)u[8] | (size_t)u[9] << 8 | (size_t)u[10] << 16 | (size_t)u[11] << 24;
        hstart = 12;
    }
    if (hstart + hlen > len) {
        fprintf(stderr, "%s: truncated header\n", path);
        free(buf);
        return -1;
    }
    char *hdr = malloc(hlen + 1);
    memcpy(hdr, buf + hstart, hlen);
    hdr[hlen] = '\0';
    const char *d = bench_find_key(hdr, "'descr': '");
    const char *fo = bench_find_key(hdr, "'fortran_order': ");
    const char *sh = bench_find_key(hdr, "'shape': (");
    int ok = d && fo && sh && strncmp(fo, "False", 5) == 0;
    if (ok) {
        size_t k = 0;
        while (d[k] && d[k] != '\'' && k < sizeof out->descr - 1) {
            out->descr[k] = d[k];
            k++;
        }
        out->count = 1;
        char *end;
        for (out->ndim = 0; out->ndim < 3; out->ndim++) {
            while (*sh == ' ') sh++;
            if (*sh == ')') break;
            unsigned long long v = strtoull(sh, &end, 10);
            if (end == sh || out->ndim == 2) {
                ok = 0;
                break;
            }
            out->shape[out->ndim] = (size_t)v;
            out->count *= (size_t)v;
            sh = end;
            while (*sh == ' ' || *sh == ',') sh++;
        }
    }
    free(hdr);
    size_t esize = ok ? (size_t)(out->descr[2] - '0') : 0;
    if (!ok || out->descr[0] != '<' || (esize != 4 && esize != 8)) {
        fprintf(stderr, "%s: unsupported .npy header (need little-endian, C order, <= 2-D)\n", path);
        free(buf);
        return -1;
    }
    size_t bytes = out->count * esize;
    if (hstart + hlen + bytes > len) {
        fprintf(stderr, "%s: truncated data\n", path);
        free(buf);
        return -1;
    }
    out->data = malloc(bytes ? bytes : 1);
    memcpy(out->data, buf + hstart + hlen, bytes);
    free(buf);
    return 0;
}

static inline void bench_npy_free(bench_npy *a)
{
    free(a->data);
    a->data = NULL;
}

/* Writes a C-order array with a version 1.0 header; descr is e.g. "<f8". */
static inline int bench_npy_write(const char *path, const char *descr, const void *data, size_t esize,
                           size_t rows, size_t cols, int ndim)
{
    char dict[128];
    if (ndim == 1)
        snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (%zu,), }", descr, rows);
    else
        snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (%zu, %zu), }", descr,
                 rows, cols);
    size_t dl = strlen(dict);
    size_t total = 10 + dl + 1;
    size_t pad = (64 - total % 64) % 64;
    size_t hlen = dl + pad + 1;
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "%s: cannot write\n", path);
        return -1;
    }
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(hlen & 0xff),
                             (unsigned char)(hlen >> 8)};
    fwrite(pre, 1, 10, f);
    fwrite(dict, 1, dl, f);
    for (size_t i = 0; i < pad; i++) fputc(' ', f);
    fputc('\n', f);
    size_t count = ndim == 1 ? rows : rows * cols;
    size_t wrote = fwrite(data, esize, count, f);
    int bad = fclose(f) != 0 || wrote != count;
    if (bad) fprintf(stderr, "%s: write failed\n", path);
    return bad ? -1 : 0;
}

/* --------------------------------------------------------------- results */

/* Prints the one line the harness reads: "RESULT {json}". */
static inline void bench_result(const char *fmt, ...) MM_PRINTF(1, 2);
static inline void bench_result(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("RESULT {");
    vprintf(fmt, ap);
    printf(", \"maxrss_kb\": %ld}\n", bench_maxrss_kb());
    va_end(ap);
    fflush(stdout);
}

#endif /* MMFUSE_BENCH_UTIL_H */
