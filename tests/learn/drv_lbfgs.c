/* Minimizes the extended Rosenbrock function in n dimensions from
 * x0 = (-1.2, 1, -1.2, 1, ...) with the private L-BFGS and prints
 * "nit nfev status f" then x, for comparison with scipy's L-BFGS-B.
 * usage: drv_lbfgs n max_iter pgtol */
#include "learn/lbfgs.h"

#include <stdio.h>
#include <stdlib.h>

static mm_status rosen(const double *x, double *f, double *g, void *user, mm_error *err)
{
    (void)err;
    size_t n = *(const size_t *)user;
    double s = 0.0;
    for (size_t i = 0; i < n; i++) g[i] = 0.0;
    for (size_t i = 0; i + 1 < n; i++) {
        double a = x[i + 1] - x[i] * x[i], b = 1.0 - x[i];
        s += 100.0 * a * a + b * b;
        g[i] += -400.0 * x[i] * a - 2.0 * b;
        g[i + 1] += 200.0 * a;
    }
    *f = s;
    return MM_OK;
}

int main(int argc, char **argv)
{
    if (argc != 4) return 2;
    size_t n = (size_t)strtoul(argv[1], NULL, 10);
    mm_lbfgs_params p = mm_lbfgs_params_default();
    p.max_iter = atoi(argv[2]);
    p.pgtol = strtod(argv[3], NULL);
    double *x = malloc(n * sizeof *x);
    if (!x || n < 2) return 2;
    for (size_t i = 0; i < n; i++) x[i] = i % 2 ? 1.0 : -1.2;
    mm_lbfgs_result r;
    mm_error err = {0};
    if (mm_lbfgs_minimize(n, x, rosen, &n, &p, &r, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    printf("%d %d %d %.17g\n", r.n_iter, r.n_fev, r.status, r.f);
    for (size_t i = 0; i < n; i++) printf("%.17g ", x[i]);
    printf("\n");
    free(x);
    return 0;
}
