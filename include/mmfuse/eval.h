/*
 * mmfuse/eval.h — cross-validation splits and classification metrics,
 * reproducing scikit-learn 1.2.
 *
 * Stratified k-fold: StratifiedKFold(n_splits, shuffle, random_state=seed)
 * exactly — labels re-encoded in order of first appearance, sorted labels
 * dealt round-robin to folds, per-class fold lists shuffled with one numpy
 * RandomState(seed) (mm_rng) shared across classes — so fold assignments
 * equal sklearn's for the same labels and seed.
 *
 * Metrics: accuracy, per-class precision / recall / F1 / support (a zero
 * denominator gives 0), macro and weighted averages, confusion matrix
 * (rows = true class, columns = predicted), and log loss (probabilities
 * clipped to [eps, 1-eps] with eps = DBL_EPSILON and rows renormalized, as
 * sklearn's log_loss for float64 input). classification_report text is
 * byte-identical to sklearn's.
 *
 * Usage
 *     int32_t *fold = malloc(n * sizeof *fold);
 *     mm_stratified_kfold(y, n, 5, true, 42, fold, &err);
 *     ... fit on rows with fold[i] != f, test on rows with fold[i] == f ...
 *     mm_metrics m;
 *     mm_metrics_compute(y_true, y_pred, proba, n, K, &m, &err);
 *     mm_metrics_free(&m);
 */
#ifndef MMFUSE_EVAL_H
#define MMFUSE_EVAL_H

#include "mmfuse/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* fold_of_row[i] in [0, n_splits). y holds any int32 labels.
 * MM_EINVAL when n_splits < 2, n_splits > n, or every class has fewer than
 * n_splits members (sklearn raises then). When only some classes are
 * smaller than n_splits it still splits (*warn_small_class set to true if
 * non-NULL, as sklearn warns). */
MM_API mm_status mm_stratified_kfold(const int32_t *y, size_t n, size_t n_splits, bool shuffle,
                                     uint32_t seed, int32_t *fold_of_row,
                                     bool *warn_small_class, mm_error *err);

/* The least populated class of labels y[0..n) in [0, n_classes) (other
 * values, e.g. -1 for "no label", are skipped; classes without members are
 * not counted, as StratifiedKFold sees only the labels present): its label
 * in *label and its member count in *count, and in *n_below how many
 * classes have fewer than `below` members (pass n_splits: StratifiedKFold
 * warns "The least populated class in y has only N members, which is less
 * than n_splits=K" when *count < n_splits). False (outputs untouched) when
 * no label is in range or memory runs out. */
MM_API bool mm_least_populated_class(const int32_t *y, size_t n, size_t n_classes, size_t below,
                                     int32_t *label, size_t *count, size_t *n_below);

typedef struct mm_metrics {
    size_t n, n_classes;
    double accuracy;
    double *precision, *recall, *f1; /* n_classes each */
    size_t *support;                 /* n_classes: true count per class */
    size_t *confusion;               /* n_classes x n_classes, [true][pred] */
    double macro_precision, macro_recall, macro_f1;
    double weighted_precision, weighted_recall, weighted_f1;
    double log_loss;                 /* NAN when no probabilities given */
} mm_metrics;

/* y_true, y_pred in [0, n_classes). proba (n x n_classes, may be NULL). */
MM_API mm_status mm_metrics_compute(const int32_t *y_true, const int32_t *y_pred,
                                    const double *proba, size_t n, size_t n_classes,
                                    mm_metrics *out, mm_error *err);
MM_API void mm_metrics_free(mm_metrics *m);

/* sklearn classification_report(y_true, y_pred, target_names=names,
 * digits=digits) text, over the labels that occur in y_true or y_pred
 * (sorted), byte-identical. *out is malloc'd; free() it. */
MM_API mm_status mm_classification_report(const int32_t *y_true, const int32_t *y_pred, size_t n,
                                          size_t n_classes, const char *const *names, int digits,
                                          char **out, mm_error *err);

/* How two classifiers' errors relate, from their predictions on the same
 * rows (out-of-fold predictions of two single-modality models):
 *   both_right, only_a, only_b, both_wrong  fractions of rows;
 *   one_right = only_a + only_b (how often exactly one is right);
 *   yule_q    Yule's Q of the 2x2 right/wrong table,
 *             (both_right·both_wrong − only_a·only_b) / (… + …): near 1 when
 *             the two fail on the same rows (redundant), near 0 or below
 *             when their errors are unrelated or opposed (complementary);
 *             NAN when the denominator is 0;
 *   error_kappa Cohen's kappa between the two error indicators (agreement
 *             of "is wrong" beyond chance); NAN when undefined. */
typedef struct mm_complementarity {
    double both_right, only_a, only_b, both_wrong, one_right;
    double yule_q, error_kappa;
} mm_complementarity;

MM_API mm_status mm_complementarity_compute(const int32_t *y, const int32_t *pred_a, const int32_t *pred_b,
                                            size_t n, mm_complementarity *out, mm_error *err);

/* The article's verdict on a fusion gain (accuracy of the fused model minus
 * the best single one): "HIGH" above 0.05, "MODERATE" above 0.01, else "LOW". */
MM_API const char *mm_complementarity_verdict(double gain);

/* Population mean and standard deviation (ddof = 0) of v[0..n). */
MM_API void mm_mean_std(const double *v, size_t n, double *mean, double *std);

#ifdef __cplusplus
}
#endif
#endif /* MMFUSE_EVAL_H */
