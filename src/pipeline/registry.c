/* Which per-file encoder serves which column role, built from the JSON
 * configs kept in the pipeline parameters (and in model files):
 *   audio  "mfcc" (src/audio): mm_audio_params as JSON (audio.h), "" = the
 *          article's defaults (22,050 Hz, 10 s, 13 MFCCs + deltas, mean+std);
 *   image  "image-handcrafted" (src/image): mm_image_params as JSON
 *          (image.h; e.g. {"size":64,"features":["hog","lbp"]}), "" =
 *          defaults (every feature set);
 *          "image-cnn" (src/nn) when the JSON has an "encoder" key:
 *          mm_cnn_params as JSON (nn.h; {"encoder":"resnet18","weights":...}). */
#include "pipeline/internal.h"

#include "mmfuse/audio.h"
#include "mmfuse/image.h"
#include "mmfuse/nn.h"

#include <cjson/cJSON.h>

#include <string.h>

bool mm_file_encoder_available(mm_role role)
{
    return role == MM_ROLE_AUDIO || role == MM_ROLE_IMAGE;
}

mm_status mm_file_encoder_create(mm_role role, const char *config, mm_file_encoder **out, mm_error *err)
{
    *out = NULL;
    if (role == MM_ROLE_AUDIO) {
        mm_audio_params p = mm_audio_params_default();
        mm_status st = config && *config ? mm_audio_params_from_json(config, &p, err) : MM_OK;
        return st ? st : mm_audio_encoder_new(&p, out, err);
    }
    if (role == MM_ROLE_IMAGE && config && *config) {
        cJSON *j = cJSON_Parse(config);
        bool cnn = j && cJSON_GetObjectItemCaseSensitive(j, "encoder") != NULL;
        cJSON_Delete(j);
        if (cnn) {
            mm_cnn_params p;
            mm_status st = mm_cnn_params_from_json(config, &p, err);
            return st ? st : mm_cnn_encoder_new(&p, out, err);
        }
    }
    if (role == MM_ROLE_IMAGE) {
        mm_image_params p = mm_image_params_default();
        mm_status st = config && *config ? mm_image_params_from_json(config, &p, err) : MM_OK;
        return st ? st : mm_image_encoder_new(&p, out, err);
    }
    return mm_error_set(err, MM_EUNSUPPORTED, "no %s encoder in this build", mm_role_name(role));
}

mm_status mm_file_encoder_check(mm_role role, const char *config, mm_error *err)
{
    if (!mm_file_encoder_available(role))
        return mm_error_set(err, MM_EUNSUPPORTED, "no %s encoder in this build", mm_role_name(role));
    if (!config || !*config) return MM_OK;
    mm_status st;
    if (role == MM_ROLE_AUDIO) {
        mm_audio_params p = mm_audio_params_default();
        st = mm_audio_params_from_json(config, &p, err);
        if (!st) st = mm_audio_params_check(&p, err);
    } else {
        cJSON *j = cJSON_Parse(config);
        bool cnn = j && cJSON_GetObjectItemCaseSensitive(j, "encoder") != NULL;
        cJSON_Delete(j);
        if (cnn) {
            mm_cnn_params p;
            st = mm_cnn_params_from_json(config, &p, err);
        } else {
            mm_image_params p = mm_image_params_default();
            st = mm_image_params_from_json(config, &p, err);
            if (!st) st = mm_image_params_check(&p, err);
        }
    }
    if (st) mm_error_prefix(err, "%s encoder settings", mm_role_name(role));
    return st;
}
