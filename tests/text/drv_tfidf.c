/*
 * Driver for tests/text/test_tfidf_sklearn.py.
 *
 *   drv_tfidf fit DOCS NEWDOCS OUTPREFIX [key=value ...]
 *       fit_transform DOCS, transform NEWDOCS; writes OUTPREFIX.vocab (one
 *       term a line), .idf, .X and .Y (CSR: "rows cols nnz", then indptr,
 *       indices and data lines; values %.17g). On an error prints
 *       "error <status> <message>" to stdout and exits 3.
 *       keys: lowercase stop lo hi min_df min_frac max_df max_frac
 *             max_features sublinear use_idf smooth norm(l1|l2|none) threads
 *   drv_tfidf tokenize DOCS        tokens of each document, one line each,
 *                                  separated by U+0001
 *   drv_tfidf cpinfo               per code point with a property or a
 *                                  lowercase mapping: hex, word, cased,
 *                                  case-ignorable, lowercase (hex)
 *   drv_tfidf argsort K < keys     full argsort line, then the first K of
 *                                  the head variant
 *   drv_tfidf stopwords            the stop-word list
 *
 * DOCS files: for each document a line with its byte length (or "N" for a
 * missing document), then the bytes, then '\n'.
 */
#include "mmfuse/text.h"
#include "text/text_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct docset {
    char **docs;
    size_t *lens;
    size_t n;
} docset;

static void docset_free(docset *d)
{
    for (size_t i = 0; i < d->n; i++) free(d->docs[i]);
    free(d->docs);
    free(d->lens);
}

static int read_docs(const char *path, docset *out)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    size_t cap = 16;
    out->docs = malloc(cap * sizeof *out->docs);
    out->lens = malloc(cap * sizeof *out->lens);
    out->n = 0;
    char line[64];
    while (fgets(line, sizeof line, f)) {
        if (out->n == cap) {
            cap *= 2;
            out->docs = realloc(out->docs, cap * sizeof *out->docs);
            out->lens = realloc(out->lens, cap * sizeof *out->lens);
        }
        if (line[0] == 'N') {
            out->docs[out->n] = NULL;
            out->lens[out->n] = 0;
        } else {
            size_t len = strtoull(line, NULL, 10);
            char *b = malloc(len + 1);
            if (fread(b, 1, len, f) != len) {
                free(b);
                fclose(f);
                return -1;
            }
            b[len] = 0;
            if (fgetc(f) != '\n') {
                free(b);
                fclose(f);
                return -1;
            }
            out->docs[out->n] = b;
            out->lens[out->n] = len;
        }
        out->n++;
    }
    fclose(f);
    return 0;
}

static int write_csr(const char *path, const mm_csr *X)
{
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    fprintf(f, "%zu %zu %zu\n", X->rows, X->cols, X->nnz);
    for (size_t i = 0; i <= X->rows; i++) fprintf(f, "%lld ", (long long)X->indptr[i]);
    fprintf(f, "\n");
    for (size_t k = 0; k < X->nnz; k++) fprintf(f, "%d ", (int)X->indices[k]);
    fprintf(f, "\n");
    for (size_t k = 0; k < X->nnz; k++) fprintf(f, "%.17g ", (double)X->data[k]);
    fprintf(f, "\n");
    fclose(f);
    return 0;
}

static int parse_param(mm_tfidf_params *p, const char *kv)
{
    const char *eq = strchr(kv, '=');
    if (!eq) return -1;
    size_t kl = (size_t)(eq - kv);
    const char *v = eq + 1;
#define KEY(s) (kl == strlen(s) && strncmp(kv, s, kl) == 0)
    if (KEY("lowercase"))
        p->lowercase = atoi(v);
    else if (KEY("stop"))
        p->stop_words_english = atoi(v);
    else if (KEY("lo"))
        p->ngram_lo = atoi(v);
    else if (KEY("hi"))
        p->ngram_hi = atoi(v);
    else if (KEY("min_df"))
        p->min_df = strtod(v, NULL);
    else if (KEY("min_frac"))
        p->min_df_is_fraction = atoi(v);
    else if (KEY("max_df"))
        p->max_df = strtod(v, NULL);
    else if (KEY("max_frac"))
        p->max_df_is_fraction = atoi(v);
    else if (KEY("max_features"))
        p->max_features = strtoull(v, NULL, 10);
    else if (KEY("sublinear"))
        p->sublinear_tf = atoi(v);
    else if (KEY("use_idf"))
        p->use_idf = atoi(v);
    else if (KEY("smooth"))
        p->smooth_idf = atoi(v);
    else if (KEY("threads"))
        p->n_threads = atoi(v);
    else if (KEY("norm"))
        p->norm = strcmp(v, "l1") == 0     ? MM_NORM_L1
                  : strcmp(v, "none") == 0 ? MM_NORM_NONE
                                           : MM_NORM_L2;
    else
        return -1;
#undef KEY
    return 0;
}

static int run_fit(int argc, char **argv)
{
    if (argc < 5) return 2;
    mm_tfidf_params p = mm_tfidf_params_default();
    for (int i = 5; i < argc; i++)
        if (parse_param(&p, argv[i]) != 0) {
            fprintf(stderr, "bad parameter %s\n", argv[i]);
            return 2;
        }
    docset a = {0}, b = {0};
    if (read_docs(argv[2], &a) != 0 || read_docs(argv[3], &b) != 0) {
        fprintf(stderr, "cannot read documents\n");
        return 2;
    }
    mm_error err = {0};
    mm_tfidf *v = NULL;
    mm_csr X, Y;
    int rc = 0;
    mm_status st =
        mm_tfidf_fit_transform(&p, (const char *const *)a.docs, a.lens, a.n, &v, &X, &err);
    if (st != MM_OK) {
        printf("error %d %s\n", (int)st, err.msg);
        rc = 3;
        goto out;
    }
    st = mm_tfidf_transform(v, (const char *const *)b.docs, b.lens, b.n, &Y, &err);
    if (st != MM_OK) {
        printf("error %d %s\n", (int)st, err.msg);
        mm_csr_free(&X);
        rc = 3;
        goto out;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s.vocab", argv[4]);
    FILE *f = fopen(path, "wb");
    for (size_t j = 0; j < mm_tfidf_n_terms(v); j++) fprintf(f, "%s\n", mm_tfidf_term(v, j));
    fclose(f);
    snprintf(path, sizeof path, "%s.idf", argv[4]);
    f = fopen(path, "w");
    for (size_t j = 0; j < mm_tfidf_n_terms(v); j++) fprintf(f, "%.17g\n", mm_tfidf_idf(v, j));
    fclose(f);
    snprintf(path, sizeof path, "%s.X", argv[4]);
    write_csr(path, &X);
    snprintf(path, sizeof path, "%s.Y", argv[4]);
    write_csr(path, &Y);
    mm_csr_free(&X);
    mm_csr_free(&Y);
out:
    mm_tfidf_free(v);
    docset_free(&a);
    docset_free(&b);
    return rc;
}

static void print_token(const char *tok, size_t len, void *user)
{
    (void)user;
    fwrite(tok, 1, len, stdout);
    fputc(1, stdout);
}

static int run_tokenize(int argc, char **argv)
{
    if (argc < 3) return 2;
    docset a = {0};
    if (read_docs(argv[2], &a) != 0) return 2;
    bool lower = argc < 4 || atoi(argv[3]);
    bool stop = argc >= 5 && atoi(argv[4]);
    for (size_t i = 0; i < a.n; i++) {
        mm_error err = {0};
        if (mm_text_tokenize(a.docs[i], a.lens[i], lower, stop, print_token, NULL, &err) != MM_OK)
            printf("error %s", err.msg);
        fputc('\n', stdout);
    }
    docset_free(&a);
    return 0;
}

static int run_cpinfo(void)
{
    for (int32_t c = 0; c < 0x110000; c++) {
        if (c >= 0xD800 && c < 0xE000) continue;
        unsigned pr = mm_text_cp_props(c);
        int32_t l = mm_text_cp_lower(c);
        if (!mm_text_cp_is_word(c) && pr == 0 && l == c) continue;
        printf("%x %d %d %d ", (unsigned)c, mm_text_cp_is_word(c) ? 1 : 0,
               (pr & MM_CP_CASED) ? 1 : 0, (pr & MM_CP_IGNORABLE) ? 1 : 0);
        if (c == 0x130)
            printf("69,307\n");
        else
            printf("%x\n", (unsigned)l);
    }
    return 0;
}

static int run_argsort(int argc, char **argv)
{
    if (argc < 3) return 2;
    size_t k = strtoull(argv[2], NULL, 10), n = 0, cap = 1024;
    int64_t *key = malloc(cap * sizeof *key);
    long long x;
    while (scanf("%lld", &x) == 1) {
        if (n == cap) key = realloc(key, (cap *= 2) * sizeof *key);
        key[n++] = x;
    }
    size_t *idx = malloc((n ? n : 1) * sizeof *idx);
    mm_text_argsort_i64(key, n, idx);
    for (size_t i = 0; i < n; i++) printf("%zu ", idx[i]);
    printf("\n");
    mm_text_argsort_i64_head(key, n, k, idx);
    for (size_t i = 0; i < k && i < n; i++) printf("%zu ", idx[i]);
    printf("\n");
    free(key);
    free(idx);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) return 2;
    if (strcmp(argv[1], "fit") == 0) return run_fit(argc, argv);
    if (strcmp(argv[1], "tokenize") == 0) return run_tokenize(argc, argv);
    if (strcmp(argv[1], "cpinfo") == 0) return run_cpinfo();
    if (strcmp(argv[1], "argsort") == 0) return run_argsort(argc, argv);
    if (strcmp(argv[1], "stopwords") == 0) {
        for (size_t i = 0; i < mm_text_stop_word_count(); i++) printf("%s\n", mm_text_stop_word(i));
        return 0;
    }
    return 2;
}
