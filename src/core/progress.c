/* A progress bar on stderr, drawn only on a terminal and at most once per
 * thousandth of the work, so it costs nothing in the inner loops. */
#include "mmfuse/core.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

void mm_progress_bar_init(mm_progress_bar *bar, bool enabled)
{
    memset(bar, 0, sizeof *bar);
    bar->enabled = enabled && isatty(STDERR_FILENO);
    bar->last_permille = (size_t)-1;
    bar->start_s = mm_now_seconds();
}

bool mm_progress_bar_update(const char *stage, size_t done, size_t total, void *user)
{
    mm_progress_bar *bar = user;
    if (!bar || !bar->enabled || total == 0) return true;
    size_t permille = done >= total ? 1000 : (size_t)((double)done * 1000.0 / (double)total);
    bool new_stage = strncmp(bar->stage, stage, sizeof bar->stage - 1) != 0;
    if (!new_stage && permille == bar->last_permille) return true;
    if (new_stage) {
        snprintf(bar->stage, sizeof bar->stage, "%s", stage);
        bar->start_s = mm_now_seconds();
    }
    bar->last_permille = permille;
    enum { WIDTH = 30 };
    char cells[WIDTH + 1];
    size_t fill = permille * WIDTH / 1000;
    for (size_t i = 0; i < WIDTH; i++) cells[i] = i < fill ? '#' : '.';
    cells[WIDTH] = '\0';
    double el = mm_now_seconds() - bar->start_s;
    fprintf(stderr, "\r%-24.24s [%s] %5.1f%% %zu/%zu %.1fs", bar->stage, cells, permille / 10.0,
            done, total, el);
    fflush(stderr);
    bar->drawn = true;
    return true;
}

void mm_progress_bar_finish(mm_progress_bar *bar)
{
    if (bar && bar->enabled && bar->drawn) {
        fprintf(stderr, "\r%*s\r", 90, "");
        fflush(stderr);
        bar->drawn = false;
    }
    if (bar) {
        bar->stage[0] = '\0';
        bar->last_permille = (size_t)-1;
    }
}
