/* Writes the bundled demo dataset (data/demo/products.csv) deterministically.
 *
 *   mmfuse_demo_data [OUT.csv] [--rows N] [--seed S]
 *
 * Product listings in four categories. The signal is split across
 * modalities on purpose, so that each modality alone predicts the category
 * only partly and fusion visibly helps:
 *   - the title names the category outright in about 45% of rows; otherwise
 *     it only tells the "group" ({electronics, kitchen} share words such as
 *     "stainless", "digital"; {clothing, books} share "classic", "edition")
 *     among generic words;
 *   - the tabular columns tell the "side" instead ({electronics, clothing}
 *     are light, often under warranty, shipped from CN/VN; {kitchen, books}
 *     are heavy, shipped from EU/US), with overlap, plus weak price cues.
 * Group and side together name the category, which neither modality does
 * alone. Missing values are sprinkled in (empty cells), a few weights read
 * "n/a", and a few rows have no category. */
#include "mmfuse/core.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_CAT 4
static const char *const categories[N_CAT] = {"electronics", "clothing", "books", "kitchen"};
/* group: 0 = {electronics, kitchen}, 1 = {clothing, books}; side: 0 = {electronics, clothing}, 1 = {books, kitchen} */
static const int group_of[N_CAT] = {0, 1, 1, 0};
static const int side_of[N_CAT] = {0, 0, 1, 1};

static const char *const specific[N_CAT][12] = {
    {"wireless", "bluetooth", "headphones", "usb", "charger", "laptop", "hdmi", "speaker", "keyboard", "battery",
     "earbuds", "router"},
    {"cotton", "shirt", "jacket", "jeans", "sneakers", "hoodie", "dress", "socks", "wool", "sweater", "leggings",
     "scarf"},
    {"novel", "paperback", "hardcover", "guide", "handbook", "thriller", "mystery", "poetry", "biography", "cookbook",
     "chapters", "author"},
    {"knife", "spatula", "skillet", "blender", "kettle", "cutlery", "saucepan", "whisk", "colander", "toaster",
     "ladle", "grater"},
};
static const char *const group_words[2][10] = {
    {"stainless", "digital", "compact", "portable", "rechargeable", "steel", "smart", "cordless", "electric",
     "heavy-duty"},
    {"classic", "edition", "collection", "vintage", "illustrated", "soft", "limited", "printed", "fitted", "deluxe"},
};
static const char *const generic[16] = {"new", "best", "quality", "gift", "premium", "value", "pack", "set",
                                        "black", "white", "large", "small", "original", "popular", "2024", "model"};
static const char *const tiers[3] = {"budget", "standard", "premium"};
static const char *const origins[5] = {"CN", "VN", "EU", "US", "IN"};

static size_t pick(mm_rng *r, size_t n) { return (size_t)mm_rng_interval(r, n - 1); }

static size_t pick_weighted(mm_rng *r, const double *w, size_t n)
{
    double u = mm_rng_double(r), acc = 0;
    for (size_t i = 0; i < n; i++) {
        acc += w[i];
        if (u < acc) return i;
    }
    return n - 1;
}

static void title(mm_rng *r, int cat, char *buf, size_t size)
{
    const char *words[8];
    size_t n = 0;
    bool strong = mm_rng_double(r) < 0.45;
    if (strong) {
        words[n++] = specific[cat][pick(r, 12)];
        if (mm_rng_double(r) < 0.5) words[n++] = specific[cat][pick(r, 12)];
    }
    size_t ng = 1 + pick(r, 2);
    for (size_t i = 0; i < ng; i++)
        if (mm_rng_double(r) < 0.9) words[n++] = group_words[group_of[cat]][pick(r, 10)];
        else words[n++] = group_words[1 - group_of[cat]][pick(r, 10)];
    size_t nr = 1 + pick(r, 3);
    for (size_t i = 0; i < nr; i++) words[n++] = generic[pick(r, 16)];
    /* shuffle word order */
    for (size_t i = n; i > 1; i--) {
        size_t j = pick(r, i);
        const char *t = words[i - 1];
        words[i - 1] = words[j];
        words[j] = t;
    }
    size_t at = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        int w = snprintf(buf + at, size - at, "%s%s", i ? " " : "", words[i]);
        if (w < 0 || (size_t)w >= size - at) break;
        at += (size_t)w;
    }
    /* capitalize the first letter, as listings do */
    if (buf[0] >= 'a' && buf[0] <= 'z') buf[0] = (char)(buf[0] - 'a' + 'A');
}

int main(int argc, char **argv)
{
    const char *out_path = NULL;
    long rows = 1500, seed = 2024;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--rows") == 0 && i + 1 < argc) rows = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) seed = strtol(argv[++i], NULL, 10);
        else if (argv[i][0] != '-' && !out_path) out_path = argv[i];
        else {
            fprintf(stderr, "usage: mmfuse_demo_data [OUT.csv] [--rows N] [--seed S]\n");
            return 2;
        }
    }
    if (rows < 1 || rows > 100000000 || seed < 0 || seed > 4294967295L) {
        fprintf(stderr, "mmfuse_demo_data: --rows must be in [1, 1e8] and --seed in [0, 2^32)\n");
        return 2;
    }
    FILE *f = out_path ? fopen(out_path, "wb") : stdout;
    if (!f) {
        perror(out_path);
        return 4;
    }
    mm_rng r;
    mm_rng_seed(&r, (uint32_t)seed);
    fprintf(f, "product_id,title,price,weight_kg,rating,n_reviews,has_warranty,brand_tier,ships_from,category\n");
    static const double cat_w[N_CAT] = {0.3, 0.25, 0.25, 0.2};
    for (long i = 0; i < rows; i++) {
        int cat = (int)pick_weighted(&r, cat_w, N_CAT);
        int side = side_of[cat];
        char t[256];
        title(&r, cat, t, sizeof t);
        /* price: weak group cue (electronics/kitchen dearer) */
        double price = exp(3.0 + 0.35 * (group_of[cat] == 0) + 0.8 * mm_rng_gauss(&r));
        /* weight: the side cue */
        double weight = exp((side ? 0.7 : -0.7) + 0.6 * mm_rng_gauss(&r));
        double rating = 3.0 + 2.0 * mm_rng_double(&r);
        long reviews = (long)exp(3.5 + 1.2 * mm_rng_gauss(&r));
        int warranty = mm_rng_double(&r) < (side ? 0.25 : 0.75);
        const char *tier = tiers[pick(&r, 3)];
        static const double from_w[2][5] = {{0.45, 0.25, 0.1, 0.1, 0.1}, {0.1, 0.1, 0.4, 0.3, 0.1}};
        const char *from = origins[pick_weighted(&r, from_w[side], 5)];
        char price_s[32], weight_s[32], tier_s[16];
        snprintf(price_s, sizeof price_s, "%.2f", price);
        snprintf(weight_s, sizeof weight_s, "%.3f", weight);
        snprintf(tier_s, sizeof tier_s, "%s", tier);
        if (mm_rng_double(&r) < 0.05) price_s[0] = '\0';
        double u = mm_rng_double(&r);
        if (u < 0.03) weight_s[0] = '\0';
        else if (u < 0.04) snprintf(weight_s, sizeof weight_s, "n/a");
        if (mm_rng_double(&r) < 0.04) tier_s[0] = '\0';
        bool no_title = mm_rng_double(&r) < 0.03;
        bool no_label = mm_rng_double(&r) < 0.005;
        fprintf(f, "P%05ld,%s%s%s,%s,%s,%.1f,%ld,%d,%s,%s,%s\n", i + 1, no_title ? "" : "\"", no_title ? "" : t,
                no_title ? "" : "\"", price_s, weight_s, rating, reviews, warranty, tier_s, from,
                no_label ? "" : categories[cat]);
    }
    if (out_path && fclose(f) != 0) {
        perror(out_path);
        return 4;
    }
    return 0;
}
