/*
 * image/resize.c — PIL 9.4's resampling (libImaging/Resample.c,
 * ImagingResample on 8-bit images) reproduced bit for bit, plus
 * torchvision's Resize size rule and CenterCrop geometry.
 *
 * Per axis: scale = in / out, filterscale = max(scale, 1), support =
 * filter_support * filterscale, ksize = 2 * ceil(support) + 1. Output index
 * o covers inputs [lo, hi) with center = (o + 0.5) * scale,
 * lo = max(0, (int)(center - support + 0.5)),
 * hi = min(in, (int)(center + support + 0.5)); weights
 * K((j + lo - center + 0.5) * (1 / filterscale)) divided by their
 * (sequential) sum, then rounded away from zero to 22-bit fixed point. A
 * pixel is (2^21 + sum q[j] * src[lo + j]) >> 22 clamped to 0..255. The
 * horizontal pass runs first (only if the width changes) into an 8-bit
 * intermediate holding just the rows the vertical pass reads; the vertical
 * pass runs only if the height changes.
 *
 * Everything here works on a window of the output: output pixel (x, y)
 * depends only on its own coefficients, so computing [wx, wx+ww) x
 * [wy, wy+wh) gives exactly the corresponding crop of the full resize at a
 * fraction of the cost (the preprocessing chain computes only the crop).
 */
#include "image/image_internal.h"

#include <math.h>
#include <stdlib.h>

#define MM_IMG_PI 3.14159265358979323846
enum { PRECISION_BITS = 22 };

static double f_box(double x)
{
    return (x > -0.5 && x <= 0.5) ? 1.0 : 0.0;
}

static double f_bilinear(double x)
{
    if (x < 0.0) x = -x;
    return x < 1.0 ? 1.0 - x : 0.0;
}

static double f_hamming(double x)
{
    if (x < 0.0) x = -x;
    if (x == 0.0) return 1.0;
    if (x >= 1.0) return 0.0;
    x = x * MM_IMG_PI;
    /* PIL writes the constants as floats */
    return sin(x) / x * (0.54f + 0.46f * cos(x));
}

static double f_bicubic(double x)
{
    const double a = -0.5;
    if (x < 0.0) x = -x;
    if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
    if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
    return 0.0;
}

static double sinc(double x)
{
    if (x == 0.0) return 1.0;
    x = x * MM_IMG_PI;
    return sin(x) / x;
}

static double f_lanczos(double x)
{
    if (-3.0 <= x && x < 3.0) return sinc(x) * sinc(x / 3);
    return 0.0;
}

typedef struct filter {
    double (*fn)(double);
    double support;
} filter;

static bool get_filter(mm_interp m, filter *f)
{
    switch (m) {
    case MM_INTERP_BILINEAR: *f = (filter){f_bilinear, 1.0}; return true;
    case MM_INTERP_BICUBIC: *f = (filter){f_bicubic, 2.0}; return true;
    case MM_INTERP_BOX: *f = (filter){f_box, 0.5}; return true;
    case MM_INTERP_HAMMING: *f = (filter){f_hamming, 1.0}; return true;
    case MM_INTERP_LANCZOS: *f = (filter){f_lanczos, 3.0}; return true;
    default: return false;
    }
}

const char *mm_interp_name(mm_interp m)
{
    switch (m) {
    case MM_INTERP_BILINEAR: return "bilinear";
    case MM_INTERP_BICUBIC: return "bicubic";
    case MM_INTERP_BOX: return "box";
    case MM_INTERP_HAMMING: return "hamming";
    case MM_INTERP_LANCZOS: return "lanczos";
    default: return "unknown";
    }
}

/* The axis geometry shared by the coefficients and the source-rectangle
 * query. PIL builds the scale from float box coordinates, hence the float
 * rounding of `in` (exact below 2^24). */
typedef struct axis {
    double scale, filterscale, support;
    size_t ksize;
} axis;

static axis axis_make(size_t in, size_t out, const filter *f)
{
    axis a;
    a.scale = (double)(float)in / (double)out;
    a.filterscale = a.scale < 1.0 ? 1.0 : a.scale;
    a.support = f->support * a.filterscale;
    a.ksize = (size_t)ceil(a.support) * 2 + 1;
    return a;
}

static void axis_bounds(const axis *a, size_t in, size_t o, long *lo, long *hi, double *center)
{
    double c = ((double)o + 0.5) * a->scale;
    long xmin = (long)(c - a->support + 0.5);
    long xmax = (long)(c + a->support + 0.5);
    if (xmin < 0) xmin = 0;
    if (xmax > (long)in) xmax = (long)in;
    if (xmax < xmin) xmax = xmin;
    *lo = xmin;
    *hi = xmax;
    *center = c;
}

mm_status mm_img_coeffs_compute(size_t in, size_t out, mm_interp interp, size_t first,
                                size_t count, mm_img_coeffs *c, mm_error *err)
{
    filter f;
    if (!get_filter(interp, &f))
        return mm_error_set(err, MM_EINVAL, "unknown interpolation %d", (int)interp);
    if (in == 0 || out == 0 || in > INT32_MAX || out > INT32_MAX)
        return mm_error_set(err, MM_EINVAL, "bad resize %zu -> %zu", in, out);
    axis a = axis_make(in, out, &f);
    size_t nk, nb;
    if (!mm_size_mul(count, a.ksize, &nk) || !mm_size_mul(count, 2, &nb))
        return mm_error_set(err, MM_EINVAL, "resize %zu -> %zu too large", in, out);
    size_t nv;
    if (!mm_size_mul(nk ? nk : 1, 16, &nv))
        return mm_error_set(err, MM_EINVAL, "resize %zu -> %zu too large", in, out);
    if (nk > c->cap_k || !c->k) {
        int32_t *p = mm_alloc_array(nk ? nk : 1, sizeof *p);
        int16_t *pa = mm_alloc_array(nk ? nk : 1, sizeof *pa);
        int16_t *pb = mm_alloc_array(nk ? nk : 1, sizeof *pb);
        int32_t *pv = aligned_alloc(16, nv);
        if (!p || !pa || !pb || !pv) {
            free(p);
            free(pa);
            free(pb);
            free(pv);
            return mm_error_set(err, MM_ENOMEM, "out of memory for resize coefficients");
        }
        free(c->k);
        free(c->ka);
        free(c->kb);
        free(c->kv);
        c->k = p;
        c->ka = pa;
        c->kb = pb;
        c->kv = pv;
        c->cap_k = nk ? nk : 1;
    }
    if (nb > c->cap_b || !c->bounds) {
        int32_t *p = mm_alloc_array(nb ? nb : 1, sizeof *p);
        if (!p) return mm_error_set(err, MM_ENOMEM, "out of memory for resize coefficients");
        free(c->bounds);
        c->bounds = p;
        c->cap_b = nb ? nb : 1;
    }
    double *w = mm_alloc_array(a.ksize, sizeof *w);
    if (!w) return mm_error_set(err, MM_ENOMEM, "out of memory for resize coefficients");
    c->out = count;
    c->ksize = a.ksize;
    double ss = 1.0 / a.filterscale;
    for (size_t i = 0; i < count; i++) {
        long lo, hi;
        double center;
        axis_bounds(&a, in, first + i, &lo, &hi, &center);
        long n = hi - lo;
        if ((size_t)n > a.ksize) n = (long)a.ksize;
        double ww = 0.0;
        for (long x = 0; x < n; x++) {
            double v = f.fn(((double)(x + lo) - center + 0.5) * ss);
            w[x] = v;
            ww += v;
        }
        int32_t *k = c->k + i * a.ksize;
        for (long x = 0; x < n; x++) {
            double v = ww != 0.0 ? w[x] / ww : w[x];
            double q = v * (double)(1 << PRECISION_BITS);
            k[x] = (int32_t)(v < 0 ? -0.5 + q : 0.5 + q);
        }
        for (long x = n; x < (long)a.ksize; x++) k[x] = 0;
        /* the split the SIMD kernels multiply with (16-bit halves) */
        for (size_t x = 0; x < a.ksize; x++) {
            int32_t lo11 = k[x] & 2047; /* int32_t is two's complement */
            c->ka[i * a.ksize + x] = (int16_t)((k[x] - lo11) / 2048);
            c->kb[i * a.ksize + x] = (int16_t)lo11;
            for (int q = 0; q < 4; q++) c->kv[(i * a.ksize + x) * 4 + (size_t)q] = k[x];
        }
        c->bounds[2 * i] = (int32_t)lo;
        c->bounds[2 * i + 1] = (int32_t)n;
    }
    free(w);
    return MM_OK;
}

static void coeffs_free(mm_img_coeffs *c)
{
    free(c->k);
    free(c->ka);
    free(c->kb);
    free(c->kv);
    free(c->bounds);
    memset(c, 0, sizeof *c);
}

void mm_img_resampler_free(mm_img_resampler *r)
{
    if (!r) return;
    coeffs_free(&r->cx);
    coeffs_free(&r->cy);
    free(r->tmp);
    free(r->acc);
    free(r->pad);
    memset(r, 0, sizeof *r);
}

static inline uint8_t clip8(int32_t v)
{
    int32_t s = v >> PRECISION_BITS;
    return (uint8_t)(s < 0 ? 0 : s > 255 ? 255 : s);
}

void mm_img_hpass_ref(const uint8_t *src, size_t sstride, size_t nrows, size_t ch,
                   const mm_img_coeffs *c, uint8_t *dst, size_t dstride)
{
    const int32_t init = 1 << (PRECISION_BITS - 1);
    for (size_t y = 0; y < nrows; y++) {
        const uint8_t *s = src + y * sstride;
        uint8_t *d = dst + y * dstride;
        for (size_t x = 0; x < c->out; x++) {
            const int32_t *k = c->k + x * c->ksize;
            int32_t n = c->bounds[2 * x + 1];
            const uint8_t *p = s + (size_t)c->bounds[2 * x] * ch;
            if (ch == 3) {
                int32_t s0 = init, s1 = init, s2 = init;
                for (int32_t j = 0; j < n; j++) {
                    s0 += p[3 * j + 0] * k[j];
                    s1 += p[3 * j + 1] * k[j];
                    s2 += p[3 * j + 2] * k[j];
                }
                d[3 * x + 0] = clip8(s0);
                d[3 * x + 1] = clip8(s1);
                d[3 * x + 2] = clip8(s2);
            } else {
                int32_t s0 = init;
                for (int32_t j = 0; j < n; j++) s0 += p[j] * k[j];
                d[x] = clip8(s0);
            }
        }
    }
}

void mm_img_vpass_ref(const uint8_t *src, size_t sstride, size_t row0, size_t nbytes,
                   const mm_img_coeffs *c, int32_t *acc, uint8_t *dst, size_t dstride)
{
    const int32_t init = 1 << (PRECISION_BITS - 1);
    for (size_t y = 0; y < c->out; y++) {
        const int32_t *k = c->k + y * c->ksize;
        int32_t n = c->bounds[2 * y + 1];
        const uint8_t *base = src + ((size_t)c->bounds[2 * y] - row0) * sstride;
        for (size_t b = 0; b < nbytes; b++) acc[b] = init;
        for (int32_t j = 0; j < n; j++) {
            const uint8_t *s = base + (size_t)j * sstride;
            int32_t kj = k[j];
            for (size_t b = 0; b < nbytes; b++) acc[b] += s[b] * kj;
        }
        uint8_t *d = dst + y * dstride;
        for (size_t b = 0; b < nbytes; b++) d[b] = clip8(acc[b]);
    }
}

mm_status mm_img_resample_src_rect(size_t sw, size_t sh, size_t ow, size_t oh, mm_interp interp,
                                   size_t wx, size_t wy, size_t ww, size_t wh, mm_img_rect *r,
                                   mm_error *err)
{
    filter f;
    if (!get_filter(interp, &f))
        return mm_error_set(err, MM_EINVAL, "unknown interpolation %d", (int)interp);
    if (ww == 0 || wh == 0 || wx + ww > ow || wy + wh > oh)
        return mm_error_set(err, MM_EINVAL, "bad resize window");
    long lo, hi, lo2, hi2;
    double c;
    if (ow != sw) {
        axis a = axis_make(sw, ow, &f);
        axis_bounds(&a, sw, wx, &lo, &hi, &c);
        axis_bounds(&a, sw, wx + ww - 1, &lo2, &hi2, &c);
        r->x0 = (size_t)lo;
        r->x1 = (size_t)hi2;
    } else {
        r->x0 = wx;
        r->x1 = wx + ww;
    }
    if (oh != sh) {
        axis a = axis_make(sh, oh, &f);
        axis_bounds(&a, sh, wy, &lo, &hi, &c);
        axis_bounds(&a, sh, wy + wh - 1, &lo2, &hi2, &c);
        r->y0 = (size_t)lo;
        r->y1 = (size_t)hi2;
    } else {
        r->y0 = wy;
        r->y1 = wy + wh;
    }
    return MM_OK;
}

static void hpass(mm_img_resampler *r, const uint8_t *src, size_t sstride, size_t nrows,
                  size_t ch, uint8_t *dst, size_t dstride, const uint8_t *src_end)
{
    if (r->level >= 2 ||
        !mm_img_hpass_simd(src, sstride, nrows, ch, &r->cx, dst, dstride, src_end, r))
        mm_img_hpass_ref(src, sstride, nrows, ch, &r->cx, dst, dstride);
}

static void vpass(mm_img_resampler *r, const uint8_t *src, size_t sstride, size_t row0,
                  size_t nbytes, uint8_t *dst, size_t dstride)
{
    if (r->level >= 2 || !mm_img_vpass_simd(src, sstride, row0, nbytes, &r->cy, dst, dstride))
        mm_img_vpass_ref(src, sstride, row0, nbytes, &r->cy, r->acc, dst, dstride);
}

static mm_status grow(void **p, size_t *cap, size_t n, size_t elem, mm_error *err)
{
    size_t bytes;
    if (!mm_size_mul(n, elem, &bytes))
        return mm_error_set(err, MM_EINVAL, "resize buffer too large");
    if (bytes <= *cap && *p) return MM_OK;
    void *q = malloc(bytes ? bytes : 1);
    if (!q) return mm_error_set(err, MM_ENOMEM, "out of memory for resize buffers");
    free(*p);
    *p = q;
    *cap = bytes ? bytes : 1;
    return MM_OK;
}

mm_status mm_img_resample(mm_img_resampler *r, const uint8_t *src, size_t sw, size_t sh,
                          size_t ch, size_t ow, size_t oh, mm_interp interp, size_t wx, size_t wy,
                          size_t ww, size_t wh, uint8_t *dst, size_t dst_stride, mm_error *err)
{
    if (sw == 0 || sh == 0 || ow == 0 || oh == 0 || ww == 0 || wh == 0 || wx + ww > ow ||
        wy + wh > oh || (ch != 1 && ch != 3))
        return mm_error_set(err, MM_EINVAL, "bad resize %zu x %zu -> %zu x %zu", sw, sh, ow, oh);
    bool need_h = ow != sw, need_v = oh != sh;
    size_t sstride = sw * ch, wbytes = ww * ch;
    mm_status st;
    if (!need_h && !need_v) {
        for (size_t y = 0; y < wh; y++)
            memcpy(dst + y * dst_stride, src + (wy + y) * sstride + wx * ch, wbytes);
        return MM_OK;
    }
    if (need_v) {
        st = mm_img_coeffs_compute(sh, oh, interp, wy, wh, &r->cy, err);
        if (st != MM_OK) return st;
        st = grow((void **)&r->acc, &r->acc_cap, wbytes, sizeof *r->acc, err);
        if (st != MM_OK) return st;
    }
    if (need_h) {
        st = mm_img_coeffs_compute(sw, ow, interp, wx, ww, &r->cx, err);
        if (st != MM_OK) return st;
    }
    const uint8_t *src_end = src + sh * sstride;
    if (need_h && !need_v) {
        hpass(r, src + wy * sstride, sstride, wh, ch, dst, dst_stride, src_end);
        return MM_OK;
    }
    if (!need_h) {
        vpass(r, src + wx * ch, sstride, 0, wbytes, dst, dst_stride);
        return MM_OK;
    }
    /* both: rows [y0, y1) of the source feed the vertical window */
    size_t y0 = (size_t)r->cy.bounds[0];
    size_t y1 = (size_t)r->cy.bounds[2 * (wh - 1)] + (size_t)r->cy.bounds[2 * (wh - 1) + 1];
    if (y1 <= y0) y1 = y0 + 1;
    size_t nt;
    if (!mm_size_mul(y1 - y0, wbytes, &nt))
        return mm_error_set(err, MM_EINVAL, "resize buffer too large");
    st = grow((void **)&r->tmp, &r->tmp_cap, nt, 1, err);
    if (st != MM_OK) return st;
    hpass(r, src + y0 * sstride, sstride, y1 - y0, ch, r->tmp, wbytes, src_end);
    vpass(r, r->tmp, wbytes, y0, wbytes, dst, dst_stride);
    return MM_OK;
}

mm_status mm_image_resize(const mm_image *src, size_t w, size_t h, mm_interp interp,
                          mm_image *dst, mm_error *err)
{
    if (!src || !dst || src == dst || !src->data || src->width == 0 || src->height == 0)
        return mm_error_set(err, MM_EINVAL, "resize: empty or aliased image");
    if (w == 0 || h == 0)
        return mm_error_set(err, MM_EINVAL, "resize: target %zu x %zu is empty", w, h);
    mm_status st = mm_image_create(dst, w, h, err);
    if (st != MM_OK) return st;
    mm_img_resampler r = {0};
    st = mm_img_resample(&r, src->data, src->width, src->height, 3, w, h, interp, 0, 0, w, h,
                         dst->data, w * 3, err);
    mm_img_resampler_free(&r);
    return st;
}

mm_status mm_gray_resize(const uint8_t *src, size_t sw, size_t sh, uint8_t *dst, size_t w,
                         size_t h, mm_interp interp, mm_error *err)
{
    if (!src || !dst || sw == 0 || sh == 0 || w == 0 || h == 0)
        return mm_error_set(err, MM_EINVAL, "resize: empty image");
    mm_img_resampler r = {0};
    mm_status st = mm_img_resample(&r, src, sw, sh, 1, w, h, interp, 0, 0, w, h, dst, w, err);
    mm_img_resampler_free(&r);
    return st;
}

void mm_resize_short_size(size_t w, size_t h, size_t s, size_t *out_w, size_t *out_h)
{
    if (w == 0 || h == 0 || s == 0) {
        *out_w = w;
        *out_h = h;
        return;
    }
    size_t shortv = w <= h ? w : h, longv = w <= h ? h : w;
    /* Python: int(s * long / short), an exact product and a correctly
     * rounded division (exact in double below 2^53), then truncation */
    double q = (double)s * (double)longv / (double)shortv;
    size_t nl = (size_t)q;
    if (w <= h) {
        *out_w = s;
        *out_h = nl;
    } else {
        *out_h = s;
        *out_w = nl;
    }
}

long mm_img_crop_offset(size_t n, size_t crop)
{
    if (crop > n) return -(long)((crop - n) / 2);
    size_t d = n - crop, k = d / 2;
    if (d % 2 == 0) return (long)k;
    return (long)(k % 2 == 0 ? k : k + 1); /* round half to even */
}

mm_status mm_image_center_crop(const mm_image *src, size_t crop_w, size_t crop_h,
                               mm_image *dst, mm_error *err)
{
    if (!src || !dst || src == dst)
        return mm_error_set(err, MM_EINVAL, "center crop: NULL or aliased image");
    if (crop_w == 0 || crop_h == 0)
        return mm_error_set(err, MM_EINVAL, "center crop: empty crop %zu x %zu", crop_w, crop_h);
    mm_status st = mm_image_create(dst, crop_w, crop_h, err);
    if (st != MM_OK) return st;
    long ox = mm_img_crop_offset(src->width, crop_w);
    long oy = mm_img_crop_offset(src->height, crop_h);
    for (size_t y = 0; y < crop_h; y++) {
        uint8_t *d = dst->data + y * crop_w * 3;
        long sy = (long)y + oy;
        if (sy < 0 || sy >= (long)src->height) {
            memset(d, 0, crop_w * 3);
            continue;
        }
        for (size_t x = 0; x < crop_w; x++) {
            long sx = (long)x + ox;
            if (sx < 0 || sx >= (long)src->width) {
                d[3 * x] = d[3 * x + 1] = d[3 * x + 2] = 0;
            } else {
                memcpy(d + 3 * x, src->data + ((size_t)sy * src->width + (size_t)sx) * 3, 3);
            }
        }
    }
    return MM_OK;
}
