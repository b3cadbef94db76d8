/* core: errors, checked arithmetic, matrices, numpy-compatible RNG, parallel loop. */
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

/* Values from reference/numerics.md Appendix A (numpy RandomState(42)). */
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

int main(void)
{
    test_errors();
    test_sizes();
    test_matrices();
    test_rng();
    test_parallel();
    return mm_test_summary();
}
