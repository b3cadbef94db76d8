/* mmfuse train / predict / inspect: one model file in, predictions out. */
#include "cli/cli.h"

#include "io/atomic.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

static int parse_fusion(const char *s, mm_pipeline_params *p)
{
    if (!s || strcmp(s, "early") == 0) {
        p->fusion = MM_FUSION_EARLY;
    } else if (strcmp(s, "late") == 0 || strcmp(s, "late:average") == 0) {
        p->fusion = MM_FUSION_LATE_AVERAGE;
    } else if (strcmp(s, "late:weighted") == 0) {
        p->fusion = MM_FUSION_LATE_WEIGHTED;
    } else if (strcmp(s, "late:stacked") == 0) {
        p->fusion = MM_FUSION_LATE_STACKED;
    } else if (strncmp(s, "single:", 7) == 0 && s[7]) {
        p->fusion = MM_FUSION_SINGLE;
        snprintf(p->single, sizeof p->single, "%s", s + 7);
    } else {
        fprintf(stderr, "mmfuse train: --fusion '%s' (use early, late:average, late:weighted, late:stacked or single:BLOCK)\n", s);
        return MM_EXIT_USAGE;
    }
    return 0;
}

int mm_cmd_train(mm_cli *c)
{
    if (c->n_positional != 1 || !c->output || !c->target) {
        fprintf(stderr, "mmfuse train: need DATA.csv, --target COL and -o MODEL.mmf\n");
        mm_cli_usage(stderr, "train");
        return MM_EXIT_USAGE;
    }
    mm_pipeline_params p = c->eval.pipeline;
    int rc = parse_fusion(c->fusion, &p);
    if (rc) return rc;
    /* The model file is reserved before the work, so that an unwritable
     * destination fails now; the model is saved over the reserved temporary
     * file and renamed into place at the end (see io/atomic.h). */
    mm_io_atomic out;
    mm_error oerr = {0};
    mm_status ost = mm_io_atomic_open(&out, c->output, &oerr);
    if (ost) return mm_cli_fail(ost, &oerr);
    mm_table *t = NULL;
    mm_schema *s = NULL;
    rc = mm_cli_read_table(c, c->positional[0], &t);
    if (!rc) rc = mm_cli_schema(c, t, &s);
    if (!rc) rc = mm_cli_write_config(c, s);
    mm_pipeline *m = NULL;
    mm_error err = {0};
    mm_data_report rep = {0};
    mm_progress_bar bar;
    mm_progress_bar_init(&bar, c->progress && !c->quiet);
    p.progress = mm_progress_bar_update;
    p.progress_user = &bar;
    mm_status st = MM_OK;
    if (!rc) st = mm_pipeline_fit(&p, s, t, NULL, 0, &m, &rep, &err);
    mm_progress_bar_finish(&bar);
    if (!rc && st) rc = mm_cli_fail(st, &err);
    if (!rc) {
        mm_cli_report(c, &rep, "training");
        st = mm_pipeline_save(m, out.tmp, &err);
        if (st) mm_cli_error_rename(&err, out.tmp, c->output);
        if (!st) st = mm_io_atomic_commit(&out, &err);
        if (st) rc = mm_cli_fail(st, &err);
    }
    if (!rc && !c->quiet) {
        char *d = mm_pipeline_describe(m);
        if (d) fprintf(stderr, "%s", d);
        free(d);
        fprintf(stderr, "mmfuse: wrote %s\n", c->output);
    }
    mm_io_atomic_abort(&out); /* removes the reserved file unless committed */
    mm_pipeline_free(m);
    mm_schema_free(s);
    mm_table_free(t);
    return rc;
}

/* ------------------------------------------------------------ CSV writing */

typedef struct sbuf {
    char *p;
    size_t len, cap;
    bool oom;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n)
{
    if (b->oom) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1) cap *= 2;
        char *np = realloc(b->p, cap);
        if (!np) {
            b->oom = true;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static void sb_str(sbuf *b, const char *s) { sb_put(b, s, strlen(s)); }

/* A CSV field, quoted when it holds the delimiter, a quote or a line break. */
static void sb_field(sbuf *b, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        sb_str(b, s);
        return;
    }
    sb_put(b, "\"", 1);
    for (const char *q = s; *q; q++) {
        if (*q == '"') sb_put(b, "\"", 1);
        sb_put(b, q, 1);
    }
    sb_put(b, "\"", 1);
}

static long id_column(const mm_pipeline *m, const mm_table *t)
{
    /* the first column the model saw as an identifier, if the new file has it */
    for (size_t k = 0; k < mm_pipeline_n_columns(m); k++) {
        mm_role r;
        const char *name = mm_pipeline_column(m, k, &r);
        long j = r == MM_ROLE_ID ? mm_table_find_col(t, name) : -1;
        if (j >= 0) return j;
    }
    return -1;
}

/* Whether `name` is one of predict's own output columns: "prediction", or
 * "proba_<class>" when probabilities are written. */
static bool is_output_column(const mm_pipeline *m, const char *name, bool proba)
{
    if (strcmp(name, "prediction") == 0) return true;
    if (!proba || strncmp(name, "proba_", 6) != 0) return false;
    for (size_t k = 0; k < mm_pipeline_n_classes(m); k++)
        if (strcmp(name + 6, mm_pipeline_class(m, k)) == 0) return true;
    return false;
}

/* The header of predict's first column: the id column's name, written as
 * "id:<name>" when it clashes with an output column (an id column named
 * "prediction" must not give two "prediction" columns); "row" without an
 * id column. */
static void sb_id_header(sbuf *b, const mm_pipeline *m, const char *id_name, bool proba)
{
    if (!id_name) {
        sb_str(b, "row");
        return;
    }
    if (!is_output_column(m, id_name, proba)) {
        sb_field(b, id_name);
        return;
    }
    size_t n = strlen(id_name);
    char *renamed = malloc(n + 4);
    if (!renamed) {
        b->oom = true;
        return;
    }
    memcpy(renamed, "id:", 3);
    memcpy(renamed + 3, id_name, n + 1);
    sb_field(b, renamed);
    free(renamed);
}

/* Loads a model; a format-1 file gets a note that its header is unprotected. */
int mm_cli_load_model(const mm_cli *c, const char *path, mm_pipeline **m)
{
    mm_error err = {0};
    mm_status st = mm_pipeline_load(path, m, &err);
    /* media paths of this run are confined as --media-root says */
    if (!st) st = mm_pipeline_set_media_root(*m, c->eval.pipeline.media_root, &err);
    if (st) {
        mm_pipeline_free(*m);
        *m = NULL;
        return mm_cli_fail(st, &err);
    }
    if (mm_pipeline_format(*m) == 1 && !c->quiet)
        fprintf(stderr, "mmfuse: note: %s is a format-1 model file: its checksum covers the tensor data only, "
                        "so its header is not protected (retrain to write format %d)\n",
                path, MM_MODEL_FORMAT_VERSION);
    return 0;
}

int mm_cmd_predict(mm_cli *c)
{
    if (c->n_positional != 2) {
        fprintf(stderr, "mmfuse predict: need MODEL.mmf and NEW.csv\n");
        mm_cli_usage(stderr, "predict");
        return MM_EXIT_USAGE;
    }
    mm_error err = {0};
    mm_pipeline *m = NULL;
    int rc = mm_cli_load_model(c, c->positional[0], &m);
    if (rc) return rc;
    mm_status st;
    mm_table *t = NULL;
    rc = mm_cli_read_table(c, c->positional[1], &t);
    if (rc) {
        mm_pipeline_free(m);
        return rc;
    }
    if (!c->quiet) {
        for (size_t k = 0; k < mm_pipeline_n_columns(m); k++) {
            mm_role r;
            const char *name = mm_pipeline_column(m, k, &r);
            bool used = r == MM_ROLE_NUMERIC || r == MM_ROLE_CATEGORICAL || r == MM_ROLE_TEXT;
            if (used && mm_table_find_col(t, name) < 0)
                fprintf(stderr, "mmfuse: note: input column '%s' is absent from %s; treated as missing in every row\n",
                        name, c->positional[1]);
        }
    }
    size_t n = mm_table_rows(t), K = mm_pipeline_n_classes(m);
    double *proba = mm_alloc_array(n * K + 1, sizeof *proba);
    mm_data_report rep = {0};
    st = proba ? mm_pipeline_predict(m, t, proba, &rep, &err) : mm_error_set(&err, MM_ENOMEM, "out of memory");
    if (st) {
        rc = mm_cli_fail(st, &err);
        goto done;
    }
    mm_cli_report(c, &rep, "prediction");
    if (!c->quiet && rep.unseen_categories)
        fprintf(stderr, "mmfuse: note: %zu categorical cells held categories unseen in training (encoded as unknown)\n",
                rep.unseen_categories);
    sbuf b = {0};
    long idc = id_column(m, t);
    sb_id_header(&b, m, idc >= 0 ? mm_table_col_name(t, (size_t)idc) : NULL, c->proba);
    sb_str(&b, ",prediction");
    if (c->proba)
        for (size_t k = 0; k < K; k++) {
            const char *cls = mm_pipeline_class(m, k);
            size_t cl = strlen(cls);
            char *name = malloc(cl + 7);
            if (!name) {
                b.oom = true;
                break;
            }
            memcpy(name, "proba_", 6);
            memcpy(name + 6, cls, cl + 1);
            sb_put(&b, ",", 1);
            sb_field(&b, name);
            free(name);
        }
    sb_put(&b, "\n", 1);
    for (size_t i = 0; i < n; i++) {
        char num[64];
        const double *p = proba + i * K;
        size_t best = 0;
        for (size_t k = 1; k < K; k++)
            if (p[k] > p[best]) best = k;
        const char *id = idc >= 0 ? mm_table_cell(t, i, (size_t)idc, NULL) : NULL;
        if (idc >= 0) sb_field(&b, id ? id : "");
        else {
            snprintf(num, sizeof num, "%zu", i + 1);
            sb_str(&b, num);
        }
        sb_put(&b, ",", 1);
        sb_field(&b, mm_pipeline_class(m, best));
        if (c->proba)
            for (size_t k = 0; k < K; k++) {
                snprintf(num, sizeof num, ",%.9g", p[k]);
                sb_str(&b, num);
            }
        sb_put(&b, "\n", 1);
    }
    if (b.oom) {
        rc = mm_cli_fail(mm_error_set(&err, MM_ENOMEM, "out of memory writing predictions"), &err);
    } else if (c->output && strcmp(c->output, "-") != 0) {
        st = mm_write_file_atomic(c->output, b.p, b.len, &err);
        if (st) rc = mm_cli_fail(st, &err);
        else if (!c->quiet) fprintf(stderr, "mmfuse: wrote %zu predictions to %s\n", n, c->output);
    } else if (fwrite(b.p, 1, b.len, stdout) != b.len || fflush(stdout) != 0) {
        rc = mm_cli_fail(mm_error_set(&err, MM_EIO, "cannot write predictions to stdout"), &err);
    }
    free(b.p);
done:
    free(proba);
    mm_table_free(t);
    mm_pipeline_free(m);
    return rc;
}

int mm_cmd_inspect(mm_cli *c)
{
    if (c->n_positional != 1) {
        mm_cli_usage(stderr, "inspect");
        return MM_EXIT_USAGE;
    }
    mm_error err = {0};
    mm_pipeline *m = NULL;
    int rc = mm_cli_load_model(c, c->positional[0], &m);
    if (rc) return rc;
    mm_status st = MM_OK;
    if (c->json) {
        mm_st_file *f = NULL;
        st = mm_st_open(c->positional[0], &f, &err);
        if (!st) {
            const char *h = mm_st_meta(f, "mmfuse.header");
            cJSON *j = h ? cJSON_Parse(h) : NULL;
            char *text = j ? cJSON_Print(j) : NULL;
            if (text) printf("%s\n", text);
            cJSON_free(text);
            cJSON_Delete(j);
            mm_st_close(f);
        }
    } else {
        char *d = mm_pipeline_describe(m);
        if (d) printf("%s", d);
        free(d);
        if (mm_pipeline_format(m) == 1)
            printf("model file: %s (format 1, valid, checksum ok; the checksum covers the tensor data only, "
                   "the header is not protected)\n",
                   c->positional[0]);
        else
            printf("model file: %s (format %d, valid, checksum ok; the SHA-256 checksum covers the whole file, "
                   "header included)\n",
                   c->positional[0], mm_pipeline_format(m));
    }
    mm_pipeline_free(m);
    return st ? mm_cli_fail(st, &err) : 0;
}
