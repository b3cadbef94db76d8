/* numpy's pairwise float64 summation (umath loops_utils), reproduced so that
 * averages and losses match numpy bit for bit. */
#include "eval/eval_internal.h"

enum { PW_BLOCK = 128 };

/* The element being summed: a plain value, a squared deviation, or a
 * weighted value. Each is computed exactly as numpy computes the
 * intermediate array before reducing it. */
typedef struct pw_src {
    const double *a;
    const size_t *w;
    double c;
    int mode; /* 0: a[i], 1: (a[i] - c)^2, 2: a[i] * w[i] */
} pw_src;

static double pw_elem(const pw_src *s, size_t i)
{
    switch (s->mode) {
    case 1: {
        double d = s->a[i] - s->c;
        return d * d;
    }
    case 2:
        return s->a[i] * (double)s->w[i];
    default:
        return s->a[i];
    }
}

static double pw_sum(const pw_src *s, size_t lo, size_t n)
{
    if (n < 8) {
        double res = 0.0;
        for (size_t i = 0; i < n; i++) res += pw_elem(s, lo + i);
        return res;
    }
    if (n <= PW_BLOCK) {
        double r[8];
        for (size_t j = 0; j < 8; j++) r[j] = pw_elem(s, lo + j);
        size_t i = 8;
        for (; i < n - n % 8; i += 8)
            for (size_t j = 0; j < 8; j++) r[j] += pw_elem(s, lo + i + j);
        double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++) res += pw_elem(s, lo + i);
        return res;
    }
    size_t n2 = n / 2;
    n2 -= n2 % 8;
    return pw_sum(s, lo, n2) + pw_sum(s, lo + n2, n - n2);
}

double mm_eval_pairwise_sum(const double *a, size_t n)
{
    pw_src s = {a, NULL, 0.0, 0};
    return 0.0 + pw_sum(&s, 0, n);
}

double mm_eval_pairwise_sqdev(const double *a, size_t n, double c)
{
    pw_src s = {a, NULL, c, 1};
    return 0.0 + pw_sum(&s, 0, n);
}

double mm_eval_pairwise_dot(const double *a, const size_t *w, size_t n)
{
    pw_src s = {a, w, 0.0, 2};
    return 0.0 + pw_sum(&s, 0, n);
}
