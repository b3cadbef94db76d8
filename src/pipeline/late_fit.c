/* Fitting the late-fusion combiners that learn from data: automatic weights
 * and the stacker. Both learn from *out-of-fold* per-block probabilities of
 * the training rows: an inner stratified k-fold over those rows, each inner
 * fold refitting every encoder, scaler and per-block model without the rows
 * it predicts. So when mm_evaluate calls this inside an outer fold, the
 * outer test rows are never seen, and the stacker never learns from
 * probabilities of models that were fit on the same rows. */
#include "pipeline/internal.h"

#include "mmfuse/eval.h"

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

static mm_status inner_fold(const mm_pipeline *outer, const mm_schema *s, const mm_table *t, const size_t *rows,
                            const int32_t *y, size_t n, const int32_t *fold, int32_t f, double **oof,
                            uint8_t **present, mm_error *err)
{
    size_t K = outer->n_classes, ntr = 0, nte = 0;
    size_t *tr = mm_alloc_array(n, sizeof *tr), *te = mm_alloc_array(n, sizeof *te), *at = mm_alloc_array(n, sizeof *at);
    int32_t *ytr = mm_alloc_array(n, sizeof *ytr);
    double *proba = mm_alloc_array(n * K + 1, sizeof *proba);
    mm_block *btr = calloc(MM_XMAT_MAX_PARTS, sizeof *btr), *bte = calloc(MM_XMAT_MAX_PARTS, sizeof *bte);
    mm_pipeline *m = mm_pipeline_alloc();
    mm_status st = MM_OK;
    if (!tr || !te || !at || !ytr || !proba || !btr || !bte || !m) {
        st = mm_error_set(err, MM_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        if (fold[i] == f) {
            at[nte] = i;
            te[nte++] = rows[i];
        } else {
            ytr[ntr] = y[i];
            tr[ntr++] = rows[i];
        }
    }
    m->params = outer->params;
    m->params.fusion = MM_FUSION_LATE_AVERAGE;
    m->params.progress = NULL;
    m->pre_blocks = outer->pre_blocks;
    m->num_cache = outer->num_cache;
    m->n_classes = K;
    m->prior = calloc(K, sizeof *m->prior);
    if (!m->prior) {
        st = mm_error_set(err, MM_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < ntr; i++) m->prior[ytr[i]] += 1.0 / (double)ntr;
    st = mm_pl_fit_encoders(m, s, t, tr, ntr, btr, NULL, err);
    if (!st) st = mm_pl_transform(m, t, te, nte, bte, NULL, err);
    if (!st) st = mm_pl_fit_models(m, btr, ntr, ytr, false, true, NULL, err);
    for (size_t b = 0; b < m->n_blocks && !st; b++) {
        st = mm_pl_predict_blocks(m, bte, nte, MM_FUSION_SINGLE, b, proba, NULL, err);
        for (size_t i = 0; i < nte && !st; i++) {
            memcpy(oof[b] + at[i] * K, proba + i * K, K * sizeof *proba);
            present[b][at[i]] = bte[b].present[i];
        }
    }
done:
    mm_pipeline_free(m);
    mm_blocks_free(btr, MM_XMAT_MAX_PARTS);
    mm_blocks_free(bte, MM_XMAT_MAX_PARTS);
    free(tr);
    free(te);
    free(at);
    free(ytr);
    free(proba);
    return st;
}

mm_status mm_pl_inner_oof(const mm_pipeline *outer, const mm_schema *s, const mm_table *t, const size_t *rows,
                          const int32_t *y, size_t n, double **oof, uint8_t **present, mm_error *err)
{
    int32_t *fold = mm_alloc_array(n ? n : 1, sizeof *fold);
    if (!fold) return mm_error_set(err, MM_ENOMEM, "out of memory");
    size_t folds = outer->params.inner_folds;
    mm_status st = mm_stratified_kfold(y, n, folds, true, outer->params.seed, fold, NULL, err);
    if (st) mm_error_prefix(err, "inner cross-validation of late fusion (%zu folds)", folds);
    for (size_t f = 0; f < folds && !st; f++) st = inner_fold(outer, s, t, rows, y, n, fold, (int32_t)f, oof, present, err);
    free(fold);
    return st;
}

/* ------------------------------------------------------ user-given weights */

/* Weights from the user's "BLOCK=W,BLOCK=W" (params.late_weights, the
 * --late-weights flag) for the blocks names[0..nb); blocks not named weigh
 * 1. Each W must be a number (io.h grammar) in [0, 1e12], each BLOCK one of
 * the names, and the weights must not all be 0: a zero total leaves the
 * weighted average undefined (every row would get the class prior). */
static mm_status weights_from_spec(const char *spec, const char *const *names, size_t nb, double *w,
                                   mm_error *err)
{
    static const char setting[] = "late weights (--late-weights)";
    for (size_t b = 0; b < nb; b++) w[b] = 1.0;
    const char *q = spec;
    while (*q) {
        const char *end = strchr(q, ',');
        size_t len = end ? (size_t)(end - q) : strlen(q);
        const char *eq = memchr(q, '=', len);
        char name[64], num[64];
        size_t nl = eq ? (size_t)(eq - q) : 0, vl = eq ? len - nl - 1 : 0;
        if (!eq || nl == 0 || nl >= sizeof name || vl == 0 || vl >= sizeof num)
            return mm_error_set(err, MM_EINVAL, "%s: '%.*s' is not BLOCK=WEIGHT", setting, (int)len, q);
        memcpy(name, q, nl);
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
        while (b < nb && strcmp(names[b], name) != 0) b++;
        if (b == nb) {
            char list[256] = "";
            for (size_t k = 0, at = 0; k < nb && at < sizeof list; k++)
                at += (size_t)snprintf(list + at, sizeof list - at, "%s%s", k ? ", " : "", names[k]);
            return mm_error_set(err, MM_EINVAL, "%s: no block named '%s' (blocks: %s)", setting, name, list);
        }
        w[b] = v;
        q += len;
        if (*q == ',') q++;
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

/* Weights for the fitted blocks of m. */
static mm_status parse_weights(const mm_pipeline *m, double *w, mm_error *err)
{
    const char *names[MM_XMAT_MAX_PARTS];
    size_t nb = m->n_blocks < MM_XMAT_MAX_PARTS ? m->n_blocks : MM_XMAT_MAX_PARTS;
    for (size_t b = 0; b < nb; b++) names[b] = m->blocks[b].name;
    return weights_from_spec(m->params.late_weights, names, nb, w, err);
}

/* Names of the blocks that mm_pl_fit_encoders builds from schema s (same
 * rules, same truncation to 63 bytes), without looking at any data:
 * "tabular" and each group of numeric / categorical columns, "text:COL"
 * per text column, "ROLE:COL" per image / audio / video column that this
 * build can encode. Returns the count (at most cap). */
static size_t schema_block_names(const mm_schema *s, char (*names)[64], size_t cap)
{
    size_t nb = 0;
    bool ungrouped = false;
    for (size_t j = 0; j < s->n_cols; j++) {
        mm_role r = s->cols[j].role;
        if (r != MM_ROLE_NUMERIC && r != MM_ROLE_CATEGORICAL) continue;
        const char *g = s->cols[j].group;
        if (!g[0]) {
            ungrouped = true;
            continue;
        }
        bool seen = false;
        for (size_t k = 0; k < nb; k++) seen |= strcmp(names[k], g) == 0;
        if (!seen && nb < cap) snprintf(names[nb++], 64, "%s", g);
    }
    if (ungrouped && nb < cap) snprintf(names[nb++], 64, "tabular");
    for (size_t j = 0; j < s->n_cols && nb < cap; j++)
        if (s->cols[j].role == MM_ROLE_TEXT) snprintf(names[nb++], 64, "text:%s", s->cols[j].name);
    for (size_t j = 0; j < s->n_cols && nb < cap; j++) {
        mm_role r = s->cols[j].role;
        if ((r == MM_ROLE_IMAGE || r == MM_ROLE_AUDIO || r == MM_ROLE_VIDEO) && mm_file_encoder_available(r))
            snprintf(names[nb++], 64, "%s:%s", mm_role_name(r), s->cols[j].name);
    }
    return nb;
}

mm_status mm_pl_check_late_weights(const mm_pipeline_params *p, const mm_schema *s, mm_error *err)
{
    if (strcmp(p->late_weights, "auto") == 0) return MM_OK;
    char names[MM_XMAT_MAX_PARTS + 1][64];
    const char *ptr[MM_XMAT_MAX_PARTS + 1];
    double w[MM_XMAT_MAX_PARTS + 1];
    size_t nb = schema_block_names(s, names, MM_XMAT_MAX_PARTS + 1);
    if (nb == 0) return MM_OK; /* "no feature columns" is reported by the fit */
    for (size_t b = 0; b < nb; b++) ptr[b] = names[b];
    return weights_from_spec(p->late_weights, ptr, nb, w, err);
}

mm_status mm_pl_fit_late(mm_pipeline *m, const mm_schema *s, const mm_table *t, const size_t *rows,
                         const int32_t *y, size_t n, bool weighted, bool stacked, mm_error *err)
{
    size_t nb = m->n_blocks, K = m->n_classes;
    bool auto_w = weighted && strcmp(m->params.late_weights, "auto") == 0;
    if (weighted) {
        free(m->late_w);
        m->late_w = calloc(nb, sizeof *m->late_w);
        if (!m->late_w) return mm_error_set(err, MM_ENOMEM, "out of memory");
        if (!auto_w) {
            mm_status st = parse_weights(m, m->late_w, err);
            if (st) return st;
        }
    }
    if (!auto_w && !stacked) return MM_OK;
    double **oof = calloc(nb, sizeof *oof);
    uint8_t **present = calloc(nb, sizeof *present);
    mm_status st = oof && present ? MM_OK : mm_error_set(err, MM_ENOMEM, "out of memory");
    for (size_t b = 0; b < nb && !st; b++) {
        oof[b] = mm_calloc_array(n * K + 1, sizeof **oof);
        present[b] = calloc(n + 1, 1);
        if (!oof[b] || !present[b]) st = mm_error_set(err, MM_ENOMEM, "out of memory");
    }
    if (!st) st = mm_pl_inner_oof(m, s, t, rows, y, n, oof, present, err);
    if (!st && auto_w) {
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
    if (!st && stacked) {
        size_t width = nb * (K + 1);
        double *feat = mm_alloc_array(n * width + 1, sizeof *feat);
        mm_mat X = {0};
        if (!feat) st = mm_error_set(err, MM_ENOMEM, "out of memory");
        if (!st) st = mm_mat_alloc(&X, n, width, err);
        if (!st) {
            mm_stack_features((const double *const *)oof, (const uint8_t *const *)present, nb, n, K, m->prior, feat);
            for (size_t i = 0; i < n * width; i++) X.data[i] = (float)feat[i];
            mm_xmat x = mm_xmat_empty(n);
            st = mm_xmat_add_dense(&x, &X, err);
            mm_logreg_params lp = m->params.logreg;
            lp.n_threads = m->params.n_threads;
            mm_logreg_free(m->meta);
            m->meta = NULL;
            if (!st) st = mm_logreg_fit(&lp, &x, y, K, NULL, &m->meta, err);
            if (st) mm_error_prefix(err, "stacking meta model");
        }
        mm_mat_free(&X);
        free(feat);
    }
    for (size_t b = 0; b < nb; b++) {
        if (oof) free(oof[b]);
        if (present) free(present[b]);
    }
    free(oof);
    free(present);
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
