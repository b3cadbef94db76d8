/* The model file (.mmf): a safetensors container (io.h) holding
 *
 *   __metadata__:
 *     "format"          "mmfuse-model"
 *     "mmfuse.header"   JSON: format_version, library_version, target,
 *                       classes, n_train, columns [{name, role, group}],
 *                       params, tabular [{name, numeric [{name, indicator}],
 *                       categorical [{name, n}]}], text [{column, n_terms}],
 *                       files [{column, role, kind, config, dim}],
 *                       blocks [{name, modality, dim, encoded_dim, missing,
 *                       flag, scaled}], models {early, late_weights, stacker,
 *                       single [bool per block]}
 *     "mmfuse.checksum" xxHash64 of the tensor data, 16 hex digits
 *   tensors (F64 unless noted):
 *     prior [K]
 *     tabular.<g>.num_mean [n_num]        (g: the tabular block / group)
 *     tabular.<g>.cat.<j>  U8: the sorted categories, each NUL-terminated
 *     text.<j>.terms   U8: the vocabulary in column order, NUL-terminated
 *     text.<j>.idf     [n_terms]
 *     block.<b>.mean, block.<b>.scale [dim]        (when scaled)
 *     block.<b>.missing_mean [encoded dim]         (missing strategy "mean")
 *     block.<b>.pca_mean / pca_components / pca_variance  (--balance-dim)
 *     late.weights [n_blocks]                      (late:weighted)
 *     model.stacker.coef / .intercept              (late:stacked; dim =
 *                                                   n_blocks x (K + 1))
 *     model.early.coef [rows, dim], model.early.intercept [rows]
 *     model.single.<b>.coef / .intercept
 *   (rows = 1 for a binary model, K otherwise)
 *
 * Loading checks the container (io), the checksum, the format version and
 * that every array has exactly the size the header implies, before any
 * object is built from it. */
#include "pipeline/internal.h"
#include "io/guard.h"

#include "mmfuse/decomp.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MODEL_FORMAT_VERSION 1

/* ------------------------------------------------------------------ save */

static mm_status add_f64(mm_st_writer *w, const char *name, const double *v, size_t n, mm_error *err)
{
    size_t shape[1] = {n};
    return mm_st_writer_add(w, name, MM_DTYPE_F64, shape, 1, v, err);
}

static mm_status add_f64_2d(mm_st_writer *w, const char *name, const double *v, size_t r, size_t c,
                            mm_error *err)
{
    size_t shape[2] = {r, c};
    return mm_st_writer_add(w, name, MM_DTYPE_F64, shape, 2, v, err);
}

/* Strings as one U8 tensor of NUL-terminated entries. */
static mm_status add_strings(mm_st_writer *w, const char *name, const char *const *s, size_t n,
                             mm_error *err)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++) total += strlen(s[i]) + 1;
    char *buf = malloc(total ? total : 1);
    if (!buf) return mm_error_set(err, MM_ENOMEM, "out of memory");
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(s[i]) + 1;
        memcpy(buf + at, s[i], len);
        at += len;
    }
    size_t shape[1] = {total};
    mm_status st = mm_st_writer_add(w, name, MM_DTYPE_U8, shape, 1, buf, err);
    free(buf);
    return st;
}

static mm_status add_model(mm_st_writer *w, const char *prefix, const mm_logreg *lr, mm_error *err)
{
    char name[96];
    snprintf(name, sizeof name, "%s.coef", prefix);
    mm_status st = add_f64_2d(w, name, mm_logreg_coef(lr), mm_logreg_coef_rows(lr), mm_logreg_dim(lr), err);
    if (st) return st;
    snprintf(name, sizeof name, "%s.intercept", prefix);
    return add_f64(w, name, mm_logreg_intercept(lr), mm_logreg_coef_rows(lr), err);
}

static cJSON *params_json(const mm_pipeline_params *p)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *tf = cJSON_AddObjectToObject(o, "tfidf");
    cJSON_AddBoolToObject(tf, "lowercase", p->tfidf.lowercase);
    cJSON_AddBoolToObject(tf, "stop_words_english", p->tfidf.stop_words_english);
    cJSON_AddNumberToObject(tf, "ngram_lo", p->tfidf.ngram_lo);
    cJSON_AddNumberToObject(tf, "ngram_hi", p->tfidf.ngram_hi);
    cJSON_AddNumberToObject(tf, "min_df", p->tfidf.min_df);
    cJSON_AddNumberToObject(tf, "max_df", p->tfidf.max_df);
    cJSON_AddBoolToObject(tf, "min_df_is_fraction", p->tfidf.min_df_is_fraction);
    cJSON_AddBoolToObject(tf, "max_df_is_fraction", p->tfidf.max_df_is_fraction);
    cJSON_AddNumberToObject(tf, "max_features", (double)p->tfidf.max_features);
    cJSON_AddBoolToObject(tf, "sublinear_tf", p->tfidf.sublinear_tf);
    cJSON_AddBoolToObject(tf, "use_idf", p->tfidf.use_idf);
    cJSON_AddBoolToObject(tf, "smooth_idf", p->tfidf.smooth_idf);
    cJSON_AddNumberToObject(tf, "norm", p->tfidf.norm);
    cJSON_AddStringToObject(o, "categorical", p->categorical == MM_CAT_ONEHOT ? "onehot" : "ordinal");
    cJSON_AddBoolToObject(o, "missing_indicator", p->missing_indicator);
    cJSON_AddBoolToObject(o, "scale_blocks", p->scale_blocks);
    cJSON *lr = cJSON_AddObjectToObject(o, "logreg");
    cJSON_AddNumberToObject(lr, "C", p->logreg.C);
    cJSON_AddNumberToObject(lr, "max_iter", p->logreg.max_iter);
    cJSON_AddNumberToObject(lr, "tol", p->logreg.tol);
    cJSON_AddBoolToObject(lr, "fit_intercept", p->logreg.fit_intercept);
    cJSON_AddBoolToObject(o, "balanced", p->balanced);
    cJSON_AddStringToObject(o, "fusion", mm_fusion_name(p->fusion));
    cJSON_AddStringToObject(o, "single", p->single);
    cJSON_AddNumberToObject(o, "seed", p->seed);
    cJSON_AddStringToObject(o, "missing", mm_missing_name(p->missing));
    cJSON_AddStringToObject(o, "missing_per_block", p->missing_per_block);
    cJSON_AddStringToObject(o, "late_weights", p->late_weights);
    cJSON_AddNumberToObject(o, "inner_folds", (double)p->inner_folds);
    cJSON_AddNumberToObject(o, "balance_dim", (double)p->balance_dim);
    cJSON_AddStringToObject(o, "audio_config", p->audio_config);
    cJSON_AddStringToObject(o, "image_config", p->image_config);
    return o;
}

static char *header_json(const mm_pipeline *m)
{
    cJSON *h = cJSON_CreateObject();
    cJSON_AddNumberToObject(h, "format_version", MODEL_FORMAT_VERSION);
    cJSON_AddStringToObject(h, "library_version", MM_VERSION_STRING);
    cJSON_AddStringToObject(h, "target", m->target_name);
    cJSON *cl = cJSON_AddArrayToObject(h, "classes");
    for (size_t k = 0; k < m->n_classes; k++) cJSON_AddItemToArray(cl, cJSON_CreateString(m->classes[k]));
    cJSON_AddNumberToObject(h, "n_train", (double)m->n_train);
    cJSON *cols = cJSON_AddArrayToObject(h, "columns");
    for (size_t j = 0; j < m->n_cols; j++) {
        cJSON *c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "name", m->col_names[j]);
        cJSON_AddStringToObject(c, "role", mm_role_name(m->col_roles[j]));
        cJSON_AddItemToArray(cols, c);
    }
    cJSON_AddItemToObject(h, "params", params_json(&m->params));
    cJSON *tabs = cJSON_AddArrayToObject(h, "tabular");
    for (size_t g = 0; g < m->n_tab; g++) {
        const mm_tab_enc *e = &m->tabs[g];
        cJSON *tab = cJSON_CreateObject();
        cJSON_AddStringToObject(tab, "name", e->name);
        cJSON *num = cJSON_AddArrayToObject(tab, "numeric");
        for (size_t j = 0; j < e->n_num; j++) {
            cJSON *c = cJSON_CreateObject();
            cJSON_AddStringToObject(c, "name", e->num_names[j]);
            cJSON_AddBoolToObject(c, "indicator", e->num_indicator[j]);
            cJSON_AddItemToArray(num, c);
        }
        cJSON *cat = cJSON_AddArrayToObject(tab, "categorical");
        for (size_t j = 0; j < e->n_cat; j++) {
            cJSON *c = cJSON_CreateObject();
            cJSON_AddStringToObject(c, "name", e->cat_names[j]);
            cJSON_AddNumberToObject(c, "n", (double)e->n_cats[j]);
            cJSON_AddItemToArray(cat, c);
        }
        cJSON_AddItemToArray(tabs, tab);
    }
    cJSON *text = cJSON_AddArrayToObject(h, "text");
    for (size_t j = 0; j < m->n_text; j++) {
        cJSON *c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "column", m->text[j].column);
        cJSON_AddNumberToObject(c, "n_terms", (double)mm_tfidf_n_terms(m->text[j].tfidf));
        cJSON_AddItemToArray(text, c);
    }
    cJSON *files = cJSON_AddArrayToObject(h, "files");
    for (size_t j = 0; j < m->n_file; j++) {
        cJSON *c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "column", m->files[j].column);
        cJSON_AddStringToObject(c, "role", mm_role_name(m->files[j].role));
        cJSON_AddStringToObject(c, "kind", m->files[j].enc->kind);
        cJSON_AddStringToObject(c, "config", m->files[j].enc->config);
        cJSON_AddNumberToObject(c, "dim", (double)m->files[j].enc->dim);
        cJSON_AddItemToArray(files, c);
    }
    cJSON *blocks = cJSON_AddArrayToObject(h, "blocks");
    cJSON *models = cJSON_AddObjectToObject(h, "models");
    cJSON_AddBoolToObject(models, "early", m->early != NULL);
    cJSON_AddBoolToObject(models, "late_weights", m->late_w != NULL);
    cJSON_AddBoolToObject(models, "stacker", m->meta != NULL);
    cJSON *single = cJSON_AddArrayToObject(models, "single");
    for (size_t b = 0; b < m->n_blocks; b++) {
        cJSON *c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "name", m->blocks[b].name);
        cJSON_AddStringToObject(c, "modality", mm_modality_name(m->blocks[b].modality));
        cJSON_AddNumberToObject(c, "dim", (double)m->blocks[b].dim);
        cJSON_AddNumberToObject(c, "encoded_dim", (double)m->blocks[b].miss.dim_in);
        cJSON_AddStringToObject(c, "missing", mm_missing_name(m->blocks[b].miss.strategy));
        cJSON_AddBoolToObject(c, "flag", m->blocks[b].miss.flag);
        cJSON_AddBoolToObject(c, "scaled", m->blocks[b].scaler != NULL);
        cJSON_AddNumberToObject(c, "pca", m->blocks[b].pca ? (double)mm_pca_n_components(m->blocks[b].pca) : 0.0);
        cJSON_AddItemToArray(blocks, c);
        cJSON_AddItemToArray(single, cJSON_CreateBool(m->single && m->single[b]));
    }
    char *s = cJSON_PrintUnformatted(h);
    cJSON_Delete(h);
    return s;
}

mm_status mm_pipeline_save(const mm_pipeline *m, const char *path, mm_error *err)
{
    mm_st_writer *w;
    mm_status st = mm_st_writer_new(&w, err);
    if (st) return st;
    char name[96];
    st = add_f64(w, "prior", m->prior, m->n_classes, err);
    for (size_t g = 0; g < m->n_tab && !st; g++) {
        const mm_tab_enc *e = &m->tabs[g];
        snprintf(name, sizeof name, "tabular.%zu.num_mean", g);
        st = add_f64(w, name, e->num_mean, e->n_num, err);
        for (size_t j = 0; j < e->n_cat && !st; j++) {
            snprintf(name, sizeof name, "tabular.%zu.cat.%zu", g, j);
            st = add_strings(w, name, (const char *const *)e->cats[j], e->n_cats[j], err);
        }
    }
    for (size_t j = 0; j < m->n_text && !st; j++) {
        size_t nt = mm_tfidf_n_terms(m->text[j].tfidf);
        const char **terms = mm_alloc_array(nt + 1, sizeof *terms);
        double *idf = mm_alloc_array(nt + 1, sizeof *idf);
        if (!terms || !idf) st = mm_error_set(err, MM_ENOMEM, "out of memory");
        for (size_t k = 0; k < nt && !st; k++) {
            terms[k] = mm_tfidf_term(m->text[j].tfidf, k);
            idf[k] = mm_tfidf_idf(m->text[j].tfidf, k);
        }
        snprintf(name, sizeof name, "text.%zu.terms", j);
        if (!st) st = add_strings(w, name, terms, nt, err);
        snprintf(name, sizeof name, "text.%zu.idf", j);
        if (!st) st = add_f64(w, name, idf, nt, err);
        free(terms);
        free(idf);
    }
    if (!st && m->late_w) st = add_f64(w, "late.weights", m->late_w, m->n_blocks, err);
    if (!st && m->meta) st = add_model(w, "model.stacker", m->meta, err);
    for (size_t b = 0; b < m->n_blocks && !st; b++) {
        const mm_scaler *sc = m->blocks[b].scaler;
        if (m->blocks[b].miss.mean) {
            size_t d = m->blocks[b].miss.dim_in;
            double *mean = mm_alloc_array(d + 1, sizeof *mean);
            if (!mean) st = mm_error_set(err, MM_ENOMEM, "out of memory");
            for (size_t j = 0; j < d && !st; j++) mean[j] = m->blocks[b].miss.mean[j];
            snprintf(name, sizeof name, "block.%zu.missing_mean", b);
            if (!st) st = add_f64(w, name, mean, d, err);
            free(mean);
            if (st) break;
        }
        if (sc) {
            snprintf(name, sizeof name, "block.%zu.mean", b);
            st = add_f64(w, name, mm_scaler_mean(sc), mm_scaler_dim(sc), err);
            snprintf(name, sizeof name, "block.%zu.scale", b);
            if (!st) st = add_f64(w, name, mm_scaler_scale(sc), mm_scaler_dim(sc), err);
        }
        const mm_pca *pca = m->blocks[b].pca;
        if (!st && pca) {
            size_t k = mm_pca_n_components(pca), d = mm_pca_dim(pca);
            snprintf(name, sizeof name, "block.%zu.pca_mean", b);
            st = add_f64(w, name, mm_pca_mean(pca), d, err);
            snprintf(name, sizeof name, "block.%zu.pca_components", b);
            if (!st) st = add_f64_2d(w, name, mm_pca_components(pca), k, d, err);
            snprintf(name, sizeof name, "block.%zu.pca_variance", b);
            if (!st) st = add_f64(w, name, mm_pca_explained_variance(pca), k, err);
        }
        if (!st && m->single && m->single[b]) {
            snprintf(name, sizeof name, "model.single.%zu", b);
            st = add_model(w, name, m->single[b], err);
        }
    }
    if (!st && m->early) st = add_model(w, "model.early", m->early, err);
    char *header = st ? NULL : header_json(m);
    if (!st && !header) st = mm_error_set(err, MM_ENOMEM, "out of memory");
    char hash[32];
    snprintf(hash, sizeof hash, "%016" PRIx64, mm_st_writer_data_hash(w));
    if (!st) st = mm_st_writer_meta(w, "format", "mmfuse-model", err);
    if (!st) st = mm_st_writer_meta(w, "mmfuse.header", header, err);
    if (!st) st = mm_st_writer_meta(w, "mmfuse.checksum", hash, err);
    if (!st) st = mm_st_writer_save(w, path, err);
    cJSON_free(header);
    mm_st_writer_free(w);
    return st;
}

/* ------------------------------------------------------------------ load */

typedef struct loader {
    const mm_st_file *f;
    const char *path;
    mm_error *err;
} loader;

static mm_status bad(loader *L, const char *what)
{
    return mm_error_set(L->err, MM_EFORMAT, "%s: invalid model file: %s", L->path, what);
}

static const cJSON *get(const cJSON *o, const char *key, int type_mask)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return v && (v->type & type_mask) ? v : NULL;
}

static bool get_size(const cJSON *o, const char *key, size_t limit, size_t *out)
{
    const cJSON *v = get(o, key, cJSON_Number);
    if (!v || v->valuedouble < 0 || v->valuedouble > (double)limit || v->valuedouble != (double)(size_t)v->valuedouble)
        return false;
    *out = (size_t)v->valuedouble;
    return true;
}

static bool get_bool(const cJSON *o, const char *key, bool *out)
{
    const cJSON *v = get(o, key, cJSON_True | cJSON_False);
    if (!v) return false;
    *out = cJSON_IsTrue(v);
    return true;
}

static bool get_num(const cJSON *o, const char *key, double *out)
{
    const cJSON *v = get(o, key, cJSON_Number);
    if (!v) return false;
    *out = v->valuedouble;
    return true;
}

static char *dup_str(const cJSON *o, const char *key)
{
    const cJSON *v = get(o, key, cJSON_String);
    return v ? strdup(v->valuestring) : NULL;
}

/* Reads an F64 tensor of exactly n values into a new array. */
static mm_status read_f64(loader *L, const char *name, size_t n, double **out)
{
    *out = mm_alloc_array(n + 1, sizeof **out);
    if (!*out) return mm_error_set(L->err, MM_ENOMEM, "out of memory");
    mm_status st = mm_st_read_f64(L->f, name, *out, n, L->err);
    if (st) {
        free(*out);
        *out = NULL;
        mm_error_prefix(L->err, "%s", L->path);
    }
    return st;
}

/* Splits a U8 tensor of NUL-terminated strings into exactly n strdup'd strings. */
static mm_status read_strings(loader *L, const char *name, size_t n, char ***out)
{
    const mm_st_tensor *t = mm_st_find(L->f, name);
    char msg[160];
    if (!t || t->dtype != MM_DTYPE_U8 || t->ndim != 1) {
        snprintf(msg, sizeof msg, "tensor '%s' missing or not U8", name);
        return bad(L, msg);
    }
    char **s = calloc(n + 1, sizeof *s);
    if (!s) return mm_error_set(L->err, MM_ENOMEM, "out of memory");
    const char *p = t->data, *end = p + t->nbytes;
    size_t k = 0;
    while (p < end && k < n) {
        const char *z = memchr(p, '\0', (size_t)(end - p));
        if (!z) break;
        s[k] = strdup(p);
        if (!s[k]) {
            mm_classes_free(s, k);
            return mm_error_set(L->err, MM_ENOMEM, "out of memory");
        }
        k++;
        p = z + 1;
    }
    if (k != n || p != end) {
        mm_classes_free(s, k);
        snprintf(msg, sizeof msg, "tensor '%s' does not hold %zu strings", name, n);
        return bad(L, msg);
    }
    *out = s;
    return MM_OK;
}

static mm_status load_model(loader *L, const char *prefix, size_t K, size_t dim, mm_logreg **out)
{
    char name[96];
    size_t rows = K == 2 ? 1 : K;
    size_t n;
    if (!mm_size_mul(rows, dim, &n)) return bad(L, "model too large");
    double *coef = NULL, *icpt = NULL;
    snprintf(name, sizeof name, "%s.coef", prefix);
    mm_status st = read_f64(L, name, n, &coef);
    snprintf(name, sizeof name, "%s.intercept", prefix);
    if (!st) st = read_f64(L, name, rows, &icpt);
    if (!st) st = mm_logreg_from_parts(K, dim, coef, icpt, out, L->err);
    free(coef);
    free(icpt);
    return st;
}

static mm_status parse_params(loader *L, const cJSON *o, mm_pipeline_params *p)
{
    *p = mm_pipeline_params_default();
    const cJSON *tf = get(o, "tfidf", cJSON_Object), *lr = get(o, "logreg", cJSON_Object);
    double norm = 0, ngl = 0, ngh = 0, mi = 0, seed = 0;
    size_t mf = 0;
    const cJSON *cat = get(o, "categorical", cJSON_String), *fusion = get(o, "fusion", cJSON_String);
    const cJSON *single = get(o, "single", cJSON_String);
    bool ok = tf && lr && cat && fusion && single && get_bool(tf, "lowercase", &p->tfidf.lowercase) &&
              get_bool(tf, "stop_words_english", &p->tfidf.stop_words_english) &&
              get_num(tf, "ngram_lo", &ngl) && get_num(tf, "ngram_hi", &ngh) &&
              get_num(tf, "min_df", &p->tfidf.min_df) && get_num(tf, "max_df", &p->tfidf.max_df) &&
              get_bool(tf, "min_df_is_fraction", &p->tfidf.min_df_is_fraction) &&
              get_bool(tf, "max_df_is_fraction", &p->tfidf.max_df_is_fraction) &&
              get_size(tf, "max_features", SIZE_MAX / 2, &mf) && get_bool(tf, "sublinear_tf", &p->tfidf.sublinear_tf) &&
              get_bool(tf, "use_idf", &p->tfidf.use_idf) && get_bool(tf, "smooth_idf", &p->tfidf.smooth_idf) &&
              get_num(tf, "norm", &norm) && get_bool(o, "missing_indicator", &p->missing_indicator) &&
              get_bool(o, "scale_blocks", &p->scale_blocks) && get_num(lr, "C", &p->logreg.C) &&
              get_num(lr, "max_iter", &mi) && get_num(lr, "tol", &p->logreg.tol) &&
              get_bool(lr, "fit_intercept", &p->logreg.fit_intercept) && get_bool(o, "balanced", &p->balanced) &&
              get_num(o, "seed", &seed);
    if (!ok || norm < 0 || norm > 2 || ngl < 1 || ngh < ngl || ngh > 64) return bad(L, "bad or missing params");
    p->tfidf.norm = (mm_norm)(int)norm;
    p->tfidf.ngram_lo = (int)ngl;
    p->tfidf.ngram_hi = (int)ngh;
    p->tfidf.max_features = mf;
    p->logreg.max_iter = (int)mi;
    p->seed = (uint32_t)seed;
    p->categorical = strcmp(cat->valuestring, "ordinal") == 0 ? MM_CAT_ORDINAL : MM_CAT_ONEHOT;
    bool known = false;
    for (int f = MM_FUSION_EARLY; f <= MM_FUSION_LATE_STACKED && !known; f++)
        if (strcmp(fusion->valuestring, mm_fusion_name((mm_fusion)f)) == 0) {
            p->fusion = (mm_fusion)f;
            known = true;
        }
    if (!known) return bad(L, "unknown fusion");
    const cJSON *mi_s = get(o, "missing", cJSON_String), *mpb = get(o, "missing_per_block", cJSON_String);
    const cJSON *lw = get(o, "late_weights", cJSON_String);
    size_t inner;
    int miss = mi_s ? mm_missing_parse(mi_s->valuestring) : -1;
    if (miss < 0 || !mpb || !lw || !get_size(o, "inner_folds", 1000, &inner) ||
        !get_size(o, "balance_dim", 1u << 30, &p->balance_dim) ||
        strlen(mpb->valuestring) >= sizeof p->missing_per_block || strlen(lw->valuestring) >= sizeof p->late_weights)
        return bad(L, "bad missing-modality or late-fusion params");
    p->missing = (mm_missing)miss;
    p->inner_folds = inner;
    snprintf(p->missing_per_block, sizeof p->missing_per_block, "%s", mpb->valuestring);
    snprintf(p->late_weights, sizeof p->late_weights, "%s", lw->valuestring);
    snprintf(p->single, sizeof p->single, "%s", single->valuestring);
    const cJSON *ac = get(o, "audio_config", cJSON_String), *ic = get(o, "image_config", cJSON_String);
    if (!ac || !ic || strlen(ac->valuestring) >= sizeof p->audio_config || strlen(ic->valuestring) >= sizeof p->image_config)
        return bad(L, "bad encoder configs");
    snprintf(p->audio_config, sizeof p->audio_config, "%s", ac->valuestring);
    snprintf(p->image_config, sizeof p->image_config, "%s", ic->valuestring);
    return MM_OK;
}

static mm_status load_tab(loader *L, mm_tab_enc *e, size_t g, mm_cat_encoding enc, const cJSON *tab)
{
    const cJSON *num = get(tab, "numeric", cJSON_Array), *cat = get(tab, "categorical", cJSON_Array);
    const cJSON *bname = get(tab, "name", cJSON_String);
    if (!num || !cat || !bname || strlen(bname->valuestring) >= sizeof e->name) return bad(L, "tabular section");
    size_t nn = (size_t)cJSON_GetArraySize(num), nc = (size_t)cJSON_GetArraySize(cat);
    mm_status st = mm_tab_init(e, nn, nc, enc, L->err);
    if (st) return st;
    snprintf(e->name, sizeof e->name, "%s", bname->valuestring);
    for (size_t j = 0; j < nn; j++) {
        const cJSON *c = cJSON_GetArrayItem(num, (int)j);
        bool ind = false;
        e->num_names[j] = dup_str(c, "name");
        if (!e->num_names[j] || !get_bool(c, "indicator", &ind)) return bad(L, "tabular numeric column");
        e->num_indicator[j] = ind;
    }
    char name[64];
    double *mean = NULL;
    snprintf(name, sizeof name, "tabular.%zu.num_mean", g);
    st = read_f64(L, name, nn, &mean);
    if (st) return st;
    memcpy(e->num_mean, mean, nn * sizeof *mean);
    free(mean);
    for (size_t j = 0; j < nc; j++) {
        const cJSON *c = cJSON_GetArrayItem(cat, (int)j);
        size_t k;
        e->cat_names[j] = dup_str(c, "name");
        if (!e->cat_names[j] || !get_size(c, "n", 100000000, &k)) return bad(L, "tabular categorical column");
        snprintf(name, sizeof name, "tabular.%zu.cat.%zu", g, j);
        st = read_strings(L, name, k, &e->cats[j]);
        if (st) return st;
        e->n_cats[j] = k;
        for (size_t i = 1; i < k; i++)
            if (strcmp(e->cats[j][i - 1], e->cats[j][i]) >= 0) return bad(L, "categories not sorted");
    }
    mm_tab_finish(e);
    return MM_OK;
}

static mm_status load_tabular(loader *L, mm_pipeline *m, const cJSON *tabs)
{
    size_t ng = (size_t)cJSON_GetArraySize(tabs);
    if (ng > MM_XMAT_MAX_PARTS) return bad(L, "too many tabular blocks");
    m->tabs = calloc(ng + 1, sizeof *m->tabs);
    if (!m->tabs) return mm_error_set(L->err, MM_ENOMEM, "out of memory");
    for (size_t g = 0; g < ng; g++) {
        m->n_tab = g + 1;
        mm_status st = load_tab(L, &m->tabs[g], g, m->params.categorical, cJSON_GetArrayItem(tabs, (int)g));
        if (st) return st;
    }
    return MM_OK;
}

static mm_status load_text(loader *L, mm_pipeline *m, const cJSON *text)
{
    size_t nt = (size_t)cJSON_GetArraySize(text);
    m->text = calloc(nt + 1, sizeof *m->text);
    if (!m->text) return mm_error_set(L->err, MM_ENOMEM, "out of memory");
    for (size_t j = 0; j < nt; j++) {
        const cJSON *c = cJSON_GetArrayItem(text, (int)j);
        size_t n_terms;
        char *col = dup_str(c, "column");
        if (!col || !get_size(c, "n_terms", 100000000, &n_terms)) {
            free(col);
            return bad(L, "text section");
        }
        m->text[j].column = col;
        m->n_text = j + 1;
        char name[64];
        char **terms = NULL;
        double *idf = NULL;
        snprintf(name, sizeof name, "text.%zu.terms", j);
        mm_status st = read_strings(L, name, n_terms, &terms);
        snprintf(name, sizeof name, "text.%zu.idf", j);
        if (!st) st = read_f64(L, name, n_terms, &idf);
        if (!st) {
            st = mm_tfidf_from_parts(&m->params.tfidf, (const char *const *)terms, idf, n_terms,
                                     &m->text[j].tfidf, L->err);
            if (st) mm_error_prefix(L->err, "%s: text column '%s'", L->path, col);
        }
        mm_classes_free(terms, n_terms);
        free(idf);
        if (st) return st;
    }
    return MM_OK;
}

static mm_status load_files(loader *L, mm_pipeline *m, const cJSON *files)
{
    size_t nf = (size_t)cJSON_GetArraySize(files);
    m->files = calloc(nf + 1, sizeof *m->files);
    if (!m->files) return mm_error_set(L->err, MM_ENOMEM, "out of memory");
    for (size_t j = 0; j < nf; j++) {
        const cJSON *c = cJSON_GetArrayItem(files, (int)j);
        const cJSON *role = get(c, "role", cJSON_String), *kind = get(c, "kind", cJSON_String);
        const cJSON *config = get(c, "config", cJSON_String);
        size_t dim;
        int r = role ? mm_role_parse(role->valuestring) : -1;
        char *col = dup_str(c, "column");
        if (!col || !kind || !config || !get_size(c, "dim", 1u << 30, &dim) ||
            !(r == MM_ROLE_IMAGE || r == MM_ROLE_AUDIO || r == MM_ROLE_VIDEO)) {
            free(col);
            return bad(L, "file column entry");
        }
        mm_file_col *f = &m->files[j];
        f->column = col;
        f->role = (mm_role)r;
        m->n_file = j + 1;
        const char *cfg = r == MM_ROLE_AUDIO ? m->params.audio_config : r == MM_ROLE_IMAGE ? m->params.image_config : "";
        mm_status st = mm_file_encoder_create(f->role, cfg, &f->enc, L->err);
        if (st) {
            mm_error_prefix(L->err, "%s: the model needs the %s encoder for column '%s'", L->path, kind->valuestring, col);
            return st;
        }
        if (strcmp(f->enc->kind, kind->valuestring) != 0 || strcmp(f->enc->config, config->valuestring) != 0 ||
            f->enc->dim != dim)
            return mm_error_set(L->err, MM_EUNSUPPORTED,
                                "%s: column '%s' was encoded by %s %s; this build's encoder differs (%s %s)", L->path,
                                col, kind->valuestring, config->valuestring, f->enc->kind, f->enc->config);
    }
    return MM_OK;
}

static mm_status load_blocks(loader *L, mm_pipeline *m, const cJSON *blocks, const cJSON *models)
{
    size_t nb = (size_t)cJSON_GetArraySize(blocks);
    const cJSON *single = get(models, "single", cJSON_Array);
    bool early = false;
    if (nb != m->n_tab + m->n_text + m->n_file || nb == 0 || nb > MM_XMAT_MAX_PARTS || !single ||
        (size_t)cJSON_GetArraySize(single) != nb || !get_bool(models, "early", &early))
        return bad(L, "blocks do not match the encoders");
    m->blocks = calloc(nb, sizeof *m->blocks);
    m->single = calloc(nb, sizeof *m->single);
    if (!m->blocks || !m->single) return mm_error_set(L->err, MM_ENOMEM, "out of memory");
    m->n_blocks = nb;
    size_t total = 0;
    for (size_t b = 0; b < nb; b++) {
        const cJSON *c = cJSON_GetArrayItem(blocks, (int)b);
        const cJSON *name = get(c, "name", cJSON_String), *mod = get(c, "modality", cJSON_String);
        size_t dim, enc_dim, pca_k;
        bool scaled, flag;
        const cJSON *miss = get(c, "missing", cJSON_String);
        int strategy = miss ? mm_missing_parse(miss->valuestring) : -1;
        if (!name || !mod || strategy < 0 || !get_size(c, "dim", 1u << 30, &dim) ||
            !get_size(c, "encoded_dim", 1u << 30, &enc_dim) || !get_bool(c, "flag", &flag) ||
            !get_bool(c, "scaled", &scaled) || !get_size(c, "pca", 1u << 30, &pca_k) ||
            (pca_k ? pca_k != dim : enc_dim + (flag ? 1 : 0) != dim))
            return bad(L, "block entry");
        size_t first_text = m->n_tab, first_file = first_text + m->n_text, expect;
        mm_modality modality;
        if (b < first_text) {
            expect = m->tabs[b].dim;
            modality = MM_MOD_TABULAR;
        } else if (b < first_file) {
            expect = mm_tfidf_n_terms(m->text[b - first_text].tfidf);
            modality = MM_MOD_TEXT;
        } else {
            expect = m->files[b - first_file].enc->dim;
            modality = m->files[b - first_file].enc->modality;
        }
        if (enc_dim != expect) return bad(L, "block dimension does not match its encoder");
        size_t pre_dim = enc_dim + (flag ? 1 : 0); /* after the missing step, before PCA */
        mm_missing_fit *mf = &m->blocks[b].miss;
        mf->strategy = (mm_missing)strategy;
        mf->dim_in = enc_dim;
        mf->flag = flag;
        if (strategy == MM_MISSING_MEAN) {
            char mn[64];
            double *mean = NULL;
            snprintf(mn, sizeof mn, "block.%zu.missing_mean", b);
            mm_status st2 = read_f64(L, mn, enc_dim, &mean);
            if (st2) return st2;
            mf->mean = malloc((enc_dim ? enc_dim : 1) * sizeof *mf->mean);
            if (!mf->mean) {
                free(mean);
                return mm_error_set(L->err, MM_ENOMEM, "out of memory");
            }
            for (size_t j = 0; j < enc_dim; j++) mf->mean[j] = (float)mean[j];
            free(mean);
        }
        snprintf(m->blocks[b].name, sizeof m->blocks[b].name, "%s", name->valuestring);
        m->blocks[b].modality = modality;
        m->blocks[b].dim = dim;
        total += dim;
        char tn[64];
        mm_status st = MM_OK;
        if (scaled) {
            double *mean = NULL, *scale = NULL;
            snprintf(tn, sizeof tn, "block.%zu.mean", b);
            st = read_f64(L, tn, pre_dim, &mean);
            snprintf(tn, sizeof tn, "block.%zu.scale", b);
            if (!st) st = read_f64(L, tn, pre_dim, &scale);
            bool centered = m->blocks[b].modality != MM_MOD_TEXT;
            if (!st) st = mm_scaler_from_parts(pre_dim, centered, mean, NULL, scale, &m->blocks[b].scaler, L->err);
            free(mean);
            free(scale);
        }
        if (!st && pca_k) {
            double *pm = NULL, *pc = NULL, *pv = NULL;
            size_t pn = 0;
            if (!mm_size_mul(pca_k, pre_dim, &pn)) st = bad(L, "PCA too large");
            snprintf(tn, sizeof tn, "block.%zu.pca_mean", b);
            if (!st) st = read_f64(L, tn, pre_dim, &pm);
            snprintf(tn, sizeof tn, "block.%zu.pca_components", b);
            if (!st) st = read_f64(L, tn, pn, &pc);
            snprintf(tn, sizeof tn, "block.%zu.pca_variance", b);
            if (!st) st = read_f64(L, tn, pca_k, &pv);
            if (!st) st = mm_pca_from_parts(pre_dim, pca_k, pm, pc, pv, &m->blocks[b].pca, L->err);
            free(pm);
            free(pc);
            free(pv);
        }
        if (!st && cJSON_IsTrue(cJSON_GetArrayItem(single, (int)b))) {
            snprintf(tn, sizeof tn, "model.single.%zu", b);
            st = load_model(L, tn, m->n_classes, dim, &m->single[b]);
        }
        if (st) return st;
    }
    bool late_w = false, stacker = false;
    if (!get_bool(models, "late_weights", &late_w) || !get_bool(models, "stacker", &stacker))
        return bad(L, "models section");
    if (late_w) {
        mm_status st = read_f64(L, "late.weights", nb, &m->late_w);
        if (st) return st;
    }
    if (stacker) {
        mm_status st = load_model(L, "model.stacker", m->n_classes, nb * (m->n_classes + 1), &m->meta);
        if (st) return st;
    }
    if (early) return load_model(L, "model.early", m->n_classes, total, &m->early);
    return MM_OK;
}

static mm_status load_header(loader *L, mm_pipeline *m, const cJSON *h)
{
    size_t version = 0, n_train = 0;
    if (!get_size(h, "format_version", 1000, &version)) return bad(L, "no format_version");
    if (version != MODEL_FORMAT_VERSION)
        return mm_error_set(L->err, MM_EUNSUPPORTED, "%s: model format version %zu; this mmfuse reads version %d",
                            L->path, version, MODEL_FORMAT_VERSION);
    const cJSON *classes = get(h, "classes", cJSON_Array), *cols = get(h, "columns", cJSON_Array);
    const cJSON *params = get(h, "params", cJSON_Object), *tab = get(h, "tabular", cJSON_Array);
    const cJSON *text = get(h, "text", cJSON_Array), *blocks = get(h, "blocks", cJSON_Array);
    const cJSON *models = get(h, "models", cJSON_Object), *files = get(h, "files", cJSON_Array);
    m->target_name = dup_str(h, "target");
    if (!classes || !cols || !params || !tab || !text || !blocks || !models || !files || !m->target_name ||
        !get_size(h, "n_train", SIZE_MAX / 2, &n_train))
        return bad(L, "header lacks a required field");
    m->n_train = n_train;
    mm_status st = parse_params(L, params, &m->params);
    if (st) return st;
    size_t K = (size_t)cJSON_GetArraySize(classes);
    if (K < 2) return bad(L, "fewer than two classes");
    m->classes = calloc(K, sizeof *m->classes);
    if (!m->classes) return mm_error_set(L->err, MM_ENOMEM, "out of memory");
    m->n_classes = K;
    for (size_t k = 0; k < K; k++) {
        const cJSON *c = cJSON_GetArrayItem(classes, (int)k);
        if (!cJSON_IsString(c) || !(m->classes[k] = strdup(c->valuestring))) return bad(L, "class label");
    }
    size_t nc = (size_t)cJSON_GetArraySize(cols);
    m->col_names = calloc(nc + 1, sizeof *m->col_names);
    m->col_roles = calloc(nc + 1, sizeof *m->col_roles);
    if (!m->col_names || !m->col_roles) return mm_error_set(L->err, MM_ENOMEM, "out of memory");
    m->n_cols = nc;
    for (size_t j = 0; j < nc; j++) {
        const cJSON *c = cJSON_GetArrayItem(cols, (int)j);
        const cJSON *role = get(c, "role", cJSON_String);
        m->col_names[j] = dup_str(c, "name");
        int r = role ? mm_role_parse(role->valuestring) : -1;
        if (!m->col_names[j] || r < 0) return bad(L, "column entry");
        m->col_roles[j] = (mm_role)r;
    }
    st = read_f64(L, "prior", K, &m->prior);
    if (st) return st;
    if ((st = load_tabular(L, m, tab))) return st;
    if ((st = load_text(L, m, text))) return st;
    if ((st = load_files(L, m, files))) return st;
    return load_blocks(L, m, blocks, models);
}

mm_status mm_pipeline_load(const char *path, mm_pipeline **out, mm_error *err)
{
    *out = NULL;
    mm_st_file *f;
    mm_status st = mm_st_open_kind(path, MM_GUARD_MODEL, &f, err);
    if (st) return st;
    loader L = {f, path, err};
    const char *format = mm_st_meta(f, "format"), *header = mm_st_meta(f, "mmfuse.header");
    const char *sum = mm_st_meta(f, "mmfuse.checksum");
    if (!format || strcmp(format, "mmfuse-model") != 0 || !header || !sum) {
        mm_st_close(f);
        return mm_error_set(err, MM_EFORMAT, "%s: not an mmfuse model file (no mmfuse header)", path);
    }
    char hash[32];
    snprintf(hash, sizeof hash, "%016" PRIx64, mm_st_data_hash(f));
    if (strcmp(hash, sum) != 0) {
        st = mm_error_set(err, MM_EFORMAT, "%s: model file is corrupt (checksum %s, expected %.20s)", path, hash, sum);
        mm_st_close(f);
        return st;
    }
    cJSON *h = cJSON_Parse(header);
    mm_pipeline *m = mm_pipeline_alloc();
    if (!h || !m) st = h ? mm_error_set(err, MM_ENOMEM, "out of memory") : bad(&L, "header is not JSON");
    if (!st) st = load_header(&L, m, h);
    cJSON_Delete(h);
    mm_st_close(f);
    if (st) {
        mm_pipeline_free(m);
        return st;
    }
    *out = m;
    return MM_OK;
}

/* ------------------------------------------------------------------ describe */

typedef struct text_out {
    char *s;
    size_t len, cap;
    bool oom;
} text_out;

static void out_printf(text_out *o, const char *fmt, ...) MM_PRINTF(2, 3);
static void out_printf(text_out *o, const char *fmt, ...)
{
    if (o->oom) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if (o->len + (size_t)n + 1 > o->cap) {
        size_t cap = o->cap ? o->cap : 1024;
        while (cap < o->len + (size_t)n + 1) cap *= 2;
        char *p = realloc(o->s, cap);
        if (!p) {
            o->oom = true;
            return;
        }
        o->s = p;
        o->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(o->s + o->len, o->cap - o->len, fmt, ap);
    va_end(ap);
    o->len += (size_t)n;
}

char *mm_pipeline_describe(const mm_pipeline *m)
{
    text_out o = {0};
#define OUT(...) out_printf(&o, __VA_ARGS__)
    static const char *const fusion_text[] = {"early (concatenate blocks, one model)",
                                              "late (average of per-block models)", "single block",
                                              "late (weighted average of per-block models)",
                                              "late (stacked: meta model on per-block probabilities)"};
    const char *fusion = fusion_text[m->params.fusion];
    OUT("mmfuse model (format %d, mmfuse %s)\n", MODEL_FORMAT_VERSION, MM_VERSION_STRING);
    OUT("target: %s (%zu classes:", m->target_name, m->n_classes);
    for (size_t k = 0; k < m->n_classes; k++) OUT(" %s", m->classes[k]);
    OUT(")\ntrained on: %zu rows\nfusion: %s%s%s\n", m->n_train, fusion,
        m->params.fusion == MM_FUSION_SINGLE ? " " : "", m->params.fusion == MM_FUSION_SINGLE ? m->params.single : "");
    OUT("model: logistic regression (C=%g, max_iter=%d%s)\ncolumns:\n", m->params.logreg.C, m->params.logreg.max_iter,
        m->params.balanced ? ", balanced classes" : "");
    for (size_t j = 0; j < m->n_cols; j++) OUT("  %-24s %s\n", m->col_names[j], mm_role_name(m->col_roles[j]));
    size_t total = 0;
    for (size_t b = 0; b < m->n_blocks; b++) total += m->blocks[b].dim;
    OUT("blocks:\n");
    for (size_t b = 0; b < m->n_blocks; b++) {
        OUT("  %-24s %-8s %6zu features, missing: %s%s%s", m->blocks[b].name, mm_modality_name(m->blocks[b].modality),
            m->blocks[b].dim, mm_missing_name(m->blocks[b].miss.strategy), m->blocks[b].miss.flag ? " (+flag)" : "",
            m->blocks[b].scaler ? ", standardized" : "");
        if (m->blocks[b].pca) OUT(", PCA from %zu", mm_pca_dim(m->blocks[b].pca));
        if (m->late_w) OUT(", weight %.4g", m->late_w[b]);
        OUT("\n");
    }
    OUT("total features: %zu\n", total);
#undef OUT
    if (o.oom) {
        free(o.s);
        return NULL;
    }
    return o.s;
}
