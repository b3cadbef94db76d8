/* libFuzzer target: the model-file loader (mm_pipeline_load_buffer).
 *
 * Each input is loaded twice: as given (a mutated file fails its checksum,
 * so this exercises the container and checksum checks), and with its
 * checksum recomputed (format 2: mm_pipeline_file_checksum; format 1: the
 * xxHash64 of the data), so that mutations reach the header and tensor
 * checks behind it. A rejection must leave no model and carry a message
 * naming the input. An accepted model must hold together: it describes
 * itself, predicts finite probabilities that sum to 1 for a small probe
 * table built from its own columns (no files are read: file cells are
 * empty; a numeric failure is allowed, as a fuzzed coefficient may be
 * finite but huge), and it round-trips: saved, loaded again and saved again it gives
 * the same bytes and the same predictions. Any broken invariant aborts
 * (reported as a crash). */
#include "mmfuse/io.h"
#include "mmfuse/pipeline.h"

#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Inputs the loader accepted (the smoke test reads it). */
static size_t fuzz_model_accepted;

typedef struct fuzz_model_buf {
    char *p;
    size_t len, cap;
} fuzz_model_buf;

static void fuzz_model_put(fuzz_model_buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        char *p = realloc(b->p, cap);
        if (!p) abort();
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

/* A CSV field, always quoted. */
static void fuzz_model_field(fuzz_model_buf *b, const char *s, bool first)
{
    if (!first) fuzz_model_put(b, ",", 1);
    fuzz_model_put(b, "\"", 1);
    for (; *s; s++) fuzz_model_put(b, *s == '"' ? "\"\"" : s, *s == '"' ? 2 : 1);
    fuzz_model_put(b, "\"", 1);
}

/* The model's columns, one row with every cell empty and one with a value
 * in each numeric, categorical and text column. */
static mm_table *fuzz_model_probe(const mm_pipeline *m)
{
    fuzz_model_buf b = {0};
    size_t nc = mm_pipeline_n_columns(m);
    for (size_t j = 0; j < nc; j++) fuzz_model_field(&b, mm_pipeline_column(m, j, NULL), j == 0);
    fuzz_model_put(&b, "\n", 1);
    for (size_t j = 0; j < nc; j++) fuzz_model_put(&b, j ? "," : "", j ? 1 : 0);
    fuzz_model_put(&b, "\n", 1);
    for (size_t j = 0; j < nc; j++) {
        mm_role r;
        mm_pipeline_column(m, j, &r);
        const char *v = r == MM_ROLE_NUMERIC ? "1.5" : r == MM_ROLE_CATEGORICAL ? "b" : r == MM_ROLE_TEXT ? "alpha beta" : "";
        if (j) fuzz_model_put(&b, ",", 1);
        if (*v) fuzz_model_field(&b, v, true);
    }
    fuzz_model_put(&b, "\n", 1);
    mm_table *t = NULL;
    if (mm_table_read_buffer(b.p, b.len, "probe.csv", mm_csv_params_default(), &t, NULL) != MM_OK) t = NULL;
    free(b.p);
    return t; /* NULL when the column names make no valid CSV header */
}

/* Probabilities for t, or NULL on a numeric failure: the values of a
 * model are only checked to be finite, so extreme ones may overflow. */
static double *fuzz_model_predict(const mm_pipeline *m, const mm_table *t)
{
    size_t n = mm_table_rows(t), K = mm_pipeline_n_classes(m);
    double *p = calloc(n * K + 1, sizeof *p);
    if (!p) abort();
    mm_error err = {0};
    mm_status st = mm_pipeline_predict(m, t, p, NULL, &err);
    if (st == MM_ENUMERIC) {
        free(p);
        return NULL;
    }
    if (st != MM_OK) {
        fprintf(stderr, "fuzz_model: an accepted model cannot predict: %s\n", err.msg);
        abort();
    }
    for (size_t i = 0; i < n; i++) {
        double s = 0;
        for (size_t k = 0; k < K; k++) {
            double v = p[i * K + k];
            if (!isfinite(v) || v < 0 || v > 1) abort();
            s += v;
        }
        if (fabs(s - 1) > 1e-6) abort();
    }
    return p;
}

static void fuzz_model_check(const mm_pipeline *m)
{
    int fmt = mm_pipeline_format(m);
    if (fmt != 1 && fmt != MM_MODEL_FORMAT_VERSION) abort();
    size_t K = mm_pipeline_n_classes(m);
    if (K < 2) abort();
    for (size_t k = 0; k < K; k++)
        if (!mm_pipeline_class(m, k)) abort();
    char *d = mm_pipeline_describe(m);
    if (!d) abort();
    free(d);

    unsigned char *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    mm_pipeline *m2 = NULL;
    mm_error err = {0};
    if (mm_pipeline_save_buffer(m, &a, &na, &err) != MM_OK) abort();
    if (mm_pipeline_load_buffer(a, na, "resaved.mmf", &m2, &err) != MM_OK) {
        fprintf(stderr, "fuzz_model: a re-saved model does not load: %s\n", err.msg);
        abort();
    }
    if (mm_pipeline_format(m2) != MM_MODEL_FORMAT_VERSION) abort();
    if (mm_pipeline_save_buffer(m2, &b, &nb, &err) != MM_OK) abort();
    if (na != nb || memcmp(a, b, na) != 0) abort();
    mm_table *t = fuzz_model_probe(m);
    if (t) {
        double *p1 = fuzz_model_predict(m, t), *p2 = fuzz_model_predict(m2, t);
        if (!p1 != !p2 || (p1 && memcmp(p1, p2, mm_table_rows(t) * K * sizeof *p1) != 0)) abort();
        free(p1);
        free(p2);
        mm_table_free(t);
    }
    mm_pipeline_free(m2);
    free(a);
    free(b);
}

static void fuzz_model_one(const uint8_t *data, size_t size)
{
    mm_pipeline *m = NULL;
    mm_error err = {0};
    mm_status st = mm_pipeline_load_buffer(data, size, "fuzz.mmf", &m, &err);
    if (st != MM_OK) {
        if (m) abort();
        if (st != MM_EFORMAT && st != MM_EUNSUPPORTED && st != MM_EIO && st != MM_ENOMEM) abort();
        if (st != MM_ENOMEM && strncmp(err.msg, "fuzz.mmf", 8) != 0) {
            fprintf(stderr, "fuzz_model: message does not name the input: %s\n", err.msg);
            abort();
        }
        return;
    }
    fuzz_model_accepted++;
    fuzz_model_check(m);
    mm_pipeline_free(m);
}

/* Writes the checksum the file's own format asks for into p; false when
 * p has neither form. */
static bool fuzz_model_fix(unsigned char *p, size_t n)
{
    char hex[65];
    if (mm_pipeline_file_checksum(p, n, hex, NULL) == MM_OK) {
        memcpy(p + MM_MODEL_CHECKSUM_AT, hex, 64);
        return true;
    }
    mm_st_file *f = NULL;
    if (mm_st_open_buffer(p, n, "fix", &f, NULL) != MM_OK) return false;
    const char *sum = mm_st_meta(f, "mmfuse.checksum");
    bool ok = sum && strlen(sum) == 16 && n > MM_MODEL_CHECKSUM_AT + 16 &&
              memcmp(p + MM_MODEL_CHECKSUM_AT, sum, 16) == 0;
    if (ok) {
        snprintf(hex, sizeof hex, "%016" PRIx64, mm_st_data_hash(f));
        memcpy(p + MM_MODEL_CHECKSUM_AT, hex, 16);
    }
    mm_st_close(f);
    return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_model_one(data, size);
    unsigned char *copy = malloc(size ? size : 1);
    if (!copy) return 0;
    if (size) memcpy(copy, data, size);
    if (fuzz_model_fix(copy, size) && memcmp(copy, data, size) != 0) fuzz_model_one(copy, size);
    free(copy);
    return 0;
}
