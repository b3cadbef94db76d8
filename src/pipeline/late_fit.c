/* Fitting the late-fusion combiners that learn from data: automatic weights
 * and the stacker. Both learn from *out-of-fold* per-block probabilities of
 * the training rows: an inner stratified k-fold over those rows, each inner
 * fold refitting the block's encoder, scaler and model without the rows it
 * predicts (the INNER tasks of the fit routine, fit.c). So inside an outer
 * fold of mm_evaluate the outer test rows are never seen, and the stacker
 * never learns from probabilities of models that were fit on the same rows. */
#include "pipeline/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t argmax(const double *p, size_t K)
{
    size_t best = 0;
    for (size_t k = 1; k < K; k++)
        if (p[k] > p[best]) best = k;
    return best;
}

/* Weights from the user's "BLOCK=W,BLOCK=W" (params.late_weights, the
 * --late-weights flag) for the blocks of layout l; blocks not named weigh
 * 1. Each W must be a number (io.h grammar) in [0, 1e12], each BLOCK one of
 * the layout's names, and the weights must not all be 0: a zero total
 * leaves the weighted average undefined (every row would get the class
 * prior). */
static mm_status parse_weights(const mm_pl_layout *l, const char *text, double *w, mm_error *err)
{
    static const char setting[] = "late weights (--late-weights)";
    size_t nb = l->n_blocks;
    for (size_t b = 0; b < nb; b++) w[b] = 1.0;
    const char *q = text, *item;
    size_t len;
    while (mm_pl_list_next(&q, &item, &len)) {
        const char *eq = memchr(item, '=', len);
        char name[64], num[64];
        size_t nl = eq ? (size_t)(eq - item) : 0, vl = eq ? len - nl - 1 : 0;
        if (!eq || nl == 0 || nl >= sizeof name || vl == 0 || vl >= sizeof num)
            return mm_error_set(err, MM_EINVAL, "%s: '%.*s' is not BLOCK=WEIGHT", setting, (int)len, item);
        memcpy(name, item, nl);
        name[nl] = '\0';
        memcpy(num, eq + 1, vl);
        num[vl] = '\0';
        double v;
        if (!mm_parse_number(num, &v))
            return mm_error_set(err, MM_EINVAL, "%s: '%s' (block '%s') is not a number", setting, num, name);
        if (v < 0 || v > 1e12)
            return mm_error_set(err, MM_EINVAL, "%s: '%s' (block '%s') is not a weight in [0, 1e12]", setting,
                                num, name);
        size_t b = 0;
        while (b < nb && strcmp(l->name[b], name) != 0) b++;
        if (b == nb) {
            char list[256] = "";
            for (size_t k = 0, at = 0; k < nb && at < sizeof list; k++)
                at += (size_t)snprintf(list + at, sizeof list - at, "%s%s", k ? ", " : "", l->name[k]);
            return mm_error_set(err, MM_EINVAL, "%s: no block named '%s' (blocks: %s)", setting, name, list);
        }
        w[b] = v;
    }
    double total = 0;
    for (size_t b = 0; b < nb; b++) total += w[b];
    if (nb > 0 && !(total > 0))
        return mm_error_set(err, MM_EINVAL,
                            "%s: every block weighs 0, so the weighted average is undefined and every "
                            "row would get the class prior; give at least one block a weight > 0",
                            setting);
    return MM_OK;
}

mm_status mm_pl_parse_late_weights(const mm_pl_layout *l, const char *text, double *w, mm_error *err)
{
    return parse_weights(l, text, w, err);
}

mm_status mm_pl_fit_late(mm_pipeline *m, const mm_pl_settings *set, const double *const *oof,
                         const uint8_t *const *present, const int32_t *y, size_t n, bool weighted, bool stacked,
                         int n_threads, mm_error *err)
{
    size_t nb = m->n_blocks, K = m->n_classes;
    mm_status st = MM_OK;
    if (weighted && set->auto_weights) {
        /* each block's inner-CV accuracy on the rows that have it */
        for (size_t b = 0; b < nb; b++) {
            size_t seen = 0, right = 0;
            for (size_t i = 0; i < n; i++) {
                if (!present[b][i]) continue;
                seen++;
                right += argmax(oof[b] + i * K, K) == (size_t)y[i];
            }
            m->late_w[b] = seen ? (double)right / (double)seen : 0.0;
        }
    }
    if (stacked) {
        size_t width = nb * (K + 1);
        double *feat = mm_alloc_array(n * width + 1, sizeof *feat);
        mm_mat X = {0};
        if (!feat) st = mm_error_set(err, MM_ENOMEM, "out of memory");
        if (!st) st = mm_mat_alloc(&X, n, width, err);
        if (!st) {
            mm_stack_features(oof, present, nb, n, K, m->prior, feat);
            for (size_t i = 0; i < n * width; i++) X.data[i] = (float)feat[i];
            mm_xmat x = mm_xmat_empty(n);
            st = mm_xmat_add_dense(&x, &X, err);
            mm_logreg_params lp = m->params.logreg;
            lp.n_threads = n_threads;
            mm_logreg_free(m->meta);
            m->meta = NULL;
            if (!st) st = mm_logreg_fit(&lp, &x, y, K, NULL, &m->meta, err);
            if (st) mm_error_prefix(err, "stacking meta model");
        }
        mm_mat_free(&X);
        free(feat);
    }
    return st;
}

mm_status mm_pl_stack_predict(const mm_pipeline *m, const double *const *probas, const uint8_t *const *present,
                              size_t n, double *proba, mm_data_report *rep, mm_error *err)
{
    if (!m->meta) return mm_error_set(err, MM_EINVAL, "the stacking meta model was not fitted");
    size_t nb = m->n_blocks, K = m->n_classes, width = nb * (K + 1);
    double *feat = mm_alloc_array(n * width + 1, sizeof *feat);
    mm_mat X = {0};
    mm_status st = feat ? mm_mat_alloc(&X, n, width, err) : mm_error_set(err, MM_ENOMEM, "out of memory");
    if (!st) {
        mm_stack_features(probas, present, nb, n, K, m->prior, feat);
        for (size_t i = 0; i < n * width; i++) X.data[i] = (float)feat[i];
        mm_xmat x = mm_xmat_empty(n);
        st = mm_xmat_add_dense(&x, &X, err);
        if (!st) st = mm_logreg_predict_proba(m->meta, &x, proba, err);
    }
    /* a row with no modality at all gets the prior, as in the other late fusions */
    for (size_t i = 0; i < n && !st; i++) {
        bool any = false;
        for (size_t b = 0; b < nb; b++) any |= !present || !present[b] || present[b][i];
        if (!any) {
            memcpy(proba + i * K, m->prior, K * sizeof *proba);
            if (rep) rep->rows_no_modality++;
        }
    }
    mm_mat_free(&X);
    free(feat);
    return st;
}
