/* mmfuse extract: the encoded feature blocks as a numpy-loadable matrix plus
 * a JSON sidecar naming each block's column range. */
#include "cli/cli.h"

#include "io/atomic.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

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
    /* Both outputs are reserved before the work (see io/atomic.h): an
     * unwritable destination fails now, and an interrupted run leaves the
     * old files as they were. */
    mm_io_atomic npy = {.fd = -1, .slot = -1}, sidecar = {.fd = -1, .slot = -1};
    mm_error oerr = {0};
    char *side = mm_cli_sidecar_path(c->output);
    mm_status ost = side ? mm_io_atomic_open(&npy, c->output, &oerr) : mm_error_set(&oerr, MM_ENOMEM, "out of memory");
    if (!ost) ost = mm_io_atomic_open(&sidecar, side, &oerr);
    if (ost) {
        mm_io_atomic_abort(&npy);
        free(side);
        return mm_cli_fail(ost, &oerr);
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
        mm_io_atomic_abort(&npy);
        mm_io_atomic_abort(&sidecar);
        free(side);
        mm_table_free(t);
        return rc;
    }
    mm_block *blocks = NULL;
    size_t nb = 0;
    mm_data_report rep = {0};
    mm_error err = {0};
    mm_status st = mm_pipeline_extract(&c->eval.pipeline, s, t, c->scale, &blocks, &nb, &rep, &err);
    float *data = NULL;
    char *json = NULL;
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
    if (!data || !json) {
        rc = mm_cli_fail(mm_error_set(&err, MM_ENOMEM, "out of memory (%zu x %zu features)", n, total), &err);
        goto done;
    }
    st = mm_npy_write_f32(npy.tmp, data, n, total, &err);
    if (st) mm_cli_error_rename(&err, npy.tmp, c->output);
    if (!st) st = mm_io_atomic_write(&sidecar, json, strlen(json), &err);
    if (!st) st = mm_io_atomic_commit(&npy, &err);
    if (!st) st = mm_io_atomic_commit(&sidecar, &err);
    if (st) rc = mm_cli_fail(st, &err);
    else if (!c->quiet)
        fprintf(stderr, "mmfuse: wrote %zu x %zu features to %s (block layout in %s)\n", n, total, c->output, side);
done:
    mm_io_atomic_abort(&npy); /* removes what was not committed */
    mm_io_atomic_abort(&sidecar);
    free(data);
    free(side);
    cJSON_free(json);
    mm_blocks_free(blocks, nb);
    mm_schema_free(s);
    mm_table_free(t);
    return rc;
}
