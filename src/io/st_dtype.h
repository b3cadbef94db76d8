/* safetensors dtype table shared by the reader and the writer. */
#ifndef MM_IO_ST_DTYPE_H
#define MM_IO_ST_DTYPE_H

#include "mmfuse/io.h"

#include <string.h>

typedef struct mm_io_st_dtype {
    const char *name; /* as safetensors spells it */
    size_t size;      /* bytes per element        */
    int rank;         /* position in the reference Dtype enum (increasing alignment) */
} mm_io_st_dtype;

/* Indexed by mm_dtype. The rank orders the reference writer's layout: it
 * sorts by rank descending (U64, I64, F64, F32, U32, I32, BF16, F16, U16,
 * I16, I8, U8, BOOL), then by name. */
static const mm_io_st_dtype mm_io_st_dtypes[] = {
    [MM_DTYPE_F32] = {"F32", 4, 11},  [MM_DTYPE_F64] = {"F64", 8, 12},
    [MM_DTYPE_F16] = {"F16", 2, 7},   [MM_DTYPE_BF16] = {"BF16", 2, 8},
    [MM_DTYPE_I64] = {"I64", 8, 13},  [MM_DTYPE_I32] = {"I32", 4, 9},
    [MM_DTYPE_U8] = {"U8", 1, 1},     [MM_DTYPE_BOOL] = {"BOOL", 1, 0},
    [MM_DTYPE_I8] = {"I8", 1, 2},     [MM_DTYPE_I16] = {"I16", 2, 5},
    [MM_DTYPE_U16] = {"U16", 2, 6},   [MM_DTYPE_U32] = {"U32", 4, 10},
    [MM_DTYPE_U64] = {"U64", 8, 14},
};

enum { MM_IO_ST_NDTYPES = (int)(sizeof mm_io_st_dtypes / sizeof mm_io_st_dtypes[0]) };

static inline bool mm_io_st_dtype_valid(mm_dtype d)
{
    return (int)d >= 0 && (int)d < MM_IO_ST_NDTYPES;
}

#endif
