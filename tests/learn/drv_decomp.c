/* Fits mm_pca / mm_cca on raw binary matrices, for
 * tests/learn/test_pca_sklearn.py and tests/learn/test_cca_sklearn.py.
 *
 *   drv_decomp pca-dense X.f32 n p solver k n_iter n_over seed path OUT
 *   drv_decomp pca-csr indptr.i64 indices.i32 data.f32 n p solver k n_iter n_over seed OUT
 *   drv_decomp cca X.f32 Y.f32 n p q k max_iter tol OUT
 *
 * Inputs are little-endian raw arrays (row-major matrices). solver: 0 auto,
 * 1 full, 2 randomized; n_iter -1 = auto; path: 0 auto, 1 gram, 2 direct.
 * OUT receives float64 values, in this order:
 *   pca: solver_used, path_used, mean[p], components[k*p], ev[k], ratio[k],
 *        sv[k], noise, transform[n*k] (the float32 output, widened)
 *   cca: n_fitted, n_iter[k], x_weights[p*k], y_weights[q*k],
 *        x_loadings[p*k], y_loadings[q*k], x_rotations[p*k],
 *        y_rotations[q*k], x_mean[p], x_std[p], y_mean[q], y_std[q],
 *        corr[k], x_scores[n*k], y_scores[n*k]
 * Exit status: 0 ok, 2 usage, 3 input, 4 library error (message on stderr). */
#include "mmfuse/decomp.h"

#include "learn/decomp_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *read_raw(const char *path, size_t count, size_t size)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    void *buf = malloc(count * size + 1);
    if (buf && fread(buf, size, count, f) != count) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

static void put(FILE *f, const double *v, size_t n) { fwrite(v, sizeof(double), n, f); }

static void put1(FILE *f, double v) { put(f, &v, 1); }

static int fail(const mm_error *err)
{
    fprintf(stderr, "drv_decomp: %s\n", err->msg);
    return 4;
}

static int write_pca(const char *path, const mm_pca *m, const mm_mat *Z)
{
    FILE *f = fopen(path, "wb");
    if (!f) return 3;
    size_t k = mm_pca_n_components(m), p = mm_pca_dim(m);
    put1(f, (double)mm_pca_solver_used(m));
    put1(f, (double)mm_pca_path_used(m));
    put(f, mm_pca_mean(m), p);
    put(f, mm_pca_components(m), k * p);
    put(f, mm_pca_explained_variance(m), k);
    put(f, mm_pca_explained_variance_ratio(m), k);
    put(f, mm_pca_singular_values(m), k);
    put1(f, mm_pca_noise_variance(m));
    for (size_t i = 0; i < Z->rows * Z->cols; i++) put1(f, (double)Z->data[i]);
    fclose(f);
    return 0;
}

static mm_pca_params pca_params(char **a)
{
    mm_pca_params pp = mm_pca_params_default();
    pp.solver = (mm_pca_solver)atoi(a[0]);
    pp.n_components = (size_t)strtoull(a[1], NULL, 10);
    pp.n_iter = atoi(a[2]);
    pp.n_oversamples = (size_t)strtoull(a[3], NULL, 10);
    pp.seed = (uint32_t)strtoul(a[4], NULL, 10);
    return pp;
}

static int run_pca_dense(char **a)
{
    size_t n = (size_t)strtoull(a[1], NULL, 10), p = (size_t)strtoull(a[2], NULL, 10);
    mm_mat X = {n, p, p, read_raw(a[0], n * p, sizeof(float))};
    if (!X.data) return 3;
    mm_pca_params pp = pca_params(a + 3);
    mm_error err = {0};
    mm_pca *m = NULL;
    mm_mat Z = {0};
    int rc = 0;
    if (mm_pca_fit_dense_ex(&pp, &X, (mm_pca_path)atoi(a[8]), 0, &m, &err) ||
        mm_pca_transform_dense(m, &X, &Z, &err))
        rc = fail(&err);
    else
        rc = write_pca(a[9], m, &Z);
    mm_mat_free(&Z);
    mm_pca_free(m);
    free(X.data);
    return rc;
}

static int run_pca_csr(char **a)
{
    size_t n = (size_t)strtoull(a[3], NULL, 10), p = (size_t)strtoull(a[4], NULL, 10);
    int64_t *indptr = read_raw(a[0], n + 1, sizeof(int64_t));
    if (!indptr) return 3;
    size_t nnz = (size_t)indptr[n];
    mm_csr S = {n, p, nnz, indptr, read_raw(a[1], nnz, sizeof(int32_t)),
                read_raw(a[2], nnz, sizeof(float))};
    mm_pca_params pp = pca_params(a + 5);
    mm_error err = {0};
    mm_pca *m = NULL;
    mm_mat Z = {0};
    int rc = 0;
    if (!S.indices || !S.data) rc = 3;
    else if (mm_pca_fit_csr(&pp, &S, &m, &err) || mm_pca_transform_csr(m, &S, &Z, &err))
        rc = fail(&err);
    else
        rc = write_pca(a[10], m, &Z);
    mm_mat_free(&Z);
    mm_pca_free(m);
    free(S.indptr);
    free(S.indices);
    free(S.data);
    return rc;
}

static int run_cca(char **a)
{
    size_t n = (size_t)strtoull(a[2], NULL, 10), p = (size_t)strtoull(a[3], NULL, 10);
    size_t q = (size_t)strtoull(a[4], NULL, 10), k = (size_t)strtoull(a[5], NULL, 10);
    mm_mat X = {n, p, p, read_raw(a[0], n * p, sizeof(float))};
    mm_mat Y = {n, q, q, read_raw(a[1], n * q, sizeof(float))};
    int rc = 0;
    mm_error err = {0};
    mm_cca *m = NULL;
    double *corr = malloc(k * sizeof(double)), *xs = malloc(n * k * sizeof(double)),
           *ys = malloc(n * k * sizeof(double));
    if (!X.data || !Y.data || !corr || !xs || !ys) {
        rc = 3;
        goto done;
    }
    if (mm_cca_fit(&X, &Y, k, atoi(a[6]), strtod(a[7], NULL), &m, &err) ||
        mm_cca_correlations(m, &X, &Y, corr, &err) ||
        mm_cca_transform(m, &X, &Y, xs, ys, &err)) {
        rc = fail(&err);
        goto done;
    }
    FILE *f = fopen(a[8], "wb");
    if (!f) {
        rc = 3;
        goto done;
    }
    put1(f, (double)mm_cca_n_fitted(m));
    for (size_t c = 0; c < k; c++) put1(f, (double)mm_cca_n_iter(m, c));
    put(f, mm_cca_x_weights(m), p * k);
    put(f, mm_cca_y_weights(m), q * k);
    put(f, mm_cca_x_loadings(m), p * k);
    put(f, mm_cca_y_loadings(m), q * k);
    put(f, mm_cca_x_rotations(m), p * k);
    put(f, mm_cca_y_rotations(m), q * k);
    put(f, mm_cca_x_mean(m), p);
    put(f, mm_cca_x_std(m), p);
    put(f, mm_cca_y_mean(m), q);
    put(f, mm_cca_y_std(m), q);
    put(f, corr, k);
    put(f, xs, n * k);
    put(f, ys, n * k);
    fclose(f);
done:
    mm_cca_free(m);
    free(X.data);
    free(Y.data);
    free(corr);
    free(xs);
    free(ys);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc == 12 && !strcmp(argv[1], "pca-dense")) return run_pca_dense(argv + 2);
    if (argc == 13 && !strcmp(argv[1], "pca-csr")) return run_pca_csr(argv + 2);
    if (argc == 11 && !strcmp(argv[1], "cca")) return run_cca(argv + 2);
    fprintf(stderr, "usage: see the comment at the top of drv_decomp.c\n");
    return 2;
}
