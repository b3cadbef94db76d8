/* Which per-file encoder serves which column role, built from the JSON
 * configs kept in the pipeline parameters (and in model files):
 *   audio  "mfcc" (src/audio): mm_audio_params as JSON (audio.h), "" = the
 *          article's defaults (22,050 Hz, 10 s, 13 MFCCs + deltas, mean+std);
 *   image  "image-handcrafted" (src/image): {"size":64, "features":
 *          ["color_hist","hog","lbp","stats","thumb"], "dct_scaling":true,
 *          "exif_orientation":false}, "" = defaults (every feature set). */
#include "pipeline/internal.h"

#include "mmfuse/audio.h"
#include "mmfuse/image.h"

#include <cjson/cJSON.h>
#include <string.h>

bool mm_file_encoder_available(mm_role role)
{
    return role == MM_ROLE_AUDIO || role == MM_ROLE_IMAGE;
}

static mm_status image_params_from_json(const char *json, mm_image_params *p, mm_error *err)
{
    *p = mm_image_params_default();
    if (!json || !*json) return MM_OK;
    cJSON *j = cJSON_Parse(json);
    if (!j || !cJSON_IsObject(j)) {
        cJSON_Delete(j);
        return mm_error_set(err, MM_EINVAL, "image encoder config is not a JSON object: %.200s", json);
    }
    mm_status st = MM_OK;
    for (const cJSON *e = j->child; e && !st; e = e->next) {
        if (strcmp(e->string, "size") == 0 && cJSON_IsNumber(e) && e->valuedouble >= 8 && e->valuedouble <= 4096) {
            p->size = (size_t)e->valuedouble;
        } else if (strcmp(e->string, "dct_scaling") == 0 && cJSON_IsBool(e)) {
            p->dct_scaling = cJSON_IsTrue(e);
        } else if (strcmp(e->string, "exif_orientation") == 0 && cJSON_IsBool(e)) {
            p->exif_orientation = cJSON_IsTrue(e);
        } else if (strcmp(e->string, "features") == 0 && cJSON_IsArray(e)) {
            p->color_hist = p->hog = p->lbp = p->stats = p->thumb = false;
            for (const cJSON *f = e->child; f && !st; f = f->next) {
                const char *v = cJSON_IsString(f) ? f->valuestring : "";
                if (strcmp(v, "color_hist") == 0) p->color_hist = true;
                else if (strcmp(v, "hog") == 0) p->hog = true;
                else if (strcmp(v, "lbp") == 0) p->lbp = true;
                else if (strcmp(v, "stats") == 0) p->stats = true;
                else if (strcmp(v, "thumb") == 0) p->thumb = true;
                else
                    st = mm_error_set(err, MM_EINVAL,
                                      "image features: unknown set '%s' (use color_hist, hog, lbp, stats, thumb)", v);
            }
        } else {
            st = mm_error_set(err, MM_EINVAL, "image encoder config: bad or unknown key '%s'", e->string);
        }
    }
    cJSON_Delete(j);
    return st ? st : mm_image_params_check(p, err);
}

mm_status mm_file_encoder_create(mm_role role, const char *config, mm_file_encoder **out, mm_error *err)
{
    *out = NULL;
    if (role == MM_ROLE_AUDIO) {
        mm_audio_params p = mm_audio_params_default();
        mm_status st = config && *config ? mm_audio_params_from_json(config, &p, err) : MM_OK;
        return st ? st : mm_audio_encoder_new(&p, out, err);
    }
    if (role == MM_ROLE_IMAGE) {
        mm_image_params p;
        mm_status st = image_params_from_json(config, &p, err);
        return st ? st : mm_image_encoder_new(&p, out, err);
    }
    return mm_error_set(err, MM_EUNSUPPORTED, "no %s encoder in this build", mm_role_name(role));
}
