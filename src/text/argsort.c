/*
 * numpy 1.24's default np.argsort for one key array: introsort (median of
 * three quicksort, insertion sort below 16 elements, heapsort past a depth
 * of 2*floor(log2 n)). It is not stable, and scikit-learn's max_features
 * selection depends on exactly which of the tied terms it puts first.
 */
#include "text/text_internal.h"

enum { SMALL_SORT = 15, STACK_SIZE = 128 };

static int floor_log2(size_t n)
{
    int d = 0;
    while (n > 1) {
        n >>= 1;
        d++;
    }
    return d;
}

/* Heapsort of a[0..n) by key; the heap uses 1-based indices. */
static void heap_argsort(const int64_t *key, size_t *a0, size_t n)
{
    size_t *a = a0 - 1;
    size_t i, j, l, tmp;
    for (l = n >> 1; l > 0; --l) {
        tmp = a[l];
        for (i = l, j = l << 1; j <= n;) {
            if (j < n && key[a[j]] < key[a[j + 1]]) j += 1;
            if (key[tmp] < key[a[j]]) {
                a[i] = a[j];
                i = j;
                j += j;
            } else {
                break;
            }
        }
        a[i] = tmp;
    }
    for (; n > 1;) {
        tmp = a[n];
        a[n] = a[1];
        n -= 1;
        for (i = 1, j = 2; j <= n;) {
            if (j < n && key[a[j]] < key[a[j + 1]]) j++;
            if (key[tmp] < key[a[j]]) {
                a[i] = a[j];
                i = j;
                j += j;
            } else {
                break;
            }
        }
        a[i] = tmp;
    }
}

#define SWAP(x, y)                                                                                 \
    do {                                                                                           \
        size_t t_ = (x);                                                                           \
        (x) = (y);                                                                                 \
        (y) = t_;                                                                                  \
    } while (0)

/* The introsort; partitions that start at or after `head` are left
 * unsorted (they cannot change positions before head). */
static void argsort_impl(const int64_t *key, size_t n, size_t head, size_t *idx)
{
    for (size_t i = 0; i < n; i++) idx[i] = i;
    if (n < 2) return;
    /* pointers as in numpy: pl, pr inclusive bounds of the current part */
    size_t *pl = idx, *pr = idx + n - 1;
    size_t *stack[STACK_SIZE];
    int depth[STACK_SIZE];
    size_t **sp = stack;
    int *dp = depth;
    int cdepth = floor_log2(n) * 2;
    size_t *limit = idx + head;

    for (;;) {
        if (pl >= limit) goto pop;
        if (cdepth < 0) {
            heap_argsort(key, pl, (size_t)(pr - pl) + 1);
            goto pop;
        }
        while (pr - pl > SMALL_SORT) {
            size_t *pm = pl + ((pr - pl) >> 1);
            if (key[*pm] < key[*pl]) SWAP(*pm, *pl);
            if (key[*pr] < key[*pm]) SWAP(*pr, *pm);
            if (key[*pm] < key[*pl]) SWAP(*pm, *pl);
            int64_t vp = key[*pm];
            size_t *pi = pl, *pj = pr - 1;
            SWAP(*pm, *pj);
            for (;;) {
                do {
                    ++pi;
                } while (key[*pi] < vp);
                do {
                    --pj;
                } while (vp < key[*pj]);
                if (pi >= pj) break;
                SWAP(*pi, *pj);
            }
            SWAP(*pi, *(pr - 1));
            --cdepth;
            /* the larger part waits on the stack, the smaller goes on; a
             * part starting at or after `limit` is dropped */
            if (pi - pl < pr - pi) {
                if (pi + 1 < limit) {
                    *sp++ = pi + 1;
                    *sp++ = pr;
                    *dp++ = cdepth;
                }
                pr = pi - 1;
            } else {
                *sp++ = pl;
                *sp++ = pi - 1;
                *dp++ = cdepth;
                pl = pi + 1;
                if (pl >= limit) goto pop;
            }
        }
        /* insertion sort of pl..pr */
        for (size_t *pi = pl + 1; pi <= pr; ++pi) {
            size_t vi = *pi;
            int64_t v = key[vi];
            size_t *pj = pi, *pk = pi - 1;
            while (pj > pl && v < key[*pk]) *pj-- = *pk--;
            *pj = vi;
        }
    pop:
        if (sp == stack) break;
        pr = *(--sp);
        pl = *(--sp);
        cdepth = *(--dp);
    }
}

void mm_text_argsort_i64(const int64_t *key, size_t n, size_t *idx)
{
    argsort_impl(key, n, n, idx);
}

void mm_text_argsort_i64_head(const int64_t *key, size_t n, size_t k, size_t *idx)
{
    argsort_impl(key, n, k < n ? k : n, idx);
}
