/* The engine's SGEMM with weights packed at load time (gemm.c). */
#ifndef MM_NN_GEMM_H
#define MM_NN_GEMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Applied to C on the last pass: C = act(C + bias[col] (+ res[row][col])),
 * with row and col absolute (the caller's tile offsets are added). */
typedef struct mm_nn_epilogue {
    const float *bias;
    const float *res; /* or NULL */
    size_t ld_res;
    bool relu;
} mm_nn_epilogue;

/* True when this CPU runs the packed kernel (AVX2 + FMA). */
bool mm_nn_gemm_available(void);
/* Floats of a packed K x N matrix. */
size_t mm_nn_packed_floats(size_t K, size_t N);
/* Packs row-major b (K x N, row stride ldb) into bp. */
void mm_nn_pack_b(const float *b, size_t ldb, size_t K, size_t N, float *bp);
/* Multiplies column `col` of a packed matrix by a. */
void mm_nn_packed_scale_col(float *bp, size_t K, size_t col, float a);
/* Scratch floats mm_nn_gemm needs (per thread). */
size_t mm_nn_gemm_scratch_floats(void);
/* C[M x N] (row stride ldc) = A[M x K] (row stride lda) * B, where bp
 * points at the first panel to use of a packed matrix with bp_k rows
 * (N may be a multiple-of-16 slice of its columns); e (or NULL) is
 * applied with row0 / col0 added to the tile's row and column. */
void mm_nn_gemm(size_t M, size_t N, size_t K, const float *a, size_t lda, const float *bp, size_t bp_k,
                float *c, size_t ldc, const mm_nn_epilogue *e, size_t row0, size_t col0, float *scratch);

#endif
