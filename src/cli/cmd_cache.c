/* mmfuse cache [info|clear]: where the per-file feature cache is, what it
 * holds, and emptying it. Only files named as cache entries are counted or
 * removed (<dir>/<encoder>/<2 hex>/<16 hex>.f32, and temporaries of them),
 * so pointing --cache-dir at a wrong folder cannot delete anything else. */
#define _XOPEN_SOURCE 700
#include "cli/cli.h"
#include "pipeline/cache.h"

#include <errno.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const cache_help =
    "usage: mmfuse cache [info] [--cache-dir DIR] [--json]\n"
    "       mmfuse cache clear [--cache-dir DIR]\n"
    "\n"
    "Per-file features (MFCCs, image features, CNN features) are computed once\n"
    "and kept on disk, keyed by the file's content and the encoder's settings,\n"
    "so a second run over the same files skips the decoding. A changed file or\n"
    "setting never reuses an old entry; a damaged entry is recomputed.\n"
    "\n"
    "  info                     the folder, its entries and bytes per encoder\n"
    "  clear                    remove every entry (nothing else in the folder)\n"
    "  --cache-dir DIR          another cache folder (default $MMFUSE_CACHE_DIR,\n"
    "                           else $XDG_CACHE_HOME/mmfuse/features or\n"
    "                           ~/.cache/mmfuse/features)\n"
    "  --json                   info as JSON\n"
    "Other commands take --no-cache to neither read nor write it.\n";

enum { MAX_KINDS = 64 };

typedef struct tally {
    char kind[MAX_KINDS][64];
    size_t entries[MAX_KINDS], bytes[MAX_KINDS];
    size_t n_kinds, removed, failed;
    size_t root_len;
    bool clear;
} tally;

static tally *the_tally; /* nftw passes no user pointer */

static bool is_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return false;
    return true;
}

/* "<kind>/<2 hex>/<16 hex>.f32[.tmp.*]" relative to the root: the kind */
static bool entry_kind(const char *rel, char *kind, size_t size)
{
    const char *s1 = strchr(rel, '/');
    if (!s1 || s1 == rel || (size_t)(s1 - rel) >= size) return false;
    const char *name = s1 + 1;
    if (strlen(name) < 3 + 16 + 4 || !is_hex(name, 2) || name[2] != '/' || !is_hex(name + 3, 16)) return false;
    const char *ext = name + 3 + 16;
    if (strcmp(ext, ".f32") != 0 && strncmp(ext, ".f32.tmp.", 9) != 0) return false;
    memcpy(kind, rel, (size_t)(s1 - rel));
    kind[s1 - rel] = '\0';
    return true;
}

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)ftw;
    tally *t = the_tally;
    if (type != FTW_F || strlen(path) <= t->root_len + 1) return 0;
    char kind[64];
    if (!entry_kind(path + t->root_len + 1, kind, sizeof kind)) return 0;
    size_t k = 0;
    while (k < t->n_kinds && strcmp(t->kind[k], kind) != 0) k++;
    if (k == t->n_kinds && t->n_kinds < MAX_KINDS) snprintf(t->kind[t->n_kinds++], sizeof t->kind[0], "%s", kind);
    if (k < MAX_KINDS) {
        t->entries[k]++;
        t->bytes[k] += (size_t)st->st_size;
    }
    if (t->clear) {
        if (unlink(path) == 0) t->removed++;
        else t->failed++;
    }
    return 0;
}

/* After clearing: the emptied <kind>/<2 hex> folders go too. */
static int prune(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    if (type == FTW_DP && ftw->level > 0 && ftw->level <= 2) rmdir(path); /* fails harmlessly when not empty */
    return 0;
}

int mm_cmd_cache(int argc, char **argv)
{
    const char *action = "info", *dir = NULL;
    bool json = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(cache_help, stdout);
            return MM_EXIT_OK;
        } else if (strcmp(a, "--cache-dir") == 0 && i + 1 < argc) {
            dir = argv[++i];
        } else if (strncmp(a, "--cache-dir=", 12) == 0) {
            dir = a + 12;
        } else if (strcmp(a, "--json") == 0) {
            json = true;
        } else if (i == 0 && (strcmp(a, "info") == 0 || strcmp(a, "clear") == 0)) {
            action = a;
        } else {
            fprintf(stderr, "mmfuse cache: unexpected argument '%s' (see `mmfuse cache --help`)\n", a);
            return MM_EXIT_USAGE;
        }
    }
    char buf[4096];
    if (!dir) dir = mm_cache_default_dir(buf, sizeof buf);
    if (!dir) {
        fprintf(stderr, "mmfuse cache: no cache folder: set MMFUSE_CACHE_DIR or HOME, or give --cache-dir\n");
        return MM_EXIT_USAGE;
    }
    static tally t;
    memset(&t, 0, sizeof t);
    t.root_len = strlen(dir);
    while (t.root_len > 1 && dir[t.root_len - 1] == '/') t.root_len--;
    t.clear = strcmp(action, "clear") == 0;
    the_tally = &t;
    struct stat st;
    bool exists = stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
    if (exists && nftw(dir, visit, 16, FTW_PHYS) != 0) {
        fprintf(stderr, "mmfuse cache: cannot read %s: %s\n", dir, strerror(errno));
        return MM_EXIT_IO;
    }
    if (t.clear) {
        if (exists) nftw(dir, prune, 16, FTW_PHYS | FTW_DEPTH);
        if (t.failed) {
            fprintf(stderr, "mmfuse cache: removed %zu entries from %s; %zu could not be removed\n", t.removed, dir,
                    t.failed);
            return MM_EXIT_IO;
        }
        printf("removed %zu cache entries from %s\n", t.removed, dir);
        return MM_EXIT_OK;
    }
    size_t entries = 0, bytes = 0;
    for (size_t k = 0; k < t.n_kinds; k++) {
        entries += t.entries[k];
        bytes += t.bytes[k];
    }
    if (json) {
        printf("{\"dir\": \"");
        for (const char *p = dir; *p; p++) {
            if (*p == '"' || *p == '\\') putchar('\\');
            if ((unsigned char)*p >= 0x20) putchar(*p);
        }
        printf("\", \"exists\": %s, \"entries\": %zu, \"bytes\": %zu, \"encoders\": {", exists ? "true" : "false",
               entries, bytes);
        for (size_t k = 0; k < t.n_kinds; k++)
            printf("%s\"%s\": {\"entries\": %zu, \"bytes\": %zu}", k ? ", " : "", t.kind[k], t.entries[k], t.bytes[k]);
        printf("}}\n");
        return MM_EXIT_OK;
    }
    printf("cache: %s%s\n", dir, exists ? "" : " (not created yet)");
    for (size_t k = 0; k < t.n_kinds; k++)
        printf("  %-24s %8zu entries %12.1f KiB\n", t.kind[k], t.entries[k], (double)t.bytes[k] / 1024.0);
    printf("  %-24s %8zu entries %12.1f KiB\n", "total", entries, (double)bytes / 1024.0);
    return MM_EXIT_OK;
}
