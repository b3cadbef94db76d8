/* mmfuse extract: the encoded feature blocks as a numpy-loadable matrix plus
 * a JSON sidecar naming each block's column range. */
#include "cli/cli.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

/* FEATURES.npy -> FEATURES.json (or PATH.json when PATH has no .npy). */
static char *sidecar_path(const char *npy)
{
    size_t n = strlen(npy);
    char *p = malloc(n + 6);
    if (!p) return NULL;
    memcpy(p, npy, n + 1);
    if (n > 4 && strcmp(p + n - 4, ".npy") == 0) p[n - 4] = '\0';
    strcat(p, ".json");
    return p;
}

static void copy_block(const mm_block *b, float *dst, size_t stride, size_t col0)
{
    for (size_t i = 0; i < b->rows; i++) {
        float *row = dst + i * stride + col0;
        if (b->sparse) {
            for (int64_t k = b->csr.indptr[i]; k < b->csr.indptr[i + 1]; k++) row[b->csr.indices[k]] = b->csr.data[k];
        } else {
            memcpy(row, mm_mat_row(&b->dense, i), b->dim * sizeof(float));
        }
    }
}

int mm_cmd_extract(mm_cli *c)
{
    if (c->n_positional != 1 || !c->output) {
        fprintf(stderr, "mmfuse extract: need DATA.csv and -o FEATURES.npy\n");
        mm_cli_usage(stderr, "extract");
        return MM_EXIT_USAGE;
    }
    mm_table *t = NULL;
    mm_schema *s = NULL;
    int rc = mm_cli_read_table(c, c->positional[0], &t);
    if (!rc && mm_table_rows(t) == 0) {
        /* without rows no column has values to infer a role from or to encode */
        fprintf(stderr, "mmfuse: %s: the file has a header but no data rows; nothing to extract\n",
                c->positional[0]);
        rc = MM_EXIT_DATA;
    }
    /* the target is optional here; when given, it is kept out of the features */
    if (!rc) rc = mm_cli_schema(c, t, &s);
    if (rc) {
        mm_table_free(t);
        return rc;
    }
    mm_block *blocks = NULL;
    size_t nb = 0;
    mm_data_report rep = {0};
    mm_error err = {0};
    mm_status st = mm_pipeline_extract(&c->eval.pipeline, s, t, c->scale, &blocks, &nb, &rep, &err);
    float *data = NULL;
    char *side = NULL, *json = NULL;
    if (st) {
        rc = mm_cli_fail(st, &err);
        goto done;
    }
    mm_cli_report(c, &rep, "extraction");
    long only = -1;
    if (c->block) {
        for (size_t b = 0; b < nb; b++)
            if (strcmp(blocks[b].name, c->block) == 0) only = (long)b;
        if (only < 0) {
            fprintf(stderr, "mmfuse extract: no block named '%s'; blocks are:", c->block);
            for (size_t b = 0; b < nb; b++) fprintf(stderr, " %s", blocks[b].name);
            fprintf(stderr, "\n");
            rc = MM_EXIT_USAGE;
            goto done;
        }
    }
    size_t n = mm_table_rows(t), total = 0;
    for (size_t b = 0; b < nb; b++)
        if (only < 0 || (long)b == only) total += blocks[b].dim;
    data = mm_calloc_array(n * total + 1, sizeof *data);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "source", c->positional[0]);
    cJSON_AddNumberToObject(j, "rows", (double)n);
    cJSON_AddNumberToObject(j, "cols", (double)total);
    cJSON_AddStringToObject(j, "dtype", "float32");
    cJSON_AddBoolToObject(j, "scaled", c->scale);
    cJSON *arr = cJSON_AddArrayToObject(j, "blocks");
    size_t col0 = 0;
    for (size_t b = 0; b < nb && data; b++) {
        if (only >= 0 && (long)b != only) continue;
        copy_block(&blocks[b], data, total, col0);
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "name", blocks[b].name);
        cJSON_AddStringToObject(e, "modality", mm_modality_name(blocks[b].modality));
        cJSON_AddNumberToObject(e, "start", (double)col0);
        cJSON_AddNumberToObject(e, "end", (double)(col0 + blocks[b].dim));
        cJSON_AddNumberToObject(e, "present_rows", (double)mm_block_count_present(&blocks[b]));
        cJSON_AddBoolToObject(e, "present_column", blocks[b].present_column);
        cJSON_AddItemToArray(arr, e);
        col0 += blocks[b].dim;
    }
    json = cJSON_Print(j);
    cJSON_Delete(j);
    side = sidecar_path(c->output);
    if (!data || !json || !side) {
        rc = mm_cli_fail(mm_error_set(&err, MM_ENOMEM, "out of memory (%zu x %zu features)", n, total), &err);
        goto done;
    }
    st = mm_npy_write_f32(c->output, data, n, total, &err);
    if (!st) st = mm_write_file_atomic(side, json, strlen(json), &err);
    if (st) rc = mm_cli_fail(st, &err);
    else if (!c->quiet)
        fprintf(stderr, "mmfuse: wrote %zu x %zu features to %s (block layout in %s)\n", n, total, c->output, side);
done:
    free(data);
    free(side);
    cJSON_free(json);
    mm_blocks_free(blocks, nb);
    mm_schema_free(s);
    mm_table_free(t);
    return rc;
}
