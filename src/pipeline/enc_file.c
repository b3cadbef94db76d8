/* Blocks from per-file encoders (audio, image, ...): one vector per row's
 * file, computed in parallel over fixed chunks of rows, looked up in and
 * stored to the on-disk cache. An empty cell is a missing modality; a file
 * the encoder cannot use is a missing modality too, counted, and the first
 * failure (lowest row) is kept for the report. Results do not depend on the
 * thread count. */
#include "pipeline/cache.h"
#include "pipeline/internal.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { ROWS_PER_CHUNK = 4 };
#define MAX_HASHED_FILE ((size_t)1 << 32)

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
    size_t done, failed, cached, first_fail_row;
    char first_fail[MM_ERROR_MSG_SIZE];
} file_job;

/* Resolves a cell to a path: absolute as is, else relative to base_dir. */
static bool resolve(const char *base, const char *cell, char *buf, size_t size)
{
    int n = (cell[0] == '/' || !base || !*base) ? snprintf(buf, size, "%s", cell)
                                                : snprintf(buf, size, "%s/%s", base, cell);
    return n >= 0 && (size_t)n < size;
}

static void encode_chunk(size_t chunk, void *user)
{
    file_job *J = user;
    size_t lo = chunk * ROWS_PER_CHUNK, hi = lo + ROWS_PER_CHUNK < J->n ? lo + ROWS_PER_CHUNK : J->n;
    size_t failed = 0, cached = 0, fail_row = SIZE_MAX;
    mm_error fail_err = {0};
    for (size_t r = lo; r < hi; r++) {
        const char *cell = mm_table_cell(J->t, J->rows[r], J->col, NULL);
        float *dst = mm_mat_row(&J->out->dense, r);
        J->out->present[r] = 0;
        if (!cell) continue;
        char path[PATH_MAX];
        mm_error e = {0};
        mm_status st;
        uint64_t key = 0;
        bool keyed = false;
        if (!resolve(J->o->base_dir, cell, path, sizeof path)) {
            st = mm_error_set(&e, MM_EINVAL, "%s: path too long", cell);
        } else {
            keyed = J->o->cache_dir && mm_cache_file_key(path, J->config_hash, MAX_HASHED_FILE, &key);
            if (keyed && mm_cache_get(J->o->cache_dir, J->enc->kind, key, dst, J->enc->dim)) {
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
            if (failed++ == 0) {
                fail_row = r;
                fail_err = e;
            }
        }
    }
    pthread_mutex_lock(&J->lock);
    J->done += hi - lo;
    J->failed += failed;
    J->cached += cached;
    if (failed && fail_row < J->first_fail_row) {
        J->first_fail_row = fail_row;
        snprintf(J->first_fail, sizeof J->first_fail, "%.150s:%zu: %.300s", mm_table_source(J->t),
                 mm_table_row_line(J->t, J->rows[fail_row]), fail_err.msg);
    }
    if (J->o->progress) J->o->progress(J->enc->kind, J->done, J->n, J->o->progress_user);
    pthread_mutex_unlock(&J->lock);
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
    J.first_fail_row = SIZE_MAX;
    pthread_mutex_init(&J.lock, NULL);
    mm_parallel_for((n + ROWS_PER_CHUNK - 1) / ROWS_PER_CHUNK, o->n_threads, encode_chunk, &J);
    pthread_mutex_destroy(&J.lock);
    if (rep) {
        rep->files_failed += J.failed;
        rep->files_cached += J.cached;
        if (J.failed && !rep->file_error[0]) {
            size_t len = strnlen(J.first_fail, sizeof rep->file_error - 1);
            memcpy(rep->file_error, J.first_fail, len); /* cut at the report's size */
            rep->file_error[len] = '\0';
        }
    }
    return MM_OK;
}
