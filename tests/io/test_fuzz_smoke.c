/* io: the fuzz targets (CSV, safetensors, model file, pipeline JSON) run
 * without libFuzzer, over the seed corpus in fuzz/corpus/ and over
 * deterministic random mutations of it (mm_rng, fixed seed). A target
 * aborts on any broken invariant, and ASan/UBSan builds of this test catch
 * memory errors; passing means none happened. The model and pipeline-JSON
 * seeds must also be accepted as they are (except those named bad_*), so
 * that the corpus keeps reaching past the first check. */
#include "mmfuse/io.h"
#include "mmtest.h"

#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LLVMFuzzerTestOneInput mm_fuzz_csv_one
#include "../../fuzz/fuzz_csv.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput mm_fuzz_st_one
#include "../../fuzz/fuzz_safetensors.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput mm_fuzz_model_one
#include "../../fuzz/fuzz_model.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput mm_fuzz_json_one
#include "../../fuzz/fuzz_pipeline_json.c"
#undef LLVMFuzzerTestOneInput

/* The input being run, written out if a target aborts so that the failure
 * can be replayed (e.g. with the libFuzzer binary from fuzz/run.sh). */
static const unsigned char *current_input;
static size_t current_len;
static const char *current_target;
static size_t runs;

static void on_abort(int sig)
{
    (void)sig;
    static const char msg[] = "test_fuzz_smoke: a target aborted; input saved to fuzz_smoke_crash.bin\n";
    if (write(2, msg, sizeof msg - 1) < 0) _exit(3);
    FILE *f = fopen("fuzz_smoke_crash.bin", "wb");
    if (f) {
        fwrite(current_input, 1, current_len, f);
        fclose(f);
    }
    fprintf(stderr, "target: %s, %zu bytes\n", current_target, current_len);
    _exit(3);
}

static void run_one(int (*target)(const uint8_t *, size_t), const unsigned char *p, size_t n)
{
    current_input = p;
    current_len = n;
    target(p, n);
    runs++;
}

typedef struct blob {
    unsigned char *p;
    size_t n;
    bool bad; /* named bad_*: a seed the target is meant to reject */
    char name[64];
} blob;

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Loads every file of a corpus folder, in name order. */
static size_t load_corpus(const char *dir, blob *out, size_t cap)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    char *names[256];
    size_t nn = 0;
    struct dirent *e;
    while ((e = readdir(d)) && nn < 256) {
        if (e->d_name[0] == '.') continue;
        names[nn] = malloc(strlen(e->d_name) + 1);
        strcpy(names[nn++], e->d_name);
    }
    closedir(d);
    qsort(names, nn, sizeof *names, cmp_names);
    size_t n = 0;
    for (size_t i = 0; i < nn; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        FILE *f = fopen(path, "rb");
        if (!f || n == cap) {
            if (f) fclose(f);
            free(names[i]);
            continue;
        }
        fseek(f, 0, SEEK_END);
        long len = ftell(f);
        fseek(f, 0, SEEK_SET);
        out[n].p = malloc((size_t)len + 1);
        out[n].n = fread(out[n].p, 1, (size_t)len, f);
        out[n].bad = strncmp(names[i], "bad_", 4) == 0;
        snprintf(out[n].name, sizeof out[n].name, "%.63s", names[i]);
        free(names[i]);
        fclose(f);
        n++;
    }
    return n;
}

static const unsigned char interesting[] = {',', ';', '"', '\n', '\r', '\0', ' ', '{', '}', '[',
                                            ']', ':', '0', '1', '9', '-', '.', 'e', 0x80, 0xBF,
                                            0xC3, 0xE2, 0xED, 0xEF, 0xF0, 0xF4, 0xFF};

/* Applies 1..4 random edits to a copy of `src`; returns the new length. */
static size_t mutate(mm_rng *rng, const blob *src, unsigned char *out, size_t cap)
{
    size_t n = src->n < cap ? src->n : cap;
    memcpy(out, src->p, n);
    int edits = 1 + (int)mm_rng_interval(rng, 3);
    for (int k = 0; k < edits; k++) {
        size_t pos = n ? (size_t)mm_rng_interval(rng, n - 1) : 0;
        switch (mm_rng_interval(rng, 8)) {
        case 0: /* flip a bit */
            if (n) out[pos] ^= (unsigned char)(1u << mm_rng_interval(rng, 7));
            break;
        case 1: /* an interesting byte */
            if (n) out[pos] = interesting[mm_rng_interval(rng, sizeof interesting - 1)];
            break;
        case 2: /* insert a byte */
            if (n < cap) {
                memmove(out + pos + 1, out + pos, n - pos);
                out[pos] = interesting[mm_rng_interval(rng, sizeof interesting - 1)];
                n++;
            }
            break;
        case 3: { /* delete a short range */
            size_t len = 1 + (size_t)mm_rng_interval(rng, 7);
            if (pos + len > n) len = n - pos;
            memmove(out + pos, out + pos + len, n - pos - len);
            n -= len;
            break;
        }
        case 4: /* truncate */
            n = pos;
            break;
        case 5: { /* duplicate a range at another place */
            size_t len = 1 + (size_t)mm_rng_interval(rng, 15);
            if (pos + len > n) len = n - pos;
            size_t at = n ? (size_t)mm_rng_interval(rng, n) : 0;
            if (len && n + len <= cap) {
                unsigned char tmp[16];
                memcpy(tmp, out + pos, len);
                memmove(out + at + len, out + at, n - at);
                memcpy(out + at, tmp, len);
                n += len;
            }
            break;
        }
        case 6: /* a digit becomes another digit (shapes, offsets, lengths) */
            for (size_t i = 0; i < n; i++) {
                size_t j = (pos + i) % n;
                if (out[j] >= '0' && out[j] <= '9') {
                    out[j] = (unsigned char)('0' + mm_rng_interval(rng, 9));
                    break;
                }
            }
            break;
        default: /* nudge the little-endian u64 at the start (safetensors N) */
            if (n >= 8) {
                int delta = (int)mm_rng_interval(rng, 16) - 8;
                out[0] = (unsigned char)(out[0] + delta);
            }
            break;
        }
    }
    return n;
}

/* accepted: the target's count of accepted inputs, or NULL when it has none */
static void run_target(const char *corpus, int (*target)(const uint8_t *, size_t), size_t iters,
                       uint32_t seed, const size_t *accepted)
{
    blob seeds[256];
    size_t ns = load_corpus(corpus, seeds, 256);
    MM_CHECK(ns >= 5);
    if (ns == 0) {
        fprintf(stderr, "  no seed corpus in %s\n", corpus);
        return;
    }
    current_target = corpus;
    for (size_t i = 0; i < ns; i++) {
        size_t before = accepted ? *accepted : 0;
        run_one(target, seeds[i].p, seeds[i].n);
        if (!accepted) continue;
        bool ok = (*accepted > before) != seeds[i].bad;
        if (!ok)
            fprintf(stderr, "  seed %s of %s is %s\n", seeds[i].name, corpus,
                    seeds[i].bad ? "accepted (its name says it is bad)" : "not accepted as it is");
        MM_CHECK(ok);
    }
    /* every prefix of every seed */
    for (size_t i = 0; i < ns; i++)
        for (size_t n = 0; n < seeds[i].n; n++) run_one(target, seeds[i].p, n);
    mm_rng rng;
    mm_rng_seed(&rng, seed);
    size_t cap = 4096;
    unsigned char *buf = malloc(cap);
    for (size_t it = 0; it < iters; it++) {
        const blob *src = &seeds[mm_rng_interval(&rng, ns - 1)];
        size_t n = mutate(&rng, src, buf, cap);
        /* exact-size copy so that ASan sees reads past the end */
        unsigned char *exact = malloc(n ? n : 1);
        memcpy(exact, buf, n);
        run_one(target, exact, n);
        free(exact);
    }
    free(buf);
    for (size_t i = 0; i < ns; i++) free(seeds[i].p);
    printf("%s: %zu seeds, %zu runs without a failure\n", corpus, ns, runs);
    runs = 0;
    MM_CHECK(true); /* reached without a crash or abort */
}

int main(void)
{
    signal(SIGABRT, on_abort);
    const char *src = getenv("MMFUSE_SRC");
    char dir[4096];
    if (src) {
        snprintf(dir, sizeof dir, "%s/fuzz/corpus", src);
    } else {
        /* fall back to the source tree this file was compiled from */
        snprintf(dir, sizeof dir, "%s", __FILE__);
        char *cut = strstr(dir, "tests/io/test_fuzz_smoke.c");
        if (cut) strcpy(cut, "fuzz/corpus");
        else strcpy(dir, "../../fuzz/corpus");
    }
    char csv[4200], st[4200], model[4200], json[4200];
    snprintf(csv, sizeof csv, "%s/csv", dir);
    snprintf(st, sizeof st, "%s/safetensors", dir);
    snprintf(model, sizeof model, "%s/model", dir);
    snprintf(json, sizeof json, "%s/pipeline_json", dir);
    run_target(csv, mm_fuzz_csv_one, 20000, 20240601u, NULL);
    run_target(st, mm_fuzz_st_one, 20000, 20240602u, NULL);
    run_target(model, mm_fuzz_model_one, 20000, 20240603u, &fuzz_model_accepted);
    printf("  model: %zu inputs accepted\n", fuzz_model_accepted);
    run_target(json, mm_fuzz_json_one, 20000, 20240604u, &fuzz_json_accepted);
    printf("  pipeline JSON: %zu inputs accepted\n", fuzz_json_accepted);
    return mm_test_summary();
}
