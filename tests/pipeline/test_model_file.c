/* pipeline: the model file, format 2. Invalid input first (bad arguments,
 * non-model images, truncation), then the format's promises checked
 * against an independent computation: the stored checksum is the SHA-256
 * of the image with its 64 digits hashed as '0' (mm_sha256 over pieces the
 * test cuts itself), the writer is deterministic, and flipping any single
 * bit anywhere in the file (length prefix, metadata, header, tensor
 * entries, padding, data, the checksum itself) makes loading fail with
 * MM_EFORMAT; then the header checks and the format-1 compatibility path. */
#include "pipeline/internal.h"
#include "mmfuse/models.h"
#include "mmtest.h"

#include <inttypes.h>
#include <stdlib.h>

static mm_table *table_of(const char *csv)
{
    mm_table *t = NULL;
    mm_error err = {0};
    if (mm_table_read_buffer(csv, strlen(csv), "test.csv", mm_csv_params_default(), &t, &err) != MM_OK) {
        fprintf(stderr, "table: %s\n", err.msg);
        exit(1);
    }
    return t;
}

/* A small fitted early-fusion pipeline (numeric, categorical and text). */
static mm_pipeline *small_model(mm_table **table)
{
    char csv[8192];
    size_t at = (size_t)snprintf(csv, sizeof csv, "id,x,color,words,y\n");
    static const char *const colors[] = {"red", "green", "blue"};
    static const char *const vocab[] = {"alpha", "beta", "gamma", "delta", "omega", "sigma"};
    mm_rng r;
    mm_rng_seed(&r, 7);
    for (int i = 0; i < 36; i++) {
        int y = i % 3;
        at += (size_t)snprintf(csv + at, sizeof csv - at, "r%d,%.3f,%s,%s %s,c%d\n", i, y + mm_rng_gauss(&r),
                               colors[(y + i % 2) % 3], vocab[y * 2], vocab[mm_rng_interval(&r, 5)], y);
    }
    *table = table_of(csv);
    const char *names[] = {"id", "x", "color", "words"};
    mm_role roles[] = {MM_ROLE_ID, MM_ROLE_NUMERIC, MM_ROLE_CATEGORICAL, MM_ROLE_TEXT};
    mm_schema_request req = {.target = "y", .names = names, .roles = roles, .n_names = 4, .infer_rest = false};
    mm_schema *s;
    mm_error err = {0};
    MM_CHECK_STATUS(mm_schema_resolve(*table, &req, &s, &err), MM_OK);
    mm_pipeline_params p = mm_pipeline_params_default();
    p.tfidf.max_features = 8;
    mm_pipeline *m = NULL;
    MM_CHECK_STATUS(mm_pipeline_fit(&p, s, *table, NULL, 0, &m, NULL, &err), MM_OK);
    mm_schema_free(s);
    return m;
}

static void hex_of(const uint8_t d[32], char out[65])
{
    for (int i = 0; i < 32; i++) snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void test_invalid(void)
{
    mm_pipeline *m = (mm_pipeline *)1;
    mm_error err = {0};
    char hex[65];
    MM_CHECK_STATUS(mm_pipeline_load_buffer("", 0, "empty.mmf", &m, &err), MM_EFORMAT);
    MM_CHECK(m == NULL && strstr(err.msg, "empty.mmf") != NULL);
    MM_CHECK_STATUS(mm_pipeline_load_buffer("hello, not a model", 18, "text.mmf", &m, &err), MM_EFORMAT);
    MM_CHECK_STATUS(mm_pipeline_load_buffer(NULL, 0, NULL, NULL, &err), MM_EINVAL);
    MM_CHECK_STATUS(mm_pipeline_file_checksum("short", 5, hex, &err), MM_EFORMAT);
    MM_CHECK(hex[0] == '\0');
    MM_CHECK_STATUS(mm_pipeline_file_checksum(NULL, 0, NULL, &err), MM_EINVAL);
    /* a safetensors file that is not a model */
    mm_st_writer *w;
    unsigned char *img;
    size_t n;
    double v[2] = {1, 2};
    size_t shape[1] = {2};
    MM_CHECK_STATUS(mm_st_writer_new(&w, &err), MM_OK);
    MM_CHECK_STATUS(mm_st_writer_add(w, "prior", MM_DTYPE_F64, shape, 1, v, &err), MM_OK);
    MM_CHECK_STATUS(mm_st_writer_serialize(w, &img, &n, &err), MM_OK);
    MM_CHECK_STATUS(mm_pipeline_load_buffer(img, n, "plain.safetensors", &m, &err), MM_EFORMAT);
    MM_CHECK(strstr(err.msg, "not an mmfuse model file") != NULL);
    free(img);
    mm_st_writer_free(w);
}

static void test_format2(void)
{
    mm_table *t;
    mm_pipeline *m = small_model(&t);
    mm_error err = {0};
    MM_CHECK(mm_pipeline_format(m) == 0);
    unsigned char *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    MM_CHECK_STATUS(mm_pipeline_save_buffer(m, &a, &na, &err), MM_OK);
    MM_CHECK_STATUS(mm_pipeline_save_buffer(m, &b, &nb, &err), MM_OK);
    MM_CHECK(na == nb && memcmp(a, b, na) == 0); /* deterministic */
    free(b);

    /* the checksum field and its value, computed here from the rule */
    static const char prefix[] = "{\"__metadata__\":{\"format\":\"mmfuse-model\",\"mmfuse.checksum\":\"";
    MM_CHECK(MM_MODEL_CHECKSUM_AT == 8 + sizeof prefix - 1);
    MM_CHECK(memcmp(a + 8, prefix, sizeof prefix - 1) == 0 && a[MM_MODEL_CHECKSUM_AT + 64] == '"');
    char zeros[64], want[65], got[65];
    memset(zeros, '0', sizeof zeros);
    mm_sha256 s;
    uint8_t d[32];
    mm_sha256_init(&s);
    mm_sha256_update(&s, a, MM_MODEL_CHECKSUM_AT);
    mm_sha256_update(&s, zeros, 64);
    mm_sha256_update(&s, a + MM_MODEL_CHECKSUM_AT + 64, na - MM_MODEL_CHECKSUM_AT - 64);
    mm_sha256_final(&s, d);
    hex_of(d, want);
    MM_CHECK(memcmp(a + MM_MODEL_CHECKSUM_AT, want, 64) == 0);
    MM_CHECK_STATUS(mm_pipeline_file_checksum(a, na, got, &err), MM_OK);
    MM_CHECK(strcmp(got, want) == 0);

    mm_pipeline *m2 = NULL;
    MM_CHECK_STATUS(mm_pipeline_load_buffer(a, na, "m.mmf", &m2, &err), MM_OK);
    MM_CHECK(mm_pipeline_format(m2) == 2);
    size_t rows = mm_table_rows(t), K = mm_pipeline_n_classes(m);
    double *p1 = calloc(rows * K, sizeof *p1), *p2 = calloc(rows * K, sizeof *p2);
    MM_CHECK_STATUS(mm_pipeline_predict(m, t, p1, NULL, &err), MM_OK);
    MM_CHECK_STATUS(mm_pipeline_predict(m2, t, p2, NULL, &err), MM_OK);
    MM_CHECK(memcmp(p1, p2, rows * K * sizeof *p1) == 0);
    char *desc = mm_pipeline_describe(m2);
    MM_CHECK(desc && strstr(desc, "format 2") != NULL);
    free(desc);

    /* every bit of every byte is covered */
    unsigned char *c = malloc(na);
    size_t rejected = 0, other = 0;
    for (size_t i = 0; i < na; i++)
        for (int bit = 0; bit < 8; bit += 3) {
            memcpy(c, a, na);
            c[i] ^= (unsigned char)(1u << bit);
            mm_pipeline *x = NULL;
            mm_status st = mm_pipeline_load_buffer(c, na, "flipped.mmf", &x, &err);
            if (st == MM_EFORMAT && x == NULL) rejected++;
            else other++;
            mm_pipeline_free(x);
        }
    MM_CHECK(other == 0);
    MM_CHECK(rejected == na * 3);
    /* truncation and extension */
    for (size_t cut = 0; cut < na; cut += 1 + cut / 3) {
        mm_pipeline *x = NULL;
        MM_CHECK_STATUS(mm_pipeline_load_buffer(a, cut, "cut.mmf", &x, &err), MM_EFORMAT);
    }
    unsigned char *longer = malloc(na + 8);
    memcpy(longer, a, na);
    memset(longer + na, 0, 8);
    mm_pipeline *x = NULL;
    MM_CHECK_STATUS(mm_pipeline_load_buffer(longer, na + 8, "long.mmf", &x, &err), MM_EFORMAT);
    free(longer);
    free(c);
    free(p1);
    free(p2);
    free(a);
    mm_pipeline_free(m2);
    mm_pipeline_free(m);
    mm_table_free(t);
}

/* The header checks on their own (the fuzz target's entry point). */
static void test_header_check(void)
{
    mm_table *t;
    mm_pipeline *m = small_model(&t);
    mm_error err = {0};
    unsigned char *a;
    size_t na;
    MM_CHECK_STATUS(mm_pipeline_save_buffer(m, &a, &na, &err), MM_OK);
    mm_st_file *f;
    MM_CHECK_STATUS(mm_st_open_buffer(a, na, "m.mmf", &f, &err), MM_OK);
    const char *h = mm_st_meta(f, "mmfuse.header");
    MM_CHECK(h != NULL);
    MM_CHECK_STATUS(mm_pl_header_check(h, strlen(h), "h.json", &err), MM_OK);
    /* edits, each naming what is wrong */
    static const struct {
        const char *from, *to, *names;
        mm_status st;
    } edits[] = {
        {"\"format_version\":2", "\"format_version\":3", "version 3", MM_EUNSUPPORTED},
        {"\"format_version\":2", "\"format_version\":0", "format_version", MM_EFORMAT},
        {"\"sublinear_tf\":", "\"sublinear\":", "sublinear", MM_EFORMAT},
        {"\"classes\":[\"c0\",\"c1\"", "\"classes\":[\"c1\",\"c0\"", "classes", MM_EFORMAT},
        {"\"name\":\"x\",\"role\":\"numeric\"", "\"name\":\"z\",\"role\":\"numeric\"", "'x'", MM_EFORMAT},
        {"\"fusion\":\"early\"", "\"fusion\":\"late:average\"", "models.single", MM_EFORMAT},
        {"\"scaled\":true", "\"scaled\":false", "blocks[0].scaled", MM_EFORMAT},
        {"\"n_train\":36", "\"n_train\":36,\"n_train\":36", "appears twice", MM_EFORMAT},
        {"\"tol\":0.0001", "\"tol\":-1", "params.logreg", MM_EFORMAT},
        {"\"categorical\":\"onehot\"", "\"categorical\":\"ordinal\"", "encoded_dim", MM_EFORMAT},
    };
    for (size_t i = 0; i < sizeof edits / sizeof *edits; i++) {
        const char *at = strstr(h, edits[i].from);
        MM_CHECK(at != NULL);
        if (!at) continue;
        size_t lf = strlen(edits[i].from), lt = strlen(edits[i].to), lh = strlen(h);
        char *e = malloc(lh - lf + lt + 1);
        memcpy(e, h, (size_t)(at - h));
        memcpy(e + (at - h), edits[i].to, lt);
        strcpy(e + (at - h) + lt, at + lf);
        mm_status st = mm_pl_header_check(e, strlen(e), "h.json", &err);
        if (st != edits[i].st || !strstr(err.msg, edits[i].names))
            fprintf(stderr, "edit %zu: %s -> %s\n", i, edits[i].to, err.msg);
        MM_CHECK(st == edits[i].st && strstr(err.msg, edits[i].names) != NULL);
        MM_CHECK(strncmp(err.msg, "h.json", 6) == 0);
        free(e);
    }
    MM_CHECK_STATUS(mm_pl_header_check("{} x", 4, "h.json", &err), MM_EFORMAT);
    MM_CHECK_STATUS(mm_pl_header_check("[1]", 3, "h.json", &err), MM_EFORMAT);
    MM_CHECK(strstr(err.msg, "not a JSON object") != NULL);
    mm_st_close(f);
    free(a);
    mm_pipeline_free(m);
    mm_table_free(t);
}

int main(void)
{
    test_invalid();
    test_format2();
    test_header_check();
    return mm_test_summary();
}
