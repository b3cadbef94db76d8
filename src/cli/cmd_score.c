/* mmfuse score: how good a trained model is on labelled rows it has not
 * seen (a hold-out file): accuracy, macro-F1, log loss, the confusion
 * matrix and the per-class report; --json and --report as evaluate has. */
#include "cli/cli.h"

#include "mmfuse/eval.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

/* The labelled rows: y[i] in [0, n_classes) for each scored row (rows[i]
 * in the table); labels the model never saw become extra classes after
 * the model's, so they count as errors and show in the matrix. */
typedef struct labels {
    char **classes;
    size_t n_classes, n_model_classes, n_unseen;
    size_t *rows;
    int32_t *y;
    size_t n;
} labels;

static void labels_free(labels *l)
{
    for (size_t k = l->n_model_classes; k < l->n_classes; k++) free(l->classes[k]);
    free(l->classes);
    free(l->rows);
    free(l->y);
}

static int read_labels(const mm_pipeline *m, const mm_table *t, size_t col, labels *l)
{
    size_t n = mm_table_rows(t), K = mm_pipeline_n_classes(m);
    l->n_model_classes = K;
    l->classes = mm_alloc_array(K + n + 1, sizeof *l->classes);
    l->rows = mm_alloc_array(n + 1, sizeof *l->rows);
    l->y = mm_alloc_array(n + 1, sizeof *l->y);
    if (!l->classes || !l->rows || !l->y) return mm_cli_fail(MM_ENOMEM, NULL);
    for (size_t k = 0; k < K; k++) l->classes[k] = (char *)mm_pipeline_class(m, k);
    l->n_classes = K;
    for (size_t i = 0; i < n; i++) {
        const char *v = mm_table_cell(t, i, col, NULL);
        if (!v || !*v) continue;
        size_t k = 0;
        while (k < l->n_classes && strcmp(l->classes[k], v) != 0) k++;
        if (k == l->n_classes) {
            l->classes[k] = strdup(v);
            if (!l->classes[k]) return mm_cli_fail(MM_ENOMEM, NULL);
            l->n_classes++;
            l->n_unseen++;
        }
        l->rows[l->n] = i;
        l->y[l->n++] = (int32_t)k;
    }
    return 0;
}

static void print_text(const mm_cli *c, const labels *l, const mm_metrics *met, size_t skipped)
{
    printf("mmfuse score %s %s\n\n", c->positional[0], c->positional[1]);
    printf("%zu labelled rows scored", l->n);
    if (skipped) printf(" (%zu rows without a label skipped)", skipped);
    printf("\n\naccuracy   %.4f\nmacro-F1   %.4f\nweighted-F1 %.4f\nlog loss   %.4f\n\n", met->accuracy,
           met->macro_f1, met->weighted_f1, met->log_loss);
    size_t K = l->n_classes, w = 8;
    for (size_t k = 0; k < K; k++)
        if (strlen(l->classes[k]) > w) w = strlen(l->classes[k]) > 24 ? 24 : strlen(l->classes[k]);
    printf("confusion matrix (rows: true class, columns: predicted)\n%*s", (int)w, "");
    for (size_t k = 0; k < K; k++) printf(" %*.*s", (int)w, (int)w, l->classes[k]);
    printf("\n");
    for (size_t t = 0; t < K; t++) {
        printf("%*.*s", (int)w, (int)w, l->classes[t]);
        for (size_t p = 0; p < K; p++) printf(" %*zu", (int)w, met->confusion[t * K + p]);
        printf("\n");
    }
    printf("\n");
}

int mm_cmd_score(mm_cli *c)
{
    mm_error err = {0};
    mm_pipeline *m = NULL;
    int rc = mm_cli_load_model(c, c->positional[0], &m);
    if (rc) return rc;
    mm_status st;
    mm_table *t = NULL;
    rc = mm_cli_read_table(c, c->positional[1], &t);
    labels l = {0};
    double *proba = NULL, *proba_all = NULL;
    int32_t *pred = NULL;
    mm_metrics met = {0};
    const char *target = c->target ? c->target : mm_pipeline_target(m);
    long col = rc ? -1 : mm_table_find_col(t, target);
    if (!rc && col < 0) {
        fprintf(stderr, "mmfuse score: %s has no column '%s' (the model's target; name another with --target COL)\n",
                c->positional[1], target);
        rc = MM_EXIT_DATA;
    }
    if (!rc) rc = read_labels(m, t, (size_t)col, &l);
    if (!rc && l.n == 0) {
        fprintf(stderr, "mmfuse score: %s: no row has a label in column '%s'\n", c->positional[1], target);
        rc = MM_EXIT_DATA;
    }
    size_t n = t ? mm_table_rows(t) : 0, K = mm_pipeline_n_classes(m), KK = l.n_classes;
    mm_data_report rep = {0};
    if (!rc) {
        proba_all = mm_alloc_array(n * K + 1, sizeof *proba_all);
        proba = mm_alloc_array(l.n * KK + 1, sizeof *proba);
        pred = mm_alloc_array(l.n + 1, sizeof *pred);
        st = proba_all && proba && pred ? mm_pipeline_predict(m, t, proba_all, &rep, &err)
                                        : mm_error_set(&err, MM_ENOMEM, "out of memory");
        if (st) rc = mm_cli_fail(st, &err);
    }
    if (!rc) {
        mm_cli_report(c, &rep, "scoring");
        for (size_t i = 0; i < l.n; i++) {
            const double *p = proba_all + l.rows[i] * K;
            size_t best = 0;
            for (size_t k = 0; k < KK; k++) proba[i * KK + k] = k < K ? p[k] : 0.0;
            for (size_t k = 1; k < K; k++)
                if (p[k] > p[best]) best = k;
            pred[i] = (int32_t)best;
        }
        if (l.n_unseen && !c->quiet)
            fprintf(stderr, "mmfuse: note: %zu label values the model was not trained on (first: '%s'); those rows "
                            "count as errors\n", l.n_unseen, l.classes[K]);
        st = mm_metrics_compute(l.y, pred, proba, l.n, KK, &met, &err);
        if (st) rc = mm_cli_fail(st, &err);
    }
    size_t skipped = n - l.n;
    if (!rc && c->report) {
        char title[600], method[64];
        const char *base = strrchr(c->positional[1], '/');
        snprintf(title, sizeof title, "score %s", base && base[1] ? base + 1 : c->positional[1]);
        snprintf(method, sizeof method, "held-out rows scored by %s", mm_fusion_name(mm_pipeline_get_params(m)->fusion));
        char name[160];
        snprintf(name, sizeof name, "model (%s)", mm_fusion_name(mm_pipeline_get_params(m)->fusion));
        mm_report_model model = {name, 0, NULL, pred, proba};
        size_t nc = mm_pipeline_n_columns(m);
        mm_report_column *cols = calloc(nc ? nc : 1, sizeof *cols);
        mm_cli_note notes[10] = {{0}};
        const char *np[10];
        size_t nn = mm_cli_notes(&rep, "scoring", notes, 8);
        if (skipped) snprintf(notes[nn++].text, sizeof notes[0].text, "%zu rows without a label were not scored", skipped);
        if (l.n_unseen)
            snprintf(notes[nn++].text, sizeof notes[0].text, "%zu label values the model was not trained on count as errors",
                     l.n_unseen);
        for (size_t k = 0; k < nn; k++) np[k] = notes[k].text;
        for (size_t j = 0; cols && j < nc; j++) {
            mm_role role;
            const char *cn = mm_pipeline_column(m, j, &role);
            cols[j] = (mm_report_column){cn, mm_role_name(role), "model", mm_table_find_col(t, cn) < 0 ? "absent from the file" : ""};
        }
        mm_report r = {.title = title, .method = method, .target = target, .n_rows = l.n, .n_classes = KK,
                       .classes = (const char *const *)l.classes, .y = l.y, .models = &model, .n_models = 1,
                       .best = -1, .columns = cols, .n_columns = cols ? nc : 0, .notes = np, .n_notes = nn};
        st = mm_report_write_html(&r, c->report, &err);
        free(cols);
        if (st) rc = mm_cli_fail(st, &err);
        else if (!c->quiet) fprintf(stderr, "mmfuse: wrote the report to %s\n", c->report);
    }
    if (!rc && c->json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "model", c->positional[0]);
        cJSON_AddStringToObject(j, "data", c->positional[1]);
        cJSON_AddStringToObject(j, "target", target);
        cJSON_AddNumberToObject(j, "rows", (double)l.n);
        cJSON_AddNumberToObject(j, "rows_skipped_no_label", (double)skipped);
        cJSON *cls = cJSON_AddArrayToObject(j, "classes");
        for (size_t k = 0; k < KK; k++) cJSON_AddItemToArray(cls, cJSON_CreateString(l.classes[k]));
        cJSON *un = cJSON_AddArrayToObject(j, "unseen_labels");
        for (size_t k = K; k < KK; k++) cJSON_AddItemToArray(un, cJSON_CreateString(l.classes[k]));
        cJSON_AddNumberToObject(j, "accuracy", met.accuracy);
        cJSON_AddNumberToObject(j, "macro_f1", met.macro_f1);
        cJSON_AddNumberToObject(j, "weighted_f1", met.weighted_f1);
        cJSON_AddNumberToObject(j, "log_loss", met.log_loss);
        cJSON *more = mm_cli_json_metrics(l.y, pred, proba, l.n, KK, l.classes);
        while (more && more->child) {
            const char *key = more->child->string;
            cJSON_AddItemToObject(j, key, cJSON_DetachItemViaPointer(more, more->child));
        }
        cJSON_Delete(more);
        char *text = cJSON_Print(j);
        if (text) printf("%s\n", text);
        cJSON_free(text);
        cJSON_Delete(j);
    } else if (!rc) {
        print_text(c, &l, &met, skipped);
        char *cr = NULL;
        if (mm_classification_report(l.y, pred, l.n, KK, (const char *const *)l.classes, 3, &cr, NULL) == MM_OK)
            printf("%s", cr);
        free(cr);
    }
    mm_metrics_free(&met);
    free(pred);
    free(proba);
    free(proba_all);
    labels_free(&l);
    mm_table_free(t);
    mm_pipeline_free(m);
    return rc;
}
