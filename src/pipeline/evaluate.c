/* Cross-validated comparison of every single block against early and late
 * fusion. Inside each fold, everything fitted (encoders, scalers, models)
 * sees only the training rows; the test rows are only transformed. */
#include "pipeline/internal.h"

#include "mmfuse/eval.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

mm_eval_params mm_eval_params_default(void)
{
    mm_eval_params p;
    p.pipeline = mm_pipeline_params_default();
    p.n_folds = 5;
    p.shuffle = true;
    p.stacking = true;
    p.pairs = false;
    return p;
}

void mm_eval_result_free(mm_eval_result *r)
{
    if (!r) return;
    mm_classes_free(r->classes, r->n_classes);
    free(r->y);
    free(r->block_names);
    free(r->block_dims);
    free(r->block_model_dims);
    free(r->block_pca_variance);
    free(r->block_modality);
    for (size_t i = 0; i < r->n_results; i++) {
        free(r->results[i].fold_acc);
        free(r->results[i].oof_pred);
        free(r->results[i].oof_proba);
    }
    free(r->results);
    memset(r, 0, sizeof *r);
}

static size_t argmax(const double *p, size_t K)
{
    size_t best = 0;
    for (size_t k = 1; k < K; k++)
        if (p[k] > p[best]) best = k;
    return best;
}

/* One fold: fit on train rows, write probabilities of every result row for
 * the test rows into the out-of-fold arrays. */
static mm_status run_fold(const mm_eval_params *p, const mm_schema *s, const mm_table *t,
                          mm_eval_result *r, const size_t *rows, const int32_t *fold, size_t f,
                          const mm_block *const *pre, const mm_num_cache *nc, mm_data_report *rep, mm_error *err)
{
    size_t n = r->n_rows, K = r->n_classes, ntr = 0, nte = 0;
    size_t *tr = mm_alloc_array(n, sizeof *tr), *te = mm_alloc_array(n, sizeof *te);
    size_t *te_idx = mm_alloc_array(n, sizeof *te_idx);
    int32_t *ytr = mm_alloc_array(n, sizeof *ytr);
    double *proba = NULL;
    mm_block *btr = calloc(MM_XMAT_MAX_PARTS, sizeof *btr), *bte = calloc(MM_XMAT_MAX_PARTS, sizeof *bte);
    mm_pipeline *m = mm_pipeline_alloc();
    mm_status st = MM_OK;
    if (!tr || !te || !te_idx || !ytr || !btr || !bte || !m) {
        st = mm_error_set(err, MM_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        if (fold[i] == (int32_t)f) {
            te_idx[nte] = i;
            te[nte++] = rows[i];
        } else {
            ytr[ntr] = r->y[i];
            tr[ntr++] = rows[i];
        }
    }
    m->params = p->pipeline;
    m->pre_blocks = pre;
    m->num_cache = nc;
    m->n_classes = K;
    m->prior = calloc(K, sizeof *m->prior);
    proba = mm_alloc_array(nte * K + 1, sizeof *proba);
    if (!m->prior || !proba) {
        st = mm_error_set(err, MM_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < ntr; i++) m->prior[ytr[i]] += 1.0 / (double)ntr;
    st = mm_pl_fit_encoders(m, s, t, tr, ntr, btr, rep, err);
    for (size_t b = 0; !st && b < m->n_blocks; b++)
        if (m->blocks[b].pca) {
            r->block_model_dims[b] = m->blocks[b].dim;
            r->block_pca_variance[b] += m->blocks[b].pca_variance / (double)r->n_folds;
        }
    if (!st) st = mm_pl_transform(m, t, te, nte, bte, rep, err);
    if (!st) st = mm_pl_fit_models(m, btr, ntr, ytr, true, true, rep, err);
    if (!st && r->n_results > m->n_blocks + 2) st = mm_pl_fit_late(m, s, t, tr, ytr, ntr, true, true, err);
    uint32_t all = m->n_blocks >= 32 ? 0xffffffffu : (1u << m->n_blocks) - 1u;
    for (size_t ri = 0; ri < r->n_results && !st; ri++) {
        mm_eval_row *row = &r->results[ri];
        mm_fusion kind = row->fusion;
        mm_data_report *fold_rep = kind == MM_FUSION_LATE_AVERAGE ? rep : NULL;
        if (kind == MM_FUSION_EARLY && row->blocks != all) {
            /* early fusion of a subset of the blocks (mmfuse analyze) */
            mm_logreg *sub = NULL;
            size_t removed;
            double *w = NULL;
            if (m->params.balanced) {
                w = mm_alloc_array(ntr + 1, sizeof *w);
                st = w ? mm_class_weights_balanced(ytr, ntr, K, w, err) : mm_error_set(err, MM_ENOMEM, "out of memory");
            }
            if (!st) st = mm_pl_fit_subset(m, btr, row->blocks, ntr, ytr, w, &sub, &removed, err);
            if (!st) st = mm_pl_predict_subset(m, sub, bte, row->blocks, nte, proba, err);
            mm_logreg_free(sub);
            free(w);
        } else {
            st = mm_pl_predict_blocks(m, bte, nte, kind, ri, proba, fold_rep, err);
        }
        if (st) break;
        size_t correct = 0;
        for (size_t i = 0; i < nte; i++) {
            size_t at = te_idx[i];
            memcpy(row->oof_proba + at * K, proba + i * K, K * sizeof *proba);
            row->oof_pred[at] = (int32_t)argmax(proba + i * K, K);
            correct += row->oof_pred[at] == r->y[at];
        }
        row->fold_acc[f] = nte ? (double)correct / (double)nte : 0.0;
    }
    if (st) mm_error_prefix(err, "fold %zu of %zu", f + 1, r->n_folds);
done:
    mm_pipeline_free(m);
    mm_blocks_free(btr, MM_XMAT_MAX_PARTS);
    mm_blocks_free(bte, MM_XMAT_MAX_PARTS);
    free(tr);
    free(te);
    free(te_idx);
    free(ytr);
    free(proba);
    return st;
}

static mm_status setup_results(mm_eval_result *r, const mm_pipeline_params *p, const mm_block *blocks, size_t nb,
                               bool stacking, bool pairs, mm_error *err)
{
    r->n_blocks = nb;
    r->block_names = calloc(nb + 1, sizeof *r->block_names);
    r->block_dims = calloc(nb + 1, sizeof *r->block_dims);
    r->block_modality = calloc(nb + 1, sizeof *r->block_modality);
    r->block_model_dims = calloc(nb + 1, sizeof *r->block_model_dims);
    r->block_pca_variance = calloc(nb + 1, sizeof *r->block_pca_variance);
    size_t n_pairs = pairs && nb > 2 ? nb * (nb - 1) / 2 : 0;
    r->n_results = nb + (nb > 1 ? (stacking ? 4 : 2) : 0) + n_pairs;
    r->results = calloc(r->n_results, sizeof *r->results);
    if (!r->block_names || !r->block_dims || !r->block_modality || !r->results || !r->block_model_dims ||
        !r->block_pca_variance)
        return mm_error_set(err, MM_ENOMEM, "out of memory");
    size_t total = 0;
    for (size_t b = 0; b < nb; b++) {
        snprintf(r->block_names[b], sizeof r->block_names[b], "%s", blocks[b].name);
        r->block_dims[b] = blocks[b].dim;
        r->block_modality[b] = blocks[b].modality;
        bool reduce = p->balance_dim && blocks[b].dim > p->balance_dim;
        r->block_model_dims[b] = reduce ? p->balance_dim : blocks[b].dim;
        r->block_pca_variance[b] = reduce ? 0.0 : NAN;
        total += r->block_model_dims[b];
    }
    for (size_t i = 0; i < r->n_results; i++) {
        mm_eval_row *row = &r->results[i];
        static const char *const late_names[] = {"late fusion (average)", "late fusion (weighted)",
                                                 "late fusion (stacked)"};
        static const mm_fusion late_kinds[] = {MM_FUSION_LATE_AVERAGE, MM_FUSION_LATE_WEIGHTED, MM_FUSION_LATE_STACKED};
        size_t n_std = r->n_results - n_pairs;
        uint32_t all = nb >= 32 ? 0xffffffffu : (1u << nb) - 1u;
        row->blocks = all;
        if (i < nb) {
            snprintf(row->name, sizeof row->name, "%s only", blocks[i].name);
            snprintf(row->kind, sizeof row->kind, "single");
            row->fusion = MM_FUSION_SINGLE;
            row->blocks = 1u << i;
            row->dims = r->block_model_dims[i];
        } else if (i >= n_std) {
            /* the (i - n_std)-th pair a < b in lexicographic order */
            size_t k = i - n_std, a = 0, b;
            while (k >= nb - 1 - a) k -= nb - 1 - a++;
            b = a + 1 + k;
            snprintf(row->name, sizeof row->name, "early: %.40s + %.40s", blocks[a].name, blocks[b].name);
            snprintf(row->kind, sizeof row->kind, "early");
            row->fusion = MM_FUSION_EARLY;
            row->blocks = (1u << a) | (1u << b);
            row->dims = r->block_model_dims[a] + r->block_model_dims[b];
        } else if (i == nb) {
            snprintf(row->name, sizeof row->name, "early fusion (concat, missing=%s)", mm_missing_name(p->missing));
            snprintf(row->kind, sizeof row->kind, "early");
            row->fusion = MM_FUSION_EARLY;
            row->dims = total;
        } else {
            row->fusion = late_kinds[i - nb - 1];
            snprintf(row->name, sizeof row->name, "%s", late_names[i - nb - 1]);
            snprintf(row->kind, sizeof row->kind, "%s", mm_fusion_name(row->fusion));
            row->dims = total;
        }
        row->fold_acc = calloc(r->n_folds, sizeof *row->fold_acc);
        row->oof_pred = calloc(r->n_rows + 1, sizeof *row->oof_pred);
        row->oof_proba = mm_calloc_array(r->n_rows * r->n_classes + 1, sizeof *row->oof_proba);
        if (!row->fold_acc || !row->oof_pred || !row->oof_proba)
            return mm_error_set(err, MM_ENOMEM, "out of memory");
    }
    return MM_OK;
}

static mm_status summarize(mm_eval_result *r, mm_error *err)
{
    double best_s = -1, best_f = -1;
    r->best_single = r->best_fusion = -1;
    for (size_t i = 0; i < r->n_results; i++) {
        mm_eval_row *row = &r->results[i];
        mm_mean_std(row->fold_acc, r->n_folds, &row->acc_mean, &row->acc_std);
        mm_metrics met;
        mm_status st = mm_metrics_compute(r->y, row->oof_pred, row->oof_proba, r->n_rows, r->n_classes,
                                          &met, err);
        if (st) return st;
        row->macro_f1 = met.macro_f1;
        row->weighted_f1 = met.weighted_f1;
        row->log_loss = met.log_loss;
        mm_metrics_free(&met);
        bool single = strcmp(row->kind, "single") == 0;
        if (single && row->acc_mean > best_s) {
            best_s = row->acc_mean;
            r->best_single = (long)i;
        }
        if (!single && row->acc_mean > best_f) {
            best_f = row->acc_mean;
            r->best_fusion = (long)i;
        }
    }
    return MM_OK;
}

mm_status mm_evaluate(const mm_eval_params *p, const mm_schema *s, const mm_table *t,
                      mm_eval_result *r, mm_error *err)
{
    memset(r, 0, sizeof *r);
    int32_t *y_all = NULL, *fold = NULL;
    size_t *rows = NULL;
    mm_block *blocks = NULL;
    const mm_block **pre = NULL;
    mm_num_cache nc = {0};
    size_t nb = 0;
    if (s->target_col < 0) return mm_error_set(err, MM_EINVAL, "no target column given");
    /* user-given late weights are checked before any data is encoded */
    mm_status st = p->stacking ? mm_pl_check_late_weights(&p->pipeline, s, err) : MM_OK;
    if (st) return st;
    st = mm_target_encode(t, (size_t)s->target_col, &r->classes, &r->n_classes, &y_all, err);
    if (st) return st;
    const char *target = s->cols[s->target_col].name;
    if (r->n_classes < 2) {
        st = r->n_classes == 0
                 ? mm_error_set(err, MM_EFORMAT, "%s: the target column '%s' has no values", mm_table_source(t), target)
                 : mm_error_set(err, MM_EFORMAT, "%s: the target column '%s' has a single class ('%s'); need at least two",
                                mm_table_source(t), target, r->classes[0]);
        goto done;
    }
    size_t total = mm_table_rows(t);
    rows = mm_alloc_array(total + 1, sizeof *rows);
    r->y = mm_alloc_array(total + 1, sizeof *r->y);
    fold = mm_alloc_array(total + 1, sizeof *fold);
    if (!rows || !r->y || !fold) {
        st = mm_error_set(err, MM_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < total; i++)
        if (y_all[i] >= 0) {
            rows[r->n_rows] = i;
            r->y[r->n_rows++] = y_all[i];
        }
    r->report.rows_total = total;
    r->report.rows_no_target = total - r->n_rows;
    r->n_folds = p->n_folds;
    bool small = false;
    st = mm_stratified_kfold(r->y, r->n_rows, p->n_folds, p->shuffle, p->pipeline.seed, fold, &small, err);
    if (st) {
        mm_error_prefix(err, "cross-validation on target '%s'", target);
        goto done;
    }
    if (small) mm_target_note_small_class(&r->report, r->y, r->n_rows, r->classes, r->n_classes, p->n_folds, false);
    /* numeric cells are parsed once for every fold */
    st = mm_num_cache_build(t, s, &nc, err);
    if (st) goto done;
    /* block layout as fitted on all rows (dims and shares for the report) */
    mm_data_report all_rep = {0};
    mm_pipeline_params pp = p->pipeline;
    st = mm_pipeline_extract(&pp, s, t, false, &blocks, &nb, &all_rep, err);
    if (st) goto done;
    r->report.numeric_unparsable = all_rep.numeric_unparsable;
    st = setup_results(r, &p->pipeline, blocks, nb, p->stacking, p->pairs, err);
    /* per-file blocks need no fitting: computed once above, shared by the folds */
    pre = calloc(s->n_cols + 1, sizeof *pre);
    if (!st && !pre) st = mm_error_set(err, MM_ENOMEM, "out of memory");
    for (size_t j = 0, b = 0; j < s->n_cols && !st; j++) {
        mm_role role = s->cols[j].role;
        if (!((role == MM_ROLE_IMAGE || role == MM_ROLE_AUDIO || role == MM_ROLE_VIDEO) && mm_file_encoder_available(role)))
            continue;
        while (b < nb && blocks[b].modality != MM_MOD_IMAGE && blocks[b].modality != MM_MOD_AUDIO &&
               blocks[b].modality != MM_MOD_VIDEO)
            b++;
        pre[j] = &blocks[b++];
    }
    r->report.files_failed = all_rep.files_failed;
    r->report.files_cached = all_rep.files_cached;
    memcpy(r->report.file_error, all_rep.file_error, sizeof r->report.file_error);
    r->report.cache_damaged = all_rep.cache_damaged;
    r->report.files_outside_root = all_rep.files_outside_root;
    memcpy(r->report.outside_root_error, all_rep.outside_root_error, sizeof r->report.outside_root_error);
    for (size_t f = 0; f < p->n_folds && !st; f++) {
        if (p->pipeline.progress &&
            !p->pipeline.progress("cross-validation", f, p->n_folds, p->pipeline.progress_user)) {
            st = mm_error_set(err, MM_ECANCELLED, "cancelled");
            break;
        }
        mm_data_report fold_rep = {0};
        st = run_fold(p, s, t, r, rows, fold, f, pre, &nc, &fold_rep, err);
        r->report.rows_no_modality += fold_rep.rows_no_modality;
        r->report.rows_removed += fold_rep.rows_removed;
        r->report.unseen_categories += fold_rep.unseen_categories;
    }
    if (!st && p->pipeline.progress)
        p->pipeline.progress("cross-validation", p->n_folds, p->n_folds, p->pipeline.progress_user);
    if (!st) st = summarize(r, err);
done:
    mm_num_cache_free(&nc);
    free(pre);
    mm_blocks_free(blocks, MM_XMAT_MAX_PARTS);
    free(y_all);
    free(rows);
    free(fold);
    if (st) mm_eval_result_free(r);
    return st;
}
