/*
 * mmfuse/io.h — reading CSV files into tables, writing .npy features, and the
 * safetensors container used both for pretrained weights and for mmfuse's
 * own model files (.mmf).
 *
 * CSV (RFC 4180 with the usual extensions)
 *   - fields separated by a delimiter (default ','), records by LF, CRLF or
 *     a lone CR (old Mac files); inside a quoted field CR and LF are data;
 *   - a field may be quoted with '"'; inside quotes, delimiters, CR/LF and
 *     doubled quotes ("") are data; a quote inside an unquoted field is data;
 *   - after a closing quote only a delimiter or end of record may follow
 *     (anything else is MM_EFORMAT naming line and column);
 *   - a UTF-8 byte-order mark at the start is skipped;
 *   - every field must be valid UTF-8 (MM_EFORMAT naming line and column);
 *   - a NUL byte in a field, quoted or not, is MM_EFORMAT naming the line
 *     and column where it stands (a cell is a C string: a NUL would cut it);
 *   - an empty field, quoted or not, is *missing*;
 *   - the first record is the header; every later record must have the same
 *     number of fields (a ragged record is MM_EFORMAT naming its line);
 *     a completely empty line (no characters at all) is skipped;
 *   - a file ending without a final newline is fine; a quote still open at
 *     end of file is MM_EFORMAT naming the line where the quote opened.
 *   Lines are numbered from 1 in the physical file (LF, CRLF and a lone CR
 *   each end a line, inside quotes too), columns from 1.
 *
 * The reader streams: it holds one buffer (params.buffer_size) plus the
 * current record, whatever the file size. mm_table keeps every cell once,
 * in one arena, with an offset + length per cell.
 *
 * Usage
 *     mm_table *t;
 *     mm_error err = {0};
 *     if (mm_table_read_csv("data.csv", mm_csv_params_default(), &t, &err)) ...
 *     for (size_t i = 0; i < mm_table_rows(t); i++) {
 *         size_t len;
 *         const char *s = mm_table_cell(t, i, 0, &len);   // NULL when missing
 *     }
 *     mm_table_free(t);
 */
#ifndef MMFUSE_IO_H
#define MMFUSE_IO_H

#include "mmfuse/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ CSV */

typedef struct mm_csv_params {
    char delimiter;         /* ','                                            */
    size_t buffer_size;     /* read buffer in bytes (65536)                   */
    size_t max_field_bytes; /* a longer field is MM_EFORMAT (64 MiB)          */
    size_t max_columns;     /* a wider header is MM_EFORMAT (100000)          */
    size_t max_rows;        /* more data rows is MM_EFORMAT (SIZE_MAX)        */
} mm_csv_params;

MM_API mm_csv_params mm_csv_params_default(void);

typedef struct mm_csv_field {
    const char *data; /* not NUL-terminated; valid until the next mm_csv_next */
    size_t len;
    bool quoted;
} mm_csv_field;

typedef struct mm_csv_reader mm_csv_reader;

/* Opens a file for streaming: any readable file, a pipe, or "-" for standard
 * input (read once, front to back). `path` appears in every error message. */
MM_API mm_status mm_csv_open(const char *path, mm_csv_params params, mm_csv_reader **out,
                             mm_error *err);
/* Streams from memory (the buffer must outlive the reader); `name` is used
 * in messages. Used by tests and the fuzz target. */
MM_API mm_status mm_csv_open_buffer(const char *data, size_t len, const char *name,
                                    mm_csv_params params, mm_csv_reader **out, mm_error *err);
/* Reads the next record. At end of input returns MM_OK with *eof = true.
 * fields[0..*n_fields) stay valid until the next call. Does not check that
 * records have equal widths (mm_table does). */
MM_API mm_status mm_csv_next(mm_csv_reader *r, const mm_csv_field **fields, size_t *n_fields,
                             bool *eof, mm_error *err);
/* Physical line (1-based) where the record last returned starts. */
MM_API size_t mm_csv_record_line(const mm_csv_reader *r);
MM_API void mm_csv_close(mm_csv_reader *r);

/* ------------------------------------------------------------------ table */

typedef struct mm_table mm_table;

/* Reads a whole CSV (header + records) into a table of string cells.
 * Errors: MM_EIO (cannot open/read), MM_EFORMAT (empty file, empty or
 * duplicate column name, ragged record, bad quoting, invalid UTF-8,
 * limits exceeded), MM_ENOMEM. A header-only file gives a table with 0 rows. */
MM_API mm_status mm_table_read_csv(const char *path, mm_csv_params params, mm_table **out,
                                   mm_error *err);
MM_API mm_status mm_table_read_buffer(const char *data, size_t len, const char *name,
                                      mm_csv_params params, mm_table **out, mm_error *err);
MM_API void mm_table_free(mm_table *t);

MM_API size_t mm_table_rows(const mm_table *t);
MM_API size_t mm_table_cols(const mm_table *t);
MM_API const char *mm_table_col_name(const mm_table *t, size_t col);
/* Index of the column named `name`, or -1. */
MM_API long mm_table_find_col(const mm_table *t, const char *name);
/* Cell (row, col): a NUL-terminated string (length in *len if len != NULL),
 * or NULL when the cell is missing (empty). */
MM_API const char *mm_table_cell(const mm_table *t, size_t row, size_t col, size_t *len);
/* Physical line number of data row `row` in the source file (for messages). */
MM_API size_t mm_table_row_line(const mm_table *t, size_t row);
/* The source name given when reading (path or buffer name). */
MM_API const char *mm_table_source(const mm_table *t);

/* ---------------------------------------------------------------- numbers */
/*
 * The one grammar of numbers in cells. Numeric columns, the inference of
 * column roles, numeric targets and numeric settings (late-fusion weights)
 * all use it, so a cell is a number everywhere or nowhere:
 *
 *     number   := blank* sign? mantissa exponent? blank*
 *     sign     := '+' | '-'
 *     mantissa := digit+ ( '.' digit* )?  |  '.' digit+
 *     exponent := ( 'e' | 'E' ) sign? digit+
 *     digit    := '0' .. '9'          blank := ' ' | TAB
 *
 * Numbers: "42", "-0.5", "+.5", "1.", "6.02e23", "1E-3", " 7 ", "007".
 * Not numbers: "", "  ", ".", "-", "1e", "1e+", "e5", "0x10", "inf", "nan",
 * "infinity", "1_000", "1,5", "1 000", "1.2.3", "--1", "1d", and a Unicode
 * minus sign (U+2212) in place of '-'.
 * A string that fits the grammar gets the value strtod gives it in the "C"
 * locale (bit for bit, whatever locale the process uses); one whose value
 * overflows a double ("1e999") is not a number. Underflow gives strtod's
 * result (a subnormal or a signed zero). Callers count the cells that are
 * not numbers (mm_data_report.numeric_unparsable) instead of guessing.
 */

/* True when the NUL-terminated `s` is a number by the grammar above; its
 * value then goes to *out (out may be NULL). False otherwise (*out unset). */
MM_API bool mm_parse_number(const char *s, double *out);

/* ------------------------------------------------------------------ .npy */

/* Writes a 2-D little-endian float32 C-order array in numpy's .npy v1.0
 * format, byte-identical to np.save. Written to
 * a temporary file and renamed, so a failure never leaves a partial file. */
MM_API mm_status mm_npy_write_f32(const char *path, const float *data, size_t rows, size_t cols,
                                  mm_error *err);

/* Writes `text` to `path` atomically (temporary file + fsync + rename; a
 * replaced file keeps its permission bits). `path` must be a regular file or
 * a new name: a symbolic link is followed to the regular file it names, and
 * a directory, device, FIFO, socket or dangling link is refused with MM_EIO
 * before anything is written. The npy and safetensors writers below follow
 * the same rules. */
MM_API mm_status mm_write_file_atomic(const char *path, const void *data, size_t len,
                                      mm_error *err);

/* ------------------------------------------------------------ safetensors */
/*
 * File layout:
 *   u64 LE N | N bytes of JSON header (may be right-padded with spaces) | data
 * The header maps tensor names to {"dtype","shape","data_offsets":[b,e]}
 * (offsets relative to the data buffer) and may hold "__metadata__", an
 * object of string -> string. The reader rejects: a file shorter than 8
 * bytes, N > 100,000,000 or 8 + N > file size, a header that is not a JSON
 * object, unknown dtypes, shapes whose element count overflows, byte sizes
 * that disagree with shape x dtype, offsets that overlap, leave holes, do
 * not start at 0 or do not end exactly at the end of the file, duplicate
 * names, and non-string metadata values.
 */

typedef enum mm_dtype {
    MM_DTYPE_F32 = 0,
    MM_DTYPE_F64,
    MM_DTYPE_F16,
    MM_DTYPE_BF16,
    MM_DTYPE_I64,
    MM_DTYPE_I32,
    MM_DTYPE_U8,
    MM_DTYPE_BOOL,
    MM_DTYPE_I8,
    MM_DTYPE_I16,
    MM_DTYPE_U16,
    MM_DTYPE_U32,
    MM_DTYPE_U64
} mm_dtype;

enum { MM_ST_MAX_DIMS = 8 };

typedef struct mm_st_tensor {
    const char *name;
    mm_dtype dtype;
    size_t ndim;
    size_t shape[MM_ST_MAX_DIMS];
    size_t count;       /* product of shape (1 for a scalar)             */
    const void *data;   /* inside the file image; may be unaligned       */
    size_t nbytes;
} mm_st_tensor;

typedef struct mm_st_file mm_st_file;

/* Reads and validates a whole file (memory-mapped when possible). The file
 * must be a regular file of at most 4 GiB (the weights-file limit): a
 * FIFO, a device, a socket or a directory is refused with MM_EIO before
 * anything is read, a larger file with MM_EFORMAT. */
MM_API mm_status mm_st_open(const char *path, mm_st_file **out, mm_error *err);
/* Validates a file image in memory (copied). `name` is used in messages. */
MM_API mm_status mm_st_open_buffer(const void *data, size_t len, const char *name,
                                   mm_st_file **out, mm_error *err);
MM_API void mm_st_close(mm_st_file *f);

MM_API size_t mm_st_count(const mm_st_file *f);
MM_API const mm_st_tensor *mm_st_at(const mm_st_file *f, size_t i);
/* Tensor by name, or NULL. */
MM_API const mm_st_tensor *mm_st_find(const mm_st_file *f, const char *name);
/* Metadata value by key, or NULL. */
MM_API const char *mm_st_meta(const mm_st_file *f, const char *key);
/* xxHash64 (seed 0) of the whole data buffer. */
MM_API uint64_t mm_st_data_hash(const mm_st_file *f);
/* The whole file image as read and validated (length prefix, header, data):
 * *size bytes, owned by f and valid until mm_st_close. For formats that
 * checksum raw bytes (the model file). */
MM_API const unsigned char *mm_st_image(const mm_st_file *f, size_t *size);

/* Copies tensor `name` converted to float32 / float64 into dst, which holds
 * `count` elements; the tensor must exist and have exactly that many
 * elements (MM_EFORMAT naming the key otherwise). Converts F16, BF16, F32,
 * F64 and integer dtypes. */
MM_API mm_status mm_st_read_f32(const mm_st_file *f, const char *name, float *dst, size_t count,
                                mm_error *err);
MM_API mm_status mm_st_read_f64(const mm_st_file *f, const char *name, double *dst, size_t count,
                                mm_error *err);

typedef struct mm_st_writer mm_st_writer;

MM_API mm_status mm_st_writer_new(mm_st_writer **out, mm_error *err);
MM_API void mm_st_writer_free(mm_st_writer *w);
/* Adds a tensor (the data is copied). Names must be unique. */
MM_API mm_status mm_st_writer_add(mm_st_writer *w, const char *name, mm_dtype dtype,
                                  const size_t *shape, size_t ndim, const void *data,
                                  mm_error *err);
/* Sets a metadata string (replacing an earlier value of the same key). */
MM_API mm_status mm_st_writer_meta(mm_st_writer *w, const char *key, const char *value,
                                   mm_error *err);
/* xxHash64 of the data buffer as it will be written (after all adds). */
MM_API uint64_t mm_st_writer_data_hash(const mm_st_writer *w);
/* Writes the file atomically (temporary name + rename). Tensors are laid out
 * in the reference writer's order (alignment descending, then name) and the
 * header is space-padded to a multiple of 8 bytes. */
MM_API mm_status mm_st_writer_save(const mm_st_writer *w, const char *path, mm_error *err);
/* The same bytes mm_st_writer_save writes, in one malloc'd buffer (*out,
 * *len; the caller frees it), for formats that patch or hash the image
 * before writing it. */
MM_API mm_status mm_st_writer_serialize(const mm_st_writer *w, unsigned char **out, size_t *len,
                                        mm_error *err);

#ifdef __cplusplus
}
#endif
#endif /* MMFUSE_IO_H */
