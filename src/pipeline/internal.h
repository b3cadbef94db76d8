/* Private pieces of the pipeline module: encoders, the fitted pipeline's
 * fields, the run context, and the one fit routine (its tasks) that
 * mm_pipeline_fit, mm_pipeline_extract and mm_evaluate share. */
#ifndef MM_PIPELINE_INTERNAL_H
#define MM_PIPELINE_INTERNAL_H

#include "mmfuse/pipeline.h"

#include <math.h>
#include <pthread.h>

/* Numbers in cells follow one grammar: mm_parse_number (mmfuse/io.h). */

/* ------------------------------------------------------------ target */

/* What a target column looks like. The one rule (a later task setting may
 * route a continuous target to regression instead of refusing it):
 *     continuous = numeric && (!integral || distinct > MM_TARGET_MAX_INT_CLASSES)
 * where numeric = every present value is a number (mm_parse_number) and
 * integral = every such value is a whole number ("3.0" is one). Anything
 * else (text labels, a few integer codes) is a set of class labels. */
enum { MM_TARGET_MAX_INT_CLASSES = 30 };

typedef struct mm_target_info {
    size_t present;  /* cells with a value                                 */
    bool numeric;    /* every present value is a number                    */
    bool integral;   /* numeric and every value a whole number             */
    size_t distinct; /* distinct numeric values (0 when not numeric)       */
    bool continuous; /* the rule above                                     */
} mm_target_info;

mm_status mm_target_inspect(const mm_table *t, size_t col, mm_target_info *info, mm_error *err);
/* Classification's use of the rule: MM_EFORMAT naming the column, the rule
 * and --task when column `col` looks continuous; MM_OK otherwise. */
mm_status mm_target_require_classes(const mm_table *t, size_t col, mm_error *err);
/* Fills rep's small-class fields when a class of labels y[0..n) (classes
 * 0..K-1) has fewer than `folds` members: the warning StratifiedKFold
 * gives. `inner`: the folds are late fusion's inner CV. */
void mm_target_note_small_class(mm_data_report *rep, const int32_t *y, size_t n, char *const *classes,
                                size_t K, size_t folds, bool inner);

/* ------------------------------------------------------------ numbers */

/* Numeric cells parsed once per table (strtod dominates otherwise, since
 * every fold and inner fold re-encodes the same cells): for each numeric
 * column of the schema, its value and state per table row. */
enum { MM_NUM_MISSING = 0, MM_NUM_OK = 1, MM_NUM_BAD = 2 };

typedef struct mm_num_cache {
    const mm_table *t;
    size_t n_cols;    /* table columns                                  */
    double **v;       /* per table column: rows values, or NULL         */
    uint8_t **state;  /* per table column: MM_NUM_* per row, or NULL   */
} mm_num_cache;

mm_status mm_num_cache_build(const mm_table *t, const mm_schema *s, mm_num_cache *nc, mm_error *err);
void mm_num_cache_free(mm_num_cache *nc);

/* State (MM_NUM_*) and value of cell (row, col), from the cache when it
 * covers this table and column, else parsed. */
static inline int mm_num_cell(const mm_num_cache *nc, const mm_table *t, size_t row, size_t col, double *v)
{
    if (nc && nc->t == t && col < nc->n_cols && nc->state[col]) {
        *v = nc->v[col][row];
        return nc->state[col][row];
    }
    const char *c = mm_table_cell(t, row, col, NULL);
    if (!c) return MM_NUM_MISSING;
    return mm_parse_number(c, v) ? MM_NUM_OK : MM_NUM_BAD;
}

/* ------------------------------------------------------------ tabular */

/* Numeric columns: mean imputation (+ optional missing indicator);
 * categorical columns: one-hot (unseen or missing -> all zeros) or ordinal
 * (index in the sorted categories; unseen or missing -> -1). */
typedef struct mm_tab_enc {
    char name[64];         /* block name: "tabular" or the group's name   */
    size_t n_num, n_cat;
    char **num_names;
    double *num_mean;      /* n_num                                       */
    uint8_t *num_indicator;/* n_num: 1 = a missing-indicator column follows */
    char **cat_names;
    size_t *n_cats;        /* n_cat                                       */
    char ***cats;          /* n_cat arrays of sorted category strings      */
    mm_cat_encoding encoding;
    size_t dim;
} mm_tab_enc;

/* Fits on the numeric/categorical columns of the schema whose group is
 * `group` ("" = the ungrouped ones, block "tabular"). */
mm_status mm_tab_fit(mm_tab_enc *e, const mm_schema *s, const char *group, const mm_table *t, const size_t *rows,
                     size_t n, mm_cat_encoding enc, bool indicator, const mm_num_cache *nc, mm_error *err);
mm_status mm_tab_transform(const mm_tab_enc *e, const mm_table *t, const size_t *rows, size_t n,
                           mm_block *out, mm_data_report *rep, const mm_num_cache *nc, mm_error *err);
void mm_tab_free(mm_tab_enc *e);
/* Allocates an empty encoder (model-file loading fills it, then calls
 * mm_tab_finish to compute dim). */
mm_status mm_tab_init(mm_tab_enc *e, size_t n_num, size_t n_cat, mm_cat_encoding enc,
                      mm_error *err);
void mm_tab_finish(mm_tab_enc *e);
/* Name of output column j of the tabular block (into buf). */
void mm_tab_feature_name(const mm_tab_enc *e, size_t j, char *buf, size_t size);

/* ------------------------------------------------------------ text */

typedef struct mm_text_enc {
    char *column;
    mm_tfidf *tfidf;
} mm_text_enc;

mm_status mm_text_enc_fit_transform(mm_text_enc *e, const char *column, const mm_tfidf_params *p,
                                    const mm_table *t, const size_t *rows, size_t n, mm_block *out,
                                    mm_error *err);
mm_status mm_text_enc_transform(const mm_text_enc *e, const mm_table *t, const size_t *rows,
                                size_t n, mm_block *out, mm_error *err);
void mm_text_enc_free(mm_text_enc *e);

/* ------------------------------------------------------------ files */

#include "mmfuse/fileenc.h"

typedef struct mm_file_opts {
    const char *base_dir;  /* relative paths are resolved against it         */
    const char *cache_dir; /* NULL = no cache                                 */
    int n_threads;
    mm_progress_fn progress;
    void *progress_user;
    const char *media_root; /* resolved (mm_file_media_root); NULL = paths
                               are not confined                          */
} mm_file_opts;

typedef struct mm_file_col {
    char *column;
    mm_role role;
    mm_file_encoder *enc;  /* owned; created when the block is first encoded
                              (NULL in a fit whose run supplies the block)  */
} mm_file_col;

/* Resolves a media root folder (symlinks, "." and "..") into buf, for
 * mm_file_opts.media_root. MM_EIO when it does not exist or is not a
 * folder, MM_EINVAL when too long. */
mm_status mm_file_media_root(const char *dir, char *buf, size_t size, mm_error *err);
/* Encodes the files of rows of column into a dense block (see enc_file.c). */
mm_status mm_file_block(const mm_file_encoder *e, const char *column, mm_role role, const mm_table *t,
                        const size_t *rows, size_t n, const mm_file_opts *o, mm_block *out,
                        mm_data_report *rep, mm_error *err);
/* Creates the encoder for a role from its JSON config ("" = defaults);
 * MM_EUNSUPPORTED when this build has none (registry.c). */
mm_status mm_file_encoder_create(mm_role role, const char *config, mm_file_encoder **out, mm_error *err);
/* Validates a config as mm_file_encoder_create would read it, without
 * creating the encoder (no weights are loaded, no file is read). */
mm_status mm_file_encoder_check(mm_role role, const char *config, mm_error *err);

/* ------------------------------------------------------------ layout + settings */

/* The blocks a schema makes, in pipeline order: the tabular blocks (the
 * ungrouped numeric/categorical columns as "tabular" first, then each
 * group in order of first appearance), then each text column, then each
 * file column whose role has an encoder. Computed from the schema alone. */
typedef struct mm_pl_layout {
    size_t n_blocks, n_tab, n_text, n_file;
    char name[MM_XMAT_MAX_PARTS][64];
    mm_modality modality[MM_XMAT_MAX_PARTS];
    const char *group[MM_XMAT_MAX_PARTS]; /* tabular block g: its group ("" =
                                             ungrouped), pointing into the schema */
    size_t col[MM_XMAT_MAX_PARTS];        /* text / file blocks: schema column */
} mm_pl_layout;

mm_status mm_pl_layout_of(const mm_schema *s, mm_pl_layout *out, mm_error *err);

/* Every setting of the params, typed and resolved against the layout
 * (params.c). mm_pipeline_params_check builds it before any data is read;
 * the fit uses it, so nothing is parsed later. */
typedef struct mm_pl_settings {
    mm_pl_layout layout;
    mm_missing missing[MM_XMAT_MAX_PARTS]; /* strategy of each block          */
    bool auto_weights;                     /* late_weights == "auto"          */
    double weight[MM_XMAT_MAX_PARTS];      /* given late:weighted weights      */
    long single;                           /* MM_FUSION_SINGLE: the block, else -1 */
} mm_pl_settings;

mm_status mm_pl_settings_resolve(const mm_pipeline_params *p, const mm_schema *s, mm_pl_settings *out,
                                 mm_error *err);
/* The next item of a comma-separated list at *q (empty items included);
 * false at the end of the list. */
bool mm_pl_list_next(const char **q, const char **item, size_t *len);
/* Late weights "name=w,name=w" (unnamed blocks weigh 1) into w[0..n_blocks)
 * (late_fit.c). */
mm_status mm_pl_parse_late_weights(const mm_pl_layout *l, const char *text, double *w, mm_error *err);

/* ------------------------------------------------------------ run context */

/* Progress of a run, one call at a time (file encoding and the task graph
 * report from several threads). */
typedef struct mm_run_progress {
    pthread_mutex_t lock;
    mm_progress_fn fn;
    void *user;
} mm_run_progress;

/* What one run (a training, an extraction, an evaluation) needs beyond the
 * pipeline being fitted; none of it becomes part of a fitted pipeline. */
typedef struct mm_run {
    const mm_num_cache *num_cache;           /* parsed numeric cells, or NULL   */
    const mm_block *pre[MM_XMAT_MAX_PARTS];  /* per block: its rows computed once
                                                for the run (per-file blocks), or NULL */
    const size_t *pre_at;                    /* table row -> row of the pre blocks
                                                (NULL: they cover every table row) */
    int n_threads;                           /* threads the current step may use */
    mm_run_progress *progress;               /* may be NULL                     */
} mm_run;

/* The pool of one library call: the caller's current pool when it has
 * one, else a new pool of n_threads, entered (*owned, freed by
 * mm_pl_pool_end). With more than one thread, BLAS is set to one thread. */
mm_pool *mm_pl_pool_begin(int n_threads, mm_pool **owned, mm_pool **prev);
void mm_pl_pool_end(mm_pool *owned, mm_pool *prev);
/* Calls the run's progress callback (serialized); true when there is none. */
bool mm_run_report_progress(const char *stage, size_t done, size_t total, void *run_progress);

/* ------------------------------------------------------------ pipeline */

typedef struct mm_block_info {
    char name[64];
    mm_modality modality;
    size_t dim;          /* after the missing-modality step            */
    mm_missing_fit miss; /* fitted missing-modality step                */
    mm_scaler *scaler;   /* NULL when scale_blocks is false             */
    struct mm_pca *pca;  /* --balance-dim: PCA of the scaled block, or NULL */
    double pca_variance; /* explained variance ratio kept by the PCA      */
} mm_block_info;

struct mm_pipeline {
    mm_pipeline_params params;
    /* schema as fitted (names + roles), for describe and predict */
    size_t n_cols;
    char **col_names;
    mm_role *col_roles;
    char *target_name;
    size_t n_classes;
    char **classes;
    double *prior;         /* n_classes: training class frequencies */
    size_t n_train;
    /* encoders */
    size_t n_tab;          /* the "tabular" block and numeric groups      */
    mm_tab_enc *tabs;
    size_t n_text;
    mm_text_enc *text;
    size_t n_file;
    mm_file_col *files;
    /* blocks: tabular blocks first (n_tab), then text columns, then file
       columns */
    size_t n_blocks;
    mm_block_info *blocks;
    /* models */
    mm_logreg *early;      /* MM_FUSION_EARLY                         */
    mm_logreg **single;    /* n_blocks (NULL entries when not fitted) */
    double *late_w;        /* n_blocks weights (late:weighted)        */
    mm_logreg *meta;       /* stacker (late:stacked)                  */
    int file_format;       /* version of the model file it was loaded
                              from; 0 when fitted here                */
};

mm_pipeline *mm_pipeline_alloc(void);
/* Checks a model-file header (JSON text, json[0..len)) against its schema
 * and against itself, as mm_pipeline_load does before reading any tensor
 * (model_file.c). MM_EFORMAT naming the field, or MM_EUNSUPPORTED for a
 * newer format version. `name` is used in messages. */
mm_status mm_pl_header_check(const char *json, size_t len, const char *name, mm_error *err);
/* The missing strategy of a block by name from params (the model-file
 * header check uses it; the fit resolves settings in params.c). */
mm_missing mm_pl_missing_for(const mm_pipeline_params *p, const char *block);
/* Lays the pipeline out for schema s (copies the schema, allocates the
 * unfitted encoders and block descriptions, sets each block's missing
 * strategy from the settings); reads no data. */
mm_status mm_pl_plan(mm_pipeline *m, const mm_schema *s, const mm_pl_settings *set, mm_error *err);
/* Fits block b (encoder, missing-modality step, scaler, PCA) on rows and
 * leaves its transformed rows in *out. run may be NULL. */
mm_status mm_pl_fit_block(mm_pipeline *m, size_t b, const mm_schema *s, const mm_table *t, const size_t *rows,
                          size_t n, const mm_run *run, mm_block *out, mm_data_report *rep, mm_error *err);
/* Fits block b's encoder on rows when it needs fitting (tabular, text)
 * and encodes them: the block before its missing-modality step, scaler and
 * PCA (for a file column, the rows of the run's pre block when it has one,
 * else the files encoded, creating the encoder on first use). */
mm_status mm_pl_encode_block(mm_pipeline *m, size_t b, const mm_schema *s, const mm_table *t, const size_t *rows,
                             size_t n, const mm_run *run, mm_block *out, mm_data_report *rep, mm_error *err);
/* Encodes rows with fitted block b and applies its fitted steps. */
mm_status mm_pl_transform_block(const mm_pipeline *m, size_t b, const mm_table *t, const size_t *rows, size_t n,
                                const mm_run *run, mm_block *out, mm_data_report *rep, mm_error *err);
/* Plan + every block fitted on rows (blocks[0..n_blocks)); no run. */
mm_status mm_pl_fit_encoders(mm_pipeline *m, const mm_schema *s, const mm_table *t,
                             const size_t *rows, size_t n, mm_block *blocks,
                             mm_data_report *rep, mm_error *err);
/* Encodes + transforms every block of rows with the fitted encoders. */
mm_status mm_pl_transform(const mm_pipeline *m, const mm_table *t, const size_t *rows, size_t n,
                          mm_block *blocks, mm_data_report *rep, mm_error *err);
/* Fits one logistic regression on the blocks selected by mask (bit b =
 * block b), leaving out rows that lack a block whose missing strategy is
 * "remove" (*removed counts them); w = sample weights or NULL. */
mm_status mm_pl_fit_subset(const mm_pipeline *m, const mm_block *blocks, uint32_t mask, size_t n, const int32_t *y,
                           const double *w, int n_threads, mm_logreg **out, size_t *removed, mm_error *err);
mm_status mm_pl_predict_subset(const mm_pipeline *m, const mm_logreg *model, const mm_block *blocks, uint32_t mask,
                               size_t n, double *proba, mm_error *err);
/* Stacker probabilities from per-block probabilities (probas[b]: n x K). */
mm_status mm_pl_stack_predict(const mm_pipeline *m, const double *const *probas,
                              const uint8_t *const *present, size_t n, double *proba,
                              mm_data_report *rep, mm_error *err);
/* Late fusion of kind (average, weighted, stacked) from the per-block
 * probabilities; rows with no block get the prior (counted in rep). */
mm_status mm_pl_combine_late(const mm_pipeline *m, mm_fusion kind, const double *const *probas,
                             const uint8_t *const *present, size_t n, double *proba, mm_data_report *rep,
                             mm_error *err);
/* late:weighted weights and / or the stacker of m from inner out-of-fold
 * probabilities of its training rows (oof[b]: n x K, present[b]: n). */
mm_status mm_pl_fit_late(mm_pipeline *m, const mm_pl_settings *set, const double *const *oof,
                         const uint8_t *const *present, const int32_t *y, size_t n, bool weighted, bool stacked,
                         int n_threads, mm_error *err);

/* Probabilities (n x K) of one model: kind MM_FUSION_EARLY, _SINGLE (block
 * index `which`) or a late fusion (over present blocks; rows with none get
 * the prior and are counted in rep->rows_no_modality). */
mm_status mm_pl_predict_blocks(const mm_pipeline *m, const mm_block *blocks, size_t n,
                               mm_fusion kind, size_t which, double *proba, mm_data_report *rep,
                               mm_error *err);

/* ------------------------------------------------------------ the fit routine */

/* A fit is a list of tasks over one set of training rows (fit.c):
 *   BLOCK b      fit block b's encoder and steps on the rows (and transform
 *                the apply rows, e.g. an outer fold's test rows)
 *   MODEL mask   a logistic regression on the blocks of mask (early fusion,
 *                one block, or a subset)
 *   INNER j,b    inner fold j: block b refit on the inner training rows
 *                only, its model's probabilities for the inner test rows
 *   LATE         late:weighted weights / the stacker from those
 *                out-of-fold probabilities
 * `train` (mm_pipeline_fit), `extract`, every outer fold of `evaluate` and
 * `analyze` are fits; the inner folds of stacking and automatic weights are
 * INNER tasks of the fit they belong to. A task list is plain data (kind
 * and indices), so it can be dealt out to other processes. */
enum {
    MM_TASK_BLOCK = 0,
    MM_TASK_MODEL,
    MM_TASK_INNER,
    MM_TASK_LATE,
    MM_TASK_PRE,   /* a per-file block computed once for the run            */
    MM_TASK_ALL,   /* evaluate: block fitted on every row (the layout)      */
    MM_TASK_SCORE  /* evaluate: the fold's test predictions of every row     */
};

enum { MM_MODEL_EARLY = 0, MM_MODEL_SINGLE, MM_MODEL_SUBSET };

typedef struct mm_pl_task {
    uint8_t kind;   /* MM_TASK_*                                      */
    uint8_t block;  /* BLOCK, INNER, PRE, ALL; MODEL: a single block's */
    uint8_t model;  /* MODEL: MM_MODEL_*                              */
    uint16_t fold;  /* the outer fold (evaluate), else 0              */
    uint16_t inner; /* INNER: the inner fold; MODEL: the subset's index */
    uint32_t mask;  /* MODEL: its blocks                              */
} mm_pl_task;

typedef struct mm_task_list {
    mm_pl_task *tasks;
    size_t n, cap;
    size_t *dep_start; /* n + 1 offsets                     */
    size_t cap_start;
    size_t *deps;
    size_t n_deps, cap_deps;
} mm_task_list;

/* Appends a task depending on deps[0..n_deps) (earlier tasks; SIZE_MAX
 * entries are skipped); returns its index, or SIZE_MAX when out of memory. */
size_t mm_tasks_add(mm_task_list *l, mm_pl_task t, const size_t *deps, size_t n_deps);
void mm_tasks_free(mm_task_list *l);

/* What a fit makes besides the encoders. */
typedef struct mm_fit_spec {
    bool early;               /* the early-fusion model                     */
    uint32_t singles;         /* per-block models (bit b = block b)         */
    bool weights, stacker;    /* late:weighted weights, the stacker         */
    const uint32_t *subsets;  /* more early models on these block subsets   */
    size_t n_subsets;
    const size_t *apply;      /* rows to transform with the fitted blocks   */
    size_t n_apply;
    bool keep_train;          /* keep the transformed training blocks        */
} mm_fit_spec;

typedef struct mm_pl_fit {
    /* inputs (borrowed) */
    const mm_schema *s;
    const mm_table *t;
    const mm_run *run;
    const mm_pl_settings *set;
    const size_t *rows;       /* training rows (table indices) ...           */
    const int32_t *y;         /* ... and their labels                        */
    size_t n;
    mm_fit_spec spec;
    /* state and results */
    mm_pipeline *m;           /* planned by mm_pl_fit_init, filled by tasks  */
    mm_block train[MM_XMAT_MAX_PARTS], test[MM_XMAT_MAX_PARTS];
    mm_data_report rep_fit[MM_XMAT_MAX_PARTS], rep_apply[MM_XMAT_MAX_PARTS];
    size_t removed_early, removed_single[MM_XMAT_MAX_PARTS];
    double *w;                /* balanced sample weights, or NULL            */
    mm_logreg **subset_models;/* spec.n_subsets                              */
    /* inner cross-validation (weights "auto" or the stacker) */
    size_t n_inner;           /* folds, 0 when none                          */
    int32_t *inner_fold;      /* n: the inner fold of each training row       */
    double *oof[MM_XMAT_MAX_PARTS];     /* n x K per block                   */
    uint8_t *present[MM_XMAT_MAX_PARTS];/* n per block                       */
} mm_pl_fit;

/* Plans f->m from params (progress ignored), computes the prior, the class
 * weights and the inner folds. The inputs must outlive the fit. */
mm_status mm_pl_fit_init(mm_pl_fit *f, const mm_pipeline_params *p, const mm_schema *s, const mm_table *t,
                         const mm_run *run, const mm_pl_settings *set, const size_t *rows, const int32_t *y,
                         size_t n, size_t n_classes, const mm_fit_spec *spec, mm_error *err);
/* Appends the fit's tasks (fold = outer fold number for the task records);
 * pre_task[b] is the task that makes run->pre[b] (SIZE_MAX: none). */
mm_status mm_pl_fit_tasks(const mm_pl_fit *f, mm_task_list *l, uint16_t fold, const size_t *pre_task,
                          mm_error *err);
/* Runs one task of the fit with a thread budget. */
mm_status mm_pl_fit_run(mm_pl_fit *f, const mm_pl_task *task, int n_threads, mm_error *err);
/* The fit's data report: per-block counts in block order, rows removed by
 * the early model (or else by the per-block models). */
void mm_pl_fit_report(const mm_pl_fit *f, mm_data_report *rep);
/* Frees everything, the pipeline too unless it was taken (f->m = NULL). */
void mm_pl_fit_free(mm_pl_fit *f);

#endif
