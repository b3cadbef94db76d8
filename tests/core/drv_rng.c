/* Prints streams of the C RNG for tests/core/test_rng_numpy.py:
 * line 1 unused, 2: 5 doubles, 3: 7 gaussians, 4: permutation(37), 5: randint(0,1000) x 9. */
#include "mmfuse/core.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc != 2) return 2;
    mm_rng r;
    mm_rng_seed(&r, (uint32_t)strtoul(argv[1], NULL, 10));
    printf("\n");
    for (int i = 0; i < 5; i++) printf("%.17g ", mm_rng_double(&r));
    printf("\n");
    for (int i = 0; i < 7; i++) printf("%.17g ", mm_rng_gauss(&r));
    printf("\n");
    size_t p[37];
    for (size_t i = 0; i < 37; i++) p[i] = i;
    mm_rng_shuffle(&r, p, 37);
    for (size_t i = 0; i < 37; i++) printf("%zu ", p[i]);
    printf("\n");
    for (int i = 0; i < 9; i++) printf("%llu ", (unsigned long long)mm_rng_interval(&r, 999));
    printf("\n");
    return 0;
}
