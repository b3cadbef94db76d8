/*
 * image/lbp.c — local binary patterns with scikit-image 0.19's semantics
 * (skimage.feature.local_binary_pattern, _texture.pyx, method 'uniform'):
 * sample i of P sits at (y + rp[i], x + cp[i]) with rp = round(-R sin(a), 5),
 * cp = round(R cos(a), 5), a = 2 pi i / P (R taken as a C float, as the
 * Cython signature does); samples are bilinear with zero outside the image
 * (skimage's get_pixel2d mode 'C'); a sample is 1 when sample - centre >= 0;
 * the pattern is uniform when consecutive samples 0..P-1 change at most
 * twice (the wrap-around pair is not counted, as in scikit-image), and its
 * code is then the number of 1s, else P + 1.
 */
#include "image/image_internal.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>

static double np_round5(double x)
{
    return nearbyint(x * 100000.0) / 100000.0;
}

mm_status mm_lbp_uniform(const uint8_t *gray, size_t w, size_t h, int points, double radius,
                         uint8_t *codes, mm_error *err)
{
    if (points < 1 || points > 32 || !(radius > 0.0) || !(radius <= 65536.0))
        return mm_error_set(err, MM_EINVAL, "lbp: P = %d must be 1..32 and R = %g in (0, 65536]",
                            points, radius);
    if (!gray || !codes || w == 0 || h == 0 || w > (size_t)LONG_MAX / (h ? h : 1))
        return mm_error_set(err, MM_EINVAL, "lbp: empty image");
    double R = (double)(float)radius;
    double rp[32], cp[32];
    for (int i = 0; i < points; i++) {
        double a = 2.0 * 3.14159265358979323846 * (double)i / (double)points;
        rp[i] = np_round5(-R * sin(a));
        cp[i] = np_round5(R * cos(a));
    }
    /* A zero border of pad pixels stands for skimage's constant-0 reads
     * outside the image; floor/ceil and the fractional parts depend only on
     * the row (or column) and the sample, so they are tabulated once. The
     * arithmetic per sample is skimage's, operation for operation. */
    size_t pad = (size_t)ceil(R) + 2, P = (size_t)points;
    size_t W2 = w + 2 * pad, H2 = h + 2 * pad, n2;
    if (!mm_size_mul(W2, H2, &n2)) return mm_error_set(err, MM_EINVAL, "lbp: image too large");
    double *img = mm_calloc_array(n2, sizeof(double));
    long *rlo = mm_alloc_array(P * h, 2 * sizeof(long));
    long *clo = mm_alloc_array(P * w, 2 * sizeof(long));
    double *rfr = mm_alloc_array(P * h, 2 * sizeof(double));
    double *cfr = mm_alloc_array(P * w, 2 * sizeof(double));
    mm_status st = MM_OK;
    if (!img || !rlo || !clo || !rfr || !cfr) {
        st = mm_error_set(err, MM_ENOMEM, "lbp: out of memory");
        goto done;
    }
    for (size_t y = 0; y < h; y++)
        for (size_t x = 0; x < w; x++) img[(y + pad) * W2 + x + pad] = gray[y * w + x];
    for (size_t i = 0; i < P; i++) {
        for (size_t r = 0; r < h; r++) {
            double v = (double)r + rp[i];
            double lo = floor(v), hi = ceil(v), d = v - (double)(long)lo;
            rlo[2 * (i * h + r)] = (long)lo + (long)pad;
            rlo[2 * (i * h + r) + 1] = (long)hi + (long)pad;
            rfr[2 * (i * h + r)] = d;
            rfr[2 * (i * h + r) + 1] = 1 - d;
        }
        for (size_t c = 0; c < w; c++) {
            double v = (double)c + cp[i];
            double lo = floor(v), hi = ceil(v), d = v - (double)(long)lo;
            clo[2 * (i * w + c)] = (long)lo + (long)pad;
            clo[2 * (i * w + c) + 1] = (long)hi + (long)pad;
            cfr[2 * (i * w + c)] = d;
            cfr[2 * (i * w + c) + 1] = 1 - d;
        }
    }
    bool whole[32];
    long ioff[32];
    for (size_t i = 0; i < P; i++) {
        whole[i] = rp[i] == floor(rp[i]) && cp[i] == floor(cp[i]);
        ioff[i] = whole[i] ? (long)rp[i] * (long)W2 + (long)cp[i] : 0;
    }
    for (size_t r = 0; r < h; r++) {
        const double *crow = img + (r + pad) * W2 + pad;
        for (size_t c = 0; c < w; c++) {
            double centre = crow[c];
            int prev = 0, ones = 0, changes = 0;
            for (size_t i = 0; i < P; i++) {
                double tex;
                if (whole[i]) {
                    /* integral offsets: skimage's blend (1-0)*v + 0*u is v */
                    tex = crow[(long)c + ioff[i]];
                } else {
                    const long *ri = rlo + 2 * (i * h + r), *ci = clo + 2 * (i * w + c);
                    const double *rf = rfr + 2 * (i * h + r), *cf = cfr + 2 * (i * w + c);
                    const double *top = img + ri[0] * (long)W2, *bot = img + ri[1] * (long)W2;
                    double t = cf[1] * top[ci[0]] + cf[0] * top[ci[1]];
                    double bt = cf[1] * bot[ci[0]] + cf[0] * bot[ci[1]];
                    tex = rf[1] * t + rf[0] * bt;
                }
                int bit = tex - centre >= 0 ? 1 : 0;
                ones += bit;
                if (i > 0) changes += bit != prev;
                prev = bit;
            }
            codes[r * w + c] = (uint8_t)(changes <= 2 ? ones : points + 1);
        }
    }
done:
    free(img);
    free(rlo);
    free(clo);
    free(rfr);
    free(cfr);
    return st;
}
