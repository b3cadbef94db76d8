/* Steps shared by the subcommands: reading the CSV, building the schema,
 * reporting data problems, writing a pipeline config. */
#include "cli/cli.h"

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

/* The field separator of a CSV whose --delimiter was not given: a comma
 * when the header line has one outside quotes; otherwise the most frequent
 * of semicolon, tab and '|'; a comma when it has none of them. Only a
 * regular file is looked at (a pipe cannot be read twice). */
static char sniff_delimiter(const char *path, bool *detected)
{
    *detected = false;
    struct stat st;
    if (strcmp(path, "-") == 0 || stat(path, &st) != 0 || !S_ISREG(st.st_mode)) return ',';
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return ',';
    char buf[65536];
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    size_t count[4] = {0};
    const char seps[4] = {',', ';', '\t', '|'};
    bool quoted = false;
    for (ssize_t i = 0; i < n; i++) {
        char ch = buf[i];
        if (ch == '"') quoted = !quoted;
        if (quoted) continue;
        if (ch == '\n' || ch == '\r') break;
        for (int k = 0; k < 4; k++) count[k] += ch == seps[k];
    }
    if (count[0]) return ',';
    int best = 0;
    for (int k = 1; k < 4; k++)
        if (count[k] > count[best]) best = k;
    *detected = best != 0;
    return seps[best];
}

int mm_cli_read_table(const mm_cli *c, const char *path, mm_table **t)
{
    mm_csv_params cp = mm_csv_params_default();
    cp.delimiter = c->delimiter;
    if (!cp.delimiter) {
        bool detected;
        cp.delimiter = sniff_delimiter(path, &detected);
        if (detected && !c->quiet)
            fprintf(stderr, "mmfuse: note: %s: fields separated by %s (detected from the header; --delimiter to "
                            "override)\n", path, cp.delimiter == '\t' ? "tabs" : cp.delimiter == ';' ? "';'" : "'|'");
    }
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
    mm_cli_note notes[8];
    size_t n = mm_cli_notes(r, what, notes, 8);
    for (size_t k = 0; k < n; k++)
        fprintf(stderr, "mmfuse: %s: %s\n", notes[k].warning ? "warning" : "note", notes[k].text);
}

int mm_cli_write_config(const mm_cli *c, const mm_schema *s)
{
    if (!c->save_config) return 0;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "mmfuse_pipeline", 1);
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
    cJSON *settings = mm_cli_settings_json(c);
    if (settings) cJSON_AddItemToObject(j, "settings", settings);
    char *text = cJSON_Print(j);
    cJSON_Delete(j);
    if (!text) return mm_cli_fail(MM_ENOMEM, NULL);
    size_t len = strlen(text);
    text[len] = '\n';
    mm_error err = {0};
    mm_status st = mm_write_file_atomic(c->save_config, text, len + 1, &err);
    cJSON_free(text);
    if (st) return mm_cli_fail(st, &err);
    if (!c->quiet) fprintf(stderr, "mmfuse: wrote the pipeline (schema and every setting) to %s (use it with --config)\n", c->save_config);
    return 0;
}
