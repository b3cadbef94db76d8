/*
 * image/decode_png.c — PNG through libpng, converted to RGB with PIL 9.4's
 * rules (PngImagePlugin's mode table, then convert('RGB')):
 *   gray 1/2/4/8   -> L (low depths scaled x255, x85, x17) -> (v, v, v)
 *   gray 16        -> I -> clip(v, 0, 255) replicated
 *   gray+alpha     -> LA / RGBA via "LA;16B" (high byte), alpha dropped
 *   RGB, RGBA 16   -> high byte of each sample, alpha dropped
 *   palette        -> PLTE lookup (indices past PLTE: (i, i, i)), tRNS
 *                     ignored
 * libpng's gamma, sBIT and tRNS transforms are never requested, as PIL
 * applies none of them.
 *
 * libpng's error callback longjmps back here; reading past the end of the
 * buffer is an error (truncated file), never a silent zero fill. Chunk CRCs
 * are checked as libpng does by default; the zlib Adler-32 is not (PIL does
 * not check it either).
 */
#include "image/image_internal.h"

#include <png.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct png_src {
    const uint8_t *p;
    size_t len, pos;
    char msg[200];
} png_src;

static void on_read(png_structp png, png_bytep out, size_t n)
{
    png_src *s = png_get_io_ptr(png);
    if (n > s->len - s->pos) png_error(png, "truncated PNG data (premature end of file)");
    memcpy(out, s->p + s->pos, n);
    s->pos += n;
}

static void on_error(png_structp png, png_const_charp msg)
{
    png_src *s = png_get_error_ptr(png);
    snprintf(s->msg, sizeof s->msg, "%s", msg ? msg : "error");
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

/* Converts one decoded row (after our libpng transforms) to RGB. */
static void row_to_rgb(int ctype, int depth, const uint8_t *in, size_t w, const uint8_t *pal,
                       uint8_t *out)
{
    switch (ctype) {
    case PNG_COLOR_TYPE_GRAY:
        if (depth == 16) mm_img_gray16_to_rgb(in, w, out);
        else mm_img_gray_to_rgb(in, w, out);
        break;
    case PNG_COLOR_TYPE_GRAY_ALPHA: mm_img_ga_to_rgb(in, w, out); break;
    case PNG_COLOR_TYPE_RGB_ALPHA: mm_img_drop_alpha(in, w, out); break;
    case PNG_COLOR_TYPE_PALETTE: mm_img_palette_to_rgb(in, w, pal, out); break;
    default: memcpy(out, in, w * 3); break;
    }
}

mm_status mm_img_decode_png(const uint8_t *buf, size_t len, const mm_img_decode_ctx *c,
                            mm_image *out, mm_image_info *info, mm_error *err)
{
    png_src src = {buf, len, 0, {0}};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &src, on_error, on_warning);
    if (!png) return mm_error_set(err, MM_ENOMEM, "%s: out of memory", c->name);
    png_infop pinfo = png_create_info_struct(png);
    if (!pinfo) {
        png_destroy_read_struct(&png, NULL, NULL);
        return mm_error_set(err, MM_ENOMEM, "%s: out of memory", c->name);
    }
    uint8_t *volatile row = NULL;     /* one decoded row                 */
    uint8_t *volatile full = NULL;    /* whole decoded image (interlace) */
    png_bytep *volatile rows = NULL;  /* row pointers into full          */
    uint8_t *volatile pal = NULL;     /* 256-entry palette               */
    volatile mm_status st = MM_OK;

    if (setjmp(png_jmpbuf(png))) {
        if (st == MM_OK)
            st = mm_error_set(err, MM_EFORMAT, "%s: bad PNG: %s", c->name, src.msg);
        png_destroy_read_struct(&png, &pinfo, NULL);
        free(row);
        free(full);
        free(rows);
        free(pal);
        return st;
    }
    png_set_read_fn(png, &src, on_read);
    png_set_user_limits(png, 0x7fffffffu, 0x7fffffffu);
#if defined(PNG_SET_OPTION_SUPPORTED) && defined(PNG_IGNORE_ADLER32)
    /* PIL stops inflating after the last row and never checks the zlib
     * Adler-32; skipping it here too saves a pass over the pixel data */
    png_set_option(png, PNG_IGNORE_ADLER32, PNG_OPTION_ON);
#endif
    png_read_info(png, pinfo);

    png_uint_32 w32, h32;
    int depth, ctype, interlace;
    png_get_IHDR(png, pinfo, &w32, &h32, &depth, &ctype, &interlace, NULL, NULL);
    info->width = w32;
    info->height = h32;
    info->bit_depth = depth;
    info->channels = png_get_channels(png, pinfo);
    info->palette = ctype == PNG_COLOR_TYPE_PALETTE;
    if (info->palette) info->channels = 3;
    if (mm_img_check_dims(c->name, "PNG", w32, h32, &c->lim, err) != MM_OK) {
        st = MM_EFORMAT;
        png_longjmp(png, 1);
    }
    size_t w = w32, h = h32;

    if (depth == 16 && ctype != PNG_COLOR_TYPE_GRAY) png_set_strip_16(png);
    if (ctype == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (ctype == PNG_COLOR_TYPE_PALETTE) {
        if (depth < 8) png_set_packing(png);
        pal = calloc(768, 1);
        if (!pal) {
            st = mm_error_set(err, MM_ENOMEM, "%s: out of memory", c->name);
            png_longjmp(png, 1);
        }
        png_colorp plte = NULL;
        int n_plte = 0;
        if (png_get_PLTE(png, pinfo, &plte, &n_plte) == 0 || !plte) {
            st = mm_error_set(err, MM_EFORMAT, "%s: bad PNG: palette image without PLTE",
                              c->name);
            png_longjmp(png, 1);
        }
        /* PIL's palette starts as a gray ramp: indices past PLTE read (i, i, i) */
        for (int i = 0; i < 256; i++) pal[3 * i] = pal[3 * i + 1] = pal[3 * i + 2] = (uint8_t)i;
        for (int i = 0; i < n_plte && i < 256; i++) {
            pal[3 * i + 0] = plte[i].red;
            pal[3 * i + 1] = plte[i].green;
            pal[3 * i + 2] = plte[i].blue;
        }
    }
    int passes = png_set_interlace_handling(png);
    png_read_update_info(png, pinfo);
    size_t rowbytes = png_get_rowbytes(png, pinfo);
    int out_depth = png_get_bit_depth(png, pinfo);

    if (mm_image_create(out, w, h, err) != MM_OK) {
        st = MM_ENOMEM;
        mm_error_prefix(err, "%s", c->name);
        png_longjmp(png, 1);
    }
    if (passes > 1) {
        size_t total;
        if (!mm_size_mul(rowbytes, h, &total)) {
            st = mm_error_set(err, MM_EFORMAT, "%s: PNG too large", c->name);
            png_longjmp(png, 1);
        }
        full = malloc(total);
        rows = mm_alloc_array(h, sizeof *rows);
        if (!full || !rows) {
            st = mm_error_set(err, MM_ENOMEM, "%s: out of memory", c->name);
            png_longjmp(png, 1);
        }
        for (size_t y = 0; y < h; y++) rows[y] = full + y * rowbytes;
        png_read_image(png, rows);
        for (size_t y = 0; y < h; y++)
            row_to_rgb(ctype, out_depth, rows[y], w, pal, out->data + y * w * 3);
    } else {
        size_t y_stop = h;
        if (c->roi) {
            mm_img_rect r = {0, 0, w, h};
            c->roi(c->roi_user, w, h, w, h, &r);
            if (r.y1 > r.y0 && r.y1 <= h) y_stop = r.y1;
        }
        if (ctype != PNG_COLOR_TYPE_RGB || out_depth != 8) {
            row = malloc(rowbytes);
            if (!row) {
                st = mm_error_set(err, MM_ENOMEM, "%s: out of memory", c->name);
                png_longjmp(png, 1);
            }
        }
        for (size_t y = 0; y < y_stop; y++) {
            uint8_t *d = out->data + y * w * 3;
            if (row) {
                png_read_row(png, row, NULL);
                row_to_rgb(ctype, out_depth, row, w, pal, d);
            } else {
                png_read_row(png, d, NULL);
            }
        }
    }
    png_destroy_read_struct(&png, &pinfo, NULL);
    free(row);
    free(full);
    free(rows);
    free(pal);
    return MM_OK;
}
