/* MFCC: mel power -> dB with the clip-wide 80 dB floor -> orthonormal
 * DCT-II (librosa.feature.mfcc, numerics.md §8.2 steps 4-6).
 *
 * The STFT streams power spectra batch by batch; each batch becomes n_mels
 * dB values per frame (float32, as librosa's power_to_db returns), stored
 * band-major. Once every frame is in, the floor max - 80 dB is known and
 * the DCT runs over all frames at once, band by band, so its inner loop is
 * a contiguous multiply-add over frames. */
#include "audio/audio_internal.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MM_PI 3.14159265358979323846
#define AMIN 1e-10
#define TOP_DB 80.0

/* 10 log10(x) for normal x > 0: x = 2^k z with z in [sqrt(1/2), sqrt(2)),
 * ln z = 2 atanh(s), s = (z-1)/(z+1), |s| < 0.1716, by its odd series to
 * s^19 (truncation < 1e-17 relative). Only operations SSE2 has on vectors
 * (64-bit logical shifts; k becomes a double by the 2^52 trick) and no
 * branches, so loops over it vectorize. */
typedef union mm_bits64 {
    double d;
    uint64_t u;
} mm_bits64;

static inline double db10(double x)
{
    const uint64_t ix = ((mm_bits64){.d = x}).u;
    uint64_t tmp = ix - UINT64_C(0x3fe6a09e667f3bcd);
    /* k = the signed top 12 bits of tmp; biased by 2048 it is 0..4095 */
    uint64_t top = ((tmp + (UINT64_C(2048) << 52)) >> 52) | UINT64_C(0x4330000000000000);
    double k = ((mm_bits64){.u = top}).d - (4503599627370496.0 + 2048.0);
    double z = ((mm_bits64){.u = ix - (tmp & UINT64_C(0xfff0000000000000))}).d;
    double s = (z - 1.0) / (z + 1.0), s2 = s * s;
    double p = 1.0 / 19;
    p = p * s2 + 1.0 / 17;
    p = p * s2 + 1.0 / 15;
    p = p * s2 + 1.0 / 13;
    p = p * s2 + 1.0 / 11;
    p = p * s2 + 1.0 / 9;
    p = p * s2 + 1.0 / 7;
    p = p * s2 + 1.0 / 5;
    p = p * s2 + 1.0 / 3;
    p = p * s2 + 1.0;
    double ln = k * 0.69314718055994530942 + 2.0 * s * p;
    return ln * 4.3429448190325182765; /* 10 / ln 10 */
}

MM_SIMD_CLONES void mm_power_to_db(const double *v, size_t n, double *out)
{
    /* two loops: a select feeding the log inside one loop is not
     * if-converted (its arithmetic "could trap"), so it would stay scalar */
#pragma omp simd
    for (size_t i = 0; i < n; i++) out[i] = v[i] > AMIN ? v[i] : AMIN;
#pragma omp simd
    for (size_t i = 0; i < n; i++) out[i] = db10(out[i]);
}

mm_status mm_dct_build(mm_audio_plan *plan, mm_error *err)
{
    const size_t nq = plan->n_mfcc, nm = plan->n_mels;
    plan->dct = mm_alloc_array(nq, nm * sizeof(double));
    if (!plan->dct) return mm_error_set(err, MM_ENOMEM, "out of memory (DCT table)");
    for (size_t q = 0; q < nq; q++) {
        double scale = q == 0 ? sqrt(1.0 / (double)nm) : sqrt(2.0 / (double)nm);
        for (size_t m = 0; m < nm; m++) {
            /* cos(pi q (2m+1) / (2 nm)) with the angle reduced exactly mod 4 nm */
            size_t r = (q * (2 * m + 1)) % (4 * nm);
            plan->dct[q * nm + m] = scale * cos(MM_PI * (double)r / (double)(2 * nm));
        }
    }
    return MM_OK;
}

typedef struct mel_job {
    const mm_audio_plan *plan;
    mm_audio_work *w;
    size_t T;
    float max_db;
    float *spec_rows; /* centroid, bandwidth, rolloff rows, or NULL */
} mel_job;

static void mel_batch(size_t t0, size_t count, const double *power, void *user)
{
    mel_job *J = user;
    const size_t L = MM_FFT_LANES, nm = J->plan->n_mels;
    if (J->spec_rows) mm_spectral_batch(J->plan, power, t0, count, J->T, J->spec_rows, J->w->mag);
    mm_mel_apply4(J->plan, power, J->w->melpow);
    mm_power_to_db(J->w->melpow, nm * L, J->w->db);
    float mx = J->max_db;
    for (size_t i = 0; i < nm; i++) {
        float *row = J->w->mel_db + i * J->T + t0;
        for (size_t l = 0; l < count; l++) {
            float v = (float)J->w->db[i * L + l];
            row[l] = v;
            if (v > mx) mx = v;
        }
    }
    J->max_db = mx;
}

bool mm_audio_all_finite(const float *y, size_t n)
{
    /* an OR of "exponent all ones" over the clip: one pass, no branches */
    uint32_t bad = 0;
#pragma omp simd reduction(| : bad)
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &y[i], sizeof u);
        bad |= (uint32_t)((u & 0x7f800000u) == 0x7f800000u);
    }
    return bad == 0;
}

/* mel dB matrix of the clip (n_mels x T in w->mel_db), floored. */
static void mel_db_floored(const mm_audio_plan *plan, const float *y, size_t n, mm_audio_work *w,
                           size_t T, float *spec_rows)
{
    mel_job J = {plan, w, T, -INFINITY, spec_rows};
    mm_stft_power(plan, y, n, w, mel_batch, &J);
    /* librosa: max(L, L.max() - top_db); the float32 max minus 80.0 is a
     * float64 numpy scalar, cast back to float32 by the float32 maximum */
    float floor_db = (float)((double)J.max_db - TOP_DB);
    size_t cells = plan->n_mels * T;
    float *db = w->mel_db;
#pragma omp simd
    for (size_t i = 0; i < cells; i++) db[i] = db[i] < floor_db ? floor_db : db[i];
}

MM_SIMD_CLONES static void dct_rows(const mm_audio_plan *plan, const float *mel_db, size_t T, double *acc,
                     float *out)
{
    const size_t nm = plan->n_mels;
    for (size_t q = 0; q < plan->n_mfcc; q++) {
        const double *d = plan->dct + q * nm;
        for (size_t t = 0; t < T; t++) acc[t] = 0.0;
        for (size_t m = 0; m < nm; m++) {
            const double c = d[m];
            const float *row = mel_db + m * T;
#pragma omp simd
            for (size_t t = 0; t < T; t++) acc[t] += c * (double)row[t];
        }
#pragma omp simd
        for (size_t t = 0; t < T; t++) out[q * T + t] = (float)acc[t];
    }
}

void mm_mfcc_run(const mm_audio_plan *plan, const float *y, size_t n, mm_audio_work *w,
                 float *out, float *spec_rows)
{
    size_t T = mm_audio_n_frames(plan, n);
    mel_db_floored(plan, y, n, w, T, spec_rows);
    dct_rows(plan, w->mel_db, T, w->acc, out);
}

mm_status mm_audio_mfcc(const mm_audio_plan *plan, const float *y, size_t n, mm_audio_work *w,
                        float *out, mm_error *err)
{
    if (!mm_audio_all_finite(y, n))
        return mm_error_set(err, MM_ENUMERIC, "audio buffer is not finite everywhere");
    mm_status st = mm_audio_work_reserve(w, plan, n, err);
    if (st) return st;
    mm_mfcc_run(plan, y, n, w, out, NULL);
    return MM_OK;
}
