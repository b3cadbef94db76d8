/* Pooling over time: mean and population standard deviation (numpy's
 * mean / std with ddof=0), accumulated in double (two passes, so the
 * variance of a near-constant row does not cancel). */
#include "audio/audio_internal.h"

#include <math.h>

void mm_pool_rows(const float *x, size_t rows, size_t T, float *mean, float *std)
{
    for (size_t r = 0; r < rows; r++) {
        const float *v = x + r * T;
        double s = 0.0;
        for (size_t t = 0; t < T; t++) s += (double)v[t];
        double mu = T ? s / (double)T : 0.0;
        mean[r] = (float)mu;
        if (!std) continue;
        double ss = 0.0;
        for (size_t t = 0; t < T; t++) {
            double d = (double)v[t] - mu;
            ss += d * d;
        }
        std[r] = (float)(T ? sqrt(ss / (double)T) : 0.0);
    }
}
