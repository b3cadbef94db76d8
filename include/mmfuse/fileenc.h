/*
 * mmfuse/fileenc.h — per-file encoders: the interface through which the
 * modalities stored as files (audio, image, video) become feature blocks.
 *
 * A per-file encoder is stateless with respect to the data: it maps one file
 * to a fixed-length float32 vector and needs no fitting, so the pipeline
 * computes each file's vector once (in parallel across files, cached on disk
 * keyed by the file's content and the encoder's configuration) and every CV
 * fold reuses it. A file that cannot be used (missing, unreadable, corrupt,
 * unsupported, too short...) is not an error of the run: encode returns a
 * non-OK status with a message naming the file, the row's modality is marked
 * absent, and the pipeline counts and reports it.
 *
 * An encoder object is immutable after creation and its encode function
 * must be safe to call from several threads at once (per-call scratch
 * memory only, or per-thread scratch obtained inside encode).
 *
 * Implementing one (e.g. in src/audio/):
 *     static mm_status my_encode(const mm_file_encoder *e, const char *path,
 *                                float *out, mm_error *err) { ... }
 *     static void my_free(mm_file_encoder *e) { free(e->state); free(e); }
 *     mm_status mm_audio_encoder_new(const mm_audio_params *p,
 *                                    mm_file_encoder **out, mm_error *err) {
 *         mm_file_encoder *e = calloc(1, sizeof *e);
 *         e->kind = "mfcc"; e->modality = MM_MOD_AUDIO; e->dim = 78;
 *         snprintf(e->config, sizeof e->config, "{\"sr\":%d,...}", ...);
 *         e->encode = my_encode; e->free = my_free; e->state = copy of p;
 *         *out = e; return MM_OK;
 *     }
 */
#ifndef MMFUSE_FILEENC_H
#define MMFUSE_FILEENC_H

#include "mmfuse/block.h"
#include "mmfuse/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mm_file_encoder mm_file_encoder;

struct mm_file_encoder {
    const char *kind;      /* short name, e.g. "mfcc", "image-handcrafted"     */
    mm_modality modality;
    size_t dim;            /* length of every output vector                   */
    char config[1024];     /* canonical JSON of every parameter that changes
                              the output (cache key, model file)               */
    void *state;           /* encoder-owned, immutable                         */
    /* Encodes the file at path into out[0..dim). Thread-safe. A non-OK
     * status means "this file is unusable" (message names the file). */
    mm_status (*encode)(const mm_file_encoder *e, const char *path, float *out, mm_error *err);
    /* Releases the encoder (state included). */
    void (*free)(mm_file_encoder *e);
    /* Optional (NULL for one-file-at-a-time encoders): encodes n files at
     * once, out is n x dim, status[i] / errs[i] tell per file whether its
     * row of out is valid. For encoders that gain from batching (a network
     * runs the files as one batch). Called by one thread at a time; it
     * uses up to n_threads threads itself. */
    void (*encode_batch)(const mm_file_encoder *e, const char *const *paths, size_t n, float *out,
                         mm_status *status, mm_error *errs, int n_threads);
    size_t batch;          /* files per encode_batch call                     */
};

static inline void mm_file_encoder_free(mm_file_encoder *e)
{
    if (e && e->free) e->free(e);
}

#ifdef __cplusplus
}
#endif
#endif
