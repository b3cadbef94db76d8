/* The output check and the atomic writer (src/io/atomic.h): which paths are
 * refused, what a commit or an abort leaves, permission bits, the buffered
 * printf across its buffer's edge, the table of temporary files. */
#define _XOPEN_SOURCE 700 /* mkdtemp, realpath */
#include "io/atomic.h"

#include "mmfuse/io.h"
#include "mmtest.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static char dir[256];

static const char *at(const char *name)
{
    static char buf[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static bool has(const char *path, const char *text)
{
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    char buf[256] = "";
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strcmp(buf, text) == 0;
}

static int n_temporaries(void)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));) n += strstr(e->d_name, ".tmp.") != NULL;
    if (d) closedir(d);
    return n;
}

static unsigned mode_of(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (unsigned)(sb.st_mode & 0777) : 01000;
}

static void test_check(void)
{
    mm_error err = {0};
    char *target = NULL;
    bool exists = true;
    MM_CHECK_STATUS(mm_io_output_check("", NULL, NULL, &err), MM_EINVAL);
    MM_CHECK_STATUS(mm_io_output_check(NULL, NULL, NULL, &err), MM_EINVAL);

    MM_CHECK_STATUS(mm_io_output_check(at("new.bin"), &target, &exists, &err), MM_OK);
    MM_CHECK(target && strcmp(target, at("new.bin")) == 0 && !exists);
    free(target);
    MM_CHECK(access(at("new.bin"), F_OK) != 0); /* nothing created */

    put(at("reg.bin"), "old");
    MM_CHECK_STATUS(mm_io_output_check(at("reg.bin"), &target, &exists, &err), MM_OK);
    MM_CHECK(target && strcmp(target, at("reg.bin")) == 0 && exists);
    free(target);

    MM_CHECK(mkdir(at("sub"), 0755) == 0);
    MM_CHECK_STATUS(mm_io_output_check(at("sub"), &target, NULL, &err), MM_EIO);
    MM_CHECK(target == NULL && strstr(err.msg, "is a directory") && strstr(err.msg, "sub"));

    MM_CHECK(mkfifo(at("fifo"), 0644) == 0);
    MM_CHECK_STATUS(mm_io_output_check(at("fifo"), NULL, NULL, &err), MM_EIO);
    MM_CHECK(strstr(err.msg, "FIFO") != NULL);

    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", at("sock"));
    MM_CHECK(s >= 0 && bind(s, (struct sockaddr *)&sa, sizeof sa) == 0);
    MM_CHECK_STATUS(mm_io_output_check(at("sock"), NULL, NULL, &err), MM_EIO);
    MM_CHECK(strstr(err.msg, "socket") != NULL);
    if (s >= 0) close(s);

    MM_CHECK_STATUS(mm_io_output_check("/dev/null", NULL, NULL, &err), MM_EIO);
    MM_CHECK(strstr(err.msg, "character device") != NULL);

    /* links: followed to a regular file, refused otherwise */
    MM_CHECK(symlink("reg.bin", at("link")) == 0);
    MM_CHECK_STATUS(mm_io_output_check(at("link"), &target, &exists, &err), MM_OK);
    char *real = realpath(at("reg.bin"), NULL);
    MM_CHECK(target && real && strcmp(target, real) == 0 && exists);
    free(target);
    free(real);
    MM_CHECK(symlink("missing/none", at("dangling")) == 0);
    MM_CHECK_STATUS(mm_io_output_check(at("dangling"), &target, NULL, &err), MM_EIO);
    MM_CHECK(target == NULL && strstr(err.msg, "does not exist"));
    MM_CHECK(symlink("fifo", at("fifolink")) == 0);
    MM_CHECK_STATUS(mm_io_output_check(at("fifolink"), NULL, NULL, &err), MM_EIO);
    MM_CHECK(strstr(err.msg, "symbolic link to a FIFO") != NULL);

    /* the writer refuses the same paths before creating anything */
    mm_io_atomic a;
    MM_CHECK_STATUS(mm_io_atomic_open(&a, at("fifo"), &err), MM_EIO);
    MM_CHECK(a.tmp == NULL && a.fd == -1);
    mm_io_atomic_abort(&a); /* harmless after a failed open */
    MM_CHECK_STATUS(mm_write_file_atomic(at("sub"), "x", 1, &err), MM_EIO);
    MM_CHECK_STATUS(mm_write_file_atomic(at("nodir/x"), "x", 1, &err), MM_EIO);
    MM_CHECK(strstr(err.msg, "cannot create temporary file") != NULL);
    MM_CHECK(n_temporaries() == 0);
}

static void test_write(void)
{
    mm_error err = {0};
    mm_io_atomic a;
    /* abort leaves the old file */
    put(at("keep.txt"), "old");
    MM_CHECK_STATUS(mm_io_atomic_open(&a, at("keep.txt"), &err), MM_OK);
    MM_CHECK(a.tmp && access(a.tmp, F_OK) == 0 && n_temporaries() == 1);
    MM_CHECK_STATUS(mm_io_atomic_write(&a, "new", 3, &err), MM_OK);
    mm_io_atomic_abort(&a);
    mm_io_atomic_abort(&a); /* twice is fine */
    MM_CHECK(has(at("keep.txt"), "old") && n_temporaries() == 0);
    MM_CHECK_STATUS(mm_io_atomic_write(&a, "x", 1, &err), MM_EINVAL); /* not open any more */
    MM_CHECK_STATUS(mm_io_atomic_commit(&a, &err), MM_EINVAL);

    /* a zero-initialised writer may be aborted */
    mm_io_atomic z = {.fd = -1, .slot = -1};
    mm_io_atomic_abort(&z);

    /* commit replaces; the permission bits stay */
    MM_CHECK(chmod(at("keep.txt"), 0600) == 0);
    MM_CHECK_STATUS(mm_io_atomic_open(&a, at("keep.txt"), &err), MM_OK);
    MM_CHECK_STATUS(mm_io_atomic_printf(&a, &err, "%s-%d", "new", 7), MM_OK);
    MM_CHECK(has(at("keep.txt"), "old")); /* nothing visible before the commit */
    MM_CHECK_STATUS(mm_io_atomic_commit(&a, &err), MM_OK);
    MM_CHECK(has(at("keep.txt"), "new-7") && mode_of(at("keep.txt")) == 0600 && n_temporaries() == 0);
    MM_CHECK(chmod(at("keep.txt"), 0751) == 0);
    MM_CHECK_STATUS(mm_write_file_atomic(at("keep.txt"), "again", 5, &err), MM_OK);
    MM_CHECK(has(at("keep.txt"), "again") && mode_of(at("keep.txt")) == 0751);

    /* a new file: 0666 minus the umask */
    mode_t old = umask(027);
    MM_CHECK_STATUS(mm_write_file_atomic(at("fresh.txt"), "f", 1, &err), MM_OK);
    umask(old);
    MM_CHECK(mode_of(at("fresh.txt")) == 0640);

    /* through a link: the link stays, its target is replaced */
    MM_CHECK_STATUS(mm_write_file_atomic(at("link"), "via link", 8, &err), MM_OK);
    struct stat sb;
    MM_CHECK(lstat(at("link"), &sb) == 0 && S_ISLNK(sb.st_mode) && has(at("reg.bin"), "via link"));

    /* reserving: a function that writes atomically may replace a->tmp */
    MM_CHECK(chmod(at("keep.txt"), 0604) == 0);
    MM_CHECK_STATUS(mm_io_atomic_open(&a, at("keep.txt"), &err), MM_OK);
    MM_CHECK_STATUS(mm_write_file_atomic(a.tmp, "reserved", 8, &err), MM_OK);
    MM_CHECK(has(at("keep.txt"), "again"));
    MM_CHECK_STATUS(mm_io_atomic_commit(&a, &err), MM_OK);
    MM_CHECK(has(at("keep.txt"), "reserved") && mode_of(at("keep.txt")) == 0604 && n_temporaries() == 0);
}

static void test_printf_buffer(void)
{
    /* many lines across the 64 KiB buffer, one line longer than the buffer,
     * and raw writes in between: the file is the concatenation in order */
    mm_error err = {0};
    mm_io_atomic a;
    MM_CHECK_STATUS(mm_io_atomic_open(&a, at("big.txt"), &err), MM_OK);
    size_t expect = 0;
    mm_status st = MM_OK;
    for (int i = 0; i < 20000 && !st; i++) {
        st = mm_io_atomic_printf(&a, &err, "%d,%.17g\n", i, i * 0.1);
        expect += (size_t)snprintf(NULL, 0, "%d,%.17g\n", i, i * 0.1);
    }
    char *longline = malloc(100001);
    MM_CHECK(longline != NULL);
    if (longline) {
        memset(longline, 'q', 100000);
        longline[100000] = '\0';
        if (!st) st = mm_io_atomic_printf(&a, &err, "%s", longline);
        expect += 100000;
    }
    if (!st) st = mm_io_atomic_write(&a, "RAW", 3, &err);
    if (!st) st = mm_io_atomic_printf(&a, &err, "end\n");
    expect += 7;
    MM_CHECK_STATUS(st, MM_OK);
    MM_CHECK_STATUS(mm_io_atomic_commit(&a, &err), MM_OK);
    FILE *f = fopen(at("big.txt"), "rb");
    char *got = malloc(expect + 16);
    size_t n = f && got ? fread(got, 1, expect + 16, f) : 0;
    if (f) fclose(f);
    MM_CHECK(n == expect);
    if (got && n == expect) {
        MM_CHECK(strncmp(got, "0,0\n1,0.10000000000000001\n", 26) == 0);
        MM_CHECK(memcmp(got + expect - 7 - 100000, longline, 100000) == 0);
        MM_CHECK(memcmp(got + expect - 7, "RAWend\n", 7) == 0);
    }
    free(got);
    free(longline);
}

static void test_table(void)
{
    int slots[MM_IO_TEMP_SLOTS + 1];
    int n = 0;
    for (int i = 0; i <= MM_IO_TEMP_SLOTS; i++) {
        slots[i] = mm_io_temp_register(at("slot"));
        n += slots[i] >= 0;
    }
    MM_CHECK(n == MM_IO_TEMP_SLOTS && slots[MM_IO_TEMP_SLOTS] == -1); /* full */
    mm_error err = {0};
    MM_CHECK_STATUS(mm_write_file_atomic(at("while_full.txt"), "ok", 2, &err), MM_OK); /* still written */
    mm_io_temp_unregister(slots[3]);
    MM_CHECK(mm_io_temp_register(at("again")) == slots[3]); /* a freed slot is reused */
    for (int i = 0; i < MM_IO_TEMP_SLOTS; i++) mm_io_temp_unregister(slots[i]);
    mm_io_temp_unregister(-1);
    mm_io_temp_unregister(MM_IO_TEMP_SLOTS);
    char *longpath = malloc(MM_IO_TEMP_PATH + 1);
    if (longpath) {
        memset(longpath, 'a', MM_IO_TEMP_PATH);
        longpath[MM_IO_TEMP_PATH] = '\0';
        MM_CHECK(mm_io_temp_register(longpath) == -1);
    }
    free(longpath);
    MM_CHECK(mm_io_temp_register(NULL) == -1);
    int s = mm_io_temp_register(at("x"));
    MM_CHECK(s >= 0);
    mm_io_temp_unregister(s);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/mm_atomic_XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_check();
    test_write();
    test_printf_buffer();
    test_table();
    int rc = mm_test_summary();
    if (rc == 0) {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    }
    return rc;
}
