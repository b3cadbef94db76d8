/* Elementwise ops, pooling and layout conversion on NHWC tensors. */
#include "nn/nn_internal.h"

#include <math.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

typedef struct pool_job {
    const float *x;
    float *y;
    size_t n, h, w, c, ho, wo, k, stride, pad;
} pool_job;

/* One output row (image, oy) of a max pool. NaN propagates as in PyTorch. */
static void maxpool_task(size_t task, int tid, void *user)
{
    (void)tid;
    const pool_job *J = user;
    size_t img = task / J->ho, oy = task % J->ho, c = J->c;
    const float *xi = J->x + img * J->h * J->w * c;
    float *yr = J->y + task * J->wo * c;
    long y0 = (long)(oy * J->stride) - (long)J->pad;
    for (size_t ox = 0; ox < J->wo; ox++) {
        float *o = yr + ox * c;
        for (size_t ch = 0; ch < c; ch++) o[ch] = -INFINITY;
        long x0 = (long)(ox * J->stride) - (long)J->pad;
        for (size_t ky = 0; ky < J->k; ky++) {
            long iy = y0 + (long)ky;
            if (iy < 0 || (size_t)iy >= J->h) continue;
            for (size_t kx = 0; kx < J->k; kx++) {
                long ix = x0 + (long)kx;
                if (ix < 0 || (size_t)ix >= J->w) continue;
                const float *s = xi + ((size_t)iy * J->w + (size_t)ix) * c;
                size_t ch = 0;
#ifdef __SSE2__
                for (; ch + 4 <= c; ch += 4) {
                    __m128 m = _mm_loadu_ps(o + ch), v = _mm_loadu_ps(s + ch);
                    /* take v where v > m or v is NaN (then the result stays NaN) */
                    __m128 take = _mm_or_ps(_mm_cmpgt_ps(v, m), _mm_cmpunord_ps(v, v));
                    _mm_storeu_ps(o + ch, _mm_or_ps(_mm_and_ps(take, v), _mm_andnot_ps(take, m)));
                }
#endif
                for (; ch < c; ch++) o[ch] = (s[ch] > o[ch] || isnan(s[ch])) ? s[ch] : o[ch];
            }
        }
    }
}

mm_status mm_nn_maxpool2d(mm_nn_ctx *ctx, const float *x, size_t n, size_t h, size_t w, size_t c, size_t k,
                          size_t stride, size_t pad, float *y, mm_error *err)
{
    size_t ho = mm_nn_out_size(h, k, stride, pad, 1), wo = mm_nn_out_size(w, k, stride, pad, 1);
    if (ho == 0 || wo == 0 || 2 * pad > k)
        return mm_error_set(err, MM_EINVAL, "max pool %zux%zu/%zu pad %zu: invalid for input %zux%zu", k, k, stride,
                            pad, h, w);
    pool_job J = {x, y, n, h, w, c, ho, wo, k, stride, pad};
    mm_nn_run(ctx, n * ho, maxpool_task, &J);
    return MM_OK;
}

static void avgpool_task(size_t img, int tid, void *user)
{
    (void)tid;
    const pool_job *J = user;
    size_t hw = J->h * J->w, c = J->c;
    const float *xi = J->x + img * hw * c;
    float *o = J->y + img * c;
    for (size_t ch = 0; ch < c; ch++) {
        double s = 0.0;
        for (size_t i = 0; i < hw; i++) s += xi[i * c + ch];
        o[ch] = (float)(s / (double)hw);
    }
}

void mm_nn_global_avgpool(mm_nn_ctx *ctx, const float *x, size_t n, size_t h, size_t w, size_t c, float *y)
{
    pool_job J = {x, y, n, h, w, c, 1, 1, 0, 0, 0};
    mm_nn_run(ctx, n, avgpool_task, &J);
}

typedef struct add_job {
    const float *a, *b;
    float *y;
    size_t count;
    mm_nn_act act;
} add_job;

enum { ADD_CHUNK = 1 << 16 };

static void add_task(size_t task, int tid, void *user)
{
    (void)tid;
    const add_job *J = user;
    size_t lo = task * ADD_CHUNK, hi = lo + ADD_CHUNK < J->count ? lo + ADD_CHUNK : J->count;
    for (size_t i = lo; i < hi; i++) {
        float v = J->a[i] + J->b[i];
        J->y[i] = (J->act == MM_NN_ACT_RELU && v < 0.0f) ? 0.0f : v;
    }
}

void mm_nn_add(mm_nn_ctx *ctx, const float *a, const float *b, size_t count, float *y, mm_nn_act act)
{
    add_job J = {a, b, y, count, act};
    mm_nn_run(ctx, (count + ADD_CHUNK - 1) / ADD_CHUNK, add_task, &J);
}

void mm_nn_nchw_to_nhwc(const float *x, size_t n, size_t c, size_t h, size_t w, float *y)
{
    size_t hw = h * w;
    for (size_t i = 0; i < n; i++) {
        const float *xi = x + i * c * hw;
        float *yi = y + i * c * hw;
        for (size_t ch = 0; ch < c; ch++)
            for (size_t p = 0; p < hw; p++) yi[p * c + ch] = xi[ch * hw + p];
    }
}

void mm_nn_nhwc_to_nchw(const float *x, size_t n, size_t h, size_t w, size_t c, float *y)
{
    size_t hw = h * w;
    for (size_t i = 0; i < n; i++) {
        const float *xi = x + i * c * hw;
        float *yi = y + i * c * hw;
        for (size_t p = 0; p < hw; p++)
            for (size_t ch = 0; ch < c; ch++) yi[ch * hw + p] = xi[p * c + ch];
    }
}
