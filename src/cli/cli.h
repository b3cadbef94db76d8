/* The mmfuse command line: parsed options and the subcommands. */
#ifndef MM_CLI_H
#define MM_CLI_H

#include "mmfuse/pipeline.h"
#include "mmfuse/report.h"
#include "cli/options.h"

#include <stdio.h>

/* Exit codes (also listed in `mmfuse --help`). */
enum {
    MM_EXIT_OK = 0,
    MM_EXIT_INTERNAL = 1, /* out of memory, numeric failure, a bug           */
    MM_EXIT_USAGE = 2,    /* bad flags, unknown column, invalid parameter    */
    MM_EXIT_DATA = 3,     /* malformed CSV / model file, unusable target     */
    MM_EXIT_IO = 4,       /* a file cannot be read or written                */
    MM_EXIT_UNSUPPORTED = 5
};

enum { MM_CLI_MAX_NAMES = 1024 };

typedef struct mm_cli {
    const char *command;
    const char *positional[2];
    int n_positional;
    /* schema */
    const char *target;
    const char *names[MM_CLI_MAX_NAMES];
    mm_role roles[MM_CLI_MAX_NAMES];
    mm_role_source sources[MM_CLI_MAX_NAMES];
    const char *groups[MM_CLI_MAX_NAMES];
    size_t n_names;
    bool no_infer;
    bool no_target; /* extract: the file has no target column */
    const char *config;
    const char *save_config;
    const char *save_oof;
    const char *report; /* --report FILE.html */
    /* params */
    mm_eval_params eval;
    const char *fusion;
    char delimiter;
    /* outputs */
    const char *output;
    bool json;
    bool proba;
    bool scale;
    const char *block;
    bool quiet;
    bool progress;
    bool no_cache;
    /* encoder settings collected from --audio-* / --image-* flags */
    struct cJSON *audio_cfg, *image_cfg;
    /* the raw value of every option given (flag or pipeline file), by
     * option id; "true" for a switch */
    const char *given[MM_OPT_COUNT_];
    /* owned strings from --config / comma lists */
    char *owned[MM_CLI_MAX_NAMES];
    size_t n_owned;
} mm_cli;

/* Parses argv (after the subcommand). On a usage error prints it and
 * returns MM_EXIT_USAGE; on --help prints help and returns -1. */
int mm_cli_parse(mm_cli *c, int argc, char **argv);
void mm_cli_free(mm_cli *c);
/* Exit code for a library status. */
int mm_cli_exit_code(mm_status st);
/* Prints "mmfuse: <msg>" to stderr and returns the exit code for st. */
int mm_cli_fail(mm_status st, const mm_error *err);
void mm_cli_usage(FILE *f, const char *command);

/* Reads the CSV named by the first positional argument. */
int mm_cli_read_table(const mm_cli *c, const char *path, mm_table **t);
/* Builds the schema from flags / --config / inference. */
int mm_cli_schema(const mm_cli *c, const mm_table *t, mm_schema **s);
/* Prints data-quality notes (skipped rows, unparsable numbers) to stderr. */
void mm_cli_report(const mm_cli *c, const mm_data_report *r, const char *what);
/* Every pipeline setting of this run, given or default, as the pipeline
 * file's "settings" object. */
struct cJSON *mm_cli_settings_json(const mm_cli *c);
/* Writes a copyable pipeline config for the schema (--save-config). */
int mm_cli_write_config(const mm_cli *c, const mm_schema *s);

/* One note of a run (skipped rows, unparsable cells, files not used), or a
 * warning (a class smaller than the folds). */
typedef struct mm_cli_note {
    bool warning;
    char text[400];
} mm_cli_note;
/* The notes of a data report, at most max of them; returns the count. */
size_t mm_cli_notes(const mm_data_report *r, const char *what, mm_cli_note *notes, size_t max);
/* "flag", "config" or "inferred". */
const char *mm_cli_source_name(mm_role_source s);
/* {"confusion": [[...]], "per_class": [{class, precision, recall, f1,
 * support}], "roc_auc" (two classes)} of one model's predictions; NULL on
 * failure. */
struct cJSON *mm_cli_json_metrics(const int32_t *y, const int32_t *pred, const double *proba, size_t n, size_t K,
                                  char *const *classes);
/* --report: the HTML report of an evaluation (pairs: analyze's). */
int mm_cli_write_report(const mm_cli *c, const mm_schema *s, const mm_eval_result *r, const mm_report_pair *pairs,
                        size_t n_pairs, const char *what);
/* Output paths (src/cli/output.c). Every path a command writes is checked
 * before any work: a regular file or a new name (symbolic links followed),
 * not one of the command's inputs (positional files, --config; same inode),
 * and no two outputs the same file. Prints the reason and returns
 * MM_EXIT_IO, or 0. */
int mm_cli_check_outputs(const mm_cli *c, const char *const *outputs, size_t n_out);
/* The same for the outputs of c->command (-o, the .npy sidecar, --save-oof,
 * --save-config). */
int mm_cli_check_command_outputs(const mm_cli *c);
/* FEATURES.npy -> FEATURES.json (PATH.json when PATH has no .npy); malloc'ed. */
char *mm_cli_sidecar_path(const char *npy);
/* Replaces the first mention of a temporary file's name in err's message
 * with the name the user gave. */
void mm_cli_error_rename(mm_error *err, const char *tmp, const char *path);
/* Flushes and closes stdout; on a write error prints it and returns
 * MM_EXIT_IO when rc was 0, else rc. */
int mm_cli_close_stdout(int rc);

/* Loads a model file and applies --media-root to it; a format-1 file gets a
 * note that its header is not protected by the checksum. */
int mm_cli_load_model(const mm_cli *c, const char *path, mm_pipeline **m);

int mm_cmd_evaluate(mm_cli *c);
int mm_cmd_train(mm_cli *c);
int mm_cmd_predict(mm_cli *c);
int mm_cmd_extract(mm_cli *c);
int mm_cmd_inspect(mm_cli *c);
int mm_cmd_score(mm_cli *c);
/* mmfuse cache [info|clear] (its own small parser, like `models`). */
int mm_cmd_cache(int argc, char **argv);
int mm_cmd_analyze(mm_cli *c);
/* `mmfuse models ...` parses its own arguments (argv after "models"). */
int mm_cmd_models(int argc, char **argv);

#endif
