/* The one threading mechanism of the library: OpenMP over fixed chunks. */
#include "mmfuse/core.h"

#include <time.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

extern void openblas_set_num_threads(int num_threads);

int mm_cpu_count(void)
{
#ifdef _OPENMP
    return omp_get_num_procs();
#else
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
#endif
}

int mm_threads_resolve(int n_threads)
{
    return n_threads > 0 ? n_threads : mm_cpu_count();
}

void mm_blas_set_threads(int n)
{
    openblas_set_num_threads(n > 0 ? n : 1);
}

void mm_parallel_for(size_t n_chunks, int n_threads, mm_chunk_fn fn, void *user)
{
    int nt = mm_threads_resolve(n_threads);
    if (nt <= 1 || n_chunks <= 1) {
        for (size_t c = 0; c < n_chunks; c++) fn(c, user);
        return;
    }
#ifdef _OPENMP
    long long n = (long long)n_chunks;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
    for (long long c = 0; c < n; c++) fn((size_t)c, user);
#else
    for (size_t c = 0; c < n_chunks; c++) fn(c, user);
#endif
}

double mm_now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
