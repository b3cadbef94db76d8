/* The guarded open (io/guard.h): refusals first (missing, FIFO, directory,
 * device, over the limit, bad arguments), then a regular file opened
 * blocking at offset 0, and the whole-file read. */
#include "io/guard.h"
#include "mmfuse/image.h"
#include "mmtest.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/mmfuse-guard-XXXXXX";

static const char *at(const char *name)
{
    static char buf[4][600];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

/* A refusal: the status, a message naming the file and saying why, and no
 * descriptor left open. */
static void expect_refused(const char *path, mm_guard_kind kind, uint64_t max, mm_status want, const char *why)
{
    int fd = 12345;
    uint64_t size = 999;
    mm_error err = {0};
    MM_CHECK_STATUS(mm_guard_open(path, kind, max, &fd, &size, &err), want);
    MM_CHECK(fd == -1 && size == 0);
    if (!strstr(err.msg, why) || (path && *path && !strstr(err.msg, path))) {
        fprintf(stderr, "message for %s: '%s' (wanted '%s')\n", path ? path : "(null)", err.msg, why);
        MM_CHECK(0);
    }
}

int main(void)
{
    MM_CHECK(mkdtemp(dir) != NULL);

    /* the documented limits */
    MM_CHECK(mm_guard_limit(MM_GUARD_IMAGE) == MM_GUARD_MAX_IMAGE);
    MM_CHECK(mm_guard_limit(MM_GUARD_IMAGE) == mm_image_limits_default().max_file_bytes);
    MM_CHECK(mm_guard_limit(MM_GUARD_AUDIO) == ((uint64_t)1 << 30));
    MM_CHECK(mm_guard_limit(MM_GUARD_VIDEO) == ((uint64_t)4 << 30));
    MM_CHECK(mm_guard_limit(MM_GUARD_MODEL) == ((uint64_t)2 << 30));
    MM_CHECK(mm_guard_limit(MM_GUARD_WEIGHTS) == ((uint64_t)4 << 30));
    MM_CHECK(mm_guard_limit(MM_GUARD_CONFIG) == ((uint64_t)1 << 20));
    MM_CHECK(strcmp(mm_guard_noun(MM_GUARD_AUDIO), "an audio file") == 0);

    /* refusals */
    expect_refused(NULL, MM_GUARD_IMAGE, 0, MM_EINVAL, "no file name");
    expect_refused("", MM_GUARD_IMAGE, 0, MM_EINVAL, "no file name");
    expect_refused(at("missing.png"), MM_GUARD_IMAGE, 0, MM_EIO, "cannot open: No such file or directory");
    /* a FIFO with no writer: a blocking open would wait for ever */
    if (mkfifo(at("f.png"), 0644) == 0)
        expect_refused(at("f.png"), MM_GUARD_IMAGE, 0, MM_EIO, "is a FIFO (named pipe); an image file must be a regular file");
    else
        MM_CHECK(0);
    MM_CHECK(mkdir(at("d.wav"), 0755) == 0);
    expect_refused(at("d.wav"), MM_GUARD_AUDIO, 0, MM_EIO, "is a directory; an audio file must be a regular file");
    expect_refused("/dev/zero", MM_GUARD_MODEL, 0, MM_EIO, "is a character device; a model file must be a regular file");
    expect_refused("/dev/null", MM_GUARD_WEIGHTS, 0, MM_EIO, "is a character device");
    /* too big: by the caller's limit, and (sparse, nothing written) by the
     * kind's own */
    write_file(at("small.json"), "{\"target\": \"y\"}");
    expect_refused(at("small.json"), MM_GUARD_CONFIG, 10, MM_EFORMAT, "exceeds the limit of 10 bytes for a config file");
    int big = open(at("big.png"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    MM_CHECK(big >= 0 && ftruncate(big, (off_t)MM_GUARD_MAX_IMAGE + 1) == 0);
    if (big >= 0) close(big);
    expect_refused(at("big.png"), MM_GUARD_IMAGE, 0, MM_EFORMAT, "exceeds the limit of 268435456 bytes for an image file");
    /* the same file within a looser explicit limit is accepted */
    int fd = -1;
    uint64_t size = 0;
    mm_error err = {0};
    MM_CHECK_STATUS(mm_guard_open(at("big.png"), MM_GUARD_IMAGE, MM_GUARD_MAX_IMAGE + 1, &fd, &size, &err), MM_OK);
    MM_CHECK(size == MM_GUARD_MAX_IMAGE + 1);
    if (fd >= 0) close(fd);
    unlink(at("big.png"));

    /* a regular file: blocking descriptor at offset 0, its size */
    fd = -1;
    MM_CHECK_STATUS(mm_guard_open(at("small.json"), MM_GUARD_CONFIG, 0, &fd, &size, &err), MM_OK);
    MM_CHECK(fd >= 0 && size == 15);
    if (fd >= 0) {
        int fl = fcntl(fd, F_GETFL);
        MM_CHECK(fl >= 0 && !(fl & O_NONBLOCK));
        MM_CHECK((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
        MM_CHECK(lseek(fd, 0, SEEK_CUR) == 0);
        char b[4] = {0};
        MM_CHECK(read(fd, b, 3) == 3 && memcmp(b, "{\"t", 3) == 0);
        close(fd);
    }
    /* exactly at the limit is fine; an empty file is the caller's call */
    MM_CHECK_STATUS(mm_guard_open(at("small.json"), MM_GUARD_CONFIG, 15, &fd, &size, &err), MM_OK);
    if (fd >= 0) close(fd);
    write_file(at("empty.wav"), "");
    MM_CHECK_STATUS(mm_guard_open(at("empty.wav"), MM_GUARD_AUDIO, 0, &fd, &size, &err), MM_OK);
    MM_CHECK(size == 0);
    if (fd >= 0) close(fd);
    /* a symlink to a regular file is followed; one to a FIFO is refused */
    MM_CHECK(symlink(at("small.json"), at("link.json")) == 0);
    MM_CHECK_STATUS(mm_guard_open(at("link.json"), MM_GUARD_CONFIG, 0, &fd, &size, &err), MM_OK);
    if (fd >= 0) close(fd);
    MM_CHECK(symlink(at("f.png"), at("link.png")) == 0);
    expect_refused(at("link.png"), MM_GUARD_IMAGE, 0, MM_EIO, "is a FIFO");

    /* the whole-file read */
    char *data = NULL;
    size_t len = 0;
    MM_CHECK_STATUS(mm_guard_read_all(at("small.json"), MM_GUARD_CONFIG, 0, &data, &len, &err), MM_OK);
    MM_CHECK(len == 15 && data && strcmp(data, "{\"target\": \"y\"}") == 0);
    free(data);
    MM_CHECK_STATUS(mm_guard_read_all(at("empty.wav"), MM_GUARD_AUDIO, 0, &data, &len, &err), MM_OK);
    MM_CHECK(len == 0 && data && data[0] == '\0');
    free(data);
    MM_CHECK_STATUS(mm_guard_read_all(at("f.png"), MM_GUARD_CONFIG, 0, &data, &len, &err), MM_EIO);
    MM_CHECK(data == NULL && len == 0);
    MM_CHECK_STATUS(mm_guard_read_all(at("small.json"), MM_GUARD_CONFIG, 4, &data, &len, &err), MM_EFORMAT);
    MM_CHECK(data == NULL);

    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    MM_CHECK(system(cmd) == 0);
    return mm_test_summary();
}
