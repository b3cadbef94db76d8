/* Output checks and atomic file replacement: write "<target>.tmp.<pid>",
 * fsync, rename.
 *
 * The temporary file is created with O_EXCL so that two writers never share
 * one; if the name is taken (a leftover of a crashed run, or another thread
 * of this process), a numbered suffix is tried.
 *
 * The table of live temporary files is a fixed array because a signal
 * handler may not allocate or lock: each slot has an atomic state, and a
 * slot's path is only read by the handler after it has claimed the slot
 * (LIVE -> CLAIMED), so a path is never read while another thread rewrites
 * it. */
#define _XOPEN_SOURCE 700 /* realpath */
#include "io/atomic.h"

#include "mmfuse/io.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---------------------------------------------------- temporary-file table */

enum { SLOT_FREE = 0, SLOT_FILLING, SLOT_LIVE, SLOT_CLAIMED };

_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "the signal handler needs lock-free atomic ints");

static _Atomic int slot_state[MM_IO_TEMP_SLOTS];
static char slot_path[MM_IO_TEMP_SLOTS][MM_IO_TEMP_PATH];

int mm_io_temp_register(const char *path)
{
    size_t n = path ? strlen(path) : MM_IO_TEMP_PATH;
    if (n >= MM_IO_TEMP_PATH) return -1;
    for (int i = 0; i < MM_IO_TEMP_SLOTS; i++) {
        int expect = SLOT_FREE;
        if (!atomic_compare_exchange_strong(&slot_state[i], &expect, SLOT_FILLING)) continue;
        memcpy(slot_path[i], path, n + 1);
        atomic_store(&slot_state[i], SLOT_LIVE);
        return i;
    }
    return -1;
}

void mm_io_temp_unregister(int slot)
{
    if (slot < 0 || slot >= MM_IO_TEMP_SLOTS) return;
    /* fails only when the handler has claimed the slot: the process is
     * ending then, and the slot stays claimed */
    int expect = SLOT_LIVE;
    atomic_compare_exchange_strong(&slot_state[slot], &expect, SLOT_FREE);
}

static void on_signal(int sig)
{
    int saved = errno;
    for (int i = 0; i < MM_IO_TEMP_SLOTS; i++) {
        int expect = SLOT_LIVE;
        if (atomic_compare_exchange_strong(&slot_state[i], &expect, SLOT_CLAIMED)) unlink(slot_path[i]);
    }
    /* The signal is blocked while this handler runs: with the default
     * action restored, the raised signal is delivered when the handler
     * returns and ends the process with the signal's own status. */
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(sig, &dfl, NULL);
    raise(sig);
    errno = saved;
}

void mm_io_atomic_install_signal_cleanup(void)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    enum { NSIG_CLEAN = sizeof sigs / sizeof sigs[0] };
    for (int k = 0; k < NSIG_CLEAN; k++) {
        struct sigaction old;
        if (sigaction(sigs[k], NULL, &old) != 0) continue;
        if (!(old.sa_flags & SA_SIGINFO) && old.sa_handler == SIG_IGN) continue;
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        for (int j = 0; j < NSIG_CLEAN; j++) sigaddset(&sa.sa_mask, sigs[j]);
        sa.sa_flags = SA_RESTART;
        sigaction(sigs[k], &sa, NULL);
    }
}

/* ------------------------------------------------------------ output check */

static const char *node_kind(mode_t m)
{
    if (S_ISDIR(m)) return "a directory";
    if (S_ISCHR(m)) return "a character device";
    if (S_ISBLK(m)) return "a block device";
    if (S_ISFIFO(m)) return "a FIFO (named pipe)";
    if (S_ISSOCK(m)) return "a socket";
    return "not a regular file";
}

mm_status mm_io_output_check(const char *path, char **target, bool *exists, mm_error *err)
{
    if (target) *target = NULL;
    if (exists) *exists = false;
    if (!path || !*path) return mm_error_set(err, MM_EINVAL, "output path is empty");
    struct stat sb;
    char *real = NULL;
    if (lstat(path, &sb) != 0) {
        int e = errno;
        if (e != ENOENT)
            return mm_error_set(err, MM_EIO, "%s: cannot examine the output path: %s", path, strerror(e));
        /* a new name; a missing directory is reported when the file is created */
    } else {
        if (S_ISLNK(sb.st_mode)) {
            real = realpath(path, NULL);
            if (!real) {
                int e = errno;
                if (e == ENOENT)
                    return mm_error_set(err, MM_EIO,
                                        "%s: is a symbolic link to a file that does not exist; an output "
                                        "link must name an existing regular file",
                                        path);
                return mm_error_set(err, MM_EIO, "%s: cannot resolve the symbolic link: %s", path, strerror(e));
            }
            if (stat(real, &sb) != 0) {
                int e = errno;
                mm_error_set(err, MM_EIO, "%s: cannot examine %s: %s", path, real, strerror(e));
                free(real);
                return MM_EIO;
            }
        }
        if (!S_ISREG(sb.st_mode)) {
            mm_error_set(err, MM_EIO, "%s: is %s%s; an output must be a regular file or a new name", path,
                         real ? "a symbolic link to " : "", node_kind(sb.st_mode));
            free(real);
            return MM_EIO;
        }
        if (exists) *exists = true;
    }
    if (target) {
        *target = real ? real : strdup(path);
        if (!*target) return mm_error_set(err, MM_ENOMEM, "%s: out of memory", path);
    } else {
        free(real);
    }
    return MM_OK;
}

/* ---------------------------------------------------------------- writer */

mm_status mm_io_atomic_open(mm_io_atomic *a, const char *path, mm_error *err)
{
    memset(a, 0, sizeof *a);
    a->fd = -1;
    a->slot = -1;
    a->path = path;
    bool exists = false;
    mm_status st = mm_io_output_check(path, &a->target, &exists, err);
    if (st) return st;
    /* A replaced file keeps its permission bits. Creating the temporary
     * file with them (narrowed by the umask) never exposes it more widely
     * than the old file; fchmod then restores them exactly. */
    mode_t mode = 0666;
    struct stat sb;
    if (exists && stat(a->target, &sb) == 0) mode = sb.st_mode & 0777;
    else exists = false;
    size_t cap = strlen(a->target) + 64;
    a->tmp = malloc(cap);
    if (!a->tmp) {
        free(a->target);
        a->target = NULL;
        return mm_error_set(err, MM_ENOMEM, "%s: out of memory", path);
    }
    long pid = (long)getpid();
    for (unsigned n = 0; n < 1000; n++) {
        if (n == 0) snprintf(a->tmp, cap, "%s.tmp.%ld", a->target, pid);
        else snprintf(a->tmp, cap, "%s.tmp.%ld.%u", a->target, pid, n);
        a->slot = mm_io_temp_register(a->tmp);
        a->fd = open(a->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
        if (a->fd >= 0) break;
        int e = errno;
        mm_io_temp_unregister(a->slot);
        a->slot = -1;
        errno = e;
        if (e != EEXIST) break;
    }
    if (a->fd < 0) {
        int e = errno;
        mm_error_set(err, MM_EIO, "%s: cannot create temporary file %s: %s", path, a->tmp, strerror(e));
        free(a->tmp);
        free(a->target);
        a->tmp = a->target = NULL;
        return MM_EIO;
    }
    if (exists) (void)fchmod(a->fd, mode); /* best effort: some file systems have no modes */
    return MM_OK;
}

void mm_io_atomic_abort(mm_io_atomic *a)
{
    if (a->tmp) {
        if (a->fd >= 0) close(a->fd);
        unlink(a->tmp);
        mm_io_temp_unregister(a->slot);
    }
    a->fd = -1;
    a->slot = -1;
    free(a->tmp);
    free(a->target);
    free(a->buf);
    a->tmp = a->target = a->buf = NULL;
    a->nbuf = 0;
}

static mm_status not_open(const mm_io_atomic *a, mm_error *err)
{
    return mm_error_set(err, MM_EINVAL, "%s: output is not open (an earlier write failed)",
                        a->path ? a->path : "(null)");
}

static mm_status raw_write(mm_io_atomic *a, const void *data, size_t n, mm_error *err)
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

static mm_status flush_buf(mm_io_atomic *a, mm_error *err)
{
    size_t n = a->nbuf;
    a->nbuf = 0;
    return n ? raw_write(a, a->buf, n, err) : MM_OK;
}

mm_status mm_io_atomic_write(mm_io_atomic *a, const void *data, size_t n, mm_error *err)
{
    if (!a->tmp || a->fd < 0) return not_open(a, err);
    mm_status st = flush_buf(a, err);
    return st ? st : raw_write(a, data, n, err);
}

mm_status mm_io_atomic_printf(mm_io_atomic *a, mm_error *err, const char *fmt, ...)
{
    enum { CAP = 1 << 16 };
    if (!a->tmp || a->fd < 0) return not_open(a, err);
    if (!a->buf && !(a->buf = malloc(CAP))) {
        mm_io_atomic_abort(a);
        return mm_error_set(err, MM_ENOMEM, "out of memory");
    }
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(a->buf + a->nbuf, CAP - a->nbuf, fmt, ap);
    va_end(ap);
    if (k < 0) {
        mm_io_atomic_abort(a);
        return mm_error_set(err, MM_EINVAL, "output formatting failed");
    }
    if ((size_t)k < CAP - a->nbuf) {
        a->nbuf += (size_t)k;
        return MM_OK;
    }
    /* did not fit: write what came before, then the text on its own */
    mm_status st = flush_buf(a, err);
    if (st) return st;
    char *big = (size_t)k < CAP ? a->buf : malloc((size_t)k + 1);
    if (!big) {
        mm_io_atomic_abort(a);
        return mm_error_set(err, MM_ENOMEM, "out of memory");
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)k + 1, fmt, ap);
    va_end(ap);
    if (big == a->buf) {
        a->nbuf = (size_t)k;
        return MM_OK;
    }
    st = raw_write(a, big, (size_t)k, err);
    free(big);
    return st;
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
    if (!a->tmp || a->fd < 0) return not_open(a, err);
    mm_status st = flush_buf(a, err);
    if (st) return st;
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
    if (rename(a->tmp, a->target) != 0) {
        int e = errno;
        mm_error_set(err, MM_EIO, "%s: cannot rename %s into place: %s", a->path, a->tmp, strerror(e));
        mm_io_atomic_abort(a);
        return MM_EIO;
    }
    mm_io_temp_unregister(a->slot);
    a->slot = -1;
    sync_parent_dir(a->target);
    free(a->tmp);
    free(a->target);
    free(a->buf);
    a->tmp = a->target = a->buf = NULL;
    a->nbuf = 0;
    return MM_OK;
}

mm_status mm_write_file_atomic(const char *path, const void *data, size_t len, mm_error *err)
{
    if (!data && len > 0)
        return mm_error_set(err, MM_EINVAL, "%s: data is NULL but length is %zu", path ? path : "(null)", len);
    mm_io_atomic a;
    mm_status st = mm_io_atomic_open(&a, path, err);
    if (st) return st;
    if ((st = mm_io_atomic_write(&a, data, len, err))) return st;
    return mm_io_atomic_commit(&a, err);
}
