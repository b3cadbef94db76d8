/* The on-disk feature cache of per-file encoders.
 *
 * Key: xxHash64 of the file's bytes, combined with xxHash64 of the encoder's
 * kind and canonical config, so that a changed file or a changed parameter
 * never returns a stale vector, while a renamed or copied file still hits.
 * The file is opened through the guarded open (io/guard.h) as a file of its
 * modality: a FIFO, a device or a file over the modality's limit gives no
 * key, before a byte is read; the bytes are hashed in blocks, so hashing
 * costs no memory however large the file.
 *
 * Entry: <dir>/<kind>/<2 hex>/<16 hex>.f32 =
 *   "MMFC" | u32 version (2) | u64 dim | dim float32 | u64 checksum
 * in host byte order (a cache is local to a machine), where checksum is
 * XXH64 (seed 0) of every byte before it (magic, version, dim, values).
 * Entries are written to a temporary name and renamed, so concurrent runs
 * and crashes never leave a torn entry. An entry that fails any check
 * (size, magic, version, dim, checksum, a non-finite value) is reported as
 * damaged: the caller recomputes the vector, rewrites the entry and counts
 * it, so an edited or corrupted cache never feeds a wrong or non-finite
 * value to a model. Version 1 entries (no checksum) count as damaged and
 * are replaced as they are met. */
#include "pipeline/cache.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { CACHE_VERSION = 2, HEADER_BYTES = 16, HASH_BLOCK = 1 << 18 };

uint64_t mm_cache_config_hash(const char *kind, const char *config)
{
    XXH64_state_t *s = XXH64_createState();
    if (!s) return 0;
    XXH64_reset(s, 0x6d6d66757365ULL);
    XXH64_update(s, kind, strlen(kind) + 1);
    XXH64_update(s, config, strlen(config));
    uint64_t h = XXH64_digest(s);
    XXH64_freeState(s);
    return h;
}

bool mm_cache_file_key(const char *path, mm_guard_kind kind, uint64_t max_bytes, uint64_t config_hash,
                       uint64_t *key)
{
    int fd;
    uint64_t size;
    if (mm_guard_open(path, kind, max_bytes, &fd, &size, NULL) != MM_OK) return false;
    unsigned char *buf = malloc(HASH_BLOCK);
    XXH3_state_t *s = XXH3_createState();
    bool ok = buf && s && XXH3_64bits_reset_withSeed(s, config_hash) == XXH_OK;
    uint64_t left = size;
    while (ok && left > 0) {
        ssize_t r = read(fd, buf, left < HASH_BLOCK ? (size_t)left : HASH_BLOCK);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) ok = false;
        if (r <= 0) break; /* r == 0: shrank while reading, hash what is there */
        ok = XXH3_64bits_update(s, buf, (size_t)r) == XXH_OK;
        left -= (uint64_t)r;
    }
    if (ok) *key = XXH3_64bits_digest(s);
    XXH3_freeState(s);
    free(buf);
    close(fd);
    return ok;
}

static void entry_path(char *buf, size_t size, const char *dir, const char *kind, uint64_t key)
{
    snprintf(buf, size, "%s/%s/%02x/%016llx.f32", dir, kind, (unsigned)(key >> 56), (unsigned long long)key);
}

static bool all_finite(const float *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i])) return false;
    return true;
}

/* all_finite of n floats stored at p, which need not be aligned */
static bool bytes_finite(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float v;
        memcpy(&v, p + i * sizeof v, sizeof v);
        if (!isfinite(v)) return false;
    }
    return true;
}

mm_cache_result mm_cache_get(const char *dir, const char *kind, uint64_t key, float *out, size_t dim)
{
    char path[4096];
    entry_path(path, sizeof path, dir, kind, key);
    size_t vbytes, want;
    if (!mm_size_mul(dim, sizeof(float), &vbytes) || !mm_size_add(vbytes, HEADER_BYTES + 8, &want))
        return MM_CACHE_MISS;
    int fd;
    uint64_t size;
    if (mm_guard_open(path, MM_GUARD_CACHE, want, &fd, &size, NULL) != MM_OK) {
        struct stat sb;
        /* no entry is a miss; anything else there (too large, not a regular
         * file, unreadable) is a damaged one */
        return lstat(path, &sb) != 0 && errno == ENOENT ? MM_CACHE_MISS : MM_CACHE_DAMAGED;
    }
    unsigned char *b = size == want ? malloc(want) : NULL;
    size_t got = 0;
    while (b && got < want) {
        ssize_t r = read(fd, b + got, want - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += (size_t)r;
    }
    close(fd);
    mm_cache_result res = MM_CACHE_DAMAGED;
    if (b && got == want) {
        uint32_t version;
        uint64_t d, sum;
        memcpy(&version, b + 4, 4);
        memcpy(&d, b + 8, 8);
        memcpy(&sum, b + HEADER_BYTES + vbytes, 8);
        if (memcmp(b, "MMFC", 4) == 0 && version == CACHE_VERSION && d == dim &&
            XXH64(b, HEADER_BYTES + vbytes, 0) == sum && bytes_finite(b + HEADER_BYTES, dim)) {
            memcpy(out, b + HEADER_BYTES, vbytes);
            res = MM_CACHE_HIT;
        }
    }
    free(b);
    return res;
}

/* mkdir -p of the parent folders of path. */
static bool make_parents(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        bool ok = mkdir(path, 0777) == 0 || errno == EEXIST;
        *p = '/';
        if (!ok) return false;
    }
    return true;
}

bool mm_cache_put(const char *dir, const char *kind, uint64_t key, const float *v, size_t dim)
{
    size_t vbytes, total;
    if (!mm_size_mul(dim, sizeof(float), &vbytes) || !mm_size_add(vbytes, HEADER_BYTES + 8, &total) ||
        !all_finite(v, dim))
        return false;
    char path[4096], tmp[4160];
    entry_path(path, sizeof path, dir, kind, key);
    if (!make_parents(path)) return false;
    unsigned char *b = malloc(total);
    if (!b) return false;
    uint32_t version = CACHE_VERSION;
    uint64_t d = dim;
    memcpy(b, "MMFC", 4);
    memcpy(b + 4, &version, 4);
    memcpy(b + 8, &d, 8);
    memcpy(b + HEADER_BYTES, v, vbytes);
    uint64_t sum = XXH64(b, HEADER_BYTES + vbytes, 0);
    memcpy(b + HEADER_BYTES + vbytes, &sum, 8);
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld.%p", path, (long)getpid(), (const void *)v);
    FILE *f = fopen(tmp, "wb");
    bool ok = f && fwrite(b, 1, total, f) == total;
    if (f) ok = (fclose(f) == 0) && ok;
    free(b);
    if (ok) ok = rename(tmp, path) == 0;
    if (!ok) unlink(tmp);
    return ok;
}

const char *mm_cache_default_dir(char *buf, size_t size)
{
    const char *env = getenv("MMFUSE_CACHE_DIR");
    if (env && *env) {
        snprintf(buf, size, "%s", env);
        return buf;
    }
    const char *xdg = getenv("XDG_CACHE_HOME");
    if (xdg && *xdg) {
        snprintf(buf, size, "%s/mmfuse/features", xdg);
        return buf;
    }
    const char *home = getenv("HOME");
    if (home && *home) {
        snprintf(buf, size, "%s/.cache/mmfuse/features", home);
        return buf;
    }
    return NULL;
}
