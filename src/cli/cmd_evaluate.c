/* mmfuse evaluate: the comparison the whole tool is about — each modality
 * alone vs early vs late fusion, by stratified cross-validation. */
#include "cli/cli.h"

#include "io/atomic.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

static void print_schema(const mm_schema *s, const mm_eval_result *r)
{
    printf("schema:\n");
    for (size_t j = 0; j < s->n_cols; j++) {
        const mm_column_role *c = &s->cols[j];
        printf("  %-22s %-12s %s%s%s\n", c->name, mm_role_name(c->role), mm_cli_source_name(c->source),
               c->why[0] ? ": " : "", c->why);
    }
    size_t *count = calloc(r->n_classes, sizeof *count);
    printf("target '%s': %zu classes (", s->cols[s->target_col].name, r->n_classes);
    for (size_t i = 0; count && i < r->n_rows; i++) count[r->y[i]]++;
    for (size_t k = 0; k < r->n_classes; k++) printf("%s%s %zu", k ? ", " : "", r->classes[k], count ? count[k] : 0);
    printf(")\n\n");
    free(count);
}

static void print_table(const mm_eval_params *p, const mm_eval_result *r)
{
    size_t total = 0;
    for (size_t b = 0; b < r->n_blocks; b++) total += r->block_model_dims[b];
    printf("feature blocks (fitted on all rows):\n");
    for (size_t b = 0; b < r->n_blocks; b++) {
        printf("  %-22s %-8s %6zu features (%5.1f%% of total)", r->block_names[b],
               mm_modality_name(r->block_modality[b]), r->block_model_dims[b],
               total ? 100.0 * (double)r->block_model_dims[b] / (double)total : 0.0);
        if (r->block_model_dims[b] != r->block_dims[b])
            printf(", PCA from %zu keeping %.1f%% of the variance (mean over folds)", r->block_dims[b],
                   100.0 * r->block_pca_variance[b]);
        printf("\n");
    }
    printf("  %-22s %-8s %6zu features\n\n", "total", "", total);
    printf("%zu-fold stratified cross-validation (%s, seed %u) on %zu rows; logistic regression "
           "(C=%g, max_iter=%d%s); every encoder, scaler and model refit inside each training fold\n\n",
           r->n_folds, p->shuffle ? "shuffled" : "in order", p->pipeline.seed, r->n_rows, p->pipeline.logreg.C,
           p->pipeline.logreg.max_iter, p->pipeline.balanced ? ", balanced" : "");
    printf("%-38s %8s   %-15s  %8s  %8s\n", "model", "features", "accuracy", "macro-F1", "log loss");
    for (size_t i = 0; i < r->n_results; i++) {
        const mm_eval_row *row = &r->results[i];
        char acc[32];
        snprintf(acc, sizeof acc, "%.3f ± %.3f", row->acc_mean, row->acc_std);
        printf("%-38s %8zu   %-16s %8.3f  %8.3f\n", row->name, row->dims, acc, row->macro_f1, row->log_loss);
    }
    printf("\n");
    if (r->best_single >= 0) {
        const mm_eval_row *bs = &r->results[r->best_single];
        printf("best single modality: %s (accuracy %.3f)\n", bs->name, bs->acc_mean);
        if (r->best_fusion >= 0) {
            printf("fusion gain over it:");
            for (size_t i = 0; i < r->n_results; i++) {
                const mm_eval_row *row = &r->results[i];
                if (strcmp(row->kind, "single") == 0) continue;
                printf(" %s %+.3f;", row->kind, row->acc_mean - bs->acc_mean);
            }
            const mm_eval_row *bf = &r->results[r->best_fusion];
            printf(" best: %s\n", bf->name);
        } else {
            printf("(one block only: nothing to fuse)\n");
        }
    }
}

static void print_json(const mm_eval_params *p, const mm_schema *s, const mm_eval_result *r)
{
    cJSON *j = cJSON_CreateObject();
    cJSON *schema = cJSON_AddArrayToObject(j, "schema");
    for (size_t k = 0; k < s->n_cols; k++) {
        cJSON *c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "column", s->cols[k].name);
        cJSON_AddStringToObject(c, "role", mm_role_name(s->cols[k].role));
        cJSON_AddStringToObject(c, "source", mm_cli_source_name(s->cols[k].source));
        cJSON_AddStringToObject(c, "why", s->cols[k].why);
        cJSON_AddItemToArray(schema, c);
    }
    cJSON_AddStringToObject(j, "target", s->cols[s->target_col].name);
    cJSON *classes = cJSON_AddArrayToObject(j, "classes");
    for (size_t k = 0; k < r->n_classes; k++) cJSON_AddItemToArray(classes, cJSON_CreateString(r->classes[k]));
    cJSON_AddNumberToObject(j, "rows", (double)r->n_rows);
    cJSON_AddNumberToObject(j, "rows_skipped_no_target", (double)r->report.rows_no_target);
    cJSON_AddNumberToObject(j, "numeric_cells_unparsable", (double)r->report.numeric_unparsable);
    cJSON_AddNumberToObject(j, "folds", (double)r->n_folds);
    cJSON_AddNumberToObject(j, "seed", p->pipeline.seed);
    cJSON *blocks = cJSON_AddArrayToObject(j, "blocks");
    size_t total = 0;
    for (size_t b = 0; b < r->n_blocks; b++) total += r->block_model_dims[b];
    for (size_t b = 0; b < r->n_blocks; b++) {
        cJSON *c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "name", r->block_names[b]);
        cJSON_AddStringToObject(c, "modality", mm_modality_name(r->block_modality[b]));
        cJSON_AddNumberToObject(c, "dim", (double)r->block_model_dims[b]);
        cJSON_AddNumberToObject(c, "encoded_dim", (double)r->block_dims[b]);
        if (r->block_model_dims[b] != r->block_dims[b])
            cJSON_AddNumberToObject(c, "pca_explained_variance", r->block_pca_variance[b]);
        cJSON_AddNumberToObject(c, "share", total ? (double)r->block_model_dims[b] / (double)total : 0.0);
        cJSON_AddItemToArray(blocks, c);
    }
    cJSON *res = cJSON_AddArrayToObject(j, "results");
    for (size_t i = 0; i < r->n_results; i++) {
        const mm_eval_row *row = &r->results[i];
        cJSON *c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "model", row->name);
        cJSON_AddStringToObject(c, "kind", row->kind);
        cJSON_AddNumberToObject(c, "features", (double)row->dims);
        cJSON_AddNumberToObject(c, "accuracy_mean", row->acc_mean);
        cJSON_AddNumberToObject(c, "accuracy_std", row->acc_std);
        cJSON_AddItemToObject(c, "fold_accuracy", cJSON_CreateDoubleArray(row->fold_acc, (int)r->n_folds));
        cJSON_AddNumberToObject(c, "macro_f1", row->macro_f1);
        cJSON_AddNumberToObject(c, "weighted_f1", row->weighted_f1);
        cJSON_AddNumberToObject(c, "log_loss", row->log_loss);
        cJSON *met = mm_cli_json_metrics(r->y, row->oof_pred, row->oof_proba, r->n_rows, r->n_classes, r->classes);
        while (met && met->child) {
            const char *key = met->child->string;
            cJSON_AddItemToObject(c, key, cJSON_DetachItemViaPointer(met, met->child));
        }
        cJSON_Delete(met);
        cJSON_AddItemToArray(res, c);
    }
    if (r->best_single >= 0) {
        const mm_eval_row *bs = &r->results[r->best_single];
        cJSON_AddStringToObject(j, "best_single", bs->name);
        if (r->best_fusion >= 0) {
            const mm_eval_row *bf = &r->results[r->best_fusion];
            cJSON_AddStringToObject(j, "best_fusion", bf->name);
            cJSON_AddNumberToObject(j, "fusion_gain", bf->acc_mean - bs->acc_mean);
        }
    }
    char *text = cJSON_Print(j);
    if (text) printf("%s\n", text);
    cJSON_free(text);
    cJSON_Delete(j);
}

/* Out-of-fold probabilities: one line per (row, model), in the convention
 * of every CSV mmfuse writes: `row` is the 1-based data-row number in the
 * input file (the first line after the header is row 1; rows without a
 * target are absent), classes are written by name, and the probability
 * columns are proba_<class>. Written into the output reserved before the
 * evaluation; committed only whole. */
static int write_oof(mm_io_atomic *f, const mm_eval_result *r)
{
    mm_error err = {0};
    mm_status st = mm_io_atomic_printf(f, &err, "row,model,true,pred");
    for (size_t k = 0; k < r->n_classes && !st; k++) st = mm_io_atomic_printf(f, &err, ",proba_%s", r->classes[k]);
    if (!st) st = mm_io_atomic_printf(f, &err, "\n");
    for (size_t m = 0; m < r->n_results && !st; m++) {
        const mm_eval_row *row = &r->results[m];
        const char *key = strcmp(row->kind, "single") == 0 ? r->block_names[m] : row->kind;
        for (size_t i = 0; i < r->n_rows && !st; i++) {
            st = mm_io_atomic_printf(f, &err, "%zu,%s,%s,%s", r->rows[i] + 1, key, r->classes[r->y[i]],
                                     r->classes[row->oof_pred[i]]);
            for (size_t k = 0; k < r->n_classes && !st; k++)
                st = mm_io_atomic_printf(f, &err, ",%.17g", row->oof_proba[i * r->n_classes + k]);
            if (!st) st = mm_io_atomic_printf(f, &err, "\n");
        }
    }
    if (!st) st = mm_io_atomic_commit(f, &err);
    return st ? mm_cli_fail(st, &err) : 0;
}

int mm_cmd_evaluate(mm_cli *c)
{
    if (c->n_positional != 1) {
        mm_cli_usage(stderr, "evaluate");
        return MM_EXIT_USAGE;
    }
    if (!c->target) {
        fprintf(stderr, "mmfuse evaluate: --target COL is required (the column to predict)\n");
        return MM_EXIT_USAGE;
    }
    /* --save-oof is reserved first: an unwritable path fails before the work */
    mm_io_atomic oof = {.fd = -1, .slot = -1};
    mm_error oerr = {0};
    mm_status ost = c->save_oof ? mm_io_atomic_open(&oof, c->save_oof, &oerr) : MM_OK;
    if (ost) return mm_cli_fail(ost, &oerr);
    mm_table *t = NULL;
    mm_schema *s = NULL;
    int rc = mm_cli_read_table(c, c->positional[0], &t);
    if (!rc) rc = mm_cli_schema(c, t, &s);
    if (!rc) rc = mm_cli_write_config(c, s);
    if (rc) {
        mm_io_atomic_abort(&oof);
        mm_schema_free(s);
        mm_table_free(t);
        return rc;
    }
    mm_progress_bar bar;
    mm_progress_bar_init(&bar, c->progress && !c->quiet);
    c->eval.pipeline.progress = mm_progress_bar_update;
    c->eval.pipeline.progress_user = &bar;
    mm_eval_result r;
    mm_error err = {0};
    mm_status st = mm_evaluate(&c->eval, s, t, &r, &err);
    mm_progress_bar_finish(&bar);
    if (st) {
        rc = mm_cli_fail(st, &err);
    } else {
        mm_cli_report(c, &r.report, "evaluation");
        if (c->save_oof) rc = write_oof(&oof, &r);
        if (!rc) rc = mm_cli_write_report(c, s, &r, NULL, 0, "evaluation");
        if (!rc && c->json) {
            print_json(&c->eval, s, &r);
        } else if (!rc) {
            printf("mmfuse evaluate %s\n\n", c->positional[0]);
            print_schema(s, &r);
            print_table(&c->eval, &r);
        }
        mm_eval_result_free(&r);
    }
    mm_io_atomic_abort(&oof); /* nothing left to do after a commit */
    mm_schema_free(s);
    mm_table_free(t);
    return rc;
}
