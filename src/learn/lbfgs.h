/*
 * learn/lbfgs.h — private unconstrained L-BFGS minimizer that follows
 * scipy 1.10's L-BFGS-B 3.0 (no bounds) step for step: the same first step
 * (the Cauchy point of the unscaled gradient, then a step of 1/||d||), the
 * same Moré–Thuente line search (MINPACK-2 dcsrch/dcstep with ftol = 1e-3,
 * gtol = 0.9, xtol = 0.1, stpmax = 1e10, at most max_ls evaluations), the
 * same curvature test for skipping an update, the same restart with an
 * empty memory after a failed line search, and the same stopping rules in
 * the same order (iteration limit, then max|g| <= pgtol, then the relative
 * reduction of f against factr·eps).
 *
 * The search direction is computed with the two-loop recursion (H0 =
 * s'y / y'y of the newest pair), which equals L-BFGS-B's compact-form
 * subspace step for unbounded problems up to rounding; s'y of each pair is
 * taken as L-BFGS-B forms it, stp·(g_new'd − g_old'd).
 */
#ifndef MM_LEARN_LBFGS_H
#define MM_LEARN_LBFGS_H

#include "mmfuse/core.h"

/* Evaluates f(x) and its gradient g (n values). Returns MM_OK or a status
 * (with err filled) that stops the minimization and is returned by it. */
typedef mm_status (*mm_lbfgs_fn)(const double *x, double *f, double *g, void *user,
                                 mm_error *err);

typedef struct mm_lbfgs_params {
    int m;        /* stored correction pairs, 10                          */
    int max_iter; /* iteration limit (scipy maxiter), 15000               */
    int max_fun;  /* evaluation limit (scipy maxfun), 15000               */
    int max_ls;   /* evaluations per line search (scipy maxls), 20        */
    double pgtol; /* stop when max|g_i| <= pgtol (scipy gtol), 1e-5       */
    double ftol;  /* relative reduction test, factr = ftol / eps, 2.22e-9 */
} mm_lbfgs_params;

typedef enum mm_lbfgs_reason {
    MM_LBFGS_CONV_PGTOL = 0, /* max|g| <= pgtol                                 */
    MM_LBFGS_CONV_FTOL,      /* (f_old - f) <= factr·eps·max(|f_old|, |f|, 1)   */
    MM_LBFGS_MAX_ITER,       /* iteration limit reached                          */
    MM_LBFGS_MAX_FUN,        /* evaluation limit exceeded                        */
    MM_LBFGS_ABNORMAL        /* the line search failed with an empty memory     */
} mm_lbfgs_reason;

typedef struct mm_lbfgs_result {
    double f;               /* objective at the returned x                   */
    double pg_norm;         /* max|g_i| at the returned x                    */
    int n_iter;             /* completed iterations (scipy nit)              */
    int n_fev;              /* evaluations of fn                             */
    int status;             /* scipy's: 0 converged, 1 limit, 2 abnormal     */
    mm_lbfgs_reason reason;
} mm_lbfgs_result;

mm_lbfgs_params mm_lbfgs_params_default(void);

/* Minimizes fn from x (n values, overwritten with the final iterate).
 * Returns MM_OK whatever the stop reason (see res), MM_EINVAL for bad
 * params, MM_ENOMEM, or the status fn returned. */
mm_status mm_lbfgs_minimize(size_t n, double *x, mm_lbfgs_fn fn, void *user,
                            const mm_lbfgs_params *p, mm_lbfgs_result *res, mm_error *err);

/* One step of the MINPACK-2 line search state machine (exposed for tests).
 * task: 0 = start, 1 = evaluate f, g at *stp and call again, 2 = converged,
 * 3 = warning (stop, accept stp), 4 = invalid start arguments. */
typedef struct mm_dcsrch_state {
    int brackt, stage;
    double ginit, gtest, gx, gy, finit, fx, fy, stx, sty, stmin, stmax, width, width1;
} mm_dcsrch_state;

enum { MM_DCSRCH_START = 0, MM_DCSRCH_FG = 1, MM_DCSRCH_CONV = 2, MM_DCSRCH_WARN = 3,
       MM_DCSRCH_ERROR = 4 };

int mm_dcsrch(double f, double g, double *stp, double ftol, double gtol, double xtol,
              double stpmin, double stpmax, int task, mm_dcsrch_state *s);

#endif /* MM_LEARN_LBFGS_H */
