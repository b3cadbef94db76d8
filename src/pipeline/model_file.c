/* The model file (.mmf), format 2: a safetensors container (mmfuse/io.h)
 *
 *   bytes 0..7      N, u64 little-endian: the length of the JSON header
 *   bytes 8..8+N    the JSON header, space-padded to a multiple of 8 bytes
 *   bytes 8+N..end  the tensor data
 *
 * whose JSON header always begins with these 60 bytes (metadata first, keys
 * in byte order, no spaces):
 *
 *   {"__metadata__":{"format":"mmfuse-model","mmfuse.checksum":"
 *
 * so that file bytes 68..131 are the value of "mmfuse.checksum" and byte 132
 * is its closing '"'. The metadata holds exactly three strings:
 *
 *   "format"          "mmfuse-model"
 *   "mmfuse.checksum" the SHA-256 (FIPS 180-4; mm_sha256, mmfuse/models.h)
 *                     of the whole file, as 64 lowercase hex digits
 *   "mmfuse.header"   the pipeline header, JSON text (below)
 *
 * The checksum: SHA-256 over every byte of the file, from byte 0 (the
 * length prefix) to the last data byte, with bytes 68..131 (the checksum
 * value itself) hashed as 64 ASCII '0' characters (0x30). The field has a
 * fixed width, so filling it in does not move anything: the writer lays
 * the file out with 64 '0's there, hashes it and writes the digest in
 * place. Everything else is covered: the length prefix, the metadata (the
 * pipeline header included), every tensor's name, dtype, shape and
 * data_offsets, the padding and every data byte. mm_pipeline_file_checksum
 * computes it for any file image.
 *
 * The pipeline header (JSON object; every field required, no other field
 * allowed, no field twice):
 *   format_version 2, library_version, target, classes [K strings, in the
 *   order training gives: numeric when every label is a number, else byte
 *   order], n_train, columns [{name, role}] (the training schema),
 *   params {tfidf {...}, categorical, missing_indicator, scale_blocks,
 *   logreg {C, max_iter, tol, fit_intercept}, balanced, fusion, single,
 *   seed, missing, missing_per_block, late_weights, inner_folds,
 *   balance_dim, audio_config, image_config},
 *   tabular [{name, numeric [{name, indicator}], categorical [{name, n}]}],
 *   text [{column, n_terms}], files [{column, role, kind, config, dim}],
 *   blocks [{name, modality, dim, encoded_dim, missing, flag, scaled, pca}],
 *   models {early, late_weights, stacker, single [bool per block]}
 *
 * Tensors (F64 unless noted; exactly these, with exactly these shapes):
 *     prior [K]
 *     tabular.<g>.num_mean [n_num]        (g: the tabular block / group)
 *     tabular.<g>.cat.<j>  U8: the sorted categories, each NUL-terminated
 *     text.<j>.terms   U8: the vocabulary in column order, NUL-terminated
 *     text.<j>.idf     [n_terms]
 *     block.<b>.mean, block.<b>.scale [pre]        (when scaled)
 *     block.<b>.missing_mean [encoded_dim]         (missing strategy "mean")
 *     block.<b>.pca_mean [pre], pca_components [pca, pre], pca_variance [pca]
 *     late.weights [n_blocks]                      (late:weighted)
 *     model.stacker.coef [rows, n_blocks x (K + 1)], .intercept [rows]
 *     model.early.coef [rows, sum of block dims], model.early.intercept [rows]
 *     model.single.<b>.coef [rows, dim], .intercept [rows]
 *   (rows = 1 for a binary model, K otherwise; pre = encoded_dim + flag)
 *
 * Loading checks, in this order, before any object is built: the
 * container (io), the checksum, the format version, the header against its
 * schema, the header against itself (the column list against the encoders,
 * each block's name, modality, dimensions and missing strategy against its
 * encoder and the parameters, the fitted models against the fusion), then
 * every tensor's dtype and shape against what the header implies, that no
 * tensor is left over, and that values are finite (prior a distribution,
 * categories sorted). Any failure is MM_EFORMAT with a message naming the
 * field or tensor; a format_version above 2 (with a valid checksum) is
 * MM_EUNSUPPORTED.
 *
 * Format 1 (mmfuse up to 0.1.0) differs only in the checksum, which covers
 * the tensor data alone: "mmfuse.checksum" is the xxHash64 (seed 0) of the
 * data buffer as 16 lowercase hex digits, and format_version is 1. Such
 * files still load, under the same header and tensor checks, but an edit of
 * their header is not detected; mm_pipeline_format says which version a
 * model was read from, and the CLI notes it. */
#include "pipeline/internal.h"

#include "mmfuse/decomp.h"
#include "mmfuse/models.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECKSUM_PREFIX "{\"__metadata__\":{\"format\":\"mmfuse-model\",\"mmfuse.checksum\":\""
enum { CHECKSUM_HEX = 64, CHECKSUM_AT = MM_MODEL_CHECKSUM_AT };
_Static_assert(MM_MODEL_CHECKSUM_AT == 8 + sizeof CHECKSUM_PREFIX - 1, "checksum offset");

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

/* Every tensor of m, the format and header metadata and a checksum field of
 * 64 '0's (filled in by mm_pipeline_save_buffer). */
static mm_status model_writer(const mm_pipeline *m, mm_st_writer *w, mm_error *err)
{
    char name[96];
    mm_status st = add_f64(w, "prior", m->prior, m->n_classes, err);
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
    char zeros[CHECKSUM_HEX + 1];
    memset(zeros, '0', CHECKSUM_HEX);
    zeros[CHECKSUM_HEX] = '\0';
    if (!st) st = mm_st_writer_meta(w, "format", "mmfuse-model", err);
    if (!st) st = mm_st_writer_meta(w, "mmfuse.header", header, err);
    if (!st) st = mm_st_writer_meta(w, "mmfuse.checksum", zeros, err);
    cJSON_free(header);
    return st;
}

mm_status mm_pipeline_file_checksum(const void *file, size_t len, char hex[65], mm_error *err)
{
    static const char digits[] = "0123456789abcdef";
    static const char zeros[CHECKSUM_HEX + 1] = "0000000000000000000000000000000000000000000000000000000000000000";
    const unsigned char *p = file;
    if (hex) hex[0] = '\0';
    if (!hex || (!p && len)) return mm_error_set(err, MM_EINVAL, "mm_pipeline_file_checksum: NULL argument");
    if (len <= CHECKSUM_AT + CHECKSUM_HEX || memcmp(p + 8, CHECKSUM_PREFIX, sizeof CHECKSUM_PREFIX - 1) != 0 ||
        p[CHECKSUM_AT + CHECKSUM_HEX] != '"')
        return mm_error_set(err, MM_EFORMAT,
                            "the header does not begin with a %d-digit \"mmfuse.checksum\" field at byte %d",
                            CHECKSUM_HEX, CHECKSUM_AT);
    mm_sha256 s;
    uint8_t d[32];
    mm_sha256_init(&s);
    mm_sha256_update(&s, p, CHECKSUM_AT);
    mm_sha256_update(&s, zeros, CHECKSUM_HEX);
    mm_sha256_update(&s, p + CHECKSUM_AT + CHECKSUM_HEX, len - CHECKSUM_AT - CHECKSUM_HEX);
    mm_sha256_final(&s, d);
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = digits[d[i] >> 4];
        hex[2 * i + 1] = digits[d[i] & 15];
    }
    hex[CHECKSUM_HEX] = '\0';
    return MM_OK;
}

mm_status mm_pipeline_save_buffer(const mm_pipeline *m, unsigned char **out, size_t *len, mm_error *err)
{
    if (!out || !len || !m) return mm_error_set(err, MM_EINVAL, "mm_pipeline_save_buffer: NULL argument");
    *out = NULL;
    *len = 0;
    mm_st_writer *w;
    mm_status st = mm_st_writer_new(&w, err);
    if (st) return st;
    unsigned char *img = NULL;
    size_t n = 0;
    st = model_writer(m, w, err);
    if (!st) st = mm_st_writer_serialize(w, &img, &n, err);
    mm_st_writer_free(w);
    char hex[CHECKSUM_HEX + 1];
    if (!st) st = mm_pipeline_file_checksum(img, n, hex, err);
    if (st) {
        free(img);
        if (st == MM_EFORMAT) { /* a layout error here is this writer's bug, not bad data */
            st = MM_EINVAL;
            if (err) err->code = st;
            mm_error_prefix(err, "model writer");
        }
        return st;
    }
    memcpy(img + CHECKSUM_AT, hex, CHECKSUM_HEX);
    *out = img;
    *len = n;
    return MM_OK;
}

mm_status mm_pipeline_save(const mm_pipeline *m, const char *path, mm_error *err)
{
    unsigned char *img;
    size_t n;
    mm_status st = mm_pipeline_save_buffer(m, &img, &n, err);
    if (st) return st;
    st = mm_write_file_atomic(path, img, n, err);
    free(img);
    return st;
}


/* ------------------------------------------------------------------ load */

typedef struct loader {
    const mm_st_file *f; /* NULL when only a header is checked */
    const char *path;
    mm_error *err;
    bool *used;          /* per tensor of f: consumed by the loader */
} loader;

static mm_status bad(loader *L, const char *fmt, ...) MM_PRINTF(2, 3);
static mm_status bad(loader *L, const char *fmt, ...)
{
    char msg[MM_ERROR_MSG_SIZE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return mm_error_set(L->err, MM_EFORMAT, "%s: invalid model file: %s", L->path, msg);
}

/* An error from a part's constructor (scaler, PCA, tf-idf, logistic
 * regression: MM_EINVAL for bad values) becomes a corrupt-file error. */
static mm_status corrupt(loader *L, mm_status st, const char *what)
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

static mm_status check_object(loader *L, const cJSON *o, const jfield *spec, const char *path);

static mm_status check_value(loader *L, const cJSON *v, jkind kind, jkind item, const jfield *sub,
                             const char *path)
{
    switch (kind) {
    case J_STR:
        return cJSON_IsString(v) ? MM_OK : bad(L, "header field '%s' must be a string", path);
    case J_BOOL:
        return cJSON_IsBool(v) ? MM_OK : bad(L, "header field '%s' must be true or false", path);
    case J_NUM:
        return cJSON_IsNumber(v) && isfinite(v->valuedouble) ? MM_OK
                                                              : bad(L, "header field '%s' must be a number", path);
    case J_INT: {
        double d = cJSON_IsNumber(v) ? v->valuedouble : -1.0;
        if (!(d >= 0.0) || d >= MAX_JSON_INT || d > (double)SIZE_MAX || d != floor(d))
            return bad(L, "header field '%s' must be a non-negative integer", path);
        return MM_OK;
    }
    case J_OBJ:
        if (!cJSON_IsObject(v)) return bad(L, "header field '%s' must be an object", path);
        return check_object(L, v, sub, path);
    case J_ARR: {
        if (!cJSON_IsArray(v)) return bad(L, "header field '%s' must be an array", path);
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
    return bad(L, "header field '%s': unknown kind", path);
}

/* Every member known, none twice, none missing, each of its kind. */
static mm_status check_object(loader *L, const cJSON *o, const jfield *spec, const char *path)
{
    size_t n = 0;
    while (spec[n].key) n++;
    uint32_t seen = 0;
    char p[200];
    for (const cJSON *c = o->child; c; c = c->next) {
        size_t k = 0;
        while (k < n && strcmp(spec[k].key, c->string) != 0) k++;
        path_key(p, sizeof p, path, c->string);
        if (k == n) return bad(L, "unknown header field '%s'", p);
        if (seen >> k & 1u) return bad(L, "header field '%s' appears twice", p);
        seen |= 1u << k;
        mm_status st = check_value(L, c, spec[k].kind, spec[k].item, spec[k].sub, p);
        if (st) return st;
    }
    for (size_t k = 0; k < n; k++)
        if (!(seen >> k & 1u)) {
            path_key(p, sizeof p, path, spec[k].key);
            return bad(L, "header lacks the field '%s'", p);
        }
    return MM_OK;
}

/* Accessors for a header that passed check_object. */
static const cJSON *jget(const cJSON *o, const char *key) { return cJSON_GetObjectItemCaseSensitive(o, key); }
static const char *jstr(const cJSON *o, const char *key) { return jget(o, key)->valuestring; }
static bool jbool(const cJSON *o, const char *key) { return cJSON_IsTrue(jget(o, key)); }
static double jnum(const cJSON *o, const char *key) { return jget(o, key)->valuedouble; }
static size_t jsize(const cJSON *o, const char *key) { return (size_t)jget(o, key)->valuedouble; }
static size_t jlen(const cJSON *o, const char *key) { return (size_t)cJSON_GetArraySize(jget(o, key)); }


/* ---------------------------------------------------------- header checks */

static mm_status copy_str(loader *L, char *dst, size_t size, const cJSON *o, const char *key, const char *path)
{
    const char *s = jstr(o, key);
    if (strlen(s) >= size) return bad(L, "header field '%s.%s' is longer than %zu bytes", path, key, size - 1);
    snprintf(dst, size, "%s", s);
    return MM_OK;
}

static mm_status parse_params(loader *L, const cJSON *o, mm_pipeline_params *p)
{
    *p = mm_pipeline_params_default();
    const cJSON *tf = jget(o, "tfidf"), *lr = jget(o, "logreg");
    p->tfidf.lowercase = jbool(tf, "lowercase");
    p->tfidf.stop_words_english = jbool(tf, "stop_words_english");
    size_t ngl = jsize(tf, "ngram_lo"), ngh = jsize(tf, "ngram_hi"), norm = jsize(tf, "norm");
    if (ngl < 1 || ngh < ngl || ngh > 64)
        return bad(L, "header fields 'params.tfidf.ngram_lo' and 'ngram_hi' (%zu, %zu) are not a range within 1..64",
                   ngl, ngh);
    if (norm > MM_NORM_L1) return bad(L, "header field 'params.tfidf.norm' (%zu) is not 0, 1 or 2", norm);
    p->tfidf.ngram_lo = (int)ngl;
    p->tfidf.ngram_hi = (int)ngh;
    p->tfidf.norm = (mm_norm)norm;
    p->tfidf.min_df = jnum(tf, "min_df");
    p->tfidf.max_df = jnum(tf, "max_df");
    p->tfidf.min_df_is_fraction = jbool(tf, "min_df_is_fraction");
    p->tfidf.max_df_is_fraction = jbool(tf, "max_df_is_fraction");
    p->tfidf.max_features = jsize(tf, "max_features");
    p->tfidf.sublinear_tf = jbool(tf, "sublinear_tf");
    p->tfidf.use_idf = jbool(tf, "use_idf");
    p->tfidf.smooth_idf = jbool(tf, "smooth_idf");
    mm_status st = mm_tfidf_params_check(&p->tfidf, L->err);
    if (st) return corrupt(L, st, "header field 'params.tfidf'");

    const char *cat = jstr(o, "categorical");
    if (strcmp(cat, "onehot") == 0) p->categorical = MM_CAT_ONEHOT;
    else if (strcmp(cat, "ordinal") == 0) p->categorical = MM_CAT_ORDINAL;
    else return bad(L, "header field 'params.categorical' is '%.40s', not onehot or ordinal", cat);
    p->missing_indicator = jbool(o, "missing_indicator");
    p->scale_blocks = jbool(o, "scale_blocks");
    p->logreg.C = jnum(lr, "C");
    size_t max_iter = jsize(lr, "max_iter");
    if (max_iter > INT_MAX) return bad(L, "header field 'params.logreg.max_iter' is too large");
    p->logreg.max_iter = (int)max_iter;
    p->logreg.tol = jnum(lr, "tol");
    p->logreg.fit_intercept = jbool(lr, "fit_intercept");
    st = mm_logreg_params_check(&p->logreg, L->err);
    if (st) return corrupt(L, st, "header field 'params.logreg'");
    p->balanced = jbool(o, "balanced");

    const char *fusion = jstr(o, "fusion");
    bool known = false;
    for (int f = MM_FUSION_EARLY; f <= MM_FUSION_LATE_STACKED && !known; f++)
        if (strcmp(fusion, mm_fusion_name((mm_fusion)f)) == 0) {
            p->fusion = (mm_fusion)f;
            known = true;
        }
    if (!known) return bad(L, "header field 'params.fusion' is '%.40s', not a known fusion", fusion);
    int miss = mm_missing_parse(jstr(o, "missing"));
    if (miss < 0) return bad(L, "header field 'params.missing' is '%.40s', not a known strategy", jstr(o, "missing"));
    p->missing = (mm_missing)miss;
    size_t seed = jsize(o, "seed");
    if (seed > UINT32_MAX) return bad(L, "header field 'params.seed' (%zu) exceeds 2^32 - 1", seed);
    p->seed = (uint32_t)seed;
    p->inner_folds = jsize(o, "inner_folds");
    if (p->inner_folds > 1000) return bad(L, "header field 'params.inner_folds' (%zu) exceeds 1000", p->inner_folds);
    p->balance_dim = jsize(o, "balance_dim");
    if (p->balance_dim > (1u << 30)) return bad(L, "header field 'params.balance_dim' exceeds 2^30");
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
static mm_status check_classes(loader *L, const cJSON *classes)
{
    size_t K = (size_t)cJSON_GetArraySize(classes);
    if (K < 2) return bad(L, "header field 'classes' lists %zu classes; a model has at least two", K);
    bool numeric = true;
    for (const cJSON *c = classes->child; c && numeric; c = c->next) {
        double v;
        numeric = mm_parse_number(c->valuestring, &v);
    }
    size_t k = 0;
    for (const cJSON *c = classes->child; c; c = c->next, k++) {
        if (!c->valuestring[0]) return bad(L, "header field 'classes[%zu]' is empty", k);
        if (k == 0) continue;
        const char *a = c->prev->valuestring, *b = c->valuestring;
        double va = 0, vb = 0;
        if (numeric) {
            mm_parse_number(a, &va);
            mm_parse_number(b, &vb);
        }
        if (numeric ? !(va < vb) : strcmp(a, b) >= 0)
            return bad(L,
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

static mm_status check_columns(loader *L, const cJSON *h, hdr_cols *c)
{
    c->n = jlen(h, "columns");
    if (c->n == 0) return bad(L, "header field 'columns' is empty");
    c->sorted = mm_alloc_array(c->n, sizeof *c->sorted);
    c->role = mm_alloc_array(c->n, sizeof *c->role);
    c->covered = calloc(c->n, sizeof *c->covered);
    if (!c->sorted || !c->role || !c->covered) return mm_error_set(L->err, MM_ENOMEM, "out of memory");
    size_t j = 0, targets = 0;
    const char *target = jstr(h, "target");
    for (const cJSON *o = jget(h, "columns")->child; o; o = o->next, j++) {
        const char *name = jstr(o, "name");
        int r = mm_role_parse(jstr(o, "role"));
        if (!name[0]) return bad(L, "header field 'columns[%zu].name' is empty", j);
        if (r < 0) return bad(L, "header field 'columns[%zu].role' is '%.40s', not a role", j, jstr(o, "role"));
        c->role[j] = (mm_role)r;
        c->sorted[j] = (name_ref){name, j};
        if (r == MM_ROLE_TARGET) {
            targets++;
            if (strcmp(name, target) != 0)
                return bad(L, "header field 'columns[%zu]' is the target '%.60s', but field 'target' says '%.60s'", j,
                           name, target);
        }
    }
    if (targets != 1) return bad(L, "header field 'columns' has %zu target columns; a model has one", targets);
    qsort(c->sorted, c->n, sizeof *c->sorted, cmp_name_ref);
    for (j = 1; j < c->n; j++)
        if (strcmp(c->sorted[j].name, c->sorted[j - 1].name) == 0)
            return bad(L, "header field 'columns[%zu].name': column '%.60s' is listed twice", c->sorted[j].idx,
                       c->sorted[j].name);
    return MM_OK;
}

/* One numeric or categorical column of a tabular block: a column of that
 * role, after the previous one in schema order. */
static mm_status check_tab_col(loader *L, hdr_cols *c, const char *name, mm_role role, long *prev, const char *path)
{
    long j = find_col(c, name);
    if (j < 0) return bad(L, "header field '%s' names '%.60s', which is not in 'columns'", path, name);
    if (c->role[j] != role)
        return bad(L, "header field '%s' names '%.60s', a %s column in 'columns', as %s", path, name,
                   mm_role_name(c->role[j]), mm_role_name(role));
    if (j <= *prev) return bad(L, "header field '%s': column '%.60s' is out of schema order", path, name);
    *prev = j;
    c->covered[j]++;
    return MM_OK;
}

static mm_status check_tabular(loader *L, const cJSON *h, const mm_pipeline_params *p, hdr_cols *c, size_t *dims)
{
    size_t g = 0;
    char path[96];
    for (const cJSON *t = jget(h, "tabular")->child; t; t = t->next, g++) {
        const char *name = jstr(t, "name");
        if (!name[0] || strlen(name) >= sizeof ((mm_tab_enc *)0)->name)
            return bad(L, "header field 'tabular[%zu].name' is empty or too long", g);
        if (jlen(t, "numeric") + jlen(t, "categorical") == 0)
            return bad(L, "header field 'tabular[%zu]' has no columns", g);
        size_t dim = 0, i = 0;
        long prev = -1;
        for (const cJSON *o = jget(t, "numeric")->child; o; o = o->next, i++) {
            snprintf(path, sizeof path, "tabular[%zu].numeric[%zu]", g, i);
            mm_status st = check_tab_col(L, c, jstr(o, "name"), MM_ROLE_NUMERIC, &prev, path);
            if (st) return st;
            bool ind = jbool(o, "indicator");
            if (ind && !p->missing_indicator)
                return bad(L, "header field '%s.indicator' is true but 'params.missing_indicator' is false", path);
            dim += 1 + ind;
        }
        i = 0;
        prev = -1;
        for (const cJSON *o = jget(t, "categorical")->child; o; o = o->next, i++) {
            snprintf(path, sizeof path, "tabular[%zu].categorical[%zu]", g, i);
            mm_status st = check_tab_col(L, c, jstr(o, "name"), MM_ROLE_CATEGORICAL, &prev, path);
            if (st) return st;
            size_t n = jsize(o, "n");
            if (n > 100000000) return bad(L, "header field '%s.n' (%zu) exceeds 10^8 categories", path, n);
            dim += p->categorical == MM_CAT_ONEHOT ? n : 1;
        }
        dims[g] = dim;
    }
    for (size_t j = 0; j < c->n; j++) {
        mm_role r = c->role[j];
        if ((r == MM_ROLE_NUMERIC || r == MM_ROLE_CATEGORICAL) && c->covered[j] != 1)
            return bad(L, "header field 'tabular': %s column '%.60s' is in %u tabular blocks; it belongs to one",
                       mm_role_name(r), jstr(cJSON_GetArrayItem(jget(h, "columns"), (int)j), "name"), c->covered[j]);
    }
    return MM_OK;
}

/* The text and file encoders follow the schema's text / file columns in order. */
static mm_status check_encoders(loader *L, const cJSON *h, const mm_pipeline_params *p, const hdr_cols *c)
{
    const cJSON *col = jget(h, "columns")->child, *t = jget(h, "text")->child, *f = jget(h, "files")->child;
    size_t it = 0, jf = 0;
    for (size_t j = 0; j < c->n; j++, col = col->next) {
        mm_role r = c->role[j];
        const char *name = jstr(col, "name");
        if (r == MM_ROLE_TEXT) {
            if (!t) return bad(L, "header field 'text' lacks text column '%.60s'", name);
            if (strcmp(jstr(t, "column"), name) != 0)
                return bad(L, "header field 'text[%zu].column' is '%.60s'; the schema's next text column is '%.60s'",
                           it, jstr(t, "column"), name);
            size_t nt = jsize(t, "n_terms");
            if (nt < 1 || nt > 100000000 || (p->tfidf.max_features && nt > p->tfidf.max_features))
                return bad(L, "header field 'text[%zu].n_terms' (%zu) is not within 1..%zu (params.tfidf.max_features)",
                           it, nt, p->tfidf.max_features ? p->tfidf.max_features : (size_t)100000000);
            t = t->next;
            it++;
        } else if ((r == MM_ROLE_IMAGE || r == MM_ROLE_AUDIO || r == MM_ROLE_VIDEO) && mm_file_encoder_available(r)) {
            if (!f) return bad(L, "header field 'files' lacks %s column '%.60s'", mm_role_name(r), name);
            if (strcmp(jstr(f, "column"), name) != 0 || mm_role_parse(jstr(f, "role")) != (int)r)
                return bad(L, "header field 'files[%zu]' is column '%.60s' (%.20s); the schema's next file column is "
                              "'%.60s' (%s)",
                           jf, jstr(f, "column"), jstr(f, "role"), name, mm_role_name(r));
            size_t dim = jsize(f, "dim");
            if (dim < 1 || dim > (1u << 30)) return bad(L, "header field 'files[%zu].dim' (%zu) is not within 1..2^30", jf, dim);
            f = f->next;
            jf++;
        }
    }
    if (t) return bad(L, "header field 'text[%zu]' (column '%.60s') is not a text column of the schema", it, jstr(t, "column"));
    if (f) return bad(L, "header field 'files[%zu]' (column '%.60s') is not a file column of the schema", jf, jstr(f, "column"));
    return MM_OK;
}

/* Each block against its encoder and the parameters; the models against
 * the fusion. */
static mm_status check_blocks(loader *L, const cJSON *h, const mm_pipeline_params *p, const size_t *tab_dims)
{
    size_t n_tab = jlen(h, "tabular"), n_text = jlen(h, "text"), n_file = jlen(h, "files");
    size_t nb = jlen(h, "blocks"), n_train = jsize(h, "n_train");
    if (nb != n_tab + n_text + n_file)
        return bad(L, "header field 'blocks' has %zu blocks; the encoders make %zu (tabular %zu, text %zu, files %zu)",
                   nb, n_tab + n_text + n_file, n_tab, n_text, n_file);
    if (nb == 0 || nb > MM_XMAT_MAX_PARTS) return bad(L, "header field 'blocks' has %zu blocks (1..%d)", nb, MM_XMAT_MAX_PARTS);
    const cJSON *models = jget(h, "models");
    if (jlen(models, "single") != nb)
        return bad(L, "header field 'models.single' has %zu entries for %zu blocks", jlen(models, "single"), nb);
    char names[MM_XMAT_MAX_PARTS][64];
    const cJSON *t = jget(h, "tabular")->child, *x = jget(h, "text")->child, *f = jget(h, "files")->child;
    const cJSON *single = jget(models, "single")->child;
    size_t b = 0, n_single = 0;
    for (const cJSON *o = jget(h, "blocks")->child; o; o = o->next, single = single->next, b++) {
        const char *modality;
        size_t expect;
        if (b < n_tab) {
            snprintf(names[b], sizeof names[b], "%s", jstr(t, "name"));
            modality = mm_modality_name(MM_MOD_TABULAR);
            expect = tab_dims[b];
            t = t->next;
        } else if (b < n_tab + n_text) {
            snprintf(names[b], sizeof names[b], "text:%s", jstr(x, "column"));
            modality = mm_modality_name(MM_MOD_TEXT);
            expect = jsize(x, "n_terms");
            x = x->next;
        } else {
            snprintf(names[b], sizeof names[b], "%s:%s", jstr(f, "role"), jstr(f, "column"));
            modality = jstr(f, "role");
            expect = jsize(f, "dim");
            f = f->next;
        }
        if (strcmp(jstr(o, "name"), names[b]) != 0)
            return bad(L, "header field 'blocks[%zu].name' is '%.60s'; its encoder makes block '%s'", b, jstr(o, "name"),
                       names[b]);
        for (size_t a = 0; a < b; a++)
            if (strcmp(names[a], names[b]) == 0) return bad(L, "header field 'blocks': two blocks are named '%s'", names[b]);
        if (strcmp(jstr(o, "modality"), modality) != 0)
            return bad(L, "header field 'blocks[%zu].modality' is '%.20s'; block '%s' is %s", b, jstr(o, "modality"),
                       names[b], modality);
        size_t enc = jsize(o, "encoded_dim"), dim = jsize(o, "dim"), pca = jsize(o, "pca");
        if (enc != expect)
            return bad(L, "header field 'blocks[%zu].encoded_dim' is %zu; the encoder of block '%s' makes %zu columns", b,
                       enc, names[b], expect);
        int miss = mm_missing_parse(jstr(o, "missing"));
        if (miss < 0 || miss != (int)mm_pl_missing_for(p, names[b]))
            return bad(L, "header field 'blocks[%zu].missing' is '%.20s'; the parameters give block '%s' '%s'", b,
                       jstr(o, "missing"), names[b], mm_missing_name(mm_pl_missing_for(p, names[b])));
        bool flag = jbool(o, "flag");
        if (flag && miss != MM_MISSING_FLAG)
            return bad(L, "header field 'blocks[%zu].flag' is true for missing strategy '%s'", b, mm_missing_name((mm_missing)miss));
        if (jbool(o, "scaled") != p->scale_blocks)
            return bad(L, "header field 'blocks[%zu].scaled' disagrees with 'params.scale_blocks'", b);
        size_t pre = enc + flag, N = p->balance_dim;
        if (pca ? !(N && pre > N && pca <= N && pca <= n_train && dim == pca) : !((N == 0 || pre <= N) && dim == pre))
            return bad(L,
                       "header field 'blocks[%zu].dim' (%zu, pca %zu) does not follow from encoded_dim %zu, flag %d "
                       "and params.balance_dim %zu",
                       b, dim, pca, enc, (int)flag, N);
        bool want = p->fusion == MM_FUSION_EARLY    ? false
                    : p->fusion == MM_FUSION_SINGLE ? strcmp(names[b], p->single) == 0
                                                    : true;
        n_single += strcmp(names[b], p->single) == 0;
        if (cJSON_IsTrue(single) != want)
            return bad(L, "header field 'models.single[%zu]' is %s; fusion '%s' %s a model of block '%s'", b,
                       cJSON_IsTrue(single) ? "true" : "false", mm_fusion_name(p->fusion), want ? "needs" : "has no",
                       names[b]);
    }
    if (p->fusion == MM_FUSION_SINGLE && n_single != 1)
        return bad(L, "header field 'params.single' ('%.60s') names no block", p->single);
    if (jbool(models, "early") != (p->fusion == MM_FUSION_EARLY) ||
        jbool(models, "late_weights") != (p->fusion == MM_FUSION_LATE_WEIGHTED) ||
        jbool(models, "stacker") != (p->fusion == MM_FUSION_LATE_STACKED))
        return bad(L, "header fields 'models.early', 'late_weights' and 'stacker' disagree with fusion '%s'",
                   mm_fusion_name(p->fusion));
    return MM_OK;
}

/* The header's format version, read before anything else so that a newer
 * file is reported as such. */
static mm_status header_version(loader *L, const cJSON *h, int *version)
{
    if (!cJSON_IsObject(h)) return bad(L, "the header is not a JSON object");
    const cJSON *v = jget(h, "format_version");
    if (!v) return bad(L, "header lacks the field 'format_version'");
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= 1 && v->valuedouble < 1e9) || v->valuedouble != floor(v->valuedouble))
        return bad(L, "header field 'format_version' is not a version number");
    if (v->valuedouble > MM_MODEL_FORMAT_VERSION)
        return mm_error_set(L->err, MM_EUNSUPPORTED, "%s: model format version %.0f; this mmfuse reads versions 1 to %d",
                            L->path, v->valuedouble, MM_MODEL_FORMAT_VERSION);
    *version = (int)v->valuedouble;
    return MM_OK;
}

/* Everything that can be checked from the header alone. */
static mm_status header_check(loader *L, const cJSON *h, mm_pipeline_params *p, int *version)
{
    mm_status st = header_version(L, h, version);
    if (!st) st = check_object(L, h, F_HEADER, "");
    if (!st) st = parse_params(L, jget(h, "params"), p);
    if (!st) st = check_classes(L, jget(h, "classes"));
    if (!st && jsize(h, "n_train") == 0) st = bad(L, "header field 'n_train' is 0");
    if (st) return st;
    hdr_cols c = {0};
    size_t ntab = jlen(h, "tabular");
    size_t *dims = ntab > MM_XMAT_MAX_PARTS ? NULL : calloc(ntab + 1, sizeof *dims);
    if (ntab > MM_XMAT_MAX_PARTS) st = bad(L, "header field 'tabular' has %zu blocks (at most %d)", ntab, MM_XMAT_MAX_PARTS);
    else if (!dims) st = mm_error_set(L->err, MM_ENOMEM, "out of memory");
    if (!st) st = check_columns(L, h, &c);
    if (!st) st = check_tabular(L, h, p, &c, dims);
    if (!st) st = check_encoders(L, h, p, &c);
    if (!st) st = check_blocks(L, h, p, dims);
    hdr_cols_free(&c);
    free(dims);
    return st;
}


/* ---------------------------------------------------------------- tensors */

static void shape_text(char *buf, size_t size, const size_t *shape, size_t ndim)
{
    size_t at = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < ndim && at + 1 < size; i++) {
        int n = snprintf(buf + at, size - at, "%s%zu", i ? ", " : "", shape[i]);
        if (n < 0) break;
        at += (size_t)n;
    }
}

/* The tensor `name`, which must exist with this dtype and shape (what the
 * header field `why` implies); marks it used. */
static mm_status take(loader *L, const char *name, mm_dtype dtype, const size_t *shape, size_t ndim,
                      const char *why, const mm_st_tensor **out)
{
    const mm_st_tensor *t = mm_st_find(L->f, name);
    if (!t) return bad(L, "tensor '%s' is missing (%s needs it)", name, why);
    size_t i = (size_t)(t - mm_st_at(L->f, 0));
    bool same = t->dtype == dtype && t->ndim == ndim;
    for (size_t d = 0; d < ndim && same; d++) same = t->shape[d] == shape[d];
    if (!same) {
        char have[80], want[80];
        shape_text(have, sizeof have, t->shape, t->ndim);
        shape_text(want, sizeof want, shape, ndim);
        const char *dt = t->dtype == MM_DTYPE_F64 ? "F64" : t->dtype == MM_DTYPE_U8 ? "U8" : "another dtype";
        return bad(L, "tensor '%s' is %s [%s]; %s implies %s [%s]", name, dt, have, why,
                   dtype == MM_DTYPE_F64 ? "F64" : "U8", want);
    }
    L->used[i] = true;
    *out = t;
    return MM_OK;
}

/* An F64 tensor of this shape into a new array; every value finite. */
static mm_status read_f64(loader *L, const char *name, const size_t *shape, size_t ndim, const char *why,
                          double **out)
{
    *out = NULL;
    const mm_st_tensor *t;
    mm_status st = take(L, name, MM_DTYPE_F64, shape, ndim, why, &t);
    if (st) return st;
    double *v = mm_alloc_array(t->count + 1, sizeof *v);
    if (!v) return mm_error_set(L->err, MM_ENOMEM, "out of memory");
    st = mm_st_read_f64(L->f, name, v, t->count, L->err);
    for (size_t i = 0; i < t->count && !st; i++)
        if (!isfinite(v[i])) st = bad(L, "tensor '%s' holds a non-finite value (element %zu)", name, i);
    if (st) {
        free(v);
        return st;
    }
    *out = v;
    return MM_OK;
}

static mm_status read_vec(loader *L, const char *name, size_t n, const char *why, double **out)
{
    return read_f64(L, name, &n, 1, why, out);
}

/* A U8 tensor of exactly n NUL-terminated strings, strdup'd. */
static mm_status read_strings(loader *L, const char *name, size_t n, const char *why, char ***out)
{
    *out = NULL;
    const mm_st_tensor *t = mm_st_find(L->f, name);
    if (!t) return bad(L, "tensor '%s' is missing (%s needs it)", name, why);
    if (n > t->nbytes) return bad(L, "tensor '%s' has %zu bytes, too few for the %zu strings %s gives", name, t->nbytes, n, why);
    size_t shape[1] = {t->nbytes};
    mm_status st = take(L, name, MM_DTYPE_U8, shape, 1, why, &t);
    if (st) return st;
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
        return bad(L, "tensor '%s' does not hold exactly the %zu strings %s gives", name, n, why);
    }
    *out = s;
    return MM_OK;
}

static mm_status load_model(loader *L, const char *prefix, size_t K, size_t dim, const char *why, mm_logreg **out)
{
    char name[96];
    size_t shape[2] = {K == 2 ? 1 : K, dim};
    size_t n;
    if (!mm_size_mul(shape[0], dim, &n)) return bad(L, "model '%s' is too large", prefix);
    double *coef = NULL, *icpt = NULL;
    snprintf(name, sizeof name, "%s.coef", prefix);
    mm_status st = read_f64(L, name, shape, 2, why, &coef);
    snprintf(name, sizeof name, "%s.intercept", prefix);
    if (!st) st = read_vec(L, name, shape[0], "'classes'", &icpt);
    if (!st) st = corrupt(L, mm_logreg_from_parts(K, dim, coef, icpt, out, L->err), prefix);
    free(coef);
    free(icpt);
    return st;
}

/* ------------------------------------------------------------ build */

static mm_status load_tab(loader *L, mm_tab_enc *e, size_t g, mm_cat_encoding enc, const cJSON *tab)
{
    size_t nn = jlen(tab, "numeric"), nc = jlen(tab, "categorical");
    mm_status st = mm_tab_init(e, nn, nc, enc, L->err);
    if (st) return st;
    snprintf(e->name, sizeof e->name, "%s", jstr(tab, "name"));
    size_t j = 0;
    for (const cJSON *c = jget(tab, "numeric")->child; c; c = c->next, j++) {
        e->num_names[j] = strdup(jstr(c, "name"));
        if (!e->num_names[j]) return mm_error_set(L->err, MM_ENOMEM, "out of memory");
        e->num_indicator[j] = jbool(c, "indicator");
    }
    char name[64], why[64];
    double *mean = NULL;
    snprintf(name, sizeof name, "tabular.%zu.num_mean", g);
    snprintf(why, sizeof why, "'tabular[%zu].numeric'", g);
    st = read_vec(L, name, nn, why, &mean);
    if (st) return st;
    if (nn) memcpy(e->num_mean, mean, nn * sizeof *mean);
    free(mean);
    j = 0;
    for (const cJSON *c = jget(tab, "categorical")->child; c; c = c->next, j++) {
        size_t k = jsize(c, "n");
        e->cat_names[j] = strdup(jstr(c, "name"));
        if (!e->cat_names[j]) return mm_error_set(L->err, MM_ENOMEM, "out of memory");
        snprintf(name, sizeof name, "tabular.%zu.cat.%zu", g, j);
        snprintf(why, sizeof why, "'tabular[%zu].categorical[%zu].n'", g, j);
        st = read_strings(L, name, k, why, &e->cats[j]);
        if (st) return st;
        e->n_cats[j] = k;
        for (size_t i = 1; i < k; i++)
            if (strcmp(e->cats[j][i - 1], e->cats[j][i]) >= 0)
                return bad(L, "tensor '%s': categories %zu and %zu are not in increasing byte order", name, i - 1, i);
    }
    mm_tab_finish(e);
    return MM_OK;
}

static mm_status load_tabular(loader *L, mm_pipeline *m, const cJSON *h)
{
    size_t ng = jlen(h, "tabular"), g = 0;
    m->tabs = calloc(ng + 1, sizeof *m->tabs);
    if (!m->tabs) return mm_error_set(L->err, MM_ENOMEM, "out of memory");
    for (const cJSON *t = jget(h, "tabular")->child; t; t = t->next, g++) {
        m->n_tab = g + 1;
        mm_status st = load_tab(L, &m->tabs[g], g, m->params.categorical, t);
        if (st) return st;
    }
    return MM_OK;
}

static mm_status load_text(loader *L, mm_pipeline *m, const cJSON *h)
{
    size_t nt = jlen(h, "text"), j = 0;
    m->text = calloc(nt + 1, sizeof *m->text);
    if (!m->text) return mm_error_set(L->err, MM_ENOMEM, "out of memory");
    for (const cJSON *c = jget(h, "text")->child; c; c = c->next, j++) {
        size_t n_terms = jsize(c, "n_terms");
        char *col = strdup(jstr(c, "column"));
        if (!col) return mm_error_set(L->err, MM_ENOMEM, "out of memory");
        m->text[j].column = col;
        m->n_text = j + 1;
        char name[64], why[64];
        char **terms = NULL;
        double *idf = NULL;
        snprintf(name, sizeof name, "text.%zu.terms", j);
        snprintf(why, sizeof why, "'text[%zu].n_terms'", j);
        mm_status st = read_strings(L, name, n_terms, why, &terms);
        snprintf(name, sizeof name, "text.%zu.idf", j);
        if (!st) st = read_vec(L, name, n_terms, why, &idf);
        if (!st) {
            char what[96];
            snprintf(what, sizeof what, "vocabulary of text column '%.60s'", col);
            st = corrupt(L,
                         mm_tfidf_from_parts(&m->params.tfidf, (const char *const *)terms, idf, n_terms,
                                             &m->text[j].tfidf, L->err),
                         what);
        }
        mm_classes_free(terms, terms ? n_terms : 0);
        free(idf);
        if (st) return st;
    }
    return MM_OK;
}

static mm_status load_files(loader *L, mm_pipeline *m, const cJSON *h)
{
    size_t nf = jlen(h, "files"), j = 0;
    m->files = calloc(nf + 1, sizeof *m->files);
    if (!m->files) return mm_error_set(L->err, MM_ENOMEM, "out of memory");
    for (const cJSON *c = jget(h, "files")->child; c; c = c->next, j++) {
        const char *kind = jstr(c, "kind"), *config = jstr(c, "config");
        mm_file_col *f = &m->files[j];
        f->column = strdup(jstr(c, "column"));
        if (!f->column) return mm_error_set(L->err, MM_ENOMEM, "out of memory");
        f->role = (mm_role)mm_role_parse(jstr(c, "role"));
        m->n_file = j + 1;
        const char *cfg = f->role == MM_ROLE_AUDIO   ? m->params.audio_config
                          : f->role == MM_ROLE_IMAGE ? m->params.image_config
                                                     : "";
        mm_status st = mm_file_encoder_create(f->role, cfg, &f->enc, L->err);
        if (st == MM_EUNSUPPORTED || st == MM_ENOMEM || st == MM_EIO) {
            mm_error_prefix(L->err, "%s: the model needs the %.40s encoder for column '%.60s'", L->path, kind, f->column);
            return st;
        }
        if (st) {
            char what[96];
            snprintf(what, sizeof what, "header field 'params.%s_config'", mm_role_name(f->role));
            return corrupt(L, st, what);
        }
        if (strcmp(f->enc->kind, kind) != 0 || strcmp(f->enc->config, config) != 0 || f->enc->dim != jsize(c, "dim"))
            return mm_error_set(L->err, MM_EUNSUPPORTED,
                                "%s: column '%.60s' was encoded by %.40s %.200s (%zu features); this build's encoder "
                                "differs (%s %.200s, %zu features)",
                                L->path, f->column, kind, config, jsize(c, "dim"), f->enc->kind, f->enc->config,
                                f->enc->dim);
    }
    return MM_OK;
}

static mm_status load_block(loader *L, mm_pipeline *m, size_t b, const cJSON *c, bool single)
{
    mm_block_info *bi = &m->blocks[b];
    size_t dim = jsize(c, "dim"), enc = jsize(c, "encoded_dim"), pca_k = jsize(c, "pca");
    bool flag = jbool(c, "flag");
    size_t pre = enc + flag; /* after the missing step, before PCA */
    size_t first_text = m->n_tab, first_file = first_text + m->n_text;
    snprintf(bi->name, sizeof bi->name, "%s", jstr(c, "name"));
    bi->modality = b < first_text ? MM_MOD_TABULAR : b < first_file ? MM_MOD_TEXT : m->files[b - first_file].enc->modality;
    bi->dim = dim;
    bi->miss.strategy = (mm_missing)mm_missing_parse(jstr(c, "missing"));
    bi->miss.dim_in = enc;
    bi->miss.flag = flag;
    char tn[64], why[64];
    mm_status st = MM_OK;
    if (bi->miss.strategy == MM_MISSING_MEAN) {
        double *mean = NULL;
        snprintf(tn, sizeof tn, "block.%zu.missing_mean", b);
        snprintf(why, sizeof why, "'blocks[%zu].encoded_dim'", b);
        st = read_vec(L, tn, enc, why, &mean);
        if (st) return st;
        bi->miss.mean = malloc((enc ? enc : 1) * sizeof *bi->miss.mean);
        if (!bi->miss.mean) st = mm_error_set(L->err, MM_ENOMEM, "out of memory");
        for (size_t j = 0; j < enc && !st; j++) bi->miss.mean[j] = (float)mean[j];
        free(mean);
        if (st) return st;
    }
    snprintf(why, sizeof why, "'blocks[%zu]' (encoded_dim + flag)", b);
    if (jbool(c, "scaled")) {
        double *mean = NULL, *scale = NULL;
        snprintf(tn, sizeof tn, "block.%zu.mean", b);
        st = read_vec(L, tn, pre, why, &mean);
        snprintf(tn, sizeof tn, "block.%zu.scale", b);
        if (!st) st = read_vec(L, tn, pre, why, &scale);
        bool centered = bi->modality != MM_MOD_TEXT;
        snprintf(tn, sizeof tn, "scaler of block %zu", b);
        if (!st) st = corrupt(L, mm_scaler_from_parts(pre, centered, mean, NULL, scale, &bi->scaler, L->err), tn);
        free(mean);
        free(scale);
    }
    if (!st && pca_k) {
        double *pm = NULL, *pc = NULL, *pv = NULL;
        size_t shape[2] = {pca_k, pre};
        snprintf(tn, sizeof tn, "block.%zu.pca_mean", b);
        st = read_vec(L, tn, pre, why, &pm);
        snprintf(tn, sizeof tn, "block.%zu.pca_components", b);
        snprintf(why, sizeof why, "'blocks[%zu]' (pca x (encoded_dim + flag))", b);
        if (!st) st = read_f64(L, tn, shape, 2, why, &pc);
        snprintf(tn, sizeof tn, "block.%zu.pca_variance", b);
        snprintf(why, sizeof why, "'blocks[%zu].pca'", b);
        if (!st) st = read_vec(L, tn, pca_k, why, &pv);
        snprintf(tn, sizeof tn, "PCA of block %zu", b);
        if (!st) st = corrupt(L, mm_pca_from_parts(pre, pca_k, pm, pc, pv, &bi->pca, L->err), tn);
        free(pm);
        free(pc);
        free(pv);
    }
    if (!st && single) {
        snprintf(tn, sizeof tn, "model.single.%zu", b);
        snprintf(why, sizeof why, "'classes' and 'blocks[%zu].dim'", b);
        st = load_model(L, tn, m->n_classes, dim, why, &m->single[b]);
    }
    return st;
}

static mm_status load_blocks(loader *L, mm_pipeline *m, const cJSON *h)
{
    const cJSON *models = jget(h, "models");
    size_t nb = jlen(h, "blocks");
    m->blocks = calloc(nb, sizeof *m->blocks);
    m->single = calloc(nb, sizeof *m->single);
    if (!m->blocks || !m->single) return mm_error_set(L->err, MM_ENOMEM, "out of memory");
    m->n_blocks = nb;
    size_t total = 0, b = 0;
    const cJSON *single = jget(models, "single")->child;
    for (const cJSON *c = jget(h, "blocks")->child; c; c = c->next, single = single->next, b++) {
        mm_status st = load_block(L, m, b, c, cJSON_IsTrue(single));
        if (st) return st;
        total += m->blocks[b].dim;
    }
    size_t K = m->n_classes;
    if (jbool(models, "late_weights")) {
        mm_status st = read_vec(L, "late.weights", nb, "'blocks'", &m->late_w);
        if (st) return st;
    }
    if (jbool(models, "stacker")) {
        mm_status st = load_model(L, "model.stacker", K, nb * (K + 1), "'classes' and 'blocks'", &m->meta);
        if (st) return st;
    }
    if (jbool(models, "early")) return load_model(L, "model.early", K, total, "'classes' and 'blocks[].dim'", &m->early);
    return MM_OK;
}

static mm_status load_header(loader *L, mm_pipeline *m, const cJSON *h)
{
    m->target_name = strdup(jstr(h, "target"));
    m->n_train = jsize(h, "n_train");
    size_t K = jlen(h, "classes"), nc = jlen(h, "columns");
    m->classes = calloc(K, sizeof *m->classes);
    m->col_names = calloc(nc + 1, sizeof *m->col_names);
    m->col_roles = calloc(nc + 1, sizeof *m->col_roles);
    if (!m->target_name || !m->classes || !m->col_names || !m->col_roles)
        return mm_error_set(L->err, MM_ENOMEM, "out of memory");
    m->n_classes = K;
    size_t k = 0;
    for (const cJSON *c = jget(h, "classes")->child; c; c = c->next, k++)
        if (!(m->classes[k] = strdup(c->valuestring))) return mm_error_set(L->err, MM_ENOMEM, "out of memory");
    m->n_cols = nc;
    size_t j = 0;
    for (const cJSON *c = jget(h, "columns")->child; c; c = c->next, j++) {
        m->col_roles[j] = (mm_role)mm_role_parse(jstr(c, "role"));
        if (!(m->col_names[j] = strdup(jstr(c, "name")))) return mm_error_set(L->err, MM_ENOMEM, "out of memory");
    }
    mm_status st = read_vec(L, "prior", K, "'classes'", &m->prior);
    if (st) return st;
    double sum = 0;
    for (k = 0; k < K; k++) {
        if (!(m->prior[k] >= 0 && m->prior[k] <= 1)) return bad(L, "tensor 'prior': element %zu is not in [0, 1]", k);
        sum += m->prior[k];
    }
    if (fabs(sum - 1.0) > 1e-6) return bad(L, "tensor 'prior' sums to %.9g, not 1", sum);
    if ((st = load_tabular(L, m, h))) return st;
    if ((st = load_text(L, m, h))) return st;
    if ((st = load_files(L, m, h))) return st;
    if ((st = load_blocks(L, m, h))) return st;
    for (size_t i = 0; i < mm_st_count(L->f); i++)
        if (!L->used[i]) return bad(L, "tensor '%.100s' is not described by the header", mm_st_at(L->f, i)->name);
    return MM_OK;
}


/* ------------------------------------------------------------ entry points */

static mm_status parse_header_json(loader *L, const char *json, size_t len, cJSON **out)
{
    const char *end = NULL;
    *out = cJSON_ParseWithLengthOpts(json, len, &end, 0);
    if (!*out) return bad(L, "the header is not JSON");
    for (const char *q = end; q && q < json + len; q++)
        if (*q != ' ' && *q != '\t' && *q != '\n' && *q != '\r') return bad(L, "data after the JSON header");
    return MM_OK;
}

mm_status mm_pl_header_check(const char *json, size_t len, const char *name, mm_error *err)
{
    loader L = {NULL, name ? name : "<header>", err, NULL};
    if (!json) return mm_error_set(err, MM_EINVAL, "mm_pl_header_check: NULL json");
    cJSON *h = NULL;
    mm_status st = parse_header_json(&L, json, len, &h);
    mm_pipeline_params p;
    int version;
    if (!st) st = header_check(&L, h, &p, &version);
    cJSON_Delete(h);
    return st;
}

/* The checksum of the container f: SHA-256 of the whole file (64 hex
 * digits, format 2) or xxHash64 of the data (16, format 1). *family is the
 * version the checksum's form stands for. */
static mm_status verify_checksum(loader *L, const char *sum, int *family)
{
    size_t len = strlen(sum), size;
    const unsigned char *img = mm_st_image(L->f, &size);
    char hex[CHECKSUM_HEX + 1];
    if (len == CHECKSUM_HEX) {
        *family = 2;
        mm_status st = mm_pipeline_file_checksum(img, size, hex, L->err);
        if (st) {
            mm_error_prefix(L->err, "%s: model file is corrupt", L->path);
            return MM_EFORMAT;
        }
        if (memcmp(img + CHECKSUM_AT, sum, CHECKSUM_HEX) != 0)
            return bad(L, "metadata field 'mmfuse.checksum' is not where format 2 puts it (byte %d)", CHECKSUM_AT);
    } else if (len == 16) {
        *family = 1;
        snprintf(hex, sizeof hex, "%016" PRIx64, mm_st_data_hash(L->f));
    } else {
        return mm_error_set(L->err, MM_EFORMAT,
                            "%s: model file is corrupt: metadata field 'mmfuse.checksum' has %zu characters (64 in "
                            "format 2, 16 in format 1)",
                            L->path, len);
    }
    if (strcmp(hex, sum) != 0)
        return mm_error_set(L->err, MM_EFORMAT, "%s: model file is corrupt (%s checksum %s, expected %.64s)", L->path,
                            *family == 2 ? "SHA-256" : "data", hex, sum);
    return MM_OK;
}

static mm_status load_container(const mm_st_file *f, const char *path, mm_pipeline **out, mm_error *err)
{
    loader L = {f, path, err, NULL};
    const char *format = mm_st_meta(f, "format"), *header = mm_st_meta(f, "mmfuse.header");
    const char *sum = mm_st_meta(f, "mmfuse.checksum");
    if (!format || strcmp(format, "mmfuse-model") != 0 || !header || !sum)
        return mm_error_set(err, MM_EFORMAT, "%s: not an mmfuse model file (no mmfuse header)", path);
    int family = 0, version = 0;
    mm_status st = verify_checksum(&L, sum, &family);
    if (st) return st;
    cJSON *h = NULL;
    mm_pipeline *m = NULL;
    st = parse_header_json(&L, header, strlen(header), &h);
    if (!st) st = header_version(&L, h, &version);
    if (!st && version != family)
        st = bad(&L, "header field 'format_version' is %d, but the checksum has the form of format %d", version, family);
    if (!st) {
        m = mm_pipeline_alloc();
        L.used = calloc(mm_st_count(f) + 1, sizeof *L.used);
        if (!m || !L.used) st = mm_error_set(err, MM_ENOMEM, "out of memory");
    }
    if (!st) st = header_check(&L, h, &m->params, &version);
    if (!st) st = load_header(&L, m, h);
    cJSON_Delete(h);
    free(L.used);
    if (st) {
        mm_pipeline_free(m);
        return st;
    }
    m->file_format = version;
    *out = m;
    return MM_OK;
}

mm_status mm_pipeline_load(const char *path, mm_pipeline **out, mm_error *err)
{
    if (!out || !path) return mm_error_set(err, MM_EINVAL, "mm_pipeline_load: NULL argument");
    *out = NULL;
    mm_st_file *f;
    mm_status st = mm_st_open(path, &f, err);
    if (st) return st;
    st = load_container(f, path, out, err);
    mm_st_close(f);
    return st;
}

mm_status mm_pipeline_load_buffer(const void *data, size_t len, const char *name, mm_pipeline **out, mm_error *err)
{
    if (!out) return mm_error_set(err, MM_EINVAL, "mm_pipeline_load_buffer: NULL argument");
    *out = NULL;
    if (!name) name = "<buffer>";
    mm_st_file *f;
    mm_status st = mm_st_open_buffer(data, len, name, &f, err);
    if (st) return st;
    st = load_container(f, name, out, err);
    mm_st_close(f);
    return st;
}

int mm_pipeline_format(const mm_pipeline *m) { return m ? m->file_format : 0; }


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
    OUT("mmfuse model (format %d, mmfuse %s)\n", m->file_format ? m->file_format : MM_MODEL_FORMAT_VERSION,
        MM_VERSION_STRING);
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
