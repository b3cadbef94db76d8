/* mmfuse/report.h — the HTML report of an evaluation, an analysis or a score.
 *
 * One self-contained file: inline CSS and SVG, no script, no network, no
 * fonts or images from elsewhere, so it opens the same in any browser, in
 * a mail attachment or on a machine without network. It shows:
 *   - the comparison table (features, accuracy mean ± std over folds,
 *     macro-F1, log loss) with the best row marked;
 *   - a bar per model with its mean accuracy, a whisker of ± one standard
 *     deviation and a dot per fold;
 *   - each block's size and its share of all features;
 *   - for analyze: the complementarity of every pair of modalities (fusion
 *     gain, how often exactly one model is right, Yule's Q, error kappa,
 *     canonical correlations, verdict);
 *   - a confusion matrix per model (rows: true class, columns: predicted,
 *     cells shaded by the share of the true class);
 *   - per-class precision, recall, F1 and support per model;
 *   - ROC curves with their AUC when there are two classes and
 *     probabilities;
 *   - the schema (each column's role, where the role came from, why) and
 *     every note of the run (skipped rows, missing files, ...).
 *
 * The caller owns every array; nothing is kept after the call.
 *
 * Usage:
 *   mm_report r = {.title = "evaluate products.csv", ...};
 *   mm_status st = mm_report_write_html(&r, "report.html", &err);
 */
#ifndef MMFUSE_REPORT_H
#define MMFUSE_REPORT_H

#include "mmfuse/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One model (a table row): its out-of-fold (or held-out) predictions. */
typedef struct mm_report_model {
    const char *name;       /* "early fusion (concat, missing=flag)"        */
    size_t dims;            /* features it sees                             */
    const double *fold_acc; /* n_folds accuracies, or NULL (one hold-out)   */
    const int32_t *pred;    /* n_rows predicted class indices               */
    const double *proba;    /* n_rows x n_classes probabilities, or NULL    */
} mm_report_model;

typedef struct mm_report_block {
    const char *name;     /* "text:title"    */
    const char *modality; /* "text"          */
    size_t dim;
} mm_report_block;

typedef struct mm_report_column {
    const char *name, *role, *source, *why;
} mm_report_column;

/* analyze: one pair of modalities. */
typedef struct mm_report_pair {
    const char *a, *b;
    double acc_a, acc_b, acc_fused, gain;
    double one_right, yule_q, error_kappa; /* NAN where undefined */
    size_t n_cca;
    double cca[3];
    const char *verdict;
} mm_report_pair;

typedef struct mm_report {
    const char *title;    /* heading, e.g. "evaluate products.csv"              */
    const char *method;   /* e.g. "5-fold stratified cross-validation, seed 42" */
    const char *target;
    size_t n_rows, n_classes, n_folds;  /* n_folds 0: a single held-out set   */
    const char *const *classes;         /* n_classes                          */
    const int32_t *y;                   /* n_rows true class indices          */
    const mm_report_model *models;
    size_t n_models;
    long best;                          /* index of the best model, or -1     */
    const mm_report_block *blocks;
    size_t n_blocks;
    const mm_report_column *columns;
    size_t n_columns;
    const mm_report_pair *pairs;        /* analyze only                       */
    size_t n_pairs;
    const char *const *notes;
    size_t n_notes;
} mm_report;

/* Writes the report to `path` (atomically: a temporary file renamed into
 * place). MM_EINVAL for inconsistent input (a class index out of range),
 * MM_EIO when the file cannot be written. */
MM_API mm_status mm_report_write_html(const mm_report *r, const char *path, mm_error *err);

/* The same document into a malloc'd NUL-terminated string (*out; free()). */
MM_API mm_status mm_report_html(const mm_report *r, char **out, size_t *len, mm_error *err);

/* Area under the ROC curve of scores for the positive class (labels 0/1),
 * ties handled as sklearn's roc_auc_score does (trapezoids between distinct
 * thresholds). NAN when only one class is present. */
MM_API double mm_roc_auc(const int32_t *y01, const double *score, size_t n);

#ifdef __cplusplus
}
#endif
#endif /* MMFUSE_REPORT_H */
