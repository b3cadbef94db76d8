/* Atomic file replacement: write "<path>.tmp.<pid>", fsync, rename.
 *
 * The temporary file is created with O_EXCL so that two writers never share
 * one; if the name is taken (a leftover of a crashed run, or another thread
 * of this process), a numbered suffix is tried. */
#include "io/atomic.h"

#include "mmfuse/io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

mm_status mm_io_atomic_open(mm_io_atomic *a, const char *path, mm_error *err)
{
    a->fd = -1;
    a->tmp = NULL;
    a->path = path;
    if (!path || !*path) return mm_error_set(err, MM_EINVAL, "output path is empty");
    size_t cap = strlen(path) + 64;
    a->tmp = malloc(cap);
    if (!a->tmp) return mm_error_set(err, MM_ENOMEM, "%s: out of memory", path);
    long pid = (long)getpid();
    for (unsigned n = 0; n < 1000; n++) {
        if (n == 0) snprintf(a->tmp, cap, "%s.tmp.%ld", path, pid);
        else snprintf(a->tmp, cap, "%s.tmp.%ld.%u", path, pid, n);
        a->fd = open(a->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (a->fd >= 0) return MM_OK;
        if (errno != EEXIST) break;
    }
    int e = errno;
    mm_error_set(err, MM_EIO, "%s: cannot create temporary file %s: %s", path, a->tmp,
                 strerror(e));
    free(a->tmp);
    a->tmp = NULL;
    return MM_EIO;
}

void mm_io_atomic_abort(mm_io_atomic *a)
{
    if (a->fd >= 0) close(a->fd);
    a->fd = -1;
    if (a->tmp) {
        unlink(a->tmp);
        free(a->tmp);
        a->tmp = NULL;
    }
}

mm_status mm_io_atomic_write(mm_io_atomic *a, const void *data, size_t n, mm_error *err)
{
    const char *p = data;
    while (n > 0) {
        size_t step = n > ((size_t)1 << 30) ? ((size_t)1 << 30) : n;
        ssize_t w = write(a->fd, p, step);
        if (w < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            mm_error_set(err, MM_EIO, "%s: write error: %s", a->path, strerror(e));
            mm_io_atomic_abort(a);
            return MM_EIO;
        }
        p += w;
        n -= (size_t)w;
    }
    return MM_OK;
}

/* Makes the rename itself durable; failures here are not reported because
 * the file is already complete and in place. */
static void sync_parent_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir;
    if (!slash) {
        dir = strdup(".");
    } else {
        size_t n = slash == path ? 1 : (size_t)(slash - path);
        dir = malloc(n + 1);
        if (dir) {
            memcpy(dir, path, n);
            dir[n] = '\0';
        }
    }
    if (!dir) return;
    int fd = open(dir, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(dir);
}

mm_status mm_io_atomic_commit(mm_io_atomic *a, mm_error *err)
{
    if (fsync(a->fd) != 0 && errno != EINVAL && errno != EROFS) {
        int e = errno;
        mm_error_set(err, MM_EIO, "%s: fsync failed: %s", a->path, strerror(e));
        mm_io_atomic_abort(a);
        return MM_EIO;
    }
    int fd = a->fd;
    a->fd = -1;
    if (close(fd) != 0) {
        int e = errno;
        mm_error_set(err, MM_EIO, "%s: close failed: %s", a->path, strerror(e));
        mm_io_atomic_abort(a);
        return MM_EIO;
    }
    if (rename(a->tmp, a->path) != 0) {
        int e = errno;
        mm_error_set(err, MM_EIO, "%s: cannot rename %s into place: %s", a->path, a->tmp,
                     strerror(e));
        mm_io_atomic_abort(a);
        return MM_EIO;
    }
    free(a->tmp);
    a->tmp = NULL;
    sync_parent_dir(a->path);
    return MM_OK;
}

mm_status mm_write_file_atomic(const char *path, const void *data, size_t len, mm_error *err)
{
    if (!data && len > 0)
        return mm_error_set(err, MM_EINVAL, "%s: data is NULL but length is %zu",
                            path ? path : "(null)", len);
    mm_io_atomic a;
    mm_status st = mm_io_atomic_open(&a, path, err);
    if (st) return st;
    if ((st = mm_io_atomic_write(&a, data, len, err))) return st;
    return mm_io_atomic_commit(&a, err);
}
