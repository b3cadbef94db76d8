/* The analysis plan (everything the parameters fix) and the reusable work
 * area (everything that depends on a clip's length). */
#include "audio/audio_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MM_PI 3.14159265358979323846

/* scipy.signal.get_window('hann', n, fftbins=True): 0.5 + 0.5 cos(fac) with
 * fac = linspace(-pi, pi, n + 1)[:n], evaluated the way scipy does. */
static void hann_periodic(double *w, size_t n)
{
    double step = (MM_PI - -MM_PI) / (double)n;
    for (size_t j = 0; j < n; j++) w[j] = 0.5 + 0.5 * cos((double)j * step + -MM_PI);
}

mm_status mm_audio_plan_new(const mm_audio_params *p, mm_audio_plan **out, mm_error *err)
{
    *out = NULL;
    mm_status st = mm_audio_params_check(p, err);
    if (st) return st;
    mm_audio_plan *plan = calloc(1, sizeof *plan);
    if (!plan) return mm_error_set(err, MM_ENOMEM, "out of memory (audio plan)");
    plan->p = *p;
    if (!(plan->p.fmax > 0.0)) plan->p.fmax = (double)p->sr / 2.0;
    plan->n_fft = (size_t)p->n_fft;
    plan->hop = (size_t)p->hop_length;
    plan->n_bins = plan->n_fft / 2 + 1;
    plan->n_mels = (size_t)p->n_mels;
    plan->n_mfcc = (size_t)p->n_mfcc;
    plan->window = mm_alloc_array(plan->n_fft, sizeof(double));
    plan->freq = mm_alloc_array(plan->n_bins, sizeof(double));
    if (!plan->window || !plan->freq) {
        mm_audio_plan_free(plan);
        return mm_error_set(err, MM_ENOMEM, "out of memory (audio plan)");
    }
    hann_periodic(plan->window, plan->n_fft);
    /* numpy.fft.rfftfreq(n_fft, 1/sr): k * (1 / (n_fft * (1/sr))) */
    double val = 1.0 / ((double)plan->n_fft * (1.0 / (double)p->sr));
    for (size_t k = 0; k < plan->n_bins; k++) plan->freq[k] = (double)k * val;
    st = mm_rfft_init(&plan->fft, plan->n_fft, true, err);
    if (!st) st = mm_mel_build(plan, err);
    if (!st) st = mm_dct_build(plan, err);
    if (st) {
        mm_audio_plan_free(plan);
        return st;
    }
    *out = plan;
    return MM_OK;
}

void mm_audio_plan_free(mm_audio_plan *plan)
{
    if (!plan) return;
    free(plan->window);
    free(plan->freq);
    mm_rfft_release(&plan->fft);
    free(plan->mel_lo);
    free(plan->mel_len);
    free(plan->mel_off);
    free(plan->mel_w);
    free(plan->mel_wd);
    free(plan->dct);
    free(plan);
}

const mm_audio_params *mm_audio_plan_params(const mm_audio_plan *plan)
{
    return &plan->p;
}

size_t mm_audio_n_frames(const mm_audio_plan *plan, size_t n)
{
    return 1 + n / plan->hop;
}

mm_audio_work *mm_audio_work_new(void)
{
    return calloc(1, sizeof(mm_audio_work));
}

static void work_release(mm_audio_work *w)
{
    free(w->z);
    free(w->mag);
    free(w->power);
    free(w->melpow);
    free(w->db);
    free(w->mel_db);
    free(w->feats);
    free(w->acc);
}

void mm_audio_work_free(mm_audio_work *w)
{
    if (!w) return;
    work_release(w);
    free(w);
}

/* 64-byte aligned array of a * b bytes, NULL on overflow or failure. */
static void *aligned_array(size_t a, size_t b)
{
    size_t bytes;
    if (!mm_size_mul(a, b, &bytes)) return NULL;
    bytes = (bytes + 63) & ~(size_t)63;
    if (bytes == 0) bytes = 64;
    return aligned_alloc(64, bytes);
}

mm_status mm_audio_work_reserve(mm_audio_work *w, const mm_audio_plan *plan, size_t n,
                                mm_error *err)
{
    const size_t L = MM_FFT_LANES;
    if (w->cap_fft < plan->n_fft || w->cap_mels < plan->n_mels) {
        size_t nm = plan->n_mels > w->cap_mels ? plan->n_mels : w->cap_mels;
        size_t nf = plan->n_fft > w->cap_fft ? plan->n_fft : w->cap_fft;
        free(w->z);
        free(w->mag);
        free(w->power);
        free(w->melpow);
        free(w->db);
        size_t m = nf / 2;
        w->z = aligned_array(2 * m * L, sizeof(double));
        w->mag = aligned_array(m + 1, sizeof(double));
        w->power = aligned_array((m + 1) * L, sizeof(double));
        w->melpow = aligned_array(nm * L, sizeof(double));
        w->db = aligned_array(nm * L, sizeof(double));
        if (!w->z || !w->mag || !w->power || !w->melpow || !w->db) {
            work_release(w);
            memset(w, 0, sizeof *w);
            return mm_error_set(err, MM_ENOMEM, "out of memory (audio work area)");
        }
        w->cap_fft = nf;
        w->cap_mels = nm;
        w->cap_frames = 0; /* per-clip buffers are re-sized below */
        free(w->mel_db);
        free(w->feats);
        free(w->acc);
        w->mel_db = NULL;
        w->feats = NULL;
        w->acc = NULL;
    }
    size_t T = mm_audio_n_frames(plan, n);
    size_t rows = 3 * plan->n_mfcc + 5;
    if (T > w->cap_frames || rows > w->cap_rows) {
        size_t nt = T > w->cap_frames ? T : w->cap_frames;
        size_t nr = rows > w->cap_rows ? rows : w->cap_rows;
        /* grow geometrically so a run of slowly growing clips stays linear */
        if (nt > w->cap_frames && nt < w->cap_frames + w->cap_frames / 2)
            nt = w->cap_frames + w->cap_frames / 2;
        free(w->mel_db);
        free(w->feats);
        free(w->acc);
        size_t cells;
        bool ok = mm_size_mul(w->cap_mels, nt, &cells);
        w->mel_db = ok ? aligned_array(cells, sizeof(float)) : NULL;
        ok = ok && mm_size_mul(nr, nt, &cells);
        w->feats = ok ? aligned_array(cells, sizeof(float)) : NULL;
        w->acc = aligned_array(nt, sizeof(double));
        if (!w->mel_db || !w->feats || !w->acc) {
            work_release(w);
            memset(w, 0, sizeof *w);
            return mm_error_set(err, MM_ENOMEM, "out of memory (audio work area for %zu frames)", T);
        }
        w->cap_frames = nt;
        w->cap_rows = nr;
    }
    return MM_OK;
}
