/* Pieces shared by the model file's container and tensors (model_file.c)
 * and its pipeline header JSON (model_header.c). */
#ifndef MM_PIPELINE_MODEL_FILE_H
#define MM_PIPELINE_MODEL_FILE_H

#include "pipeline/internal.h"

#include <cjson/cJSON.h>

typedef struct mm_mf_loader {
    const mm_st_file *f; /* NULL when only a header is checked */
    const char *path;    /* the file's name in messages         */
    mm_error *err;
    bool *used;          /* per tensor of f: consumed by the loader */
} mm_mf_loader;

/* MM_EFORMAT, "<path>: invalid model file: <message>". */
mm_status mm_mf_bad(mm_mf_loader *L, const char *fmt, ...) MM_PRINTF(2, 3);
/* An error from a part's constructor (scaler, PCA, tf-idf, logistic
 * regression, encoder config: MM_EINVAL for bad values) becomes
 * MM_EFORMAT, prefixed with the path and `what`; MM_ENOMEM and
 * MM_EUNSUPPORTED pass through. */
mm_status mm_mf_corrupt(mm_mf_loader *L, mm_status st, const char *what);

/* The pipeline header of m as JSON text (cJSON_free it), format version
 * MM_MODEL_FORMAT_VERSION. */
char *mm_mf_header_json(const mm_pipeline *m);
/* Parses json[0..len) (one JSON value, whitespace after it allowed). */
mm_status mm_mf_header_parse(mm_mf_loader *L, const char *json, size_t len, cJSON **out);
/* format_version alone, read first so that a newer file is reported as
 * such (MM_EUNSUPPORTED above MM_MODEL_FORMAT_VERSION). */
mm_status mm_mf_header_version(mm_mf_loader *L, const cJSON *h, int *version);
/* Everything that can be checked from the header alone (model_header.c);
 * fills *p with the parameters and *version. */
mm_status mm_mf_header_check(mm_mf_loader *L, const cJSON *h, mm_pipeline_params *p, int *version);

/* Accessors for a header that passed mm_mf_header_check. */
static inline const cJSON *mm_mf_get(const cJSON *o, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(o, key);
}
static inline const char *mm_mf_str(const cJSON *o, const char *key) { return mm_mf_get(o, key)->valuestring; }
static inline bool mm_mf_bool(const cJSON *o, const char *key) { return cJSON_IsTrue(mm_mf_get(o, key)); }
static inline double mm_mf_num(const cJSON *o, const char *key) { return mm_mf_get(o, key)->valuedouble; }
static inline size_t mm_mf_size(const cJSON *o, const char *key) { return (size_t)mm_mf_get(o, key)->valuedouble; }
static inline size_t mm_mf_len(const cJSON *o, const char *key)
{
    return (size_t)cJSON_GetArraySize(mm_mf_get(o, key));
}

#endif
