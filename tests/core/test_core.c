/* core: errors, checked arithmetic, matrices, numpy-compatible RNG, parallel loop,
 * thread pool and task graphs. */
#include "mmfuse/core.h"
#include "mmtest.h"

#include <stdint.h>
#include <stdlib.h>

static void test_errors(void)
{
    mm_error err = {0};
    MM_CHECK_STATUS(mm_error_set(&err, MM_EFORMAT, "data.csv:%d: bad", 3), MM_EFORMAT);
    MM_CHECK(strcmp(err.msg, "data.csv:3: bad") == 0);
    mm_error_prefix(&err, "reading %s", "x");
    MM_CHECK(strcmp(err.msg, "reading x: data.csv:3: bad") == 0);
    MM_CHECK_STATUS(mm_error_set(NULL, MM_EIO, "ignored"), MM_EIO);
    MM_CHECK(strcmp(mm_status_name(MM_ENOMEM), "out of memory") == 0);
}

static void test_sizes(void)
{
    size_t out = 7;
    MM_CHECK(!mm_size_mul(SIZE_MAX / 2 + 1, 2, &out));
    MM_CHECK(out == 7);
    MM_CHECK(mm_size_mul(3, 4, &out) && out == 12);
    MM_CHECK(!mm_size_add(SIZE_MAX, 1, &out));
    MM_CHECK(mm_alloc_array(SIZE_MAX / 4, 8) == NULL);
    mm_mat m;
    mm_error err = {0};
    MM_CHECK_STATUS(mm_mat_alloc(&m, SIZE_MAX / 2, 4, &err), MM_EINVAL);
    MM_CHECK(m.data == NULL);
}

static void test_matrices(void)
{
    mm_error err = {0};
    mm_csr s;
    MM_CHECK_STATUS(mm_csr_alloc(&s, 3, 4, 4, &err), MM_OK);
    /* [[0 1 0 2] [0 0 0 0] [3 0 4 0]] */
    int64_t ip[] = {0, 2, 2, 4};
    int32_t ix[] = {1, 3, 0, 2};
    float v[] = {1, 2, 3, 4};
    memcpy(s.indptr, ip, sizeof ip);
    memcpy(s.indices, ix, sizeof ix);
    memcpy(s.data, v, sizeof v);
    mm_mat d;
    MM_CHECK_STATUS(mm_csr_to_dense(&s, &d, &err), MM_OK);
    MM_CHECK(d.data[1] == 1 && d.data[3] == 2 && d.data[8] == 3 && d.data[10] == 4 && d.data[4] == 0);
    size_t pick[] = {2, 0, 2};
    mm_csr t;
    MM_CHECK_STATUS(mm_csr_take_rows(&s, pick, 3, &t, &err), MM_OK);
    MM_CHECK(t.nnz == 6 && t.indptr[1] == 2 && t.indices[2] == 1 && t.data[5] == 4);
    mm_mat dt;
    MM_CHECK_STATUS(mm_mat_take_rows(&d, pick, 3, &dt, &err), MM_OK);
    MM_CHECK(dt.data[4 + 1] == 1 && dt.data[0] == 3);
    size_t bad[] = {3};
    mm_csr u;
    MM_CHECK_STATUS(mm_csr_take_rows(&s, bad, 1, &u, &err), MM_EINVAL);
    mm_csr_free(&t);
    mm_mat_free(&dt);
    mm_mat_free(&d);
    mm_csr_free(&s);
    mm_csr_free(NULL);
    mm_mat_free(NULL);
}

/* Values from numpy's RandomState(42). */
static void test_rng(void)
{
    mm_rng r;
    mm_rng_seed(&r, 42);
    MM_CHECK(mm_rng_u32(&r) == 1608637542u);
    MM_CHECK(mm_rng_u32(&r) == 3421126067u);
    MM_CHECK(mm_rng_u32(&r) == 4083286876u);
    mm_rng_seed(&r, 42);
    MM_CHECK_NEAR(mm_rng_double(&r), 0.3745401188, 1e-10);
    MM_CHECK_NEAR(mm_rng_double(&r), 0.9507143064, 1e-10);
    mm_rng_seed(&r, 42);
    MM_CHECK_NEAR(mm_rng_gauss(&r), 0.4967141530, 1e-10);
    MM_CHECK_NEAR(mm_rng_gauss(&r), -0.1382643012, 1e-10);
    MM_CHECK_NEAR(mm_rng_gauss(&r), 0.6476885381, 1e-10);
    MM_CHECK_NEAR(mm_rng_gauss(&r), 1.5230298564, 1e-10);
    /* bounded integers stay in range and hit both ends */
    mm_rng_seed(&r, 7);
    int seen0 = 0, seen5 = 0, out = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t v = mm_rng_interval(&r, 5);
        seen0 |= v == 0;
        seen5 |= v == 5;
        out |= v > 5;
    }
    MM_CHECK(seen0 && seen5 && !out);
    size_t a[10];
    for (size_t i = 0; i < 10; i++) a[i] = i;
    mm_rng_shuffle(&r, a, 10);
    size_t sum = 0;
    int moved = 0;
    for (size_t i = 0; i < 10; i++) {
        sum += a[i];
        moved |= a[i] != i;
    }
    MM_CHECK(sum == 45 && moved);
}

static void square_chunk(size_t c, void *user)
{
    double *out = user;
    out[c] = (double)c * (double)c;
}

static void test_parallel(void)
{
    double out[1000];
    memset(out, 0, sizeof out);
    mm_parallel_for(1000, 2, square_chunk, out);
    double s = 0;
    for (int i = 0; i < 1000; i++) s += out[i];
    MM_CHECK_NEAR(s, 332833500.0, 0);
    MM_CHECK(mm_cpu_count() >= 1);
    MM_CHECK(mm_threads_resolve(3) == 3);
}

/* --------------------------------------------------------------- pool */

typedef struct slot_job {
    int n_threads;
    int busy[8];  /* per slot: calls running now (must never exceed 1) */
    int bad;
    double out[200];
} slot_job;

static void slot_chunk(size_t c, int slot, void *user)
{
    slot_job *j = user;
    if (slot < 0 || slot >= j->n_threads) {
        __atomic_add_fetch(&j->bad, 1, __ATOMIC_RELAXED);
        return;
    }
    if (__atomic_add_fetch(&j->busy[slot], 1, __ATOMIC_ACQ_REL) != 1) __atomic_add_fetch(&j->bad, 1, __ATOMIC_RELAXED);
    double s = 0;
    for (size_t k = 0; k < 2000; k++) s += (double)((c + k) % 7);
    j->out[c] = s;
    __atomic_sub_fetch(&j->busy[slot], 1, __ATOMIC_ACQ_REL);
}

/* graph of tasks: task i records the order it ran in; results by index */
typedef struct graph_job {
    int order[64];
    int ran;      /* counter, under the pool's serialization by atomics */
    double val[64];
    size_t fail_at[2]; /* tasks that fail (or SIZE_MAX) */
    int budget[64];
} graph_job;

static mm_status graph_task(size_t t, int n_threads, void *user, mm_error *err)
{
    graph_job *g = user;
    g->order[t] = __atomic_add_fetch(&g->ran, 1, __ATOMIC_ACQ_REL);
    g->budget[t] = n_threads;
    if (t == g->fail_at[0] || t == g->fail_at[1]) return mm_error_set(err, MM_EFORMAT, "task %zu failed", t);
    /* a nested loop inside a task uses the same pool */
    slot_job sj = {.n_threads = n_threads};
    mm_parallel_for_slots(20, n_threads, slot_chunk, &sj);
    double s = 0;
    for (int i = 0; i < 20; i++) s += sj.out[i];
    g->val[t] = s + (double)t + (double)sj.bad * 1e9;
    return MM_OK;
}

static bool cancel_after_3(const char *stage, size_t done, size_t total, void *user)
{
    (void)stage;
    (void)total;
    (void)user;
    return done < 3;
}

static void test_pool(void)
{
    /* slots: each call has a slot < n_threads, never two at once on one slot */
    for (int nt = 1; nt <= 4; nt++) {
        slot_job j = {.n_threads = nt};
        mm_parallel_for_slots(200, nt, slot_chunk, &j);
        MM_CHECK(j.bad == 0);
        MM_CHECK(j.out[199] > 0 && j.out[0] > 0);
    }
    mm_error err = {0};
    mm_pool *pool = NULL;
    MM_CHECK_STATUS(mm_pool_new(3, &pool, &err), MM_OK);
    MM_CHECK(mm_pool_size(pool) == 3);
    MM_CHECK(mm_pool_current() == NULL);
    mm_pool *prev = mm_pool_enter(pool);
    MM_CHECK(prev == NULL && mm_pool_current() == pool);
    slot_job j = {.n_threads = 3};
    mm_parallel_for_slots(200, 8, slot_chunk, &j); /* more than the pool: capped at its size */
    MM_CHECK(j.bad == 0);
    mm_pool_leave(prev);
    MM_CHECK(mm_pool_current() == NULL);

    /* a chain 0 -> 1 -> 2 plus independent tasks; 5 depends on 3 and 4 */
    size_t dep_start[11] = {0, 0, 1, 2, 2, 2, 4, 4, 4, 4, 4};
    size_t deps[4] = {0, 1, 3, 4};
    graph_job ref = {.fail_at = {SIZE_MAX, SIZE_MAX}};
    mm_task_graph g = {.n_tasks = 10, .dep_start = dep_start, .deps = deps, .run = graph_task, .user = &ref};
    MM_CHECK_STATUS(mm_pool_run_graph(NULL, &g, &err), MM_OK); /* no pool: serial, in index order */
    for (int i = 0; i < 10; i++) MM_CHECK(ref.order[i] == i + 1);
    for (int rep = 0; rep < 20; rep++) {
        graph_job par = {.fail_at = {SIZE_MAX, SIZE_MAX}};
        g.user = &par;
        MM_CHECK_STATUS(mm_pool_run_graph(pool, &g, &err), MM_OK);
        MM_CHECK(memcmp(par.val, ref.val, sizeof ref.val) == 0); /* same results, any order */
        MM_CHECK(par.order[1] > par.order[0] && par.order[2] > par.order[1]);
        MM_CHECK(par.order[5] > par.order[3] && par.order[5] > par.order[4]);
        for (int i = 0; i < 10; i++) MM_CHECK(par.budget[i] >= 1 && par.budget[i] <= 3);
    }
    /* failures: the lowest failing index is reported; dependents never run */
    graph_job bad = {.fail_at = {7, 1}};
    g.user = &bad;
    MM_CHECK_STATUS(mm_pool_run_graph(pool, &g, &err), MM_EFORMAT);
    MM_CHECK(strstr(err.msg, "task 1 failed") != NULL || strstr(err.msg, "task 7 failed") != NULL);
    MM_CHECK(bad.order[2] == 0);
    graph_job bad_serial = {.fail_at = {7, 1}};
    g.user = &bad_serial;
    MM_CHECK_STATUS(mm_pool_run_graph(NULL, &g, &err), MM_EFORMAT);
    MM_CHECK(strstr(err.msg, "task 1 failed") != NULL);
    /* cancellation through the progress callback */
    graph_job c = {.fail_at = {SIZE_MAX, SIZE_MAX}};
    g.user = &c;
    g.progress = cancel_after_3;
    MM_CHECK_STATUS(mm_pool_run_graph(pool, &g, &err), MM_ECANCELLED);
    MM_CHECK(c.ran < 10);
    g.progress = NULL;
    /* a dependency on a later task is rejected before anything runs */
    size_t bad_start[3] = {0, 1, 1}, bad_deps[1] = {1};
    graph_job none = {.fail_at = {SIZE_MAX, SIZE_MAX}};
    mm_task_graph g2 = {.n_tasks = 2, .dep_start = bad_start, .deps = bad_deps, .run = graph_task, .user = &none};
    MM_CHECK_STATUS(mm_pool_run_graph(pool, &g2, &err), MM_EINVAL);
    MM_CHECK(none.ran == 0);
    mm_pool_free(pool);
    mm_pool_free(NULL);
}

int main(void)
{
    test_errors();
    test_sizes();
    test_matrices();
    test_rng();
    test_parallel();
    test_pool();
    return mm_test_summary();
}
