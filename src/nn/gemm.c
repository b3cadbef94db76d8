/* The engine's own SGEMM for layers: C = A * Bp with Bp packed once when
 * the layer is created, and bias, residual and ReLU applied while the
 * result is still in registers.
 *
 * Layout of a packed B (K x N): panels of 16 columns, panel j holding
 * rows 0..K-1 of columns 16j..16j+15 contiguously (K x 16, zero-padded past
 * N). The product walks K in blocks of KC, M in blocks of MC rows packed
 * into micro-panels of 6 rows (kc x 6, zero-padded past M), and computes
 * 6 x 16 tiles of C with 12 AVX2 accumulators, one broadcast of A and two
 * loads of B per k. Every element of C is the same chain of fused
 * multiply-adds over k in increasing order whatever M, the tile's position
 * or the number of threads, so a row's result never depends on the rows
 * around it. Used when the CPU has AVX2 and FMA; otherwise the layers call
 * BLAS. */
#include "nn/gemm.h"

#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

enum { MR = 6, NR = 16, KC = 256, MC = 192 };

/* MMFUSE_NN_GENERIC=1 in the environment selects the portable path (BLAS,
 * SSE2 transforms) on any CPU: the tests use it to check that path. */
bool mm_nn_gemm_available(void)
{
#if defined(__x86_64__)
    static int cached = -1;
    if (cached < 0) {
        const char *g = getenv("MMFUSE_NN_GENERIC");
        cached = !(g && *g && strcmp(g, "0") != 0) && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }
    return cached == 1;
#else
    return false;
#endif
}

size_t mm_nn_packed_floats(size_t K, size_t N)
{
    return (N + NR - 1) / NR * NR * K;
}

void mm_nn_pack_b(const float *b, size_t ldb, size_t K, size_t N, float *bp)
{
    size_t panels = (N + NR - 1) / NR;
    for (size_t j = 0; j < panels; j++) {
        float *d = bp + j * K * NR;
        size_t c0 = j * NR, nc = N - c0 < NR ? N - c0 : NR;
        for (size_t k = 0; k < K; k++) {
            memcpy(d + k * NR, b + k * ldb + c0, nc * sizeof *d);
            for (size_t c = nc; c < NR; c++) d[k * NR + c] = 0.0f;
        }
    }
}

void mm_nn_packed_scale_col(float *bp, size_t K, size_t col, float a)
{
    float *d = bp + col / NR * K * NR + col % NR;
    for (size_t k = 0; k < K; k++) d[k * NR] *= a;
}

size_t mm_nn_gemm_scratch_floats(void)
{
    return (size_t)MC * KC + 64;
}

#if defined(__x86_64__)
/* A[m0..m0+mc) x [pc..pc+kc) into micro-panels of MR rows (kc x MR each). */
static void pack_a(const float *a, size_t lda, size_t mc, size_t kc, float *ap)
{
    for (size_t i = 0; i < mc; i += MR) {
        size_t mr = mc - i < MR ? mc - i : MR;
        const float *rows[MR];
        for (size_t r = 0; r < MR; r++) rows[r] = r < mr ? a + (i + r) * lda : NULL;
        if (mr == MR) {
            size_t k = 0;
#ifdef __SSE2__
            /* 4 k at a time: a 4x4 transpose of rows 0-3 plus rows 4-5
             * interleaved in pairs */
            for (; k + 4 <= kc; k += 4, ap += 4 * MR) {
                __m128 r0 = _mm_loadu_ps(rows[0] + k), r1 = _mm_loadu_ps(rows[1] + k);
                __m128 r2 = _mm_loadu_ps(rows[2] + k), r3 = _mm_loadu_ps(rows[3] + k);
                __m128 r4 = _mm_loadu_ps(rows[4] + k), r5 = _mm_loadu_ps(rows[5] + k);
                _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
                __m128 lo = _mm_unpacklo_ps(r4, r5), hi = _mm_unpackhi_ps(r4, r5);
                _mm_storeu_ps(ap, r0);
                _mm_storel_pi((__m64 *)(ap + 4), lo);
                _mm_storeu_ps(ap + 6, r1);
                _mm_storeh_pi((__m64 *)(ap + 10), lo);
                _mm_storeu_ps(ap + 12, r2);
                _mm_storel_pi((__m64 *)(ap + 16), hi);
                _mm_storeu_ps(ap + 18, r3);
                _mm_storeh_pi((__m64 *)(ap + 22), hi);
            }
#endif
            for (; k < kc; k++, ap += MR) {
                ap[0] = rows[0][k];
                ap[1] = rows[1][k];
                ap[2] = rows[2][k];
                ap[3] = rows[3][k];
                ap[4] = rows[4][k];
                ap[5] = rows[5][k];
            }
        } else {
            for (size_t k = 0; k < kc; k++, ap += MR)
                for (size_t r = 0; r < MR; r++) ap[r] = r < mr ? rows[r][k] : 0.0f;
        }
    }
}

/* v0:v1 += the n <= NR floats at src (zeros past n). */
__attribute__((target("avx2"))) static inline void add_row(__m256 *v0, __m256 *v1, const float *src, size_t n)
{
    if (n == NR) {
        *v0 = _mm256_add_ps(*v0, _mm256_loadu_ps(src));
        *v1 = _mm256_add_ps(*v1, _mm256_loadu_ps(src + 8));
        return;
    }
    float t[NR] __attribute__((aligned(32))) = {0};
    memcpy(t, src, n * sizeof *t);
    *v0 = _mm256_add_ps(*v0, _mm256_load_ps(t));
    *v1 = _mm256_add_ps(*v1, _mm256_load_ps(t + 8));
}

/* One MR x NR tile: acc = (first ? 0 : C) + Ap * Bp over kc; on the last
 * K block the epilogue is applied. mr x nr of the tile are stored. */
__attribute__((target("avx2,fma"))) static void kernel(size_t kc, const float *ap, const float *bp, float *c,
                                                       size_t ldc, size_t mr, size_t nr, bool first, bool last,
                                                       const mm_nn_epilogue *e, size_t row, size_t col)
{
    __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
    __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
#pragma GCC unroll 4
    for (size_t k = 0; k < kc; k++, ap += MR, bp += NR) {
        __m256 b0 = _mm256_loadu_ps(bp), b1 = _mm256_loadu_ps(bp + 8), a;
        a = _mm256_broadcast_ss(ap + 0);
        c00 = _mm256_fmadd_ps(a, b0, c00);
        c01 = _mm256_fmadd_ps(a, b1, c01);
        a = _mm256_broadcast_ss(ap + 1);
        c10 = _mm256_fmadd_ps(a, b0, c10);
        c11 = _mm256_fmadd_ps(a, b1, c11);
        a = _mm256_broadcast_ss(ap + 2);
        c20 = _mm256_fmadd_ps(a, b0, c20);
        c21 = _mm256_fmadd_ps(a, b1, c21);
        a = _mm256_broadcast_ss(ap + 3);
        c30 = _mm256_fmadd_ps(a, b0, c30);
        c31 = _mm256_fmadd_ps(a, b1, c31);
        a = _mm256_broadcast_ss(ap + 4);
        c40 = _mm256_fmadd_ps(a, b0, c40);
        c41 = _mm256_fmadd_ps(a, b1, c41);
        a = _mm256_broadcast_ss(ap + 5);
        c50 = _mm256_fmadd_ps(a, b0, c50);
        c51 = _mm256_fmadd_ps(a, b1, c51);
    }
    __m256 acc[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
    float tmp[NR] __attribute__((aligned(32)));
    bool full = nr == NR;
    const __m256 zero = _mm256_setzero_ps();
    for (size_t r = 0; r < mr; r++) {
        float *cr = c + r * ldc;
        __m256 v0 = acc[r][0], v1 = acc[r][1];
        if (!first) add_row(&v0, &v1, cr, nr);
        if (last && e) {
            add_row(&v0, &v1, e->bias + col, nr);
            if (e->res) add_row(&v0, &v1, e->res + (row + r) * e->ld_res + col, nr);
            if (e->relu) { /* 0 where v < 0; NaN stays */
                v0 = _mm256_andnot_ps(_mm256_cmp_ps(v0, zero, _CMP_LT_OQ), v0);
                v1 = _mm256_andnot_ps(_mm256_cmp_ps(v1, zero, _CMP_LT_OQ), v1);
            }
        }
        if (full) {
            _mm256_storeu_ps(cr, v0);
            _mm256_storeu_ps(cr + 8, v1);
        } else {
            _mm256_store_ps(tmp, v0);
            _mm256_store_ps(tmp + 8, v1);
            memcpy(cr, tmp, nr * sizeof *tmp);
        }
    }
}

void mm_nn_gemm(size_t M, size_t N, size_t K, const float *a, size_t lda, const float *bp, size_t bp_k,
                float *c, size_t ldc, const mm_nn_epilogue *e, size_t row0, size_t col0, float *scratch)
{
    float *ap = (float *)(((uintptr_t)scratch + 63) & ~(uintptr_t)63);
    size_t panels = (N + NR - 1) / NR;
    for (size_t pc = 0; pc < K; pc += KC) {
        size_t kc = K - pc < KC ? K - pc : KC;
        bool first = pc == 0, last = pc + kc == K;
        for (size_t ic = 0; ic < M; ic += MC) {
            size_t mc = M - ic < MC ? M - ic : MC;
            pack_a(a + ic * lda + pc, lda, mc, kc, ap);
            for (size_t j = 0; j < panels; j++) {
                size_t nr = N - j * NR < NR ? N - j * NR : NR;
                const float *b = bp + j * bp_k * NR + pc * NR;
                for (size_t i = 0; i < mc; i += MR) {
                    size_t mr = mc - i < MR ? mc - i : MR;
                    kernel(kc, ap + i * kc, b, c + (ic + i) * ldc + j * NR, ldc, mr, nr, first, last, e,
                           row0 + ic + i, col0 + j * NR);
                }
            }
        }
    }
}
#else
void mm_nn_gemm(size_t M, size_t N, size_t K, const float *a, size_t lda, const float *bp, size_t bp_k,
                float *c, size_t ldc, const mm_nn_epilogue *e, size_t row0, size_t col0, float *scratch)
{
    (void)M, (void)N, (void)K, (void)a, (void)lda, (void)bp, (void)bp_k, (void)c, (void)ldc, (void)e, (void)row0,
        (void)col0, (void)scratch;
}
#endif
