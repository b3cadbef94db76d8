/* The self-contained HTML report (see mmfuse/report.h).
 *
 * Written into a memory stream (open_memstream) and then to the file in one
 * atomic write. Charts are inline SVG drawn from the numbers here; all text
 * from the data (column names, class names, notes) is HTML-escaped. */
#include "mmfuse/report.h"

#include "mmfuse/eval.h"
#include "mmfuse/io.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* a palette that stays apart for the colour-blind (Okabe-Ito) */
static const char *const palette[] = {"#0072b2", "#e69f00", "#009e73", "#cc79a7",
                                      "#56b4e9", "#d55e00", "#f0e442", "#000000"};
enum { N_PALETTE = sizeof palette / sizeof palette[0] };

static void esc(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(*s, f);
        }
    }
}

static void num(FILE *f, double v, int digits)
{
    if (isnan(v)) fputs("–", f);
    else fprintf(f, "%.*f", digits, v);
}

static const char css[] =
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;"
    "color:#1d2330;background:#f6f7f9;margin:0}"
    "main{max-width:1080px;margin:0 auto;padding:24px 28px 48px}"
    "h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:32px 0 10px;border-bottom:1px solid #d8dce3;"
    "padding-bottom:4px}h3{font-size:14px;margin:14px 0 6px}"
    ".meta{color:#5b6475;margin:0}section{background:#fff;border:1px solid #e1e4ea;border-radius:8px;"
    "padding:4px 20px 18px;margin-top:18px}"
    "table{border-collapse:collapse;font-variant-numeric:tabular-nums}"
    "th,td{padding:4px 10px;text-align:right;border-bottom:1px solid #eceef2}"
    "th:first-child,td:first-child{text-align:left}th{background:#f1f3f6;font-weight:600}"
    "tr.best td{background:#e8f4ec;font-weight:600}"
    ".grid{display:flex;flex-wrap:wrap;gap:18px}.card{flex:0 0 auto}"
    ".card h3{max-width:300px}"
    "svg text{font-family:inherit}ul.notes li{margin:3px 0}"
    "details{margin:6px 0}summary{cursor:pointer;font-weight:600}"
    ".tag{display:inline-block;padding:0 6px;border-radius:4px;font-size:12px;font-weight:600}"
    ".HIGH{background:#d6f0dd;color:#11602b}.MODERATE{background:#fdf0cf;color:#7a5600}"
    ".LOW{background:#eceef2;color:#4a5160}";

static double model_mean(const mm_report_model *m, size_t n_folds, const mm_report *r)
{
    if (m->fold_acc && n_folds) {
        double s = 0;
        for (size_t k = 0; k < n_folds; k++) s += m->fold_acc[k];
        return s / (double)n_folds;
    }
    size_t right = 0;
    for (size_t i = 0; i < r->n_rows; i++) right += m->pred[i] == r->y[i];
    return r->n_rows ? (double)right / (double)r->n_rows : NAN;
}

static void comparison(FILE *f, const mm_report *r, const mm_metrics *met)
{
    fprintf(f, "<section id=\"comparison\"><h2>Comparison</h2><table><tr><th>model</th><th>features</th>"
               "<th>accuracy</th>%s<th>macro-F1</th><th>log loss</th></tr>\n",
            r->n_folds ? "<th>± std over folds</th>" : "");
    for (size_t m = 0; m < r->n_models; m++) {
        const mm_report_model *x = &r->models[m];
        double mean = model_mean(x, r->n_folds, r), sd = 0;
        if (x->fold_acc && r->n_folds) mm_mean_std(x->fold_acc, r->n_folds, &mean, &sd);
        fprintf(f, "<tr%s><td>", (long)m == r->best ? " class=\"best\"" : "");
        esc(f, x->name);
        fprintf(f, "</td><td>%zu</td><td>", x->dims);
        num(f, mean, 3);
        if (r->n_folds) {
            fprintf(f, "</td><td>");
            num(f, sd, 3);
        }
        fprintf(f, "</td><td>");
        num(f, met[m].macro_f1, 3);
        fprintf(f, "</td><td>");
        num(f, met[m].log_loss, 3);
        fprintf(f, "</td></tr>\n");
    }
    fprintf(f, "</table></section>\n");
}

/* Horizontal bars: mean accuracy, a whisker of ± std, a dot per fold. */
static void accuracy_chart(FILE *f, const mm_report *r)
{
    enum { LEFT = 290, W = 480, ROW = 28, TOP = 24 };
    double h = TOP + (double)r->n_models * ROW + 30;
    fprintf(f, "<section id=\"accuracy\"><h2>Accuracy by model</h2>"
               "<svg class=\"chart\" width=\"%d\" height=\"%.0f\" viewBox=\"0 0 %d %.0f\" role=\"img\" "
               "aria-label=\"accuracy by model\">\n",
            LEFT + W + 60, h, LEFT + W + 60, h);
    for (int t = 0; t <= 10; t += 2) {
        double x = LEFT + W * t / 10.0;
        fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"#e3e6eb\"/>"
                   "<text x=\"%.1f\" y=\"%.0f\" font-size=\"11\" text-anchor=\"middle\" fill=\"#5b6475\">%.1f</text>\n",
                x, TOP - 6, x, h - 24, x, h - 10, t / 10.0);
    }
    for (size_t m = 0; m < r->n_models; m++) {
        const mm_report_model *x = &r->models[m];
        double mean = model_mean(x, r->n_folds, r), sd = 0;
        if (x->fold_acc && r->n_folds) mm_mean_std(x->fold_acc, r->n_folds, &mean, &sd);
        double y = TOP + (double)m * ROW;
        fprintf(f, "<text x=\"%d\" y=\"%.1f\" font-size=\"12\" text-anchor=\"end\">", LEFT - 8, y + 15);
        esc(f, x->name);
        fprintf(f, "</text><rect x=\"%d\" y=\"%.1f\" width=\"%.1f\" height=\"16\" rx=\"2\" fill=\"%s\"><title>",
                LEFT, y + 3, W * (isnan(mean) ? 0 : mean), (long)m == r->best ? "#009e73" : "#0072b2");
        esc(f, x->name);
        fprintf(f, ": %.3f</title></rect>", mean);
        if (x->fold_acc && r->n_folds) {
            double lo = mean - sd, hi = mean + sd;
            fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#1d2330\" stroke-width=\"1.5\"/>",
                    LEFT + W * lo, y + 11, LEFT + W * hi, y + 11);
            for (size_t k = 0; k < r->n_folds; k++)
                fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.2\" fill=\"#fff\" stroke=\"#1d2330\"/>",
                        LEFT + W * x->fold_acc[k], y + 11);
        }
        double right = isnan(mean) ? 0 : mean + sd;
        for (size_t k = 0; x->fold_acc && k < r->n_folds; k++)
            if (x->fold_acc[k] > right) right = x->fold_acc[k];
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"#1d2330\">%.3f</text>\n", LEFT + W * right + 7,
                y + 15, mean);
    }
    fprintf(f, "</svg><p class=\"meta\">Bars: mean accuracy%s.</p></section>\n",
            r->n_folds ? " over the folds; whisker: ± one standard deviation; dots: each fold" : " on the labelled rows");
}

static void blocks_chart(FILE *f, const mm_report *r)
{
    if (!r->n_blocks) return;
    enum { LEFT = 200, W = 420, ROW = 24 };
    size_t total = 0;
    for (size_t b = 0; b < r->n_blocks; b++) total += r->blocks[b].dim;
    double h = 10 + (double)r->n_blocks * ROW;
    fprintf(f, "<section id=\"blocks\"><h2>Feature blocks</h2>"
               "<svg class=\"chart\" width=\"%d\" height=\"%.0f\" role=\"img\" aria-label=\"feature blocks\">\n",
            LEFT + W + 170, h);
    for (size_t b = 0; b < r->n_blocks; b++) {
        double share = total ? (double)r->blocks[b].dim / (double)total : 0, y = 4 + (double)b * ROW;
        fprintf(f, "<text x=\"%d\" y=\"%.1f\" font-size=\"12\" text-anchor=\"end\">", LEFT - 8, y + 13);
        esc(f, r->blocks[b].name);
        fprintf(f, "</text><rect x=\"%d\" y=\"%.1f\" width=\"%.1f\" height=\"14\" rx=\"2\" fill=\"%s\"/>"
                   "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\">%zu values, %.1f%% of all</text>\n",
                LEFT, y + 2, W * share + 1, palette[b % N_PALETTE], LEFT + W * share + 8, y + 13, r->blocks[b].dim,
                100 * share);
    }
    fprintf(f, "</svg></section>\n");
}

static void pairs_table(FILE *f, const mm_report *r)
{
    if (!r->n_pairs) return;
    fprintf(f, "<section id=\"complementarity\"><h2>Complementarity of modality pairs</h2><table>"
               "<tr><th>pair</th><th>acc A</th><th>acc B</th><th>fused</th><th>gain</th><th>one right</th>"
               "<th>Yule's Q</th><th>error kappa</th><th>CCA</th><th>verdict</th></tr>\n");
    for (size_t p = 0; p < r->n_pairs; p++) {
        const mm_report_pair *x = &r->pairs[p];
        fprintf(f, "<tr><td>");
        esc(f, x->a);
        fprintf(f, " + ");
        esc(f, x->b);
        fprintf(f, "</td>");
        const double v[] = {x->acc_a, x->acc_b, x->acc_fused};
        for (int k = 0; k < 3; k++) {
            fprintf(f, "<td>");
            num(f, v[k], 3);
            fprintf(f, "</td>");
        }
        fprintf(f, "<td>%+.3f</td><td>", x->gain);
        num(f, x->one_right, 3);
        fprintf(f, "</td><td>");
        num(f, x->yule_q, 3);
        fprintf(f, "</td><td>");
        num(f, x->error_kappa, 3);
        fprintf(f, "</td><td>");
        for (size_t k = 0; k < x->n_cca && k < 3; k++) fprintf(f, "%s%.2f", k ? " " : "", x->cca[k]);
        fprintf(f, "</td><td><span class=\"tag ");
        esc(f, x->verdict);
        fprintf(f, "\">");
        esc(f, x->verdict);
        fprintf(f, "</span></td></tr>\n");
    }
    fprintf(f, "</table><p class=\"meta\">gain: early fusion of the pair over the better of the two; one right: "
               "share of rows where exactly one single model is right; Yule's Q near 1: the two fail on the same "
               "rows; CCA: leading canonical correlations of the two blocks.</p></section>\n");
}

static void confusion_svg(FILE *f, const mm_report *r, const mm_metrics *m, const char *name)
{
    size_t K = r->n_classes;
    double cell = K <= 4 ? 44 : K <= 8 ? 30 : K <= 16 ? 18 : 10;
    double left = 92, top = 20, side = cell * (double)K;
    fprintf(f, "<div class=\"card\"><h3>");
    esc(f, name);
    fprintf(f, "</h3><svg class=\"chart cm\" width=\"%.0f\" height=\"%.0f\" role=\"img\" aria-label=\"confusion matrix\">\n",
            left + side + 10, top + side + 22);
    for (size_t t = 0; t < K; t++) {
        size_t row_total = 0;
        for (size_t p = 0; p < K; p++) row_total += m->confusion[t * K + p];
        if (K <= 16) {
            fprintf(f, "<text x=\"%.0f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">", left - 4,
                    top + cell * ((double)t + 0.5) + 3);
            esc(f, r->classes[t]);
            fprintf(f, "</text>");
        }
        for (size_t p = 0; p < K; p++) {
            size_t c = m->confusion[t * K + p];
            double share = row_total ? (double)c / (double)row_total : 0;
            /* white to the palette's blue by the share of the true class */
            int rr = (int)(255 - share * (255 - 0)), gg = (int)(255 - share * (255 - 114)),
                bb = (int)(255 - share * (255 - 178));
            fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"rgb(%d,%d,%d)\" "
                       "stroke=\"#fff\"><title>true ",
                    left + cell * (double)p, top + cell * (double)t, cell, cell, rr, gg, bb);
            esc(f, r->classes[t]);
            fprintf(f, ", predicted ");
            esc(f, r->classes[p]);
            fprintf(f, ": %zu</title></rect>", c);
            if (cell >= 30)
                fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"middle\" fill=\"%s\">%zu</text>",
                        left + cell * ((double)p + 0.5), top + cell * ((double)t + 0.5) + 3,
                        share > 0.55 ? "#fff" : "#1d2330", c);
        }
        fputc('\n', f);
    }
    fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"10\" text-anchor=\"middle\" fill=\"#5b6475\">predicted →"
               "</text><text x=\"4\" y=\"12\" font-size=\"10\" fill=\"#5b6475\">true ↓</text></svg></div>\n",
            left + side / 2, top + side + 16);
}

static void per_class_table(FILE *f, const mm_report *r, const mm_metrics *m)
{
    fprintf(f, "<table><tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>\n");
    for (size_t k = 0; k < r->n_classes; k++) {
        fprintf(f, "<tr><td>");
        esc(f, r->classes[k]);
        fprintf(f, "</td><td>%.3f</td><td>%.3f</td><td>%.3f</td><td>%zu</td></tr>\n", m->precision[k], m->recall[k],
                m->f1[k], m->support[k]);
    }
    fprintf(f, "<tr><td>macro average</td><td>%.3f</td><td>%.3f</td><td>%.3f</td><td>%zu</td></tr></table>\n",
            m->macro_precision, m->macro_recall, m->macro_f1, m->n);
}

typedef struct scored {
    double s;
    int32_t y;
} scored;

static int by_score_desc(const void *a, const void *b)
{
    double x = ((const scored *)a)->s, y = ((const scored *)b)->s;
    return (x < y) - (x > y);
}

/* The ROC curve's corner points (fpr, tpr), one per distinct threshold.
 * Returns the count (<= n + 1) written to fpr/tpr, 0 when undefined. */
static size_t roc_points(const int32_t *y01, const double *score, size_t n, double *fpr, double *tpr)
{
    scored *v = mm_alloc_array(n ? n : 1, sizeof *v);
    if (!v) return 0;
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        v[i].s = score[i];
        v[i].y = y01[i];
        pos += y01[i] == 1;
    }
    size_t neg = n - pos, k = 0;
    if (!pos || !neg) {
        free(v);
        return 0;
    }
    qsort(v, n, sizeof *v, by_score_desc);
    size_t tp = 0, fp = 0;
    fpr[k] = tpr[k] = 0;
    k++;
    for (size_t i = 0; i < n; i++) {
        tp += v[i].y == 1;
        fp += v[i].y != 1;
        if (i + 1 < n && v[i + 1].s == v[i].s) continue; /* ties: one threshold */
        fpr[k] = (double)fp / (double)neg;
        tpr[k] = (double)tp / (double)pos;
        k++;
    }
    free(v);
    return k;
}

/* Trapezoids between the k corner points. */
static double auc_of(const double *fpr, const double *tpr, size_t k)
{
    double auc = 0;
    for (size_t i = 1; i < k; i++) auc += (fpr[i] - fpr[i - 1]) * (tpr[i] + tpr[i - 1]) / 2;
    return auc;
}

double mm_roc_auc(const int32_t *y01, const double *score, size_t n)
{
    double *fpr = mm_alloc_array(n + 1, sizeof *fpr), *tpr = mm_alloc_array(n + 1, sizeof *tpr);
    double auc = NAN;
    size_t k = fpr && tpr ? roc_points(y01, score, n, fpr, tpr) : 0;
    if (k) auc = auc_of(fpr, tpr, k);
    free(fpr);
    free(tpr);
    return auc;
}

static void roc_chart(FILE *f, const mm_report *r)
{
    if (r->n_classes != 2 || !r->n_rows) return;
    size_t n = r->n_rows;
    double *fpr = mm_alloc_array(n + 1, sizeof *fpr), *tpr = mm_alloc_array(n + 1, sizeof *tpr);
    double *auc = mm_alloc_array(r->n_models + 1, sizeof *auc);
    if (!fpr || !tpr || !auc) goto out;
    for (size_t m = 0; m < r->n_models; m++) auc[m] = NAN;
    enum { S = 320, L = 44, T = 12 };
    fprintf(f, "<section id=\"roc\"><h2>ROC curves (positive class: ");
    esc(f, r->classes[1]);
    fprintf(f, ")</h2><div class=\"grid\"><svg class=\"chart roc\" width=\"%d\" height=\"%d\" role=\"img\" "
               "aria-label=\"ROC curves\">\n<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
               "stroke=\"#c9ced8\"/><line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#c9ced8\" "
               "stroke-dasharray=\"4 3\"/>"
               "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\" fill=\"#5b6475\">false positive rate"
               "</text><text x=\"12\" y=\"%d\" font-size=\"11\" fill=\"#5b6475\" transform=\"rotate(-90 12 %d)\" "
               "text-anchor=\"middle\">true positive rate</text>\n",
            L + S + 10, T + S + 40, L, T, S, S, L, T + S, L + S, T, L + S / 2, T + S + 30, T + S / 2, T + S / 2);
    fprintf(f, "<g>");
    size_t shown = 0;
    for (size_t m = 0; m < r->n_models; m++) {
        const mm_report_model *x = &r->models[m];
        if (!x->proba) continue;
        double *score = mm_alloc_array(n, sizeof *score);
        if (!score) break;
        for (size_t i = 0; i < n; i++) score[i] = x->proba[i * 2 + 1];
        size_t k = roc_points(r->y, score, n, fpr, tpr);
        free(score);
        if (!k) continue;
        auc[m] = auc_of(fpr, tpr, k);
        fprintf(f, "<polyline fill=\"none\" stroke-width=\"1.6\" stroke=\"%s\" points=\"", palette[shown % N_PALETTE]);
        /* at most ~400 points: a curve, not the whole data */
        size_t step = k > 400 ? k / 400 : 1;
        for (size_t i = 0; i < k; i += step) fprintf(f, "%.1f,%.1f ", L + S * fpr[i], T + S * (1 - tpr[i]));
        fprintf(f, "%.1f,%.1f\"><title>", L + S * fpr[k - 1], T + S * (1 - tpr[k - 1]));
        esc(f, x->name);
        fprintf(f, "</title></polyline>\n");
        shown++;
    }
    fprintf(f, "</g></svg><table><tr><th>model</th><th>AUC</th></tr>\n");
    shown = 0;
    for (size_t m = 0; m < r->n_models; m++) {
        const mm_report_model *x = &r->models[m];
        if (!x->proba) continue;
        fprintf(f, "<tr><td><span style=\"color:%s\">■</span> ", palette[shown++ % N_PALETTE]);
        esc(f, x->name);
        fprintf(f, "</td><td>");
        num(f, auc[m], 3);
        fprintf(f, "</td></tr>\n");
    }
    fprintf(f, "</table></div></section>\n");
out:
    free(fpr);
    free(tpr);
    free(auc);
}

static void schema_table(FILE *f, const mm_report *r)
{
    if (!r->n_columns) return;
    fprintf(f, "<section id=\"schema\"><h2>Schema</h2><table><tr><th>column</th><th>role</th><th>from</th>"
               "<th>why</th></tr>\n");
    for (size_t c = 0; c < r->n_columns; c++) {
        const mm_report_column *x = &r->columns[c];
        const char *cells[] = {x->name, x->role, x->source, x->why};
        fprintf(f, "<tr>");
        for (int k = 0; k < 4; k++) {
            fprintf(f, "<td style=\"text-align:left\">");
            esc(f, cells[k]);
            fprintf(f, "</td>");
        }
        fprintf(f, "</tr>\n");
    }
    fprintf(f, "</table></section>\n");
}

static void notes_list(FILE *f, const mm_report *r)
{
    fprintf(f, "<section id=\"notes\"><h2>Notes</h2>");
    if (!r->n_notes) fprintf(f, "<p class=\"meta\">No rows were skipped and every file could be used.</p>");
    else {
        fprintf(f, "<ul class=\"notes\">");
        for (size_t k = 0; k < r->n_notes; k++) {
            fprintf(f, "<li>");
            esc(f, r->notes[k]);
            fprintf(f, "</li>");
        }
        fprintf(f, "</ul>");
    }
    fprintf(f, "</section>\n");
}

static mm_status check_input(const mm_report *r, mm_error *err)
{
    if (!r || !r->classes || !r->y || (r->n_models && !r->models) || r->n_classes < 1)
        return mm_error_set(err, MM_EINVAL, "report: incomplete input");
    for (size_t i = 0; i < r->n_rows; i++)
        if (r->y[i] < 0 || (size_t)r->y[i] >= r->n_classes)
            return mm_error_set(err, MM_EINVAL, "report: row %zu has class index %d of %zu", i, (int)r->y[i],
                                r->n_classes);
    for (size_t m = 0; m < r->n_models; m++)
        for (size_t i = 0; i < r->n_rows; i++)
            if (r->models[m].pred[i] < 0 || (size_t)r->models[m].pred[i] >= r->n_classes)
                return mm_error_set(err, MM_EINVAL, "report: model %zu predicts class %d of %zu", m,
                                    (int)r->models[m].pred[i], r->n_classes);
    return MM_OK;
}

mm_status mm_report_html(const mm_report *r, char **out, size_t *len, mm_error *err)
{
    *out = NULL;
    *len = 0;
    mm_status st = check_input(r, err);
    if (st) return st;
    mm_metrics *met = calloc(r->n_models ? r->n_models : 1, sizeof *met);
    if (!met) return mm_error_set(err, MM_ENOMEM, "out of memory for the report");
    for (size_t m = 0; m < r->n_models && !st; m++)
        st = mm_metrics_compute(r->y, r->models[m].pred, r->models[m].proba, r->n_rows, r->n_classes, &met[m], err);
    char *buf = NULL;
    size_t size = 0;
    FILE *f = st ? NULL : open_memstream(&buf, &size);
    if (!st && !f) st = mm_error_set(err, MM_ENOMEM, "out of memory for the report");
    if (!st) {
        fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                   "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>mmfuse — ");
        esc(f, r->title);
        fprintf(f, "</title><style>%s</style></head><body><main>\n<h1>", css);
        esc(f, r->title);
        fprintf(f, "</h1><p class=\"meta\">%zu rows · %zu classes · target <b>", r->n_rows, r->n_classes);
        esc(f, r->target);
        fprintf(f, "</b> · ");
        esc(f, r->method);
        fprintf(f, " · mmfuse %s</p>\n", MM_VERSION_STRING);
        comparison(f, r, met);
        accuracy_chart(f, r);
        blocks_chart(f, r);
        pairs_table(f, r);
        fprintf(f, "<section id=\"confusion\"><h2>Confusion matrices</h2><p class=\"meta\">Rows: true class; "
                   "columns: predicted; shade: share of the true class.</p><div class=\"grid\">\n");
        for (size_t m = 0; m < r->n_models; m++) confusion_svg(f, r, &met[m], r->models[m].name);
        fprintf(f, "</div></section>\n<section id=\"per-class\"><h2>Per-class precision, recall and F1</h2>\n");
        for (size_t m = 0; m < r->n_models; m++) {
            fprintf(f, "<details%s><summary>", (long)m == r->best || (r->best < 0 && m == 0) ? " open" : "");
            esc(f, r->models[m].name);
            fprintf(f, "</summary>");
            per_class_table(f, r, &met[m]);
            fprintf(f, "</details>\n");
        }
        fprintf(f, "</section>\n");
        roc_chart(f, r);
        schema_table(f, r);
        notes_list(f, r);
        fprintf(f, "</main></body></html>\n");
        if (fclose(f) != 0 || !buf) st = mm_error_set(err, MM_ENOMEM, "out of memory for the report");
    }
    for (size_t m = 0; m < r->n_models; m++) mm_metrics_free(&met[m]);
    free(met);
    if (st) {
        free(buf);
        return st;
    }
    *out = buf;
    *len = size;
    return MM_OK;
}

mm_status mm_report_write_html(const mm_report *r, const char *path, mm_error *err)
{
    char *buf;
    size_t len;
    mm_status st = mm_report_html(r, &buf, &len, err);
    if (st) return st;
    st = mm_write_file_atomic(path, buf, len, err);
    free(buf);
    return st;
}
