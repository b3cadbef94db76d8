/*
 * image/decode_jpeg.c — JPEG through libjpeg-turbo, configured exactly as
 * PIL 9.4 configures it (JpegDecode.c: only out_color_space and, after
 * draft(), scale_denom are set; islow IDCT, fancy upsampling and block
 * smoothing stay at their defaults), so the pixels equal PIL's.
 *
 * libjpeg reports fatal errors through error_exit, which by default calls
 * exit(): ours formats the message and longjmps back. The "premature end of
 * data" warning, after which libjpeg would pad the image with gray, is made
 * fatal too (PIL also refuses truncated files). A progress monitor caps the
 * number of progressive scans so a crafted file cannot spin for minutes.
 *
 * Region of interest: when the caller (the preprocessing chain) says which
 * rectangle of the decoded image it will read, columns outside it are not
 * decoded (jpeg_crop_scanline), rows above it are skipped
 * (jpeg_skip_scanlines) and decoding stops after its last row. A margin of
 * 16 output pixels on each side keeps the needed pixels identical to a full
 * decode (upsampling reads one neighbouring chroma sample; the margin is
 * larger than an iMCU at every scale).
 */
#include "image/image_internal.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>

#include <jerror.h>
#include <jpeglib.h>

enum { JPEG_ROI_MARGIN = 16, JPEG_MAX_SCANS = 1000 };

typedef struct jpeg_err {
    struct jpeg_error_mgr pub;
    jmp_buf jb;
    char msg[JMSG_LENGTH_MAX + 64];
} jpeg_err;

static void on_error_exit(j_common_ptr ci)
{
    jpeg_err *e = (jpeg_err *)ci->err;
    ci->err->format_message(ci, e->msg);
    longjmp(e->jb, 1);
}

static void on_emit_message(j_common_ptr ci, int level)
{
    jpeg_err *e = (jpeg_err *)ci->err;
    if (level < 0) {
        if (ci->err->msg_code == JWRN_JPEG_EOF) {
            snprintf(e->msg, sizeof e->msg, "truncated JPEG data (premature end of file)");
            longjmp(e->jb, 1);
        }
        ci->err->num_warnings++;
    }
}

static void on_output_message(j_common_ptr ci)
{
    (void)ci;
}

static void on_progress(j_common_ptr ci)
{
    if (ci->is_decompressor) {
        j_decompress_ptr d = (j_decompress_ptr)ci;
        if (d->input_scan_number > JPEG_MAX_SCANS) {
            jpeg_err *e = (jpeg_err *)ci->err;
            snprintf(e->msg, sizeof e->msg, "more than %d progressive scans", JPEG_MAX_SCANS);
            longjmp(e->jb, 1);
        }
    }
}

static int find_orientation(j_decompress_ptr d)
{
    for (jpeg_saved_marker_ptr m = d->marker_list; m; m = m->next) {
        if (m->marker == JPEG_APP0 + 1 && m->data_length >= 6 &&
            memcmp(m->data, "Exif\0\0", 6) == 0)
            return mm_img_exif_orientation(m->data, m->data_length);
    }
    return 1;
}

static size_t sz_min(size_t a, size_t b) { return a < b ? a : b; }

/* Decodes into dst. *orientation receives the EXIF tag when wanted. */
static mm_status decode_core(const uint8_t *buf, size_t len, const mm_img_decode_ctx *c,
                             mm_image *dst, mm_image_info *info, int *orientation, mm_error *err)
{
    struct jpeg_decompress_struct d;
    jpeg_err je;
    struct jpeg_progress_mgr prog;
    uint8_t *volatile row = NULL;
    volatile mm_status st = MM_OK;

    memset(&d, 0, sizeof d);
    d.err = jpeg_std_error(&je.pub);
    je.pub.error_exit = on_error_exit;
    je.pub.emit_message = on_emit_message;
    je.pub.output_message = on_output_message;
    je.msg[0] = '\0';
    if (setjmp(je.jb)) {
        if (st == MM_OK) st = MM_EFORMAT;
        if (st == MM_EFORMAT)
            mm_error_set(err, st, "%s: bad JPEG: %s", c->name, je.msg[0] ? je.msg : "error");
        jpeg_destroy_decompress(&d);
        free(row);
        return st;
    }
    jpeg_create_decompress(&d);
    prog.progress_monitor = on_progress;
    d.progress = &prog;
    jpeg_mem_src(&d, buf, (unsigned long)len);
    if (c->opt.exif_orientation) jpeg_save_markers(&d, JPEG_APP0 + 1, 0xFFFF);
    jpeg_read_header(&d, TRUE);

    info->width = d.image_width;
    info->height = d.image_height;
    info->channels = d.num_components;
    info->bit_depth = d.data_precision;
    info->cmyk = d.num_components == 4;
    if (mm_img_check_dims(c->name, "JPEG", d.image_width, d.image_height, &c->lim, err)) {
        st = MM_EFORMAT;
        jpeg_destroy_decompress(&d);
        return st;
    }
    *orientation = c->opt.exif_orientation ? find_orientation(&d) : 1;
    info->orientation = *orientation;

    int nc = d.num_components;
    if (nc == 1) d.out_color_space = JCS_GRAYSCALE;
    else if (nc == 3) d.out_color_space = JCS_RGB;
    else if (nc == 4) d.out_color_space = JCS_CMYK;
    else {
        jpeg_destroy_decompress(&d);
        return mm_error_set(err, MM_EUNSUPPORTED, "%s: JPEG with %d components is not supported",
                            c->name, nc);
    }

    size_t tw, th;
    mm_img_draft_target(&c->opt, d.image_width, d.image_height, *orientation >= 5, &tw, &th);
    unsigned denom = mm_img_draft_denom(d.image_width, d.image_height, tw, th);
    if (denom > 1) {
        d.scale_num = 1;
        d.scale_denom = denom;
    }
    info->scale_denom = (int)denom;
    jpeg_calc_output_dimensions(&d);
    size_t ow = d.output_width, oh = d.output_height;
    mm_status cs = mm_image_create(dst, ow, oh, err);
    if (cs != MM_OK) {
        jpeg_destroy_decompress(&d);
        mm_error_prefix(err, "%s", c->name);
        return cs;
    }
    if (nc != 3) {
        row = malloc(ow * (size_t)nc);
        if (!row) {
            jpeg_destroy_decompress(&d);
            return mm_error_set(err, MM_ENOMEM, "%s: out of memory", c->name);
        }
    }

    mm_img_rect roi = {0, 0, ow, oh};
    if (c->roi && *orientation == 1)
        c->roi(c->roi_user, d.image_width, d.image_height, ow, oh, &roi);

    jpeg_start_decompress(&d);

    /* columns: decode only [xoff, xoff + xw) when that saves something */
    JDIMENSION xoff = 0, xw = (JDIMENSION)ow;
    if (roi.x1 > roi.x0 && roi.x1 <= ow) {
        size_t x0 = roi.x0 > JPEG_ROI_MARGIN ? roi.x0 - JPEG_ROI_MARGIN : 0;
        size_t x1 = sz_min(ow, roi.x1 + JPEG_ROI_MARGIN);
        if ((x1 - x0) * 8 < ow * 7) {
            xoff = (JDIMENSION)x0;
            xw = (JDIMENSION)(x1 - x0);
            jpeg_crop_scanline(&d, &xoff, &xw);
        }
    }
    size_t y_stop = oh;
    if (roi.y1 > roi.y0 && roi.y1 <= oh) {
        size_t y0 = roi.y0 > JPEG_ROI_MARGIN ? roi.y0 - JPEG_ROI_MARGIN : 0;
        y_stop = sz_min(oh, roi.y1 + JPEG_ROI_MARGIN);
        if (y0 > 0) jpeg_skip_scanlines(&d, (JDIMENSION)y0);
    }

    while (d.output_scanline < y_stop) {
        size_t y = d.output_scanline;
        uint8_t *drow = dst->data + (y * ow + xoff) * 3;
        JSAMPROW rp = nc == 3 ? drow : row;
        if (jpeg_read_scanlines(&d, &rp, 1) != 1) {
            snprintf(je.msg, sizeof je.msg, "decoder made no progress at row %zu", y);
            longjmp(je.jb, 1);
        }
        if (nc != 3) {
            if (nc == 1) mm_img_gray_to_rgb(row, xw, drow);
            else mm_img_cmyk_to_rgb(row, xw, drow);
        }
    }
    /* nothing after the last needed row is read: no jpeg_finish_decompress */
    jpeg_destroy_decompress(&d);
    free(row);
    return MM_OK;
}

mm_status mm_img_decode_jpeg(const uint8_t *buf, size_t len, const mm_img_decode_ctx *c,
                             mm_image *out, mm_image_info *info, mm_error *err)
{
    int orientation = 1;
    if (!c->opt.exif_orientation) return decode_core(buf, len, c, out, info, &orientation, err);

    mm_image tmp = {0};
    mm_status st = decode_core(buf, len, c, &tmp, info, &orientation, err);
    if (st == MM_OK) {
        if (orientation >= 2 && orientation <= 8) {
            st = mm_img_orient(&tmp, orientation, out, err);
            if (st != MM_OK) mm_error_prefix(err, "%s", c->name);
            info->oriented = st == MM_OK;
        } else {
            mm_image swap = *out;
            *out = tmp;
            tmp = swap;
        }
    }
    mm_image_free(&tmp);
    return st;
}
