/* Edit distance and closest-name lookup, against a plain recursive
 * definition of the optimal-string-alignment distance. */
#include "core/strdist.h"
#include "mmtest.h"
#include "mmfuse/core.h"

#include <stdint.h>

static size_t min3(size_t a, size_t b, size_t c)
{
    size_t m = a < b ? a : b;
    return m < c ? m : c;
}

/* d(i, j) of a[0..i) and b[0..j), straight from the recurrence */
static size_t osa_ref(const char *a, size_t i, const char *b, size_t j)
{
    if (i == 0) return j;
    if (j == 0) return i;
    size_t v = min3(osa_ref(a, i - 1, b, j) + 1, osa_ref(a, i, b, j - 1) + 1,
                    osa_ref(a, i - 1, b, j - 1) + (a[i - 1] != b[j - 1]));
    if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        size_t t = osa_ref(a, i - 2, b, j - 2) + 1;
        if (t < v) v = t;
    }
    return v;
}

int main(void)
{
    MM_CHECK(mm_edit_distance("lable", 5, "label", 5, 3) == 1);
    MM_CHECK(mm_edit_distance("", 0, "abc", 3, 5) == 3);
    MM_CHECK(mm_edit_distance("kitten", 6, "sitting", 7, 5) == 3);
    MM_CHECK(mm_edit_distance("kitten", 6, "sitting", 7, 2) == 3); /* capped at cap + 1 */

    mm_rng rng;
    mm_rng_seed(&rng, 7);
    size_t agree = 0, n = 0;
    for (int t = 0; t < 400; t++) {
        char a[8], b[8];
        size_t na = mm_rng_u32(&rng) % 7, nb = mm_rng_u32(&rng) % 7;
        for (size_t i = 0; i < na; i++) a[i] = (char)('a' + mm_rng_u32(&rng) % 3);
        for (size_t i = 0; i < nb; i++) b[i] = (char)('a' + mm_rng_u32(&rng) % 3);
        size_t ref = osa_ref(a, na, b, nb);
        agree += mm_edit_distance(a, na, b, nb, 10) == ref;
        n++;
    }
    MM_CHECK(agree == n);

    const char *cols[] = {"product_id", "title", "price", "category", "label"};
    MM_CHECK(mm_closest_name("categroy", 8, cols, 5) == 3);
    MM_CHECK(mm_closest_name("Price", 5, cols, 5) == 2); /* case does not count */
    MM_CHECK(mm_closest_name("product", 7, cols, 5) == 0); /* a prefix is close */
    MM_CHECK(mm_closest_name("zzzzzz", 6, cols, 5) == -1);
    return mm_test_summary();
}
