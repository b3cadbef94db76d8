/* eval: invalid input, the numerics.md §7.1 fold vectors, the partition and
 * stratification properties, the §7.4 report text, zero-division cases,
 * hand-computed metrics and log loss, mean / std. */
#include "mmfuse/eval.h"

#include "../mmtest.h"

#include <float.h>
#include <stdlib.h>

static void test_kfold_invalid(void)
{
    int32_t y[6] = {1, 2, 3, 1, 2, 3}, f[6];
    mm_error err = {0};
    MM_CHECK_STATUS(mm_stratified_kfold(y, 6, 1, false, 0, f, NULL, &err), MM_EINVAL);
    MM_CHECK(strstr(err.msg, "n_splits") != NULL);
    MM_CHECK_STATUS(mm_stratified_kfold(y, 6, 0, false, 0, f, NULL, NULL), MM_EINVAL);
    MM_CHECK_STATUS(mm_stratified_kfold(y, 6, 7, false, 0, f, NULL, &err), MM_EINVAL);
    MM_CHECK_STATUS(mm_stratified_kfold(y, 0, 2, false, 0, f, NULL, &err), MM_EINVAL);
    /* every class has 2 members, fewer than 3 folds */
    bool warn = true;
    MM_CHECK_STATUS(mm_stratified_kfold(y, 6, 3, true, 0, f, &warn, &err), MM_EINVAL);
    MM_CHECK(strstr(err.msg, "each class") != NULL);
    MM_CHECK(!warn);
    MM_CHECK_STATUS(mm_stratified_kfold(NULL, 6, 2, false, 0, f, NULL, &err), MM_EINVAL);
    MM_CHECK_STATUS(mm_stratified_kfold(y, 6, 2, false, 0, NULL, NULL, &err), MM_EINVAL);
    /* only some classes are small: it still splits, with the warning flag */
    int32_t y2[7] = {5, 5, 5, 9, 5, 5, 9};
    int32_t f2[7];
    MM_CHECK_STATUS(mm_stratified_kfold(y2, 7, 3, false, 0, f2, &warn, &err), MM_OK);
    MM_CHECK(warn);
    MM_CHECK_STATUS(mm_stratified_kfold(y2, 7, 2, false, 0, f2, &warn, &err), MM_OK);
    MM_CHECK(!warn);
}

static void test_kfold_vectors(void)
{
    const int32_t y[15] = {0, 1, 0, 1, 2, 2, 0, 1, 0, 1, 2, 2, 0, 0, 1};
    const int32_t shuf[15] = {0, 1, 0, 0, 1, 0, 2, 1, 1, 0, 2, 2, 2, 1, 2};
    const int32_t plain[15] = {0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2};
    int32_t f[15];
    mm_error err = {0};
    MM_CHECK_STATUS(mm_stratified_kfold(y, 15, 3, true, 42, f, NULL, &err), MM_OK);
    MM_CHECK(memcmp(f, shuf, sizeof f) == 0);
    MM_CHECK_STATUS(mm_stratified_kfold(y, 15, 3, false, 42, f, NULL, &err), MM_OK);
    MM_CHECK(memcmp(f, plain, sizeof f) == 0);
    /* relabelling the classes (same first-appearance order) changes nothing */
    int32_t y2[15];
    for (int i = 0; i < 15; i++) y2[i] = y[i] == 0 ? 70 : y[i] == 1 ? -4 : 1000;
    MM_CHECK_STATUS(mm_stratified_kfold(y2, 15, 3, true, 42, f, NULL, &err), MM_OK);
    MM_CHECK(memcmp(f, shuf, sizeof f) == 0);
}

/* Random imbalanced labels: each row in exactly one fold, every fold
 * non-empty, and per class each fold holds floor or ceil of count / F. */
static void test_kfold_properties(void)
{
    enum { N = 503, K = 6 };
    const double cum[K] = {0.45, 0.70, 0.85, 0.94, 0.985, 1.0};
    int32_t y[N], f[N];
    mm_rng rng;
    mm_rng_seed(&rng, 7);
    for (int i = 0; i < N; i++) {
        double u = mm_rng_double(&rng);
        int k = 0;
        while (u >= cum[k]) k++;
        y[i] = (int32_t)(k * 11 - 20);
    }
    for (size_t F = 2; F <= 10; F += 4) {
        for (int sh = 0; sh < 2; sh++) {
            for (int i = 0; i < N; i++) f[i] = -1;
            bool warn;
            mm_error err = {0};
            MM_CHECK_STATUS(mm_stratified_kfold(y, N, F, sh != 0, 123, f, &warn, &err), MM_OK);
            size_t per_fold[10] = {0}, cls_fold[K][10] = {{0}}, cls_n[K] = {0};
            int bad = 0;
            for (int i = 0; i < N; i++) {
                if (f[i] < 0 || (size_t)f[i] >= F) {
                    bad++;
                    continue;
                }
                int k = (y[i] + 20) / 11;
                per_fold[f[i]]++;
                cls_fold[k][f[i]]++;
                cls_n[k]++;
            }
            MM_CHECK(bad == 0);
            size_t total = 0;
            for (size_t j = 0; j < F; j++) {
                MM_CHECK(per_fold[j] > 0);
                total += per_fold[j];
            }
            MM_CHECK(total == N);
            int off = 0;
            for (int k = 0; k < K; k++) {
                double ideal = (double)cls_n[k] / (double)F;
                for (size_t j = 0; j < F; j++)
                    if (fabs((double)cls_fold[k][j] - ideal) >= 1.0) off++;
            }
            MM_CHECK(off == 0);
        }
    }
}

static void test_metrics_invalid(void)
{
    int32_t yt[3] = {0, 1, 2}, yp[3] = {0, 1, 1};
    mm_metrics m;
    mm_error err = {0};
    MM_CHECK_STATUS(mm_metrics_compute(yt, yp, NULL, 3, 2, &m, &err), MM_EINVAL);
    MM_CHECK(strstr(err.msg, "row 2") != NULL && strstr(err.msg, "y_true") != NULL);
    mm_metrics_free(&m);
    yp[0] = -1;
    MM_CHECK_STATUS(mm_metrics_compute(yt, yp, NULL, 3, 3, &m, &err), MM_EINVAL);
    MM_CHECK(strstr(err.msg, "y_pred") != NULL);
    yp[0] = 0;
    MM_CHECK_STATUS(mm_metrics_compute(yt, yp, NULL, 0, 3, &m, &err), MM_EINVAL);
    MM_CHECK_STATUS(mm_metrics_compute(yt, yp, NULL, 3, 0, &m, &err), MM_EINVAL);
    MM_CHECK_STATUS(mm_metrics_compute(NULL, yp, NULL, 3, 3, &m, &err), MM_EINVAL);
    MM_CHECK_STATUS(mm_metrics_compute(yt, yp, NULL, 3, 3, NULL, &err), MM_EINVAL);
    double proba[9] = {1, 0, 0, 0, NAN, 0, 0, 0, 1};
    MM_CHECK_STATUS(mm_metrics_compute(yt, yp, proba, 3, 3, &m, &err), MM_ENUMERIC);
    MM_CHECK(strstr(err.msg, "row 1") != NULL);
    mm_metrics_free(&m);
    mm_metrics_free(NULL);

    char *text = (char *)1;
    MM_CHECK_STATUS(mm_classification_report(yt, yp, 3, 2, NULL, 2, &text, &err), MM_EINVAL);
    MM_CHECK(text == NULL);
    MM_CHECK_STATUS(mm_classification_report(yt, yp, 0, 3, NULL, 2, &text, &err), MM_EINVAL);
    MM_CHECK_STATUS(mm_classification_report(yt, yp, 3, 3, NULL, -1, &text, &err), MM_EINVAL);
    const char *names[3] = {"a", NULL, "c"};
    MM_CHECK_STATUS(mm_classification_report(yt, yp, 3, 3, names, 2, &text, &err), MM_EINVAL);
}

/* numerics.md §7.4 example, also checked through the metrics struct */
static const int32_t YT74[10] = {0, 0, 1, 1, 2, 2, 3, 3, 3, 0};
static const int32_t YP74[10] = {0, 1, 1, 1, 2, 0, 0, 0, 0, 0};

static void test_report_example(void)
{
    static const char expect[] =
        "              precision    recall  f1-score   support\n"
        "\n"
        "         low       0.33      0.67      0.44         3\n"
        "      medium       0.67      1.00      0.80         2\n"
        "        high       1.00      0.50      0.67         2\n"
        "    critical       0.00      0.00      0.00         3\n"
        "\n"
        "    accuracy                           0.50        10\n"
        "   macro avg       0.50      0.54      0.48        10\n"
        "weighted avg       0.43      0.50      0.43        10\n";
    const char *names[4] = {"low", "medium", "high", "critical"};
    char *text = NULL;
    mm_error err = {0};
    MM_CHECK_STATUS(mm_classification_report(YT74, YP74, 10, 4, names, 2, &text, &err), MM_OK);
    MM_CHECK(text && strcmp(text, expect) == 0);
    if (text && strcmp(text, expect) != 0) fprintf(stderr, "got:\n%s", text);
    free(text);

    /* no names: labels print as numbers; an absent class is left out */
    static const char expect2[] =
        "              precision    recall  f1-score   support\n"
        "\n"
        "           0      1.000     0.500     0.667         2\n"
        "           2      0.500     1.000     0.667         1\n"
        "\n"
        "    accuracy                          0.667         3\n"
        "   macro avg      0.750     0.750     0.667         3\n"
        "weighted avg      0.833     0.667     0.667         3\n";
    const int32_t yt[3] = {0, 0, 2}, yp[3] = {0, 2, 2};
    MM_CHECK_STATUS(mm_classification_report(yt, yp, 3, 3, NULL, 3, &text, &err), MM_OK);
    MM_CHECK(text && strcmp(text, expect2) == 0);
    if (text && strcmp(text, expect2) != 0) fprintf(stderr, "got:\n%s", text);
    free(text);
}

static void test_metrics_values(void)
{
    mm_metrics m;
    mm_error err = {0};
    MM_CHECK_STATUS(mm_metrics_compute(YT74, YP74, NULL, 10, 4, &m, &err), MM_OK);
    MM_CHECK(m.n == 10 && m.n_classes == 4);
    MM_CHECK_NEAR(m.accuracy, 0.5, 0);
    MM_CHECK_NEAR(m.precision[0], 2.0 / 6.0, 1e-15);
    MM_CHECK_NEAR(m.recall[0], 2.0 / 3.0, 1e-15);
    MM_CHECK_NEAR(m.f1[0], 4.0 / 9.0, 1e-15);
    MM_CHECK_NEAR(m.precision[2], 1.0, 0);
    MM_CHECK_NEAR(m.recall[2], 0.5, 0);
    /* class 3 is never predicted: precision, recall and F1 are 0 */
    MM_CHECK(m.precision[3] == 0.0 && m.recall[3] == 0.0 && m.f1[3] == 0.0);
    MM_CHECK(m.support[0] == 3 && m.support[1] == 2 && m.support[2] == 2 && m.support[3] == 3);
    const size_t cm[16] = {2, 1, 0, 0, 0, 2, 0, 0, 1, 0, 1, 0, 3, 0, 0, 0};
    MM_CHECK(memcmp(m.confusion, cm, sizeof cm) == 0);
    MM_CHECK_NEAR(m.macro_precision, (1.0 / 3 + 2.0 / 3 + 1.0 + 0.0) / 4, 1e-15);
    MM_CHECK_NEAR(m.macro_recall, (2.0 / 3 + 1.0 + 0.5 + 0.0) / 4, 1e-15);
    MM_CHECK_NEAR(m.weighted_recall, 0.5, 1e-15);
    MM_CHECK(isnan(m.log_loss));
    mm_metrics_free(&m);
    MM_CHECK(m.precision == NULL && m.confusion == NULL);

    /* a class present in neither vector: all zero, still in the macro mean */
    const int32_t yt[4] = {0, 0, 1, 1}, yp[4] = {0, 1, 1, 1};
    MM_CHECK_STATUS(mm_metrics_compute(yt, yp, NULL, 4, 3, &m, &err), MM_OK);
    MM_CHECK(m.precision[2] == 0.0 && m.recall[2] == 0.0 && m.f1[2] == 0.0 && m.support[2] == 0);
    MM_CHECK_NEAR(m.macro_recall, (0.5 + 1.0 + 0.0) / 3, 1e-15);
    mm_metrics_free(&m);

    /* log loss: the sklearn docstring example, then clipping at DBL_EPSILON */
    const int32_t yl[4] = {1, 0, 0, 1};
    const double pl[8] = {.1, .9, .9, .1, .8, .2, .35, .65};
    MM_CHECK_STATUS(mm_metrics_compute(yl, yl, pl, 4, 2, &m, &err), MM_OK);
    MM_CHECK_NEAR(m.log_loss, -(log(.9) + log(.9) + log(.8) + log(.65)) / 4, 1e-15);
    MM_CHECK_NEAR(m.log_loss, 0.21616187468057912, 1e-15);
    mm_metrics_free(&m);
    const int32_t y1[1] = {0};
    const double p1[2] = {0.0, 1.0};
    MM_CHECK_STATUS(mm_metrics_compute(y1, y1, p1, 1, 2, &m, &err), MM_OK);
    MM_CHECK_NEAR(m.log_loss, -log(DBL_EPSILON / (DBL_EPSILON + (1.0 - DBL_EPSILON))), 1e-12);
    mm_metrics_free(&m);
}

static void test_mean_std(void)
{
    const double v[4] = {1, 2, 3, 4};
    double mean, std;
    mm_mean_std(v, 4, &mean, &std);
    MM_CHECK_NEAR(mean, 2.5, 0);
    MM_CHECK_NEAR(std, sqrt(1.25), 1e-15);
    mm_mean_std(v, 1, &mean, &std);
    MM_CHECK(mean == 1.0 && std == 0.0);
    mm_mean_std(v, 0, &mean, &std);
    MM_CHECK(isnan(mean) && isnan(std));
    /* long input exercising the pairwise blocks */
    double w[1000];
    for (int i = 0; i < 1000; i++) w[i] = (double)(i % 10);
    mm_mean_std(w, 1000, &mean, &std);
    MM_CHECK_NEAR(mean, 4.5, 1e-14);
    MM_CHECK_NEAR(std, sqrt(8.25), 1e-14);
}

/* The class StratifiedKFold's warning names: the least populated one. */
static void test_least_populated(void)
{
    const int32_t y[] = {0, 2, 2, 1, 0, 2, -1, 2, 0, 7, 1, 0};
    int32_t label = -9;
    size_t count = 99, below = 99;
    /* counts: class 0: 4, class 1: 2, class 2: 4 (-1 and 7 are out of range) */
    MM_CHECK(mm_least_populated_class(y, 12, 3, 3, &label, &count, &below));
    MM_CHECK(label == 1 && count == 2 && below == 1);
    MM_CHECK(mm_least_populated_class(y, 12, 3, 5, &label, &count, &below));
    MM_CHECK(label == 1 && count == 2 && below == 3);
    /* a class without members is not the least populated (np.unique sees only present labels) */
    MM_CHECK(mm_least_populated_class(y, 12, 5, 5, &label, &count, &below));
    MM_CHECK(label == 1 && count == 2 && below == 3);
    /* ties: the lowest label */
    const int32_t t[] = {3, 1, 3, 1, 0, 0, 0};
    MM_CHECK(mm_least_populated_class(t, 7, 4, 2, &label, &count, &below) && label == 1 && count == 2 && below == 0);
    /* nothing in range: false, outputs untouched */
    label = -9;
    const int32_t none[] = {-1, -1};
    MM_CHECK(!mm_least_populated_class(none, 2, 3, 5, &label, &count, &below) && label == -9);
    MM_CHECK(!mm_least_populated_class(y, 12, 0, 5, &label, &count, &below));
}

int main(void)
{
    test_least_populated();
    test_kfold_invalid();
    test_kfold_vectors();
    test_kfold_properties();
    test_metrics_invalid();
    test_report_example();
    test_metrics_values();
    test_mean_std();
    return mm_test_summary();
}
