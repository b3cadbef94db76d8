/*
 * mmfuse/block.h — the feature block, the one currency between stages.
 *
 * An encoder turns one column (or a group of columns) into a block; scalers,
 * fusion and models only ever see blocks. A block holds rows x dim float32
 * values, dense or sparse (CSR), and a per-row present flag: a row whose
 * modality is missing has present[row] == 0 and zeros in its values.
 * Missing data is the mask, never a magic value.
 */
#ifndef MMFUSE_BLOCK_H
#define MMFUSE_BLOCK_H

#include "mmfuse/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mm_modality {
    MM_MOD_TABULAR = 0,
    MM_MOD_TEXT,
    MM_MOD_IMAGE,
    MM_MOD_AUDIO,
    MM_MOD_VIDEO
} mm_modality;

/* "tabular", "text", "image", "audio", "video". */
MM_API const char *mm_modality_name(mm_modality m);

typedef struct mm_block {
    char name[64];
    mm_modality modality;
    size_t rows, dim;
    bool sparse;
    mm_mat dense;     /* when !sparse */
    mm_csr csr;       /* when sparse  */
    uint8_t *present; /* rows flags (1 = the row has this modality) */
    bool present_column; /* the last column is a copy of present (the
                            'flag' missing-modality strategy)             */
} mm_block;

/* Releases the block's arrays and zeroes it. Accepts NULL. */
MM_API void mm_block_free(mm_block *b);
/* Frees n blocks and the array itself. Accepts NULL. */
MM_API void mm_blocks_free(mm_block *blocks, size_t n);
/* Number of rows with present == 1. */
MM_API size_t mm_block_count_present(const mm_block *b);

#ifdef __cplusplus
}
#endif
#endif
