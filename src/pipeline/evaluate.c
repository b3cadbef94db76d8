/* Cross-validated comparison of every single block against early and late
 * fusion. Inside each fold, everything fitted (encoders, scalers, models)
 * sees only the training rows; the test rows are only transformed. The
 * folds, their models and inner folds are tasks of one graph on the
 * thread pool; results go to slots indexed by (row, fold), so they do not
 * depend on the thread count or on the order tasks finish in. */
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
    free(r->rows);
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

/* The result rows (names, kinds, blocks, their out-of-fold arrays), from
 * the block layout; dims are filled by set_dims once known. */
static mm_status setup_results(mm_eval_result *r, const mm_pipeline_params *p, const mm_pl_layout *l,
                               bool stacking, bool pairs, mm_error *err)
{
    size_t nb = l->n_blocks;
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
    for (size_t b = 0; b < nb; b++) {
        snprintf(r->block_names[b], sizeof r->block_names[b], "%s", l->name[b]);
        r->block_modality[b] = l->modality[b];
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
            snprintf(row->name, sizeof row->name, "%s only", l->name[i]);
            snprintf(row->kind, sizeof row->kind, "single");
            row->fusion = MM_FUSION_SINGLE;
            row->blocks = 1u << i;
        } else if (i >= n_std) {
            /* the (i - n_std)-th pair a < b in lexicographic order */
            size_t k = i - n_std, a = 0, b;
            while (k >= nb - 1 - a) k -= nb - 1 - a++;
            b = a + 1 + k;
            snprintf(row->name, sizeof row->name, "early: %.40s + %.40s", l->name[a], l->name[b]);
            snprintf(row->kind, sizeof row->kind, "early");
            row->fusion = MM_FUSION_EARLY;
            row->blocks = (1u << a) | (1u << b);
        } else if (i == nb) {
            snprintf(row->name, sizeof row->name, "early fusion (concat, missing=%s)", mm_missing_name(p->missing));
            snprintf(row->kind, sizeof row->kind, "early");
            row->fusion = MM_FUSION_EARLY;
        } else {
            row->fusion = late_kinds[i - nb - 1];
            snprintf(row->name, sizeof row->name, "%s", late_names[i - nb - 1]);
            snprintf(row->kind, sizeof row->kind, "%s", mm_fusion_name(row->fusion));
        }
        row->fold_acc = calloc(r->n_folds, sizeof *row->fold_acc);
        row->oof_pred = calloc(r->n_rows + 1, sizeof *row->oof_pred);
        row->oof_proba = mm_calloc_array(r->n_rows * r->n_classes + 1, sizeof *row->oof_proba);
        if (!row->fold_acc || !row->oof_pred || !row->oof_proba)
            return mm_error_set(err, MM_ENOMEM, "out of memory");
    }
    return MM_OK;
}

/* Block dims as fitted on all rows (and the models' dims after
 * --balance-dim), then each row's dims. */
static void set_dims(mm_eval_result *r, const mm_pipeline_params *p, const size_t *all_dim)
{
    size_t nb = r->n_blocks, total = 0;
    for (size_t b = 0; b < nb; b++) {
        r->block_dims[b] = all_dim[b];
        bool reduce = p->balance_dim && all_dim[b] > p->balance_dim;
        r->block_model_dims[b] = reduce ? p->balance_dim : all_dim[b];
        r->block_pca_variance[b] = reduce ? 0.0 : NAN;
        total += r->block_model_dims[b];
    }
    for (size_t i = 0; i < r->n_results; i++) {
        mm_eval_row *row = &r->results[i];
        row->dims = 0;
        for (size_t b = 0; b < nb; b++)
            if (row->blocks >> b & 1u) row->dims += r->block_model_dims[b];
        if (row->fusion != MM_FUSION_EARLY && row->fusion != MM_FUSION_SINGLE) row->dims = total;
    }
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

/* ------------------------------------------------------------ the task graph
 *
 *   ALL b          block b fitted on every row (no scaling): the layout
 *                  for the report; a per-file block is kept, computed once
 *                  for the whole run, and every fold takes its rows
 *   per outer fold k (a fit on the training rows of k, see fit.c):
 *     BLOCK b      encoders of k, training and test blocks of k (shared,
 *                  read-only, by every model of the fold)
 *     MODEL        early fusion, each block, the pairs (analyze)
 *     INNER j,b    inner folds of the weighted / stacked rows
 *     LATE         automatic weights, stacker
 *     SCORE        every result row's probabilities for the test rows of
 *                  k, written to the rows' slots; frees the fold's blocks
 * Tasks are ordered fold by fold, so the pool finishes a fold before it
 * starts many others and few folds' blocks are alive at once. */

typedef struct eval_fold {
    mm_pl_fit fit;
    size_t *tr, *te, *te_idx, ntr, nte;
    int32_t *ytr;
    mm_data_report rep;       /* counted by SCORE                        */
    bool has_pca[MM_XMAT_MAX_PARTS];
    size_t pca_dim[MM_XMAT_MAX_PARTS];
    double pca_var[MM_XMAT_MAX_PARTS];
} eval_fold;

typedef struct eval_job {
    const mm_eval_params *p;
    const mm_schema *s;
    const mm_table *t;
    mm_eval_result *r;
    mm_pl_settings set;
    const size_t *all_rows;   /* every table row                         */
    size_t n_all;
    mm_run run, run_all;      /* run_all: without the per-file blocks     */
    mm_pipeline *m_all;       /* fitted on every row (layout)             */
    mm_block all[MM_XMAT_MAX_PARTS];
    size_t all_dim[MM_XMAT_MAX_PARTS];
    mm_data_report all_rep[MM_XMAT_MAX_PARTS];
    eval_fold *folds;
    uint32_t *pairs;
    size_t n_pairs;
    mm_task_list tasks;
} eval_job;

static bool is_file_block(const mm_pl_layout *l, size_t b)
{
    return b >= l->n_tab + l->n_text;
}

static mm_status run_all_block(eval_job *J, size_t b, int n_threads, mm_error *err)
{
    mm_run r = J->run_all;
    /* per-file encoding splits into whole files: it may use every thread,
       idle workers join it as other tasks finish */
    r.n_threads = is_file_block(&J->set.layout, b) ? J->p->pipeline.n_threads : n_threads;
    mm_status st = mm_pl_fit_block(J->m_all, b, J->s, J->t, J->all_rows, J->n_all, &r, &J->all[b], &J->all_rep[b], err);
    J->all_dim[b] = J->all[b].dim;
    if (!is_file_block(&J->set.layout, b)) mm_block_free(&J->all[b]);
    return st;
}

/* SCORE: the fold's probabilities of every result row for its test rows. */
static mm_status run_score(eval_job *J, size_t f, mm_error *err)
{
    eval_fold *F = &J->folds[f];
    mm_eval_result *r = J->r;
    const mm_pipeline *m = F->fit.m;
    size_t nb = m->n_blocks, K = r->n_classes, nte = F->nte, per = nte * K;
    const mm_block *bte = F->fit.test;
    double *proba = mm_alloc_array(per + 1, sizeof *proba);
    double *singles = mm_alloc_array(per * nb + 1, sizeof *singles);
    const double *probas[MM_XMAT_MAX_PARTS];
    const uint8_t *present[MM_XMAT_MAX_PARTS];
    mm_status st = proba && singles ? MM_OK : mm_error_set(err, MM_ENOMEM, "out of memory");
    for (size_t b = 0; b < nb && !st; b++) {
        st = mm_pl_predict_blocks(m, bte, nte, MM_FUSION_SINGLE, b, singles + b * per, NULL, err);
        probas[b] = singles + b * per;
        present[b] = bte[b].present;
    }
    size_t n_std = r->n_results - J->n_pairs;
    for (size_t ri = 0; ri < r->n_results && !st; ri++) {
        mm_eval_row *row = &r->results[ri];
        const double *out = proba;
        if (ri < nb) {
            out = probas[ri];
        } else if (ri >= n_std) {
            st = mm_pl_predict_subset(m, F->fit.subset_models[ri - n_std], bte, row->blocks, nte, proba, err);
        } else if (row->fusion == MM_FUSION_EARLY) {
            st = mm_pl_predict_blocks(m, bte, nte, MM_FUSION_EARLY, 0, proba, NULL, err);
        } else {
            mm_data_report *rep = row->fusion == MM_FUSION_LATE_AVERAGE ? &F->rep : NULL;
            st = mm_pl_combine_late(m, row->fusion, probas, present, nte, proba, rep, err);
        }
        if (st) break;
        size_t correct = 0;
        for (size_t i = 0; i < nte; i++) {
            size_t at = F->te_idx[i];
            memcpy(row->oof_proba + at * K, out + i * K, K * sizeof *out);
            row->oof_pred[at] = (int32_t)argmax(out + i * K, K);
            correct += row->oof_pred[at] == r->y[at];
        }
        row->fold_acc[f] = nte ? (double)correct / (double)nte : 0.0;
    }
    for (size_t b = 0; b < nb; b++)
        if (m->blocks[b].pca) {
            F->has_pca[b] = true;
            F->pca_dim[b] = m->blocks[b].dim;
            F->pca_var[b] = m->blocks[b].pca_variance;
        }
    mm_pl_fit_report(&F->fit, &F->rep);
    /* the fold is done: its blocks and models are no longer needed */
    mm_pl_fit_free(&F->fit);
    free(proba);
    free(singles);
    return st;
}

static mm_status eval_task(size_t i, int n_threads, void *user, mm_error *err)
{
    eval_job *J = user;
    const mm_pl_task *t = &J->tasks.tasks[i];
    mm_status st;
    if (t->kind == MM_TASK_ALL) return run_all_block(J, t->block, n_threads, err);
    if (t->kind == MM_TASK_SCORE) st = run_score(J, t->fold, err);
    else st = mm_pl_fit_run(&J->folds[t->fold].fit, t, n_threads, err);
    if (st) mm_error_prefix(err, "fold %u of %zu", (unsigned)t->fold + 1, J->r->n_folds);
    return st;
}

static mm_status build_tasks(eval_job *J, mm_error *err)
{
    const mm_pl_layout *l = &J->set.layout;
    size_t pre_task[MM_XMAT_MAX_PARTS];
    for (size_t b = 0; b < MM_XMAT_MAX_PARTS; b++) pre_task[b] = SIZE_MAX;
    for (size_t b = 0; b < l->n_blocks; b++) {
        size_t at = mm_tasks_add(&J->tasks, (mm_pl_task){.kind = MM_TASK_ALL, .block = (uint8_t)b}, NULL, 0);
        if (at == SIZE_MAX) return mm_error_set(err, MM_ENOMEM, "out of memory (task list)");
        if (is_file_block(l, b)) pre_task[b] = at;
    }
    for (size_t f = 0; f < J->r->n_folds; f++) {
        size_t first = J->tasks.n;
        mm_status st = mm_pl_fit_tasks(&J->folds[f].fit, &J->tasks, (uint16_t)f, pre_task, err);
        if (st) return st;
        size_t count = J->tasks.n - first, *deps = mm_alloc_array(count + 1, sizeof *deps);
        if (!deps) return mm_error_set(err, MM_ENOMEM, "out of memory (task list)");
        for (size_t k = 0; k < count; k++) deps[k] = first + k;
        size_t at = mm_tasks_add(&J->tasks, (mm_pl_task){.kind = MM_TASK_SCORE, .fold = (uint16_t)f}, deps, count);
        free(deps);
        if (at == SIZE_MAX) return mm_error_set(err, MM_ENOMEM, "out of memory (task list)");
    }
    return MM_OK;
}

/* The training and test rows of fold f, and its fit. */
static mm_status setup_fold(eval_job *J, const size_t *rows, const int32_t *fold, size_t f, mm_error *err)
{
    eval_fold *F = &J->folds[f];
    mm_eval_result *r = J->r;
    size_t n = r->n_rows;
    F->tr = mm_alloc_array(n + 1, sizeof *F->tr);
    F->te = mm_alloc_array(n + 1, sizeof *F->te);
    F->te_idx = mm_alloc_array(n + 1, sizeof *F->te_idx);
    F->ytr = mm_alloc_array(n + 1, sizeof *F->ytr);
    if (!F->tr || !F->te || !F->te_idx || !F->ytr) return mm_error_set(err, MM_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        if (fold[i] == (int32_t)f) {
            F->te_idx[F->nte] = i;
            F->te[F->nte++] = rows[i];
        } else {
            F->ytr[F->ntr] = r->y[i];
            F->tr[F->ntr++] = rows[i];
        }
    }
    size_t nb = J->set.layout.n_blocks;
    mm_fit_spec spec = {.early = nb > 1, .singles = nb >= 32 ? 0xffffffffu : (1u << nb) - 1u,
                        .weights = r->n_results - J->n_pairs > nb + 2,
                        .stacker = r->n_results - J->n_pairs > nb + 2,
                        .subsets = J->pairs, .n_subsets = J->n_pairs, .apply = F->te, .n_apply = F->nte};
    mm_status st = mm_pl_fit_init(&F->fit, &J->p->pipeline, J->s, J->t, &J->run, &J->set, F->tr, F->ytr, F->ntr,
                                  r->n_classes, &spec, err);
    if (st) mm_error_prefix(err, "fold %zu of %zu", f + 1, r->n_folds);
    return st;
}

static void eval_job_free(eval_job *J)
{
    for (size_t f = 0; J->folds && f < J->r->n_folds; f++) {
        eval_fold *F = &J->folds[f];
        mm_pl_fit_free(&F->fit);
        free(F->tr);
        free(F->te);
        free(F->te_idx);
        free(F->ytr);
    }
    free(J->folds);
    for (size_t b = 0; b < MM_XMAT_MAX_PARTS; b++) mm_block_free(&J->all[b]);
    mm_pipeline_free(J->m_all);
    free(J->pairs);
    mm_tasks_free(&J->tasks);
}

/* Everything the folds found, summed in fold order (so the sums do not
 * depend on the order the tasks finished in). */
static void gather(eval_job *J)
{
    mm_eval_result *r = J->r;
    set_dims(r, &J->p->pipeline, J->all_dim);
    mm_data_report all = {0};
    for (size_t b = 0; b < r->n_blocks; b++) {
        const mm_data_report *a = &J->all_rep[b];
        all.numeric_unparsable += a->numeric_unparsable;
        all.files_failed += a->files_failed;
        all.files_cached += a->files_cached;
        if (a->file_error[0] && !all.file_error[0]) memcpy(all.file_error, a->file_error, sizeof all.file_error);
        all.cache_damaged += a->cache_damaged;
        all.files_outside_root += a->files_outside_root;
        if (a->outside_root_error[0] && !all.outside_root_error[0])
            memcpy(all.outside_root_error, a->outside_root_error, sizeof all.outside_root_error);
    }
    r->report.numeric_unparsable = all.numeric_unparsable;
    r->report.files_failed = all.files_failed;
    r->report.files_cached = all.files_cached;
    memcpy(r->report.file_error, all.file_error, sizeof r->report.file_error);
    r->report.cache_damaged = all.cache_damaged;
    r->report.files_outside_root = all.files_outside_root;
    memcpy(r->report.outside_root_error, all.outside_root_error, sizeof r->report.outside_root_error);
    for (size_t f = 0; f < r->n_folds; f++) {
        const eval_fold *F = &J->folds[f];
        for (size_t b = 0; b < r->n_blocks; b++)
            if (F->has_pca[b]) {
                r->block_model_dims[b] = F->pca_dim[b];
                r->block_pca_variance[b] += F->pca_var[b] / (double)r->n_folds;
            }
        r->report.rows_no_modality += F->rep.rows_no_modality;
        r->report.rows_removed += F->rep.rows_removed;
        r->report.unseen_categories += F->rep.unseen_categories;
    }
}

mm_status mm_evaluate(const mm_eval_params *p, const mm_schema *s, const mm_table *t,
                      mm_eval_result *r, mm_error *err)
{
    memset(r, 0, sizeof *r);
    eval_job J;
    memset(&J, 0, sizeof J);
    J.p = p;
    J.s = s;
    J.t = t;
    J.r = r;
    if (s->target_col < 0) return mm_error_set(err, MM_EINVAL, "no target column given");
    int32_t *y_all = NULL, *fold = NULL;
    size_t *rows = NULL, *all_rows = NULL;
    mm_num_cache nc = {0};
    mm_pool *pool = NULL, *prev = NULL;
    mm_run_progress rp = {.fn = p->pipeline.progress, .user = p->pipeline.progress_user};
    pthread_mutex_init(&rp.lock, NULL);
    /* every setting is checked before any data is read or encoded */
    mm_status st = mm_eval_params_check(p, s, err);
    if (!st) st = mm_target_encode(t, (size_t)s->target_col, &r->classes, &r->n_classes, &y_all, err);
    if (st) goto done;
    const char *target = s->cols[s->target_col].name;
    if (r->n_classes < 2) {
        st = r->n_classes == 0
                 ? mm_error_set(err, MM_EFORMAT, "%s: the target column '%s' has no values", mm_table_source(t), target)
                 : mm_error_set(err, MM_EFORMAT, "%s: the target column '%s' has a single class ('%s'); need at least two",
                                mm_table_source(t), target, r->classes[0]);
        goto done;
    }
    st = mm_pl_settings_resolve(&p->pipeline, s, &J.set, err);
    if (st) goto done;
    size_t total = mm_table_rows(t);
    rows = mm_alloc_array(total + 1, sizeof *rows);
    all_rows = mm_alloc_array(total + 1, sizeof *all_rows);
    r->y = mm_alloc_array(total + 1, sizeof *r->y);
    fold = mm_alloc_array(total + 1, sizeof *fold);
    if (!rows || !all_rows || !r->y || !fold) {
        st = mm_error_set(err, MM_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < total; i++) {
        all_rows[i] = i;
        if (y_all[i] >= 0) {
            rows[r->n_rows] = i;
            r->y[r->n_rows++] = y_all[i];
        }
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
    const mm_pl_layout *l = &J.set.layout;
    st = setup_results(r, &p->pipeline, l, p->stacking, p->pairs, err);
    if (st) goto done;
    J.n_pairs = r->n_results - (l->n_blocks + (l->n_blocks > 1 ? (p->stacking ? 4 : 2) : 0));
    J.pairs = calloc(J.n_pairs + 1, sizeof *J.pairs);
    J.folds = calloc(p->n_folds, sizeof *J.folds);
    if (!J.pairs || !J.folds) {
        st = mm_error_set(err, MM_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t k = 0; k < J.n_pairs; k++) J.pairs[k] = r->results[r->n_results - J.n_pairs + k].blocks;
    /* the run: per-file blocks are computed once on every row (ALL tasks)
       and every fold and inner fold takes its rows from them */
    J.all_rows = all_rows;
    J.n_all = total;
    J.run_all = (mm_run){.num_cache = &nc, .n_threads = p->pipeline.n_threads,
                         .progress = p->pipeline.progress ? &rp : NULL};
    J.run = J.run_all;
    for (size_t b = 0; b < l->n_blocks; b++)
        if (is_file_block(l, b)) J.run.pre[b] = &J.all[b];
    /* the layout pipeline: as `extract` without --scale fits it */
    J.m_all = mm_pipeline_alloc();
    if (!J.m_all) st = mm_error_set(err, MM_ENOMEM, "out of memory");
    if (!st) {
        J.m_all->params = p->pipeline;
        J.m_all->params.scale_blocks = false;
        J.m_all->params.balance_dim = 0;
        J.m_all->params.progress = NULL;
        st = mm_pl_plan(J.m_all, s, &J.set, err);
    }
    for (size_t f = 0; f < p->n_folds && !st; f++) st = setup_fold(&J, rows, fold, f, err);
    if (!st) st = build_tasks(&J, err);
    if (st) goto done;
    mm_pl_pool_begin(p->pipeline.n_threads, &pool, &prev);
    mm_task_graph g = {.n_tasks = J.tasks.n, .dep_start = J.tasks.dep_start, .deps = J.tasks.deps, .run = eval_task,
                       .user = &J, .progress = p->pipeline.progress ? mm_run_report_progress : NULL,
                       .progress_user = &rp, .stage = "cross-validation"};
    st = mm_pool_run_graph(NULL, &g, err);
    mm_pl_pool_end(pool, prev);
    if (!st) {
        gather(&J);
        st = summarize(r, err);
    }
done:
    eval_job_free(&J);
    mm_num_cache_free(&nc);
    pthread_mutex_destroy(&rp.lock);
    free(y_all);
    r->rows = rows; /* the result keeps them (freed with it) */
    free(all_rows);
    free(fold);
    if (st) mm_eval_result_free(r);
    return st;
}
