/*
 * image/stats.c — simple intensity statistics (16 values):
 *   for R, G, B and gray (PIL 'L'): mean / 255, population std / 255 and
 *   skewness E[(x - m)^3] / std^3 (0 when std < 1e-12);
 *   for gray: the 10th, 50th and 90th percentiles / 255 (the smallest value
 *   whose cumulative count reaches q * n) and the Shannon entropy of the
 *   256-bin histogram in bits / 8.
 * Everything is computed from 256-bin histograms in double.
 */
#include "image/image_internal.h"

#include <math.h>

static void moments(const double hist[256], double n, float out[3])
{
    double s = 0.0;
    for (int v = 0; v < 256; v++) s += hist[v] * v;
    double m = s / n, m2 = 0.0, m3 = 0.0;
    for (int v = 0; v < 256; v++) {
        double d = v - m;
        m2 += hist[v] * d * d;
        m3 += hist[v] * d * d * d;
    }
    m2 /= n;
    m3 /= n;
    double sd = sqrt(m2);
    out[0] = (float)(m / 255.0);
    out[1] = (float)(sd / 255.0);
    out[2] = sd < 1e-12 ? 0.0f : (float)(m3 / (sd * sd * sd));
}

void mm_image_stats(const mm_image *img, const uint8_t *gray, float out[16])
{
    double hist[4][256];
    memset(hist, 0, sizeof hist);
    size_t n = img->width * img->height;
    if (n == 0) {
        for (int i = 0; i < 16; i++) out[i] = 0.0f;
        return;
    }
    const uint8_t *p = img->data;
    for (size_t i = 0; i < n; i++, p += 3) {
        hist[0][p[0]] += 1.0;
        hist[1][p[1]] += 1.0;
        hist[2][p[2]] += 1.0;
        hist[3][gray[i]] += 1.0;
    }
    double dn = (double)n;
    for (int c = 0; c < 4; c++) moments(hist[c], dn, out + 3 * c);
    static const double qs[3] = {0.1, 0.5, 0.9};
    for (int k = 0; k < 3; k++) {
        double cum = 0.0, target = qs[k] * dn;
        int v = 0;
        for (; v < 255; v++) {
            cum += hist[3][v];
            if (cum >= target) break;
        }
        out[12 + k] = (float)(v / 255.0);
    }
    double ent = 0.0;
    for (int v = 0; v < 256; v++)
        if (hist[3][v] > 0) {
            double q = hist[3][v] / dn;
            ent -= q * log2(q);
        }
    out[15] = (float)(ent / 8.0);
}
