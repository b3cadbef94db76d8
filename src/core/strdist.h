/* Edit distance between short strings, for "did you mean" suggestions. */
#ifndef MM_CORE_STRDIST_H
#define MM_CORE_STRDIST_H

#include <stddef.h>

/* The Levenshtein distance (insertions, deletions, substitutions, each
 * costing 1, and the swap of two neighbours) between a[0..na) and b[0..nb),
 * capped at cap + 1. Strings longer than 128 bytes count as too far. */
size_t mm_edit_distance(const char *a, size_t na, const char *b, size_t nb, size_t cap);

/* The index of the candidate closest to name within a distance that grows
 * with the name's length (1 edit for short names, up to 3), comparing
 * case-insensitively; a candidate that the name is a prefix of (or the
 * reverse, for names of 5+ bytes) also counts as close. -1 when none is. */
long mm_closest_name(const char *name, size_t len, const char *const *cands, size_t n);

#endif
