/* Convolution and linear layers as tiled GEMMs over NHWC rows.
 *
 * The output rows (pixels of every image in the batch) are cut into tiles
 * of a few MiB of patches; each tile's patches are gathered into the
 * thread's scratch (nothing to gather for 1x1 stride-1 layers, whose input
 * rows are the patches) and multiplied by the packed weights with one
 * single-threaded SGEMM, then bias, residual and activation are applied to
 * the tile while it is still in cache. When a layer has fewer row tiles
 * than threads (late layers of a single image) the output channels are
 * split as well. Every output value is computed by exactly one GEMM whose
 * shape depends on the layer only, so results are identical for any number
 * of threads. */
#include "nn/nn_internal.h"
#include "nn/conv_internal.h"
#include "nn/gemm.h"

#include <cblas.h>
#include <math.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <stdlib.h>
#include <string.h>

/* Patch floats per tile: 4 MiB keeps the patches within the shared cache,
 * but a tile has at least WIDE_TILE_ROWS rows (when the layer has them), so
 * that packing the weights once per GEMM call stays small against the
 * multiply-adds of layers with long patch rows. */
#define TILE_FLOATS ((size_t)1 << 20)
/* At least MIN_TASKS tasks per layer when its size allows (rows of at
 * least MIN_TILE_ROWS, column blocks of at least COL_ALIGN). */
enum { MIN_TILE_ROWS = 64, WIDE_TILE_ROWS = 384, COL_ALIGN = 16, MIN_TASKS = 4 };

mm_nn_conv_params mm_nn_conv_params_make(size_t cin, size_t cout, size_t k, size_t stride, size_t pad)
{
    mm_nn_conv_params p = {cin, cout, k, k, stride, stride, pad, pad, 1, 1, MM_NN_CONV_AUTO};
    return p;
}

size_t mm_nn_out_size(size_t in, size_t k, size_t stride, size_t pad, size_t dil)
{
    if (k == 0 || stride == 0 || dil == 0 || k - 1 > (SIZE_MAX - 1) / dil) return 0;
    size_t span = dil * (k - 1) + 1;
    if (in > SIZE_MAX - 2 * pad || in + 2 * pad < span) return 0;
    return (in + 2 * pad - span) / stride + 1;
}

static float *alloc_floats(size_t n)
{
    void *p = NULL;
    if (n == 0 || n > SIZE_MAX / sizeof(float) || posix_memalign(&p, 64, n * sizeof(float)) != 0) return NULL;
    return p;
}

mm_status mm_nn_conv_init(mm_nn_conv *c, const mm_nn_conv_params *p, const float *w_oihw, const float *bias,
                          mm_error *err)
{
    memset(c, 0, sizeof *c);
    if (!p->cin || !p->cout || !p->kh || !p->kw || !p->stride_h || !p->stride_w || !p->dil_h || !p->dil_w)
        return mm_error_set(err, MM_EINVAL, "convolution: sizes, strides and dilations must be positive");
    size_t k = p->kh * p->kw, kk;
    if (k / p->kh != p->kw || p->cin > SIZE_MAX / k || (kk = k * p->cin) > SIZE_MAX / p->cout / sizeof(float))
        return mm_error_set(err, MM_EINVAL, "convolution: weight size overflows");
    bool wino = mm_nn_winograd_eligible(p);
    if (p->algo == MM_NN_CONV_WINOGRAD && !wino)
        return mm_error_set(err, MM_EINVAL, "Winograd convolution needs a 3x3 kernel, stride 1, padding 1, dilation 1");
    wino = p->algo == MM_NN_CONV_WINOGRAD || (p->algo == MM_NN_CONV_AUTO && wino && p->cin >= 16 && p->cout >= 16);
    c->p = *p;
    c->packed = mm_nn_gemm_available();
    c->bias = alloc_floats(p->cout);
    size_t pk = c->packed ? mm_nn_packed_floats(wino ? p->cin : kk, p->cout) : (wino ? p->cin : kk) * p->cout;
    c->wino_m = wino ? mm_nn_winograd_tile(p) : 0;
    size_t nx = (size_t)(c->wino_m + 2) * (size_t)(c->wino_m + 2);
    if (wino) c->wino = pk > SIZE_MAX / 36 / sizeof(float) ? NULL : alloc_floats(nx * pk);
    else c->w = alloc_floats(pk);
    if ((!c->w && !c->wino) || !c->bias) {
        mm_nn_conv_free(c);
        return mm_error_set(err, MM_ENOMEM, "out of memory (convolution weights %zux%zux%zux%zu)", p->cout,
                            p->cin, p->kh, p->kw);
    }
    float *plain = c->packed ? alloc_floats((wino ? nx * p->cin : kk) * p->cout) : (wino ? c->wino : c->w);
    if (!plain) {
        mm_nn_conv_free(c);
        return mm_error_set(err, MM_ENOMEM, "out of memory (convolution weights)");
    }
    if (wino) {
        mm_nn_winograd_filter(w_oihw, p->cin, p->cout, c->wino_m, plain);
    } else {
        for (size_t co = 0; co < p->cout; co++)
            for (size_t ci = 0; ci < p->cin; ci++)
                for (size_t ky = 0; ky < p->kh; ky++)
                    for (size_t kx = 0; kx < p->kw; kx++)
                        plain[((ky * p->kw + kx) * p->cin + ci) * p->cout + co] =
                            w_oihw[((co * p->cin + ci) * p->kh + ky) * p->kw + kx];
    }
    if (c->packed) {
        size_t rows = wino ? p->cin : kk;
        for (size_t m = 0; m < (wino ? nx : 1u); m++)
            mm_nn_pack_b(plain + m * rows * p->cout, p->cout, rows, p->cout, (wino ? c->wino : c->w) + m * pk);
        free(plain);
    }
    for (size_t co = 0; co < p->cout; co++) c->bias[co] = bias ? bias[co] : 0.0f;
    return MM_OK;
}

void mm_nn_conv_free(mm_nn_conv *c)
{
    if (!c) return;
    free(c->w);
    free(c->bias);
    free(c->wino);
    c->w = c->bias = c->wino = NULL;
}

void mm_nn_conv_fold_bn(mm_nn_conv *c, const float *gamma, const float *beta, const float *mean, const float *var,
                        double eps)
{
    /* every filter layout is linear in the weights of each output channel */
    size_t nx = (size_t)(c->wino_m + 2) * (size_t)(c->wino_m + 2);
    size_t cout = c->p.cout, k = c->w ? c->p.kh * c->p.kw * c->p.cin : nx * c->p.cin;
    float *w = c->w ? c->w : c->wino;
    for (size_t co = 0; co < cout; co++) {
        double a = (double)gamma[co] / sqrt((double)var[co] + eps);
        if (c->packed && c->w) {
            mm_nn_packed_scale_col(w, k, co, (float)a);
        } else if (c->packed) {
            size_t pk = mm_nn_packed_floats(c->p.cin, cout);
            for (size_t m = 0; m < nx; m++) mm_nn_packed_scale_col(w + m * pk, c->p.cin, co, (float)a);
        } else {
            for (size_t i = 0; i < k; i++) w[i * cout + co] = (float)((double)w[i * cout + co] * a);
        }
        c->bias[co] = (float)(((double)c->bias[co] - (double)mean[co]) * a + (double)beta[co]);
    }
}

/* ------------------------------------------------------------ tiled GEMM */

typedef struct gemm_job {
    mm_nn_ctx *ctx;
    const mm_nn_conv_params *p; /* NULL: A rows are the input rows (no gather) */
    const float *x;
    size_t h, w, ho, wo; /* input and output spatial sizes (conv only) */
    size_t P, K, cout;
    const float *wgt, *bias, *res;
    bool packed; /* wgt in panel layout: the engine's GEMM, else BLAS */
    float *y;
    mm_nn_act act;
    size_t rows_per_tile, n_col_blocks, cols_per_block;
} gemm_job;

/* memcpy for the short runs of a patch row (a call per run costs more
 * than the copy when runs are a few dozen bytes). */
static inline void copy_run(float *d, const float *s, size_t n)
{
    size_t i = 0;
#ifdef __SSE2__
    for (; i + 4 <= n; i += 4) _mm_storeu_ps(d + i, _mm_loadu_ps(s + i));
#endif
    for (; i < n; i++) d[i] = s[i];
}

/* Gathers the patches of output rows [r0, r0 + rows) into dst (rows x K). */
static void gather(const gemm_job *J, size_t r0, size_t rows, float *dst)
{
    const mm_nn_conv_params *p = J->p;
    size_t cin = p->cin, kw = p->kw, run = kw * cin, hw = J->ho * J->wo;
    size_t img = r0 / hw, rem = r0 % hw, oy = rem / J->wo, ox = rem % J->wo;
    for (size_t r = 0; r < rows; r++, dst += J->K) {
        const float *xi = J->x + img * J->h * J->w * cin;
        long ix0 = (long)(ox * p->stride_w) - (long)p->pad_w;
        bool row_inside = p->dil_w == 1 && ix0 >= 0 && (size_t)ix0 + kw <= J->w;
        for (size_t ky = 0; ky < p->kh; ky++) {
            float *d = dst + ky * run;
            long iy = (long)(oy * p->stride_h) - (long)p->pad_h + (long)(ky * p->dil_h);
            if (iy < 0 || (size_t)iy >= J->h) {
                memset(d, 0, run * sizeof *d);
                continue;
            }
            const float *src = xi + (size_t)iy * J->w * cin;
            if (row_inside) {
                if (run <= 64) copy_run(d, src + (size_t)ix0 * cin, run);
                else memcpy(d, src + (size_t)ix0 * cin, run * sizeof *d);
                continue;
            }
            for (size_t kx = 0; kx < kw; kx++) {
                long ix = ix0 + (long)(kx * p->dil_w);
                if (ix < 0 || (size_t)ix >= J->w)
                    memset(d + kx * cin, 0, cin * sizeof *d);
                else
                    memcpy(d + kx * cin, src + (size_t)ix * cin, cin * sizeof *d);
            }
        }
        if (++ox == J->wo) {
            ox = 0;
            if (++oy == J->ho) {
                oy = 0;
                img++;
            }
        }
    }
}

/* y[r][j] = act(y[r][j] + b[j] (+ res[r][j])) over a rows x cols tile with
 * row stride ld. ReLU keeps NaN, as PyTorch does. */
static void epilogue(float *y, size_t rows, size_t cols, size_t ld, const float *b, const float *res, mm_nn_act act)
{
    bool relu = act == MM_NN_ACT_RELU;
    for (size_t r = 0; r < rows; r++) {
        float *yr = y + r * ld;
        const float *rr = res ? res + r * ld : NULL;
        size_t j = 0;
#ifdef __SSE2__
        const __m128 zero = _mm_setzero_ps();
        for (; j + 4 <= cols; j += 4) {
            __m128 v = _mm_add_ps(_mm_loadu_ps(yr + j), _mm_loadu_ps(b + j));
            if (rr) v = _mm_add_ps(v, _mm_loadu_ps(rr + j));
            /* max(v, 0) but NaN stays: take 0 only where v < 0 */
            if (relu) v = _mm_andnot_ps(_mm_cmplt_ps(v, zero), v);
            _mm_storeu_ps(yr + j, v);
        }
#endif
        for (; j < cols; j++) {
            float v = yr[j] + b[j] + (rr ? rr[j] : 0.0f);
            yr[j] = relu && v < 0.0f ? 0.0f : v;
        }
    }
}

static void gemm_task(size_t task, int tid, void *user)
{
    const gemm_job *J = user;
    size_t rt = task / J->n_col_blocks, cb = task % J->n_col_blocks;
    size_t r0 = rt * J->rows_per_tile, rows = J->P - r0 < J->rows_per_tile ? J->P - r0 : J->rows_per_tile;
    size_t c0 = cb * J->cols_per_block;
    if (c0 >= J->cout) return;
    size_t cols = J->cout - c0 < J->cols_per_block ? J->cout - c0 : J->cols_per_block;
    const float *a;
    size_t lda = J->K;
    float *s = J->ctx->scratch[tid];
    if (J->p) {
        gather(J, r0, rows, s);
        a = s;
        s += rows * J->K;
    } else {
        a = J->x + r0 * J->K;
    }
    float *y = J->y + r0 * J->cout + c0;
    if (J->packed) {
        mm_nn_epilogue e = {J->bias, J->res, J->cout, J->act == MM_NN_ACT_RELU};
        mm_nn_gemm(rows, cols, J->K, a, lda, J->wgt + c0 * J->K, J->K, y, J->cout, &e, r0, c0, s);
        return;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, (int)cols, (int)J->K, 1.0f, a, (int)lda,
                J->wgt + c0, (int)J->cout, 0.0f, y, (int)J->cout);
    const float *res = J->res ? J->res + r0 * J->cout + c0 : NULL;
    epilogue(y, rows, cols, J->cout, J->bias + c0, res, J->act);
}

/* Tiles depend on the layer's shape only, never on the thread count: the
 * GEMM of a tile may round differently with another tile shape, so this
 * is what makes results identical on any number of threads. */
static mm_status gemm_run(gemm_job *J, mm_error *err)
{
    if (J->P > (size_t)INT32_MAX || J->K > (size_t)INT32_MAX || J->cout > (size_t)INT32_MAX)
        return mm_error_set(err, MM_EINVAL, "layer too large (%zu x %zu x %zu)", J->P, J->K, J->cout);
    size_t rows = TILE_FLOATS / J->K > WIDE_TILE_ROWS ? TILE_FLOATS / J->K : WIDE_TILE_ROWS;
    size_t tiles = (J->P + rows - 1) / rows;
    size_t max_tiles = (J->P + MIN_TILE_ROWS - 1) / MIN_TILE_ROWS;
    if (tiles < MIN_TASKS) tiles = MIN_TASKS < max_tiles ? MIN_TASKS : max_tiles;
    if (tiles > MIN_TASKS && tiles < 8 * MIN_TASKS) /* equal shares on 1, 2 or 4 threads */
        tiles = (tiles + MIN_TASKS - 1) / MIN_TASKS * MIN_TASKS;
    if (tiles == 0) tiles = 1;
    J->rows_per_tile = (J->P + tiles - 1) / tiles;
    tiles = (J->P + J->rows_per_tile - 1) / J->rows_per_tile;
    J->n_col_blocks = 1;
    J->cols_per_block = J->cout;
    if (tiles < MIN_TASKS && J->cout >= 2 * COL_ALIGN) {
        size_t nb = (MIN_TASKS + tiles - 1) / tiles;
        size_t cpb = (J->cout + nb - 1) / nb;
        cpb = (cpb + COL_ALIGN - 1) / COL_ALIGN * COL_ALIGN;
        J->cols_per_block = cpb;
        J->n_col_blocks = (J->cout + cpb - 1) / cpb;
    }
    if (J->rows_per_tile > SIZE_MAX / J->K - mm_nn_gemm_scratch_floats())
        return mm_error_set(err, MM_EINVAL, "layer too large");
    mm_status st = mm_nn_scratch_reserve(J->ctx, (J->p ? J->rows_per_tile * J->K : 0) + mm_nn_gemm_scratch_floats(), err);
    if (st) return st;
    mm_nn_run(J->ctx, tiles * J->n_col_blocks, gemm_task, J);
    return MM_OK;
}

mm_status mm_nn_conv_forward(const mm_nn_conv *c, mm_nn_ctx *ctx, const float *x, size_t n, size_t h, size_t w,
                             float *y, const float *residual, mm_nn_act act, mm_error *err)
{
    const mm_nn_conv_params *p = &c->p;
    size_t ho = mm_nn_out_size(h, p->kh, p->stride_h, p->pad_h, p->dil_h);
    size_t wo = mm_nn_out_size(w, p->kw, p->stride_w, p->pad_w, p->dil_w);
    if (ho == 0 || wo == 0)
        return mm_error_set(err, MM_EINVAL, "convolution %zux%zu: input %zux%zu is smaller than the kernel", p->kh,
                            p->kw, h, w);
    if (n == 0) return MM_OK;
    if (c->wino) return mm_nn_winograd_forward(c, ctx, x, n, h, w, y, residual, act, err);
    gemm_job J = {0};
    J.ctx = ctx;
    bool direct = p->kh == 1 && p->kw == 1 && p->stride_h == 1 && p->stride_w == 1 && p->pad_h == 0 && p->pad_w == 0;
    J.p = direct ? NULL : p;
    J.x = x;
    J.h = h;
    J.w = w;
    J.ho = ho;
    J.wo = wo;
    if (n > SIZE_MAX / ho / wo) return mm_error_set(err, MM_EINVAL, "convolution: batch too large");
    J.P = n * ho * wo;
    J.K = p->kh * p->kw * p->cin;
    J.cout = p->cout;
    J.wgt = c->w;
    J.packed = c->packed;
    J.bias = c->bias;
    J.res = residual;
    J.y = y;
    J.act = act;
    return gemm_run(&J, err);
}

/* ---------------------------------------------------------------- linear */

mm_status mm_nn_linear_init(mm_nn_linear *l, size_t in, size_t out, const float *w_oi, const float *bias,
                            mm_error *err)
{
    memset(l, 0, sizeof *l);
    if (!in || !out || in > SIZE_MAX / out / sizeof(float))
        return mm_error_set(err, MM_EINVAL, "linear layer %zu -> %zu: invalid size", in, out);
    l->packed = mm_nn_gemm_available();
    l->w = alloc_floats(l->packed ? mm_nn_packed_floats(in, out) : in * out);
    l->bias = alloc_floats(out);
    if (!l->w || !l->bias) {
        mm_nn_linear_free(l);
        return mm_error_set(err, MM_ENOMEM, "out of memory (linear layer %zu -> %zu)", in, out);
    }
    l->in = in;
    l->out = out;
    float *plain = l->packed ? alloc_floats(in * out) : l->w;
    if (!plain) {
        mm_nn_linear_free(l);
        return mm_error_set(err, MM_ENOMEM, "out of memory (linear layer %zu -> %zu)", in, out);
    }
    for (size_t o = 0; o < out; o++)
        for (size_t i = 0; i < in; i++) plain[i * out + o] = w_oi[o * in + i];
    if (l->packed) {
        mm_nn_pack_b(plain, out, in, out, l->w);
        free(plain);
    }
    for (size_t o = 0; o < out; o++) l->bias[o] = bias ? bias[o] : 0.0f;
    return MM_OK;
}

void mm_nn_linear_free(mm_nn_linear *l)
{
    if (!l) return;
    free(l->w);
    free(l->bias);
    l->w = l->bias = NULL;
}

mm_status mm_nn_linear_forward(const mm_nn_linear *l, mm_nn_ctx *ctx, const float *x, size_t n, float *y,
                               mm_nn_act act, mm_error *err)
{
    if (n == 0) return MM_OK;
    gemm_job J = {0};
    J.ctx = ctx;
    J.x = x;
    J.P = n;
    J.K = l->in;
    J.cout = l->out;
    J.wgt = l->w;
    J.packed = l->packed;
    J.bias = l->bias;
    J.y = y;
    J.act = act;
    return gemm_run(&J, err);
}
