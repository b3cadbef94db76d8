/* Convolution algorithms behind mm_nn_conv_forward. */
#ifndef MM_NN_CONV_INTERNAL_H
#define MM_NN_CONV_INTERNAL_H

#include "mmfuse/nn.h"

/* 3x3, stride 1, padding 1, dilation 1: what F(2x2, 3x3) computes. */
bool mm_nn_winograd_eligible(const mm_nn_conv_params *p);
/* The output tile the layer uses: 4 (F(4x4, 3x3)) with AVX2, channel
 * counts that are multiples of 8 and at most 256 x 256 channel pairs, else
 * 2 (F(2x2, 3x3)). */
int mm_nn_winograd_tile(const mm_nn_conv_params *p);
/* The transformed filters u[(m+2)^2][cin][cout] from w[cout][cin][3][3]. */
void mm_nn_winograd_filter(const float *w_oihw, size_t cin, size_t cout, int m, float *u);
mm_status mm_nn_winograd_forward(const mm_nn_conv *c, mm_nn_ctx *ctx, const float *x, size_t n, size_t h,
                                 size_t w, float *y, const float *residual, mm_nn_act act, mm_error *err);

#endif
