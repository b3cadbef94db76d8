/* The guarded open (see guard.h). */
#include "io/guard.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef O_NOCTTY
#define O_NOCTTY 0
#endif

uint64_t mm_guard_limit(mm_guard_kind kind)
{
    switch (kind) {
    case MM_GUARD_IMAGE: return MM_GUARD_MAX_IMAGE;
    case MM_GUARD_AUDIO: return MM_GUARD_MAX_AUDIO;
    case MM_GUARD_VIDEO: return MM_GUARD_MAX_VIDEO;
    case MM_GUARD_MODEL: return MM_GUARD_MAX_MODEL;
    case MM_GUARD_WEIGHTS: return MM_GUARD_MAX_WEIGHTS;
    case MM_GUARD_CONFIG: return MM_GUARD_MAX_CONFIG;
    case MM_GUARD_CACHE: return MM_GUARD_MAX_CACHE;
    }
    return MM_GUARD_MAX_CONFIG; /* unreachable: the smallest, to be safe */
}

const char *mm_guard_noun(mm_guard_kind kind)
{
    switch (kind) {
    case MM_GUARD_IMAGE: return "an image file";
    case MM_GUARD_AUDIO: return "an audio file";
    case MM_GUARD_VIDEO: return "a video file";
    case MM_GUARD_MODEL: return "a model file";
    case MM_GUARD_WEIGHTS: return "a weights file";
    case MM_GUARD_CONFIG: return "a config file";
    case MM_GUARD_CACHE: return "a cache entry";
    }
    return "a file";
}

static const char *type_name(mode_t m)
{
    if (S_ISDIR(m)) return "a directory";
    if (S_ISFIFO(m)) return "a FIFO (named pipe)";
    if (S_ISCHR(m)) return "a character device";
    if (S_ISBLK(m)) return "a block device";
    if (S_ISSOCK(m)) return "a socket";
    return "a special file";
}

mm_status mm_guard_open(const char *path, mm_guard_kind kind, uint64_t max_bytes, int *fd,
                        uint64_t *size, mm_error *err)
{
    *fd = -1;
    *size = 0;
    if (!path || !*path) return mm_error_set(err, MM_EINVAL, "no file name given (%s)", mm_guard_noun(kind));
    if (max_bytes == 0) max_bytes = mm_guard_limit(kind);
    int f = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (f < 0) {
        int e = errno;
        return mm_error_set(err, MM_EIO, "%s: cannot open: %s", path, strerror(e));
    }
    struct stat sb;
    if (fstat(f, &sb) != 0) {
        int e = errno;
        close(f);
        return mm_error_set(err, MM_EIO, "%s: cannot stat: %s", path, strerror(e));
    }
    if (!S_ISREG(sb.st_mode)) {
        close(f);
        return mm_error_set(err, MM_EIO, "%s: is %s; %s must be a regular file", path, type_name(sb.st_mode),
                            mm_guard_noun(kind));
    }
    if (sb.st_size < 0 || (uint64_t)sb.st_size > max_bytes) {
        close(f);
        return mm_error_set(err, MM_EFORMAT, "%s: file of %lld bytes exceeds the limit of %llu bytes for %s", path,
                            (long long)sb.st_size, (unsigned long long)max_bytes, mm_guard_noun(kind));
    }
    int flags = fcntl(f, F_GETFL);
    if (flags < 0 || fcntl(f, F_SETFL, flags & ~O_NONBLOCK) != 0) {
        int e = errno;
        close(f);
        return mm_error_set(err, MM_EIO, "%s: cannot set blocking mode: %s", path, strerror(e));
    }
    *fd = f;
    *size = (uint64_t)sb.st_size;
    return MM_OK;
}

mm_status mm_guard_read_all(const char *path, mm_guard_kind kind, uint64_t max_bytes, char **data,
                            size_t *len, mm_error *err)
{
    *data = NULL;
    *len = 0;
    int fd;
    uint64_t size;
    mm_status st = mm_guard_open(path, kind, max_bytes, &fd, &size, err);
    if (st) return st;
    if (size >= SIZE_MAX) {
        close(fd);
        return mm_error_set(err, MM_ENOMEM, "%s: too large for memory", path);
    }
    size_t n = (size_t)size;
    char *b = malloc(n + 1);
    if (!b) {
        close(fd);
        return mm_error_set(err, MM_ENOMEM, "%s: out of memory for %zu bytes", path, n);
    }
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, b + got, n - got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            int e = errno;
            close(fd);
            free(b);
            return mm_error_set(err, MM_EIO, "%s: read error: %s", path, strerror(e));
        }
        if (r == 0) break; /* shrank while reading */
        got += (size_t)r;
    }
    close(fd);
    b[got] = '\0';
    *data = b;
    *len = got;
    return MM_OK;
}
