/*
 * scikit-learn's ENGLISH_STOP_WORDS (318 words, version 1.2.1), sorted in
 * byte order (the test checks the
 * SHA-256 given there).
 */
#include "text/text_internal.h"

#include <string.h>

static const char *const stop_words[318] = {
    "a", "about", "above", "across", "after", "afterwards", "again", "against", "all", "almost",
    "alone", "along", "already", "also", "although", "always", "am", "among", "amongst",
    "amoungst", "amount", "an", "and", "another", "any", "anyhow", "anyone", "anything",
    "anyway", "anywhere", "are", "around", "as", "at", "back", "be", "became", "because",
    "become", "becomes", "becoming", "been", "before", "beforehand", "behind", "being", "below",
    "beside", "besides", "between", "beyond", "bill", "both", "bottom", "but", "by", "call",
    "can", "cannot", "cant", "co", "con", "could", "couldnt", "cry", "de", "describe", "detail",
    "do", "done", "down", "due", "during", "each", "eg", "eight", "either", "eleven", "else",
    "elsewhere", "empty", "enough", "etc", "even", "ever", "every", "everyone", "everything",
    "everywhere", "except", "few", "fifteen", "fifty", "fill", "find", "fire", "first", "five",
    "for", "former", "formerly", "forty", "found", "four", "from", "front", "full", "further",
    "get", "give", "go", "had", "has", "hasnt", "have", "he", "hence", "her", "here",
    "hereafter", "hereby", "herein", "hereupon", "hers", "herself", "him", "himself", "his",
    "how", "however", "hundred", "i", "ie", "if", "in", "inc", "indeed", "interest", "into",
    "is", "it", "its", "itself", "keep", "last", "latter", "latterly", "least", "less", "ltd",
    "made", "many", "may", "me", "meanwhile", "might", "mill", "mine", "more", "moreover",
    "most", "mostly", "move", "much", "must", "my", "myself", "name", "namely", "neither",
    "never", "nevertheless", "next", "nine", "no", "nobody", "none", "noone", "nor", "not",
    "nothing", "now", "nowhere", "of", "off", "often", "on", "once", "one", "only", "onto",
    "or", "other", "others", "otherwise", "our", "ours", "ourselves", "out", "over", "own",
    "part", "per", "perhaps", "please", "put", "rather", "re", "same", "see", "seem", "seemed",
    "seeming", "seems", "serious", "several", "she", "should", "show", "side", "since",
    "sincere", "six", "sixty", "so", "some", "somehow", "someone", "something", "sometime",
    "sometimes", "somewhere", "still", "such", "system", "take", "ten", "than", "that", "the",
    "their", "them", "themselves", "then", "thence", "there", "thereafter", "thereby",
    "therefore", "therein", "thereupon", "these", "they", "thick", "thin", "third", "this",
    "those", "though", "three", "through", "throughout", "thru", "thus", "to", "together",
    "too", "top", "toward", "towards", "twelve", "twenty", "two", "un", "under", "until", "up",
    "upon", "us", "very", "via", "was", "we", "well", "were", "what", "whatever", "when",
    "whence", "whenever", "where", "whereafter", "whereas", "whereby", "wherein", "whereupon",
    "wherever", "whether", "which", "while", "whither", "who", "whoever", "whole", "whom",
    "whose", "why", "will", "with", "within", "without", "would", "yet", "you", "your", "yours",
    "yourself", "yourselves",
};

/* Open-addressing index of the words: slot (FNV-1a 32 of the word) mod
 * 1024, linear probing, E = empty. Generated from the list above; the test
 * looks up every word and many that are not stop words. */
#define E 0xFFFF
static const uint16_t stop_slots[1024] = {
    E, E, E, E, E, E, E, 60, 251, E, 2, E, E, E, 124, E,
    140, E, E, 280, 68, 162, E, 224, E, 144, 237, E, E, E, E, E,
    E, E, E, E, 264, E, E, E, E, 272, 217, 257, 213, E, E, 285,
    E, 83, E, E, E, E, 50, 249, 294, 113, 161, E, 267, E, 62, E,
    209, 96, 182, 197, E, E, E, 135, 143, 269, E, E, E, 24, 30, 82,
    E, E, E, E, 236, E, 235, E, 290, E, E, E, E, E, 175, E,
    E, E, 177, 40, E, E, E, 240, 183, E, E, E, E, 123, E, E,
    75, 69, 225, 132, E, 104, E, E, E, E, 260, E, 116, E, E, E,
    35, E, E, E, E, E, E, E, E, 170, 179, E, E, 32, 36, 128,
    E, E, E, E, 55, 67, 312, E, 317, E, E, E, 313, E, E, E,
    E, 242, E, E, E, E, E, E, 169, 56, E, 17, E, E, E, E,
    E, 246, E, E, E, E, E, 122, E, E, E, E, E, E, E, E,
    E, E, E, 43, 187, E, E, E, E, E, E, 47, 127, E, 299, E,
    E, 232, E, E, E, E, E, E, E, E, E, E, E, E, E, E,
    E, E, 298, E, E, E, E, E, 155, E, E, E, 316, E, E, E,
    295, E, 46, 258, E, E, E, 185, E, E, E, E, E, E, E, 252,
    E, E, E, E, E, E, E, E, E, E, E, E, E, E, 261, E,
    E, 289, E, E, E, 70, E, E, E, 287, E, E, 109, E, E, E,
    E, E, E, E, 3, E, E, E, 73, E, E, E, 0, 284, 300, 265,
    E, E, 160, E, E, E, E, E, E, E, E, E, E, 296, 255, E,
    E, E, E, E, E, E, E, E, 136, E, E, 61, E, E, E, 6,
    207, 275, E, 16, E, E, E, E, E, E, 94, 64, E, 245, 233, E,
    E, 171, 311, 130, 204, 57, E, E, E, 145, 142, 228, E, E, E, 286,
    E, 288, 254, E, E, E, 243, E, 86, E, E, E, 163, E, 196, E,
    E, E, E, E, 191, 25, 152, E, 33, 81, 229, 79, 31, 117, 307, E,
    E, E, E, 14, E, E, E, E, E, E, E, E, E, 129, 220, E,
    E, E, 34, E, 202, 103, E, E, 48, 271, 58, 149, E, E, E, E,
    E, E, E, E, E, E, 157, E, 121, E, E, E, E, 166, E, E,
    E, E, E, 59, 131, E, 304, E, E, 4, E, 118, 28, E, E, E,
    E, E, E, E, E, E, E, E, 292, E, E, E, E, 214, E, E,
    158, 92, 216, 310, E, E, 167, E, 66, 172, E, E, E, E, 205, 188,
    E, E, 193, 281, E, 192, E, 27, 189, 90, E, E, E, E, E, E,
    E, E, E, E, E, E, 133, E, 38, 44, 154, 184, 283, E, E, 199,
    E, 266, E, E, 23, 76, 201, E, E, E, E, E, 99, 194, 239, E,
    87, 212, 230, E, E, E, E, 19, E, E, E, E, E, E, E, E,
    E, E, E, E, E, E, E, E, E, 306, E, 208, 218, 247, 1, E,
    E, E, E, E, 262, E, E, E, 93, 20, E, E, E, 263, 253, E,
    E, E, E, E, E, E, E, E, 150, E, 273, E, E, E, 219, 198,
    E, E, E, E, E, E, E, 26, E, 308, E, E, E, E, E, E,
    E, E, E, E, E, E, 120, 248, E, 190, E, E, E, E, E, E,
    77, 256, E, E, E, 74, E, E, 72, E, 11, 100, 180, E, 268, 301,
    E, E, 111, 165, E, E, E, E, E, E, E, E, 223, 234, 134, E,
    E, E, 52, 65, E, E, 22, 153, E, E, 314, E, E, E, E, E,
    E, E, E, E, E, E, 147, E, E, E, E, E, E, E, E, E,
    29, E, E, 41, 156, E, E, E, E, E, 203, E, 63, 274, E, 215,
    302, E, E, E, E, 125, E, 210, E, 95, E, E, E, E, 244, E,
    E, 250, 297, E, E, E, 21, E, E, E, E, E, E, E, 80, E,
    E, E, E, E, E, E, E, 181, E, E, E, E, E, E, E, E,
    7, E, E, 305, 85, E, E, E, 45, E, 159, E, 5, E, E, E,
    E, E, E, E, E, 84, 139, 211, 178, E, E, 227, 51, E, E, E,
    276, 279, 291, 138, E, E, E, 126, 164, E, 53, 91, 238, 309, E, E,
    E, 226, E, E, 18, 71, E, E, E, 195, E, E, 106, E, 42, E,
    E, E, E, 119, E, E, E, 206, E, 277, E, 110, E, E, E, 88,
    E, E, 13, 146, E, 173, E, 108, E, E, E, 37, E, E, E, E,
    E, E, E, E, 10, E, E, E, E, E, E, E, E, E, E, 9,
    49, E, E, E, 303, E, E, E, E, E, E, E, E, E, E, E,
    E, E, E, E, E, E, E, E, 221, E, E, E, 54, E, E, 101,
    98, E, E, E, E, 97, 293, E, E, E, E, 315, E, E, E, 102,
    E, 39, 151, E, E, E, E, E, E, 282, E, 222, E, E, E, E,
    E, E, E, E, 231, 270, 115, E, 148, E, E, E, E, E, E, 200,
    E, E, E, 259, 8, 168, E, E, E, E, E, E, E, E, E, E,
    186, E, E, 137, E, E, E, E, 105, 141, 278, 176, E, E, E, E,
    E, E, E, 112, 15, 241, E, E, E, 107, E, E, E, E, E, E,
    78, 89, E, E, E, E, E, 12, E, E, 174, 114, E, E, E, E,
};
#undef E

static inline uint32_t fnv1a(const uint8_t *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 16777619u;
    return h;
}

size_t mm_text_stop_word_count(void)
{
    return sizeof stop_words / sizeof stop_words[0];
}

const char *mm_text_stop_word(size_t i)
{
    return i < mm_text_stop_word_count() ? stop_words[i] : NULL;
}

bool mm_text_is_stop_word(const uint8_t *s, size_t len)
{
    if (len == 0 || len > 12 || s[0] < 'a' || s[0] > 'y') return false;
    for (uint32_t j = fnv1a(s, len) & 1023u;; j = (j + 1) & 1023u) {
        uint16_t k = stop_slots[j];
        if (k == 0xFFFF) return false;
        const char *w = stop_words[k];
        if (strncmp(w, (const char *)s, len) == 0 && w[len] == '\0') return true;
    }
}
