/* Early fusion: concatenation of blocks as views (no copy). */
#include "mmfuse/fusion.h"

mm_status mm_early_xmat(const mm_block *blocks, size_t n_blocks, mm_xmat *x, mm_error *err)
{
    if (n_blocks == 0) return mm_error_set(err, MM_EINVAL, "early fusion needs at least one block");
    *x = mm_xmat_empty(blocks[0].rows);
    for (size_t b = 0; b < n_blocks; b++) {
        mm_status st = blocks[b].sparse ? mm_xmat_add_sparse(x, &blocks[b].csr, err)
                                        : mm_xmat_add_dense(x, &blocks[b].dense, err);
        if (st) {
            mm_error_prefix(err, "block '%s'", blocks[b].name);
            return st;
        }
    }
    return MM_OK;
}
