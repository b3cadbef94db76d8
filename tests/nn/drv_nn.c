/* Driver for the engine's PyTorch parity tests. Inputs come in a
 * safetensors file (tensors plus string metadata for the op's settings);
 * the result is written as a 2-D .npy (rows = batch, cols = the rest, in
 * NCHW order for image-shaped outputs).
 *
 *   drv_nn conv IN.st OUT.npy      x [n,c,h,w], w [o,c,kh,kw], optional b [o],
 *                                  res [n,o,ho,wo]; meta stride_h stride_w pad_h
 *                                  pad_w dil_h dil_w relu (0/1), bn (0/1: fold
 *                                  bn_weight bn_bias bn_mean bn_var, eps 1e-5),
 *                                  algo (0 auto, 1 GEMM, 2 Winograd)
 *   drv_nn maxpool IN.st OUT.npy   x; meta k stride pad
 *   drv_nn avgpool IN.st OUT.npy   x -> [n, c]
 *   drv_nn linear IN.st OUT.npy    x [n,in], w [out,in], optional b; meta relu
 *   drv_nn add IN.st OUT.npy       a, b (same shape); meta relu
 *   drv_nn resnet WEIGHTS IN.st OUT.npy [--arch A] [--fc] [--threads N]
 *                                  x [n,3,h,w] -> features (or logits)
 * Every command takes --threads N (default 1). Errors: "ERR <message>" on
 * stdout and exit status 2. */
#include "mmfuse/io.h"
#include "mmfuse/nn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const mm_error *err)
{
    printf("ERR %s\n", err->msg);
    return 2;
}

static size_t meta(const mm_st_file *f, const char *key, size_t def)
{
    const char *v = mm_st_meta(f, key);
    return v ? (size_t)strtoul(v, NULL, 10) : def;
}

/* Reads tensor `name` as float32 (malloc'ed), or NULL when absent. */
static float *get(const mm_st_file *f, const char *name, const mm_st_tensor **t)
{
    const mm_st_tensor *x = mm_st_find(f, name);
    if (t) *t = x;
    if (!x) return NULL;
    float *d = malloc((x->count ? x->count : 1) * sizeof *d);
    mm_error err = {0};
    if (!d || mm_st_read_f32(f, name, d, x->count, &err) != MM_OK) {
        free(d);
        return NULL;
    }
    return d;
}

static int write_nchw(const char *path, const float *nhwc, size_t n, size_t h, size_t w, size_t c)
{
    float *y = malloc((n * h * w * c + 1) * sizeof *y);
    mm_error err = {0};
    mm_nn_nhwc_to_nchw(nhwc, n, h, w, c, y);
    mm_status st = mm_npy_write_f32(path, y, n, c * h * w, &err);
    free(y);
    return st ? fail(&err) : 0;
}

static float *to_nhwc(const float *x, const mm_st_tensor *t)
{
    float *y = malloc(t->count * sizeof *y);
    mm_nn_nchw_to_nhwc(x, t->shape[0], t->shape[1], t->shape[2], t->shape[3], y);
    return y;
}

static int run_op(const char *op, const mm_st_file *f, const char *out, mm_nn_ctx *ctx)
{
    mm_error err = {0};
    const mm_st_tensor *tx;
    float *x = get(f, strcmp(op, "add") == 0 ? "a" : "x", &tx);
    if (!x) {
        printf("ERR no input tensor\n");
        return 2;
    }
    int rc = 0;
    size_t relu = meta(f, "relu", 0);
    mm_nn_act act = relu ? MM_NN_ACT_RELU : MM_NN_ACT_NONE;
    if (strcmp(op, "conv") == 0) {
        const mm_st_tensor *tw;
        float *w = get(f, "w", &tw), *b = get(f, "b", NULL), *res = get(f, "res", NULL);
        size_t n = tx->shape[0], c = tx->shape[1], h = tx->shape[2], wd = tx->shape[3];
        mm_nn_conv_params p = {c,
                               tw->shape[0],
                               tw->shape[2],
                               tw->shape[3],
                               meta(f, "stride_h", 1),
                               meta(f, "stride_w", 1),
                               meta(f, "pad_h", 0),
                               meta(f, "pad_w", 0),
                               meta(f, "dil_h", 1),
                               meta(f, "dil_w", 1),
                               (mm_nn_conv_algo)meta(f, "algo", 0)};
        mm_nn_conv conv;
        mm_status st = mm_nn_conv_init(&conv, &p, w, b, &err);
        if (!st && meta(f, "bn", 0)) {
            float *g = get(f, "bn_weight", NULL), *be = get(f, "bn_bias", NULL), *m = get(f, "bn_mean", NULL),
                  *v = get(f, "bn_var", NULL);
            mm_nn_conv_fold_bn(&conv, g, be, m, v, 1e-5);
            free(g);
            free(be);
            free(m);
            free(v);
        }
        size_t ho = mm_nn_out_size(h, p.kh, p.stride_h, p.pad_h, p.dil_h);
        size_t wo = mm_nn_out_size(wd, p.kw, p.stride_w, p.pad_w, p.dil_w);
        float *xh = to_nhwc(x, tx), *rh = NULL;
        if (res) {
            rh = malloc(n * ho * wo * p.cout * sizeof *rh);
            mm_nn_nchw_to_nhwc(res, n, p.cout, ho, wo, rh);
        }
        float *y = malloc((n * ho * wo * p.cout + 1) * sizeof *y);
        if (!st) st = mm_nn_conv_forward(&conv, ctx, xh, n, h, wd, y, rh, act, &err);
        rc = st ? fail(&err) : write_nchw(out, y, n, ho, wo, p.cout);
        mm_nn_conv_free(&conv);
        free(w);
        free(b);
        free(res);
        free(rh);
        free(xh);
        free(y);
    } else if (strcmp(op, "maxpool") == 0 || strcmp(op, "avgpool") == 0) {
        size_t n = tx->shape[0], c = tx->shape[1], h = tx->shape[2], wd = tx->shape[3];
        float *xh = to_nhwc(x, tx);
        if (op[0] == 'm') {
            size_t k = meta(f, "k", 3), s = meta(f, "stride", 2), pad = meta(f, "pad", 1);
            size_t ho = mm_nn_out_size(h, k, s, pad, 1), wo = mm_nn_out_size(wd, k, s, pad, 1);
            float *y = malloc((n * ho * wo * c + 1) * sizeof *y);
            mm_status st = mm_nn_maxpool2d(ctx, xh, n, h, wd, c, k, s, pad, y, &err);
            rc = st ? fail(&err) : write_nchw(out, y, n, ho, wo, c);
            free(y);
        } else {
            float *y = malloc(n * c * sizeof *y);
            mm_nn_global_avgpool(ctx, xh, n, h, wd, c, y);
            mm_status st = mm_npy_write_f32(out, y, n, c, &err);
            rc = st ? fail(&err) : 0;
            free(y);
        }
        free(xh);
    } else if (strcmp(op, "linear") == 0) {
        const mm_st_tensor *tw;
        float *w = get(f, "w", &tw), *b = get(f, "b", NULL);
        size_t n = tx->shape[0], in = tx->shape[1], o = tw->shape[0];
        mm_nn_linear l;
        float *y = malloc(n * o * sizeof *y);
        mm_status st = mm_nn_linear_init(&l, in, o, w, b, &err);
        if (!st) st = mm_nn_linear_forward(&l, ctx, x, n, y, act, &err);
        if (!st) st = mm_npy_write_f32(out, y, n, o, &err);
        rc = st ? fail(&err) : 0;
        mm_nn_linear_free(&l);
        free(w);
        free(b);
        free(y);
    } else if (strcmp(op, "add") == 0) {
        float *b = get(f, "b", NULL);
        float *y = malloc(tx->count * sizeof *y);
        mm_nn_add(ctx, x, b, tx->count, y, act);
        mm_status st = mm_npy_write_f32(out, y, tx->shape[0], tx->count / tx->shape[0], &err);
        rc = st ? fail(&err) : 0;
        free(b);
        free(y);
    } else {
        printf("ERR unknown op %s\n", op);
        rc = 2;
    }
    free(x);
    return rc;
}

static int run_resnet(const char *weights, const mm_st_file *f, const char *out, mm_nn_ctx *ctx,
                      const mm_resnet_params *p)
{
    mm_error err = {0};
    mm_resnet *r;
    if (mm_resnet_load(weights, p, &r, &err) != MM_OK) return fail(&err);
    const mm_st_tensor *tx;
    float *x = get(f, "x", &tx);
    size_t n = tx->shape[0], dim = mm_resnet_dim(r);
    float *y = malloc(n * dim * sizeof *y);
    mm_status st = mm_resnet_forward(r, ctx, x, n, tx->shape[2], tx->shape[3], y, &err);
    if (!st) st = mm_npy_write_f32(out, y, n, dim, &err);
    printf("arch %s dim %zu\n", mm_resnet_arch(r), dim);
    free(x);
    free(y);
    mm_resnet_free(r);
    return st ? fail(&err) : 0;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: drv_nn OP IN.st OUT.npy | drv_nn resnet WEIGHTS IN.st OUT.npy [...]\n");
        return 1;
    }
    bool resnet = strcmp(argv[1], "resnet") == 0;
    int first_opt = resnet ? 5 : 4, threads = 1;
    mm_resnet_params rp = mm_resnet_params_default();
    for (int i = first_opt; i < argc; i++) {
        if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) threads = atoi(argv[++i]);
        else if (strcmp(argv[i], "--arch") == 0 && i + 1 < argc) rp.arch = argv[++i];
        else if (strcmp(argv[i], "--fc") == 0) rp.with_fc = true;
    }
    mm_error err = {0};
    mm_st_file *f;
    if (mm_st_open(argv[resnet ? 3 : 2], &f, &err) != MM_OK) return fail(&err);
    mm_nn_ctx *ctx;
    if (mm_nn_ctx_new(threads, &ctx, &err) != MM_OK) {
        mm_st_close(f);
        return fail(&err);
    }
    int rc = resnet ? run_resnet(argv[2], f, argv[4], ctx, &rp) : run_op(argv[1], f, argv[3], ctx);
    mm_nn_ctx_free(ctx);
    mm_st_close(f);
    return rc;
}
