/* Per-file blocks: path resolution, missing and failing files, the disk
 * cache (hits, changed content, damaged entries), thread-count independence. */
#include "pipeline/cache.h"
#include "pipeline/internal.h"
#include "mmtest.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static int calls;

/* dim 3: [file size, first byte, last byte]; a file starting with "bad" fails. */
static mm_status toy_encode(const mm_file_encoder *e, const char *path, float *out, mm_error *err)
{
    (void)e;
    __atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED);
    FILE *f = fopen(path, "rb");
    if (!f) return mm_error_set(err, MM_EIO, "%s: cannot open", path);
    unsigned char buf[256];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    if (n >= 3 && memcmp(buf, "bad", 3) == 0) return mm_error_set(err, MM_EFORMAT, "%s: bad content", path);
    if (n == 0) return mm_error_set(err, MM_EFORMAT, "%s: empty", path);
    out[0] = (float)n;
    out[1] = buf[0];
    out[2] = buf[n - 1];
    return MM_OK;
}

static void write_file(const char *dir, const char *name, const char *content)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    fputs(content, f);
    fclose(f);
}

int main(void)
{
    char dir[] = "/tmp/mmfuse-fileenc-XXXXXX";
    MM_CHECK(mkdtemp(dir) != NULL);
    char sub[600], cache[600], csv[600];
    snprintf(sub, sizeof sub, "%s/files", dir);
    snprintf(cache, sizeof cache, "%s/cache", dir);
    mkdir(sub, 0777);
    write_file(sub, "a.bin", "hello");
    write_file(sub, "b.bin", "xyz");
    write_file(sub, "c.bin", "bad stuff");
    write_file(sub, "e.bin", "");
    char abs_path[700];
    write_file(sub, "d.bin", "qrs");
    snprintf(abs_path, sizeof abs_path, "%s/d.bin", sub);
    char text[2000];
    snprintf(text, sizeof text, "f,y\nfiles/a.bin,1\nfiles/b.bin,0\n,1\nfiles/c.bin,0\nfiles/nope.bin,1\n%s,0\nfiles/e.bin,1\nfiles,0\n",
             abs_path);
    snprintf(csv, sizeof csv, "%s/data.csv", dir);
    write_file(dir, "data.csv", text);
    mm_table *t;
    mm_error err = {0};
    MM_CHECK_STATUS(mm_table_read_csv(csv, mm_csv_params_default(), &t, &err), MM_OK);
    mm_file_encoder enc = {0};
    enc.kind = "toy";
    enc.modality = MM_MOD_IMAGE;
    enc.dim = 3;
    snprintf(enc.config, sizeof enc.config, "{\"v\":1}");
    enc.encode = toy_encode;
    size_t n = mm_table_rows(t), rows[8];
    for (size_t i = 0; i < n; i++) rows[i] = i;
    for (int threads = 1; threads <= 2; threads++) {
        mm_file_opts o = {dir, NULL, threads, NULL, NULL};
        mm_block b;
        mm_data_report rep = {0};
        MM_CHECK_STATUS(mm_file_block(&enc, "f", MM_ROLE_IMAGE, t, rows, n, &o, &b, &rep, &err), MM_OK);
        static const uint8_t expect[] = {1, 1, 0, 0, 0, 1, 0, 0};
        MM_CHECK(memcmp(b.present, expect, 8) == 0);
        MM_CHECK(strcmp(b.name, "image:f") == 0);
        MM_CHECK(b.dense.data[0] == 5 && b.dense.data[1] == 'h' && b.dense.data[3] == 3);
        MM_CHECK(b.dense.data[5 * 3] == 3); /* absolute path resolved as is */
        MM_CHECK(b.dense.data[3 * 3] == 0 && b.dense.data[3 * 3 + 1] == 0); /* failed row zeroed */
        MM_CHECK(rep.files_failed == 4); /* bad content, missing file, empty file, directory */
        MM_CHECK(strstr(rep.file_error, "data.csv:5:") && strstr(rep.file_error, "c.bin"));
        mm_block_free(&b);
    }
    /* the cache: a second run encodes nothing; changed content misses */
    mm_file_opts oc = {dir, cache, 2, NULL, NULL};
    mm_block b1, b2;
    mm_data_report r1 = {0}, r2 = {0};
    calls = 0;
    MM_CHECK_STATUS(mm_file_block(&enc, "f", MM_ROLE_IMAGE, t, rows, n, &oc, &b1, &r1, &err), MM_OK);
    int first = calls;
    MM_CHECK(r1.files_cached == 0);
    calls = 0;
    MM_CHECK_STATUS(mm_file_block(&enc, "f", MM_ROLE_IMAGE, t, rows, n, &oc, &b2, &r2, &err), MM_OK);
    MM_CHECK(r2.files_cached == 3 && calls == first - 3);
    MM_CHECK(memcmp(b1.dense.data, b2.dense.data, n * 3 * sizeof(float)) == 0);
    MM_CHECK(memcmp(b1.present, b2.present, n) == 0);
    mm_block_free(&b2);
    write_file(sub, "a.bin", "hello world");
    calls = 0;
    r2 = (mm_data_report){0};
    MM_CHECK_STATUS(mm_file_block(&enc, "f", MM_ROLE_IMAGE, t, rows, n, &oc, &b2, &r2, &err), MM_OK);
    MM_CHECK(r2.files_cached == 2 && b2.dense.data[0] == 11);
    mm_block_free(&b2);
    /* another config never hits the first one's entries */
    snprintf(enc.config, sizeof enc.config, "{\"v\":2}");
    r2 = (mm_data_report){0};
    MM_CHECK_STATUS(mm_file_block(&enc, "f", MM_ROLE_IMAGE, t, rows, n, &oc, &b2, &r2, &err), MM_OK);
    MM_CHECK(r2.files_cached == 0);
    mm_block_free(&b2);
    /* a damaged entry is a miss, not an error */
    uint64_t key;
    char bpath[700];
    snprintf(bpath, sizeof bpath, "%s/b.bin", sub);
    MM_CHECK(mm_cache_file_key(bpath, mm_cache_config_hash("toy", enc.config), 1 << 20, &key));
    float v[3];
    MM_CHECK(mm_cache_get(cache, "toy", key, v, 3));
    MM_CHECK(!mm_cache_get(cache, "toy", key, v, 4));
    char entry[900];
    snprintf(entry, sizeof entry, "%s/toy/%02x/%016llx.f32", cache, (unsigned)(key >> 56), (unsigned long long)key);
    FILE *f = fopen(entry, "r+b");
    MM_CHECK(f != NULL);
    if (f) {
        ftruncate(fileno(f), 10);
        fclose(f);
    }
    MM_CHECK(!mm_cache_get(cache, "toy", key, v, 3));
    /* an absent column: every row absent, no failure counted */
    mm_data_report r3 = {0};
    MM_CHECK_STATUS(mm_file_block(&enc, "nocol", MM_ROLE_AUDIO, t, rows, n, &oc, &b2, &r3, &err), MM_OK);
    MM_CHECK(mm_block_count_present(&b2) == 0 && r3.files_failed == 0);
    mm_block_free(&b2);
    mm_block_free(&b1);
    mm_table_free(t);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    MM_CHECK(system(cmd) == 0);
    return mm_test_summary();
}
