/* Audio module: parameter validation, the FFT against a direct DFT, the
 * filterbank and MFCC check values computed from librosa's definitions, deltas on
 * polynomials, silence, short clips, non-finite input, every kind of bad
 * file, and thread-count independence of the encoder.
 * Parity with a numpy/scipy reference is in test_audio_parity.py. */
#include "audio/audio_internal.h"
#include "mmtest.h"

#include <errno.h>
#include <math.h>
#include <sndfile.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SR 22050
#define PI 3.14159265358979323846

static char g_dir[512];

static const char *tmp_path(const char *name)
{
    static char buf[8][700];
    static int k;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], "%s/%s", g_dir, name);
    return buf[k];
}

/* ------------------------------------------------------------ fixtures */

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static void put16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

/* A 16-bit PCM mono WAV image (44-byte header) of y; caller frees. */
static unsigned char *wav16(const float *y, size_t n, uint32_t rate, size_t *len)
{
    size_t bytes = 44 + 2 * n;
    unsigned char *b = calloc(bytes, 1);
    memcpy(b, "RIFF", 4);
    put32(b + 4, (uint32_t)(bytes - 8));
    memcpy(b + 8, "WAVEfmt ", 8);
    put32(b + 16, 16);
    put16(b + 20, 1);
    put16(b + 22, 1);
    put32(b + 24, rate);
    put32(b + 28, rate * 2);
    put16(b + 32, 2);
    put16(b + 34, 16);
    memcpy(b + 36, "data", 4);
    put32(b + 40, (uint32_t)(2 * n));
    for (size_t i = 0; i < n; i++) {
        double v = y[i] * 32767.0;
        int s = (int)lrint(v < -32768 ? -32768 : v > 32767 ? 32767 : v);
        put16(b + 44 + 2 * i, (uint16_t)(int16_t)s);
    }
    *len = bytes;
    return b;
}

static void write_bytes(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(2);
    }
    if (len) fwrite(data, 1, len, f);
    fclose(f);
}

/* A tone + decaying noise test signal with a fixed seed. */
static float *test_signal(size_t n, double freq, uint32_t seed)
{
    float *y = malloc(n * sizeof(float));
    mm_rng r;
    mm_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / SR;
        y[i] = (float)(0.4 * sin(2 * PI * freq * t) + 0.1 * exp(-3 * t) * mm_rng_gauss(&r));
    }
    return y;
}

static void write_wav(const char *path, const float *y, size_t n, uint32_t rate)
{
    size_t len;
    unsigned char *b = wav16(y, n, rate, &len);
    write_bytes(path, b, len);
    free(b);
}

static void write_flac(const char *path, const float *y, size_t n)
{
    SF_INFO info = {0};
    info.samplerate = SR;
    info.channels = 1;
    info.format = SF_FORMAT_FLAC | SF_FORMAT_PCM_16;
    SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
    if (!sf) {
        fprintf(stderr, "cannot write %s: %s\n", path, sf_strerror(NULL));
        exit(2);
    }
    sf_writef_float(sf, y, (sf_count_t)n);
    sf_close(sf);
}

static unsigned char *read_bytes(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)sz);
    *len = fread(b, 1, (size_t)sz, f);
    fclose(f);
    return b;
}

/* ------------------------------------------------------------ params */

static void test_params(void)
{
    mm_audio_params p = mm_audio_params_default();
    mm_error e = {0};
    MM_CHECK(p.sr == 22050 && p.n_mfcc == 13 && p.n_mels == 128 && p.n_fft == 2048);
    MM_CHECK(p.hop_length == 512 && p.delta_width == 9 && p.duration == 10.0 && p.offset == 0.0);
    MM_CHECK(!p.extra_stats && p.pooling == MM_AUDIO_POOL_MEAN_STD && p.fmax == 0.0);
    MM_CHECK_STATUS(mm_audio_params_check(&p, &e), MM_OK);
    MM_CHECK(mm_audio_params_dim(&p) == 78);
    p.extra_stats = true;
    MM_CHECK(mm_audio_params_dim(&p) == 88);
    p.pooling = MM_AUDIO_POOL_MEAN;
    MM_CHECK(mm_audio_params_dim(&p) == 44);

    struct { const char *what; mm_audio_params p; } bad[16];
    size_t nb = 0;
#define BAD(field, value)                     \
    do {                                      \
        bad[nb].what = #field "=" #value;    \
        bad[nb].p = mm_audio_params_default(); \
        bad[nb].p.field = value;              \
        nb++;                                 \
    } while (0)
    BAD(sr, 0);
    BAD(sr, 10000000);
    BAD(n_fft, 1000);
    BAD(n_fft, 8);
    BAD(hop_length, 0);
    BAD(hop_length, 4096);
    BAD(n_mfcc, 0);
    BAD(n_mfcc, 200);
    BAD(n_mels, 0);
    BAD(fmax, 20000.0);
    BAD(fmin, 12000.0);
    BAD(delta_width, 8);
    BAD(delta_width, 1);
    BAD(offset, -1.0);
    BAD(duration, NAN);
    BAD(max_duration, 0.0);
#undef BAD
    for (size_t i = 0; i < nb; i++) {
        mm_error ei = {0};
        mm_status st = mm_audio_params_check(&bad[i].p, &ei);
        MM_CHECK(st == MM_EINVAL);
        if (st != MM_EINVAL) fprintf(stderr, "  accepted %s\n", bad[i].what);
        MM_CHECK(strstr(ei.msg, "audio params") != NULL);
        mm_file_encoder *enc = NULL;
        MM_CHECK_STATUS(mm_audio_encoder_new(&bad[i].p, &enc, &ei), MM_EINVAL);
        MM_CHECK(enc == NULL);
    }

    /* canonical JSON round trip; fmax resolved */
    p = mm_audio_params_default();
    char js[1024], js2[1024];
    MM_CHECK_STATUS(mm_audio_params_to_json(&p, js, sizeof js, &e), MM_OK);
    MM_CHECK(strstr(js, "\"fmax\":11025") != NULL);
    MM_CHECK(strstr(js, "\"kind\":\"mfcc\"") != NULL);
    mm_audio_params q;
    MM_CHECK_STATUS(mm_audio_params_from_json(js, &q, &e), MM_OK);
    MM_CHECK_STATUS(mm_audio_params_to_json(&q, js2, sizeof js2, &e), MM_OK);
    MM_CHECK(strcmp(js, js2) == 0);
    MM_CHECK_STATUS(mm_audio_params_from_json("{\"n_mfcc\":20,\"extra_stats\":true,\"duration\":0}", &q, &e), MM_OK);
    MM_CHECK(q.n_mfcc == 20 && q.extra_stats && q.duration == 0.0 && q.sr == 22050);
    MM_CHECK_STATUS(mm_audio_params_from_json("{\"n_mfc\":20}", &q, &e), MM_EINVAL);
    MM_CHECK(strstr(e.msg, "n_mfc") != NULL);
    MM_CHECK_STATUS(mm_audio_params_from_json("{\"n_mfcc\":2.5}", &q, &e), MM_EINVAL);
    MM_CHECK_STATUS(mm_audio_params_from_json("{\"n_fft\":1000}", &q, &e), MM_EINVAL);
    MM_CHECK_STATUS(mm_audio_params_from_json("[1]", &q, &e), MM_EINVAL);
    MM_CHECK_STATUS(mm_audio_params_from_json("{\"kind\":\"image\"}", &q, &e), MM_EINVAL);
    MM_CHECK_STATUS(mm_audio_params_from_json("{\"version\":99}", &q, &e), MM_EUNSUPPORTED);
    MM_CHECK_STATUS(mm_audio_params_to_json(&p, js, 20, &e), MM_EINVAL);

    mm_file_encoder *enc;
    MM_CHECK_STATUS(mm_audio_encoder_new(&p, &enc, &e), MM_OK);
    MM_CHECK(strcmp(enc->kind, "mfcc") == 0 && enc->modality == MM_MOD_AUDIO && enc->dim == 78);
    MM_CHECK(strcmp(enc->config, js2) == 0);
    mm_file_encoder_free(enc);
    mm_file_encoder_free(NULL);
    mm_audio_plan_free(NULL);
    mm_audio_work_free(NULL);
}

/* ------------------------------------------------------------ FFT */

static double *aligned_doubles(size_t n)
{
    size_t bytes = (n * sizeof(double) + 63) / 64 * 64;
    return aligned_alloc(64, bytes);
}

static void test_fft(void)
{
    const size_t sizes[] = {16, 32, 64, 128, 2048, 4096};
    mm_rng r;
    mm_rng_seed(&r, 7);
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        size_t n = sizes[si], m = n / 2, L = MM_FFT_LANES;
        mm_rfft fs, fb;
        mm_error e;
        MM_CHECK_STATUS(mm_rfft_init(&fs, n, true, &e), MM_OK);
        MM_CHECK_STATUS(mm_rfft_init(&fb, n, false, &e), MM_OK);
        double *x = malloc(L * n * sizeof(double)), *ref = malloc((m + 1) * sizeof(double));
        double *z = aligned_doubles(2 * m * L), *z2 = aligned_doubles(2 * m * L);
        double *pw = aligned_doubles((m + 1) * L), *pw2 = aligned_doubles((m + 1) * L);
        for (size_t i = 0; i < L * n; i++) x[i] = mm_rng_gauss(&r);
        for (size_t l = 0; l < L; l++)
            for (size_t j = 0; j < m; j++) {
                z[j * 2 * L + l] = z2[j * 2 * L + l] = x[l * n + 2 * j];
                z[j * 2 * L + L + l] = z2[j * 2 * L + L + l] = x[l * n + 2 * j + 1];
            }
        mm_rfft_power4(&fs, z, pw);
        mm_rfft_power4(&fb, z2, pw2);
        double worst = 0;
        for (size_t l = 0; l < L; l++) {
            mm_dft_power_ref(n, x + l * n, ref);
            double mx = 0;
            for (size_t k = 0; k <= m; k++) mx = fmax(mx, ref[k]);
            for (size_t k = 0; k <= m; k++) worst = fmax(worst, fabs(pw[k * L + l] - ref[k]) / mx);
        }
        MM_CHECK(worst < 1e-13);
        if (worst >= 1e-13) fprintf(stderr, "  fft n=%zu rel err %g\n", n, worst);
        /* the SIMD and baseline paths compute the same expressions */
        MM_CHECK(memcmp(pw, pw2, (m + 1) * L * sizeof(double)) == 0);
        free(x);
        free(ref);
        free(z);
        free(z2);
        free(pw);
        free(pw2);
        mm_rfft_release(&fs);
        mm_rfft_release(&fb);
    }
    mm_rfft f;
    mm_error e;
    MM_CHECK_STATUS(mm_rfft_init(&f, 1000, true, &e), MM_EINVAL);
}

/* ------------------------------------------------------------ mel, dB */

static void test_mel(void)
{
    mm_audio_params p = mm_audio_params_default();
    mm_audio_plan *plan;
    mm_error e;
    MM_CHECK_STATUS(mm_audio_plan_new(&p, &plan, &e), MM_OK);
    /* numerics.md §8.2 step 4 check values (sr 22050, n_fft 2048) */
    MM_CHECK(plan->mel_lo[0] == 1);
    const float *w0 = plan->mel_w + plan->mel_off[0];
    MM_CHECK_NEAR(w0[0], 0.016182853, 1e-9);
    MM_CHECK_NEAR(w0[1], 0.032365706, 1e-9);
    MM_CHECK_NEAR(w0[2], 0.028990088, 1e-9);
    MM_CHECK(plan->mel_lo[127] == 971 && plan->mel_lo[127] + plan->mel_len[127] - 1 == 1023);
    double sum = 0;
    for (size_t i = 0; i < plan->n_mels; i++)
        for (size_t j = 0; j < plan->mel_len[i]; j++) sum += plan->mel_w[plan->mel_off[i] + j];
    MM_CHECK_NEAR(sum, 11.886681, 2e-6);
    MM_CHECK_NEAR(mm_hz_to_mel(11025.0), 49.910594480159055, 1e-12);
    MM_CHECK_NEAR(mm_mel_to_hz(mm_hz_to_mel(4321.0)), 4321.0, 1e-9);
    mm_audio_plan_free(plan);

    /* the vectorized dB against libm over many decades */
    double v[64], o[64];
    for (int i = 0; i < 64; i++) v[i] = pow(10.0, -12.0 + 0.37 * i) * (1.0 + 0.013 * i);
    v[0] = 0.0;
    mm_power_to_db(v, 64, o);
    double worst = 0;
    for (int i = 0; i < 64; i++) worst = fmax(worst, fabs(o[i] - 10.0 * log10(fmax(v[i], 1e-10))));
    MM_CHECK(worst < 1e-11);
    MM_CHECK(o[0] == -100.0 || fabs(o[0] + 100.0) < 1e-12);
}

/* ------------------------------------------------------------ MFCC values */

static void test_mfcc_values(void)
{
    mm_audio_params p = mm_audio_params_default();
    mm_audio_plan *plan;
    mm_error e;
    MM_CHECK_STATUS(mm_audio_plan_new(&p, &plan, &e), MM_OK);
    mm_audio_work *w = mm_audio_work_new();
    size_t n = SR;
    float *y = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) y[i] = (float)sin(2 * PI * 440.0 * (double)i / SR);
    /* numerics.md §8.2 test vector: 1 s of a 440 Hz sine */
    size_t T = mm_audio_n_frames(plan, n);
    MM_CHECK(T == 44);
    float *m = malloc(13 * T * sizeof(float));
    MM_CHECK_STATUS(mm_audio_mfcc(plan, y, n, w, m, &e), MM_OK);
    MM_CHECK_NEAR(m[0 * T + 10], -413.91122, 1e-3);
    MM_CHECK_NEAR(m[1 * T + 10], 37.884754, 1e-3);
    MM_CHECK_NEAR(m[2 * T + 10], 28.29535, 1e-3);
    MM_CHECK_NEAR(m[3 * T + 10], 14.141817, 1e-3);
    float v[78];
    MM_CHECK_STATUS(mm_audio_features(plan, y, n, w, v, &e), MM_OK);
    MM_CHECK_NEAR(v[0], -394.3849, 1e-3);
    MM_CHECK_NEAR(v[1], 52.660152, 1e-3);
    MM_CHECK_NEAR(v[2], 28.832457, 1e-3);
    MM_CHECK_NEAR(v[39], 62.401478, 1e-3);
    MM_CHECK_NEAR(v[40], 46.774044, 1e-3);
    MM_CHECK_NEAR(v[41], 2.9304512, 1e-3);

    /* silence: -100 dB everywhere -> row 0 = -100 sqrt(128), the rest 0 */
    memset(y, 0, n * sizeof(float));
    MM_CHECK_STATUS(mm_audio_features(plan, y, n, w, v, &e), MM_OK);
    MM_CHECK_NEAR(v[0], -1131.3708, 1e-3);
    bool finite = true, zero = true;
    for (int i = 0; i < 78; i++) {
        finite = finite && isfinite(v[i]);
        if (i > 0) zero = zero && fabsf(v[i]) < 1e-4f;
    }
    MM_CHECK(finite && zero);
    float st[5 * 44];
    MM_CHECK_STATUS(mm_audio_frame_stats(plan, y, n, w, st, &e), MM_OK);
    bool zs = true;
    for (int i = 0; i < 5 * 44; i++) zs = zs && st[i] == 0.0f;
    MM_CHECK(zs);

    /* clip length limits of the delta window: 4096 samples = 9 frames */
    MM_CHECK_STATUS(mm_audio_features(plan, y, 4096, w, v, &e), MM_OK);
    MM_CHECK_STATUS(mm_audio_features(plan, y, 4095, w, v, &e), MM_EFORMAT);
    MM_CHECK(strstr(e.msg, "too short (8 frames, need 9)") != NULL);
    MM_CHECK_STATUS(mm_audio_features(plan, y, 0, w, v, &e), MM_EFORMAT);
    /* an empty clip still has its one (silent) frame of MFCC */
    MM_CHECK_STATUS(mm_audio_mfcc(plan, y, 0, w, m, &e), MM_OK);
    MM_CHECK_NEAR(m[0], -1131.3708, 1e-3);

    /* non-finite samples are refused */
    y[100] = NAN;
    MM_CHECK_STATUS(mm_audio_features(plan, y, n, w, v, &e), MM_ENUMERIC);
    y[100] = INFINITY;
    MM_CHECK_STATUS(mm_audio_mfcc(plan, y, n, w, m, &e), MM_ENUMERIC);

    /* the work area is reused: a long clip after short ones, then short */
    float *big = test_signal(3 * SR, 300.0, 3), *vb = malloc(78 * sizeof(float)), v2[78];
    MM_CHECK_STATUS(mm_audio_features(plan, big, 3 * SR, w, vb, &e), MM_OK);
    mm_audio_work *w2 = mm_audio_work_new();
    MM_CHECK_STATUS(mm_audio_features(plan, big, 3 * SR, w2, v2, &e), MM_OK);
    MM_CHECK(memcmp(vb, v2, sizeof v2) == 0);
    MM_CHECK_STATUS(mm_audio_features(plan, big, SR, w, v2, &e), MM_OK);
    MM_CHECK_STATUS(mm_audio_features(plan, big, 3 * SR, w, v2, &e), MM_OK);
    MM_CHECK(memcmp(vb, v2, sizeof v2) == 0);
    mm_audio_work_free(w2);
    free(big);
    free(vb);
    free(m);
    free(y);
    mm_audio_work_free(w);
    mm_audio_plan_free(plan);
}

/* ------------------------------------------------------------ deltas */

static void test_delta(void)
{
    enum { T = 20 };
    float x[2 * T], d[2 * T];
    mm_error e;
    for (int t = 0; t < T; t++) {
        x[t] = 3.0f * (float)t + 1.0f;  /* linear  */
        x[T + t] = (float)(t * t);       /* quadratic */
    }
    MM_CHECK_STATUS(mm_audio_delta(x, 2, T, 9, 1, d, &e), MM_OK);
    double worst = 0;
    for (int t = 0; t < T; t++) worst = fmax(worst, fabs(d[t] - 3.0));
    MM_CHECK(worst < 1e-5);
    /* slope of t^2: 2t inside; the fitted line's slope at the edges */
    for (int t = 4; t < T - 4; t++) worst = fmax(worst, fabs(d[T + t] - 2.0 * t));
    for (int t = 0; t < 4; t++) {
        worst = fmax(worst, fabs(d[T + t] - 8.0));
        worst = fmax(worst, fabs(d[T + T - 1 - t] - 2.0 * (T - 5)));
    }
    MM_CHECK(worst < 1e-4);
    MM_CHECK_STATUS(mm_audio_delta(x, 2, T, 9, 2, d, &e), MM_OK);
    worst = 0;
    for (int t = 0; t < T; t++) worst = fmax(worst, fmax(fabs(d[t]), fabs(d[T + t] - 2.0)));
    MM_CHECK(worst < 1e-4);
    /* width 5 and 3 */
    MM_CHECK_STATUS(mm_audio_delta(x, 2, T, 5, 1, d, &e), MM_OK);
    MM_CHECK_NEAR(d[7], 3.0, 1e-5);
    MM_CHECK_STATUS(mm_audio_delta(x, 2, T, 3, 2, d, &e), MM_OK);
    MM_CHECK_NEAR(d[T + 7], 2.0, 1e-5);
    MM_CHECK_STATUS(mm_audio_delta(x, 2, 8, 9, 1, d, &e), MM_EFORMAT);
    MM_CHECK(strstr(e.msg, "too short (8 frames, need 9)") != NULL);
    MM_CHECK_STATUS(mm_audio_delta(x, 2, T, 8, 1, d, &e), MM_EINVAL);
    MM_CHECK_STATUS(mm_audio_delta(x, 2, T, 9, 3, d, &e), MM_EINVAL);
}

/* ------------------------------------------------------------ bad files */

static void expect_bad(mm_file_encoder *enc, const char *path, mm_status want, const char *why)
{
    float v[78];
    mm_error e = {0};
    mm_status st = enc->encode(enc, path, v, &e);
    MM_CHECK(st != MM_OK);
    if (want != MM_OK) MM_CHECK(st == want);
    MM_CHECK(strstr(e.msg, path) == e.msg); /* the message starts with the path */
    if (st == MM_OK || (want != MM_OK && st != want) || strstr(e.msg, path) != e.msg)
        fprintf(stderr, "  %s: status %d, message \"%s\"\n", why, (int)st, e.msg);
}

static void test_bad_files(void)
{
    mm_audio_params p = mm_audio_params_default();
    mm_file_encoder *enc;
    mm_error e;
    MM_CHECK_STATUS(mm_audio_encoder_new(&p, &enc, &e), MM_OK);
    size_t n = SR / 2, len;
    float *y = test_signal(n, 440.0, 11);
    unsigned char *good = wav16(y, n, SR, &len);
    write_bytes(tmp_path("good.wav"), good, len);
    float v[78];
    MM_CHECK_STATUS(enc->encode(enc, tmp_path("good.wav"), v, &e), MM_OK);

    expect_bad(enc, tmp_path("missing.wav"), MM_EIO, "missing file");
    mkdir(tmp_path("adir.wav"), 0755);
    expect_bad(enc, tmp_path("adir.wav"), MM_EIO, "directory");
    write_bytes(tmp_path("empty.wav"), "", 0);
    expect_bad(enc, tmp_path("empty.wav"), MM_EFORMAT, "0-byte file");
    const char *text = "this is a text file, not audio\nline two\n";
    write_bytes(tmp_path("text.wav"), text, strlen(text));
    expect_bad(enc, tmp_path("text.wav"), MM_EFORMAT, "text named .wav");
    write_bytes(tmp_path("trunc_header.wav"), good, 30);
    expect_bad(enc, tmp_path("trunc_header.wav"), MM_EFORMAT, "truncated header");
    write_bytes(tmp_path("riff_only.wav"), good, 12);
    expect_bad(enc, tmp_path("riff_only.wav"), MM_EFORMAT, "RIFF header only");

    const uint32_t rates[] = {0, 1, 999, 1000000, 0x7fffffffu, 0xffffffffu};
    for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++) {
        unsigned char *b = malloc(len);
        memcpy(b, good, len);
        put32(b + 24, rates[i]);
        put32(b + 28, rates[i] * 2u);
        char name[64];
        snprintf(name, sizeof name, "rate_%u.wav", (unsigned)rates[i]);
        write_bytes(tmp_path(name), b, len);
        expect_bad(enc, tmp_path(name), MM_EFORMAT, "absurd sample rate");
        free(b);
    }
    /* data chunk claiming far more than the file holds; a cut-off file */
    unsigned char *b = malloc(len);
    memcpy(b, good, len);
    put32(b + 40, 0x7ffffff0u);
    write_bytes(tmp_path("len_absurd.wav"), b, len);
    expect_bad(enc, tmp_path("len_absurd.wav"), MM_EFORMAT, "absurd data length");
    write_bytes(tmp_path("cut.wav"), good, len / 2);
    expect_bad(enc, tmp_path("cut.wav"), MM_EFORMAT, "truncated data");
    /* absurd channel count */
    memcpy(b, good, len);
    put16(b + 22, 0);
    write_bytes(tmp_path("chan0.wav"), b, len);
    expect_bad(enc, tmp_path("chan0.wav"), MM_EFORMAT, "0 channels");
    /* "length unknown" marks of streamed WAVs are accepted */
    memcpy(b, good, len);
    put32(b + 40, 0xffffffffu);
    put32(b + 4, 0xffffffffu);
    write_bytes(tmp_path("streamed.wav"), b, len);
    float v2[78];
    MM_CHECK_STATUS(enc->encode(enc, tmp_path("streamed.wav"), v2, &e), MM_OK);
    MM_CHECK(memcmp(v, v2, sizeof v) == 0);
    free(b);

    /* a 5000-byte LIST chunk before the data chunk: fine; the same with a
     * data chunk claiming one byte too many: rejected */
    {
        size_t extra = 8 + 5000, l2 = len + extra;
        unsigned char *c = calloc(l2, 1);
        memcpy(c, good, 36);
        memcpy(c + 36, "LIST", 4);
        put32(c + 40, 5000);
        memcpy(c + 36 + extra, good + 36, len - 36);
        put32(c + 4, (uint32_t)(l2 - 8));
        write_bytes(tmp_path("list.wav"), c, l2);
        MM_CHECK_STATUS(enc->encode(enc, tmp_path("list.wav"), v2, &e), MM_OK);
        MM_CHECK(memcmp(v, v2, sizeof v) == 0);
        put32(c + 36 + extra + 4, (uint32_t)(2 * n + 1));
        write_bytes(tmp_path("list_long.wav"), c, l2);
        expect_bad(enc, tmp_path("list_long.wav"), MM_EFORMAT, "data chunk one byte too long");
        free(c);
    }

    /* float WAV holding NaN: corrupt data */
    {
        SF_INFO info = {0};
        info.samplerate = SR;
        info.channels = 1;
        info.format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
        SNDFILE *sf = sf_open(tmp_path("nan.wav"), SFM_WRITE, &info);
        float *z = calloc(n, sizeof(float));
        z[1234] = NAN;
        sf_writef_float(sf, z, (sf_count_t)n);
        sf_close(sf);
        free(z);
        expect_bad(enc, tmp_path("nan.wav"), MM_ENUMERIC, "NaN samples");
    }
    /* FLAC with garbage in the middle of its frames, and cut in half */
    write_flac(tmp_path("good.flac"), y, n);
    MM_CHECK_STATUS(enc->encode(enc, tmp_path("good.flac"), v2, &e), MM_OK);
    size_t fl;
    unsigned char *f = read_bytes(tmp_path("good.flac"), &fl);
    mm_rng r;
    mm_rng_seed(&r, 5);
    unsigned char *g = malloc(fl);
    memcpy(g, f, fl);
    for (size_t i = fl / 2; i < fl / 2 + 200 && i < fl; i++) g[i] = (unsigned char)mm_rng_u32(&r);
    write_bytes(tmp_path("corrupt.flac"), g, fl);
    expect_bad(enc, tmp_path("corrupt.flac"), MM_EFORMAT, "corrupt FLAC frames");
    write_bytes(tmp_path("cut.flac"), f, fl / 2);
    expect_bad(enc, tmp_path("cut.flac"), MM_EFORMAT, "cut FLAC");
    free(f);
    free(g);

    /* too short for the delta window: 0.1 s */
    write_wav(tmp_path("short.wav"), y, 2205, SR);
    expect_bad(enc, tmp_path("short.wav"), MM_EFORMAT, "short clip");
    mm_error es;
    enc->encode(enc, tmp_path("short.wav"), v, &es);
    MM_CHECK(strstr(es.msg, "too short (5 frames, need 9)") != NULL);

    /* a FIFO named .wav (opening it would block: refused before that) and a
     * path through a regular file */
    if (mkfifo(tmp_path("fifo.wav"), 0644) == 0) expect_bad(enc, tmp_path("fifo.wav"), MM_EIO, "FIFO");
    expect_bad(enc, tmp_path("good.wav/inner.wav"), MM_EIO, "path through a file");

    /* unreadable (permissions do not bind root) */
    write_bytes(tmp_path("noperm.wav"), good, len);
    chmod(tmp_path("noperm.wav"), 0);
    if (geteuid() != 0) expect_bad(enc, tmp_path("noperm.wav"), MM_EIO, "unreadable");
    chmod(tmp_path("noperm.wav"), 0644);

    /* offset past the end, and a whole-file read over max_duration */
    mm_audio_params p2 = mm_audio_params_default();
    p2.offset = 5.0;
    mm_file_encoder *enc2;
    MM_CHECK_STATUS(mm_audio_encoder_new(&p2, &enc2, &e), MM_OK);
    expect_bad(enc2, tmp_path("good.wav"), MM_EFORMAT, "offset past the end");
    mm_file_encoder_free(enc2);
    p2 = mm_audio_params_default();
    p2.duration = 0;
    p2.max_duration = 0.25;
    MM_CHECK_STATUS(mm_audio_encoder_new(&p2, &enc2, &e), MM_OK);
    expect_bad(enc2, tmp_path("good.wav"), MM_EFORMAT, "longer than max_duration");
    mm_file_encoder_free(enc2);

    /* the decode call itself */
    float *s;
    size_t ns;
    int rate;
    MM_CHECK_STATUS(mm_audio_decode(tmp_path("good.wav"), 0, 0, 100, &s, &ns, &rate, &e), MM_OK);
    MM_CHECK(ns == n && rate == SR);
    free(s);
    MM_CHECK_STATUS(mm_audio_decode(tmp_path("good.wav"), -1, 0, 100, &s, &ns, &rate, &e), MM_EINVAL);
    MM_CHECK_STATUS(mm_audio_decode(tmp_path("good.wav"), 0.1, 0.2, 100, &s, &ns, &rate, &e), MM_OK);
    MM_CHECK(ns == 4410);
    free(s);
    MM_CHECK_STATUS(mm_audio_load(tmp_path("missing.wav"), SR, 0, 0, &s, &ns, &e), MM_EIO);
    MM_CHECK_STATUS(mm_audio_resample(y, n, 0, SR, &s, &ns, &e), MM_EINVAL);
    MM_CHECK_STATUS(mm_audio_resample(y, 0, 44100, SR, &s, &ns, &e), MM_OK);
    MM_CHECK(ns == 0);
    free(s);
    MM_CHECK_STATUS(mm_audio_resample(y, n, SR, 16000, &s, &ns, &e), MM_OK);
    MM_CHECK(ns == (size_t)ceil((double)n * 16000.0 / SR));
    free(s);

    free(good);
    free(y);
    mm_file_encoder_free(enc);
}

/* ------------------------------------------------------------ threads */

typedef struct enc_job {
    mm_file_encoder *enc;
    const char **paths;
    float *out;
    mm_status *st;
} enc_job;

static void enc_one(size_t i, void *user)
{
    enc_job *J = user;
    mm_error e;
    J->st[i] = J->enc->encode(J->enc, J->paths[i], J->out + i * J->enc->dim, &e);
}

static void test_threads(void)
{
    enum { N = 12 };
    const char *paths[N];
    char names[N][64];
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "thr_%d.wav", i);
        paths[i] = strdup(tmp_path(names[i]));
        size_t n = (size_t)(SR / 2 + 1500 * i);
        float *y = test_signal(n, 200.0 + 97.0 * i, (uint32_t)(100 + i));
        /* every third file at 44.1 kHz so resampling runs concurrently */
        write_wav(paths[i], y, n, i % 3 == 0 ? 44100 : SR);
        free(y);
    }
    mm_audio_params p = mm_audio_params_default();
    p.extra_stats = true;
    mm_file_encoder *enc;
    mm_error e;
    MM_CHECK_STATUS(mm_audio_encoder_new(&p, &enc, &e), MM_OK);
    float *a = calloc(N * enc->dim, sizeof(float)), *b = calloc(N * enc->dim, sizeof(float));
    mm_status sa[N], sb[N];
    enc_job ja = {enc, paths, a, sa}, jb = {enc, paths, b, sb};
    mm_parallel_for(N, 1, enc_one, &ja);
    mm_parallel_for(N, 2, enc_one, &jb);
    bool ok = true;
    for (int i = 0; i < N; i++) ok = ok && sa[i] == MM_OK && sb[i] == MM_OK;
    MM_CHECK(ok);
    MM_CHECK(memcmp(a, b, N * enc->dim * sizeof(float)) == 0);
    free(a);
    free(b);
    for (int i = 0; i < N; i++) free((void *)paths[i]);
    mm_file_encoder_free(enc);
}

int main(void)
{
    snprintf(g_dir, sizeof g_dir, "audio_test_tmp_%ld", (long)getpid());
    if (mkdir(g_dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "cannot create %s\n", g_dir);
        return 2;
    }
    test_params();
    test_fft();
    test_mel();
    test_mfcc_values();
    test_delta();
    test_bad_files();
    test_threads();
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", g_dir);
    return mm_test_summary();
}
