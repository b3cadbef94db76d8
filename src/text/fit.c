/*
 * Fitting the TF-IDF vocabulary (scikit-learn 1.2.1 CountVectorizer +
 * TfidfTransformer).
 *
 * Stages (the result never depends on the thread count):
 *  A. parallel over fixed document chunks: tokenize once, intern the words
 *     of each chunk in a chunk-local table, keep each document's word ids;
 *  B. merge the chunk tables, in chunk order, into one word table, number
 *     the words in byte order and renumber the documents' words (parallel);
 *  C. n-grams: an n-gram is the pair (node of its first n-1 words, last
 *     word), interned in one 64-bit-key table, so each n-gram costs O(1)
 *     whatever n is; a document's term occurrences are listed per chunk;
 *  D. parallel: sort each document's occurrences, count document and
 *     corpus frequencies (integer atomics: order-free);
 *  E. prune by min_df / max_df, order the survivors as Python sorts the
 *     strings, select max_features with numpy's argsort, compute idf;
 *  F. build the fitted object from the kept terms (the same code that
 *     loads a model file), and for fit_transform turn each document's
 *     counts into its row.
 *
 * Ordering without comparing strings: term strings are words joined by a
 * space, and ' ' sorts below every byte a word can contain, so the byte
 * order of terms is the order of their word sequences, compared word by
 * word with a prefix first. That is the pre-order of the trie whose roots
 * are the words in byte order and whose children are ordered by their last
 * word: one string sort of the distinct words, a counting sort of the
 * n-grams by parent, small sorts of each node's children, one traversal.
 */
#include "text/tfidf_internal.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ stage A */

typedef struct fchunk {
    size_t d0, d1;
    uint32_t *tok; /* word ids of the chunk's documents, back to back */
    size_t ntok, tok_cap;
    size_t *doff; /* d1 - d0 + 1 offsets into tok */
    mm_text_strtab local;
    uint8_t *is_stop; /* per local id, when stop words are removed */
    size_t is_stop_cap;
    bool stop;
    uint32_t *occ; /* term occurrences (nodes) per document; may be tok */
    size_t *ooff;  /* d1 - d0 + 1 offsets into occ; may be doff */
    mm_text_rows rows;
    mm_status st;
    size_t bad_doc, bad_at;
} fchunk;

typedef struct fit_job {
    const mm_tfidf_params *p;
    const char *const *docs;
    const mm_text_chunks *dc;
    fchunk *ch;
    /* stage D */
    _Atomic uint32_t *df;
    _Atomic uint64_t *cf;
    /* stage F */
    const int32_t *col_of; /* node -> column or -1 */
    bool cols_sorted;      /* col_of increases with the node id */
    const mm_tfidf *v;
} fit_job;

/* Stop words are interned like any word and dropped here, so the stop
 * list is searched once per distinct word of a chunk, not per token. */
static mm_status emit_local(void *user, const uint8_t *tok, size_t len)
{
    fchunk *ch = user;
    uint32_t id, n0 = ch->local.n;
    mm_status st = mm_text_strtab_intern(&ch->local, tok, len, mm_text_hash_bytes(tok, len), &id);
    if (st != MM_OK) return st;
    if (ch->stop) {
        if (id == n0) {
            if (!mm_text_grow((void **)&ch->is_stop, &ch->is_stop_cap, (size_t)id + 1, 1))
                return MM_ENOMEM;
            ch->is_stop[id] = mm_text_is_stop_word(tok, len);
        }
        if (ch->is_stop[id]) return MM_OK;
    }
    if (ch->ntok == ch->tok_cap &&
        !mm_text_grow((void **)&ch->tok, &ch->tok_cap, ch->ntok + 1, sizeof *ch->tok))
        return MM_ENOMEM;
    ch->tok[ch->ntok++] = id;
    return MM_OK;
}

static void stage_a(size_t c, void *user)
{
    fit_job *j = user;
    fchunk *ch = &j->ch[c];
    const mm_tfidf_params *p = j->p;
    mm_text_buf buf = {0};
    size_t nd = ch->d1 - ch->d0;
    ch->stop = p->stop_words_english;
    ch->doff = mm_alloc_array(nd + 1, sizeof *ch->doff);
    if (!ch->doff || mm_text_strtab_init(&ch->local, 1024) != MM_OK ||
        !mm_text_grow((void **)&ch->tok, &ch->tok_cap, 256, sizeof *ch->tok)) {
        ch->st = MM_ENOMEM;
        return;
    }
    for (size_t d = ch->d0; d < ch->d1; d++) {
        ch->doff[d - ch->d0] = ch->ntok;
        if (!j->docs[d]) continue;
        size_t bad = 0;
        mm_status st = mm_text_scan((const uint8_t *)j->docs[d], j->dc->len[d], p->lowercase, false,
                                    &buf, emit_local, ch, &bad);
        if (st != MM_OK) {
            ch->st = st;
            ch->bad_doc = d;
            ch->bad_at = bad;
            break;
        }
    }
    ch->doff[nd] = ch->ntok;
    mm_text_buf_free(&buf);
}

/* ------------------------------------------------------------ stage B */

typedef struct remap_job {
    fchunk *ch;
    uint32_t **maps;
} remap_job;

static void stage_b_remap(size_t c, void *user)
{
    remap_job *j = user;
    fchunk *ch = &j->ch[c];
    const uint32_t *map = j->maps[c];
    for (size_t i = 0; i < ch->ntok; i++) ch->tok[i] = map[ch->tok[i]];
    free(j->maps[c]);
    j->maps[c] = NULL;
    mm_text_strtab_free(&ch->local);
    free(ch->is_stop);
    ch->is_stop = NULL;
}

/* ------------------------------------------------------------ stage C */

enum { NGRAM_BATCH = 32 };

/* Terms of every document: unigrams (when lo == 1) then n-grams by size,
 * as sklearn lists them (the order within a document does not matter). */
static mm_status stage_c(const mm_tfidf_params *p, fchunk *chs, size_t nch, uint32_t U,
                         mm_text_pairtab *pt, mm_error *err)
{
    size_t lo = (size_t)p->ngram_lo, hi = (size_t)p->ngram_hi;
    size_t total_tok = 0;
    for (size_t c = 0; c < nch; c++) total_tok += chs[c].ntok;
    /* presize for the common case; a larger table grows as needed */
    if (mm_text_pairtab_init(pt, total_tok < ((size_t)1 << 22) ? total_tok : ((size_t)1 << 22)) !=
        MM_OK)
        return mm_error_set(err, MM_ENOMEM, "tf-idf: out of memory for n-grams");
    uint32_t *cur = NULL;
    size_t cur_cap = 0;
    mm_status st = MM_OK;
    for (size_t c = 0; c < nch && st == MM_OK; c++) {
        fchunk *ch = &chs[c];
        size_t nd = ch->d1 - ch->d0, nocc = 0;
        for (size_t d = 0; d < nd; d++) {
            size_t T = ch->doff[d + 1] - ch->doff[d];
            for (size_t n = lo; n <= hi && n <= T; n++) nocc += T - n + 1;
        }
        ch->occ = mm_alloc_array(nocc, sizeof *ch->occ);
        ch->ooff = mm_alloc_array(nd + 1, sizeof *ch->ooff);
        if (!ch->occ || !ch->ooff) {
            st = MM_ENOMEM;
            break;
        }
        size_t at = 0;
        for (size_t d = 0; d < nd && st == MM_OK; d++) {
            ch->ooff[d] = at;
            size_t T = ch->doff[d + 1] - ch->doff[d];
            const uint32_t *t = ch->tok + ch->doff[d];
            if (lo == 1 && T) {
                memcpy(ch->occ + at, t, T * sizeof *t);
                at += T;
            }
            if (T < 2) continue;
            if (!mm_text_grow((void **)&cur, &cur_cap, T, sizeof *cur)) {
                st = MM_ENOMEM;
                break;
            }
            memcpy(cur, t, T * sizeof *t);
            for (size_t n = 2; n <= hi && n <= T && st == MM_OK; n++) {
                size_t m = T - n + 1;
                for (size_t i0 = 0; i0 < m; i0 += NGRAM_BATCH) {
                    size_t i1 = i0 + NGRAM_BATCH < m ? i0 + NGRAM_BATCH : m;
                    uint64_t key[NGRAM_BATCH], h[NGRAM_BATCH];
                    for (size_t i = i0; i < i1; i++) {
                        key[i - i0] = (uint64_t)cur[i] << 32 | t[i + n - 1];
                        h[i - i0] = mm_text_hash_u64(key[i - i0]);
                        mm_text_pairtab_prefetch(pt, h[i - i0]);
                    }
                    for (size_t i = i0; i < i1; i++) {
                        uint32_t g;
                        st = mm_text_pairtab_intern(pt, key[i - i0], h[i - i0], &g);
                        if (st == MM_OK && (uint64_t)U + g >= UINT32_MAX - 1) st = MM_EUNSUPPORTED;
                        if (st != MM_OK) break;
                        cur[i] = U + g;
                        if (n >= lo) ch->occ[at++] = U + g;
                    }
                    if (st != MM_OK) break;
                }
            }
        }
        ch->ooff[nd] = at;
        if (st == MM_OK) {
            free(ch->tok);
            ch->tok = NULL;
            free(ch->doff);
            ch->doff = NULL;
        }
    }
    free(cur);
    if (st == MM_EUNSUPPORTED)
        return mm_error_set(err, st, "tf-idf: more than %u distinct n-grams",
                            (unsigned)UINT32_MAX - 2);
    if (st != MM_OK) return mm_error_set(err, st, "tf-idf: out of memory for n-grams");
    return MM_OK;
}

/* ------------------------------------------------------------ stage D */

static void stage_d(size_t c, void *user)
{
    fit_job *j = user;
    fchunk *ch = &j->ch[c];
    size_t nd = ch->d1 - ch->d0;
    for (size_t d = 0; d < nd; d++) {
        uint32_t *o = ch->occ + ch->ooff[d];
        size_t m = ch->ooff[d + 1] - ch->ooff[d];
        mm_text_sort_u32(o, m);
        for (size_t a = 0; a < m;) {
            size_t b = a + 1;
            while (b < m && o[b] == o[a]) b++;
            atomic_fetch_add_explicit(&j->df[o[a]], 1u, memory_order_relaxed);
            atomic_fetch_add_explicit(&j->cf[o[a]], (uint64_t)(b - a), memory_order_relaxed);
            a = b;
        }
    }
}

/* ------------------------------------------------------------ stage E */

typedef struct word_key {
    uint64_t prefix; /* first 8 bytes, big-endian, zero padded */
    const uint8_t *s;
    uint32_t len, id;
} word_key;

static int cmp_word(const void *a, const void *b)
{
    const word_key *x = a, *y = b;
    if (x->prefix != y->prefix) return x->prefix < y->prefix ? -1 : 1;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->s, y->s, n);
    if (c) return c;
    return (x->len > y->len) - (x->len < y->len);
}

/* order[r] = word id of rank r in byte order. */
static mm_status sort_words(const mm_text_strtab *w, uint32_t *order)
{
    uint32_t U = w->n;
    word_key *k = mm_alloc_array(U, sizeof *k);
    if (!k) return MM_ENOMEM;
    for (uint32_t i = 0; i < U; i++) {
        const uint8_t *s = mm_text_strtab_str(w, i);
        uint64_t pre = 0;
        for (uint32_t q = 0; q < 8; q++) pre = pre << 8 | (q < w->len[i] ? s[q] : 0);
        k[i].prefix = pre;
        k[i].s = s;
        k[i].len = w->len[i];
        k[i].id = i;
    }
    qsort(k, U, sizeof *k, cmp_word);
    for (uint32_t r = 0; r < U; r++) order[r] = k[r].id;
    free(k);
    return MM_OK;
}

/* The terms kept so far, in string order, with what later stages need of
 * them gathered during the one traversal (so no random access follows). */
typedef struct survivors {
    size_t n;
    uint32_t *node; /* node ids */
    uint32_t *df;
    uint64_t *cf;
    uint32_t *words; /* word ids of each term, concatenated */
    size_t *woff;    /* n + 1 offsets into words */
} survivors;

static void survivors_free(survivors *s)
{
    free(s->node);
    free(s->df);
    free(s->cf);
    free(s->words);
    free(s->woff);
    memset(s, 0, sizeof *s);
}

/* Surviving terms in string order: the pre-order of the word trie. Node
 * ids < U are words, numbered in byte order; U + g is n-gram g of pt
 * (key = parent << 32 | word). n_terms = number of nodes with df > 0 (a
 * bound on the survivors). */
static mm_status ordered_survivors(const mm_text_pairtab *pt, uint32_t U,
                                   const _Atomic uint32_t *df, const _Atomic uint64_t *cf,
                                   double min_count, double max_count, int max_depth,
                                   size_t n_terms, survivors *sv)
{
    size_t G = pt->n, N = (size_t)U + G, wcap = 0;
    uint64_t *kids = mm_alloc_array(G, sizeof *kids); /* last word << 32 | n-gram */
    uint32_t *start = mm_calloc_array(N + 2, sizeof *start);
    struct frame {
        uint32_t node, next, word;
    } *stack = mm_alloc_array((size_t)max_depth + 1, sizeof *stack);
    mm_status st = MM_ENOMEM;
    memset(sv, 0, sizeof *sv);
    sv->node = mm_alloc_array(n_terms, sizeof *sv->node);
    sv->df = mm_alloc_array(n_terms, sizeof *sv->df);
    sv->cf = mm_alloc_array(n_terms, sizeof *sv->cf);
    sv->woff = mm_alloc_array(n_terms + 1, sizeof *sv->woff);
    if (!kids || !start || !stack || !sv->node || !sv->df || !sv->cf || !sv->woff) goto done;
    /* children lists: a counting sort of the n-grams by parent, then each
     * list sorted by its last word */
    for (size_t g = 0; g < G; g++) start[(pt->key[g] >> 32) + 2]++;
    for (size_t i = 0; i < N; i++) start[i + 2] += start[i + 1];
    for (size_t g = 0; g < G; g++) {
        uint64_t key = pt->key[g];
        kids[start[(key >> 32) + 1]++] = (uint64_t)(uint32_t)key << 32 | g;
    }
    /* now start[i] .. start[i + 1] are the children of node i */
    for (size_t i = 0; i < N; i++)
        if (start[i + 1] - start[i] > 1) mm_text_sort_u64(kids + start[i], start[i + 1] - start[i]);
    size_t n = 0, nw = 0;
    for (uint32_t r = 0; r < U; r++) {
        int sp = 0;
        uint32_t node = r;
        stack[0].node = node;
        stack[0].next = start[node];
        stack[0].word = node;
        for (;;) {
            uint32_t d = df[node];
            if (d > 0 && (double)d >= min_count && (double)d <= max_count) {
                if (!mm_text_grow((void **)&sv->words, &wcap, nw + (size_t)sp + 1,
                                  sizeof *sv->words))
                    goto done;
                sv->node[n] = node;
                sv->df[n] = d;
                sv->cf[n] = cf[node];
                sv->woff[n] = nw;
                for (int q = 0; q <= sp; q++) sv->words[nw++] = stack[q].word;
                n++;
            }
            /* next node in pre-order (nodes at the deepest level have no children) */
            while (sp >= 0 && (sp + 1 >= max_depth || stack[sp].next == start[stack[sp].node + 1]))
                sp--;
            if (sp < 0) break;
            uint64_t kid = kids[stack[sp].next++];
            node = U + (uint32_t)kid;
            sp++;
            stack[sp].node = node;
            stack[sp].next = sp + 1 < max_depth ? start[node] : 0;
            stack[sp].word = (uint32_t)(kid >> 32);
        }
    }
    sv->woff[n] = nw;
    sv->n = n;
    st = MM_OK;
done:
    free(kids);
    free(start);
    free(stack);
    if (st != MM_OK) survivors_free(sv);
    return st;
}

/* Keeps the survivors whose flag is set, in order. */
static void survivors_keep(survivors *sv, const int64_t *keep)
{
    size_t w = 0, nw = 0;
    for (size_t i = 0; i < sv->n; i++) {
        if (!keep[i]) continue;
        size_t a = sv->woff[i], b = sv->woff[i + 1];
        sv->node[w] = sv->node[i];
        sv->df[w] = sv->df[i];
        sv->cf[w] = sv->cf[i];
        sv->woff[w] = nw;
        memmove(sv->words + nw, sv->words + a, (b - a) * sizeof *sv->words);
        nw += b - a;
        w++;
    }
    sv->woff[w] = nw;
    sv->n = w;
}

/* ------------------------------------------------------------ stage F */

static void stage_f_rows(size_t c, void *user)
{
    fit_job *j = user;
    fchunk *ch = &j->ch[c];
    size_t nd = ch->d1 - ch->d0;
    mm_text_col_count *pc = NULL;
    double *tmp = NULL;
    size_t pc_cap = 0, tmp_cap = 0;
    mm_status st = MM_OK;
    ch->rows.row_nnz = mm_calloc_array(nd, sizeof *ch->rows.row_nnz);
    if (!ch->rows.row_nnz) st = MM_ENOMEM;
    for (size_t d = 0; d < nd && st == MM_OK; d++) {
        const uint32_t *o = ch->occ + ch->ooff[d];
        size_t m = ch->ooff[d + 1] - ch->ooff[d], k = 0;
        if (!mm_text_grow((void **)&pc, &pc_cap, m, sizeof *pc) ||
            !mm_text_grow((void **)&tmp, &tmp_cap, m, sizeof *tmp)) {
            st = MM_ENOMEM;
            break;
        }
        for (size_t a = 0; a < m;) {
            size_t b = a + 1;
            while (b < m && o[b] == o[a]) b++;
            int32_t col = j->col_of[o[a]];
            if (col >= 0) {
                pc[k].col = col;
                pc[k].count = b - a;
                k++;
            }
            a = b;
        }
        if (!j->cols_sorted) mm_text_sort_col_count(pc, k);
        st = mm_text_rows_add(&ch->rows, j->v, d, pc, k, tmp);
    }
    free(pc);
    free(tmp);
    ch->st = st;
}

/* Builds the fitted object from the kept terms (in column order). */
static mm_status build_vectorizer(const mm_tfidf_params *p, const mm_text_strtab *words,
                                  const uint32_t *order, uint32_t U, const survivors *sv,
                                  size_t n_docs, mm_tfidf **out, mm_error *err)
{
    size_t K = sv->n, nw = sv->woff[K], bytes = 0;
    mm_tfidf *v = calloc(1, sizeof *v);
    uint32_t *memo = mm_alloc_array(U, sizeof *memo);
    uint32_t *wseq = mm_alloc_array(nw, sizeof *wseq);
    mm_status st = MM_ENOMEM;
    if (!v || !memo || !wseq) goto fail;
    v->p = *p;
    v->n_terms = K;
    for (size_t i = 0; i < nw; i++) bytes += words->len[order[sv->words[i]]] + 1;
    v->terms = malloc(bytes);
    v->term_off = mm_alloc_array(K, sizeof *v->term_off);
    v->idf = mm_alloc_array(K, sizeof *v->idf);
    if (!v->terms || !v->term_off || !v->idf || mm_text_strtab_init(&v->words, K) != MM_OK)
        goto fail;
    st = MM_OK;
    for (uint32_t u = 0; u < U; u++) memo[u] = MM_TEXT_NO_ID;
    size_t at = 0;
    for (size_t j = 0; j < K; j++) {
        v->term_off[j] = at;
        for (size_t i = sv->woff[j]; i < sv->woff[j + 1]; i++) {
            uint32_t u = sv->words[i], w = order[u];
            if (memo[u] == MM_TEXT_NO_ID) {
                st = mm_text_strtab_intern(&v->words, mm_text_strtab_str(words, w), words->len[w],
                                           words->hash[w], &memo[u]);
                if (st != MM_OK) goto fail;
            }
            wseq[i] = memo[u];
            memcpy(v->terms + at, mm_text_strtab_str(words, w), words->len[w]);
            at += words->len[w];
            v->terms[at++] = i + 1 < sv->woff[j + 1] ? ' ' : '\0';
        }
        if (p->use_idf) {
            double n = (double)n_docs, dfj = (double)sv->df[j];
            if (p->smooth_idf) {
                n += 1.0;
                dfj += 1.0;
            }
            v->idf[j] = log(n / dfj) + 1.0;
        } else {
            v->idf[j] = 1.0;
        }
    }
    st = mm_tfidf_index_terms(v, wseq, sv->woff, err);
    if (st != MM_OK) goto fail_msg;
    free(memo);
    free(wseq);
    *out = v;
    return MM_OK;
fail:
    if (st == MM_EUNSUPPORTED)
        mm_error_set(err, st, "tf-idf: too many kept words");
    else
        mm_error_set(err, st = MM_ENOMEM, "tf-idf: out of memory building %zu terms", K);
fail_msg:
    free(memo);
    free(wseq);
    mm_tfidf_free(v);
    return st;
}

/* ------------------------------------------------------------ driver */

static void free_chunks(fchunk *ch, size_t nch)
{
    if (!ch) return;
    for (size_t c = 0; c < nch; c++) {
        if (ch[c].occ != ch[c].tok) free(ch[c].occ);
        if (ch[c].ooff != ch[c].doff) free(ch[c].ooff);
        free(ch[c].tok);
        free(ch[c].doff);
        mm_text_strtab_free(&ch[c].local);
        free(ch[c].is_stop);
        mm_text_rows_free(&ch[c].rows);
    }
    free(ch);
}

static mm_status chunk_error(fchunk *ch, size_t nch, mm_error *err)
{
    for (size_t c = 0; c < nch; c++) {
        if (ch[c].st == MM_OK) continue;
        if (ch[c].st == MM_EFORMAT)
            return mm_error_set(err, MM_EFORMAT, "document %zu: invalid UTF-8 at byte %zu",
                                ch[c].bad_doc, ch[c].bad_at);
        if (ch[c].st == MM_EUNSUPPORTED)
            return mm_error_set(err, MM_EUNSUPPORTED, "tf-idf: too many distinct words");
        return mm_error_set(err, ch[c].st, "tf-idf: out of memory");
    }
    return MM_OK;
}

static mm_status fit_impl(const mm_tfidf_params *p, const char *const *docs, const size_t *lens,
                          size_t n_docs, mm_tfidf **out, mm_csr *X, mm_error *err)
{
    if (out) *out = NULL;
    if (X) memset(X, 0, sizeof *X);
    mm_status st = mm_tfidf_params_check(p, err);
    if (st != MM_OK) return st;
    if (!out || (!docs && n_docs)) return mm_error_set(err, MM_EINVAL, "tf-idf fit: NULL argument");
    if (n_docs >= UINT32_MAX)
        return mm_error_set(err, MM_EUNSUPPORTED, "tf-idf fit: %zu documents are too many", n_docs);

    mm_text_chunks dc;
    st = mm_text_chunks_plan(docs, lens, n_docs, &dc, err);
    if (st != MM_OK) return st;
    size_t nch = dc.n_chunks;
    fchunk *ch = mm_calloc_array(nch, sizeof *ch);
    mm_text_strtab glob;
    mm_text_pairtab pt;
    uint32_t **maps = NULL, *order = NULL, *rank = NULL;
    _Atomic uint32_t *df = NULL;
    _Atomic uint64_t *cf = NULL;
    survivors sv;
    int32_t *col_of = NULL;
    int64_t *keys = NULL;
    size_t *idx = NULL;
    mm_tfidf *v = NULL;
    memset(&glob, 0, sizeof glob);
    memset(&pt, 0, sizeof pt);
    memset(&sv, 0, sizeof sv);
    if (!ch) {
        st = mm_error_set(err, MM_ENOMEM, "tf-idf fit: out of memory");
        goto done;
    }
    for (size_t c = 0; c < nch; c++) {
        ch[c].d0 = dc.start[c];
        ch[c].d1 = dc.start[c + 1];
    }
    fit_job job = {.p = p, .docs = docs, .dc = &dc, .ch = ch};

    /* A */
    mm_parallel_for(nch, p->n_threads, stage_a, &job);
    st = chunk_error(ch, nch, err);
    if (st != MM_OK) goto done;

    /* B */
    size_t expect = 0;
    for (size_t c = 0; c < nch; c++) expect += ch[c].local.n;
    maps = mm_calloc_array(nch, sizeof *maps);
    if (!maps || mm_text_strtab_init(&glob, expect / 4) != MM_OK) {
        st = mm_error_set(err, MM_ENOMEM, "tf-idf fit: out of memory");
        goto done;
    }
    for (size_t c = 0; c < nch; c++) {
        mm_text_strtab *l = &ch[c].local;
        maps[c] = mm_alloc_array(l->n, sizeof *maps[c]);
        if (!maps[c]) {
            st = mm_error_set(err, MM_ENOMEM, "tf-idf fit: out of memory");
            goto done;
        }
        for (uint32_t i = 0; i < l->n; i++) {
            if (ch[c].stop && ch[c].is_stop[i]) {
                maps[c][i] = MM_TEXT_NO_ID; /* never in a document's word list */
                continue;
            }
            st = mm_text_strtab_intern(&glob, mm_text_strtab_str(l, i), l->len[i], l->hash[i],
                                       &maps[c][i]);
            if (st == MM_OK && glob.n >= UINT32_MAX - 1) st = MM_EUNSUPPORTED;
            if (st != MM_OK) {
                st = mm_error_set(err, st, "tf-idf fit: cannot store %u distinct words", glob.n);
                goto done;
            }
        }
    }
    /* number the words in byte order: then a word's id is its rank, and
     * with unigrams only, the column order */
    uint32_t U = glob.n;
    order = mm_alloc_array(U, sizeof *order);
    rank = mm_alloc_array(U, sizeof *rank);
    if (!order || !rank || sort_words(&glob, order) != MM_OK) {
        st = mm_error_set(err, MM_ENOMEM, "tf-idf fit: out of memory sorting %u words", U);
        goto done;
    }
    for (uint32_t r = 0; r < U; r++) rank[order[r]] = r;
    for (size_t c = 0; c < nch; c++)
        for (uint32_t i = 0; i < ch[c].local.n; i++)
            if (maps[c][i] != MM_TEXT_NO_ID) maps[c][i] = rank[maps[c][i]];
    remap_job rj = {ch, maps};
    mm_parallel_for(nch, p->n_threads, stage_b_remap, &rj);

    /* C */
    if (p->ngram_hi == 1) {
        for (size_t c = 0; c < nch; c++) {
            ch[c].occ = ch[c].tok;
            ch[c].ooff = ch[c].doff;
        }
    } else {
        st = stage_c(p, ch, nch, U, &pt, err);
        if (st != MM_OK) goto done;
    }
    size_t N = (size_t)U + pt.n;

    /* D */
    df = mm_calloc_array(N, sizeof *df);
    cf = mm_calloc_array(N, sizeof *cf);
    if (!df || !cf) {
        st = mm_error_set(err, MM_ENOMEM, "tf-idf fit: out of memory for %zu terms", N);
        goto done;
    }
    job.df = df;
    job.cf = cf;
    mm_parallel_for(nch, p->n_threads, stage_d, &job);

    /* E */
    size_t n_seen = 0;
    for (size_t i = 0; i < N; i++) n_seen += df[i] > 0;
    if (n_seen == 0) {
        st = mm_error_set(err, MM_EFORMAT,
                          "empty vocabulary; perhaps the documents only contain stop words");
        goto done;
    }
    double max_count = p->max_df_is_fraction ? p->max_df * (double)n_docs : p->max_df;
    double min_count = p->min_df_is_fraction ? p->min_df * (double)n_docs : p->min_df;
    if (max_count < min_count) {
        st = mm_error_set(err, MM_EINVAL, "max_df corresponds to < documents than min_df");
        goto done;
    }
    if (ordered_survivors(&pt, U, df, cf, min_count, max_count, p->ngram_hi, n_seen, &sv) !=
        MM_OK) {
        st = mm_error_set(err, MM_ENOMEM, "tf-idf fit: out of memory ordering %zu terms", N);
        goto done;
    }
    if (p->max_features && sv.n > p->max_features) {
        size_t k = p->max_features;
        keys = mm_alloc_array(sv.n, sizeof *keys);
        idx = mm_alloc_array(sv.n, sizeof *idx);
        if (!keys || !idx) {
            st = mm_error_set(err, MM_ENOMEM, "tf-idf fit: out of memory");
            goto done;
        }
        for (size_t i = 0; i < sv.n; i++) keys[i] = -(int64_t)sv.cf[i];
        mm_text_argsort_i64_head(keys, sv.n, k, idx);
        /* keep the selected ones, still in string order */
        for (size_t i = 0; i < sv.n; i++) keys[i] = 0;
        for (size_t i = 0; i < k; i++) keys[idx[i]] = 1;
        survivors_keep(&sv, keys);
    }
    if (sv.n == 0) {
        st = mm_error_set(err, MM_EFORMAT,
                          "After pruning, no terms remain. Try a lower min_df or a higher max_df.");
        goto done;
    }
    if (sv.n > INT32_MAX) {
        st = mm_error_set(err, MM_EUNSUPPORTED, "tf-idf fit: %zu terms are too many", sv.n);
        goto done;
    }

    /* F */
    st = build_vectorizer(p, &glob, order, U, &sv, n_docs, &v, err);
    if (st != MM_OK) goto done;
    if (X) {
        col_of = mm_alloc_array(N, sizeof *col_of);
        if (!col_of) {
            st = mm_error_set(err, MM_ENOMEM, "tf-idf fit: out of memory");
            goto done;
        }
        for (size_t i = 0; i < N; i++) col_of[i] = -1;
        for (size_t j = 0; j < sv.n; j++) col_of[sv.node[j]] = (int32_t)j;
        job.col_of = col_of;
        job.cols_sorted = p->ngram_hi == 1; /* nodes = words, numbered in byte order */
        job.v = v;
        mm_parallel_for(nch, p->n_threads, stage_f_rows, &job);
        st = chunk_error(ch, nch, err);
        if (st != MM_OK) goto done;
        mm_text_rows *blocks = mm_calloc_array(nch, sizeof *blocks);
        if (!blocks) {
            st = mm_error_set(err, MM_ENOMEM, "tf-idf fit: out of memory");
            goto done;
        }
        for (size_t c = 0; c < nch; c++) {
            blocks[c] = ch[c].rows;
            memset(&ch[c].rows, 0, sizeof ch[c].rows);
        }
        st = mm_text_rows_to_csr(blocks, nch, &dc, sv.n, p->n_threads, X, err);
        for (size_t c = 0; c < nch; c++) mm_text_rows_free(&blocks[c]);
        free(blocks);
        if (st != MM_OK) goto done;
    }
    *out = v;
    v = NULL;
done:
    mm_tfidf_free(v);
    if (maps)
        for (size_t c = 0; c < nch; c++) free(maps[c]);
    free(maps);
    free(order);
    free(rank);
    free_chunks(ch, nch);
    mm_text_strtab_free(&glob);
    mm_text_pairtab_free(&pt);
    free((void *)df);
    free((void *)cf);
    survivors_free(&sv);
    free(col_of);
    free(keys);
    free(idx);
    mm_text_chunks_free(&dc);
    return st;
}

mm_status mm_tfidf_fit(const mm_tfidf_params *p, const char *const *docs, const size_t *lens,
                       size_t n_docs, mm_tfidf **out, mm_error *err)
{
    return fit_impl(p, docs, lens, n_docs, out, NULL, err);
}

mm_status mm_tfidf_fit_transform(const mm_tfidf_params *p, const char *const *docs,
                                 const size_t *lens, size_t n_docs, mm_tfidf **out, mm_csr *X,
                                 mm_error *err)
{
    if (!X) {
        if (out) *out = NULL;
        return mm_error_set(err, MM_EINVAL, "tf-idf fit_transform: NULL matrix");
    }
    return fit_impl(p, docs, lens, n_docs, out, X, err);
}
