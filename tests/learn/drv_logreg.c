/* Fits mm_logreg on a problem read from a text file and prints the results
 * with %.17g, for tests/learn/test_logreg_sklearn.py.
 *
 * Input (whitespace-separated tokens):
 *   layout n p K C max_iter tol fit_intercept n_threads balanced
 *     layout: "dense", "csr" or "mixed" (mixed: one more token p_dense, the
 *     first p_dense columns are a dense part, the rest a CSR part)
 *   dense:  n*p values, row-major
 *   csr:    nnz, then nnz triplets "row col value" (row-major order)
 *   mixed:  p_dense then n*p_dense values, then nnz and triplets with
 *           columns counted from p_dense
 *   labels: n integers in [0, K)
 * Output lines: "n_iter N", "converged B", "loss F", "coef r v...",
 * "intercept v...", then "proba" and n lines of K probabilities. */
#include "mmfuse/learn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int read_csr(FILE *f, size_t n, size_t p, mm_csr *s)
{
    size_t nnz;
    if (fscanf(f, "%zu", &nnz) != 1) return -1;
    if (mm_csr_alloc(s, n, p, nnz, NULL)) return -1;
    size_t prev = 0;
    for (size_t k = 0; k < nnz; k++) {
        size_t r, c;
        float v;
        if (fscanf(f, "%zu %zu %f", &r, &c, &v) != 3 || r >= n || c >= p || r < prev) return -1;
        prev = r;
        s->indptr[r + 1]++;
        s->indices[k] = (int32_t)c;
        s->data[k] = v;
    }
    for (size_t i = 0; i < n; i++) s->indptr[i + 1] += s->indptr[i];
    return 0;
}

static int read_dense(FILE *f, size_t n, size_t p, mm_mat *m)
{
    if (mm_mat_alloc(m, n, p, NULL)) return -1;
    for (size_t i = 0; i < n * p; i++)
        if (fscanf(f, "%f", &m->data[i]) != 1) return -1;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: drv_logreg problem.txt\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "r");
    if (!f) return 2;
    char layout[16];
    size_t n, p, K, pd = 0;
    int fit_icpt, balanced;
    mm_logreg_params prm = mm_logreg_params_default();
    if (fscanf(f, "%15s %zu %zu %zu %lf %d %lf %d %d %d", layout, &n, &p, &K, &prm.C,
               &prm.max_iter, &prm.tol, &fit_icpt, &prm.n_threads, &balanced) != 10)
        return 3;
    prm.fit_intercept = fit_icpt != 0;
    mm_mat dense = {0};
    mm_csr sparse = {0};
    mm_xmat X = mm_xmat_empty(n);
    int bad = 0;
    if (!strcmp(layout, "dense")) {
        bad = read_dense(f, n, p, &dense) || mm_xmat_add_dense(&X, &dense, NULL);
    } else if (!strcmp(layout, "csr")) {
        bad = read_csr(f, n, p, &sparse) || mm_xmat_add_sparse(&X, &sparse, NULL);
    } else if (!strcmp(layout, "mixed")) {
        bad = fscanf(f, "%zu", &pd) != 1 || pd > p || read_dense(f, n, pd, &dense) ||
              read_csr(f, n, p - pd, &sparse) || mm_xmat_add_dense(&X, &dense, NULL) ||
              mm_xmat_add_sparse(&X, &sparse, NULL);
    } else {
        bad = 1;
    }
    int32_t *y = malloc(n * sizeof *y);
    double *w = malloc(n * sizeof *w);
    double *proba = malloc(n * K * sizeof *proba);
    for (size_t i = 0; !bad && i < n; i++)
        if (fscanf(f, "%d", &y[i]) != 1) bad = 1;
    fclose(f);
    if (bad || !y || !w || !proba) {
        fprintf(stderr, "drv_logreg: bad input\n");
        return 3;
    }
    mm_error err = {0};
    if (balanced && mm_class_weights_balanced(y, n, K, w, &err)) {
        fprintf(stderr, "drv_logreg: %s\n", err.msg);
        return 4;
    }
    mm_logreg *m = NULL;
    if (mm_logreg_fit(&prm, &X, y, K, balanced ? w : NULL, &m, &err) ||
        mm_logreg_predict_proba(m, &X, proba, &err)) {
        fprintf(stderr, "drv_logreg: %s\n", err.msg);
        return 4;
    }
    printf("n_iter %d\nconverged %d\nloss %.17g\n", mm_logreg_n_iter(m),
           (int)mm_logreg_converged(m), mm_logreg_loss(m));
    size_t rows = mm_logreg_coef_rows(m);
    for (size_t r = 0; r < rows; r++) {
        printf("coef");
        for (size_t j = 0; j < p; j++) printf(" %.17g", mm_logreg_coef(m)[r * p + j]);
        printf("\n");
    }
    printf("intercept");
    for (size_t r = 0; r < rows; r++) printf(" %.17g", mm_logreg_intercept(m)[r]);
    printf("\nproba\n");
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < K; k++) printf("%.17g ", proba[i * K + k]);
        printf("\n");
    }
    mm_logreg_free(m);
    mm_mat_free(&dense);
    mm_csr_free(&sparse);
    free(y);
    free(w);
    free(proba);
    return 0;
}
