/* Checking a command's output paths before any work: each must be a regular
 * file or a new name (io/atomic.h), none may be one of the command's inputs,
 * and no two outputs may name the same file. */
#define _XOPEN_SOURCE 700 /* realpath */
#include "cli/cli.h"

#include "io/atomic.h"

#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *mm_cli_sidecar_path(const char *npy)
{
    size_t n = strlen(npy);
    char *p = malloc(n + 6);
    if (!p) return NULL;
    memcpy(p, npy, n + 1);
    if (n > 4 && strcmp(p + n - 4, ".npy") == 0) p[n - 4] = '\0';
    strcat(p, ".json");
    return p;
}

/* One spelling per file for comparing outputs that may not exist yet: the
 * resolved path when it exists, else the resolved directory + the name. */
static char *canonical(const char *path)
{
    char *r = realpath(path, NULL);
    if (r) return r;
    char *d = strdup(path), *b = strdup(path);
    char *out = NULL;
    if (d && b) {
        char *dir = realpath(dirname(d), NULL);
        const char *base = basename(b);
        if (dir) {
            size_t n = strlen(dir) + strlen(base) + 2;
            out = malloc(n);
            if (out) snprintf(out, n, "%s/%s", dir, base);
            free(dir);
        } else {
            out = strdup(path);
        }
    }
    free(d);
    free(b);
    return out;
}

static bool same_file(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

int mm_cli_check_outputs(const mm_cli *c, const char *const *outputs, size_t n_out)
{
    const char *inputs[4];
    size_t n_in = 0;
    for (int i = 0; i < c->n_positional; i++) inputs[n_in++] = c->positional[i];
    if (c->config) inputs[n_in++] = c->config;
    int rc = 0;
    char *canon[8] = {0};
    for (size_t k = 0; k < n_out && k < 8 && !rc; k++) {
        const char *out = outputs[k];
        mm_error err = {0};
        mm_status st = mm_io_output_check(out, NULL, NULL, &err);
        if (st) {
            rc = mm_cli_fail(st, &err);
            break;
        }
        struct stat so;
        if (stat(out, &so) == 0) {
            for (size_t i = 0; i < n_in && !rc; i++) {
                struct stat si;
                bool is_stdin = strcmp(inputs[i], "-") == 0;
                if ((is_stdin ? fstat(STDIN_FILENO, &si) : stat(inputs[i], &si)) != 0) continue;
                if (!same_file(&so, &si)) continue;
                fprintf(stderr, "mmfuse: %s: is the same file as the input %s; refusing to overwrite an input\n",
                        out, is_stdin ? "(standard input)" : inputs[i]);
                rc = MM_EXIT_IO;
            }
        }
        canon[k] = canonical(out);
        for (size_t j = 0; j < k && !rc; j++) {
            if (!canon[j] || !canon[k] || strcmp(canon[j], canon[k]) != 0) continue;
            fprintf(stderr, "mmfuse: %s and %s name the same file; give each output its own name\n", outputs[j],
                    out);
            rc = MM_EXIT_IO;
        }
    }
    for (size_t k = 0; k < 8; k++) free(canon[k]);
    return rc;
}

int mm_cli_check_command_outputs(const mm_cli *c)
{
    const char *out[6];
    size_t n = 0;
    char *side = NULL;
    const char *cmd = c->command;
    if (strcmp(cmd, "train") == 0 && c->output) out[n++] = c->output;
    if (strcmp(cmd, "predict") == 0 && c->output && strcmp(c->output, "-") != 0) out[n++] = c->output;
    if (strcmp(cmd, "extract") == 0 && c->output) {
        out[n++] = c->output;
        side = mm_cli_sidecar_path(c->output);
        if (!side) {
            fprintf(stderr, "mmfuse: out of memory\n");
            return MM_EXIT_INTERNAL;
        }
        out[n++] = side;
    }
    if (strcmp(cmd, "evaluate") == 0 && c->save_oof) out[n++] = c->save_oof;
    if (c->save_config) out[n++] = c->save_config;
    if (c->report) out[n++] = c->report;
    int rc = mm_cli_check_outputs(c, out, n);
    free(side);
    return rc;
}

void mm_cli_error_rename(mm_error *err, const char *tmp, const char *path)
{
    char *at = err && tmp && path ? strstr(err->msg, tmp) : NULL;
    if (!at) return;
    char rest[sizeof err->msg];
    snprintf(rest, sizeof rest, "%s", at + strlen(tmp));
    *at = '\0';
    size_t used = strlen(err->msg);
    snprintf(err->msg + used, sizeof err->msg - used, "%s%s", path, rest);
}

int mm_cli_close_stdout(int rc)
{
    /* Results go to stdout: a full disk or a closed pipe must not pass for
     * success. A write error may have happened in any earlier printf, so
     * the stream's error flag is checked as well as the final flush. */
    int e = 0;
    bool bad = false;
    if (fflush(stdout) != 0) {
        e = errno;
        bad = true;
    } else if (ferror(stdout)) {
        bad = true;
    }
    if (fclose(stdout) != 0 && !bad && errno != EBADF) {
        e = errno;
        bad = true;
    }
    if (!bad) return rc;
    if (rc) return rc; /* the command has reported its own failure */
    if (e) fprintf(stderr, "mmfuse: cannot write the results to standard output: %s\n", strerror(e));
    else fprintf(stderr, "mmfuse: cannot write the results to standard output (write error)\n");
    return MM_EXIT_IO;
}
