/*
 * mmfuse/decomp.h — matrix decompositions of feature blocks: PCA (to balance
 * the width of modality blocks) and CCA (canonical correlations between two
 * blocks, for `mmfuse analyze`).
 *
 * ---------------------------------------------------------------- PCA
 * Reproduces scikit-learn 1.2.1 `PCA(n_components=k, svd_solver=...,
 * random_state=seed)` with whiten=False:
 *
 *   mean_                column means;  Xc = X - mean_
 *   full solver          thin SVD Xc = U S V^T (LAPACK dgesdd)
 *   randomized solver    Halko et al. range finder on M = Xc (or Xc^T when
 *                        n < p): Omega = RandomState(seed).normal(size=
 *                        (cols(M), k + n_oversamples)), n_iter power
 *                        iterations, B = Q^T M, SVD of B
 *   sign convention      svd_flip, u-based (1.2.1): in every component the
 *                        largest-magnitude entry of the score column U[:,c]
 *                        (length n, first index on ties) is made positive
 *   explained_variance   S^2 / (n - 1)
 *   ratio                explained_variance / total variance (sum of the
 *                        column variances, ddof = 1)
 *   noise_variance       full: mean of the discarded explained variances;
 *                        randomized: (total - sum(ev)) / (min(n,p) - k);
 *                        0 when k == min(n, p)
 *   transform            (X - mean_) components^T
 *
 * Solver choice for MM_PCA_AUTO, as scikit-learn 1.2.1 decides it:
 *   max(n, p) <= 500                  -> full
 *   1 <= k < 0.8 * min(n, p)          -> randomized
 *   otherwise                         -> full
 * n_iter = -1 ("auto") means 7 when k < 0.1 * min(n, p), else 4.
 *
 * Precision. The input is float32, but every computation runs in double
 * (centering, products, orthonormalization, SVD, statistics). scikit-learn
 * keeps float32 input in float32; mmfuse deliberately does not, so its
 * results equal scikit-learn's on the same values given as float64 (the
 * parity tests measure about 1e-12 on components and 1e-13 relative on
 * variances, for both solvers, the randomized one with the same seed), and
 * differ from scikit-learn-on-float32 only by that library's own float32
 * rounding (up to about 1e-4 on trailing components).
 *
 * Cost. On large dense input the randomized solver's time is dominated by
 * one O(n p min(n,p)) step, the Gram matrix of the power iterations (one
 * dsyrk). In double that step alone does about as many flops as all of
 * scikit-learn's float32 products, at half the float32 rate on AVX2, so the
 * default precision is not faster than scikit-learn-on-float32 on such
 * input (bench/run_pca.sh measures it); it is far more accurate.
 * MM_PCA_PRECISION_MIXED computes that Gram matrix in float32 (ssyrk, about
 * 3x faster) and keeps the power iterations, the final projection
 * Q^T Xc, the SVD and all statistics in double. The subspace then carries
 * float32 rounding: well-separated leading components stay within about
 * 1e-12 of the double result, but trailing components in a flat part of the
 * spectrum move by up to about 1e-4 (the same order by which
 * scikit-learn-on-float32 differs from scikit-learn-on-float64). It changes
 * nothing for the full solver, sparse input or the direct path.
 *
 * Randomized solver, implementation notes. Only the subspaces
 * span(M (M^T M)^i Omega) determine the result; scikit-learn normalizes them
 * with LU factorizations, mmfuse with Householder QR, which gives the same
 * U, S, V up to rounding. When it costs fewer flops (min(n,p) small against
 * (2 n_iter + 2)(k + n_oversamples)), the power iterations run on the Gram
 * matrix M^T M (one dsyrk over the data) instead of 2 n_iter products with
 * M; the final projection Q = orth(M Q), B = Q^T M always uses M itself.
 * Dense input larger than 64 MiB (in double) is converted to centered
 * double block by block for every pass over it, so the randomized solver
 * holds no full double copy of X (the direct path keeps one up to 1 GiB,
 * as it passes over the data 2 n_iter + 2 times). The full solver needs the
 * whole centered matrix in double (n p doubles, column-major, which LAPACK
 * factors fastest) plus min(n,p)^2 doubles and LAPACK's workspace.
 *
 * Sparse input. mm_pca_fit_csr returns what the dense fit returns on the
 * densified matrix, with the same solver rule. The randomized solver never
 * densifies: centering is implicit in every product
 * (Xc A = X A - 1 (mean^T A), Xc^T B = X^T B - mean (1^T B)). The full
 * solver needs the dense centered matrix, so when the rule (or the caller)
 * picks it, the matrix is densified in double (n * p * 8 bytes); with
 * MM_PCA_AUTO that happens only when max(n, p) <= 500 or k >= 0.8 min(n,p).
 *
 * Threads. BLAS/LAPACK are called from the calling thread only, with the
 * thread count set by mm_blas_set_threads; n_threads drives mmfuse's own
 * loops (conversion, statistics, sparse products). Results do not depend on
 * n_threads, bit for bit. OpenBLAS splits its products by its own thread
 * count, which changes the last bits (about 1e-15 relative), not more.
 *
 * Usage
 *     mm_pca_params pp = mm_pca_params_default();
 *     pp.n_components = 100;
 *     mm_pca *pca;
 *     if (mm_pca_fit_dense(&pp, &X_train, &pca, &err)) ...;
 *     mm_mat Z;                                   // n_test x 100
 *     if (mm_pca_transform_dense(pca, &X_test, &Z, &err)) ...;
 *     mm_mat_free(&Z);
 *     mm_pca_free(pca);
 *
 * ---------------------------------------------------------------- CCA
 * Reproduces scikit-learn 1.2.1 `CCA(n_components, scale=True, max_iter,
 * tol)`: NIPALS in canonical deflation mode, mode B with the old-style
 * pseudo-inverses, y weights normalized. Inputs
 * are float32; everything is computed in double.
 *
 * Cost: per component, one thin SVD of each deflated block (the mode-B
 * pseudo-inverses, O(n p min(n,p)) and O(n q min(n,q))), then cheap
 * matrix-vector iterations; memory about 3 (p + q) n doubles. Reduce wide
 * blocks (PCA) before CCA on large data.
 *
 *     mm_cca *cca;
 *     if (mm_cca_fit(&X, &Y, 2, 500, 1e-6, &cca, &err)) ...;
 *     double corr[2];
 *     mm_cca_correlations(cca, &X, &Y, corr, &err);
 *     mm_cca_free(cca);
 *
 * Fitted PCA and CCA objects are immutable and safe to share across threads.
 */
#ifndef MMFUSE_DECOMP_H
#define MMFUSE_DECOMP_H

#include "mmfuse/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ================================================================ PCA */

typedef enum mm_pca_solver {
    MM_PCA_AUTO = 0,    /* scikit-learn 1.2.1's rule (see above)          */
    MM_PCA_FULL,        /* exact thin SVD of the centered matrix          */
    MM_PCA_RANDOMIZED   /* randomized range finder + SVD of the projection */
} mm_pca_solver;

typedef enum mm_pca_precision {
    MM_PCA_PRECISION_DOUBLE = 0, /* every product in double (the default)   */
    MM_PCA_PRECISION_MIXED       /* randomized solver, Gram path: the Gram
                                    matrix is accumulated in float32 (ssyrk)
                                    from the centered data rounded to float;
                                    everything else stays double            */
} mm_pca_precision;

typedef struct mm_pca_params {
    size_t n_components;  /* k >= 1 and <= min(n, p); no default (0 = unset,
                             rejected)                                      */
    mm_pca_solver solver; /* MM_PCA_AUTO                                    */
    size_t n_oversamples; /* 10 (randomized: k + n_oversamples test vectors) */
    int n_iter;           /* -1 = auto (7 or 4, see above); >= 0 otherwise  */
    uint32_t seed;        /* 42: numpy RandomState seed of the test matrix  */
    int n_threads;        /* 0 = all cores (mmfuse's own loops)             */
    mm_pca_precision precision; /* MM_PCA_PRECISION_DOUBLE (see "Precision") */
} mm_pca_params;

MM_API mm_pca_params mm_pca_params_default(void);
/* Validates the parameters alone (not against a matrix): MM_EINVAL naming
 * the field when n_components == 0, n_iter < -1, solver out of range or
 * k + n_oversamples overflows. */
MM_API mm_status mm_pca_params_check(const mm_pca_params *p, mm_error *err);

typedef struct mm_pca mm_pca;

/* Fits on all rows of a dense float32 matrix (n x p).
 * MM_EINVAL: bad params, n < 2, p < 1, k > min(n, p), malformed matrix.
 * MM_ENUMERIC: a NaN or infinity (the message names row and column), or a
 * LAPACK failure. MM_ENOMEM. On error *out is NULL. */
MM_API mm_status mm_pca_fit_dense(const mm_pca_params *p, const mm_mat *X, mm_pca **out,
                                  mm_error *err);
/* Fits on a CSR matrix; same result as mm_pca_fit_dense on the densified
 * matrix (see "Sparse input" above). Index arrays are validated. */
MM_API mm_status mm_pca_fit_csr(const mm_pca_params *p, const mm_csr *X, mm_pca **out,
                                mm_error *err);

/* out = (X - mean) components^T as a newly allocated X->rows x k float32
 * matrix (computed in double, rounded once); the caller releases it with
 * mm_mat_free. X->cols must equal mm_pca_dim. MM_ENUMERIC for non-finite
 * input. On error *out is zeroed. */
MM_API mm_status mm_pca_transform_dense(const mm_pca *m, const mm_mat *X, mm_mat *out,
                                        mm_error *err);
MM_API mm_status mm_pca_transform_csr(const mm_pca *m, const mm_csr *X, mm_mat *out,
                                      mm_error *err);

MM_API void mm_pca_free(mm_pca *m);

MM_API size_t mm_pca_n_components(const mm_pca *m);  /* k                          */
MM_API size_t mm_pca_dim(const mm_pca *m);           /* p                          */
MM_API size_t mm_pca_n_samples(const mm_pca *m);     /* n (0 after from_parts)     */
MM_API mm_pca_solver mm_pca_solver_used(const mm_pca *m); /* FULL or RANDOMIZED
                                                        (AUTO after from_parts)  */
MM_API const double *mm_pca_mean(const mm_pca *m);        /* p values              */
MM_API const double *mm_pca_components(const mm_pca *m);  /* k x p, row-major      */
MM_API const double *mm_pca_explained_variance(const mm_pca *m);       /* k values */
/* The next three are NaN after mm_pca_from_parts (they are not stored). */
MM_API const double *mm_pca_explained_variance_ratio(const mm_pca *m); /* k values */
MM_API const double *mm_pca_singular_values(const mm_pca *m);          /* k values */
MM_API double mm_pca_noise_variance(const mm_pca *m);

/* Rebuilds a fitted PCA (for model files) from the mean (dim values), the
 * components (k x dim, row-major) and, optionally, the explained variance
 * (k values; NULL -> zeros). Arrays are copied. MM_EINVAL for k == 0,
 * dim == 0, NULL arrays or non-finite values. */
MM_API mm_status mm_pca_from_parts(size_t dim, size_t n_components, const double *mean,
                                   const double *components,
                                   const double *explained_variance, mm_pca **out,
                                   mm_error *err);

/* ================================================================ CCA */

typedef struct mm_cca mm_cca;

/* Fits CCA on X (n x p) and Y (n x q), rows paired. n_components in
 * [1, min(n, p, q)], n >= 2, max_iter >= 1, tol >= 0 (scikit-learn's
 * defaults: max_iter 500, tol 1e-6). MM_EINVAL for bad arguments or
 * mismatched row counts, MM_ENUMERIC for non-finite input or a LAPACK
 * failure. Not converging within max_iter is not an error (see
 * mm_cca_n_iter). When the Y residual becomes constant before k components,
 * the remaining components are left zero, as in scikit-learn (see
 * mm_cca_n_fitted). */
MM_API mm_status mm_cca_fit(const mm_mat *X, const mm_mat *Y, size_t n_components,
                            int max_iter, double tol, mm_cca **out, mm_error *err);
MM_API void mm_cca_free(mm_cca *m);

MM_API size_t mm_cca_n_components(const mm_cca *m); /* k as requested              */
MM_API size_t mm_cca_n_fitted(const mm_cca *m);     /* components actually found    */
MM_API size_t mm_cca_x_dim(const mm_cca *m);        /* p                            */
MM_API size_t mm_cca_y_dim(const mm_cca *m);        /* q                            */
/* NIPALS iterations of component c (< n_fitted); == max_iter means it did
 * not converge. */
MM_API int mm_cca_n_iter(const mm_cca *m, size_t c);

/* Row-major arrays with scikit-learn's shapes: x_* are p x k, y_* are q x k
 * (column c belongs to component c). */
MM_API const double *mm_cca_x_weights(const mm_cca *m);
MM_API const double *mm_cca_y_weights(const mm_cca *m);
MM_API const double *mm_cca_x_loadings(const mm_cca *m);
MM_API const double *mm_cca_y_loadings(const mm_cca *m);
MM_API const double *mm_cca_x_rotations(const mm_cca *m);
MM_API const double *mm_cca_y_rotations(const mm_cca *m);
MM_API const double *mm_cca_x_mean(const mm_cca *m); /* p values                  */
MM_API const double *mm_cca_y_mean(const mm_cca *m); /* q values                  */
MM_API const double *mm_cca_x_std(const mm_cca *m);  /* p values, ddof = 1, 0 -> 1 */
MM_API const double *mm_cca_y_std(const mm_cca *m);  /* q values                  */

/* Scores as scikit-learn's transform(X, Y): x_scores (n x k, row-major) =
 * ((X - x_mean) / x_std) x_rotations, likewise y_scores (either may be NULL
 * to skip that side; the matching matrix may then be NULL too). Column
 * counts must match the fit; rows of X and Y must agree when both given. */
MM_API mm_status mm_cca_transform(const mm_cca *m, const mm_mat *X, const mm_mat *Y,
                                  double *x_scores, double *y_scores, mm_error *err);

/* Canonical correlations: corr[c] = Pearson correlation of the c-th x score
 * and y score on (X, Y) (np.corrcoef(Xc[:,c], Yc[:,c])[0,1] with Xc, Yc =
 * cca.transform(X, Y)), for c < k. A component whose scores are constant
 * gets NaN (as numpy). Needs n >= 2 rows. */
MM_API mm_status mm_cca_correlations(const mm_cca *m, const mm_mat *X, const mm_mat *Y,
                                     double *corr, mm_error *err);

#ifdef __cplusplus
}
#endif
#endif /* MMFUSE_DECOMP_H */
