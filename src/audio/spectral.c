/* The optional per-frame statistics (librosa 0.10 definitions, centered
 * frames of n_fft samples every hop_length):
 *   rms        librosa.feature.rms(y): sqrt(mean(x^2)) over each frame of
 *              the zero-padded signal, no window
 *   zcr        librosa.feature.zero_crossing_rate(y): the signal is padded
 *              by repeating its edge samples; in each frame values with
 *              |x| <= 1e-10 become 0, a crossing is a change of sign bit
 *              between neighbours (0 is positive), the first position never
 *              counts, and the count is divided by n_fft
 *   centroid   spectral_centroid: sum_k f_k S_k / sum_k S_k
 *   bandwidth  spectral_bandwidth (p = 2): sqrt(sum_k S_k/sum S (f_k - c)^2)
 *   rolloff    spectral_rolloff (0.85): the first f_k where the float32
 *              running sum of S reaches 0.85 * the frame's total (float32)
 * S is the magnitude spectrum |X| of the same windowed frames as the MFCC
 * (rounded to float32, as librosa's spectrogram is); a frame whose sum of S
 * is below float32's smallest normal keeps S unnormalized (librosa's
 * normalize), which makes centroid and bandwidth 0 on silence. */
#include "audio/audio_internal.h"

#include <float.h>
#include <math.h>

void mm_spectral_batch(const mm_audio_plan *plan, const double *power, size_t t0, size_t count,
                       size_t T, float *rows, double *mag)
{
    const size_t L = MM_FFT_LANES, nb = plan->n_bins;
    const double *f = plan->freq;
    for (size_t l = 0; l < count; l++) {
        double len = 0.0;
        for (size_t k = 0; k < nb; k++) {
            mag[k] = (double)(float)sqrt(power[k * L + l]);
            len += mag[k];
        }
        if (len < (double)FLT_MIN) len = 1.0;
        double c = 0.0;
        for (size_t k = 0; k < nb; k++) c += f[k] * (mag[k] / len);
        double bw = 0.0;
        for (size_t k = 0; k < nb; k++) {
            double d = f[k] - c;
            bw += (mag[k] / len) * d * d;
        }
        float cum = 0.0f;
        for (size_t k = 0; k < nb; k++) cum += (float)mag[k];
        float thr = 0.85f * cum;
        float run = 0.0f;
        size_t kr = nb - 1;
        for (size_t k = 0; k < nb; k++) {
            run += (float)mag[k];
            if (!(run < thr)) {
                kr = k;
                break;
            }
        }
        rows[0 * T + t0 + l] = (float)c;
        rows[1 * T + t0 + l] = (float)sqrt(bw);
        rows[2 * T + t0 + l] = (float)f[kr];
    }
}

void mm_time_stats(const mm_audio_plan *plan, const float *y, size_t n, size_t T, float *rms,
                   float *zcr)
{
    const size_t n_fft = plan->n_fft, hop = plan->hop, half = n_fft / 2;
    for (size_t t = 0; t < T; t++) {
        ptrdiff_t s = (ptrdiff_t)(t * hop) - (ptrdiff_t)half;
        double ss = 0.0;
        size_t crossings = 0;
        bool prev_neg = false;
        for (size_t j = 0; j < n_fft; j++) {
            ptrdiff_t i = s + (ptrdiff_t)j;
            double v = (i >= 0 && (size_t)i < n) ? (double)y[i] : 0.0;
            ss += v * v;
            /* zcr: edge padding (the clip is never empty here) */
            size_t ie = i < 0 ? 0 : ((size_t)i >= n ? n - 1 : (size_t)i);
            float e = n ? y[ie] : 0.0f;
            bool neg = fabsf(e) <= 1e-10f ? false : signbit(e) != 0;
            if (j > 0 && neg != prev_neg) crossings++;
            prev_neg = neg;
        }
        rms[t] = (float)sqrt(ss / (double)n_fft);
        zcr[t] = (float)((double)crossings / (double)n_fft);
    }
}
