/* The on-disk feature cache of per-file encoders.
 *
 * Key: xxHash64 of the file's bytes, combined with xxHash64 of the encoder's
 * kind and canonical config, so that a changed file or a changed parameter
 * never returns a stale vector, while a renamed or copied file still hits.
 * Entry: <dir>/<kind>/<2 hex>/<16 hex>.f32 =
 *   "MMFC" | u32 version (1) | u64 dim | dim float32 (little-endian host order)
 * Entries are written to a temporary name and renamed, so concurrent runs
 * and crashes never leave a torn entry; a damaged entry is simply a miss. */
#include "pipeline/cache.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

enum { CACHE_VERSION = 1 };

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

bool mm_cache_file_key(const char *path, uint64_t config_hash, size_t max_bytes, uint64_t *key)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    struct stat st;
    bool ok = false;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 && (uint64_t)st.st_size <= max_bytes) {
        void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p != MAP_FAILED) {
            *key = XXH3_64bits_withSeed(p, (size_t)st.st_size, config_hash);
            munmap(p, (size_t)st.st_size);
            ok = true;
        }
    }
    close(fd);
    return ok;
}

static void entry_path(char *buf, size_t size, const char *dir, const char *kind, uint64_t key)
{
    snprintf(buf, size, "%s/%s/%02x/%016llx.f32", dir, kind, (unsigned)(key >> 56), (unsigned long long)key);
}

bool mm_cache_get(const char *dir, const char *kind, uint64_t key, float *out, size_t dim)
{
    char path[4096];
    entry_path(path, sizeof path, dir, kind, key);
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    char magic[4];
    uint32_t version;
    uint64_t d;
    bool ok = fread(magic, 1, 4, f) == 4 && memcmp(magic, "MMFC", 4) == 0 && fread(&version, 4, 1, f) == 1 &&
              version == CACHE_VERSION && fread(&d, 8, 1, f) == 1 && d == dim &&
              fread(out, sizeof *out, dim, f) == dim && fgetc(f) == EOF;
    fclose(f);
    return ok;
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
    char path[4096], tmp[4160];
    entry_path(path, sizeof path, dir, kind, key);
    if (!make_parents(path)) return false;
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld.%p", path, (long)getpid(), (const void *)v);
    FILE *f = fopen(tmp, "wb");
    if (!f) return false;
    uint32_t version = CACHE_VERSION;
    uint64_t d = dim;
    bool ok = fwrite("MMFC", 1, 4, f) == 4 && fwrite(&version, 4, 1, f) == 1 && fwrite(&d, 8, 1, f) == 1 &&
              fwrite(v, sizeof *v, dim, f) == dim;
    ok = (fclose(f) == 0) && ok;
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
