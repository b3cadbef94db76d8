/* Classification metrics equal to scikit-learn 1.2 (accuracy_score,
 * precision_recall_fscore_support with labels = 0..K-1 and zero_division
 * = 0, confusion_matrix, log_loss) and numpy mean / std
 * Reductions follow numpy's pairwise
 * order (npsum.c), so the results equal sklearn's bit for bit on the same
 * machine's libm. */
#include "mmfuse/eval.h"

#include "eval/eval_internal.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

double mm_eval_f1(double p, double r)
{
    /* sklearn: denom = beta2 * P + R, 0 -> 1; F = (1 + beta2) * P * R / denom */
    double denom = p + r;
    if (denom == 0.0) denom = 1.0;
    return 2.0 * p * r / denom;
}

void mm_eval_prf(const size_t *tp, const size_t *pred_sum, const size_t *true_sum, size_t m,
                 double *p, double *r, double *f)
{
    for (size_t k = 0; k < m; k++) {
        p[k] = pred_sum[k] ? (double)tp[k] / (double)pred_sum[k] : 0.0;
        r[k] = true_sum[k] ? (double)tp[k] / (double)true_sum[k] : 0.0;
        f[k] = mm_eval_f1(p[k], r[k]);
    }
}

void mm_metrics_free(mm_metrics *m)
{
    if (!m) return;
    free(m->precision);
    free(m->recall);
    free(m->f1);
    free(m->support);
    free(m->confusion);
    memset(m, 0, sizeof *m);
    m->log_loss = NAN;
}

static mm_status check_labels(const int32_t *y, size_t n, size_t n_classes, const char *what,
                              mm_error *err)
{
    for (size_t i = 0; i < n; i++)
        if (y[i] < 0 || (uint64_t)y[i] >= (uint64_t)n_classes)
            return mm_error_set(err, MM_EINVAL, "metrics: row %zu: %s = %d is outside [0, %zu)",
                                i, what, (int)y[i], n_classes);
    return MM_OK;
}

/* sklearn log_loss(y_true, proba, labels=range(K)) for float64 proba:
 * clip to [eps, 1 - eps], renormalize each row, mean of -ln p[true]. */
static mm_status log_loss(const int32_t *y_true, const double *proba, size_t n, size_t K,
                          double *out, mm_error *err)
{
    const double eps = DBL_EPSILON;
    double *row = mm_alloc_array(K, sizeof *row);
    double *loss = mm_alloc_array(n, sizeof *loss);
    if (!row || !loss) {
        free(row);
        free(loss);
        return mm_error_set(err, MM_ENOMEM, "metrics: out of memory for log loss (%zu x %zu)",
                            n, K);
    }
    for (size_t i = 0; i < n; i++) {
        const double *p = proba + i * K;
        for (size_t k = 0; k < K; k++) {
            double v = p[k];
            if (v < eps) v = eps;
            if (v > 1.0 - eps) v = 1.0 - eps;
            row[k] = v;
        }
        double s = mm_eval_pairwise_sum(row, K);
        loss[i] = -log(row[y_true[i]] / s);
    }
    *out = mm_eval_pairwise_sum(loss, n) / (double)n;
    free(row);
    free(loss);
    return MM_OK;
}

mm_status mm_metrics_compute(const int32_t *y_true, const int32_t *y_pred, const double *proba,
                             size_t n, size_t n_classes, mm_metrics *out, mm_error *err)
{
    if (!out) return mm_error_set(err, MM_EINVAL, "metrics: NULL output");
    memset(out, 0, sizeof *out);
    out->log_loss = NAN;
    if (!y_true || !y_pred) return mm_error_set(err, MM_EINVAL, "metrics: NULL labels");
    if (n == 0) return mm_error_set(err, MM_EINVAL, "metrics: no rows");
    if (n_classes == 0) return mm_error_set(err, MM_EINVAL, "metrics: n_classes = 0");
    mm_status st = check_labels(y_true, n, n_classes, "y_true", err);
    if (st == MM_OK) st = check_labels(y_pred, n, n_classes, "y_pred", err);
    if (st != MM_OK) return st;
    if (proba) {
        size_t total;
        if (!mm_size_mul(n, n_classes, &total))
            return mm_error_set(err, MM_EINVAL, "metrics: %zu x %zu probabilities overflow",
                                n, n_classes);
        for (size_t i = 0; i < total; i++)
            if (!isfinite(proba[i]))
                return mm_error_set(err, MM_ENUMERIC,
                                    "metrics: probability at row %zu, class %zu is not finite",
                                    i / n_classes, i % n_classes);
    }

    const size_t K = n_classes;
    out->n = n;
    out->n_classes = K;
    out->precision = mm_alloc_array(K, sizeof(double));
    out->recall = mm_alloc_array(K, sizeof(double));
    out->f1 = mm_alloc_array(K, sizeof(double));
    out->support = mm_calloc_array(K, sizeof(size_t));
    size_t kk;
    if (mm_size_mul(K, K, &kk)) out->confusion = mm_calloc_array(kk, sizeof(size_t));
    size_t *tp = mm_calloc_array(K, sizeof(size_t));
    size_t *pred_sum = mm_calloc_array(K, sizeof(size_t));
    if (!out->precision || !out->recall || !out->f1 || !out->support || !out->confusion || !tp ||
        !pred_sum) {
        free(tp);
        free(pred_sum);
        mm_metrics_free(out);
        return mm_error_set(err, MM_ENOMEM, "metrics: out of memory for %zu classes", K);
    }

    size_t correct = 0;
    for (size_t i = 0; i < n; i++) {
        size_t t = (size_t)y_true[i], p = (size_t)y_pred[i];
        out->confusion[t * K + p]++;
        out->support[t]++;
        pred_sum[p]++;
        if (t == p) {
            tp[t]++;
            correct++;
        }
    }
    out->accuracy = (double)correct / (double)n;
    mm_eval_prf(tp, pred_sum, out->support, K, out->precision, out->recall, out->f1);
    free(tp);
    free(pred_sum);

    out->macro_precision = mm_eval_pairwise_sum(out->precision, K) / (double)K;
    out->macro_recall = mm_eval_pairwise_sum(out->recall, K) / (double)K;
    out->macro_f1 = mm_eval_pairwise_sum(out->f1, K) / (double)K;
    out->weighted_precision = mm_eval_pairwise_dot(out->precision, out->support, K) / (double)n;
    out->weighted_recall = mm_eval_pairwise_dot(out->recall, out->support, K) / (double)n;
    out->weighted_f1 = mm_eval_pairwise_dot(out->f1, out->support, K) / (double)n;

    if (proba && K >= 2) {
        st = log_loss(y_true, proba, n, K, &out->log_loss, err);
        if (st != MM_OK) {
            mm_metrics_free(out);
            return st;
        }
    }
    return MM_OK;
}

void mm_mean_std(const double *v, size_t n, double *mean, double *std)
{
    double mu = NAN, sd = NAN;
    if (n > 0 && v) {
        mu = mm_eval_pairwise_sum(v, n) / (double)n;
        sd = sqrt(mm_eval_pairwise_sqdev(v, n, mu) / (double)n);
    }
    if (mean) *mean = mu;
    if (std) *std = sd;
}
