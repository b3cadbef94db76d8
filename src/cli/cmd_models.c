/* mmfuse models: list the pretrained encoders, download their weights,
 * print where a model's file is. */
#include "cli/cli.h"

#include "io/atomic.h"
#include "mmfuse/io.h"
#include "mmfuse/models.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

enum { PATH_CAP = 4096 };

static const char *const models_help =
    "usage: mmfuse models [list] [--json]\n"
    "       mmfuse models pull NAME|URL [--sha256 HEX] [-o|--output PATH] [--force]\n"
    "                          [--timeout SECONDS] [--max-size BYTES] [-q]\n"
    "       mmfuse models path NAME\n"
    "\n"
    "Pretrained CNN image encoders (ResNet-18/34/50, torchvision ImageNet-1k\n"
    "weights). Nothing is downloaded unless you ask: the default image features\n"
    "need no weights.\n"
    "\n"
    "  models [list]            the registry: name, feature length, expected file,\n"
    "                           whether it is in the models directory, source URL\n"
    "    --json                 the same as JSON\n"
    "  models pull NAME         download a registered model to <models dir>/<file>\n"
    "  models pull URL          download any http://, https:// or file:// URL to\n"
    "                           --output, or to <models dir>/<last part of the URL>\n"
    "    --sha256 HEX           the file's expected SHA-256 (for a NAME the\n"
    "                           registry's, when it lists one); a mismatch is an\n"
    "                           error and leaves nothing behind\n"
    "    -o, --output PATH      where to save the file: a regular file or a new\n"
    "                           name (a symbolic link is followed to the file it\n"
    "                           names; devices, FIFOs, sockets, directories are\n"
    "                           refused). The download goes to PATH.tmp.<pid> and is\n"
    "                           renamed into place when complete and checked; a\n"
    "                           replaced file keeps its permissions, and Ctrl-C\n"
    "                           leaves no temporary file\n"
    "    --force                replace an existing file\n"
    "    --timeout SECONDS      give up when the whole download takes longer\n"
    "                           (default: no limit; a download slower than 1 KiB/s\n"
    "                           for 30 s is always abandoned)\n"
    "    --max-size BYTES       give up when the file is larger (K, M, G suffixes\n"
    "                           are powers of 1024). A NAME has a limit from the\n"
    "                           registry (about 1.25 times its expected size)\n"
    "    -q, --quiet            no progress bar\n"
    "                           A file saved as *.safetensors (and every NAME) must\n"
    "                           open as safetensors, or it is removed again. The\n"
    "                           final path and the file's SHA-256 are printed.\n"
    "  models path NAME         print the weights file a NAME resolves to (exit 4,\n"
    "                           with a message, when it is not there yet)\n"
    "\n"
    "Using a model:\n"
    "  --image-encoder resnet18                    the file in the models directory\n"
    "  --image-encoder resnet18:/path/file.safetensors   any file with torchvision\n"
    "                           key names (conv1.weight, bn1.*, layer1.0.conv1.weight,\n"
    "                           layerX.Y.downsample.0/1.*, fc.*), e.g. one you\n"
    "                           converted from a torchvision or timm checkpoint\n"
    "\n"
    "Environment:\n"
    "  MMFUSE_MODEL_DIR         the models directory (default\n"
    "                           $XDG_CACHE_HOME/mmfuse/models or\n"
    "                           ~/.cache/mmfuse/models)\n"
    "  MMFUSE_MODEL_URL_BASE    pull a NAME from $MMFUSE_MODEL_URL_BASE/<file>\n"
    "                           instead of its registry URL (a mirror, or a local\n"
    "                           folder as file:///path)\n"
    "  MMFUSE_PULL_STALL_SECONDS  seconds under 1 KiB/s before a download is\n"
    "                           abandoned (30; meant for tests)\n"
    "  http_proxy, https_proxy, no_proxy   honoured by the downloader\n"
    "\n"
    "Exit codes: 0 ok, 2 usage error, 3 the download is not what was expected\n"
    "(checksum, not safetensors, larger than its size limit), 4 download or file\n"
    "error (also: the file exists and --force was not given; the destination is\n"
    "not a regular file or a new name; the download stalled or ran past\n"
    "--timeout; standard output cannot be written).\n";

static int usage(const char *fmt, ...) MM_PRINTF(1, 2);
static int usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "mmfuse models: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n(see `mmfuse models --help`)\n");
    va_end(ap);
    return MM_EXIT_USAGE;
}

static void human_size(double bytes, char *buf, size_t n)
{
    static const char *const units[] = {"B", "KB", "MB", "GB", "TB"};
    int u = 0;
    while (bytes >= 1000.0 && u < 4) {
        bytes /= 1000.0;
        u++;
    }
    if (u == 0) snprintf(buf, n, "%.0f B", bytes);
    else snprintf(buf, n, "%.1f %s", bytes, units[u]);
}

/* Size of a regular file, or -1 when there is none. */
static long long file_size(const char *path)
{
    struct stat sb;
    if (stat(path, &sb) != 0 || S_ISDIR(sb.st_mode)) return -1;
    return (long long)sb.st_size;
}

static const char *dir_source(void)
{
    const char *v = getenv("MMFUSE_MODEL_DIR");
    if (v && *v) return "$MMFUSE_MODEL_DIR";
    v = getenv("XDG_CACHE_HOME");
    if (v && *v) return "$XDG_CACHE_HOME";
    return "default";
}

static int cmd_list(bool json)
{
    char dir[PATH_CAP];
    mm_error err = {0};
    mm_status st = mm_models_dir(dir, sizeof dir, &err);
    if (st) return mm_cli_fail(st, &err);
    size_t n = mm_models_count();
    if (json) {
        cJSON *root = cJSON_CreateObject();
        cJSON_AddStringToObject(root, "models_dir", dir);
        cJSON *arr = cJSON_AddArrayToObject(root, "models");
        for (size_t i = 0; i < n; i++) {
            const mm_model_entry *e = mm_models_at(i);
            char path[PATH_CAP + 256];
            snprintf(path, sizeof path, "%s/%s", dir, e->file);
            long long sz = file_size(path);
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "name", e->name);
            cJSON_AddStringToObject(o, "arch", e->arch);
            cJSON_AddNumberToObject(o, "dim", (double)e->dim);
            cJSON_AddStringToObject(o, "file", e->file);
            cJSON_AddStringToObject(o, "path", path);
            cJSON_AddBoolToObject(o, "present", sz >= 0);
            if (sz >= 0) cJSON_AddNumberToObject(o, "size", (double)sz);
            else cJSON_AddNullToObject(o, "size");
            cJSON_AddStringToObject(o, "url", e->url);
            if (e->sha256) cJSON_AddStringToObject(o, "sha256", e->sha256);
            else cJSON_AddNullToObject(o, "sha256");
            cJSON_AddStringToObject(o, "about", e->about);
            cJSON_AddItemToArray(arr, o);
        }
        char *text = cJSON_Print(root);
        cJSON_Delete(root);
        if (!text) {
            fprintf(stderr, "mmfuse: out of memory\n");
            return MM_EXIT_INTERNAL;
        }
        printf("%s\n", text);
        free(text);
        return MM_EXIT_OK;
    }
    printf("models directory: %s (%s)\n\n", dir, dir_source());
    printf("%-10s %5s  %-22s %-16s %s\n", "name", "dim", "file", "present", "source");
    for (size_t i = 0; i < n; i++) {
        const mm_model_entry *e = mm_models_at(i);
        char path[PATH_CAP + 256], present[32] = "no";
        snprintf(path, sizeof path, "%s/%s", dir, e->file);
        long long sz = file_size(path);
        if (sz >= 0) {
            char hs[24];
            human_size((double)sz, hs, sizeof hs);
            snprintf(present, sizeof present, "yes (%s)", hs);
        }
        printf("%-10s %5zu  %-22s %-16s %s\n", e->name, e->dim, e->file, present, e->url);
    }
    printf("\n");
    for (size_t i = 0; i < n; i++) {
        const mm_model_entry *e = mm_models_at(i);
        printf("  %-10s %s\n", e->name, e->about);
    }
    printf("\n"
           "Download:  mmfuse models pull resnet18      (to the models directory)\n"
           "Use:       --image-encoder resnet18          (the file in the models directory)\n"
           "           --image-encoder resnet18:/path/file.safetensors\n"
           "Any safetensors file with torchvision key names (conv1.weight, bn1.*,\n"
           "layer1.0.conv1.weight, ..., fc.*) works. More: mmfuse models --help\n");
    return MM_EXIT_OK;
}

static int cmd_path(int argc, char **argv)
{
    if (argc != 1) return usage("path takes one NAME (got %s)", argc ? "more" : "none");
    char out[PATH_CAP];
    mm_error err = {0};
    mm_status st = mm_models_resolve(argv[0], out, sizeof out, &err);
    if (st) return mm_cli_fail(st, &err);
    printf("%s\n", out);
    return MM_EXIT_OK;
}

/* Last segment of the URL's path, without query or fragment, into buf. */
static bool url_basename(const char *url, char *buf, size_t n)
{
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    size_t end = strcspn(p, "?#");
    const char *slash = NULL;
    for (size_t i = 0; i < end; i++)
        if (p[i] == '/') slash = p + i;
    if (!slash) return false; /* only a host */
    const char *b = slash + 1;
    size_t len = (size_t)(p + end - b);
    if (len == 0 || len >= n || (len == 1 && b[0] == '.') || (len == 2 && b[0] == '.' && b[1] == '.'))
        return false;
    memcpy(buf, b, len);
    buf[len] = '\0';
    return true;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcasecmp(s + a - b, suffix) == 0;
}

static bool valid_hex64(const char *h)
{
    if (strlen(h) != 64) return false;
    for (const char *c = h; *c; c++)
        if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f') || (*c >= 'A' && *c <= 'F')))
            return false;
    return true;
}

typedef struct pull_opts {
    const char *what; /* NAME or URL */
    const char *sha256;
    const char *output;
    bool force, quiet;
    long timeout_s;     /* --timeout; 0 = none                          */
    long stall_s;       /* $MMFUSE_PULL_STALL_SECONDS; 0 = the default   */
    uint64_t max_bytes; /* --max-size; 0 = none (a NAME has its own)     */
} pull_opts;

/* What the check of a finished download found. */
typedef struct pull_check {
    const char *url;
    bool weights;
    size_t n_tensors;
    char hex[65];
} pull_check;

/* mm_download's verify hook: a file saved as weights must open as
 * safetensors. */
static mm_status verify_pull(const char *tmp, const char *hex, void *user, mm_error *err)
{
    pull_check *k = user;
    snprintf(k->hex, sizeof k->hex, "%s", hex);
    if (!k->weights) return MM_OK;
    mm_st_file *f = NULL;
    mm_error e = {0};
    if (mm_st_open(tmp, &f, &e) != MM_OK) {
        /* the reader names the temporary file; the user knows the URL */
        const char *why = e.msg;
        size_t tl = strlen(tmp);
        if (strncmp(why, tmp, tl) == 0 && why[tl] == ':') why += tl + 1 + (why[tl + 1] == ' ');
        return mm_error_set(err, MM_EFORMAT, "%s is not a usable safetensors file (%s); nothing was saved", k->url,
                            why);
    }
    k->n_tensors = mm_st_count(f);
    mm_st_close(f);
    return MM_OK;
}

/* "1000", "64K", "100M", "2G" (powers of 1024); 0 when invalid. */
static uint64_t parse_size(const char *v)
{
    char *end;
    errno = 0;
    if (!(*v >= '0' && *v <= '9')) return 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (errno || end == v) return 0;
    unsigned shift = 0;
    if (*end == 'k' || *end == 'K') shift = 10;
    else if (*end == 'm' || *end == 'M') shift = 20;
    else if (*end == 'g' || *end == 'G') shift = 30;
    if (shift) end++;
    if (*end == 'i' && shift) end++;
    if ((*end == 'b' || *end == 'B') && shift) end++;
    if (*end || n > (UINT64_MAX >> shift)) return 0;
    return (uint64_t)n << shift;
}

static bool parse_seconds(const char *v, long *out)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < 1 || n > 604800) return false;
    *out = n;
    return true;
}

/* The destination already exists and --force was not given. */
static int pull_existing(const char *dest, const char *sha)
{
    char hex[65];
    mm_error err = {0};
    mm_status st = mm_sha256_file(dest, hex, &err);
    if (st) return mm_cli_fail(st, &err);
    if (sha && strcasecmp(hex, sha) == 0) {
        printf("already present: %s\nsha256: %s (verified)\n", dest, hex);
        return MM_EXIT_OK;
    }
    if (sha)
        fprintf(stderr,
                "mmfuse: %s already exists but its SHA-256 is %s, not the expected %s; "
                "pass --force to download it again\n",
                dest, hex, sha);
    else
        fprintf(stderr,
                "mmfuse: %s already exists (sha256 %s) and there is no checksum to compare it "
                "with; pass --force to replace it\n",
                dest, hex);
    return MM_EXIT_IO;
}

static int cmd_pull(const pull_opts *o)
{
    const mm_model_entry *e = NULL;
    bool is_url = strstr(o->what, "://") != NULL;
    char url[PATH_CAP], dest[PATH_CAP], dir[PATH_CAP];
    mm_error err = {0};
    if (!is_url) {
        e = mm_models_find(o->what);
        if (!e) {
            fprintf(stderr, "mmfuse models: '%s' is neither a registered model nor a URL; known:",
                    o->what);
            for (size_t i = 0; i < mm_models_count(); i++)
                fprintf(stderr, " %s", mm_models_at(i)->name);
            fprintf(stderr, "\n");
            return MM_EXIT_USAGE;
        }
        const char *base = getenv("MMFUSE_MODEL_URL_BASE");
        if (base && *base) {
            size_t bl = strlen(base);
            while (bl > 0 && base[bl - 1] == '/') bl--;
            snprintf(url, sizeof url, "%.*s/%s", (int)bl, base, e->file);
        } else {
            snprintf(url, sizeof url, "%s", e->url);
        }
    } else if (strlen(o->what) >= sizeof url) {
        return usage("URL too long: %.60s...", o->what);
    } else {
        snprintf(url, sizeof url, "%s", o->what);
    }
    const char *sha = o->sha256 ? o->sha256 : e ? e->sha256 : NULL;
    if (o->sha256 && !valid_hex64(o->sha256))
        return usage("--sha256 '%s' is not 64 hex digits", o->sha256);

    if (o->output) {
        if (strlen(o->output) >= sizeof dest) return usage("--output path too long: %.60s...", o->output);
        snprintf(dest, sizeof dest, "%s", o->output);
    } else {
        mm_status st = mm_models_dir(dir, sizeof dir, &err);
        if (st) return mm_cli_fail(st, &err);
        char base[1024];
        if (e) snprintf(base, sizeof base, "%s", e->file);
        else if (!url_basename(url, base, sizeof base))
            return usage("cannot tell a file name from %s; give one with --output PATH", url);
        int len = snprintf(dest, sizeof dest, "%s/%s", dir, base);
        if (len < 0 || (size_t)len >= sizeof dest) return usage("destination path too long: %s", dir);
    }
    bool weights = e != NULL || ends_with(dest, ".safetensors");

    /* the destination must be a regular file or a new name before anything
     * is read from it (hashing a device would never end) or downloaded */
    bool exists = false;
    mm_status st = mm_io_output_check(dest, NULL, &exists, &err);
    if (st) return mm_cli_fail(st, &err);
    if (exists && !o->force) return pull_existing(dest, sha);

    if (!o->quiet) fprintf(stderr, "mmfuse: downloading %s -> %s\n", url, dest);
    mm_download_params p = mm_download_params_default();
    p.sha256 = sha;
    p.progress = !o->quiet;
    p.stall_s = o->stall_s;
    p.max_time_s = o->timeout_s;
    p.max_bytes = e ? e->max_bytes : 0;
    if (o->max_bytes && (!p.max_bytes || o->max_bytes < p.max_bytes)) p.max_bytes = o->max_bytes;
    /* the payload is checked in its temporary file, before it replaces
     * anything, so that an unusable download leaves the old file */
    pull_check chk = {.url = url, .weights = weights};
    p.verify = verify_pull;
    p.verify_user = &chk;
    st = mm_download(url, dest, &p, &err);
    if (st) return mm_cli_fail(st, &err);

    char hs[24];
    long long sz = file_size(dest);
    human_size((double)(sz < 0 ? 0 : sz), hs, sizeof hs);
    printf("path: %s\nsha256: %s%s\nsize: %s (%lld bytes)\n", dest, chk.hex, sha ? " (verified)" : "", hs, sz);
    if (weights) printf("tensors: %zu\n", chk.n_tensors);
    if (!sha && !o->quiet)
        fprintf(stderr, "mmfuse: no checksum was given to verify against; keep the SHA-256 above "
                        "and pass it with --sha256 to check later downloads\n");
    return MM_EXIT_OK;
}

static int parse_pull(int argc, char **argv)
{
    pull_opts o = {0};
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        bool has_next = i + 1 < argc;
        if (strcmp(a, "--sha256") == 0) {
            if (!has_next) return usage("%s needs a value", a);
            o.sha256 = argv[++i];
        } else if (strcmp(a, "--output") == 0 || strcmp(a, "-o") == 0) {
            if (!has_next) return usage("%s needs a value", a);
            o.output = argv[++i];
        } else if (strcmp(a, "--timeout") == 0) {
            if (!has_next) return usage("%s needs a value", a);
            if (!parse_seconds(argv[++i], &o.timeout_s))
                return usage("--timeout '%s' is not a number of seconds from 1 to 604800", argv[i]);
        } else if (strcmp(a, "--max-size") == 0) {
            if (!has_next) return usage("%s needs a value", a);
            if (!(o.max_bytes = parse_size(argv[++i])))
                return usage("--max-size '%s' is not a positive size (bytes, or with K, M, G)", argv[i]);
        } else if (strcmp(a, "--force") == 0) {
            o.force = true;
        } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            o.quiet = true;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(models_help, stdout);
            return MM_EXIT_OK;
        } else if (a[0] == '-' && a[1]) {
            return usage("unknown option '%s' for pull", a);
        } else if (o.what) {
            return usage("pull takes one NAME or URL (extra '%s')", a);
        } else {
            o.what = a;
        }
    }
    if (!o.what || !*o.what) return usage("%s", "pull needs a NAME (see `mmfuse models`) or a URL");
    if (o.output && !*o.output) return usage("%s", "--output is empty");
    const char *stall = getenv("MMFUSE_PULL_STALL_SECONDS");
    if (stall && *stall && !parse_seconds(stall, &o.stall_s))
        return usage("MMFUSE_PULL_STALL_SECONDS '%s' is not a number of seconds from 1 to 604800", stall);
    return cmd_pull(&o);
}

int mm_cmd_models(int argc, char **argv)
{
    const char *sub = argc > 0 ? argv[0] : "list";
    if (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0 || strcmp(sub, "help") == 0) {
        fputs(models_help, stdout);
        return MM_EXIT_OK;
    }
    if (strcmp(sub, "pull") == 0) return parse_pull(argc - 1, argv + 1);
    if (strcmp(sub, "path") == 0) {
        for (int i = 1; i < argc; i++)
            if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
                fputs(models_help, stdout);
                return MM_EXIT_OK;
            }
        return cmd_path(argc - 1, argv + 1);
    }
    /* list, with or without the word */
    int i = strcmp(sub, "list") == 0 ? 1 : 0;
    bool json = false;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) json = true;
        else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(models_help, stdout);
            return MM_EXIT_OK;
        } else return usage("unknown argument '%s' (commands: list, pull, path)", argv[i]);
    }
    return cmd_list(json);
}
