/* Private parts of the inference engine shared by its source files. */
#ifndef MM_NN_INTERNAL_H
#define MM_NN_INTERNAL_H

#include "mmfuse/nn.h"

enum { MM_NN_MAX_THREADS = 256 };

struct mm_nn_ctx {
    int n_threads;
    /* per-thread scratch (patch tiles), grown on demand before a parallel
     * loop, indexed by the loop's slot number (mm_parallel_for_slots) */
    float *scratch[MM_NN_MAX_THREADS];
    size_t scratch_size[MM_NN_MAX_THREADS];
    /* activation workspace owned by the networks' forward passes */
    float *ws;
    size_t ws_size;
    double stage_s[6];
    mm_pool *pool; /* threads used when the caller has no current pool */
};

/* Makes every thread's scratch hold at least `floats` values. */
mm_status mm_nn_scratch_reserve(mm_nn_ctx *ctx, size_t floats, mm_error *err);
typedef void (*mm_nn_task_fn)(size_t task, int tid, void *user);
/* Runs fn(task, tid, user) for task in [0, n_tasks) on the context's
 * threads (tid < ctx->n_threads indexes the scratch), dynamically
 * scheduled on the library's thread pool; called outside a pool, BLAS is
 * held at one thread while it runs (restored afterwards). */
void mm_nn_run(mm_nn_ctx *ctx, size_t n_tasks, mm_nn_task_fn fn, void *user);

#endif
