/* TF-IDF fit + transform benchmark: the mmfuse side of bench/peer_tfidf.py.
 *
 *   bench_tfidf DOCS.txt [--threads N] [--max-features K] [--dump DIR]
 *
 * DOCS.txt holds one document per line ('\n' only; a final newline ends the
 * last document). Times mm_tfidf_fit_transform alone with the settings of
 * TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2),
 * stop_words='english', max_features=K) and prints one RESULT line.
 * --dump DIR writes the vocabulary (DIR/mm_vocab.txt, one term a line in
 * column order) and the matrix (DIR/mm_{indptr,indices,data}.npy) for the
 * harness to compare with scikit-learn's. */
#include "bench_util.h"
#include "mmfuse/text.h"

int main(int argc, char **argv)
{
    const char *path = NULL, *dump = NULL;
    long threads = 2, max_features = 5000;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) threads = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--max-features") == 0 && i + 1 < argc) max_features = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--dump") == 0 && i + 1 < argc) dump = argv[++i];
        else if (argv[i][0] != '-' && !path) path = argv[i];
        else {
            fprintf(stderr, "usage: bench_tfidf DOCS.txt [--threads N] [--max-features K] [--dump DIR]\n");
            return 2;
        }
    }
    if (!path || threads < 0 || max_features < 0) {
        fprintf(stderr, "usage: bench_tfidf DOCS.txt [--threads N] [--max-features K] [--dump DIR]\n");
        return 2;
    }

    /* load (not timed) */
    size_t len;
    char *buf = bench_read_file(path, &len);
    if (!buf) {
        fprintf(stderr, "bench_tfidf: cannot read %s\n", path);
        return 4;
    }
    size_t n = 0;
    for (size_t i = 0; i < len; i++) n += buf[i] == '\n';
    if (len && buf[len - 1] != '\n') n++;
    const char **docs = malloc((n ? n : 1) * sizeof *docs);
    size_t *lens = malloc((n ? n : 1) * sizeof *lens);
    if (!docs || !lens) return 1;
    size_t d = 0, start = 0;
    for (size_t i = 0; i <= len && d < n; i++) {
        if (i == len || buf[i] == '\n') {
            docs[d] = buf + start;
            lens[d] = i - start;
            d++;
            start = i + 1;
        }
    }

    mm_tfidf_params p = mm_tfidf_params_default();
    p.sublinear_tf = true;
    p.ngram_lo = 1;
    p.ngram_hi = 2;
    p.stop_words_english = true;
    p.max_features = (size_t)max_features;
    p.n_threads = (int)threads;
    mm_blas_set_threads((int)(threads ? threads : mm_cpu_count()));

    mm_error err = {0};
    mm_tfidf *vec = NULL;
    mm_csr X = {0};
    double t0 = mm_now_seconds();
    mm_status st = mm_tfidf_fit_transform(&p, docs, lens, n, &vec, &X, &err);
    double t1 = mm_now_seconds();
    if (st != MM_OK) {
        fprintf(stderr, "bench_tfidf: %s\n", err.msg);
        return 3;
    }
    bench_result("\"op_s\": %.6f, \"n_docs\": %zu, \"n_terms\": %zu, \"nnz\": %zu, \"threads\": %ld", t1 - t0, n,
                 mm_tfidf_n_terms(vec), X.nnz, threads);

    int rc = 0;
    if (dump) {
        char out[4096];
        snprintf(out, sizeof out, "%s/mm_vocab.txt", dump);
        FILE *f = fopen(out, "wb");
        if (!f) {
            fprintf(stderr, "bench_tfidf: cannot write %s\n", out);
            rc = 4;
        } else {
            for (size_t j = 0; j < mm_tfidf_n_terms(vec); j++) fprintf(f, "%s\n", mm_tfidf_term(vec, j));
            if (fclose(f) != 0) rc = 4;
        }
        snprintf(out, sizeof out, "%s/mm_indptr.npy", dump);
        if (bench_npy_write(out, "<i8", X.indptr, 8, X.rows + 1, 0, 1)) rc = 4;
        snprintf(out, sizeof out, "%s/mm_indices.npy", dump);
        if (bench_npy_write(out, "<i4", X.indices, 4, X.nnz, 0, 1)) rc = 4;
        snprintf(out, sizeof out, "%s/mm_data.npy", dump);
        if (bench_npy_write(out, "<f4", X.data, 4, X.nnz, 0, 1)) rc = 4;
    }
    mm_csr_free(&X);
    mm_tfidf_free(vec);
    free(docs);
    free(lens);
    free(buf);
    return rc;
}
