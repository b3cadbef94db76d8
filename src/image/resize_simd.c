/*
 * image/resize_simd.c — SSE2 twins of the two resampling passes, equal bit
 * for bit to the plain kernels in resize.c (tests compare them).
 *
 * PIL accumulates sum(q[j] * p[j]) in 32-bit integers with 22-bit weights q,
 * too wide for SSE2's only integer multiply-add (pmaddwd, 16 x 16 -> 32).
 * Each weight is split exactly as q = a * 2048 + b with b in [0, 2048) and
 * |a| <= 2048, both 16-bit; two pmaddwd give sum(a p) and sum(b p) and
 * (sum(a p) << 11) + sum(b p) is the same integer sum. For up to 256 taps
 * the partial sums stay far inside 32 bits; longer kernels (downscales by
 * more than ~100x) take the plain path. The final shift and the clamp to
 * 0..255 use saturating packs, which clamp exactly as PIL's clip8 does.
 *
 * On CPUs with SSE4.1 (checked at run time) the horizontal pass multiplies
 * in 32-bit lanes instead (pmulld: one RGB pixel times its weight per
 * instruction, the products and sums being exact integers below 2^31).
 */
#include "image/image_internal.h"

#include <stdlib.h>

#if defined(__SSE2__)
#include <emmintrin.h>

enum { MAX_SIMD_TAPS = 256 };

static inline __m128i load_rgb_pair(const uint8_t *p)
{
    /* pixels p[0..2] and p[3..5] (the fourth byte of each load is ignored):
     * 16-bit lanes R0 R1 G0 G1 B0 B1 x x */
    int32_t v0, v1;
    memcpy(&v0, p, 4);
    memcpy(&v1, p + 3, 4);
    __m128i a = _mm_cvtsi32_si128(v0), b = _mm_cvtsi32_si128(v1);
    return _mm_unpacklo_epi8(_mm_unpacklo_epi8(a, b), _mm_setzero_si128());
}

static inline __m128i pair_coef(const int16_t *k, size_t j, bool last)
{
    uint32_t lo = (uint16_t)k[j], hi = last ? 0u : (uint16_t)k[j + 1];
    return _mm_set1_epi32((int32_t)(lo | (hi << 16)));
}

/* (sa << 11) + sb + 2^21, shifted right by 22: PIL's sum before clip8 */
static inline __m128i shift22(__m128i sa, __m128i sb)
{
    const __m128i init = _mm_set1_epi32(1 << 21);
    return _mm_srai_epi32(_mm_add_epi32(_mm_add_epi32(_mm_slli_epi32(sa, 11), sb), init), 22);
}

static inline __m128i finish(__m128i sa, __m128i sb)
{
    __m128i s = shift22(sa, sb);
    s = _mm_packs_epi32(s, s);
    return _mm_packus_epi16(s, s);
}

static void hrow(const uint8_t *s, const mm_img_coeffs *c, uint8_t *d)
{
    for (size_t x = 0; x < c->out; x++) {
        size_t n = (size_t)c->bounds[2 * x + 1];
        const uint8_t *p = s + (size_t)c->bounds[2 * x] * 3;
        const int16_t *ka = c->ka + x * c->ksize, *kb = c->kb + x * c->ksize;
        __m128i sa = _mm_setzero_si128(), sb = _mm_setzero_si128();
        size_t j = 0;
        for (; j + 1 < n; j += 2) {
            __m128i v = load_rgb_pair(p + 3 * j);
            sa = _mm_add_epi32(sa, _mm_madd_epi16(v, pair_coef(ka, j, false)));
            sb = _mm_add_epi32(sb, _mm_madd_epi16(v, pair_coef(kb, j, false)));
        }
        if (j < n) {
            int32_t v0 = p[3 * j] | (p[3 * j + 1] << 8) | (p[3 * j + 2] << 16);
            __m128i v = _mm_unpacklo_epi8(_mm_unpacklo_epi8(_mm_cvtsi32_si128(v0),
                                                            _mm_setzero_si128()),
                                          _mm_setzero_si128());
            sa = _mm_add_epi32(sa, _mm_madd_epi16(v, pair_coef(ka, j, true)));
            sb = _mm_add_epi32(sb, _mm_madd_epi16(v, pair_coef(kb, j, true)));
        }
        uint32_t px = (uint32_t)_mm_cvtsi128_si32(finish(sa, sb));
        d[3 * x + 0] = (uint8_t)px;
        d[3 * x + 1] = (uint8_t)(px >> 8);
        d[3 * x + 2] = (uint8_t)(px >> 16);
    }
}

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#include <smmintrin.h>
#define MM_HAVE_SSE41_PATH 1

/* one pixel (RGB + an ignored byte) times its weight, in 32-bit lanes */
__attribute__((target("sse4.1"))) static inline __m128i tap_sse41(int32_t v, const __m128i *k)
{
    return _mm_mullo_epi32(_mm_cvtepu8_epi32(_mm_cvtsi32_si128(v)), _mm_load_si128(k));
}

__attribute__((target("sse4.1"))) static void hrow_sse41(const uint8_t *s,
                                                          const mm_img_coeffs *c, uint8_t *d)
{
    const __m128i init = _mm_set1_epi32(1 << 21);
    for (size_t x = 0; x < c->out; x++) {
        size_t n = (size_t)c->bounds[2 * x + 1];
        const uint8_t *p = s + (size_t)c->bounds[2 * x] * 3;
        const __m128i *kv = (const __m128i *)(c->kv + x * c->ksize * 4);
        __m128i acc0 = init, acc1 = _mm_setzero_si128();
        size_t j = 0;
        for (; j + 1 < n; j += 2) {
            int32_t v0, v1;
            memcpy(&v0, p + 3 * j, 4);
            memcpy(&v1, p + 3 * j + 3, 4);
            acc0 = _mm_add_epi32(acc0, tap_sse41(v0, kv + j));
            acc1 = _mm_add_epi32(acc1, tap_sse41(v1, kv + j + 1));
        }
        if (j < n) {
            int32_t v0 = p[3 * j] | (p[3 * j + 1] << 8) | (p[3 * j + 2] << 16);
            acc0 = _mm_add_epi32(acc0, tap_sse41(v0, kv + j));
        }
        __m128i sum = _mm_srai_epi32(_mm_add_epi32(acc0, acc1), 22);
        sum = _mm_packs_epi32(sum, sum);
        uint32_t px = (uint32_t)_mm_cvtsi128_si32(_mm_packus_epi16(sum, sum));
        d[3 * x + 0] = (uint8_t)px;
        d[3 * x + 1] = (uint8_t)(px >> 8);
        d[3 * x + 2] = (uint8_t)(px >> 16);
    }
}
#endif

bool mm_img_hpass_simd(const uint8_t *src, size_t sstride, size_t nrows, size_t ch,
                       const mm_img_coeffs *c, uint8_t *dst, size_t dstride,
                       const uint8_t *src_end, mm_img_resampler *r)
{
    if (ch != 3 || c->ksize > MAX_SIMD_TAPS) return false;
    void (*row_fn)(const uint8_t *, const mm_img_coeffs *, uint8_t *) = hrow;
#ifdef MM_HAVE_SSE41_PATH
    if (r->level == 0 && __builtin_cpu_supports("sse4.1")) row_fn = hrow_sse41;
#endif
    /* the pair loads read one byte past the last tap: a row that ends the
     * buffer is copied into a padded scratch row first */
    size_t row_bytes = 0;
    for (size_t x = 0; x < c->out; x++) {
        size_t e = ((size_t)c->bounds[2 * x] + (size_t)c->bounds[2 * x + 1]) * 3;
        if (e > row_bytes) row_bytes = e;
    }
    for (size_t y = 0; y < nrows; y++) {
        const uint8_t *s = src + y * sstride;
        if (s + row_bytes + 4 > src_end) {
            if (r->pad_cap < row_bytes + 8) {
                uint8_t *p = malloc(row_bytes + 8);
                if (!p) return false;
                free(r->pad);
                r->pad = p;
                r->pad_cap = row_bytes + 8;
            }
            memcpy(r->pad, s, row_bytes);
            memset(r->pad + row_bytes, 0, 8);
            s = r->pad;
        }
        row_fn(s, c, dst + y * dstride);
    }
    return true;
}

bool mm_img_vpass_simd(const uint8_t *src, size_t sstride, size_t row0, size_t nbytes,
                       const mm_img_coeffs *c, uint8_t *dst, size_t dstride)
{
    if (c->ksize > MAX_SIMD_TAPS) return false;
    const __m128i zero = _mm_setzero_si128();
    for (size_t y = 0; y < c->out; y++) {
        size_t n = (size_t)c->bounds[2 * y + 1];
        const uint8_t *base = src + ((size_t)c->bounds[2 * y] - row0) * sstride;
        const int16_t *ka = c->ka + y * c->ksize, *kb = c->kb + y * c->ksize;
        uint8_t *d = dst + y * dstride;
        size_t b = 0;
        for (; b + 16 <= nbytes; b += 16) {
            __m128i a0 = zero, a1 = zero, a2 = zero, a3 = zero;
            __m128i b0 = zero, b1 = zero, b2 = zero, b3 = zero;
            for (size_t j = 0; j < n; j += 2) {
                bool last = j + 1 >= n;
                __m128i r0 = _mm_loadu_si128((const __m128i *)(base + j * sstride + b));
                const uint8_t *q1 = base + (j + 1) * sstride + b;
                __m128i r1 = last ? zero : _mm_loadu_si128((const __m128i *)q1);
                __m128i lo = _mm_unpacklo_epi8(r0, r1), hi = _mm_unpackhi_epi8(r0, r1);
                __m128i w0 = _mm_unpacklo_epi8(lo, zero), w1 = _mm_unpackhi_epi8(lo, zero);
                __m128i w2 = _mm_unpacklo_epi8(hi, zero), w3 = _mm_unpackhi_epi8(hi, zero);
                __m128i ca = pair_coef(ka, j, last), cb = pair_coef(kb, j, last);
                a0 = _mm_add_epi32(a0, _mm_madd_epi16(w0, ca));
                a1 = _mm_add_epi32(a1, _mm_madd_epi16(w1, ca));
                a2 = _mm_add_epi32(a2, _mm_madd_epi16(w2, ca));
                a3 = _mm_add_epi32(a3, _mm_madd_epi16(w3, ca));
                b0 = _mm_add_epi32(b0, _mm_madd_epi16(w0, cb));
                b1 = _mm_add_epi32(b1, _mm_madd_epi16(w1, cb));
                b2 = _mm_add_epi32(b2, _mm_madd_epi16(w2, cb));
                b3 = _mm_add_epi32(b3, _mm_madd_epi16(w3, cb));
            }
            __m128i p = _mm_packus_epi16(_mm_packs_epi32(shift22(a0, b0), shift22(a1, b1)),
                                         _mm_packs_epi32(shift22(a2, b2), shift22(a3, b3)));
            _mm_storeu_si128((__m128i *)(d + b), p);
        }
        for (; b < nbytes; b++) {
            int32_t acc = 1 << 21;
            for (size_t j = 0; j < n; j++) acc += base[j * sstride + b] * c->k[y * c->ksize + j];
            int32_t v = acc >> 22;
            d[b] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    }
    return true;
}

#else /* no SSE2: the plain kernels do the work */

bool mm_img_hpass_simd(const uint8_t *src, size_t sstride, size_t nrows, size_t ch,
                       const mm_img_coeffs *c, uint8_t *dst, size_t dstride,
                       const uint8_t *src_end, mm_img_resampler *r)
{
    (void)src, (void)sstride, (void)nrows, (void)ch, (void)c, (void)dst, (void)dstride;
    (void)src_end, (void)r;
    return false;
}

bool mm_img_vpass_simd(const uint8_t *src, size_t sstride, size_t row0, size_t nbytes,
                       const mm_img_coeffs *c, uint8_t *dst, size_t dstride)
{
    (void)src, (void)sstride, (void)row0, (void)nbytes, (void)c, (void)dst, (void)dstride;
    return false;
}
#endif
