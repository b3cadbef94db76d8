/*
 * image/exif.c — the EXIF orientation tag (read with libexif) and the eight
 * orientations applied as PIL's ImageOps.exif_transpose applies them:
 * 2 mirror left-right, 3 rotate 180, 4 mirror top-bottom, 5 transpose,
 * 6 rotate 90 clockwise, 7 transverse, 8 rotate 90 counter-clockwise.
 */
#include "image/image_internal.h"

#include <libexif/exif-data.h>

int mm_img_exif_orientation(const uint8_t *app1, size_t len)
{
    if (!app1 || len < 6 || len > 0xFFFF) return 1;
    ExifData *ed = exif_data_new_from_data(app1, (unsigned int)len);
    if (!ed) return 1;
    int o = 1;
    ExifEntry *e = exif_data_get_entry(ed, EXIF_TAG_ORIENTATION);
    if (e && e->data && e->format == EXIF_FORMAT_SHORT && e->components >= 1 && e->size >= 2) {
        int v = exif_get_short(e->data, exif_data_get_byte_order(ed));
        if (v >= 1 && v <= 8) o = v;
    }
    exif_data_unref(ed);
    return o;
}

mm_status mm_img_orient(const mm_image *src, int o, mm_image *dst, mm_error *err)
{
    size_t w = src->width, h = src->height;
    bool transposed = o >= 5;
    mm_status st = mm_image_create(dst, transposed ? h : w, transposed ? w : h, err);
    if (st != MM_OK) return st;
    size_t ow = dst->width, oh = dst->height;
    for (size_t oy = 0; oy < oh; oy++) {
        uint8_t *d = dst->data + oy * ow * 3;
        for (size_t ox = 0; ox < ow; ox++) {
            size_t ix, iy;
            switch (o) {
            case 2: ix = w - 1 - ox; iy = oy; break;
            case 3: ix = w - 1 - ox; iy = h - 1 - oy; break;
            case 4: ix = ox; iy = h - 1 - oy; break;
            case 5: ix = oy; iy = ox; break;
            case 6: ix = oy; iy = h - 1 - ox; break;
            case 7: ix = w - 1 - oy; iy = h - 1 - ox; break;
            case 8: ix = w - 1 - oy; iy = ox; break;
            default: ix = ox; iy = oy; break;
            }
            const uint8_t *s = src->data + (iy * w + ix) * 3;
            d[ox * 3 + 0] = s[0];
            d[ox * 3 + 1] = s[1];
            d[ox * 3 + 2] = s[2];
        }
    }
    return MM_OK;
}
