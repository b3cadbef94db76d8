/* Delta features: librosa.feature.delta(x, width, order, mode='interp') =
 * scipy.signal.savgol_filter(x, width, polyorder=order, deriv=order,
 * mode='interp') along time (numerics.md §8.3).
 *
 * Interior frames: the order-th derivative of the least-squares polynomial
 * of degree `order` through the width frames around t, which is a fixed
 * filter:
 *     order 1:  sum_k k x[t+k] / sum_k k^2
 *     order 2:  2 sum_k (k^2 - c) x[t+k] / sum_k (k^2 - c)^2,  c = mean of k^2
 * for k = -h..h, h = width/2 (width 9: k/60 and (3k^2 - 20)/462).
 * Edges ('interp'): the same polynomial fitted to the first (last) width
 * frames, differentiated `order` times, evaluated at the first (last) h
 * positions. A polynomial of degree `order` differentiated `order` times is
 * a constant, so those h outputs equal the interior value at t = h
 * (t = T-1-h). Computed in double, stored as float. */
#include "audio/audio_internal.h"

#include <stdlib.h>

mm_status mm_audio_delta(const float *x, size_t rows, size_t T, int width, int order, float *out,
                         mm_error *err)
{
    if (width < 3 || width % 2 == 0)
        return mm_error_set(err, MM_EINVAL, "delta: width %d must be odd and >= 3", width);
    if (order != 1 && order != 2)
        return mm_error_set(err, MM_EINVAL, "delta: order %d must be 1 or 2", order);
    if (T < (size_t)width)
        return mm_error_set(err, MM_EFORMAT, "too short (%zu frames, need %d)", T, width);
    const size_t h = (size_t)width / 2;
    double c[1025]; /* coefficients for k = -h..h; width is small in practice */
    double *coef = (size_t)width <= sizeof c / sizeof c[0] ? c : mm_alloc_array((size_t)width, sizeof(double));
    if (!coef) return mm_error_set(err, MM_ENOMEM, "out of memory (delta width %d)", width);
    double s2 = 0.0, s4 = 0.0;
    for (size_t i = 0; i < (size_t)width; i++) {
        double k = (double)i - (double)h;
        s2 += k * k;
    }
    double mean_k2 = s2 / (double)width;
    for (size_t i = 0; i < (size_t)width; i++) {
        double k = (double)i - (double)h, d = k * k - mean_k2;
        s4 += d * d;
    }
    for (size_t i = 0; i < (size_t)width; i++) {
        double k = (double)i - (double)h;
        coef[i] = order == 1 ? k / s2 : 2.0 * (k * k - mean_k2) / s4;
    }
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * T;
        float *o = out + r * T;
        for (size_t t = h; t + h < T; t++) {
            double acc = 0.0;
            const float *win = xr + t - h;
            for (size_t i = 0; i < (size_t)width; i++) acc += coef[i] * (double)win[i];
            o[t] = (float)acc;
        }
        for (size_t t = 0; t < h; t++) {
            o[t] = o[h];
            o[T - 1 - t] = o[T - 1 - h];
        }
    }
    if (coef != c) free(coef);
    return MM_OK;
}
