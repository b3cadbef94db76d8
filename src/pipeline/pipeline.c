/* Fitting and applying a pipeline: encoders -> blocks -> scalers -> models.
 * mm_evaluate (evaluate.c) runs the same steps inside each CV fold. */
#include "pipeline/internal.h"

#include "mmfuse/decomp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

mm_pipeline_params mm_pipeline_params_default(void)
{
    mm_pipeline_params p;
    memset(&p, 0, sizeof p);
    p.tfidf = mm_tfidf_params_default();
    p.tfidf.max_features = 500;
    p.tfidf.ngram_lo = 1;
    p.tfidf.ngram_hi = 2;
    p.tfidf.sublinear_tf = true;
    p.tfidf.stop_words_english = true;
    p.categorical = MM_CAT_ONEHOT;
    p.missing_indicator = false;
    p.scale_blocks = true;
    p.logreg = mm_logreg_params_default();
    p.logreg.max_iter = 500;
    p.balanced = false;
    p.fusion = MM_FUSION_EARLY;
    p.missing = MM_MISSING_FLAG;
    snprintf(p.late_weights, sizeof p.late_weights, "auto");
    p.inner_folds = 5;
    p.n_threads = 0;
    p.seed = 42;
    return p;
}

mm_pipeline *mm_pipeline_alloc(void)
{
    return calloc(1, sizeof(mm_pipeline));
}

void mm_pipeline_free(mm_pipeline *m)
{
    if (!m) return;
    for (size_t j = 0; j < m->n_cols; j++) free(m->col_names[j]);
    free(m->col_names);
    free(m->col_roles);
    free(m->target_name);
    mm_classes_free(m->classes, m->n_classes);
    free(m->prior);
    for (size_t j = 0; j < m->n_tab; j++) mm_tab_free(&m->tabs[j]);
    free(m->tabs);
    for (size_t j = 0; j < m->n_text; j++) mm_text_enc_free(&m->text[j]);
    free(m->text);
    for (size_t j = 0; j < m->n_file; j++) {
        free(m->files[j].column);
        mm_file_encoder_free(m->files[j].enc);
    }
    free(m->files);
    for (size_t b = 0; b < m->n_blocks; b++) {
        mm_scaler_free(m->blocks[b].scaler);
        mm_missing_fit_free(&m->blocks[b].miss);
        mm_pca_free(m->blocks[b].pca);
        if (m->single) mm_logreg_free(m->single[b]);
    }
    free(m->blocks);
    free(m->single);
    free(m->late_w);
    mm_logreg_free(m->meta);
    mm_logreg_free(m->early);
    free(m);
}

size_t mm_pipeline_n_classes(const mm_pipeline *m) { return m->n_classes; }
const char *mm_pipeline_class(const mm_pipeline *m, size_t k) { return k < m->n_classes ? m->classes[k] : NULL; }
const mm_pipeline_params *mm_pipeline_get_params(const mm_pipeline *m) { return &m->params; }

mm_status mm_pipeline_set_media_root(mm_pipeline *m, const char *dir, mm_error *err)
{
    if (!m) return mm_error_set(err, MM_EINVAL, "mm_pipeline_set_media_root: NULL model");
    if (!dir || !*dir) {
        m->params.media_root[0] = '\0';
        return MM_OK;
    }
    if (strlen(dir) >= sizeof m->params.media_root)
        return mm_error_set(err, MM_EINVAL, "media root '%.200s...': path too long", dir);
    char real[4096];
    mm_status st = mm_file_media_root(dir, real, sizeof real, err);
    if (st) return st;
    snprintf(m->params.media_root, sizeof m->params.media_root, "%s", dir);
    return MM_OK;
}
size_t mm_pipeline_n_columns(const mm_pipeline *m) { return m->n_cols; }

const char *mm_fusion_name(mm_fusion f)
{
    switch (f) {
    case MM_FUSION_EARLY: return "early";
    case MM_FUSION_LATE_AVERAGE: return "late:average";
    case MM_FUSION_SINGLE: return "single";
    case MM_FUSION_LATE_WEIGHTED: return "late:weighted";
    case MM_FUSION_LATE_STACKED: return "late:stacked";
    }
    return "?";
}

mm_missing mm_pl_missing_for(const mm_pipeline_params *p, const char *block)
{
    /* overrides "name=strategy,name=strategy"; the last mention wins */
    mm_missing m = p->missing;
    size_t bl = strlen(block);
    for (const char *q = p->missing_per_block; *q;) {
        const char *end = strchr(q, ',');
        size_t len = end ? (size_t)(end - q) : strlen(q);
        const char *eq = memchr(q, '=', len);
        if (eq && (size_t)(eq - q) == bl && memcmp(q, block, bl) == 0) {
            char name[16];
            size_t vl = len - (size_t)(eq + 1 - q);
            if (vl < sizeof name) {
                memcpy(name, eq + 1, vl);
                name[vl] = '\0';
                int v = mm_missing_parse(name);
                if (v >= 0) m = (mm_missing)v;
            }
        }
        q += len;
        if (*q == ',') q++;
    }
    return m;
}

const char *mm_pipeline_target(const mm_pipeline *m)
{
    return m->target_name;
}

const char *mm_pipeline_column(const mm_pipeline *m, size_t j, mm_role *role)
{
    if (j >= m->n_cols) return NULL;
    if (role) *role = m->col_roles[j];
    return m->col_names[j];
}

static mm_status scale_block(const mm_scaler *sc, mm_block *b, mm_error *err)
{
    if (!sc) return MM_OK;
    return b->sparse ? mm_scaler_transform_csr(sc, &b->csr, err) : mm_scaler_transform_dense(sc, &b->dense, err);
}

/* Replaces a block's values by its PCA scores (dense, k columns). */
static mm_status balance_apply(const mm_pca *pca, mm_block *b, mm_error *err)
{
    if (!pca) return MM_OK;
    mm_mat scores;
    mm_status st = b->sparse ? mm_pca_transform_csr(pca, &b->csr, &scores, err)
                             : mm_pca_transform_dense(pca, &b->dense, &scores, err);
    if (st) return st;
    mm_csr_free(&b->csr);
    mm_mat_free(&b->dense);
    b->dense = scores;
    b->sparse = false;
    b->dim = scores.cols;
    b->present_column = false;
    return MM_OK;
}

/* --balance-dim N: a block wider than N is reduced to its first N principal
 * components (fit on these rows: the training rows), as the article's
 * balance_modality_dimensions (StandardScaler, then PCA(N, random_state)). */
static mm_status balance_fit(mm_pipeline *m, size_t b, mm_block *blk, mm_error *err)
{
    size_t N = m->params.balance_dim;
    if (N == 0 || blk->dim <= N) return MM_OK;
    mm_pca_params pp = mm_pca_params_default();
    pp.n_components = N < blk->rows ? N : blk->rows;
    pp.seed = m->params.seed;
    pp.n_threads = m->params.n_threads;
    mm_status st = blk->sparse ? mm_pca_fit_csr(&pp, &blk->csr, &m->blocks[b].pca, err)
                               : mm_pca_fit_dense(&pp, &blk->dense, &m->blocks[b].pca, err);
    if (st) {
        mm_error_prefix(err, "PCA to %zu dimensions", pp.n_components);
        return st;
    }
    const double *ratio = mm_pca_explained_variance_ratio(m->blocks[b].pca);
    double sum = 0;
    for (size_t k = 0; k < pp.n_components; k++) sum += ratio[k];
    m->blocks[b].pca_variance = sum;
    st = balance_apply(m->blocks[b].pca, blk, err);
    m->blocks[b].dim = blk->dim;
    return st;
}

static mm_status copy_schema(mm_pipeline *m, const mm_schema *s, mm_error *err)
{
    m->n_cols = s->n_cols;
    m->col_names = calloc(s->n_cols + 1, sizeof *m->col_names);
    m->col_roles = calloc(s->n_cols + 1, sizeof *m->col_roles);
    if (!m->col_names || !m->col_roles) return mm_error_set(err, MM_ENOMEM, "out of memory");
    for (size_t j = 0; j < s->n_cols; j++) {
        m->col_names[j] = strdup(s->cols[j].name);
        if (!m->col_names[j]) return mm_error_set(err, MM_ENOMEM, "out of memory");
        m->col_roles[j] = s->cols[j].role;
    }
    m->target_name = strdup(s->target_col >= 0 ? s->cols[s->target_col].name : "");
    if (!m->target_name) return mm_error_set(err, MM_ENOMEM, "out of memory");
    return MM_OK;
}

/* The folder of the table's CSV (for relative file paths). */
static void table_dir(const mm_table *t, char *buf, size_t size)
{
    const char *src = mm_table_source(t), *slash = strrchr(src, '/');
    if (!slash) snprintf(buf, size, ".");
    else if (slash == src) snprintf(buf, size, "/");
    else snprintf(buf, size, "%.*s", (int)(slash - src), src);
}

/* Blocks of the file columns for rows, into blocks[0..n_file). */
static mm_status file_blocks(const mm_pipeline *m, const mm_table *t, const size_t *rows, size_t n,
                             mm_block *blocks, mm_data_report *rep, mm_error *err)
{
    char dir[4096], root[4096];
    table_dir(t, dir, sizeof dir);
    mm_file_opts o = {dir, m->params.cache_dir[0] ? m->params.cache_dir : NULL, m->params.n_threads,
                      m->params.progress, m->params.progress_user, NULL};
    if (m->n_file && m->params.media_root[0]) {
        /* resolved once per call: a root that moved since is noticed */
        mm_status rst = mm_file_media_root(m->params.media_root, root, sizeof root, err);
        if (rst) return rst;
        o.media_root = root;
    }
    for (size_t j = 0; j < m->n_file; j++) {
        const mm_file_col *f = &m->files[j];
        mm_block *b = &blocks[j];
        mm_status st;
        if (f->pre) {
            memset(b, 0, sizeof *b);
            *b = (mm_block){.modality = f->pre->modality, .rows = n, .dim = f->pre->dim};
            snprintf(b->name, sizeof b->name, "%s", f->pre->name);
            st = mm_mat_take_rows(&f->pre->dense, rows, n, &b->dense, err);
            b->present = malloc(n ? n : 1);
            if (!st && !b->present) st = mm_error_set(err, MM_ENOMEM, "out of memory");
            for (size_t i = 0; i < n && !st; i++) b->present[i] = f->pre->present[rows[i]];
        } else {
            st = mm_file_block(f->enc, f->column, f->role, t, rows, n, &o, b, rep, err);
        }
        if (st) return st;
    }
    return MM_OK;
}

mm_status mm_pl_fit_encoders(mm_pipeline *m, const mm_schema *s, const mm_table *t,
                             const size_t *rows, size_t n, mm_block *blocks, mm_data_report *rep,
                             mm_error *err)
{
    mm_status st = copy_schema(m, s, err);
    if (st) return st;
    /* tabular blocks: the ungrouped columns ("tabular") first, then each
       group in order of first appearance */
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
        n_file += (r == MM_ROLE_IMAGE || r == MM_ROLE_AUDIO || r == MM_ROLE_VIDEO) && mm_file_encoder_available(r);
    }
    if (ungrouped) {
        memmove(groups + 1, groups, n_groups * sizeof *groups);
        groups[0] = "";
        n_groups++;
    }
    m->n_blocks = n_groups + n_text + n_file;
    if (m->n_blocks == 0)
        return mm_error_set(err, MM_EINVAL,
                            "no feature columns: give --numeric, --categorical or --text columns");
    if (m->n_blocks > MM_XMAT_MAX_PARTS)
        return mm_error_set(err, MM_EUNSUPPORTED, "%zu feature blocks; at most %d are supported",
                            m->n_blocks, MM_XMAT_MAX_PARTS);
    m->blocks = calloc(m->n_blocks, sizeof *m->blocks);
    m->tabs = calloc(n_groups + 1, sizeof *m->tabs);
    m->text = calloc(n_text + 1, sizeof *m->text);
    m->files = calloc(n_file + 1, sizeof *m->files);
    if (!m->blocks || !m->tabs || !m->text || !m->files) return mm_error_set(err, MM_ENOMEM, "out of memory");
    size_t b = 0;
    for (size_t g = 0; g < n_groups; g++) {
        st = mm_tab_fit(&m->tabs[g], s, groups[g], t, rows, n, m->params.categorical, m->params.missing_indicator,
                        m->num_cache, err);
        if (st) return st;
        m->n_tab++;
        st = mm_tab_transform(&m->tabs[g], t, rows, n, &blocks[b++], rep, m->num_cache, err);
        if (st) return st;
    }
    mm_tfidf_params tp = m->params.tfidf;
    tp.n_threads = m->params.n_threads;
    for (size_t j = 0; j < s->n_cols; j++) {
        if (s->cols[j].role != MM_ROLE_TEXT) continue;
        st = mm_text_enc_fit_transform(&m->text[m->n_text], s->cols[j].name, &tp, t, rows, n, &blocks[b], err);
        if (st) return st;
        m->n_text++;
        b++;
    }
    for (size_t j = 0; j < s->n_cols; j++) {
        mm_role r = s->cols[j].role;
        if (!((r == MM_ROLE_IMAGE || r == MM_ROLE_AUDIO || r == MM_ROLE_VIDEO) && mm_file_encoder_available(r)))
            continue;
        mm_file_col *f = &m->files[m->n_file];
        const char *cfg = r == MM_ROLE_AUDIO ? m->params.audio_config : r == MM_ROLE_IMAGE ? m->params.image_config : "";
        f->role = r;
        f->column = strdup(s->cols[j].name);
        if (!f->column) return mm_error_set(err, MM_ENOMEM, "out of memory");
        m->n_file++;
        st = mm_file_encoder_create(r, cfg, &f->enc, err);
        if (st) return st;
        f->pre = m->pre_blocks ? m->pre_blocks[j] : NULL;
    }
    st = file_blocks(m, t, rows, n, blocks + b, rep, err);
    if (st) return st;
    for (b = 0; b < m->n_blocks; b++) {
        snprintf(m->blocks[b].name, sizeof m->blocks[b].name, "%s", blocks[b].name);
        m->blocks[b].modality = blocks[b].modality;
        st = mm_missing_fit_block(mm_pl_missing_for(&m->params, blocks[b].name), &blocks[b], &m->blocks[b].miss, err);
        if (!st) st = mm_missing_apply(&m->blocks[b].miss, &blocks[b], err);
        m->blocks[b].dim = blocks[b].dim;
        if (!st && m->params.scale_blocks)
            st = blocks[b].sparse ? mm_scaler_fit_csr(&blocks[b].csr, true, &m->blocks[b].scaler, err)
                                  : mm_scaler_fit_dense(&blocks[b].dense, true, true, &m->blocks[b].scaler, err);
        if (!st) st = scale_block(m->blocks[b].scaler, &blocks[b], err);
        if (!st) st = balance_fit(m, b, &blocks[b], err);
        if (st) {
            mm_error_prefix(err, "block '%s'", blocks[b].name);
            return st;
        }
    }
    return MM_OK;
}

mm_status mm_pl_transform(const mm_pipeline *m, const mm_table *t, const size_t *rows, size_t n,
                          mm_block *blocks, mm_data_report *rep, mm_error *err)
{
    size_t b = 0;
    mm_status st;
    for (size_t g = 0; g < m->n_tab; g++) {
        st = mm_tab_transform(&m->tabs[g], t, rows, n, &blocks[b++], rep, m->num_cache, err);
        if (st) return st;
    }
    for (size_t j = 0; j < m->n_text; j++) {
        st = mm_text_enc_transform(&m->text[j], t, rows, n, &blocks[b++], err);
        if (st) return st;
    }
    st = file_blocks(m, t, rows, n, blocks + b, rep, err);
    if (st) return st;
    for (b = 0; b < m->n_blocks; b++) {
        st = mm_missing_apply(&m->blocks[b].miss, &blocks[b], err);
        if (!st) st = scale_block(m->blocks[b].scaler, &blocks[b], err);
        if (!st) st = balance_apply(m->blocks[b].pca, &blocks[b], err);
        if (st) return st;
    }
    return MM_OK;
}

static mm_status fit_one(const mm_pipeline *m, const mm_xmat *x, const int32_t *y,
                         const double *w, mm_logreg **out, mm_error *err)
{
    mm_logreg_params lp = m->params.logreg;
    lp.n_threads = m->params.n_threads;
    return mm_logreg_fit(&lp, x, y, m->n_classes, w, out, err);
}

/* Views of the blocks selected by mask (bit b = block b), in order. */
static size_t select_blocks(const mm_block *blocks, size_t nb, uint32_t mask, mm_block *sel, size_t *idx)
{
    size_t c = 0;
    for (size_t b = 0; b < nb; b++)
        if (mask >> b & 1u) {
            sel[c] = blocks[b];
            idx[c++] = b;
        }
    return c;
}

mm_status mm_pl_fit_subset(const mm_pipeline *m, const mm_block *blocks, uint32_t mask, size_t n, const int32_t *y,
                           const double *w, mm_logreg **out, size_t *removed, mm_error *err)
{
    mm_block sel[MM_XMAT_MAX_PARTS];
    size_t idx[MM_XMAT_MAX_PARTS];
    size_t count = select_blocks(blocks, m->n_blocks, mask, sel, idx);
    size_t *keep = mm_alloc_array(n ? n : 1, sizeof *keep), kept = 0;
    if (!keep) return mm_error_set(err, MM_ENOMEM, "out of memory");
    /* rows lacking a block whose missing strategy is "remove" are left out */
    for (size_t i = 0; i < n; i++) {
        bool ok = true;
        for (size_t c = 0; c < count; c++)
            if (m->blocks[idx[c]].miss.strategy == MM_MISSING_REMOVE && !sel[c].present[i]) ok = false;
        if (ok) keep[kept++] = i;
    }
    *removed = n - kept;
    mm_status st = MM_OK;
    mm_xmat x;
    if (kept == n) {
        st = mm_early_xmat(sel, count, &x, err);
        if (!st) st = fit_one(m, &x, y, w, out, err);
        free(keep);
        return st;
    }
    if (kept == 0) {
        free(keep);
        return mm_error_set(err, MM_EINVAL, "no training row has every block whose missing strategy is 'remove'");
    }
    mm_block *sub = calloc(count, sizeof *sub);
    int32_t *ys = mm_alloc_array(kept, sizeof *ys);
    double *ws = w ? mm_alloc_array(kept, sizeof *ws) : NULL;
    if (!sub || !ys || (w && !ws)) st = mm_error_set(err, MM_ENOMEM, "out of memory");
    for (size_t i = 0; i < kept && !st; i++) {
        ys[i] = y[keep[i]];
        if (ws) ws[i] = w[keep[i]];
    }
    for (size_t c = 0; c < count && !st; c++) {
        sub[c].rows = kept;
        sub[c].dim = sel[c].dim;
        sub[c].sparse = sel[c].sparse;
        st = sel[c].sparse ? mm_csr_take_rows(&sel[c].csr, keep, kept, &sub[c].csr, err)
                           : mm_mat_take_rows(&sel[c].dense, keep, kept, &sub[c].dense, err);
    }
    if (!st) st = mm_early_xmat(sub, count, &x, err);
    if (!st) st = fit_one(m, &x, ys, ws, out, err);
    for (size_t c = 0; sub && c < count; c++) mm_block_free(&sub[c]);
    free(sub);
    free(ys);
    free(ws);
    free(keep);
    return st;
}

mm_status mm_pl_predict_subset(const mm_pipeline *m, const mm_logreg *model, const mm_block *blocks, uint32_t mask,
                               size_t n, double *proba, mm_error *err)
{
    mm_block sel[MM_XMAT_MAX_PARTS];
    size_t idx[MM_XMAT_MAX_PARTS];
    size_t count = select_blocks(blocks, m->n_blocks, mask, sel, idx);
    mm_xmat x;
    (void)n;
    mm_status st = mm_early_xmat(sel, count, &x, err);
    return st ? st : mm_logreg_predict_proba(model, &x, proba, err);
}

static uint32_t all_blocks(size_t nb)
{
    return nb >= 32 ? 0xffffffffu : (1u << nb) - 1u;
}

mm_status mm_pl_fit_models(mm_pipeline *m, const mm_block *blocks, size_t n, const int32_t *y,
                           bool early, bool singles, mm_data_report *rep, mm_error *err)
{
    double *w = NULL;
    size_t removed = 0;
    mm_status st = MM_OK;
    if (m->params.balanced) {
        w = mm_alloc_array(n ? n : 1, sizeof *w);
        if (!w) return mm_error_set(err, MM_ENOMEM, "out of memory");
        st = mm_class_weights_balanced(y, n, m->n_classes, w, err);
    }
    if (!st && early) {
        st = mm_pl_fit_subset(m, blocks, all_blocks(m->n_blocks), n, y, w, &m->early, &removed, err);
        if (st) mm_error_prefix(err, "early fusion model");
        if (rep) rep->rows_removed += removed;
    }
    if (!st && singles) {
        if (!m->single) m->single = calloc(m->n_blocks, sizeof *m->single);
        if (!m->single) st = mm_error_set(err, MM_ENOMEM, "out of memory");
        for (size_t b = 0; b < m->n_blocks && !st; b++) {
            if (m->params.fusion == MM_FUSION_SINGLE && !early && strcmp(m->params.single, blocks[b].name) != 0)
                continue;
            st = mm_pl_fit_subset(m, blocks, 1u << b, n, y, w, &m->single[b], &removed, err);
            if (st) mm_error_prefix(err, "model of block '%s'", blocks[b].name);
            if (rep && !early) rep->rows_removed += removed;
        }
    }
    free(w);
    return st;
}

mm_status mm_pl_predict_blocks(const mm_pipeline *m, const mm_block *blocks, size_t n,
                               mm_fusion kind, size_t which, double *proba, mm_data_report *rep,
                               mm_error *err)
{
    size_t K = m->n_classes;
    mm_xmat x;
    mm_status st;
    if (kind == MM_FUSION_EARLY) {
        if (!m->early) return mm_error_set(err, MM_EINVAL, "the early-fusion model was not fitted");
        st = mm_early_xmat(blocks, m->n_blocks, &x, err);
        return st ? st : mm_logreg_predict_proba(m->early, &x, proba, err);
    }
    if (kind == MM_FUSION_SINGLE) {
        if (which >= m->n_blocks || !m->single || !m->single[which])
            return mm_error_set(err, MM_EINVAL, "no model for block %zu", which);
        st = mm_early_xmat(&blocks[which], 1, &x, err);
        return st ? st : mm_logreg_predict_proba(m->single[which], &x, proba, err);
    }
    /* late fusion: every block's model, then combine */
    size_t nb = m->n_blocks, per;
    if (!mm_size_mul(n, K, &per)) return mm_error_set(err, MM_ENOMEM, "too many rows");
    double *buf = mm_alloc_array(per ? per * nb : 1, sizeof *buf);
    const double **probas = calloc(nb, sizeof *probas);
    const uint8_t **present = calloc(nb, sizeof *present);
    if (!buf || !probas || !present) {
        free(buf);
        free(probas);
        free(present);
        return mm_error_set(err, MM_ENOMEM, "out of memory (late fusion)");
    }
    st = MM_OK;
    for (size_t b = 0; b < nb && !st; b++) {
        st = mm_pl_predict_blocks(m, blocks, n, MM_FUSION_SINGLE, b, buf + b * per, rep, err);
        probas[b] = buf + b * per;
        present[b] = blocks[b].present;
    }
    if (!st && kind == MM_FUSION_LATE_STACKED) {
        st = mm_pl_stack_predict(m, probas, present, n, proba, rep, err);
    } else if (!st) {
        if (kind == MM_FUSION_LATE_WEIGHTED && !m->late_w)
            st = mm_error_set(err, MM_EINVAL, "late:weighted weights were not fitted");
        const double *w = kind == MM_FUSION_LATE_WEIGHTED ? m->late_w : NULL;
        size_t none = st ? 0 : mm_late_weighted(probas, present, w, nb, n, K, m->prior, proba);
        if (rep) rep->rows_no_modality += none;
    }
    free(buf);
    free(probas);
    free(present);
    return st;
}

/* Rows with a target, and the class prior over them. */
static mm_status training_rows(const mm_table *t, const int32_t *y_all, const size_t *rows,
                               size_t n_rows, size_t **out, size_t *n_out, mm_error *err)
{
    size_t total = rows ? n_rows : mm_table_rows(t);
    size_t *r = mm_alloc_array(total ? total : 1, sizeof *r);
    if (!r) return mm_error_set(err, MM_ENOMEM, "out of memory");
    size_t m = 0;
    for (size_t i = 0; i < total; i++) {
        size_t row = rows ? rows[i] : i;
        if (y_all[row] >= 0) r[m++] = row;
    }
    *out = r;
    *n_out = m;
    return MM_OK;
}

static mm_status fit_labels(mm_pipeline *m, const mm_schema *s, const mm_table *t, int32_t **y_all,
                            mm_error *err)
{
    if (s->target_col < 0) return mm_error_set(err, MM_EINVAL, "no target column given");
    mm_status st = mm_target_encode(t, (size_t)s->target_col, &m->classes, &m->n_classes, y_all, err);
    if (st) return st;
    if (m->n_classes == 0)
        return mm_error_set(err, MM_EFORMAT, "%s: the target column '%s' has no values",
                            mm_table_source(t), s->cols[s->target_col].name);
    if (m->n_classes == 1)
        return mm_error_set(err, MM_EFORMAT,
                            "%s: the target column '%s' has a single class ('%s'); need at least two",
                            mm_table_source(t), s->cols[s->target_col].name, m->classes[0]);
    return MM_OK;
}

mm_status mm_pipeline_fit(const mm_pipeline_params *p, const mm_schema *s, const mm_table *t,
                          const size_t *rows, size_t n_rows, mm_pipeline **out,
                          mm_data_report *report, mm_error *err)
{
    *out = NULL;
    mm_data_report rep = {0};
    mm_pipeline *m = mm_pipeline_alloc();
    if (!m) return mm_error_set(err, MM_ENOMEM, "out of memory");
    m->params = *p;
    m->params.progress = NULL;
    m->params.progress_user = NULL;
    int32_t *y_all = NULL, *y = NULL;
    size_t *train = NULL, n = 0;
    mm_block *blocks = NULL;
    /* settings that can be checked against the schema alone fail before
       any data is encoded */
    mm_status st = p->fusion == MM_FUSION_LATE_WEIGHTED ? mm_pl_check_late_weights(p, s, err) : MM_OK;
    if (!st) st = fit_labels(m, s, t, &y_all, err);
    if (!st) st = training_rows(t, y_all, rows, n_rows, &train, &n, err);
    if (!st) {
        rep.rows_total = rows ? n_rows : mm_table_rows(t);
        rep.rows_no_target = rep.rows_total - n;
        y = mm_alloc_array(n ? n : 1, sizeof *y);
        m->prior = calloc(m->n_classes, sizeof *m->prior);
        blocks = calloc(MM_XMAT_MAX_PARTS, sizeof *blocks);
        if (!y || !m->prior || !blocks) st = mm_error_set(err, MM_ENOMEM, "out of memory");
    }
    if (!st) {
        for (size_t i = 0; i < n; i++) {
            y[i] = y_all[train[i]];
            m->prior[y[i]] += 1.0 / (double)n;
        }
        m->n_train = n;
        /* late fusion that learns weights or a stacker splits these rows
           into inner folds */
        bool inner_cv = p->fusion == MM_FUSION_LATE_STACKED ||
                        (p->fusion == MM_FUSION_LATE_WEIGHTED && strcmp(p->late_weights, "auto") == 0);
        if (inner_cv) mm_target_note_small_class(&rep, y, n, m->classes, m->n_classes, p->inner_folds, true);
        if (p->fusion == MM_FUSION_SINGLE && p->single[0] == '\0')
            st = mm_error_set(err, MM_EINVAL, "single-block fusion needs a block name");
    }
    mm_num_cache nc = {0};
    if (!st) st = mm_num_cache_build(t, s, &nc, err);
    m->num_cache = st ? NULL : &nc;
    if (!st && p->progress) p->progress("fitting encoders", 0, 3, p->progress_user);
    if (!st) st = mm_pl_fit_encoders(m, s, t, train, n, blocks, &rep, err);
    if (!st && p->fusion == MM_FUSION_SINGLE) {
        bool found = false;
        for (size_t b = 0; b < m->n_blocks; b++) found |= strcmp(m->blocks[b].name, p->single) == 0;
        if (!found) st = mm_error_set(err, MM_EINVAL, "no block named '%s'", p->single);
    }
    if (!st && p->progress) p->progress("fitting models", 1, 3, p->progress_user);
    if (!st)
        st = mm_pl_fit_models(m, blocks, n, y, p->fusion == MM_FUSION_EARLY, p->fusion != MM_FUSION_EARLY, &rep, err);
    if (!st && (p->fusion == MM_FUSION_LATE_WEIGHTED || p->fusion == MM_FUSION_LATE_STACKED))
        st = mm_pl_fit_late(m, s, t, train, y, n, p->fusion == MM_FUSION_LATE_WEIGHTED,
                            p->fusion == MM_FUSION_LATE_STACKED, err);
    if (!st && p->progress) p->progress("fitting models", 3, 3, p->progress_user);
    m->num_cache = NULL; /* only valid during the fit */
    mm_num_cache_free(&nc);
    mm_blocks_free(blocks, MM_XMAT_MAX_PARTS);
    free(y_all);
    free(y);
    free(train);
    if (report) *report = rep;
    if (st) {
        mm_pipeline_free(m);
        return st;
    }
    *out = m;
    return MM_OK;
}

mm_status mm_pipeline_predict(const mm_pipeline *m, const mm_table *t, double *proba,
                              mm_data_report *report, mm_error *err)
{
    size_t n = mm_table_rows(t);
    mm_data_report rep = {0};
    rep.rows_total = n;
    size_t *rows = mm_alloc_array(n ? n : 1, sizeof *rows);
    mm_block *blocks = calloc(m->n_blocks + 1, sizeof *blocks);
    mm_status st = MM_OK;
    if (!rows || !blocks) st = mm_error_set(err, MM_ENOMEM, "out of memory");
    for (size_t i = 0; i < n && !st; i++) rows[i] = i;
    if (!st) st = mm_pl_transform(m, t, rows, n, blocks, &rep, err);
    if (!st) {
        size_t which = 0;
        if (m->params.fusion == MM_FUSION_SINGLE)
            for (size_t b = 0; b < m->n_blocks; b++)
                if (strcmp(m->blocks[b].name, m->params.single) == 0) which = b;
        st = mm_pl_predict_blocks(m, blocks, n, m->params.fusion, which, proba, &rep, err);
    }
    mm_blocks_free(blocks, m->n_blocks + 1);
    free(rows);
    if (report) *report = rep;
    return st;
}

mm_status mm_pipeline_extract(const mm_pipeline_params *p, const mm_schema *s, const mm_table *t,
                              bool scale, mm_block **blocks_out, size_t *n_blocks,
                              mm_data_report *report, mm_error *err)
{
    *blocks_out = NULL;
    *n_blocks = 0;
    mm_data_report rep = {0};
    mm_pipeline *m = mm_pipeline_alloc();
    size_t n = mm_table_rows(t);
    size_t *rows = mm_alloc_array(n ? n : 1, sizeof *rows);
    mm_block *blocks = calloc(MM_XMAT_MAX_PARTS, sizeof *blocks);
    mm_status st = MM_OK;
    if (!m || !rows || !blocks) st = mm_error_set(err, MM_ENOMEM, "out of memory");
    if (!st) {
        m->params = *p;
        m->params.scale_blocks = scale;
        if (!scale) m->params.balance_dim = 0; /* PCA needs the standardized blocks */
        for (size_t i = 0; i < n; i++) rows[i] = i;
        rep.rows_total = n;
        st = mm_pl_fit_encoders(m, s, t, rows, n, blocks, &rep, err);
    }
    size_t nb = m ? m->n_blocks : 0;
    mm_pipeline_free(m);
    free(rows);
    if (report) *report = rep;
    if (st) {
        mm_blocks_free(blocks, MM_XMAT_MAX_PARTS);
        return st;
    }
    *blocks_out = blocks;
    *n_blocks = nb;
    return MM_OK;
}
