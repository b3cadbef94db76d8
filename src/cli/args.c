/* Command-line options, --config files, help text and exit codes. */
#include "cli/cli.h"
#include "cli/options.h"
#include "core/strdist.h"
#include "pipeline/cache.h"
#include "io/guard.h"
#include "mmfuse/nn.h"
#include "mmfuse/audio.h"
#include "mmfuse/image.h"
#include "mmfuse/fusion.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void mm_cli_usage(FILE *f, const char *command)
{
    const mm_cmd_spec *cmd = command ? mm_cli_command(command) : NULL;
    if (cmd) {
        mm_cli_command_help(f, cmd);
        return;
    }
    fprintf(f,
            "mmfuse %s — multi-modal machine learning on CSV files\n"
            "\n"
            "usage: mmfuse COMMAND [options]\n"
            "\n"
            "commands:\n",
            MM_VERSION_STRING);
    mm_cli_commands_help(f);
    fprintf(f, "  models    pretrained image encoders: list, pull NAME, path NAME\n"
               "  cache     the per-file feature cache: info, clear\n"
               "  completion bash   print a bash completion script\n"
               "  man       print the manual page (roff: `mmfuse man | man -l -`)\n"
               "\n"
               "`mmfuse COMMAND --help` lists a command's options.\n"
               "\n%s",
            mm_cli_help_footer);
}

int mm_cli_exit_code(mm_status st)
{
    switch (st) {
    case MM_OK: return MM_EXIT_OK;
    case MM_EINVAL: return MM_EXIT_USAGE;
    case MM_EFORMAT: return MM_EXIT_DATA;
    case MM_EIO: return MM_EXIT_IO;
    case MM_EUNSUPPORTED: return MM_EXIT_UNSUPPORTED;
    default: return MM_EXIT_INTERNAL;
    }
}

int mm_cli_fail(mm_status st, const mm_error *err)
{
    fprintf(stderr, "mmfuse: %s\n", err && err->msg[0] ? err->msg : mm_status_name(st));
    return mm_cli_exit_code(st);
}

static int usage_error(const mm_cli *c, const char *fmt, const char *arg)
{
    fprintf(stderr, "mmfuse %s: ", c->command);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (see `mmfuse %s --help`)\n", c->command);
    return MM_EXIT_USAGE;
}

static char *keep(mm_cli *c, char *s)
{
    if (s && c->n_owned < MM_CLI_MAX_NAMES) c->owned[c->n_owned++] = s;
    else if (s) {
        free(s);
        s = NULL;
    }
    return s;
}

static int add_names(mm_cli *c, const char *list, mm_role role, mm_role_source src, const char *group)
{
    char *copy = keep(c, strdup(list));
    if (!copy) return usage_error(c, "too many column names (%s)", list);
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ') tok++;
        size_t len = strlen(tok);
        while (len && tok[len - 1] == ' ') tok[--len] = '\0';
        if (!*tok) continue;
        if (c->n_names >= MM_CLI_MAX_NAMES) return usage_error(c, "too many column names (%s)", list);
        c->names[c->n_names] = tok;
        c->roles[c->n_names] = role;
        c->sources[c->n_names] = src;
        c->groups[c->n_names] = group;
        c->n_names++;
    }
    return 0;
}

static bool parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) return false;
    *out = v;
    return true;
}

static bool parse_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v == v)) return false;
    *out = v;
    return true;
}

static void set_df(double v, bool is_min, mm_tfidf_params *t)
{
    if (is_min) {
        t->min_df = v;
        t->min_df_is_fraction = !(v >= 1 && v == (double)(long)v);
    } else {
        t->max_df = v;
        t->max_df_is_fraction = v <= 1.0 && !(v > 1);
        if (v == 1.0) t->max_df_is_fraction = true;
    }
}

static int apply_option(mm_cli *c, const mm_opt *o, const char *v);

/* A pipeline file's "settings": option names without "--" mapped to their
 * values (a number, a string, or true for a switch). A setting that does
 * not apply to this command is skipped (one file serves evaluate, train
 * and predict alike); an unknown one is an error. */
static int read_settings(mm_cli *c, const char *path, const cJSON *settings)
{
    const mm_cmd_spec *cmd = mm_cli_command(c->command);
    for (const cJSON *e = settings->child; e; e = e->next) {
        char name[80];
        snprintf(name, sizeof name, "--%s", e->string);
        const mm_opt *o = mm_cli_option(name, strlen(name));
        if (!o || !mm_cli_option_is_setting(o)) {
            size_t n;
            const mm_opt *all = mm_cli_options(&n);
            const char *cand[MM_OPT_COUNT_ + 1];
            for (size_t i = 0; i < n; i++) cand[i] = mm_cli_option_is_setting(&all[i]) ? all[i].name + 2 : NULL;
            long near = mm_closest_name(e->string, strlen(e->string), cand, n);
            fprintf(stderr, "mmfuse: %s: \"settings\": unknown setting \"%s\"%s%s%s\n", path, e->string,
                    near >= 0 ? "; did you mean \"" : "", near >= 0 ? cand[near] : "", near >= 0 ? "\"?" : "");
            return MM_EXIT_USAGE;
        }
        if (!(o->commands & cmd->bit)) continue;
        char num[64];
        const char *v = NULL;
        if (!o->metavar) {
            if (!cJSON_IsBool(e)) {
                fprintf(stderr, "mmfuse: %s: setting \"%s\" is a switch: true or false\n", path, e->string);
                return MM_EXIT_USAGE;
            }
            if (cJSON_IsFalse(e)) continue;
        } else if (cJSON_IsNumber(e)) {
            snprintf(num, sizeof num, "%.17g", e->valuedouble);
            v = keep(c, strdup(num));
        } else if (cJSON_IsString(e)) {
            v = keep(c, strdup(e->valuestring));
        } else {
            fprintf(stderr, "mmfuse: %s: setting \"%s\" needs a value (%s)\n", path, e->string, o->metavar);
            return MM_EXIT_USAGE;
        }
        if (o->metavar && !v) return usage_error(c, "out of memory reading %s", path);
        int rc = apply_option(c, o, v);
        if (rc) return rc;
    }
    return 0;
}

/* Reads --config FILE, the pipeline file (format 1):
 *   {"mmfuse_pipeline": 1, "target": COL, "columns": {COL: ROLE, ...},
 *    "groups": {NAME: [COL, ...]}, "infer_rest": BOOL,
 *    "settings": {OPTION: VALUE, ...}}
 * Every key is optional; an unknown key is an error. Flags given on the
 * command line override the file, wherever they stand. */
static int read_config(mm_cli *c, const char *path)
{
    /* a regular file of at most MM_GUARD_MAX_CONFIG bytes: a FIFO or a
     * directory is refused at once instead of blocking */
    char *buf;
    size_t len;
    mm_error err = {0};
    mm_status st = mm_guard_read_all(path, MM_GUARD_CONFIG, 0, &buf, &len, &err);
    if (st) {
        mm_error_prefix(&err, "config");
        return mm_cli_fail(st, &err);
    }
    cJSON *j = cJSON_ParseWithLength(buf, len);
    free(buf);
    if (!j || !cJSON_IsObject(j)) {
        cJSON_Delete(j);
        fprintf(stderr, "mmfuse: %s: not a JSON object\n", path);
        return MM_EXIT_DATA;
    }
    int rc = 0;
    static const char *const keys[] = {"mmfuse_pipeline", "target", "columns", "groups", "infer_rest", "settings"};
    enum { N_KEYS = sizeof keys / sizeof keys[0] };
    for (const cJSON *e = j->child; e && !rc; e = e->next) {
        size_t k = 0;
        while (k < N_KEYS && strcmp(e->string, keys[k]) != 0) k++;
        if (k < N_KEYS) continue;
        long near = mm_closest_name(e->string, strlen(e->string), keys, N_KEYS);
        fprintf(stderr, "mmfuse: %s: unknown key \"%s\"%s%s%s (a pipeline file has: mmfuse_pipeline, target, "
                        "columns, groups, infer_rest, settings)\n",
                path, e->string, near >= 0 ? "; did you mean \"" : "", near >= 0 ? keys[near] : "",
                near >= 0 ? "\"?" : "");
        rc = MM_EXIT_USAGE;
    }
    const cJSON *version = cJSON_GetObjectItemCaseSensitive(j, "mmfuse_pipeline");
    if (!rc && version && !(cJSON_IsNumber(version) && version->valuedouble == 1)) {
        fprintf(stderr, "mmfuse: %s: pipeline file format %s is not supported (this version reads format 1)\n", path,
                cJSON_IsNumber(version) ? "newer" : "unknown");
        rc = MM_EXIT_UNSUPPORTED;
    }
    const cJSON *target = cJSON_GetObjectItemCaseSensitive(j, "target");
    const cJSON *cols = cJSON_GetObjectItemCaseSensitive(j, "columns");
    const cJSON *infer = cJSON_GetObjectItemCaseSensitive(j, "infer_rest");
    const cJSON *settings = cJSON_GetObjectItemCaseSensitive(j, "settings");
    if (target && cJSON_IsString(target) && !c->target) c->target = keep(c, strdup(target->valuestring));
    if (infer && cJSON_IsFalse(infer)) c->no_infer = true;
    if (!rc && cols && !cJSON_IsObject(cols)) {
        fprintf(stderr, "mmfuse: %s: \"columns\" must map column names to roles\n", path);
        rc = MM_EXIT_DATA;
    }
    if (!rc && settings && !cJSON_IsObject(settings)) {
        fprintf(stderr, "mmfuse: %s: \"settings\" must map setting names to values\n", path);
        rc = MM_EXIT_DATA;
    }
    const cJSON *groups = cJSON_GetObjectItemCaseSensitive(j, "groups");
    if (!rc && groups && !cJSON_IsObject(groups)) {
        fprintf(stderr, "mmfuse: %s: \"groups\" must map group names to lists of columns\n", path);
        rc = MM_EXIT_DATA;
    }
    for (const cJSON *g = groups ? groups->child : NULL; g && !rc; g = g->next) {
        char *gname = keep(c, strdup(g->string));
        for (const cJSON *e = cJSON_IsArray(g) ? g->child : NULL; e && !rc && gname; e = e->next) {
            if (!cJSON_IsString(e) || c->n_names >= MM_CLI_MAX_NAMES) {
                fprintf(stderr, "mmfuse: %s: group '%s' must list column names\n", path, g->string);
                rc = MM_EXIT_DATA;
                break;
            }
            c->names[c->n_names] = keep(c, strdup(e->valuestring));
            c->roles[c->n_names] = MM_ROLE_NUMERIC;
            c->sources[c->n_names] = MM_SRC_CONFIG;
            c->groups[c->n_names] = gname;
            c->n_names++;
        }
    }
    for (const cJSON *e = cols ? cols->child : NULL; e && !rc; e = e->next) {
        int role = cJSON_IsString(e) ? mm_role_parse(e->valuestring) : -1;
        if (role < 0) {
            fprintf(stderr, "mmfuse: %s: column '%s': unknown role (use numeric, categorical, text, id, ignore, target)\n",
                    path, e->string);
            rc = MM_EXIT_DATA;
            break;
        }
        if (role == MM_ROLE_TARGET) {
            if (!c->target) c->target = keep(c, strdup(e->string));
            continue;
        }
        if (c->n_names >= MM_CLI_MAX_NAMES) {
            rc = usage_error(c, "too many columns in %s", path);
            break;
        }
        c->names[c->n_names] = keep(c, strdup(e->string));
        c->roles[c->n_names] = (mm_role)role;
        c->sources[c->n_names] = MM_SRC_CONFIG;
        c->n_names++;
    }
    if (!rc && settings) rc = read_settings(c, path, settings);
    cJSON_Delete(j);
    return rc;
}

/* --audio-* / --image-* flags: collected into the encoders' JSON configs. */
static int encoder_flag(mm_cli *c, const char *a, const char *v)
{
    static const struct {
        const char *flag, *key;
        bool integer;
        double lo, hi;
    } audio[] = {{"--audio-sr", "sr", true, 1000, 768000},        {"--audio-duration", "duration", false, 0, 86400},
                 {"--audio-offset", "offset", false, 0, 86400},  {"--audio-mfcc", "n_mfcc", true, 1, 1024},
                 {"--audio-mels", "n_mels", true, 1, 1024},      {"--audio-fft", "n_fft", true, 16, 65536},
                 {"--audio-hop", "hop_length", true, 1, 65536}};
    if (!c->audio_cfg) c->audio_cfg = cJSON_CreateObject();
    if (!c->image_cfg) c->image_cfg = cJSON_CreateObject();
    if (!c->audio_cfg || !c->image_cfg) return usage_error(c, "out of memory at %s", a);
    if (strcmp(a, "--audio-extra") == 0) {
        cJSON_DeleteItemFromObject(c->audio_cfg, "extra_stats");
        cJSON_AddBoolToObject(c->audio_cfg, "extra_stats", true);
        return 0;
    }
    if (strcmp(a, "--no-dct-scaling") == 0 || strcmp(a, "--exif-orientation") == 0) {
        const char *key = a[2] == 'n' ? "dct_scaling" : "exif_orientation";
        cJSON_DeleteItemFromObject(c->image_cfg, key);
        cJSON_AddBoolToObject(c->image_cfg, key, a[2] != 'n');
        return 0;
    }
    for (size_t k = 0; k < sizeof audio / sizeof audio[0]; k++) {
        if (strcmp(a, audio[k].flag) != 0) continue;
        double d;
        long n;
        bool ok = audio[k].integer ? parse_long(v, (long)audio[k].lo, (long)audio[k].hi, &n) : parse_double(v, &d);
        if (audio[k].integer) d = (double)n;
        if (!ok || d < audio[k].lo || d > audio[k].hi) return usage_error(c, "value out of range or not a number: '%s'", v);
        cJSON_DeleteItemFromObject(c->audio_cfg, audio[k].key);
        cJSON_AddNumberToObject(c->audio_cfg, audio[k].key, d);
        return 0;
    }
    if (strcmp(a, "--image-encoder") == 0) {
        /* resolves the weights and checks the file now, before any data */
        mm_cnn_params p;
        mm_error err = {0};
        char json[sizeof ((mm_pipeline_params *)0)->image_config];
        mm_status st = mm_cnn_params_parse(v, &p, &err);
        if (!st) st = mm_cnn_params_to_json(&p, json, sizeof json, &err);
        if (st) return mm_cli_fail(st, &err);
        cJSON *o = cJSON_Parse(json);
        if (!o) return usage_error(c, "out of memory at %s", a);
        cJSON_Delete(c->image_cfg);
        c->image_cfg = o;
        return 0;
    }
    if (strcmp(a, "--image-batch") == 0) {
        long n;
        if (!parse_long(v, 1, 4096, &n)) return usage_error(c, "--image-batch: '%s' is not in [1, 4096]", v);
        cJSON_DeleteItemFromObject(c->image_cfg, "batch");
        cJSON_AddNumberToObject(c->image_cfg, "batch", (double)n);
        return 0;
    }
    if (strcmp(a, "--image-size") == 0) {
        long n;
        if (!parse_long(v, 8, 4096, &n)) return usage_error(c, "--image-size: '%s' is not in [8, 4096]", v);
        cJSON_DeleteItemFromObject(c->image_cfg, "size");
        cJSON_AddNumberToObject(c->image_cfg, "size", (double)n);
        return 0;
    }
    if (strcmp(a, "--image-features") == 0) {
        cJSON *arr = cJSON_CreateArray();
        char *copy = keep(c, strdup(v)), *save = NULL;
        if (!arr || !copy) return usage_error(c, "out of memory at %s", a);
        for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
            cJSON_AddItemToArray(arr, cJSON_CreateString(tok));
        cJSON_DeleteItemFromObject(c->image_cfg, "features");
        cJSON_AddItemToObject(c->image_cfg, "features", arr);
        return 0;
    }
    return usage_error(c, "unknown option '%s'", a);
}

/* Writes a collected encoder config into a params string. */
static int store_config(mm_cli *c, const struct cJSON *cfg, char *dst, size_t size, const char *what)
{
    if (!cfg || !cfg->child) return 0;
    char *text = cJSON_PrintUnformatted(cfg);
    int rc = 0;
    if (!text || strlen(text) >= size) rc = usage_error(c, "%s settings are too long", what);
    else snprintf(dst, size, "%s", text);
    cJSON_free(text);
    return rc;
}

/* Applies one option of the table with its value (NULL for a switch). */
static int apply_option(mm_cli *c, const mm_opt *o, const char *v)
{
    mm_pipeline_params *pp = &c->eval.pipeline;
    const char *a = o->name;
    long n;
    double d;
    c->given[o->id] = v ? v : "true";
    switch (o->id) {
    case MM_OPT_HELP: mm_cli_usage(stdout, c->command); return -1;
    case MM_OPT_TARGET: c->target = v; return 0;
    case MM_OPT_NO_TARGET: c->no_target = true; return 0;
    case MM_OPT_NUMERIC: case MM_OPT_CATEGORICAL: case MM_OPT_TEXT: case MM_OPT_ID: case MM_OPT_IGNORE:
    case MM_OPT_IMAGE: case MM_OPT_AUDIO: case MM_OPT_VIDEO:
        return add_names(c, v, (mm_role)mm_role_parse(a + 2), MM_SRC_FLAG, NULL);
    case MM_OPT_GROUP: {
        const char *eq = strchr(v, '=');
        if (!eq || eq == v || !eq[1]) return usage_error(c, "--group: '%s' is not NAME=COLUMNS", v);
        char *name = keep(c, strndup(v, (size_t)(eq - v)));
        if (!name) return usage_error(c, "--group: too many groups (%s)", v);
        return add_names(c, eq + 1, MM_ROLE_NUMERIC, MM_SRC_FLAG, name);
    }
    case MM_OPT_NO_INFER: c->no_infer = true; return 0;
    case MM_OPT_CONFIG: return 0; /* read before the flags, so that they override it */
    case MM_OPT_SAVE_CONFIG: c->save_config = v; return 0;
    case MM_OPT_CACHE_DIR:
        if (strlen(v) >= sizeof pp->cache_dir) return usage_error(c, "--cache-dir: path too long: %s", v);
        snprintf(pp->cache_dir, sizeof pp->cache_dir, "%s", v);
        c->no_cache = false;
        return 0;
    case MM_OPT_NO_CACHE: c->no_cache = true; return 0;
    case MM_OPT_MEDIA_ROOT:
        if (!*v || strlen(v) >= sizeof pp->media_root) return usage_error(c, "--media-root: bad path: '%s'", v);
        snprintf(pp->media_root, sizeof pp->media_root, "%s", v);
        return 0;
    case MM_OPT_SAVE_OOF: c->save_oof = v; return 0;
    case MM_OPT_REPORT: c->report = v; return 0;
    case MM_OPT_MISSING:
        if (strchr(v, '=')) {
            if (strlen(v) >= sizeof pp->missing_per_block) return usage_error(c, "--missing: too long: %s", v);
            snprintf(pp->missing_per_block, sizeof pp->missing_per_block, "%s", v);
        } else {
            int m = mm_missing_parse(v);
            if (m < 0) return usage_error(c, "--missing: '%s' (use zero, mean, flag or remove)", v);
            pp->missing = (mm_missing)m;
        }
        return 0;
    case MM_OPT_LATE_WEIGHTS:
        if (strlen(v) >= sizeof pp->late_weights) return usage_error(c, "--late-weights: too long: %s", v);
        snprintf(pp->late_weights, sizeof pp->late_weights, "%s", v);
        return 0;
    case MM_OPT_INNER_FOLDS:
        if (!parse_long(v, 2, 100, &n)) return usage_error(c, "--inner-folds: '%s' is not a count from 2 to 100", v);
        pp->inner_folds = (size_t)n;
        return 0;
    case MM_OPT_AUDIO_SR: case MM_OPT_AUDIO_DURATION: case MM_OPT_AUDIO_OFFSET: case MM_OPT_AUDIO_MFCC:
    case MM_OPT_AUDIO_MELS: case MM_OPT_AUDIO_FFT: case MM_OPT_AUDIO_HOP: case MM_OPT_AUDIO_EXTRA:
    case MM_OPT_IMAGE_SIZE: case MM_OPT_IMAGE_FEATURES: case MM_OPT_NO_DCT_SCALING: case MM_OPT_EXIF_ORIENTATION:
    case MM_OPT_IMAGE_ENCODER: case MM_OPT_IMAGE_BATCH:
        return encoder_flag(c, a, v);
    case MM_OPT_BALANCE_DIM:
        if (!parse_long(v, 0, 1000000, &n)) return usage_error(c, "--balance-dim: '%s' is not a count", v);
        pp->balance_dim = (size_t)n;
        return 0;
    case MM_OPT_NO_STACKING: c->eval.stacking = false; return 0;
    case MM_OPT_ORDINAL: pp->categorical = MM_CAT_ORDINAL; return 0;
    case MM_OPT_MISSING_INDICATOR: pp->missing_indicator = true; return 0;
    case MM_OPT_NO_SCALE: pp->scale_blocks = false; return 0;
    case MM_OPT_MAX_FEATURES:
        if (!parse_long(v, 0, 100000000, &n)) return usage_error(c, "--max-features: '%s' is not a count", v);
        pp->tfidf.max_features = (size_t)n;
        return 0;
    case MM_OPT_NGRAM: {
        int lo, hi;
        char extra;
        if (sscanf(v, "%d,%d%c", &lo, &hi, &extra) != 2 || lo < 1 || hi < lo || hi > 16)
            return usage_error(c, "--ngram: '%s' is not LO,HI with 1 <= LO <= HI <= 16", v);
        pp->tfidf.ngram_lo = lo;
        pp->tfidf.ngram_hi = hi;
        return 0;
    }
    case MM_OPT_STOP_WORDS:
        if (strcmp(v, "english") == 0) pp->tfidf.stop_words_english = true;
        else if (strcmp(v, "none") == 0) pp->tfidf.stop_words_english = false;
        else return usage_error(c, "--stop-words: '%s' (use english or none)", v);
        return 0;
    case MM_OPT_NO_SUBLINEAR: pp->tfidf.sublinear_tf = false; return 0;
    case MM_OPT_MIN_DF: case MM_OPT_MAX_DF:
        if (!parse_double(v, &d) || d < 0) return usage_error(c, "document frequency '%s' is not a number >= 0", v);
        set_df(d, o->id == MM_OPT_MIN_DF, &pp->tfidf);
        return 0;
    case MM_OPT_C:
        if (!parse_double(v, &d) || !(d > 0)) return usage_error(c, "--C: '%s' is not a positive number", v);
        pp->logreg.C = d;
        return 0;
    case MM_OPT_MAX_ITER:
        if (!parse_long(v, 1, 1000000, &n)) return usage_error(c, "--max-iter: '%s' is not a positive count", v);
        pp->logreg.max_iter = (int)n;
        return 0;
    case MM_OPT_BALANCED: pp->balanced = true; return 0;
    case MM_OPT_FOLDS:
        if (!parse_long(v, 2, 1000, &n)) return usage_error(c, "--folds: '%s' is not a count from 2 to 1000", v);
        c->eval.n_folds = (size_t)n;
        return 0;
    case MM_OPT_SEED:
        if (!parse_long(v, 0, 4294967295L, &n)) return usage_error(c, "--seed: '%s' is not in [0, 2^32)", v);
        pp->seed = (uint32_t)n;
        return 0;
    case MM_OPT_THREADS:
        if (!parse_long(v, 0, 4096, &n)) return usage_error(c, "--threads: '%s' is not a count", v);
        pp->n_threads = (int)n;
        return 0;
    case MM_OPT_DELIMITER:
        if (strcmp(v, "\\t") == 0 || strcmp(v, "tab") == 0) c->delimiter = '\t';
        else if (strlen(v) == 1 && v[0] != '"' && v[0] != '\n' && v[0] != '\r') c->delimiter = v[0];
        else return usage_error(c, "--delimiter: '%s' is not a single character (or tab)", v);
        return 0;
    case MM_OPT_FUSION: c->fusion = v; return 0;
    case MM_OPT_OUTPUT: c->output = v; return 0;
    case MM_OPT_JSON: c->json = true; return 0;
    case MM_OPT_PROBA: c->proba = true; return 0;
    case MM_OPT_SCALE: c->scale = true; return 0;
    case MM_OPT_BLOCK: c->block = v; return 0;
    case MM_OPT_QUIET: c->quiet = true; return 0;
    case MM_OPT_NO_PROGRESS: c->progress = false; return 0;
    case MM_OPT_COUNT_: break;
    }
    return usage_error(c, "unknown option '%s'", a);
}

/* An argument that starts with '-' and names an option: finds it in the
 * table and checks that it belongs to this command. */
static int lookup_option(const mm_cli *c, const mm_cmd_spec *cmd, const char *a, size_t len, const mm_opt **out)
{
    const mm_opt *o = mm_cli_option(a, len);
    if (o && (o->commands & cmd->bit)) {
        *out = o;
        return 0;
    }
    if (o) {
        char list[128];
        fprintf(stderr, "mmfuse %s: option %s does not apply to `%s` (it is an option of: %s) (see `mmfuse %s --help`)\n",
                c->command, o->name, c->command, mm_cli_option_commands(o, list, sizeof list), c->command);
        return MM_EXIT_USAGE;
    }
    const mm_opt *near = mm_cli_option_suggest(a, len, cmd->bit);
    if (near)
        fprintf(stderr, "mmfuse %s: unknown option '%.*s'; did you mean %s? (see `mmfuse %s --help`)\n", c->command,
                (int)len, a, near->name, c->command);
    else
        fprintf(stderr, "mmfuse %s: unknown option '%.*s' (see `mmfuse %s --help`)\n", c->command, (int)len, a,
                c->command);
    return MM_EXIT_USAGE;
}

/* What each command cannot run without, as one-line errors. */
static int check_required(const mm_cli *c, const mm_cmd_spec *cmd)
{
    if (c->n_positional < cmd->n_positional) {
        fprintf(stderr, "mmfuse %s: missing %s (usage: mmfuse %s", c->command, cmd->positional[c->n_positional],
                c->command);
        for (int i = 0; i < cmd->n_positional; i++) fprintf(stderr, " %s", cmd->positional[i]);
        fprintf(stderr, " ...; see `mmfuse %s --help`)\n", c->command);
        return MM_EXIT_USAGE;
    }
    if ((cmd->bit & (MM_CMD_EVALUATE | MM_CMD_TRAIN | MM_CMD_ANALYZE)) && !c->target)
        return usage_error(c, "missing --target COL (the column to predict)%s", "");
    if ((cmd->bit & MM_CMD_TRAIN) && !c->output) return usage_error(c, "missing -o MODEL.mmf (the model file to write)%s", "");
    if (cmd->bit & MM_CMD_EXTRACT) {
        if (!c->output) return usage_error(c, "missing -o FEATURES.npy (the .npy file to write)%s", "");
        if (!c->target && !c->no_target)
            return usage_error(c, "name the target with --target COL (kept out of the features), or say --no-target%s", "");
        if (c->target && c->no_target) return usage_error(c, "--target and --no-target contradict each other%s", "");
    }
    return 0;
}

int mm_cli_parse(mm_cli *c, int argc, char **argv)
{
    c->eval = mm_eval_params_default();
    c->delimiter = '\0'; /* detected from the header unless --delimiter */
    c->progress = true;
    mm_pipeline_params *pp = &c->eval.pipeline;
    const mm_cmd_spec *cmd = mm_cli_command(c->command);
    if (!cmd) return usage_error(c, "unknown command%s", "");
    /* the pipeline file first: every flag overrides it, wherever it stands */
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) break;
        const char *eq = strncmp(a, "--", 2) == 0 ? strchr(a, '=') : NULL;
        const mm_opt *o = a[0] == '-' ? mm_cli_option(a, eq ? (size_t)(eq - a) : strlen(a)) : NULL;
        if (!o || !o->metavar) continue;
        const char *v = eq ? eq + 1 : i + 1 < argc ? argv[++i] : NULL;
        if (o->id != MM_OPT_CONFIG || !v || !(o->commands & cmd->bit)) continue;
        c->config = v;
        int rc = read_config(c, v);
        if (rc) return rc;
    }
    bool only_positional = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (only_positional || a[0] != '-' || a[1] == '\0') {
            if (c->n_positional >= cmd->n_positional) return usage_error(c, "unexpected argument '%s'", a);
            c->positional[c->n_positional++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_positional = true;
            continue;
        }
        /* --opt=value or --opt value */
        const char *eq = a[1] == '-' ? strchr(a, '=') : NULL;
        size_t len = eq ? (size_t)(eq - a) : strlen(a);
        const mm_opt *o = NULL;
        int rc = lookup_option(c, cmd, a, len, &o);
        if (rc) return rc;
        const char *v = NULL;
        if (o->metavar) {
            if (eq) v = eq + 1;
            else if (i + 1 < argc) v = argv[++i];
            else {
                fprintf(stderr, "mmfuse %s: option %s needs a value (%s %s) (see `mmfuse %s --help`)\n", c->command,
                        o->name, o->name, o->metavar, c->command);
                return MM_EXIT_USAGE;
            }
        } else if (eq) {
            fprintf(stderr, "mmfuse %s: option %s takes no value (see `mmfuse %s --help`)\n", c->command, o->name,
                    c->command);
            return MM_EXIT_USAGE;
        }
        rc = apply_option(c, o, v);
        if (rc) return rc;
    }
    int rc_cfg = check_required(c, cmd);
    if (!rc_cfg) rc_cfg = store_config(c, c->audio_cfg, pp->audio_config, sizeof pp->audio_config, "audio");
    if (!rc_cfg) rc_cfg = store_config(c, c->image_cfg, pp->image_config, sizeof pp->image_config, "image");
    if (rc_cfg) return rc_cfg;
    if (c->no_cache) {
        pp->cache_dir[0] = '\0';
    } else if (!pp->cache_dir[0]) {
        char buf[sizeof pp->cache_dir];
        const char *d = mm_cache_default_dir(buf, sizeof buf);
        if (d) snprintf(pp->cache_dir, sizeof pp->cache_dir, "%s", d);
    }
    mm_tfidf_params tp = pp->tfidf;
    mm_error err = {0};
    if (mm_tfidf_params_check(&tp, &err) != MM_OK) return usage_error(c, "%s", err.msg);
    return 0;
}

/* The value of a setting as the pipeline file stores it: what was given, or
 * the default the run uses. NULL when it has none to store (no CNN
 * encoder, no delimiter given). */
static cJSON *setting_value(const mm_cli *c, const mm_opt *o)
{
    const mm_pipeline_params *pp = &c->eval.pipeline;
    const mm_audio_params ap = mm_audio_params_default();
    const mm_image_params ip = mm_image_params_default();
    const char *g = c->given[o->id];
    char buf[64];
    /* the CNN encoder and the handcrafted features take different settings */
    bool cnn = c->given[MM_OPT_IMAGE_ENCODER] != NULL;
    if (o->id == MM_OPT_IMAGE_BATCH && !cnn) return NULL;
    if (cnn && (o->id == MM_OPT_IMAGE_SIZE || o->id == MM_OPT_IMAGE_FEATURES || o->id == MM_OPT_NO_DCT_SCALING ||
                o->id == MM_OPT_EXIF_ORIENTATION))
        return NULL;
    if (!o->metavar) {
        switch (o->id) {
        case MM_OPT_ORDINAL: return cJSON_CreateBool(pp->categorical == MM_CAT_ORDINAL);
        case MM_OPT_MISSING_INDICATOR: return cJSON_CreateBool(pp->missing_indicator);
        case MM_OPT_NO_SCALE: return cJSON_CreateBool(!pp->scale_blocks);
        case MM_OPT_NO_SUBLINEAR: return cJSON_CreateBool(!pp->tfidf.sublinear_tf);
        case MM_OPT_BALANCED: return cJSON_CreateBool(pp->balanced);
        case MM_OPT_NO_STACKING: return cJSON_CreateBool(!c->eval.stacking);
        default: return cJSON_CreateBool(g != NULL);
        }
    }
    switch (o->id) {
    case MM_OPT_MISSING:
        return cJSON_CreateString(pp->missing_per_block[0] ? pp->missing_per_block : mm_missing_name(pp->missing));
    case MM_OPT_BALANCE_DIM: return cJSON_CreateNumber((double)pp->balance_dim);
    case MM_OPT_MAX_FEATURES: return cJSON_CreateNumber((double)pp->tfidf.max_features);
    case MM_OPT_NGRAM:
        snprintf(buf, sizeof buf, "%d,%d", pp->tfidf.ngram_lo, pp->tfidf.ngram_hi);
        return cJSON_CreateString(buf);
    case MM_OPT_STOP_WORDS: return cJSON_CreateString(pp->tfidf.stop_words_english ? "english" : "none");
    case MM_OPT_MIN_DF: return cJSON_CreateNumber(pp->tfidf.min_df);
    case MM_OPT_MAX_DF: return cJSON_CreateNumber(pp->tfidf.max_df);
    case MM_OPT_C: return cJSON_CreateNumber(pp->logreg.C);
    case MM_OPT_MAX_ITER: return cJSON_CreateNumber(pp->logreg.max_iter);
    case MM_OPT_FUSION: return cJSON_CreateString(c->fusion ? c->fusion : "early");
    case MM_OPT_LATE_WEIGHTS: return cJSON_CreateString(pp->late_weights);
    case MM_OPT_INNER_FOLDS: return cJSON_CreateNumber((double)pp->inner_folds);
    case MM_OPT_FOLDS: return cJSON_CreateNumber((double)c->eval.n_folds);
    case MM_OPT_SEED: return cJSON_CreateNumber(pp->seed);
    case MM_OPT_DELIMITER: return g ? cJSON_CreateString(g) : NULL;
    case MM_OPT_IMAGE_ENCODER: return g ? cJSON_CreateString(g) : NULL;
    case MM_OPT_IMAGE_FEATURES: return cJSON_CreateString(g ? g : "color_hist,hog,lbp,stats,thumb");
    default: break;
    }
    double d = NAN;
    switch (o->id) {
    case MM_OPT_AUDIO_SR: d = ap.sr; break;
    case MM_OPT_AUDIO_DURATION: d = ap.duration; break;
    case MM_OPT_AUDIO_OFFSET: d = ap.offset; break;
    case MM_OPT_AUDIO_MFCC: d = ap.n_mfcc; break;
    case MM_OPT_AUDIO_MELS: d = ap.n_mels; break;
    case MM_OPT_AUDIO_FFT: d = ap.n_fft; break;
    case MM_OPT_AUDIO_HOP: d = ap.hop_length; break;
    case MM_OPT_IMAGE_SIZE: d = (double)ip.size; break;
    case MM_OPT_IMAGE_BATCH: d = 32; break;
    default: break;
    }
    if (g) return cJSON_CreateNumber(strtod(g, NULL));
    return d == d ? cJSON_CreateNumber(d) : NULL;
}

cJSON *mm_cli_settings_json(const mm_cli *c)
{
    const mm_cmd_spec *cmd = mm_cli_command(c->command);
    cJSON *s = cJSON_CreateObject();
    size_t n;
    const mm_opt *all = mm_cli_options(&n);
    for (size_t i = 0; s && i < n; i++) {
        const mm_opt *o = &all[i];
        /* every setting of the commands that fit a pipeline, so that one
         * file serves evaluate, train and analyze */
        if (!mm_cli_option_is_setting(o) || !(o->commands & (cmd->bit | MM_CMD_EVALUATE | MM_CMD_TRAIN))) continue;
        cJSON *v = setting_value(c, o);
        if (v) cJSON_AddItemToObject(s, o->name + 2, v);
    }
    return s;
}

void mm_cli_free(mm_cli *c)
{
    cJSON_Delete(c->audio_cfg);
    cJSON_Delete(c->image_cfg);
    c->audio_cfg = c->image_cfg = NULL;
    for (size_t i = 0; i < c->n_owned; i++) free(c->owned[i]);
    c->n_owned = 0;
}
