/* Output files: the one check every output path goes through, and the one
 * writer that replaces a file atomically.
 *
 * What may be an output
 *   A regular file (replaced) or a name that does not exist yet (created).
 *   A symbolic link is followed: the regular file it names is replaced and
 *   the link itself is kept. A link whose target does not exist, and every
 *   other kind of node — directory, character or block device, FIFO,
 *   socket — is refused with MM_EIO before anything is written, so that
 *   `-o /dev/null` run as root can never replace the system's /dev/null.
 *
 * How a file is written
 *   Into "<target>.tmp.<pid>" (".<n>" appended if that name is taken) in the
 *   target's own directory, then fsync, close and rename over the target.
 *   Readers see the old file or the complete new one, never a part. On any
 *   failure the temporary file is removed and the target is left as it was.
 *   A replaced file keeps its permission bits (a 0600 model stays 0600); a
 *   new file gets 0666 minus the umask, as with open(2). Owner and group
 *   are those of the writing process.
 *
 * Interruption
 *   Every live temporary file is recorded in a small process-wide table.
 *   After mm_io_atomic_install_signal_cleanup(), SIGINT, SIGTERM and SIGHUP
 *   remove the recorded temporary files and then end the process with the
 *   same signal (so the exit status still says "killed by SIGINT"). The
 *   table has MM_IO_TEMP_SLOTS entries of paths shorter than
 *   MM_IO_TEMP_PATH bytes; a temporary file that does not fit is still
 *   written, only not removed on a signal. The table is the one mutable
 *   global of the library: a signal handler can reach nothing else.
 *
 * Thread safety: several threads may each use their own mm_io_atomic; the
 * table of temporary files is lock-free and safe to use from any thread and
 * from the signal handler. */
#ifndef MM_IO_ATOMIC_H
#define MM_IO_ATOMIC_H

#include "mmfuse/core.h"

#include <stddef.h>

enum { MM_IO_TEMP_SLOTS = 32, MM_IO_TEMP_PATH = 4096 };

typedef struct mm_io_atomic {
    int fd;
    char *tmp;        /* "<target>.tmp.<pid>" (or with a ".<n>" suffix if taken)  */
    char *target;     /* the file that is replaced: path, or where its link points */
    const char *path; /* borrowed from the caller; named in messages              */
    int slot;         /* entry in the table of temporary files, or -1             */
    char *buf;        /* mm_io_atomic_printf's buffer (lazily allocated)          */
    size_t nbuf;
} mm_io_atomic;

/* Checks that `path` may be written as an output (see the top of this file)
 * without creating anything. On success, when `target` is not NULL, it gets
 * the path of the file that will be replaced or created (malloc'ed; the
 * resolved target of a symbolic link, else a copy of path), and `exists`
 * (may be NULL) whether it exists already.
 * Statuses: MM_EINVAL for an empty path; MM_EIO naming the path and what it
 * is (directory, device, FIFO, socket, dangling link) or why it cannot be
 * examined; MM_ENOMEM. */
mm_status mm_io_output_check(const char *path, char **target, bool *exists, mm_error *err);

/* Creates the temporary file for `path` (after mm_io_output_check) and
 * records it for removal on a signal. Nothing is replaced until commit.
 * Creating the file early reserves the output: a destination that cannot be
 * written fails before the work that produces its content, and a function
 * that itself writes atomically (mm_pipeline_save, mm_npy_write_f32) may be
 * pointed at a->tmp — it replaces the reserved file, keeping its mode, and
 * mm_io_atomic_commit then renames the result into place. */
mm_status mm_io_atomic_open(mm_io_atomic *a, const char *path, mm_error *err);
/* Appends n bytes. On failure the temporary file is removed (no abort
 * needed, though it is harmless). */
mm_status mm_io_atomic_write(mm_io_atomic *a, const void *data, size_t n, mm_error *err);
/* Appends formatted text through a 64 KiB buffer (flushed by write and
 * commit). Failure as for mm_io_atomic_write. */
mm_status mm_io_atomic_printf(mm_io_atomic *a, mm_error *err, const char *fmt, ...) MM_PRINTF(3, 4);
/* fsync, close and rename over the target. On failure the temporary file is
 * removed and the target is left as it was. */
mm_status mm_io_atomic_commit(mm_io_atomic *a, mm_error *err);
/* Removes the temporary file; safe after a failed open, write or commit,
 * and on a zero-initialised struct. */
void mm_io_atomic_abort(mm_io_atomic *a);

/* The table of temporary files, for temporaries made outside
 * mm_io_atomic_open. Register returns a slot (or -1 when the table is full
 * or the path too long: it is then simply not removed on a signal);
 * unregister(-1) does nothing. */
int mm_io_temp_register(const char *path);
void mm_io_temp_unregister(int slot);

/* Installs the SIGINT/SIGTERM/SIGHUP handler described at the top. A signal
 * that is ignored when this is called (nohup, a background job) stays
 * ignored. Meant for programs (the CLI), not called by the library. */
void mm_io_atomic_install_signal_cleanup(void);

#endif
