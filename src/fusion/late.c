/* Late fusion by averaging probabilities over the modalities present. */
#include "mmfuse/fusion.h"

#include <string.h>

size_t mm_late_average(const double *const *probas, const uint8_t *const *present,
                       size_t n_blocks, size_t n, size_t K, const double *prior, double *out)
{
    size_t none = 0;
    for (size_t i = 0; i < n; i++) {
        double *o = out + i * K;
        memset(o, 0, K * sizeof *o);
        size_t used = 0;
        for (size_t b = 0; b < n_blocks; b++) {
            if (present && present[b] && !present[b][i]) continue;
            const double *p = probas[b] + i * K;
            for (size_t k = 0; k < K; k++) o[k] += p[k];
            used++;
        }
        if (used == 0) {
            memcpy(o, prior, K * sizeof *o);
            none++;
        } else {
            for (size_t k = 0; k < K; k++) o[k] /= (double)used;
        }
    }
    return none;
}
