/* The engine's context: thread count, per-thread scratch, workspace. */
#include "nn/nn_internal.h"

#include <stdlib.h>
#include <string.h>

extern int openblas_get_num_threads(void);
extern void openblas_set_num_threads(int num_threads);

mm_status mm_nn_ctx_new(int n_threads, mm_nn_ctx **out, mm_error *err)
{
    *out = NULL;
    mm_nn_ctx *c = calloc(1, sizeof *c);
    if (!c) return mm_error_set(err, MM_ENOMEM, "out of memory (inference context)");
    int nt = mm_threads_resolve(n_threads);
    c->n_threads = nt > MM_NN_MAX_THREADS ? MM_NN_MAX_THREADS : nt;
    *out = c;
    return MM_OK;
}

void mm_nn_ctx_free(mm_nn_ctx *ctx)
{
    if (!ctx) return;
    mm_pool_free(ctx->pool);
    for (int i = 0; i < MM_NN_MAX_THREADS; i++) free(ctx->scratch[i]);
    free(ctx->ws);
    free(ctx);
}

int mm_nn_ctx_threads(const mm_nn_ctx *ctx)
{
    return ctx->n_threads;
}

void mm_nn_ctx_stage_seconds(const mm_nn_ctx *ctx, double out[6])
{
    memcpy(out, ctx->stage_s, sizeof ctx->stage_s);
}

mm_status mm_nn_scratch_reserve(mm_nn_ctx *ctx, size_t floats, mm_error *err)
{
    for (int i = 0; i < ctx->n_threads; i++) {
        if (ctx->scratch_size[i] >= floats) continue;
        float *p = NULL;
        size_t bytes = floats * sizeof(float);
        if (floats > SIZE_MAX / sizeof(float) || posix_memalign((void **)&p, 64, bytes) != 0)
            return mm_error_set(err, MM_ENOMEM, "out of memory (%zu MiB of convolution scratch)",
                                bytes >> 20);
        free(ctx->scratch[i]);
        ctx->scratch[i] = p;
        ctx->scratch_size[i] = floats;
    }
    return MM_OK;
}

typedef struct nn_job {
    mm_nn_task_fn fn;
    void *user;
} nn_job;

static void nn_task(size_t task, int slot, void *user)
{
    nn_job *j = user;
    j->fn(task, slot, j->user);
}

void mm_nn_run(mm_nn_ctx *ctx, size_t n_tasks, mm_nn_task_fn fn, void *user)
{
    /* Called on its own (no current pool), the engine holds BLAS at one
     * thread while its tasks run and restores it afterwards. Inside the
     * pipeline's pool the pool owns the cores and BLAS is already at one
     * thread: nothing is changed there. */
    int blas = 1;
    mm_pool *prev = NULL;
    bool own = !mm_pool_current();
    if (own) {
        blas = openblas_get_num_threads();
        /* the context keeps its own pool, started on first use */
        if (!ctx->pool && ctx->n_threads > 1 && mm_pool_new(ctx->n_threads, &ctx->pool, NULL) != MM_OK)
            ctx->pool = NULL; /* then the loop starts threads per call */
        prev = mm_pool_enter(ctx->pool);
    }
    if (blas != 1) openblas_set_num_threads(1);
    nn_job j = {fn, user};
    /* the slot numbers (< ctx->n_threads) index the per-thread scratch */
    mm_parallel_for_slots(n_tasks, ctx->n_threads, nn_task, &j);
    if (blas != 1) openblas_set_num_threads(blas);
    if (own) mm_pool_leave(prev);
}
