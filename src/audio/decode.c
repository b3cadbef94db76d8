/* Decoding with libsndfile, as librosa.load's soundfile path reads a file
 * (numerics.md §8.1): float samples with libsndfile's scaling, seek to
 * int(offset * sr) frames, read int(duration * sr) frames (or the rest),
 * channels averaged in float32. The only third-party decoder of the audio
 * module lives here.
 *
 * Robustness: the file is opened through the guarded open (io/guard.h: a
 * regular file within MM_GUARD_MAX_AUDIO, so a FIFO or a device never
 * blocks or streams for ever), checked non-empty, and libsndfile decodes
 * from that same descriptor; the sample rate and channel count
 * are range-checked; a WAV whose data chunk claims more than the file holds
 * is rejected (check_wav_length); the buffer grows with what is actually decoded (a
 * header's frame count is only a hint, capped by duration / max_seconds),
 * so a header that lies about its length costs nothing; a decode error
 * reported by libsndfile at any point rejects the file, as soundfile raises
 * there. */
#include "audio/audio_internal.h"
#include "io/guard.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <sndfile.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { BLOCK_FRAMES = 4096, MAX_CHANNELS = 1024 };

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A RIFF/WAVE file whose data chunk claims more bytes than the file holds
 * (a lying header or an interrupted write) is rejected. libsndfile would
 * quietly read the bytes present (and librosa with it); we call such a file
 * corrupt. 0 and 0xFFFFFFFF are the usual "length unknown" marks of
 * streamed WAVs and are accepted. The chunk headers are walked with
 * positioned reads (at most 64 chunks before the data chunk, the
 * descriptor's offset untouched); anything odd is left to libsndfile to
 * judge. */
static mm_status check_wav_length(int fd, const char *path, uint64_t file_size, mm_error *err)
{
    unsigned char h[12];
    if (pread(fd, h, 12, 0) != 12 || memcmp(h, "RIFF", 4) != 0 || memcmp(h + 8, "WAVE", 4) != 0) return MM_OK;
    uint64_t pos = 12;
    for (int i = 0; i < 64 && pos + 8 <= file_size; i++) {
        if (pread(fd, h, 8, (off_t)pos) != 8) break;
        uint32_t size = le32(h + 4);
        if (memcmp(h, "data", 4) == 0) {
            uint64_t avail = file_size - (pos + 8);
            if (size != 0 && size != 0xFFFFFFFFu && (uint64_t)size > avail)
                return mm_error_set(err, MM_EFORMAT,
                                    "%s: WAV header declares %" PRIu32 " bytes of audio, the file holds %" PRIu64
                                    " (truncated or corrupt)", path, size, avail);
            break;
        }
        pos += 8 + (uint64_t)size + (size & 1u);
    }
    return MM_OK;
}

/* Opens the file through the guarded open (a regular file within the
 * audio limit, never blocking on a FIFO) and checks it before libsndfile
 * sees it; libsndfile then reads from this descriptor, so the file checked
 * is the file decoded. */
static mm_status open_checked(const char *path, int *fd, mm_error *err)
{
    uint64_t size;
    mm_status st = mm_guard_open(path, MM_GUARD_AUDIO, 0, fd, &size, err);
    if (st) return st;
    if (size == 0) st = mm_error_set(err, MM_EFORMAT, "%s: empty file (0 bytes)", path);
    if (!st) st = check_wav_length(*fd, path, size, err);
    if (st) {
        close(*fd);
        *fd = -1;
    }
    return st;
}

bool mm_fbuf_reserve(mm_fbuf *b, size_t need)
{
    if (need <= b->cap && b->data) return true;
    size_t cap = b->cap ? b->cap : 65536;
    while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    float *d = mm_alloc_array(cap, sizeof(float));
    if (!d) return false;
    if (b->n) memcpy(d, b->data, b->n * sizeof(float));
    free(b->data);
    b->data = d;
    b->cap = cap;
    return true;
}

void mm_fbuf_release(mm_fbuf *b)
{
    if (!b) return;
    free(b->data);
    b->data = NULL;
    b->n = b->cap = 0;
}

/* Mono mix of `frames` interleaved frames of `ch` channels (numpy's mean
 * over the channel axis in float32: sum channel by channel, then divide). */
static void mix_mono(const float *in, size_t frames, size_t ch, float *out)
{
    const float div = (float)ch;
    for (size_t f = 0; f < frames; f++) {
        const float *v = in + f * ch;
        float acc = v[0];
        for (size_t c = 1; c < ch; c++) acc += v[c];
        out[f] = acc / div;
    }
}

static mm_status read_all(const char *path, SNDFILE *sf, size_t ch, sf_count_t limit,
                          bool limit_is_error, double max_seconds, sf_count_t hint, mm_fbuf *b,
                          mm_error *err)
{
    /* mono files are read straight into the output; others through a block */
    float *block = ch > 1 ? mm_alloc_array((size_t)BLOCK_FRAMES, ch * sizeof(float)) : NULL;
    if (ch > 1 && !block) return mm_error_set(err, MM_ENOMEM, "%s: out of memory", path);
    /* the header's length is a hint only: trusted up to 4 Mi frames */
    if (hint > (sf_count_t)1 << 22) hint = (sf_count_t)1 << 22;
    if (hint > 0 && !mm_fbuf_reserve(b, (size_t)(hint < limit ? hint : limit) + 1)) {
        free(block);
        return mm_error_set(err, MM_ENOMEM, "%s: out of memory", path);
    }
    mm_status st = MM_OK;
    for (;;) {
        sf_count_t left = limit - (sf_count_t)b->n;
        if (left <= 0) {
            if (!limit_is_error) break;
            /* one more frame would pass the cap: is there one? */
            left = 1;
        }
        /* mono: fill whatever room the buffer has (no regrowth when the
         * header's length was right, the end-of-file probe included) */
        sf_count_t room = (sf_count_t)(b->cap - b->n);
        sf_count_t ask = ch == 1 && room > 0 ? room : BLOCK_FRAMES;
        if (ask > left) ask = left;
        if (!mm_fbuf_reserve(b, b->n + (size_t)ask)) {
            st = mm_error_set(err, MM_ENOMEM, "%s: out of memory", path);
            break;
        }
        float *dst = ch > 1 ? block : b->data + b->n;
        sf_count_t got = sf_readf_float(sf, dst, ask);
        /* libsndfile clears its error at every call: look after each one */
        if (sf_error(sf) != SF_ERR_NO_ERROR) {
            st = mm_error_set(err, MM_EFORMAT, "%s: decode error: %s", path, sf_strerror(sf));
            break;
        }
        if (got <= 0) break;
        if (limit_is_error && (sf_count_t)b->n + got > limit) {
            st = mm_error_set(err, MM_EFORMAT, "%s: longer than %g s (set a duration or raise max_duration)",
                              path, max_seconds);
            break;
        }
        if (ch > 1) mix_mono(block, (size_t)got, ch, b->data + b->n);
        b->n += (size_t)got;
    }
    free(block);
    return st;
}

/* Checks the stream libsndfile opened (rate, channels, offset, length) and
 * decodes the asked-for part into b. */
static mm_status decode_open(const char *path, SNDFILE *sf, const SF_INFO *info, double offset, double duration,
                             double max_seconds, mm_fbuf *b, mm_error *err)
{
    if (info->samplerate < MM_AUDIO_MIN_RATE || info->samplerate > MM_AUDIO_MAX_RATE)
        return mm_error_set(err, MM_EFORMAT, "%s: sample rate %d Hz outside [%d, %d]", path,
                            info->samplerate, MM_AUDIO_MIN_RATE, MM_AUDIO_MAX_RATE);
    if (info->channels < 1 || info->channels > MAX_CHANNELS)
        return mm_error_set(err, MM_EFORMAT, "%s: %d channels", path, info->channels);
    const double sr = (double)info->samplerate;
    /* python int(): truncation toward zero */
    double start_d = floor(offset * sr);
    if (start_d > 9.0e15 || (info->frames >= 0 && start_d > (double)info->frames))
        return mm_error_set(err, MM_EFORMAT, "%s: offset %g s is past the end (%.3f s)", path, offset,
                            info->frames >= 0 ? (double)info->frames / sr : 0.0);
    sf_count_t start = (sf_count_t)start_d;
    if (start > 0 && sf_seek(sf, start, SEEK_SET) < 0)
        return mm_error_set(err, MM_EFORMAT, "%s: cannot seek to %g s", path, offset);
    sf_count_t limit;
    bool limit_is_error;
    if (duration > 0.0) {
        limit = (sf_count_t)fmin(floor(duration * sr), 9.0e15);
        limit_is_error = false;
    } else {
        limit = (sf_count_t)fmin(floor(max_seconds * sr), 9.0e15);
        limit_is_error = true;
        if (info->frames > 0 && info->frames < SF_COUNT_MAX && info->frames - start > limit)
            return mm_error_set(err, MM_EFORMAT, "%s: %.1f s long, more than %g s (set a duration or raise max_duration)",
                                path, (double)(info->frames - start) / sr, max_seconds);
    }
    sf_count_t hint = info->frames > start ? info->frames - start : 0;
    return read_all(path, sf, (size_t)info->channels, limit, limit_is_error, max_seconds, hint, b, err);
}

mm_status mm_decode_into(const char *path, double offset, double duration, double max_seconds,
                         mm_fbuf *b, int *sr_native, mm_error *err)
{
    b->n = 0;
    if (sr_native) *sr_native = 0;
    if (!path) return mm_error_set(err, MM_EINVAL, "audio decode: NULL path");
    if (!(offset >= 0.0) || !isfinite(offset) || !(duration >= 0.0) || !isfinite(duration) ||
        !(max_seconds > 0.0) || !isfinite(max_seconds))
        return mm_error_set(err, MM_EINVAL, "%s: bad offset/duration/max_seconds (%g, %g, %g)", path,
                            offset, duration, max_seconds);
    int fd;
    mm_status st = open_checked(path, &fd, err);
    if (st) return st;
    SF_INFO info;
    memset(&info, 0, sizeof info);
    /* the descriptor stays ours (closed below, whatever sf_open_fd did) */
    SNDFILE *sf = sf_open_fd(fd, SFM_READ, &info, SF_FALSE);
    if (!sf) {
        close(fd);
        return mm_error_set(err, MM_EFORMAT,
                            "%s: not a readable audio file (unknown format or corrupt header)", path);
    }
    st = decode_open(path, sf, &info, offset, duration, max_seconds, b, err);
    sf_close(sf);
    close(fd);
    if (st) return st;
    if (!mm_fbuf_reserve(b, 1)) return mm_error_set(err, MM_ENOMEM, "%s: out of memory", path);
    if (sr_native) *sr_native = info.samplerate;
    return MM_OK;
}

mm_status mm_audio_decode(const char *path, double offset, double duration, double max_seconds,
                          float **samples, size_t *n, int *sr_native, mm_error *err)
{
    mm_fbuf b = {0};
    *samples = NULL;
    *n = 0;
    mm_status st = mm_decode_into(path, offset, duration, max_seconds, &b, sr_native, err);
    if (st) {
        mm_fbuf_release(&b);
        return st;
    }
    *samples = b.data;
    *n = b.n;
    return MM_OK;
}

mm_status mm_audio_load(const char *path, int sr, double offset, double duration, float **samples,
                        size_t *n, mm_error *err)
{
    float *raw;
    size_t nr;
    int sr_native;
    mm_status st = mm_audio_decode(path, offset, duration, MM_AUDIO_MAX_SECONDS, &raw, &nr,
                                   &sr_native, err);
    if (st) return st;
    if (sr <= 0 || sr == sr_native) {
        *samples = raw;
        *n = nr;
        return MM_OK;
    }
    st = mm_audio_resample(raw, nr, sr_native, sr, samples, n, err);
    free(raw);
    if (st) mm_error_prefix(err, "%s", path);
    return st;
}
