/* Fitting and applying a pipeline: encoders -> blocks -> scalers -> models.
 * The steps of one block (mm_pl_fit_block / mm_pl_transform_block) and of
 * one model (mm_pl_fit_subset) are what the fit routine's tasks (fit.c)
 * run; mm_pipeline_fit, mm_pipeline_extract and mm_evaluate (evaluate.c)
 * are fits made of those tasks. */
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
static mm_status balance_fit(mm_pipeline *m, size_t b, mm_block *blk, int n_threads, mm_error *err)
{
    size_t N = m->params.balance_dim;
    if (N == 0 || blk->dim <= N) return MM_OK;
    mm_pca_params pp = mm_pca_params_default();
    pp.n_components = N < blk->rows ? N : blk->rows;
    pp.seed = m->params.seed;
    pp.n_threads = n_threads;
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

bool mm_run_report_progress(const char *stage, size_t done, size_t total, void *run_progress)
{
    mm_run_progress *rp = run_progress;
    if (!rp || !rp->fn) return true;
    pthread_mutex_lock(&rp->lock);
    bool go = rp->fn(stage, done, total, rp->user);
    pthread_mutex_unlock(&rp->lock);
    return go;
}

/* Rows of the run's block computed once (a file column), as a new block. */
static mm_status pre_rows(const mm_block *pre, const size_t *pre_at, const size_t *rows, size_t n, mm_block *b,
                          mm_error *err)
{
    memset(b, 0, sizeof *b);
    *b = (mm_block){.modality = pre->modality, .rows = n, .dim = pre->dim};
    snprintf(b->name, sizeof b->name, "%s", pre->name);
    size_t *at = NULL;
    if (pre_at) {
        at = mm_alloc_array(n ? n : 1, sizeof *at);
        if (!at) return mm_error_set(err, MM_ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) at[i] = pre_at[rows[i]];
    }
    const size_t *idx = at ? at : rows;
    mm_status st = mm_mat_take_rows(&pre->dense, idx, n, &b->dense, err);
    b->present = malloc(n ? n : 1);
    if (!st && !b->present) st = mm_error_set(err, MM_ENOMEM, "out of memory");
    for (size_t i = 0; i < n && !st; i++) b->present[i] = pre->present[idx[i]];
    free(at);
    if (st) mm_block_free(b);
    return st;
}

/* Block of file column j (block n_tab + n_text + j) for rows: from the
 * run's block computed once when it has one, else encoded. */
static mm_status file_blocks(const mm_pipeline *m, size_t j, const mm_table *t, const size_t *rows, size_t n,
                             const mm_run *run, mm_block *b, mm_data_report *rep, mm_error *err)
{
    const mm_block *pre = run ? run->pre[m->n_tab + m->n_text + j] : NULL;
    if (pre) return pre_rows(pre, run->pre_at, rows, n, b, err);
    char dir[4096], root[4096];
    table_dir(t, dir, sizeof dir);
    mm_file_opts o = {dir, m->params.cache_dir[0] ? m->params.cache_dir : NULL,
                      run ? run->n_threads : m->params.n_threads, run && run->progress ? mm_run_report_progress : NULL,
                      run ? run->progress : NULL, NULL};
    if (m->params.media_root[0]) {
        /* resolved once per call: a root that moved since is noticed */
        mm_status rst = mm_file_media_root(m->params.media_root, root, sizeof root, err);
        if (rst) return rst;
        o.media_root = root;
    }
    const mm_file_col *f = &m->files[j];
    if (!f->enc) return mm_error_set(err, MM_EINVAL, "no encoder for the file column '%s'", f->column);
    return mm_file_block(f->enc, f->column, f->role, t, rows, n, &o, b, rep, err);
}

mm_status mm_pl_plan(mm_pipeline *m, const mm_schema *s, const mm_pl_settings *set, mm_error *err)
{
    const mm_pl_layout *l = &set->layout;
    mm_status st = copy_schema(m, s, err);
    if (st) return st;
    m->n_blocks = l->n_blocks;
    m->blocks = calloc(l->n_blocks, sizeof *m->blocks);
    m->tabs = calloc(l->n_tab + 1, sizeof *m->tabs);
    m->text = calloc(l->n_text + 1, sizeof *m->text);
    m->files = calloc(l->n_file + 1, sizeof *m->files);
    if (!m->blocks || !m->tabs || !m->text || !m->files) return mm_error_set(err, MM_ENOMEM, "out of memory");
    /* the encoders are zeroed until fitted: freeing them is safe either way */
    m->n_tab = l->n_tab;
    m->n_text = l->n_text;
    for (size_t b = 0; b < l->n_blocks; b++) {
        snprintf(m->blocks[b].name, sizeof m->blocks[b].name, "%s", l->name[b]);
        m->blocks[b].modality = l->modality[b];
        m->blocks[b].miss.strategy = set->missing[b];
    }
    for (size_t j = 0; j < l->n_file; j++) {
        mm_file_col *f = &m->files[j];
        size_t col = l->col[l->n_tab + l->n_text + j];
        f->role = s->cols[col].role;
        f->column = strdup(s->cols[col].name);
        if (!f->column) return mm_error_set(err, MM_ENOMEM, "out of memory");
        m->n_file++;
    }
    return MM_OK;
}

/* The schema's layout again (block -> group / column); plan and fit use
 * the same function, so they agree. */
static mm_status block_source(const mm_pipeline *m, const mm_schema *s, mm_pl_layout *l, mm_error *err)
{
    mm_status st = mm_pl_layout_of(s, l, err);
    if (!st && l->n_blocks != m->n_blocks) st = mm_error_set(err, MM_EINVAL, "the schema does not match the plan");
    return st;
}

mm_status mm_pl_encode_block(mm_pipeline *m, size_t b, const mm_schema *s, const mm_table *t, const size_t *rows,
                             size_t n, const mm_run *run, mm_block *out, mm_data_report *rep, mm_error *err)
{
    mm_pl_layout l;
    mm_status st = block_source(m, s, &l, err);
    if (st) return st;
    const mm_num_cache *nc = run ? run->num_cache : NULL;
    int n_threads = run ? run->n_threads : m->params.n_threads;
    if (b < m->n_tab) {
        mm_tab_enc *e = &m->tabs[b];
        mm_tab_free(e);
        st = mm_tab_fit(e, s, l.group[b], t, rows, n, m->params.categorical, m->params.missing_indicator, nc, err);
        return st ? st : mm_tab_transform(e, t, rows, n, out, rep, nc, err);
    }
    if (b < m->n_tab + m->n_text) {
        mm_tfidf_params tp = m->params.tfidf;
        tp.n_threads = n_threads;
        mm_text_enc *e = &m->text[b - m->n_tab];
        mm_text_enc_free(e);
        return mm_text_enc_fit_transform(e, s->cols[l.col[b]].name, &tp, t, rows, n, out, err);
    }
    size_t j = b - m->n_tab - m->n_text;
    mm_file_col *f = &m->files[j];
    if (!f->enc && !(run && run->pre[b])) {
        mm_role r = f->role;
        const char *cfg = r == MM_ROLE_AUDIO ? m->params.audio_config : r == MM_ROLE_IMAGE ? m->params.image_config : "";
        st = mm_file_encoder_create(r, cfg, &f->enc, err);
        if (st) return st;
    }
    return file_blocks(m, j, t, rows, n, run, out, rep, err);
}

mm_status mm_pl_fit_block(mm_pipeline *m, size_t b, const mm_schema *s, const mm_table *t, const size_t *rows,
                          size_t n, const mm_run *run, mm_block *out, mm_data_report *rep, mm_error *err)
{
    mm_status st = mm_pl_encode_block(m, b, s, t, rows, n, run, out, rep, err);
    if (st) return st;
    mm_block_info *bi = &m->blocks[b];
    bi->modality = out->modality;
    mm_missing strategy = bi->miss.strategy;
    mm_missing_fit_free(&bi->miss);
    st = mm_missing_fit_block(strategy, out, &bi->miss, err);
    if (!st) st = mm_missing_apply(&bi->miss, out, err);
    bi->dim = out->dim;
    if (!st && m->params.scale_blocks)
        st = out->sparse ? mm_scaler_fit_csr(&out->csr, true, &bi->scaler, err)
                         : mm_scaler_fit_dense(&out->dense, true, true, &bi->scaler, err);
    if (!st) st = scale_block(bi->scaler, out, err);
    if (!st) st = balance_fit(m, b, out, run ? run->n_threads : m->params.n_threads, err);
    if (st) mm_error_prefix(err, "block '%s'", out->name);
    return st;
}

mm_status mm_pl_transform_block(const mm_pipeline *m, size_t b, const mm_table *t, const size_t *rows, size_t n,
                                const mm_run *run, mm_block *out, mm_data_report *rep, mm_error *err)
{
    mm_status st;
    if (b < m->n_tab) st = mm_tab_transform(&m->tabs[b], t, rows, n, out, rep, run ? run->num_cache : NULL, err);
    else if (b < m->n_tab + m->n_text) st = mm_text_enc_transform(&m->text[b - m->n_tab], t, rows, n, out, err);
    else st = file_blocks(m, b - m->n_tab - m->n_text, t, rows, n, run, out, rep, err);
    if (!st) st = mm_missing_apply(&m->blocks[b].miss, out, err);
    if (!st) st = scale_block(m->blocks[b].scaler, out, err);
    if (!st) st = balance_apply(m->blocks[b].pca, out, err);
    return st;
}

mm_status mm_pl_fit_encoders(mm_pipeline *m, const mm_schema *s, const mm_table *t,
                             const size_t *rows, size_t n, mm_block *blocks, mm_data_report *rep,
                             mm_error *err)
{
    mm_pl_settings set;
    mm_status st = mm_pl_settings_resolve(&m->params, s, &set, err);
    if (!st) st = mm_pl_plan(m, s, &set, err);
    for (size_t b = 0; b < m->n_blocks && !st; b++)
        st = mm_pl_fit_block(m, b, s, t, rows, n, NULL, &blocks[b], rep, err);
    return st;
}

mm_status mm_pl_transform(const mm_pipeline *m, const mm_table *t, const size_t *rows, size_t n,
                          mm_block *blocks, mm_data_report *rep, mm_error *err)
{
    for (size_t b = 0; b < m->n_blocks; b++) {
        mm_status st = mm_pl_transform_block(m, b, t, rows, n, NULL, &blocks[b], rep, err);
        if (st) return st;
    }
    return MM_OK;
}

static mm_status fit_one(const mm_pipeline *m, const mm_xmat *x, const int32_t *y,
                         const double *w, int n_threads, mm_logreg **out, mm_error *err)
{
    mm_logreg_params lp = m->params.logreg;
    lp.n_threads = n_threads;
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
                           const double *w, int n_threads, mm_logreg **out, size_t *removed, mm_error *err)
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
        if (!st) st = fit_one(m, &x, y, w, n_threads, out, err);
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
    if (!st) st = fit_one(m, &x, ys, ws, n_threads, out, err);
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

mm_status mm_pl_combine_late(const mm_pipeline *m, mm_fusion kind, const double *const *probas,
                             const uint8_t *const *present, size_t n, double *proba, mm_data_report *rep,
                             mm_error *err)
{
    if (kind == MM_FUSION_LATE_STACKED) return mm_pl_stack_predict(m, probas, present, n, proba, rep, err);
    if (kind == MM_FUSION_LATE_WEIGHTED && !m->late_w)
        return mm_error_set(err, MM_EINVAL, "late:weighted weights were not fitted");
    const double *w = kind == MM_FUSION_LATE_WEIGHTED ? m->late_w : NULL;
    size_t none = mm_late_weighted(probas, present, w, m->n_blocks, n, m->n_classes, m->prior, proba);
    if (rep) rep->rows_no_modality += none;
    return MM_OK;
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
    if (!st) st = mm_pl_combine_late(m, kind, probas, present, n, proba, rep, err);
    free(buf);
    free(probas);
    free(present);
    return st;
}

/* Rows with a target. */
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

static mm_status fit_labels(const mm_schema *s, const mm_table *t, char ***classes, size_t *n_classes,
                            int32_t **y_all, mm_error *err)
{
    if (s->target_col < 0) return mm_error_set(err, MM_EINVAL, "no target column given");
    mm_status st = mm_target_encode(t, (size_t)s->target_col, classes, n_classes, y_all, err);
    if (st) return st;
    if (*n_classes == 0)
        return mm_error_set(err, MM_EFORMAT, "%s: the target column '%s' has no values",
                            mm_table_source(t), s->cols[s->target_col].name);
    if (*n_classes == 1)
        return mm_error_set(err, MM_EFORMAT,
                            "%s: the target column '%s' has a single class ('%s'); need at least two",
                            mm_table_source(t), s->cols[s->target_col].name, (*classes)[0]);
    return MM_OK;
}

mm_pool *mm_pl_pool_begin(int n_threads, mm_pool **owned, mm_pool **prev)
{
    *owned = NULL;
    *prev = NULL;
    mm_pool *pool = mm_pool_current();
    if (!pool && mm_threads_resolve(n_threads) > 1 && mm_pool_new(n_threads, owned, NULL) == MM_OK) {
        pool = *owned;
        *prev = mm_pool_enter(pool);
    }
    /* the pool owns the cores: BLAS calls made inside its tasks run on one
       thread (and so give the same bits for any thread count) */
    if (mm_pool_size(pool) > 1) mm_blas_set_threads(1);
    return pool;
}

void mm_pl_pool_end(mm_pool *owned, mm_pool *prev)
{
    if (!owned) return;
    mm_pool_leave(prev);
    mm_pool_free(owned);
}

/* The fit of mm_pipeline_fit and mm_pipeline_extract: its tasks, plus one
 * task per file block computing it once for the inner folds. */
typedef struct train_job {
    mm_pl_fit *f;
    mm_task_list tasks;
    mm_run nopre;          /* the run without the pre blocks (for PRE)     */
    mm_block pre[MM_XMAT_MAX_PARTS];
} train_job;

static mm_status train_task(size_t i, int n_threads, void *user, mm_error *err)
{
    train_job *J = user;
    const mm_pl_task *t = &J->tasks.tasks[i];
    if (t->kind != MM_TASK_PRE) return mm_pl_fit_run(J->f, t, n_threads, err);
    mm_run r = J->nopre;
    r.n_threads = n_threads;
    mm_pl_fit *f = J->f;
    return mm_pl_encode_block(f->m, t->block, f->s, f->t, f->rows, f->n, &r, &J->pre[t->block],
                              &f->rep_fit[t->block], err);
}

/* Builds and runs the tasks of fit f on the current pool. The run's pre
 * blocks of file columns are computed first when inner folds need them. */
static mm_status run_fit(mm_pl_fit *f, mm_run *run, size_t n_table_rows, const char *stage, mm_error *err)
{
    train_job J = {.f = f, .nopre = *run};
    size_t pre_task[MM_XMAT_MAX_PARTS], *at = NULL;
    mm_status st = MM_OK;
    for (size_t b = 0; b < MM_XMAT_MAX_PARTS; b++) pre_task[b] = SIZE_MAX;
    const mm_pipeline *m = f->m;
    if (f->n_inner && m->n_file) {
        at = mm_alloc_array(n_table_rows ? n_table_rows : 1, sizeof *at);
        if (!at) st = mm_error_set(err, MM_ENOMEM, "out of memory");
        for (size_t i = 0; i < f->n && !st; i++) at[f->rows[i]] = i;
        run->pre_at = at;
        for (size_t b = m->n_tab + m->n_text; b < m->n_blocks && !st; b++) {
            pre_task[b] = mm_tasks_add(&J.tasks, (mm_pl_task){.kind = MM_TASK_PRE, .block = (uint8_t)b}, NULL, 0);
            if (pre_task[b] == SIZE_MAX) st = mm_error_set(err, MM_ENOMEM, "out of memory");
            run->pre[b] = &J.pre[b];
        }
    }
    if (!st) st = mm_pl_fit_tasks(f, &J.tasks, 0, pre_task, err);
    if (!st) {
        mm_task_graph g = {.n_tasks = J.tasks.n, .dep_start = J.tasks.dep_start, .deps = J.tasks.deps,
                           .run = train_task, .user = &J, .progress = mm_run_report_progress,
                           .progress_user = run->progress, .stage = stage};
        if (!run->progress) g.progress = NULL;
        st = mm_pool_run_graph(NULL, &g, err);
    }
    for (size_t b = 0; b < MM_XMAT_MAX_PARTS; b++) {
        mm_block_free(&J.pre[b]);
        run->pre[b] = NULL;
    }
    run->pre_at = NULL;
    free(at);
    mm_tasks_free(&J.tasks);
    return st;
}

/* The models a training fits for its fusion. */
static mm_fit_spec train_spec(const mm_pipeline_params *p, const mm_pl_settings *set)
{
    mm_fit_spec spec = {0};
    size_t nb = set->layout.n_blocks;
    if (p->fusion == MM_FUSION_EARLY) spec.early = true;
    else if (p->fusion == MM_FUSION_SINGLE) spec.singles = 1u << set->single;
    else spec.singles = nb >= 32 ? 0xffffffffu : (1u << nb) - 1u;
    spec.weights = p->fusion == MM_FUSION_LATE_WEIGHTED;
    spec.stacker = p->fusion == MM_FUSION_LATE_STACKED;
    return spec;
}

mm_status mm_pipeline_fit(const mm_pipeline_params *p, const mm_schema *s, const mm_table *t,
                          const size_t *rows, size_t n_rows, mm_pipeline **out,
                          mm_data_report *report, mm_error *err)
{
    *out = NULL;
    mm_data_report rep = {0};
    mm_pl_settings set;
    char **classes = NULL;
    size_t n_classes = 0;
    int32_t *y_all = NULL, *y = NULL;
    size_t *train = NULL, n = 0;
    /* every setting is checked before any data is read or encoded */
    mm_status st = mm_pipeline_params_check(p, s, err);
    if (!st) st = fit_labels(s, t, &classes, &n_classes, &y_all, err);
    if (!st) st = mm_pl_settings_resolve(p, s, &set, err);
    if (!st) st = training_rows(t, y_all, rows, n_rows, &train, &n, err);
    if (!st) {
        rep.rows_total = rows ? n_rows : mm_table_rows(t);
        rep.rows_no_target = rep.rows_total - n;
        y = mm_alloc_array(n ? n : 1, sizeof *y);
        if (!y) st = mm_error_set(err, MM_ENOMEM, "out of memory");
        for (size_t i = 0; i < n && !st; i++) y[i] = y_all[train[i]];
        /* late fusion that learns weights or a stacker splits these rows
           into inner folds */
        bool inner_cv = p->fusion == MM_FUSION_LATE_STACKED ||
                        (p->fusion == MM_FUSION_LATE_WEIGHTED && strcmp(p->late_weights, "auto") == 0);
        if (!st && inner_cv) mm_target_note_small_class(&rep, y, n, classes, n_classes, p->inner_folds, true);
    }
    mm_pool *prev = NULL, *pool_owned = NULL;
    if (!st) mm_pl_pool_begin(p->n_threads, &pool_owned, &prev);
    mm_num_cache nc = {0};
    mm_run_progress rp = {.fn = p->progress, .user = p->progress_user};
    pthread_mutex_init(&rp.lock, NULL);
    mm_run run = {.num_cache = &nc, .n_threads = p->n_threads, .progress = p->progress ? &rp : NULL};
    if (!st) st = mm_num_cache_build(t, s, &nc, err);
    mm_pl_fit f;
    memset(&f, 0, sizeof f);
    if (!st) {
        mm_fit_spec spec = train_spec(p, &set);
        st = mm_pl_fit_init(&f, p, s, t, &run, &set, train, y, n, n_classes, &spec, err);
    }
    if (!st) st = run_fit(&f, &run, mm_table_rows(t), "fitting", err);
    mm_pl_fit_report(&f, &rep);
    mm_pipeline *m = f.m;
    if (!st) {
        f.m = NULL; /* taken */
        m->classes = classes;
        classes = NULL;
        m->n_train = n;
    }
    mm_pl_fit_free(&f);
    mm_num_cache_free(&nc);
    pthread_mutex_destroy(&rp.lock);
    mm_pl_pool_end(pool_owned, prev);
    mm_classes_free(classes, n_classes);
    free(y_all);
    free(y);
    free(train);
    if (report) *report = rep;
    if (st) return st;
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
    mm_pool *prev, *pool_owned;
    mm_pl_pool_begin(m->params.n_threads, &pool_owned, &prev);
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
    mm_pl_pool_end(pool_owned, prev);
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
    mm_pipeline_params pp = *p;
    pp.scale_blocks = scale;
    if (!scale) pp.balance_dim = 0; /* PCA needs the standardized blocks */
    pp.fusion = MM_FUSION_EARLY;    /* no model is fitted: only the blocks matter */
    mm_pl_settings set;
    mm_status st = mm_pipeline_params_check(&pp, s, err);
    if (!st) st = mm_pl_settings_resolve(&pp, s, &set, err);
    if (st) {
        if (report) *report = rep;
        return st;
    }
    size_t n = mm_table_rows(t);
    size_t *rows = mm_alloc_array(n ? n : 1, sizeof *rows);
    mm_block *blocks = calloc(MM_XMAT_MAX_PARTS, sizeof *blocks);
    if (!rows || !blocks) st = mm_error_set(err, MM_ENOMEM, "out of memory");
    for (size_t i = 0; i < n && !st; i++) rows[i] = i;
    rep.rows_total = n;
    mm_pool *prev, *pool_owned;
    mm_pl_pool_begin(p->n_threads, &pool_owned, &prev);
    mm_run_progress rp = {.fn = p->progress, .user = p->progress_user};
    pthread_mutex_init(&rp.lock, NULL);
    mm_run run = {.n_threads = p->n_threads, .progress = p->progress ? &rp : NULL};
    mm_fit_spec spec = {.keep_train = true};
    mm_pl_fit f;
    memset(&f, 0, sizeof f);
    /* extraction needs no labels: every row counts as class 0 of 1 */
    int32_t *y = mm_calloc_array(n ? n : 1, sizeof *y);
    if (!st && !y) st = mm_error_set(err, MM_ENOMEM, "out of memory");
    if (!st) st = mm_pl_fit_init(&f, &pp, s, t, &run, &set, rows, y, n, 1, &spec, err);
    if (!st) st = run_fit(&f, &run, n, "extracting", err);
    mm_pl_fit_report(&f, &rep);
    size_t nb = f.m ? f.m->n_blocks : 0;
    for (size_t b = 0; b < nb && !st; b++) {
        blocks[b] = f.train[b];
        memset(&f.train[b], 0, sizeof f.train[b]);
    }
    mm_pl_fit_free(&f);
    pthread_mutex_destroy(&rp.lock);
    mm_pl_pool_end(pool_owned, prev);
    free(y);
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
