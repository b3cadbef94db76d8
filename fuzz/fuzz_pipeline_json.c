/* libFuzzer target: the pipeline JSON of a model file, checked as the
 * loader checks it before reading any tensor (mm_pl_header_check: schema,
 * ranges, the columns against the encoders, blocks against encoders and
 * parameters, models against the fusion).
 *
 * Each input is checked twice and must give the same status and message
 * (no state, no uninitialized reads); a rejection names the input and is
 * MM_EFORMAT or MM_EUNSUPPORTED; an accepted header must still be
 * accepted after cJSON re-prints it, compact and indented (the checks do
 * not depend on spacing or number spelling). Any broken invariant aborts
 * (reported as a crash). */
#include "pipeline/internal.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Inputs the checks accepted (the smoke test reads it). */
static size_t fuzz_json_accepted;

static void fuzz_json_reprinted(char *text)
{
    if (!text) abort();
    mm_error err = {0};
    if (mm_pl_header_check(text, strlen(text), "reprinted.json", &err) != MM_OK) {
        fprintf(stderr, "fuzz_pipeline_json: accepted, but not once re-printed: %s\n", err.msg);
        abort();
    }
    cJSON_free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *json = size ? (const char *)data : "";
    mm_error e1 = {0}, e2 = {0};
    mm_status s1 = mm_pl_header_check(json, size, "fuzz.json", &e1);
    mm_status s2 = mm_pl_header_check(json, size, "fuzz.json", &e2);
    if (s1 != s2 || strcmp(e1.msg, e2.msg) != 0) abort();
    if (s1 != MM_OK) {
        if (s1 != MM_EFORMAT && s1 != MM_EUNSUPPORTED && s1 != MM_ENOMEM) abort();
        if (s1 != MM_ENOMEM && strncmp(e1.msg, "fuzz.json", 9) != 0) {
            fprintf(stderr, "fuzz_pipeline_json: message does not name the input: %s\n", e1.msg);
            abort();
        }
        return 0;
    }
    fuzz_json_accepted++;
    cJSON *j = cJSON_ParseWithLength(json, size);
    if (!j) abort();
    fuzz_json_reprinted(cJSON_PrintUnformatted(j));
    fuzz_json_reprinted(cJSON_Print(j));
    cJSON_Delete(j);
    return 0;
}
