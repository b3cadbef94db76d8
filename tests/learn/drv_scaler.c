/* Fits and applies mm_scaler on a matrix read from a text file, for
 * tests/learn/test_scaler_sklearn.py.
 *
 * Input: "dense n p with_mean with_std" then n*p values (nan allowed), or
 *        "csr n p with_std" then nnz and nnz triplets "row col value".
 * Output: lines "mean ...", "var ...", "scale ..." (%.17g), then "out" and
 * the transformed values (%.9g): n rows for dense, the nnz data for csr. */
#include "mmfuse/learn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_vec(const char *name, const double *v, size_t n)
{
    printf("%s", name);
    for (size_t j = 0; j < n; j++) printf(" %.17g", v[j]);
    printf("\n");
}

int main(int argc, char **argv)
{
    if (argc != 2) return 2;
    FILE *f = fopen(argv[1], "r");
    if (!f) return 2;
    char layout[16];
    size_t n, p;
    int with_mean = 0, with_std = 1;
    if (fscanf(f, "%15s %zu %zu", layout, &n, &p) != 3) return 3;
    mm_error err = {0};
    mm_scaler *s = NULL;
    if (!strcmp(layout, "dense")) {
        mm_mat X;
        if (fscanf(f, "%d %d", &with_mean, &with_std) != 2 || mm_mat_alloc(&X, n, p, NULL)) return 3;
        for (size_t i = 0; i < n * p; i++)
            if (fscanf(f, "%f", &X.data[i]) != 1) return 3;
        if (mm_scaler_fit_dense(&X, with_mean, with_std, &s, &err) ||
            mm_scaler_transform_dense(s, &X, &err)) {
            fprintf(stderr, "drv_scaler: %s\n", err.msg);
            return 4;
        }
        print_vec("mean", mm_scaler_mean(s), p);
        print_vec("var", mm_scaler_var(s), p);
        print_vec("scale", mm_scaler_scale(s), p);
        printf("out\n");
        for (size_t i = 0; i < n; i++) {
            for (size_t j = 0; j < p; j++) printf("%.9g ", (double)X.data[i * p + j]);
            printf("\n");
        }
        mm_mat_free(&X);
    } else {
        size_t nnz;
        mm_csr X;
        if (fscanf(f, "%d %zu", &with_std, &nnz) != 2 || mm_csr_alloc(&X, n, p, nnz, NULL)) return 3;
        for (size_t k = 0; k < nnz; k++) {
            size_t r, c;
            if (fscanf(f, "%zu %zu %f", &r, &c, &X.data[k]) != 3 || r >= n || c >= p) return 3;
            X.indptr[r + 1]++;
            X.indices[k] = (int32_t)c;
        }
        for (size_t i = 0; i < n; i++) X.indptr[i + 1] += X.indptr[i];
        if (mm_scaler_fit_csr(&X, with_std, &s, &err) || mm_scaler_transform_csr(s, &X, &err)) {
            fprintf(stderr, "drv_scaler: %s\n", err.msg);
            return 4;
        }
        print_vec("mean", mm_scaler_mean(s), p);
        print_vec("var", mm_scaler_var(s), p);
        print_vec("scale", mm_scaler_scale(s), p);
        printf("out\n");
        for (size_t k = 0; k < nnz; k++) printf("%.9g\n", (double)X.data[k]);
        mm_csr_free(&X);
    }
    fclose(f);
    mm_scaler_free(s);
    return 0;
}
