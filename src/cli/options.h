/* The option table of the mmfuse command line.
 *
 * Every option of every subcommand is one row of one table: its name, short
 * alias, value placeholder, the commands it applies to, its section and help
 * text. The parser, each command's --help, the bash completion script and
 * the man page are all generated from that table, so nothing is parsed that
 * the help does not show, and an option given to a command it does not
 * belong to is an error instead of being silently ignored. */
#ifndef MM_CLI_OPTIONS_H
#define MM_CLI_OPTIONS_H

#include <stdbool.h>
#include <stdio.h>

/* The subcommands that take options from the table, as bits. */
enum {
    MM_CMD_EVALUATE = 1u << 0,
    MM_CMD_TRAIN = 1u << 1,
    MM_CMD_PREDICT = 1u << 2,
    MM_CMD_EXTRACT = 1u << 3,
    MM_CMD_ANALYZE = 1u << 4,
    MM_CMD_INSPECT = 1u << 5,
    MM_CMD_SCORE = 1u << 6,
};

/* One identifier per option; the parser switches on it. */
typedef enum mm_opt_id {
    MM_OPT_HELP,
    /* column roles */
    MM_OPT_TARGET, MM_OPT_NO_TARGET, MM_OPT_NUMERIC, MM_OPT_CATEGORICAL, MM_OPT_TEXT, MM_OPT_IMAGE, MM_OPT_AUDIO,
    MM_OPT_VIDEO, MM_OPT_GROUP, MM_OPT_ID, MM_OPT_IGNORE, MM_OPT_NO_INFER, MM_OPT_CONFIG, MM_OPT_SAVE_CONFIG,
    /* features */
    MM_OPT_ORDINAL, MM_OPT_MISSING_INDICATOR, MM_OPT_NO_SCALE, MM_OPT_MISSING, MM_OPT_BALANCE_DIM,
    /* text */
    MM_OPT_MAX_FEATURES, MM_OPT_NGRAM, MM_OPT_STOP_WORDS, MM_OPT_NO_SUBLINEAR, MM_OPT_MIN_DF, MM_OPT_MAX_DF,
    /* audio */
    MM_OPT_AUDIO_SR, MM_OPT_AUDIO_DURATION, MM_OPT_AUDIO_OFFSET, MM_OPT_AUDIO_MFCC, MM_OPT_AUDIO_MELS,
    MM_OPT_AUDIO_FFT, MM_OPT_AUDIO_HOP, MM_OPT_AUDIO_EXTRA,
    /* image */
    MM_OPT_IMAGE_SIZE, MM_OPT_IMAGE_FEATURES, MM_OPT_NO_DCT_SCALING, MM_OPT_EXIF_ORIENTATION, MM_OPT_IMAGE_ENCODER,
    MM_OPT_IMAGE_BATCH,
    /* model */
    MM_OPT_C, MM_OPT_MAX_ITER, MM_OPT_BALANCED,
    /* fusion and cross-validation */
    MM_OPT_FUSION, MM_OPT_LATE_WEIGHTS, MM_OPT_INNER_FOLDS, MM_OPT_NO_STACKING, MM_OPT_FOLDS, MM_OPT_SEED,
    /* input and run */
    MM_OPT_DELIMITER, MM_OPT_THREADS, MM_OPT_CACHE_DIR, MM_OPT_NO_CACHE, MM_OPT_MEDIA_ROOT, MM_OPT_QUIET, MM_OPT_NO_PROGRESS,
    /* output */
    MM_OPT_OUTPUT, MM_OPT_JSON, MM_OPT_PROBA, MM_OPT_SCALE, MM_OPT_BLOCK, MM_OPT_SAVE_OOF, MM_OPT_REPORT,
    MM_OPT_COUNT_
} mm_opt_id;

typedef struct mm_opt {
    mm_opt_id id;
    const char *name;    /* "--target"                                     */
    const char *alias;   /* "-o", or NULL                                  */
    const char *metavar; /* value placeholder ("COL"); NULL: takes no value */
    unsigned commands;   /* MM_CMD_* bits                                  */
    int section;         /* index into the section titles                  */
    const char *help;    /* lines separated by '\n', no trailing newline    */
} mm_opt;

/* A subcommand: its positional arguments and what it requires. */
typedef struct mm_cmd_spec {
    const char *name;
    unsigned bit;
    const char *positional[2]; /* placeholders, in order             */
    int n_positional;
    const char *summary;       /* one line for `mmfuse --help`         */
    const char *about;         /* the paragraph under the usage line   */
} mm_cmd_spec;

/* The command named `name`, or NULL. */
const mm_cmd_spec *mm_cli_command(const char *name);
/* The option whose name or alias is `name` (without any "=value"), or NULL. */
const mm_opt *mm_cli_option(const char *name, size_t len);
/* The option of `command` closest to a mistyped name (edit distance), or
 * NULL when none is close. */
const mm_opt *mm_cli_option_suggest(const char *name, size_t len, unsigned command);
/* Names of the commands an option applies to, comma-separated, into buf. */
const char *mm_cli_option_commands(const mm_opt *o, char *buf, size_t size);
/* The whole table (for the pipeline file, which stores settings under the
 * option names without "--"). */
const mm_opt *mm_cli_options(size_t *n);
/* True for options that are pipeline settings (features, text, audio,
 * image, model, fusion and cross-validation, and the delimiter): the
 * pipeline file stores them; roles, inputs and outputs are not settings. */
bool mm_cli_option_is_setting(const mm_opt *o);

/* The outputs and exit-codes paragraphs that end every help page. */
extern const char mm_cli_help_footer[];

/* Each command's --help, generated from the table. */
void mm_cli_command_help(FILE *f, const mm_cmd_spec *cmd);
/* `mmfuse completion bash`: a bash completion script for every command. */
void mm_cli_completion_bash(FILE *f);
/* `mmfuse man`: the manual page (roff) with every command and option. */
void mm_cli_man_page(FILE *f);
/* The commands list of `mmfuse --help`. */
void mm_cli_commands_help(FILE *f);

#endif
