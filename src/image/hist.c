/*
 * image/hist.c — joint HSV colour histogram.
 *
 * Per pixel (integers r, g, b in 0..255): mx = max, mn = min; v = mx;
 * s = (mx - mn) / mx (0 when mx = 0); hue h in [0, 6) by the hexcone
 * formula (0 when mx = mn). Bins: ih = floor(h / 6 * nh), is = floor(s * ns),
 * iv = floor(v * nv / 256), each clamped to its last bin; flat index
 * (ih * ns + is) * nv + iv. Counts divided by the pixel count (L1 = 1).
 */
#include "image/image_internal.h"

#include <stdlib.h>

static int clampi(int v, int hi)
{
    return v < 0 ? 0 : v > hi ? hi : v;
}

void mm_color_hist_hsv(const mm_image *img, int nh, int ns, int nv, float *out)
{
    size_t nb = (size_t)nh * (size_t)ns * (size_t)nv;
    size_t n = img->width * img->height;
    /* counts fit in float-exact doubles; accumulate as size_t */
    size_t *cnt = calloc(nb, sizeof *cnt);
    if (!cnt) {
        for (size_t i = 0; i < nb; i++) out[i] = 0.0f;
        return;
    }
    const uint8_t *p = img->data;
    for (size_t i = 0; i < n; i++, p += 3) {
        int r = p[0], g = p[1], b = p[2];
        int mx = r > g ? (r > b ? r : b) : (g > b ? g : b);
        int mn = r < g ? (r < b ? r : b) : (g < b ? g : b);
        int d = mx - mn;
        double hue = 0.0, sat = mx ? (double)d / (double)mx : 0.0;
        if (d > 0) {
            if (mx == r) {
                hue = (double)(g - b) / (double)d;
                if (hue < 0) hue += 6.0;
            } else if (mx == g) {
                hue = 2.0 + (double)(b - r) / (double)d;
            } else {
                hue = 4.0 + (double)(r - g) / (double)d;
            }
        }
        int ih = clampi((int)(hue / 6.0 * nh), nh - 1);
        int is = clampi((int)(sat * ns), ns - 1);
        int iv = clampi(mx * nv / 256, nv - 1);
        cnt[((size_t)ih * (size_t)ns + (size_t)is) * (size_t)nv + (size_t)iv]++;
    }
    for (size_t i = 0; i < nb; i++) out[i] = n ? (float)((double)cnt[i] / (double)n) : 0.0f;
    free(cnt);
}
