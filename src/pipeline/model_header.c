/* The pipeline header of the model file (layout: model_file.c): the JSON
 * that mm_pipeline_save writes, and the checks mm_pipeline_load makes of
 * it before it reads any tensor.
 *
 * Schema: every object has exactly its fields (below, F_*), each of its
 * kind; a missing, unknown or repeated field is an error naming its path
 * ("blocks[2].encoded_dim"). Integers are JSON numbers that are
 * non-negative integers below 2^53.
 *
 * Consistency, from the header alone:
 *   parameters in range (tf-idf and logistic regression through their own
 *   _params_check), known enum names;
 *   classes: at least two, non-empty, strictly increasing in the order
 *   training gives them (numeric when every label is a number, else byte
 *   order), so that swapping two labels is caught;
 *   columns: unique names, exactly one target, named by "target";
 *   tabular blocks: every numeric / categorical column of the schema in
 *   exactly one of them, in schema order, indicators only with
 *   params.missing_indicator; text and file encoders: the schema's text
 *   and file columns, in order; n_terms within params.tfidf.max_features;
 *   blocks: one per encoder, in encoder order, each with its encoder's
 *   name, modality and width (tabular: numeric columns + indicators +
 *   categories or one per ordinal column), the missing strategy the
 *   parameters give it, a flag only with strategy "flag", scaled as
 *   params.scale_blocks, dim = encoded_dim + flag, or the PCA width when
 *   params.balance_dim reduced it;
 *   models: an early model for early fusion only, a model per block for
 *   the late fusions, one for the named block for single fusion, late
 *   weights and a stacker for their fusions only. */
#include "pipeline/model_file.h"

#include "mmfuse/decomp.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ write */

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

char *mm_mf_header_json(const mm_pipeline *m)
{
    cJSON *h = cJSON_CreateObject();
    cJSON_AddNumberToObject(h, "format_version", MM_MODEL_FORMAT_VERSION);
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

/* ------------------------------------------------------------------ errors */

mm_status mm_mf_bad(mm_mf_loader *L, const char *fmt, ...)
{
    char msg[MM_ERROR_MSG_SIZE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return mm_error_set(L->err, MM_EFORMAT, "%s: invalid model file: %s", L->path, msg);
}

mm_status mm_mf_corrupt(mm_mf_loader *L, mm_status st, const char *what)
{
    if (st == MM_OK || st == MM_ENOMEM || st == MM_EUNSUPPORTED) return st;
    st = MM_EFORMAT;
    if (L->err) L->err->code = st;
    mm_error_prefix(L->err, "%s: invalid model file: %s", L->path, what);
    return st;
}

/* ---------------------------------------------------------- header schema */

typedef enum jkind { J_STR, J_BOOL, J_NUM, J_INT, J_OBJ, J_ARR } jkind;

/* One member of a header object: its key, its kind and, for arrays, the
 * kind of every item; `sub` lists an object's members. */
typedef struct jfield {
    const char *key;
    jkind kind, item;
    const struct jfield *sub;
} jfield;

#define JF(k, t) {k, t, J_STR, NULL}
#define JO(k, s) {k, J_OBJ, J_STR, s}
#define JA(k, t, s) {k, J_ARR, t, s}
#define JEND {NULL, J_STR, J_STR, NULL}

static const jfield F_TFIDF[] = {
    JF("lowercase", J_BOOL),         JF("stop_words_english", J_BOOL), JF("ngram_lo", J_INT),
    JF("ngram_hi", J_INT),           JF("min_df", J_NUM),              JF("max_df", J_NUM),
    JF("min_df_is_fraction", J_BOOL), JF("max_df_is_fraction", J_BOOL), JF("max_features", J_INT),
    JF("sublinear_tf", J_BOOL),      JF("use_idf", J_BOOL),            JF("smooth_idf", J_BOOL),
    JF("norm", J_INT),               JEND};
static const jfield F_LOGREG[] = {JF("C", J_NUM), JF("max_iter", J_INT), JF("tol", J_NUM),
                                  JF("fit_intercept", J_BOOL), JEND};
static const jfield F_PARAMS[] = {
    JO("tfidf", F_TFIDF),           JF("categorical", J_STR),       JF("missing_indicator", J_BOOL),
    JF("scale_blocks", J_BOOL),     JO("logreg", F_LOGREG),         JF("balanced", J_BOOL),
    JF("fusion", J_STR),            JF("single", J_STR),            JF("seed", J_INT),
    JF("missing", J_STR),           JF("missing_per_block", J_STR), JF("late_weights", J_STR),
    JF("inner_folds", J_INT),       JF("balance_dim", J_INT),       JF("audio_config", J_STR),
    JF("image_config", J_STR),      JEND};
static const jfield F_COLUMN[] = {JF("name", J_STR), JF("role", J_STR), JEND};
static const jfield F_NUM[] = {JF("name", J_STR), JF("indicator", J_BOOL), JEND};
static const jfield F_CAT[] = {JF("name", J_STR), JF("n", J_INT), JEND};
static const jfield F_TAB[] = {JF("name", J_STR), JA("numeric", J_OBJ, F_NUM), JA("categorical", J_OBJ, F_CAT),
                               JEND};
static const jfield F_TEXT[] = {JF("column", J_STR), JF("n_terms", J_INT), JEND};
static const jfield F_FILE[] = {JF("column", J_STR), JF("role", J_STR), JF("kind", J_STR),
                                JF("config", J_STR), JF("dim", J_INT), JEND};
static const jfield F_BLOCK[] = {JF("name", J_STR),        JF("modality", J_STR), JF("dim", J_INT),
                                 JF("encoded_dim", J_INT), JF("missing", J_STR),  JF("flag", J_BOOL),
                                 JF("scaled", J_BOOL),     JF("pca", J_INT),      JEND};
static const jfield F_MODELS[] = {JF("early", J_BOOL), JF("late_weights", J_BOOL), JF("stacker", J_BOOL),
                                  JA("single", J_BOOL, NULL), JEND};
static const jfield F_HEADER[] = {
    JF("format_version", J_INT), JF("library_version", J_STR), JF("target", J_STR),
    JA("classes", J_STR, NULL),  JF("n_train", J_INT),         JA("columns", J_OBJ, F_COLUMN),
    JO("params", F_PARAMS),      JA("tabular", J_OBJ, F_TAB),  JA("text", J_OBJ, F_TEXT),
    JA("files", J_OBJ, F_FILE),  JA("blocks", J_OBJ, F_BLOCK), JO("models", F_MODELS),
    JEND};

/* JSON numbers are doubles: integers are exact below 2^53. */
#define MAX_JSON_INT 9007199254740992.0

static void path_key(char *buf, size_t size, const char *path, const char *key)
{
    snprintf(buf, size, "%s%s%.80s", path, *path ? "." : "", key);
}

static mm_status check_object(mm_mf_loader *L, const cJSON *o, const jfield *spec, const char *path);

static mm_status check_value(mm_mf_loader *L, const cJSON *v, jkind kind, jkind item, const jfield *sub,
                             const char *path)
{
    switch (kind) {
    case J_STR:
        return cJSON_IsString(v) ? MM_OK : mm_mf_bad(L, "header field '%s' must be a string", path);
    case J_BOOL:
        return cJSON_IsBool(v) ? MM_OK : mm_mf_bad(L, "header field '%s' must be true or false", path);
    case J_NUM:
        return cJSON_IsNumber(v) && isfinite(v->valuedouble) ? MM_OK
                                                              : mm_mf_bad(L, "header field '%s' must be a number", path);
    case J_INT: {
        double d = cJSON_IsNumber(v) ? v->valuedouble : -1.0;
        if (!(d >= 0.0) || d >= MAX_JSON_INT || d > (double)SIZE_MAX || d != floor(d))
            return mm_mf_bad(L, "header field '%s' must be a non-negative integer", path);
        return MM_OK;
    }
    case J_OBJ:
        if (!cJSON_IsObject(v)) return mm_mf_bad(L, "header field '%s' must be an object", path);
        return check_object(L, v, sub, path);
    case J_ARR: {
        if (!cJSON_IsArray(v)) return mm_mf_bad(L, "header field '%s' must be an array", path);
        size_t i = 0;
        char p[200];
        for (const cJSON *c = v->child; c; c = c->next, i++) {
            snprintf(p, sizeof p, "%s[%zu]", path, i);
            mm_status st = check_value(L, c, item, J_STR, sub, p);
            if (st) return st;
        }
        return MM_OK;
    }
    }
    return mm_mf_bad(L, "header field '%s': unknown kind", path);
}

/* Every member known, none twice, none missing, each of its kind. */
static mm_status check_object(mm_mf_loader *L, const cJSON *o, const jfield *spec, const char *path)
{
    size_t n = 0;
    while (spec[n].key) n++;
    uint32_t seen = 0;
    char p[200];
    for (const cJSON *c = o->child; c; c = c->next) {
        size_t k = 0;
        while (k < n && strcmp(spec[k].key, c->string) != 0) k++;
        path_key(p, sizeof p, path, c->string);
        if (k == n) return mm_mf_bad(L, "unknown header field '%s'", p);
        if (seen >> k & 1u) return mm_mf_bad(L, "header field '%s' appears twice", p);
        seen |= 1u << k;
        mm_status st = check_value(L, c, spec[k].kind, spec[k].item, spec[k].sub, p);
        if (st) return st;
    }
    for (size_t k = 0; k < n; k++)
        if (!(seen >> k & 1u)) {
            path_key(p, sizeof p, path, spec[k].key);
            return mm_mf_bad(L, "header lacks the field '%s'", p);
        }
    return MM_OK;
}

/* ---------------------------------------------------------- header checks */

static mm_status copy_str(mm_mf_loader *L, char *dst, size_t size, const cJSON *o, const char *key, const char *path)
{
    const char *s = mm_mf_str(o, key);
    if (strlen(s) >= size) return mm_mf_bad(L, "header field '%s.%s' is longer than %zu bytes", path, key, size - 1);
    snprintf(dst, size, "%s", s);
    return MM_OK;
}

static mm_status parse_params(mm_mf_loader *L, const cJSON *o, mm_pipeline_params *p)
{
    *p = mm_pipeline_params_default();
    const cJSON *tf = mm_mf_get(o, "tfidf"), *lr = mm_mf_get(o, "logreg");
    p->tfidf.lowercase = mm_mf_bool(tf, "lowercase");
    p->tfidf.stop_words_english = mm_mf_bool(tf, "stop_words_english");
    size_t ngl = mm_mf_size(tf, "ngram_lo"), ngh = mm_mf_size(tf, "ngram_hi"), norm = mm_mf_size(tf, "norm");
    if (ngl < 1 || ngh < ngl || ngh > 64)
        return mm_mf_bad(L, "header fields 'params.tfidf.ngram_lo' and 'ngram_hi' (%zu, %zu) are not a range within 1..64",
                   ngl, ngh);
    if (norm > MM_NORM_L1) return mm_mf_bad(L, "header field 'params.tfidf.norm' (%zu) is not 0, 1 or 2", norm);
    p->tfidf.ngram_lo = (int)ngl;
    p->tfidf.ngram_hi = (int)ngh;
    p->tfidf.norm = (mm_norm)norm;
    p->tfidf.min_df = mm_mf_num(tf, "min_df");
    p->tfidf.max_df = mm_mf_num(tf, "max_df");
    p->tfidf.min_df_is_fraction = mm_mf_bool(tf, "min_df_is_fraction");
    p->tfidf.max_df_is_fraction = mm_mf_bool(tf, "max_df_is_fraction");
    p->tfidf.max_features = mm_mf_size(tf, "max_features");
    p->tfidf.sublinear_tf = mm_mf_bool(tf, "sublinear_tf");
    p->tfidf.use_idf = mm_mf_bool(tf, "use_idf");
    p->tfidf.smooth_idf = mm_mf_bool(tf, "smooth_idf");
    mm_status st = mm_tfidf_params_check(&p->tfidf, L->err);
    if (st) return mm_mf_corrupt(L, st, "header field 'params.tfidf'");

    const char *cat = mm_mf_str(o, "categorical");
    if (strcmp(cat, "onehot") == 0) p->categorical = MM_CAT_ONEHOT;
    else if (strcmp(cat, "ordinal") == 0) p->categorical = MM_CAT_ORDINAL;
    else return mm_mf_bad(L, "header field 'params.categorical' is '%.40s', not onehot or ordinal", cat);
    p->missing_indicator = mm_mf_bool(o, "missing_indicator");
    p->scale_blocks = mm_mf_bool(o, "scale_blocks");
    p->logreg.C = mm_mf_num(lr, "C");
    size_t max_iter = mm_mf_size(lr, "max_iter");
    if (max_iter > INT_MAX) return mm_mf_bad(L, "header field 'params.logreg.max_iter' is too large");
    p->logreg.max_iter = (int)max_iter;
    p->logreg.tol = mm_mf_num(lr, "tol");
    p->logreg.fit_intercept = mm_mf_bool(lr, "fit_intercept");
    st = mm_logreg_params_check(&p->logreg, L->err);
    if (st) return mm_mf_corrupt(L, st, "header field 'params.logreg'");
    p->balanced = mm_mf_bool(o, "balanced");

    const char *fusion = mm_mf_str(o, "fusion");
    bool known = false;
    for (int f = MM_FUSION_EARLY; f <= MM_FUSION_LATE_STACKED && !known; f++)
        if (strcmp(fusion, mm_fusion_name((mm_fusion)f)) == 0) {
            p->fusion = (mm_fusion)f;
            known = true;
        }
    if (!known) return mm_mf_bad(L, "header field 'params.fusion' is '%.40s', not a known fusion", fusion);
    int miss = mm_missing_parse(mm_mf_str(o, "missing"));
    if (miss < 0) return mm_mf_bad(L, "header field 'params.missing' is '%.40s', not a known strategy", mm_mf_str(o, "missing"));
    p->missing = (mm_missing)miss;
    size_t seed = mm_mf_size(o, "seed");
    if (seed > UINT32_MAX) return mm_mf_bad(L, "header field 'params.seed' (%zu) exceeds 2^32 - 1", seed);
    p->seed = (uint32_t)seed;
    p->inner_folds = mm_mf_size(o, "inner_folds");
    if (p->inner_folds > 1000) return mm_mf_bad(L, "header field 'params.inner_folds' (%zu) exceeds 1000", p->inner_folds);
    p->balance_dim = mm_mf_size(o, "balance_dim");
    if (p->balance_dim > (1u << 30)) return mm_mf_bad(L, "header field 'params.balance_dim' exceeds 2^30");
    if ((st = copy_str(L, p->single, sizeof p->single, o, "single", "params")) ||
        (st = copy_str(L, p->missing_per_block, sizeof p->missing_per_block, o, "missing_per_block", "params")) ||
        (st = copy_str(L, p->late_weights, sizeof p->late_weights, o, "late_weights", "params")) ||
        (st = copy_str(L, p->audio_config, sizeof p->audio_config, o, "audio_config", "params")) ||
        (st = copy_str(L, p->image_config, sizeof p->image_config, o, "image_config", "params")))
        return st;
    return MM_OK;
}

/* Classes are distinct and in the order mm_target_encode gives them:
 * numeric when every label is a number, else byte order. */
static mm_status check_classes(mm_mf_loader *L, const cJSON *classes)
{
    size_t K = (size_t)cJSON_GetArraySize(classes);
    if (K < 2) return mm_mf_bad(L, "header field 'classes' lists %zu classes; a model has at least two", K);
    bool numeric = true;
    for (const cJSON *c = classes->child; c && numeric; c = c->next) {
        double v;
        numeric = mm_parse_number(c->valuestring, &v);
    }
    size_t k = 0;
    for (const cJSON *c = classes->child; c; c = c->next, k++) {
        if (!c->valuestring[0]) return mm_mf_bad(L, "header field 'classes[%zu]' is empty", k);
        if (k == 0) continue;
        const char *a = c->prev->valuestring, *b = c->valuestring;
        double va = 0, vb = 0;
        if (numeric) {
            mm_parse_number(a, &va);
            mm_parse_number(b, &vb);
        }
        if (numeric ? !(va < vb) : strcmp(a, b) >= 0)
            return mm_mf_bad(L,
                       "header field 'classes': '%.60s' and '%.60s' (classes[%zu] and [%zu]) are not in training "
                       "order (%s)",
                       a, b, k - 1, k, numeric ? "increasing numbers" : "increasing byte order");
    }
    return MM_OK;
}

typedef struct name_ref {
    const char *name;
    size_t idx;
} name_ref;

static int cmp_name_ref(const void *a, const void *b)
{
    const name_ref *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

/* The training schema as the header lists it. */
typedef struct hdr_cols {
    size_t n;
    name_ref *sorted;  /* by name, for lookups          */
    mm_role *role;     /* per column                     */
    unsigned *covered; /* per column: encoders using it  */
} hdr_cols;

static void hdr_cols_free(hdr_cols *c)
{
    free(c->sorted);
    free(c->role);
    free(c->covered);
}

static long find_col(const hdr_cols *c, const char *name)
{
    size_t lo = 0, hi = c->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int d = strcmp(c->sorted[mid].name, name);
        if (d == 0) return (long)c->sorted[mid].idx;
        if (d < 0) lo = mid + 1;
        else hi = mid;
    }
    return -1;
}

static mm_status check_columns(mm_mf_loader *L, const cJSON *h, hdr_cols *c)
{
    c->n = mm_mf_len(h, "columns");
    if (c->n == 0) return mm_mf_bad(L, "header field 'columns' is empty");
    c->sorted = mm_alloc_array(c->n, sizeof *c->sorted);
    c->role = mm_alloc_array(c->n, sizeof *c->role);
    c->covered = calloc(c->n, sizeof *c->covered);
    if (!c->sorted || !c->role || !c->covered) return mm_error_set(L->err, MM_ENOMEM, "out of memory");
    size_t j = 0, targets = 0;
    const char *target = mm_mf_str(h, "target");
    for (const cJSON *o = mm_mf_get(h, "columns")->child; o; o = o->next, j++) {
        const char *name = mm_mf_str(o, "name");
        int r = mm_role_parse(mm_mf_str(o, "role"));
        if (!name[0]) return mm_mf_bad(L, "header field 'columns[%zu].name' is empty", j);
        if (r < 0) return mm_mf_bad(L, "header field 'columns[%zu].role' is '%.40s', not a role", j, mm_mf_str(o, "role"));
        c->role[j] = (mm_role)r;
        c->sorted[j] = (name_ref){name, j};
        if (r == MM_ROLE_TARGET) {
            targets++;
            if (strcmp(name, target) != 0)
                return mm_mf_bad(L, "header field 'columns[%zu]' is the target '%.60s', but field 'target' says '%.60s'", j,
                           name, target);
        }
    }
    if (targets != 1) return mm_mf_bad(L, "header field 'columns' has %zu target columns; a model has one", targets);
    qsort(c->sorted, c->n, sizeof *c->sorted, cmp_name_ref);
    for (j = 1; j < c->n; j++)
        if (strcmp(c->sorted[j].name, c->sorted[j - 1].name) == 0)
            return mm_mf_bad(L, "header field 'columns[%zu].name': column '%.60s' is listed twice", c->sorted[j].idx,
                       c->sorted[j].name);
    return MM_OK;
}

/* One numeric or categorical column of a tabular block: a column of that
 * role, after the previous one in schema order. */
static mm_status check_tab_col(mm_mf_loader *L, hdr_cols *c, const char *name, mm_role role, long *prev, const char *path)
{
    long j = find_col(c, name);
    if (j < 0) return mm_mf_bad(L, "header field '%s' names '%.60s', which is not in 'columns'", path, name);
    if (c->role[j] != role)
        return mm_mf_bad(L, "header field '%s' names '%.60s', a %s column in 'columns', as %s", path, name,
                   mm_role_name(c->role[j]), mm_role_name(role));
    if (j <= *prev) return mm_mf_bad(L, "header field '%s': column '%.60s' is out of schema order", path, name);
    *prev = j;
    c->covered[j]++;
    return MM_OK;
}

static mm_status check_tabular(mm_mf_loader *L, const cJSON *h, const mm_pipeline_params *p, hdr_cols *c, size_t *dims)
{
    size_t g = 0;
    char path[96];
    for (const cJSON *t = mm_mf_get(h, "tabular")->child; t; t = t->next, g++) {
        const char *name = mm_mf_str(t, "name");
        if (!name[0] || strlen(name) >= sizeof ((mm_tab_enc *)0)->name)
            return mm_mf_bad(L, "header field 'tabular[%zu].name' is empty or too long", g);
        if (mm_mf_len(t, "numeric") + mm_mf_len(t, "categorical") == 0)
            return mm_mf_bad(L, "header field 'tabular[%zu]' has no columns", g);
        size_t dim = 0, i = 0;
        long prev = -1;
        for (const cJSON *o = mm_mf_get(t, "numeric")->child; o; o = o->next, i++) {
            snprintf(path, sizeof path, "tabular[%zu].numeric[%zu]", g, i);
            mm_status st = check_tab_col(L, c, mm_mf_str(o, "name"), MM_ROLE_NUMERIC, &prev, path);
            if (st) return st;
            bool ind = mm_mf_bool(o, "indicator");
            if (ind && !p->missing_indicator)
                return mm_mf_bad(L, "header field '%s.indicator' is true but 'params.missing_indicator' is false", path);
            dim += 1 + ind;
        }
        i = 0;
        prev = -1;
        for (const cJSON *o = mm_mf_get(t, "categorical")->child; o; o = o->next, i++) {
            snprintf(path, sizeof path, "tabular[%zu].categorical[%zu]", g, i);
            mm_status st = check_tab_col(L, c, mm_mf_str(o, "name"), MM_ROLE_CATEGORICAL, &prev, path);
            if (st) return st;
            size_t n = mm_mf_size(o, "n");
            if (n > 100000000) return mm_mf_bad(L, "header field '%s.n' (%zu) exceeds 10^8 categories", path, n);
            dim += p->categorical == MM_CAT_ONEHOT ? n : 1;
        }
        dims[g] = dim;
    }
    for (size_t j = 0; j < c->n; j++) {
        mm_role r = c->role[j];
        if ((r == MM_ROLE_NUMERIC || r == MM_ROLE_CATEGORICAL) && c->covered[j] != 1)
            return mm_mf_bad(L, "header field 'tabular': %s column '%.60s' is in %u tabular blocks; it belongs to one",
                       mm_role_name(r), mm_mf_str(cJSON_GetArrayItem(mm_mf_get(h, "columns"), (int)j), "name"), c->covered[j]);
    }
    return MM_OK;
}

/* The text and file encoders follow the schema's text / file columns in order. */
static mm_status check_encoders(mm_mf_loader *L, const cJSON *h, const mm_pipeline_params *p, const hdr_cols *c)
{
    const cJSON *col = mm_mf_get(h, "columns")->child, *t = mm_mf_get(h, "text")->child, *f = mm_mf_get(h, "files")->child;
    size_t it = 0, jf = 0;
    for (size_t j = 0; j < c->n; j++, col = col->next) {
        mm_role r = c->role[j];
        const char *name = mm_mf_str(col, "name");
        if (r == MM_ROLE_TEXT) {
            if (!t) return mm_mf_bad(L, "header field 'text' lacks text column '%.60s'", name);
            if (strcmp(mm_mf_str(t, "column"), name) != 0)
                return mm_mf_bad(L, "header field 'text[%zu].column' is '%.60s'; the schema's next text column is '%.60s'",
                           it, mm_mf_str(t, "column"), name);
            size_t nt = mm_mf_size(t, "n_terms");
            if (nt < 1 || nt > 100000000 || (p->tfidf.max_features && nt > p->tfidf.max_features))
                return mm_mf_bad(L, "header field 'text[%zu].n_terms' (%zu) is not within 1..%zu (params.tfidf.max_features)",
                           it, nt, p->tfidf.max_features ? p->tfidf.max_features : (size_t)100000000);
            t = t->next;
            it++;
        } else if ((r == MM_ROLE_IMAGE || r == MM_ROLE_AUDIO || r == MM_ROLE_VIDEO) && mm_file_encoder_available(r)) {
            if (!f) return mm_mf_bad(L, "header field 'files' lacks %s column '%.60s'", mm_role_name(r), name);
            if (strcmp(mm_mf_str(f, "column"), name) != 0 || mm_role_parse(mm_mf_str(f, "role")) != (int)r)
                return mm_mf_bad(L, "header field 'files[%zu]' is column '%.60s' (%.20s); the schema's next file column is "
                              "'%.60s' (%s)",
                           jf, mm_mf_str(f, "column"), mm_mf_str(f, "role"), name, mm_role_name(r));
            size_t dim = mm_mf_size(f, "dim");
            if (dim < 1 || dim > (1u << 30)) return mm_mf_bad(L, "header field 'files[%zu].dim' (%zu) is not within 1..2^30", jf, dim);
            f = f->next;
            jf++;
        }
    }
    if (t) return mm_mf_bad(L, "header field 'text[%zu]' (column '%.60s') is not a text column of the schema", it, mm_mf_str(t, "column"));
    if (f) return mm_mf_bad(L, "header field 'files[%zu]' (column '%.60s') is not a file column of the schema", jf, mm_mf_str(f, "column"));
    return MM_OK;
}

/* Each block against its encoder and the parameters; the models against
 * the fusion. */
static mm_status check_blocks(mm_mf_loader *L, const cJSON *h, const mm_pipeline_params *p, const size_t *tab_dims)
{
    size_t n_tab = mm_mf_len(h, "tabular"), n_text = mm_mf_len(h, "text"), n_file = mm_mf_len(h, "files");
    size_t nb = mm_mf_len(h, "blocks"), n_train = mm_mf_size(h, "n_train");
    if (nb != n_tab + n_text + n_file)
        return mm_mf_bad(L, "header field 'blocks' has %zu blocks; the encoders make %zu (tabular %zu, text %zu, files %zu)",
                   nb, n_tab + n_text + n_file, n_tab, n_text, n_file);
    if (nb == 0 || nb > MM_XMAT_MAX_PARTS) return mm_mf_bad(L, "header field 'blocks' has %zu blocks (1..%d)", nb, MM_XMAT_MAX_PARTS);
    const cJSON *models = mm_mf_get(h, "models");
    if (mm_mf_len(models, "single") != nb)
        return mm_mf_bad(L, "header field 'models.single' has %zu entries for %zu blocks", mm_mf_len(models, "single"), nb);
    char names[MM_XMAT_MAX_PARTS][64];
    const cJSON *t = mm_mf_get(h, "tabular")->child, *x = mm_mf_get(h, "text")->child, *f = mm_mf_get(h, "files")->child;
    const cJSON *single = mm_mf_get(models, "single")->child;
    size_t b = 0, n_single = 0;
    for (const cJSON *o = mm_mf_get(h, "blocks")->child; o; o = o->next, single = single->next, b++) {
        const char *modality;
        size_t expect;
        if (b < n_tab) {
            snprintf(names[b], sizeof names[b], "%s", mm_mf_str(t, "name"));
            modality = mm_modality_name(MM_MOD_TABULAR);
            expect = tab_dims[b];
            t = t->next;
        } else if (b < n_tab + n_text) {
            snprintf(names[b], sizeof names[b], "text:%s", mm_mf_str(x, "column"));
            modality = mm_modality_name(MM_MOD_TEXT);
            expect = mm_mf_size(x, "n_terms");
            x = x->next;
        } else {
            snprintf(names[b], sizeof names[b], "%s:%s", mm_mf_str(f, "role"), mm_mf_str(f, "column"));
            modality = mm_mf_str(f, "role");
            expect = mm_mf_size(f, "dim");
            f = f->next;
        }
        if (strcmp(mm_mf_str(o, "name"), names[b]) != 0)
            return mm_mf_bad(L, "header field 'blocks[%zu].name' is '%.60s'; its encoder makes block '%s'", b, mm_mf_str(o, "name"),
                       names[b]);
        for (size_t a = 0; a < b; a++)
            if (strcmp(names[a], names[b]) == 0) return mm_mf_bad(L, "header field 'blocks': two blocks are named '%s'", names[b]);
        if (strcmp(mm_mf_str(o, "modality"), modality) != 0)
            return mm_mf_bad(L, "header field 'blocks[%zu].modality' is '%.20s'; block '%s' is %s", b, mm_mf_str(o, "modality"),
                       names[b], modality);
        size_t enc = mm_mf_size(o, "encoded_dim"), dim = mm_mf_size(o, "dim"), pca = mm_mf_size(o, "pca");
        if (enc != expect)
            return mm_mf_bad(L, "header field 'blocks[%zu].encoded_dim' is %zu; the encoder of block '%s' makes %zu columns", b,
                       enc, names[b], expect);
        int miss = mm_missing_parse(mm_mf_str(o, "missing"));
        if (miss < 0 || miss != (int)mm_pl_missing_for(p, names[b]))
            return mm_mf_bad(L, "header field 'blocks[%zu].missing' is '%.20s'; the parameters give block '%s' '%s'", b,
                       mm_mf_str(o, "missing"), names[b], mm_missing_name(mm_pl_missing_for(p, names[b])));
        bool flag = mm_mf_bool(o, "flag");
        if (flag && miss != MM_MISSING_FLAG)
            return mm_mf_bad(L, "header field 'blocks[%zu].flag' is true for missing strategy '%s'", b, mm_missing_name((mm_missing)miss));
        if (mm_mf_bool(o, "scaled") != p->scale_blocks)
            return mm_mf_bad(L, "header field 'blocks[%zu].scaled' disagrees with 'params.scale_blocks'", b);
        size_t pre = enc + flag, N = p->balance_dim;
        if (pca ? !(N && pre > N && pca <= N && pca <= n_train && dim == pca) : !((N == 0 || pre <= N) && dim == pre))
            return mm_mf_bad(L,
                       "header field 'blocks[%zu].dim' (%zu, pca %zu) does not follow from encoded_dim %zu, flag %d "
                       "and params.balance_dim %zu",
                       b, dim, pca, enc, (int)flag, N);
        bool want = p->fusion == MM_FUSION_EARLY    ? false
                    : p->fusion == MM_FUSION_SINGLE ? strcmp(names[b], p->single) == 0
                                                    : true;
        n_single += strcmp(names[b], p->single) == 0;
        if (cJSON_IsTrue(single) != want)
            return mm_mf_bad(L, "header field 'models.single[%zu]' is %s; fusion '%s' %s a model of block '%s'", b,
                       cJSON_IsTrue(single) ? "true" : "false", mm_fusion_name(p->fusion), want ? "needs" : "has no",
                       names[b]);
    }
    if (p->fusion == MM_FUSION_SINGLE && n_single != 1)
        return mm_mf_bad(L, "header field 'params.single' ('%.60s') names no block", p->single);
    if (mm_mf_bool(models, "early") != (p->fusion == MM_FUSION_EARLY) ||
        mm_mf_bool(models, "late_weights") != (p->fusion == MM_FUSION_LATE_WEIGHTED) ||
        mm_mf_bool(models, "stacker") != (p->fusion == MM_FUSION_LATE_STACKED))
        return mm_mf_bad(L, "header fields 'models.early', 'late_weights' and 'stacker' disagree with fusion '%s'",
                   mm_fusion_name(p->fusion));
    return MM_OK;
}

/* The header's format version, read before anything else so that a newer
 * file is reported as such. */
mm_status mm_mf_header_version(mm_mf_loader *L, const cJSON *h, int *version)
{
    if (!cJSON_IsObject(h)) return mm_mf_bad(L, "the header is not a JSON object");
    const cJSON *v = mm_mf_get(h, "format_version");
    if (!v) return mm_mf_bad(L, "header lacks the field 'format_version'");
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= 1 && v->valuedouble < 1e9) || v->valuedouble != floor(v->valuedouble))
        return mm_mf_bad(L, "header field 'format_version' is not a version number");
    if (v->valuedouble > MM_MODEL_FORMAT_VERSION)
        return mm_error_set(L->err, MM_EUNSUPPORTED, "%s: model format version %.0f; this mmfuse reads versions 1 to %d",
                            L->path, v->valuedouble, MM_MODEL_FORMAT_VERSION);
    *version = (int)v->valuedouble;
    return MM_OK;
}

/* Everything that can be checked from the header alone. */
mm_status mm_mf_header_check(mm_mf_loader *L, const cJSON *h, mm_pipeline_params *p, int *version)
{
    mm_status st = mm_mf_header_version(L, h, version);
    if (!st) st = check_object(L, h, F_HEADER, "");
    if (!st) st = parse_params(L, mm_mf_get(h, "params"), p);
    if (!st) st = check_classes(L, mm_mf_get(h, "classes"));
    if (!st && mm_mf_size(h, "n_train") == 0) st = mm_mf_bad(L, "header field 'n_train' is 0");
    if (st) return st;
    hdr_cols c = {0};
    size_t ntab = mm_mf_len(h, "tabular");
    size_t *dims = ntab > MM_XMAT_MAX_PARTS ? NULL : calloc(ntab + 1, sizeof *dims);
    if (ntab > MM_XMAT_MAX_PARTS) st = mm_mf_bad(L, "header field 'tabular' has %zu blocks (at most %d)", ntab, MM_XMAT_MAX_PARTS);
    else if (!dims) st = mm_error_set(L->err, MM_ENOMEM, "out of memory");
    if (!st) st = check_columns(L, h, &c);
    if (!st) st = check_tabular(L, h, p, &c, dims);
    if (!st) st = check_encoders(L, h, p, &c);
    if (!st) st = check_blocks(L, h, p, dims);
    hdr_cols_free(&c);
    free(dims);
    return st;
}

/* ------------------------------------------------------------ entry points */

mm_status mm_mf_header_parse(mm_mf_loader *L, const char *json, size_t len, cJSON **out)
{
    const char *end = NULL;
    *out = cJSON_ParseWithLengthOpts(json, len, &end, 0);
    if (!*out) return mm_mf_bad(L, "the header is not JSON");
    for (const char *q = end; q && q < json + len; q++)
        if (*q != ' ' && *q != '\t' && *q != '\n' && *q != '\r') return mm_mf_bad(L, "data after the JSON header");
    return MM_OK;
}

mm_status mm_pl_header_check(const char *json, size_t len, const char *name, mm_error *err)
{
    mm_mf_loader L = {NULL, name ? name : "<header>", err, NULL};
    if (!json) return mm_error_set(err, MM_EINVAL, "mm_pl_header_check: NULL json");
    cJSON *h = NULL;
    mm_status st = mm_mf_header_parse(&L, json, len, &h);
    mm_pipeline_params p;
    int version;
    if (!st) st = mm_mf_header_check(&L, h, &p, &version);
    cJSON_Delete(h);
    return st;
}
