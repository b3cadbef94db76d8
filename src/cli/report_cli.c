/* What evaluate, analyze and score share for their outputs: the notes of a
 * run, the per-model metrics in JSON, and the HTML report (--report). */
#include "cli/cli.h"

#include "mmfuse/eval.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *mm_cli_source_name(mm_role_source s)
{
    return s == MM_SRC_FLAG ? "flag" : s == MM_SRC_CONFIG ? "config" : "inferred";
}

size_t mm_cli_notes(const mm_data_report *r, const char *what, mm_cli_note *notes, size_t max)
{
    size_t n = 0;
#define ADD(level, ...) \
    do { \
        if (n < max) { \
            notes[n].warning = level; \
            snprintf(notes[n++].text, sizeof notes[0].text, __VA_ARGS__); \
        } \
    } while (0)
#define NOTE(...) ADD(false, __VA_ARGS__)
    if (r->rows_no_target)
        NOTE("%zu of %zu rows have no target value and were skipped for %s", r->rows_no_target, r->rows_total, what);
    if (r->numeric_unparsable)
        NOTE("%zu numeric cells were not numbers and were treated as missing", r->numeric_unparsable);
    if (r->files_failed)
        NOTE("%zu files could not be used; those rows lack that modality (first: %s)", r->files_failed, r->file_error);
    if (r->files_outside_root)
        NOTE("%zu media paths lie outside --media-root and were not read (first: %s)", r->files_outside_root,
             r->outside_root_error);
    if (r->cache_damaged)
        NOTE("cache: %zu damaged entries recomputed (bad checksum, size, version or value) and rewritten",
             r->cache_damaged);
    if (r->rows_no_modality)
        NOTE("%zu rows had no modality present; late fusion gave them the class prior", r->rows_no_modality);
    if (r->small_class_count) {
        char more[96] = "";
        if (r->small_classes > 1)
            snprintf(more, sizeof more, "; %zu classes have fewer than %zu members", r->small_classes,
                     r->small_class_folds);
        ADD(true, "the least populated class in the target, '%s', has only %zu member%s, which is less than n_splits=%zu "
             "(%s)%s",
             r->small_class, r->small_class_count, r->small_class_count == 1 ? "" : "s", r->small_class_folds,
             r->small_class_inner ? "--inner-folds, the inner cross-validation of late fusion" : "--folds", more);
    }
#undef NOTE
#undef ADD
    return n;
}

cJSON *mm_cli_json_metrics(const int32_t *y, const int32_t *pred, const double *proba, size_t n, size_t K,
                           char *const *classes)
{
    mm_metrics m = {0};
    if (mm_metrics_compute(y, pred, proba, n, K, &m, NULL) != MM_OK) return NULL;
    cJSON *o = cJSON_CreateObject();
    cJSON *cm = cJSON_AddArrayToObject(o, "confusion");
    for (size_t t = 0; t < K; t++) {
        cJSON *row = cJSON_CreateArray();
        for (size_t p = 0; p < K; p++) cJSON_AddItemToArray(row, cJSON_CreateNumber((double)m.confusion[t * K + p]));
        cJSON_AddItemToArray(cm, row);
    }
    cJSON *pc = cJSON_AddArrayToObject(o, "per_class");
    for (size_t k = 0; k < K; k++) {
        cJSON *c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "class", classes[k]);
        cJSON_AddNumberToObject(c, "precision", m.precision[k]);
        cJSON_AddNumberToObject(c, "recall", m.recall[k]);
        cJSON_AddNumberToObject(c, "f1", m.f1[k]);
        cJSON_AddNumberToObject(c, "support", (double)m.support[k]);
        cJSON_AddItemToArray(pc, c);
    }
    if (K == 2 && proba) {
        double *score = mm_alloc_array(n ? n : 1, sizeof *score);
        if (score) {
            for (size_t i = 0; i < n; i++) score[i] = proba[2 * i + 1];
            double auc = mm_roc_auc(y, score, n);
            if (auc == auc) cJSON_AddNumberToObject(o, "roc_auc", auc);
            free(score);
        }
    }
    mm_metrics_free(&m);
    return o;
}

int mm_cli_write_report(const mm_cli *c, const mm_schema *s, const mm_eval_result *r, const mm_report_pair *pairs,
                        size_t n_pairs, const char *what)
{
    if (!c->report) return 0;
    mm_report_model *models = calloc(r->n_results ? r->n_results : 1, sizeof *models);
    mm_report_block *blocks = calloc(r->n_blocks ? r->n_blocks : 1, sizeof *blocks);
    mm_report_column *cols = calloc(s->n_cols ? s->n_cols : 1, sizeof *cols);
    mm_cli_note notes[8];
    const char *note_ptr[8];
    mm_error err = {0};
    mm_status st = models && blocks && cols ? MM_OK : mm_error_set(&err, MM_ENOMEM, "out of memory");
    if (!st) {
        for (size_t i = 0; i < r->n_results; i++)
            models[i] = (mm_report_model){r->results[i].name, r->results[i].dims, r->results[i].fold_acc,
                                          r->results[i].oof_pred, r->results[i].oof_proba};
        for (size_t b = 0; b < r->n_blocks; b++)
            blocks[b] = (mm_report_block){r->block_names[b], mm_modality_name(r->block_modality[b]),
                                          r->block_model_dims[b]};
        for (size_t j = 0; j < s->n_cols; j++)
            cols[j] = (mm_report_column){s->cols[j].name, mm_role_name(s->cols[j].role),
                                         mm_cli_source_name(s->cols[j].source), s->cols[j].why};
        size_t nn = mm_cli_notes(&r->report, what, notes, 8);
        for (size_t k = 0; k < nn; k++) note_ptr[k] = notes[k].text;
        char title[600], method[200];
        const char *base = strrchr(c->positional[0], '/');
        snprintf(title, sizeof title, "%s %s", c->command, base && base[1] ? base + 1 : c->positional[0]);
        snprintf(method, sizeof method, "%zu-fold stratified cross-validation, seed %u, logistic regression (C=%g)",
                 r->n_folds, c->eval.pipeline.seed, c->eval.pipeline.logreg.C);
        long best = r->best_fusion >= 0 && (r->best_single < 0 || r->results[r->best_fusion].acc_mean >
                                                                   r->results[r->best_single].acc_mean)
                        ? r->best_fusion
                        : r->best_single;
        mm_report rep = {.title = title,
                         .method = method,
                         .target = s->cols[s->target_col].name,
                         .n_rows = r->n_rows,
                         .n_classes = r->n_classes,
                         .n_folds = r->n_folds,
                         .classes = (const char *const *)r->classes,
                         .y = r->y,
                         .models = models,
                         .n_models = r->n_results,
                         .best = best,
                         .blocks = blocks,
                         .n_blocks = r->n_blocks,
                         .columns = cols,
                         .n_columns = s->n_cols,
                         .pairs = pairs,
                         .n_pairs = n_pairs,
                         .notes = note_ptr,
                         .n_notes = nn};
        st = mm_report_write_html(&rep, c->report, &err);
    }
    free(models);
    free(blocks);
    free(cols);
    if (st) return mm_cli_fail(st, &err);
    if (!c->quiet) fprintf(stderr, "mmfuse: wrote the report to %s\n", c->report);
    return 0;
}
