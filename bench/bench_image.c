/* Image benchmark: the mmfuse side of bench/peer_image.py.
 *
 *   bench_image MODE LIST.txt [--threads N] [--dct 0|1] [--dump OUT.npy]
 *
 * LIST.txt holds one image path a line. MODE:
 *   prep     decode -> Resize(256) -> CenterCrop(224) -> ToTensor ->
 *            Normalize(ImageNet) per file (mm_preprocess, one per worker
 *            thread, scratch reused across files); --dct 1 lets JPEGs decode
 *            at 1/2..1/8 (default 0: torchvision-exact).
 *   feat     the "image-handcrafted" file encoder (decode, DCT-scaled
 *            towards 64 x 64 unless --dct 0, then the 572 features).
 *   featmem  the same features from images decoded before the clock starts
 *            (the feature computation alone).
 * Work is spread with mm_parallel_for on N threads (default 2), one chunk per
 * file. Prints one RESULT line (op_s = wall time of the whole list); --dump
 * writes one row per file (prep: the first 1024 tensor values; feat: the
 * feature vector) as float32 .npy. */
#include "bench_util.h"
#include "mmfuse/image.h"


typedef struct job {
    int mode; /* 0 prep, 1 feat, 2 featmem */
    char **paths;
    mm_preprocess **pre; /* one per thread */
    float **tensor;      /* one per thread */
    mm_file_encoder *enc;
    mm_image_params ip;
    mm_image *images;    /* featmem */
    float *rows;         /* n x row_len kept for --dump */
    size_t row_len;
    int *failed;
} job;

enum { PREP_KEEP = 1024 };

static void work_one(size_t i, int slot, void *user)
{
    job *J = user;
    mm_error e = {0};
    mm_status st;
    if (J->mode == 0) {
        int t = slot; /* per-thread preprocessing state */
        st = mm_preprocess_file(J->pre[t], J->paths[i], J->tensor[t], &e);
        if (st == MM_OK) memcpy(J->rows + i * J->row_len, J->tensor[t], PREP_KEEP * sizeof(float));
    } else if (J->mode == 1) {
        st = J->enc->encode(J->enc, J->paths[i], J->rows + i * J->row_len, &e);
    } else {
        st = mm_image_features(&J->ip, &J->images[i], J->rows + i * J->row_len, &e);
    }
    J->failed[i] = st != MM_OK;
    if (st != MM_OK) fprintf(stderr, "bench_image: %s\n", e.msg);
}

int main(int argc, char **argv)
{
    const char *mode_s = argc > 1 ? argv[1] : "", *list = NULL, *dump = NULL;
    long threads = 2, dct = -1;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            threads = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--dct") == 0 && i + 1 < argc) dct = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--dump") == 0 && i + 1 < argc) dump = argv[++i];
        else if (argv[i][0] != '-' && !list) list = argv[i];
        else list = NULL, i = argc;
    }
    int mode = !strcmp(mode_s, "prep")      ? 0
               : !strcmp(mode_s, "feat")    ? 1
               : !strcmp(mode_s, "featmem") ? 2
                                            : -1;
    if (mode < 0 || !list || threads < 1) {
        fprintf(stderr, "usage: bench_image prep|feat|featmem LIST.txt [--threads N] [--dct 0|1] "
                        "[--dump OUT.npy]\n");
        return 2;
    }
    size_t len;
    char *buf = bench_read_file(list, &len);
    if (!buf) {
        fprintf(stderr, "bench_image: cannot read %s\n", list);
        return 4;
    }
    size_t n = 0;
    char **paths = malloc((len / 2 + 2) * sizeof *paths);
    for (char *s = strtok(buf, "\n"); s; s = strtok(NULL, "\n"))
        if (*s) paths[n++] = s;

    mm_error err = {0};
    job J;
    memset(&J, 0, sizeof J);
    J.mode = mode;
    J.paths = paths;
    J.failed = calloc(n + 1, sizeof *J.failed);
    J.ip = mm_image_params_default();
    if (dct >= 0) J.ip.dct_scaling = dct != 0;
    if (mode == 0) {
        mm_preprocess_params pp = mm_preprocess_params_default();
        pp.dct_scaling = dct > 0;
        J.pre = calloc((size_t)threads, sizeof *J.pre);
        J.tensor = calloc((size_t)threads, sizeof *J.tensor);
        for (long t = 0; t < threads; t++) {
            if (mm_preprocess_new(&pp, &J.pre[t], &err)) {
                fprintf(stderr, "bench_image: %s\n", err.msg);
                return 3;
            }
            J.tensor[t] = malloc(mm_preprocess_output_size(J.pre[t]) * sizeof(float));
        }
        J.row_len = PREP_KEEP;
    } else {
        if (mm_image_encoder_new(&J.ip, &J.enc, &err)) {
            fprintf(stderr, "bench_image: %s\n", err.msg);
            return 3;
        }
        J.row_len = J.enc->dim;
    }
    if (mode == 2) {
        J.images = calloc(n, sizeof *J.images);
        for (size_t i = 0; i < n; i++)
            if (mm_image_decode_file(paths[i], NULL, NULL, &J.images[i], NULL, &err)) {
                fprintf(stderr, "bench_image: %s\n", err.msg);
                return 3;
            }
    }
    J.rows = calloc(n * J.row_len + 1, sizeof(float));

    double t0 = mm_now_seconds();
    mm_parallel_for_slots(n, (int)threads, work_one, &J);
    double t1 = mm_now_seconds();

    size_t failed = 0;
    for (size_t i = 0; i < n; i++) failed += (size_t)J.failed[i];
    bench_result("\"op_s\": %.6f, \"files\": %zu, \"files_per_s\": %.3f, \"failed\": %zu, "
                 "\"threads\": %ld, \"mode\": \"%s\", \"dct\": %ld",
                 t1 - t0, n, (double)n / (t1 - t0), failed, threads, mode_s,
                 mode == 0 ? (dct > 0) : (long)J.ip.dct_scaling);
    int rc = 0;
    if (dump) rc = bench_npy_write(dump, "<f4", J.rows, sizeof(float), n, J.row_len, 2) ? 1 : 0;
    if (J.pre)
        for (long t = 0; t < threads; t++) {
            mm_preprocess_free(J.pre[t]);
            free(J.tensor[t]);
        }
    free(J.pre);
    free(J.tensor);
    if (J.images)
        for (size_t i = 0; i < n; i++) mm_image_free(&J.images[i]);
    free(J.images);
    mm_file_encoder_free(J.enc);
    free(J.rows);
    free(J.failed);
    free(paths);
    free(buf);
    return rc || failed ? 1 : 0;
}
