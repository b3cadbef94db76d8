/* 3x3 stride-1 convolutions by Winograd's minimal filtering F(m x m, 3x3),
 * m = 2 or 4 (F(4x4) further down; F(2x2) explained here).
 *
 * The output is cut into 2x2 tiles; each tile reads a 4x4 input patch d.
 * With the constant matrices
 *     B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]
 *     G   = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]
 *     A^T = [1 1 1 0; 0 1 -1 -1]
 * a tile's output is Y = A^T [ (G g G^T) .* (B^T d B) ] A, so for the 16
 * positions xi of the 4x4 transformed domain the convolution becomes 16
 * independent GEMMs,  M_xi[tiles x Cout] = V_xi[tiles x Cin] U_xi[Cin x Cout],
 * with 16 multiply-adds per tile and channel pair instead of the direct
 * method's 36: 2.25x fewer. The filter transform U = G g G^T is computed
 * once (in double) when the layer is created; the input transform V and
 * the output transform are additions only, done per chunk of tiles in the
 * thread's scratch around the GEMMs. F(4x4) works the same way with 6x6
 * patches and 36 GEMMs. The transforms add rounding of a few
 * ulps relative to the direct method; tests bound the difference from
 * PyTorch. Chunks depend on the layer's shape only, so results do not
 * depend on the thread count. */
#include "nn/nn_internal.h"
#include "nn/conv_internal.h"
#include "nn/gemm.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Scratch floats per chunk of tiles (V and M for every xi): 4 MiB. */
#define CHUNK_FLOATS ((size_t)1 << 20)
enum { MIN_CHUNK_TILES = 24, MIN_TASKS = 4, COL_ALIGN = 16 };

bool mm_nn_winograd_eligible(const mm_nn_conv_params *p)
{
    return p->kh == 3 && p->kw == 3 && p->stride_h == 1 && p->stride_w == 1 && p->pad_h == 1 && p->pad_w == 1 &&
           p->dil_h == 1 && p->dil_w == 1;
}

/* U[xi][ci][co] = (G g G^T)[xi] for g = w_oihw[co][ci] (3x3). */
/* F(4x4) transforms the filters into 36 matrices instead of 16: for the
 * widest layers (ResNet's last stage: 512 x 512 channels on 7 x 7 maps)
 * streaming them costs more than the multiply-adds saved unless the batch
 * is large, so those keep F(2x2). */
int mm_nn_winograd_tile(const mm_nn_conv_params *p)
{
    return mm_nn_gemm_available() && p->cin % 8 == 0 && p->cout % 8 == 0 && p->cin * p->cout <= 256 * 256 ? 4 : 2;
}

void mm_nn_winograd_filter(const float *w_oihw, size_t cin, size_t cout, int m, float *u)
{
    static const double G2[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
    static const double G4[6][3] = {{1.0 / 4, 0, 0},
                                    {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                                    {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                                    {1.0 / 24, 1.0 / 12, 1.0 / 6},
                                    {1.0 / 24, -1.0 / 12, 1.0 / 6},
                                    {0, 0, 1}};
    int a = m + 2;
    const double(*G)[3] = m == 4 ? G4 : G2;
    /* input channel outer, output channel inner: the writes per filter go
     * to a*a contiguous streams */
    for (size_t ci = 0; ci < cin; ci++) {
        for (size_t co = 0; co < cout; co++) {
            const float *g = w_oihw + (co * cin + ci) * 9;
            double t[6][3];
            for (int i = 0; i < a; i++)
                for (int j = 0; j < 3; j++) t[i][j] = G[i][0] * g[j] + G[i][1] * g[3 + j] + G[i][2] * g[6 + j];
            for (int i = 0; i < a; i++)
                for (int k = 0; k < a; k++)
                    u[((size_t)(i * a + k) * cin + ci) * cout + co] =
                        (float)(t[i][0] * G[k][0] + t[i][1] * G[k][1] + t[i][2] * G[k][2]);
        }
    }
}

typedef struct wino_job {
    const mm_nn_conv *c;
    mm_nn_ctx *ctx;
    const float *x, *res;
    float *y;
    size_t n, h, w, th, tw, tiles, chunk, n_col_blocks, cols_per_block;
    mm_nn_act act;
    bool avx; /* the CPU has AVX2: 8-wide transforms */
    size_t m, nx; /* output tile m x m, (m + 2)^2 transformed positions */
} wino_job;

#if defined(__x86_64__)
/* The channel loops below, 8 channels at a time (AVX); return how many
 * channels they did, the callers finish with 4-wide and scalar code. */
__attribute__((target("avx2"))) static size_t input_avx(const float *const d[4][4], float *v, size_t ld, size_t cin)
{
    size_t c = 0;
    for (; c + 8 <= cin; c += 8) {
        __m256 T[4][4];
        for (int q = 0; q < 4; q++) {
            __m256 d0 = _mm256_loadu_ps(d[0][q] + c), d1 = _mm256_loadu_ps(d[1][q] + c);
            __m256 d2 = _mm256_loadu_ps(d[2][q] + c), d3 = _mm256_loadu_ps(d[3][q] + c);
            T[0][q] = _mm256_sub_ps(d0, d2);
            T[1][q] = _mm256_add_ps(d1, d2);
            T[2][q] = _mm256_sub_ps(d2, d1);
            T[3][q] = _mm256_sub_ps(d1, d3);
        }
        for (int r = 0; r < 4; r++) {
            _mm256_storeu_ps(v + (size_t)(r * 4 + 0) * ld + c, _mm256_sub_ps(T[r][0], T[r][2]));
            _mm256_storeu_ps(v + (size_t)(r * 4 + 1) * ld + c, _mm256_add_ps(T[r][1], T[r][2]));
            _mm256_storeu_ps(v + (size_t)(r * 4 + 2) * ld + c, _mm256_sub_ps(T[r][2], T[r][1]));
            _mm256_storeu_ps(v + (size_t)(r * 4 + 3) * ld + c, _mm256_sub_ps(T[r][1], T[r][3]));
        }
    }
    return c;
}

__attribute__((target("avx2"))) static size_t output_avx(const float *m, size_t ld, size_t c, size_t end,
                                                         const float *bias, float *const y[2][2],
                                                         const float *const rs[2][2], bool relu)
{
    const __m256 zero = _mm256_setzero_ps();
    for (; c + 8 <= end; c += 8) {
        __m256 S[2][4];
        for (int q = 0; q < 4; q++) {
            __m256 m0 = _mm256_loadu_ps(m + (size_t)(0 * 4 + q) * ld + c);
            __m256 m1 = _mm256_loadu_ps(m + (size_t)(1 * 4 + q) * ld + c);
            __m256 m2 = _mm256_loadu_ps(m + (size_t)(2 * 4 + q) * ld + c);
            __m256 m3 = _mm256_loadu_ps(m + (size_t)(3 * 4 + q) * ld + c);
            S[0][q] = _mm256_add_ps(_mm256_add_ps(m0, m1), m2);
            S[1][q] = _mm256_sub_ps(_mm256_sub_ps(m1, m2), m3);
        }
        __m256 b = _mm256_loadu_ps(bias + c);
        for (int a = 0; a < 2; a++) {
            __m256 o[2];
            o[0] = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(S[a][0], S[a][1]), S[a][2]), b);
            o[1] = _mm256_add_ps(_mm256_sub_ps(_mm256_sub_ps(S[a][1], S[a][2]), S[a][3]), b);
            for (int q = 0; q < 2; q++) {
                if (!y[a][q]) continue;
                __m256 v = o[q];
                if (rs[a][q]) v = _mm256_add_ps(v, _mm256_loadu_ps(rs[a][q] + c));
                if (relu) v = _mm256_andnot_ps(_mm256_cmp_ps(v, zero, _CMP_LT_OQ), v);
                _mm256_storeu_ps(y[a][q] + c, v);
            }
        }
    }
    return c;
}
#endif

/* F(4x4, 3x3) with the interpolation points 0, 1, -1, 2, -2 and infinity:
 *   B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0;
 *          0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1]
 *   G   = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6;
 *          1/24 1/12 1/6; 1/24 -1/12 1/6; 0 0 1]
 *   A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]
 * 36 multiply-adds per 4x4 output tile and channel pair (the direct method
 * does 144), at the price of larger transform constants and so a little
 * more rounding. Used with AVX2 and channel counts that are multiples of 8
 * (every ResNet layer); the transforms are 8 channels wide. */
#if defined(__x86_64__)
#define BT_ROWS(o, d0, d1, d2, d3, d4, d5, FM)                                                      \
    do {                                                                                           \
        o[0] = FM(_mm256_set1_ps(4.0f), d0, FM(_mm256_set1_ps(-5.0f), d2, d4));                    \
        o[1] = FM(_mm256_set1_ps(-4.0f), _mm256_add_ps(d1, d2), _mm256_add_ps(d3, d4));            \
        o[2] = FM(_mm256_set1_ps(4.0f), _mm256_sub_ps(d1, d2), _mm256_sub_ps(d4, d3));             \
        o[3] = FM(_mm256_set1_ps(2.0f), _mm256_sub_ps(d3, d1), _mm256_sub_ps(d4, d2));             \
        o[4] = FM(_mm256_set1_ps(2.0f), _mm256_sub_ps(d1, d3), _mm256_sub_ps(d4, d2));             \
        o[5] = FM(_mm256_set1_ps(4.0f), d1, FM(_mm256_set1_ps(-5.0f), d3, d5));                    \
    } while (0)

#define AT_ROWS(o, m0, m1, m2, m3, m4, m5, FM)                                                     \
    do {                                                                                           \
        __m256 p12 = _mm256_add_ps(m1, m2), d12 = _mm256_sub_ps(m1, m2);                           \
        __m256 p34 = _mm256_add_ps(m3, m4), d34 = _mm256_sub_ps(m3, m4);                           \
        o[0] = _mm256_add_ps(_mm256_add_ps(m0, p12), p34);                                         \
        o[1] = FM(_mm256_set1_ps(2.0f), d34, d12);                                                 \
        o[2] = FM(_mm256_set1_ps(4.0f), p34, p12);                                                 \
        o[3] = _mm256_add_ps(FM(_mm256_set1_ps(8.0f), d34, d12), m5);                              \
    } while (0)

__attribute__((target("avx2,fma"))) static void input_transform4(const wino_job *J, size_t t0, size_t nt,
                                                                float *V, const float *zero)
{
    size_t cin = J->c->p.cin, tpi = J->th * J->tw, ld = J->chunk * cin;
    for (size_t t = 0; t < nt; t++) {
        size_t g = t0 + t, img = g / tpi, ty = (g % tpi) / J->tw, tx = g % J->tw;
        const float *d[6][6];
        for (int r = 0; r < 6; r++) {
            long iy = (long)(4 * ty) - 1 + r;
            for (int q = 0; q < 6; q++) {
                long ix = (long)(4 * tx) - 1 + q;
                d[r][q] = (iy < 0 || (size_t)iy >= J->h || ix < 0 || (size_t)ix >= J->w)
                              ? zero
                              : J->x + ((img * J->h + (size_t)iy) * J->w + (size_t)ix) * cin;
            }
        }
        float *v = V + t * cin;
        for (size_t c = 0; c < cin; c += 8) {
            __m256 T[6][6], col[6];
            for (int q = 0; q < 6; q++) {
                BT_ROWS(col, _mm256_loadu_ps(d[0][q] + c), _mm256_loadu_ps(d[1][q] + c),
                        _mm256_loadu_ps(d[2][q] + c), _mm256_loadu_ps(d[3][q] + c), _mm256_loadu_ps(d[4][q] + c),
                        _mm256_loadu_ps(d[5][q] + c), _mm256_fmadd_ps);
                for (int r = 0; r < 6; r++) T[r][q] = col[r];
            }
            for (int r = 0; r < 6; r++) {
                __m256 o[6];
                BT_ROWS(o, T[r][0], T[r][1], T[r][2], T[r][3], T[r][4], T[r][5], _mm256_fmadd_ps);
                for (int q = 0; q < 6; q++) _mm256_storeu_ps(v + (size_t)(r * 6 + q) * ld + c, o[q]);
            }
        }
    }
}

__attribute__((target("avx2,fma"))) static void output_transform4(const wino_job *J, size_t t0, size_t nt,
                                                                 const float *M, size_t c0, size_t cols)
{
    size_t cout = J->c->p.cout, tpi = J->th * J->tw, ld = J->chunk * cout;
    const float *bias = J->c->bias;
    bool relu = J->act == MM_NN_ACT_RELU;
    const __m256 zero = _mm256_setzero_ps();
    for (size_t t = 0; t < nt; t++) {
        size_t g = t0 + t, img = g / tpi, ty = (g % tpi) / J->tw, tx = g % J->tw;
        const float *m = M + t * cout;
        size_t oy = 4 * ty, ox = 4 * tx;
        size_t ny = J->h - oy < 4 ? J->h - oy : 4, nxo = J->w - ox < 4 ? J->w - ox : 4;
        for (size_t c = c0; c < c0 + cols; c += 8) {
            __m256 S[4][6], col[4];
            for (int q = 0; q < 6; q++) {
                AT_ROWS(col, _mm256_loadu_ps(m + (size_t)(0 * 6 + q) * ld + c),
                        _mm256_loadu_ps(m + (size_t)(1 * 6 + q) * ld + c),
                        _mm256_loadu_ps(m + (size_t)(2 * 6 + q) * ld + c),
                        _mm256_loadu_ps(m + (size_t)(3 * 6 + q) * ld + c),
                        _mm256_loadu_ps(m + (size_t)(4 * 6 + q) * ld + c),
                        _mm256_loadu_ps(m + (size_t)(5 * 6 + q) * ld + c), _mm256_fmadd_ps);
                for (int a = 0; a < 4; a++) S[a][q] = col[a];
            }
            __m256 b = _mm256_loadu_ps(bias + c);
            for (size_t a = 0; a < ny; a++) {
                __m256 o[4];
                AT_ROWS(o, S[a][0], S[a][1], S[a][2], S[a][3], S[a][4], S[a][5], _mm256_fmadd_ps);
                size_t row = (img * J->h + oy + a) * J->w + ox;
                for (size_t q = 0; q < nxo; q++) {
                    size_t off = (row + q) * cout + c;
                    __m256 v = _mm256_add_ps(o[q], b);
                    if (J->res) v = _mm256_add_ps(v, _mm256_loadu_ps(J->res + off));
                    if (relu) v = _mm256_andnot_ps(_mm256_cmp_ps(v, zero, _CMP_LT_OQ), v);
                    _mm256_storeu_ps(J->y + off, v);
                }
            }
        }
    }
}
#endif

/* V[xi][t][c] = (B^T d B)[xi] for the tiles [t0, t0 + nt). */
static void input_transform(const wino_job *J, size_t t0, size_t nt, float *V, const float *zero)
{
    size_t cin = J->c->p.cin, tpi = J->th * J->tw, ld = J->chunk * cin;
    for (size_t t = 0; t < nt; t++) {
        size_t g = t0 + t, img = g / tpi, ty = (g % tpi) / J->tw, tx = g % J->tw;
        const float *d[4][4];
        for (int r = 0; r < 4; r++) {
            long iy = (long)(2 * ty) - 1 + r;
            for (int q = 0; q < 4; q++) {
                long ix = (long)(2 * tx) - 1 + q;
                d[r][q] = (iy < 0 || (size_t)iy >= J->h || ix < 0 || (size_t)ix >= J->w)
                              ? zero
                              : J->x + ((img * J->h + (size_t)iy) * J->w + (size_t)ix) * cin;
            }
        }
        float *v = V + t * cin;
        size_t c = 0;
#if defined(__x86_64__)
        if (J->avx) c = input_avx((const float *const(*)[4])d, v, ld, cin);
#endif
#ifdef __SSE2__
        for (; c + 4 <= cin; c += 4) {
            __m128 T[4][4];
            for (int q = 0; q < 4; q++) {
                __m128 d0 = _mm_loadu_ps(d[0][q] + c), d1 = _mm_loadu_ps(d[1][q] + c);
                __m128 d2 = _mm_loadu_ps(d[2][q] + c), d3 = _mm_loadu_ps(d[3][q] + c);
                T[0][q] = _mm_sub_ps(d0, d2);
                T[1][q] = _mm_add_ps(d1, d2);
                T[2][q] = _mm_sub_ps(d2, d1);
                T[3][q] = _mm_sub_ps(d1, d3);
            }
            for (int r = 0; r < 4; r++) {
                _mm_storeu_ps(v + (size_t)(r * 4 + 0) * ld + c, _mm_sub_ps(T[r][0], T[r][2]));
                _mm_storeu_ps(v + (size_t)(r * 4 + 1) * ld + c, _mm_add_ps(T[r][1], T[r][2]));
                _mm_storeu_ps(v + (size_t)(r * 4 + 2) * ld + c, _mm_sub_ps(T[r][2], T[r][1]));
                _mm_storeu_ps(v + (size_t)(r * 4 + 3) * ld + c, _mm_sub_ps(T[r][1], T[r][3]));
            }
        }
#endif
        for (; c < cin; c++) {
            float T[4][4];
            for (int q = 0; q < 4; q++) {
                float d0 = d[0][q][c], d1 = d[1][q][c], d2 = d[2][q][c], d3 = d[3][q][c];
                T[0][q] = d0 - d2;
                T[1][q] = d1 + d2;
                T[2][q] = d2 - d1;
                T[3][q] = d1 - d3;
            }
            for (int r = 0; r < 4; r++) {
                v[(size_t)(r * 4 + 0) * ld + c] = T[r][0] - T[r][2];
                v[(size_t)(r * 4 + 1) * ld + c] = T[r][1] + T[r][2];
                v[(size_t)(r * 4 + 2) * ld + c] = T[r][2] - T[r][1];
                v[(size_t)(r * 4 + 3) * ld + c] = T[r][1] - T[r][3];
            }
        }
    }
}

/* y = act(A^T M A + bias (+ res)) for the tiles [t0, t0 + nt), columns
 * [c0, c0 + cols). M[xi][t][co] has row stride cout. */
static void output_transform(const wino_job *J, size_t t0, size_t nt, const float *M, size_t c0, size_t cols)
{
    size_t cout = J->c->p.cout, tpi = J->th * J->tw, ld = J->chunk * cout;
    const float *bias = J->c->bias;
    bool relu = J->act == MM_NN_ACT_RELU;
    for (size_t t = 0; t < nt; t++) {
        size_t g = t0 + t, img = g / tpi, ty = (g % tpi) / J->tw, tx = g % J->tw;
        const float *m = M + t * cout;
        size_t oy = 2 * ty, ox = 2 * tx;
        bool in[2][2] = {{true, ox + 1 < J->w}, {oy + 1 < J->h, oy + 1 < J->h && ox + 1 < J->w}};
        float *y[2][2];
        const float *rs[2][2];
        for (int a = 0; a < 2; a++)
            for (int b = 0; b < 2; b++) {
                size_t off = ((img * J->h + oy + (size_t)a) * J->w + ox + (size_t)b) * cout;
                y[a][b] = in[a][b] ? J->y + off : NULL;
                rs[a][b] = in[a][b] && J->res ? J->res + off : NULL;
            }
        size_t c = c0, end = c0 + cols;
#if defined(__x86_64__)
        if (J->avx) c = output_avx(m, ld, c, end, bias, y, (const float *const(*)[2])rs, relu);
#endif
#ifdef __SSE2__
        const __m128 zero = _mm_setzero_ps();
        for (; c + 4 <= end; c += 4) {
            __m128 S[2][4];
            for (int q = 0; q < 4; q++) {
                __m128 m0 = _mm_loadu_ps(m + (size_t)(0 * 4 + q) * ld + c);
                __m128 m1 = _mm_loadu_ps(m + (size_t)(1 * 4 + q) * ld + c);
                __m128 m2 = _mm_loadu_ps(m + (size_t)(2 * 4 + q) * ld + c);
                __m128 m3 = _mm_loadu_ps(m + (size_t)(3 * 4 + q) * ld + c);
                S[0][q] = _mm_add_ps(_mm_add_ps(m0, m1), m2);
                S[1][q] = _mm_sub_ps(_mm_sub_ps(m1, m2), m3);
            }
            __m128 b = _mm_loadu_ps(bias + c);
            for (int a = 0; a < 2; a++) {
                __m128 o[2];
                o[0] = _mm_add_ps(_mm_add_ps(_mm_add_ps(S[a][0], S[a][1]), S[a][2]), b);
                o[1] = _mm_add_ps(_mm_sub_ps(_mm_sub_ps(S[a][1], S[a][2]), S[a][3]), b);
                for (int q = 0; q < 2; q++) {
                    if (!y[a][q]) continue;
                    __m128 v = o[q];
                    if (rs[a][q]) v = _mm_add_ps(v, _mm_loadu_ps(rs[a][q] + c));
                    if (relu) v = _mm_andnot_ps(_mm_cmplt_ps(v, zero), v);
                    _mm_storeu_ps(y[a][q] + c, v);
                }
            }
        }
#endif
        for (; c < end; c++) {
            float S[2][4];
            for (int q = 0; q < 4; q++) {
                float m0 = m[(size_t)q * ld + c], m1 = m[(size_t)(4 + q) * ld + c];
                float m2 = m[(size_t)(8 + q) * ld + c], m3 = m[(size_t)(12 + q) * ld + c];
                S[0][q] = m0 + m1 + m2;
                S[1][q] = m1 - m2 - m3;
            }
            for (int a = 0; a < 2; a++) {
                float o[2] = {S[a][0] + S[a][1] + S[a][2] + bias[c], S[a][1] - S[a][2] - S[a][3] + bias[c]};
                for (int q = 0; q < 2; q++) {
                    if (!y[a][q]) continue;
                    float v = o[q] + (rs[a][q] ? rs[a][q][c] : 0.0f);
                    y[a][q][c] = relu && v < 0.0f ? 0.0f : v;
                }
            }
        }
    }
}

static void wino_task(size_t task, int tid, void *user)
{
    const wino_job *J = user;
    size_t ck = task / J->n_col_blocks, cb = task % J->n_col_blocks;
    size_t t0 = ck * J->chunk, nt = J->tiles - t0 < J->chunk ? J->tiles - t0 : J->chunk;
    size_t c0 = cb * J->cols_per_block;
    size_t cin = J->c->p.cin, cout = J->c->p.cout;
    if (c0 >= cout) return;
    size_t cols = cout - c0 < J->cols_per_block ? cout - c0 : J->cols_per_block;
    size_t nx = J->nx;
    float *V = J->ctx->scratch[tid], *M = V + nx * J->chunk * cin, *zero = M + nx * J->chunk * cout;
    memset(zero, 0, cin * sizeof *zero);
#if defined(__x86_64__)
    if (J->m == 4) input_transform4(J, t0, nt, V, zero);
    else
#endif
        input_transform(J, t0, nt, V, zero);
    if (J->c->packed) {
        size_t pk = mm_nn_packed_floats(cin, cout);
        for (size_t xi = 0; xi < nx; xi++)
            mm_nn_gemm(nt, cols, cin, V + xi * J->chunk * cin, cin, J->c->wino + xi * pk + c0 * cin, cin,
                       M + xi * J->chunk * cout + c0, cout, NULL, 0, 0, zero + cin);
    } else {
        for (size_t xi = 0; xi < nx; xi++)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)nt, (int)cols, (int)cin, 1.0f,
                    V + (size_t)xi * J->chunk * cin, (int)cin, J->c->wino + (size_t)xi * cin * cout + c0, (int)cout,
                        0.0f, M + (size_t)xi * J->chunk * cout + c0, (int)cout);
    }
#if defined(__x86_64__)
    if (J->m == 4) output_transform4(J, t0, nt, M, c0, cols);
    else
#endif
        output_transform(J, t0, nt, M, c0, cols);
}

mm_status mm_nn_winograd_forward(const mm_nn_conv *c, mm_nn_ctx *ctx, const float *x, size_t n, size_t h, size_t w,
                                 float *y, const float *residual, mm_nn_act act, mm_error *err)
{
    size_t cin = c->p.cin, cout = c->p.cout;
    size_t m = (size_t)c->wino_m, nx = (m + 2) * (m + 2);
    wino_job J = {c, ctx, x, residual, y, n, h, w, (h + m - 1) / m, (w + m - 1) / m, 0, 0, 1, cout, act,
                  mm_nn_gemm_available(), m, nx};
    size_t tpi = J.th * J.tw;
    if (n > SIZE_MAX / tpi || cin + cout > (size_t)INT32_MAX / 36)
        return mm_error_set(err, MM_EINVAL, "convolution: batch too large");
    J.tiles = n * tpi;
    size_t chunk = CHUNK_FLOATS / (nx * (cin + cout));
    if (chunk < MIN_CHUNK_TILES) chunk = MIN_CHUNK_TILES;
    size_t chunks = (J.tiles + chunk - 1) / chunk, max_chunks = (J.tiles + MIN_CHUNK_TILES - 1) / MIN_CHUNK_TILES;
    /* a multiple of MIN_TASKS chunks while they are few: equal shares on
     * 1, 2 or 4 threads (the chunk count depends on the shape only) */
    if (chunks < 8 * MIN_TASKS) chunks = (chunks + MIN_TASKS - 1) / MIN_TASKS * MIN_TASKS;
    if (chunks > max_chunks) chunks = max_chunks;
    if (chunks == 0) chunks = 1;
    J.chunk = (J.tiles + chunks - 1) / chunks;
    chunks = (J.tiles + J.chunk - 1) / J.chunk;
    if (chunks < MIN_TASKS && cout >= 2 * COL_ALIGN) {
        size_t nb = (MIN_TASKS + chunks - 1) / chunks, cpb = (cout + nb - 1) / nb;
        cpb = (cpb + COL_ALIGN - 1) / COL_ALIGN * COL_ALIGN;
        J.cols_per_block = cpb;
        J.n_col_blocks = (cout + cpb - 1) / cpb;
    }
    mm_status st = mm_nn_scratch_reserve(ctx, nx * J.chunk * (cin + cout) + cin + mm_nn_gemm_scratch_floats(), err);
    if (st) return st;
    mm_nn_run(ctx, chunks * J.n_col_blocks, wino_task, &J);
    return MM_OK;
}
