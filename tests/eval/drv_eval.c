/* Driver for tests/eval/test_eval_sklearn.py. Reads cases from stdin until
 * EOF and answers each on stdout:
 *
 *   kfold <n> <n_splits> <shuffle 0|1> <seed> y[n]
 *       -> "ok <warn> f[0] .. f[n-1]" or "error <status>"
 *   metrics <n> <K> <has_proba 0|1> y_true[n] y_pred[n] [proba[n*K]]
 *       -> "ok" then the values (%.17g) on one line:
 *          accuracy, P[K], R[K], F[K], support[K], confusion[K*K],
 *          macro P R F, weighted P R F, log_loss
 *       or "error <status>"
 *   report <n> <K> <digits> <has_names 0|1> y_true[n] y_pred[n]
 *          [K names, each as "<byte length> <bytes>"]
 *       -> "ok <byte length>\n<text>" or "error <status>"
 *   meanstd <n> v[n]  -> "ok <mean> <std>"
 */
#include "mmfuse/eval.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int read_labels(int32_t *y, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int v;
        if (scanf("%d", &v) != 1) return -1;
        y[i] = (int32_t)v;
    }
    return 0;
}

static int do_kfold(void)
{
    size_t n, k;
    int shuffle;
    unsigned long seed;
    if (scanf("%zu %zu %d %lu", &n, &k, &shuffle, &seed) != 4) return -1;
    int32_t *y = malloc((n + 1) * sizeof *y), *f = malloc((n + 1) * sizeof *f);
    if (!y || !f || read_labels(y, n)) return -1;
    bool warn = false;
    mm_error err = {0};
    mm_status st = mm_stratified_kfold(y, n, k, shuffle != 0, (uint32_t)seed, f, &warn, &err);
    if (st != MM_OK) {
        printf("error %d\n", (int)st);
    } else {
        printf("ok %d", warn ? 1 : 0);
        for (size_t i = 0; i < n; i++) printf(" %d", (int)f[i]);
        printf("\n");
    }
    free(y);
    free(f);
    return 0;
}

static int do_metrics(void)
{
    size_t n, K;
    int has_proba;
    if (scanf("%zu %zu %d", &n, &K, &has_proba) != 3) return -1;
    int32_t *yt = malloc((n + 1) * sizeof *yt), *yp = malloc((n + 1) * sizeof *yp);
    double *proba = has_proba ? malloc((n * K + 1) * sizeof *proba) : NULL;
    if (!yt || !yp || (has_proba && !proba) || read_labels(yt, n) || read_labels(yp, n))
        return -1;
    for (size_t i = 0; has_proba && i < n * K; i++)
        if (scanf("%lf", &proba[i]) != 1) return -1;
    mm_metrics m;
    mm_error err = {0};
    mm_status st = mm_metrics_compute(yt, yp, proba, n, K, &m, &err);
    if (st != MM_OK) {
        printf("error %d\n", (int)st);
    } else {
        printf("ok %.17g", m.accuracy);
        for (size_t k = 0; k < K; k++) printf(" %.17g", m.precision[k]);
        for (size_t k = 0; k < K; k++) printf(" %.17g", m.recall[k]);
        for (size_t k = 0; k < K; k++) printf(" %.17g", m.f1[k]);
        for (size_t k = 0; k < K; k++) printf(" %zu", m.support[k]);
        for (size_t k = 0; k < K * K; k++) printf(" %zu", m.confusion[k]);
        printf(" %.17g %.17g %.17g", m.macro_precision, m.macro_recall, m.macro_f1);
        printf(" %.17g %.17g %.17g", m.weighted_precision, m.weighted_recall, m.weighted_f1);
        printf(" %.17g\n", m.log_loss);
    }
    mm_metrics_free(&m);
    free(yt);
    free(yp);
    free(proba);
    return 0;
}

static int do_report(void)
{
    size_t n, K;
    int digits, has_names;
    if (scanf("%zu %zu %d %d", &n, &K, &digits, &has_names) != 4) return -1;
    int32_t *yt = malloc((n + 1) * sizeof *yt), *yp = malloc((n + 1) * sizeof *yp);
    char **names = has_names ? calloc(K + 1, sizeof *names) : NULL;
    if (!yt || !yp || (has_names && !names) || read_labels(yt, n) || read_labels(yp, n))
        return -1;
    for (size_t k = 0; has_names && k < K; k++) {
        size_t len;
        if (scanf("%zu", &len) != 1 || getchar() != ' ') return -1;
        names[k] = malloc(len + 1);
        if (!names[k] || fread(names[k], 1, len, stdin) != len) return -1;
        names[k][len] = '\0';
    }
    char *text = NULL;
    mm_error err = {0};
    mm_status st = mm_classification_report(yt, yp, n, K, (const char *const *)names, digits,
                                            &text, &err);
    if (st != MM_OK) {
        printf("error %d\n", (int)st);
    } else {
        printf("ok %zu\n", strlen(text));
        fwrite(text, 1, strlen(text), stdout);
    }
    free(text);
    for (size_t k = 0; has_names && k < K; k++) free(names[k]);
    free(names);
    free(yt);
    free(yp);
    return 0;
}

static int do_meanstd(void)
{
    size_t n;
    if (scanf("%zu", &n) != 1) return -1;
    double *v = malloc((n + 1) * sizeof *v);
    if (!v) return -1;
    for (size_t i = 0; i < n; i++)
        if (scanf("%lf", &v[i]) != 1) return -1;
    double mean, std;
    mm_mean_std(v, n, &mean, &std);
    printf("ok %.17g %.17g\n", mean, std);
    free(v);
    return 0;
}

int main(void)
{
    char cmd[32];
    while (scanf("%31s", cmd) == 1) {
        int rc;
        if (!strcmp(cmd, "kfold")) rc = do_kfold();
        else if (!strcmp(cmd, "metrics")) rc = do_metrics();
        else if (!strcmp(cmd, "report")) rc = do_report();
        else if (!strcmp(cmd, "meanstd")) rc = do_meanstd();
        else rc = -1;
        if (rc) {
            fprintf(stderr, "drv_eval: malformed input at command '%s'\n", cmd);
            return 2;
        }
        fflush(stdout);
    }
    return 0;
}
