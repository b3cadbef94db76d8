/* libFuzzer target: the CSV reader and table (mm_table_read_buffer).
 *
 * The first input byte picks the parameters (buffer size 1..32 or 4096,
 * delimiter, tight limits) so that buffer refills land at every position.
 * Each input is read twice, with the chosen buffer and with the default one:
 * streaming must not change the result, the error message included. Any
 * difference or broken table invariant aborts (reported as a crash). */
#include "mmfuse/io.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_csv_check_table(const mm_table *t)
{
    size_t rows = mm_table_rows(t), cols = mm_table_cols(t);
    if (cols == 0) abort();
    for (size_t c = 0; c < cols; c++) {
        const char *name = mm_table_col_name(t, c);
        if (!name || !*name) abort();
        long at = mm_table_find_col(t, name);
        if (at < 0 || strcmp(mm_table_col_name(t, (size_t)at), name) != 0) abort();
    }
    size_t prev_line = 0;
    for (size_t r = 0; r < rows; r++) {
        size_t line = mm_table_row_line(t, r);
        if (line <= prev_line) abort();
        prev_line = line;
        for (size_t c = 0; c < cols; c++) {
            size_t len = 7;
            const char *s = mm_table_cell(t, r, c, &len);
            if (s ? (len == 0 || s[len] != '\0') : len != 0) abort();
        }
    }
}

static bool fuzz_csv_same(const mm_table *a, const mm_table *b)
{
    if (mm_table_rows(a) != mm_table_rows(b) || mm_table_cols(a) != mm_table_cols(b)) return false;
    for (size_t c = 0; c < mm_table_cols(a); c++)
        if (strcmp(mm_table_col_name(a, c), mm_table_col_name(b, c)) != 0) return false;
    for (size_t r = 0; r < mm_table_rows(a); r++) {
        if (mm_table_row_line(a, r) != mm_table_row_line(b, r)) return false;
        for (size_t c = 0; c < mm_table_cols(a); c++) {
            size_t la, lb;
            const char *x = mm_table_cell(a, r, c, &la), *y = mm_table_cell(b, r, c, &lb);
            if ((x == NULL) != (y == NULL) || la != lb || (x && memcmp(x, y, la) != 0))
                return false;
        }
    }
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mm_csv_params p = mm_csv_params_default();
    if (size > 0) {
        unsigned sel = data[0];
        p.buffer_size = (sel & 0x20) ? 4096 : 1 + (sel & 31);
        if (sel & 0x40) p.delimiter = ';';
        if (sel & 0x80) {
            p.max_field_bytes = 64;
            p.max_columns = 16;
            p.max_rows = 64;
        }
        data++;
        size--;
    }
    mm_csv_params q = p;
    q.buffer_size = mm_csv_params_default().buffer_size;

    mm_table *a = NULL, *b = NULL;
    mm_error ea = {0}, eb = {0};
    mm_status sa = mm_table_read_buffer((const char *)data, size, "fuzz.csv", p, &a, &ea);
    mm_status sb = mm_table_read_buffer((const char *)data, size, "fuzz.csv", q, &b, &eb);
    if (sa != sb) abort();
    if (sa == MM_OK) {
        fuzz_csv_check_table(a);
        if (!fuzz_csv_same(a, b)) abort();
    } else {
        if (a || b) abort();
        if (strncmp(ea.msg, "fuzz.csv", 8) != 0 || strcmp(ea.msg, eb.msg) != 0) abort();
    }
    mm_table_free(a);
    mm_table_free(b);
    return 0;
}
