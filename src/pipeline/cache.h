/* The on-disk cache of per-file feature vectors (see cache.c). */
#ifndef MM_PIPELINE_CACHE_H
#define MM_PIPELINE_CACHE_H

#include "mmfuse/core.h"

/* Hash of an encoder's identity (kind + canonical config). */
uint64_t mm_cache_config_hash(const char *kind, const char *config);
/* Cache key of a file: its content hashed with config_hash. False when the
 * file cannot be read (or is not a regular file, empty, or > max_bytes). */
bool mm_cache_file_key(const char *path, uint64_t config_hash, size_t max_bytes, uint64_t *key);
/* A hit fills out[0..dim) and returns true. */
bool mm_cache_get(const char *dir, const char *kind, uint64_t key, float *out, size_t dim);
/* Stores an entry atomically; false when it could not (the run goes on). */
bool mm_cache_put(const char *dir, const char *kind, uint64_t key, const float *v, size_t dim);
/* $MMFUSE_CACHE_DIR, else $XDG_CACHE_HOME/mmfuse/features, else
 * $HOME/.cache/mmfuse/features; NULL when none is set. */
const char *mm_cache_default_dir(char *buf, size_t size);

#endif
