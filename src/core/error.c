/* Status names and one-line error messages. */
#include "mmfuse/core.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *mm_status_name(mm_status s)
{
    switch (s) {
    case MM_OK: return "ok";
    case MM_ENOMEM: return "out of memory";
    case MM_EINVAL: return "invalid argument";
    case MM_EIO: return "i/o error";
    case MM_EFORMAT: return "bad format";
    case MM_EUNSUPPORTED: return "unsupported";
    case MM_ENUMERIC: return "numeric failure";
    case MM_ECANCELLED: return "cancelled";
    }
    return "unknown status";
}

mm_status mm_error_set(mm_error *err, mm_status code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

void mm_error_prefix(mm_error *err, const char *fmt, ...)
{
    if (!err) return;
    char head[MM_ERROR_MSG_SIZE];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    char old[MM_ERROR_MSG_SIZE];
    memcpy(old, err->msg, sizeof old);
    old[sizeof old - 1] = '\0';
    /* head + ": " + old, cut at the buffer's end (truncation is intended) */
    size_t hl = strlen(head), cap = sizeof err->msg - 1, at = 0;
    for (size_t i = 0; i < hl && at < cap; i++) err->msg[at++] = head[i];
    for (const char *p = ": "; *p && at < cap; p++) err->msg[at++] = *p;
    for (const char *p = old; *p && at < cap; p++) err->msg[at++] = *p;
    err->msg[at] = '\0';
}
