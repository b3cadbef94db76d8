/* Edit distance and closest-name lookup for suggestions in messages. */
#include "core/strdist.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

enum { MAXLEN = 128 };

/* Optimal string alignment: Levenshtein plus the swap of two neighbouring
 * characters as one edit ("lable" -> "label"). Three rolling rows. */
static size_t distance(const char *a, size_t na, const char *b, size_t nb, size_t cap, int fold)
{
    if (na > MAXLEN || nb > MAXLEN) return cap + 1;
    size_t r0[MAXLEN + 1], r1[MAXLEN + 1], r2[MAXLEN + 1];
    size_t *prev2 = r0, *prev = r1, *cur = r2;
    for (size_t j = 0; j <= nb; j++) prev[j] = j;
    for (size_t i = 1; i <= na; i++) {
        cur[0] = i;
        int ca = fold ? tolower((unsigned char)a[i - 1]) : (unsigned char)a[i - 1];
        for (size_t j = 1; j <= nb; j++) {
            int cb = fold ? tolower((unsigned char)b[j - 1]) : (unsigned char)b[j - 1];
            size_t v = prev[j - 1] + (ca != cb);
            if (prev[j] + 1 < v) v = prev[j] + 1;
            if (cur[j - 1] + 1 < v) v = cur[j - 1] + 1;
            if (i > 1 && j > 1) {
                int pa = fold ? tolower((unsigned char)a[i - 2]) : (unsigned char)a[i - 2];
                int pb = fold ? tolower((unsigned char)b[j - 2]) : (unsigned char)b[j - 2];
                if (ca == pb && pa == cb && prev2[j - 2] + 1 < v) v = prev2[j - 2] + 1;
            }
            cur[j] = v;
        }
        size_t *t = prev2;
        prev2 = prev;
        prev = cur;
        cur = t;
    }
    return prev[nb] > cap ? cap + 1 : prev[nb];
}

size_t mm_edit_distance(const char *a, size_t na, const char *b, size_t nb, size_t cap)
{
    return distance(a, na, b, nb, cap, 0);
}

long mm_closest_name(const char *name, size_t len, const char *const *cands, size_t n)
{
    size_t cap = len / 3;
    if (cap < 1) cap = 1;
    if (cap > 3) cap = 3;
    long best = -1;
    size_t best_d = cap + 1;
    for (size_t i = 0; i < n; i++) {
        const char *c = cands[i];
        if (!c) continue;
        size_t cl = strlen(c);
        size_t d = distance(name, len, c, cl, cap, 1);
        if (d > cap && len >= 5 && cl >= 5 && (strncasecmp(c, name, len < cl ? len : cl) == 0)) d = cap;
        if (d < best_d) {
            best_d = d;
            best = (long)i;
        }
    }
    return best;
}
