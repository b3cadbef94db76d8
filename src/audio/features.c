/* One clip's pooled feature vector: MFCC, deltas of order 1 and 2, mean and
 * std over time in the reference article's layout, then the optional extra
 * statistics (see include/mmfuse/audio.h). */
#include "audio/audio_internal.h"

#include <string.h>

/* Rows of w->feats: [mfcc | d1 | d2] (3 n_mfcc rows), then rms, zcr,
 * centroid, bandwidth, rolloff; every row T long. */
static mm_status prepare(const mm_audio_plan *plan, const float *y, size_t n, mm_audio_work *w,
                         mm_error *err)
{
    if (!mm_audio_all_finite(y, n))
        return mm_error_set(err, MM_ENUMERIC, "audio buffer is not finite everywhere");
    return mm_audio_work_reserve(w, plan, n, err);
}

mm_status mm_audio_frame_stats(const mm_audio_plan *plan, const float *y, size_t n,
                               mm_audio_work *w, float *out, mm_error *err)
{
    mm_status st = prepare(plan, y, n, w, err);
    if (st) return st;
    size_t T = mm_audio_n_frames(plan, n);
    mm_mfcc_run(plan, y, n, w, w->feats, out + 2 * T);
    mm_time_stats(plan, y, n, T, out, out + T);
    return MM_OK;
}

mm_status mm_audio_features(const mm_audio_plan *plan, const float *y, size_t n, mm_audio_work *w,
                            float *out, mm_error *err)
{
    const mm_audio_params *p = &plan->p;
    size_t T = mm_audio_n_frames(plan, n);
    if (T < (size_t)p->delta_width)
        return mm_error_set(err, MM_EFORMAT, "too short (%zu frames, need %d)", T, p->delta_width);
    mm_status st = prepare(plan, y, n, w, err);
    if (st) return st;
    const size_t nq = plan->n_mfcc, nr = 3 * nq;
    float *feats = w->feats, *extra = w->feats + nr * T;
    mm_mfcc_run(plan, y, n, w, feats, p->extra_stats ? extra + 2 * T : NULL);
    st = mm_audio_delta(feats, nq, T, p->delta_width, 1, feats + nq * T, err);
    if (!st) st = mm_audio_delta(feats, nq, T, p->delta_width, 2, feats + 2 * nq * T, err);
    if (st) return st;
    bool with_std = p->pooling == MM_AUDIO_POOL_MEAN_STD;
    mm_pool_rows(feats, nr, T, out, with_std ? out + nr : NULL);
    if (p->extra_stats) {
        mm_time_stats(plan, y, n, T, extra, extra + T);
        float *dst = out + (with_std ? 2 * nr : nr);
        mm_pool_rows(extra, 5, T, dst, with_std ? dst + 5 : NULL);
    }
    return MM_OK;
}
