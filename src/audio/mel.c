/* Slaney mel filterbank (librosa.filters.mel with htk=False, norm='slaney',
 * dtype float32).
 *
 * Every intermediate is formed as numpy forms it (rfftfreq's 1/(n*(1/sr))
 * bin spacing, linspace's i*step + start with the exact end point, the
 * weight rounded to float32 before the float64 area normalisation and
 * rounded again), so the float32 weights equal librosa's bit for bit in all
 * the cases we compared. Stored sparse: each band keeps only the run of
 * bins where its triangle is non-zero. */
#include "audio/audio_internal.h"

#include <math.h>
#include <stdlib.h>

#define MIN_LOG_HZ 1000.0
#define F_SP (200.0 / 3.0)

static double logstep(void)
{
    return log(6.4) / 27.0;
}

double mm_hz_to_mel(double hz)
{
    double min_log_mel = MIN_LOG_HZ / F_SP;
    if (hz >= MIN_LOG_HZ) return min_log_mel + log(hz / MIN_LOG_HZ) / logstep();
    return hz / F_SP;
}

double mm_mel_to_hz(double mel)
{
    double min_log_mel = MIN_LOG_HZ / F_SP;
    if (mel >= min_log_mel) return MIN_LOG_HZ * exp(logstep() * (mel - min_log_mel));
    return F_SP * mel;
}

mm_status mm_mel_build(mm_audio_plan *plan, mm_error *err)
{
    const size_t n_mels = plan->n_mels, n_bins = plan->n_bins;
    double *mel_f = mm_alloc_array(n_mels + 2, sizeof(double));
    float *dense = mm_alloc_array(n_mels, n_bins * sizeof(float));
    plan->mel_lo = mm_calloc_array(n_mels, sizeof(size_t));
    plan->mel_len = mm_calloc_array(n_mels, sizeof(size_t));
    plan->mel_off = mm_calloc_array(n_mels, sizeof(size_t));
    if (!mel_f || !dense || !plan->mel_lo || !plan->mel_len || !plan->mel_off) {
        free(mel_f);
        free(dense);
        return mm_error_set(err, MM_ENOMEM, "out of memory (mel filterbank)");
    }
    /* band edges: mel_to_hz(linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2)) */
    double lo = mm_hz_to_mel(plan->p.fmin), hi = mm_hz_to_mel(plan->p.fmax);
    double step = (hi - lo) / (double)(n_mels + 1);
    for (size_t i = 0; i < n_mels + 2; i++) {
        double m = i == n_mels + 1 ? hi : (double)i * step + lo;
        mel_f[i] = mm_mel_to_hz(m);
    }
    size_t total = 0;
    for (size_t i = 0; i < n_mels; i++) {
        double fd0 = mel_f[i + 1] - mel_f[i], fd1 = mel_f[i + 2] - mel_f[i + 1];
        double enorm = 2.0 / (mel_f[i + 2] - mel_f[i]);
        size_t first = n_bins, last = 0;
        for (size_t k = 0; k < n_bins; k++) {
            double f = plan->freq[k];
            double lower = -(mel_f[i] - f) / fd0;
            double upper = (mel_f[i + 2] - f) / fd1;
            double v = fmin(lower, upper);
            if (!(v > 0.0)) v = 0.0;
            float w = (float)((double)(float)v * enorm);
            dense[i * n_bins + k] = w;
            if (w != 0.0f) {
                if (first == n_bins) first = k;
                last = k;
            }
        }
        if (first == n_bins) { /* an empty band (librosa warns): no bins */
            plan->mel_lo[i] = 0;
            plan->mel_len[i] = 0;
        } else {
            plan->mel_lo[i] = first;
            plan->mel_len[i] = last - first + 1;
        }
        plan->mel_off[i] = total;
        total += plan->mel_len[i];
    }
    plan->mel_w = mm_alloc_array(total ? total : 1, sizeof(float));
    plan->mel_wd = mm_alloc_array(total ? total : 1, sizeof(double));
    if (!plan->mel_w || !plan->mel_wd) {
        free(mel_f);
        free(dense);
        return mm_error_set(err, MM_ENOMEM, "out of memory (mel filterbank)");
    }
    for (size_t i = 0; i < n_mels; i++)
        for (size_t j = 0; j < plan->mel_len[i]; j++)
            plan->mel_wd[plan->mel_off[i] + j] = plan->mel_w[plan->mel_off[i] + j] =
                dense[i * n_bins + plan->mel_lo[i] + j];
    free(mel_f);
    free(dense);
    return MM_OK;
}

MM_SIMD_CLONES void mm_mel_apply4(const mm_audio_plan *plan, const double *power, double *melpow)
{
    const size_t L = MM_FFT_LANES;
    for (size_t i = 0; i < plan->n_mels; i++) {
        double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        const double *w = plan->mel_wd + plan->mel_off[i];
        const double *p = power + plan->mel_lo[i] * L;
        for (size_t j = 0; j < plan->mel_len[i]; j++, p += L) {
            double wj = w[j];
            a0 += wj * p[0];
            a1 += wj * p[1];
            a2 += wj * p[2];
            a3 += wj * p[3];
        }
        melpow[i * L + 0] = a0;
        melpow[i * L + 1] = a1;
        melpow[i * L + 2] = a2;
        melpow[i * L + 3] = a3;
    }
}
