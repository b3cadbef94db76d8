/* Streaming CSV reader (RFC 4180 plus LF and lone-CR records, BOM skipping,
 * UTF-8 and NUL checks).
 *
 * Input flows through one buffer of params.buffer_size bytes; the record being
 * parsed is assembled in a growing byte array, so a record (or a single
 * field) may span any number of buffer refills. The parser is a small state
 * machine; inside a field it copies whole runs of ordinary bytes at once. */
#include "mmfuse/io.h"

#include "io/utf8.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum csv_state {
    ST_FIELD_START, /* nothing of the current field read yet                 */
    ST_UNQUOTED,    /* inside an unquoted field                              */
    ST_QUOTED,      /* inside quotes                                         */
    ST_QUOTE_SEEN,  /* a quote inside quotes: closing, or the first of ""    */
    ST_CR           /* a CR outside quotes: CRLF, or a lone CR (both end the
                       record)                                                */
};

struct mm_csv_reader {
    char *name;
    mm_csv_params p;

    /* source: a file descriptor, or a caller-owned memory block */
    int fd;
    const unsigned char *mem;
    size_t mem_len, mem_pos;
    bool src_eof;

    /* bytes read while looking for a BOM that turned out not to be one */
    unsigned char head[3];
    size_t head_len;
    bool head_pending;

    unsigned char *buf; /* params.buffer_size bytes */
    const unsigned char *chunk;
    size_t cpos, clen;

    /* current record */
    char *rec;
    size_t rec_len, rec_cap;
    size_t *foff; /* field start offsets in rec */
    mm_csv_field *fields;
    size_t nfields, fields_cap;

    size_t line;     /* physical line of the next byte (1-based) */
    size_t rec_line; /* where the last returned record starts  */
    bool at_eof;
    mm_status failed; /* sticky: a reader that failed keeps failing */
    mm_error fail_err;
};

mm_csv_params mm_csv_params_default(void)
{
    mm_csv_params p;
    p.delimiter = ',';
    p.buffer_size = 65536;
    p.max_field_bytes = (size_t)64 << 20;
    p.max_columns = 100000;
    p.max_rows = SIZE_MAX;
    return p;
}

static mm_status check_params(const mm_csv_params *p, const char *name, mm_error *err)
{
    unsigned char d = (unsigned char)p->delimiter;
    if (d == 0 || d >= 0x80 || d == '"' || d == '\n' || d == '\r')
        return mm_error_set(err, MM_EINVAL,
                            "%s: invalid CSV delimiter 0x%02X (must be an ASCII character other "
                            "than '\"', CR and LF)",
                            name, d);
    if (p->buffer_size == 0)
        return mm_error_set(err, MM_EINVAL, "%s: CSV buffer_size must be at least 1", name);
    if (p->max_columns == 0)
        return mm_error_set(err, MM_EINVAL, "%s: CSV max_columns must be at least 1", name);
    return MM_OK;
}

static mm_status reader_alloc(const char *name, mm_csv_params params, mm_csv_reader **out,
                              mm_error *err)
{
    mm_csv_reader *r = calloc(1, sizeof *r);
    if (!r) return mm_error_set(err, MM_ENOMEM, "%s: out of memory", name);
    r->fd = -1;
    r->p = params;
    r->line = 1;
    r->rec_line = 1;
    size_t nl = strlen(name);
    r->name = malloc(nl + 1);
    r->buf = malloc(params.buffer_size);
    if (!r->name || !r->buf) {
        free(r->name);
        free(r->buf);
        free(r);
        return mm_error_set(err, MM_ENOMEM, "%s: out of memory for a %zu-byte read buffer", name,
                            params.buffer_size);
    }
    memcpy(r->name, name, nl + 1);
    *out = r;
    return MM_OK;
}

static const unsigned char utf8_bom[3] = {0xEF, 0xBB, 0xBF};

mm_status mm_csv_open(const char *path, mm_csv_params params, mm_csv_reader **out,
                      mm_error *err)
{
    if (!out) return mm_error_set(err, MM_EINVAL, "mm_csv_open: out is NULL");
    *out = NULL;
    if (!path) return mm_error_set(err, MM_EINVAL, "mm_csv_open: path is NULL");
    mm_status st = check_params(&params, path, err);
    if (st) return st;

    /* "-" is standard input (duplicated, so closing the reader leaves it open) */
    int fd = strcmp(path, "-") == 0 ? fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0) : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        return mm_error_set(err, MM_EIO, "%s: cannot open: %s", path, strerror(e));
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        return mm_error_set(err, MM_EIO, "%s: cannot stat: %s", path, strerror(e));
    }
    if (S_ISDIR(sb.st_mode)) {
        close(fd);
        return mm_error_set(err, MM_EIO, "%s: is a directory, not a CSV file", path);
    }

    mm_csv_reader *r;
    st = reader_alloc(path, params, &r, err);
    if (st) {
        close(fd);
        return st;
    }
    r->fd = fd;

    /* Read up to three bytes to look for a byte-order mark; anything else is
     * replayed to the parser before the first buffer fill. */
    size_t got = 0;
    while (got < 3) {
        ssize_t n = read(fd, r->head + got, 3 - got);
        if (n < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            mm_csv_close(r);
            return mm_error_set(err, MM_EIO, "%s: read error: %s", path, strerror(e));
        }
        if (n == 0) {
            r->src_eof = true;
            break;
        }
        got += (size_t)n;
    }
    if (got == 3 && memcmp(r->head, utf8_bom, 3) == 0) got = 0;
    r->head_len = got;
    r->head_pending = got > 0;
    *out = r;
    return MM_OK;
}

mm_status mm_csv_open_buffer(const char *data, size_t len, const char *name, mm_csv_params params,
                             mm_csv_reader **out, mm_error *err)
{
    if (!out) return mm_error_set(err, MM_EINVAL, "mm_csv_open_buffer: out is NULL");
    *out = NULL;
    if (!name) name = "<buffer>";
    if (!data && len > 0)
        return mm_error_set(err, MM_EINVAL, "%s: data is NULL but length is %zu", name, len);
    mm_status st = check_params(&params, name, err);
    if (st) return st;
    mm_csv_reader *r;
    st = reader_alloc(name, params, &r, err);
    if (st) return st;
    r->mem = (const unsigned char *)data;
    r->mem_len = len;
    if (len >= 3 && memcmp(data, utf8_bom, 3) == 0) r->mem_pos = 3;
    *out = r;
    return MM_OK;
}

void mm_csv_close(mm_csv_reader *r)
{
    if (!r) return;
    if (r->fd >= 0) close(r->fd);
    free(r->name);
    free(r->buf);
    free(r->rec);
    free(r->foff);
    free(r->fields);
    free(r);
}

size_t mm_csv_record_line(const mm_csv_reader *r) { return r ? r->rec_line : 0; }

/* Makes the next input bytes available in chunk[cpos..clen); clen == 0 at the
 * end of the input. */
static mm_status refill(mm_csv_reader *r, mm_error *err)
{
    r->cpos = 0;
    if (r->head_pending) {
        r->head_pending = false;
        r->chunk = r->head;
        r->clen = r->head_len;
        return MM_OK;
    }
    r->chunk = r->buf;
    r->clen = 0;
    if (r->src_eof) return MM_OK;
    if (r->fd < 0) {
        size_t n = r->mem_len - r->mem_pos;
        if (n > r->p.buffer_size) n = r->p.buffer_size;
        if (n) memcpy(r->buf, r->mem + r->mem_pos, n);
        r->mem_pos += n;
        r->clen = n;
        if (n == 0) r->src_eof = true;
        return MM_OK;
    }
    for (;;) {
        ssize_t n = read(r->fd, r->buf, r->p.buffer_size);
        if (n < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            return mm_error_set(err, MM_EIO, "%s:%zu: read error: %s", r->name, r->line,
                                strerror(e));
        }
        if (n == 0) r->src_eof = true;
        r->clen = (size_t)n;
        return MM_OK;
    }
}

/* Appends to the field that started at rec[field_start] on line field_line
 * (the line used in the message: where a long field is detected depends on
 * the buffer size, where it starts does not). */
static mm_status append(mm_csv_reader *r, size_t field_start, size_t field_line, const void *src,
                        size_t n, mm_error *err)
{
    if (n == 0) return MM_OK;
    size_t flen = r->rec_len - field_start;
    if (flen > r->p.max_field_bytes || n > r->p.max_field_bytes - flen)
        return mm_error_set(err, MM_EFORMAT,
                            "%s:%zu: column %zu: field longer than %zu bytes (max_field_bytes)",
                            r->name, field_line, r->nfields + 1, r->p.max_field_bytes);
    size_t need;
    if (!mm_size_add(r->rec_len, n, &need))
        return mm_error_set(err, MM_ENOMEM, "%s:%zu: record too large", r->name, r->line);
    if (need > r->rec_cap) {
        size_t cap = r->rec_cap ? r->rec_cap : 256;
        while (cap < need) {
            if (cap > SIZE_MAX / 2) {
                cap = need;
                break;
            }
            cap *= 2;
        }
        char *p = realloc(r->rec, cap);
        if (!p)
            return mm_error_set(err, MM_ENOMEM, "%s:%zu: out of memory for a %zu-byte record",
                                r->name, r->line, need);
        r->rec = p;
        r->rec_cap = cap;
    }
    memcpy(r->rec + r->rec_len, src, n);
    r->rec_len = need;
    return MM_OK;
}

/* Line breaks (LF, CRLF, lone CR) in s[0..n): the lines a quoted field's
 * content spans before offset n. */
static size_t line_breaks(const unsigned char *s, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        count += s[i] == '\r' || (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'));
    return count;
}

/* Closes the field that started at rec[field_start]: checks it for NUL
 * bytes and its UTF-8, and records it. `field_line` is the line the field
 * started on. */
static mm_status end_field(mm_csv_reader *r, size_t field_start, bool quoted, size_t field_line,
                           mm_error *err)
{
    size_t col = r->nfields + 1;
    size_t len = r->rec_len - field_start;
    /* rec is NULL until the first byte of any field is stored */
    const unsigned char *s = len ? (const unsigned char *)r->rec + field_start : NULL;
    const unsigned char *nul = len ? memchr(s, '\0', len) : NULL;
    if (nul) {
        size_t off = (size_t)(nul - s);
        return mm_error_set(err, MM_EFORMAT,
                            "%s:%zu: column %zu: NUL byte at offset %zu of the field (a cell "
                            "cannot hold NUL bytes; is the file UTF-16 or binary?)",
                            r->name, field_line + line_breaks(s, off), col, off);
    }
    size_t bad = len ? mm_io_utf8_check(s, len) : 0;
    if (bad < len)
        return mm_error_set(err, MM_EFORMAT,
                            "%s:%zu: column %zu: invalid UTF-8 (byte 0x%02X at offset %zu of the "
                            "field)",
                            r->name, field_line, col, s[bad], bad);
    if (r->nfields >= r->p.max_columns)
        return mm_error_set(err, MM_EFORMAT, "%s:%zu: more than %zu fields (max_columns)", r->name,
                            r->rec_line, r->p.max_columns);
    if (r->nfields == r->fields_cap) {
        size_t cap = r->fields_cap ? r->fields_cap * 2 : 16;
        if (cap > r->p.max_columns) cap = r->p.max_columns;
        size_t *fo = mm_alloc_array(cap, sizeof *fo);
        mm_csv_field *fs = mm_alloc_array(cap, sizeof *fs);
        if (!fo || !fs) {
            free(fo);
            free(fs);
            return mm_error_set(err, MM_ENOMEM, "%s:%zu: out of memory for %zu fields", r->name,
                                r->rec_line, cap);
        }
        if (r->nfields) {
            memcpy(fo, r->foff, r->nfields * sizeof *fo);
            memcpy(fs, r->fields, r->nfields * sizeof *fs);
        }
        free(r->foff);
        free(r->fields);
        r->foff = fo;
        r->fields = fs;
        r->fields_cap = cap;
    }
    r->foff[r->nfields] = field_start;
    r->fields[r->nfields].len = len;
    r->fields[r->nfields].quoted = quoted;
    r->fields[r->nfields].data = NULL;
    r->nfields++;
    return MM_OK;
}

static mm_status parse_record(mm_csv_reader *r, bool *eof, mm_error *err)
{
    const unsigned char delim = (unsigned char)r->p.delimiter;
    enum csv_state state = ST_FIELD_START;
    bool quoted = false;
    bool quoted_cr = false; /* the last byte of quoted content was a CR */
    size_t field_start = 0, field_line = r->line, quote_line = r->line;
    size_t rec_chars = 0; /* bytes of the record other than its terminator */
    mm_status st;

    r->rec_len = 0;
    r->nfields = 0;
    r->rec_line = r->line;
    *eof = false;

    for (;;) {
        if (r->cpos == r->clen) {
            if ((st = refill(r, err))) return st;
            if (r->clen == 0) {
                switch (state) {
                case ST_QUOTED:
                    return mm_error_set(err, MM_EFORMAT,
                                        "%s:%zu: unterminated quoted field (opened here, column "
                                        "%zu)",
                                        r->name, quote_line, r->nfields + 1);
                case ST_FIELD_START:
                    if (rec_chars == 0) {
                        *eof = true;
                        return MM_OK;
                    }
                    /* "a,<EOF>" ends with an empty field */
                    return end_field(r, r->rec_len, false, r->line, err);
                case ST_CR:
                    /* a final empty line ended by a lone CR is skipped */
                    if (rec_chars == 0) {
                        *eof = true;
                        return MM_OK;
                    }
                    return end_field(r, field_start, quoted, field_line, err);
                default:
                    return end_field(r, field_start, quoted, field_line, err);
                }
            }
        }
        unsigned char c = r->chunk[r->cpos];
        bool record_done = false;

        switch (state) {
        case ST_FIELD_START:
            field_start = r->rec_len;
            field_line = r->line;
            quoted = false;
            if (c == '"') {
                quoted = true;
                quoted_cr = false;
                quote_line = r->line;
                state = ST_QUOTED;
                r->cpos++;
                rec_chars++;
                break;
            }
            /* anything else starts an unquoted field */
            /* fall through */
        case ST_UNQUOTED:
            if (c == delim) {
                if ((st = end_field(r, field_start, false, field_line, err))) return st;
                state = ST_FIELD_START;
                r->cpos++;
                rec_chars++;
            } else if (c == '\n') {
                r->cpos++;
                record_done = true;
            } else if (c == '\r') {
                state = ST_CR;
                r->cpos++;
            } else {
                size_t e = r->cpos + 1;
                while (e < r->clen) {
                    unsigned char b = r->chunk[e];
                    if (b == delim || b == '\n' || b == '\r') break;
                    e++;
                }
                st = append(r, field_start, field_line, r->chunk + r->cpos, e - r->cpos, err);
                if (st) return st;
                rec_chars += e - r->cpos;
                r->cpos = e;
                state = ST_UNQUOTED;
            }
            break;

        case ST_QUOTED:
            if (c == '"') {
                state = ST_QUOTE_SEEN;
                quoted_cr = false;
                r->cpos++;
                rec_chars++;
            } else {
                /* CR and LF are data here; a CRLF pair, even split across
                   refills, counts as one line */
                size_t e = r->cpos;
                while (e < r->clen && r->chunk[e] != '"') {
                    unsigned char b = r->chunk[e];
                    if (b == '\r' || (b == '\n' && !quoted_cr)) r->line++;
                    quoted_cr = b == '\r';
                    e++;
                }
                st = append(r, field_start, field_line, r->chunk + r->cpos, e - r->cpos, err);
                if (st) return st;
                rec_chars += e - r->cpos;
                r->cpos = e;
            }
            break;

        case ST_QUOTE_SEEN:
            if (c == '"') {
                if ((st = append(r, field_start, field_line, "\"", 1, err))) return st;
                state = ST_QUOTED;
                r->cpos++;
                rec_chars++;
            } else if (c == delim) {
                if ((st = end_field(r, field_start, true, field_line, err))) return st;
                state = ST_FIELD_START;
                r->cpos++;
                rec_chars++;
            } else if (c == '\n') {
                r->cpos++;
                record_done = true;
            } else if (c == '\r') {
                state = ST_CR;
                r->cpos++;
            } else {
                return mm_error_set(err, MM_EFORMAT,
                                    "%s:%zu: column %zu: unexpected character after closing quote "
                                    "(expected '%c' or end of line)",
                                    r->name, r->line, r->nfields + 1, (char)delim);
            }
            break;

        case ST_CR:
            /* CRLF ends the record; so does a lone CR, and then c is the
               first byte of the next line (not consumed here) */
            if (c == '\n') r->cpos++;
            record_done = true;
            break;
        }

        if (record_done) {
            r->line++;
            if (rec_chars == 0) {
                /* a line with no characters at all is skipped */
                r->rec_line = r->line;
                state = ST_FIELD_START;
                continue;
            }
            return end_field(r, field_start, quoted, field_line, err);
        }
    }
}

mm_status mm_csv_next(mm_csv_reader *r, const mm_csv_field **fields, size_t *n_fields, bool *eof,
                      mm_error *err)
{
    if (!r || !fields || !n_fields || !eof)
        return mm_error_set(err, MM_EINVAL, "mm_csv_next: NULL argument");
    *fields = NULL;
    *n_fields = 0;
    *eof = false;
    if (r->failed) {
        if (err) *err = r->fail_err;
        return r->failed;
    }
    if (r->at_eof) {
        *eof = true;
        return MM_OK;
    }
    mm_error local = {0};
    mm_status st = parse_record(r, eof, &local);
    if (st) {
        r->failed = st;
        r->fail_err = local;
        r->nfields = 0;
        if (err) *err = local;
        return st;
    }
    if (*eof) {
        r->at_eof = true;
        return MM_OK;
    }
    for (size_t i = 0; i < r->nfields; i++)
        r->fields[i].data = r->rec ? r->rec + r->foff[i] : "";
    *fields = r->fields;
    *n_fields = r->nfields;
    return MM_OK;
}
