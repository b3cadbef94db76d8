/*
 * mmfuse/fusion.h — combining feature blocks or per-block predictions.
 *
 * Early fusion: the (scaled) blocks side by side as one design matrix; the
 * blocks are referenced, not copied, so a sparse text block stays sparse.
 * Late fusion: per-block class probabilities combined over the blocks
 * present in each row — averaged, weighted, or fed to a stacked meta model;
 * a row with no block present gets the class prior (and is counted).
 *
 * Missing modalities: a block row whose modality is absent is handled by a
 * strategy fitted on training rows (zero, mean, flag, remove; see
 * src/fusion/missing.c).
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

/* out[i,:] = sum over present b of w[b]·probas[b][i,:] / sum of those w[b]
 * (w == NULL: all 1). Rows with no present block (or zero total weight) get
 * prior. Returns the number of such rows. */
MM_API size_t mm_late_weighted(const double *const *probas, const uint8_t *const *present,
                               const double *w, size_t n_blocks, size_t n, size_t K,
                               const double *prior, double *out);

/* Meta features of stacked late fusion: for each block, its K probabilities
 * when the row has the block, else the class prior, followed by a present
 * flag (1/0): out is n x n_blocks*(K+1), row-major. */
MM_API void mm_stack_features(const double *const *probas, const uint8_t *const *present,
                              size_t n_blocks, size_t n, size_t K, const double *prior, double *out);

typedef enum mm_missing {
    MM_MISSING_ZERO = 0,
    MM_MISSING_MEAN,
    MM_MISSING_FLAG,
    MM_MISSING_REMOVE
} mm_missing;

MM_API const char *mm_missing_name(mm_missing m);
/* "zero" | "mean" | "flag" | "remove" -> value, or -1. */
MM_API int mm_missing_parse(const char *s);

/* A fitted missing-modality step of one block. */
typedef struct mm_missing_fit {
    mm_missing strategy;
    size_t dim_in;
    bool flag;   /* a present-flag column is appended                */
    float *mean; /* dim_in values (mean strategy; NULL otherwise)     */
} mm_missing_fit;

/* Fits on the rows of b (the training rows): the mean of the present rows,
 * whether a flag column is needed (some row absent). */
MM_API mm_status mm_missing_fit_block(mm_missing strategy, const mm_block *b, mm_missing_fit *out,
                                      mm_error *err);
/* In place: fills absent rows (mean), appends the flag column (flag). */
MM_API mm_status mm_missing_apply(const mm_missing_fit *f, mm_block *b, mm_error *err);
/* Columns after mm_missing_apply. */
MM_API size_t mm_missing_out_dim(const mm_missing_fit *f);
MM_API void mm_missing_fit_free(mm_missing_fit *f);

#ifdef __cplusplus
}
#endif
#endif
