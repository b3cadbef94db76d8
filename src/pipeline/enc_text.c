/* The text encoder: one TF-IDF block per text column. A missing cell is an
 * empty document (as the article's fillna("")) and marks the row's text
 * modality absent; so does a cell with no characters but blanks. */
#include "pipeline/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mm_text_enc_free(mm_text_enc *e)
{
    if (!e) return;
    free(e->column);
    mm_tfidf_free(e->tfidf);
    memset(e, 0, sizeof *e);
}

static bool blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n') return false;
    return true;
}

/* Gathers the documents of rows (pointers into the table) and the present flags. */
static mm_status gather(const char *column, const mm_table *t, const size_t *rows, size_t n,
                        const char ***docs, size_t **lens, uint8_t **present, mm_error *err)
{
    *docs = mm_calloc_array(n ? n : 1, sizeof **docs);
    *lens = mm_calloc_array(n ? n : 1, sizeof **lens);
    *present = mm_calloc_array(n ? n : 1, 1);
    if (!*docs || !*lens || !*present) {
        free(*docs);
        free(*lens);
        free(*present);
        *docs = NULL;
        *lens = NULL;
        *present = NULL;
        return mm_error_set(err, MM_ENOMEM, "out of memory (text column '%s')", column);
    }
    long col = mm_table_find_col(t, column);
    for (size_t r = 0; r < n; r++) {
        size_t len = 0;
        const char *s = col >= 0 ? mm_table_cell(t, rows[r], (size_t)col, &len) : NULL;
        (*docs)[r] = s;
        (*lens)[r] = s ? len : 0;
        (*present)[r] = s && !blank(s, len);
    }
    return MM_OK;
}

static void name_block(mm_block *out, const char *column, size_t n, size_t dim, uint8_t *present)
{
    snprintf(out->name, sizeof out->name, "text:%s", column);
    out->modality = MM_MOD_TEXT;
    out->rows = n;
    out->dim = dim;
    out->sparse = true;
    out->present = present;
}

/* Names the table row of document i in a text-encoder error. */
static void locate_error(mm_error *err, const mm_table *t, const size_t *rows, size_t n,
                         const char *column)
{
    if (!err) return;
    /* tfidf messages name "document <i>"; translate to the CSV line */
    const char *p = strstr(err->msg, "document ");
    if (p) {
        size_t i = (size_t)strtoull(p + 9, NULL, 10);
        if (i < n) {
            mm_error_prefix(err, "%s:%zu: column '%s'", mm_table_source(t), mm_table_row_line(t, rows[i]),
                            column);
            return;
        }
    }
    mm_error_prefix(err, "text column '%s'", column);
}

mm_status mm_text_enc_fit_transform(mm_text_enc *e, const char *column, const mm_tfidf_params *p,
                                    const mm_table *t, const size_t *rows, size_t n, mm_block *out,
                                    mm_error *err)
{
    memset(e, 0, sizeof *e);
    memset(out, 0, sizeof *out);
    e->column = strdup(column);
    if (!e->column) return mm_error_set(err, MM_ENOMEM, "out of memory");
    const char **docs;
    size_t *lens;
    uint8_t *present;
    mm_status st = gather(column, t, rows, n, &docs, &lens, &present, err);
    if (st) {
        mm_text_enc_free(e);
        return st;
    }
    st = mm_tfidf_fit_transform(p, docs, lens, n, &e->tfidf, &out->csr, err);
    free(docs);
    free(lens);
    if (st) {
        free(present);
        locate_error(err, t, rows, n, column);
        mm_text_enc_free(e);
        return st;
    }
    name_block(out, column, n, mm_tfidf_n_terms(e->tfidf), present);
    return MM_OK;
}

mm_status mm_text_enc_transform(const mm_text_enc *e, const mm_table *t, const size_t *rows,
                                size_t n, mm_block *out, mm_error *err)
{
    memset(out, 0, sizeof *out);
    const char **docs;
    size_t *lens;
    uint8_t *present;
    mm_status st = gather(e->column, t, rows, n, &docs, &lens, &present, err);
    if (st) return st;
    st = mm_tfidf_transform(e->tfidf, docs, lens, n, &out->csr, err);
    free(docs);
    free(lens);
    if (st) {
        free(present);
        locate_error(err, t, rows, n, e->column);
        return st;
    }
    name_block(out, e->column, n, mm_tfidf_n_terms(e->tfidf), present);
    return MM_OK;
}
