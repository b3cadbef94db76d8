/*
 * image/convert.c — pixel conversions to RGB with the values PIL 9.4's
 * convert('RGB') produces (libImaging/Convert.c and Unpack.c), and PIL's
 * RGB -> L conversion.
 */
#include "image/image_internal.h"

void mm_img_gray_to_rgb(const uint8_t *g, size_t n, uint8_t *rgb)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t v = g[i];
        rgb[3 * i + 0] = v;
        rgb[3 * i + 1] = v;
        rgb[3 * i + 2] = v;
    }
}

void mm_img_drop_alpha(const uint8_t *in, size_t n, uint8_t *rgb)
{
    for (size_t i = 0; i < n; i++) {
        rgb[3 * i + 0] = in[4 * i + 0];
        rgb[3 * i + 1] = in[4 * i + 1];
        rgb[3 * i + 2] = in[4 * i + 2];
    }
}

void mm_img_ga_to_rgb(const uint8_t *ga, size_t n, uint8_t *rgb)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t v = ga[2 * i];
        rgb[3 * i + 0] = v;
        rgb[3 * i + 1] = v;
        rgb[3 * i + 2] = v;
    }
}

/* PIL opens 16-bit gray as mode "I"; I -> RGB clips each value to 0..255. */
void mm_img_gray16_to_rgb(const uint8_t *be16, size_t n, uint8_t *rgb)
{
    for (size_t i = 0; i < n; i++) {
        unsigned v = ((unsigned)be16[2 * i] << 8) | be16[2 * i + 1];
        uint8_t c = v > 255 ? 255 : (uint8_t)v;
        rgb[3 * i + 0] = c;
        rgb[3 * i + 1] = c;
        rgb[3 * i + 2] = c;
    }
}

/* PIL reads 4-channel JPEGs as "CMYK;I" (every sample inverted), then
 * cmyk2rgb: nk = 255 - k; x = nk - MULDIV255(c, nk) with
 * MULDIV255(a, b) = ((a*b + 128) + ((a*b + 128) >> 8)) >> 8. */
void mm_img_cmyk_to_rgb(const uint8_t *cmyk, size_t n, uint8_t *rgb)
{
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = cmyk + 4 * i;
        int nk = p[3]; /* 255 - (255 - raw k) */
        for (int j = 0; j < 3; j++) {
            int cc = 255 - p[j];
            int t = cc * nk + 128;
            int m = ((t >> 8) + t) >> 8;
            int v = nk - m;
            rgb[3 * i + j] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    }
}

void mm_img_palette_to_rgb(const uint8_t *idx, size_t n, const uint8_t pal[768], uint8_t *rgb)
{
    for (size_t i = 0; i < n; i++) {
        const uint8_t *e = pal + 3 * (size_t)idx[i];
        rgb[3 * i + 0] = e[0];
        rgb[3 * i + 1] = e[1];
        rgb[3 * i + 2] = e[2];
    }
}

void mm_image_to_gray(const mm_image *img, uint8_t *gray)
{
    size_t n = img->width * img->height;
    const uint8_t *p = img->data;
    for (size_t i = 0; i < n; i++, p += 3)
        gray[i] = (uint8_t)(((uint32_t)p[0] * 19595u + (uint32_t)p[1] * 38470u +
                             (uint32_t)p[2] * 7471u + 0x8000u) >> 16);
}
