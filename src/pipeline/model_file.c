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
 * container (io); the checksum, whose form says which rule applies (64
 * hex digits: format 2, 16: format 1); the format version, which must be
 * that of the checksum's form; the header against its schema and against
 * itself (model_header.c lists those checks: columns against encoders,
 * each block's name, modality, dimensions and missing strategy against its
 * encoder and the parameters, models against the fusion, class order);
 * then every tensor's dtype and shape against what the header implies,
 * that no tensor is left over, and that values are finite (prior a
 * distribution, categories sorted, missing-value means, kept as float,
 * within the float range). Each file encoder is rebuilt from
 * its config and must match the recorded kind, config and width (else
 * MM_EUNSUPPORTED: another build's encoder). Any other failure is MM_EFORMAT with a message naming the field or tensor; a
 * file whose checksum verifies but whose format_version is above 2 is
 * MM_EUNSUPPORTED (later versions keep this checksum rule), one whose
 * checksum fails is corrupt whatever it claims.
 *
 * Format 1 (files written before format 2) differs only in the checksum,
 * which covers the tensor data alone: "mmfuse.checksum" is the xxHash64
 * (seed 0) of the data buffer as 16 lowercase hex digits, and
 * format_version is 1. Such files still load, under the same header and
 * tensor checks, but an edit of their header that keeps it consistent is
 * not detected; mm_pipeline_format says which version a model was read
 * from, and the CLI notes it. */
#include "pipeline/model_file.h"
#include "io/guard.h"

#include "mmfuse/decomp.h"
#include "mmfuse/models.h"

#include <fcntl.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    char *header = st ? NULL : mm_mf_header_json(m);
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
static mm_status take(mm_mf_loader *L, const char *name, mm_dtype dtype, const size_t *shape, size_t ndim,
                      const char *why, const mm_st_tensor **out)
{
    const mm_st_tensor *t = mm_st_find(L->f, name);
    if (!t) return mm_mf_bad(L, "tensor '%s' is missing (%s needs it)", name, why);
    size_t i = (size_t)(t - mm_st_at(L->f, 0));
    bool same = t->dtype == dtype && t->ndim == ndim;
    for (size_t d = 0; d < ndim && same; d++) same = t->shape[d] == shape[d];
    if (!same) {
        char have[80], want[80];
        shape_text(have, sizeof have, t->shape, t->ndim);
        shape_text(want, sizeof want, shape, ndim);
        const char *dt = t->dtype == MM_DTYPE_F64 ? "F64" : t->dtype == MM_DTYPE_U8 ? "U8" : "another dtype";
        return mm_mf_bad(L, "tensor '%s' is %s [%s]; %s implies %s [%s]", name, dt, have, why,
                   dtype == MM_DTYPE_F64 ? "F64" : "U8", want);
    }
    L->used[i] = true;
    *out = t;
    return MM_OK;
}

/* An F64 tensor of this shape into a new array; every value finite. */
static mm_status read_f64(mm_mf_loader *L, const char *name, const size_t *shape, size_t ndim, const char *why,
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
        if (!isfinite(v[i])) st = mm_mf_bad(L, "tensor '%s' holds a non-finite value (element %zu)", name, i);
    if (st) {
        free(v);
        return st;
    }
    *out = v;
    return MM_OK;
}

static mm_status read_vec(mm_mf_loader *L, const char *name, size_t n, const char *why, double **out)
{
    return read_f64(L, name, &n, 1, why, out);
}

/* A U8 tensor of exactly n NUL-terminated strings, strdup'd. */
static mm_status read_strings(mm_mf_loader *L, const char *name, size_t n, const char *why, char ***out)
{
    *out = NULL;
    const mm_st_tensor *t = mm_st_find(L->f, name);
    if (!t) return mm_mf_bad(L, "tensor '%s' is missing (%s needs it)", name, why);
    if (n > t->nbytes) return mm_mf_bad(L, "tensor '%s' has %zu bytes, too few for the %zu strings %s gives", name, t->nbytes, n, why);
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
        return mm_mf_bad(L, "tensor '%s' does not hold exactly the %zu strings %s gives", name, n, why);
    }
    *out = s;
    return MM_OK;
}

static mm_status load_model(mm_mf_loader *L, const char *prefix, size_t K, size_t dim, const char *why, mm_logreg **out)
{
    char name[96];
    size_t shape[2] = {K == 2 ? 1 : K, dim};
    size_t n;
    if (!mm_size_mul(shape[0], dim, &n)) return mm_mf_bad(L, "model '%s' is too large", prefix);
    double *coef = NULL, *icpt = NULL;
    snprintf(name, sizeof name, "%s.coef", prefix);
    mm_status st = read_f64(L, name, shape, 2, why, &coef);
    snprintf(name, sizeof name, "%s.intercept", prefix);
    if (!st) st = read_vec(L, name, shape[0], "'classes'", &icpt);
    if (!st) st = mm_mf_corrupt(L, mm_logreg_from_parts(K, dim, coef, icpt, out, L->err), prefix);
    free(coef);
    free(icpt);
    return st;
}

/* ------------------------------------------------------------ build */

static mm_status load_tab(mm_mf_loader *L, mm_tab_enc *e, size_t g, mm_cat_encoding enc, const cJSON *tab)
{
    size_t nn = mm_mf_len(tab, "numeric"), nc = mm_mf_len(tab, "categorical");
    mm_status st = mm_tab_init(e, nn, nc, enc, L->err);
    if (st) return st;
    snprintf(e->name, sizeof e->name, "%s", mm_mf_str(tab, "name"));
    size_t j = 0;
    for (const cJSON *c = mm_mf_get(tab, "numeric")->child; c; c = c->next, j++) {
        e->num_names[j] = strdup(mm_mf_str(c, "name"));
        if (!e->num_names[j]) return mm_error_set(L->err, MM_ENOMEM, "out of memory");
        e->num_indicator[j] = mm_mf_bool(c, "indicator");
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
    for (const cJSON *c = mm_mf_get(tab, "categorical")->child; c; c = c->next, j++) {
        size_t k = mm_mf_size(c, "n");
        e->cat_names[j] = strdup(mm_mf_str(c, "name"));
        if (!e->cat_names[j]) return mm_error_set(L->err, MM_ENOMEM, "out of memory");
        snprintf(name, sizeof name, "tabular.%zu.cat.%zu", g, j);
        snprintf(why, sizeof why, "'tabular[%zu].categorical[%zu].n'", g, j);
        st = read_strings(L, name, k, why, &e->cats[j]);
        if (st) return st;
        e->n_cats[j] = k;
        for (size_t i = 1; i < k; i++)
            if (strcmp(e->cats[j][i - 1], e->cats[j][i]) >= 0)
                return mm_mf_bad(L, "tensor '%s': categories %zu and %zu are not in increasing byte order", name, i - 1, i);
    }
    mm_tab_finish(e);
    return MM_OK;
}

static mm_status load_tabular(mm_mf_loader *L, mm_pipeline *m, const cJSON *h)
{
    size_t ng = mm_mf_len(h, "tabular"), g = 0;
    m->tabs = calloc(ng + 1, sizeof *m->tabs);
    if (!m->tabs) return mm_error_set(L->err, MM_ENOMEM, "out of memory");
    for (const cJSON *t = mm_mf_get(h, "tabular")->child; t; t = t->next, g++) {
        m->n_tab = g + 1;
        mm_status st = load_tab(L, &m->tabs[g], g, m->params.categorical, t);
        if (st) return st;
    }
    return MM_OK;
}

static mm_status load_text(mm_mf_loader *L, mm_pipeline *m, const cJSON *h)
{
    size_t nt = mm_mf_len(h, "text"), j = 0;
    m->text = calloc(nt + 1, sizeof *m->text);
    if (!m->text) return mm_error_set(L->err, MM_ENOMEM, "out of memory");
    for (const cJSON *c = mm_mf_get(h, "text")->child; c; c = c->next, j++) {
        size_t n_terms = mm_mf_size(c, "n_terms");
        char *col = strdup(mm_mf_str(c, "column"));
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
            st = mm_mf_corrupt(L,
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

static mm_status load_files(mm_mf_loader *L, mm_pipeline *m, const cJSON *h)
{
    size_t nf = mm_mf_len(h, "files"), j = 0;
    m->files = calloc(nf + 1, sizeof *m->files);
    if (!m->files) return mm_error_set(L->err, MM_ENOMEM, "out of memory");
    for (const cJSON *c = mm_mf_get(h, "files")->child; c; c = c->next, j++) {
        const char *kind = mm_mf_str(c, "kind"), *config = mm_mf_str(c, "config");
        mm_file_col *f = &m->files[j];
        f->column = strdup(mm_mf_str(c, "column"));
        if (!f->column) return mm_error_set(L->err, MM_ENOMEM, "out of memory");
        f->role = (mm_role)mm_role_parse(mm_mf_str(c, "role"));
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
            return mm_mf_corrupt(L, st, what);
        }
        if (strcmp(f->enc->kind, kind) != 0 || strcmp(f->enc->config, config) != 0 || f->enc->dim != mm_mf_size(c, "dim"))
            return mm_error_set(L->err, MM_EUNSUPPORTED,
                                "%s: column '%.60s' was encoded by %.40s %.200s (%zu features); this build's encoder "
                                "differs (%s %.200s, %zu features)",
                                L->path, f->column, kind, config, mm_mf_size(c, "dim"), f->enc->kind, f->enc->config,
                                f->enc->dim);
    }
    return MM_OK;
}

static mm_status load_block(mm_mf_loader *L, mm_pipeline *m, size_t b, const cJSON *c, bool single)
{
    mm_block_info *bi = &m->blocks[b];
    size_t dim = mm_mf_size(c, "dim"), enc = mm_mf_size(c, "encoded_dim"), pca_k = mm_mf_size(c, "pca");
    bool flag = mm_mf_bool(c, "flag");
    size_t pre = enc + flag; /* after the missing step, before PCA */
    size_t first_text = m->n_tab, first_file = first_text + m->n_text;
    snprintf(bi->name, sizeof bi->name, "%s", mm_mf_str(c, "name"));
    bi->modality = b < first_text ? MM_MOD_TABULAR : b < first_file ? MM_MOD_TEXT : m->files[b - first_file].enc->modality;
    bi->dim = dim;
    bi->miss.strategy = (mm_missing)mm_missing_parse(mm_mf_str(c, "missing"));
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
        for (size_t j = 0; j < enc && !st; j++) {
            if (fabs(mean[j]) > FLT_MAX) /* kept as float: must not become inf */
                st = mm_mf_bad(L, "tensor '%s' element %zu (%g) is outside the float range", tn, j, mean[j]);
            else
                bi->miss.mean[j] = (float)mean[j];
        }
        free(mean);
        if (st) return st;
    }
    snprintf(why, sizeof why, "'blocks[%zu]' (encoded_dim + flag)", b);
    if (mm_mf_bool(c, "scaled")) {
        double *mean = NULL, *scale = NULL;
        snprintf(tn, sizeof tn, "block.%zu.mean", b);
        st = read_vec(L, tn, pre, why, &mean);
        snprintf(tn, sizeof tn, "block.%zu.scale", b);
        if (!st) st = read_vec(L, tn, pre, why, &scale);
        bool centered = bi->modality != MM_MOD_TEXT;
        snprintf(tn, sizeof tn, "scaler of block %zu", b);
        if (!st) st = mm_mf_corrupt(L, mm_scaler_from_parts(pre, centered, mean, NULL, scale, &bi->scaler, L->err), tn);
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
        if (!st) st = mm_mf_corrupt(L, mm_pca_from_parts(pre, pca_k, pm, pc, pv, &bi->pca, L->err), tn);
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

static mm_status load_blocks(mm_mf_loader *L, mm_pipeline *m, const cJSON *h)
{
    const cJSON *models = mm_mf_get(h, "models");
    size_t nb = mm_mf_len(h, "blocks");
    m->blocks = calloc(nb, sizeof *m->blocks);
    m->single = calloc(nb, sizeof *m->single);
    if (!m->blocks || !m->single) return mm_error_set(L->err, MM_ENOMEM, "out of memory");
    m->n_blocks = nb;
    size_t total = 0, b = 0;
    const cJSON *single = mm_mf_get(models, "single")->child;
    for (const cJSON *c = mm_mf_get(h, "blocks")->child; c; c = c->next, single = single->next, b++) {
        mm_status st = load_block(L, m, b, c, cJSON_IsTrue(single));
        if (st) return st;
        total += m->blocks[b].dim;
    }
    size_t K = m->n_classes;
    if (mm_mf_bool(models, "late_weights")) {
        mm_status st = read_vec(L, "late.weights", nb, "'blocks'", &m->late_w);
        if (st) return st;
    }
    if (mm_mf_bool(models, "stacker")) {
        mm_status st = load_model(L, "model.stacker", K, nb * (K + 1), "'classes' and 'blocks'", &m->meta);
        if (st) return st;
    }
    if (mm_mf_bool(models, "early")) return load_model(L, "model.early", K, total, "'classes' and 'blocks[].dim'", &m->early);
    return MM_OK;
}

static mm_status load_header(mm_mf_loader *L, mm_pipeline *m, const cJSON *h)
{
    m->target_name = strdup(mm_mf_str(h, "target"));
    m->n_train = mm_mf_size(h, "n_train");
    size_t K = mm_mf_len(h, "classes"), nc = mm_mf_len(h, "columns");
    m->classes = calloc(K, sizeof *m->classes);
    m->col_names = calloc(nc + 1, sizeof *m->col_names);
    m->col_roles = calloc(nc + 1, sizeof *m->col_roles);
    if (!m->target_name || !m->classes || !m->col_names || !m->col_roles)
        return mm_error_set(L->err, MM_ENOMEM, "out of memory");
    m->n_classes = K;
    size_t k = 0;
    for (const cJSON *c = mm_mf_get(h, "classes")->child; c; c = c->next, k++)
        if (!(m->classes[k] = strdup(c->valuestring))) return mm_error_set(L->err, MM_ENOMEM, "out of memory");
    m->n_cols = nc;
    size_t j = 0;
    for (const cJSON *c = mm_mf_get(h, "columns")->child; c; c = c->next, j++) {
        m->col_roles[j] = (mm_role)mm_role_parse(mm_mf_str(c, "role"));
        if (!(m->col_names[j] = strdup(mm_mf_str(c, "name")))) return mm_error_set(L->err, MM_ENOMEM, "out of memory");
    }
    mm_status st = read_vec(L, "prior", K, "'classes'", &m->prior);
    if (st) return st;
    double sum = 0;
    for (k = 0; k < K; k++) {
        if (!(m->prior[k] >= 0 && m->prior[k] <= 1)) return mm_mf_bad(L, "tensor 'prior': element %zu is not in [0, 1]", k);
        sum += m->prior[k];
    }
    if (fabs(sum - 1.0) > 1e-6) return mm_mf_bad(L, "tensor 'prior' sums to %.9g, not 1", sum);
    if ((st = load_tabular(L, m, h))) return st;
    if ((st = load_text(L, m, h))) return st;
    if ((st = load_files(L, m, h))) return st;
    if ((st = load_blocks(L, m, h))) return st;
    for (size_t i = 0; i < mm_st_count(L->f); i++)
        if (!L->used[i]) return mm_mf_bad(L, "tensor '%.100s' is not described by the header", mm_st_at(L->f, i)->name);
    return MM_OK;
}


/* ------------------------------------------------------------ entry points */
/* The checksum of the container f: SHA-256 of the whole file (64 hex
 * digits, format 2) or xxHash64 of the data (16, format 1). *family is the
 * version the checksum's form stands for. */
static mm_status verify_checksum(mm_mf_loader *L, const char *sum, int *family)
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
            return mm_mf_bad(L, "metadata field 'mmfuse.checksum' is not where format 2 puts it (byte %d)", CHECKSUM_AT);
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
    mm_mf_loader L = {f, path, err, NULL};
    const char *format = mm_st_meta(f, "format"), *header = mm_st_meta(f, "mmfuse.header");
    const char *sum = mm_st_meta(f, "mmfuse.checksum");
    if (!format || strcmp(format, "mmfuse-model") != 0 || !header || !sum)
        return mm_error_set(err, MM_EFORMAT, "%s: not an mmfuse model file (no mmfuse header)", path);
    int family = 0, version = 0;
    mm_status st = verify_checksum(&L, sum, &family);
    if (st) return st;
    cJSON *h = NULL;
    mm_pipeline *m = NULL;
    st = mm_mf_header_parse(&L, header, strlen(header), &h);
    if (!st) st = mm_mf_header_version(&L, h, &version);
    if (!st && version != family)
        st = mm_mf_bad(&L, "header field 'format_version' is %d, but the checksum has the form of format %d", version, family);
    if (!st) {
        m = mm_pipeline_alloc();
        L.used = calloc(mm_st_count(f) + 1, sizeof *L.used);
        if (!m || !L.used) st = mm_error_set(err, MM_ENOMEM, "out of memory");
    }
    if (!st) st = mm_mf_header_check(&L, h, &m->params, &version);
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

/* A container that did not open: when its first bytes are not a
 * safetensors length prefix followed by '{', the file is not a model file
 * at all (a CSV given in its place, say), and the message says so instead
 * of quoting an absurd header length. */
static mm_status not_a_model(const unsigned char *head, size_t n, const char *name, mm_status st, mm_error *err)
{
    if (st != MM_EFORMAT || (n >= 9 && head[8] == '{')) return st;
    bool text = n > 0;
    for (size_t i = 0; i < n; i++) text &= head[i] == '\t' || head[i] == '\n' || head[i] == '\r' || head[i] >= 0x20;
    return mm_error_set(err, MM_EFORMAT, "%s is not an mmfuse model file (a model file starts with a safetensors "
                        "header; %s)", name, text ? "this looks like a text or CSV file" : "its first bytes are not one");
}

mm_status mm_pipeline_load(const char *path, mm_pipeline **out, mm_error *err)
{
    if (!out || !path) return mm_error_set(err, MM_EINVAL, "mm_pipeline_load: NULL argument");
    *out = NULL;
    mm_st_file *f;
    mm_status st = mm_st_open_kind(path, MM_GUARD_MODEL, &f, err);
    if (st == MM_EFORMAT) {
        /* the guard accepted this regular file: its first bytes can be read */
        unsigned char head[16];
        int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, head, sizeof head) : -1;
        if (fd >= 0) close(fd);
        if (n >= 0) st = not_a_model(head, (size_t)n, path, st, err);
    }
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
    if (st) return not_a_model((const unsigned char *)data, data ? (len < 16 ? len : 16) : 0, name, st, err);
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
