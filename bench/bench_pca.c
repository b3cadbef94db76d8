/* PCA fit benchmark: the mmfuse side of bench/peer_pca.py (driven by
 * bench/run_pca.sh).
 *
 *   bench_pca X.npy --k K [--solver auto|full|randomized] [--threads N]
 *             [--precision double|mixed] [--out PREFIX]
 *
 * Loads a float32 C-order matrix straight into an mm_mat (not timed), times
 * mm_pca_fit_dense alone (random_state 42, n_iter auto, 10 oversamples) and
 * prints one RESULT line. --precision mixed selects MM_PCA_PRECISION_MIXED
 * (float32 Gram matrix). --out PREFIX writes PREFIX_components.npy (k x p)
 * and PREFIX_ev.npy (float64) for the accuracy comparison. */
#include "bench_util.h"
#include "mmfuse/decomp.h"

#include "learn/decomp_internal.h"

/* Reads a '<f4' 2-D C-order .npy directly into a fresh mm_mat (no second
 * copy of the data, so the peak RSS is the matrix plus the fit). */
static int load_f32(const char *path, mm_mat *X)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: cannot open\n", path);
        return -1;
    }
    unsigned char pre[10];
    if (fread(pre, 1, 10, f) != 10 || memcmp(pre, "\x93NUMPY", 6) != 0 || pre[6] != 1) {
        fprintf(stderr, "%s: not a version 1 .npy file\n", path);
        fclose(f);
        return -1;
    }
    size_t hlen = (size_t)pre[8] | (size_t)pre[9] << 8;
    char hdr[1024];
    if (hlen >= sizeof hdr || fread(hdr, 1, hlen, f) != hlen) {
        fclose(f);
        return -1;
    }
    hdr[hlen] = '\0';
    const char *sh = bench_find_key(hdr, "'shape': (");
    size_t rows = 0, cols = 0;
    if (!strstr(hdr, "'descr': '<f4'") || !strstr(hdr, "'fortran_order': False") || !sh ||
        sscanf(sh, "%zu, %zu", &rows, &cols) != 2) {
        fprintf(stderr, "%s: need a 2-D little-endian float32 C-order array\n", path);
        fclose(f);
        return -1;
    }
    mm_error err = {0};
    if (mm_mat_alloc(X, rows, cols, &err) != MM_OK ||
        fread(X->data, sizeof(float), rows * cols, f) != rows * cols) {
        fprintf(stderr, "%s: cannot read %zu x %zu values\n", path, rows, cols);
        mm_mat_free(X);
        fclose(f);
        return -1;
    }
    fclose(f);
    return 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: bench_pca X.npy --k K [--solver auto|full|randomized] "
                    "[--threads N] [--precision double|mixed] [--out PREFIX]\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 2) return usage();
    const char *xpath = argv[1], *out = NULL, *solver = "randomized";
    mm_pca_params p = mm_pca_params_default();
    long threads = 2;
    for (int i = 2; i < argc; i++) {
        if (i + 1 >= argc) return usage();
        if (strcmp(argv[i], "--k") == 0) p.n_components = (size_t)strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--solver") == 0) solver = argv[++i];
        else if (strcmp(argv[i], "--threads") == 0) threads = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--out") == 0) out = argv[++i];
        else if (strcmp(argv[i], "--precision") == 0) {
            const char *v = argv[++i];
            if (strcmp(v, "mixed") == 0) p.precision = MM_PCA_PRECISION_MIXED;
            else if (strcmp(v, "double") != 0) return usage();
        }
        else return usage();
    }
    if (strcmp(solver, "full") == 0) p.solver = MM_PCA_FULL;
    else if (strcmp(solver, "randomized") == 0) p.solver = MM_PCA_RANDOMIZED;
    else if (strcmp(solver, "auto") == 0) p.solver = MM_PCA_AUTO;
    else return usage();
    p.n_threads = (int)threads;
    mm_blas_set_threads(mm_threads_resolve((int)threads));

    mm_mat X = {0};
    if (load_f32(xpath, &X)) return 4;
    mm_error err = {0};
    mm_pca *m = NULL;
    double t0 = mm_now_seconds();
    mm_status st = mm_pca_fit_dense(&p, &X, &m, &err);
    double t1 = mm_now_seconds();
    if (st != MM_OK) {
        fprintf(stderr, "bench_pca: %s\n", err.msg);
        mm_mat_free(&X);
        return 3;
    }
    static const char *const paths[] = {"none", "gram", "direct"};
    bench_result("\"op_s\": %.6f, \"rows\": %zu, \"cols\": %zu, \"k\": %zu, \"solver\": \"%s\", "
                 "\"path\": \"%s\", \"precision\": \"%s\", \"threads\": %ld",
                 t1 - t0, X.rows, X.cols, p.n_components,
                 mm_pca_solver_used(m) == MM_PCA_FULL ? "full" : "randomized",
                 paths[mm_pca_path_used(m)],
                 p.precision == MM_PCA_PRECISION_MIXED ? "mixed" : "double", threads);
    int rc = 0;
    if (out) {
        char path[4096];
        size_t k = mm_pca_n_components(m), dim = mm_pca_dim(m);
        snprintf(path, sizeof path, "%s_components.npy", out);
        if (bench_npy_write(path, "<f8", mm_pca_components(m), 8, k, dim, 2)) rc = 4;
        snprintf(path, sizeof path, "%s_ev.npy", out);
        if (bench_npy_write(path, "<f8", mm_pca_explained_variance(m), 8, k, 0, 1)) rc = 4;
    }
    mm_pca_free(m);
    mm_mat_free(&X);
    return rc;
}
