/*
 * image/params_json.c — the canonical JSON of mm_image_params (the file
 * encoder's config string and cache key) and its parser.
 *
 * Canonical form, keys in this order, disabled feature sets absent:
 *   {"kind":"image-handcrafted","version":1,"size":64,
 *    "color_hist":{"bins":[8,4,4]},
 *    "hog":{"orientations":9,"cell":16,"block":2},
 *    "lbp":{"points":8,"radius":1,"grid":2},"stats":true,"thumb":8,
 *    "dct_scaling":true,"exif_orientation":false}
 * The parser also takes the short form {"features":["hog","lbp"], ...}.
 */
#include "image/image_internal.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>

/* Bumped whenever the numbers an unchanged configuration produces change,
 * so that vectors cached under the old JSON are not reused. */
#define MM_IMAGE_FEATURE_VERSION 1

mm_status mm_image_params_to_json(const mm_image_params *p, char *buf, size_t size, mm_error *err)
{
    mm_status st = mm_image_params_check(p, err);
    if (st != MM_OK) return st;
    if (!buf || size == 0) return mm_error_set(err, MM_EINVAL, "image params JSON: no buffer");
    char tmp[1024];
    size_t n = 0;
    int k = snprintf(tmp, sizeof tmp, "{\"kind\":\"image-handcrafted\",\"version\":%d,\"size\":%zu",
                     MM_IMAGE_FEATURE_VERSION, p->size);
    n += (size_t)k;
    if (p->color_hist)
        n += (size_t)snprintf(tmp + n, sizeof tmp - n, ",\"color_hist\":{\"bins\":[%d,%d,%d]}",
                              p->hist_bins[0], p->hist_bins[1], p->hist_bins[2]);
    if (p->hog)
        n += (size_t)snprintf(tmp + n, sizeof tmp - n,
                              ",\"hog\":{\"orientations\":%d,\"cell\":%d,\"block\":%d}",
                              p->hog_orientations, p->hog_cell, p->hog_block);
    if (p->lbp)
        n += (size_t)snprintf(tmp + n, sizeof tmp - n,
                              ",\"lbp\":{\"points\":%d,\"radius\":%.17g,\"grid\":%d}",
                              p->lbp_points, p->lbp_radius, p->lbp_grid);
    if (p->stats) n += (size_t)snprintf(tmp + n, sizeof tmp - n, ",\"stats\":true");
    if (p->thumb) n += (size_t)snprintf(tmp + n, sizeof tmp - n, ",\"thumb\":%d", p->thumb_size);
    n +=
        (size_t)snprintf(tmp + n, sizeof tmp - n, ",\"dct_scaling\":%s,\"exif_orientation\":%s}",
                         p->dct_scaling ? "true" : "false", p->exif_orientation ? "true" : "false");
    if (n >= size)
        return mm_error_set(err, MM_EINVAL, "image params JSON needs %zu bytes, buffer has %zu",
                            n + 1, size);
    memcpy(buf, tmp, n + 1);
    return MM_OK;
}

static bool get_int(const cJSON *o, const char *key, int lo, int hi, int *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v) return true; /* keep the default */
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < lo ||
        v->valuedouble > hi)
        return false;
    *out = (int)v->valuedouble;
    return true;
}

static bool only_keys(const cJSON *o, const char *const *keys, size_t n, const char **bad)
{
    for (const cJSON *e = o->child; e; e = e->next) {
        bool ok = false;
        for (size_t i = 0; i < n; i++) ok |= strcmp(e->string, keys[i]) == 0;
        if (!ok) {
            *bad = e->string;
            return false;
        }
    }
    return true;
}

mm_status mm_image_params_from_json(const char *json, mm_image_params *p, mm_error *err)
{
    if (!p) return mm_error_set(err, MM_EINVAL, "image params JSON: NULL params");
    *p = mm_image_params_default();
    if (!json || !*json) return MM_OK;
    cJSON *j = cJSON_Parse(json);
    if (!j || !cJSON_IsObject(j)) {
        cJSON_Delete(j);
        return mm_error_set(err, MM_EINVAL, "image params: not a JSON object: %.200s", json);
    }
    mm_status st = MM_OK;
    /* naming any feature set (or a "features" list) enables exactly those */
    static const char *const sets[5] = {"color_hist", "hog", "lbp", "stats", "thumb"};
    bool any = cJSON_GetObjectItemCaseSensitive(j, "features") != NULL;
    for (int i = 0; i < 5; i++) any |= cJSON_GetObjectItemCaseSensitive(j, sets[i]) != NULL;
    if (any) p->color_hist = p->hog = p->lbp = p->stats = p->thumb = false;
    for (const cJSON *e = j->child; e && st == MM_OK; e = e->next) {
        const char *k = e->string, *bad = NULL;
        if (!strcmp(k, "kind")) {
            if (!cJSON_IsString(e) || strcmp(e->valuestring, "image-handcrafted") != 0)
                st = mm_error_set(err, MM_EINVAL,
                                  "image params: kind must be \"image-handcrafted\"");
        } else if (!strcmp(k, "version")) {
            if (!cJSON_IsNumber(e) || e->valuedouble != MM_IMAGE_FEATURE_VERSION)
                st = mm_error_set(err, MM_EINVAL,
                                  "image params: version %g is not this build's feature version %d",
                                  cJSON_IsNumber(e) ? e->valuedouble : -1.0,
                                  MM_IMAGE_FEATURE_VERSION);
        } else if (!strcmp(k, "size")) {
            if (!cJSON_IsNumber(e) || e->valuedouble != floor(e->valuedouble) ||
                e->valuedouble < 8 || e->valuedouble > 4096)
                st = mm_error_set(err, MM_EINVAL, "image params: size must be an integer 8..4096");
            else
                p->size = (size_t)e->valuedouble;
        } else if (!strcmp(k, "dct_scaling") || !strcmp(k, "exif_orientation")) {
            if (!cJSON_IsBool(e))
                st = mm_error_set(err, MM_EINVAL, "image params: %s must be a boolean", k);
            else if (!strcmp(k, "dct_scaling"))
                p->dct_scaling = cJSON_IsTrue(e);
            else
                p->exif_orientation = cJSON_IsTrue(e);
        } else if (!strcmp(k, "features")) {
            if (!cJSON_IsArray(e))
                st = mm_error_set(err, MM_EINVAL, "image params: features must be a list");
            for (const cJSON *f = e->child; f && st == MM_OK; f = f->next) {
                const char *v = cJSON_IsString(f) ? f->valuestring : "";
                if (!strcmp(v, "color_hist"))
                    p->color_hist = true;
                else if (!strcmp(v, "hog"))
                    p->hog = true;
                else if (!strcmp(v, "lbp"))
                    p->lbp = true;
                else if (!strcmp(v, "stats"))
                    p->stats = true;
                else if (!strcmp(v, "thumb"))
                    p->thumb = true;
                else
                    st = mm_error_set(err, MM_EINVAL,
                                      "image params: unknown feature set '%s' (color_hist, hog, "
                                      "lbp, stats, thumb)",
                                      v);
            }
        } else if (!strcmp(k, "color_hist")) {
            static const char *const keys[1] = {"bins"};
            p->color_hist = cJSON_IsObject(e) || cJSON_IsTrue(e);
            if (cJSON_IsObject(e)) {
                const cJSON *b = cJSON_GetObjectItemCaseSensitive(e, "bins");
                if (!only_keys(e, keys, 1, &bad))
                    st = mm_error_set(err, MM_EINVAL, "image params: color_hist.%s unknown", bad);
                else if (b && (!cJSON_IsArray(b) || cJSON_GetArraySize(b) != 3))
                    st = mm_error_set(err, MM_EINVAL,
                                      "image params: color_hist.bins needs 3 integers");
                for (int i = 0; b && st == MM_OK && i < 3; i++) {
                    const cJSON *v = cJSON_GetArrayItem(b, i);
                    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) ||
                        v->valuedouble < 1 || v->valuedouble > 64)
                        st = mm_error_set(err, MM_EINVAL,
                                          "image params: color_hist.bins[%d] must be 1..64", i);
                    else
                        p->hist_bins[i] = (int)v->valuedouble;
                }
            } else if (!cJSON_IsBool(e)) {
                st = mm_error_set(err, MM_EINVAL,
                                  "image params: color_hist must be an object or a boolean");
            }
        } else if (!strcmp(k, "hog")) {
            static const char *const keys[3] = {"orientations", "cell", "block"};
            p->hog = cJSON_IsObject(e) || cJSON_IsTrue(e);
            if (cJSON_IsObject(e)) {
                if (!only_keys(e, keys, 3, &bad))
                    st = mm_error_set(err, MM_EINVAL, "image params: hog.%s unknown", bad);
                else if (!get_int(e, "orientations", 1, 180, &p->hog_orientations) ||
                         !get_int(e, "cell", 1, 4096, &p->hog_cell) ||
                         !get_int(e, "block", 1, 4096, &p->hog_block))
                    st = mm_error_set(err, MM_EINVAL, "image params: bad hog value");
            } else if (!cJSON_IsBool(e)) {
                st = mm_error_set(err, MM_EINVAL,
                                  "image params: hog must be an object or a boolean");
            }
        } else if (!strcmp(k, "lbp")) {
            static const char *const keys[3] = {"points", "radius", "grid"};
            p->lbp = cJSON_IsObject(e) || cJSON_IsTrue(e);
            if (cJSON_IsObject(e)) {
                const cJSON *r = cJSON_GetObjectItemCaseSensitive(e, "radius");
                if (!only_keys(e, keys, 3, &bad))
                    st = mm_error_set(err, MM_EINVAL, "image params: lbp.%s unknown", bad);
                else if (!get_int(e, "points", 1, 32, &p->lbp_points) ||
                         !get_int(e, "grid", 1, 4096, &p->lbp_grid) || (r && !cJSON_IsNumber(r)))
                    st = mm_error_set(err, MM_EINVAL, "image params: bad lbp value");
                else if (r)
                    p->lbp_radius = r->valuedouble;
            } else if (!cJSON_IsBool(e)) {
                st = mm_error_set(err, MM_EINVAL,
                                  "image params: lbp must be an object or a boolean");
            }
        } else if (!strcmp(k, "stats")) {
            if (!cJSON_IsBool(e))
                st = mm_error_set(err, MM_EINVAL, "image params: stats must be a boolean");
            else
                p->stats = cJSON_IsTrue(e);
        } else if (!strcmp(k, "thumb")) {
            if (cJSON_IsBool(e)) {
                p->thumb = cJSON_IsTrue(e);
            } else if (cJSON_IsNumber(e) && e->valuedouble == floor(e->valuedouble) &&
                       e->valuedouble >= 1 && e->valuedouble <= 4096) {
                p->thumb = true;
                p->thumb_size = (int)e->valuedouble;
            } else {
                st =
                    mm_error_set(err, MM_EINVAL, "image params: thumb must be a size or a boolean");
            }
        } else {
            st = mm_error_set(err, MM_EINVAL, "image params: unknown key '%s'", k);
        }
    }
    cJSON_Delete(j);
    return st != MM_OK ? st : mm_image_params_check(p, err);
}
