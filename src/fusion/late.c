/* Late fusion: weighted averages of per-block probabilities over the blocks
 * present in each row, and the meta features of stacking. */
#include "mmfuse/fusion.h"

#include <string.h>

size_t mm_late_weighted(const double *const *probas, const uint8_t *const *present, const double *w,
                        size_t n_blocks, size_t n, size_t K, const double *prior, double *out)
{
    size_t none = 0;
    for (size_t i = 0; i < n; i++) {
        double *o = out + i * K;
        memset(o, 0, K * sizeof *o);
        double total = 0;
        for (size_t b = 0; b < n_blocks; b++) {
            if (present && present[b] && !present[b][i]) continue;
            double wb = w ? w[b] : 1.0;
            if (wb <= 0) continue;
            const double *p = probas[b] + i * K;
            for (size_t k = 0; k < K; k++) o[k] += wb * p[k];
            total += wb;
        }
        if (total <= 0) {
            memcpy(o, prior, K * sizeof *o);
            none++;
        } else {
            for (size_t k = 0; k < K; k++) o[k] /= total;
        }
    }
    return none;
}

size_t mm_late_average(const double *const *probas, const uint8_t *const *present, size_t n_blocks,
                       size_t n, size_t K, const double *prior, double *out)
{
    return mm_late_weighted(probas, present, NULL, n_blocks, n, K, prior, out);
}

void mm_stack_features(const double *const *probas, const uint8_t *const *present, size_t n_blocks,
                       size_t n, size_t K, const double *prior, double *out)
{
    size_t width = n_blocks * (K + 1);
    for (size_t i = 0; i < n; i++) {
        double *o = out + i * width;
        for (size_t b = 0; b < n_blocks; b++) {
            bool has = !present || !present[b] || present[b][i];
            memcpy(o + b * (K + 1), has ? probas[b] + i * K : prior, K * sizeof *o);
            o[b * (K + 1) + K] = has ? 1.0 : 0.0;
        }
    }
}
