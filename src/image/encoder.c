/*
 * image/encoder.c — the "image-handcrafted" per-file encoder (fileenc.h):
 * decode (DCT-scaled towards the working size when enabled) then
 * mm_image_features. State is an immutable copy of the params; every call
 * uses its own buffers, so encode is thread-safe.
 */
#include "image/image_internal.h"

#include <stdio.h>
#include <stdlib.h>

static mm_status image_encode(const mm_file_encoder *e, const char *path, float *out,
                              mm_error *err)
{
    const mm_image_params *p = e->state;
    if (!path) return mm_error_set(err, MM_EINVAL, "image encoder: NULL path");
    mm_decode_options opt = mm_decode_options_default();
    opt.exif_orientation = p->exif_orientation;
    opt.dct_scaling = p->dct_scaling;
    opt.draft_width = p->size;
    opt.draft_height = p->size;
    mm_image img = {0};
    mm_status st = mm_image_decode_file(path, &p->limits, &opt, &img, NULL, err);
    if (st == MM_OK) {
        st = mm_image_features(p, &img, out, err);
        if (st != MM_OK) mm_error_prefix(err, "%s", path);
    }
    mm_image_free(&img);
    return st;
}

static void image_free(mm_file_encoder *e)
{
    if (!e) return;
    free(e->state);
    free(e);
}

mm_status mm_image_encoder_new(const mm_image_params *p, mm_file_encoder **out, mm_error *err)
{
    if (!out) return mm_error_set(err, MM_EINVAL, "image encoder: NULL output");
    *out = NULL;
    mm_status st = mm_image_params_check(p, err);
    if (st != MM_OK) return st;
    mm_file_encoder *e = calloc(1, sizeof *e);
    mm_image_params *copy = malloc(sizeof *copy);
    if (!e || !copy) {
        free(e);
        free(copy);
        return mm_error_set(err, MM_ENOMEM, "image encoder: out of memory");
    }
    *copy = *p;
    e->kind = "image-handcrafted";
    e->modality = MM_MOD_IMAGE;
    e->dim = mm_image_features_dim(p);
    st = mm_image_params_to_json(p, e->config, sizeof e->config, err);
    if (st != MM_OK) {
        free(e);
        free(copy);
        return st;
    }
    e->state = copy;
    e->encode = image_encode;
    e->free = image_free;
    *out = e;
    return MM_OK;
}
