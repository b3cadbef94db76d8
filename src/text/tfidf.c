/*
 * TF-IDF vectorizer: parameters, the fitted object (built from its terms,
 * either by fit or from a model file), and transform
 * (fitting is in fit.c).
 */
#include "text/tfidf_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { MM_TFIDF_MAX_NGRAM = 255 };

mm_tfidf_params mm_tfidf_params_default(void)
{
    mm_tfidf_params p;
    memset(&p, 0, sizeof p);
    p.lowercase = true;
    p.stop_words_english = false;
    p.ngram_lo = 1;
    p.ngram_hi = 1;
    p.min_df = 1.0;
    p.max_df = 1.0;
    p.min_df_is_fraction = false;
    p.max_df_is_fraction = true;
    p.max_features = 0;
    p.sublinear_tf = false;
    p.use_idf = true;
    p.smooth_idf = true;
    p.norm = MM_NORM_L2;
    p.n_threads = 0;
    return p;
}

static mm_status check_df(double v, bool frac, const char *name, mm_error *err)
{
    if (!isfinite(v)) return mm_error_set(err, MM_EINVAL, "tf-idf: %s is not finite", name);
    if (frac) {
        if (v < 0.0 || v > 1.0)
            return mm_error_set(err, MM_EINVAL, "tf-idf: %s = %g as a fraction must be in [0, 1]",
                                name, v);
    } else if (v < 1.0 || v != floor(v) || v > 9007199254740992.0) {
        return mm_error_set(err, MM_EINVAL,
                            "tf-idf: %s = %g as a document count must be an integer >= 1", name, v);
    }
    return MM_OK;
}

mm_status mm_tfidf_params_check(const mm_tfidf_params *p, mm_error *err)
{
    if (!p) return mm_error_set(err, MM_EINVAL, "tf-idf: NULL parameters");
    if (p->ngram_lo < 1)
        return mm_error_set(err, MM_EINVAL,
                            "tf-idf: ngram range (%d, %d): the lower bound must be >= 1",
                            p->ngram_lo, p->ngram_hi);
    if (p->ngram_hi < p->ngram_lo)
        return mm_error_set(
            err, MM_EINVAL,
            "tf-idf: ngram range (%d, %d): the lower bound is above the upper bound", p->ngram_lo,
            p->ngram_hi);
    if (p->ngram_hi > MM_TFIDF_MAX_NGRAM)
        return mm_error_set(
            err, MM_EINVAL,
            "tf-idf: ngram range (%d, %d): n-grams longer than %d words are not supported",
            p->ngram_lo, p->ngram_hi, MM_TFIDF_MAX_NGRAM);
    mm_status st = check_df(p->min_df, p->min_df_is_fraction, "min_df", err);
    if (st != MM_OK) return st;
    st = check_df(p->max_df, p->max_df_is_fraction, "max_df", err);
    if (st != MM_OK) return st;
    if (p->min_df_is_fraction == p->max_df_is_fraction && p->max_df < p->min_df)
        return mm_error_set(err, MM_EINVAL, "tf-idf: max_df = %g is below min_df = %g", p->max_df,
                            p->min_df);
    if (p->norm != MM_NORM_NONE && p->norm != MM_NORM_L1 && p->norm != MM_NORM_L2)
        return mm_error_set(err, MM_EINVAL, "tf-idf: unknown norm %d", (int)p->norm);
    return MM_OK;
}

/* ----------------------------------------------------------- the object */

void mm_tfidf_free(mm_tfidf *v)
{
    if (!v) return;
    free(v->terms);
    free(v->term_off);
    free(v->idf);
    mm_text_strtab_free(&v->words);
    mm_text_pairtab_free(&v->pairs);
    free(v->node_col);
    free(v);
}

size_t mm_tfidf_n_terms(const mm_tfidf *v)
{
    return v ? v->n_terms : 0;
}

const char *mm_tfidf_term(const mm_tfidf *v, size_t j)
{
    if (!v || j >= v->n_terms) return NULL;
    return v->terms + v->term_off[j];
}

double mm_tfidf_idf(const mm_tfidf *v, size_t j)
{
    if (!v || j >= v->n_terms) return 0.0;
    return v->idf[j];
}

const mm_tfidf_params *mm_tfidf_get_params(const mm_tfidf *v)
{
    return v ? &v->p : NULL;
}

mm_status mm_tfidf_index_terms(mm_tfidf *v, const uint32_t *wseq, const size_t *woff, mm_error *err)
{
    size_t K = v->n_terms;
    uint32_t W = v->words.n;
    uint32_t *last = mm_alloc_array(K, sizeof *last);
    if (!last || mm_text_pairtab_init(&v->pairs, woff[K] - K) != MM_OK) {
        free(last);
        return mm_error_set(err, MM_ENOMEM, "tf-idf: out of memory indexing %zu terms", K);
    }
    for (size_t j = 0; j < K; j++) {
        uint32_t node = wseq[woff[j]];
        for (size_t i = woff[j] + 1; i < woff[j + 1]; i++) {
            uint64_t key = (uint64_t)node << 32 | wseq[i];
            uint32_t g;
            mm_status st = mm_text_pairtab_intern(&v->pairs, key, mm_text_hash_u64(key), &g);
            if (st == MM_OK && (uint64_t)W + g >= UINT32_MAX) st = MM_EUNSUPPORTED;
            if (st != MM_OK) {
                free(last);
                return mm_error_set(err, st, "tf-idf: cannot index %zu terms", K);
            }
            node = W + g;
        }
        last[j] = node;
    }
    size_t n_nodes = (size_t)W + v->pairs.n;
    v->node_col = mm_alloc_array(n_nodes, sizeof *v->node_col);
    if (!v->node_col) {
        free(last);
        return mm_error_set(err, MM_ENOMEM, "tf-idf: out of memory indexing %zu terms", K);
    }
    for (size_t i = 0; i < n_nodes; i++) v->node_col[i] = -1;
    for (size_t j = 0; j < K; j++) {
        if (v->node_col[last[j]] >= 0) {
            free(last);
            return mm_error_set(err, MM_EFORMAT, "tf-idf: term %zu is a duplicate", j);
        }
        v->node_col[last[j]] = (int32_t)j;
    }
    free(last);
    return MM_OK;
}

mm_status mm_tfidf_from_parts(const mm_tfidf_params *p, const char *const *terms, const double *idf,
                              size_t n_terms, mm_tfidf **out, mm_error *err)
{
    if (out) *out = NULL;
    mm_status st = mm_tfidf_params_check(p, err);
    if (st != MM_OK) return st;
    if (!out || !terms) return mm_error_set(err, MM_EINVAL, "tf-idf: NULL argument");
    if (n_terms == 0)
        return mm_error_set(err, MM_EINVAL, "tf-idf: a vectorizer needs at least one term");
    if (n_terms > INT32_MAX)
        return mm_error_set(err, MM_EUNSUPPORTED, "tf-idf: %zu terms are too many", n_terms);
    if (p->use_idf && !idf) return mm_error_set(err, MM_EINVAL, "tf-idf: idf values are missing");

    mm_tfidf *v = calloc(1, sizeof *v);
    uint32_t *wseq = NULL;
    size_t *woff = NULL, wcap = 0;
    if (!v) return mm_error_set(err, MM_ENOMEM, "tf-idf: out of memory");
    v->p = *p;
    v->n_terms = n_terms;
    size_t bytes = 0;
    for (size_t j = 0; j < n_terms; j++) {
        if (!terms[j]) {
            st = mm_error_set(err, MM_EINVAL, "tf-idf: term %zu is NULL", j);
            goto fail;
        }
        if (!mm_size_add(bytes, strlen(terms[j]) + 1, &bytes)) {
            st = mm_error_set(err, MM_EINVAL, "tf-idf: terms too long");
            goto fail;
        }
    }
    v->terms = malloc(bytes);
    v->term_off = mm_alloc_array(n_terms, sizeof *v->term_off);
    v->idf = mm_alloc_array(n_terms, sizeof *v->idf);
    woff = mm_alloc_array(n_terms + 1, sizeof *woff);
    if (!v->terms || !v->term_off || !v->idf || !woff ||
        mm_text_strtab_init(&v->words, n_terms) != MM_OK) {
        st = mm_error_set(err, MM_ENOMEM, "tf-idf: out of memory for %zu terms", n_terms);
        goto fail;
    }
    size_t at = 0, nw = 0;
    for (size_t j = 0; j < n_terms; j++) {
        const char *t = terms[j];
        size_t len = strlen(t), bad;
        if (j > 0 && strcmp(terms[j - 1], t) >= 0) {
            st = mm_error_set(err, MM_EFORMAT,
                              "tf-idf: terms %zu and %zu are not in strictly increasing byte order",
                              j - 1, j);
            goto fail;
        }
        if (!mm_text_utf8_valid((const uint8_t *)t, len, &bad)) {
            st = mm_error_set(err, MM_EFORMAT, "tf-idf: term %zu: invalid UTF-8 at byte %zu", j,
                              bad);
            goto fail;
        }
        woff[j] = nw;
        size_t a = 0, count = 0;
        for (size_t b = 0; b <= len; b++) {
            if (b < len && t[b] != ' ') continue;
            if (b == a) {
                st = mm_error_set(err, MM_EFORMAT, "tf-idf: term %zu (\"%.60s\") has an empty word",
                                  j, t);
                goto fail;
            }
            uint32_t id;
            st = mm_text_strtab_intern(&v->words, (const uint8_t *)t + a, b - a,
                                       mm_text_hash_bytes(t + a, b - a), &id);
            if (st == MM_OK && !mm_text_grow((void **)&wseq, &wcap, nw + 1, sizeof *wseq))
                st = MM_ENOMEM;
            if (st != MM_OK) {
                st = mm_error_set(err, st, "tf-idf: cannot store term %zu", j);
                goto fail;
            }
            wseq[nw++] = id;
            count++;
            a = b + 1;
        }
        if (count < (size_t)p->ngram_lo || count > (size_t)p->ngram_hi) {
            st = mm_error_set(
                err, MM_EFORMAT,
                "tf-idf: term %zu (\"%.60s\") has %zu words, outside the n-gram range %d..%d", j, t,
                count, p->ngram_lo, p->ngram_hi);
            goto fail;
        }
        double w = p->use_idf ? idf[j] : 1.0;
        if (!isfinite(w)) {
            st = mm_error_set(err, MM_EFORMAT, "tf-idf: idf of term %zu is not finite", j);
            goto fail;
        }
        v->idf[j] = w;
        v->term_off[j] = at;
        memcpy(v->terms + at, t, len + 1);
        at += len + 1;
    }
    woff[n_terms] = nw;
    st = mm_tfidf_index_terms(v, wseq, woff, err);
    if (st != MM_OK) goto fail;
    free(wseq);
    free(woff);
    *out = v;
    return MM_OK;
fail:
    free(wseq);
    free(woff);
    mm_tfidf_free(v);
    return st;
}

/* ----------------------------------------------------------- transform */

typedef struct tr_chunk {
    mm_status st;
    size_t bad_doc, bad_at;
} tr_chunk;

typedef struct tr_job {
    const mm_tfidf *v;
    const char *const *docs;
    const mm_text_chunks *dc;
    mm_text_rows *blocks;
    tr_chunk *res;
} tr_job;

typedef struct tr_scratch {
    const mm_tfidf *v;
    uint32_t *ids;
    size_t n_ids, ids_cap;
} tr_scratch;

static mm_status tr_emit(void *user, const uint8_t *tok, size_t len)
{
    tr_scratch *s = user;
    if (s->n_ids == s->ids_cap &&
        !mm_text_grow((void **)&s->ids, &s->ids_cap, s->n_ids + 1, sizeof *s->ids))
        return MM_ENOMEM;
    s->ids[s->n_ids++] = mm_text_strtab_find(&s->v->words, tok, len, mm_text_hash_bytes(tok, len));
    return MM_OK;
}

static void tr_chunk_run(size_t c, void *user)
{
    tr_job *j = user;
    const mm_tfidf *v = j->v;
    const mm_tfidf_params *p = &v->p;
    size_t d0 = j->dc->start[c], d1 = j->dc->start[c + 1];
    mm_text_rows *blk = &j->blocks[c];
    tr_chunk *res = &j->res[c];
    mm_text_buf buf = {0};
    tr_scratch sc = {v, NULL, 0, 0};
    uint32_t *cols = NULL;
    mm_text_col_count *pc = NULL;
    double *tmp = NULL;
    size_t cols_cap = 0, pc_cap = 0, tmp_cap = 0;
    uint32_t W = v->words.n;
    mm_status st = MM_OK;

    blk->row_nnz = mm_calloc_array(d1 - d0, sizeof *blk->row_nnz);
    if (!blk->row_nnz) st = MM_ENOMEM;
    for (size_t d = d0; d < d1 && st == MM_OK; d++) {
        sc.n_ids = 0;
        if (j->docs[d]) {
            size_t bad = 0;
            st = mm_text_scan((const uint8_t *)j->docs[d], j->dc->len[d], p->lowercase,
                              p->stop_words_english, &buf, tr_emit, &sc, &bad);
            if (st != MM_OK) {
                res->bad_doc = d;
                res->bad_at = bad;
                break;
            }
        }
        size_t T = sc.n_ids, nc = 0;
        for (size_t i = 0; i < T; i++) {
            uint32_t node = sc.ids[i];
            if (node == MM_TEXT_NO_ID) continue;
            size_t need = nc + (size_t)p->ngram_hi;
            if (!mm_text_grow((void **)&cols, &cols_cap, need, sizeof *cols)) {
                st = MM_ENOMEM;
                break;
            }
            if (p->ngram_lo == 1 && v->node_col[node] >= 0)
                cols[nc++] = (uint32_t)v->node_col[node];
            for (size_t n = 2; n <= (size_t)p->ngram_hi && i + n - 1 < T; n++) {
                uint32_t w = sc.ids[i + n - 1];
                if (w == MM_TEXT_NO_ID) break;
                uint64_t key = (uint64_t)node << 32 | w;
                uint32_t g = mm_text_pairtab_find(&v->pairs, key, mm_text_hash_u64(key));
                if (g == MM_TEXT_NO_ID) break;
                node = W + g;
                if (n >= (size_t)p->ngram_lo && v->node_col[node] >= 0)
                    cols[nc++] = (uint32_t)v->node_col[node];
            }
        }
        if (st != MM_OK) break;
        mm_text_sort_u32(cols, nc);
        if (!mm_text_grow((void **)&pc, &pc_cap, nc, sizeof *pc) ||
            !mm_text_grow((void **)&tmp, &tmp_cap, nc, sizeof *tmp)) {
            st = MM_ENOMEM;
            break;
        }
        size_t m = 0;
        for (size_t a = 0; a < nc;) {
            size_t b = a + 1;
            while (b < nc && cols[b] == cols[a]) b++;
            pc[m].col = (int32_t)cols[a];
            pc[m].count = b - a;
            m++;
            a = b;
        }
        st = mm_text_rows_add(blk, v, d - d0, pc, m, tmp);
    }
    res->st = st;
    mm_text_buf_free(&buf);
    free(sc.ids);
    free(cols);
    free(pc);
    free(tmp);
}

mm_status mm_tfidf_transform(const mm_tfidf *v, const char *const *docs, const size_t *lens,
                             size_t n_docs, mm_csr *X, mm_error *err)
{
    if (X) memset(X, 0, sizeof *X);
    if (!v || !X || (!docs && n_docs))
        return mm_error_set(err, MM_EINVAL, "tf-idf transform: NULL argument");
    mm_text_chunks dc;
    mm_status st = mm_text_chunks_plan(docs, lens, n_docs, &dc, err);
    if (st != MM_OK) return st;
    size_t nch = dc.n_chunks;
    mm_text_rows *blocks = mm_calloc_array(nch, sizeof *blocks);
    tr_chunk *res = mm_calloc_array(nch, sizeof *res);
    if (!blocks || !res) {
        free(blocks);
        free(res);
        mm_text_chunks_free(&dc);
        return mm_error_set(err, MM_ENOMEM, "tf-idf transform: out of memory");
    }
    tr_job job = {v, docs, &dc, blocks, res};
    mm_parallel_for(nch, v->p.n_threads, tr_chunk_run, &job);
    for (size_t c = 0; c < nch && st == MM_OK; c++) {
        if (res[c].st == MM_EFORMAT)
            st = mm_error_set(err, MM_EFORMAT, "document %zu: invalid UTF-8 at byte %zu",
                              res[c].bad_doc, res[c].bad_at);
        else if (res[c].st != MM_OK)
            st = mm_error_set(err, res[c].st, "tf-idf transform: out of memory");
    }
    if (st == MM_OK) st = mm_text_rows_to_csr(blocks, nch, &dc, v->n_terms, v->p.n_threads, X, err);
    for (size_t c = 0; c < nch; c++) mm_text_rows_free(&blocks[c]);
    free(blocks);
    free(res);
    mm_text_chunks_free(&dc);
    return st;
}
