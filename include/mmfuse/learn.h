/*
 * mmfuse/learn.h — models and fitted transforms: the design matrix view,
 * StandardScaler and multinomial / binary logistic regression (L-BFGS).
 *
 * Design matrix
 *   An mm_xmat is a horizontal concatenation of column parts, each dense
 *   (mm_mat) or sparse (mm_csr), all with the same number of rows. Early
 *   fusion passes the per-modality blocks as parts, so a sparse TF-IDF block
 *   and a dense tabular block are never materialized into one matrix.
 *   The view does not own the parts.
 *
 * StandardScaler
 *   mean / population variance accumulated in double, constant features get
 *   scale 1, NaN ignored in the statistics and passed through. Sparse input
 *   is only scaled (with_mean must be false), as in scikit-learn.
 *
 * LogisticRegression
 *   Minimizes exactly scikit-learn 1.2's lbfgs objective: for K > 2 the
 *   multinomial  sum_i w_i [logsumexp(z_i) - z_{i,y_i}] + ||W||^2 / (2C),
 *   for K == 2 the binary sum_i w_i [ln(1+e^z_i) - y_i z_i] + ||w||^2 / (2C)
 *   (intercept not penalized), where w_i are sample weights (class weights),
 *   with an L-BFGS-B 3.0-equivalent optimizer (m = 10, Moré–Thuente line
 *   search, pgtol = tol on the max-norm of the gradient, factr = 1e7), so
 *   that iterates, iteration counts and stopping match scipy's.
 *
 * Usage
 *     mm_xmat X = mm_xmat_empty(n);
 *     mm_xmat_add_dense(&X, &tab, &err);  mm_xmat_add_sparse(&X, &tfidf, &err);
 *     mm_logreg_params p = mm_logreg_params_default();
 *     mm_logreg *m;
 *     mm_logreg_fit(&p, &X, y, n_classes, NULL, &m, &err);
 *     mm_logreg_predict_proba(m, &Xtest, proba, &err);   // n_test x K
 *     mm_logreg_free(m);
 *
 * Fitted objects are immutable and safe to share across threads.
 */
#ifndef MMFUSE_LEARN_H
#define MMFUSE_LEARN_H

#include "mmfuse/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------ design matrix */

enum { MM_XMAT_MAX_PARTS = 32 };

typedef struct mm_xpart {
    const mm_mat *dense;  /* exactly one of dense / sparse is non-NULL */
    const mm_csr *sparse;
    size_t col0;          /* first column of this part in the whole matrix */
} mm_xpart;

typedef struct mm_xmat {
    size_t rows, cols;
    size_t n_parts;
    mm_xpart parts[MM_XMAT_MAX_PARTS];
} mm_xmat;

MM_API mm_xmat mm_xmat_empty(size_t rows);
/* Appends a part; MM_EINVAL if its row count differs or there are too many parts. */
MM_API mm_status mm_xmat_add_dense(mm_xmat *x, const mm_mat *m, mm_error *err);
MM_API mm_status mm_xmat_add_sparse(mm_xmat *x, const mm_csr *m, mm_error *err);

/* ------------------------------------------------------------ scaler */

typedef struct mm_scaler mm_scaler;

/* Fits on all rows of a dense matrix. */
MM_API mm_status mm_scaler_fit_dense(const mm_mat *X, bool with_mean, bool with_std,
                                     mm_scaler **out, mm_error *err);
/* Fits on a sparse matrix (implicit zeros are values); always with_mean = false. */
MM_API mm_status mm_scaler_fit_csr(const mm_csr *X, bool with_std, mm_scaler **out,
                                   mm_error *err);
/* In place: x = (x - mean) / scale in double, stored as float. dim must match. */
MM_API mm_status mm_scaler_transform_dense(const mm_scaler *s, mm_mat *X, mm_error *err);
/* In place: data *= 1 / scale. */
MM_API mm_status mm_scaler_transform_csr(const mm_scaler *s, mm_csr *X, mm_error *err);
MM_API void mm_scaler_free(mm_scaler *s);

MM_API size_t mm_scaler_dim(const mm_scaler *s);
MM_API bool mm_scaler_with_mean(const mm_scaler *s);
MM_API const double *mm_scaler_mean(const mm_scaler *s);  /* dim values */
MM_API const double *mm_scaler_var(const mm_scaler *s);   /* dim values (population) */
MM_API const double *mm_scaler_scale(const mm_scaler *s); /* dim values (1 for constant) */
/* Rebuilds a fitted scaler (for model files). var may be NULL. */
MM_API mm_status mm_scaler_from_parts(size_t dim, bool with_mean, const double *mean,
                                      const double *var, const double *scale, mm_scaler **out,
                                      mm_error *err);

/* ------------------------------------------------------------ logistic regression */

typedef struct mm_logreg_params {
    double C;          /* inverse L2 strength, 1.0                         */
    int max_iter;      /* 500 (the article's setting; sklearn's default 100) */
    double tol;        /* 1e-4: stop when max|gradient| <= tol             */
    bool fit_intercept;/* true                                             */
    int n_threads;     /* 0 = all cores                                    */
} mm_logreg_params;

MM_API mm_logreg_params mm_logreg_params_default(void);
MM_API mm_status mm_logreg_params_check(const mm_logreg_params *p, mm_error *err);

typedef struct mm_logreg mm_logreg;

/* Fits on X with labels y[i] in [0, n_classes). n_classes >= 2 (MM_EINVAL
 * otherwise). sample_weight (n values, may be NULL = all ones) carries class
 * weights. Non-finite X is MM_ENUMERIC. Hitting max_iter is not an error
 * (see mm_logreg_converged). */
MM_API mm_status mm_logreg_fit(const mm_logreg_params *p, const mm_xmat *X, const int32_t *y,
                               size_t n_classes, const double *sample_weight, mm_logreg **out,
                               mm_error *err);
/* proba: X->rows x n_classes, row-major. Binary: [1-s, s] with s = sigmoid;
 * multinomial: softmax. X->cols must equal the fitted dimension. */
MM_API mm_status mm_logreg_predict_proba(const mm_logreg *m, const mm_xmat *X, double *proba,
                                         mm_error *err);
MM_API void mm_logreg_free(mm_logreg *m);

MM_API size_t mm_logreg_n_classes(const mm_logreg *m);
MM_API size_t mm_logreg_dim(const mm_logreg *m);
/* Rows of coefficients: 1 row for a binary model, n_classes rows otherwise. */
MM_API size_t mm_logreg_coef_rows(const mm_logreg *m);
MM_API const double *mm_logreg_coef(const mm_logreg *m);      /* coef_rows x dim */
MM_API const double *mm_logreg_intercept(const mm_logreg *m); /* coef_rows       */
MM_API int mm_logreg_n_iter(const mm_logreg *m);
MM_API bool mm_logreg_converged(const mm_logreg *m);
/* Final objective value. */
MM_API double mm_logreg_loss(const mm_logreg *m);
/* Rebuilds a fitted model (for model files). coef_rows = 1 if n_classes == 2. */
MM_API mm_status mm_logreg_from_parts(size_t n_classes, size_t dim, const double *coef,
                                      const double *intercept, mm_logreg **out, mm_error *err);

/* Class weights 'balanced': w_k = n / (K * count_k), expanded per sample
 * into weights[n]. Classes with count 0 get weight 0. */
MM_API mm_status mm_class_weights_balanced(const int32_t *y, size_t n, size_t n_classes,
                                           double *weights, mm_error *err);

#ifdef __cplusplus
}
#endif
#endif /* MMFUSE_LEARN_H */
