/* Writes the bundled demo dataset (data/demo/products.csv) deterministically.
 *
 *   mmfuse_demo_data [OUT.csv] [--rows N] [--seed S] [--media]
 *
 * With --media it also writes, next to OUT.csv, the files the `photo` and
 * `sound` columns point to (media/P00001.png, media/P00001.wav, ...): they
 * are generated, not stored in the repository, and the CSV is the same with
 * or without --media.
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
 * alone. The photo (a 48x48 PNG) repeats the group cue in its colour (warm
 * or cool, with overlap) and shows the category's shape in some rows; the
 * sound (0.5 s at 16 kHz) repeats the side cue in its pitch. Missing values
 * are sprinkled in (empty cells), a few weights read "n/a", a few photos
 * and sounds are missing or broken files, and a few rows have no category. */
#include <png.h>

#define PI 3.14159265358979323846
#include "mmfuse/core.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

/* ------------------------------------------------------------ media */

static bool write_png(const char *path, const uint8_t *rgb, int w, int h)
{
    FILE *f = fopen(path, "wb");
    if (!f) return false;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info || setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        fclose(f);
        return false;
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < h; y++) png_write_row(png, (png_const_bytep)(rgb + (size_t)y * (size_t)w * 3));
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return fclose(f) == 0;
}

static void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static bool write_wav(const char *path, const int16_t *x, size_t n, uint32_t rate)
{
    uint8_t h[44] = "RIFF____WAVEfmt ";
    put_u32(h + 4, (uint32_t)(36 + 2 * n));
    put_u32(h + 16, 16);
    h[20] = 1; /* PCM */
    h[22] = 1; /* mono */
    put_u32(h + 24, rate);
    put_u32(h + 28, rate * 2);
    h[32] = 2;
    h[34] = 16;
    memcpy(h + 36, "data", 4);
    put_u32(h + 40, (uint32_t)(2 * n));
    FILE *f = fopen(path, "wb");
    if (!f) return false;
    bool ok = fwrite(h, 1, 44, f) == 44;
    for (size_t i = 0; i < n && ok; i++) {
        uint8_t b[2] = {(uint8_t)((uint16_t)x[i] & 0xff), (uint8_t)((uint16_t)x[i] >> 8)};
        ok = fwrite(b, 1, 2, f) == 2;
    }
    return (fclose(f) == 0) && ok;
}

/* HSV (h in [0,1)) to RGB bytes. */
static void hsv_rgb(double h, double s, double v, uint8_t *out)
{
    double r, g, b, f = h * 6 - floor(h * 6), p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
    switch ((int)floor(h * 6) % 6) {
    case 0: r = v, g = t, b = p; break;
    case 1: r = q, g = v, b = p; break;
    case 2: r = p, g = v, b = t; break;
    case 3: r = p, g = q, b = v; break;
    case 4: r = t, g = p, b = v; break;
    default: r = v, g = p, b = q; break;
    }
    out[0] = (uint8_t)lrint(255 * r);
    out[1] = (uint8_t)lrint(255 * g);
    out[2] = (uint8_t)lrint(255 * b);
}

static double wrap01(double h) { return h - floor(h); }

/* A 48x48 picture: background hue from the group (warm 0.05 / cool 0.55,
 * sd 0.12), noise, and in 40% of rows the category's shape in the middle. */
static bool make_photo(mm_rng *r, int cat, const char *path)
{
    enum { W = 48 };
    uint8_t img[W * W * 3];
    double hue = wrap01((group_of[cat] ? 0.55 : 0.05) + 0.12 * mm_rng_gauss(r));
    double sat = 0.4 + 0.5 * mm_rng_double(r), val = 0.5 + 0.4 * mm_rng_double(r);
    bool shape = mm_rng_double(r) < 0.4;
    for (int y = 0; y < W; y++)
        for (int x = 0; x < W; x++) {
            uint8_t *px = img + (y * W + x) * 3;
            double dx = x - W / 2.0 + 0.5, dy = y - W / 2.0 + 0.5, d = sqrt(dx * dx + dy * dy);
            bool in = false;
            if (shape) {
                switch (cat) {
                case 0: in = fabs(dx) < 12 && fabs(dy) < 8; break;           /* electronics: a box   */
                case 1: in = fabs(dy) < 14 && fabs(dx) < 14 - fabs(dy); break; /* clothing: a diamond */
                case 2: in = fabs(dx) < 7 && fabs(dy) < 15; break;           /* books: a tall bar    */
                default: in = d < 13; break;                                 /* kitchen: a disc      */
                }
            }
            double v = in ? 0.15 : val * (0.85 + 0.3 * mm_rng_double(r));
            hsv_rgb(hue, sat, v > 1 ? 1 : v, px);
        }
    return write_png(path, img, W, W);
}

/* 0.5 s at 16 kHz: a tone whose pitch tells the side (low ~250 Hz / high
 * ~700 Hz, spread one octave), a harmonic, an envelope and noise. */
static bool make_sound(mm_rng *r, int cat, const char *path)
{
    enum { RATE = 16000, N = RATE / 2 };
    int16_t x[N];
    double f0 = (side_of[cat] ? 700.0 : 250.0) * pow(2.0, 0.9 * mm_rng_gauss(r));
    double amp = 0.2 + 0.5 * mm_rng_double(r), phase = 2 * PI * mm_rng_double(r);
    for (int i = 0; i < N; i++) {
        double t = (double)i / RATE, env = sin(PI * t / 0.5);
        double v = amp * env * (sin(2 * PI * f0 * t + phase) + 0.3 * sin(4 * PI * f0 * t)) + 0.05 * mm_rng_gauss(r);
        if (v > 1) v = 1;
        if (v < -1) v = -1;
        x[i] = (int16_t)lrint(v * 32000);
    }
    return write_wav(path, x, N, RATE);
}

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
    bool media = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--media") == 0) media = true;
        else if (strcmp(argv[i], "--rows") == 0 && i + 1 < argc) rows = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) seed = strtol(argv[++i], NULL, 10);
        else if (argv[i][0] != '-' && !out_path) out_path = argv[i];
        else {
            fprintf(stderr, "usage: mmfuse_demo_data [OUT.csv] [--rows N] [--seed S] [--media]\n");
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
    if (media && !out_path) {
        fprintf(stderr, "mmfuse_demo_data: --media needs OUT.csv (the files go next to it)\n");
        return 2;
    }
    char media_dir[4096] = "";
    if (media) {
        const char *slash = strrchr(out_path, '/');
        int len = slash ? (int)(slash - out_path) : 0;
        snprintf(media_dir, sizeof media_dir, "%.*s%smedia", len, out_path, slash ? "/" : "");
        if (mkdir(media_dir, 0777) != 0 && errno != EEXIST) {
            perror(media_dir);
            return 4;
        }
    }
    mm_rng r, rm;
    mm_rng_seed(&r, (uint32_t)seed);
    mm_rng_seed(&rm, (uint32_t)seed ^ 0x9e3779b9u); /* media: a stream of its own */
    fprintf(f, "product_id,title,price,weight_kg,rating,n_reviews,has_warranty,brand_tier,ships_from,photo,sound,"
               "category\n");
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
        /* photo and sound: 5% missing, 1% a broken file */
        double up = mm_rng_double(&r), us = mm_rng_double(&r);
        char photo[64] = "", sound[64] = "";
        if (up >= 0.05) snprintf(photo, sizeof photo, "media/P%05ld%s", i + 1, up < 0.06 ? "-broken.png" : ".png");
        if (us >= 0.05) snprintf(sound, sizeof sound, "media/P%05ld%s", i + 1, us < 0.06 ? "-broken.wav" : ".wav");
        if (media) {
            char path[4200];
            bool ok = true;
            if (photo[0]) {
                snprintf(path, sizeof path, "%s/%s", media_dir, photo + 6);
                if (up < 0.06) {
                    FILE *b = fopen(path, "wb"); /* a PNG cut off after its signature */
                    ok = b && fwrite("\x89PNG\r\n\x1a\n\0\0", 1, 10, b) == 10;
                    if (b) ok = (fclose(b) == 0) && ok;
                } else {
                    ok = make_photo(&rm, cat, path);
                }
            }
            if (ok && sound[0]) {
                snprintf(path, sizeof path, "%s/%s", media_dir, sound + 6);
                if (us < 0.06) {
                    FILE *b = fopen(path, "wb"); /* text named .wav */
                    ok = b && fputs("this is not a sound\n", b) >= 0;
                    if (b) ok = (fclose(b) == 0) && ok;
                } else {
                    ok = make_sound(&rm, cat, path);
                }
            }
            if (!ok) {
                fprintf(stderr, "mmfuse_demo_data: cannot write %s\n", path);
                return 4;
            }
        }
        fprintf(f, "P%05ld,%s%s%s,%s,%s,%.1f,%ld,%d,%s,%s,%s,%s,%s\n", i + 1, no_title ? "" : "\"", no_title ? "" : t,
                no_title ? "" : "\"", price_s, weight_s, rating, reviews, warranty, tier_s, from, photo, sound,
                no_label ? "" : categories[cat]);
    }
    if (out_path && fclose(f) != 0) {
        perror(out_path);
        return 4;
    }
    return 0;
}
