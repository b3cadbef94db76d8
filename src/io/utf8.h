/* UTF-8 validation shared by the CSV reader and the safetensors header check. */
#ifndef MM_IO_UTF8_H
#define MM_IO_UTF8_H

#include <stddef.h>

/* Returns the offset of the first byte that does not belong to a well-formed
 * UTF-8 sequence (RFC 3629: no overlong forms, no surrogates, nothing above
 * U+10FFFF, no truncated sequence), or `len` when all of s[0..len) is valid. */
size_t mm_io_utf8_check(const unsigned char *s, size_t len);

#endif
