/* The on-disk cache of per-file feature vectors (see cache.c for the
 * key and the entry layout). */
#ifndef MM_PIPELINE_CACHE_H
#define MM_PIPELINE_CACHE_H

#include "io/guard.h"
#include "mmfuse/core.h"

/* Hash of an encoder's identity (kind + canonical config). */
uint64_t mm_cache_config_hash(const char *kind, const char *config);
/* Cache key of a file: its content hashed with config_hash. The file is
 * opened through the guarded open as a file of `kind` with limit max_bytes
 * (0 = the kind's documented limit): false, with not a byte read, when it
 * is not a regular file or is larger; false too when it cannot be opened
 * or read. Memory use does not grow with the file's size. */
bool mm_cache_file_key(const char *path, mm_guard_kind kind, uint64_t max_bytes, uint64_t config_hash,
                       uint64_t *key);

typedef enum mm_cache_result {
    MM_CACHE_MISS = 0, /* no entry                                           */
    MM_CACHE_HIT,      /* out[0..dim) holds the stored vector                 */
    MM_CACHE_DAMAGED   /* an entry is there but fails a check (size, version,
                          dim, checksum, non-finite value): recompute, store
                          again and count it; out is untouched               */
} mm_cache_result;

mm_cache_result mm_cache_get(const char *dir, const char *kind, uint64_t key, float *out, size_t dim);
/* Stores an entry atomically; false when it could not (the run goes on) or
 * when a value is not finite (such a vector is never stored). */
bool mm_cache_put(const char *dir, const char *kind, uint64_t key, const float *v, size_t dim);
/* $MMFUSE_CACHE_DIR, else $XDG_CACHE_HOME/mmfuse/features, else
 * $HOME/.cache/mmfuse/features; NULL when none is set. */
const char *mm_cache_default_dir(char *buf, size_t size);

#endif
