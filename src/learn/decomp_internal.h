/*
 * learn/decomp_internal.h — what pca.c and cca.c share, plus hooks the
 * tests use to reach code paths the public API chooses by itself.
 *
 * All matrices here are double, column-major (LAPACK's layout) unless a
 * comment says otherwise. BLAS/LAPACK are called from the calling thread.
 */
#ifndef MM_LEARN_DECOMP_INTERNAL_H
#define MM_LEARN_DECOMP_INTERNAL_H

#include "mmfuse/decomp.h"

/* Thin SVD of the m x n matrix A (lda >= m), destroyed: A = U diag(S) VT,
 * r = min(m, n), S descending (LAPACK dgesdd, the driver scipy.linalg.svd
 * uses). jobz 'S': U is m x r (ldu >= m), VT r x n (ldvt >= r). jobz 'O':
 * when m >= n, A's first n columns receive U and VT (n x n) is written, U is
 * not referenced (ldu 1); when m < n, A's first m rows receive VT and U
 * (m x m) is written, VT is not referenced (ldvt 1).
 * MM_EINVAL when a size exceeds LAPACK's int, MM_ENOMEM, MM_ENUMERIC when
 * LAPACK reports a failure. what names the caller in messages. */
mm_status mm_decomp_svd(char jobz, size_t m, size_t n, double *A, size_t lda, double *S,
                        double *U, size_t ldu, double *VT, size_t ldvt, const char *what,
                        mm_error *err);

/* Replaces the m x c matrix A (lda = m) by an orthonormal basis of its
 * columns (Householder QR, dgeqrf + dorgqr): the first min(m, c) columns
 * hold Q, *c_out = min(m, c). */
mm_status mm_decomp_orth(double *A, size_t m, size_t c, size_t *c_out, const char *what,
                         mm_error *err);

/* How the randomized solver runs its power iterations on dense input. */
typedef enum mm_pca_path {
    MM_PCA_PATH_AUTO = 0, /* whichever costs fewer flops (see pca.c)       */
    MM_PCA_PATH_GRAM,     /* on the Gram matrix of the centered data       */
    MM_PCA_PATH_DIRECT    /* 2 n_iter products with the centered data      */
} mm_pca_path;

/* mm_pca_fit_dense with the power-iteration path and the size of the
 * double conversion buffer forced (block_bytes 0 = the default rule).
 * A small block_bytes makes every product run block by block. */
mm_status mm_pca_fit_dense_ex(const mm_pca_params *p, const mm_mat *X, mm_pca_path path,
                              size_t block_bytes, mm_pca **out, mm_error *err);

/* The path the last fit of this object used for its power iterations
 * (MM_PCA_PATH_AUTO for the full solver, sparse input or from_parts). */
mm_pca_path mm_pca_path_used(const mm_pca *m);

#endif /* MM_LEARN_DECOMP_INTERNAL_H */
