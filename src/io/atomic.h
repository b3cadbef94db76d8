/* Writing a file under a temporary name and renaming it into place, so that
 * readers see either the old file or the complete new one. */
#ifndef MM_IO_ATOMIC_H
#define MM_IO_ATOMIC_H

#include "mmfuse/core.h"

typedef struct mm_io_atomic {
    int fd;
    char *tmp;        /* "<path>.tmp.<pid>" (or with a ".<n>" suffix if taken) */
    const char *path; /* borrowed from the caller                              */
} mm_io_atomic;

/* Creates the temporary file next to `path`. */
mm_status mm_io_atomic_open(mm_io_atomic *a, const char *path, mm_error *err);
/* Appends n bytes. On failure the temporary file is removed. */
mm_status mm_io_atomic_write(mm_io_atomic *a, const void *data, size_t n, mm_error *err);
/* fsync, close and rename over `path`. On failure the temporary file is
 * removed and `path` is left as it was. */
mm_status mm_io_atomic_commit(mm_io_atomic *a, mm_error *err);
/* Removes the temporary file (safe after a failed write or commit). */
void mm_io_atomic_abort(mm_io_atomic *a);

#endif
