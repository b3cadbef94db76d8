/* Short-time Fourier transform as librosa 0.10 frames it (center=True,
 * pad_mode='constant'): frame t covers y[t*hop - n_fft/2 .. t*hop + n_fft/2)
 * with zeros outside the signal, T = 1 + n / hop frames, each multiplied by
 * the float64 periodic Hann window before a float64 real FFT (numerics.md
 * §8.2 steps 1-3). Frames go through the FFT MM_FFT_LANES at a time; only
 * their power spectra are handed on, batch by batch, so the spectrogram is
 * never stored. */
#include "audio/audio_internal.h"

#include <stddef.h>

/* Packs one windowed frame starting at y[s] (s may be negative or run past
 * the end: those samples are 0) into one lane: z[j] = x[2j] + i x[2j+1],
 * real parts at zr[j * 2 LANES], imaginary at zi[j * 2 LANES]. */
static void pack_frame(const double *win, size_t n_fft, const float *y, size_t n, ptrdiff_t s,
                       double *zr, double *zi)
{
    const size_t PS = 2 * MM_FFT_LANES, m = n_fft / 2; /* PS: doubles per point */
    if (s >= 0 && (size_t)s <= n && n - (size_t)s >= n_fft) {
        const float *x = y + s;
        for (size_t j = 0; j < m; j++) {
            zr[j * PS] = win[2 * j] * (double)x[2 * j];
            zi[j * PS] = win[2 * j + 1] * (double)x[2 * j + 1];
        }
        return;
    }
    for (size_t j = 0; j < m; j++) {
        ptrdiff_t i0 = s + (ptrdiff_t)(2 * j), i1 = i0 + 1;
        double v0 = (i0 >= 0 && (size_t)i0 < n) ? (double)y[i0] : 0.0;
        double v1 = (i1 >= 0 && (size_t)i1 < n) ? (double)y[i1] : 0.0;
        zr[j * PS] = win[2 * j] * v0;
        zi[j * PS] = win[2 * j + 1] * v1;
    }
}

/* All MM_FFT_LANES frames starting at y[s], y[s + hop], ... lie inside y. */
MM_SIMD_CLONES static void pack_batch(const double *win, size_t n_fft, const float *y, size_t hop, double *z)
{
    const size_t L = MM_FFT_LANES, m = n_fft / 2;
    const float *x0 = y, *x1 = y + hop, *x2 = y + 2 * hop, *x3 = y + 3 * hop;
    for (size_t j = 0; j < m; j++) {
        const double we = win[2 * j], wo = win[2 * j + 1];
        double *r = z + j * 2 * L, *i = r + L;
        r[0] = we * (double)x0[2 * j];
        r[1] = we * (double)x1[2 * j];
        r[2] = we * (double)x2[2 * j];
        r[3] = we * (double)x3[2 * j];
        i[0] = wo * (double)x0[2 * j + 1];
        i[1] = wo * (double)x1[2 * j + 1];
        i[2] = wo * (double)x2[2 * j + 1];
        i[3] = wo * (double)x3[2 * j + 1];
    }
}

void mm_stft_power(const mm_audio_plan *plan, const float *y, size_t n, mm_audio_work *w,
                   mm_spectrum_fn fn, void *user)
{
    const size_t L = MM_FFT_LANES, n_fft = plan->n_fft, m = n_fft / 2, hop = plan->hop;
    const size_t T = mm_audio_n_frames(plan, n);
    _Static_assert(MM_FFT_LANES == 4, "pack_batch fills 4 lanes");
    for (size_t t0 = 0; t0 < T; t0 += L) {
        size_t count = T - t0 < L ? T - t0 : L;
        ptrdiff_t s0 = (ptrdiff_t)(t0 * hop) - (ptrdiff_t)(n_fft / 2);
        if (count == L && s0 >= 0 && (size_t)s0 + (L - 1) * hop + n_fft <= n) {
            pack_batch(plan->window, n_fft, y + s0, hop, w->z);
            mm_rfft_power4(&plan->fft, w->z, w->power);
            fn(t0, count, w->power, user);
            continue;
        }
        for (size_t l = 0; l < L; l++) {
            double *zr = w->z + l, *zi = w->z + L + l;
            if (l >= count) {
                for (size_t j = 0; j < m; j++) zr[j * 2 * L] = zi[j * 2 * L] = 0.0;
                continue;
            }
            ptrdiff_t s = (ptrdiff_t)((t0 + l) * hop) - (ptrdiff_t)(n_fft / 2);
            pack_frame(plan->window, n_fft, y, n, s, zr, zi);
        }
        mm_rfft_power4(&plan->fft, w->z, w->power);
        fn(t0, count, w->power, user);
    }
}
