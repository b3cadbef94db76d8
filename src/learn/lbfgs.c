/* Unconstrained L-BFGS with the iterates of scipy 1.10's L-BFGS-B 3.0. The line search is MINPACK-2's dcsrch/dcstep
 * (Moré & Thuente 1994), written here from its published description. */
#include "learn/lbfgs.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

mm_lbfgs_params mm_lbfgs_params_default(void)
{
    mm_lbfgs_params p;
    p.m = 10;
    p.max_iter = 15000;
    p.max_fun = 15000;
    p.max_ls = 20;
    p.pgtol = 1e-5;
    p.ftol = 2.220446049250313e-09;
    return p;
}

/* ------------------------------------------------------------ dcstep */

/* Safeguarded step for the Moré–Thuente search: updates the interval
 * [stx, sty] that brackets a minimizer and returns the next trial in *stp. */
static void dcstep(double *stx, double *fx, double *dx, double *sty, double *fy, double *dy,
                   double *stp, double fp, double dp, int *brackt, double stpmin, double stpmax)
{
    const double p66 = 0.66;
    double sgnd = dp * (*dx / fabs(*dx));
    double theta, s, gamma, p, q, r, stpc, stpq, stpf;

    if (fp > *fx) {
        /* higher function value: the minimum is bracketed */
        theta = 3.0 * (*fx - fp) / (*stp - *stx) + *dx + dp;
        s = fmax(fabs(theta), fmax(fabs(*dx), fabs(dp)));
        gamma = s * sqrt((theta / s) * (theta / s) - (*dx / s) * (dp / s));
        if (*stp < *stx) gamma = -gamma;
        p = (gamma - *dx) + theta;
        q = ((gamma - *dx) + gamma) + dp;
        r = p / q;
        stpc = *stx + r * (*stp - *stx);
        stpq = *stx + ((*dx / ((*fx - fp) / (*stp - *stx) + *dx)) / 2.0) * (*stp - *stx);
        if (fabs(stpc - *stx) < fabs(stpq - *stx))
            stpf = stpc;
        else
            stpf = stpc + (stpq - stpc) / 2.0;
        *brackt = 1;
    } else if (sgnd < 0.0) {
        /* lower value, derivatives of opposite sign: bracketed */
        theta = 3.0 * (*fx - fp) / (*stp - *stx) + *dx + dp;
        s = fmax(fabs(theta), fmax(fabs(*dx), fabs(dp)));
        gamma = s * sqrt((theta / s) * (theta / s) - (*dx / s) * (dp / s));
        if (*stp > *stx) gamma = -gamma;
        p = (gamma - dp) + theta;
        q = ((gamma - dp) + gamma) + *dx;
        r = p / q;
        stpc = *stp + r * (*stx - *stp);
        stpq = *stp + (dp / (dp - *dx)) * (*stx - *stp);
        if (fabs(stpc - *stp) > fabs(stpq - *stp))
            stpf = stpc;
        else
            stpf = stpq;
        *brackt = 1;
    } else if (fabs(dp) < fabs(*dx)) {
        /* lower value, same sign, derivative magnitude decreases */
        theta = 3.0 * (*fx - fp) / (*stp - *stx) + *dx + dp;
        s = fmax(fabs(theta), fmax(fabs(*dx), fabs(dp)));
        gamma = s * sqrt(fmax(0.0, (theta / s) * (theta / s) - (*dx / s) * (dp / s)));
        if (*stp > *stx) gamma = -gamma;
        p = (gamma - dp) + theta;
        q = (gamma + (*dx - dp)) + gamma;
        r = p / q;
        if (r < 0.0 && gamma != 0.0)
            stpc = *stp + r * (*stx - *stp);
        else if (*stp > *stx)
            stpc = stpmax;
        else
            stpc = stpmin;
        stpq = *stp + (dp / (dp - *dx)) * (*stx - *stp);
        if (*brackt) {
            stpf = fabs(stpc - *stp) < fabs(stpq - *stp) ? stpc : stpq;
            if (*stp > *stx)
                stpf = fmin(*stp + p66 * (*sty - *stp), stpf);
            else
                stpf = fmax(*stp + p66 * (*sty - *stp), stpf);
        } else {
            stpf = fabs(stpc - *stp) > fabs(stpq - *stp) ? stpc : stpq;
            stpf = fmin(stpmax, stpf);
            stpf = fmax(stpmin, stpf);
        }
    } else {
        /* lower value, same sign, derivative does not decrease */
        if (*brackt) {
            theta = 3.0 * (fp - *fy) / (*sty - *stp) + *dy + dp;
            s = fmax(fabs(theta), fmax(fabs(*dy), fabs(dp)));
            gamma = s * sqrt((theta / s) * (theta / s) - (*dy / s) * (dp / s));
            if (*stp > *sty) gamma = -gamma;
            p = (gamma - dp) + theta;
            q = ((gamma - dp) + gamma) + *dy;
            r = p / q;
            stpc = *stp + r * (*sty - *stp);
            stpf = stpc;
        } else if (*stp > *stx) {
            stpf = stpmax;
        } else {
            stpf = stpmin;
        }
    }

    if (fp > *fx) {
        *sty = *stp;
        *fy = fp;
        *dy = dp;
    } else {
        if (sgnd < 0.0) {
            *sty = *stx;
            *fy = *fx;
            *dy = *dx;
        }
        *stx = *stp;
        *fx = fp;
        *dx = dp;
    }
    *stp = stpf;
}

/* ------------------------------------------------------------ dcsrch */

int mm_dcsrch(double f, double g, double *stp, double ftol, double gtol, double xtol,
              double stpmin, double stpmax, int task, mm_dcsrch_state *s)
{
    const double xtrapl = 1.1, xtrapu = 4.0, p5 = 0.5, p66 = 0.66;

    if (task == MM_DCSRCH_START) {
        if (*stp < stpmin || *stp > stpmax || g >= 0.0 || ftol < 0.0 || gtol < 0.0 ||
            xtol < 0.0 || stpmin < 0.0 || stpmax < stpmin)
            return MM_DCSRCH_ERROR;
        s->brackt = 0;
        s->stage = 1;
        s->finit = f;
        s->ginit = g;
        s->gtest = ftol * s->ginit;
        s->width = stpmax - stpmin;
        s->width1 = s->width / p5;
        s->stx = 0.0;
        s->fx = s->finit;
        s->gx = s->ginit;
        s->sty = 0.0;
        s->fy = s->finit;
        s->gy = s->ginit;
        s->stmin = 0.0;
        s->stmax = *stp + xtrapu * *stp;
        return MM_DCSRCH_FG;
    }

    double ftest = s->finit + *stp * s->gtest;
    if (s->stage == 1 && f <= ftest && g >= 0.0) s->stage = 2;

    int out = MM_DCSRCH_FG;
    if (s->brackt && (*stp <= s->stmin || *stp >= s->stmax)) out = MM_DCSRCH_WARN;
    if (s->brackt && s->stmax - s->stmin <= xtol * s->stmax) out = MM_DCSRCH_WARN;
    if (*stp == stpmax && f <= ftest && g <= s->gtest) out = MM_DCSRCH_WARN;
    if (*stp == stpmin && (f > ftest || g >= s->gtest)) out = MM_DCSRCH_WARN;
    if (f <= ftest && fabs(g) <= gtol * (-s->ginit)) out = MM_DCSRCH_CONV;
    if (out != MM_DCSRCH_FG) return out;

    if (s->stage == 1 && f <= s->fx && f > ftest) {
        /* modified function psi(a) = phi(a) - a*gtest while no sufficient decrease */
        double fm = f - *stp * s->gtest;
        double fxm = s->fx - s->stx * s->gtest;
        double fym = s->fy - s->sty * s->gtest;
        double gm = g - s->gtest;
        double gxm = s->gx - s->gtest;
        double gym = s->gy - s->gtest;
        dcstep(&s->stx, &fxm, &gxm, &s->sty, &fym, &gym, stp, fm, gm, &s->brackt, s->stmin,
               s->stmax);
        s->fx = fxm + s->stx * s->gtest;
        s->fy = fym + s->sty * s->gtest;
        s->gx = gxm + s->gtest;
        s->gy = gym + s->gtest;
    } else {
        dcstep(&s->stx, &s->fx, &s->gx, &s->sty, &s->fy, &s->gy, stp, f, g, &s->brackt,
               s->stmin, s->stmax);
    }

    if (s->brackt) {
        if (fabs(s->sty - s->stx) >= p66 * s->width1) *stp = s->stx + p5 * (s->sty - s->stx);
        s->width1 = s->width;
        s->width = fabs(s->sty - s->stx);
    }
    if (s->brackt) {
        s->stmin = fmin(s->stx, s->sty);
        s->stmax = fmax(s->stx, s->sty);
    } else {
        s->stmin = *stp + xtrapl * (*stp - s->stx);
        s->stmax = *stp + xtrapu * (*stp - s->stx);
    }
    *stp = fmax(*stp, stpmin);
    *stp = fmin(*stp, stpmax);
    if ((s->brackt && (*stp <= s->stmin || *stp >= s->stmax)) ||
        (s->brackt && s->stmax - s->stmin <= xtol * s->stmax))
        *stp = s->stx;
    return MM_DCSRCH_FG;
}

/* ------------------------------------------------------------ driver */

/* Vector loops: partial sums in SIMD lanes (fixed by the build). */
static double dot(size_t n, const double *restrict a, const double *restrict b)
{
    double s = 0.0;
#pragma omp simd reduction(+ : s)
    for (size_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

static double max_abs(size_t n, const double *a)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++) {
        double v = fabs(a[i]);
        if (v > m) m = v;
    }
    return m;
}

typedef struct lbfgs_mem {
    size_t n;
    int m, col, head; /* pairs at (head + j) % m, j = 0 (oldest) .. col-1 */
    double *S, *Y, *sy, *alpha;
    double theta;     /* y'y / s'y of the newest pair; 1 when empty */
} lbfgs_mem;

/* z = x - H g by the two-loop recursion over the stored pairs. */
static void two_loop(const lbfgs_mem *M, const double *x, const double *g, double *z)
{
    size_t n = M->n;
    memcpy(z, g, n * sizeof *z);
    for (int j = M->col - 1; j >= 0; j--) {
        int k = (M->head + j) % M->m;
        const double *s = M->S + (size_t)k * n, *y = M->Y + (size_t)k * n;
        double a = dot(n, s, z) / M->sy[k];
        M->alpha[j] = a;
#pragma omp simd
        for (size_t i = 0; i < n; i++) z[i] -= a * y[i];
    }
    double h0 = 1.0 / M->theta;
    for (size_t i = 0; i < n; i++) z[i] *= h0;
    for (int j = 0; j < M->col; j++) {
        int k = (M->head + j) % M->m;
        const double *s = M->S + (size_t)k * n, *y = M->Y + (size_t)k * n;
        double b = dot(n, y, z) / M->sy[k];
        double c = M->alpha[j] - b;
#pragma omp simd
        for (size_t i = 0; i < n; i++) z[i] += c * s[i];
    }
    for (size_t i = 0; i < n; i++) z[i] = x[i] + (-z[i]);
}

static void mem_push(lbfgs_mem *M, const double *s, const double *y, double sy, double yy)
{
    int k;
    if (M->col < M->m) {
        k = (M->head + M->col) % M->m;
        M->col++;
    } else {
        k = M->head;
        M->head = (M->head + 1) % M->m;
    }
    memcpy(M->S + (size_t)k * M->n, s, M->n * sizeof(double));
    memcpy(M->Y + (size_t)k * M->n, y, M->n * sizeof(double));
    M->sy[k] = sy;
    M->theta = yy / sy;
}

static void mem_reset(lbfgs_mem *M)
{
    M->col = 0;
    M->head = 0;
    M->theta = 1.0;
}

mm_status mm_lbfgs_minimize(size_t n, double *x, mm_lbfgs_fn fn, void *user,
                            const mm_lbfgs_params *p, mm_lbfgs_result *res, mm_error *err)
{
    memset(res, 0, sizeof *res);
    if (n == 0 || !x || !fn || !p)
        return mm_error_set(err, MM_EINVAL, "lbfgs: empty problem or missing argument");
    if (p->m < 1 || p->max_iter < 1 || p->max_fun < 1 || p->max_ls < 1 || !(p->pgtol >= 0.0) ||
        !(p->ftol >= 0.0))
        return mm_error_set(err, MM_EINVAL,
                            "lbfgs: invalid parameters (m=%d, max_iter=%d, max_fun=%d, "
                            "max_ls=%d, pgtol=%g, ftol=%g)",
                            p->m, p->max_iter, p->max_fun, p->max_ls, p->pgtol, p->ftol);

    const double eps = DBL_EPSILON;
    const double stpmx = 1e10, ls_ftol = 1e-3, ls_gtol = 0.9, ls_xtol = 0.1;
    const double factr = p->ftol / eps;
    const double tol = factr * eps;

    lbfgs_mem M;
    memset(&M, 0, sizeof M);
    M.n = n;
    M.m = p->m;
    M.S = mm_alloc_array((size_t)p->m, n * sizeof(double));
    M.Y = mm_alloc_array((size_t)p->m, n * sizeof(double));
    M.sy = mm_alloc_array((size_t)p->m, sizeof(double));
    M.alpha = mm_alloc_array((size_t)p->m, sizeof(double));
    double *work = mm_alloc_array(n, 5 * sizeof(double));
    mm_status st = MM_OK;
    if (!M.S || !M.Y || !M.sy || !M.alpha || !work) {
        st = mm_error_set(err, MM_ENOMEM, "lbfgs: cannot allocate memory for %zu variables", n);
        goto done;
    }
    mem_reset(&M);
    double *g = work, *d = work + n, *z = work + 2 * n, *t = work + 3 * n, *r = work + 4 * n;

    double f = 0.0;
    int nfev = 0, nit = 0, iter = 0;
    st = fn(x, &f, g, user, err);
    if (st) goto done;
    nfev = 1;
    double sbgnrm = max_abs(n, g);
    if (sbgnrm <= p->pgtol) {
        res->reason = MM_LBFGS_CONV_PGTOL;
        res->status = 0;
        goto finish;
    }

    for (;;) {
        /* search direction: Cauchy point of theta = 1 with an empty memory
         * (z = x - g), else the quasi-Newton point z = x - H g */
        if (M.col == 0) {
            for (size_t i = 0; i < n; i++) z[i] = x[i] + 1.0 * (-g[i]);
        } else {
            two_loop(&M, x, g, z);
        }
        for (size_t i = 0; i < n; i++) d[i] = z[i] - x[i];

        /* line search (lnsrlb) */
        double dtd = dot(n, d, d);
        double dnorm = sqrt(dtd);
        double stp = iter == 0 ? fmin(1.0 / dnorm, stpmx) : 1.0;
        memcpy(t, x, n * sizeof *t);
        memcpy(r, g, n * sizeof *r);
        double fold = f, gd = 0.0, gdold = 0.0;
        int ifun = 0, failed = 0;
        int task = MM_DCSRCH_START;
        mm_dcsrch_state ls;
        memset(&ls, 0, sizeof ls);
        for (;;) {
            gd = dot(n, g, d);
            if (ifun == 0) {
                gdold = gd;
                if (gd >= 0.0) { /* not a descent direction */
                    failed = 1;
                    break;
                }
            }
            task = mm_dcsrch(f, gd, &stp, ls_ftol, ls_gtol, ls_xtol, 0.0, stpmx, task, &ls);
            if (task == MM_DCSRCH_CONV || task == MM_DCSRCH_WARN) break;
            if (task == MM_DCSRCH_ERROR) {
                failed = 1;
                break;
            }
            ifun++;
            if (ifun - 1 >= p->max_ls) {
                failed = 1;
                break;
            }
            if (stp == 1.0) {
                memcpy(x, z, n * sizeof *x);
            } else {
                for (size_t i = 0; i < n; i++) x[i] = stp * d[i] + t[i];
            }
            st = fn(x, &f, g, user, err);
            if (st) goto done;
            nfev++;
        }
        if (failed) {
            memcpy(x, t, n * sizeof *x);
            memcpy(g, r, n * sizeof *g);
            f = fold;
            if (M.col == 0) {
                res->reason = MM_LBFGS_ABNORMAL;
                res->status = 2;
                sbgnrm = max_abs(n, g);
                goto finish;
            }
            mem_reset(&M); /* refresh the memory and try again */
            continue;
        }

        iter++;
        nit++;
        sbgnrm = max_abs(n, g);
        if (nit >= p->max_iter) {
            res->reason = MM_LBFGS_MAX_ITER;
            res->status = 1;
            goto finish;
        }
        if (nfev > p->max_fun) {
            res->reason = MM_LBFGS_MAX_FUN;
            res->status = 1;
            goto finish;
        }
        if (sbgnrm <= p->pgtol) {
            res->reason = MM_LBFGS_CONV_PGTOL;
            res->status = 0;
            goto finish;
        }
        double ddum = fmax(fmax(fabs(fold), fabs(f)), 1.0);
        if (fold - f <= tol * ddum) {
            res->reason = MM_LBFGS_CONV_FTOL;
            res->status = 0;
            goto finish;
        }

        /* correction pair s = stp*d, y = g_new - g_old */
        for (size_t i = 0; i < n; i++) r[i] = g[i] - r[i];
        double rr = dot(n, r, r), dr;
        if (stp == 1.0) {
            dr = gd - gdold;
            ddum = -gdold;
        } else {
            dr = (gd - gdold) * stp;
            for (size_t i = 0; i < n; i++) d[i] *= stp;
            ddum = -gdold * stp;
        }
        if (dr <= eps * ddum) continue; /* skip the update */
        mem_push(&M, d, r, dr, rr);
    }

finish:
    res->f = f;
    res->pg_norm = sbgnrm;
    res->n_iter = nit;
    res->n_fev = nfev;
done:
    free(M.S);
    free(M.Y);
    free(M.sy);
    free(M.alpha);
    free(work);
    return st;
}
