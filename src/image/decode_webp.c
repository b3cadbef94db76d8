/*
 * image/decode_webp.c — still WebP (lossy, lossless, with or without alpha)
 * through libwebp. PIL 9.4 decodes through WebPAnimDecoder, whose first
 * frame is a plain WebPDecode into RGBA with the default (fancy) upsampling;
 * WebPDecodeRGBInto gives the same colour values, and the alpha channel is
 * dropped by convert('RGB') anyway. Animated files are not supported (the
 * demux library would be needed for their frames).
 */
#include "image/image_internal.h"

#include <webp/decode.h>

mm_status mm_img_decode_webp(const uint8_t *buf, size_t len, const mm_img_decode_ctx *c,
                             mm_image *out, mm_image_info *info, mm_error *err)
{
    WebPBitstreamFeatures f;
    VP8StatusCode vs = WebPGetFeatures(buf, len, &f);
    if (vs == VP8_STATUS_NOT_ENOUGH_DATA)
        return mm_error_set(err, MM_EFORMAT, "%s: bad WebP: truncated header", c->name);
    if (vs != VP8_STATUS_OK)
        return mm_error_set(err, MM_EFORMAT, "%s: bad WebP: unreadable header (status %d)",
                            c->name, (int)vs);
    if (f.width <= 0 || f.height <= 0)
        return mm_error_set(err, MM_EFORMAT, "%s: bad WebP: zero size", c->name);
    info->width = (size_t)f.width;
    info->height = (size_t)f.height;
    info->channels = f.has_alpha ? 4 : 3;
    info->bit_depth = 8;
    if (f.has_animation)
        return mm_error_set(err, MM_EUNSUPPORTED, "%s: animated WebP is not supported", c->name);
    mm_status st = mm_img_check_dims(c->name, "WebP", (uint64_t)f.width, (uint64_t)f.height,
                                     &c->lim, err);
    if (st != MM_OK) return st;
    st = mm_image_create(out, (size_t)f.width, (size_t)f.height, err);
    if (st != MM_OK) {
        mm_error_prefix(err, "%s", c->name);
        return st;
    }
    size_t stride = (size_t)f.width * 3;
    if (stride > 0x7fffffff)
        return mm_error_set(err, MM_EFORMAT, "%s: WebP row too long", c->name);
    if (!WebPDecodeRGBInto(buf, len, out->data, stride * (size_t)f.height, (int)stride))
        return mm_error_set(err, MM_EFORMAT, "%s: bad WebP: corrupt or truncated data", c->name);
    return MM_OK;
}
