/* Robustness smoke test of the audio encoder: valid WAV (16-bit, float,
 * stereo 24-bit), FLAC and OGG/Vorbis files are damaged in seeded random
 * ways (bytes overwritten, header fields replaced by extreme values, files
 * cut short, garbage appended) and encoded. Every call must return (under
 * the ASan+UBSan build too); a success must give finite values, a failure
 * a message starting with the path. */
#include "mmfuse/audio.h"
#include "mmtest.h"

#include <errno.h>
#include <math.h>
#include <sndfile.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char g_dir[256];

/* libsndfile 1.2's OGG/Vorbis reader leaks libvorbis' header state when a
 * damaged stream fails to open (a few KiB per file, inside libvorbis'
 * vorbis_info_init); that is not mmfuse's memory, so LeakSanitizer is told
 * to ignore that one allocation site in this test. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:vorbis_info_init\n";
}

static int write_seed(const char *path, int format, int channels, int rate, size_t frames)
{
    SF_INFO info = {0};
    info.samplerate = rate;
    info.channels = channels;
    info.format = format;
    SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
    if (!sf) return -1;
    float *y = malloc(frames * (size_t)channels * sizeof(float));
    for (size_t i = 0; i < frames * (size_t)channels; i++)
        y[i] = (float)(0.5 * sin(0.05 * (double)i) + 0.1 * sin(0.31 * (double)i));
    sf_writef_float(sf, y, (sf_count_t)frames);
    sf_close(sf);
    free(y);
    return 0;
}

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)sz + 1);
    *len = fread(b, 1, (size_t)sz, f);
    fclose(f);
    return b;
}

static void spit(const char *path, const unsigned char *b, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (len) fwrite(b, 1, len, f);
    fclose(f);
}

/* One seeded mutation of src into dst (returns the new length). */
static size_t mutate(mm_rng *r, const unsigned char *src, size_t len, unsigned char *dst, size_t cap)
{
    memcpy(dst, src, len);
    uint32_t kind = mm_rng_u32(r) % 6;
    size_t n = len;
    if (kind == 0) { /* a few random bytes anywhere */
        for (uint32_t k = 0, m = 1 + mm_rng_u32(r) % 8; k < m; k++)
            dst[mm_rng_u32(r) % n] = (unsigned char)mm_rng_u32(r);
    } else if (kind == 1) { /* a header byte or field among the first 64 */
        size_t at = mm_rng_u32(r) % (n < 64 ? n : 64);
        static const uint32_t extreme[] = {0, 1, 0x7fffffffu, 0xffffffffu, 0x80000000u, 44100, 2};
        uint32_t v = extreme[mm_rng_u32(r) % 7];
        for (int b = 0; b < 4 && at + (size_t)b < n; b++) dst[at + (size_t)b] = (unsigned char)(v >> (8 * b));
    } else if (kind == 2) { /* cut short */
        n = mm_rng_u32(r) % len;
    } else if (kind == 3) { /* garbage appended */
        size_t extra = 1 + mm_rng_u32(r) % 2000;
        if (n + extra > cap) extra = cap - n;
        for (size_t i = 0; i < extra; i++) dst[n + i] = (unsigned char)mm_rng_u32(r);
        n += extra;
    } else if (kind == 4) { /* a run of bytes in the middle scrambled */
        size_t at = mm_rng_u32(r) % n, run = 1 + mm_rng_u32(r) % 256;
        for (size_t i = at; i < at + run && i < n; i++) dst[i] = (unsigned char)mm_rng_u32(r);
    } else { /* a single bit flipped in the first 256 bytes */
        size_t at = mm_rng_u32(r) % (n < 256 ? n : 256);
        dst[at] ^= (unsigned char)(1u << (mm_rng_u32(r) % 8));
    }
    return n;
}

int main(void)
{
    snprintf(g_dir, sizeof g_dir, "audio_fuzz_tmp_%ld", (long)getpid());
    if (mkdir(g_dir, 0755) != 0 && errno != EEXIST) return 2;
    struct { const char *name; int format, channels, rate; } seeds[] = {
        {"s16.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1, 22050},
        {"f32.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, 1, 44100},
        {"s24st.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_24, 2, 16000},
        {"s16.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 1, 22050},
        {"v.ogg", SF_FORMAT_OGG | SF_FORMAT_VORBIS, 1, 22050},
    };
    mm_audio_params p = mm_audio_params_default();
    p.extra_stats = true;
    mm_file_encoder *enc;
    mm_error e;
    if (mm_audio_encoder_new(&p, &enc, &e)) return 2;
    float *v = malloc(enc->dim * sizeof(float));
    mm_rng r;
    mm_rng_seed(&r, 12345);
    size_t ok = 0, bad = 0;
    for (size_t s = 0; s < sizeof seeds / sizeof seeds[0]; s++) {
        char path[400];
        snprintf(path, sizeof path, "%s/%s", g_dir, seeds[s].name);
        if (write_seed(path, seeds[s].format, seeds[s].channels, seeds[s].rate, 9000) != 0) {
            fprintf(stderr, "cannot write seed %s\n", path);
            MM_CHECK(0);
            continue;
        }
        MM_CHECK_STATUS(enc->encode(enc, path, v, &e), MM_OK);
        size_t len = 0;
        unsigned char *src = slurp(path, &len);
        if (!src || len == 0) {
            MM_CHECK(0);
            free(src);
            continue;
        }
        size_t cap = len + 4096;
        unsigned char *dst = malloc(cap);
        char mpath[420];
        snprintf(mpath, sizeof mpath, "%s/m_%s", g_dir, seeds[s].name);
        for (int it = 0; it < 160; it++) {
            size_t n = mutate(&r, src, len, dst, cap);
            spit(mpath, dst, n);
            mm_error me = {0};
            mm_status st = enc->encode(enc, mpath, v, &me);
            if (st == MM_OK) {
                bool fin = true;
                for (size_t i = 0; i < enc->dim; i++) fin = fin && isfinite(v[i]);
                MM_CHECK(fin);
                ok++;
            } else {
                MM_CHECK(strncmp(me.msg, mpath, strlen(mpath)) == 0);
                bad++;
            }
        }
        free(src);
        free(dst);
    }
    printf("mutated files: %zu encoded, %zu rejected\n", ok, bad);
    MM_CHECK(bad > 0);
    free(v);
    mm_file_encoder_free(enc);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", g_dir);
    return mm_test_summary();
}
