/*
 * mmfuse/audio.h — audio files to fixed-length MFCC feature vectors,
 * reproducing librosa 0.10.
 *
 * What one file becomes (the defaults are the reference article's call)
 *
 *     y   = load(path, sr=22050, offset=0, duration=10)      decode + mono + resample
 *     M   = mfcc(y, n_mfcc=13)                               13 x T
 *     D1  = delta(M, width=9, order=1)                       13 x T
 *     D2  = delta(M, width=9, order=2)                       13 x T
 *     F   = [M; D1; D2]                                      39 x T
 *     out = [mean(F, time), std(F, time)]                    78 values
 *
 * followed, when params.extra_stats is set, by 10 more values: the mean of
 * each of 5 per-frame statistics (RMS energy, zero-crossing rate, spectral
 * centroid, spectral bandwidth, spectral rolloff), then their 5 standard
 * deviations.
 *
 * Loading (librosa.load with the soundfile backend)
 *   - Decoding is libsndfile's: WAV (8-bit unsigned, 16/24/32-bit integer,
 *     32/64-bit float), AIFF, FLAC, OGG/Vorbis, OGG/Opus and MP3, as far as
 *     the installed libsndfile supports each (Debian 12: 1.2, all of them).
 *     Samples are read as float with libsndfile's scaling (16-bit v/32768,
 *     24-bit v/8388608, 32-bit v/2147483648, 8-bit (v-128)/128, float files
 *     unchanged).
 *   - offset: seek to native frame floor(offset * sr_native); duration: read
 *     floor(duration * sr_native) native frames, or everything left when
 *     shorter; 0 = to the end of the file (up to max_duration seconds, beyond
 *     which the file is rejected so that no file can exhaust memory).
 *   - Channels are mixed to mono by averaging in float, channel by channel
 *     ((a + b) / 2 for stereo), as numpy's mean over the channel axis.
 *   - When sr_native != sr the signal is resampled with libsoxr at
 *     SOXR_HQ quality (librosa's default res_type 'soxr_hq'), float32 in and
 *     out, fed in the same chunks python-soxr uses (floor(48000*in/out) input
 *     frames, then one flush), and the result is cut or zero-padded to
 *     ceil(n * sr / sr_native) samples as librosa.resample does. With the
 *     same libsoxr build this is bit-identical to librosa; a different
 *     libsoxr build (the one bundled in python-soxr wheels, with its own
 *     SIMD paths) can differ in the last bits of the resampled signal, which
 *     moves MFCCs by about 1e-4 (dB scale).
 *   - Samples that are NaN or infinite make the file unusable (librosa
 *     raises there too).
 *   - Where mmfuse is stricter than librosa: a WAV whose data chunk declares
 *     more bytes than the file holds (a lying header, an interrupted write
 *     or download) is rejected as corrupt, where libsndfile would quietly
 *     read the part present; the "length unknown" marks 0 and 0xFFFFFFFF of
 *     streamed WAVs are accepted. A decode error anywhere in the file
 *     (e.g. a FLAC frame that loses sync) rejects it, as soundfile raises.
 *   - MP3 goes through libsndfile's mpg123 decoder, whose float output can
 *     differ in the last bit with the size of the reads.
 *
 * MFCC (librosa.feature.mfcc with librosa 0.10 defaults)
 *   Centered frames: the signal is padded with n_fft/2 zeros on each side;
 *   T = 1 + n / hop frames; periodic Hann window; power spectrum |X|^2 of a
 *   real FFT computed in double precision as librosa's (mmfuse's own SIMD
 *   radix-4 real FFT; a float32 FFT would spend up to a quarter of the
 *   tolerance below on quiet bands); Slaney mel filterbank (Slaney mel
 *   scale, bands area-normalized); dB = 10 log10(max(1e-10, mel)), floored at
 *   (maximum over the whole clip) - 80 dB; orthonormal DCT-II over the
 *   n_mels bands, first n_mfcc rows kept. Agreement with a numpy/scipy
 *   implementation of numerics.md §8 (and so with librosa): max abs
 *   difference below 1e-3 on MFCC values (tests/audio/test_audio_parity.py).
 *   n_fft must be a power of two (librosa's any-length FFT is not offered).
 *
 * Deltas (librosa.feature.delta, mode 'interp')
 *   Savitzky-Golay derivative of order 1 or 2 with a polynomial of the same
 *   order over `width` frames; the first and last width/2 frames take the
 *   derivative of the polynomial fitted to the first / last `width` frames.
 *   A clip with fewer than `width` frames is rejected (librosa raises):
 *   MM_EFORMAT "too short (N frames, need 9)". With the defaults that is any
 *   clip shorter than 4096 samples at 22050 Hz (0.186 s).
 *
 * Pooling: mean and population standard deviation (ddof 0) over frames,
 *   accumulated in double, stored as float.
 *
 * Extra statistics (params.extra_stats; librosa 0.10 definitions with the
 *   same n_fft / hop_length, centered frames)
 *   rms       sqrt(mean(x^2)) over each frame of the zero-padded signal,
 *             no window                          (librosa.feature.rms)
 *   zcr       fraction of sign changes in each frame of the edge-padded
 *             signal; |x| <= 1e-10 counts as 0, 0 counts as positive, the
 *             first sample of a frame never counts, divided by n_fft
 *                                                (feature.zero_crossing_rate)
 *   centroid  sum_k f_k S_k / sum_k S_k over the magnitude spectrum S
 *             (0 for a silent frame)             (feature.spectral_centroid)
 *   bandwidth sqrt(sum_k (S_k / sum S) (f_k - centroid)^2)
 *                                                (feature.spectral_bandwidth)
 *   rolloff   lowest bin frequency f_k at which the float32 running sum of
 *             S reaches 0.85 of the frame's total (feature.spectral_rolloff)
 *   with f_k = k * sr / n_fft.
 *
 * Usage: a per-file encoder for the pipeline
 *     mm_audio_params p = mm_audio_params_default();
 *     mm_file_encoder *enc;
 *     if (mm_audio_encoder_new(&p, &enc, &err)) ...
 *     float v[78];
 *     if (enc->encode(enc, "clip.wav", v, &err) != MM_OK)
 *         ... the row's audio is missing; err.msg names the file and why
 *     mm_file_encoder_free(enc);
 *
 * Usage: features of samples already in memory (e.g. a video's audio track)
 *     mm_audio_plan *plan;  mm_audio_plan_new(&p, &plan, &err);   // shared
 *     mm_audio_work *w = mm_audio_work_new();                      // per thread
 *     mm_audio_features(plan, samples, n, w, out, &err);           // at p.sr
 *     mm_audio_work_free(w);  mm_audio_plan_free(plan);
 *
 * Threads: params and plans are immutable after creation and may be shared
 * by any number of threads; an mm_audio_work belongs to one thread at a
 * time. The encoder keeps a mutex-protected pool of scratch buffers (one per
 * concurrent call) that it reuses from file to file; its results never
 * depend on the thread count or on which buffers a call gets.
 *
 * Speed: the FFT, the dominant cost, processes 4 frames at once in SIMD
 * lanes, with an AVX2 path chosen at run time on x86-64 (identical results
 * to the baseline path). One 5 s clip at 22.05 kHz takes about 1.5 ms of
 * one core; at 44.1 kHz about 1 ms more for libsoxr.
 *
 * Cost: linear in the clip's length (decode, resampling, one FFT per hop of
 * samples, memory of the decoded clip plus n_mels floats per frame).
 */
#ifndef MMFUSE_AUDIO_H
#define MMFUSE_AUDIO_H

#include "mmfuse/core.h"
#include "mmfuse/fileenc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Longest clip decode accepts by default when duration is 0 (whole file). */
#define MM_AUDIO_MAX_SECONDS 1800.0
/* Native sample rates outside this range are rejected as corrupt. */
#define MM_AUDIO_MIN_RATE 1000
#define MM_AUDIO_MAX_RATE 768000

/* ------------------------------------------------------------------ params */

typedef enum mm_audio_pool {
    MM_AUDIO_POOL_MEAN_STD = 0, /* means then standard deviations (article)  */
    MM_AUDIO_POOL_MEAN          /* means only                                */
} mm_audio_pool;

typedef struct mm_audio_params {
    int sr;              /* target sample rate, Hz                   22050   */
    double offset;       /* seconds skipped at the start                 0   */
    double duration;     /* seconds read; 0 = whole file                10   */
    int n_mfcc;          /* coefficients kept                           13   */
    int n_mels;          /* mel bands                                  128   */
    int n_fft;           /* FFT / frame length, a power of two        2048   */
    int hop_length;      /* samples between frames                     512   */
    double fmin;         /* lowest mel edge, Hz                          0   */
    double fmax;         /* highest mel edge, Hz; 0 = sr / 2             0   */
    int delta_width;     /* odd, >= 3                                    9   */
    mm_audio_pool pooling; /*                            MM_AUDIO_POOL_MEAN_STD */
    bool extra_stats;    /* append rms/zcr/centroid/bandwidth/rolloff false  */
    double max_duration; /* cap in seconds when duration is 0      1800      */
} mm_audio_params;

MM_API mm_audio_params mm_audio_params_default(void);

/* Validates without working: 1000 <= sr <= 768000, offset >= 0,
 * duration >= 0, n_fft a power of two in [16, 65536], 1 <= hop <= n_fft,
 * 1 <= n_mfcc <= n_mels <= 1024, 0 <= fmin < fmax <= sr/2 (fmax resolved),
 * delta_width odd >= 3, max_duration > 0. MM_EINVAL naming the field. */
MM_API mm_status mm_audio_params_check(const mm_audio_params *p, mm_error *err);

/* Length of the vector the params produce: 3 * n_mfcc * (2 for mean+std,
 * 1 for mean) + 10 with extra_stats. 78 for the defaults. */
MM_API size_t mm_audio_params_dim(const mm_audio_params *p);

/* Canonical JSON of every parameter that changes the output (fmax resolved,
 * numbers printed with %.17g independent of the locale), e.g.
 * {"kind":"mfcc","version":1,"sr":22050,...}. MM_EINVAL when it does not
 * fit in size bytes (1024 always suffices). */
MM_API mm_status mm_audio_params_to_json(const mm_audio_params *p, char *buf, size_t size,
                                         mm_error *err);
/* Parses such JSON (or any object with a subset of its keys; missing keys
 * keep their defaults) into *p and checks it. Unknown keys are MM_EINVAL. */
MM_API mm_status mm_audio_params_from_json(const char *json, mm_audio_params *p, mm_error *err);

/* ------------------------------------------------------------ decode/load */

/* Decodes a file to mono float samples at its native rate.
 *   offset, duration: seconds as in librosa.load (duration 0 = to the end);
 *   max_seconds: a file (or the part after offset, when duration is 0)
 *     longer than this is MM_EFORMAT "longer than N s"; duration > 0 reads at
 *     most that much and never fails for length.
 *   *samples: malloc'd, caller frees (non-NULL even when *n == 0).
 *   *sr_native: the file's sample rate.
 * Errors (message starts with the path): MM_EIO missing / unreadable file or
 * a directory; MM_EFORMAT empty file, unknown or corrupt format, sample rate
 * outside [MM_AUDIO_MIN_RATE, MM_AUDIO_MAX_RATE], offset past the end, read
 * error; MM_ENOMEM. */
MM_API mm_status mm_audio_decode(const char *path, double offset, double duration,
                                 double max_seconds, float **samples, size_t *n, int *sr_native,
                                 mm_error *err);

/* Resamples mono float samples from in_rate to out_rate exactly as
 * librosa.resample(res_type='soxr_hq') (see "Loading" above). *y is
 * malloc'd (caller frees), *n_out = ceil(n * out_rate / in_rate). Equal
 * rates copy. MM_EINVAL for rates <= 0, MM_ENOMEM, MM_ENUMERIC when libsoxr
 * reports an error. */
MM_API mm_status mm_audio_resample(const float *x, size_t n, int in_rate, int out_rate, float **y,
                                   size_t *n_out, mm_error *err);

/* decode + resample: librosa.load(path, sr=sr, offset=offset,
 * duration=duration or None, mono=True). sr <= 0 keeps the native rate.
 * max_seconds is MM_AUDIO_MAX_SECONDS. Same errors as both calls. */
MM_API mm_status mm_audio_load(const char *path, int sr, double offset, double duration,
                               float **samples, size_t *n, mm_error *err);

/* --------------------------------------------------------------- analysis */

/* Everything the params fix: window, FFT tables, mel filterbank, DCT
 * matrix. Immutable; share it between threads. */
typedef struct mm_audio_plan mm_audio_plan;

MM_API mm_status mm_audio_plan_new(const mm_audio_params *p, mm_audio_plan **out, mm_error *err);
MM_API void mm_audio_plan_free(mm_audio_plan *plan);
MM_API const mm_audio_params *mm_audio_plan_params(const mm_audio_plan *plan);
/* Frames of a clip of n samples: 1 + n / hop_length. */
MM_API size_t mm_audio_n_frames(const mm_audio_plan *plan, size_t n);

/* Reusable scratch memory of the analysis calls. It grows (allocates) only
 * when a call needs more than it holds, never per frame; keep one per
 * thread and reuse it across clips. */
typedef struct mm_audio_work mm_audio_work;

MM_API mm_audio_work *mm_audio_work_new(void);
MM_API void mm_audio_work_free(mm_audio_work *w);
/* Grows w for clips of up to n samples (optional: the calls below do it). */
MM_API mm_status mm_audio_work_reserve(mm_audio_work *w, const mm_audio_plan *plan, size_t n,
                                       mm_error *err);

/* MFCCs of y[0..n) (at the plan's sr): out is n_mfcc x T, row-major
 * (out[q * T + t]), T = mm_audio_n_frames(plan, n). MM_ENUMERIC when a
 * sample is not finite, MM_ENOMEM. */
MM_API mm_status mm_audio_mfcc(const mm_audio_plan *plan, const float *y, size_t n,
                               mm_audio_work *w, float *out, mm_error *err);

/* The 5 extra per-frame statistics of y: out is 5 x T row-major, rows rms,
 * zcr, centroid, bandwidth, rolloff (definitions above). */
MM_API mm_status mm_audio_frame_stats(const mm_audio_plan *plan, const float *y, size_t n,
                                      mm_audio_work *w, float *out, mm_error *err);

/* librosa.feature.delta(x, width, order, axis=-1, mode='interp') on each of
 * the rows of x (rows x T, row-major) into out (same shape, may not alias).
 * order is 1 or 2, width odd >= 3; MM_EINVAL otherwise; MM_EFORMAT
 * "too short (T frames, need width)" when T < width. Computed in double. */
MM_API mm_status mm_audio_delta(const float *x, size_t rows, size_t T, int width, int order,
                                float *out, mm_error *err);

/* The pooled feature vector of y (out has mm_audio_params_dim values).
 * MM_EFORMAT "too short (N frames, need W)", MM_ENUMERIC, MM_ENOMEM. */
MM_API mm_status mm_audio_features(const mm_audio_plan *plan, const float *y, size_t n,
                                   mm_audio_work *w, float *out, mm_error *err);

/* ---------------------------------------------------------------- encoder */

/* The per-file encoder (include/mmfuse/fileenc.h): kind "mfcc", modality
 * MM_MOD_AUDIO, dim = mm_audio_params_dim(p), config =
 * mm_audio_params_to_json(p). Its encode is mm_audio_decode (max_seconds =
 * p->max_duration) + mm_audio_resample + mm_audio_features; thread-safe; any
 * failure returns a non-OK status whose message starts with the path and
 * leaves out[] unspecified. MM_EINVAL for bad params. */
MM_API mm_status mm_audio_encoder_new(const mm_audio_params *p, mm_file_encoder **out,
                                      mm_error *err);

#ifdef __cplusplus
}
#endif
#endif /* MMFUSE_AUDIO_H */
