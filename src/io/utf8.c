/* UTF-8 validation (RFC 3629, table 3-7 of the Unicode standard).
 *
 * The second byte of a sequence carries the range restrictions that rule out
 * overlong forms (E0, F0), surrogates (ED) and code points above U+10FFFF
 * (F4); every other continuation byte is 80..BF. */
#include "io/utf8.h"

#include <stdint.h>
#include <string.h>

size_t mm_io_utf8_check(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        /* ASCII runs are the common case: skip them eight bytes at a time. */
        while (i + 8 <= len) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (w & UINT64_C(0x8080808080808080)) break;
            i += 8;
        }
        if (i >= len) break;
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t need;
        unsigned lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            if (c == 0xE0) lo = 0xA0;
            else if (c == 0xED) hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            if (c == 0xF0) lo = 0x90;
            else if (c == 0xF4) hi = 0x8F;
        } else {
            return i; /* stray continuation byte, C0/C1 overlong lead, F5..FF */
        }
        if (len - i - 1 < need) return i; /* truncated at the end */
        unsigned c1 = s[i + 1];
        if (c1 < lo || c1 > hi) return i;
        for (size_t k = 2; k <= need; k++)
            if ((s[i + k] & 0xC0) != 0x80) return i;
        i += need + 1;
    }
    return len;
}
