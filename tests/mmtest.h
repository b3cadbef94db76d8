/* mmtest.h — the tiny assertion harness of the C tests.
 *
 *   MM_CHECK(cond)                 a failed check is reported and counted
 *   MM_CHECK_NEAR(a, b, tol)       |a - b| <= tol
 *   MM_CHECK_STATUS(call, status)  call returns that status
 *   return mm_test_summary();      prints "N passed, N failed", exit code
 */
#ifndef MMTEST_H
#define MMTEST_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int mm_test_pass_, mm_test_fail_;

#define MM_CHECK(cond)                                                                 \
    do {                                                                               \
        if (cond) mm_test_pass_++;                                                     \
        else {                                                                         \
            mm_test_fail_++;                                                           \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
        }                                                                              \
    } while (0)

#define MM_CHECK_NEAR(a, b, tol)                                                       \
    do {                                                                               \
        double a_ = (double)(a), b_ = (double)(b);                                     \
        if (fabs(a_ - b_) <= (tol)) mm_test_pass_++;                                   \
        else {                                                                         \
            mm_test_fail_++;                                                           \
            fprintf(stderr, "%s:%d: %s = %.17g, %s = %.17g (tol %g)\n", __FILE__,      \
                    __LINE__, #a, a_, #b, b_, (double)(tol));                          \
        }                                                                              \
    } while (0)

#define MM_CHECK_STATUS(call, status)                                                  \
    do {                                                                               \
        int got_ = (int)(call);                                                        \
        if (got_ == (int)(status)) mm_test_pass_++;                                    \
        else {                                                                         \
            mm_test_fail_++;                                                           \
            fprintf(stderr, "%s:%d: %s returned %d, expected %d\n", __FILE__, __LINE__, \
                    #call, got_, (int)(status));                                       \
        }                                                                              \
    } while (0)

static inline int mm_test_summary(void)
{
    printf("%d passed, %d failed\n", mm_test_pass_, mm_test_fail_);
    return mm_test_fail_ ? 1 : 0;
}

#endif
