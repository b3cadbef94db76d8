/* Audio feature parameters: defaults, validation, canonical JSON. */
#include "audio/audio_internal.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* Bumped whenever the numbers an unchanged configuration produces change,
 * so that cached vectors keyed by the JSON are not reused. */
#define MM_AUDIO_FEATURE_VERSION 1

mm_audio_params mm_audio_params_default(void)
{
    mm_audio_params p;
    memset(&p, 0, sizeof p);
    p.sr = 22050;
    p.offset = 0.0;
    p.duration = 10.0;
    p.n_mfcc = 13;
    p.n_mels = 128;
    p.n_fft = 2048;
    p.hop_length = 512;
    p.fmin = 0.0;
    p.fmax = 0.0;
    p.delta_width = 9;
    p.pooling = MM_AUDIO_POOL_MEAN_STD;
    p.extra_stats = false;
    p.max_duration = MM_AUDIO_MAX_SECONDS;
    return p;
}

static double resolved_fmax(const mm_audio_params *p)
{
    return p->fmax > 0.0 ? p->fmax : (double)p->sr / 2.0;
}

mm_status mm_audio_params_check(const mm_audio_params *p, mm_error *err)
{
    if (!p) return mm_error_set(err, MM_EINVAL, "audio params: NULL");
    if (p->sr < MM_AUDIO_MIN_RATE || p->sr > MM_AUDIO_MAX_RATE)
        return mm_error_set(err, MM_EINVAL, "audio params: sr %d outside [%d, %d]", p->sr,
                            MM_AUDIO_MIN_RATE, MM_AUDIO_MAX_RATE);
    if (!(p->offset >= 0.0) || !isfinite(p->offset))
        return mm_error_set(err, MM_EINVAL, "audio params: offset %g must be >= 0", p->offset);
    if (!(p->duration >= 0.0) || !isfinite(p->duration))
        return mm_error_set(err, MM_EINVAL, "audio params: duration %g must be >= 0 (0 = whole file)",
                            p->duration);
    if (!(p->max_duration > 0.0) || !isfinite(p->max_duration))
        return mm_error_set(err, MM_EINVAL, "audio params: max_duration %g must be > 0",
                            p->max_duration);
    if (p->n_fft < 16 || p->n_fft > 65536 || (p->n_fft & (p->n_fft - 1)) != 0)
        return mm_error_set(err, MM_EINVAL,
                            "audio params: n_fft %d must be a power of two in [16, 65536]", p->n_fft);
    if (p->hop_length < 1 || p->hop_length > p->n_fft)
        return mm_error_set(err, MM_EINVAL, "audio params: hop_length %d outside [1, n_fft]",
                            p->hop_length);
    if (p->n_mels < 1 || p->n_mels > 1024)
        return mm_error_set(err, MM_EINVAL, "audio params: n_mels %d outside [1, 1024]", p->n_mels);
    if (p->n_mfcc < 1 || p->n_mfcc > p->n_mels)
        return mm_error_set(err, MM_EINVAL, "audio params: n_mfcc %d outside [1, n_mels = %d]",
                            p->n_mfcc, p->n_mels);
    double fmax = resolved_fmax(p);
    if (!(p->fmin >= 0.0) || !isfinite(p->fmin) || !(fmax > p->fmin) || !isfinite(p->fmax) ||
        fmax > (double)p->sr / 2.0)
        return mm_error_set(err, MM_EINVAL,
                            "audio params: need 0 <= fmin (%g) < fmax (%g) <= sr/2 (%g)", p->fmin,
                            fmax, (double)p->sr / 2.0);
    if (p->delta_width < 3 || p->delta_width % 2 == 0)
        return mm_error_set(err, MM_EINVAL, "audio params: delta_width %d must be odd and >= 3",
                            p->delta_width);
    if (p->pooling != MM_AUDIO_POOL_MEAN_STD && p->pooling != MM_AUDIO_POOL_MEAN)
        return mm_error_set(err, MM_EINVAL, "audio params: unknown pooling %d", (int)p->pooling);
    return MM_OK;
}

size_t mm_audio_params_dim(const mm_audio_params *p)
{
    size_t per = p->pooling == MM_AUDIO_POOL_MEAN ? 1 : 2;
    size_t n = 3 * (size_t)(p->n_mfcc > 0 ? p->n_mfcc : 0) * per;
    return n + (p->extra_stats ? 5 * per : 0);
}

/* %.17g with '.' whatever the locale's decimal separator. */
static void fmt_double(char *buf, size_t size, double v)
{
    snprintf(buf, size, "%.17g", v);
    for (char *c = buf; *c; c++)
        if (*c == ',') *c = '.';
}

mm_status mm_audio_params_to_json(const mm_audio_params *p, char *buf, size_t size, mm_error *err)
{
    mm_status st = mm_audio_params_check(p, err);
    if (st) return st;
    char off[40], dur[40], maxd[40], fmin[40], fmax[40];
    fmt_double(off, sizeof off, p->offset);
    fmt_double(dur, sizeof dur, p->duration);
    fmt_double(maxd, sizeof maxd, p->max_duration);
    fmt_double(fmin, sizeof fmin, p->fmin);
    fmt_double(fmax, sizeof fmax, resolved_fmax(p));
    int n = snprintf(buf, size,
                     "{\"kind\":\"mfcc\",\"version\":%d,\"sr\":%d,\"offset\":%s,\"duration\":%s,"
                     "\"max_duration\":%s,\"resample\":\"soxr_hq\",\"n_mfcc\":%d,\"n_mels\":%d,"
                     "\"n_fft\":%d,\"hop_length\":%d,\"fmin\":%s,\"fmax\":%s,\"delta_width\":%d,"
                     "\"pooling\":\"%s\",\"extra_stats\":%s}",
                     MM_AUDIO_FEATURE_VERSION, p->sr, off, dur, maxd, p->n_mfcc, p->n_mels, p->n_fft,
                     p->hop_length, fmin, fmax, p->delta_width,
                     p->pooling == MM_AUDIO_POOL_MEAN ? "mean" : "mean_std",
                     p->extra_stats ? "true" : "false");
    if (n < 0 || (size_t)n >= size)
        return mm_error_set(err, MM_EINVAL, "audio params: JSON needs %d bytes, buffer has %zu", n,
                            size);
    return MM_OK;
}

static mm_status get_int(const cJSON *item, int *out, mm_error *err)
{
    if (!cJSON_IsNumber(item) || item->valuedouble != floor(item->valuedouble) ||
        fabs(item->valuedouble) > 2147483647.0)
        return mm_error_set(err, MM_EINVAL, "audio params: \"%s\" must be an integer", item->string);
    *out = (int)item->valuedouble;
    return MM_OK;
}

static mm_status get_num(const cJSON *item, double *out, mm_error *err)
{
    if (!cJSON_IsNumber(item))
        return mm_error_set(err, MM_EINVAL, "audio params: \"%s\" must be a number", item->string);
    *out = item->valuedouble;
    return MM_OK;
}

static mm_status set_key(mm_audio_params *p, const cJSON *it, mm_error *err)
{
    const char *k = it->string;
    if (!strcmp(k, "kind")) {
        if (!cJSON_IsString(it) || strcmp(it->valuestring, "mfcc") != 0)
            return mm_error_set(err, MM_EINVAL, "audio params: \"kind\" must be \"mfcc\"");
        return MM_OK;
    }
    if (!strcmp(k, "version")) {
        int v = 0;
        mm_status st = get_int(it, &v, err);
        if (st) return st;
        if (v != MM_AUDIO_FEATURE_VERSION)
            return mm_error_set(err, MM_EUNSUPPORTED,
                                "audio params: feature version %d (this build computes version %d)",
                                v, MM_AUDIO_FEATURE_VERSION);
        return MM_OK;
    }
    if (!strcmp(k, "resample")) {
        if (!cJSON_IsString(it) || strcmp(it->valuestring, "soxr_hq") != 0)
            return mm_error_set(err, MM_EINVAL, "audio params: \"resample\" must be \"soxr_hq\"");
        return MM_OK;
    }
    if (!strcmp(k, "sr")) return get_int(it, &p->sr, err);
    if (!strcmp(k, "offset")) return get_num(it, &p->offset, err);
    if (!strcmp(k, "duration")) return get_num(it, &p->duration, err);
    if (!strcmp(k, "max_duration")) return get_num(it, &p->max_duration, err);
    if (!strcmp(k, "n_mfcc")) return get_int(it, &p->n_mfcc, err);
    if (!strcmp(k, "n_mels")) return get_int(it, &p->n_mels, err);
    if (!strcmp(k, "n_fft")) return get_int(it, &p->n_fft, err);
    if (!strcmp(k, "hop_length")) return get_int(it, &p->hop_length, err);
    if (!strcmp(k, "fmin")) return get_num(it, &p->fmin, err);
    if (!strcmp(k, "fmax")) return get_num(it, &p->fmax, err);
    if (!strcmp(k, "delta_width")) return get_int(it, &p->delta_width, err);
    if (!strcmp(k, "pooling")) {
        if (cJSON_IsString(it) && !strcmp(it->valuestring, "mean_std")) p->pooling = MM_AUDIO_POOL_MEAN_STD;
        else if (cJSON_IsString(it) && !strcmp(it->valuestring, "mean")) p->pooling = MM_AUDIO_POOL_MEAN;
        else return mm_error_set(err, MM_EINVAL, "audio params: \"pooling\" must be \"mean_std\" or \"mean\"");
        return MM_OK;
    }
    if (!strcmp(k, "extra_stats")) {
        if (!cJSON_IsBool(it))
            return mm_error_set(err, MM_EINVAL, "audio params: \"extra_stats\" must be true or false");
        p->extra_stats = cJSON_IsTrue(it);
        return MM_OK;
    }
    return mm_error_set(err, MM_EINVAL, "audio params: unknown key \"%s\"", k);
}

mm_status mm_audio_params_from_json(const char *json, mm_audio_params *p, mm_error *err)
{
    if (!json || !p) return mm_error_set(err, MM_EINVAL, "audio params: NULL argument");
    mm_audio_params q = mm_audio_params_default();
    cJSON *root = cJSON_Parse(json);
    if (!root || !cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return mm_error_set(err, MM_EINVAL, "audio params: not a JSON object");
    }
    mm_status st = MM_OK;
    for (const cJSON *it = root->child; it && st == MM_OK; it = it->next) st = set_key(&q, it, err);
    cJSON_Delete(root);
    if (st) return st;
    st = mm_audio_params_check(&q, err);
    if (st) return st;
    *p = q;
    return MM_OK;
}
