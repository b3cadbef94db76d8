/* Driver for test_sha256.py: prints SHA-256 digests computed by mmfuse.
 *
 *   drv_sha256 file PATH               mm_sha256_file
 *   drv_sha256 batch                   stdin lines "HEX SPLITS": the bytes as hex
 *                                      ("-" = empty) fed to mm_sha256_update in
 *                                      chunks of the comma-separated sizes ("-" =
 *                                      one call); one digest per line
 *   drv_sha256 repeat BYTE COUNT CHUNK COUNT copies of BYTE in CHUNK-sized calls
 *   drv_sha256 errors                  status codes of bad calls, one per line
 */
#include "mmfuse/models.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_digest(mm_sha256 *s)
{
    uint8_t d[32];
    mm_sha256_final(s, d);
    for (int i = 0; i < 32; i++) printf("%02x", d[i]);
    printf("\n");
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

static int batch(void)
{
    static char line[1 << 16];
    static uint8_t data[1 << 15];
    while (fgets(line, sizeof line, stdin)) {
        char *hex = strtok(line, " \n");
        char *splits = strtok(NULL, " \n");
        if (!hex || !splits) return 1;
        size_t n = 0;
        if (strcmp(hex, "-") != 0) {
            for (char *p = hex; p[0] && p[1] && n < sizeof data; p += 2) {
                int hi = hexval(p[0]), lo = hexval(p[1]);
                if (hi < 0 || lo < 0) return 1;
                data[n++] = (uint8_t)(hi * 16 + lo);
            }
        }
        mm_sha256 s;
        mm_sha256_init(&s);
        size_t off = 0;
        if (strcmp(splits, "-") != 0) {
            for (char *tok = strtok(splits, ","); tok; tok = strtok(NULL, ",")) {
                size_t k = strtoul(tok, NULL, 10);
                if (k > n - off) return 1;
                mm_sha256_update(&s, k ? data + off : NULL, k);
                off += k;
            }
        }
        mm_sha256_update(&s, data + off, n - off);
        print_digest(&s);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "file") == 0) {
        char hex[65];
        mm_error err = {0};
        mm_status st = mm_sha256_file(argv[2], hex, &err);
        if (st) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
        printf("%s\n", hex);
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "batch") == 0) return batch();
    if (argc == 5 && strcmp(argv[1], "repeat") == 0) {
        int byte = atoi(argv[2]);
        size_t count = strtoul(argv[3], NULL, 10), chunk = strtoul(argv[4], NULL, 10);
        if (chunk == 0 || chunk > (1u << 20)) return 1;
        uint8_t *buf = malloc(chunk);
        if (!buf) return 1;
        memset(buf, byte, chunk);
        mm_sha256 s;
        mm_sha256_init(&s);
        for (size_t done = 0; done < count; done += chunk)
            mm_sha256_update(&s, buf, count - done < chunk ? count - done : chunk);
        free(buf);
        print_digest(&s);
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "errors") == 0) {
        char hex[65];
        mm_error err = {0};
        printf("%d\n", (int)mm_sha256_file("/nonexistent/dir/x.bin", hex, &err));
        printf("%s\n", err.msg);
        printf("%d\n", (int)mm_sha256_file(NULL, hex, NULL));
        printf("%d\n", (int)mm_sha256_file("", hex, NULL));
        printf("%d\n", (int)mm_sha256_file("/", hex, NULL)); /* a directory: read error */
        return 0;
    }
    fprintf(stderr, "usage: drv_sha256 file PATH | batch | repeat BYTE COUNT CHUNK | errors\n");
    return 2;
}
