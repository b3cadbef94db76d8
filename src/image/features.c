/*
 * image/features.c — the handcrafted feature vector: parameters, layout of
 * the blocks, and the computation on the size x size working image
 * (documented in mmfuse/image.h).
 */
#include "image/image_internal.h"

#include <math.h>
#include <stdlib.h>

mm_image_params mm_image_params_default(void)
{
    mm_image_params p;
    memset(&p, 0, sizeof p);
    p.size = 64;
    p.color_hist = true;
    p.hist_bins[0] = 8;
    p.hist_bins[1] = 4;
    p.hist_bins[2] = 4;
    p.hog = true;
    p.hog_orientations = 9;
    p.hog_cell = 16;
    p.hog_block = 2;
    p.lbp = true;
    p.lbp_points = 8;
    p.lbp_radius = 1.0;
    p.lbp_grid = 2;
    p.stats = true;
    p.thumb = true;
    p.thumb_size = 8;
    p.dct_scaling = true;
    p.exif_orientation = false;
    p.limits = mm_image_limits_default();
    return p;
}

mm_status mm_image_params_check(const mm_image_params *p, mm_error *err)
{
    if (!p) return mm_error_set(err, MM_EINVAL, "image params are NULL");
    if (p->size < 8 || p->size > 4096)
        return mm_error_set(err, MM_EINVAL, "image params: size %zu must be 8..4096", p->size);
    if (!p->color_hist && !p->hog && !p->lbp && !p->stats && !p->thumb)
        return mm_error_set(err, MM_EINVAL, "image params: no feature enabled");
    if (p->color_hist)
        for (int i = 0; i < 3; i++)
            if (p->hist_bins[i] < 1 || p->hist_bins[i] > 64)
                return mm_error_set(err, MM_EINVAL,
                                    "image params: hist_bins[%d] = %d must be 1..64", i,
                                    p->hist_bins[i]);
    if (p->hog) {
        if (p->hog_orientations < 1 || p->hog_orientations > 180)
            return mm_error_set(err, MM_EINVAL,
                                "image params: hog_orientations = %d must be 1..180",
                                p->hog_orientations);
        if (p->hog_cell < 1 || p->hog_block < 1 ||
            mm_hog_dim(p->size, p->size, p->hog_orientations, p->hog_cell, p->hog_block) == 0)
            return mm_error_set(err, MM_EINVAL,
                                "image params: hog_cell = %d, hog_block = %d do not fit a "
                                "%zu-pixel image",
                                p->hog_cell, p->hog_block, p->size);
    }
    if (p->lbp) {
        if (p->lbp_points < 1 || p->lbp_points > 32)
            return mm_error_set(err, MM_EINVAL, "image params: lbp_points = %d must be 1..32",
                                p->lbp_points);
        if (!(p->lbp_radius > 0.0) || !(p->lbp_radius <= (double)p->size))
            return mm_error_set(err, MM_EINVAL,
                                "image params: lbp_radius = %g must be in (0, size]",
                                p->lbp_radius);
        if (p->lbp_grid < 1 || (size_t)p->lbp_grid > p->size)
            return mm_error_set(err, MM_EINVAL, "image params: lbp_grid = %d must be 1..size",
                                p->lbp_grid);
    }
    if (p->thumb && (p->thumb_size < 1 || (size_t)p->thumb_size > p->size))
        return mm_error_set(err, MM_EINVAL, "image params: thumb_size = %d must be 1..size",
                            p->thumb_size);
    if (p->limits.max_pixels == 0 || p->limits.max_file_bytes == 0)
        return mm_error_set(err, MM_EINVAL, "image params: limits must be > 0");
    return MM_OK;
}

/* Block lengths in vector order; returns the total. */
static size_t block_lens(const mm_image_params *p, size_t len[5])
{
    len[0] = p->color_hist ? (size_t)p->hist_bins[0] * (size_t)p->hist_bins[1] *
                                 (size_t)p->hist_bins[2]
                           : 0;
    len[1] = p->hog ? mm_hog_dim(p->size, p->size, p->hog_orientations, p->hog_cell,
                                 p->hog_block)
                    : 0;
    len[2] = p->lbp ? (size_t)p->lbp_grid * (size_t)p->lbp_grid * (size_t)(p->lbp_points + 2)
                    : 0;
    len[3] = p->stats ? 16 : 0;
    len[4] = p->thumb ? (size_t)p->thumb_size * (size_t)p->thumb_size : 0;
    return len[0] + len[1] + len[2] + len[3] + len[4];
}

size_t mm_image_features_dim(const mm_image_params *p)
{
    if (mm_image_params_check(p, NULL) != MM_OK) return 0;
    size_t len[5];
    return block_lens(p, len);
}

bool mm_image_features_block(const mm_image_params *p, const char *name, size_t *offset,
                             size_t *len)
{
    static const char *const names[5] = {"color_hist", "hog", "lbp", "stats", "thumb"};
    if (!name || mm_image_params_check(p, NULL) != MM_OK) return false;
    size_t l[5], off = 0;
    block_lens(p, l);
    for (int i = 0; i < 5; i++) {
        if (strcmp(name, names[i]) == 0) {
            if (l[i] == 0) return false;
            if (offset) *offset = off;
            if (len) *len = l[i];
            return true;
        }
        off += l[i];
    }
    return false;
}

static void lbp_hist(const uint8_t *codes, size_t s, int grid, int points, float *out)
{
    size_t nb = (size_t)points + 2;
    for (int gy = 0; gy < grid; gy++) {
        size_t y0 = (size_t)gy * s / (size_t)grid, y1 = (size_t)(gy + 1) * s / (size_t)grid;
        for (int gx = 0; gx < grid; gx++) {
            size_t x0 = (size_t)gx * s / (size_t)grid, x1 = (size_t)(gx + 1) * s / (size_t)grid;
            size_t cnt[34] = {0};
            for (size_t y = y0; y < y1; y++)
                for (size_t x = x0; x < x1; x++) cnt[codes[y * s + x]]++;
            double n = (double)((y1 - y0) * (x1 - x0));
            float *o = out + ((size_t)gy * (size_t)grid + (size_t)gx) * nb;
            for (size_t b = 0; b < nb; b++) o[b] = n > 0 ? (float)((double)cnt[b] / n) : 0.0f;
        }
    }
}

mm_status mm_image_features(const mm_image_params *p, const mm_image *img, float *out,
                            mm_error *err)
{
    mm_status st = mm_image_params_check(p, err);
    if (st != MM_OK) return st;
    if (!img || !img->data || img->width == 0 || img->height == 0 || !out)
        return mm_error_set(err, MM_EINVAL, "image features: empty image");
    size_t s = p->size, len[5];
    block_lens(p, len);

    mm_image work = {0};
    uint8_t *gray = NULL, *codes = NULL;
    st = mm_image_create(&work, s, s, err);
    if (st != MM_OK) return st;
    gray = malloc(s * s);
    codes = malloc(s * s);
    if (!gray || !codes) {
        st = mm_error_set(err, MM_ENOMEM, "image features: out of memory");
        goto done;
    }
    {
        mm_img_resampler rs = {0};
        st = mm_img_resample(&rs, img->data, img->width, img->height, 3, s, s,
                             MM_INTERP_BILINEAR, 0, 0, s, s, work.data, s * 3, err);
        mm_img_resampler_free(&rs);
        if (st != MM_OK) goto done;
    }
    mm_image_to_gray(&work, gray);

    float *o = out;
    if (p->color_hist) {
        mm_color_hist_hsv(&work, p->hist_bins[0], p->hist_bins[1], p->hist_bins[2], o);
        o += len[0];
    }
    if (p->hog) {
        st = mm_hog(gray, s, s, p->hog_orientations, p->hog_cell, p->hog_block, o, err);
        if (st != MM_OK) goto done;
        o += len[1];
    }
    if (p->lbp) {
        st = mm_lbp_uniform(gray, s, s, p->lbp_points, p->lbp_radius, codes, err);
        if (st != MM_OK) goto done;
        lbp_hist(codes, s, p->lbp_grid, p->lbp_points, o);
        o += len[2];
    }
    if (p->stats) {
        mm_image_stats(&work, gray, o);
        o += len[3];
    }
    if (p->thumb) {
        size_t t = (size_t)p->thumb_size;
        uint8_t *th = codes; /* reuse: t * t <= s * s */
        st = mm_gray_resize(gray, s, s, th, t, t, MM_INTERP_BILINEAR, err);
        if (st != MM_OK) goto done;
        for (size_t i = 0; i < t * t; i++) o[i] = (float)th[i] / 255.0f;
        o += len[4];
    }
done:
    mm_image_free(&work);
    free(gray);
    free(codes);
    return st;
}
