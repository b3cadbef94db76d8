/* mmfuse: command-line entry point. */
#include "cli/cli.h"

#include "io/atomic.h"

#include <string.h>

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
    static const struct {
        const char *name;
        int (*run)(mm_cli *);
    } commands[] = {{"evaluate", mm_cmd_evaluate}, {"train", mm_cmd_train},     {"predict", mm_cmd_predict},
                    {"extract", mm_cmd_extract},   {"inspect", mm_cmd_inspect},   {"analyze", mm_cmd_analyze}};
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
            rc = commands[i].run(&c);
        } else if (rc < 0) {
            rc = MM_EXIT_OK;
        }
        mm_cli_free(&c);
        return rc;
    }
    fprintf(stderr, "mmfuse: unknown command '%s'\n\n", argv[1]);
    mm_cli_usage(stderr, NULL);
    return MM_EXIT_USAGE;
}

int main(int argc, char **argv)
{
    /* an interrupted run removes its temporary output files */
    mm_io_atomic_install_signal_cleanup();
    return mm_cli_close_stdout(run(argc, argv));
}
