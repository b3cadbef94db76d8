/* scikit-learn 1.2 classification_report text, byte for byte.
 *
 * Python pads names with str.format, which counts code points, so widths
 * here count UTF-8 code points rather than bytes. Floats go through printf
 * "%.*f", which like Python's format is correctly rounded. */
#include "mmfuse/eval.h"

#include "eval/eval_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MM_REPORT_MAX_DIGITS = 100 };

typedef struct sbuf {
    char *p;
    size_t len, cap;
    bool failed;
} sbuf;

static void sb_reserve(sbuf *b, size_t extra)
{
    if (b->failed) return;
    size_t need;
    if (!mm_size_add(b->len, extra + 1, &need)) {
        b->failed = true;
        return;
    }
    if (need <= b->cap) return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->failed = true;
        return;
    }
    b->p = p;
    b->cap = cap;
}

static void sb_printf(sbuf *b, const char *fmt, ...) MM_PRINTF(2, 3);
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (k < 0) {
        b->failed = true;
        return;
    }
    sb_reserve(b, (size_t)k);
    if (b->failed) return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)k + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)k;
}

static void sb_spaces(sbuf *b, size_t k)
{
    sb_reserve(b, k);
    if (b->failed) return;
    memset(b->p + b->len, ' ', k);
    b->len += k;
    b->p[b->len] = '\0';
}

/* Length in code points, as Python's len() of the decoded string. */
static size_t utf8_len(const char *s)
{
    size_t k = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80) k++;
    return k;
}

/* "{:>{width}s}" */
static void sb_right(sbuf *b, const char *s, size_t width)
{
    size_t len = utf8_len(s);
    if (len < width) sb_spaces(b, width - len);
    sb_printf(b, "%s", s);
}

/* sklearn counts true positives with np.bincount, except when no row is
 * right at all: then its counts are float zeros and every support prints
 * as a Python float ("3.0"). */
static void support_text(char *buf, size_t size, size_t support, bool as_float)
{
    if (as_float) snprintf(buf, size, "%zu.0", support);
    else snprintf(buf, size, "%zu", support);
}

static void sb_row(sbuf *b, const char *name, size_t width, int digits, double p, double r,
                   double f, size_t support, bool float_support)
{
    char sup[32];
    support_text(sup, sizeof sup, support, float_support);
    sb_right(b, name, width);
    sb_printf(b, "  %9.*f %9.*f %9.*f %9s\n", digits, p, digits, r, digits, f, sup);
}

typedef struct report_counts {
    size_t m;          /* labels present in y_true or y_pred */
    int32_t *label;    /* m, ascending */
    size_t *tp, *pred, *truth; /* m each */
    double *p, *r, *f; /* m each */
} report_counts;

static void counts_free(report_counts *c)
{
    free(c->label);
    free(c->tp);
    free(c->pred);
    free(c->truth);
    free(c->p);
    free(c->r);
    free(c->f);
}

static mm_status counts_build(const int32_t *y_true, const int32_t *y_pred, size_t n, size_t K,
                              report_counts *c, mm_error *err)
{
    memset(c, 0, sizeof *c);
    size_t *tp = mm_calloc_array(K, sizeof *tp);
    size_t *pred = mm_calloc_array(K, sizeof *pred);
    size_t *truth = mm_calloc_array(K, sizeof *truth);
    if (!tp || !pred || !truth) goto oom;
    for (size_t i = 0; i < n; i++) {
        truth[y_true[i]]++;
        pred[y_pred[i]]++;
        if (y_true[i] == y_pred[i]) tp[y_true[i]]++;
    }
    for (size_t k = 0; k < K; k++)
        if (truth[k] || pred[k]) c->m++;
    c->label = mm_alloc_array(c->m, sizeof *c->label);
    c->tp = mm_alloc_array(c->m, sizeof *c->tp);
    c->pred = mm_alloc_array(c->m, sizeof *c->pred);
    c->truth = mm_alloc_array(c->m, sizeof *c->truth);
    c->p = mm_alloc_array(c->m, sizeof *c->p);
    c->r = mm_alloc_array(c->m, sizeof *c->r);
    c->f = mm_alloc_array(c->m, sizeof *c->f);
    if (!c->label || !c->tp || !c->pred || !c->truth || !c->p || !c->r || !c->f) goto oom;
    size_t j = 0;
    for (size_t k = 0; k < K; k++) {
        if (!truth[k] && !pred[k]) continue;
        c->label[j] = (int32_t)k;
        c->tp[j] = tp[k];
        c->pred[j] = pred[k];
        c->truth[j] = truth[k];
        j++;
    }
    free(tp);
    free(pred);
    free(truth);
    mm_eval_prf(c->tp, c->pred, c->truth, c->m, c->p, c->r, c->f);
    return MM_OK;
oom:
    free(tp);
    free(pred);
    free(truth);
    counts_free(c);
    return mm_error_set(err, MM_ENOMEM, "classification report: out of memory for %zu classes",
                        K);
}

static mm_status check_args(const int32_t *y_true, const int32_t *y_pred, size_t n,
                            size_t n_classes, const char *const *names, int digits,
                            mm_error *err)
{
    if (!y_true || !y_pred)
        return mm_error_set(err, MM_EINVAL, "classification report: NULL labels");
    if (n == 0) return mm_error_set(err, MM_EINVAL, "classification report: no rows");
    if (n_classes == 0)
        return mm_error_set(err, MM_EINVAL, "classification report: n_classes = %zu", n_classes);
    if (digits < 0 || digits > MM_REPORT_MAX_DIGITS)
        return mm_error_set(err, MM_EINVAL, "classification report: digits = %d outside [0, %d]",
                            digits, MM_REPORT_MAX_DIGITS);
    for (size_t i = 0; i < n; i++) {
        const int32_t v[2] = {y_true[i], y_pred[i]};
        for (int t = 0; t < 2; t++) {
            if (v[t] < 0 || (uint64_t)v[t] >= (uint64_t)n_classes)
                return mm_error_set(err, MM_EINVAL,
                                    "classification report: row %zu: %s = %d is outside [0, %zu)",
                                    i, t ? "y_pred" : "y_true", (int)v[t], n_classes);
            if (names && !names[v[t]])
                return mm_error_set(err, MM_EINVAL,
                                    "classification report: class %d has no name (NULL)",
                                    (int)v[t]);
        }
    }
    return MM_OK;
}

mm_status mm_classification_report(const int32_t *y_true, const int32_t *y_pred, size_t n,
                                   size_t n_classes, const char *const *names, int digits,
                                   char **out, mm_error *err)
{
    if (!out) return mm_error_set(err, MM_EINVAL, "classification report: NULL output");
    *out = NULL;
    mm_status st = check_args(y_true, y_pred, n, n_classes, names, digits, err);
    if (st != MM_OK) return st;

    report_counts c;
    st = counts_build(y_true, y_pred, n, n_classes, &c, err);
    if (st != MM_OK) return st;

    /* a label's printed name: names[label], or "%d" as Python's "%s" % label */
    char numbuf[16];
    size_t width = strlen("weighted avg");
    if ((size_t)digits > width) width = (size_t)digits;
    for (size_t j = 0; j < c.m; j++) {
        size_t len;
        if (names) {
            len = utf8_len(names[c.label[j]]);
        } else {
            snprintf(numbuf, sizeof numbuf, "%d", (int)c.label[j]);
            len = strlen(numbuf);
        }
        if (len > width) width = len;
    }

    size_t correct = 0;
    for (size_t j = 0; j < c.m; j++) correct += c.tp[j];
    bool fsup = correct == 0;

    sbuf b = {0};
    sb_spaces(&b, width);
    sb_printf(&b, "  %9s %9s %9s %9s\n\n", "precision", "recall", "f1-score", "support");
    for (size_t j = 0; j < c.m; j++) {
        const char *name = numbuf;
        if (names) name = names[c.label[j]];
        else snprintf(numbuf, sizeof numbuf, "%d", (int)c.label[j]);
        sb_row(&b, name, width, digits, c.p[j], c.r[j], c.f[j], c.truth[j], fsup);
    }
    sb_printf(&b, "\n");

    /* micro average over the present labels: every row is both predicted
     * and true once, so P = R = correct / n and F comes from them */
    double micro = (double)correct / (double)n;
    sb_right(&b, "accuracy", width);
    char sup[32];
    support_text(sup, sizeof sup, n, fsup);
    sb_printf(&b, "  %9s %9s %9.*f %9s\n", "", "", digits, mm_eval_f1(micro, micro), sup);

    double m = (double)c.m;
    sb_row(&b, "macro avg", width, digits, mm_eval_pairwise_sum(c.p, c.m) / m,
           mm_eval_pairwise_sum(c.r, c.m) / m, mm_eval_pairwise_sum(c.f, c.m) / m, n, fsup);
    double w = (double)n;
    sb_row(&b, "weighted avg", width, digits, mm_eval_pairwise_dot(c.p, c.truth, c.m) / w,
           mm_eval_pairwise_dot(c.r, c.truth, c.m) / w,
           mm_eval_pairwise_dot(c.f, c.truth, c.m) / w, n, fsup);
    counts_free(&c);

    if (b.failed) {
        free(b.p);
        return mm_error_set(err, MM_ENOMEM, "classification report: out of memory");
    }
    *out = b.p;
    return MM_OK;
}
