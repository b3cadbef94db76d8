/* Driver for the Python parity tests of the audio module. Arrays travel as
 * raw little-endian float32 files (numpy.fromfile / tofile).
 *
 *   drv_audio load PATH SR OFFSET DURATION OUT          decoded (+resampled) samples
 *   drv_audio decode PATH OFFSET DURATION OUT           native rate; prints the rate
 *   drv_audio resample IN IN_RATE OUT_RATE OUT
 *   drv_audio mfcc IN PARAMS_JSON OUT                   n_mfcc x T
 *   drv_audio delta IN ROWS T WIDTH ORDER OUT
 *   drv_audio stats IN PARAMS_JSON OUT                  5 x T
 *   drv_audio features IN PARAMS_JSON OUT               pooled vector
 *   drv_audio encode PARAMS_JSON THREADS OUT PATH...    one vector per path;
 *       prints "i status message" for every path, vectors of failures are 0
 * Exit status 0 when the call succeeded (encode: always, statuses printed),
 * 2 with the message on stderr otherwise. */
#include "mmfuse/audio.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static float *read_f32(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    float *d = malloc(sz > 0 ? (size_t)sz : 1);
    *n = (size_t)(sz > 0 ? sz : 0) / sizeof(float);
    if (d && *n && fread(d, sizeof(float), *n, f) != *n) {
        free(d);
        d = NULL;
    }
    fclose(f);
    return d;
}

static int write_f32(const char *path, const float *d, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) return 2;
    size_t w = n ? fwrite(d, sizeof(float), n, f) : 0;
    return (fclose(f) != 0 || w != n) ? 2 : 0;
}

static int fail(const mm_error *e)
{
    fprintf(stderr, "%s: %s\n", mm_status_name(e->code), e->msg);
    return 2;
}

typedef struct enc_job {
    mm_file_encoder *enc;
    char **paths;
    float *out;
    mm_status *st;
    mm_error *errs;
} enc_job;

static void enc_one(size_t i, void *user)
{
    enc_job *J = user;
    J->st[i] = J->enc->encode(J->enc, J->paths[i], J->out + i * J->enc->dim, &J->errs[i]);
    if (J->st[i]) memset(J->out + i * J->enc->dim, 0, J->enc->dim * sizeof(float));
}

int main(int argc, char **argv)
{
    mm_error err = {0};
    if (argc < 2) return 2;
    const char *cmd = argv[1];
    if (!strcmp(cmd, "load") && argc == 7) {
        float *y;
        size_t n;
        if (mm_audio_load(argv[2], atoi(argv[3]), atof(argv[4]), atof(argv[5]), &y, &n, &err))
            return fail(&err);
        int rc = write_f32(argv[6], y, n);
        free(y);
        return rc;
    }
    if (!strcmp(cmd, "decode") && argc == 6) {
        float *y;
        size_t n;
        int sr;
        if (mm_audio_decode(argv[2], atof(argv[3]), atof(argv[4]), MM_AUDIO_MAX_SECONDS, &y, &n, &sr, &err))
            return fail(&err);
        printf("%d\n", sr);
        int rc = write_f32(argv[5], y, n);
        free(y);
        return rc;
    }
    if (!strcmp(cmd, "resample") && argc == 6) {
        size_t n, m;
        float *x = read_f32(argv[2], &n), *y;
        if (!x) return 2;
        mm_status st = mm_audio_resample(x, n, atoi(argv[3]), atoi(argv[4]), &y, &m, &err);
        free(x);
        if (st) return fail(&err);
        int rc = write_f32(argv[5], y, m);
        free(y);
        return rc;
    }
    if (!strcmp(cmd, "delta") && argc == 8) {
        size_t n;
        float *x = read_f32(argv[2], &n);
        size_t rows = (size_t)atol(argv[3]), T = (size_t)atol(argv[4]);
        if (!x || n != rows * T) return 2;
        float *o = malloc(n * sizeof(float) + 1);
        if (mm_audio_delta(x, rows, T, atoi(argv[5]), atoi(argv[6]), o, &err)) return fail(&err);
        int rc = write_f32(argv[7], o, n);
        free(x);
        free(o);
        return rc;
    }
    if ((!strcmp(cmd, "mfcc") || !strcmp(cmd, "stats") || !strcmp(cmd, "features")) && argc == 5) {
        size_t n;
        float *y = read_f32(argv[2], &n);
        if (!y) return 2;
        mm_audio_params p;
        if (mm_audio_params_from_json(argv[3], &p, &err)) return fail(&err);
        mm_audio_plan *plan;
        if (mm_audio_plan_new(&p, &plan, &err)) return fail(&err);
        mm_audio_work *w = mm_audio_work_new();
        size_t T = mm_audio_n_frames(plan, n);
        size_t len = !strcmp(cmd, "mfcc") ? (size_t)p.n_mfcc * T
                     : !strcmp(cmd, "stats") ? 5 * T : mm_audio_params_dim(&p);
        float *o = malloc(len * sizeof(float));
        mm_status st = !strcmp(cmd, "mfcc") ? mm_audio_mfcc(plan, y, n, w, o, &err)
                       : !strcmp(cmd, "stats") ? mm_audio_frame_stats(plan, y, n, w, o, &err)
                                              : mm_audio_features(plan, y, n, w, o, &err);
        int rc = st ? fail(&err) : write_f32(argv[4], o, len);
        free(o);
        free(y);
        mm_audio_work_free(w);
        mm_audio_plan_free(plan);
        return rc;
    }
    if (!strcmp(cmd, "encode") && argc >= 5) {
        mm_audio_params p;
        if (mm_audio_params_from_json(argv[2], &p, &err)) return fail(&err);
        mm_file_encoder *enc;
        if (mm_audio_encoder_new(&p, &enc, &err)) return fail(&err);
        size_t n = (size_t)(argc - 5);
        enc_job J = {enc, argv + 5, calloc(n * enc->dim + 1, sizeof(float)),
                     calloc(n + 1, sizeof(mm_status)), calloc(n + 1, sizeof(mm_error))};
        mm_parallel_for(n, atoi(argv[3]), enc_one, &J);
        for (size_t i = 0; i < n; i++) printf("%zu %d %s\n", i, (int)J.st[i], J.st[i] ? J.errs[i].msg : "ok");
        int rc = write_f32(argv[4], J.out, n * enc->dim);
        free(J.out);
        free(J.st);
        free(J.errs);
        mm_file_encoder_free(enc);
        return rc;
    }
    fprintf(stderr, "usage: see the comment at the top of drv_audio.c\n");
    return 2;
}
