/*
 * mmfuse/fusion.h — combining feature blocks or per-block predictions.
 *
 * Early fusion: the (scaled) blocks side by side as one design matrix; the
 * blocks are referenced, not copied, so a sparse text block stays sparse.
 * Late fusion (average): per-block class probabilities averaged over the
 * blocks present in each row; a row with no block present gets the class
 * prior (and is counted).
 */
#ifndef MMFUSE_FUSION_H
#define MMFUSE_FUSION_H

#include "mmfuse/block.h"
#include "mmfuse/learn.h"

#ifdef __cplusplus
extern "C" {
#endif

/* x = [blocks[0] | blocks[1] | ...] (views into the blocks). MM_EINVAL if
 * row counts differ or there are more than MM_XMAT_MAX_PARTS blocks. */
MM_API mm_status mm_early_xmat(const mm_block *blocks, size_t n_blocks, mm_xmat *x, mm_error *err);

/* out[i,:] = mean over b with present[b][i] of probas[b][i,:] (each n x K
 * row-major); rows with no block present get prior[0..K). Returns the number
 * of such rows. present[b] may be NULL (= every row present). */
MM_API size_t mm_late_average(const double *const *probas, const uint8_t *const *present,
                              size_t n_blocks, size_t n, size_t K, const double *prior,
                              double *out);

#ifdef __cplusplus
}
#endif
#endif
