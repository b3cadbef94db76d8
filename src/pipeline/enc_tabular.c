/* The tabular encoder: numeric columns (mean imputation, optional missing
 * indicator) and categorical columns (one-hot or ordinal), as one block.
 *
 * Fitting sees only the training rows: means, which numeric columns get an
 * indicator (those with a missing value in training, as sklearn's
 * SimpleImputer(add_indicator=True)), and the sorted category lists
 * (byte order of the UTF-8 strings = Python string order, as sklearn's
 * categories='auto'). A numeric column with no value in training imputes 0.
 * Cells of a numeric column that are not numbers count as missing and are
 * reported. Output column order: for each numeric column its value then its
 * indicator (if any), then each categorical column's one-hot block (or its
 * single ordinal column), all in schema order. */
#include "pipeline/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_cstr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void mm_tab_free(mm_tab_enc *e)
{
    if (!e) return;
    for (size_t j = 0; j < e->n_num; j++) free(e->num_names ? e->num_names[j] : NULL);
    for (size_t j = 0; j < e->n_cat; j++) {
        free(e->cat_names ? e->cat_names[j] : NULL);
        if (e->cats && e->cats[j]) {
            for (size_t k = 0; k < e->n_cats[j]; k++) free(e->cats[j][k]);
            free(e->cats[j]);
        }
    }
    free(e->num_names);
    free(e->num_mean);
    free(e->num_indicator);
    free(e->cat_names);
    free(e->n_cats);
    free(e->cats);
    memset(e, 0, sizeof *e);
}

static void tab_compute_dim(mm_tab_enc *e)
{
    size_t d = 0;
    for (size_t j = 0; j < e->n_num; j++) d += 1 + (e->num_indicator[j] != 0);
    for (size_t j = 0; j < e->n_cat; j++) d += e->encoding == MM_CAT_ONEHOT ? e->n_cats[j] : 1;
    e->dim = d;
}

static mm_status tab_alloc(mm_tab_enc *e, size_t n_num, size_t n_cat, mm_error *err)
{
    e->n_num = n_num;
    e->n_cat = n_cat;
    e->num_names = calloc(n_num + 1, sizeof *e->num_names);
    e->num_mean = calloc(n_num + 1, sizeof *e->num_mean);
    e->num_indicator = calloc(n_num + 1, 1);
    e->cat_names = calloc(n_cat + 1, sizeof *e->cat_names);
    e->n_cats = calloc(n_cat + 1, sizeof *e->n_cats);
    e->cats = calloc(n_cat + 1, sizeof *e->cats);
    if (!e->num_names || !e->num_mean || !e->num_indicator || !e->cat_names || !e->n_cats || !e->cats)
        return mm_error_set(err, MM_ENOMEM, "out of memory (tabular encoder)");
    return MM_OK;
}

mm_status mm_tab_init(mm_tab_enc *e, size_t n_num, size_t n_cat, mm_cat_encoding enc, mm_error *err)
{
    memset(e, 0, sizeof *e);
    e->encoding = enc;
    mm_status st = tab_alloc(e, n_num, n_cat, err);
    if (st) mm_tab_free(e);
    return st;
}

void mm_tab_finish(mm_tab_enc *e) { tab_compute_dim(e); }

static mm_status fit_categories(mm_tab_enc *e, size_t j, const mm_table *t, size_t col,
                                const size_t *rows, size_t n, mm_error *err)
{
    const char **vals = mm_alloc_array(n ? n : 1, sizeof *vals);
    if (!vals) return mm_error_set(err, MM_ENOMEM, "out of memory (categories)");
    size_t m = 0;
    for (size_t r = 0; r < n; r++) {
        const char *s = mm_table_cell(t, rows[r], col, NULL);
        if (s) vals[m++] = s;
    }
    qsort(vals, m, sizeof *vals, cmp_cstr);
    size_t k = 0;
    for (size_t i = 0; i < m; i++)
        if (i == 0 || strcmp(vals[i], vals[i - 1]) != 0) vals[k++] = vals[i];
    e->cats[j] = calloc(k ? k : 1, sizeof *e->cats[j]);
    if (!e->cats[j]) {
        free(vals);
        return mm_error_set(err, MM_ENOMEM, "out of memory (categories)");
    }
    for (size_t i = 0; i < k; i++) {
        e->cats[j][i] = strdup(vals[i]);
        if (!e->cats[j][i]) {
            e->n_cats[j] = i;
            free(vals);
            return mm_error_set(err, MM_ENOMEM, "out of memory (categories)");
        }
    }
    e->n_cats[j] = k;
    free(vals);
    return MM_OK;
}

mm_status mm_tab_fit(mm_tab_enc *e, const mm_schema *s, const char *group, const mm_table *t, const size_t *rows,
                     size_t n, mm_cat_encoding enc, bool indicator, const mm_num_cache *nc, mm_error *err)
{
    size_t n_num = 0, n_cat = 0;
    for (size_t j = 0; j < s->n_cols; j++) {
        if (strcmp(s->cols[j].group, group) != 0) continue;
        n_num += s->cols[j].role == MM_ROLE_NUMERIC;
        n_cat += s->cols[j].role == MM_ROLE_CATEGORICAL;
    }
    mm_status st = mm_tab_init(e, n_num, n_cat, enc, err);
    if (st) return st;
    snprintf(e->name, sizeof e->name, "%s", group[0] ? group : "tabular");
    size_t in = 0, ic = 0;
    for (size_t j = 0; j < s->n_cols && !st; j++) {
        if (strcmp(s->cols[j].group, group) != 0) continue;
        const char *name = s->cols[j].name;
        long col = mm_table_find_col(t, name);
        if (s->cols[j].role == MM_ROLE_NUMERIC) {
            e->num_names[in] = strdup(name);
            if (!e->num_names[in]) st = mm_error_set(err, MM_ENOMEM, "out of memory");
            double sum = 0;
            size_t cnt = 0, missing = 0;
            for (size_t r = 0; r < n && col >= 0; r++) {
                double v;
                if (mm_num_cell(nc, t, rows[r], (size_t)col, &v) == MM_NUM_OK) {
                    sum += v;
                    cnt++;
                } else {
                    missing++;
                }
            }
            if (col < 0) missing = n;
            e->num_mean[in] = cnt ? sum / (double)cnt : 0.0;
            e->num_indicator[in] = indicator && missing > 0;
            in++;
        } else if (s->cols[j].role == MM_ROLE_CATEGORICAL) {
            e->cat_names[ic] = strdup(name);
            if (!e->cat_names[ic]) st = mm_error_set(err, MM_ENOMEM, "out of memory");
            else if (col >= 0) st = fit_categories(e, ic, t, (size_t)col, rows, n, err);
            else if (!(e->cats[ic] = calloc(1, sizeof *e->cats[ic])))
                st = mm_error_set(err, MM_ENOMEM, "out of memory");
            ic++;
        }
    }
    if (st) {
        mm_tab_free(e);
        return st;
    }
    tab_compute_dim(e);
    return MM_OK;
}

static long find_category(char *const *cats, size_t n, const char *s)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(cats[mid], s);
        if (c == 0) return (long)mid;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return -1;
}

mm_status mm_tab_transform(const mm_tab_enc *e, const mm_table *t, const size_t *rows, size_t n,
                           mm_block *out, mm_data_report *rep, const mm_num_cache *nc, mm_error *err)
{
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "%s", e->name);
    out->modality = MM_MOD_TABULAR;
    out->rows = n;
    out->dim = e->dim;
    mm_status st = mm_mat_alloc(&out->dense, n, e->dim, err);
    if (st) return st;
    out->present = calloc(n ? n : 1, 1);
    long *num_col = calloc(e->n_num + 1, sizeof *num_col);
    long *cat_col = calloc(e->n_cat + 1, sizeof *cat_col);
    if (!out->present || !num_col || !cat_col) {
        free(num_col);
        free(cat_col);
        mm_block_free(out);
        return mm_error_set(err, MM_ENOMEM, "out of memory (tabular block)");
    }
    for (size_t j = 0; j < e->n_num; j++) num_col[j] = mm_table_find_col(t, e->num_names[j]);
    for (size_t j = 0; j < e->n_cat; j++) cat_col[j] = mm_table_find_col(t, e->cat_names[j]);
    size_t bad_numbers = 0, unseen = 0;
    for (size_t r = 0; r < n; r++) {
        float *x = mm_mat_row(&out->dense, r);
        size_t at = 0;
        bool any = false;
        for (size_t j = 0; j < e->n_num; j++) {
            double v = 0;
            int state = num_col[j] >= 0 ? mm_num_cell(nc, t, rows[r], (size_t)num_col[j], &v) : MM_NUM_MISSING;
            bool ok = state == MM_NUM_OK;
            if (state == MM_NUM_BAD) bad_numbers++;
            any |= ok;
            x[at++] = (float)(ok ? v : e->num_mean[j]);
            if (e->num_indicator[j]) x[at++] = ok ? 0.0f : 1.0f;
        }
        for (size_t j = 0; j < e->n_cat; j++) {
            const char *c = cat_col[j] >= 0 ? mm_table_cell(t, rows[r], (size_t)cat_col[j], NULL) : NULL;
            long k = c ? find_category(e->cats[j], e->n_cats[j], c) : -1;
            if (c && k < 0) unseen++;
            any |= c != NULL;
            if (e->encoding == MM_CAT_ONEHOT) {
                if (k >= 0) x[at + (size_t)k] = 1.0f;
                at += e->n_cats[j];
            } else {
                x[at++] = (float)k;
            }
        }
        out->present[r] = any;
    }
    free(num_col);
    free(cat_col);
    if (rep) {
        rep->numeric_unparsable += bad_numbers;
        rep->unseen_categories += unseen;
    }
    return MM_OK;
}

void mm_tab_feature_name(const mm_tab_enc *e, size_t j, char *buf, size_t size)
{
    size_t at = 0;
    for (size_t c = 0; c < e->n_num; c++) {
        if (j == at) {
            snprintf(buf, size, "%s", e->num_names[c]);
            return;
        }
        at++;
        if (e->num_indicator[c]) {
            if (j == at) {
                snprintf(buf, size, "%s_missing", e->num_names[c]);
                return;
            }
            at++;
        }
    }
    for (size_t c = 0; c < e->n_cat; c++) {
        if (e->encoding == MM_CAT_ONEHOT) {
            if (j < at + e->n_cats[c]) {
                snprintf(buf, size, "%s_%s", e->cat_names[c], e->cats[c][j - at]);
                return;
            }
            at += e->n_cats[c];
        } else {
            if (j == at) {
                snprintf(buf, size, "%s", e->cat_names[c]);
                return;
            }
            at++;
        }
    }
    snprintf(buf, size, "?");
}

mm_status mm_num_cache_build(const mm_table *t, const mm_schema *s, mm_num_cache *nc, mm_error *err)
{
    size_t nc_cols = mm_table_cols(t), n = mm_table_rows(t);
    memset(nc, 0, sizeof *nc);
    nc->t = t;
    nc->n_cols = nc_cols;
    nc->v = calloc(nc_cols + 1, sizeof *nc->v);
    nc->state = calloc(nc_cols + 1, sizeof *nc->state);
    if (!nc->v || !nc->state) {
        mm_num_cache_free(nc);
        return mm_error_set(err, MM_ENOMEM, "out of memory");
    }
    for (size_t j = 0; j < s->n_cols; j++) {
        if (s->cols[j].role != MM_ROLE_NUMERIC) continue;
        long col = mm_table_find_col(t, s->cols[j].name);
        if (col < 0) continue;
        nc->v[col] = mm_alloc_array(n + 1, sizeof **nc->v);
        nc->state[col] = mm_alloc_array(n + 1, 1);
        if (!nc->v[col] || !nc->state[col]) {
            mm_num_cache_free(nc);
            return mm_error_set(err, MM_ENOMEM, "out of memory");
        }
        for (size_t i = 0; i < n; i++) {
            const char *c = mm_table_cell(t, i, (size_t)col, NULL);
            double v = 0;
            nc->state[col][i] = !c ? MM_NUM_MISSING : mm_parse_number(c, &v) ? MM_NUM_OK : MM_NUM_BAD;
            nc->v[col][i] = v;
        }
    }
    return MM_OK;
}

void mm_num_cache_free(mm_num_cache *nc)
{
    if (!nc) return;
    for (size_t j = 0; j < nc->n_cols; j++) {
        if (nc->v) free(nc->v[j]);
        if (nc->state) free(nc->state[j]);
    }
    free(nc->v);
    free(nc->state);
    memset(nc, 0, sizeof *nc);
}
