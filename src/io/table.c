/* A CSV file read whole into a table of string cells.
 *
 * Every cell is stored once in a single byte arena, NUL-terminated, in row
 * order. cell_off has rows*cols + 1 entries and cell k occupies
 * arena[cell_off[k] .. cell_off[k+1]); a missing (empty) cell occupies no
 * bytes at all, so "missing" is cell_off[k] == cell_off[k+1] and the length
 * of a present cell is the span minus its terminator. That costs one size_t
 * per cell plus the text. */
#include "mmfuse/io.h"

#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct mm_table {
    char *source;
    size_t rows, cols;
    char *arena;
    size_t arena_len, arena_cap;
    size_t *name_off;   /* cols entries: column names in the arena        */
    size_t *name_order; /* column indices sorted by name (for find_col)  */
    size_t *cell_off;   /* rows * cols + 1 entries                       */
    size_t cell_cap;
    size_t *row_line; /* rows entries */
    size_t row_cap;
};

/* Grows *p (an array of `elem`-byte items with capacity *cap) to hold at
 * least `need` items. */
static bool grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return true;
    size_t c = *cap ? *cap : 64;
    while (c < need) c = c > SIZE_MAX / 2 ? need : c * 2;
    size_t bytes;
    if (!mm_size_mul(c, elem, &bytes)) return false;
    void *q = realloc(*p, bytes);
    if (!q) return false;
    *p = q;
    *cap = c;
    return true;
}

static bool arena_put(mm_table *t, const char *s, size_t len)
{
    size_t need;
    if (!mm_size_add(t->arena_len, len, &need) || !mm_size_add(need, 1, &need)) return false;
    if (!grow((void **)&t->arena, &t->arena_cap, need, 1)) return false;
    if (len) memcpy(t->arena + t->arena_len, s, len);
    t->arena[t->arena_len + len] = '\0';
    t->arena_len = need;
    return true;
}

/* Column indices are sorted through (name, index) pairs: qsort has no
 * context argument. */
typedef struct name_idx {
    const char *name;
    size_t idx;
} name_idx;

static int cmp_name_idx(const void *a, const void *b)
{
    const name_idx *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c) return c;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

void mm_table_free(mm_table *t)
{
    if (!t) return;
    free(t->source);
    free(t->arena);
    free(t->name_off);
    free(t->name_order);
    free(t->cell_off);
    free(t->row_line);
    free(t);
}

static mm_status read_header(mm_table *t, mm_csv_reader *r, mm_error *err)
{
    const mm_csv_field *f;
    size_t n;
    bool eof;
    mm_status st = mm_csv_next(r, &f, &n, &eof, err);
    if (st) return st;
    if (eof) return mm_error_set(err, MM_EFORMAT, "%s: empty file", t->source);
    size_t line = mm_csv_record_line(r);
    t->cols = n;
    t->name_off = mm_alloc_array(n, sizeof *t->name_off);
    t->name_order = mm_alloc_array(n, sizeof *t->name_order);
    name_idx *ni = mm_alloc_array(n, sizeof *ni);
    if (!t->name_off || !t->name_order || !ni) {
        free(ni);
        return mm_error_set(err, MM_ENOMEM, "%s: out of memory for %zu columns", t->source, n);
    }
    for (size_t c = 0; c < n; c++) {
        if (f[c].len == 0) {
            free(ni);
            return mm_error_set(err, MM_EFORMAT, "%s:%zu: column %zu has an empty name",
                                t->source, line, c + 1);
        }
        if (memchr(f[c].data, '\0', f[c].len)) {
            free(ni);
            return mm_error_set(err, MM_EFORMAT, "%s:%zu: column %zu name contains a NUL byte",
                                t->source, line, c + 1);
        }
        t->name_off[c] = t->arena_len;
        if (!arena_put(t, f[c].data, f[c].len)) {
            free(ni);
            return mm_error_set(err, MM_ENOMEM, "%s: out of memory for the header", t->source);
        }
    }
    for (size_t c = 0; c < n; c++) {
        ni[c].name = t->arena + t->name_off[c];
        ni[c].idx = c;
    }
    qsort(ni, n, sizeof *ni, cmp_name_idx);
    /* report the duplicate whose second occurrence comes first in the file */
    size_t best = SIZE_MAX, best_first = 0, group_first = 0;
    for (size_t k = 0; k < n; k++) {
        if (k == 0 || strcmp(ni[k].name, ni[k - 1].name) != 0) {
            group_first = ni[k].idx;
        } else if (ni[k].idx < best) {
            best = ni[k].idx;
            best_first = group_first;
        }
        t->name_order[k] = ni[k].idx;
    }
    free(ni);
    if (best != SIZE_MAX) {
        const char *nm = t->arena + t->name_off[best];
        return mm_error_set(err, MM_EFORMAT,
                            "%s:%zu: duplicate column name '%.100s' (columns %zu and %zu)",
                            t->source, line, nm, best_first + 1, best + 1);
    }
    return MM_OK;
}

static mm_status read_rows(mm_table *t, mm_csv_reader *r, const mm_csv_params *p, mm_error *err)
{
    if (!grow((void **)&t->cell_off, &t->cell_cap, 1, sizeof *t->cell_off))
        return mm_error_set(err, MM_ENOMEM, "%s: out of memory", t->source);
    size_t data_start = t->arena_len;
    t->cell_off[0] = data_start;
    for (;;) {
        const mm_csv_field *f;
        size_t n;
        bool eof;
        mm_status st = mm_csv_next(r, &f, &n, &eof, err);
        if (st) return st;
        if (eof) return MM_OK;
        size_t line = mm_csv_record_line(r);
        if (n != t->cols)
            return mm_error_set(err, MM_EFORMAT, "%s:%zu: expected %zu fields, found %zu",
                                t->source, line, t->cols, n);
        if (t->rows >= p->max_rows)
            return mm_error_set(err, MM_EFORMAT, "%s:%zu: more than %zu data rows (max_rows)",
                                t->source, line, p->max_rows);
        size_t need;
        if (!mm_size_mul(t->rows + 1, t->cols, &need) || !mm_size_add(need, 1, &need) ||
            !grow((void **)&t->cell_off, &t->cell_cap, need, sizeof *t->cell_off) ||
            !grow((void **)&t->row_line, &t->row_cap, t->rows + 1, sizeof *t->row_line))
            return mm_error_set(err, MM_ENOMEM, "%s:%zu: out of memory after %zu rows", t->source,
                                line, t->rows);
        size_t k = t->rows * t->cols;
        for (size_t c = 0; c < n; c++, k++) {
            if (f[c].len && !arena_put(t, f[c].data, f[c].len))
                return mm_error_set(err, MM_ENOMEM, "%s:%zu: out of memory after %zu rows",
                                    t->source, line, t->rows);
            t->cell_off[k + 1] = t->arena_len;
        }
        t->row_line[t->rows] = line;
        t->rows++;
    }
}

static mm_status read_table(mm_csv_reader *r, const char *source, mm_csv_params params,
                            mm_table **out, mm_error *err)
{
    mm_table *t = calloc(1, sizeof *t);
    size_t sl = strlen(source);
    if (t) t->source = malloc(sl + 1);
    if (!t || !t->source) {
        mm_table_free(t);
        return mm_error_set(err, MM_ENOMEM, "%s: out of memory", source);
    }
    memcpy(t->source, source, sl + 1);
    mm_status st = read_header(t, r, err);
    if (!st) st = read_rows(t, r, &params, err);
    if (st) {
        mm_table_free(t);
        return st;
    }
    /* give back the slack of the doubling growth */
    if (t->arena_cap > t->arena_len && t->arena_len) {
        char *a = realloc(t->arena, t->arena_len);
        if (a) {
            t->arena = a;
            t->arena_cap = t->arena_len;
        }
    }
    size_t ncell = t->rows * t->cols + 1;
    if (t->cell_cap > ncell) {
        size_t *c = realloc(t->cell_off, ncell * sizeof *c);
        if (c) {
            t->cell_off = c;
            t->cell_cap = ncell;
        }
    }
    *out = t;
    return MM_OK;
}

mm_status mm_table_read_csv(const char *path, mm_csv_params params, mm_table **out, mm_error *err)
{
    if (!out) return mm_error_set(err, MM_EINVAL, "mm_table_read_csv: out is NULL");
    *out = NULL;
    mm_csv_reader *r;
    mm_status st = mm_csv_open(path, params, &r, err);
    if (st) return st;
    st = read_table(r, path, params, out, err);
    mm_csv_close(r);
    return st;
}

mm_status mm_table_read_buffer(const char *data, size_t len, const char *name,
                               mm_csv_params params, mm_table **out, mm_error *err)
{
    if (!out) return mm_error_set(err, MM_EINVAL, "mm_table_read_buffer: out is NULL");
    *out = NULL;
    if (!name) name = "<buffer>";
    mm_csv_reader *r;
    mm_status st = mm_csv_open_buffer(data, len, name, params, &r, err);
    if (st) return st;
    st = read_table(r, name, params, out, err);
    mm_csv_close(r);
    return st;
}

size_t mm_table_rows(const mm_table *t) { return t ? t->rows : 0; }
size_t mm_table_cols(const mm_table *t) { return t ? t->cols : 0; }

const char *mm_table_col_name(const mm_table *t, size_t col)
{
    if (!t || col >= t->cols) return NULL;
    return t->arena + t->name_off[col];
}

long mm_table_find_col(const mm_table *t, const char *name)
{
    if (!t || !name) return -1;
    size_t lo = 0, hi = t->cols;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        size_t c = t->name_order[mid];
        int cmp = strcmp(t->arena + t->name_off[c], name);
        if (cmp == 0) return (long)c;
        if (cmp < 0) lo = mid + 1;
        else hi = mid;
    }
    return -1;
}

const char *mm_table_cell(const mm_table *t, size_t row, size_t col, size_t *len)
{
    if (len) *len = 0;
    if (!t || row >= t->rows || col >= t->cols) return NULL;
    size_t k = row * t->cols + col;
    size_t b = t->cell_off[k], e = t->cell_off[k + 1];
    if (b == e) return NULL;
    if (len) *len = e - b - 1;
    return t->arena + b;
}

size_t mm_table_row_line(const mm_table *t, size_t row)
{
    if (!t || row >= t->rows) return 0;
    return t->row_line[row];
}

const char *mm_table_source(const mm_table *t) { return t ? t->source : NULL; }

/* ------------------------------------------------------------------ numbers */

/* End of the number that starts at s by the grammar of io.h (blanks
 * excluded), or NULL when s does not start with one. */
static const char *number_end(const char *s)
{
    const char *p = s;
    if (*p == '+' || *p == '-') p++;
    size_t int_digits = 0, frac_digits = 0;
    while (*p >= '0' && *p <= '9') {
        p++;
        int_digits++;
    }
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9') {
            p++;
            frac_digits++;
        }
    }
    if (int_digits == 0 && frac_digits == 0) return NULL;
    if (*p == 'e' || *p == 'E') {
        const char *q = p + 1;
        if (*q == '+' || *q == '-') q++;
        if (!(*q >= '0' && *q <= '9')) return NULL; /* "1e", "1e+": not numbers */
        while (*q >= '0' && *q <= '9') q++;
        p = q;
    }
    return p;
}

/* strtod reads the decimal point of the calling thread's locale; the value
 * must not depend on it, so conversions run in a "C" numeric locale. */
static locale_t c_numeric_locale;
static pthread_once_t c_numeric_once = PTHREAD_ONCE_INIT;

static void c_numeric_init(void)
{
    c_numeric_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

bool mm_parse_number(const char *s, double *out)
{
    if (!s) return false;
    while (*s == ' ' || *s == '\t') s++;
    const char *end = number_end(s);
    if (!end) return false;
    const char *rest = end;
    while (*rest == ' ' || *rest == '\t') rest++;
    if (*rest) return false;

    char *stop;
    double v;
    pthread_once(&c_numeric_once, c_numeric_init);
    if (c_numeric_locale != (locale_t)0) {
        locale_t prev = uselocale(c_numeric_locale);
        v = strtod(s, &stop);
        uselocale(prev);
    } else {
        v = strtod(s, &stop); /* no locale object: the process locale (normally "C") */
    }
    /* the grammar is a subset of strtod's, so strtod stops where it ends */
    if (stop != end || !isfinite(v)) return false;
    if (out) *out = v;
    return true;
}
