/* Which per-file encoder serves which column role. */
#include "pipeline/internal.h"

bool mm_file_encoder_available(mm_role role)
{
    (void)role;
    return false;
}

mm_status mm_file_encoder_create(mm_role role, const char *config, mm_file_encoder **out, mm_error *err)
{
    (void)config;
    *out = NULL;
    return mm_error_set(err, MM_EUNSUPPORTED, "no %s encoder in this build", mm_role_name(role));
}
