/* The one threading mechanism of the library: a pool of POSIX threads.
 *
 * Why not OpenMP: libgomp decides once, when it loads, whether idle
 * threads spin (OMP_WAIT_POLICY, GOMP_SPINCOUNT), and by default they spin
 * for a while after every parallel region. On a shared machine those spins
 * steal the cores that other processes (and BLAS) need. Here an idle
 * worker always sleeps on the pool's condition variable.
 *
 * Work is handed to the pool as jobs kept in a list, newest first:
 *   - a loop (mm_parallel_for): fixed chunks handed out one at a time,
 *     each participant holding a slot number;
 *   - a task graph (mm_pool_run_graph): tasks become ready when their
 *     prerequisites have finished and start lowest index first.
 * An idle worker takes the newest job that has work, so a loop started
 * inside a running task (a newer job) is helped before further tasks
 * start. The thread that posts a job always works on it itself, so a job
 * completes even when every worker is busy elsewhere, and nesting cannot
 * deadlock. One mutex guards the whole pool state; chunks and tasks are
 * coarse (a file, a model fit, a block of rows), so it is not contended. */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include "mmfuse/core.h"

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern void openblas_set_num_threads(int num_threads);

int mm_cpu_count(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int n = CPU_COUNT(&set);
        if (n > 0) return n;
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

int mm_threads_resolve(int n_threads)
{
    return n_threads > 0 ? n_threads : mm_cpu_count();
}

void mm_blas_set_threads(int n)
{
    openblas_set_num_threads(n > 0 ? n : 1);
}

double mm_now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ------------------------------------------------------------ the pool */

enum { JOB_LOOP, JOB_GRAPH };

typedef struct graph_run graph_run;

typedef struct pool_job {
    struct pool_job *next; /* in the pool's list, newest first */
    int kind;
    /* JOB_LOOP */
    mm_slot_fn fn;
    void *user;
    size_t n_chunks, next_chunk;
    int max_slots, slots; /* participants allowed / joined so far      */
    int active;           /* participants working on it now             */
    /* JOB_GRAPH */
    graph_run *g;
} pool_job;

struct graph_run {
    const mm_task_graph *g;
    size_t *pending;              /* unfinished prerequisites of each task */
    size_t *rdep_start, *rdeps;   /* the tasks waiting for each task       */
    size_t *heap, heap_n;         /* ready tasks, a min-heap of indices    */
    size_t finished, running;
    bool stopped;
    mm_status status;
    size_t failed_task;
    mm_error err;
    int pool_size;
    pthread_mutex_t progress_lock; /* one progress call at a time          */
    size_t progress_done;
};

struct mm_pool {
    pthread_mutex_t lock;
    pthread_cond_t wake; /* workers and waiting callers; broadcast on change */
    pool_job *jobs;
    int size, n_workers, idle;
    bool stop;
    pthread_t *threads;
};

/* The pool mm_parallel_for uses on this thread. Thread-local rather than a
 * parameter because the loops of every module take a thread count only;
 * it is set by whoever runs work on a pool (its workers, mm_pool_enter). */
static _Thread_local mm_pool *current_pool;

mm_pool *mm_pool_current(void) { return current_pool; }

mm_pool *mm_pool_enter(mm_pool *pool)
{
    mm_pool *prev = current_pool;
    current_pool = pool;
    return prev;
}

void mm_pool_leave(mm_pool *previous) { current_pool = previous; }

int mm_pool_size(const mm_pool *pool) { return pool ? pool->size : 1; }

static void job_push(mm_pool *p, pool_job *j)
{
    j->next = p->jobs;
    p->jobs = j;
    if (p->idle) pthread_cond_broadcast(&p->wake);
}

static void job_unlink(mm_pool *p, pool_job *j)
{
    for (pool_job **q = &p->jobs; *q; q = &(*q)->next)
        if (*q == j) {
            *q = j->next;
            return;
        }
}

static bool loop_open(const pool_job *j)
{
    return j->kind == JOB_LOOP && j->next_chunk < j->n_chunks && j->slots < j->max_slots;
}

static bool graph_open(const pool_job *j)
{
    return j->kind == JOB_GRAPH && !j->g->stopped && j->g->heap_n > 0;
}

/* Runs chunks of a loop until none is left. Called and returns with the
 * lock held; the participant was counted in j->active by the caller. */
static void loop_work(mm_pool *p, pool_job *j, int slot)
{
    while (j->next_chunk < j->n_chunks) {
        size_t c = j->next_chunk++;
        pthread_mutex_unlock(&p->lock);
        j->fn(c, slot, j->user);
        pthread_mutex_lock(&p->lock);
    }
    if (--j->active == 0) pthread_cond_broadcast(&p->wake);
}

static void heap_push(graph_run *g, size_t task)
{
    size_t i = g->heap_n++;
    while (i > 0 && g->heap[(i - 1) / 2] > task) {
        g->heap[i] = g->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    g->heap[i] = task;
}

static size_t heap_pop(graph_run *g)
{
    size_t top = g->heap[0], last = g->heap[--g->heap_n], i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= g->heap_n) break;
        if (c + 1 < g->heap_n && g->heap[c + 1] < g->heap[c]) c++;
        if (g->heap[c] >= last) break;
        g->heap[i] = g->heap[c];
        i = c;
    }
    if (g->heap_n) g->heap[i] = last;
    return top;
}

static void graph_fail(graph_run *g, size_t task, mm_status st, const mm_error *e)
{
    if (!g->status || task < g->failed_task) {
        g->status = st;
        g->failed_task = task;
        g->err = *e;
        g->err.code = st;
    }
    g->stopped = true;
}

/* Runs one ready task of the graph. Called and returns with the pool's
 * lock held (p may be NULL: the serial path). */
static void graph_work(mm_pool *p, graph_run *g)
{
    size_t task = heap_pop(g);
    g->running++;
    int budget = g->heap_n == 0 ? g->pool_size : 1;
    if (p) pthread_mutex_unlock(&p->lock);
    mm_error e = {0};
    mm_status st = g->g->run(task, budget, g->g->user, &e);
    if (p) pthread_mutex_lock(&p->lock);
    g->finished++;
    if (st) {
        graph_fail(g, task, st, &e);
    } else {
        for (size_t k = g->rdep_start[task]; k < g->rdep_start[task + 1]; k++)
            if (--g->pending[g->rdeps[k]] == 0) heap_push(g, g->rdeps[k]);
    }
    if (p && g->heap_n) pthread_cond_broadcast(&p->wake);
    if (!st && g->g->progress) {
        /* outside the pool's lock, one call at a time, never backwards; the
           task still counts as running, so the graph outlives the call */
        size_t done = g->finished;
        if (p) pthread_mutex_unlock(&p->lock);
        pthread_mutex_lock(&g->progress_lock);
        bool go = true;
        if (done > g->progress_done) {
            g->progress_done = done;
            go = g->g->progress(g->g->stage ? g->g->stage : "tasks", done, g->g->n_tasks, g->g->progress_user);
        }
        pthread_mutex_unlock(&g->progress_lock);
        if (p) pthread_mutex_lock(&p->lock);
        if (!go && !g->stopped) {
            mm_error c = {0};
            mm_error_set(&c, MM_ECANCELLED, "cancelled");
            if (!g->status) graph_fail(g, (size_t)-1, MM_ECANCELLED, &c);
            g->stopped = true;
        }
    }
    g->running--;
    if (p) pthread_cond_broadcast(&p->wake);
}

static bool graph_done(const graph_run *g)
{
    return g->running == 0 && (g->finished == g->g->n_tasks || g->stopped);
}

/* The newest job with work for an idle participant, or NULL. */
static pool_job *find_work(mm_pool *p)
{
    for (pool_job *j = p->jobs; j; j = j->next)
        if (loop_open(j) || graph_open(j)) return j;
    return NULL;
}

/* Does one piece of job j (lock held). */
static void work_on(mm_pool *p, pool_job *j)
{
    if (j->kind == JOB_LOOP) {
        int slot = j->slots++;
        j->active++;
        loop_work(p, j, slot);
    } else {
        graph_work(p, j->g);
    }
}

static void *worker_main(void *arg)
{
    mm_pool *p = arg;
    current_pool = p;
    pthread_mutex_lock(&p->lock);
    while (!p->stop) {
        pool_job *j = find_work(p);
        if (!j) {
            p->idle++;
            pthread_cond_wait(&p->wake, &p->lock);
            p->idle--;
            continue;
        }
        work_on(p, j);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

mm_status mm_pool_new(int n_threads, mm_pool **out, mm_error *err)
{
    *out = NULL;
    int size = mm_threads_resolve(n_threads);
    mm_pool *p = calloc(1, sizeof *p);
    if (!p) return mm_error_set(err, MM_ENOMEM, "out of memory (thread pool)");
    p->threads = calloc((size_t)size, sizeof *p->threads);
    if (!p->threads || pthread_mutex_init(&p->lock, NULL) != 0) {
        free(p->threads);
        free(p);
        return mm_error_set(err, MM_ENOMEM, "out of memory (thread pool)");
    }
    if (pthread_cond_init(&p->wake, NULL) != 0) {
        pthread_mutex_destroy(&p->lock);
        free(p->threads);
        free(p);
        return mm_error_set(err, MM_ENOMEM, "out of memory (thread pool)");
    }
    p->size = 1;
    for (int i = 0; i < size - 1; i++) {
        if (pthread_create(&p->threads[i], NULL, worker_main, p) != 0) break; /* fewer threads, still correct */
        p->n_workers++;
        p->size++;
    }
    *out = p;
    return MM_OK;
}

void mm_pool_free(mm_pool *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->lock);
    p->stop = true;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->n_workers; i++) pthread_join(p->threads[i], NULL);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->lock);
    free(p->threads);
    free(p);
}

/* ------------------------------------------------------------ loops */

void mm_parallel_for_slots(size_t n_chunks, int n_threads, mm_slot_fn fn, void *user)
{
    int nt = mm_threads_resolve(n_threads);
    if ((size_t)nt > n_chunks) nt = (int)n_chunks;
    mm_pool *p = current_pool, *own = NULL;
    if (nt > 1 && !p && mm_pool_new(nt, &own, NULL) == MM_OK) p = own;
    if (nt <= 1 || !p || p->size <= 1) {
        for (size_t c = 0; c < n_chunks; c++) fn(c, 0, user);
        mm_pool_free(own);
        return;
    }
    mm_pool *prev = mm_pool_enter(p);
    pool_job j = {.kind = JOB_LOOP, .fn = fn, .user = user, .n_chunks = n_chunks};
    j.max_slots = nt < p->size ? nt : p->size;
    j.slots = 1; /* the caller holds slot 0 */
    j.active = 1;
    pthread_mutex_lock(&p->lock);
    job_push(p, &j);
    loop_work(p, &j, 0);
    while (j.active > 0) pthread_cond_wait(&p->wake, &p->lock);
    job_unlink(p, &j);
    pthread_mutex_unlock(&p->lock);
    mm_pool_leave(prev);
    mm_pool_free(own);
}

typedef struct plain_loop {
    mm_chunk_fn fn;
    void *user;
} plain_loop;

static void plain_chunk(size_t c, int slot, void *user)
{
    (void)slot;
    plain_loop *l = user;
    l->fn(c, l->user);
}

void mm_parallel_for(size_t n_chunks, int n_threads, mm_chunk_fn fn, void *user)
{
    plain_loop l = {fn, user};
    mm_parallel_for_slots(n_chunks, n_threads, plain_chunk, &l);
}

/* ------------------------------------------------------------ task graphs */

static void graph_free(graph_run *g)
{
    free(g->pending);
    free(g->rdep_start);
    free(g->rdeps);
    free(g->heap);
    pthread_mutex_destroy(&g->progress_lock);
}

static mm_status graph_init(graph_run *g, const mm_task_graph *tg, int pool_size, mm_error *err)
{
    memset(g, 0, sizeof *g);
    pthread_mutex_init(&g->progress_lock, NULL);
    g->g = tg;
    g->pool_size = pool_size;
    size_t n = tg->n_tasks, n_deps = tg->dep_start ? tg->dep_start[n] : 0;
    g->pending = mm_calloc_array(n + 1, sizeof *g->pending);
    g->rdep_start = mm_calloc_array(n + 2, sizeof *g->rdep_start);
    g->rdeps = mm_alloc_array(n_deps + 1, sizeof *g->rdeps);
    g->heap = mm_alloc_array(n + 1, sizeof *g->heap);
    if (!g->pending || !g->rdep_start || !g->rdeps || !g->heap)
        return mm_error_set(err, MM_ENOMEM, "out of memory (task graph of %zu tasks)", n);
    for (size_t i = 0; i < n && tg->dep_start; i++) {
        if (tg->dep_start[i] > tg->dep_start[i + 1] || tg->dep_start[i + 1] > n_deps)
            return mm_error_set(err, MM_EINVAL, "task graph: bad dependency offsets at task %zu", i);
        for (size_t k = tg->dep_start[i]; k < tg->dep_start[i + 1]; k++) {
            if (tg->deps[k] >= i)
                return mm_error_set(err, MM_EINVAL, "task graph: task %zu depends on task %zu, not an earlier one", i,
                                    tg->deps[k]);
            g->pending[i]++;
            g->rdep_start[tg->deps[k] + 1]++;
        }
    }
    for (size_t i = 0; i < n; i++) g->rdep_start[i + 1] += g->rdep_start[i];
    size_t *fill = mm_alloc_array(n + 1, sizeof *fill);
    if (!fill) return mm_error_set(err, MM_ENOMEM, "out of memory (task graph of %zu tasks)", n);
    memcpy(fill, g->rdep_start, n * sizeof *fill);
    for (size_t i = 0; i < n && tg->dep_start; i++)
        for (size_t k = tg->dep_start[i]; k < tg->dep_start[i + 1]; k++) g->rdeps[fill[tg->deps[k]]++] = i;
    free(fill);
    for (size_t i = 0; i < n; i++)
        if (g->pending[i] == 0) heap_push(g, i);
    return MM_OK;
}

mm_status mm_pool_run_graph(mm_pool *pool, const mm_task_graph *tg, mm_error *err)
{
    if (!tg || !tg->run) return mm_error_set(err, MM_EINVAL, "task graph: no task function");
    mm_pool *p = pool ? pool : current_pool;
    if (p && p->size <= 1) p = NULL;
    graph_run g;
    mm_status st = graph_init(&g, tg, p ? p->size : 1, err);
    if (st) {
        graph_free(&g);
        return st;
    }
    if (!p) {
        while (!g.stopped && g.heap_n > 0) graph_work(NULL, &g);
    } else {
        mm_pool *prev = mm_pool_enter(p);
        pool_job j = {.kind = JOB_GRAPH, .g = &g};
        pthread_mutex_lock(&p->lock);
        job_push(p, &j);
        while (!graph_done(&g)) {
            /* the caller runs its graph's tasks, and helps loops while it waits */
            pool_job *w = graph_open(&j) ? &j : NULL;
            for (pool_job *q = p->jobs; !w && q; q = q->next)
                if (loop_open(q)) w = q;
            if (w) work_on(p, w);
            else pthread_cond_wait(&p->wake, &p->lock);
        }
        job_unlink(p, &j);
        pthread_mutex_unlock(&p->lock);
        mm_pool_leave(prev);
    }
    st = g.status;
    if (st && err) *err = g.err;
    graph_free(&g);
    return st;
}
