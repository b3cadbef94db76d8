/* ResNet (torchvision layout, "v1.5" bottlenecks) on the engine's ops.
 *
 * Loading reads every tensor the architecture needs, checks its shape and
 * folds each BatchNorm into the convolution before it. The forward pass
 * runs the batch in sub-batches that bound the activation memory; inside
 * a sub-batch every layer is one tiled GEMM over all its images' pixels
 * (conv.c), with bias, residual and ReLU applied in the GEMM's epilogue. */
#include "nn/nn_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BN_EPS 1e-5
/* Activation memory per forward sub-batch. */
#define WS_BUDGET_BYTES ((size_t)224 << 20)

typedef struct rn_block {
    mm_nn_conv c1, c2, c3, ds;
    bool has_ds;
} rn_block;

struct mm_resnet {
    char arch[16];
    bool bottleneck;
    size_t depth[4];
    mm_nn_conv stem;
    rn_block *blocks;
    size_t n_blocks;
    bool with_fc;
    mm_nn_linear fc;
    size_t feat_dim, dim;
    uint64_t hash;
};

static const struct {
    const char *name;
    bool bottleneck;
    size_t depth[4];
} ARCHS[] = {
    {"resnet18", false, {2, 2, 2, 2}},  {"resnet34", false, {3, 4, 6, 3}},   {"resnet50", true, {3, 4, 6, 3}},
    {"resnet101", true, {3, 4, 23, 3}}, {"resnet152", true, {3, 8, 36, 3}},
};
enum { N_ARCHS = sizeof ARCHS / sizeof ARCHS[0] };

mm_resnet_params mm_resnet_params_default(void)
{
    mm_resnet_params p = {NULL, false, MM_NN_CONV_AUTO};
    return p;
}

/* Loads conv `cname`.weight and BatchNorm `bname`.* and folds them. */
static mm_status load_conv_bn(const mm_nn_weights *W, const char *cname, const char *bname, mm_nn_conv_params p,
                              mm_nn_conv_algo algo, mm_nn_conv *out, mm_error *err)
{
    if (algo == MM_NN_CONV_GEMM) p.algo = MM_NN_CONV_GEMM;
    char key[128];
    size_t n = p.cout * p.cin * p.kh * p.kw;
    float *w = malloc(n * sizeof *w), *bn = malloc(4 * p.cout * sizeof *bn);
    mm_status st = MM_OK;
    if (!w || !bn) st = mm_error_set(err, MM_ENOMEM, "out of memory (loading %s)", cname);
    size_t shape[4] = {p.cout, p.cin, p.kh, p.kw};
    snprintf(key, sizeof key, "%s.weight", cname);
    if (!st) st = mm_nn_weights_get(W, key, shape, 4, w, err);
    static const char *const parts[4] = {"weight", "bias", "running_mean", "running_var"};
    for (int i = 0; i < 4 && !st; i++) {
        snprintf(key, sizeof key, "%s.%s", bname, parts[i]);
        st = mm_nn_weights_get(W, key, &p.cout, 1, bn + (size_t)i * p.cout, err);
    }
    for (size_t c = 0; c < p.cout && !st; c++)
        if (!(bn[3 * p.cout + c] >= 0.0f))
            st = mm_error_set(err, MM_EFORMAT, "%s.running_var[%zu] is negative or NaN", bname, c);
    /* fold the BatchNorm into the weights before they are transformed and
     * packed: a = gamma / sqrt(var + eps), w' = w a, b' = beta - mean a
     * (in double, rounded once) */
    size_t per = p.cin * p.kh * p.kw;
    for (size_t c = 0; c < p.cout && !st; c++) {
        double a = (double)bn[c] / sqrt((double)bn[3 * p.cout + c] + BN_EPS);
        for (size_t i = 0; i < per; i++) w[c * per + i] = (float)((double)w[c * per + i] * a);
        bn[3 * p.cout + c] = (float)((double)bn[p.cout + c] - (double)bn[2 * p.cout + c] * a);
    }
    if (!st) st = mm_nn_conv_init(out, &p, w, bn + 3 * p.cout, err);
    free(w);
    free(bn);
    return st;
}

static size_t count_blocks(const mm_nn_weights *W, int layer)
{
    char key[64];
    size_t b = 0;
    for (;; b++) {
        snprintf(key, sizeof key, "layer%d.%zu.conv1.weight", layer, b);
        if (!mm_nn_weights_has(W, key)) return b;
    }
}

/* Which architecture the file holds, from its keys. */
static mm_status detect(const mm_nn_weights *W, const char *path, int *arch, mm_error *err)
{
    if (!mm_nn_weights_has(W, "conv1.weight")) {
        const mm_st_file *f = mm_nn_weights_file(W);
        return mm_error_set(err, MM_EFORMAT, "%s: not a ResNet state dict: no tensor 'conv1.weight'%s%s%s", path,
                            mm_st_count(f) ? " (first key: '" : "", mm_st_count(f) ? mm_st_at(f, 0)->name : "",
                            mm_st_count(f) ? "')" : "");
    }
    bool bottleneck = mm_nn_weights_has(W, "layer1.0.conv3.weight");
    size_t d[4];
    for (int l = 0; l < 4; l++) d[l] = count_blocks(W, l + 1);
    for (int a = 0; a < N_ARCHS; a++) {
        if (ARCHS[a].bottleneck == bottleneck && memcmp(ARCHS[a].depth, d, sizeof d) == 0) {
            *arch = a;
            return MM_OK;
        }
    }
    return mm_error_set(err, MM_EFORMAT, "%s: unknown ResNet layout (%s blocks per layer: %zu, %zu, %zu, %zu)", path,
                        bottleneck ? "bottleneck" : "basic", d[0], d[1], d[2], d[3]);
}

void mm_resnet_free(mm_resnet *r)
{
    if (!r) return;
    mm_nn_conv_free(&r->stem);
    for (size_t i = 0; i < r->n_blocks; i++) {
        mm_nn_conv_free(&r->blocks[i].c1);
        mm_nn_conv_free(&r->blocks[i].c2);
        mm_nn_conv_free(&r->blocks[i].c3);
        mm_nn_conv_free(&r->blocks[i].ds);
    }
    free(r->blocks);
    mm_nn_linear_free(&r->fc);
    free(r);
}

static mm_status load_blocks(mm_resnet *r, const mm_nn_weights *W, mm_nn_conv_algo algo, mm_error *err)
{
    size_t in = 64, exp = r->bottleneck ? 4 : 1, bi = 0;
    char c[64], b[64];
    for (int l = 0; l < 4; l++) {
        size_t planes = (size_t)64 << l;
        for (size_t k = 0; k < r->depth[l]; k++, bi++) {
            rn_block *B = &r->blocks[bi];
            size_t stride = (l > 0 && k == 0) ? 2 : 1;
            mm_status st;
#define CONV(name, cin, cout, ks, s, pad, field)                                                   \
    snprintf(c, sizeof c, "layer%d.%zu.conv%s", l + 1, k, name);                                   \
    snprintf(b, sizeof b, "layer%d.%zu.bn%s", l + 1, k, name);                                     \
    st = load_conv_bn(W, c, b, mm_nn_conv_params_make(cin, cout, ks, s, pad), algo, &B->field, err); \
    if (st) return st;
            if (r->bottleneck) {
                CONV("1", in, planes, 1, 1, 0, c1)
                CONV("2", planes, planes, 3, stride, 1, c2)
                CONV("3", planes, planes * exp, 1, 1, 0, c3)
            } else {
                CONV("1", in, planes, 3, stride, 1, c1)
                CONV("2", planes, planes, 3, 1, 1, c2)
            }
#undef CONV
            B->has_ds = stride != 1 || in != planes * exp;
            snprintf(c, sizeof c, "layer%d.%zu.downsample.0", l + 1, k);
            snprintf(b, sizeof b, "layer%d.%zu.downsample.1", l + 1, k);
            if (B->has_ds) {
                st = load_conv_bn(W, c, b, mm_nn_conv_params_make(in, planes * exp, 1, stride, 0), algo, &B->ds,
                                  err);
                if (st) return st;
            } else {
                char key[80];
                snprintf(key, sizeof key, "%s.weight", c);
                if (mm_nn_weights_has(W, key))
                    return mm_error_set(err, MM_EFORMAT, "unexpected tensor '%s' for %s (this block has no downsample)",
                                        key, r->arch);
            }
            in = planes * exp;
        }
    }
    r->feat_dim = in;
    return MM_OK;
}

mm_status mm_resnet_load(const char *path, const mm_resnet_params *p, mm_resnet **out, mm_error *err)
{
    *out = NULL;
    mm_resnet_params def = mm_resnet_params_default();
    if (!p) p = &def;
    int want = -1;
    if (p->arch && *p->arch) {
        for (int a = 0; a < N_ARCHS; a++)
            if (strcmp(p->arch, ARCHS[a].name) == 0) want = a;
        if (want < 0)
            return mm_error_set(err, MM_EINVAL,
                                "unknown architecture '%s' (resnet18, resnet34, resnet50, resnet101, resnet152)",
                                p->arch);
    }
    mm_nn_weights *W;
    mm_status st = mm_nn_weights_open(path, &W, err);
    if (st) return st;
    int arch = 0;
    st = detect(W, path, &arch, err);
    if (!st && want >= 0 && want != arch)
        st = mm_error_set(err, MM_EFORMAT, "%s holds a %s, not a %s", path, ARCHS[arch].name, ARCHS[want].name);
    mm_resnet *r = st ? NULL : calloc(1, sizeof *r);
    if (!st && !r) st = mm_error_set(err, MM_ENOMEM, "out of memory (loading %s)", path);
    if (!st && r) {
        snprintf(r->arch, sizeof r->arch, "%s", ARCHS[arch].name);
        r->bottleneck = ARCHS[arch].bottleneck;
        memcpy(r->depth, ARCHS[arch].depth, sizeof r->depth);
        r->n_blocks = r->depth[0] + r->depth[1] + r->depth[2] + r->depth[3];
        r->blocks = calloc(r->n_blocks, sizeof *r->blocks);
        r->hash = mm_st_data_hash(mm_nn_weights_file(W));
        if (!r->blocks) st = mm_error_set(err, MM_ENOMEM, "out of memory (loading %s)", path);
    }
    if (!st)
        st = load_conv_bn(W, "conv1", "bn1", mm_nn_conv_params_make(3, 64, 7, 2, 3), p->conv_algo, &r->stem, err);
    if (!st) st = load_blocks(r, W, p->conv_algo, err);
    if (!st) r->dim = r->feat_dim;
    if (!st && p->with_fc) {
        const mm_st_tensor *t = mm_nn_weights_find(W, "fc.weight");
        size_t classes = t && t->ndim == 2 ? t->shape[0] : 0;
        if (!t)
            st = mm_error_set(err, MM_EFORMAT, "%s: missing tensor 'fc.weight' (needed for logits)", path);
        else if (classes == 0 || classes > ((size_t)1 << 24))
            st = mm_error_set(err, MM_EFORMAT, "%s: tensor 'fc.weight' must be [classes, %zu]", path, r->feat_dim);
        float *w = NULL, *b = NULL;
        if (!st) {
            w = malloc(classes * r->feat_dim * sizeof *w);
            b = malloc(classes * sizeof *b);
            if (!w || !b) st = mm_error_set(err, MM_ENOMEM, "out of memory (loading fc)");
        }
        size_t shape[2] = {classes, r->feat_dim};
        if (!st) st = mm_nn_weights_get(W, "fc.weight", shape, 2, w, err);
        if (!st) st = mm_nn_weights_get(W, "fc.bias", shape, 1, b, err);
        if (!st) st = mm_nn_linear_init(&r->fc, r->feat_dim, classes, w, b, err);
        free(w);
        free(b);
        if (!st) {
            r->with_fc = true;
            r->dim = classes;
        }
    }
    mm_nn_weights_close(W);
    if (st) {
        mm_resnet_free(r);
        return st;
    }
    *out = r;
    return MM_OK;
}

const char *mm_resnet_arch(const mm_resnet *r)
{
    return r->arch;
}

size_t mm_resnet_dim(const mm_resnet *r)
{
    return r->dim;
}

uint64_t mm_resnet_weights_hash(const mm_resnet *r)
{
    return r->hash;
}

/* ----------------------------------------------------------------- shapes */

/* The direct method's FLOPs of a layer at *h x *w (advanced to the output
 * size); *exec gains those the engine executes (Winograd: (m+2)^2
 * multiply-adds per m x m output tile and channel pair, partial tiles
 * counted whole). */
static double conv_flops(const mm_nn_conv *c, size_t *h, size_t *w, double *exec)
{
    size_t ho = mm_nn_out_size(*h, c->p.kh, c->p.stride_h, c->p.pad_h, c->p.dil_h);
    size_t wo = mm_nn_out_size(*w, c->p.kw, c->p.stride_w, c->p.pad_w, c->p.dil_w);
    *h = ho;
    *w = wo;
    double direct = 2.0 * (double)ho * (double)wo * (double)c->p.cout * (double)(c->p.kh * c->p.kw * c->p.cin);
    size_t m = (size_t)c->wino_m;
    *exec += c->wino ? 2.0 * (double)((m + 2) * (m + 2)) * (double)((ho + m - 1) / m * ((wo + m - 1) / m)) *
                           (double)c->p.cin * (double)c->p.cout
                     : direct;
    return direct;
}

/* Walks the network's shapes at h x w: FLOPs and the largest activation
 * (floats per image). */
static void walk(const mm_resnet *r, size_t h, size_t w, double *flops, double *exec, size_t *max_act)
{
    double f = 0, e = 0;
    size_t m = 3 * h * w;
#define ACT(c, hh, ww) m = (c) * (hh) * (ww) > m ? (c) * (hh) * (ww) : m
    f += conv_flops(&r->stem, &h, &w, &e);
    ACT(64, h, w);
    h = mm_nn_out_size(h, 3, 2, 1, 1);
    w = mm_nn_out_size(w, 3, 2, 1, 1);
    for (size_t i = 0; i < r->n_blocks; i++) {
        const rn_block *B = &r->blocks[i];
        size_t hd = h, wd = w;
        f += conv_flops(&B->c1, &h, &w, &e);
        ACT(B->c1.p.cout, h, w);
        f += conv_flops(&B->c2, &h, &w, &e);
        ACT(B->c2.p.cout, h, w);
        if (r->bottleneck) {
            f += conv_flops(&B->c3, &h, &w, &e);
            ACT(B->c3.p.cout, h, w);
        }
        if (B->has_ds) f += conv_flops(&B->ds, &hd, &wd, &e);
    }
#undef ACT
    *flops = f;
    *exec = e;
    *max_act = m;
}

void mm_resnet_flops(const mm_resnet *r, size_t h, size_t w, double *conv, double *total, double *executed)
{
    size_t m;
    double f, e;
    walk(r, h, w, &f, &e, &m);
    double fc = r->with_fc ? 2.0 * (double)r->fc.in * (double)r->fc.out : 0.0;
    if (conv) *conv = f;
    if (total) *total = f + fc;
    if (executed) *executed = e + fc;
}

/* --------------------------------------------------------------- forward */

static mm_status ws_reserve(mm_nn_ctx *ctx, size_t floats, mm_error *err)
{
    if (ctx->ws_size >= floats) return MM_OK;
    void *p = NULL;
    if (floats > SIZE_MAX / sizeof(float) || posix_memalign(&p, 64, floats * sizeof(float)) != 0)
        return mm_error_set(err, MM_ENOMEM, "out of memory (%zu MiB of activations)", (floats * sizeof(float)) >> 20);
    free(ctx->ws);
    ctx->ws = p;
    ctx->ws_size = floats;
    return MM_OK;
}

/* One sub-batch of n images; buf[0..3] each hold n * act floats. */
static mm_status forward_sub(const mm_resnet *r, mm_nn_ctx *ctx, const float *x, size_t n, size_t h, size_t w,
                             float *buf[4], float *out, float *feat, mm_error *err)
{
    double t0 = mm_now_seconds();
    mm_nn_nchw_to_nhwc(x, n, 3, h, w, buf[0]);
    mm_status st = mm_nn_conv_forward(&r->stem, ctx, buf[0], n, h, w, buf[1], NULL, MM_NN_ACT_RELU, err);
    if (st) return st;
    h = mm_nn_out_size(h, 7, 2, 3, 1);
    w = mm_nn_out_size(w, 7, 2, 3, 1);
    st = mm_nn_maxpool2d(ctx, buf[1], n, h, w, 64, 3, 2, 1, buf[0], err);
    if (st) return st;
    h = mm_nn_out_size(h, 3, 2, 1, 1);
    w = mm_nn_out_size(w, 3, 2, 1, 1);
    double t1 = mm_now_seconds();
    ctx->stage_s[0] += t1 - t0;
    int cur = 0;
    size_t bi = 0;
    for (int l = 0; l < 4; l++) {
        for (size_t k = 0; k < r->depth[l]; k++, bi++) {
            const rn_block *B = &r->blocks[bi];
            int f[3], nf = 0;
            for (int i = 0; i < 4; i++)
                if (i != cur) f[nf++] = i;
            float *X = buf[cur], *T1 = buf[f[0]], *T2 = buf[f[1]], *T3 = buf[f[2]];
            size_t stride = r->bottleneck ? B->c2.p.stride_h : B->c1.p.stride_h;
            size_t ho = mm_nn_out_size(h, 3, stride, 1, 1), wo = mm_nn_out_size(w, 3, stride, 1, 1);
            const float *res = X;
            if (B->has_ds) {
                st = mm_nn_conv_forward(&B->ds, ctx, X, n, h, w, T3, NULL, MM_NN_ACT_NONE, err);
                if (st) return st;
                res = T3;
            }
            int out_i;
            if (r->bottleneck) {
                /* T1 = c1(X); T2 = c2(T1); T1 = c3(T2) + res */
                st = mm_nn_conv_forward(&B->c1, ctx, X, n, h, w, T1, NULL, MM_NN_ACT_RELU, err);
                if (!st) st = mm_nn_conv_forward(&B->c2, ctx, T1, n, h, w, T2, NULL, MM_NN_ACT_RELU, err);
                if (!st) st = mm_nn_conv_forward(&B->c3, ctx, T2, n, ho, wo, T1, res, MM_NN_ACT_RELU, err);
                out_i = f[0];
            } else {
                /* T1 = c1(X); T2 = c2(T1) + res (res is X or T3) */
                st = mm_nn_conv_forward(&B->c1, ctx, X, n, h, w, T1, NULL, MM_NN_ACT_RELU, err);
                if (!st) st = mm_nn_conv_forward(&B->c2, ctx, T1, n, ho, wo, T2, res, MM_NN_ACT_RELU, err);
                out_i = f[1];
            }
            if (st) return st;
            cur = out_i;
            h = ho;
            w = wo;
        }
        double t2 = mm_now_seconds();
        ctx->stage_s[1 + l] += t2 - t1;
        t1 = t2;
    }
    if (r->with_fc) {
        mm_nn_global_avgpool(ctx, buf[cur], n, h, w, r->feat_dim, feat);
        st = mm_nn_linear_forward(&r->fc, ctx, feat, n, out, MM_NN_ACT_NONE, err);
    } else {
        mm_nn_global_avgpool(ctx, buf[cur], n, h, w, r->feat_dim, out);
    }
    ctx->stage_s[5] += mm_now_seconds() - t1;
    return st;
}

mm_status mm_resnet_forward(const mm_resnet *r, mm_nn_ctx *ctx, const float *x, size_t n, size_t h, size_t w,
                            float *out, mm_error *err)
{
    if (h < 32 || w < 32 || h > 16384 || w > 16384)
        return mm_error_set(err, MM_EINVAL, "%s: input %zux%zu outside 32..16384 pixels per side", r->arch, h, w);
    if (n == 0) return MM_OK;
    double flops, exec;
    size_t act;
    walk(r, h, w, &flops, &exec, &act);
    size_t per_image = 4 * act + r->feat_dim;
    size_t sub = WS_BUDGET_BYTES / sizeof(float) / per_image;
    if (sub < 1) sub = 1;
    if (sub > n) sub = n;
    size_t parts = (n + sub - 1) / sub;
    sub = (n + parts - 1) / parts; /* equal sub-batches: no small last one */
    mm_status st = ws_reserve(ctx, sub * per_image, err);
    if (st) return st;
    float *buf[4];
    for (int i = 0; i < 4; i++) buf[i] = ctx->ws + (size_t)i * sub * act;
    float *feat = ctx->ws + 4 * sub * act;
    for (size_t i = 0; i < n && !st; i += sub) {
        size_t m = n - i < sub ? n - i : sub;
        st = forward_sub(r, ctx, x + i * 3 * h * w, m, h, w, buf, out + i * r->dim, feat, err);
    }
    return st;
}
