/* Blocks from per-file encoders (audio, image, ...): one vector per row's
 * file, computed in parallel over fixed chunks of rows, looked up in and
 * stored to the on-disk cache. An empty cell is a missing modality; a file
 * the encoder cannot use is a missing modality too, counted, and the first
 * failure (lowest row) is kept for the report. Results do not depend on the
 * thread count.
 *
 * Encoders with an encode_batch function (CNNs) get the rows in order, in
 * batches of their preferred size: cached rows are filled from the cache,
 * the others go to the encoder together, which uses the threads itself.
 *
 * Paths (the policy is documented in mmfuse/pipeline.h, "Media paths"): a
 * relative cell is joined to the CSV's folder, an absolute one is used as
 * is; with a media root, the joined path is resolved with realpath and
 * must lie inside the root, else the row fails (counted apart as well) and
 * nothing is opened. The cache key opens the file through the guarded open
 * with the modality's limit, so a FIFO or an oversized file costs nothing
 * there; when no key can be made the encoder still gets the path (uncached)
 * and gives the row's message. A damaged cache entry is recomputed,
 * rewritten and counted. */
#define _XOPEN_SOURCE 700 /* realpath */
#include "pipeline/cache.h"
#include "pipeline/internal.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { ROWS_PER_CHUNK = 4 };

typedef struct file_job {
    const mm_file_encoder *enc;
    const mm_table *t;
    size_t col;
    const size_t *rows;
    size_t n;
    const mm_file_opts *o;
    uint64_t config_hash;
    mm_block *out;
    /* shared, under lock */
    pthread_mutex_t lock;
    size_t done, failed, cached, damaged, first_fail_row;
    char first_fail[MM_ERROR_MSG_SIZE];
    size_t outside, first_outside_row;
    char first_outside[MM_ERROR_MSG_SIZE];
} file_job;

mm_status mm_file_media_root(const char *dir, char *buf, size_t size, mm_error *err)
{
    char real[PATH_MAX];
    if (!dir || !*dir) return mm_error_set(err, MM_EINVAL, "media root: empty path");
    if (!realpath(dir, real)) {
        int e = errno;
        return mm_error_set(err, MM_EIO, "media root %s: %s", dir, strerror(e));
    }
    struct stat sb;
    if (stat(real, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return mm_error_set(err, MM_EIO, "media root %s: not a directory", dir);
    size_t len = strlen(real);
    if (len >= size) return mm_error_set(err, MM_EINVAL, "media root %s: path too long", dir);
    memcpy(buf, real, len + 1);
    return MM_OK;
}

/* Whether the resolved path lies in the resolved root (or is the root). */
static bool inside_root(const char *root, const char *real)
{
    size_t n = strlen(root);
    if (n == 1 && root[0] == '/') return real[0] == '/';
    return strncmp(real, root, n) == 0 && (real[n] == '/' || real[n] == '\0');
}

/* Resolves a cell to the path to open (see the top of the file). *outside
 * tells an escape from the media root from other failures. */
static mm_status resolve(const mm_file_opts *o, const char *cell, char *buf, size_t size, bool *outside,
                         mm_error *e)
{
    *outside = false;
    const char *base = o->base_dir;
    int n = (cell[0] == '/' || !base || !*base) ? snprintf(buf, size, "%s", cell)
                                                : snprintf(buf, size, "%s/%s", base, cell);
    if (n < 0 || (size_t)n >= size) return mm_error_set(e, MM_EINVAL, "%s: path too long", cell);
    if (!o->media_root) return MM_OK;
    char real[PATH_MAX];
    if (!realpath(buf, real)) {
        int er = errno;
        return mm_error_set(e, MM_EIO, "%s: cannot open: %s", buf, strerror(er));
    }
    if (!inside_root(o->media_root, real)) {
        *outside = true;
        return mm_error_set(e, MM_EINVAL, "%s: outside the media root %s (resolves to %s); not read", cell,
                            o->media_root, real);
    }
    size_t len = strlen(real);
    if (len >= size) return mm_error_set(e, MM_EINVAL, "%s: path too long", cell);
    memcpy(buf, real, len + 1);
    return MM_OK;
}

/* The guarded-open kind of an encoder's files. */
static mm_guard_kind file_kind(const mm_file_encoder *enc)
{
    if (enc->modality == MM_MOD_AUDIO) return MM_GUARD_AUDIO;
    if (enc->modality == MM_MOD_VIDEO) return MM_GUARD_VIDEO;
    return MM_GUARD_IMAGE;
}

/* Counts a failed row and keeps the first (lowest row) failure, and the
 * first escape from the media root, for the report. The caller holds the
 * job's lock when rows run in parallel. */
static void note_failure(file_job *J, size_t r, const mm_error *e, bool outside)
{
    J->failed++;
    if (r < J->first_fail_row) {
        J->first_fail_row = r;
        snprintf(J->first_fail, sizeof J->first_fail, "%.150s:%zu: %.300s", mm_table_source(J->t),
                 mm_table_row_line(J->t, J->rows[r]), e->msg);
    }
    if (!outside) return;
    J->outside++;
    if (r < J->first_outside_row) {
        J->first_outside_row = r;
        snprintf(J->first_outside, sizeof J->first_outside, "%.150s:%zu: %.300s", mm_table_source(J->t),
                 mm_table_row_line(J->t, J->rows[r]), e->msg);
    }
}

/* Looks a file up in the cache: true on a hit (dst filled). *keyed and
 * *key tell whether the vector may be stored after encoding; a damaged
 * entry is counted in *damaged (and then overwritten by that store). */
static bool cache_lookup(const file_job *J, const char *path, float *dst, uint64_t *key, bool *keyed,
                         size_t *damaged)
{
    *keyed = J->o->cache_dir && mm_cache_file_key(path, file_kind(J->enc), 0, J->config_hash, key);
    if (!*keyed) return false;
    mm_cache_result c = mm_cache_get(J->o->cache_dir, J->enc->kind, *key, dst, J->enc->dim);
    if (c == MM_CACHE_DAMAGED) ++*damaged;
    return c == MM_CACHE_HIT;
}

static void encode_chunk(size_t chunk, void *user)
{
    file_job *J = user;
    size_t lo = chunk * ROWS_PER_CHUNK, hi = lo + ROWS_PER_CHUNK < J->n ? lo + ROWS_PER_CHUNK : J->n;
    size_t cached = 0, damaged = 0;
    for (size_t r = lo; r < hi; r++) {
        const char *cell = mm_table_cell(J->t, J->rows[r], J->col, NULL);
        float *dst = mm_mat_row(&J->out->dense, r);
        J->out->present[r] = 0;
        if (!cell) continue;
        char path[PATH_MAX];
        mm_error e = {0};
        uint64_t key = 0;
        bool keyed = false, outside = false;
        mm_status st = resolve(J->o, cell, path, sizeof path, &outside, &e);
        if (st == MM_OK) {
            if (cache_lookup(J, path, dst, &key, &keyed, &damaged)) {
                J->out->present[r] = 1;
                cached++;
                continue;
            }
            st = J->enc->encode(J->enc, path, dst, &e);
        }
        if (st == MM_OK) {
            J->out->present[r] = 1;
            if (keyed) mm_cache_put(J->o->cache_dir, J->enc->kind, key, dst, J->enc->dim);
        } else {
            memset(dst, 0, J->enc->dim * sizeof *dst);
            pthread_mutex_lock(&J->lock);
            note_failure(J, r, &e, outside);
            pthread_mutex_unlock(&J->lock);
        }
    }
    pthread_mutex_lock(&J->lock);
    J->done += hi - lo;
    J->cached += cached;
    J->damaged += damaged;
    if (J->o->progress) J->o->progress(J->enc->kind, J->done, J->n, J->o->progress_user);
    pthread_mutex_unlock(&J->lock);
}

/* The batched path (see the top of the file). */
static mm_status encode_batched(file_job *J, mm_error *err)
{
    const mm_file_encoder *enc = J->enc;
    size_t B = enc->batch ? enc->batch : 1, dim = enc->dim;
    char *paths = malloc(B * PATH_MAX);
    const char **pp = malloc(B * sizeof *pp);
    size_t *rows = malloc(B * sizeof *rows);
    uint64_t *keys = malloc(B * sizeof *keys);
    bool *keyed = malloc(B * sizeof *keyed);
    float *buf = mm_alloc_array(B, dim * sizeof(float));
    mm_status *st = malloc(B * sizeof *st);
    mm_error *errs = calloc(B, sizeof *errs);
    mm_status rc = MM_OK;
    if (!paths || !pp || !rows || !keys || !keyed || !buf || !st || !errs)
        rc = mm_error_set(err, MM_ENOMEM, "out of memory (%s batch of %zu files)", enc->kind, B);
    for (size_t lo = 0; lo < J->n && !rc; lo += B) {
        size_t hi = lo + B < J->n ? lo + B : J->n, m = 0;
        for (size_t r = lo; r < hi; r++) {
            const char *cell = mm_table_cell(J->t, J->rows[r], J->col, NULL);
            float *dst = mm_mat_row(&J->out->dense, r);
            J->out->present[r] = 0;
            if (!cell) continue;
            char *path = paths + m * PATH_MAX;
            mm_error e = {0};
            bool outside;
            if (resolve(J->o, cell, path, PATH_MAX, &outside, &e) != MM_OK) {
                note_failure(J, r, &e, outside);
                continue;
            }
            uint64_t key = 0;
            bool k;
            if (cache_lookup(J, path, dst, &key, &k, &J->damaged)) {
                J->out->present[r] = 1;
                J->cached++;
                continue;
            }
            pp[m] = path;
            rows[m] = r;
            keys[m] = key;
            keyed[m] = k;
            m++;
        }
        if (m) enc->encode_batch(enc, pp, m, buf, st, errs, J->o->n_threads);
        for (size_t i = 0; i < m; i++) {
            size_t r = rows[i];
            if (st[i] != MM_OK) {
                note_failure(J, r, &errs[i], false);
                continue;
            }
            memcpy(mm_mat_row(&J->out->dense, r), buf + i * dim, dim * sizeof *buf);
            J->out->present[r] = 1;
            if (keyed[i]) mm_cache_put(J->o->cache_dir, enc->kind, keys[i], buf + i * dim, dim);
        }
        J->done = hi;
        if (J->o->progress) J->o->progress(enc->kind, J->done, J->n, J->o->progress_user);
    }
    free(paths);
    free(pp);
    free(rows);
    free(keys);
    free(keyed);
    free(buf);
    free(st);
    free(errs);
    return rc;
}

mm_status mm_file_block(const mm_file_encoder *e, const char *column, mm_role role, const mm_table *t,
                        const size_t *rows, size_t n, const mm_file_opts *o, mm_block *out,
                        mm_data_report *rep, mm_error *err)
{
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "%s:%s", mm_role_name(role), column);
    out->modality = e->modality;
    out->rows = n;
    out->dim = e->dim;
    mm_status st = mm_mat_alloc(&out->dense, n, e->dim, err);
    if (st) return st;
    out->present = calloc(n ? n : 1, 1);
    if (!out->present) {
        mm_block_free(out);
        return mm_error_set(err, MM_ENOMEM, "out of memory (%s)", out->name);
    }
    long col = mm_table_find_col(t, column);
    if (col < 0 || n == 0) return MM_OK; /* absent column: no row has the modality */
    file_job J = {0};
    J.enc = e;
    J.t = t;
    J.col = (size_t)col;
    J.rows = rows;
    J.n = n;
    J.o = o;
    J.out = out;
    J.config_hash = mm_cache_config_hash(e->kind, e->config);
    J.first_fail_row = J.first_outside_row = SIZE_MAX;
    pthread_mutex_init(&J.lock, NULL);
    if (e->encode_batch) {
        mm_status bst = encode_batched(&J, err);
        if (bst) {
            pthread_mutex_destroy(&J.lock);
            mm_block_free(out);
            return bst;
        }
    } else {
        mm_parallel_for((n + ROWS_PER_CHUNK - 1) / ROWS_PER_CHUNK, o->n_threads, encode_chunk, &J);
    }
    pthread_mutex_destroy(&J.lock);
    if (rep) {
        rep->files_failed += J.failed;
        rep->files_cached += J.cached;
        rep->cache_damaged += J.damaged;
        rep->files_outside_root += J.outside;
        if (J.failed && !rep->file_error[0]) {
            size_t len = strnlen(J.first_fail, sizeof rep->file_error - 1);
            memcpy(rep->file_error, J.first_fail, len); /* cut at the report's size */
            rep->file_error[len] = '\0';
        }
        if (J.outside && !rep->outside_root_error[0]) {
            size_t len = strnlen(J.first_outside, sizeof rep->outside_root_error - 1);
            memcpy(rep->outside_root_error, J.first_outside, len);
            rep->outside_root_error[len] = '\0';
        }
    }
    return MM_OK;
}
