/* Steps shared by the subcommands: reading the CSV, building the schema,
 * reporting data problems, writing a pipeline config. */
#include "cli/cli.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

int mm_cli_read_table(const mm_cli *c, const char *path, mm_table **t)
{
    mm_csv_params cp = mm_csv_params_default();
    cp.delimiter = c->delimiter;
    mm_error err = {0};
    mm_status st = mm_table_read_csv(path, cp, t, &err);
    return st ? mm_cli_fail(st, &err) : 0;
}

int mm_cli_schema(const mm_cli *c, const mm_table *t, mm_schema **s)
{
    mm_schema_request req = {0};
    req.target = c->target;
    req.names = c->names;
    req.roles = c->roles;
    req.sources = c->sources;
    req.groups = c->groups;
    req.n_names = c->n_names;
    req.infer_rest = !c->no_infer;
    mm_error err = {0};
    mm_status st = mm_schema_resolve(t, &req, s, &err);
    if (st) return mm_cli_fail(st, &err);
    if (!c->quiet) {
        for (size_t j = 0; j < (*s)->n_cols; j++) {
            mm_role r = (*s)->cols[j].role;
            if ((r == MM_ROLE_IMAGE || r == MM_ROLE_AUDIO || r == MM_ROLE_VIDEO) && !mm_file_encoder_available(r))
                fprintf(stderr, "mmfuse: note: column '%s' looks like %s files; this build has no %s encoder yet, so it is not used\n",
                        (*s)->cols[j].name, mm_role_name(r), mm_role_name(r));
        }
    }
    return 0;
}

void mm_cli_report(const mm_cli *c, const mm_data_report *r, const char *what)
{
    if (c->quiet) return;
    if (r->rows_no_target)
        fprintf(stderr, "mmfuse: note: %zu of %zu rows have no target value and were skipped for %s\n",
                r->rows_no_target, r->rows_total, what);
    if (r->numeric_unparsable)
        fprintf(stderr, "mmfuse: note: %zu numeric cells were not numbers and were treated as missing\n",
                r->numeric_unparsable);
    if (r->files_failed)
        fprintf(stderr, "mmfuse: note: %zu files could not be used; those rows lack that modality (first: %s)\n",
                r->files_failed, r->file_error);
    if (r->files_outside_root)
        fprintf(stderr, "mmfuse: note: %zu media paths lie outside --media-root and were not read (first: %s)\n",
                r->files_outside_root, r->outside_root_error);
    if (r->cache_damaged)
        fprintf(stderr, "mmfuse: note: cache: %zu damaged entries recomputed (bad checksum, size, version or "
                "value) and rewritten\n", r->cache_damaged);
    if (r->rows_no_modality)
        fprintf(stderr, "mmfuse: note: %zu rows had no modality present; late fusion gave them the class prior\n",
                r->rows_no_modality);
    if (r->small_class_count) {
        fprintf(stderr,
                "mmfuse: warning: the least populated class in the target, '%s', has only %zu member%s, which is "
                "less than n_splits=%zu (%s)",
                r->small_class, r->small_class_count, r->small_class_count == 1 ? "" : "s", r->small_class_folds,
                r->small_class_inner ? "--inner-folds, the inner cross-validation of late fusion" : "--folds");
        if (r->small_classes > 1)
            fprintf(stderr, "; %zu classes have fewer than %zu members", r->small_classes, r->small_class_folds);
        fprintf(stderr, "\n");
    }
}

int mm_cli_write_config(const mm_cli *c, const mm_schema *s)
{
    if (!c->save_config) return 0;
    cJSON *j = cJSON_CreateObject();
    if (s->target_col >= 0) cJSON_AddStringToObject(j, "target", s->cols[s->target_col].name);
    cJSON *cols = cJSON_AddObjectToObject(j, "columns");
    cJSON *groups = cJSON_AddObjectToObject(j, "groups");
    for (size_t k = 0; k < s->n_cols; k++) {
        if ((long)k == s->target_col) continue;
        if (s->cols[k].group[0]) {
            cJSON *g = cJSON_GetObjectItemCaseSensitive(groups, s->cols[k].group);
            if (!g) g = cJSON_AddArrayToObject(groups, s->cols[k].group);
            cJSON_AddItemToArray(g, cJSON_CreateString(s->cols[k].name));
        } else {
            cJSON_AddStringToObject(cols, s->cols[k].name, mm_role_name(s->cols[k].role));
        }
    }
    cJSON_AddBoolToObject(j, "infer_rest", false);
    char *text = cJSON_Print(j);
    cJSON_Delete(j);
    if (!text) return mm_cli_fail(MM_ENOMEM, NULL);
    size_t len = strlen(text);
    text[len] = '\n';
    mm_error err = {0};
    mm_status st = mm_write_file_atomic(c->save_config, text, len + 1, &err);
    cJSON_free(text);
    if (st) return mm_cli_fail(st, &err);
    if (!c->quiet) fprintf(stderr, "mmfuse: wrote the schema to %s (use it with --config)\n", c->save_config);
    return 0;
}
