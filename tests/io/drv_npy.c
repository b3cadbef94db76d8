/* Driver for test_npy.py: writes a rows x cols float32 .npy with a fixed
 * pattern (exact in float32) and, when it holds at least 8 values, special
 * values at the start: -0, +inf, -inf, NaN, the smallest subnormal.
 *   drv_npy <path> <rows> <cols>   -> exit 0, or 1 with the message on stderr */
#include "mmfuse/io.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: drv_npy path rows cols\n");
        return 2;
    }
    size_t rows = (size_t)strtoull(argv[2], NULL, 10), cols = (size_t)strtoull(argv[3], NULL, 10);
    size_t n = rows && cols ? rows * cols : 0;
    float *d = n ? malloc(n * sizeof *d) : NULL;
    for (size_t k = 0; k < n; k++) d[k] = (float)((long)((k * 7919) % 10007) - 5003) / 64.0f;
    if (n >= 8) {
        static const uint32_t special[5] = {0x80000000u, 0x7F800000u, 0xFF800000u, 0x7FC00000u,
                                            0x00000001u};
        for (int i = 0; i < 5; i++) memcpy(&d[i], &special[i], 4);
    }
    mm_error err = {0};
    mm_status st = mm_npy_write_f32(argv[1], d, rows, cols, &err);
    free(d);
    if (st) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    return 0;
}
