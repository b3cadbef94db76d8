/*
 * mmfuse/pipeline.h — from a table to predictions: schema (column roles),
 * feature blocks, encoders, fusion, cross-validated evaluation and the
 * model file.
 *
 * The flow:
 *   table -> schema -> encoders (one per block) -> blocks -> per-block scaler
 *         -> missing-modality step per block (zero | mean | flag | remove)
 *         -> fusion (single block | early: concatenate | late: average,
 *            weighted or stacked per-block probabilities over the blocks
 *            present in each row)
 *         -> logistic regression -> probabilities
 *
 * Blocks
 *   The tabular block gathers every numeric and categorical column (mean
 *   imputation with an optional missing indicator; one-hot or ordinal
 *   categories); numeric columns given a group (e.g. precomputed embedding
 *   columns) form a block of their own named after the group. Each text column is its own TF-IDF block named
 *   "text:<column>". Each image / audio column is its own block
 *   "image:<column>" / "audio:<column>" from a per-file encoder (fileenc.h);
 *   file paths follow the media path policy below. A block row is *present*
 *   when the row holds any value of the block's columns (for files: a file
 *   the encoder could use); absent rows are zeros in the values and only the
 *   present flag says so.
 *
 * Media paths
 *   A media cell (image, audio, video column) names a file. A relative path
 *   is resolved against the folder of the table's CSV; an absolute path, or
 *   one with "../", is used as written, so one's own data may live
 *   anywhere. Every media file is opened through a guarded open: it must be
 *   a regular file (a FIFO, device, socket or directory is refused without
 *   blocking) no larger than its kind's limit (image 256 MiB, audio 1 GiB,
 *   video 4 GiB), checked before a byte is read or hashed for the cache.
 *   A service that takes CSVs from others sets mm_pipeline_params.media_root
 *   (or mm_pipeline_set_media_root on a loaded model; CLI: --media-root
 *   DIR): every media path, once resolved against the CSV's folder, then
 *   has its symbolic links and "." / ".." resolved (realpath) and must lie
 *   inside that folder (itself resolved the same way). A path outside it
 *   is not opened: like an unreadable file, that row lacks the modality,
 *   and the run counts it (mm_data_report.files_outside_root, first
 *   offender in outside_root_error). The file is then opened by its
 *   resolved path.
 *
 * Honest evaluation
 *   mm_evaluate runs stratified k-fold CV; inside each fold every fitted
 *   step (vocabulary, idf, category maps, means, scalers, models) is fit on
 *   the training rows only and applied to the test rows.
 *
 * Check, then run
 *   mm_pipeline_fit, mm_pipeline_extract and mm_evaluate first validate
 *   every setting against the blocks the schema makes
 *   (mm_pipeline_params_check): a bad per-block strategy, weight or block
 *   name fails with MM_EINVAL naming it before any encoder runs.
 *
 * Threads
 *   Each of those calls runs on a thread pool (core.h): the caller's
 *   current pool when it has one (mm_pool_enter), else a pool of
 *   params.n_threads started for the call. Their work is a graph of tasks
 *   (per-block encoders, models, inner folds of each fold); idle threads
 *   sleep. Results are the same bits for any thread count. On a pool of
 *   more than one thread, BLAS is set to one thread.
 *
 * Usage
 *     mm_schema *s;  mm_schema_resolve(table, &req, &s, &err);
 *     mm_pipeline_params p = mm_pipeline_params_default();
 *     mm_pipeline *m;  mm_pipeline_fit(&p, s, table, NULL, 0, &m, &err);
 *     mm_pipeline_save(m, "model.mmf", &err);
 *     ... mm_pipeline_load("model.mmf", &m2, &err);
 *     mm_pipeline_predict(m2, new_table, proba, &err);
 */
#ifndef MMFUSE_PIPELINE_H
#define MMFUSE_PIPELINE_H

#include "mmfuse/block.h"
#include "mmfuse/core.h"
#include "mmfuse/fusion.h"
#include "mmfuse/io.h"
#include "mmfuse/learn.h"
#include "mmfuse/text.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ schema */

typedef enum mm_role {
    MM_ROLE_IGNORE = 0,
    MM_ROLE_NUMERIC,
    MM_ROLE_CATEGORICAL,
    MM_ROLE_TEXT,
    MM_ROLE_IMAGE,
    MM_ROLE_AUDIO,
    MM_ROLE_VIDEO,
    MM_ROLE_TARGET,
    MM_ROLE_ID
} mm_role;

/* "numeric", "categorical", ...; mm_role_parse returns -1 for an unknown name. */
MM_API const char *mm_role_name(mm_role r);
MM_API int mm_role_parse(const char *name);

typedef enum mm_role_source { MM_SRC_INFERRED = 0, MM_SRC_FLAG, MM_SRC_CONFIG } mm_role_source;

typedef struct mm_column_role {
    char *name;
    mm_role role;
    char group[48];      /* numeric columns: own block of this name ("" = the
                            "tabular" block)                                 */
    mm_role_source source;
    char why[96]; /* short reason for an inferred role ("all values numeric", ...) */
} mm_column_role;

/* What the user asked for: names per role (from flags or a config file);
 * every other column is inferred from its content unless infer_rest is
 * false (then it is ignored). */
typedef struct mm_schema_request {
    const char *target;             /* may be NULL (extract); fit and evaluate need one */
    const char *const *names;       /* n_names column names ...          */
    const mm_role *roles;           /* ... and the role given to each     */
    const mm_role_source *sources;  /* ... and where it came from (may be NULL = flag) */
    const char *const *groups;      /* ... and, for numeric columns, a block
                                       name of their own (may be NULL or "") */
    size_t n_names;
    bool infer_rest;                /* true                              */
} mm_schema_request;

typedef struct mm_schema {
    size_t n_cols;
    mm_column_role *cols; /* in table column order */
    long target_col;      /* index into cols, -1 when no target was given */
} mm_schema;

/* Resolves every column's role. A requested name may be a glob pattern
 * (fnmatch: '*', '?', '[...]') standing for every column it matches.
 * Errors (MM_EINVAL, naming the column): a requested column (or a pattern
 * matching none) that the table lacks, one column given two roles, a
 * second target, a group name that is not a plain name. */
MM_API mm_status mm_schema_resolve(const mm_table *t, const mm_schema_request *req,
                                   mm_schema **out, mm_error *err);
MM_API void mm_schema_free(mm_schema *s);
/* Infers the role of one column from its values (used by resolve). */
MM_API mm_role mm_infer_role(const mm_table *t, size_t col, char *why, size_t why_size);

/* ------------------------------------------------------------------ params */

typedef enum mm_cat_encoding { MM_CAT_ONEHOT = 0, MM_CAT_ORDINAL } mm_cat_encoding;

typedef enum mm_fusion {
    MM_FUSION_EARLY = 0,     /* concatenate scaled blocks, one model        */
    MM_FUSION_LATE_AVERAGE,  /* one model per block, average probabilities  */
    MM_FUSION_SINGLE,        /* one block alone (mm_pipeline_params.single) */
    MM_FUSION_LATE_WEIGHTED, /* weighted average (late_weights)             */
    MM_FUSION_LATE_STACKED   /* meta logistic regression on per-block
                                out-of-fold probabilities + present flags   */
} mm_fusion;

/* "early", "late:average", "single", "late:weighted", "late:stacked". */
MM_API const char *mm_fusion_name(mm_fusion f);

typedef struct mm_pipeline_params {
    mm_tfidf_params tfidf;     /* the article's: max_features 500, (1,2)-grams,
                                  sublinear tf, English stop words           */
    mm_cat_encoding categorical; /* MM_CAT_ONEHOT                            */
    bool missing_indicator;    /* add a 0/1 column per numeric column with
                                  missing values in training (false)         */
    bool scale_blocks;         /* StandardScaler per block (true); sparse
                                  blocks are scaled without centering        */
    mm_logreg_params logreg;   /* C 1, max_iter 500, tol 1e-4                 */
    bool balanced;             /* class_weight='balanced' (false)            */
    mm_fusion fusion;          /* MM_FUSION_EARLY                            */
    mm_missing missing;        /* missing-modality strategy of every block
                                  (MM_MISSING_FLAG: zero + a present flag)   */
    char missing_per_block[512]; /* overrides: "image:photo=mean,text:title=zero" */
    char late_weights[512];    /* late:weighted: "auto" (each block's inner-CV
                                  accuracy) or "tabular=1,text:title=2"      */
    size_t inner_folds;        /* inner CV of stacking / auto weights (5)    */
    size_t balance_dim;        /* reduce each block wider than this to this
                                  many principal components, fit on the
                                  training rows (0 = off)                    */
    char single[64];           /* block name for MM_FUSION_SINGLE            */
    int n_threads;             /* 0 = all cores                              */
    uint32_t seed;             /* 42                                         */
    char cache_dir[512];       /* per-file feature cache ("" = none)          */
    char audio_config[1024];   /* audio encoder parameters as JSON ("" = defaults) */
    char image_config[1024];   /* image encoder parameters as JSON ("" = defaults) */
    mm_progress_fn progress;   /* may be NULL                                */
    void *progress_user;
    char media_root[512];      /* confine every media path to this folder,
                                  symlinks resolved ("" = no confinement; see
                                  "Media paths" above). Not saved in model
                                  files.                                     */
} mm_pipeline_params;

MM_API mm_pipeline_params mm_pipeline_params_default(void);
/* Validates every setting of p against the blocks schema s makes, before
 * any data is read: the TF-IDF and logistic-regression parameters, the
 * enums, inner_folds, the file encoders' settings, every entry of
 * missing_per_block (BLOCK=zero|mean|flag|remove, an existing block) and
 * of late_weights ("auto" or BLOCK=WEIGHT, WEIGHT >= 0), the block of
 * single-block fusion. MM_EINVAL with a message naming the bad part.
 * mm_pipeline_fit, mm_pipeline_extract and mm_evaluate call it first. */
MM_API mm_status mm_pipeline_params_check(const mm_pipeline_params *p, const mm_schema *s, mm_error *err);

/* ------------------------------------------------------------------ pipeline */

typedef struct mm_pipeline mm_pipeline;

/* Counts of data problems met while encoding (reported, never silent). */
typedef struct mm_data_report {
    size_t rows_total;          /* data rows in the table                   */
    size_t rows_no_target;      /* skipped: target missing                  */
    size_t numeric_unparsable;  /* numeric cells that were not numbers      */
    size_t unseen_categories;   /* categorical cells unseen at fit time     */
    size_t rows_no_modality;    /* late fusion rows with no block present   */
    size_t rows_removed;        /* training rows dropped by the remove strategy */
    size_t files_failed;        /* files an encoder could not use (row's
                                   modality then absent)                     */
    size_t files_cached;        /* per-file vectors read from the cache     */
    char file_error[256];       /* the first file failure, for the message  */
    size_t cache_damaged;       /* feature-cache entries that failed their
                                   checks (checksum, size, version, a
                                   non-finite value): recomputed, rewritten */
    size_t files_outside_root;  /* media paths outside params.media_root,
                                   not opened (also counted in files_failed) */
    char outside_root_error[256]; /* the first of them (CSV:line: path)      */
    /* a class with fewer members than cross-validation folds (scikit-learn's
       StratifiedKFold warns then): the least populated one, or none */
    size_t small_class_count;   /* its members (0 = no class that small)    */
    size_t small_class_folds;   /* the number of folds it is short of       */
    size_t small_classes;       /* how many classes have fewer members      */
    bool small_class_inner;     /* in the inner CV of late fusion (inner_folds),
                                   not the outer folds (n_folds)             */
    char small_class[128];      /* its label (truncated)                     */
} mm_data_report;

/* Labels of the target column: distinct non-missing values, sorted
 * numerically when all parse as numbers, else in byte order. y[i] = -1 for
 * rows with a missing target.
 * Classification only: a numeric target (every value a number, io.h
 * grammar) whose values are not all integers, or that has more than 30
 * distinct values, looks continuous and is refused (MM_EFORMAT naming the
 * column and the rule). Text labels are always accepted. */
MM_API mm_status mm_target_encode(const mm_table *t, size_t col, char ***classes,
                                  size_t *n_classes, int32_t **y, mm_error *err);
MM_API void mm_classes_free(char **classes, size_t n);

/* Fits the whole pipeline on the rows of t that have a target (all of them
 * when rows == NULL; otherwise rows[0..n_rows)). */
MM_API mm_status mm_pipeline_fit(const mm_pipeline_params *p, const mm_schema *s,
                                 const mm_table *t, const size_t *rows, size_t n_rows,
                                 mm_pipeline **out, mm_data_report *report, mm_error *err);
/* Class probabilities for every row of t (columns matched by name; the
 * target may be absent; an absent input column counts as missing values).
 * proba: mm_table_rows(t) x mm_pipeline_n_classes. */
MM_API mm_status mm_pipeline_predict(const mm_pipeline *m, const mm_table *t, double *proba,
                                     mm_data_report *report, mm_error *err);
MM_API void mm_pipeline_free(mm_pipeline *m);

MM_API size_t mm_pipeline_n_classes(const mm_pipeline *m);
MM_API const char *mm_pipeline_class(const mm_pipeline *m, size_t k);
MM_API const mm_pipeline_params *mm_pipeline_get_params(const mm_pipeline *m);
/* Confines the media paths of later mm_pipeline_predict calls to dir (see
 * "Media paths"; NULL or "" = no confinement), e.g. on a model from
 * mm_pipeline_load. MM_EINVAL when dir is too long, MM_EIO when it cannot
 * be resolved or is not a directory (the setting is then unchanged). Not
 * thread-safe against a concurrent predict on the same model. */
MM_API mm_status mm_pipeline_set_media_root(mm_pipeline *m, const char *dir, mm_error *err);
/* Columns of the training schema: name of column j and its role. */
/* The name of the column the model was trained to predict. */
MM_API const char *mm_pipeline_target(const mm_pipeline *m);
MM_API size_t mm_pipeline_n_columns(const mm_pipeline *m);
MM_API const char *mm_pipeline_column(const mm_pipeline *m, size_t j, mm_role *role);

/* ------------------------------------------------------------------ model file
 *
 * The model file (.mmf) is a safetensors container (io.h) whose metadata
 * holds the pipeline header (JSON) and a checksum, and whose tensors hold
 * every fitted array; src/pipeline/model_file.c describes it byte by byte.
 *
 * Format 2 (written now): the checksum is the SHA-256 of the whole file,
 * every byte from the length prefix to the last data byte, with the 64
 * bytes of the checksum value itself hashed as 64 ASCII '0' characters.
 * The value is stored as 64 lowercase hex digits in the metadata field
 * "mmfuse.checksum", which the writer always places at file bytes
 * MM_MODEL_CHECKSUM_AT .. MM_MODEL_CHECKSUM_AT + 63: the JSON header
 * starts with {"__metadata__":{"format":"mmfuse-model","mmfuse.checksum":"
 * A fixed width means filling it in changes no length or offset.
 *
 * Format 1 (older files): the checksum is the xxHash64 of the tensor data
 * only (16 hex digits), so the header is not protected. Such files still
 * load; mm_pipeline_format tells the caller, who should say so.
 *
 * Loading validates, before anything is built: the container, the
 * checksum, the format version, the header against its schema (every field
 * required, unknown or repeated fields rejected), the header against
 * itself (columns vs encoders, block names, dimensions and missing
 * strategies, models vs fusion, class order) and every tensor's dtype and
 * shape against what the header implies, with no tensor left over.
 * Errors: MM_EFORMAT (corrupt or inconsistent; the message names the field
 * or tensor), MM_EUNSUPPORTED (a newer format version, or an encoder this
 * build lacks or computes differently), MM_EIO, MM_ENOMEM. */
#define MM_MODEL_FORMAT_VERSION 2
#define MM_MODEL_CHECKSUM_AT 68

/* Writes the model atomically (temporary name + rename); the output is a
 * deterministic function of the fitted model. */
MM_API mm_status mm_pipeline_save(const mm_pipeline *m, const char *path, mm_error *err);
/* The same bytes in memory: *out (malloc'd, the caller frees), *len. */
MM_API mm_status mm_pipeline_save_buffer(const mm_pipeline *m, unsigned char **out, size_t *len,
                                         mm_error *err);
MM_API mm_status mm_pipeline_load(const char *path, mm_pipeline **out, mm_error *err);
/* Loads a model file image from memory (copied); `name` is used in messages. */
MM_API mm_status mm_pipeline_load_buffer(const void *data, size_t len, const char *name,
                                         mm_pipeline **out, mm_error *err);
/* The format version of the file m was loaded from (1 or 2), or 0 when m
 * was fitted in this process. */
MM_API int mm_pipeline_format(const mm_pipeline *m);
/* The format-2 checksum of a file image of len bytes, as 64 lowercase hex
 * digits + NUL into hex (whatever the stored value is). MM_EFORMAT when
 * the image does not have the checksum field at its fixed place. */
MM_API mm_status mm_pipeline_file_checksum(const void *file, size_t len, char hex[65],
                                           mm_error *err);
/* A readable multi-line description (schema, blocks, fusion, classes). malloc'd. */
MM_API char *mm_pipeline_describe(const mm_pipeline *m);

/* Encodes the table's blocks fitted on all rows (for `mmfuse extract`):
 * blocks[0..*n_blocks), scaled per block when `scale` is true (and then
 * reduced by PCA when params.balance_dim is set). */
/* Whether this build has an encoder for columns of that role (image, audio, video). */
MM_API bool mm_file_encoder_available(mm_role role);

MM_API mm_status mm_pipeline_extract(const mm_pipeline_params *p, const mm_schema *s,
                                     const mm_table *t, bool scale, mm_block **blocks,
                                     size_t *n_blocks, mm_data_report *report, mm_error *err);

/* ------------------------------------------------------------------ evaluate */

typedef struct mm_eval_row {
    char name[96];         /* "tabular only", "early fusion (concat)", ... */
    char kind[24];         /* "single", "early", "late:average", ...       */
    mm_fusion fusion;
    uint32_t blocks;       /* the blocks it uses (bit b = block b)         */
    size_t dims;
    double acc_mean, acc_std; /* over folds (population std)               */
    double macro_f1;       /* on the pooled out-of-fold predictions         */
    double weighted_f1;
    double log_loss;
    double *fold_acc;      /* n_folds                                      */
    int32_t *oof_pred;     /* n rows (pooled out-of-fold predictions)      */
    double *oof_proba;     /* n x K                                        */
} mm_eval_row;

typedef struct mm_eval_result {
    size_t n_rows, n_classes, n_folds;
    char **classes;
    int32_t *y;            /* n_rows labels of the evaluated rows          */
    size_t *rows;          /* n_rows: each one's 0-based row in the table
                              (rows without a target are not evaluated)   */
    size_t n_blocks;
    char (*block_names)[64];
    size_t *block_dims;    /* dims of blocks fitted on all rows            */
    size_t *block_model_dims; /* dims the models see (after --balance-dim)  */
    double *block_pca_variance; /* explained variance kept by the PCA, mean
                                   over folds (NAN when not reduced)        */
    mm_modality *block_modality;
    size_t n_results;
    mm_eval_row *results;  /* singles first, then fusions                  */
    long best_single, best_fusion; /* indices into results                 */
    mm_data_report report;
} mm_eval_result;

typedef struct mm_eval_params {
    mm_pipeline_params pipeline;
    size_t n_folds;        /* 5                                            */
    bool shuffle;          /* true (seeded by pipeline.seed)                */
    bool stacking;         /* also evaluate late:weighted (auto weights) and
                              late:stacked, which need an inner CV (true)    */
    bool pairs;            /* also early fusion of every pair of blocks
                              (mmfuse analyze; false)                        */
} mm_eval_params;

MM_API mm_eval_params mm_eval_params_default(void);
/* mm_pipeline_params_check plus the evaluation's own settings (n_folds). */
MM_API mm_status mm_eval_params_check(const mm_eval_params *p, const mm_schema *s, mm_error *err);
MM_API mm_status mm_evaluate(const mm_eval_params *p, const mm_schema *s, const mm_table *t,
                             mm_eval_result *out, mm_error *err);
MM_API void mm_eval_result_free(mm_eval_result *r);

#ifdef __cplusplus
}
#endif
#endif /* MMFUSE_PIPELINE_H */
