/* numpy legacy RandomState: MT19937 with init_genrand seeding and numpy's
 * derived distributions. */
#include "mmfuse/core.h"

#include <math.h>

void mm_rng_seed(mm_rng *r, uint32_t seed)
{
    r->mt[0] = seed;
    for (int i = 1; i < 624; i++)
        r->mt[i] = 1812433253u * (r->mt[i - 1] ^ (r->mt[i - 1] >> 30)) + (uint32_t)i;
    r->pos = 624;
    r->has_gauss = 0;
    r->gauss = 0.0;
}

static void mt_generate(mm_rng *r)
{
    static const uint32_t mag01[2] = {0u, 0x9908b0dfu};
    uint32_t *mt = r->mt;
    int k;
    for (k = 0; k < 624 - 397; k++) {
        uint32_t y = (mt[k] & 0x80000000u) | (mt[k + 1] & 0x7fffffffu);
        mt[k] = mt[k + 397] ^ (y >> 1) ^ mag01[y & 1u];
    }
    for (; k < 623; k++) {
        uint32_t y = (mt[k] & 0x80000000u) | (mt[k + 1] & 0x7fffffffu);
        mt[k] = mt[k + 397 - 624] ^ (y >> 1) ^ mag01[y & 1u];
    }
    uint32_t y = (mt[623] & 0x80000000u) | (mt[0] & 0x7fffffffu);
    mt[623] = mt[396] ^ (y >> 1) ^ mag01[y & 1u];
    r->pos = 0;
}

uint32_t mm_rng_u32(mm_rng *r)
{
    if (r->pos >= 624) mt_generate(r);
    uint32_t y = r->mt[r->pos++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    return y;
}

double mm_rng_double(mm_rng *r)
{
    uint32_t a = mm_rng_u32(r) >> 5, b = mm_rng_u32(r) >> 6;
    return (a * 67108864.0 + b) / 9007199254740992.0;
}

double mm_rng_gauss(mm_rng *r)
{
    if (r->has_gauss) {
        r->has_gauss = 0;
        return r->gauss;
    }
    double x1, x2, r2;
    do {
        x1 = 2.0 * mm_rng_double(r) - 1.0;
        x2 = 2.0 * mm_rng_double(r) - 1.0;
        r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1.0 || r2 == 0.0);
    double f = sqrt(-2.0 * log(r2) / r2);
    r->gauss = f * x1;
    r->has_gauss = 1;
    return f * x2;
}

uint64_t mm_rng_interval(mm_rng *r, uint64_t max)
{
    if (max == 0) return 0;
    uint64_t mask = max;
    mask |= mask >> 1;
    mask |= mask >> 2;
    mask |= mask >> 4;
    mask |= mask >> 8;
    mask |= mask >> 16;
    mask |= mask >> 32;
    uint64_t v;
    if (max <= 0xffffffffu) {
        while ((v = (mm_rng_u32(r) & mask)) > max) {}
    } else {
        do {
            uint64_t hi = mm_rng_u32(r);
            v = ((hi << 32) | mm_rng_u32(r)) & mask;
        } while (v > max);
    }
    return v;
}

void mm_rng_shuffle(mm_rng *r, size_t *a, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)mm_rng_interval(r, i - 1);
        size_t t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}
