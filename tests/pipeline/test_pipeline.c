/* pipeline: schema inference, target encoding, late averaging, no leakage of
 * test rows into anything fitted, and model-file round trips. */
#include "pipeline/internal.h"
#include "mmtest.h"

#include <stdlib.h>
#include <unistd.h>

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

static void test_infer(void)
{
    const char *csv =
        "id,code,price,count,label,tier,note,photo,clip,empty\n"
        "1,A1X,1.5,3,x,gold,the quick brown fox jumps,a.jpg,a.wav,\n"
        "2,B2Y,2.5,4,y,silver,a slow green turtle walks,b.PNG,b.flac,\n"
        "3,C3Z,n/a,3,x,gold,one more sentence of text,c.jpeg,c.mp3,\n"
        "4,D4W,4.0,5,y,bronze,and the last line is here,d.webp,d.ogg,\n"
        "5,E5V,5.5,3,x,gold,words words and more words,e.jpg,e.wav,\n"
        "6,F6U,6.5,4,y,silver,nothing to see in this one,f.jpg,f.wav,\n"
        "7,G7T,7.5,3,x,gold,really the final words now,g.jpg,g.wav,\n"
        "8,H8S,8.5,4,y,silver,truly it ends with this text,h.jpg,h.wav,\n"
        "9,I9R,9.5,5,x,gold,or perhaps one more is fine,i.jpg,i.wav,\n"
        "10,J0Q,10.5,3,y,bronze,and that is all of them ok,j.jpg,j.wav,\n";
    mm_table *t = table_of(csv);
    char why[96];
    static const mm_role expect[] = {MM_ROLE_ID,    MM_ROLE_ID,    MM_ROLE_NUMERIC, MM_ROLE_NUMERIC,
                                     MM_ROLE_CATEGORICAL, MM_ROLE_CATEGORICAL, MM_ROLE_TEXT, MM_ROLE_IMAGE,
                                     MM_ROLE_AUDIO, MM_ROLE_IGNORE};
    for (size_t j = 0; j < 10; j++) {
        mm_role r = mm_infer_role(t, j, why, sizeof why);
        if (r != expect[j]) fprintf(stderr, "column %zu: %s (%s)\n", j, mm_role_name(r), why);
        MM_CHECK(r == expect[j]);
    }
    /* resolve: flags win, unknown columns and double roles are errors */
    mm_schema *s;
    mm_error err = {0};
    const char *names[] = {"count"};
    mm_role roles[] = {MM_ROLE_CATEGORICAL};
    mm_schema_request req = {.target = "label", .names = names, .roles = roles, .n_names = 1, .infer_rest = true};
    MM_CHECK_STATUS(mm_schema_resolve(t, &req, &s, &err), MM_OK);
    MM_CHECK(s->cols[3].role == MM_ROLE_CATEGORICAL && s->cols[3].source == MM_SRC_FLAG);
    MM_CHECK(s->cols[4].role == MM_ROLE_TARGET && s->target_col == 4);
    MM_CHECK(s->cols[2].role == MM_ROLE_NUMERIC && s->cols[2].source == MM_SRC_INFERRED);
    mm_schema_free(s);
    const char *bad[] = {"nope"};
    req.names = bad;
    MM_CHECK_STATUS(mm_schema_resolve(t, &req, &s, &err), MM_EINVAL);
    MM_CHECK(strstr(err.msg, "nope") != NULL);
    const char *twice[] = {"tier", "tier"};
    mm_role two[] = {MM_ROLE_TEXT, MM_ROLE_CATEGORICAL};
    mm_schema_request req2 = {.target = "label", .names = twice, .roles = two, .n_names = 2, .infer_rest = true};
    MM_CHECK_STATUS(mm_schema_resolve(t, &req2, &s, &err), MM_EINVAL);
    MM_CHECK(strstr(err.msg, "two roles") != NULL);
    mm_table_free(t);
}

static void test_target(void)
{
    mm_table *t = table_of("y,x\n10,1\n9,1\n,1\n9.0,1\n2,1\n");
    char **cls;
    size_t k;
    int32_t *y;
    mm_error err = {0};
    MM_CHECK_STATUS(mm_target_encode(t, 0, &cls, &k, &y, &err), MM_OK);
    /* numeric labels sort numerically; "9" and "9.0" are one class; missing -> -1 */
    MM_CHECK(k == 3 && strcmp(cls[0], "2") == 0 && strcmp(cls[2], "10") == 0);
    MM_CHECK(y[0] == 2 && y[1] == 1 && y[2] == -1 && y[3] == 1 && y[4] == 0);
    mm_classes_free(cls, k);
    free(y);
    mm_table_free(t);
    t = table_of("y\nb\nB\na\n");
    MM_CHECK_STATUS(mm_target_encode(t, 0, &cls, &k, &y, &err), MM_OK);
    MM_CHECK(k == 3 && strcmp(cls[0], "B") == 0 && strcmp(cls[1], "a") == 0 && y[0] == 2);
    mm_classes_free(cls, k);
    free(y);
    mm_table_free(t);

    /* the target rule: numeric and (not all whole numbers or > 30 distinct) */
    char csv[4096];
    static const struct {
        size_t distinct;
        const char *fmt;
        bool continuous;
    } rule[] = {{30, "%zu", false}, {31, "%zu", true}, {31, "c%zu", false}, {2, "%zu.5", true},
                {30, "%zu.0", false}, {31, "%zue0", true}, {3, "-%zu", false}};
    for (size_t r = 0; r < sizeof rule / sizeof rule[0]; r++) {
        size_t at = (size_t)snprintf(csv, sizeof csv, "y\n\n");
        for (size_t i = 0; i < 2 * rule[r].distinct; i++) {
            at += (size_t)snprintf(csv + at, sizeof csv - at, rule[r].fmt, i % rule[r].distinct);
            at += (size_t)snprintf(csv + at, sizeof csv - at, "\n");
        }
        at += (size_t)snprintf(csv + at, sizeof csv - at, "\"\"\n"); /* a missing target */
        t = table_of(csv);
        mm_target_info ti;
        MM_CHECK_STATUS(mm_target_inspect(t, 0, &ti, &err), MM_OK);
        MM_CHECK(ti.continuous == rule[r].continuous && ti.present == 2 * rule[r].distinct);
        MM_CHECK(ti.numeric == (rule[r].fmt[0] != 'c') && (!ti.numeric || ti.distinct == rule[r].distinct));
        cls = NULL;
        mm_status st = mm_target_encode(t, 0, &cls, &k, &y, &err);
        MM_CHECK(st == (rule[r].continuous ? MM_EFORMAT : MM_OK));
        if (st == MM_OK) {
            MM_CHECK(k == rule[r].distinct);
            mm_classes_free(cls, k);
            free(y);
        } else {
            MM_CHECK(cls == NULL && strstr(err.msg, "test.csv: target 'y' looks numeric") == err.msg &&
                     strstr(err.msg, "--task") != NULL);
        }
        mm_table_free(t);
    }
}

static void test_late(void)
{
    double p0[] = {0.9, 0.1, 0.2, 0.8, 0.5, 0.5};
    double p1[] = {0.5, 0.5, 0.6, 0.4, 0.1, 0.9};
    uint8_t m0[] = {1, 0, 0}, m1[] = {1, 1, 0};
    const double *pp[] = {p0, p1};
    const uint8_t *mm[] = {m0, m1};
    double prior[] = {0.3, 0.7}, out[6];
    size_t none = mm_late_average(pp, mm, 2, 3, 2, prior, out);
    MM_CHECK(none == 1);
    MM_CHECK_NEAR(out[0], 0.7, 1e-15);
    MM_CHECK_NEAR(out[2], 0.6, 1e-15); /* only block 1 present */
    MM_CHECK_NEAR(out[4], 0.3, 1e-15); /* nothing present: prior */
}

/* Rows 0-7 train, rows 8-11 test; the test rows carry a number, a category
 * and a word that no training row has. Nothing fitted may know them. */
static const char *leak_csv =
    "num,cat,txt,y\n"
    "1,red,apple pie,a\n2,blue,banana split,b\n3,red,apple tart,a\n4,blue,banana bread,b\n"
    "5,red,apple juice,a\n6,blue,banana cake,b\n,red,apple crumble,a\n8,blue,banana milk,b\n"
    "1000,violet,zebra zebra,a\n2000,violet,zebra crossing,b\n3000,violet,zebra stripes,a\n4000,violet,zebra,b\n";

static void test_no_leakage(void)
{
    mm_table *t = table_of(leak_csv);
    mm_schema *s;
    mm_error err = {0};
    const char *names[] = {"num", "cat", "txt"};
    mm_role roles[] = {MM_ROLE_NUMERIC, MM_ROLE_CATEGORICAL, MM_ROLE_TEXT};
    mm_schema_request req = {.target = "y", .names = names, .roles = roles, .n_names = 3, .infer_rest = false};
    MM_CHECK_STATUS(mm_schema_resolve(t, &req, &s, &err), MM_OK);
    mm_pipeline *m = mm_pipeline_alloc();
    m->params = mm_pipeline_params_default();
    m->params.tfidf.stop_words_english = false;
    m->params.tfidf.max_features = 0;
    m->params.missing_indicator = true;
    size_t train[] = {0, 1, 2, 3, 4, 5, 6, 7}, test[] = {8, 9, 10, 11};
    mm_block btr[MM_XMAT_MAX_PARTS] = {0}, bte[MM_XMAT_MAX_PARTS] = {0};
    MM_CHECK_STATUS(mm_pl_fit_encoders(m, s, t, train, 8, btr, NULL, &err), MM_OK);
    /* mean imputation from training rows only: (1+2+3+4+5+6+8)/7 */
    MM_CHECK_NEAR(m->tabs[0].num_mean[0], 29.0 / 7.0, 1e-12);
    MM_CHECK(m->tabs[0].num_indicator[0] == 1);
    MM_CHECK(m->tabs[0].n_cats[0] == 2); /* blue, red: no violet */
    bool zebra = false;
    for (size_t k = 0; k < mm_tfidf_n_terms(m->text[0].tfidf); k++)
        zebra |= strstr(mm_tfidf_term(m->text[0].tfidf, k), "zebra") != NULL;
    MM_CHECK(!zebra);
    /* the tabular scaler's mean is the training mean of the imputed column */
    const double *mean = mm_scaler_mean(m->blocks[0].scaler);
    MM_CHECK_NEAR(mean[0], (29.0 + 29.0 / 7.0) / 8.0, 1e-5);
    /* test rows: unseen category -> zeros, unseen word -> empty text row */
    mm_data_report rep = {0};
    MM_CHECK_STATUS(mm_pl_transform(m, t, test, 4, bte, &rep, &err), MM_OK);
    MM_CHECK(rep.unseen_categories == 4);
    MM_CHECK(bte[1].csr.nnz == 0);
    MM_CHECK(bte[1].present[0] == 1); /* the text is there; only its words are unknown */
    for (size_t b = 0; b < MM_XMAT_MAX_PARTS; b++) {
        mm_block_free(&btr[b]);
        mm_block_free(&bte[b]);
    }
    mm_pipeline_free(m);
    mm_schema_free(s);
    mm_table_free(t);
}

static void test_model_roundtrip(void)
{
    /* a small 3-class problem with every block kind */
    char csv[20000];
    size_t at = (size_t)snprintf(csv, sizeof csv, "id,x1,x2,color,words,y\n");
    mm_rng r;
    mm_rng_seed(&r, 5);
    static const char *const colors[] = {"red", "green", "blue"};
    static const char *const vocab[] = {"alpha", "beta", "gamma", "delta", "omega", "sigma"};
    for (int i = 0; i < 90; i++) {
        int y = i % 3;
        at += (size_t)snprintf(csv + at, sizeof csv - at, "r%d,%.3f,%s,%s,%s %s %s,c%d\n", i,
                               y + mm_rng_gauss(&r), i % 7 == 0 ? "" : "1.5", colors[(y + i % 2) % 3],
                               i % 13 == 0 ? "" : vocab[y * 2], i % 13 == 0 ? "" : vocab[mm_rng_interval(&r, 5)],
                               i % 11 == 0 ? "" : vocab[y * 2 + 1], y);
    }
    mm_table *t = table_of(csv);
    const char *names[] = {"id", "x1", "x2", "color", "words"};
    mm_role roles[] = {MM_ROLE_ID, MM_ROLE_NUMERIC, MM_ROLE_NUMERIC, MM_ROLE_CATEGORICAL, MM_ROLE_TEXT};
    mm_schema_request req = {.target = "y", .names = names, .roles = roles, .n_names = 5, .infer_rest = false};
    mm_schema *s;
    mm_error err = {0};
    MM_CHECK_STATUS(mm_schema_resolve(t, &req, &s, &err), MM_OK);
    char path[] = "/tmp/mmfuse-test-XXXXXX";
    int fd = mkstemp(path);
    MM_CHECK(fd >= 0);
    close(fd);
    mm_fusion kinds[] = {MM_FUSION_EARLY, MM_FUSION_LATE_AVERAGE, MM_FUSION_SINGLE, MM_FUSION_LATE_WEIGHTED,
                         MM_FUSION_LATE_STACKED};
    for (int k = 0; k < 5; k++) {
        for (int variant = 0; variant < 4; variant++) {
            mm_pipeline_params p = mm_pipeline_params_default();
            p.fusion = kinds[k];
            p.categorical = variant & 1 ? MM_CAT_ORDINAL : MM_CAT_ONEHOT;
            p.missing_indicator = variant & 1;
            p.missing = (mm_missing)variant; /* zero, mean, flag, remove */
            if (variant == 3) snprintf(p.late_weights, sizeof p.late_weights, "tabular=1,text:words=3");
            p.tfidf.stop_words_english = false;
            snprintf(p.single, sizeof p.single, "text:words");
            mm_pipeline *m, *m2;
            mm_data_report rep;
            MM_CHECK_STATUS(mm_pipeline_fit(&p, s, t, NULL, 0, &m, &rep, &err), MM_OK);
            MM_CHECK_STATUS(mm_pipeline_save(m, path, &err), MM_OK);
            MM_CHECK_STATUS(mm_pipeline_load(path, &m2, &err), MM_OK);
            size_t n = mm_table_rows(t), K = mm_pipeline_n_classes(m);
            double *p1 = calloc(n * K, sizeof *p1), *p2 = calloc(n * K, sizeof *p2);
            MM_CHECK_STATUS(mm_pipeline_predict(m, t, p1, NULL, &err), MM_OK);
            MM_CHECK_STATUS(mm_pipeline_predict(m2, t, p2, NULL, &err), MM_OK);
            MM_CHECK(memcmp(p1, p2, n * K * sizeof *p1) == 0);
            size_t correct = 0;
            for (size_t i = 0; i < n; i++) {
                size_t best = 0;
                for (size_t c = 1; c < K; c++)
                    if (p1[i * K + c] > p1[i * K + best]) best = c;
                correct += best == (size_t)(i % 3);
            }
            MM_CHECK(correct > n / 2);
            char *d = mm_pipeline_describe(m2);
            MM_CHECK(d && strstr(d, "text:words"));
            free(d);
            free(p1);
            free(p2);
            mm_pipeline_free(m);
            mm_pipeline_free(m2);
        }
    }
    unlink(path);
    mm_schema_free(s);
    mm_table_free(t);
}

int main(void)
{
    test_infer();
    test_target();
    test_late();
    test_no_leakage();
    test_model_roundtrip();
    return mm_test_summary();
}
