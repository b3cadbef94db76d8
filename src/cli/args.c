/* Command-line options, --config files, help text and exit codes. */
#include "cli/cli.h"
#include "pipeline/cache.h"
#include "io/guard.h"
#include "mmfuse/nn.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const help_common =
    "Column roles (each takes a comma-separated list of column names or glob\n"
    "patterns such as 'px_*'):\n"
    "  --target NAME            the column to predict (required)\n"
    "  --numeric COLS           numbers: mean-imputed, standardized\n"
    "  --categorical COLS       categories: one-hot (or --ordinal)\n"
    "  --text COLS              free text: TF-IDF, one block per column\n"
    "  --image COLS, --audio COLS  paths of image / audio files (relative to the\n"
    "                           CSV's folder), one feature block per column\n"
    "  --group NAME=COLS        numeric columns forming a block of their own (e.g.\n"
    "                           precomputed embeddings: --group emb='emb_*')\n"
    "  --id COLS                identifiers: not used as features (kept in predictions)\n"
    "  --ignore COLS            columns to leave out\n"
    "  --no-infer               use only the listed columns (default: infer the rest)\n"
    "  --config FILE            roles and settings from a JSON pipeline file\n"
    "  --save-config FILE       write the resolved schema as a pipeline file\n"
    "Without role flags every column's role is inferred from its content and the\n"
    "schema is printed, so you can copy it into a pipeline file.\n"
    "\n"
    "Features and model:\n"
    "  --ordinal                categories as one ordinal column (unseen -> -1)\n"
    "  --missing-indicator      add a 0/1 column for numeric columns with gaps\n"
    "  --no-scale               do not standardize blocks\n"
    "  --missing STRATEGY       rows lacking a modality: zero, mean (of present\n"
    "                           training rows), flag (zero + a <block>_present\n"
    "                           column; default), remove (train without them);\n"
    "                           per block: --missing image:photo=mean,text:t=zero\n"
    "  --late-weights W         late:weighted weights: auto (each block's inner-CV\n"
    "                           accuracy; default) or tabular=1,text:title=2\n"
    "  --inner-folds N          inner CV of stacking and auto weights (5)\n"
    "  --audio-sr HZ, --audio-duration S, --audio-offset S, --audio-mfcc N,\n"
    "  --audio-mels N, --audio-fft N, --audio-hop N, --audio-extra\n"
    "                           audio features (librosa's MFCC: 22050 Hz, first\n"
    "                           10 s, 13 MFCCs + deltas, mean and std = 78 values;\n"
    "                           --audio-extra adds rms, zcr and spectral stats)\n"
    "  --image-size N, --image-features color_hist,hog,lbp,stats,thumb,\n"
    "  --no-dct-scaling, --exif-orientation\n"
    "                           handcrafted image features (no weights needed)\n"
    "  --image-encoder ARCH[:WEIGHTS]\n"
    "                           image block from a CNN instead: resnet18, resnet34\n"
    "                           or resnet50 (also 101/152) run on every image\n"
    "                           (Resize 256, CenterCrop 224, ImageNet normalization),\n"
    "                           pooled features (512 / 2048 values). WEIGHTS is a\n"
    "                           .safetensors state dict with torchvision/timm key\n"
    "                           names; ARCH alone uses the file from `mmfuse models\n"
    "                           pull ARCH`. The model file records the weights'\n"
    "                           path and content hash.\n"
    "  --image-batch N          images per CNN forward pass (32)\n"
    "  --balance-dim N          reduce every block wider than N to N principal\n"
    "                           components (PCA fit on the training rows), so a\n"
    "                           wide block does not drown a narrow one (0 = off)\n"
    "  --no-stacking            (evaluate) skip the weighted and stacked rows\n"
    "  --max-features N         TF-IDF vocabulary size (500; 0 = all terms)\n"
    "  --ngram LO,HI            TF-IDF n-gram range (1,2)\n"
    "  --stop-words english|none  (english)\n"
    "  --no-sublinear           raw term counts instead of 1 + ln(tf)\n"
    "  --min-df X, --max-df X   document-frequency bounds (count if >= 1 and\n"
    "                           integral for min-df; fraction if <= 1 for max-df)\n"
    "  --C X                    inverse L2 strength of logistic regression (1.0)\n"
    "  --max-iter N             L-BFGS iterations (500)\n"
    "  --balanced               weight classes inversely to their frequency\n"
    "  --folds N                cross-validation folds (5)\n"
    "  --seed N                 seed of the fold shuffle (42)\n"
    "  --threads N              threads (0 = all cores)\n"
    "  --cache-dir DIR          where per-file features are cached (default\n"
    "                           $MMFUSE_CACHE_DIR or ~/.cache/mmfuse/features)\n"
    "  --no-cache               neither read nor write the feature cache\n"
    "  --media-root DIR         read media files only inside DIR (symlinks and ..\n"
    "                           resolved); a path outside is an unusable file\n"
    "  --delimiter C            CSV field separator (,)\n"
    "  --json                   machine-readable output on stdout\n"
    "  --save-oof FILE          (evaluate) write every model's out-of-fold class\n"
    "                           probabilities per row as CSV\n"
    "  -q, --quiet              no progress bar or notes on stderr\n";

void mm_cli_usage(FILE *f, const char *command)
{
    if (!command) {
        fprintf(f,
                "mmfuse %s — multi-modal machine learning on CSV files\n"
                "\n"
                "usage: mmfuse COMMAND [options]\n"
                "\n"
                "commands:\n"
                "  evaluate DATA.csv --target COL    compare each modality alone with early and\n"
                "                                    late fusion, by stratified cross-validation\n"
                "  train DATA.csv --target COL -o MODEL.mmf [--fusion KIND]\n"
                "  predict MODEL.mmf NEW.csv [-o OUT.csv] [--proba]\n"
                "  extract DATA.csv -o FEATURES.npy [--scale] [--block NAME]\n"
                "  analyze DATA.csv --target COL     per pair of modalities: fusion gain, how their\n"
                "                                    errors relate, complementarity verdict\n"
                "  inspect MODEL.mmf\n"
                "  models [pull NAME|path NAME]      pretrained image encoders: list, download\n"
                "\n"
                "`mmfuse COMMAND --help` lists a command's options.\n"
                "\n"
                "outputs (-o, --save-oof, --save-config, the .npy sidecar, models pull):\n"
                "  written to NAME.tmp.<pid> next to the file and renamed into place when\n"
                "  complete, so a failed or interrupted run (Ctrl-C, SIGTERM) leaves the old\n"
                "  file as it was and no temporary file; a replaced file keeps its permission\n"
                "  bits. An output must be a regular file or a new name: a symbolic link is\n"
                "  followed to the regular file it names (the link stays); devices, FIFOs,\n"
                "  sockets, directories, dangling links and any input of the command (the\n"
                "  same file as DATA.csv, MODEL.mmf or --config) are refused before any work.\n"
                "\n"
                "exit codes: 0 ok, 1 internal error, 2 usage error, 3 bad data or model\n"
                "file, 4 file cannot be read or written (also: an output refused as above,\n"
                "standard output cannot be written), 5 unsupported; killed by SIGINT or\n"
                "SIGTERM: that signal's status\n",
                MM_VERSION_STRING);
        return;
    }
    if (strcmp(command, "evaluate") == 0) {
        fprintf(f, "usage: mmfuse evaluate DATA.csv --target COL [options]\n\n"
                   "Encodes each modality into a feature block, then reports, with stratified\n"
                   "k-fold cross-validation, the accuracy (mean ± std over folds), macro-F1\n"
                   "and log loss of a logistic regression on each block alone, on all blocks\n"
                   "concatenated (early fusion) and of the average of the per-block models'\n"
                   "probabilities (late fusion), and the gain of fusion over the best single\n"
                   "modality. Every fitted step is refit inside each training fold.\n\n%s",
                help_common);
    } else if (strcmp(command, "train") == 0) {
        fprintf(f, "usage: mmfuse train DATA.csv --target COL -o MODEL.mmf [options]\n\n"
                   "Fits the pipeline on every row with a target and writes one model file.\n"
                   "  -o, --output FILE        the model file (required)\n"
                   "  --fusion KIND            early (default), late:average (or late),\n"
                   "                           late:weighted, late:stacked, or single:BLOCK\n"
                   "                           (e.g. single:tabular)\n\n%s",
                help_common);
    } else if (strcmp(command, "predict") == 0) {
        fprintf(f, "usage: mmfuse predict MODEL.mmf NEW.csv [-o OUT.csv] [--proba]\n\n"
                   "Predicts every row of NEW.csv (columns matched by name; the target and any\n"
                   "input column may be absent; missing values are handled as in training).\n"
                   "Output columns: the model's id column (else row), prediction, and with\n"
                   "--proba proba_<class>; an id column named like one of these is written as\n"
                   "id:<name> (so no header repeats).\n"
                   "  -o, --output FILE        write the CSV there (default: stdout)\n"
                   "  --proba                  add one probability column per class\n"
                   "  --media-root DIR         read media files only inside DIR\n"
                   "  --delimiter C            CSV field separator of NEW.csv (,)\n"
                   "  -q, --quiet              no notes on stderr\n");
    } else if (strcmp(command, "extract") == 0) {
        fprintf(f, "usage: mmfuse extract DATA.csv -o FEATURES.npy [options]\n\n"
                   "Writes the feature blocks, fitted on all rows, as one float32 .npy matrix\n"
                   "(numpy.load reads it) and a JSON sidecar FEATURES.json giving each block's\n"
                   "column range. The target column is not needed.\n"
                   "  -o, --output FILE        the .npy file (required)\n"
                   "  --scale                  standardize each block (as training does)\n"
                   "  --block NAME             write one block alone (e.g. tabular, text:title)\n\n%s",
                help_common);
    } else if (strcmp(command, "analyze") == 0) {
        fprintf(f, "usage: mmfuse analyze DATA.csv --target COL [options]\n\n"
                   "Answers \"is fusing worth it here, and with which modalities?\": each\n"
                   "modality's cross-validated accuracy; for each pair of modalities (and all\n"
                   "together) the accuracy of early fusion and its gain over the better single\n"
                   "modality; how the two single models' errors relate (how often exactly one\n"
                   "is right, Yule's Q of right/wrong, the kappa of their errors); and the\n"
                   "verdict HIGH (gain > 0.05), MODERATE (> 0.01) or LOW complementarity.\n\n%s",
                help_common);
    } else if (strcmp(command, "inspect") == 0) {
        fprintf(f, "usage: mmfuse inspect MODEL.mmf [--json]\n\n"
                   "Validates a model file and describes it: schema, blocks, fusion, classes.\n");
    } else {
        mm_cli_usage(f, NULL);
    }
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
    fprintf(stderr, "\n(see `mmfuse %s --help`)\n", c->command);
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

/* Reads --config FILE: {"target": "...", "columns": {"name": "role", ...},
 * "infer_rest": bool}. Later flags override it. */
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
    const cJSON *target = cJSON_GetObjectItemCaseSensitive(j, "target");
    const cJSON *cols = cJSON_GetObjectItemCaseSensitive(j, "columns");
    const cJSON *infer = cJSON_GetObjectItemCaseSensitive(j, "infer_rest");
    if (target && cJSON_IsString(target) && !c->target) c->target = keep(c, strdup(target->valuestring));
    if (infer && cJSON_IsFalse(infer)) c->no_infer = true;
    if (cols && !cJSON_IsObject(cols)) {
        fprintf(stderr, "mmfuse: %s: \"columns\" must map column names to roles\n", path);
        rc = MM_EXIT_DATA;
    }
    const cJSON *groups = cJSON_GetObjectItemCaseSensitive(j, "groups");
    if (groups && !cJSON_IsObject(groups)) {
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
    cJSON_Delete(j);
    return rc;
}

/* --audio-* / --image-* flags: collected into the encoders' JSON configs. */
static int encoder_flag(mm_cli *c, const char *a, const char *v, int *i)
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
    if (!v) return usage_error(c, "option %s needs a value", a);
    (*i)++;
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

int mm_cli_parse(mm_cli *c, int argc, char **argv)
{
    c->eval = mm_eval_params_default();
    c->delimiter = ',';
    c->progress = true;
    mm_pipeline_params *pp = &c->eval.pipeline;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEED_VALUE() \
    do { \
        if (!v) return usage_error(c, "option %s needs a value", a); \
        i++; \
    } while (0)
        long n;
        double d;
        int rc = 0;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            mm_cli_usage(stdout, c->command);
            return -1;
        } else if (strcmp(a, "--target") == 0) {
            NEED_VALUE();
            c->target = v;
        } else if (strcmp(a, "--numeric") == 0 || strcmp(a, "--categorical") == 0 || strcmp(a, "--text") == 0 ||
                   strcmp(a, "--id") == 0 || strcmp(a, "--ignore") == 0 || strcmp(a, "--image") == 0 ||
                   strcmp(a, "--audio") == 0 || strcmp(a, "--video") == 0) {
            NEED_VALUE();
            rc = add_names(c, v, (mm_role)mm_role_parse(a + 2), MM_SRC_FLAG, NULL);
        } else if (strcmp(a, "--group") == 0) {
            NEED_VALUE();
            const char *eq = strchr(v, '=');
            if (!eq || eq == v || !eq[1]) return usage_error(c, "--group: '%s' is not NAME=COLUMNS", v);
            char *name = keep(c, strndup(v, (size_t)(eq - v)));
            if (!name) return usage_error(c, "--group: too many groups (%s)", v);
            rc = add_names(c, eq + 1, MM_ROLE_NUMERIC, MM_SRC_FLAG, name);
        } else if (strcmp(a, "--no-infer") == 0) {
            c->no_infer = true;
        } else if (strcmp(a, "--config") == 0) {
            NEED_VALUE();
            c->config = v;
            rc = read_config(c, v);
        } else if (strcmp(a, "--save-config") == 0) {
            NEED_VALUE();
            c->save_config = v;
        } else if (strcmp(a, "--cache-dir") == 0) {
            NEED_VALUE();
            if (strlen(v) >= sizeof pp->cache_dir) return usage_error(c, "--cache-dir: path too long: %s", v);
            snprintf(pp->cache_dir, sizeof pp->cache_dir, "%s", v);
            c->no_cache = false;
        } else if (strcmp(a, "--no-cache") == 0) {
            c->no_cache = true;
        } else if (strcmp(a, "--media-root") == 0) {
            NEED_VALUE();
            if (!*v || strlen(v) >= sizeof pp->media_root) return usage_error(c, "--media-root: bad path: '%s'", v);
            snprintf(pp->media_root, sizeof pp->media_root, "%s", v);
        } else if (strcmp(a, "--save-oof") == 0) {
            NEED_VALUE();
            c->save_oof = v;
        } else if (strcmp(a, "--missing") == 0) {
            NEED_VALUE();
            if (strchr(v, '=')) {
                if (strlen(v) >= sizeof pp->missing_per_block) return usage_error(c, "--missing: too long: %s", v);
                snprintf(pp->missing_per_block, sizeof pp->missing_per_block, "%s", v);
            } else {
                int m = mm_missing_parse(v);
                if (m < 0) return usage_error(c, "--missing: '%s' (use zero, mean, flag or remove)", v);
                pp->missing = (mm_missing)m;
            }
        } else if (strcmp(a, "--late-weights") == 0) {
            NEED_VALUE();
            if (strlen(v) >= sizeof pp->late_weights) return usage_error(c, "--late-weights: too long: %s", v);
            snprintf(pp->late_weights, sizeof pp->late_weights, "%s", v);
        } else if (strcmp(a, "--inner-folds") == 0) {
            NEED_VALUE();
            if (!parse_long(v, 2, 100, &n)) return usage_error(c, "--inner-folds: '%s' is not a count from 2 to 100", v);
            pp->inner_folds = (size_t)n;
        } else if (strncmp(a, "--audio-", 8) == 0 || strncmp(a, "--image-", 8) == 0 || strcmp(a, "--no-dct-scaling") == 0 ||
                   strcmp(a, "--exif-orientation") == 0) {
            rc = encoder_flag(c, a, v, &i);
        } else if (strcmp(a, "--balance-dim") == 0) {
            NEED_VALUE();
            if (!parse_long(v, 0, 1000000, &n)) return usage_error(c, "--balance-dim: '%s' is not a count", v);
            pp->balance_dim = (size_t)n;
        } else if (strcmp(a, "--no-stacking") == 0) {
            c->eval.stacking = false;
        } else if (strcmp(a, "--ordinal") == 0) {
            pp->categorical = MM_CAT_ORDINAL;
        } else if (strcmp(a, "--missing-indicator") == 0) {
            pp->missing_indicator = true;
        } else if (strcmp(a, "--no-scale") == 0) {
            pp->scale_blocks = false;
        } else if (strcmp(a, "--max-features") == 0) {
            NEED_VALUE();
            if (!parse_long(v, 0, 100000000, &n)) return usage_error(c, "--max-features: '%s' is not a count", v);
            pp->tfidf.max_features = (size_t)n;
        } else if (strcmp(a, "--ngram") == 0) {
            NEED_VALUE();
            int lo, hi;
            char extra;
            if (sscanf(v, "%d,%d%c", &lo, &hi, &extra) != 2 || lo < 1 || hi < lo || hi > 16)
                return usage_error(c, "--ngram: '%s' is not LO,HI with 1 <= LO <= HI <= 16", v);
            pp->tfidf.ngram_lo = lo;
            pp->tfidf.ngram_hi = hi;
        } else if (strcmp(a, "--stop-words") == 0) {
            NEED_VALUE();
            if (strcmp(v, "english") == 0) pp->tfidf.stop_words_english = true;
            else if (strcmp(v, "none") == 0) pp->tfidf.stop_words_english = false;
            else return usage_error(c, "--stop-words: '%s' (use english or none)", v);
        } else if (strcmp(a, "--no-sublinear") == 0) {
            pp->tfidf.sublinear_tf = false;
        } else if (strcmp(a, "--min-df") == 0 || strcmp(a, "--max-df") == 0) {
            NEED_VALUE();
            if (!parse_double(v, &d) || d < 0) return usage_error(c, "document frequency '%s' is not a number >= 0", v);
            set_df(d, a[3] == 'i', &pp->tfidf);
        } else if (strcmp(a, "--C") == 0) {
            NEED_VALUE();
            if (!parse_double(v, &d) || !(d > 0)) return usage_error(c, "--C: '%s' is not a positive number", v);
            pp->logreg.C = d;
        } else if (strcmp(a, "--max-iter") == 0) {
            NEED_VALUE();
            if (!parse_long(v, 1, 1000000, &n)) return usage_error(c, "--max-iter: '%s' is not a positive count", v);
            pp->logreg.max_iter = (int)n;
        } else if (strcmp(a, "--balanced") == 0) {
            pp->balanced = true;
        } else if (strcmp(a, "--folds") == 0) {
            NEED_VALUE();
            if (!parse_long(v, 2, 1000, &n)) return usage_error(c, "--folds: '%s' is not a count from 2 to 1000", v);
            c->eval.n_folds = (size_t)n;
        } else if (strcmp(a, "--seed") == 0) {
            NEED_VALUE();
            if (!parse_long(v, 0, 4294967295L, &n)) return usage_error(c, "--seed: '%s' is not in [0, 2^32)", v);
            pp->seed = (uint32_t)n;
        } else if (strcmp(a, "--threads") == 0) {
            NEED_VALUE();
            if (!parse_long(v, 0, 4096, &n)) return usage_error(c, "--threads: '%s' is not a count", v);
            pp->n_threads = (int)n;
        } else if (strcmp(a, "--delimiter") == 0) {
            NEED_VALUE();
            if (strcmp(v, "\\t") == 0 || strcmp(v, "tab") == 0) c->delimiter = '\t';
            else if (strlen(v) == 1 && v[0] != '"' && v[0] != '\n' && v[0] != '\r') c->delimiter = v[0];
            else return usage_error(c, "--delimiter: '%s' is not a single character", v);
        } else if (strcmp(a, "--fusion") == 0) {
            NEED_VALUE();
            c->fusion = v;
        } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            NEED_VALUE();
            c->output = v;
        } else if (strcmp(a, "--json") == 0) {
            c->json = true;
        } else if (strcmp(a, "--proba") == 0) {
            c->proba = true;
        } else if (strcmp(a, "--scale") == 0) {
            c->scale = true;
        } else if (strcmp(a, "--block") == 0) {
            NEED_VALUE();
            c->block = v;
        } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            c->quiet = true;
        } else if (strcmp(a, "--no-progress") == 0) {
            c->progress = false;
        } else if (a[0] == '-' && a[1] != '\0') {
            return usage_error(c, "unknown option '%s'", a);
        } else {
            if (c->n_positional >= 2) return usage_error(c, "unexpected argument '%s'", a);
            c->positional[c->n_positional++] = a;
        }
        if (rc) return rc;
#undef NEED_VALUE
    }
    if (c->target)
        for (size_t k = 0; k < c->n_names; k++)
            if (c->roles[k] == MM_ROLE_TARGET) c->roles[k] = MM_ROLE_TARGET;
    int rc_cfg = store_config(c, c->audio_cfg, pp->audio_config, sizeof pp->audio_config, "audio");
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

void mm_cli_free(mm_cli *c)
{
    cJSON_Delete(c->audio_cfg);
    cJSON_Delete(c->image_cfg);
    c->audio_cfg = c->image_cfg = NULL;
    for (size_t i = 0; i < c->n_owned; i++) free(c->owned[i]);
    c->n_owned = 0;
}
