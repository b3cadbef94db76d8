/* The fit routine and its checks: settings are validated against the block
 * layout before any data is encoded (each bad part named), resolve into
 * typed per-block values, a fit's task list is plain data whose
 * prerequisites come first, and the results are the same bits whatever the
 * order the tasks run in and whatever the thread count. */
#include "mmtest.h"
#include "pipeline/internal.h"

#include "mmfuse/eval.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static mm_table *table_of(const char *csv)
{
    char path[] = "/tmp/mmfuse-fit-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fputs(csv, f);
    fclose(f);
    mm_table *t = NULL;
    mm_error err = {0};
    MM_CHECK_STATUS(mm_table_read_csv(path, mm_csv_params_default(), &t, &err), MM_OK);
    remove(path);
    return t;
}

/* 120 rows, 3 classes: a number with gaps, a category, a text column with
 * gaps, and a group of two numbers forming a block of their own. */
static char *make_csv(void)
{
    size_t cap = 40000, at = 0;
    char *csv = malloc(cap);
    at += (size_t)snprintf(csv + at, cap - at, "x,g1,g2,color,words,y\n");
    mm_rng r;
    mm_rng_seed(&r, 7);
    static const char *const colors[] = {"red", "green", "blue", "grey"};
    static const char *const vocab[] = {"alpha", "beta", "gamma", "delta", "omega", "sigma", "tau", "rho"};
    for (int i = 0; i < 120; i++) {
        int y = i % 3;
        char x[32] = "";
        if (i % 9) snprintf(x, sizeof x, "%.3f", y + 1.5 * mm_rng_gauss(&r));
        at += (size_t)snprintf(csv + at, cap - at, "%s,%.3f,%.3f,%s,", x, mm_rng_gauss(&r) + (y == 2),
                               mm_rng_gauss(&r), colors[(y + (int)mm_rng_interval(&r, 2)) % 4]);
        if (i % 7)
            at += (size_t)snprintf(csv + at, cap - at, "%s %s %s", vocab[y * 2 + (int)mm_rng_interval(&r, 1)],
                                   vocab[mm_rng_interval(&r, 7)], vocab[mm_rng_interval(&r, 7)]);
        at += (size_t)snprintf(csv + at, cap - at, ",c%d\n", y);
    }
    return csv;
}

static mm_schema *schema_of(const mm_table *t)
{
    const char *names[] = {"x", "g1", "g2", "color", "words"};
    mm_role roles[] = {MM_ROLE_NUMERIC, MM_ROLE_NUMERIC, MM_ROLE_NUMERIC, MM_ROLE_CATEGORICAL, MM_ROLE_TEXT};
    const char *groups[] = {"", "grp", "grp", "", ""};
    mm_schema_request req = {.target = "y", .names = names, .roles = roles, .groups = groups, .n_names = 5,
                             .infer_rest = false};
    mm_schema *s = NULL;
    mm_error err = {0};
    MM_CHECK_STATUS(mm_schema_resolve(t, &req, &s, &err), MM_OK);
    return s;
}

static void expect_bad(const mm_pipeline_params *p, const mm_schema *s, const char *part)
{
    mm_error err = {0};
    MM_CHECK_STATUS(mm_pipeline_params_check(p, s, &err), MM_EINVAL);
    if (!strstr(err.msg, part)) fprintf(stderr, "message '%s' lacks '%s'\n", err.msg, part);
    MM_CHECK(strstr(err.msg, part) != NULL);
}

static void test_check(const mm_schema *s)
{
    mm_error err = {0};
    mm_pipeline_params p = mm_pipeline_params_default();
    MM_CHECK_STATUS(mm_pipeline_params_check(&p, s, &err), MM_OK);
    /* the layout: tabular, the group, the text column */
    mm_pl_settings set;
    MM_CHECK_STATUS(mm_pl_settings_resolve(&p, s, &set, &err), MM_OK);
    MM_CHECK(set.layout.n_blocks == 3);
    MM_CHECK(strcmp(set.layout.name[0], "tabular") == 0 && strcmp(set.layout.name[1], "grp") == 0 &&
             strcmp(set.layout.name[2], "text:words") == 0);
    MM_CHECK(set.auto_weights && set.single == -1);

    snprintf(p.missing_per_block, sizeof p.missing_per_block, "text:words=bogus,nosuch=zero");
    expect_bad(&p, s, "'bogus'");
    snprintf(p.missing_per_block, sizeof p.missing_per_block, "nosuch=zero");
    expect_bad(&p, s, "'nosuch'");
    expect_bad(&p, s, "text:words"); /* the message lists the blocks */
    snprintf(p.missing_per_block, sizeof p.missing_per_block, "words=zero"); /* a column, not a block */
    expect_bad(&p, s, "'words'");
    snprintf(p.missing_per_block, sizeof p.missing_per_block, "tabular");
    expect_bad(&p, s, "BLOCK=STRATEGY");
    snprintf(p.missing_per_block, sizeof p.missing_per_block, "grp=mean,text:words=remove,grp=zero");
    MM_CHECK_STATUS(mm_pipeline_params_check(&p, s, &err), MM_OK);
    MM_CHECK_STATUS(mm_pl_settings_resolve(&p, s, &set, &err), MM_OK);
    /* typed, the last mention of a block wins, the others keep the default */
    MM_CHECK(set.missing[0] == MM_MISSING_FLAG && set.missing[1] == MM_MISSING_ZERO &&
             set.missing[2] == MM_MISSING_REMOVE);

    snprintf(p.late_weights, sizeof p.late_weights, "tabular=-1");
    expect_bad(&p, s, "'-1'");
    snprintf(p.late_weights, sizeof p.late_weights, "auto,tabular=2");
    expect_bad(&p, s, "'auto'");
    snprintf(p.late_weights, sizeof p.late_weights, "image:photo=2");
    expect_bad(&p, s, "'image:photo'");
    snprintf(p.late_weights, sizeof p.late_weights, "grp=2.5,text:words=0.5");
    MM_CHECK_STATUS(mm_pl_settings_resolve(&p, s, &set, &err), MM_OK);
    MM_CHECK(!set.auto_weights && set.weight[0] == 1.0 && set.weight[1] == 2.5 && set.weight[2] == 0.5);

    p.fusion = MM_FUSION_SINGLE;
    expect_bad(&p, s, "block name");
    snprintf(p.single, sizeof p.single, "color");
    expect_bad(&p, s, "'color'");
    snprintf(p.single, sizeof p.single, "grp");
    MM_CHECK_STATUS(mm_pl_settings_resolve(&p, s, &set, &err), MM_OK);
    MM_CHECK(set.single == 1);

    mm_pipeline_params q = mm_pipeline_params_default();
    q.inner_folds = 1;
    expect_bad(&q, s, "inner_folds");
    q = mm_pipeline_params_default();
    q.logreg.C = 0;
    expect_bad(&q, s, "C must be positive");
    q = mm_pipeline_params_default();
    q.fusion = (mm_fusion)42;
    expect_bad(&q, s, "fusion");
    mm_eval_params e = mm_eval_params_default();
    e.n_folds = 1;
    MM_CHECK_STATUS(mm_eval_params_check(&e, s, &err), MM_EINVAL);
    MM_CHECK(strstr(err.msg, "folds") != NULL);
}

/* A fit's tasks are plain data: each depends on earlier tasks only, and
 * the list has the expected shape. */
static void test_task_list(const mm_schema *s, const mm_table *t)
{
    mm_error err = {0};
    mm_pipeline_params p = mm_pipeline_params_default();
    p.inner_folds = 3;
    mm_pl_settings set;
    MM_CHECK_STATUS(mm_pl_settings_resolve(&p, s, &set, &err), MM_OK);
    size_t n = 60, rows[60];
    int32_t y[60];
    for (size_t i = 0; i < n; i++) {
        rows[i] = i;
        y[i] = (int32_t)(i % 3);
    }
    mm_run run = {.n_threads = 1};
    mm_fit_spec spec = {.early = true, .singles = 7, .weights = true, .stacker = true};
    mm_pl_fit f;
    MM_CHECK_STATUS(mm_pl_fit_init(&f, &p, s, t, &run, &set, rows, y, n, 3, &spec, &err), MM_OK);
    mm_task_list l = {0};
    size_t pre[MM_XMAT_MAX_PARTS];
    for (size_t b = 0; b < MM_XMAT_MAX_PARTS; b++) pre[b] = SIZE_MAX;
    MM_CHECK_STATUS(mm_pl_fit_tasks(&f, &l, 0, pre, &err), MM_OK);
    /* 3 blocks, early + 3 singles, 3 inner folds x 3 blocks, late */
    MM_CHECK(l.n == 3 + 4 + 9 + 1);
    size_t kinds[8] = {0};
    bool earlier = true;
    for (size_t i = 0; i < l.n; i++) {
        kinds[l.tasks[i].kind]++;
        for (size_t k = l.dep_start[i]; k < l.dep_start[i + 1]; k++) earlier &= l.deps[k] < i;
    }
    MM_CHECK(earlier);
    MM_CHECK(kinds[MM_TASK_BLOCK] == 3 && kinds[MM_TASK_MODEL] == 4 && kinds[MM_TASK_INNER] == 9 &&
             kinds[MM_TASK_LATE] == 1);
    /* the late task waits for every inner task, a model for its blocks */
    MM_CHECK(l.dep_start[l.n] - l.dep_start[l.n - 1] == 9);
    MM_CHECK(l.tasks[3].kind == MM_TASK_MODEL && l.tasks[3].model == MM_MODEL_EARLY &&
             l.dep_start[4] - l.dep_start[3] == 3);
    mm_tasks_free(&l);
    mm_pl_fit_free(&f);
}

/* The same fit with its tasks run in the opposite order (among those whose
 * prerequisites are done) gives the same model, bit for bit, as
 * mm_pipeline_fit. */
static void test_task_order(const mm_schema *s, const mm_table *t)
{
    mm_error err = {0};
    mm_pipeline_params p = mm_pipeline_params_default();
    p.fusion = MM_FUSION_LATE_STACKED;
    p.inner_folds = 3;
    p.balance_dim = 3;
    p.n_threads = 1;
    mm_pipeline *ref = NULL;
    MM_CHECK_STATUS(mm_pipeline_fit(&p, s, t, NULL, 0, &ref, NULL, &err), MM_OK);

    mm_pl_settings set;
    MM_CHECK_STATUS(mm_pl_settings_resolve(&p, s, &set, &err), MM_OK);
    char **classes;
    size_t K;
    int32_t *y_all;
    MM_CHECK_STATUS(mm_target_encode(t, (size_t)s->target_col, &classes, &K, &y_all, &err), MM_OK);
    size_t n = mm_table_rows(t), *rows = malloc(n * sizeof *rows);
    for (size_t i = 0; i < n; i++) rows[i] = i;
    mm_num_cache nc = {0};
    MM_CHECK_STATUS(mm_num_cache_build(t, s, &nc, &err), MM_OK);
    mm_run run = {.num_cache = &nc, .n_threads = 1};
    mm_fit_spec spec = {.singles = 7, .stacker = true};
    mm_pl_fit f;
    MM_CHECK_STATUS(mm_pl_fit_init(&f, &p, s, t, &run, &set, rows, y_all, n, K, &spec, &err), MM_OK);
    mm_task_list l = {0};
    size_t pre[MM_XMAT_MAX_PARTS];
    for (size_t b = 0; b < MM_XMAT_MAX_PARTS; b++) pre[b] = SIZE_MAX;
    MM_CHECK_STATUS(mm_pl_fit_tasks(&f, &l, 0, pre, &err), MM_OK);
    /* run the highest-index ready task first */
    bool *done = calloc(l.n, sizeof *done);
    size_t ran = 0, first_inner_ran_at = SIZE_MAX, last_block_ran_at = 0;
    for (size_t step = 0; step < l.n; step++) {
        size_t pick = SIZE_MAX;
        for (size_t i = l.n; i-- > 0;) {
            if (done[i]) continue;
            bool ready = true;
            for (size_t k = l.dep_start[i]; k < l.dep_start[i + 1]; k++) ready &= done[l.deps[k]];
            if (ready) {
                pick = i;
                break;
            }
        }
        if (pick == SIZE_MAX) break;
        MM_CHECK_STATUS(mm_pl_fit_run(&f, &l.tasks[pick], 1, &err), MM_OK);
        if (l.tasks[pick].kind == MM_TASK_INNER && first_inner_ran_at == SIZE_MAX) first_inner_ran_at = step;
        if (l.tasks[pick].kind == MM_TASK_BLOCK) last_block_ran_at = step;
        done[pick] = true;
        ran++;
    }
    MM_CHECK(ran == l.n);
    MM_CHECK(first_inner_ran_at < last_block_ran_at); /* the order really differed */
    f.m->classes = classes;
    f.m->n_train = n;
    double *p1 = calloc(n * K, sizeof *p1), *p2 = calloc(n * K, sizeof *p2);
    MM_CHECK_STATUS(mm_pipeline_predict(ref, t, p1, NULL, &err), MM_OK);
    MM_CHECK_STATUS(mm_pipeline_predict(f.m, t, p2, NULL, &err), MM_OK);
    MM_CHECK(memcmp(p1, p2, n * K * sizeof *p1) == 0);
    free(p1);
    free(p2);
    free(done);
    mm_tasks_free(&l);
    mm_pl_fit_free(&f);
    mm_num_cache_free(&nc);
    free(y_all);
    free(rows);
    mm_pipeline_free(ref);
}

static bool same_result(const mm_eval_result *a, const mm_eval_result *b)
{
    if (a->n_results != b->n_results || a->n_rows != b->n_rows || a->n_classes != b->n_classes) return false;
    bool same = memcmp(&a->report, &b->report, sizeof a->report) == 0;
    for (size_t i = 0; i < a->n_results; i++) {
        const mm_eval_row *x = &a->results[i], *y = &b->results[i];
        same &= memcmp(x->oof_proba, y->oof_proba, a->n_rows * a->n_classes * sizeof *x->oof_proba) == 0;
        same &= memcmp(x->fold_acc, y->fold_acc, a->n_folds * sizeof *x->fold_acc) == 0;
        same &= x->macro_f1 == y->macro_f1 && x->log_loss == y->log_loss && x->dims == y->dims;
    }
    for (size_t b2 = 0; b2 < a->n_blocks; b2++)
        same &= a->block_model_dims[b2] == b->block_model_dims[b2] &&
                memcmp(&a->block_pca_variance[b2], &b->block_pca_variance[b2], sizeof(double)) == 0;
    return same;
}

/* mm_evaluate on 1 thread, on its own pool of 2, and on a caller's pool of
 * 4 (more threads than tasks at times; repeated so tasks finish in
 * different orders): the same bits. */
static void test_evaluate_threads(const mm_schema *s, const mm_table *t)
{
    mm_error err = {0};
    mm_eval_params e = mm_eval_params_default();
    e.n_folds = 4;
    e.pipeline.inner_folds = 3;
    e.pipeline.balance_dim = 4;
    e.pipeline.n_threads = 1;
    e.pairs = true;
    mm_eval_result ref;
    MM_CHECK_STATUS(mm_evaluate(&e, s, t, &ref, &err), MM_OK);
    MM_CHECK(ref.n_results == 3 + 4 + 3);
    MM_CHECK(ref.results[6].fusion == MM_FUSION_LATE_STACKED && ref.results[6].acc_mean > 0.4);
    e.pipeline.n_threads = 2;
    mm_eval_result r2;
    MM_CHECK_STATUS(mm_evaluate(&e, s, t, &r2, &err), MM_OK);
    MM_CHECK(same_result(&ref, &r2));
    mm_eval_result_free(&r2);
    mm_pool *pool = NULL;
    MM_CHECK_STATUS(mm_pool_new(4, &pool, &err), MM_OK);
    mm_pool *prev = mm_pool_enter(pool);
    for (int rep = 0; rep < 3; rep++) {
        mm_eval_result r4;
        e.pipeline.n_threads = 4;
        MM_CHECK_STATUS(mm_evaluate(&e, s, t, &r4, &err), MM_OK);
        MM_CHECK(same_result(&ref, &r4));
        mm_eval_result_free(&r4);
    }
    mm_pool_leave(prev);
    mm_pool_free(pool);
    /* a bad setting fails before anything is fitted, whatever the pool */
    snprintf(e.pipeline.missing_per_block, sizeof e.pipeline.missing_per_block, "grp=often");
    mm_eval_result bad;
    MM_CHECK_STATUS(mm_evaluate(&e, s, t, &bad, &err), MM_EINVAL);
    MM_CHECK(strstr(err.msg, "'often'") != NULL);
    mm_eval_result_free(&ref);
}

int main(void)
{
    char *csv = make_csv();
    mm_table *t = table_of(csv);
    mm_schema *s = schema_of(t);
    test_check(s);
    test_task_list(s, t);
    test_task_order(s, t);
    test_evaluate_threads(s, t);
    mm_schema_free(s);
    mm_table_free(t);
    free(csv);
    return mm_test_summary();
}
