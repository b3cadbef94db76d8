/* Stratified k-fold assignment equal to scikit-learn 1.2
 * StratifiedKFold._make_test_folds.
 *
 * sklearn deals the class-sorted labels round-robin to the folds, so class
 * k (in first-appearance order) occupies positions [a, b) of the sorted
 * vector and fold f receives the positions p in [a, b) with p % F == f.
 * Those counts are computed directly here; the per-class list of fold ids
 * is then shuffled with one RandomState shared by all classes and handed to
 * the class's rows in increasing row order. */
#include "mmfuse/eval.h"

#include <stdlib.h>

typedef struct label_row {
    int32_t label;
    size_t row;
} label_row;

typedef struct class_first {
    size_t first_row; /* smallest row index holding the class */
    size_t start;     /* its first position in the label-sorted rows */
    size_t count;
} class_first;

static int cmp_label_row(const void *pa, const void *pb)
{
    const label_row *a = pa, *b = pb;
    if (a->label != b->label) return a->label < b->label ? -1 : 1;
    return (a->row > b->row) - (a->row < b->row);
}

static int cmp_first(const void *pa, const void *pb)
{
    const class_first *a = pa, *b = pb;
    return (a->first_row > b->first_row) - (a->first_row < b->first_row);
}

/* Number of positions p in [0, x) with p % F == f (f < F). */
static size_t positions_below(size_t x, size_t f, size_t F)
{
    return x > f ? (x - f - 1) / F + 1 : 0;
}

/* The fold ids of sorted positions [a, a + cnt), in increasing fold order
 * (sklearn's np.arange(F).repeat(allocation[:, k])). */
static void class_fold_list(size_t a, size_t cnt, size_t F, size_t *out)
{
    size_t b = a + cnt, m = 0;
    if (cnt >= F) {
        for (size_t f = 0; f < F; f++) {
            size_t c = positions_below(b, f, F) - positions_below(a, f, F);
            for (size_t j = 0; j < c; j++) out[m++] = f;
        }
        return;
    }
    /* fewer members than folds: the folds a % F, ..., (b - 1) % F once each */
    size_t s = a % F;
    if (s + cnt <= F) {
        for (size_t j = 0; j < cnt; j++) out[m++] = s + j;
    } else {
        for (size_t f = 0; f < s + cnt - F; f++) out[m++] = f;
        for (size_t f = s; f < F; f++) out[m++] = f;
    }
}

mm_status mm_stratified_kfold(const int32_t *y, size_t n, size_t n_splits, bool shuffle,
                              uint32_t seed, int32_t *fold_of_row, bool *warn_small_class,
                              mm_error *err)
{
    if (warn_small_class) *warn_small_class = false;
    if (n_splits < 2)
        return mm_error_set(err, MM_EINVAL,
                            "stratified k-fold: n_splits = %zu, needs at least 2", n_splits);
    if (n_splits > n)
        return mm_error_set(err, MM_EINVAL,
                            "stratified k-fold: n_splits = %zu is greater than the %zu rows",
                            n_splits, n);
    if (n_splits > (size_t)INT32_MAX)
        return mm_error_set(err, MM_EINVAL, "stratified k-fold: n_splits = %zu is too large",
                            n_splits);
    if (!y || !fold_of_row)
        return mm_error_set(err, MM_EINVAL, "stratified k-fold: NULL labels or output");

    label_row *lr = mm_alloc_array(n, sizeof *lr);
    class_first *cls = mm_alloc_array(n, sizeof *cls);
    size_t *folds = mm_alloc_array(n, sizeof *folds);
    mm_status st = MM_OK;
    if (!lr || !cls || !folds) {
        st = mm_error_set(err, MM_ENOMEM, "stratified k-fold: out of memory for %zu rows", n);
        goto done;
    }

    for (size_t i = 0; i < n; i++) {
        lr[i].label = y[i];
        lr[i].row = i;
    }
    qsort(lr, n, sizeof *lr, cmp_label_row);

    size_t n_cls = 0, min_count = SIZE_MAX, max_count = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && lr[j].label == lr[i].label) j++;
        cls[n_cls].first_row = lr[i].row;
        cls[n_cls].start = i;
        cls[n_cls].count = j - i;
        if (j - i < min_count) min_count = j - i;
        if (j - i > max_count) max_count = j - i;
        n_cls++;
        i = j;
    }
    if (max_count < n_splits) {
        st = mm_error_set(err, MM_EINVAL,
                          "stratified k-fold: n_splits = %zu is greater than the number of "
                          "members in each class (largest class has %zu)",
                          n_splits, max_count);
        goto done;
    }
    if (warn_small_class && min_count < n_splits) *warn_small_class = true;

    /* class ids in order of first appearance, as sklearn re-encodes them */
    qsort(cls, n_cls, sizeof *cls, cmp_first);

    mm_rng rng;
    if (shuffle) mm_rng_seed(&rng, seed);
    size_t pos = 0; /* start of the class in the sorted encoded labels */
    for (size_t k = 0; k < n_cls; k++) {
        size_t cnt = cls[k].count;
        class_fold_list(pos, cnt, n_splits, folds);
        if (shuffle) mm_rng_shuffle(&rng, folds, cnt);
        const label_row *members = lr + cls[k].start;
        for (size_t j = 0; j < cnt; j++) fold_of_row[members[j].row] = (int32_t)folds[j];
        pos += cnt;
    }

done:
    free(lr);
    free(cls);
    free(folds);
    return st;
}

bool mm_least_populated_class(const int32_t *y, size_t n, size_t n_classes, size_t below,
                              int32_t *label, size_t *count, size_t *n_below)
{
    if (!y || n_classes == 0 || n_classes > (size_t)INT32_MAX) return false;
    size_t *c = mm_calloc_array(n_classes, sizeof *c);
    if (!c) return false;
    for (size_t i = 0; i < n; i++)
        if (y[i] >= 0 && (size_t)y[i] < n_classes) c[y[i]]++;
    size_t best = SIZE_MAX, small = 0;
    for (size_t k = 0; k < n_classes; k++) {
        if (c[k] == 0) continue;
        if (best == SIZE_MAX || c[k] < c[best]) best = k;
        small += c[k] < below;
    }
    if (best != SIZE_MAX) {
        if (label) *label = (int32_t)best;
        if (count) *count = c[best];
        if (n_below) *n_below = small;
    }
    free(c);
    return best != SIZE_MAX;
}
