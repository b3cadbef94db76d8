/* mmfuse: command-line entry point. */
#include "cli/cli.h"
#include "cli/options.h"
#include "core/strdist.h"

#include "io/atomic.h"

#include <string.h>
#include <sys/stat.h>

static int run(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
        mm_cli_usage(argc < 2 ? stderr : stdout, argc > 2 ? argv[2] : NULL);
        return argc < 2 ? MM_EXIT_USAGE : MM_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("mmfuse %s\n", MM_VERSION_STRING);
        return MM_EXIT_OK;
    }
    if (strcmp(argv[1], "models") == 0) return mm_cmd_models(argc - 2, argv + 2);
    if (strcmp(argv[1], "cache") == 0) return mm_cmd_cache(argc - 2, argv + 2);
    if (strcmp(argv[1], "completion") == 0) {
        if (argc != 3 || strcmp(argv[2], "bash") != 0) {
            fprintf(stderr, "mmfuse completion: usage: mmfuse completion bash\n");
            return MM_EXIT_USAGE;
        }
        mm_cli_completion_bash(stdout);
        return MM_EXIT_OK;
    }
    if (strcmp(argv[1], "man") == 0) {
        mm_cli_man_page(stdout);
        return MM_EXIT_OK;
    }
    static const struct {
        const char *name;
        int (*run)(mm_cli *);
    } commands[] = {{"evaluate", mm_cmd_evaluate}, {"train", mm_cmd_train},     {"predict", mm_cmd_predict},
                    {"extract", mm_cmd_extract},   {"inspect", mm_cmd_inspect},   {"analyze", mm_cmd_analyze},
                    {"score", mm_cmd_score}};
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(argv[1], commands[i].name) != 0) continue;
        static mm_cli c;
        memset(&c, 0, sizeof c);
        c.command = commands[i].name;
        int rc = mm_cli_parse(&c, argc - 2, argv + 2);
        if (rc == 0) rc = mm_cli_check_command_outputs(&c);
        if (rc == 0) {
            int nt = mm_threads_resolve(c.eval.pipeline.n_threads);
            mm_blas_set_threads(nt);
            const char *cache = c.eval.pipeline.cache_dir;
            struct stat st;
            bool had_cache = !cache[0] || stat(cache, &st) == 0;
            rc = commands[i].run(&c);
            /* the run that creates the cache says where it is, once */
            if (!had_cache && !c.quiet && stat(cache, &st) == 0)
                fprintf(stderr, "mmfuse: note: per-file features are now cached in %s (`mmfuse cache info`, "
                                "`mmfuse cache clear`; --no-cache turns it off)\n", cache);
        } else if (rc < 0) {
            rc = MM_EXIT_OK;
        }
        mm_cli_free(&c);
        return rc;
    }
    static const char *const names[] = {"evaluate", "train", "predict", "extract", "inspect", "analyze", "score",
                                        "models", "cache", "completion", "man", "help"};
    long near = mm_closest_name(argv[1], strlen(argv[1]), names, sizeof names / sizeof names[0]);
    if (near >= 0) fprintf(stderr, "mmfuse: unknown command '%s'; did you mean %s? (see `mmfuse --help`)\n", argv[1], names[near]);
    else fprintf(stderr, "mmfuse: unknown command '%s' (see `mmfuse --help`)\n", argv[1]);
    return MM_EXIT_USAGE;
}

int main(int argc, char **argv)
{
    /* an interrupted run removes its temporary output files */
    mm_io_atomic_install_signal_cleanup();
    return mm_cli_close_stdout(run(argc, argv));
}
