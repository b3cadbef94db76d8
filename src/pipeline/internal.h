/* Private pieces of the pipeline module: encoders, the fitted pipeline's
 * fields and the steps that mm_pipeline_fit / mm_evaluate share. */
#ifndef MM_PIPELINE_INTERNAL_H
#define MM_PIPELINE_INTERNAL_H

#include "mmfuse/pipeline.h"

#include <math.h>

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
    mm_file_encoder *enc;  /* owned                                           */
    const mm_block *pre;   /* evaluate: the block over every table row,
                              computed once and shared by the folds           */
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
    const mm_block *const *pre_blocks; /* evaluate only: per schema column, the
                                          precomputed file block or NULL     */
    const mm_num_cache *num_cache;     /* parsed numeric cells, or NULL      */
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
/* Fits encoders on rows (and builds their blocks for those rows, fitting
 * the per-block scalers when params.scale_blocks). */
mm_status mm_pl_fit_encoders(mm_pipeline *m, const mm_schema *s, const mm_table *t,
                             const size_t *rows, size_t n, mm_block *blocks,
                             mm_data_report *rep, mm_error *err);
/* Encodes + scales the blocks of rows with the fitted encoders. */
mm_status mm_pl_transform(const mm_pipeline *m, const mm_table *t, const size_t *rows, size_t n,
                          mm_block *blocks, mm_data_report *rep, mm_error *err);
/* Fits the early model and/or the per-block models on blocks with labels y. */
mm_status mm_pl_fit_models(mm_pipeline *m, const mm_block *blocks, size_t n, const int32_t *y,
                           bool early, bool singles, mm_data_report *rep, mm_error *err);
/* Fits one logistic regression on the blocks selected by mask (bit b =
 * block b), leaving out rows that lack a block whose missing strategy is
 * "remove" (*removed counts them); w = sample weights or NULL. */
mm_status mm_pl_fit_subset(const mm_pipeline *m, const mm_block *blocks, uint32_t mask, size_t n, const int32_t *y,
                           const double *w, mm_logreg **out, size_t *removed, mm_error *err);
mm_status mm_pl_predict_subset(const mm_pipeline *m, const mm_logreg *model, const mm_block *blocks, uint32_t mask,
                               size_t n, double *proba, mm_error *err);
/* Stacker probabilities from per-block probabilities (probas[b]: n x K). */
mm_status mm_pl_stack_predict(const mm_pipeline *m, const double *const *probas,
                              const uint8_t *const *present, size_t n, double *proba,
                              mm_data_report *rep, mm_error *err);
/* Inner cross-validation on rows (labels y): per block, out-of-fold
 * probabilities (oof[b]: n x K) and present flags (present[b]: n), each
 * computed by a pipeline fitted without the rows it predicts. */
mm_status mm_pl_inner_oof(const mm_pipeline *outer, const mm_schema *s, const mm_table *t,
                          const size_t *rows, const int32_t *y, size_t n, double **oof,
                          uint8_t **present, mm_error *err);
/* Fits late:weighted weights and / or the stacker from inner out-of-fold
 * probabilities of the rows (m's blocks and classes already set). */
mm_status mm_pl_fit_late(mm_pipeline *m, const mm_schema *s, const mm_table *t, const size_t *rows,
                         const int32_t *y, size_t n, bool weighted, bool stacked, mm_error *err);
/* Checks the user's late-fusion weights (params.late_weights unless
 * "auto") against the blocks that schema s will give, before any data is
 * encoded: each entry BLOCK=W names a block and W is a number in
 * [0, 1e12]; the weights (unnamed blocks weigh 1) must not all be 0.
 * MM_EINVAL naming the setting otherwise. */
mm_status mm_pl_check_late_weights(const mm_pipeline_params *p, const mm_schema *s, mm_error *err);
/* Resolves the missing strategy of a block from params. */
mm_missing mm_pl_missing_for(const mm_pipeline_params *p, const char *block);

/* Probabilities (n x K) of one model: kind MM_FUSION_EARLY, _SINGLE (block
 * index `which`) or _LATE_AVERAGE (over present blocks; rows with none get
 * the prior and are counted in rep->rows_no_modality). */
mm_status mm_pl_predict_blocks(const mm_pipeline *m, const mm_block *blocks, size_t n,
                               mm_fusion kind, size_t which, double *proba, mm_data_report *rep,
                               mm_error *err);

#endif
