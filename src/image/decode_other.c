/*
 * image/decode_other.c — the formats without a dedicated library here: BMP,
 * GIF (first frame), binary PNM (P5/P6) and TGA, through stb_image (the
 * header-only implementation compiled into this file, private to it).
 *
 * stb_image is built with failure strings off (its failure reason is a
 * shared variable otherwise) and only the four loaders above. Dimensions
 * are read with stbi_info first and checked against the limits before any
 * pixel buffer exists. Values equal PIL's for ordinary 8-bit files; unusual
 * variants (16-bit PNM, GIF transparency) follow stb's conversions.
 */
#include "image/image_internal.h"

#include <limits.h>
#include <stdlib.h>

#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_STATIC
#define STBI_NO_STDIO
#define STBI_NO_FAILURE_STRINGS
#define STBI_NO_LINEAR
#define STBI_NO_HDR
#define STBI_ONLY_BMP
#define STBI_ONLY_GIF
#define STBI_ONLY_PNM
#define STBI_ONLY_TGA
#if defined(__GNUC__)
/* stb declares static prototypes for loaders compiled out; GCC reports them
 * at the end of the file, so this one stays off for the whole file */
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#pragma GCC diagnostic ignored "-Wtype-limits"
#endif
#include <stb/stb_image.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

mm_status mm_img_decode_stb(const uint8_t *buf, size_t len, mm_image_format f,
                            const mm_img_decode_ctx *c, mm_image *out, mm_image_info *info,
                            mm_error *err)
{
    const char *fname = mm_image_format_name(f);
    if (len > INT_MAX)
        return mm_error_set(err, MM_EFORMAT, "%s: %s file too large", c->name, fname);
    int w = 0, h = 0, n = 0;
    if (!stbi_info_from_memory(buf, (int)len, &w, &h, &n))
        return mm_error_set(err, MM_EFORMAT, "%s: bad or unsupported %s data", c->name, fname);
    info->width = w > 0 ? (size_t)w : 0;
    info->height = h > 0 ? (size_t)h : 0;
    info->channels = n;
    info->bit_depth = 8;
    mm_status st = mm_img_check_dims(c->name, fname, info->width, info->height, &c->lim, err);
    if (st != MM_OK) return st;
    int w2 = 0, h2 = 0, n2 = 0;
    stbi_uc *px = stbi_load_from_memory(buf, (int)len, &w2, &h2, &n2, 3);
    if (!px)
        return mm_error_set(err, MM_EFORMAT, "%s: bad %s: corrupt or truncated data", c->name,
                            fname);
    if (w2 != w || h2 != h) {
        stbi_image_free(px);
        return mm_error_set(err, MM_EFORMAT, "%s: bad %s: inconsistent size", c->name, fname);
    }
    st = mm_image_create(out, (size_t)w, (size_t)h, err);
    if (st == MM_OK) memcpy(out->data, px, (size_t)w * (size_t)h * 3);
    else mm_error_prefix(err, "%s", c->name);
    stbi_image_free(px);
    return st;
}
