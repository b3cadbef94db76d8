/* The one fit routine: fitting a pipeline on a set of rows, as a list of
 * tasks (see "the fit routine" in internal.h).
 *
 * Every task writes only its own outputs: BLOCK b the pipeline's block b
 * (encoder, missing step, scaler, PCA) and the transformed blocks b; MODEL
 * its model; INNER j,b the out-of-fold rows of fold j in column b; LATE the
 * weights and the stacker. A task's result depends only on its inputs, and
 * every kernel it calls gives the same bits for any thread budget, so a
 * fit gives the same bits whatever the thread count and the order in
 * which its tasks finish.
 *
 * Inner folds (late:weighted with automatic weights, late:stacked): each
 * block is refit on the inner training rows only and its model predicts
 * the inner test rows, so the combiners learn from probabilities of models
 * that never saw the rows they score. When the fit is an outer fold of
 * mm_evaluate, the outer test rows are not among the fit's rows at all. */
#include "pipeline/internal.h"

#include "mmfuse/eval.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ task lists */

static bool grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap) return true;
    size_t c = *cap ? *cap : 64;
    while (c < need) c *= 2;
    void *q = mm_alloc_array(c, size);
    if (!q) return false;
    if (*p) memcpy(q, *p, *cap * size);
    free(*p);
    *p = q;
    *cap = c;
    return true;
}

size_t mm_tasks_add(mm_task_list *l, mm_pl_task t, const size_t *deps, size_t n_deps)
{
    if (!grow((void **)&l->tasks, &l->cap, l->n + 1, sizeof *l->tasks) ||
        !grow((void **)&l->dep_start, &l->cap_start, l->n + 2, sizeof *l->dep_start) ||
        !grow((void **)&l->deps, &l->cap_deps, l->n_deps + n_deps + 1, sizeof *l->deps))
        return SIZE_MAX;
    if (l->n == 0) l->dep_start[0] = 0;
    for (size_t k = 0; k < n_deps; k++)
        if (deps[k] != SIZE_MAX) l->deps[l->n_deps++] = deps[k];
    l->tasks[l->n] = t;
    l->dep_start[++l->n] = l->n_deps;
    return l->n - 1;
}

void mm_tasks_free(mm_task_list *l)
{
    free(l->tasks);
    free(l->dep_start);
    free(l->deps);
    memset(l, 0, sizeof *l);
}

/* ------------------------------------------------------------ the fit */

static uint32_t all_blocks(size_t nb)
{
    return nb >= 32 ? 0xffffffffu : (1u << nb) - 1u;
}

mm_status mm_pl_fit_init(mm_pl_fit *f, const mm_pipeline_params *p, const mm_schema *s, const mm_table *t,
                         const mm_run *run, const mm_pl_settings *set, const size_t *rows, const int32_t *y,
                         size_t n, size_t n_classes, const mm_fit_spec *spec, mm_error *err)
{
    memset(f, 0, sizeof *f);
    f->s = s;
    f->t = t;
    f->run = run;
    f->set = set;
    f->rows = rows;
    f->y = y;
    f->n = n;
    f->spec = *spec;
    mm_pipeline *m = f->m = mm_pipeline_alloc();
    if (!m) return mm_error_set(err, MM_ENOMEM, "out of memory");
    m->params = *p;
    m->params.progress = NULL;
    m->params.progress_user = NULL;
    m->n_classes = n_classes;
    m->prior = calloc(n_classes + 1, sizeof *m->prior);
    if (!m->prior) return mm_error_set(err, MM_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) m->prior[y[i]] += 1.0 / (double)n;
    mm_status st = mm_pl_plan(m, s, set, err);
    if (st) return st;
    size_t nb = m->n_blocks, K = n_classes;
    bool models = spec->early || spec->singles || spec->n_subsets || spec->weights || spec->stacker;
    if (models && p->balanced) {
        f->w = mm_alloc_array(n ? n : 1, sizeof *f->w);
        if (!f->w) return mm_error_set(err, MM_ENOMEM, "out of memory");
        st = mm_class_weights_balanced(y, n, K, f->w, err);
        if (st) return st;
    }
    if (spec->n_subsets) {
        f->subset_models = calloc(spec->n_subsets, sizeof *f->subset_models);
        if (!f->subset_models) return mm_error_set(err, MM_ENOMEM, "out of memory");
    }
    if (spec->singles || spec->weights || spec->stacker) {
        m->single = calloc(nb, sizeof *m->single);
        if (!m->single) return mm_error_set(err, MM_ENOMEM, "out of memory");
    }
    if (spec->weights) {
        m->late_w = calloc(nb, sizeof *m->late_w);
        if (!m->late_w) return mm_error_set(err, MM_ENOMEM, "out of memory");
        if (!set->auto_weights) memcpy(m->late_w, set->weight, nb * sizeof *m->late_w);
    }
    if ((spec->weights && set->auto_weights) || spec->stacker) {
        size_t folds = p->inner_folds;
        f->inner_fold = mm_alloc_array(n ? n : 1, sizeof *f->inner_fold);
        if (!f->inner_fold) return mm_error_set(err, MM_ENOMEM, "out of memory");
        st = mm_stratified_kfold(y, n, folds, true, p->seed, f->inner_fold, NULL, err);
        if (st) {
            mm_error_prefix(err, "inner cross-validation of late fusion (%zu folds)", folds);
            return st;
        }
        f->n_inner = folds;
        for (size_t b = 0; b < nb; b++) {
            f->oof[b] = mm_calloc_array(n * K + 1, sizeof **f->oof);
            f->present[b] = calloc(n + 1, 1);
            if (!f->oof[b] || !f->present[b]) return mm_error_set(err, MM_ENOMEM, "out of memory");
        }
    }
    return MM_OK;
}

mm_status mm_pl_fit_tasks(const mm_pl_fit *f, mm_task_list *l, uint16_t fold, const size_t *pre_task, mm_error *err)
{
    size_t nb = f->m->n_blocks, block_task[MM_XMAT_MAX_PARTS], deps[MM_XMAT_MAX_PARTS];
    mm_pl_task t = {.fold = fold};
#define ADD(...)                                                                      \
    do {                                                                              \
        if (mm_tasks_add(l, t, __VA_ARGS__) == SIZE_MAX)                              \
            return mm_error_set(err, MM_ENOMEM, "out of memory (task list)");         \
    } while (0)
    for (size_t b = 0; b < nb; b++) {
        t.kind = MM_TASK_BLOCK;
        t.block = (uint8_t)b;
        block_task[b] = mm_tasks_add(l, t, &pre_task[b], 1);
        if (block_task[b] == SIZE_MAX) return mm_error_set(err, MM_ENOMEM, "out of memory (task list)");
    }
    /* models: early fusion, then each block, then the subsets */
    t.kind = MM_TASK_MODEL;
    size_t n_models = (f->spec.early ? 1 : 0) + nb + f->spec.n_subsets;
    for (size_t k = 0; k < n_models; k++) {
        t.block = 0;
        t.inner = 0;
        if (f->spec.early && k == 0) {
            t.model = MM_MODEL_EARLY;
            t.mask = all_blocks(nb);
        } else if (k < (f->spec.early ? 1 : 0) + nb) {
            size_t b = k - (f->spec.early ? 1 : 0);
            if (!(f->spec.singles >> b & 1u)) continue;
            t.model = MM_MODEL_SINGLE;
            t.block = (uint8_t)b;
            t.mask = 1u << b;
        } else {
            t.model = MM_MODEL_SUBSET;
            t.inner = (uint16_t)(k - (f->spec.early ? 1 : 0) - nb);
            t.mask = f->spec.subsets[t.inner];
        }
        size_t nd = 0;
        for (size_t b = 0; b < nb; b++)
            if (t.mask >> b & 1u) deps[nd++] = block_task[b];
        ADD(deps, nd);
    }
    t.model = 0;
    t.mask = 0;
    if (f->n_inner) {
        size_t first = l->n;
        t.kind = MM_TASK_INNER;
        for (size_t j = 0; j < f->n_inner; j++)
            for (size_t b = 0; b < nb; b++) {
                t.inner = (uint16_t)j;
                t.block = (uint8_t)b;
                ADD(&pre_task[b], 1);
            }
        t.kind = MM_TASK_LATE;
        t.inner = 0;
        t.block = 0;
        size_t count = l->n - first, *inner = mm_alloc_array(count, sizeof *inner);
        if (!inner) return mm_error_set(err, MM_ENOMEM, "out of memory (task list)");
        for (size_t k = 0; k < count; k++) inner[k] = first + k;
        size_t at = mm_tasks_add(l, t, inner, count);
        free(inner);
        if (at == SIZE_MAX) return mm_error_set(err, MM_ENOMEM, "out of memory (task list)");
    }
#undef ADD
    return MM_OK;
}

/* BLOCK b: fit on the training rows; transform the apply rows. */
static mm_status run_block(mm_pl_fit *f, size_t b, const mm_run *run, mm_error *err)
{
    mm_status st = mm_pl_fit_block(f->m, b, f->s, f->t, f->rows, f->n, run, &f->train[b], &f->rep_fit[b], err);
    if (!st && f->spec.apply)
        st = mm_pl_transform_block(f->m, b, f->t, f->spec.apply, f->spec.n_apply, run, &f->test[b], &f->rep_apply[b],
                                   err);
    return st;
}

static mm_status run_model(mm_pl_fit *f, const mm_pl_task *task, int n_threads, mm_error *err)
{
    mm_pipeline *m = f->m;
    size_t removed = 0, b = task->block;
    mm_status st;
    switch (task->model) {
    case MM_MODEL_EARLY:
        st = mm_pl_fit_subset(m, f->train, task->mask, f->n, f->y, f->w, n_threads, &m->early, &removed, err);
        if (st) mm_error_prefix(err, "early fusion model");
        f->removed_early = removed;
        return st;
    case MM_MODEL_SINGLE:
        st = mm_pl_fit_subset(m, f->train, task->mask, f->n, f->y, f->w, n_threads, &m->single[b], &removed, err);
        if (st) mm_error_prefix(err, "model of block '%s'", m->blocks[b].name);
        f->removed_single[b] = removed;
        return st;
    default:
        return mm_pl_fit_subset(m, f->train, task->mask, f->n, f->y, f->w, n_threads,
                                &f->subset_models[task->inner], &removed, err);
    }
}

/* INNER j,b: block b refit on the rows outside inner fold j, its model's
 * probabilities for the rows of fold j. */
static mm_status run_inner(mm_pl_fit *f, size_t j, size_t b, const mm_run *run, mm_error *err)
{
    size_t n = f->n, K = f->m->n_classes, ntr = 0, nte = 0;
    size_t *tr = mm_alloc_array(n + 1, sizeof *tr), *te = mm_alloc_array(n + 1, sizeof *te);
    size_t *at = mm_alloc_array(n + 1, sizeof *at);
    int32_t *ytr = mm_alloc_array(n + 1, sizeof *ytr);
    double *w = NULL, *proba = NULL;
    mm_block btr[MM_XMAT_MAX_PARTS], bte[MM_XMAT_MAX_PARTS];
    memset(&btr[b], 0, sizeof btr[b]);
    memset(&bte[b], 0, sizeof bte[b]);
    mm_logreg *model = NULL;
    mm_pipeline *m = mm_pipeline_alloc();
    mm_status st = MM_OK;
    if (!tr || !te || !at || !ytr || !m) st = mm_error_set(err, MM_ENOMEM, "out of memory");
    for (size_t i = 0; i < n && !st; i++) {
        if (f->inner_fold[i] == (int32_t)j) {
            at[nte] = i;
            te[nte++] = f->rows[i];
        } else {
            ytr[ntr] = f->y[i];
            tr[ntr++] = f->rows[i];
        }
    }
    if (!st) {
        m->params = f->m->params;
        m->params.fusion = MM_FUSION_LATE_AVERAGE;
        m->n_classes = K;
        proba = mm_alloc_array(nte * K + 1, sizeof *proba);
        if (!proba) st = mm_error_set(err, MM_ENOMEM, "out of memory");
    }
    if (!st && m->params.balanced) {
        w = mm_alloc_array(ntr + 1, sizeof *w);
        st = w ? mm_class_weights_balanced(ytr, ntr, K, w, err) : mm_error_set(err, MM_ENOMEM, "out of memory");
    }
    if (!st) st = mm_pl_plan(m, f->s, f->set, err);
    if (!st) st = mm_pl_fit_block(m, b, f->s, f->t, tr, ntr, run, &btr[b], NULL, err);
    if (!st) st = mm_pl_transform_block(m, b, f->t, te, nte, run, &bte[b], NULL, err);
    size_t removed;
    if (!st) {
        st = mm_pl_fit_subset(m, btr, 1u << b, ntr, ytr, w, run->n_threads, &model, &removed, err);
        if (st) mm_error_prefix(err, "model of block '%s'", m->blocks[b].name);
    }
    if (!st) st = mm_pl_predict_subset(m, model, bte, 1u << b, nte, proba, err);
    for (size_t i = 0; i < nte && !st; i++) {
        memcpy(f->oof[b] + at[i] * K, proba + i * K, K * sizeof *proba);
        f->present[b][at[i]] = bte[b].present[i];
    }
    if (st) mm_error_prefix(err, "inner fold %zu of %zu", j + 1, f->n_inner);
    mm_logreg_free(model);
    mm_block_free(&btr[b]);
    mm_block_free(&bte[b]);
    mm_pipeline_free(m);
    free(tr);
    free(te);
    free(at);
    free(ytr);
    free(w);
    free(proba);
    return st;
}

mm_status mm_pl_fit_run(mm_pl_fit *f, const mm_pl_task *task, int n_threads, mm_error *err)
{
    mm_run run = *f->run;
    run.n_threads = n_threads;
    switch (task->kind) {
    case MM_TASK_BLOCK: return run_block(f, task->block, &run, err);
    case MM_TASK_MODEL: return run_model(f, task, n_threads, err);
    case MM_TASK_INNER: return run_inner(f, task->inner, task->block, &run, err);
    case MM_TASK_LATE:
        return mm_pl_fit_late(f->m, f->set, (const double *const *)f->oof, (const uint8_t *const *)f->present, f->y,
                              f->n, f->spec.weights, f->spec.stacker, n_threads, err);
    default: return mm_error_set(err, MM_EINVAL, "task kind %d is not part of a fit", task->kind);
    }
}

void mm_pl_fit_report(const mm_pl_fit *f, mm_data_report *rep)
{
    size_t nb = f->m ? f->m->n_blocks : 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t b = 0; b < nb; b++) {
            const mm_data_report *r = pass ? &f->rep_apply[b] : &f->rep_fit[b];
            rep->numeric_unparsable += r->numeric_unparsable;
            rep->unseen_categories += r->unseen_categories;
            rep->files_failed += r->files_failed;
            rep->files_cached += r->files_cached;
            if (r->file_error[0] && !rep->file_error[0])
                memcpy(rep->file_error, r->file_error, sizeof rep->file_error);
            rep->cache_damaged += r->cache_damaged;
            rep->files_outside_root += r->files_outside_root;
            if (r->outside_root_error[0] && !rep->outside_root_error[0])
                memcpy(rep->outside_root_error, r->outside_root_error, sizeof rep->outside_root_error);
        }
    if (f->spec.early) {
        rep->rows_removed += f->removed_early;
    } else {
        for (size_t b = 0; b < nb; b++) rep->rows_removed += f->removed_single[b];
    }
}

static void drop_blocks(mm_pl_fit *f)
{
    for (size_t b = 0; b < MM_XMAT_MAX_PARTS; b++) {
        mm_block_free(&f->train[b]);
        mm_block_free(&f->test[b]);
    }
}

void mm_pl_fit_free(mm_pl_fit *f)
{
    drop_blocks(f);
    for (size_t k = 0; f->subset_models && k < f->spec.n_subsets; k++) mm_logreg_free(f->subset_models[k]);
    free(f->subset_models);
    for (size_t b = 0; b < MM_XMAT_MAX_PARTS; b++) {
        free(f->oof[b]);
        free(f->present[b]);
    }
    free(f->inner_fold);
    free(f->w);
    mm_pipeline_free(f->m);
    memset(f, 0, sizeof *f);
}
