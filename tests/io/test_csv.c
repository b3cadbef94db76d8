/* io: CSV reader and table — RFC 4180 cases, streaming through tiny buffers,
 * UTF-8 validation, and every error path with the exact message text. */
#include "mmfuse/io.h"
#include "io/utf8.h"
#include "mmtest.h"

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

    /* a lone CR is data, inside and outside quotes; a trailing comma gives a missing cell */
    s = "a,b\nx\ry,\"p\rq\"\nlast,\n";
    MM_CHECK_STATUS(read_str(s, mm_csv_params_default(), &t, &err), MM_OK);
    MM_CHECK(mm_table_rows(t) == 2 && cell_is(t, 0, 0, "x\ry") && cell_is(t, 0, 1, "p\rq"));
    MM_CHECK(cell_is(t, 1, 0, "last") && cell_is(t, 1, 1, NULL));
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

    /* UTF-8 text, and a NUL byte inside a cell (valid UTF-8, length kept) */
    const char nul_csv[] = "name\ncaf\xC3\xA9 \xE2\x82\xAC \xF0\x9D\x84\x9E\na\0b\n";
    MM_CHECK_STATUS(mm_table_read_buffer(nul_csv, sizeof nul_csv - 1, "n.csv",
                                         mm_csv_params_default(), &t, &err),
                    MM_OK);
    size_t len;
    MM_CHECK(cell_is(t, 0, 0, "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9D\x84\x9E"));
    MM_CHECK(mm_table_cell(t, 1, 0, &len) && len == 3);
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
    EXPECT_ERR("a\n\"x\"\rz\n", MM_EFORMAT,
               "data.csv:2: column 1: unexpected character after closing quote (a CR not "
               "followed by LF)");
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
                 "data.csv:1: column 2 name contains a NUL byte", false, __LINE__);

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

int main(void)
{
    test_rfc4180();
    test_reader_api();
    test_streaming();
    test_file_errors();
    test_format_errors();
    test_limits();
    test_utf8_exhaustive();
    return mm_test_summary();
}
