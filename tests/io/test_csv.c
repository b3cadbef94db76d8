/* io: CSV reader and table — RFC 4180 cases, streaming through tiny buffers,
 * UTF-8 validation, and every error path with the exact message text. */
#include "mmfuse/io.h"
#include "io/utf8.h"
#include "mmtest.h"

#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static mm_status read_str(const char *s, mm_csv_params p, mm_table **t, mm_error *err)
{
    return mm_table_read_buffer(s, strlen(s), "data.csv", p, t, err);
}

static bool cell_is(const mm_table *t, size_t r, size_t c, const char *want)
{
    size_t len = 99;
    const char *s = mm_table_cell(t, r, c, &len);
    if (!want) return s == NULL && len == 0;
    return s && len == strlen(want) && memcmp(s, want, len) == 0 && s[len] == '\0';
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        exit(2);
    }
    fwrite(data, 1, len, f);
    fclose(f);
}

/* Expects the whole input to fail with `code` and the message to equal `msg`
 * (or, when prefix is true, to start with it). */
static void expect_error(const char *input, size_t len, mm_csv_params p, mm_status code,
                         const char *msg, bool prefix, int line)
{
    mm_table *t = (mm_table *)1;
    mm_error err = {0};
    mm_status st = mm_table_read_buffer(input, len, "data.csv", p, &t, &err);
    bool ok = st == code && t == NULL &&
              (prefix ? strncmp(err.msg, msg, strlen(msg)) == 0 : strcmp(err.msg, msg) == 0);
    MM_CHECK(ok);
    if (!ok)
        fprintf(stderr, "  (test_csv.c:%d) status %d, message \"%s\"; expected %d \"%s\"%s\n", line,
                (int)st, err.msg, (int)code, msg, prefix ? "..." : "");
    if (st == MM_OK) mm_table_free(t);
}

#define EXPECT_ERR(s, code, msg) expect_error(s, strlen(s), mm_csv_params_default(), code, msg, false, __LINE__)
#define EXPECT_ERR_PREFIX(s, code, msg) expect_error(s, strlen(s), mm_csv_params_default(), code, msg, true, __LINE__)

static void test_rfc4180(void)
{
    mm_table *t;
    mm_error err = {0};
    const char *s = "a,b,c\n"
                    "1,\"x,y\",\"he said \"\"hi\"\"\"\n"
                    "\"multi\nline\",,\"\"\n"
                    "plain,q\"in\"side,\"\"\"\"\n";
    MM_CHECK_STATUS(read_str(s, mm_csv_params_default(), &t, &err), MM_OK);
    MM_CHECK(mm_table_rows(t) == 3 && mm_table_cols(t) == 3);
    MM_CHECK(strcmp(mm_table_col_name(t, 0), "a") == 0 && strcmp(mm_table_col_name(t, 2), "c") == 0);
    MM_CHECK(cell_is(t, 0, 0, "1"));
    MM_CHECK(cell_is(t, 0, 1, "x,y"));
    MM_CHECK(cell_is(t, 0, 2, "he said \"hi\""));
    MM_CHECK(cell_is(t, 1, 0, "multi\nline"));
    MM_CHECK(cell_is(t, 1, 1, NULL)); /* empty field */
    MM_CHECK(cell_is(t, 1, 2, NULL)); /* "" is missing too */
    MM_CHECK(cell_is(t, 2, 1, "q\"in\"side")); /* a quote inside an unquoted field is data */
    MM_CHECK(cell_is(t, 2, 2, "\""));
    /* physical lines: the quoted newline advances the count */
    MM_CHECK(mm_table_row_line(t, 0) == 2 && mm_table_row_line(t, 1) == 3 &&
             mm_table_row_line(t, 2) == 5);
    MM_CHECK(mm_table_find_col(t, "b") == 1 && mm_table_find_col(t, "c") == 2);
    MM_CHECK(mm_table_find_col(t, "zz") == -1 && mm_table_find_col(t, "") == -1);
    MM_CHECK(strcmp(mm_table_source(t), "data.csv") == 0);
    /* out-of-range access is harmless */
    MM_CHECK(mm_table_cell(t, 3, 0, NULL) == NULL && mm_table_cell(t, 0, 3, NULL) == NULL);
    MM_CHECK(mm_table_col_name(t, 3) == NULL && mm_table_row_line(t, 3) == 0);
    mm_table_free(t);
    mm_table_free(NULL);

    /* CRLF records, a blank CRLF line, CRLF inside quotes kept, no final newline */
    s = "a,b\r\n1,\"x\r\ny\"\r\n\r\n3,4";
    MM_CHECK_STATUS(read_str(s, mm_csv_params_default(), &t, &err), MM_OK);
    MM_CHECK(mm_table_rows(t) == 2);
    MM_CHECK(cell_is(t, 0, 1, "x\r\ny") && cell_is(t, 1, 0, "3") && cell_is(t, 1, 1, "4"));
    MM_CHECK(mm_table_row_line(t, 0) == 2 && mm_table_row_line(t, 1) == 5);
    mm_table_free(t);

    /* a lone CR ends a record outside quotes and is data inside them; a
     * trailing comma gives a missing cell */
    s = "a,b\nx\ry,\"p\rq\"\nlast,\n";
    MM_CHECK_STATUS(read_str(s, mm_csv_params_default(), &t, &err), MM_EFORMAT);
    MM_CHECK(strcmp(err.msg, "data.csv:2: expected 2 fields, found 1") == 0);
    s = "a,b\nx,\"p\rq\"\nlast,\n";
    MM_CHECK_STATUS(read_str(s, mm_csv_params_default(), &t, &err), MM_OK);
    MM_CHECK(mm_table_rows(t) == 2 && cell_is(t, 0, 0, "x") && cell_is(t, 0, 1, "p\rq"));
    MM_CHECK(cell_is(t, 1, 0, "last") && cell_is(t, 1, 1, NULL));
    MM_CHECK(mm_table_row_line(t, 0) == 2 && mm_table_row_line(t, 1) == 4);
    mm_table_free(t);

    /* BOM skipped (also before a quoted header field); blank lines skipped */
    s = "\xEF\xBB\xBF\"name\",v\n\n\nx,1\n\n";
    MM_CHECK_STATUS(read_str(s, mm_csv_params_default(), &t, &err), MM_OK);
    MM_CHECK(strcmp(mm_table_col_name(t, 0), "name") == 0 && mm_table_rows(t) == 1);
    MM_CHECK(mm_table_row_line(t, 0) == 4);
    mm_table_free(t);

    /* a BOM that is not at the start is data */
    s = "a\n\xEF\xBB\xBFx\n";
    MM_CHECK_STATUS(read_str(s, mm_csv_params_default(), &t, &err), MM_OK);
    MM_CHECK(cell_is(t, 0, 0, "\xEF\xBB\xBFx"));
    mm_table_free(t);

    /* other delimiters; spaces are data; a line of spaces is a record */
    mm_csv_params p = mm_csv_params_default();
    p.delimiter = ';';
    s = "a;b\n 1 ;\"x;y\"\n";
    MM_CHECK_STATUS(read_str(s, p, &t, &err), MM_OK);
    MM_CHECK(cell_is(t, 0, 0, " 1 ") && cell_is(t, 0, 1, "x;y"));
    mm_table_free(t);
    p.delimiter = '\t';
    s = "a\tb\n1\t,2\n";
    MM_CHECK_STATUS(read_str(s, p, &t, &err), MM_OK);
    MM_CHECK(cell_is(t, 0, 1, ",2"));
    mm_table_free(t);

    /* header only: 0 rows, with or without a final newline */
    MM_CHECK_STATUS(read_str("x,y\n", mm_csv_params_default(), &t, &err), MM_OK);
    MM_CHECK(mm_table_rows(t) == 0 && mm_table_cols(t) == 2);
    mm_table_free(t);
    MM_CHECK_STATUS(read_str("x,y", mm_csv_params_default(), &t, &err), MM_OK);
    MM_CHECK(mm_table_rows(t) == 0 && mm_table_cols(t) == 2);
    mm_table_free(t);

    /* UTF-8 text (a NUL byte in a cell is an error: test_nul) */
    const char utf8_csv[] = "name\ncaf\xC3\xA9 \xE2\x82\xAC \xF0\x9D\x84\x9E\n";
    MM_CHECK_STATUS(mm_table_read_buffer(utf8_csv, sizeof utf8_csv - 1, "n.csv",
                                         mm_csv_params_default(), &t, &err),
                    MM_OK);
    MM_CHECK(cell_is(t, 0, 0, "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9D\x84\x9E"));
    mm_table_free(t);
}

static void test_reader_api(void)
{
    mm_csv_reader *r;
    mm_error err = {0};
    const char *s = "h1,\"h2\"\n\"a\nb\",\n";
    MM_CHECK_STATUS(mm_csv_open_buffer(s, strlen(s), "r.csv", mm_csv_params_default(), &r, &err),
                    MM_OK);
    const mm_csv_field *f;
    size_t n;
    bool eof;
    MM_CHECK_STATUS(mm_csv_next(r, &f, &n, &eof, &err), MM_OK);
    MM_CHECK(!eof && n == 2 && !f[0].quoted && f[1].quoted && f[1].len == 2 &&
             memcmp(f[1].data, "h2", 2) == 0);
    MM_CHECK(mm_csv_record_line(r) == 1);
    MM_CHECK_STATUS(mm_csv_next(r, &f, &n, &eof, &err), MM_OK);
    MM_CHECK(!eof && n == 2 && f[0].quoted && f[0].len == 3 && f[1].len == 0 && !f[1].quoted);
    MM_CHECK(mm_csv_record_line(r) == 2);
    MM_CHECK_STATUS(mm_csv_next(r, &f, &n, &eof, &err), MM_OK);
    MM_CHECK(eof && n == 0);
    MM_CHECK_STATUS(mm_csv_next(r, &f, &n, &eof, &err), MM_OK);
    MM_CHECK(eof);
    mm_csv_close(r);
    mm_csv_close(NULL);

    /* the reader does not compare widths; an error is sticky */
    s = "a\nb,c\n\"x\"y\nz\n";
    MM_CHECK_STATUS(mm_csv_open_buffer(s, strlen(s), "r.csv", mm_csv_params_default(), &r, &err),
                    MM_OK);
    MM_CHECK_STATUS(mm_csv_next(r, &f, &n, &eof, &err), MM_OK);
    MM_CHECK_STATUS(mm_csv_next(r, &f, &n, &eof, &err), MM_OK);
    MM_CHECK(n == 2);
    MM_CHECK_STATUS(mm_csv_next(r, &f, &n, &eof, &err), MM_EFORMAT);
    err.msg[0] = '\0';
    MM_CHECK_STATUS(mm_csv_next(r, &f, &n, &eof, &err), MM_EFORMAT);
    MM_CHECK(strncmp(err.msg, "r.csv:3: column 1: unexpected character after closing quote", 58) == 0);
    mm_csv_close(r);

    /* invalid parameters */
    mm_csv_params p = mm_csv_params_default();
    p.buffer_size = 0;
    MM_CHECK_STATUS(mm_csv_open_buffer("a", 1, "p.csv", p, &r, &err), MM_EINVAL);
    MM_CHECK(r == NULL);
    p = mm_csv_params_default();
    p.delimiter = '"';
    MM_CHECK_STATUS(mm_csv_open_buffer("a", 1, "p.csv", p, &r, &err), MM_EINVAL);
    p.delimiter = '\n';
    MM_CHECK_STATUS(mm_csv_open_buffer("a", 1, "p.csv", p, &r, &err), MM_EINVAL);
    p = mm_csv_params_default();
    p.max_columns = 0;
    MM_CHECK_STATUS(mm_csv_open_buffer("a", 1, "p.csv", p, &r, &err), MM_EINVAL);
    MM_CHECK_STATUS(mm_csv_open_buffer(NULL, 3, "p.csv", mm_csv_params_default(), &r, &err),
                    MM_EINVAL);
}

/* Reads `s` with many buffer sizes, from memory and from a file, and checks
 * every table equals the one read with the default buffer. */
static bool same_table(const mm_table *a, const mm_table *b)
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

static void test_streaming(void)
{
    /* a quoted field with commas, doubled quotes and newlines, far longer
     * than the buffer, plus CRLF, a BOM and a final record without newline */
    char big[4096];
    size_t n = 0;
    n += (size_t)sprintf(big + n, "\xEF\xBB\xBFid,text,\"note\"\r\n");
    n += (size_t)sprintf(big + n, "1,\"");
    for (int i = 0; i < 40; i++)
        n += (size_t)sprintf(big + n, "part %d, with \"\"quotes\"\" and\nnewline,", i);
    n += (size_t)sprintf(big + n, "\",tail\r\n\r\n2,,\"\"\n3,\"x\"\"\",\xC3\xA9\xE2\x82\xAC");
    mm_table *ref;
    mm_error err = {0};
    MM_CHECK_STATUS(mm_table_read_buffer(big, n, "big.csv", mm_csv_params_default(), &ref, &err),
                    MM_OK);
    MM_CHECK(mm_table_rows(ref) == 3);
    MM_CHECK(strcmp(mm_table_col_name(ref, 0), "id") == 0);
    size_t len;
    const char *txt = mm_table_cell(ref, 0, 1, &len);
    MM_CHECK(txt && len > 40 * 30 && strstr(txt, "part 39, with \"quotes\" and\nnewline,") != NULL);
    MM_CHECK(mm_table_row_line(ref, 0) == 2 && mm_table_row_line(ref, 1) == 44 &&
             mm_table_row_line(ref, 2) == 45);
    MM_CHECK(cell_is(ref, 2, 1, "x\"") && cell_is(ref, 2, 2, "\xC3\xA9\xE2\x82\xAC"));

    write_file("io_stream.csv", big, n);
    bool all_same = true;
    for (size_t bs = 1; bs <= 67; bs += (bs < 12 ? 1 : 11)) {
        mm_csv_params p = mm_csv_params_default();
        p.buffer_size = bs;
        mm_table *t;
        if (mm_table_read_buffer(big, n, "big.csv", p, &t, &err) != MM_OK) {
            all_same = false;
            continue;
        }
        all_same = all_same && same_table(ref, t);
        mm_table_free(t);
        if (mm_table_read_csv("io_stream.csv", p, &t, &err) != MM_OK) {
            all_same = false;
            continue;
        }
        all_same = all_same && same_table(ref, t) && strcmp(mm_table_source(t), "io_stream.csv") == 0;
        mm_table_free(t);
    }
    MM_CHECK(all_same);
    mm_table_free(ref);

    /* a file shorter than a BOM, and a partial BOM, read with a 1-byte buffer */
    mm_csv_params p1 = mm_csv_params_default();
    p1.buffer_size = 1;
    mm_table *t;
    write_file("io_short.csv", "\xEF\xBB", 2);
    MM_CHECK_STATUS(mm_table_read_csv("io_short.csv", p1, &t, &err), MM_EFORMAT); /* bad UTF-8 */
    MM_CHECK(strcmp(err.msg, "io_short.csv:1: column 1: invalid UTF-8 (byte 0xEF at offset 0 of the field)") == 0);
    write_file("io_short.csv", "\xEF\xBB\xBF", 3);
    MM_CHECK_STATUS(mm_table_read_csv("io_short.csv", p1, &t, &err), MM_EFORMAT);
    MM_CHECK(strcmp(err.msg, "io_short.csv: empty file") == 0);
    write_file("io_short.csv", "\xEF\xBB\xBF" "a", 4);
    MM_CHECK_STATUS(mm_table_read_csv("io_short.csv", p1, &t, &err), MM_OK);
    MM_CHECK(strcmp(mm_table_col_name(t, 0), "a") == 0);
    mm_table_free(t);
    write_file("io_short.csv", "ab", 2);
    MM_CHECK_STATUS(mm_table_read_csv("io_short.csv", p1, &t, &err), MM_OK);
    MM_CHECK(strcmp(mm_table_col_name(t, 0), "ab") == 0);
    mm_table_free(t);
    write_file("io_short.csv", "\xEF\xBB\x80,b\n1,2\n", 10); /* U+FEC0, not a BOM */
    MM_CHECK_STATUS(mm_table_read_csv("io_short.csv", p1, &t, &err), MM_OK);
    MM_CHECK(strcmp(mm_table_col_name(t, 0), "\xEF\xBB\x80") == 0 && mm_table_rows(t) == 1);
    mm_table_free(t);
    unlink("io_short.csv");
    unlink("io_stream.csv");
}

static void test_file_errors(void)
{
    mm_table *t;
    mm_error err = {0};
    unlink("io_missing.csv");
    MM_CHECK_STATUS(mm_table_read_csv("io_missing.csv", mm_csv_params_default(), &t, &err), MM_EIO);
    MM_CHECK(t == NULL);
    MM_CHECK(strcmp(err.msg, "io_missing.csv: cannot open: No such file or directory") == 0);

    rmdir("io_dir.csv");
    MM_CHECK(mkdir("io_dir.csv", 0755) == 0);
    MM_CHECK_STATUS(mm_table_read_csv("io_dir.csv", mm_csv_params_default(), &t, &err), MM_EIO);
    MM_CHECK(strcmp(err.msg, "io_dir.csv: is a directory, not a CSV file") == 0);
    rmdir("io_dir.csv");

    write_file("io_empty.csv", "", 0);
    MM_CHECK_STATUS(mm_table_read_csv("io_empty.csv", mm_csv_params_default(), &t, &err),
                    MM_EFORMAT);
    MM_CHECK(strcmp(err.msg, "io_empty.csv: empty file") == 0);
    write_file("io_empty.csv", "\n\r\n\n", 4);
    MM_CHECK_STATUS(mm_table_read_csv("io_empty.csv", mm_csv_params_default(), &t, &err),
                    MM_EFORMAT);
    MM_CHECK(strcmp(err.msg, "io_empty.csv: empty file") == 0);
    unlink("io_empty.csv");

    write_file("io_ragged.csv", "a,b,c\n1,2,3\n4,5\n", 16);
    MM_CHECK_STATUS(mm_table_read_csv("io_ragged.csv", mm_csv_params_default(), &t, &err),
                    MM_EFORMAT);
    MM_CHECK(strcmp(err.msg, "io_ragged.csv:3: expected 3 fields, found 2") == 0);
    unlink("io_ragged.csv");
}

static void test_format_errors(void)
{
    EXPECT_ERR("", MM_EFORMAT, "data.csv: empty file");
    EXPECT_ERR("\xEF\xBB\xBF", MM_EFORMAT, "data.csv: empty file");
    /* ragged records name their physical line (after a two-line quoted field) */
    EXPECT_ERR("a,b,c,d,e\n1,2,3,4,5\n\"x\ny\",2,3,4,5\n\n1,2,3,4\n", MM_EFORMAT,
               "data.csv:6: expected 5 fields, found 4");
    EXPECT_ERR("a,b\n1,2\n1,2,3", MM_EFORMAT, "data.csv:3: expected 2 fields, found 3");
    EXPECT_ERR("a,b\n1,2\n\"\"\n", MM_EFORMAT, "data.csv:3: expected 2 fields, found 1");
    /* an open quote reports the line where it opened */
    EXPECT_ERR("a,b\n1,2\n3,\"never\nclosed\n\n", MM_EFORMAT,
               "data.csv:3: unterminated quoted field (opened here, column 2)");
    EXPECT_ERR("\"", MM_EFORMAT, "data.csv:1: unterminated quoted field (opened here, column 1)");
    /* garbage after a closing quote names line and column */
    EXPECT_ERR("a,b\n1,\"x\"y\n", MM_EFORMAT,
               "data.csv:2: column 2: unexpected character after closing quote (expected ',' or "
               "end of line)");
    EXPECT_ERR("a,b\n\"x\" ,2\n", MM_EFORMAT,
               "data.csv:2: column 1: unexpected character after closing quote (expected ',' or "
               "end of line)");
    /* header names */
    EXPECT_ERR("id,price,x,y,price\n1,2,3,4,5\n", MM_EFORMAT,
               "data.csv:1: duplicate column name 'price' (columns 2 and 5)");
    EXPECT_ERR("a,b,a,b\n", MM_EFORMAT, "data.csv:1: duplicate column name 'a' (columns 1 and 3)");
    EXPECT_ERR("x,b,c,b,x\n", MM_EFORMAT, "data.csv:1: duplicate column name 'b' (columns 2 and 4)");
    EXPECT_ERR("a,b,,d\n1,2,3,4\n", MM_EFORMAT, "data.csv:1: column 3 has an empty name");
    EXPECT_ERR("a,\"\"\n", MM_EFORMAT, "data.csv:1: column 2 has an empty name");
    EXPECT_ERR("\n\na,\n", MM_EFORMAT, "data.csv:3: column 2 has an empty name");
    const char nul_name[] = "a,b\0c\n";
    expect_error(nul_name, sizeof nul_name - 1, mm_csv_params_default(), MM_EFORMAT,
                 "data.csv:1: column 2: NUL byte at offset 1 of the field (a cell cannot hold "
                 "NUL bytes; is the file UTF-16 or binary?)",
                 false, __LINE__);

    /* invalid UTF-8 of several kinds, in unquoted and quoted fields */
    static const struct {
        const char *field;
        const char *msg;
    } bad[] = {
        {"\xC0\x80", "(byte 0xC0 at offset 0 of the field)"},          /* overlong NUL   */
        {"ab\xC1\xBF", "(byte 0xC1 at offset 2 of the field)"},        /* overlong 2-byte */
        {"\xE0\x80\xAF", "(byte 0xE0 at offset 0 of the field)"},      /* overlong 3-byte */
        {"\xF0\x8F\xBF\xBF", "(byte 0xF0 at offset 0 of the field)"},  /* overlong 4-byte */
        {"\xED\xA0\x80", "(byte 0xED at offset 0 of the field)"},      /* surrogate D800 */
        {"x\xED\xBF\xBF", "(byte 0xED at offset 1 of the field)"},     /* surrogate DFFF */
        {"\xF4\x90\x80\x80", "(byte 0xF4 at offset 0 of the field)"},  /* U+110000       */
        {"\xF5\x80\x80\x80", "(byte 0xF5 at offset 0 of the field)"},  /* lead F5        */
        {"\xFF", "(byte 0xFF at offset 0 of the field)"},
        {"a\x80", "(byte 0x80 at offset 1 of the field)"},             /* lone continuation */
        {"\xE2\x82", "(byte 0xE2 at offset 0 of the field)"},          /* truncated at end */
        {"\xE2\x82z", "(byte 0xE2 at offset 0 of the field)"},         /* truncated inside */
        {"\xF0\x9D\x84", "(byte 0xF0 at offset 0 of the field)"},
        {"\xC3", "(byte 0xC3 at offset 0 of the field)"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char in[64], msg[128];
        snprintf(in, sizeof in, "a,b\n1,2\n3,%s\n", bad[i].field);
        snprintf(msg, sizeof msg, "data.csv:3: column 2: invalid UTF-8 %s", bad[i].msg);
        expect_error(in, strlen(in), mm_csv_params_default(), MM_EFORMAT, msg, false, __LINE__);
        snprintf(in, sizeof in, "a,b\n1,2\n\"%s\",4\n", bad[i].field);
        snprintf(msg, sizeof msg, "data.csv:3: column 1: invalid UTF-8 %s", bad[i].msg);
        expect_error(in, strlen(in), mm_csv_params_default(), MM_EFORMAT, msg, false, __LINE__);
    }
    /* in the header; and a quoted field spanning lines reports where it starts */
    EXPECT_ERR("a,\xC3(\n", MM_EFORMAT,
               "data.csv:1: column 2: invalid UTF-8 (byte 0xC3 at offset 0 of the field)");
    EXPECT_ERR("a\n\"x\ny\xFF\"\n", MM_EFORMAT,
               "data.csv:2: column 1: invalid UTF-8 (byte 0xFF at offset 3 of the field)");
    /* edge code points that are valid */
    mm_table *t;
    mm_error err = {0};
    MM_CHECK_STATUS(read_str("a\n\xF4\x8F\xBF\xBF\xED\x9F\xBF\xEE\x80\x80\xC2\x80\xE0\xA0\x80"
                             "\xF0\x90\x80\x80\n",
                             mm_csv_params_default(), &t, &err),
                    MM_OK);
    mm_table_free(t);
}

static void test_limits(void)
{
    mm_csv_params p = mm_csv_params_default();
    mm_table *t;
    mm_error err = {0};
    p.max_field_bytes = 4;
    MM_CHECK_STATUS(read_str("a,b\nabcd,\"wxyz\"\n", p, &t, &err), MM_OK);
    mm_table_free(t);
    expect_error("a,b\n1,abcde\n", 12, p, MM_EFORMAT,
                 "data.csv:2: column 2: field longer than 4 bytes (max_field_bytes)", false,
                 __LINE__);
    expect_error("a,b\n\"ab\"\"cd\",1\n", 15, p, MM_EFORMAT,
                 "data.csv:2: column 1: field longer than 4 bytes (max_field_bytes)", false,
                 __LINE__);
    p.buffer_size = 2; /* the limit holds across refills */
    expect_error("a,b\n1,abcdefghij\n", 17, p, MM_EFORMAT,
                 "data.csv:2: column 2: field longer than 4 bytes (max_field_bytes)", false,
                 __LINE__);

    /* a long quoted field spanning lines: the message names the line where
     * it starts, whatever the buffer size */
    const char *ml = "a,b\n1,\"ab\ncd\nef\ngh\"\n";
    for (size_t bs = 1; bs <= 64; bs *= 2) {
        p.buffer_size = bs;
        expect_error(ml, strlen(ml), p, MM_EFORMAT,
                     "data.csv:2: column 2: field longer than 4 bytes (max_field_bytes)", false,
                     __LINE__);
    }

    p = mm_csv_params_default();
    p.max_columns = 2;
    MM_CHECK_STATUS(read_str("a,b\n1,2\n", p, &t, &err), MM_OK);
    mm_table_free(t);
    expect_error("a,b,c\n1,2,3\n", 12, p, MM_EFORMAT, "data.csv:1: more than 2 fields (max_columns)",
                 false, __LINE__);
    expect_error("a,b\n1,2,3\n", 10, p, MM_EFORMAT, "data.csv:2: more than 2 fields (max_columns)",
                 false, __LINE__);

    p = mm_csv_params_default();
    p.max_rows = 2;
    MM_CHECK_STATUS(read_str("a\n1\n2\n", p, &t, &err), MM_OK);
    MM_CHECK(mm_table_rows(t) == 2);
    mm_table_free(t);
    expect_error("a\n1\n2\n\n3\n", 9, p, MM_EFORMAT, "data.csv:5: more than 2 data rows (max_rows)",
                 false, __LINE__);
    p.max_rows = 0;
    MM_CHECK_STATUS(read_str("a\n", p, &t, &err), MM_OK);
    mm_table_free(t);
}

/* An independent UTF-8 rule: decode the code point and check it. */
static bool ref_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t len;
        uint32_t cp;
        if (c < 0x80) { len = 1; cp = c; }
        else if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; }
        else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; }
        else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; }
        else return false;
        if (i + len > n) return false;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return false;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        static const uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min_cp[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += len;
    }
    return true;
}

static void test_utf8_exhaustive(void)
{
    static const unsigned char tail[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xF4};
    size_t mismatches = 0, cases = 0;
    unsigned char s[4];
    for (unsigned a = 0; a < 256; a++)
        for (unsigned b = 0; b < 256; b++) {
            s[0] = (unsigned char)a;
            s[1] = (unsigned char)b;
            for (size_t n = 1; n <= 2; n++) {
                cases++;
                if ((mm_io_utf8_check(s, n) == n) != ref_valid(s, n)) mismatches++;
            }
            for (size_t x = 0; x < sizeof tail; x++) {
                s[2] = tail[x];
                cases++;
                if ((mm_io_utf8_check(s, 3) == 3) != ref_valid(s, 3)) mismatches++;
                for (size_t y = 0; y < sizeof tail; y++) {
                    s[3] = tail[y];
                    cases++;
                    if ((mm_io_utf8_check(s, 4) == 4) != ref_valid(s, 4)) mismatches++;
                }
            }
        }
    MM_CHECK(mismatches == 0);
    if (mismatches) fprintf(stderr, "  utf8: %zu of %zu cases disagree\n", mismatches, cases);
    /* the 8-byte ASCII fast path followed by a bad byte at every position */
    unsigned char buf[40];
    memset(buf, 'a', sizeof buf);
    bool ok = true;
    for (size_t k = 0; k < sizeof buf; k++) {
        buf[k] = 0x80;
        ok = ok && mm_io_utf8_check(buf, sizeof buf) == k;
        buf[k] = 'a';
    }
    MM_CHECK(ok && mm_io_utf8_check(buf, sizeof buf) == sizeof buf);
}

/* Reads s with buffer sizes 1..9 and the default, from memory; true when
 * every read gives the same table (and status and message on error). */
static bool same_at_every_buffer(const char *s, size_t n)
{
    mm_table *ref = NULL;
    mm_error eref = {0};
    mm_status sref = mm_table_read_buffer(s, n, "data.csv", mm_csv_params_default(), &ref, &eref);
    bool ok = true;
    for (size_t bs = 1; bs <= 9; bs++) {
        mm_csv_params p = mm_csv_params_default();
        p.buffer_size = bs;
        mm_table *t = NULL;
        mm_error e = {0};
        mm_status st = mm_table_read_buffer(s, n, "data.csv", p, &t, &e);
        if (st != sref || (st == MM_OK ? !same_table(ref, t) : strcmp(e.msg, eref.msg) != 0)) {
            fprintf(stderr, "  buffer %zu differs: status %d \"%s\" vs %d \"%s\"\n", bs, (int)st, e.msg,
                    (int)sref, eref.msg);
            ok = false;
        }
        mm_table_free(t);
    }
    mm_table_free(ref);
    return ok;
}

/* Records ended by a lone CR (old Mac files), alone and mixed with LF and
 * CRLF; a CR inside quotes is data; line numbers count every kind of break. */
static void test_cr_only(void)
{
    mm_table *t;
    mm_error err = {0};
    static const char *const same3[] = {"a,b\r1,2\r3,4\r", "a,b\r1,2\r3,4", "a,b\n1,2\n3,4\n",
                                        "a,b\r\n1,2\r\n3,4\r\n"};
    for (size_t k = 0; k < 4; k++) {
        MM_CHECK_STATUS(read_str(same3[k], mm_csv_params_default(), &t, &err), MM_OK);
        MM_CHECK(mm_table_rows(t) == 2 && mm_table_cols(t) == 2 && cell_is(t, 0, 0, "1") &&
                 cell_is(t, 0, 1, "2") && cell_is(t, 1, 0, "3") && cell_is(t, 1, 1, "4"));
        MM_CHECK(strcmp(mm_table_col_name(t, 1), "b") == 0);
        MM_CHECK(mm_table_row_line(t, 0) == 2 && mm_table_row_line(t, 1) == 3);
        mm_table_free(t);
        MM_CHECK(same_at_every_buffer(same3[k], strlen(same3[k])));
    }

    /* empty CR lines are skipped, also at the end; lines still count */
    const char *s = "a,b\r\r1,2\r\r\r3,4\r\r";
    MM_CHECK_STATUS(read_str(s, mm_csv_params_default(), &t, &err), MM_OK);
    MM_CHECK(mm_table_rows(t) == 2 && mm_table_row_line(t, 0) == 3 && mm_table_row_line(t, 1) == 6);
    mm_table_free(t);
    MM_CHECK(same_at_every_buffer(s, strlen(s)));

    /* quoted CR, CRLF and LF are data, each one line; a lone CR after a
     * closing quote ends the record; a trailing empty field before a CR */
    s = "a,b\r\"p\r\nq\rr\ns\",1\r\"x\"\r2,\r\n4,5\n";
    MM_CHECK_STATUS(read_str(s, mm_csv_params_default(), &t, &err), MM_EFORMAT);
    MM_CHECK(strcmp(err.msg, "data.csv:6: expected 2 fields, found 1") == 0);
    s = "a,b\r\"p\r\nq\rr\ns\",1\r\"x\",\r2,\r\n4,5\n";
    MM_CHECK_STATUS(read_str(s, mm_csv_params_default(), &t, &err), MM_OK);
    MM_CHECK(mm_table_rows(t) == 4 && cell_is(t, 0, 0, "p\r\nq\rr\ns") && cell_is(t, 0, 1, "1"));
    MM_CHECK(cell_is(t, 1, 0, "x") && cell_is(t, 1, 1, NULL) && cell_is(t, 2, 0, "2") &&
             cell_is(t, 2, 1, NULL) && cell_is(t, 3, 1, "5"));
    MM_CHECK(mm_table_row_line(t, 0) == 2 && mm_table_row_line(t, 1) == 6 &&
             mm_table_row_line(t, 2) == 7 && mm_table_row_line(t, 3) == 8);
    mm_table_free(t);
    MM_CHECK(same_at_every_buffer(s, strlen(s)));

    /* the header of a CR-only file is one record, not one long name (this
     * used to read as a single record: "duplicate column name") */
    s = "id,x,y\r1,2,a\r2,3,b\r";
    MM_CHECK_STATUS(read_str(s, mm_csv_params_default(), &t, &err), MM_OK);
    MM_CHECK(mm_table_cols(t) == 3 && mm_table_rows(t) == 2 && cell_is(t, 1, 2, "b"));
    mm_table_free(t);

    /* an error after CR-only lines names the right line */
    EXPECT_ERR("a,b\r1,2\r3\r", MM_EFORMAT, "data.csv:3: expected 2 fields, found 1");
    EXPECT_ERR("a\r\"x\"y\r", MM_EFORMAT,
               "data.csv:2: column 1: unexpected character after closing quote (expected ',' or "
               "end of line)");
    EXPECT_ERR("a\r1\r\"open\r\r", MM_EFORMAT,
               "data.csv:3: unterminated quoted field (opened here, column 1)");

    /* the streaming reader: record lines of a CR-only file read from disk */
    write_file("io_cr.csv", "h\r\ra\r\"b\rc\"\rd", 12);
    mm_csv_reader *r;
    MM_CHECK_STATUS(mm_csv_open("io_cr.csv", mm_csv_params_default(), &r, &err), MM_OK);
    const mm_csv_field *f;
    size_t n, lines[4] = {0}, k = 0;
    bool eof = false;
    while (k < 4 && mm_csv_next(r, &f, &n, &eof, &err) == MM_OK && !eof) lines[k++] = mm_csv_record_line(r);
    MM_CHECK(k == 4 && eof == false && lines[0] == 1 && lines[1] == 3 && lines[2] == 4 && lines[3] == 6);
    MM_CHECK_STATUS(mm_csv_next(r, &f, &n, &eof, &err), MM_OK);
    MM_CHECK(eof);
    mm_csv_close(r);
    unlink("io_cr.csv");
}

/* A NUL byte in a field is an error naming the line and column where the
 * NUL stands, whatever the buffer size. */
static void test_nul(void)
{
    static const struct {
        const char *csv;
        size_t len;
        const char *msg;
    } cases[] = {
        {"a,b\n1,x\0y\n", 10, "data.csv:2: column 2: NUL byte at offset 1 of the field"},
        {"a,b\n1,2\n\0,3\n", 12, "data.csv:3: column 1: NUL byte at offset 0 of the field"},
        {"a,b\n1,\"p\nq\0\"\n", 14, "data.csv:3: column 2: NUL byte at offset 3 of the field"},
        {"a,b\r1,\"p\rq\r\n\0\"\r", 16, "data.csv:4: column 2: NUL byte at offset 5 of the field"},
        {"a,b\n1,\"\0\"\n", 11, "data.csv:2: column 2: NUL byte at offset 0 of the field"},
        {"a,b\n1,2\0", 8, "data.csv:2: column 2: NUL byte at offset 1 of the field"},
        {"\0a\n", 3, "data.csv:1: column 1: NUL byte at offset 0 of the field"},
        /* UTF-16LE "a,b\n": NUL bytes everywhere */
        {"\xFF\xFE" "a\0,\0b\0\n\0", 10, "data.csv:1: column 1: NUL byte at offset 3 of the field"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        expect_error(cases[i].csv, cases[i].len, mm_csv_params_default(), MM_EFORMAT, cases[i].msg, true,
                     __LINE__);
        MM_CHECK(same_at_every_buffer(cases[i].csv, cases[i].len));
    }
    /* the whole message */
    expect_error("a\nx\0\n", 5, mm_csv_params_default(), MM_EFORMAT,
                 "data.csv:2: column 1: NUL byte at offset 1 of the field (a cell cannot hold NUL "
                 "bytes; is the file UTF-16 or binary?)",
                 false, __LINE__);
    /* from a file too */
    mm_table *t = NULL;
    mm_error err = {0};
    write_file("io_nul.csv", "a,b\n1,2\n3,4\0\n", 13);
    MM_CHECK_STATUS(mm_table_read_csv("io_nul.csv", mm_csv_params_default(), &t, &err), MM_EFORMAT);
    MM_CHECK(t == NULL && strncmp(err.msg, "io_nul.csv:3: column 2: NUL byte at offset 1", 44) == 0);
    unlink("io_nul.csv");
}

/* ------------------------------------------------------------ numbers */

/* strtod of the number with its surrounding blanks removed, for comparison */
static double ref_strtod(const char *s)
{
    char buf[512];
    while (*s == ' ' || *s == '\t') s++;
    snprintf(buf, sizeof buf, "%s", s);
    size_t n = strlen(buf);
    while (n && (buf[n - 1] == ' ' || buf[n - 1] == '\t')) buf[--n] = '\0';
    return strtod(buf, NULL);
}

static bool same_bits(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

static void test_number_grammar(void)
{
    static const struct {
        const char *s;
        double v; /* the exact expected value */
    } good[] = {
        {"0", 0.0},
        {"42", 42.0},
        {"-0.5", -0.5},
        {"+.5", 0.5},
        {".25", 0.25},
        {"1.", 1.0},
        {"-1.", -1.0},
        {"007", 7.0},
        {" 7 ", 7.0},
        {"\t-3e2\t", -300.0},
        {"  6.02e23", 6.02e23},
        {"1E-3", 1e-3},
        {"1e+3", 1000.0},
        {"1.e5", 1e5},
        {".5E-1", 0.05},
        {"0.1", 0.1},
        {"123456789012345678901234567890", 123456789012345678901234567890.0},
        {"1.7976931348623157e308", 1.7976931348623157e308},
        {"4.9e-324", 4.9e-324},
        {"2.2250738585072011e-308", 2.2250738585072011e-308},
        {"0.30000000000000004", 0.30000000000000004},
        {"1e-400", 0.0},
        {"000000000000000000000000000000000001.5", 1.5},
        {"9007199254740993", 9007199254740993.0},
    };
    bool all_ok = true;
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        double v = -12345.0;
        bool ok = mm_parse_number(good[i].s, &v);
        bool exact = ok && same_bits(v, good[i].v) && same_bits(v, ref_strtod(good[i].s));
        if (!exact) {
            fprintf(stderr, "  number \"%s\": ok=%d value %.17g, expected %.17g\n", good[i].s, ok, v, good[i].v);
            all_ok = false;
        }
    }
    MM_CHECK(all_ok);
    /* signed zero is kept */
    double z = 1.0;
    MM_CHECK(mm_parse_number("-0", &z) && z == 0.0 && signbit(z));
    MM_CHECK(mm_parse_number("-0.0e10", &z) && z == 0.0 && signbit(z));
    MM_CHECK(mm_parse_number("3", NULL)); /* out may be NULL */

    static const char *const bad[] = {
        "", " ", "\t", "  \t ", ".", "-", "+", "+-1", "-+1", "--1", "++1", "1e", "1e+", "1E-", "e5",
        ".e5", "-.e1", "1e5.5", "1e1e1", "1ee5", "0x10", "0X1A", "0x", "0b101", "0o17", "inf", "-inf",
        "+inf", "INF", "Infinity", "infinity", "nan", "NaN", "-nan", "nan(0x1)", "1e999", "-1e999",
        "1e400", "1_000", "1,5", "1,000", "1 000", "1.2.3", "1..2", "..1", "1d", "1f", "1L", "12abc",
        "abc", "e", "E", "\xE2\x88\x92" "1", "\xD9\xA1", "1\n", "\n1", "1\r", "\v1", "1\f", ". 5",
        "1 .5", "- 1", "1 e5", "1e 5", "$1", "1%", "(1)", "1/2", "0x1p3", "1p3", "\xC2\xA0" "1",
    };
    size_t wrong = 0;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double v = -12345.0;
        if (mm_parse_number(bad[i], &v) || v != -12345.0) {
            fprintf(stderr, "  \"%s\" should not be a number (got %.17g)\n", bad[i], v);
            wrong++;
        }
    }
    MM_CHECK(wrong == 0);
    MM_CHECK(!mm_parse_number(NULL, &z));

    /* random strings of the grammar: all accepted, all bit-identical to
     * strtod (a fixed-seed LCG, so a failure replays) */
    uint64_t x = 0x9E3779B97F4A7C15u;
#define NEXT() (x = x * 6364136223846793005u + 1442695040888963407u, (unsigned)(x >> 33))
    size_t mismatch = 0, rejected = 0, runs = 20000;
    for (size_t i = 0; i < runs; i++) {
        char s[96];
        size_t n = 0;
        unsigned r = NEXT();
        if (r % 4 == 0) s[n++] = ' ';
        if (r % 3 == 1) s[n++] = '-';
        else if (r % 3 == 2) s[n++] = '+';
        size_t int_d = NEXT() % 22, frac_d = NEXT() % 22;
        bool point = NEXT() % 2;
        if (int_d == 0 && (!point || frac_d == 0)) int_d = 1;
        for (size_t k = 0; k < int_d; k++) s[n++] = (char)('0' + NEXT() % 10);
        if (point) {
            s[n++] = '.';
            for (size_t k = 0; k < frac_d; k++) s[n++] = (char)('0' + NEXT() % 10);
        }
        if (NEXT() % 2) {
            s[n++] = NEXT() % 2 ? 'e' : 'E';
            unsigned sg = NEXT() % 3;
            if (sg == 1) s[n++] = '-';
            else if (sg == 2) s[n++] = '+';
            n += (size_t)sprintf(s + n, "%u", NEXT() % 330);
        }
        if (NEXT() % 4 == 0) s[n++] = '\t';
        s[n] = '\0';
        double v, ref = ref_strtod(s);
        if (!isfinite(ref)) {
            if (mm_parse_number(s, &v)) mismatch++; /* overflow: not a number */
            continue;
        }
        if (!mm_parse_number(s, &v)) {
            if (rejected++ < 3) fprintf(stderr, "  \"%s\" rejected\n", s);
        } else if (!same_bits(v, ref)) {
            if (mismatch++ < 3) fprintf(stderr, "  \"%s\": %.17g vs strtod %.17g\n", s, v, ref);
        }
    }
#undef NEXT
    MM_CHECK(mismatch == 0 && rejected == 0);

    /* the value does not depend on the thread's locale (checked when this
     * machine has a locale whose decimal point is a comma) */
    static const char *const comma_locales[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8",
                                                "ru_RU.UTF-8", "de_DE", "fr_FR"};
    locale_t loc = (locale_t)0;
    for (size_t i = 0; i < sizeof comma_locales / sizeof comma_locales[0] && loc == (locale_t)0; i++)
        loc = newlocale(LC_NUMERIC_MASK, comma_locales[i], (locale_t)0);
    if (loc != (locale_t)0) {
        locale_t prev = uselocale(loc);
        double v = 0;
        MM_CHECK(mm_parse_number("1.5", &v) && v == 1.5);
        MM_CHECK(!mm_parse_number("1,5", &v));
        uselocale(prev);
        freelocale(loc);
    } else {
        printf("note: no comma-decimal locale installed; the locale check was skipped\n");
    }
}

int main(void)
{
    test_rfc4180();
    test_reader_api();
    test_streaming();
    test_file_errors();
    test_format_errors();
    test_limits();
    test_utf8_exhaustive();
    test_cr_only();
    test_nul();
    test_number_grammar();
    return mm_test_summary();
}
