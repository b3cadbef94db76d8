/* Real FFT in double precision, power spectrum only, several frames at once.
 *
 * Why our own, in double: librosa computes the STFT in double (numpy's
 * pocketfft on a float64-windowed frame). A float FFT leaves errors of
 * ~1e-7 of the frame's energy in every bin, which on bands 60-80 dB below
 * the frame's peak become visible in dB: measured on a tone plus noise 50-70
 * dB down, a float32 FFT moved MFCCs by up to 2.7e-4, a quarter of the 1e-3
 * budget, where this double FFT stays at the reference's own float32
 * rounding (<= 1.2e-4, from its float32 dB and DCT). kissfft-float has no
 * SIMD path either; this one runs 4 frames per vector, ~2.5 us per
 * 2048-point frame with AVX2, so double costs us little.
 *
 * Algorithm: a real frame x of length n is packed as z[j] = x[2j] + i x[2j+1]
 * (m = n/2 complex points), transformed in place by a depth-first radix-4
 * decimation-in-frequency complex FFT (one radix-2 level when log2 m is
 * odd), read back through a digit-reversal table, and split into the n/2+1 bins of x with
 *     X[k] = E[k] - i w^k O[k],  E = (Z[k] + conj Z[m-k]) / 2,
 *                                O = (Z[k] - conj Z[m-k]) / 2,  w = e^{-2 pi i/n}.
 * MM_FFT_LANES frames go through together, one per SIMD lane, so every
 * butterfly is a handful of full-width vector operations whatever the stage.
 * The same source is compiled for the x86-64 baseline and for AVX2 (chosen
 * once at plan creation); both evaluate the same expressions in the same
 * order (no contraction into FMA under ISO C), so they give identical bits.
 */
#include "audio/audio_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MM_PI 3.14159265358979323846

_Static_assert(MM_FFT_LANES == 4, "the batched kernels are written for 4 lanes");

typedef double mm_v2d __attribute__((vector_size(2 * sizeof(double)), may_alias));
typedef double mm_v4d __attribute__((vector_size(4 * sizeof(double)), may_alias));

/* baseline x86-64 (SSE2) or any other target: 2 doubles per vector */
#define MM_KV mm_v2d
#define MM_KW 2
#define MM_KATTR
#define MM_K(x) x##_base
#include "audio/fft_kernel.h"
#undef MM_KV
#undef MM_KW
#undef MM_KATTR
#undef MM_K

#if defined(__x86_64__) && defined(__GNUC__)
#define MM_HAVE_AVX2_PATH 1
#define MM_KV mm_v4d
#define MM_KW 4
#define MM_KATTR __attribute__((target("avx2")))
#define MM_K(x) x##_avx2
#include "audio/fft_kernel.h"
#undef MM_KV
#undef MM_KW
#undef MM_KATTR
#undef MM_K
#endif

/* where[k] = position of bin k after the dif4 kernels: at a level of length n
 * starting at position pos, bin k0 + stride * (4r + q) lies in quarter q. */
static void digit_reverse(size_t *where, size_t pos, size_t n, size_t k0, size_t stride)
{
    if (n == 1) {
        where[k0] = pos;
        return;
    }
    if (n == 2) {
        where[k0] = pos;
        where[k0 + stride] = pos + 1;
        return;
    }
    for (size_t q = 0; q < 4; q++) digit_reverse(where, pos + q * (n / 4), n / 4, k0 + q * stride, stride * 4);
}

mm_status mm_rfft_init(mm_rfft *f, size_t n, bool allow_simd, mm_error *err)
{
    memset(f, 0, sizeof *f);
    if (n < 16 || (n & (n - 1)) != 0)
        return mm_error_set(err, MM_EINVAL, "FFT length %zu is not a power of two >= 16", n);
    f->n = n;
    f->m = n / 2;
    f->w_re = mm_alloc_array(f->m, sizeof(double));
    f->w_im = mm_alloc_array(f->m, sizeof(double));
    f->p_re = mm_alloc_array(f->m + 1, sizeof(double));
    f->p_im = mm_alloc_array(f->m + 1, sizeof(double));
    if (!f->w_re || !f->w_im || !f->p_re || !f->p_im) {
        mm_rfft_release(f);
        return mm_error_set(err, MM_ENOMEM, "out of memory (FFT tables)");
    }
    for (size_t j = 0; j < f->m; j++) {
        double a = -2.0 * MM_PI * (double)j / (double)f->m;
        f->w_re[j] = cos(a);
        f->w_im[j] = sin(a);
    }
    for (size_t k = 0; k <= f->m; k++) {
        double a = -2.0 * MM_PI * (double)k / (double)n;
        f->p_re[k] = cos(a);
        f->p_im[k] = sin(a);
    }
    f->where = mm_alloc_array(f->m, sizeof(size_t));
    if (!f->where) {
        mm_rfft_release(f);
        return mm_error_set(err, MM_ENOMEM, "out of memory (FFT tables)");
    }
    digit_reverse(f->where, 0, f->m, 0, 1);
    f->power4 = power4_base;
#ifdef MM_HAVE_AVX2_PATH
    if (allow_simd) {
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx2")) f->power4 = power4_avx2;
    }
#else
    (void)allow_simd;
#endif
    return MM_OK;
}

void mm_rfft_release(mm_rfft *f)
{
    if (!f) return;
    free(f->w_re);
    free(f->w_im);
    free(f->p_re);
    free(f->p_im);
    free(f->where);
    memset(f, 0, sizeof *f);
}

void mm_dft_power_ref(size_t n, const double *x, double *power)
{
    /* cos/sin of every multiple of 2 pi / n, in long double, reduced exactly */
    long double *c = malloc(n * sizeof(long double)), *sn = malloc(n * sizeof(long double));
    if (!c || !sn) {
        free(c);
        free(sn);
        for (size_t k = 0; k <= n / 2; k++) power[k] = NAN;
        return;
    }
    for (size_t r = 0; r < n; r++) {
        long double a = -2.0L * 3.141592653589793238462643383279503L * (long double)r / (long double)n;
        c[r] = cosl(a);
        sn[r] = sinl(a);
    }
    for (size_t k = 0; k <= n / 2; k++) {
        long double re = 0, im = 0;
        for (size_t j = 0, r = 0; j < n; j++, r = (r + k) % n) {
            re += (long double)x[j] * c[r];
            im += (long double)x[j] * sn[r];
        }
        power[k] = (double)(re * re + im * im);
    }
    free(c);
    free(sn);
}
