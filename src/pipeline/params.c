/* Check, then run: every setting of a pipeline is validated against the
 * schema's block layout before any data is encoded, and resolved once into
 * typed per-block values (mm_pl_settings) that the fit uses. A bad setting
 * is an error naming the bad part, returned in microseconds. */
#include "pipeline/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool is_file_role(mm_role r)
{
    return (r == MM_ROLE_IMAGE || r == MM_ROLE_AUDIO || r == MM_ROLE_VIDEO) && mm_file_encoder_available(r);
}

static mm_modality file_modality(mm_role r)
{
    return r == MM_ROLE_AUDIO ? MM_MOD_AUDIO : r == MM_ROLE_VIDEO ? MM_MOD_VIDEO : MM_MOD_IMAGE;
}

mm_status mm_pl_layout_of(const mm_schema *s, mm_pl_layout *l, mm_error *err)
{
    memset(l, 0, sizeof *l);
    const char *groups[MM_XMAT_MAX_PARTS + 1];
    size_t n_groups = 0, n_text = 0, n_file = 0;
    bool ungrouped = false;
    for (size_t j = 0; j < s->n_cols; j++) {
        mm_role r = s->cols[j].role;
        if (r == MM_ROLE_NUMERIC || r == MM_ROLE_CATEGORICAL) {
            const char *g = s->cols[j].group;
            if (!g[0]) {
                ungrouped = true;
                continue;
            }
            bool seen = false;
            for (size_t k = 0; k < n_groups; k++) seen |= strcmp(groups[k], g) == 0;
            if (!seen && n_groups < MM_XMAT_MAX_PARTS) groups[n_groups++] = g;
            else if (!seen) return mm_error_set(err, MM_EUNSUPPORTED, "too many column groups");
        }
        n_text += r == MM_ROLE_TEXT;
        n_file += is_file_role(r);
    }
    if (ungrouped) {
        memmove(groups + 1, groups, n_groups * sizeof *groups);
        groups[0] = "";
        n_groups++;
    }
    size_t nb = n_groups + n_text + n_file;
    if (nb == 0)
        return mm_error_set(err, MM_EINVAL, "no feature columns: give --numeric, --categorical or --text columns");
    if (nb > MM_XMAT_MAX_PARTS)
        return mm_error_set(err, MM_EUNSUPPORTED, "%zu feature blocks; at most %d are supported", nb,
                            MM_XMAT_MAX_PARTS);
    l->n_blocks = nb;
    l->n_tab = n_groups;
    l->n_text = n_text;
    l->n_file = n_file;
    size_t b = 0;
    for (size_t g = 0; g < n_groups; g++, b++) {
        l->group[b] = groups[g];
        snprintf(l->name[b], sizeof l->name[b], "%s", groups[g][0] ? groups[g] : "tabular");
        l->modality[b] = MM_MOD_TABULAR;
    }
    for (size_t j = 0; j < s->n_cols; j++)
        if (s->cols[j].role == MM_ROLE_TEXT) {
            l->col[b] = j;
            snprintf(l->name[b], sizeof l->name[b], "text:%s", s->cols[j].name);
            l->modality[b++] = MM_MOD_TEXT;
        }
    for (size_t j = 0; j < s->n_cols; j++)
        if (is_file_role(s->cols[j].role)) {
            l->col[b] = j;
            snprintf(l->name[b], sizeof l->name[b], "%s:%s", mm_role_name(s->cols[j].role), s->cols[j].name);
            l->modality[b++] = file_modality(s->cols[j].role);
        }
    return MM_OK;
}

bool mm_pl_list_next(const char **q, const char **item, size_t *len)
{
    if (!*q || !**q) return false;
    const char *end = strchr(*q, ',');
    *item = *q;
    *len = end ? (size_t)(end - *q) : strlen(*q);
    *q += *len;
    if (**q == ',') (*q)++;
    return true;
}

/* "(blocks: a, b, c)" for messages. */
static void block_list(const mm_pl_layout *l, char *buf, size_t size)
{
    size_t at = (size_t)snprintf(buf, size, "(blocks:");
    for (size_t b = 0; b < l->n_blocks && at < size; b++)
        at += (size_t)snprintf(buf + at, size - at, "%s %s", b ? "," : "", l->name[b]);
    if (at < size) snprintf(buf + at, size - at, ")");
}

static long find_block(const mm_pl_layout *l, const char *name, size_t len)
{
    for (size_t b = 0; b < l->n_blocks; b++)
        if (strlen(l->name[b]) == len && memcmp(l->name[b], name, len) == 0) return (long)b;
    return -1;
}

/* Per-block missing strategies "name=strategy,name=strategy" (the last
 * mention of a block wins). */
static mm_status parse_missing(const mm_pl_layout *l, const char *text, mm_missing *out, mm_error *err)
{
    const char *q = text, *item;
    size_t len;
    char blocks[512];
    while (mm_pl_list_next(&q, &item, &len)) {
        const char *eq = memchr(item, '=', len);
        if (!eq || eq == item)
            return mm_error_set(err, MM_EINVAL, "missing strategy per block: '%.*s' is not BLOCK=STRATEGY",
                                (int)len, item);
        size_t nl = (size_t)(eq - item), vl = len - nl - 1;
        long b = find_block(l, item, nl);
        if (b < 0) {
            block_list(l, blocks, sizeof blocks);
            return mm_error_set(err, MM_EINVAL, "missing strategy per block: '%.*s': no block named '%.*s' %s",
                                (int)len, item, (int)nl, item, blocks);
        }
        char name[16];
        int v = -1;
        if (vl < sizeof name) {
            memcpy(name, eq + 1, vl);
            name[vl] = '\0';
            v = mm_missing_parse(name);
        }
        if (v < 0)
            return mm_error_set(err, MM_EINVAL,
                                "missing strategy per block: '%.*s': '%.*s' is not a strategy (zero, mean, flag "
                                "or remove)",
                                (int)len, item, (int)vl, eq + 1);
        out[b] = (mm_missing)v;
    }
    return MM_OK;
}

mm_status mm_pl_settings_resolve(const mm_pipeline_params *p, const mm_schema *s, mm_pl_settings *out,
                                 mm_error *err)
{
    memset(out, 0, sizeof *out);
    out->single = -1;
    mm_status st = mm_pl_layout_of(s, &out->layout, err);
    if (st) return st;
    const mm_pl_layout *l = &out->layout;
    for (size_t b = 0; b < l->n_blocks; b++) out->missing[b] = p->missing;
    if (memchr(p->missing_per_block, '\0', sizeof p->missing_per_block) == NULL)
        return mm_error_set(err, MM_EINVAL, "missing strategy per block: not terminated");
    st = parse_missing(l, p->missing_per_block, out->missing, err);
    if (st) return st;
    if (memchr(p->late_weights, '\0', sizeof p->late_weights) == NULL)
        return mm_error_set(err, MM_EINVAL, "late weights: not terminated");
    out->auto_weights = strcmp(p->late_weights, "auto") == 0;
    for (size_t b = 0; b < l->n_blocks; b++) out->weight[b] = 1.0;
    if (!out->auto_weights) {
        st = mm_pl_parse_late_weights(l, p->late_weights, out->weight, err);
        if (st) return st;
    }
    if (p->fusion == MM_FUSION_SINGLE) {
        if (memchr(p->single, '\0', sizeof p->single) == NULL || p->single[0] == '\0')
            return mm_error_set(err, MM_EINVAL, "single-block fusion needs a block name");
        out->single = find_block(l, p->single, strlen(p->single));
        if (out->single < 0) {
            char blocks[512];
            block_list(l, blocks, sizeof blocks);
            return mm_error_set(err, MM_EINVAL, "no block named '%s' %s", p->single, blocks);
        }
    }
    return MM_OK;
}

mm_status mm_pipeline_params_check(const mm_pipeline_params *p, const mm_schema *s, mm_error *err)
{
    if (!p || !s) return mm_error_set(err, MM_EINVAL, "pipeline: NULL params or schema");
    mm_status st = mm_tfidf_params_check(&p->tfidf, err);
    if (!st) st = mm_logreg_params_check(&p->logreg, err);
    if (st) return st;
    if (p->categorical != MM_CAT_ONEHOT && p->categorical != MM_CAT_ORDINAL)
        return mm_error_set(err, MM_EINVAL, "pipeline: unknown categorical encoding %d", (int)p->categorical);
    if ((unsigned)p->fusion > (unsigned)MM_FUSION_LATE_STACKED)
        return mm_error_set(err, MM_EINVAL, "pipeline: unknown fusion %d", (int)p->fusion);
    if ((unsigned)p->missing > (unsigned)MM_MISSING_REMOVE)
        return mm_error_set(err, MM_EINVAL, "pipeline: unknown missing strategy %d", (int)p->missing);
    if (p->inner_folds < 2 || p->inner_folds > 1000)
        return mm_error_set(err, MM_EINVAL, "pipeline: inner_folds must be from 2 to 1000 (got %zu)",
                            p->inner_folds);
    if (memchr(p->cache_dir, '\0', sizeof p->cache_dir) == NULL ||
        memchr(p->audio_config, '\0', sizeof p->audio_config) == NULL ||
        memchr(p->image_config, '\0', sizeof p->image_config) == NULL)
        return mm_error_set(err, MM_EINVAL, "pipeline: a text setting is not terminated");
    /* the encoder settings of the file columns this schema will encode */
    bool audio = false, image = false;
    for (size_t j = 0; j < s->n_cols; j++) {
        audio |= s->cols[j].role == MM_ROLE_AUDIO && mm_file_encoder_available(MM_ROLE_AUDIO);
        image |= s->cols[j].role == MM_ROLE_IMAGE && mm_file_encoder_available(MM_ROLE_IMAGE);
    }
    if (audio && (st = mm_file_encoder_check(MM_ROLE_AUDIO, p->audio_config, err))) return st;
    if (image && (st = mm_file_encoder_check(MM_ROLE_IMAGE, p->image_config, err))) return st;
    /* a schema without feature columns has no block settings to check; the
       fit says so after the target (whose problems, such as a file with no
       data rows, explain an empty schema better) */
    bool any = false;
    for (size_t j = 0; j < s->n_cols; j++) {
        mm_role r = s->cols[j].role;
        any |= r == MM_ROLE_NUMERIC || r == MM_ROLE_CATEGORICAL || r == MM_ROLE_TEXT || is_file_role(r);
    }
    if (!any) return MM_OK;
    mm_pl_settings set;
    return mm_pl_settings_resolve(p, s, &set, err);
}

mm_status mm_eval_params_check(const mm_eval_params *p, const mm_schema *s, mm_error *err)
{
    if (!p) return mm_error_set(err, MM_EINVAL, "evaluate: NULL params");
    if (p->n_folds < 2 || p->n_folds > 10000)
        return mm_error_set(err, MM_EINVAL, "evaluate: the number of folds must be from 2 to 10000 (got %zu)",
                            p->n_folds);
    return mm_pipeline_params_check(&p->pipeline, s, err);
}
