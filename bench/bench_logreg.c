/* Logistic-regression fit benchmark: the mmfuse side of bench/peer_logreg.py.
 *
 *   bench_logreg dense|sparse DATADIR [--threads N] [--out DIR]
 *                [--max-iter N] [--tol T] [--C C]
 *
 * Loads DATADIR/dense_*.npy or DATADIR/sparse_*.npy (bench/gen_logreg.py),
 * times mm_logreg_fit alone (C 1, max_iter 500, tol 1e-4 unless given) and
 * prints one RESULT line. --out DIR writes DIR/mm_{kind}_coef.npy (K x p,
 * float64) and mm_{kind}_intercept.npy so the harness can evaluate both
 * sides' objective the same way. */
#include "bench_util.h"
#include "mmfuse/learn.h"

static int load(const char *dir, const char *name, const char *descr, bench_npy *a)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.npy", dir, name);
    if (bench_npy_read(path, a)) return -1;
    if (strcmp(a->descr, descr) != 0) {
        fprintf(stderr, "%s: dtype %s, expected %s\n", path, a->descr, descr);
        return -1;
    }
    return 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: bench_logreg dense|sparse DATADIR [--threads N] [--out DIR] [--max-iter N] "
                    "[--tol T] [--C C]\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 3) return usage();
    const char *kind = argv[1], *dir = argv[2], *out = NULL;
    bool dense = strcmp(kind, "dense") == 0;
    if (!dense && strcmp(kind, "sparse") != 0) return usage();
    mm_logreg_params p = mm_logreg_params_default();
    p.C = 1.0;
    p.max_iter = 500;
    p.tol = 1e-4;
    long threads = 2;
    for (int i = 3; i < argc; i++) {
        if (i + 1 >= argc) return usage();
        if (strcmp(argv[i], "--threads") == 0) threads = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--out") == 0) out = argv[++i];
        else if (strcmp(argv[i], "--max-iter") == 0) p.max_iter = (int)strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--tol") == 0) p.tol = strtod(argv[++i], NULL);
        else if (strcmp(argv[i], "--C") == 0) p.C = strtod(argv[++i], NULL);
        else return usage();
    }
    p.n_threads = (int)threads;
    mm_blas_set_threads(mm_threads_resolve((int)threads));

    /* load (not timed) */
    bench_npy y = {0}, a = {0}, b = {0}, c = {0}, shape = {0};
    mm_mat M = {0};
    mm_csr S = {0};
    mm_xmat X;
    mm_error err = {0};
    if (load(dir, dense ? "dense_y" : "sparse_y", "<i4", &y)) return 4;
    size_t n = y.count;
    if (dense) {
        if (load(dir, "dense_X", "<f4", &a) || a.ndim != 2 || a.shape[0] != n) return 4;
        M.rows = a.shape[0];
        M.cols = M.stride = a.shape[1];
        M.data = a.data;
        X = mm_xmat_empty(n);
        if (mm_xmat_add_dense(&X, &M, &err) != MM_OK) goto fail;
    } else {
        if (load(dir, "sparse_indptr", "<i8", &a) || load(dir, "sparse_indices", "<i4", &b) ||
            load(dir, "sparse_data", "<f4", &c) || load(dir, "sparse_shape", "<i8", &shape))
            return 4;
        const int64_t *sh = shape.data;
        S.rows = (size_t)sh[0];
        S.cols = (size_t)sh[1];
        S.nnz = c.count;
        S.indptr = a.data;
        S.indices = b.data;
        S.data = c.data;
        if (S.rows != n || a.count != n + 1) {
            fprintf(stderr, "bench_logreg: inconsistent sparse arrays in %s\n", dir);
            return 4;
        }
        X = mm_xmat_empty(n);
        if (mm_xmat_add_sparse(&X, &S, &err) != MM_OK) goto fail;
    }
    int32_t kmax = 0;
    for (size_t i = 0; i < n; i++) kmax = ((int32_t *)y.data)[i] > kmax ? ((int32_t *)y.data)[i] : kmax;
    size_t K = (size_t)kmax + 1;

    mm_logreg *m = NULL;
    double t0 = mm_now_seconds();
    mm_status st = mm_logreg_fit(&p, &X, y.data, K, NULL, &m, &err);
    double t1 = mm_now_seconds();
    if (st != MM_OK) goto fail;
    bench_result("\"op_s\": %.6f, \"n_iter\": %d, \"converged\": %s, \"rows\": %zu, \"cols\": %zu, "
                 "\"loss\": %.17g, \"threads\": %ld",
                 t1 - t0, mm_logreg_n_iter(m), mm_logreg_converged(m) ? "true" : "false", X.rows, X.cols,
                 mm_logreg_loss(m), threads);
    int rc = 0;
    if (out) {
        char path[4096];
        size_t rows = mm_logreg_coef_rows(m), dim = mm_logreg_dim(m);
        snprintf(path, sizeof path, "%s/mm_%s_coef.npy", out, kind);
        if (bench_npy_write(path, "<f8", mm_logreg_coef(m), 8, rows, dim, 2)) rc = 4;
        snprintf(path, sizeof path, "%s/mm_%s_intercept.npy", out, kind);
        if (bench_npy_write(path, "<f8", mm_logreg_intercept(m), 8, rows, 0, 1)) rc = 4;
    }
    mm_logreg_free(m);
    bench_npy_free(&y);
    bench_npy_free(&a);
    bench_npy_free(&b);
    bench_npy_free(&c);
    bench_npy_free(&shape);
    return rc;
fail:
    fprintf(stderr, "bench_logreg: %s\n", err.msg);
    return 3;
}
