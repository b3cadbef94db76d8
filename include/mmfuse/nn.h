/*
 * mmfuse/nn.h — the neural inference engine: tensor ops on BLAS, weight
 * loading from safetensors, and the networks built from them (ResNet
 * today; the transformer encoders reuse the same context, GEMM tiling and
 * weight loader).
 *
 * Layout
 *   Activations are batched float32 in NHWC order (channels last): a batch
 *   of n images of h x w pixels with c channels is n*h*w rows of c values.
 *   Every convolution is then one GEMM over rows of pixels,
 *       Y[P x Cout] = patches[P x K] * W[K x Cout],   K = kh*kw*Cin,
 *   where a 1x1/stride-1 convolution needs no patch copy at all and a
 *   k x k patch row is kh runs of kw*Cin contiguous values. Networks take
 *   NCHW input (what torchvision preprocessing produces) and convert once.
 *   Weights keep PyTorch's layouts on disk ([out, in, kh, kw] for
 *   convolutions, [out, in] for linear layers) and are repacked at load.
 *
 * Threads
 *   An mm_nn_ctx owns the thread count and per-thread scratch. Each op
 *   splits its output rows (and, when there are too few rows, its output
 *   channels) into tiles and runs the tiles on the library's OpenMP pool;
 *   the GEMMs run single-threaded inside each tile so that the two never
 *   oversubscribe the cores. Results do not depend on the thread count
 *   (tiles follow the layer's shape only). On CPUs with AVX2 and FMA the
 *   engine's own GEMM (weights packed at load, epilogue in registers)
 *   computes every output as the same chain of fused multiply-adds, so an
 *   image's result does not depend on the batch it is in either; other
 *   CPUs use BLAS, whose rounding can change in the last bits with an
 *   image's position in the batch.
 *   A context is used by one caller at a time; the loaded networks are
 *   immutable and may be shared by several contexts.
 *
 *     mm_nn_ctx *ctx; mm_nn_ctx_new(2, &ctx, &err);
 *     mm_resnet *net; mm_resnet_load("resnet18.safetensors", NULL, &net, &err);
 *     float *feat = malloc(n * mm_resnet_dim(net) * sizeof *feat);
 *     mm_resnet_forward(net, ctx, x_nchw, n, 224, 224, feat, &err);
 *     mm_resnet_free(net); mm_nn_ctx_free(ctx);
 */
#ifndef MMFUSE_NN_H
#define MMFUSE_NN_H

#include "mmfuse/core.h"
#include "mmfuse/fileenc.h"
#include "mmfuse/image.h"
#include "mmfuse/io.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ----------------------------------------------------------------- context */

typedef struct mm_nn_ctx mm_nn_ctx;

/* n_threads <= 0 means every core. */
MM_API mm_status mm_nn_ctx_new(int n_threads, mm_nn_ctx **out, mm_error *err);
MM_API void mm_nn_ctx_free(mm_nn_ctx *ctx);
MM_API int mm_nn_ctx_threads(const mm_nn_ctx *ctx);

/* ------------------------------------------------------------- convolution */

typedef enum mm_nn_act { MM_NN_ACT_NONE = 0, MM_NN_ACT_RELU } mm_nn_act;

/* How a convolution is computed. AUTO: Winograd for 3x3 stride-1
 * padding-1 layers with at least 16 input and output channels — F(4x4, 3x3)
 * (4x fewer multiply-adds) on AVX2 CPUs for layers up to 256 x 256
 * channels, F(2x2, 3x3) (2.25x fewer) otherwise; both add a little rounding
 * (tests bound it against PyTorch) — and the tiled GEMM for the rest. */
typedef enum mm_nn_conv_algo {
    MM_NN_CONV_AUTO = 0,
    MM_NN_CONV_GEMM,     /* patches x weights (any shape)          */
    MM_NN_CONV_WINOGRAD  /* 3x3, stride 1, padding 1, dilation 1 only */
} mm_nn_conv_algo;

typedef struct mm_nn_conv_params {
    size_t cin, cout, kh, kw;
    size_t stride_h, stride_w, pad_h, pad_w, dil_h, dil_w; /* stride and dilation >= 1 */
    mm_nn_conv_algo algo;
} mm_nn_conv_params;

/* cin -> cout, k x k, the given stride and padding, dilation 1. */
MM_API mm_nn_conv_params mm_nn_conv_params_make(size_t cin, size_t cout, size_t k, size_t stride,
                                                size_t pad);

typedef struct mm_nn_conv {
    mm_nn_conv_params p;
    float *w;    /* [kh][kw][cin][cout], owned (NULL when Winograd is used) */
    float *bias; /* [cout], owned (zeros when the layer has none) */
    float *wino; /* [(m+2)^2][cin][cout] transformed filters, or NULL    */
    int wino_m;  /* Winograd output tile m x m: 2 or 4 (0: not Winograd) */
    bool packed; /* w / each of wino's 16 matrices is stored in the
                    engine's GEMM panel layout (AVX2 + FMA CPUs)         */
} mm_nn_conv;

/* floor((in + 2 pad - dil (k - 1) - 1) / stride) + 1, or 0 when the kernel
 * does not fit. */
MM_API size_t mm_nn_out_size(size_t in, size_t k, size_t stride, size_t pad, size_t dil);

/* Copies a weight in PyTorch's [cout][cin][kh][kw] layout (and an optional
 * bias) into the packed layout. */
MM_API mm_status mm_nn_conv_init(mm_nn_conv *c, const mm_nn_conv_params *p, const float *w_oihw,
                                 const float *bias, mm_error *err);
MM_API void mm_nn_conv_free(mm_nn_conv *c);

/* Folds an eval-mode BatchNorm that follows the convolution into its
 * weights and bias: a = gamma / sqrt(var + eps), w' = w a, b' = (b - mean) a
 * + beta (in double, rounded once). */
MM_API void mm_nn_conv_fold_bn(mm_nn_conv *c, const float *gamma, const float *beta,
                               const float *mean, const float *var, double eps);

/* y = act(conv(x) + bias [+ residual]), x [n][h][w][cin], y and residual
 * [n][ho][wo][cout]. y must not overlap x. */
MM_API mm_status mm_nn_conv_forward(const mm_nn_conv *c, mm_nn_ctx *ctx, const float *x, size_t n,
                                    size_t h, size_t w, float *y, const float *residual,
                                    mm_nn_act act, mm_error *err);

/* ------------------------------------------------------ pooling and others */

/* Max pooling k x k with stride and zero-size (-inf) padding: x [n][h][w][c]
 * -> y [n][ho][wo][c]. */
MM_API mm_status mm_nn_maxpool2d(mm_nn_ctx *ctx, const float *x, size_t n, size_t h, size_t w,
                                 size_t c, size_t k, size_t stride, size_t pad, float *y,
                                 mm_error *err);
/* Mean over the h x w positions: x [n][h][w][c] -> y [n][c]. */
MM_API void mm_nn_global_avgpool(mm_nn_ctx *ctx, const float *x, size_t n, size_t h, size_t w,
                                 size_t c, float *y);
/* y = act(a + b) elementwise over count values (y may alias a or b). */
MM_API void mm_nn_add(mm_nn_ctx *ctx, const float *a, const float *b, size_t count, float *y,
                      mm_nn_act act);

typedef struct mm_nn_linear {
    size_t in, out;
    float *w;    /* [in][out] (transposed from PyTorch's [out][in]), owned */
    float *bias; /* [out], owned */
    bool packed; /* w in the engine's GEMM panel layout                  */
} mm_nn_linear;

MM_API mm_status mm_nn_linear_init(mm_nn_linear *l, size_t in, size_t out, const float *w_oi,
                                   const float *bias, mm_error *err);
MM_API void mm_nn_linear_free(mm_nn_linear *l);
/* y [n][out] = act(x [n][in] W^T + b). */
MM_API mm_status mm_nn_linear_forward(const mm_nn_linear *l, mm_nn_ctx *ctx, const float *x,
                                      size_t n, float *y, mm_nn_act act, mm_error *err);

/* Converts between NCHW and NHWC (y must not overlap x). */
MM_API void mm_nn_nchw_to_nhwc(const float *x, size_t n, size_t c, size_t h, size_t w, float *y);
MM_API void mm_nn_nhwc_to_nchw(const float *x, size_t n, size_t h, size_t w, size_t c, float *y);

/* ---------------------------------------------------------- weight loading */

/*
 * A weights file opened for a network: tensors are looked up by key (a
 * prefix such as "module." or "model." that every key carries is stripped),
 * checked for shape and converted from F32/F16/BF16/F64 to float32. Errors
 * name the file and the key: a missing tensor, a shape that differs from
 * the one the network expects, an unsupported dtype.
 */
typedef struct mm_nn_weights mm_nn_weights;

MM_API mm_status mm_nn_weights_open(const char *path, mm_nn_weights **out, mm_error *err);
MM_API void mm_nn_weights_close(mm_nn_weights *w);
MM_API const mm_st_file *mm_nn_weights_file(const mm_nn_weights *w);
/* True when the key (after the prefix) exists. */
MM_API bool mm_nn_weights_has(const mm_nn_weights *w, const char *key);
/* The tensor stored under key (after the prefix), or NULL. */
MM_API const mm_st_tensor *mm_nn_weights_find(const mm_nn_weights *w, const char *key);
/* Copies tensor `key`, which must have exactly the given shape, as float32
 * into dst. */
MM_API mm_status mm_nn_weights_get(const mm_nn_weights *w, const char *key, const size_t *shape,
                                   size_t ndim, float *dst, mm_error *err);

/* ------------------------------------------------------------------ ResNet */

typedef struct mm_resnet mm_resnet;

typedef struct mm_resnet_params {
    const char *arch; /* "resnet18", "resnet34", "resnet50", "resnet101", "resnet152";
                         NULL or "" = infer from the file's keys                  */
    bool with_fc;     /* keep the classifier: outputs are logits, not features    */
    mm_nn_conv_algo conv_algo; /* MM_NN_CONV_AUTO; GEMM forces im2col + SGEMM    */
} mm_resnet_params;

MM_API mm_resnet_params mm_resnet_params_default(void);

/* Loads a torchvision/timm ResNet state dict. Checks every tensor the
 * architecture needs (name and shape) before returning and folds the
 * BatchNorms into the convolutions. */
MM_API mm_status mm_resnet_load(const char *path, const mm_resnet_params *p, mm_resnet **out,
                                mm_error *err);
MM_API void mm_resnet_free(mm_resnet *r);
MM_API const char *mm_resnet_arch(const mm_resnet *r);
/* Output length per image: 512 / 2048 features, or the classes with_fc. */
MM_API size_t mm_resnet_dim(const mm_resnet *r);
/* xxHash64 of the weights file's data buffer (identifies the weights). */
MM_API uint64_t mm_resnet_weights_hash(const mm_resnet *r);
/* Floating-point operations (2 per multiply-add) of one forward pass per
 * image at h x w as the direct method counts them: convolutions only, and
 * everything; and those the engine executes (fewer: Winograd layers do 16
 * multiply-adds per 2x2 output tile where the direct method does 36).
 * Any pointer may be NULL. */
MM_API void mm_resnet_flops(const mm_resnet *r, size_t h, size_t w, double *conv_flops,
                            double *total_flops, double *executed_flops);

/* x: n images, NCHW, 3 channels, h x w (at least 32 x 32), already
 * normalized; out: n x mm_resnet_dim(r). */
MM_API mm_status mm_resnet_forward(const mm_resnet *r, mm_nn_ctx *ctx, const float *x, size_t n,
                                   size_t h, size_t w, float *out, mm_error *err);

/* Per-stage timing of the last forward, for benchmarks (seconds, summed over
 * calls since the context was created): index 0 = stem, 1..4 = layer1..4,
 * 5 = pooling and head. */
MM_API void mm_nn_ctx_stage_seconds(const mm_nn_ctx *ctx, double out[6]);

/* ------------------------------------------------------- CNN image encoder */

/*
 * The image block from a CNN: every file is decoded and preprocessed as
 * torchvision does (resize to `resize`, center crop `crop`, ImageNet
 * normalization; image.h), batched, and run through the network; the block
 * is the pooled feature vector. Its config (cache key, model file) holds the
 * architecture, the weights' path and their content hash, and the
 * preprocessing.
 */
typedef struct mm_cnn_params {
    char arch[32];     /* "resnet18" ...                                        */
    char weights[1024];/* path to the .safetensors file                         */
    uint64_t weights_hash; /* 0 = take it from the file; else must match        */
    size_t resize;     /* 256                                                   */
    size_t crop;       /* 224                                                   */
    size_t batch;      /* images per forward pass: 32                           */
} mm_cnn_params;

MM_API mm_cnn_params mm_cnn_params_default(void);
/* Parses "ARCH" or "ARCH:PATH" (as given to --image-encoder); ARCH alone
 * looks the file up in the models directory (models.h). The path is made
 * absolute and the file is opened (validated) to record its content hash. */
MM_API mm_status mm_cnn_params_parse(const char *spec, mm_cnn_params *p, mm_error *err);
MM_API mm_status mm_cnn_params_from_json(const char *json, mm_cnn_params *p, mm_error *err);
MM_API mm_status mm_cnn_params_to_json(const mm_cnn_params *p, char *buf, size_t size,
                                       mm_error *err);
/* Loads the network (errors about the weights come here, before any data is
 * processed). When p->weights does not exist and the architecture is in the
 * model registry, the registry's file is used; a non-zero weights_hash must
 * match the file's content either way. Batches use the thread count the
 * pipeline passes to encode_batch. */
MM_API mm_status mm_cnn_encoder_new(const mm_cnn_params *p, mm_file_encoder **out, mm_error *err);

#ifdef __cplusplus
}
#endif
#endif
