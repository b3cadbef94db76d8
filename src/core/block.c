/* Feature blocks: names and release. */
#include "mmfuse/block.h"

#include <stdlib.h>
#include <string.h>

const char *mm_modality_name(mm_modality m)
{
    switch (m) {
    case MM_MOD_TABULAR: return "tabular";
    case MM_MOD_TEXT: return "text";
    case MM_MOD_IMAGE: return "image";
    case MM_MOD_AUDIO: return "audio";
    case MM_MOD_VIDEO: return "video";
    }
    return "?";
}

void mm_block_free(mm_block *b)
{
    if (!b) return;
    mm_mat_free(&b->dense);
    mm_csr_free(&b->csr);
    free(b->present);
    memset(b, 0, sizeof *b);
}

void mm_blocks_free(mm_block *blocks, size_t n)
{
    if (!blocks) return;
    for (size_t i = 0; i < n; i++) mm_block_free(&blocks[i]);
    free(blocks);
}

size_t mm_block_count_present(const mm_block *b)
{
    size_t c = 0;
    for (size_t i = 0; i < b->rows; i++) c += b->present[i] != 0;
    return c;
}
