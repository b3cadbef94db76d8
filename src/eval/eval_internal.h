/* Helpers shared by the eval sources (not part of the public API).
 *
 * numpy reduces float64 arrays with a pairwise sum (blocks of at most 128
 * elements summed with eight interleaved accumulators, larger arrays split
 * in two at a multiple of 8), starting from the identity 0.0. Summing in
 * the same order makes means, averages and log loss equal numpy's bit for
 * bit rather than to within rounding. */
#ifndef MM_EVAL_INTERNAL_H
#define MM_EVAL_INTERNAL_H

#include <stddef.h>

/* numpy's np.sum(a[0..n)) for float64 a. */
double mm_eval_pairwise_sum(const double *a, size_t n);

/* numpy's np.sum((a[i] - c) * (a[i] - c) for i < n), the variance numerator. */
double mm_eval_pairwise_sqdev(const double *a, size_t n, double c);

/* numpy's np.sum(a[i] * w[i] for i < n) (np.average with weights). */
double mm_eval_pairwise_dot(const double *a, const size_t *w, size_t n);

/* sklearn precision_recall_fscore_support per label (beta = 1,
 * zero_division = 0) from the per-label counts: tp, predicted and true
 * totals. Writes p, r, f for m labels. */
void mm_eval_prf(const size_t *tp, const size_t *pred_sum, const size_t *true_sum, size_t m,
                 double *p, double *r, double *f);

/* F1 from one precision / recall pair, in sklearn's operation order. */
double mm_eval_f1(double p, double r);

#endif
