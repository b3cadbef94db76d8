/* The option table, and the help, completion and man page made from it. */
#include "cli/options.h"

#include "core/strdist.h"
#include "mmfuse/core.h"

#include <string.h>

enum { EV = MM_CMD_EVALUATE, TR = MM_CMD_TRAIN, PR = MM_CMD_PREDICT, EX = MM_CMD_EXTRACT, AN = MM_CMD_ANALYZE,
       IN = MM_CMD_INSPECT, SC = MM_CMD_SCORE };
/* the usual sets */
enum { FIT = EV | TR | EX | AN, CSV = EV | TR | PR | EX | AN | SC, ALL = CSV | IN };

enum { S_ROLES, S_FEATURES, S_TEXT, S_AUDIO, S_IMAGE, S_MODEL, S_FUSION, S_INPUT, S_OUTPUT, S_COUNT };

static const char *const section_title[S_COUNT] = {
    "Column roles (each takes a comma-separated list of column names or glob\npatterns such as 'px_*')",
    "Features",
    "Text columns (TF-IDF)",
    "Audio columns (librosa's MFCC: 22050 Hz, first 10 s, 13 MFCCs + deltas,\nmean and std = 78 values)",
    "Image columns (handcrafted features by default; no weights needed)",
    "Model (logistic regression, L-BFGS)",
    "Fusion and cross-validation",
    "Input and run",
    "Output",
};

static const char *const section_footer[S_COUNT] = {
    [S_ROLES] = "Without role flags every column's role is inferred from its content and the\n"
                "schema is printed, so you can copy it into a pipeline file.",
};

const char mm_cli_help_footer[] =
    "outputs (-o, --save-oof, --save-config, --report, the .npy sidecar, models\n"
    "pull): written to NAME.tmp.<pid> next to the file and renamed into place\n"
    "when complete, so a failed or interrupted run (Ctrl-C, SIGTERM) leaves the\n"
    "old file as it was and no temporary file; a replaced file keeps its\n"
    "permission bits. An output must be a regular file or a new name:\n"
    "a symbolic link is followed to the regular file it names (the link stays);\n"
    "devices, FIFOs, sockets, directories, dangling links and any input of the\n"
    "command (the same file as DATA.csv, MODEL.mmf or --config) are refused\n"
    "before any work.\n"
    "\n"
    "exit codes: 0 ok, 1 internal error, 2 usage error, 3 bad data or model\n"
    "file, 4 file cannot be read or written (also: an output refused as above,\n"
    "standard output cannot be written), 5 unsupported; killed by SIGINT or\n"
    "SIGTERM: that signal's status\n";

static const mm_opt options[] = {
    {MM_OPT_HELP, "--help", "-h", NULL, ALL, S_OUTPUT, "this help"},
    /* column roles */
    {MM_OPT_TARGET, "--target", NULL, "COL", FIT | SC, S_ROLES,
     "the column to predict (required; extract keeps it out of the features;\nscore reads the labels there, by default from the model's target)"},
    {MM_OPT_NO_TARGET, "--no-target", NULL, NULL, EX, S_ROLES,
     "extract features from every column: the file has no target column"},
    {MM_OPT_NUMERIC, "--numeric", NULL, "COLS", FIT, S_ROLES, "numbers: mean-imputed, standardized"},
    {MM_OPT_CATEGORICAL, "--categorical", NULL, "COLS", FIT, S_ROLES, "categories: one-hot (or --ordinal)"},
    {MM_OPT_TEXT, "--text", NULL, "COLS", FIT, S_ROLES, "free text: TF-IDF, one block per column"},
    {MM_OPT_IMAGE, "--image", NULL, "COLS", FIT, S_ROLES,
     "paths of image files (relative to the CSV's folder), one block per column"},
    {MM_OPT_AUDIO, "--audio", NULL, "COLS", FIT, S_ROLES,
     "paths of audio files (relative to the CSV's folder), one block per column"},
    {MM_OPT_VIDEO, "--video", NULL, "COLS", FIT, S_ROLES,
     "paths of video files: recognised, but this version has no video encoder,\nso such a column is left out with a note"},
    {MM_OPT_GROUP, "--group", NULL, "NAME=COLS", FIT, S_ROLES,
     "numeric columns forming a block of their own (e.g. precomputed\nembeddings: --group emb='emb_*')"},
    {MM_OPT_ID, "--id", NULL, "COLS", FIT, S_ROLES, "identifiers: not used as features (kept in predictions)"},
    {MM_OPT_IGNORE, "--ignore", NULL, "COLS", FIT, S_ROLES, "columns to leave out"},
    {MM_OPT_NO_INFER, "--no-infer", NULL, NULL, FIT, S_ROLES, "use only the listed columns (default: infer the rest)"},
    {MM_OPT_CONFIG, "--config", NULL, "FILE", FIT, S_ROLES,
     "roles and settings from a pipeline file (JSON): {\"mmfuse_pipeline\": 1,\n\"target\": COL, \"columns\": {COL: ROLE, ...}, \"groups\": {NAME: [COL,\n...]}, \"infer_rest\": BOOL, \"settings\": {OPTION: VALUE, ...}} where\nOPTION is any option of the sections below without its \"--\" (\"C\": 0.1,\n\"folds\": 3, \"no-scale\": true); flags override the file"},
    {MM_OPT_SAVE_CONFIG, "--save-config", NULL, "FILE", FIT, S_ROLES,
     "write the pipeline file of this run: the resolved schema and every\nsetting (given or default)"},
    /* features */
    {MM_OPT_ORDINAL, "--ordinal", NULL, NULL, FIT, S_FEATURES, "categories as one ordinal column (unseen -> -1)"},
    {MM_OPT_MISSING_INDICATOR, "--missing-indicator", NULL, NULL, FIT, S_FEATURES,
     "add a 0/1 column for numeric columns with gaps"},
    {MM_OPT_NO_SCALE, "--no-scale", NULL, NULL, FIT, S_FEATURES, "do not standardize blocks"},
    {MM_OPT_MISSING, "--missing", NULL, "STRATEGY", FIT, S_FEATURES,
     "rows lacking a modality: zero, mean (of present training rows), flag\n(zero + a <block>_present column; default), remove (train without\nthem); per block: --missing image:photo=mean,text:title=zero"},
    {MM_OPT_BALANCE_DIM, "--balance-dim", NULL, "N", FIT, S_FEATURES,
     "reduce every block wider than N to N principal components (PCA fit\non the training rows), so a wide block does not drown a narrow one\n(0 = off, the default)"},
    /* text */
    {MM_OPT_MAX_FEATURES, "--max-features", NULL, "N", FIT, S_TEXT, "vocabulary size (500; 0 = all terms)"},
    {MM_OPT_NGRAM, "--ngram", NULL, "LO,HI", FIT, S_TEXT, "n-gram range (1,2)"},
    {MM_OPT_STOP_WORDS, "--stop-words", NULL, "english|none", FIT, S_TEXT, "stop-word list (english)"},
    {MM_OPT_NO_SUBLINEAR, "--no-sublinear", NULL, NULL, FIT, S_TEXT, "raw term counts instead of 1 + ln(tf)"},
    {MM_OPT_MIN_DF, "--min-df", NULL, "X", FIT, S_TEXT,
     "ignore terms in fewer documents: a count if X >= 1 and whole, else a\nfraction of the documents (1)"},
    {MM_OPT_MAX_DF, "--max-df", NULL, "X", FIT, S_TEXT,
     "ignore terms in more documents: a fraction if X <= 1, else a count (1.0)"},
    /* audio */
    {MM_OPT_AUDIO_SR, "--audio-sr", NULL, "HZ", FIT, S_AUDIO, "resample every file to HZ (22050)"},
    {MM_OPT_AUDIO_DURATION, "--audio-duration", NULL, "S", FIT, S_AUDIO, "seconds of audio used (10)"},
    {MM_OPT_AUDIO_OFFSET, "--audio-offset", NULL, "S", FIT, S_AUDIO, "seconds skipped at the start (0)"},
    {MM_OPT_AUDIO_MFCC, "--audio-mfcc", NULL, "N", FIT, S_AUDIO, "MFCC coefficients (13)"},
    {MM_OPT_AUDIO_MELS, "--audio-mels", NULL, "N", FIT, S_AUDIO, "mel bands (128)"},
    {MM_OPT_AUDIO_FFT, "--audio-fft", NULL, "N", FIT, S_AUDIO, "FFT window length in samples (2048)"},
    {MM_OPT_AUDIO_HOP, "--audio-hop", NULL, "N", FIT, S_AUDIO, "hop between frames in samples (512)"},
    {MM_OPT_AUDIO_EXTRA, "--audio-extra", NULL, NULL, FIT, S_AUDIO, "add rms, zero-crossing rate and spectral statistics"},
    /* image */
    {MM_OPT_IMAGE_SIZE, "--image-size", NULL, "N", FIT, S_IMAGE, "images are resized to N x N first (64)"},
    {MM_OPT_IMAGE_FEATURES, "--image-features", NULL, "LIST", FIT, S_IMAGE,
     "which handcrafted features: color_hist,hog,lbp,stats,thumb"},
    {MM_OPT_NO_DCT_SCALING, "--no-dct-scaling", NULL, NULL, FIT, S_IMAGE,
     "decode JPEGs at full size (default: libjpeg's DCT-domain downscale)"},
    {MM_OPT_EXIF_ORIENTATION, "--exif-orientation", NULL, NULL, FIT, S_IMAGE, "rotate images as their EXIF tag says"},
    {MM_OPT_IMAGE_ENCODER, "--image-encoder", NULL, "ARCH[:WEIGHTS]", FIT, S_IMAGE,
     "image block from a CNN instead: resnet18, resnet34 or resnet50 (also\n101/152) run on every image (Resize 256, CenterCrop 224, ImageNet\nnormalization), pooled features (512 / 2048 values). WEIGHTS is a\n.safetensors state dict with torchvision/timm key names; ARCH alone\nuses the file from `mmfuse models pull ARCH`. The model file records\nthe weights' path and content hash."},
    {MM_OPT_IMAGE_BATCH, "--image-batch", NULL, "N", FIT, S_IMAGE, "images per CNN forward pass (32)"},
    /* model */
    {MM_OPT_C, "--C", NULL, "X", EV | TR | AN, S_MODEL, "inverse L2 strength of logistic regression (1.0)"},
    {MM_OPT_MAX_ITER, "--max-iter", NULL, "N", EV | TR | AN, S_MODEL, "L-BFGS iterations (500)"},
    {MM_OPT_BALANCED, "--balanced", NULL, NULL, EV | TR | AN, S_MODEL, "weight classes inversely to their frequency"},
    /* fusion and cross-validation */
    {MM_OPT_FUSION, "--fusion", NULL, "KIND", TR, S_FUSION,
     "early (default), late:average (or late), late:weighted, late:stacked,\nor single:BLOCK (e.g. single:tabular)"},
    {MM_OPT_LATE_WEIGHTS, "--late-weights", NULL, "W", EV | TR, S_FUSION,
     "late:weighted weights: auto (each block's inner-CV accuracy; default)\nor per block, e.g. tabular=1,text:title=2"},
    {MM_OPT_INNER_FOLDS, "--inner-folds", NULL, "N", EV | TR, S_FUSION, "inner CV of stacking and auto weights (5)"},
    {MM_OPT_NO_STACKING, "--no-stacking", NULL, NULL, EV, S_FUSION, "skip the weighted and stacked late-fusion rows"},
    {MM_OPT_FOLDS, "--folds", NULL, "N", EV | AN, S_FUSION, "cross-validation folds (5)"},
    {MM_OPT_SEED, "--seed", NULL, "N", FIT, S_FUSION, "seed of the fold shuffle (42)"},
    /* input and run */
    {MM_OPT_DELIMITER, "--delimiter", NULL, "C", CSV, S_INPUT,
     "CSV field separator; 'tab' for a tab (default: from the header line:\ncomma, or semicolon or tab when the header has no comma)"},
    {MM_OPT_THREADS, "--threads", NULL, "N", CSV, S_INPUT, "threads (0 = all cores)"},
    {MM_OPT_CACHE_DIR, "--cache-dir", NULL, "DIR", CSV, S_INPUT,
     "where per-file features are cached (default $MMFUSE_CACHE_DIR, else\n$XDG_CACHE_HOME/mmfuse/features or ~/.cache/mmfuse/features)"},
    {MM_OPT_NO_CACHE, "--no-cache", NULL, NULL, CSV, S_INPUT, "neither read nor write the feature cache"},
    {MM_OPT_MEDIA_ROOT, "--media-root", NULL, "DIR", CSV, S_INPUT,
     "read media files only inside DIR (after resolving symlinks and ..); a\npath outside is an unusable file for that row, counted in the notes.\nWithout it, relative paths are read from the CSV's folder and absolute\nor ../ paths as they are"},
    {MM_OPT_QUIET, "--quiet", "-q", NULL, ALL, S_INPUT, "no progress bar or notes on stderr"},
    {MM_OPT_NO_PROGRESS, "--no-progress", NULL, NULL, CSV, S_INPUT, "no progress bar (notes stay)"},
    /* output */
    {MM_OPT_OUTPUT, "--output", "-o", "FILE", TR | PR | EX, S_OUTPUT,
     "train: the model file (required); predict: the predictions CSV\n(default: stdout); extract: the .npy file (required)"},
    {MM_OPT_JSON, "--json", NULL, NULL, EV | AN | IN | SC, S_OUTPUT, "machine-readable output on stdout"},
    {MM_OPT_PROBA, "--proba", NULL, NULL, PR, S_OUTPUT, "add one probability column per class"},
    {MM_OPT_SCALE, "--scale", NULL, NULL, EX, S_OUTPUT, "standardize each block (as training does)"},
    {MM_OPT_BLOCK, "--block", NULL, "NAME", EX, S_OUTPUT, "write one block alone (e.g. tabular, text:title)"},
    {MM_OPT_REPORT, "--report", NULL, "FILE.html", EV | AN | SC, S_OUTPUT,
     "also write a self-contained HTML report: the comparison, accuracy bars\nwith the fold spread, confusion matrices, per-class precision, recall\nand F1, ROC curves (two classes), block sizes, the schema and every note"},
    {MM_OPT_SAVE_OOF, "--save-oof", NULL, "FILE", EV, S_OUTPUT,
     "write every model's out-of-fold class probabilities per row as CSV"},
};

static const mm_cmd_spec commands[] = {
    {"evaluate", EV, {"DATA.csv"}, 1,
     "compare each modality alone with early and late fusion, by stratified\ncross-validation",
     "Encodes each modality into a feature block, then reports, with stratified\n"
     "k-fold cross-validation, the accuracy (mean ± std over folds), macro-F1\n"
     "and log loss of a logistic regression on each block alone, on all blocks\n"
     "concatenated (early fusion) and of the per-block models' probabilities\n"
     "combined (late fusion: average, weighted, stacked), and the gain of fusion\n"
     "over the best single modality. Every fitted step is refit inside each\n"
     "training fold."},
    {"train", TR, {"DATA.csv"}, 1, "fit the pipeline on every row and write one model file",
     "Fits the pipeline on every row with a target and writes one model file\n"
     "(-o) that `mmfuse predict` applies to new rows."},
    {"predict", PR, {"MODEL.mmf", "NEW.csv"}, 2, "predict new rows with a model file",
     "Predicts every row of NEW.csv (columns matched by name; the target and any\n"
     "input column may be absent; missing values are handled as in training).\n"
     "The output CSV has the model's id column (or the row's 1-based data-row\n"
     "number as `row`), then `prediction` (and `proba_<class>` with --proba);\n"
     "an id column named like one of these is written as id:<name>, so no\n"
     "header repeats."},
    {"extract", EX, {"DATA.csv"}, 1, "write the feature blocks as a .npy matrix",
     "Writes the feature blocks, fitted on all rows, as one float32 .npy matrix\n"
     "(numpy.load reads it) and a JSON sidecar FEATURES.json giving each block's\n"
     "column range. Name the target with --target (kept out of the features),\n"
     "or say --no-target when the file has none."},
    {"analyze", AN, {"DATA.csv"}, 1, "per pair of modalities: fusion gain, how their errors\nrelate, complementarity verdict",
     "Answers \"is fusing worth it here, and with which modalities?\": each\n"
     "modality's cross-validated accuracy; for each pair of modalities (and all\n"
     "together) the accuracy of early fusion and its gain over the better single\n"
     "modality; how the two single models' errors relate (how often exactly one\n"
     "is right, Yule's Q of right/wrong, the kappa of their errors); and the\n"
     "verdict HIGH (gain > 0.05), MODERATE (> 0.01) or LOW complementarity."},
    {"score", SC, {"MODEL.mmf", "LABELLED.csv"}, 2, "score a model on labelled rows (a hold-out file)",
     "Predicts every labelled row of LABELLED.csv with the model and compares\n"
     "with the labels: accuracy, macro- and weighted-F1, log loss, the confusion\n"
     "matrix and the per-class precision, recall and F1 (scikit-learn's\n"
     "classification report). Rows without a label are skipped (counted);\n"
     "label values the model never saw count as errors."},
    {"inspect", IN, {"MODEL.mmf"}, 1, "validate a model file and describe it",
     "Validates a model file and describes it: schema, blocks, fusion, classes."},
};

enum { N_OPTIONS = sizeof options / sizeof options[0], N_COMMANDS = sizeof commands / sizeof commands[0] };

const mm_cmd_spec *mm_cli_command(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0) return &commands[i];
    return NULL;
}

static bool name_is(const char *s, const char *name, size_t len)
{
    return s && strlen(s) == len && memcmp(s, name, len) == 0;
}

const mm_opt *mm_cli_option(const char *name, size_t len)
{
    for (size_t i = 0; i < N_OPTIONS; i++)
        if (name_is(options[i].name, name, len) || name_is(options[i].alias, name, len)) return &options[i];
    return NULL;
}

const mm_opt *mm_cli_option_suggest(const char *name, size_t len, unsigned command)
{
    const char *names[N_OPTIONS];
    for (size_t i = 0; i < N_OPTIONS; i++) names[i] = options[i].commands & command ? options[i].name : NULL;
    long k = mm_closest_name(name, len, names, N_OPTIONS);
    return k >= 0 ? &options[k] : NULL;
}

const mm_opt *mm_cli_options(size_t *n)
{
    *n = N_OPTIONS;
    return options;
}

bool mm_cli_option_is_setting(const mm_opt *o)
{
    return (o->section >= S_FEATURES && o->section <= S_FUSION) || o->id == MM_OPT_DELIMITER;
}

const char *mm_cli_option_commands(const mm_opt *o, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < N_COMMANDS; i++) {
        if (!(o->commands & commands[i].bit)) continue;
        int n = snprintf(buf + used, size - used, "%s%s", used ? ", " : "", commands[i].name);
        if (n < 0 || (size_t)n >= size - used) break;
        used += (size_t)n;
    }
    return buf;
}

/* "  -o, --output FILE" / "  --target COL" */
static int option_label(char *buf, size_t size, const mm_opt *o)
{
    return snprintf(buf, size, "  %s%s%s%s%s", o->alias ? o->alias : "", o->alias ? ", " : "", o->name,
                    o->metavar ? " " : "", o->metavar ? o->metavar : "");
}

/* Prints text as a paragraph starting at column `indent` (the caller has
 * already moved there), words wrapped before column 79, every further line
 * indented by `indent`; newlines in the text are spaces. */
static void print_indented(FILE *f, const char *text, int indent)
{
    int width = 79 - indent, col = 0;
    if (width < 20) width = 20;
    for (const char *p = text; *p;) {
        while (*p == ' ' || *p == '\n') p++;
        size_t n = strcspn(p, " \n");
        if (!n) break;
        if (col && col + 1 + (int)n > width) {
            fprintf(f, "\n%*s", indent, "");
            col = 0;
        } else if (col) {
            fputc(' ', f);
            col++;
        }
        fprintf(f, "%.*s", (int)n, p);
        col += (int)n;
        p += n;
    }
    fputc('\n', f);
}

static void usage_line(FILE *f, const mm_cmd_spec *cmd)
{
    fprintf(f, "usage: mmfuse %s", cmd->name);
    for (int i = 0; i < cmd->n_positional; i++) fprintf(f, " %s", cmd->positional[i]);
    if (cmd->bit & (EV | TR | AN)) fprintf(f, " --target COL");
    if (cmd->bit & EX) fprintf(f, " --target COL|--no-target");
    if (cmd->bit & (TR | EX)) fprintf(f, " -o %s", cmd->bit & TR ? "MODEL.mmf" : "OUT.npy");
    fprintf(f, " [options]\n");
}

void mm_cli_command_help(FILE *f, const mm_cmd_spec *cmd)
{
    enum { COL = 27 };
    usage_line(f, cmd);
    fprintf(f, "\n%s\n", cmd->about);
    for (int s = 0; s < S_COUNT; s++) {
        bool any = false;
        for (size_t i = 0; i < N_OPTIONS; i++) {
            const mm_opt *o = &options[i];
            if (o->section != s || !(o->commands & cmd->bit)) continue;
            if (!any) fprintf(f, "\n%s:\n", section_title[s]);
            any = true;
            char label[96];
            int n = option_label(label, sizeof label, o);
            if (n < COL - 1) fprintf(f, "%-*s", COL, label);
            else fprintf(f, "%s\n%*s", label, COL, "");
            print_indented(f, o->help, COL);
        }
        if (any && section_footer[s]) fprintf(f, "%s\n", section_footer[s]);
    }
    fprintf(f, "\n%s", mm_cli_help_footer);
}

void mm_cli_commands_help(FILE *f)
{
    for (size_t i = 0; i < N_COMMANDS; i++) {
        fprintf(f, "  %-10s", commands[i].name);
        print_indented(f, commands[i].summary, 12);
    }
}

void mm_cli_completion_bash(FILE *f)
{
    fprintf(f, "# bash completion for mmfuse (generated by `mmfuse completion bash`)\n"
               "# install: mmfuse completion bash > /etc/bash_completion.d/mmfuse\n"
               "_mmfuse() {\n"
               "    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} opts\n"
               "    if [ \"$COMP_CWORD\" -eq 1 ]; then\n"
               "        COMPREPLY=($(compgen -W \"");
    for (size_t i = 0; i < N_COMMANDS; i++) fprintf(f, "%s ", commands[i].name);
    fprintf(f, "models cache completion man help --version\" -- \"$cur\"))\n"
               "        return\n"
               "    fi\n"
               "    case \"$prev\" in\n"
               "        ");
    /* options whose value is a file name complete files */
    bool first = true;
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const char *m = options[i].metavar;
        if (!m || (strcmp(m, "FILE") != 0 && strcmp(m, "DIR") != 0)) continue;
        fprintf(f, "%s%s", first ? "" : "|", options[i].name);
        if (options[i].alias) fprintf(f, "|%s", options[i].alias);
        first = false;
    }
    fprintf(f, ") COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n"
               "    esac\n"
               "    case \"${COMP_WORDS[1]}\" in\n");
    for (size_t c = 0; c < N_COMMANDS; c++) {
        fprintf(f, "        %s) opts=\"", commands[c].name);
        first = true;
        for (size_t i = 0; i < N_OPTIONS; i++) {
            if (!(options[i].commands & commands[c].bit)) continue;
            fprintf(f, "%s%s", first ? "" : " ", options[i].name);
            first = false;
        }
        fprintf(f, "\" ;;\n");
    }
    fprintf(f, "        models) opts=\"list pull path --json --sha256 --output --force --quiet --help\" ;;\n"
               "        cache) opts=\"info clear --cache-dir --json --help\" ;;\n"
               "        *) opts=\"\" ;;\n"
               "    esac\n"
               "    if [[ \"$cur\" == -* ]]; then\n"
               "        COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
               "    else\n"
               "        COMPREPLY=($(compgen -f -- \"$cur\"))\n"
               "    fi\n"
               "}\n"
               "complete -o filenames -F _mmfuse mmfuse\n");
}

/* roff text: a leading '.' or '\'' is escaped, backslashes doubled, '-' as \- */
static void roff(FILE *f, const char *s)
{
    bool bol = true;
    for (; *s; s++) {
        if (bol && (*s == '.' || *s == '\'')) fputs("\\&", f);
        if (*s == '\\') fputs("\\e", f);
        else if (*s == '-') fputs("\\-", f);
        else if (*s == '\n') fputc(' ', f);
        else fputc(*s, f);
        bol = false;
    }
}

void mm_cli_man_page(FILE *f)
{
    fprintf(f, ".TH MMFUSE 1 \"\" \"mmfuse %s\" \"User Commands\"\n"
               ".SH NAME\nmmfuse \\- multi\\-modal machine learning on CSV files\n"
               ".SH SYNOPSIS\n",
            MM_VERSION_STRING);
    for (size_t c = 0; c < N_COMMANDS; c++) {
        fprintf(f, ".B mmfuse %s\n", commands[c].name);
        for (int i = 0; i < commands[c].n_positional; i++) fprintf(f, ".I %s\n", commands[c].positional[i]);
        fprintf(f, "[options]\n.br\n");
    }
    fprintf(f, ".B mmfuse models\n[list | pull NAME | path NAME]\n"
               ".SH DESCRIPTION\n"
               "Each row of the CSV is a sample; columns hold numbers, categories, free text and paths to\n"
               "image and audio files. mmfuse turns each modality into a feature block, compares every\n"
               "modality alone against early and late fusion with cross\\-validation, and saves one model\n"
               "file that predicts on new rows.\n"
               ".SH COMMANDS\n");
    for (size_t c = 0; c < N_COMMANDS; c++) {
        fprintf(f, ".SS %s\n", commands[c].name);
        roff(f, commands[c].about);
        fprintf(f, "\n");
        for (int s = 0; s < S_COUNT; s++) {
            for (size_t i = 0; i < N_OPTIONS; i++) {
                const mm_opt *o = &options[i];
                if (o->section != s || !(o->commands & commands[c].bit)) continue;
                char label[96];
                option_label(label, sizeof label, o);
                fprintf(f, ".TP\n.B ");
                roff(f, label + 2);
                fprintf(f, "\n");
                roff(f, o->help);
                fprintf(f, "\n");
            }
        }
    }
    fprintf(f, ".SH EXIT STATUS\n0 ok, 1 internal error, 2 usage error, 3 bad data or model file,\n"
               "4 file cannot be read or written, 5 unsupported.\n"
               ".SH ENVIRONMENT\n.TP\n.B MMFUSE_CACHE_DIR\nthe feature cache folder\n"
               ".TP\n.B MMFUSE_MODEL_DIR\nthe folder of pretrained weights (`mmfuse models`)\n");
}
