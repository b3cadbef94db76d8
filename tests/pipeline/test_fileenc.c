/* Per-file blocks: path resolution, missing and failing files, the disk
 * cache (hits, changed content, damaged entries: checksum, NaN, version),
 * thread-count independence, confinement to a media root. */
#include "pipeline/cache.h"
#include "pipeline/internal.h"
#include "mmtest.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

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
        mm_file_opts o = {dir, NULL, threads, NULL, NULL, NULL};
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
    mm_file_opts oc = {dir, cache, 2, NULL, NULL, NULL};
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
    MM_CHECK(mm_cache_file_key(bpath, MM_GUARD_IMAGE, 0, mm_cache_config_hash("toy", enc.config), &key));
    /* the key respects the limit: not a byte hashed past it */
    uint64_t key2;
    MM_CHECK(!mm_cache_file_key(bpath, MM_GUARD_IMAGE, 2, mm_cache_config_hash("toy", enc.config), &key2));
    MM_CHECK(!mm_cache_file_key(sub, MM_GUARD_IMAGE, 0, 1, &key2)); /* a directory */
    float v[3];
    MM_CHECK(mm_cache_get(cache, "toy", key, v, 3) == MM_CACHE_HIT);
    MM_CHECK(v[0] == 3 && v[1] == 'x' && v[2] == 'z');
    MM_CHECK(mm_cache_get(cache, "toy", key, v, 4) == MM_CACHE_DAMAGED);
    MM_CHECK(mm_cache_get(cache, "toy", key ^ 1, v, 3) == MM_CACHE_MISS);
    char entry[900];
    snprintf(entry, sizeof entry, "%s/toy/%02x/%016llx.f32", cache, (unsigned)(key >> 56), (unsigned long long)key);
    FILE *f = fopen(entry, "r+b");
    MM_CHECK(f != NULL);
    if (f) {
        ftruncate(fileno(f), 10);
        fclose(f);
    }
    MM_CHECK(mm_cache_get(cache, "toy", key, v, 3) == MM_CACHE_DAMAGED);
    /* an edited value (finite, checksum not updated) and a NaN stored with
     * a correct checksum are both damaged: never returned */
    float good[3] = {3, 'x', 'z'};
    MM_CHECK(mm_cache_put(cache, "toy", key, good, 3));
    MM_CHECK(mm_cache_get(cache, "toy", key, v, 3) == MM_CACHE_HIT);
    f = fopen(entry, "r+b");
    if (f) {
        float w = 7.5f;
        fseek(f, 16 + 4, SEEK_SET);
        fwrite(&w, 4, 1, f);
        fclose(f);
    }
    v[0] = v[1] = v[2] = -1;
    MM_CHECK(mm_cache_get(cache, "toy", key, v, 3) == MM_CACHE_DAMAGED);
    MM_CHECK(v[0] == -1 && v[1] == -1); /* untouched */
    {
        unsigned char raw[16 + 12 + 8];
        uint32_t ver = 2;
        uint64_t d = 3;
        float nanv[3] = {1, NAN, 2};
        memcpy(raw, "MMFC", 4);
        memcpy(raw + 4, &ver, 4);
        memcpy(raw + 8, &d, 8);
        memcpy(raw + 16, nanv, 12);
        uint64_t sum = XXH64(raw, 28, 0);
        memcpy(raw + 28, &sum, 8);
        f = fopen(entry, "wb");
        if (f) {
            fwrite(raw, 1, sizeof raw, f);
            fclose(f);
        }
        MM_CHECK(mm_cache_get(cache, "toy", key, v, 3) == MM_CACHE_DAMAGED);
        /* the same bytes with finite values hit: the NaN alone was refused */
        memcpy(raw + 16, good, 12);
        sum = XXH64(raw, 28, 0);
        memcpy(raw + 28, &sum, 8);
        f = fopen(entry, "wb");
        if (f) {
            fwrite(raw, 1, sizeof raw, f);
            fclose(f);
        }
        MM_CHECK(mm_cache_get(cache, "toy", key, v, 3) == MM_CACHE_HIT);
        /* a version-1 entry (no checksum) is damaged, and replaced */
        ver = 1;
        memcpy(raw + 4, &ver, 4);
        f = fopen(entry, "wb");
        if (f) {
            fwrite(raw, 1, 28, f);
            fclose(f);
        }
        MM_CHECK(mm_cache_get(cache, "toy", key, v, 3) == MM_CACHE_DAMAGED);
    }
    float bad[3] = {1, INFINITY, 2};
    MM_CHECK(!mm_cache_put(cache, "toy", key, bad, 3)); /* never stored */
    /* through the block: the damaged entry is recomputed, rewritten and
     * counted; the next run hits it */
    snprintf(enc.config, sizeof enc.config, "{\"v\":1}");
    mm_data_report r4 = {0};
    MM_CHECK_STATUS(mm_file_block(&enc, "f", MM_ROLE_IMAGE, t, rows, n, &oc, &b2, &r4, &err), MM_OK);
    mm_block_free(&b2);
    MM_CHECK(mm_cache_file_key(bpath, MM_GUARD_IMAGE, 0, mm_cache_config_hash("toy", enc.config), &key));
    snprintf(entry, sizeof entry, "%s/toy/%02x/%016llx.f32", cache, (unsigned)(key >> 56), (unsigned long long)key);
    f = fopen(entry, "r+b");
    if (f) {
        float w = 1e30f;
        fseek(f, 16, SEEK_SET);
        fwrite(&w, 4, 1, f);
        fclose(f);
    }
    r4 = (mm_data_report){0};
    calls = 0;
    MM_CHECK_STATUS(mm_file_block(&enc, "f", MM_ROLE_IMAGE, t, rows, n, &oc, &b2, &r4, &err), MM_OK);
    MM_CHECK(r4.cache_damaged == 1 && r4.files_cached == 2 && calls >= 1);
    MM_CHECK(b2.dense.data[3] == 3 && b2.present[1] == 1); /* b.bin recomputed */
    mm_block_free(&b2);
    r4 = (mm_data_report){0};
    MM_CHECK_STATUS(mm_file_block(&enc, "f", MM_ROLE_IMAGE, t, rows, n, &oc, &b2, &r4, &err), MM_OK);
    MM_CHECK(r4.cache_damaged == 0 && r4.files_cached == 3);
    mm_block_free(&b2);
    /* a media root: inside paths (relative, absolute, through an inner
     * symlink) are read; a ../ path and a symlink leading out are not */
    {
        char root[4096], lpath[700], ipath[700], csv2[700], text2[2000];
        MM_CHECK_STATUS(mm_file_media_root(sub, root, sizeof root, &err), MM_OK);
        MM_CHECK_STATUS(mm_file_media_root(csv, root, sizeof root, &err), MM_EIO); /* a file */
        MM_CHECK_STATUS(mm_file_media_root("/nonexistent/dir", root, sizeof root, &err), MM_EIO);
        MM_CHECK_STATUS(mm_file_media_root(sub, root, sizeof root, &err), MM_OK);
        snprintf(lpath, sizeof lpath, "%s/out.bin", sub);
        MM_CHECK(symlink(csv, lpath) == 0); /* leads out of the root */
        snprintf(ipath, sizeof ipath, "%s/in.bin", sub);
        MM_CHECK(symlink("b.bin", ipath) == 0); /* stays inside */
        snprintf(text2, sizeof text2, "f\nfiles/a.bin\nfiles/../data.csv\nfiles/out.bin\n%s\nfiles/in.bin\n%s/../data.csv\n",
                 abs_path, sub);
        snprintf(csv2, sizeof csv2, "%s/data2.csv", dir);
        write_file(dir, "data2.csv", text2);
        mm_table *t2;
        MM_CHECK_STATUS(mm_table_read_csv(csv2, mm_csv_params_default(), &t2, &err), MM_OK);
        size_t rows2[6] = {0, 1, 2, 3, 4, 5};
        for (int threads = 1; threads <= 2; threads++) {
            mm_file_opts om = {dir, NULL, threads, NULL, NULL, root};
            mm_data_report rm = {0};
            MM_CHECK_STATUS(mm_file_block(&enc, "f", MM_ROLE_IMAGE, t2, rows2, 6, &om, &b2, &rm, &err), MM_OK);
            static const uint8_t want[6] = {1, 0, 0, 1, 1, 0};
            MM_CHECK(memcmp(b2.present, want, 6) == 0);
            MM_CHECK(rm.files_outside_root == 3 && rm.files_failed == 3);
            MM_CHECK(strstr(rm.outside_root_error, "data2.csv:3:") && strstr(rm.outside_root_error, "outside the media root"));
            MM_CHECK(b2.dense.data[4 * 3] == 3); /* in.bin -> b.bin */
            mm_block_free(&b2);
            /* without a root every row is read as written */
            om.media_root = NULL;
            rm = (mm_data_report){0};
            MM_CHECK_STATUS(mm_file_block(&enc, "f", MM_ROLE_IMAGE, t2, rows2, 6, &om, &b2, &rm, &err), MM_OK);
            MM_CHECK(mm_block_count_present(&b2) == 6 && rm.files_outside_root == 0);
            mm_block_free(&b2);
        }
        mm_table_free(t2);
    }
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
