/* The batched FFT kernels of fft.c, written once and compiled once per
 * instruction set: fft.c defines
 *     MM_KV    a GCC vector type of MM_KW doubles (MM_KW divides MM_FFT_LANES)
 *     MM_KATTR function attributes (e.g. a target) for this instance
 *     MM_K(x)  the instance's name for x
 * and includes this file. Narrower vectors walk the lanes in MM_KW-wide
 * slices, so register pressure stays that of one vector per value.
 *
 * Layout: point j of the complex sequence occupies z[j * PS .. j * PS + PS)
 * with PS = 2 * MM_FFT_LANES: the real parts of the lanes, then their
 * imaginary parts (one 64-byte cache line per point). */

#define PS (2 * MM_FFT_LANES)
#define RE(x, i) ((x) + (i) * PS + h)
#define IM(x, i) ((x) + (i) * PS + MM_FFT_LANES + h)
#define KL(p) (*(const MM_KV *)(p))
#define KS(p, v) (*(MM_KV *)(p) = (v))

/* One level of the depth-first radix-4 DIF on lanes [h, h + MM_KW). */
static inline __attribute__((always_inline)) void MM_K(level)(const double *restrict wr,
                                                              const double *restrict wi, double *x,
                                                              size_t n, size_t step, size_t h)
{
    if (n == 2) {
        MM_KV ar = KL(RE(x, 0)), ai = KL(IM(x, 0)), br = KL(RE(x, 1)), bi = KL(IM(x, 1));
        KS(RE(x, 0), ar + br);
        KS(IM(x, 0), ai + bi);
        KS(RE(x, 1), ar - br);
        KS(IM(x, 1), ai - bi);
        return;
    }
    if (n < 4) return;
    const size_t n4 = n / 4;
    for (size_t j = 0; j < n4; j++) {
        const size_t a = j, b = j + n4, c = j + 2 * n4, d = j + 3 * n4;
        MM_KV ar = KL(RE(x, a)), ai = KL(IM(x, a));
        MM_KV br = KL(RE(x, b)), bi = KL(IM(x, b));
        MM_KV cr = KL(RE(x, c)), ci = KL(IM(x, c));
        MM_KV dr = KL(RE(x, d)), di = KL(IM(x, d));
        MM_KV apc_r = ar + cr, apc_i = ai + ci, amc_r = ar - cr, amc_i = ai - ci;
        MM_KV bpd_r = br + dr, bpd_i = bi + di, bmd_r = br - dr, bmd_i = bi - di;
        KS(RE(x, a), apc_r + bpd_r);
        KS(IM(x, a), apc_i + bpd_i);
        /* quarter 1: (amc - i bmd) w^j; 2: (apc - bpd) w^2j; 3: (amc + i bmd) w^3j */
        MM_KV u1r = amc_r + bmd_i, u1i = amc_i - bmd_r;
        MM_KV u2r = apc_r - bpd_r, u2i = apc_i - bpd_i;
        MM_KV u3r = amc_r - bmd_i, u3i = amc_i + bmd_r;
        if (j == 0) { /* every twiddle is 1 */
            KS(RE(x, b), u1r);
            KS(IM(x, b), u1i);
            KS(RE(x, c), u2r);
            KS(IM(x, c), u2i);
            KS(RE(x, d), u3r);
            KS(IM(x, d), u3i);
            continue;
        }
        const double w1r = wr[j * step], w1i = wi[j * step];
        const double w2r = wr[2 * j * step], w2i = wi[2 * j * step];
        const double w3r = wr[3 * j * step], w3i = wi[3 * j * step];
        KS(RE(x, b), u1r * w1r - u1i * w1i);
        KS(IM(x, b), u1r * w1i + u1i * w1r);
        KS(RE(x, c), u2r * w2r - u2i * w2i);
        KS(IM(x, c), u2r * w2i + u2i * w2r);
        KS(RE(x, d), u3r * w3r - u3i * w3i);
        KS(IM(x, d), u3r * w3i + u3i * w3r);
    }
}

/* The recursion: this level, then each quarter on its own (size 8 finishes
 * with its radix-2 level inline). */
MM_KATTR static void MM_K(dif4)(const double *wr, const double *wi, double *x, size_t n,
                                size_t step, size_t h)
{
    const size_t q4 = (n / 4) * PS;
    MM_K(level)(wr, wi, x, n, step, h);
    if (n < 16) {
        if (n == 8)
            for (size_t q = 0; q < 4; q++) MM_K(level)(wr, wi, x + q * q4, 2, 4 * step, h);
        return;
    }
    for (size_t q = 0; q < 4; q++) MM_K(dif4)(wr, wi, x + q * q4, n / 4, 4 * step, h);
}

MM_KATTR static void MM_K(power4)(const mm_rfft *f, double *z, double *power)
{
    const size_t L = MM_FFT_LANES, M = f->m;
    const size_t *where = f->where;
    const double *pr = f->p_re, *pi = f->p_im;
    for (size_t h = 0; h < L; h += MM_KW) {
        MM_K(dif4)(f->w_re, f->w_im, z, M, 1, h);
        MM_KV r0 = KL(RE(z, 0)), i0 = KL(IM(z, 0)); /* bin 0 stays at position 0 */
        MM_KV x0 = r0 + i0, xm = r0 - i0;
        KS(power + h, x0 * x0);
        KS(power + M * L + h, xm * xm);
        /* bins k and m - k from the same two points: with A = Z[k],
         * B = Z[m-k], E = (A + conj B)/2, O = (A - conj B)/2, w^k = (c, s):
         *   X[k]   = E - i w^k O        = (Er + wo_i,  Ei - wo_r)
         *   X[m-k] = conj E - i w^{m-k} (-conj O)
         *          = (Er - wo_i, -Ei - wo_r),  wo = w^k O */
        for (size_t k = 1; 2 * k <= M; k++) {
            const size_t a = where[k], b = where[M - k];
            MM_KV ar = KL(RE(z, a)), ai = KL(IM(z, a));
            MM_KV br = KL(RE(z, b)), bi = KL(IM(z, b));
            MM_KV er = (ar + br) * 0.5, ei = (ai - bi) * 0.5;
            MM_KV or_ = (ar - br) * 0.5, oi = (ai + bi) * 0.5;
            const double c = pr[k], sn = pi[k];
            MM_KV wo_r = or_ * c - oi * sn, wo_i = oi * c + or_ * sn;
            MM_KV xr = er + wo_i, xi = ei - wo_r;
            KS(power + k * L + h, xr * xr + xi * xi);
            if (2 * k < M) {
                MM_KV yr = er - wo_i, yi = ei + wo_r; /* -Ei - wo_r squared alike */
                KS(power + (M - k) * L + h, yr * yr + yi * yi);
            }
        }
    }
}

#undef PS
#undef RE
#undef IM
#undef KL
#undef KS
