/* .npy writer for 2-D float32 arrays, byte-identical to numpy 1.24's np.save.
 *
 * numpy writes (numpy/lib/format.py):
 *   "\x93NUMPY" 0x01 0x00 | u16 LE HLEN | header text | data
 * with header text
 *   {'descr': '<f4', 'fortran_order': False, 'shape': (R, C), }
 * followed by 21 - len(str(R)) spaces of growth room for the first axis, then
 * spaces and one '\n' so that 10 + HLEN is a multiple of 64 (at least one
 * space or the newline is always added: pad = 64 - (10 + len + 1) % 64). */
#include "mmfuse/io.h"

#include "io/atomic.h"

#include <stdio.h>
#include <string.h>

enum { NPY_ALIGN = 64, NPY_GROWTH_DIGITS = 21, NPY_PREFIX = 10 };

/* Builds the complete preamble (magic .. final '\n') into out; returns its
 * length (a multiple of 64, below 256 for any 2-D shape). */
static size_t npy_preamble(unsigned char *out, size_t cap, size_t rows, size_t cols)
{
    char text[192];
    int n = snprintf(text, sizeof text, "{'descr': '<f4', 'fortran_order': False, 'shape': (%zu, %zu), }",
                     rows, cols);
    char digits[32];
    int nd = snprintf(digits, sizeof digits, "%zu", rows);
    size_t len = (size_t)n;
    size_t growth = nd < NPY_GROWTH_DIGITS ? (size_t)(NPY_GROWTH_DIGITS - nd) : 0;
    memset(text + len, ' ', growth);
    len += growth;
    size_t hlen = len + 1;
    size_t pad = NPY_ALIGN - (NPY_PREFIX + hlen) % NPY_ALIGN;
    hlen += pad;
    size_t total = NPY_PREFIX + hlen;
    if (total > cap) return 0;
    memcpy(out, "\x93NUMPY\x01\x00", 8);
    out[8] = (unsigned char)(hlen & 0xFF);
    out[9] = (unsigned char)(hlen >> 8);
    memcpy(out + NPY_PREFIX, text, len);
    memset(out + NPY_PREFIX + len, ' ', pad);
    out[total - 1] = '\n';
    return total;
}

mm_status mm_npy_write_f32(const char *path, const float *data, size_t rows, size_t cols,
                           mm_error *err)
{
    if (!path) return mm_error_set(err, MM_EINVAL, "mm_npy_write_f32: path is NULL");
    size_t count, bytes;
    if (!mm_size_mul(rows, cols, &count) || !mm_size_mul(count, sizeof(float), &bytes))
        return mm_error_set(err, MM_EINVAL, "%s: array of %zu x %zu floats is too large", path,
                            rows, cols);
    if (!data && count > 0)
        return mm_error_set(err, MM_EINVAL, "%s: data is NULL for a %zu x %zu array", path, rows,
                            cols);
    unsigned char pre[256];
    size_t plen = npy_preamble(pre, sizeof pre, rows, cols);
    if (plen == 0) return mm_error_set(err, MM_EINVAL, "%s: .npy header too long", path);

    mm_io_atomic a;
    mm_status st = mm_io_atomic_open(&a, path, err);
    if (st) return st;
    if ((st = mm_io_atomic_write(&a, pre, plen, err))) return st;
    /* data as little-endian float32, in chunks (a no-op reorder on LE hosts) */
    unsigned char chunk[16384];
    size_t per = sizeof chunk / 4;
    for (size_t i = 0; i < count; i += per) {
        size_t m = count - i < per ? count - i : per;
        for (size_t k = 0; k < m; k++) {
            uint32_t u;
            memcpy(&u, data + i + k, 4);
            chunk[4 * k] = (unsigned char)u;
            chunk[4 * k + 1] = (unsigned char)(u >> 8);
            chunk[4 * k + 2] = (unsigned char)(u >> 16);
            chunk[4 * k + 3] = (unsigned char)(u >> 24);
        }
        if ((st = mm_io_atomic_write(&a, chunk, 4 * m, err))) return st;
    }
    return mm_io_atomic_commit(&a, err);
}
