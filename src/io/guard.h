/* The guarded open: the one way mmfuse opens a file that data or a user
 * names for reading, other than the CSV itself (media files named by
 * cells, model files, encoder weights, --config files, cache entries).
 *
 * A file named by a CSV cell or a command-line argument may be anything:
 * a FIFO (opening it for reading would block until a writer comes), a
 * device (/dev/zero reads for ever), a directory, a socket, or a regular
 * file far larger than anything the reader could use. mm_guard_open
 *
 *   1. opens with O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, so that the
 *      open itself returns at once whatever the path names;
 *   2. fstat()s the descriptor and refuses anything that is not a regular
 *      file, naming what it is (directory, FIFO, character device, block
 *      device, socket);
 *   3. refuses a file larger than the limit for its kind, before a single
 *      byte is read, mapped or hashed;
 *   4. clears O_NONBLOCK, so that reads behave as usual.
 *
 * The checks are made on the open descriptor, not on the path, so a path
 * swapped between the check and the read cannot slip something else in:
 * callers read from the returned descriptor (or, for libraries that take a
 * descriptor, hand it over).
 *
 * The CSV reader (io/csv.c) does not use it: a CSV may be a pipe or
 * standard input and is read by a streaming reader.
 *
 * Limits per kind (a caller may pass a tighter or looser max_bytes, e.g.
 * the image limit of mm_image_limits): */
#ifndef MM_IO_GUARD_H
#define MM_IO_GUARD_H

#include "mmfuse/core.h"

/* Images: the default mm_image_limits.max_file_bytes (256 MiB). */
#define MM_GUARD_MAX_IMAGE ((uint64_t)256 << 20)
/* Audio: 1 GiB (half an hour of 96 kHz 24-bit stereo PCM; the decoder
 * streams, so this bounds hashing and decoding time, not memory). */
#define MM_GUARD_MAX_AUDIO ((uint64_t)1 << 30)
/* Video: 4 GiB. */
#define MM_GUARD_MAX_VIDEO ((uint64_t)4 << 30)
/* Model files (.mmf, a safetensors container): 2 GiB. */
#define MM_GUARD_MAX_MODEL ((uint64_t)2 << 30)
/* Encoder weights (.safetensors state dicts; ResNet-152 in float32 is
 * 240 MB): 4 GiB. */
#define MM_GUARD_MAX_WEIGHTS ((uint64_t)4 << 30)
/* --config pipeline files (JSON): 1 MiB. */
#define MM_GUARD_MAX_CONFIG ((uint64_t)1 << 20)
/* Feature cache entries: 64 MiB (callers pass the exact size they expect). */
#define MM_GUARD_MAX_CACHE ((uint64_t)64 << 20)

typedef enum mm_guard_kind {
    MM_GUARD_IMAGE = 0,
    MM_GUARD_AUDIO,
    MM_GUARD_VIDEO,
    MM_GUARD_MODEL,
    MM_GUARD_WEIGHTS,
    MM_GUARD_CONFIG,
    MM_GUARD_CACHE
} mm_guard_kind;

/* The documented limit of a kind (the MM_GUARD_MAX_* above). */
uint64_t mm_guard_limit(mm_guard_kind kind);
/* "an image file", "a model file", ... (for messages). */
const char *mm_guard_noun(mm_guard_kind kind);

/* Opens path for reading as a file of that kind (steps 1-4 above).
 * max_bytes: the largest size accepted; 0 = mm_guard_limit(kind).
 * On MM_OK *fd is an open, blocking descriptor at offset 0 (the caller
 * closes it) and *size the file's size (0 is allowed: callers decide what
 * an empty file means). On failure *fd is -1 and nothing stays open.
 * Statuses: MM_EINVAL (NULL or empty path), MM_EIO (cannot open, or not a
 * regular file: "f.png: is a FIFO (named pipe); an image file must be a
 * regular file"), MM_EFORMAT (larger
 * than the limit: "... exceeds the limit of N bytes for an image file"). */
mm_status mm_guard_open(const char *path, mm_guard_kind kind, uint64_t max_bytes, int *fd,
                        uint64_t *size, mm_error *err);

/* mm_guard_open, then the whole file into a malloc'd buffer with a NUL
 * after the last byte (*len excludes it). A file that shrinks while being
 * read gives what was there; one that grows is read up to its size at
 * open. The caller frees *data. Extra status: MM_ENOMEM, MM_EIO (read
 * error). */
mm_status mm_guard_read_all(const char *path, mm_guard_kind kind, uint64_t max_bytes, char **data,
                            size_t *len, mm_error *err);

/* mm_st_open (safetensors.c) for a file of the given kind: model files are
 * opened as MM_GUARD_MODEL, mm_st_open itself opens MM_GUARD_WEIGHTS. */
struct mm_st_file;
mm_status mm_st_open_kind(const char *path, mm_guard_kind kind, struct mm_st_file **out,
                          mm_error *err);

#endif
