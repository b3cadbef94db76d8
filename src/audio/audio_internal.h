/* Private parts of the audio module: the real FFT, the analysis plan and
 * work area, and the kernels each .c file provides to the others. */
#ifndef MM_AUDIO_INTERNAL_H
#define MM_AUDIO_INTERNAL_H

#include "mmfuse/audio.h"

#include <stddef.h>

/* Kernels marked MM_SIMD_CLONES are compiled twice on x86-64, for the
 * baseline and for AVX2, and the loader picks one for the CPU (GCC
 * target_clones). Both evaluate the same expressions in the same order (ISO
 * C mode: no FMA contraction), so results do not depend on the machine. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define MM_SIMD_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define MM_SIMD_CLONES
#endif

/* ------------------------------------------------------------- fft.c */

/* Frames are transformed MM_FFT_LANES at a time, one frame per SIMD lane.
 * Real arrays of the batched kernels store element j of lane l at
 * [j * MM_FFT_LANES + l]; the complex work array stores point j as the
 * lanes' real parts then their imaginary parts: re at [j * 2 * LANES + l],
 * im at [j * 2 * LANES + LANES + l]. */
enum { MM_FFT_LANES = 4 };

typedef struct mm_rfft {
    size_t n;       /* real length (power of two, >= 16)                     */
    size_t m;       /* n / 2: length of the complex FFT inside               */
    double *w_re;   /* exp(-2 pi i j / m), j < m                              */
    double *w_im;
    double *p_re;   /* exp(-2 pi i k / n), k <= m (real-split twiddles)      */
    double *p_im;
    size_t *where;  /* position of complex bin k after the in-place FFT      */
    /* the batched power spectrum, chosen once at init (AVX2 or baseline) */
    void (*power4)(const struct mm_rfft *f, double *z, double *power);
} mm_rfft;

mm_status mm_rfft_init(mm_rfft *f, size_t n, bool allow_simd, mm_error *err);
void mm_rfft_release(mm_rfft *f);

/* Power spectra |X_k|^2, k = 0..n/2, of MM_FFT_LANES real frames x_l given
 * packed as z_l[j] = x_l[2j] + i x_l[2j+1] (z: m * 2 * LANES values, layout
 * above, overwritten). power: (m+1) * LANES. */
static inline void mm_rfft_power4(const mm_rfft *f, double *z, double *power)
{
    f->power4(f, z, power);
}

/* Plain reference twin: |X_k|^2 of one real frame x[0..n) by a direct DFT
 * (O(n^2), accurate twiddles). For tests. */
void mm_dft_power_ref(size_t n, const double *x, double *power);

/* -------------------------------------------------------- the plan */

struct mm_audio_plan {
    mm_audio_params p;   /* checked, fmax resolved                          */
    size_t n_fft, hop, n_bins, n_mels, n_mfcc;
    double *window;      /* periodic Hann, n_fft                             */
    mm_rfft fft;
    /* Slaney mel filterbank, sparse: band i has weights mel_w[mel_off[i] ..
     * mel_off[i] + mel_len[i]) for bins mel_lo[i] .. (float32 as librosa) */
    size_t *mel_lo, *mel_len, *mel_off;
    float *mel_w;
    double *mel_wd;      /* the same weights as doubles (exact), for the kernel */
    double *dct;         /* n_mfcc x n_mels orthonormal DCT-II rows           */
    double *freq;        /* bin frequencies k * sr / n_fft                    */
};

struct mm_audio_work {
    size_t cap_frames;   /* frames the per-clip buffers hold                  */
    size_t cap_fft;      /* n_fft the per-batch buffers were sized for         */
    size_t cap_mels, cap_rows;
    double *z, *power;                         /* per batch of LANES frames  */
    double *mag;                               /* n_bins (spectral stats)    */
    double *melpow, *db;                       /* n_mels x LANES             */
    float *mel_db;       /* n_mels x frames                                   */
    float *feats;        /* (3 n_mfcc + 5) x frames                            */
    double *acc;         /* frames                                            */
};

/* ------------------------------------------------------- kernels */

/* mel.c: fills the plan's Slaney filterbank (plan->p, n_fft, n_bins set). */
mm_status mm_mel_build(mm_audio_plan *plan, mm_error *err);
/* Slaney mel scale. */
double mm_hz_to_mel(double hz);
double mm_mel_to_hz(double mel);
/* melpow[i * LANES + l] = sum_k w_ik power[k * LANES + l] (double sums). */
void mm_mel_apply4(const mm_audio_plan *plan, const double *power, double *melpow);

/* stft.c: streams the centered, windowed frames of y through the FFT in
 * batches and calls fn(t0, count, power, user) with the power spectra of
 * frames t0 .. t0+count-1 (power[k * LANES + l], l < count). */
typedef void (*mm_spectrum_fn)(size_t t0, size_t count, const double *power, void *user);
void mm_stft_power(const mm_audio_plan *plan, const float *y, size_t n, mm_audio_work *w,
                   mm_spectrum_fn fn, void *user);

/* mfcc.c */
/* 10 log10(max(1e-10, v)) for v >= 0 (vectorizable, |error| < 1e-12 dB). */
void mm_power_to_db(const double *v, size_t n, double *out);
/* Fills the plan's DCT matrix. */
mm_status mm_dct_build(mm_audio_plan *plan, mm_error *err);
/* The MFCCs of y (finite, w reserved for n) into out (n_mfcc x T); when
 * spec_rows is not NULL the same spectra also fill its 3 rows (centroid,
 * bandwidth, rolloff; each T long). */
void mm_mfcc_run(const mm_audio_plan *plan, const float *y, size_t n, mm_audio_work *w,
                 float *out, float *spec_rows);

/* spectral.c: centroid, bandwidth, rolloff of frames t0..t0+count-1 from
 * a batch of power spectra into rows (3 rows of T); mag: n_bins scratch. */
void mm_spectral_batch(const mm_audio_plan *plan, const double *power, size_t t0, size_t count,
                       size_t T, float *rows, double *mag);
/* rms and zcr rows (T each) of y. */
void mm_time_stats(const mm_audio_plan *plan, const float *y, size_t n, size_t T, float *rms,
                   float *zcr);
/* stats.c *//* Mean (and population std) of each of `rows` rows of length T. */
void mm_pool_rows(const float *x, size_t rows, size_t T, float *mean, float *std);

/* mfcc.c */
bool mm_audio_all_finite(const float *y, size_t n);

/* A growable float buffer reused across clips (decode and resampling). */
typedef struct mm_fbuf {
    float *data;
    size_t n, cap;
} mm_fbuf;

/* Ensures room for `need` floats, keeping the first b->n. */
bool mm_fbuf_reserve(mm_fbuf *b, size_t need);
void mm_fbuf_release(mm_fbuf *b);

/* decode.c / resample.c: the public calls, into a reused buffer (out->n is
 * set; out->data is valid on MM_OK). */
mm_status mm_decode_into(const char *path, double offset, double duration, double max_seconds,
                         mm_fbuf *out, int *sr_native, mm_error *err);
mm_status mm_resample_into(const float *x, size_t n, int in_rate, int out_rate, mm_fbuf *out,
                           mm_error *err);

#endif
