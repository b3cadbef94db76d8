/*
 * learn/xmat.h — private kernels over the design-matrix view (mm_xmat).
 *
 * Coefficients are stored "transposed": Wt is a cols x K row-major array,
 * so Wt[j*K + k] is the weight of column j for output k. This is exactly the
 * column-major flattening of scikit-learn's K x p coefficient matrix, the
 * layout its L-BFGS parameter vector uses.
 *
 * The fast kernels (scores and gradient over a block of rows) read the
 * float data directly and accumulate in double. They use a "mixed" layout
 * for coefficients and gradients: the K x cols_q slice of a dense part q is
 * stored class-major (entry (k, j) at K*col0 + k*cols_q + j) so that the
 * dense kernels stream contiguous rows, while a sparse part keeps the Wt
 * layout (entry (k, j) at (col0 + j)*K + k). mm_xmat_pack_w /
 * mm_xmat_unpack_g convert between the two; for K == 1 they are copies.
 * Within a build the kernels are deterministic and do not depend on the
 * thread count (the caller splits rows into fixed chunks). The *_ref
 * twins are plain loops in the Wt layout, used for prediction and to test
 * the fast kernels.
 */
#ifndef MM_LEARN_XMAT_H
#define MM_LEARN_XMAT_H

#include "mmfuse/learn.h"

/* Structure check: part count, row counts, contiguous column offsets,
 * CSR index arrays (monotone indptr, indices in range). MM_EINVAL names the
 * part. what names the matrix in messages ("X"). */
mm_status mm_xmat_validate(const mm_xmat *x, const char *what, mm_error *err);

/* MM_ENUMERIC naming the first (row, column) in row-major order that holds
 * a NaN or an infinity. Parallel over fixed row chunks. */
mm_status mm_xmat_check_finite(const mm_xmat *x, const char *what, int n_threads,
                               mm_error *err);

/* Total number of columns in dense parts. */
size_t mm_xmat_dense_cols(const mm_xmat *x);

/* Wt (cols x K) -> mixed layout, and back. Only the first cols*K entries. */
void mm_xmat_pack_w(const mm_xmat *x, size_t K, const double *Wt, double *Wm);
void mm_xmat_unpack_g(const mm_xmat *x, size_t K, const double *Gm, double *Gt);

/* Z (nb x K, row-major) += X[r0:r0+nb, :] · W, W in the mixed layout. */
void mm_xmat_block_scores(const mm_xmat *x, size_t r0, size_t nb, const double *Wm, size_t K,
                          double *Z);

/* G (mixed layout) += X[r0:r0+nb, :]ᵀ · R, R nb x K row-major. */
void mm_xmat_block_grad(const mm_xmat *x, size_t r0, size_t nb, const double *R, size_t K,
                        double *Gm);

/* Plain-loop twins reading X directly (float -> double per element). */
void mm_xmat_gemm_ref(const mm_xmat *x, size_t r0, size_t nb, const double *Wt, size_t K,
                      double *Z);
void mm_xmat_gemm_t_ref(const mm_xmat *x, size_t r0, size_t nb, const double *R, size_t K,
                        double *Gt);

#endif /* MM_LEARN_XMAT_H */
