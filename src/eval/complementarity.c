/* Error complementarity of two classifiers (see eval.h). */
#include "mmfuse/eval.h"

#include <math.h>

mm_status mm_complementarity_compute(const int32_t *y, const int32_t *pred_a, const int32_t *pred_b, size_t n,
                                     mm_complementarity *out, mm_error *err)
{
    if (n == 0) return mm_error_set(err, MM_EINVAL, "complementarity of zero rows");
    size_t rr = 0, rw = 0, wr = 0, ww = 0;
    for (size_t i = 0; i < n; i++) {
        bool a = pred_a[i] == y[i], b = pred_b[i] == y[i];
        rr += a && b;
        rw += a && !b;
        wr += !a && b;
        ww += !a && !b;
    }
    double N = (double)n;
    out->both_right = (double)rr / N;
    out->only_a = (double)rw / N;
    out->only_b = (double)wr / N;
    out->both_wrong = (double)ww / N;
    out->one_right = out->only_a + out->only_b;
    double ad = (double)rr * (double)ww, bc = (double)rw * (double)wr;
    out->yule_q = ad + bc > 0 ? (ad - bc) / (ad + bc) : NAN;
    /* kappa of the error indicators: observed agreement vs chance agreement */
    double pa = (double)(wr + ww) / N, pb = (double)(rw + ww) / N; /* error rates */
    double po = (double)(rr + ww) / N, pe = pa * pb + (1 - pa) * (1 - pb);
    out->error_kappa = pe < 1 ? (po - pe) / (1 - pe) : NAN;
    return MM_OK;
}

const char *mm_complementarity_verdict(double gain)
{
    return gain > 0.05 ? "HIGH" : gain > 0.01 ? "MODERATE" : "LOW";
}
