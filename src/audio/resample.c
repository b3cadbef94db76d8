/* Sample-rate conversion as librosa.resample(res_type='soxr_hq') does it
 * through python-soxr's soxr.resample (numerics.md §8.1):
 *   - libsoxr, soxr_quality_spec(SOXR_HQ, 0), float32 in and out, one
 *     channel, default runtime (one thread);
 *   - input fed in chunks of int(48000 * in / out) frames, then one flush
 *     call into the room left in an output buffer of ceil(n * out / in);
 *   - the output cut or zero-padded at the end to ceil(n * (out / in))
 *     (librosa's fix_length).
 * Equal rates return a copy, as librosa returns the input untouched. */
#include "audio/audio_internal.h"

#include <math.h>
#include <soxr.h>
#include <stdlib.h>
#include <string.h>

mm_status mm_resample_into(const float *x, size_t n, int in_rate, int out_rate, mm_fbuf *ob,
                           mm_error *err)
{
    ob->n = 0;
    if (in_rate <= 0 || out_rate <= 0)
        return mm_error_set(err, MM_EINVAL, "resample: rates must be > 0 (got %d -> %d)", in_rate,
                            out_rate);
    if (in_rate == out_rate) {
        if (!mm_fbuf_reserve(ob, n ? n : 1))
            return mm_error_set(err, MM_ENOMEM, "out of memory (%zu samples)", n);
        if (n) memcpy(ob->data, x, n * sizeof(float));
        ob->n = n;
        return MM_OK;
    }
    const double in = (double)in_rate, out = (double)out_rate;
    /* librosa: int(np.ceil(n * (target_sr / orig_sr))) */
    double want_d = ceil((double)n * (out / in));
    /* python-soxr: the output buffer ceil(n * out / in), chunks of
     * int(48000 * in / out) input frames */
    double olen_d = ceil((double)n * out / in);
    if (!(want_d < 9.0e15) || !(olen_d < 9.0e15))
        return mm_error_set(err, MM_EINVAL, "resample: %zu samples at %d -> %d Hz is too long", n,
                            in_rate, out_rate);
    size_t want = (size_t)want_d, olen = (size_t)olen_d;
    size_t chunk = (size_t)(48000.0 * in / out);
    if (chunk == 0) chunk = 1;
    size_t cap = olen > want ? olen : want;
    if (!mm_fbuf_reserve(ob, cap ? cap : 1))
        return mm_error_set(err, MM_ENOMEM, "out of memory (%zu resampled samples)", cap);
    float *buf = ob->data;

    soxr_error_t e = NULL;
    soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
    soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ, 0);
    soxr_t s = soxr_create(in, out, 1, &e, &io, &q, NULL);
    if (!s || e) {
        if (s) soxr_delete(s);
        return mm_error_set(err, MM_ENUMERIC, "resample %d -> %d Hz: libsoxr: %s", in_rate, out_rate,
                            e ? e : "cannot create");
    }
    size_t pos = 0, idx = 0, done = 0;
    while (!e && idx + chunk < n) {
        e = soxr_process(s, x + idx, chunk, NULL, buf + pos, olen - pos, &done);
        pos += done;
        idx += chunk;
    }
    if (!e && idx < n) {
        e = soxr_process(s, x + idx, n - idx, NULL, buf + pos, olen - pos, &done);
        pos += done;
    }
    if (!e && pos < olen) {
        e = soxr_process(s, NULL, 0, NULL, buf + pos, olen - pos, &done);
        pos += done;
    }
    soxr_delete(s);
    if (e) return mm_error_set(err, MM_ENUMERIC, "resample %d -> %d Hz: libsoxr: %s", in_rate, out_rate, e);
    /* fix_length: zeros after what soxr produced, cut at want */
    for (size_t i = pos; i < want; i++) buf[i] = 0.0f;
    ob->n = want;
    return MM_OK;
}

mm_status mm_audio_resample(const float *x, size_t n, int in_rate, int out_rate, float **y,
                            size_t *n_out, mm_error *err)
{
    mm_fbuf b = {0};
    *y = NULL;
    *n_out = 0;
    mm_status st = mm_resample_into(x, n, in_rate, out_rate, &b, err);
    if (st) {
        mm_fbuf_release(&b);
        return st;
    }
    *y = b.data;
    *n_out = b.n;
    return MM_OK;
}
