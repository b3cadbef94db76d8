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

/* Weights from "name=w,name=w" (unnamed blocks weigh 1). */
static mm_status parse_weights(const mm_pl_layout *l, const char *text, double *w, mm_error *err)
{
    for (size_t b = 0; b < l->n_blocks; b++) w[b] = 1.0;
    const char *q = text, *item;
    size_t len;
    while (mm_pl_list_next(&q, &item, &len)) {
        const char *eq = memchr(item, '=', len);
        char name[64], num[64];
        size_t nl = eq ? (size_t)(eq - item) : 0, vl = eq ? len - nl - 1 : 0;
        if (!eq || nl == 0 || nl >= sizeof name || vl == 0 || vl >= sizeof num)
            return mm_error_set(err, MM_EINVAL, "late weights: '%.*s' is not BLOCK=WEIGHT", (int)len, item);
        memcpy(name, item, nl);
        name[nl] = '\0';
        memcpy(num, eq + 1, vl);
        num[vl] = '\0';
        char *e;
        double v = strtod(num, &e);
        if (*e || !(v >= 0) || v > 1e12)
            return mm_error_set(err, MM_EINVAL, "late weights: '%s' is not a weight >= 0", num);
        size_t b = 0;
        while (b < l->n_blocks && strcmp(l->name[b], name) != 0) b++;
        if (b == l->n_blocks) return mm_error_set(err, MM_EINVAL, "late weights: no block named '%s'", name);
        w[b] = v;
    }
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
