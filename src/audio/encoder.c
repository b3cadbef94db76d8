/* The per-file audio encoder: decode + resample + pooled MFCC features
 * behind the mm_file_encoder interface (include/mmfuse/fileenc.h).
 *
 * The plan is immutable and shared. Scratch memory (decode and resampling
 * buffers, the analysis work area) lives in slots: encode takes a free slot
 * from the encoder's pool under a mutex (or makes one), works in it alone,
 * and puts it back, so with k threads at most k slots exist and buffers are
 * reused from file to file instead of being allocated and faulted in anew.
 * Which slot a call gets never changes its result: every buffer is
 * rewritten before it is read. */
#include "audio/audio_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* a slot holding more than this many floats of clip buffers gives them back
 * after the call (one very long file must not pin its memory) */
#define KEEP_FLOATS ((size_t)16 << 20)
enum { MAX_POOLED = 256 };

typedef struct enc_slot {
    mm_fbuf raw, res;
    mm_audio_work *w;
} enc_slot;

typedef struct audio_enc_state {
    mm_audio_plan *plan;
    pthread_mutex_t lock;
    enc_slot *free_slots[MAX_POOLED];
    size_t n_free;
} audio_enc_state;

static void slot_free(enc_slot *s)
{
    if (!s) return;
    mm_fbuf_release(&s->raw);
    mm_fbuf_release(&s->res);
    mm_audio_work_free(s->w);
    free(s);
}

static enc_slot *slot_take(audio_enc_state *S)
{
    enc_slot *s = NULL;
    pthread_mutex_lock(&S->lock);
    if (S->n_free) s = S->free_slots[--S->n_free];
    pthread_mutex_unlock(&S->lock);
    if (s) return s;
    s = calloc(1, sizeof *s);
    if (s && !(s->w = mm_audio_work_new())) {
        free(s);
        s = NULL;
    }
    return s;
}

static void slot_give(audio_enc_state *S, enc_slot *s)
{
    if (s->raw.cap + s->res.cap > KEEP_FLOATS) {
        mm_fbuf_release(&s->raw);
        mm_fbuf_release(&s->res);
    }
    pthread_mutex_lock(&S->lock);
    if (S->n_free < MAX_POOLED) {
        S->free_slots[S->n_free++] = s;
        s = NULL;
    }
    pthread_mutex_unlock(&S->lock);
    slot_free(s);
}

static mm_status encode_in(const audio_enc_state *S, enc_slot *slot, const char *path, float *out,
                           mm_error *err)
{
    const mm_audio_params *p = mm_audio_plan_params(S->plan);
    int sr_native = 0;
    mm_status st = mm_decode_into(path, p->offset, p->duration, p->max_duration, &slot->raw,
                                  &sr_native, err);
    if (st) return st;
    /* non-finite samples pass through the resampler and are refused by
     * mm_audio_features (MM_ENUMERIC) */
    const mm_fbuf *y = &slot->raw;
    if (sr_native != p->sr) {
        st = mm_resample_into(slot->raw.data, slot->raw.n, sr_native, p->sr, &slot->res, err);
        if (st) {
            mm_error_prefix(err, "%s", path);
            return st;
        }
        y = &slot->res;
    }
    st = mm_audio_features(S->plan, y->data, y->n, slot->w, out, err);
    if (st) mm_error_prefix(err, "%s", path);
    return st;
}

static mm_status audio_encode(const mm_file_encoder *e, const char *path, float *out,
                              mm_error *err)
{
    audio_enc_state *S = e->state;
    if (!path || !out) return mm_error_set(err, MM_EINVAL, "audio encoder: NULL argument");
    enc_slot *slot = slot_take(S);
    if (!slot) return mm_error_set(err, MM_ENOMEM, "%s: out of memory", path);
    mm_status st = encode_in(S, slot, path, out, err);
    slot_give(S, slot);
    return st;
}

static void audio_enc_free(mm_file_encoder *e)
{
    if (!e) return;
    audio_enc_state *S = e->state;
    if (S) {
        for (size_t i = 0; i < S->n_free; i++) slot_free(S->free_slots[i]);
        pthread_mutex_destroy(&S->lock);
        mm_audio_plan_free(S->plan);
    }
    free(S);
    free(e);
}

mm_status mm_audio_encoder_new(const mm_audio_params *p, mm_file_encoder **out, mm_error *err)
{
    *out = NULL;
    mm_file_encoder *e = calloc(1, sizeof *e);
    audio_enc_state *S = calloc(1, sizeof *S);
    if (!e || !S) {
        free(e);
        free(S);
        return mm_error_set(err, MM_ENOMEM, "out of memory (audio encoder)");
    }
    mm_status st = mm_audio_params_to_json(p, e->config, sizeof e->config, err);
    if (!st) st = mm_audio_plan_new(p, &S->plan, err);
    if (!st && pthread_mutex_init(&S->lock, NULL) != 0)
        st = mm_error_set(err, MM_ENOMEM, "audio encoder: cannot create a mutex");
    if (st) {
        mm_audio_plan_free(S->plan);
        free(S);
        free(e);
        return st;
    }
    e->kind = "mfcc";
    e->modality = MM_MOD_AUDIO;
    e->dim = mm_audio_params_dim(p);
    e->state = S;
    e->encode = audio_encode;
    e->free = audio_enc_free;
    *out = e;
    return MM_OK;
}
