/*
 * image/preprocess.c — decode -> Resize -> CenterCrop -> ToTensor ->
 * Normalize, equal to torchvision 0.14 on PIL images (numerics.md §9).
 *
 * Geometry is always derived from the size stored in the file (after the
 * optional EXIF reorientation): the Resize target is torchvision's for that
 * size, whether or not the JPEG was decoded at 1/2..1/8, so the DCT-scaled
 * path only changes the source the resampler reads from. Only the output
 * pixels inside the crop are resampled, and for JPEGs only the source rows
 * and columns they need are decoded.
 */
#include "image/image_internal.h"

#include <math.h>
#include <stdlib.h>

struct mm_preprocess {
    mm_preprocess_params p;
    mm_img_buf file;
    mm_image img;
    mm_img_resampler rs;
    uint8_t *crop; /* crop_h x crop_w RGB */
    float lut[3][256];
};

mm_preprocess_params mm_preprocess_params_default(void)
{
    mm_preprocess_params p;
    memset(&p, 0, sizeof p);
    p.resize = 256;
    p.crop_width = 224;
    p.crop_height = 224;
    p.interp = MM_INTERP_BILINEAR;
    p.mean[0] = 0.485f;
    p.mean[1] = 0.456f;
    p.mean[2] = 0.406f;
    p.std[0] = 0.229f;
    p.std[1] = 0.224f;
    p.std[2] = 0.225f;
    p.dct_scaling = false;
    p.exif_orientation = false;
    p.limits = mm_image_limits_default();
    return p;
}

mm_status mm_preprocess_params_check(const mm_preprocess_params *p, mm_error *err)
{
    if (!p) return mm_error_set(err, MM_EINVAL, "preprocess params are NULL");
    if (p->crop_width == 0 || p->crop_height == 0 || p->crop_width > 65536 ||
        p->crop_height > 65536)
        return mm_error_set(err, MM_EINVAL, "preprocess: crop %zu x %zu must be 1..65536",
                            p->crop_width, p->crop_height);
    if (p->resize > 65536)
        return mm_error_set(err, MM_EINVAL, "preprocess: resize %zu must be 0..65536",
                            p->resize);
    if ((unsigned)p->interp > (unsigned)MM_INTERP_LANCZOS)
        return mm_error_set(err, MM_EINVAL, "preprocess: unknown interpolation %d",
                            (int)p->interp);
    for (int c = 0; c < 3; c++) {
        if (!isfinite(p->mean[c]) || !isfinite(p->std[c]) || p->std[c] == 0.0f)
            return mm_error_set(err, MM_EINVAL,
                                "preprocess: mean[%d] = %g / std[%d] = %g must be finite, std != 0",
                                c, (double)p->mean[c], c, (double)p->std[c]);
    }
    if (p->limits.max_pixels == 0 || p->limits.max_file_bytes == 0)
        return mm_error_set(err, MM_EINVAL, "preprocess: limits must be > 0");
    return MM_OK;
}

mm_status mm_preprocess_new(const mm_preprocess_params *p, mm_preprocess **out, mm_error *err)
{
    *out = NULL;
    mm_status st = mm_preprocess_params_check(p, err);
    if (st != MM_OK) return st;
    mm_preprocess *pp = calloc(1, sizeof *pp);
    if (!pp) return mm_error_set(err, MM_ENOMEM, "out of memory");
    pp->p = *p;
    pp->crop = mm_alloc_array(p->crop_width * p->crop_height, 3);
    if (!pp->crop) {
        free(pp);
        return mm_error_set(err, MM_ENOMEM, "out of memory");
    }
    /* ToTensor then Normalize, every step in float32 as torch does */
    for (int c = 0; c < 3; c++)
        for (int v = 0; v < 256; v++) {
            float t = (float)v / 255.0f;
            pp->lut[c][v] = (t - p->mean[c]) / p->std[c];
        }
    *out = pp;
    return MM_OK;
}

void mm_preprocess_free(mm_preprocess *pp)
{
    if (!pp) return;
    mm_img_buf_free(&pp->file);
    mm_image_free(&pp->img);
    mm_img_resampler_free(&pp->rs);
    free(pp->crop);
    free(pp);
}

size_t mm_preprocess_output_size(const mm_preprocess *pp)
{
    return 3 * pp->p.crop_width * pp->p.crop_height;
}

/* The output geometry of an image whose full size is fw x fh. */
typedef struct geom {
    size_t tw, th;     /* Resize target (or the image size)            */
    size_t wx, wy;     /* window inside the resized image              */
    size_t ww, wh;
    size_t dx, dy;     /* where the window lands inside the crop       */
} geom;

static void geom_make(const mm_preprocess_params *p, size_t fw, size_t fh, geom *g)
{
    if (p->resize > 0) mm_resize_short_size(fw, fh, p->resize, &g->tw, &g->th);
    else {
        g->tw = fw;
        g->th = fh;
    }
    long ox = mm_img_crop_offset(g->tw, p->crop_width);
    long oy = mm_img_crop_offset(g->th, p->crop_height);
    g->wx = ox > 0 ? (size_t)ox : 0;
    g->wy = oy > 0 ? (size_t)oy : 0;
    g->dx = ox < 0 ? (size_t)-ox : 0;
    g->dy = oy < 0 ? (size_t)-oy : 0;
    size_t ex = g->tw < p->crop_width ? g->tw : p->crop_width;
    size_t ey = g->th < p->crop_height ? g->th : p->crop_height;
    g->ww = ex;
    g->wh = ey;
}

/* The ROI hook: which rectangle of the decoded (maybe DCT-scaled) image the
 * resampler will read. */
static void roi_hook(void *user, size_t fw, size_t fh, size_t w, size_t h, mm_img_rect *r)
{
    const mm_preprocess *pp = user;
    geom g;
    geom_make(&pp->p, fw, fh, &g);
    if (g.tw == 0 || g.th == 0) return;
    if (pp->p.resize == 0 && (w != fw || h != fh)) return;
    mm_img_rect s;
    if (mm_img_resample_src_rect(w, h, g.tw, g.th, pp->p.interp, g.wx, g.wy, g.ww, g.wh, &s,
                                 NULL) == MM_OK)
        *r = s;
}

static mm_status run_chain(mm_preprocess *pp, const mm_image *img, size_t fw, size_t fh,
                           float *out, const char *name, mm_error *err)
{
    const mm_preprocess_params *p = &pp->p;
    if (!img->data || img->width == 0 || img->height == 0)
        return mm_error_set(err, MM_EINVAL, "%s: empty image", name);
    geom g;
    geom_make(p, fw, fh, &g);
    size_t cw = p->crop_width, ch = p->crop_height;
    if (g.ww < cw || g.wh < ch) memset(pp->crop, 0, cw * ch * 3);
    uint8_t *dst = pp->crop + (g.dy * cw + g.dx) * 3;
    mm_status st = mm_img_resample(&pp->rs, img->data, img->width, img->height, 3, g.tw, g.th,
                                   p->interp, g.wx, g.wy, g.ww, g.wh, dst, cw * 3, err);
    if (st != MM_OK) {
        mm_error_prefix(err, "%s", name);
        return st;
    }
    size_t n = cw * ch;
    float *o0 = out, *o1 = out + n, *o2 = out + 2 * n;
    const uint8_t *s = pp->crop;
    for (size_t i = 0; i < n; i++, s += 3) {
        o0[i] = pp->lut[0][s[0]];
        o1[i] = pp->lut[1][s[1]];
        o2[i] = pp->lut[2][s[2]];
    }
    return MM_OK;
}

mm_status mm_preprocess_image(mm_preprocess *pp, const mm_image *img, float *out, mm_error *err)
{
    if (!pp || !img || !out) return mm_error_set(err, MM_EINVAL, "preprocess: NULL argument");
    return run_chain(pp, img, img->width, img->height, out, "<image>", err);
}

mm_status mm_preprocess_memory(mm_preprocess *pp, const void *buf, size_t len, const char *name,
                               float *out, mm_error *err)
{
    if (!pp || !out || (!buf && len))
        return mm_error_set(err, MM_EINVAL, "preprocess: NULL argument");
    mm_img_decode_ctx c;
    memset(&c, 0, sizeof c);
    c.name = name ? name : "<memory>";
    c.lim = pp->p.limits;
    c.opt = mm_decode_options_default();
    c.opt.exif_orientation = pp->p.exif_orientation;
    c.opt.dct_scaling = pp->p.dct_scaling && pp->p.resize > 0;
    c.opt.draft_short = pp->p.resize;
    c.roi = roi_hook;
    c.roi_user = pp;
    mm_image_info info;
    mm_status st = mm_img_decode(buf, len, &c, &pp->img, &info, err);
    if (st != MM_OK) return st;
    size_t fw = info.width, fh = info.height;
    if (info.oriented && info.orientation >= 5) {
        fw = info.height;
        fh = info.width;
    }
    return run_chain(pp, &pp->img, fw, fh, out, c.name, err);
}

mm_status mm_preprocess_file(mm_preprocess *pp, const char *path, float *out, mm_error *err)
{
    if (!pp || !path || !out) return mm_error_set(err, MM_EINVAL, "preprocess: NULL argument");
    mm_status st = mm_img_read_file(path, pp->p.limits.max_file_bytes, &pp->file, err);
    if (st != MM_OK) return st;
    return mm_preprocess_memory(pp, pp->file.p, pp->file.len, path, out, err);
}

void mm_image_to_tensor(const mm_image *img, const float mean[3], const float std[3], float *out)
{
    size_t n = img->width * img->height;
    float lut[3][256];
    for (int c = 0; c < 3; c++)
        for (int v = 0; v < 256; v++) lut[c][v] = ((float)v / 255.0f - mean[c]) / std[c];
    const uint8_t *s = img->data;
    for (size_t i = 0; i < n; i++, s += 3) {
        out[i] = lut[0][s[0]];
        out[n + i] = lut[1][s[1]];
        out[2 * n + i] = lut[2][s[2]];
    }
}
