/* mmfuse analyze: is fusing worth it here, and with which modalities?
 * For each modality its CV accuracy; for each pair of modalities (and for
 * all together) the early-fusion accuracy and the gain over the better
 * single one, how their errors relate (how often exactly one is right,
 * Yule's Q, the kappa of their errors), their canonical correlations, and
 * the article's verdict. */
#include "cli/cli.h"

#include "mmfuse/decomp.h"
#include "mmfuse/eval.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { CCA_DIMS = 20, CCA_K = 3 };

typedef struct pair_result {
    size_t a, b;
    long fused; /* index of the early-fusion row of the pair */
    double gain;
    mm_complementarity c;
    size_t n_cca;        /* canonical correlations computed */
    double cca[CCA_K];
} pair_result;

/* Blocks for CCA: standardized, fitted on every row, each reduced by PCA
 * to at most CCA_DIMS dimensions (CCA on a 500-term vocabulary would be
 * ill-posed), as dense matrices. Descriptive only: nothing here is
 * evaluated on held-out rows. */
static mm_status cca_blocks(const mm_cli *c, const mm_schema *s, const mm_table *t, mm_mat *mats, size_t nb,
                            mm_error *err)
{
    mm_pipeline_params p = c->eval.pipeline;
    p.balance_dim = CCA_DIMS;
    p.progress = NULL;
    mm_block *blocks = NULL;
    size_t n_blocks = 0;
    mm_status st = mm_pipeline_extract(&p, s, t, true, &blocks, &n_blocks, NULL, err);
    if (!st && n_blocks != nb) st = mm_error_set(err, MM_EINVAL, "block layout changed");
    for (size_t b = 0; b < nb && !st; b++) {
        if (blocks[b].sparse) st = mm_csr_to_dense(&blocks[b].csr, &mats[b], err);
        else {
            mats[b] = blocks[b].dense;
            blocks[b].dense = (mm_mat){0};
        }
    }
    mm_blocks_free(blocks, n_blocks);
    return st;
}

/* The canonical correlations of blocks a and b, on the rows that have both. */
static mm_status pair_cca(const mm_mat *A, const mm_mat *B, pair_result *p, mm_error *err)
{
    size_t k = CCA_K;
    if (A->cols < k) k = A->cols;
    if (B->cols < k) k = B->cols;
    if (A->rows < 3 || k == 0) return MM_OK;
    mm_cca *cca = NULL;
    mm_status st = mm_cca_fit(A, B, k, 500, 1e-6, &cca, err);
    if (!st) st = mm_cca_correlations(cca, A, B, p->cca, err);
    if (!st) p->n_cca = mm_cca_n_fitted(cca);
    mm_cca_free(cca);
    return st;
}

static long find_row(const mm_eval_result *r, uint32_t blocks)
{
    for (size_t i = 0; i < r->n_results; i++)
        if (r->results[i].fusion == MM_FUSION_EARLY && r->results[i].blocks == blocks) return (long)i;
    return -1;
}

static void print_text(const mm_eval_result *r, const pair_result *pr, size_t np, long all)
{
    printf("modalities (%zu-fold stratified CV accuracy, logistic regression):\n", r->n_folds);
    for (size_t b = 0; b < r->n_blocks; b++)
        printf("  %-28s %6zu features   %.3f ± %.3f\n", r->block_names[b], r->block_dims[b], r->results[b].acc_mean,
               r->results[b].acc_std);
    printf("\npairs (early fusion of the two; errors from the single-modality models):\n");
    printf("  %-40s %7s %7s %7s %7s  %9s %8s %8s %7s  %s\n", "pair", "acc A", "acc B", "fused", "gain", "one right",
           "Yule Q", "err kappa", "CCA r1", "complementarity");
    for (size_t i = 0; i < np; i++) {
        const pair_result *p = &pr[i];
        char name[96];
        snprintf(name, sizeof name, "%.30s + %.30s", r->block_names[p->a], r->block_names[p->b]);
        printf("  %-40s %7.3f %7.3f %7.3f %+7.3f  %9.3f %8.3f %8.3f %7.3f  %s\n", name, r->results[p->a].acc_mean,
               r->results[p->b].acc_mean, r->results[p->fused].acc_mean, p->gain, p->c.one_right, p->c.yule_q,
               p->c.error_kappa, p->n_cca ? p->cca[0] : NAN, mm_complementarity_verdict(p->gain));
    }
    if (all >= 0 && r->n_blocks > 2) {
        double best = 0;
        for (size_t b = 0; b < r->n_blocks; b++) best = fmax(best, r->results[b].acc_mean);
        double gain = r->results[all].acc_mean - best;
        printf("\nall %zu modalities, early fusion: %.3f (gain %+.3f over the best single one: %s)\n", r->n_blocks,
               r->results[all].acc_mean, gain, mm_complementarity_verdict(gain));
    }
    printf("\nverdict thresholds (gain of fusion over the best single modality): HIGH > 0.05, MODERATE > 0.01, else LOW\n");
    printf("CCA r1: first canonical correlation of the two blocks (standardized, PCA to <= %d dims, all rows);\n"
           "high values mean the blocks share a linear signal\n", CCA_DIMS);
}

static void print_json(const mm_eval_result *r, const pair_result *pr, size_t np, long all)
{
    cJSON *j = cJSON_CreateObject();
    cJSON *mods = cJSON_AddArrayToObject(j, "modalities");
    for (size_t b = 0; b < r->n_blocks; b++) {
        cJSON *c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "block", r->block_names[b]);
        cJSON_AddStringToObject(c, "modality", mm_modality_name(r->block_modality[b]));
        cJSON_AddNumberToObject(c, "features", (double)r->block_dims[b]);
        cJSON_AddNumberToObject(c, "accuracy_mean", r->results[b].acc_mean);
        cJSON_AddNumberToObject(c, "accuracy_std", r->results[b].acc_std);
        cJSON_AddItemToArray(mods, c);
    }
    cJSON *pairs = cJSON_AddArrayToObject(j, "pairs");
    for (size_t i = 0; i < np; i++) {
        const pair_result *p = &pr[i];
        cJSON *c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "a", r->block_names[p->a]);
        cJSON_AddStringToObject(c, "b", r->block_names[p->b]);
        cJSON_AddNumberToObject(c, "accuracy_a", r->results[p->a].acc_mean);
        cJSON_AddNumberToObject(c, "accuracy_b", r->results[p->b].acc_mean);
        cJSON_AddNumberToObject(c, "accuracy_fused", r->results[p->fused].acc_mean);
        cJSON_AddNumberToObject(c, "fusion_gain", p->gain);
        cJSON_AddNumberToObject(c, "both_right", p->c.both_right);
        cJSON_AddNumberToObject(c, "only_a_right", p->c.only_a);
        cJSON_AddNumberToObject(c, "only_b_right", p->c.only_b);
        cJSON_AddNumberToObject(c, "both_wrong", p->c.both_wrong);
        cJSON_AddNumberToObject(c, "one_right", p->c.one_right);
        if (isfinite(p->c.yule_q)) cJSON_AddNumberToObject(c, "yule_q", p->c.yule_q);
        else cJSON_AddNullToObject(c, "yule_q");
        if (isfinite(p->c.error_kappa)) cJSON_AddNumberToObject(c, "error_kappa", p->c.error_kappa);
        else cJSON_AddNullToObject(c, "error_kappa");
        cJSON_AddStringToObject(c, "complementarity", mm_complementarity_verdict(p->gain));
        cJSON_AddItemToObject(c, "cca_correlations", cJSON_CreateDoubleArray(p->cca, (int)p->n_cca));
        cJSON_AddItemToArray(pairs, c);
    }
    if (all >= 0) {
        double best = 0;
        for (size_t b = 0; b < r->n_blocks; b++) best = fmax(best, r->results[b].acc_mean);
        cJSON *c = cJSON_AddObjectToObject(j, "all");
        cJSON_AddNumberToObject(c, "accuracy_fused", r->results[all].acc_mean);
        cJSON_AddNumberToObject(c, "fusion_gain", r->results[all].acc_mean - best);
        cJSON_AddStringToObject(c, "complementarity", mm_complementarity_verdict(r->results[all].acc_mean - best));
    }
    char *text = cJSON_Print(j);
    if (text) printf("%s\n", text);
    cJSON_free(text);
    cJSON_Delete(j);
}

/* --report: the evaluation's report plus the complementarity of each pair. */
static int write_report(const mm_cli *c, const mm_schema *s, const mm_eval_result *r, const pair_result *pr,
                        size_t np)
{
    if (!c->report) return 0;
    mm_report_pair *pairs = calloc(np ? np : 1, sizeof *pairs);
    if (!pairs) return mm_cli_fail(MM_ENOMEM, NULL);
    for (size_t i = 0; i < np; i++) {
        const pair_result *p = &pr[i];
        pairs[i] = (mm_report_pair){.a = r->block_names[p->a],
                                    .b = r->block_names[p->b],
                                    .acc_a = r->results[p->a].acc_mean,
                                    .acc_b = r->results[p->b].acc_mean,
                                    .acc_fused = r->results[p->fused].acc_mean,
                                    .gain = p->gain,
                                    .one_right = p->c.one_right,
                                    .yule_q = p->c.yule_q,
                                    .error_kappa = p->c.error_kappa,
                                    .n_cca = p->n_cca,
                                    .verdict = mm_complementarity_verdict(p->gain)};
        memcpy(pairs[i].cca, p->cca, sizeof pairs[i].cca);
    }
    int rc = mm_cli_write_report(c, s, r, pairs, np, "analysis");
    free(pairs);
    return rc;
}

int mm_cmd_analyze(mm_cli *c)
{
    if (c->n_positional != 1 || !c->target) {
        fprintf(stderr, "mmfuse analyze: need DATA.csv and --target COL\n");
        mm_cli_usage(stderr, "analyze");
        return MM_EXIT_USAGE;
    }
    mm_table *t = NULL;
    mm_schema *s = NULL;
    int rc = mm_cli_read_table(c, c->positional[0], &t);
    if (!rc) rc = mm_cli_schema(c, t, &s);
    if (rc) {
        mm_schema_free(s);
        mm_table_free(t);
        return rc;
    }
    mm_progress_bar bar;
    mm_progress_bar_init(&bar, c->progress && !c->quiet);
    mm_eval_params ep = c->eval;
    ep.pairs = true;
    ep.stacking = false;
    ep.pipeline.progress = mm_progress_bar_update;
    ep.pipeline.progress_user = &bar;
    mm_eval_result r;
    mm_error err = {0};
    mm_status st = mm_evaluate(&ep, s, t, &r, &err);
    mm_progress_bar_finish(&bar);
    if (st) {
        rc = mm_cli_fail(st, &err);
    } else if (r.n_blocks < 2) {
        fprintf(stderr, "mmfuse analyze: only one feature block (%s); nothing to compare\n", r.block_names[0]);
        rc = MM_EXIT_USAGE;
        mm_eval_result_free(&r);
    } else {
        mm_cli_report(c, &r.report, "analysis");
        size_t nb = r.n_blocks, np = 0;
        uint32_t every = nb >= 32 ? 0xffffffffu : (1u << nb) - 1u;
        pair_result *pr = calloc(nb * nb, sizeof *pr);
        for (size_t a = 0; pr && a < nb && !st; a++)
            for (size_t b = a + 1; b < nb && !st; b++) {
                pair_result *p = &pr[np++];
                p->a = a;
                p->b = b;
                p->fused = find_row(&r, (1u << a) | (1u << b));
                p->gain = r.results[p->fused].acc_mean - fmax(r.results[a].acc_mean, r.results[b].acc_mean);
                st = mm_complementarity_compute(r.y, r.results[a].oof_pred, r.results[b].oof_pred, r.n_rows, &p->c, &err);
            }
        if (!pr) st = mm_error_set(&err, MM_ENOMEM, "out of memory");
        mm_mat *mats = calloc(nb, sizeof *mats);
        if (!st && !mats) st = mm_error_set(&err, MM_ENOMEM, "out of memory");
        if (!st) st = cca_blocks(c, s, t, mats, nb, &err);
        for (size_t i = 0; i < np && !st; i++) st = pair_cca(&mats[pr[i].a], &mats[pr[i].b], &pr[i], &err);
        for (size_t b = 0; mats && b < nb; b++) mm_mat_free(&mats[b]);
        free(mats);
        if (st) rc = mm_cli_fail(st, &err);
        else rc = write_report(c, s, &r, pr, np);
        if (rc) {
        } else if (c->json) print_json(&r, pr, np, find_row(&r, every));
        else print_text(&r, pr, np, find_row(&r, every));
        free(pr);
        mm_eval_result_free(&r);
    }
    mm_schema_free(s);
    mm_table_free(t);
    return rc;
}
