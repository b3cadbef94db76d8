/* Audio feature benchmark: the mmfuse side of bench/peer_audio.py.
 *
 *   bench_audio LIST.txt [--threads N] [--dump OUT.f32]
 *
 * LIST.txt holds one audio path a line. Times the per-file MFCC encoder
 * (mm_audio_encoder_new with the default parameters: 22050 Hz, 10 s, 13
 * MFCC + deltas, mean and std -> 78 values) over every file with
 * mm_parallel_for on N threads (default 2), one chunk per file: decode,
 * resampling when the file is not at 22050 Hz, features. Prints one RESULT
 * line; --dump writes the n x 78 float32 vectors (raw, row-major). */
#include "bench_util.h"
#include "mmfuse/audio.h"

typedef struct job {
    mm_file_encoder *enc;
    char **paths;
    float *out;
    int *failed;
} job;

static void encode_one(size_t i, void *user)
{
    job *J = user;
    mm_error e = {0};
    J->failed[i] = J->enc->encode(J->enc, J->paths[i], J->out + i * J->enc->dim, &e) != MM_OK;
    if (J->failed[i]) fprintf(stderr, "bench_audio: %s\n", e.msg);
}

int main(int argc, char **argv)
{
    const char *list = NULL, *dump = NULL;
    long threads = 2;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) threads = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--dump") == 0 && i + 1 < argc) dump = argv[++i];
        else if (argv[i][0] != '-' && !list) list = argv[i];
        else list = NULL, i = argc;
    }
    if (!list || threads < 1) {
        fprintf(stderr, "usage: bench_audio LIST.txt [--threads N] [--dump OUT.f32]\n");
        return 2;
    }
    size_t len;
    char *buf = bench_read_file(list, &len);
    if (!buf) {
        fprintf(stderr, "bench_audio: cannot read %s\n", list);
        return 4;
    }
    size_t n = 0;
    char **paths = malloc((len / 2 + 2) * sizeof *paths);
    for (char *s = strtok(buf, "\n"); s; s = strtok(NULL, "\n"))
        if (*s) paths[n++] = s;

    mm_error err = {0};
    mm_audio_params p = mm_audio_params_default();
    mm_file_encoder *enc;
    if (mm_audio_encoder_new(&p, &enc, &err)) {
        fprintf(stderr, "bench_audio: %s\n", err.msg);
        return 3;
    }
    job J = {enc, paths, calloc(n * enc->dim + 1, sizeof(float)), calloc(n + 1, sizeof(int))};
    double t0 = mm_now_seconds();
    mm_parallel_for(n, (int)threads, encode_one, &J);
    double t1 = mm_now_seconds();
    size_t failed = 0;
    for (size_t i = 0; i < n; i++) failed += (size_t)J.failed[i];
    bench_result("\"op_s\": %.6f, \"files\": %zu, \"files_per_s\": %.3f, \"failed\": %zu, \"threads\": %ld",
                 t1 - t0, n, (double)n / (t1 - t0), failed, threads);
    int rc = 0;
    if (dump) rc = bench_npy_write(dump, "<f4", J.out, sizeof(float), n, enc->dim, 2) ? 1 : 0;
    free(J.out);
    free(J.failed);
    mm_file_encoder_free(enc);
    free(paths);
    free(buf);
    return rc || failed ? 1 : 0;
}
