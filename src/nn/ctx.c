/* The engine's context: thread count, per-thread scratch, workspace. */
#include "nn/nn_internal.h"

#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

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

void mm_nn_run(mm_nn_ctx *ctx, size_t n_tasks, mm_nn_task_fn fn, void *user)
{
    /* Inside somebody else's parallel region (per-file encoding on the
     * pipeline's threads) the outer caller owns the cores: leave BLAS as
     * it was set there. */
    int blas = 1;
#ifdef _OPENMP
    if (!omp_in_parallel()) blas = openblas_get_num_threads();
#else
    blas = openblas_get_num_threads();
#endif
    if (blas != 1) openblas_set_num_threads(1);
    int nt = ctx->n_threads;
    if ((size_t)nt > n_tasks) nt = (int)n_tasks;
    if (nt <= 1) {
        for (size_t t = 0; t < n_tasks; t++) fn(t, 0, user);
    } else {
#ifdef _OPENMP
        long long n = (long long)n_tasks;
#pragma omp parallel num_threads(nt)
        {
            int tid = omp_get_thread_num();
#pragma omp for schedule(dynamic, 1)
            for (long long t = 0; t < n; t++) fn((size_t)t, tid, user);
        }
#else
        for (size_t t = 0; t < n_tasks; t++) fn(t, 0, user);
#endif
    }
    if (blas != 1) openblas_set_num_threads(blas);
}
