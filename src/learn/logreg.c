/* Logistic regression, binary and multinomial, minimizing scikit-learn
 * 1.2's lbfgs objective with its L-BFGS-B iterates.
 *
 * One evaluation of the objective is a single pass over X: rows are cut
 * into fixed chunks (a function of the problem size only, never of the
 * thread count), each chunk walks its rows in cache-sized blocks, computes
 * the scores Z = X·W (float data read directly, double sums), the loss and
 * the residuals R in place, and accumulates G += Xᵀ·R while the block is
 * still in cache. Per-chunk partial losses and gradients are added in chunk
 * order, so results are identical for any thread count. No BLAS call is
 * made, so the library's BLAS thread setting is left alone. */
#include "mmfuse/learn.h"

#include "learn/lbfgs.h"
#include "learn/xmat.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct mm_logreg {
    size_t n_classes, dim, coef_rows;
    double *coef;      /* coef_rows x dim, row-major                */
    double *wt;        /* dim x coef_rows: the same, transposed     */
    double *intercept; /* coef_rows                                 */
    int n_iter;
    bool converged;
    double loss;
    int n_threads;
};

mm_logreg_params mm_logreg_params_default(void)
{
    mm_logreg_params p;
    p.C = 1.0;
    p.max_iter = 500;
    p.tol = 1e-4;
    p.fit_intercept = true;
    p.n_threads = 0;
    return p;
}

mm_status mm_logreg_params_check(const mm_logreg_params *p, mm_error *err)
{
    if (!p) return mm_error_set(err, MM_EINVAL, "logistic regression: NULL params");
    if (!(p->C > 0.0) || !isfinite(p->C))
        return mm_error_set(err, MM_EINVAL, "logistic regression: C must be positive and finite (got %g)",
                            p->C);
    if (p->max_iter < 1)
        return mm_error_set(err, MM_EINVAL, "logistic regression: max_iter must be >= 1 (got %d)",
                            p->max_iter);
    if (!(p->tol >= 0.0) || !isfinite(p->tol))
        return mm_error_set(err, MM_EINVAL, "logistic regression: tol must be >= 0 and finite (got %g)",
                            p->tol);
    return MM_OK;
}

/* ------------------------------------------------------------ objective */

enum {
    LR_MAX_CHUNKS = 32,
    LR_MIN_CHUNK_ROWS = 512,
    LR_BLOCK_FLOATS = 65536,          /* dense rows of a block: 256 KiB       */
    LR_MAX_BLOCK_ROWS = 256,
    LR_PARTIAL_BUDGET = 4 * 1024 * 1024, /* doubles of per-chunk partial gradients */
    LR_REDUCE_SPAN = 4096,
    LR_PARALLEL_REDUCE = 2 * 1024 * 1024 /* partial-gradient entries */
};

typedef struct lr_obj {
    const mm_xmat *X;
    const int32_t *y;
    const double *sw; /* NULL = all ones */
    size_t n, p, K, n_par;
    bool multi, icpt;
    double inv_C;
    int n_threads;
    size_t n_chunks, chunk_rows, block_rows, dense_cols;
    double *pg;      /* n_chunks x n_par partial gradients */
    double *pf;      /* n_chunks partial losses            */
    double *scratch; /* n_chunks x scratch_len             */
    size_t scratch_len;
    const double *w; /* parameters being evaluated (Wt layout, then intercept) */
    double *wm;      /* the weights in the kernels' mixed layout              */
    double *gm;      /* reduced gradient, mixed layout                        */
    double *g;       /* reduction target                                      */
} lr_obj;

/* Loss of one row and its residual, as scikit-learn's HalfBinomialLoss
 * computes them (a stable log(1 + e^z) - y z and expit(z) - y). */
static inline double binomial_loss_grad(double y, double z, double *grad)
{
    double loss, e;
    if (z <= 0.0) {
        e = exp(z);
        loss = (z <= -37.0 ? e : log1p(e)) - y * z;
        *grad = ((1.0 - y) * e - y) / (1.0 + e);
    } else {
        e = exp(-z);
        loss = (z <= 18.0 ? log1p(e) : e) + (1.0 - y) * z;
        *grad = ((1.0 - y) - y * e) / (1.0 + e);
    }
    return loss;
}

/* Turns the scores of nb rows into residuals in place; returns the loss. */
static double lr_residuals(const lr_obj *o, size_t r0, size_t nb, double *Z)
{
    double loss = 0.0;
    size_t K = o->K;
    for (size_t i = 0; i < nb; i++) {
        size_t r = r0 + i;
        double sw = o->sw ? o->sw[r] : 1.0;
        double *z = Z + i * K;
        if (!o->multi) {
            double gr, l = binomial_loss_grad(o->y[r] == 1 ? 1.0 : 0.0, z[0], &gr);
            loss += sw * l;
            z[0] = sw * gr;
        } else {
            size_t yk = (size_t)o->y[r];
            double mx = z[0];
            for (size_t k = 1; k < K; k++)
                if (z[k] > mx) mx = z[k];
            double zy = z[yk], sum = 0.0;
            for (size_t k = 0; k < K; k++) {
                z[k] = exp(z[k] - mx);
                sum += z[k];
            }
            double l = log(sum) + mx - zy;
            for (size_t k = 0; k < K; k++) z[k] = sw * (z[k] / sum - (k == yk ? 1.0 : 0.0));
            loss += sw * l;
        }
    }
    return loss;
}

static void lr_chunk(size_t c, void *user)
{
    lr_obj *o = user;
    size_t K = o->K, B = o->block_rows, nw = o->p * K;
    size_t r_beg = c * o->chunk_rows, r_end = r_beg + o->chunk_rows;
    if (r_end > o->n) r_end = o->n;
    double *G = o->pg + c * o->n_par;
    double *Z = o->scratch + c * o->scratch_len;
    const double *b = o->icpt ? o->w + nw : NULL;
    double loss = 0.0;

    memset(G, 0, o->n_par * sizeof *G);
    for (size_t r0 = r_beg; r0 < r_end; r0 += B) {
        size_t nb = r_end - r0 < B ? r_end - r0 : B;
        for (size_t i = 0; i < nb; i++)
            for (size_t k = 0; k < K; k++) Z[i * K + k] = b ? b[k] : 0.0;
        mm_xmat_block_scores(o->X, r0, nb, o->wm, K, Z);
        loss += lr_residuals(o, r0, nb, Z);
        mm_xmat_block_grad(o->X, r0, nb, Z, K, G);
        if (b) {
            double *gb = G + nw;
            for (size_t i = 0; i < nb; i++)
                for (size_t k = 0; k < K; k++) gb[k] += Z[i * K + k];
        }
    }
    o->pf[c] = loss;
}

/* g[j] = sum over chunks (in chunk order) of the partial gradients. */
static void lr_reduce(size_t s, void *user)
{
    lr_obj *o = user;
    size_t j0 = s * LR_REDUCE_SPAN, j1 = j0 + LR_REDUCE_SPAN;
    if (j1 > o->n_par) j1 = o->n_par;
    memcpy(o->g + j0, o->pg + j0, (j1 - j0) * sizeof *o->g);
    for (size_t c = 1; c < o->n_chunks; c++) {
        const double *pc = o->pg + c * o->n_par;
        for (size_t j = j0; j < j1; j++) o->g[j] += pc[j];
    }
}

static mm_status lr_fg(const double *w, double *f, double *g, void *user, mm_error *err)
{
    (void)err;
    lr_obj *o = user;
    o->w = w;
    size_t nw = o->p * o->K;
    mm_xmat_pack_w(o->X, o->K, w, o->wm);
    mm_parallel_for(o->n_chunks, o->n_threads, lr_chunk, o);
    size_t spans = (o->n_par + LR_REDUCE_SPAN - 1) / LR_REDUCE_SPAN;
    o->g = o->gm;
    if (o->n_chunks == 1)
        memcpy(o->gm, o->pg, o->n_par * sizeof *g);
    else /* a second parallel region only pays off for large reductions */
        mm_parallel_for(spans, o->n_par * o->n_chunks >= LR_PARALLEL_REDUCE ? o->n_threads : 1,
                        lr_reduce, o);
    mm_xmat_unpack_g(o->X, o->K, o->gm, g);
    memcpy(g + nw, o->gm + nw, (o->n_par - nw) * sizeof *g);
    double loss = 0.0;
    for (size_t c = 0; c < o->n_chunks; c++) loss += o->pf[c];
    double pen = 0.0; /* the intercept (last K entries) is not penalized */
    for (size_t j = 0; j < nw; j++) {
        pen += w[j] * w[j];
        g[j] += o->inv_C * w[j];
    }
    *f = loss + 0.5 * o->inv_C * pen;
    return MM_OK;
}

static void lr_obj_free(lr_obj *o)
{
    free(o->pg);
    free(o->pf);
    free(o->scratch);
    free(o->wm);
    free(o->gm);
}

static mm_status lr_obj_init(lr_obj *o, const mm_logreg_params *prm, const mm_xmat *X,
                             const int32_t *y, size_t n_classes, const double *sw, mm_error *err)
{
    memset(o, 0, sizeof *o);
    o->X = X;
    o->y = y;
    o->sw = sw;
    o->n = X->rows;
    o->p = X->cols;
    o->multi = n_classes > 2;
    o->K = o->multi ? n_classes : 1;
    o->icpt = prm->fit_intercept;
    o->inv_C = 1.0 / prm->C;
    o->n_threads = mm_threads_resolve(prm->n_threads);
    if (!mm_size_mul(o->p + (o->icpt ? 1 : 0), o->K, &o->n_par))
        return mm_error_set(err, MM_EINVAL, "logistic regression: too many parameters");

    o->dense_cols = mm_xmat_dense_cols(X);
    size_t B = LR_MAX_BLOCK_ROWS;
    if (o->dense_cols > 0) {
        B = LR_BLOCK_FLOATS / o->dense_cols;
        if (B < 4) B = 4;
        if (B > LR_MAX_BLOCK_ROWS) B = LR_MAX_BLOCK_ROWS;
    }
    o->block_rows = B;

    /* Fixed chunks (never a function of the thread count). Each chunk owns a
     * partial gradient, so their total is kept small next to the data read
     * per evaluation, while allowing at least 8 chunks for load balance. */
    size_t nc = (o->n + LR_MIN_CHUNK_ROWS - 1) / LR_MIN_CHUNK_ROWS;
    if (nc > LR_MAX_CHUNKS) nc = LR_MAX_CHUNKS;
    size_t data = 0, limit, least;
    for (size_t q = 0; q < X->n_parts; q++) {
        const mm_xpart *pt = &X->parts[q];
        data += pt->dense ? X->rows * pt->dense->cols : pt->sparse->nnz; /* both in memory */
    }
    least = o->n_par > LR_PARTIAL_BUDGET / 8 ? LR_PARTIAL_BUDGET : 8 * o->n_par;
    limit = data / 4 > least ? data / 4 : least;
    if (limit > LR_PARTIAL_BUDGET) limit = LR_PARTIAL_BUDGET;
    if (nc > limit / o->n_par) nc = limit / o->n_par;
    if (nc < 1) nc = 1;
    o->chunk_rows = (o->n + nc - 1) / nc;
    o->n_chunks = (o->n + o->chunk_rows - 1) / o->chunk_rows;

    size_t scratch_len;
    if (!mm_size_mul(B, o->K, &scratch_len) || o->n_par > SIZE_MAX / sizeof(double) ||
        scratch_len > SIZE_MAX / sizeof(double))
        return mm_error_set(err, MM_EINVAL, "logistic regression: problem too large");
    o->scratch_len = scratch_len;
    o->pg = mm_alloc_array(o->n_chunks, o->n_par * sizeof(double));
    o->pf = mm_alloc_array(o->n_chunks, sizeof(double));
    o->scratch = mm_alloc_array(o->n_chunks, scratch_len * sizeof(double));
    o->wm = mm_alloc_array(o->n_par, sizeof(double));
    o->gm = mm_alloc_array(o->n_par, sizeof(double));
    if (!o->pg || !o->pf || !o->scratch || !o->wm || !o->gm) {
        lr_obj_free(o);
        return mm_error_set(err, MM_ENOMEM, "logistic regression: cannot allocate work memory "
                                            "(%zu chunks x %zu parameters)",
                            o->n_chunks, o->n_par);
    }
    return MM_OK;
}

/* ------------------------------------------------------------ model */

static mm_logreg *logreg_alloc(size_t n_classes, size_t dim)
{
    size_t rows = n_classes == 2 ? 1 : n_classes, len;
    if (!mm_size_mul(rows, dim, &len)) return NULL;
    mm_logreg *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->n_classes = n_classes;
    m->dim = dim;
    m->coef_rows = rows;
    m->coef = mm_alloc_array(len, sizeof(double));
    m->wt = mm_alloc_array(len, sizeof(double));
    m->intercept = mm_calloc_array(rows, sizeof(double));
    if (!m->coef || !m->wt || !m->intercept) {
        mm_logreg_free(m);
        return NULL;
    }
    return m;
}

void mm_logreg_free(mm_logreg *m)
{
    if (!m) return;
    free(m->coef);
    free(m->wt);
    free(m->intercept);
    free(m);
}

static mm_status check_labels(const int32_t *y, size_t n, size_t n_classes, const char *what,
                              mm_error *err)
{
    if (n > 0 && !y) return mm_error_set(err, MM_EINVAL, "%s: NULL labels", what);
    for (size_t i = 0; i < n; i++)
        if (y[i] < 0 || (size_t)y[i] >= n_classes)
            return mm_error_set(err, MM_EINVAL, "%s: row %zu: label %d is outside [0, %zu)", what,
                                i, (int)y[i], n_classes);
    return MM_OK;
}

mm_status mm_logreg_fit(const mm_logreg_params *p, const mm_xmat *X, const int32_t *y,
                        size_t n_classes, const double *sample_weight, mm_logreg **out,
                        mm_error *err)
{
    static const char what[] = "logistic regression";
    if (!out) return mm_error_set(err, MM_EINVAL, "%s: NULL output", what);
    *out = NULL;
    mm_status st = mm_logreg_params_check(p, err);
    if (st) return st;
    if (n_classes < 2 || n_classes > INT32_MAX)
        return mm_error_set(err, MM_EINVAL, "%s: needs at least 2 classes (got %zu)", what,
                            n_classes);
    if ((st = mm_xmat_validate(X, "logistic regression X", err))) return st;
    if (X->rows == 0 || X->cols == 0)
        return mm_error_set(err, MM_EINVAL, "%s: X is empty (%zu x %zu)", what, X->rows, X->cols);
    if ((st = check_labels(y, X->rows, n_classes, what, err))) return st;
    if (sample_weight)
        for (size_t i = 0; i < X->rows; i++)
            if (!isfinite(sample_weight[i]) || sample_weight[i] < 0.0)
                return mm_error_set(err, MM_EINVAL, "%s: row %zu: sample weight %g is not a finite "
                                                    "non-negative number",
                                    what, i, sample_weight[i]);
    if ((st = mm_xmat_check_finite(X, "logistic regression X", p->n_threads, err))) return st;

    lr_obj o;
    if ((st = lr_obj_init(&o, p, X, y, n_classes, sample_weight, err))) return st;
    mm_logreg *m = logreg_alloc(n_classes, X->cols);
    double *w = mm_calloc_array(o.n_par, sizeof(double));
    if (!m || !w) {
        st = mm_error_set(err, MM_ENOMEM, "%s: out of memory", what);
        goto fail;
    }

    mm_lbfgs_params lp = mm_lbfgs_params_default();
    lp.max_iter = p->max_iter;
    lp.pgtol = p->tol;
    mm_lbfgs_result res;
    st = mm_lbfgs_minimize(o.n_par, w, lr_fg, &o, &lp, &res, err);
    if (st) {
        mm_error_prefix(err, "%s", what);
        goto fail;
    }

    size_t K = o.K, dim = X->cols;
    for (size_t j = 0; j < dim; j++)
        for (size_t k = 0; k < K; k++) {
            m->wt[j * K + k] = w[j * K + k];
            m->coef[k * dim + j] = w[j * K + k];
        }
    for (size_t k = 0; k < K; k++) m->intercept[k] = o.icpt ? w[dim * K + k] : 0.0;
    m->n_iter = res.n_iter < p->max_iter ? res.n_iter : p->max_iter;
    m->converged = res.status == 0;
    m->loss = res.f;
    m->n_threads = p->n_threads;
    free(w);
    lr_obj_free(&o);
    *out = m;
    return MM_OK;

fail:
    free(w);
    mm_logreg_free(m);
    lr_obj_free(&o);
    return st;
}

/* ------------------------------------------------------------ prediction */

enum { PRED_CHUNK_ROWS = 1024 };

typedef struct pred_job {
    const mm_logreg *m;
    const mm_xmat *X;
    double *proba;
} pred_job;

static void pred_chunk(size_t c, void *user)
{
    pred_job *j = user;
    const mm_logreg *m = j->m;
    size_t r0 = c * PRED_CHUNK_ROWS, nb = PRED_CHUNK_ROWS;
    if (r0 + nb > j->X->rows) nb = j->X->rows - r0;
    size_t C = m->n_classes, K = m->coef_rows;
    double *P = j->proba + r0 * C;
    /* scores go to the first K entries of each output row, then expand */
    for (size_t i = 0; i < nb; i++) {
        double z[1];
        double *row = P + i * C;
        double *dst = K == 1 ? z : row;
        for (size_t k = 0; k < K; k++) dst[k] = 0.0;
        mm_xmat_gemm_ref(j->X, r0 + i, 1, m->wt, K, dst);
        for (size_t k = 0; k < K; k++) dst[k] += m->intercept[k];
        if (K == 1) {
            double s = 1.0 / (1.0 + exp(-z[0]));
            row[0] = 1.0 - s;
            row[1] = s;
        } else {
            double mx = row[0], sum = 0.0;
            for (size_t k = 1; k < C; k++)
                if (row[k] > mx) mx = row[k];
            for (size_t k = 0; k < C; k++) {
                row[k] = exp(row[k] - mx);
                sum += row[k];
            }
            for (size_t k = 0; k < C; k++) row[k] /= sum;
        }
    }
}

mm_status mm_logreg_predict_proba(const mm_logreg *m, const mm_xmat *X, double *proba,
                                  mm_error *err)
{
    static const char what[] = "logistic regression predict";
    if (!m || !proba) return mm_error_set(err, MM_EINVAL, "%s: NULL model or output", what);
    mm_status st = mm_xmat_validate(X, "logistic regression X", err);
    if (st) return st;
    if (X->cols != m->dim)
        return mm_error_set(err, MM_EINVAL, "%s: X has %zu columns, the model was fitted on %zu",
                            what, X->cols, m->dim);
    if ((st = mm_xmat_check_finite(X, "logistic regression X", m->n_threads, err))) return st;
    size_t n_chunks = (X->rows + PRED_CHUNK_ROWS - 1) / PRED_CHUNK_ROWS;
    pred_job j = {m, X, proba};
    mm_parallel_for(n_chunks, m->n_threads, pred_chunk, &j);
    return MM_OK;
}

/* ------------------------------------------------------------ accessors */

size_t mm_logreg_n_classes(const mm_logreg *m) { return m ? m->n_classes : 0; }
size_t mm_logreg_dim(const mm_logreg *m) { return m ? m->dim : 0; }
size_t mm_logreg_coef_rows(const mm_logreg *m) { return m ? m->coef_rows : 0; }
const double *mm_logreg_coef(const mm_logreg *m) { return m ? m->coef : NULL; }
const double *mm_logreg_intercept(const mm_logreg *m) { return m ? m->intercept : NULL; }
int mm_logreg_n_iter(const mm_logreg *m) { return m ? m->n_iter : 0; }
bool mm_logreg_converged(const mm_logreg *m) { return m ? m->converged : false; }
double mm_logreg_loss(const mm_logreg *m) { return m ? m->loss : NAN; }

mm_status mm_logreg_from_parts(size_t n_classes, size_t dim, const double *coef,
                               const double *intercept, mm_logreg **out, mm_error *err)
{
    static const char what[] = "logistic regression from parts";
    if (!out) return mm_error_set(err, MM_EINVAL, "%s: NULL output", what);
    *out = NULL;
    if (n_classes < 2 || n_classes > INT32_MAX)
        return mm_error_set(err, MM_EINVAL, "%s: needs at least 2 classes (got %zu)", what,
                            n_classes);
    if (dim == 0 || !coef) return mm_error_set(err, MM_EINVAL, "%s: no coefficients", what);
    mm_logreg *m = logreg_alloc(n_classes, dim);
    if (!m) return mm_error_set(err, MM_ENOMEM, "%s: out of memory", what);
    size_t K = m->coef_rows;
    for (size_t k = 0; k < K; k++) {
        double b = intercept ? intercept[k] : 0.0;
        if (!isfinite(b)) {
            mm_logreg_free(m);
            return mm_error_set(err, MM_EINVAL, "%s: intercept[%zu] is not finite", what, k);
        }
        m->intercept[k] = b;
        for (size_t j = 0; j < dim; j++) {
            double v = coef[k * dim + j];
            if (!isfinite(v)) {
                mm_logreg_free(m);
                return mm_error_set(err, MM_EINVAL, "%s: coef[%zu][%zu] is not finite", what, k, j);
            }
            m->coef[k * dim + j] = v;
            m->wt[j * K + k] = v;
        }
    }
    m->n_iter = 0;
    m->converged = true;
    m->loss = NAN;
    m->n_threads = 0;
    *out = m;
    return MM_OK;
}

mm_status mm_class_weights_balanced(const int32_t *y, size_t n, size_t n_classes, double *weights,
                                    mm_error *err)
{
    static const char what[] = "balanced class weights";
    if (n_classes < 1) return mm_error_set(err, MM_EINVAL, "%s: no classes", what);
    if (n > 0 && !weights) return mm_error_set(err, MM_EINVAL, "%s: NULL output", what);
    mm_status st = check_labels(y, n, n_classes, what, err);
    if (st) return st;
    size_t *count = mm_calloc_array(n_classes, sizeof *count);
    double *wk = mm_alloc_array(n_classes, sizeof *wk);
    if (!count || !wk) {
        free(count);
        free(wk);
        return mm_error_set(err, MM_ENOMEM, "%s: out of memory", what);
    }
    for (size_t i = 0; i < n; i++) count[y[i]]++;
    for (size_t k = 0; k < n_classes; k++)
        wk[k] = count[k] ? (double)n / ((double)n_classes * (double)count[k]) : 0.0;
    for (size_t i = 0; i < n; i++) weights[i] = wk[y[i]];
    free(count);
    free(wk);
    return MM_OK;
}
