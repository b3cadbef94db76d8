/*
 * Code point properties and lowercase with the semantics of Python 3.11
 * (Unicode 14.0), on top of libutf8proc (Debian 12: utf8proc 2.8, Unicode
 * 15.0).
 *
 * - \w (re, str patterns) = '_' or str.isalnum(): general categories L* and
 *   N*. Lowercase = UnicodeData simple mapping except U+0130, whose
 *   SpecialCasing entry is "i" + U+0307 (handled by the tokenizer together
 *   with the final-sigma rule of U+03A3).
 * - Cased and Case_Ignorable (used by Python's final-sigma rule) are derived
 *   from the general category plus the short lists below (Other_Lowercase,
 *   Other_Uppercase, and the Word_Break MidLetter / MidNumLet / Single_Quote
 *   code points), as in DerivedCoreProperties.txt of Unicode 14.
 * - Code points first assigned in Unicode 15.0 are unassigned (Cn) for
 *   Python 3.11, so they are treated as such here. These 4,489 code points
 *   (4,388 of them letters or digits, e.g. Kawi U+11F00.., CJK extension H
 *   U+31350..) are the only differences between utf8proc 2.8 and Python
 *   3.11 for \w; for lowercase the only difference is U+0130, which needs
 *   SpecialCasing. The Cased / Case_Ignorable lists below are Python's
 *   (Unicode 14) sets.
 * tests/text/test_tfidf_sklearn.py compares every code point with Python.
 */
#include "text/text_internal.h"

#include <utf8proc.h>

typedef struct cp_range {
    uint32_t lo, hi;
} cp_range;

/* Assigned in Unicode 15.0 (known to utf8proc 2.8, not to Python 3.11). */
static const cp_range unicode15_new[] = {
    {0x0CF3, 0x0CF3},   {0x0ECE, 0x0ECE},   {0x10EFD, 0x10EFF}, {0x1123F, 0x11241},
    {0x11B00, 0x11B09}, {0x11F00, 0x11F10}, {0x11F12, 0x11F3A}, {0x11F3E, 0x11F59},
    {0x1342F, 0x1342F}, {0x13439, 0x13455}, {0x1B132, 0x1B132}, {0x1B155, 0x1B155},
    {0x1D2C0, 0x1D2D3}, {0x1DF25, 0x1DF2A}, {0x1E030, 0x1E06D}, {0x1E08F, 0x1E08F},
    {0x1E4D0, 0x1E4F9}, {0x1F6DC, 0x1F6DC}, {0x1F774, 0x1F776}, {0x1F77B, 0x1F77F},
    {0x1F7D9, 0x1F7D9}, {0x1FA75, 0x1FA77}, {0x1FA87, 0x1FA88}, {0x1FAAD, 0x1FAAF},
    {0x1FABB, 0x1FABD}, {0x1FABF, 0x1FABF}, {0x1FACE, 0x1FACF}, {0x1FADA, 0x1FADB},
    {0x1FAE8, 0x1FAE8}, {0x1FAF7, 0x1FAF8}, {0x2B739, 0x2B739}, {0x31350, 0x323AF},
};

/* Cased code points outside Lu, Ll, Lt (Other_Lowercase, Other_Uppercase). */
static const cp_range other_cased[] = {
    {0x00AA, 0x00AA},   {0x00BA, 0x00BA},   {0x02B0, 0x02B8},   {0x02C0, 0x02C1},
    {0x02E0, 0x02E4},   {0x0345, 0x0345},   {0x037A, 0x037A},   {0x1D2C, 0x1D6A},
    {0x1D78, 0x1D78},   {0x1D9B, 0x1DBF},   {0x2071, 0x2071},   {0x207F, 0x207F},
    {0x2090, 0x209C},   {0x2160, 0x217F},   {0x24B6, 0x24E9},   {0x2C7C, 0x2C7D},
    {0xA69C, 0xA69D},   {0xA770, 0xA770},   {0xA7F8, 0xA7F9},   {0xAB5C, 0xAB5F},
    {0x10780, 0x10780}, {0x10783, 0x10785}, {0x10787, 0x107B0}, {0x107B2, 0x107BA},
    {0x1F130, 0x1F149}, {0x1F150, 0x1F169}, {0x1F170, 0x1F189},
};

/* Case_Ignorable code points outside Mn, Me, Cf, Lm, Sk (Word_Break
 * MidLetter, MidNumLet, Single_Quote). */
static const cp_range other_ignorable[] = {
    {0x0027, 0x0027}, {0x002E, 0x002E}, {0x003A, 0x003A}, {0x00B7, 0x00B7},
    {0x0387, 0x0387}, {0x055F, 0x055F}, {0x05F4, 0x05F4}, {0x2018, 0x2019},
    {0x2024, 0x2024}, {0x2027, 0x2027}, {0xFE13, 0xFE13}, {0xFE52, 0xFE52},
    {0xFE55, 0xFE55}, {0xFF07, 0xFF07}, {0xFF0E, 0xFF0E}, {0xFF1A, 0xFF1A},
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static bool in_ranges(const cp_range *r, size_t n, uint32_t c)
{
    if (c < r[0].lo || c > r[n - 1].hi) return false;
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c < r[mid].lo) hi = mid;
        else if (c > r[mid].hi) lo = mid + 1;
        else return true;
    }
    return false;
}

static bool is_new_in_15(int32_t c)
{
    return in_ranges(unicode15_new, NELEM(unicode15_new), (uint32_t)c);
}

bool mm_text_cp_is_word(int32_t c)
{
    if (c < 0x80)
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               c == '_';
    switch (utf8proc_category(c)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
        return !is_new_in_15(c);
    default:
        return false;
    }
}

unsigned mm_text_cp_props(int32_t c)
{
    unsigned p = 0;
    switch (utf8proc_category(c)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
        p = MM_CP_WORD | MM_CP_CASED;
        break;
    case UTF8PROC_CATEGORY_LM:
        p = MM_CP_WORD | MM_CP_IGNORABLE;
        break;
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
        p = MM_CP_WORD;
        break;
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_CF:
    case UTF8PROC_CATEGORY_SK:
        p = MM_CP_IGNORABLE;
        break;
    case UTF8PROC_CATEGORY_CN:
        return 0;
    default:
        break;
    }
    if (c == '_') p |= MM_CP_WORD;
    if (p && is_new_in_15(c)) return 0;
    if (in_ranges(other_cased, NELEM(other_cased), (uint32_t)c)) p |= MM_CP_CASED;
    if (in_ranges(other_ignorable, NELEM(other_ignorable), (uint32_t)c)) p |= MM_CP_IGNORABLE;
    return p;
}

int32_t mm_text_cp_lower(int32_t c)
{
    if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 32 : c;
    int32_t l = utf8proc_tolower(c);
    if (l != c && is_new_in_15(c)) return c;
    return l;
}

size_t mm_text_utf8_decode(const uint8_t *s, size_t n, int32_t *cp)
{
    uint8_t b0 = s[0];
    if (b0 < 0x80) {
        *cp = b0;
        return 1;
    }
    if (b0 < 0xC2) return 0;
    if (b0 < 0xE0) {
        if (n < 2 || (s[1] & 0xC0) != 0x80) return 0;
        *cp = ((int32_t)(b0 & 0x1F) << 6) | (s[1] & 0x3F);
        return 2;
    }
    if (b0 < 0xF0) {
        if (n < 3) return 0;
        uint8_t b1 = s[1], b2 = s[2];
        uint8_t lo = 0x80, hi = 0xBF;
        if (b0 == 0xE0) lo = 0xA0;      /* no overlong forms */
        else if (b0 == 0xED) hi = 0x9F; /* no surrogates */
        if (b1 < lo || b1 > hi || (b2 & 0xC0) != 0x80) return 0;
        *cp = ((int32_t)(b0 & 0x0F) << 12) | ((int32_t)(b1 & 0x3F) << 6) | (b2 & 0x3F);
        return 3;
    }
    if (b0 < 0xF5) {
        if (n < 4) return 0;
        uint8_t b1 = s[1], b2 = s[2], b3 = s[3];
        uint8_t lo = 0x80, hi = 0xBF;
        if (b0 == 0xF0) lo = 0x90;      /* no overlong forms */
        else if (b0 == 0xF4) hi = 0x8F; /* nothing above U+10FFFF */
        if (b1 < lo || b1 > hi || (b2 & 0xC0) != 0x80 || (b3 & 0xC0) != 0x80) return 0;
        *cp = ((int32_t)(b0 & 0x07) << 18) | ((int32_t)(b1 & 0x3F) << 12) |
              ((int32_t)(b2 & 0x3F) << 6) | (b3 & 0x3F);
        return 4;
    }
    return 0;
}

size_t mm_text_utf8_encode(int32_t c, uint8_t *out)
{
    uint32_t u = (uint32_t)c;
    if (u < 0x80) {
        out[0] = (uint8_t)u;
        return 1;
    }
    if (u < 0x800) {
        out[0] = (uint8_t)(0xC0 | (u >> 6));
        out[1] = (uint8_t)(0x80 | (u & 0x3F));
        return 2;
    }
    if (u < 0x10000) {
        out[0] = (uint8_t)(0xE0 | (u >> 12));
        out[1] = (uint8_t)(0x80 | ((u >> 6) & 0x3F));
        out[2] = (uint8_t)(0x80 | (u & 0x3F));
        return 3;
    }
    out[0] = (uint8_t)(0xF0 | (u >> 18));
    out[1] = (uint8_t)(0x80 | ((u >> 12) & 0x3F));
    out[2] = (uint8_t)(0x80 | ((u >> 6) & 0x3F));
    out[3] = (uint8_t)(0x80 | (u & 0x3F));
    return 4;
}

bool mm_text_utf8_valid(const uint8_t *s, size_t n, size_t *bad_at)
{
    size_t i = 0;
    while (i < n) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        int32_t c;
        size_t k = mm_text_utf8_decode(s + i, n - i, &c);
        if (!k) {
            if (bad_at) *bad_at = i;
            return false;
        }
        i += k;
    }
    return true;
}
