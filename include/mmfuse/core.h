/*
 * mmfuse/core.h — status codes, error messages, matrices, RNG, parallel loops,
 * progress reporting and overflow-checked size arithmetic.
 *
 * Everything else in mmfuse is built on these types.
 *
 * Errors
 *   Every fallible call returns an mm_status (MM_OK == 0) and, when the caller
 *   passes a non-NULL mm_error *, writes a one-line message naming the file,
 *   row, column or key involved. There is no global error state.
 *
 *       mm_error err = {0};
 *       if (mm_something(..., &err) != MM_OK)
 *           fprintf(stderr, "mmfuse: %s\n", err.msg);
 *
 * Matrices
 *   mm_mat is a dense row-major float32 matrix (rows x cols, row stride in
 *   elements). mm_csr is a compressed-sparse-row float32 matrix with sorted
 *   column indices. Both are plain structs; the ones created by the
 *   *_alloc / *_new functions own their arrays and are released by the
 *   matching *_free, which accepts NULL and zeroed structs.
 *
 * Threads
 *   Parallel work goes through mm_parallel_for: n_chunks fixed chunks, each
 *   processed by one call of fn(chunk, user). Results never depend on the
 *   thread count as long as each chunk writes only its own output and
 *   partial sums are combined in chunk order afterwards.
 *   The threads are the library's own pool (mm_pool, POSIX threads): idle
 *   workers sleep on a condition variable and never spin, whatever the
 *   environment says (no OpenMP runtime threads are used). Independent
 *   jobs with dependencies (the folds and models of an evaluation) run as
 *   a task graph on the same pool (mm_pool_run_graph); a loop started
 *   inside a task is offered to the workers that are idle, so the pool
 *   never runs more threads than its size.
 *
 * Random numbers
 *   mm_rng reproduces numpy's legacy RandomState (MT19937, init_genrand
 *   seeding, 53-bit doubles, polar Gaussian with a cached second value,
 *   masked rejection for bounded integers), so that seeded shuffles equal
 *   numpy's / scikit-learn's bit for bit.
 */
#ifndef MMFUSE_CORE_H
#define MMFUSE_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(MM_BUILDING_LIBRARY) && defined(__GNUC__)
#define MM_API __attribute__((visibility("default")))
#else
#define MM_API
#endif

#if defined(__GNUC__)
#define MM_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define MM_PRINTF(fmt, args)
#endif

#define MM_VERSION_STRING "0.1.0"

/* ------------------------------------------------------------------ errors */

typedef enum mm_status {
    MM_OK = 0,
    MM_ENOMEM,       /* an allocation failed                                  */
    MM_EINVAL,       /* an argument or parameter is invalid (caller's error)  */
    MM_EIO,          /* a file could not be opened, read or written           */
    MM_EFORMAT,      /* input data is malformed (CSV, model file, ...)        */
    MM_EUNSUPPORTED, /* valid, but not supported by this build                */
    MM_ENUMERIC,     /* a numeric failure (non-finite values, no convergence) */
    MM_ECANCELLED    /* the caller's cancel flag was raised                   */
} mm_status;

enum { MM_ERROR_MSG_SIZE = 512 };

typedef struct mm_error {
    mm_status code;
    char msg[MM_ERROR_MSG_SIZE];
} mm_error;

/* Short name of a status ("ok", "out of memory", "invalid argument", ...). */
MM_API const char *mm_status_name(mm_status s);

/* Writes a formatted message into err (if non-NULL) and returns code.
 * Usage: return mm_error_set(err, MM_EFORMAT, "%s:%zu: ...", path, line); */
MM_API mm_status mm_error_set(mm_error *err, mm_status code, const char *fmt, ...)
    MM_PRINTF(3, 4);

/* Prepends "<prefix>: " to an existing message (context as errors bubble up). */
MM_API void mm_error_prefix(mm_error *err, const char *fmt, ...) MM_PRINTF(2, 3);

/* ------------------------------------------------------- checked arithmetic */

/* Each returns false (and leaves *out untouched) when the result overflows. */
static inline bool mm_size_mul(size_t a, size_t b, size_t *out)
{
    if (a != 0 && b > SIZE_MAX / a) return false;
    *out = a * b;
    return true;
}

static inline bool mm_size_add(size_t a, size_t b, size_t *out)
{
    if (b > SIZE_MAX - a) return false;
    *out = a + b;
    return true;
}

/* malloc(a * b) with an overflow check; returns NULL on overflow or failure. */
MM_API void *mm_alloc_array(size_t a, size_t b);
/* calloc(a, b) (zeroed) with an overflow check. */
MM_API void *mm_calloc_array(size_t a, size_t b);

/* --------------------------------------------------------------- dense */

typedef struct mm_mat {
    size_t rows, cols;
    size_t stride; /* elements between the starts of consecutive rows (>= cols) */
    float *data;
} mm_mat;

/* Allocates a zeroed rows x cols matrix (stride = cols). */
MM_API mm_status mm_mat_alloc(mm_mat *m, size_t rows, size_t cols, mm_error *err);
/* Frees m->data and zeroes *m. Accepts NULL. */
MM_API void mm_mat_free(mm_mat *m);

static inline float *mm_mat_row(const mm_mat *m, size_t i) { return m->data + i * m->stride; }

/* --------------------------------------------------------------- sparse */

typedef struct mm_csr {
    size_t rows, cols, nnz;
    int64_t *indptr;  /* rows + 1 entries, indptr[0] == 0, indptr[rows] == nnz */
    int32_t *indices; /* nnz column indices, sorted within each row            */
    float *data;      /* nnz values                                            */
} mm_csr;

/* Allocates a CSR with room for nnz entries; indptr is zeroed. */
MM_API mm_status mm_csr_alloc(mm_csr *m, size_t rows, size_t cols, size_t nnz, mm_error *err);
MM_API void mm_csr_free(mm_csr *m);
/* Dense copy of a CSR matrix into a freshly allocated mm_mat. */
MM_API mm_status mm_csr_to_dense(const mm_csr *s, mm_mat *out, mm_error *err);
/* Rows `idx[0..n)` of s, in that order, into a new CSR. */
MM_API mm_status mm_csr_take_rows(const mm_csr *s, const size_t *idx, size_t n, mm_csr *out,
                                  mm_error *err);
/* Rows `idx[0..n)` of m, in that order, into a new dense matrix. */
MM_API mm_status mm_mat_take_rows(const mm_mat *m, const size_t *idx, size_t n, mm_mat *out,
                                  mm_error *err);

/* --------------------------------------------------------------- RNG */

typedef struct mm_rng {
    uint32_t mt[624];
    int pos;
    int has_gauss;
    double gauss;
} mm_rng;

/* numpy RandomState(seed) for 0 <= seed < 2^32. */
MM_API void mm_rng_seed(mm_rng *r, uint32_t seed);
MM_API uint32_t mm_rng_u32(mm_rng *r);
/* Uniform double in [0, 1) with 53 random bits (numpy random_sample). */
MM_API double mm_rng_double(mm_rng *r);
/* Standard normal (numpy legacy gauss, polar method with a cached value). */
MM_API double mm_rng_gauss(mm_rng *r);
/* Uniform integer in [0, max] (numpy random_interval). */
MM_API uint64_t mm_rng_interval(mm_rng *r, uint64_t max);
/* numpy RandomState.shuffle of a 1-D array of size_t. */
MM_API void mm_rng_shuffle(mm_rng *r, size_t *a, size_t n);

/* --------------------------------------------------------------- parallel */

/* The progress callback type (see "progress" below). */
typedef bool (*mm_progress_fn)(const char *stage, size_t done, size_t total, void *user);

typedef void (*mm_chunk_fn)(size_t chunk, void *user);

/* Calls fn(c, user) for c in [0, n_chunks) on up to n_threads threads
 * (n_threads <= 0: all cores), the calling thread included. Returns when
 * every chunk is done. The threads come from the calling thread's current
 * pool (mm_pool_enter; pool workers run inside their pool), at most its
 * size and only those that are idle; without a current pool a pool of
 * n_threads is started for the call and stopped after it. n_threads == 1
 * runs the chunks in order on the calling thread. */
MM_API void mm_parallel_for(size_t n_chunks, int n_threads, mm_chunk_fn fn, void *user);

/* As mm_parallel_for, and fn also gets a slot number: slot < n_threads,
 * and no two calls running at the same time share a slot (per-thread
 * scratch may be indexed by it). The caller's slot is 0. */
typedef void (*mm_slot_fn)(size_t chunk, int slot, void *user);
MM_API void mm_parallel_for_slots(size_t n_chunks, int n_threads, mm_slot_fn fn, void *user);

/* Number of cores available to this process (its CPU affinity mask). */
MM_API int mm_cpu_count(void);
/* Resolves a user thread request: <= 0 means all cores. */
MM_API int mm_threads_resolve(int n_threads);
/* Sets the BLAS thread count. The pipeline's runs (pipeline.h) parallelize
 * with a pool and call BLAS from inside its tasks: a run on a pool of more
 * than one thread sets BLAS to one thread (it stays so), so BLAS never adds
 * threads on top of the pool's and BLAS results do not depend on the
 * thread count. mm_pool_new itself leaves BLAS alone. */
MM_API void mm_blas_set_threads(int n);

/* A fixed set of worker threads. n_threads counts the thread that hands
 * work to the pool (it works too), so n_threads - 1 threads are started;
 * n_threads <= 0 means all cores. Workers sleep on a condition variable
 * when there is nothing to do. A pool is used by one caller at a time
 * (mm_parallel_for calls from its tasks are fine); free it from the thread
 * that created it, when no work is running. */
typedef struct mm_pool mm_pool;
MM_API mm_status mm_pool_new(int n_threads, mm_pool **out, mm_error *err);
/* Stops and joins the workers. Accepts NULL. */
MM_API void mm_pool_free(mm_pool *pool);
/* Threads of the pool, the caller's included. */
MM_API int mm_pool_size(const mm_pool *pool);
/* Makes pool the calling thread's current pool (the one mm_parallel_for
 * uses) and returns the previous one, to be given back to mm_pool_leave. */
MM_API mm_pool *mm_pool_enter(mm_pool *pool);
MM_API void mm_pool_leave(mm_pool *previous);
/* The calling thread's current pool, or NULL. */
MM_API mm_pool *mm_pool_current(void);

/* A task graph: tasks 0..n_tasks-1, each run once by run(task, n_threads,
 * user, err) after every task it depends on has finished. Task i depends
 * on deps[dep_start[i] .. dep_start[i+1]), each of them < i (so the list
 * is in an order that can run serially); dep_start == NULL means no
 * dependencies. n_threads is the thread budget the task may use for its
 * own loops: 1 while other tasks are waiting to start, the pool's size
 * when none is. Ready tasks start lowest index first; a task must write
 * only its own outputs, so results never depend on the order in which
 * tasks finish. The description is plain data (indices), so a list can
 * be dealt out to other processes. */
typedef mm_status (*mm_task_fn)(size_t task, int n_threads, void *user, mm_error *err);
typedef struct mm_task_graph {
    size_t n_tasks;
    const size_t *dep_start; /* n_tasks + 1 offsets into deps, or NULL     */
    const size_t *deps;
    mm_task_fn run;
    void *user;
    mm_progress_fn progress; /* called after each finished task with (stage,
                                finished, n_tasks), one call at a time; may
                                be NULL; returning false cancels          */
    void *progress_user;
    const char *stage;
} mm_task_graph;

/* Runs the graph on pool (NULL: the calling thread's current pool, or
 * serially in index order when there is none). After a task fails no new
 * task starts; the status and message returned are those of the failed
 * task with the lowest index. MM_ECANCELLED when progress returned false,
 * MM_EINVAL for a dependency that is not on an earlier task. */
MM_API mm_status mm_pool_run_graph(mm_pool *pool, const mm_task_graph *g, mm_error *err);

/* --------------------------------------------------------------- progress */

/* mm_progress_fn (declared above): progress callback for long jobs, done
 * of total units of the named stage. Returning false asks the job to stop
 * (it then returns MM_ECANCELLED). */

/* A progress bar on stderr, drawn only when stderr is a terminal.
 * Use mm_progress_bar_update as an mm_progress_fn with the bar as user. */
typedef struct mm_progress_bar {
    bool enabled;
    char stage[48];
    size_t last_permille;
    double start_s;
    bool drawn;
} mm_progress_bar;

MM_API void mm_progress_bar_init(mm_progress_bar *bar, bool enabled);
MM_API bool mm_progress_bar_update(const char *stage, size_t done, size_t total, void *bar);
/* Clears the bar line (call before printing anything else to stderr). */
MM_API void mm_progress_bar_finish(mm_progress_bar *bar);

/* Seconds on a monotonic clock (for reports and progress, never for tests). */
MM_API double mm_now_seconds(void);

#ifdef __cplusplus
}
#endif
#endif /* MMFUSE_CORE_H */
