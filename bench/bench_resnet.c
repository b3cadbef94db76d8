/* ResNet forward throughput of the engine.
 *
 *   bench_resnet WEIGHTS [--batch N] [--threads N] [--seconds S] [--size H] [--gemm]
 *   bench_resnet --peak [--threads N]
 *
 * The first form runs forward passes on a fixed random batch for about S
 * seconds (after one warm-up pass) and prints one JSON line: images/s,
 * GFLOP/s over the whole pass and over the convolution stages alone (FLOPs
 * = 2 x multiply-adds of every layer as the direct method counts them,
 * from the layer shapes), the FLOPs the engine executes (fewer with
 * Winograd) and their rate, per-stage seconds and peak RSS. --gemm
 * computes every convolution as im2col + SGEMM (no Winograd), so that both
 * counts are the same.
 *
 * --peak measures the machine's attainable float32 FLOP rate: every thread
 * runs a loop of independent 8-wide fused multiply-adds (12 accumulators,
 * enough to cover the FMA latency on current x86 cores) for about a second;
 * the result is the sum over threads. On AVX2 + FMA hardware that is
 * 2 FMA units x 8 lanes x 2 FLOPs = 32 FLOPs per cycle per core at the
 * clock the cores actually run. */
#include "mmfuse/nn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#if defined(__x86_64__)
#include <immintrin.h>
#endif

static double peak_rss_mib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0;
}

#if defined(__x86_64__)
__attribute__((noinline, target("avx2,fma"))) static double fma_loop(long iters)
{
    __m256 m = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
    __m256 a0 = _mm256_set1_ps(0), a1 = _mm256_set1_ps(1), a2 = _mm256_set1_ps(2), a3 = _mm256_set1_ps(3);
    __m256 a4 = _mm256_set1_ps(4), a5 = _mm256_set1_ps(5), a6 = _mm256_set1_ps(6), a7 = _mm256_set1_ps(7);
    __m256 a8 = _mm256_set1_ps(8), a9 = _mm256_set1_ps(9), a10 = _mm256_set1_ps(10), a11 = _mm256_set1_ps(11);
    for (long it = 0; it < iters; it++) {
        a0 = _mm256_fmadd_ps(a0, m, c);
        a1 = _mm256_fmadd_ps(a1, m, c);
        a2 = _mm256_fmadd_ps(a2, m, c);
        a3 = _mm256_fmadd_ps(a3, m, c);
        a4 = _mm256_fmadd_ps(a4, m, c);
        a5 = _mm256_fmadd_ps(a5, m, c);
        a6 = _mm256_fmadd_ps(a6, m, c);
        a7 = _mm256_fmadd_ps(a7, m, c);
        a8 = _mm256_fmadd_ps(a8, m, c);
        a9 = _mm256_fmadd_ps(a9, m, c);
        a10 = _mm256_fmadd_ps(a10, m, c);
        a11 = _mm256_fmadd_ps(a11, m, c);
    }
    __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                             _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
    s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(a8, a9), _mm256_add_ps(a10, a11)));
    float o[8];
    _mm256_storeu_ps(o, s);
    return (double)o[0] + o[1] + o[2] + o[3] + o[4] + o[5] + o[6] + o[7];
}

static int peak(int threads)
{
    if (!__builtin_cpu_supports("fma")) {
        fprintf(stderr, "bench_resnet: --peak needs a CPU with FMA\n");
        return 1;
    }
    long iters = 20000000;
    double sink = 0, best = 0;
    for (int rep = 0; rep < 3; rep++) {
        double t0 = mm_now_seconds();
#pragma omp parallel num_threads(threads) reduction(+ : sink)
        sink += fma_loop(iters);
        double dt = mm_now_seconds() - t0;
        double gf = (double)threads * (double)iters * 12 * 8 * 2 / dt * 1e-9;
        if (gf > best) best = gf;
    }
    printf("{\"peak_gflops\": %.1f, \"threads\": %d, \"per_core\": %.1f, \"sink\": %g}\n", best, threads,
           best / threads, sink > 0 ? 0.0 : 1.0);
    return 0;
}
#else
static int peak(int threads)
{
    (void)threads;
    fprintf(stderr, "bench_resnet: --peak is written for x86-64\n");
    return 1;
}
#endif

int main(int argc, char **argv)
{
    const char *weights = NULL;
    size_t batch = 32, size = 224;
    int threads = 2;
    double seconds = 10;
    bool do_peak = false, gemm = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc) batch = (size_t)atol(argv[++i]);
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) threads = atoi(argv[++i]);
        else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) seconds = atof(argv[++i]);
        else if (strcmp(argv[i], "--size") == 0 && i + 1 < argc) size = (size_t)atol(argv[++i]);
        else if (strcmp(argv[i], "--peak") == 0) do_peak = true;
        else if (strcmp(argv[i], "--gemm") == 0) gemm = true;
        else weights = argv[i];
    }
    if (do_peak) return peak(threads);
    if (!weights || batch == 0) {
        fprintf(stderr, "usage: bench_resnet WEIGHTS [--batch N] [--threads N] [--seconds S] [--size H] [--gemm]\n");
        return 1;
    }
    mm_error err = {0};
    mm_resnet *r;
    mm_resnet_params rp = mm_resnet_params_default();
    if (gemm) rp.conv_algo = MM_NN_CONV_GEMM;
    if (mm_resnet_load(weights, &rp, &r, &err) != MM_OK) {
        fprintf(stderr, "bench_resnet: %s\n", err.msg);
        return 1;
    }
    mm_nn_ctx *ctx;
    mm_nn_ctx_new(threads, &ctx, &err);
    size_t in = batch * 3 * size * size, dim = mm_resnet_dim(r);
    float *x = malloc(in * sizeof *x), *y = malloc(batch * dim * sizeof *y);
    mm_rng rng;
    mm_rng_seed(&rng, 1);
    for (size_t i = 0; i < in; i++) x[i] = (float)(mm_rng_double(&rng) * 4 - 2);
    if (mm_resnet_forward(r, ctx, x, batch, size, size, y, &err) != MM_OK) {
        fprintf(stderr, "bench_resnet: %s\n", err.msg);
        return 1;
    }
    double st0[6];
    mm_nn_ctx_stage_seconds(ctx, st0);
    int passes = 0;
    double t0 = mm_now_seconds(), dt;
    do {
        mm_resnet_forward(r, ctx, x, batch, size, size, y, &err);
        passes++;
        dt = mm_now_seconds() - t0;
    } while (dt < seconds);
    double st[6], conv, total, executed;
    mm_nn_ctx_stage_seconds(ctx, st);
    mm_resnet_flops(r, size, size, &conv, &total, &executed);
    double conv_s = 0;
    for (int i = 0; i < 5; i++) conv_s += st[i] - st0[i];
    double imgs = (double)passes * (double)batch;
    printf("{\"arch\": \"%s\", \"batch\": %zu, \"threads\": %d, \"size\": %zu, \"passes\": %d, \"seconds\": %.3f, "
           "\"images_per_s\": %.2f, \"gflops\": %.1f, \"conv_gflops\": %.1f, \"gflop_per_image\": %.3f, "
           "\"executed_gflop_per_image\": %.3f, \"executed_gflops\": %.1f, "
           "\"stage_s\": [%.3f, %.3f, %.3f, %.3f, %.3f, %.3f], \"peak_rss_mib\": %.1f}\n",
           mm_resnet_arch(r), batch, threads, size, passes, dt, imgs / dt, total * imgs / dt * 1e-9,
           conv * imgs / conv_s * 1e-9, total * 1e-9, executed * 1e-9, executed * imgs / dt * 1e-9,
           st[0] - st0[0], st[1] - st0[1], st[2] - st0[2],
           st[3] - st0[3], st[4] - st0[4], st[5] - st0[5], peak_rss_mib());
    free(x);
    free(y);
    mm_nn_ctx_free(ctx);
    mm_resnet_free(r);
    return 0;
}
