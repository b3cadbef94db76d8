/* image: invalid arguments, every kind of unusable file (named in the
 * message, never a crash), known answers of each handcrafted feature
 * (solid colour, ramps, checkerboards), torchvision's size and crop rules,
 * JPEG DCT scaling sizes, the region-of-interest decode against a full
 * decode, EXIF orientation, and 1-thread vs 2-thread bit-identity of the
 * file encoder. Fixtures are written here with libjpeg and libpng. */
#include "image/image_internal.h"
#include "mmfuse/image.h"
#include "mmtest.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jpeglib.h>
#include <png.h>
#include <webp/encode.h>

static char g_dir[512];

static const char *tmp_path(const char *name)
{
    static char buf[8][700];
    static int k;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], "%s/%s", g_dir, name);
    return buf[k];
}

static void write_bytes(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        exit(2);
    }
    if (len) fwrite(data, 1, len, f);
    fclose(f);
}

static unsigned char *read_bytes(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)n + 1);
    if (fread(b, 1, (size_t)n, f) != (size_t)n) n = 0;
    fclose(f);
    *len = (size_t)n;
    return b;
}

/* ------------------------------------------------------------ fixtures */

/* Smooth waves plus seeded noise: photo-like content. */
static void photo(mm_image *img, size_t w, size_t h, uint32_t seed)
{
    mm_image_create(img, w, h, NULL);
    mm_rng r;
    mm_rng_seed(&r, seed);
    double f[3], g[3];
    for (int c = 0; c < 3; c++) {
        f[c] = 0.01 + 0.04 * mm_rng_double(&r);
        g[c] = 0.01 + 0.04 * mm_rng_double(&r);
    }
    for (size_t y = 0; y < h; y++)
        for (size_t x = 0; x < w; x++)
            for (int c = 0; c < 3; c++) {
                double v = 128 + 70 * sin(f[c] * (double)x + g[c] * (double)y + c) +
                           40 * cos(0.013 * (double)(x + y)) + 20 * (mm_rng_double(&r) - 0.5);
                img->data[(y * w + x) * 3 + c] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
            }
}

static unsigned char *jpeg_encode(const mm_image *img, int quality, const unsigned char *app1,
                                  size_t app1_len, size_t *len)
{
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr e;
    c.err = jpeg_std_error(&e);
    jpeg_create_compress(&c);
    unsigned char *out = NULL;
    unsigned long n = 0;
    jpeg_mem_dest(&c, &out, &n);
    c.image_width = (JDIMENSION)img->width;
    c.image_height = (JDIMENSION)img->height;
    c.input_components = 3;
    c.in_color_space = JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, quality, TRUE);
    jpeg_start_compress(&c, TRUE);
    if (app1) jpeg_write_marker(&c, JPEG_APP0 + 1, app1, (unsigned)app1_len);
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = img->data + (size_t)c.next_scanline * img->width * 3;
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    *len = n;
    return out;
}

static void write_jpeg(const char *path, const mm_image *img, int quality)
{
    size_t n;
    unsigned char *b = jpeg_encode(img, quality, NULL, 0, &n);
    write_bytes(path, b, n);
    free(b);
}

static void write_png(const char *path, const mm_image *img)
{
    FILE *f = fopen(path, "wb");
    png_structp p = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(p);
    png_init_io(p, f);
    png_set_IHDR(p, info, (png_uint_32)img->width, (png_uint_32)img->height, 8,
                 PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_write_info(p, info);
    for (size_t y = 0; y < img->height; y++) png_write_row(p, img->data + y * img->width * 3);
    png_write_end(p, NULL);
    png_destroy_write_struct(&p, &info);
    fclose(f);
}

static uint32_t crc32_of(const unsigned char *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return c ^ 0xFFFFFFFFu;
}

static void put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* A PNG whose IHDR declares w x h RGB pixels (valid CRCs, bogus IDAT). */
static size_t png_header_only(unsigned char *b, uint32_t w, uint32_t h)
{
    memcpy(b, "\x89PNG\r\n\x1a\n", 8);
    size_t n = 8;
    put_be32(b + n, 13);
    memcpy(b + n + 4, "IHDR", 4);
    put_be32(b + n + 8, w);
    put_be32(b + n + 12, h);
    b[n + 16] = 8;
    b[n + 17] = 2;
    b[n + 18] = b[n + 19] = b[n + 20] = 0;
    put_be32(b + n + 21, crc32_of(b + n + 4, 17));
    n += 25;
    put_be32(b + n, 4);
    memcpy(b + n + 4, "IDAT\x78\x9c\x00\x00", 8);
    put_be32(b + n + 12, crc32_of(b + n + 4, 8));
    n += 16;
    put_be32(b + n, 0);
    memcpy(b + n + 4, "IEND", 4);
    put_be32(b + n + 8, crc32_of(b + n + 4, 4));
    return n + 12;
}

/* EXIF APP1 payload with one IFD0 entry: Orientation = o. */
static size_t exif_app1(unsigned char *b, int o)
{
    static const unsigned char t[] = {'E', 'x', 'i', 'f', 0, 0, 'M', 'M', 0, 42, 0, 0, 0, 8,
                                      0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 0, 0, 0,
                                      0, 0, 0, 0};
    memcpy(b, t, sizeof t);
    b[24] = 0;
    b[25] = (unsigned char)o;
    return sizeof t;
}

/* ------------------------------------------------------------ tests */

static void test_invalid(void)
{
    mm_error e = {0};
    mm_image img = {0};
    MM_CHECK_STATUS(mm_image_create(&img, SIZE_MAX / 2, 4, &e), MM_EINVAL);
    MM_CHECK(img.data == NULL);
    mm_image_free(&img);
    mm_image_free(NULL);

    mm_preprocess_params pp = mm_preprocess_params_default();
    MM_CHECK_STATUS(mm_preprocess_params_check(&pp, &e), MM_OK);
    pp.crop_width = 0;
    MM_CHECK_STATUS(mm_preprocess_params_check(&pp, &e), MM_EINVAL);
    MM_CHECK(strstr(e.msg, "crop") != NULL);
    pp = mm_preprocess_params_default();
    pp.std[1] = 0.0f;
    MM_CHECK_STATUS(mm_preprocess_params_check(&pp, &e), MM_EINVAL);
    pp = mm_preprocess_params_default();
    pp.mean[2] = NAN;
    MM_CHECK_STATUS(mm_preprocess_params_check(&pp, &e), MM_EINVAL);
    pp = mm_preprocess_params_default();
    pp.interp = (mm_interp)99;
    mm_preprocess *prep = (mm_preprocess *)&e;
    MM_CHECK_STATUS(mm_preprocess_new(&pp, &prep, &e), MM_EINVAL);
    MM_CHECK(prep == NULL);
    mm_preprocess_free(NULL);

    mm_image_params ip = mm_image_params_default();
    MM_CHECK_STATUS(mm_image_params_check(&ip, &e), MM_OK);
    MM_CHECK(mm_image_features_dim(&ip) == 572);
    ip.size = 4;
    MM_CHECK_STATUS(mm_image_params_check(&ip, &e), MM_EINVAL);
    MM_CHECK(mm_image_features_dim(&ip) == 0);
    ip = mm_image_params_default();
    ip.color_hist = ip.hog = ip.lbp = ip.stats = ip.thumb = false;
    MM_CHECK_STATUS(mm_image_params_check(&ip, &e), MM_EINVAL);
    ip = mm_image_params_default();
    ip.hog_cell = 40; /* one cell per side: no 2x2 block fits */
    MM_CHECK_STATUS(mm_image_params_check(&ip, &e), MM_EINVAL);
    MM_CHECK(strstr(e.msg, "hog_cell") != NULL);
    ip = mm_image_params_default();
    ip.lbp_points = 0;
    MM_CHECK_STATUS(mm_image_params_check(&ip, &e), MM_EINVAL);
    ip = mm_image_params_default();
    ip.thumb_size = 65;
    MM_CHECK_STATUS(mm_image_params_check(&ip, &e), MM_EINVAL);
    ip = mm_image_params_default();
    ip.hist_bins[1] = 0;
    MM_CHECK_STATUS(mm_image_params_check(&ip, &e), MM_EINVAL);
    mm_file_encoder *enc = (mm_file_encoder *)&e;
    MM_CHECK_STATUS(mm_image_encoder_new(&ip, &enc, &e), MM_EINVAL);
    MM_CHECK(enc == NULL);

    ip = mm_image_params_default();
    float out[600];
    MM_CHECK_STATUS(mm_image_features(&ip, &img, out, &e), MM_EINVAL);
    uint8_t g[16] = {0};
    MM_CHECK_STATUS(mm_hog(g, 4, 4, 9, 8, 2, out, &e), MM_EINVAL);
    MM_CHECK(mm_hog_dim(4, 4, 9, 8, 2) == 0);
    MM_CHECK(mm_hog_dim(64, 64, 9, 16, 2) == 324);
    MM_CHECK(mm_hog_dim(67, 50, 9, 8, 3) == 4 * 6 * 81);
    uint8_t codes[16];
    MM_CHECK_STATUS(mm_lbp_uniform(g, 4, 4, 0, 1.0, codes, &e), MM_EINVAL);
    MM_CHECK_STATUS(mm_lbp_uniform(g, 4, 4, 8, 0.0, codes, &e), MM_EINVAL);
    MM_CHECK_STATUS(mm_lbp_uniform(g, 4, 4, 33, 1.0, codes, &e), MM_EINVAL);

    MM_CHECK_STATUS(mm_image_decode_memory(NULL, 5, "x", NULL, NULL, &img, NULL, &e),
                    MM_EINVAL);
    MM_CHECK_STATUS(mm_image_decode_memory("", 0, "zero.png", NULL, NULL, &img, NULL, &e),
                    MM_EFORMAT);
    MM_CHECK(strstr(e.msg, "zero.png") != NULL);
    MM_CHECK_STATUS(mm_image_decode_file(NULL, NULL, NULL, &img, NULL, &e), MM_EINVAL);

    MM_CHECK(mm_image_detect_format("\xff\xd8\xff\xe0", 4, NULL) == MM_IMAGE_JPEG);
    MM_CHECK(mm_image_detect_format("\x89PNG\r\n\x1a\n", 8, NULL) == MM_IMAGE_PNG);
    MM_CHECK(mm_image_detect_format("RIFF\0\0\0\0WEBPVP8 ", 16, NULL) == MM_IMAGE_WEBP);
    MM_CHECK(mm_image_detect_format("GIF89a", 6, NULL) == MM_IMAGE_GIF);
    MM_CHECK(mm_image_detect_format("BM", 2, NULL) == MM_IMAGE_BMP);
    MM_CHECK(mm_image_detect_format("P6\n", 3, NULL) == MM_IMAGE_PNM);
    static const unsigned char tga[18] = {0};
    MM_CHECK(mm_image_detect_format(tga, 18, "a.TGA") == MM_IMAGE_TGA);
    MM_CHECK(mm_image_detect_format(tga, 18, "a.jpg") == MM_IMAGE_UNKNOWN);
    MM_CHECK(strcmp(mm_image_format_name(MM_IMAGE_WEBP), "webp") == 0);
    MM_CHECK(strcmp(mm_interp_name(MM_INTERP_BICUBIC), "bicubic") == 0);
}

/* path must fail with `code` through the decoder, the preprocessor and the
 * encoder, and every message must name the file. */
static void expect_bad(const mm_file_encoder *enc, mm_preprocess *prep, const char *path,
                       mm_status code, const char *what)
{
    mm_error e = {0};
    mm_image img = {0};
    float *v = malloc(enc->dim * sizeof *v);
    float *t = malloc(mm_preprocess_output_size(prep) * sizeof *t);
    mm_status s1 = mm_image_decode_file(path, NULL, NULL, &img, NULL, &e);
    bool n1 = strstr(e.msg, path) != NULL;
    mm_status s2 = mm_preprocess_file(prep, path, t, &e);
    bool n2 = strstr(e.msg, path) != NULL;
    mm_status s3 = enc->encode(enc, path, v, &e);
    bool n3 = strstr(e.msg, path) != NULL;
    if (s1 != code || s2 != code || s3 != code || !n1 || !n2 || !n3)
        fprintf(stderr, "  case '%s': statuses %d %d %d (want %d), last message: %s\n", what,
                (int)s1, (int)s2, (int)s3, (int)code, e.msg);
    MM_CHECK(s1 == code);
    MM_CHECK(s2 == code);
    MM_CHECK(s3 == code);
    MM_CHECK(n1 && n2 && n3);
    mm_image_free(&img);
    free(v);
    free(t);
}

static void test_bad_files(void)
{
    mm_error e = {0};
    mm_image_params ip = mm_image_params_default();
    mm_file_encoder *enc;
    MM_CHECK_STATUS(mm_image_encoder_new(&ip, &enc, &e), MM_OK);
    mm_preprocess_params pp = mm_preprocess_params_default();
    pp.dct_scaling = true;
    mm_preprocess *prep;
    MM_CHECK_STATUS(mm_preprocess_new(&pp, &prep, &e), MM_OK);

    mm_image img = {0};
    photo(&img, 320, 240, 7);
    size_t jn;
    unsigned char *jpg = jpeg_encode(&img, 90, NULL, 0, &jn);
    write_bytes(tmp_path("good.jpg"), jpg, jn);
    write_png(tmp_path("good.png"), &img);
    size_t pn = 0;
    unsigned char *png = read_bytes(tmp_path("good.png"), &pn);
    float *v = malloc(enc->dim * sizeof *v);
    MM_CHECK_STATUS(enc->encode(enc, tmp_path("good.jpg"), v, &e), MM_OK);
    MM_CHECK_STATUS(enc->encode(enc, tmp_path("good.png"), v, &e), MM_OK);

    write_bytes(tmp_path("empty.jpg"), "", 0);
    expect_bad(enc, prep, tmp_path("empty.jpg"), MM_EFORMAT, "0-byte file");
    const char *text = "id,label\n1,cat\nthis is not an image\n";
    write_bytes(tmp_path("text.jpg"), text, strlen(text));
    expect_bad(enc, prep, tmp_path("text.jpg"), MM_EFORMAT, "text named .jpg");
    write_bytes(tmp_path("trunc.jpg"), jpg, jn / 2);
    expect_bad(enc, prep, tmp_path("trunc.jpg"), MM_EFORMAT, "truncated JPEG (half)");
    write_bytes(tmp_path("trunc2.jpg"), jpg, 700);
    expect_bad(enc, prep, tmp_path("trunc2.jpg"), MM_EFORMAT, "truncated JPEG (header)");
    write_bytes(tmp_path("trunc.png"), png, pn / 2);
    expect_bad(enc, prep, tmp_path("trunc.png"), MM_EFORMAT, "truncated PNG (half)");
    write_bytes(tmp_path("trunc2.png"), png, 30);
    expect_bad(enc, prep, tmp_path("trunc2.png"), MM_EFORMAT, "truncated PNG (IHDR)");

    unsigned char huge[128];
    size_t hn = png_header_only(huge, 100000, 100000);
    write_bytes(tmp_path("huge.png"), huge, hn);
    expect_bad(enc, prep, tmp_path("huge.png"), MM_EFORMAT, "PNG declaring 100k x 100k");
    mm_image_decode_file(tmp_path("huge.png"), NULL, NULL, &img, NULL, &e);
    MM_CHECK(strstr(e.msg, "limit") != NULL);

    /* the same JPEG with its SOF patched to 65535 x 65535 */
    unsigned char *big = malloc(jn);
    memcpy(big, jpg, jn);
    for (size_t i = 0; i + 9 < jn; i++)
        if (big[i] == 0xFF && big[i + 1] == 0xC0) {
            big[i + 5] = big[i + 6] = big[i + 7] = big[i + 8] = 0xFF;
            break;
        }
    write_bytes(tmp_path("huge.jpg"), big, jn);
    expect_bad(enc, prep, tmp_path("huge.jpg"), MM_EFORMAT, "JPEG declaring 65535 x 65535");
    free(big);

    mkdir(tmp_path("adir.jpg"), 0755);
    expect_bad(enc, prep, tmp_path("adir.jpg"), MM_EIO, "directory");
    expect_bad(enc, prep, tmp_path("missing.jpg"), MM_EIO, "missing file");
    const unsigned char tiff[16] = {'I', 'I', 42, 0, 8, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8};
    write_bytes(tmp_path("image.tif"), tiff, sizeof tiff);
    expect_bad(enc, prep, tmp_path("image.tif"), MM_EFORMAT, "unsupported format (TIFF)");
    static const char bmp[] = "BM\x10\0\0\0garbage!";
    write_bytes(tmp_path("bad.bmp"), bmp, sizeof bmp - 1);
    expect_bad(enc, prep, tmp_path("bad.bmp"), MM_EFORMAT, "corrupt BMP");
    static const char webp[] = "RIFF\x20\0\0\0WEBPVP8 \x10\0\0\0garbage";
    write_bytes(tmp_path("bad.webp"), webp, sizeof webp - 1);
    expect_bad(enc, prep, tmp_path("bad.webp"), MM_EFORMAT, "corrupt WebP");
    /* a flipped byte deep in the entropy data still decodes (as PIL does),
     * but a corrupt SOF is an error */
    unsigned char *sof = malloc(jn);
    memcpy(sof, jpg, jn);
    for (size_t i = 0; i + 9 < jn; i++)
        if (sof[i] == 0xFF && sof[i + 1] == 0xC0) {
            sof[i + 9] = 7; /* 7 components */
            break;
        }
    write_bytes(tmp_path("badsof.jpg"), sof, jn);
    expect_bad(enc, prep, tmp_path("badsof.jpg"), MM_EFORMAT, "corrupt SOF");
    free(sof);

    /* limits are configurable: a tiny pixel or byte budget rejects good.jpg */
    mm_image_limits lim = mm_image_limits_default();
    MM_CHECK(lim.max_pixels == 89478485u);
    lim.max_pixels = 1000;
    MM_CHECK_STATUS(mm_image_decode_file(tmp_path("good.jpg"), &lim, NULL, &img, NULL, &e),
                    MM_EFORMAT);
    lim = mm_image_limits_default();
    lim.max_file_bytes = 100;
    MM_CHECK_STATUS(mm_image_decode_file(tmp_path("good.jpg"), &lim, NULL, &img, NULL, &e),
                    MM_EFORMAT);
    MM_CHECK(strstr(e.msg, "limit") != NULL);

    free(v);
    free(jpg);
    free(png);
    mm_image_free(&img);
    mm_preprocess_free(prep);
    mm_file_encoder_free(enc);
}

static void test_params_json(void)
{
    mm_error e = {0};
    mm_image_params p = mm_image_params_default(), q;
    char buf[1024];
    p.size = 48;
    p.hog = false;
    p.hist_bins[0] = 12;
    p.lbp_radius = 1.5;
    p.thumb_size = 6;
    p.dct_scaling = false;
    MM_CHECK_STATUS(mm_image_params_to_json(&p, buf, sizeof buf, &e), MM_OK);
    MM_CHECK(strstr(buf, "\"hog\"") == NULL);
    MM_CHECK_STATUS(mm_image_params_from_json(buf, &q, &e), MM_OK);
    MM_CHECK(q.size == 48 && !q.hog && q.color_hist && q.hist_bins[0] == 12 &&
             q.lbp_radius == 1.5 && q.thumb_size == 6 && !q.dct_scaling && q.stats && q.lbp &&
             q.thumb);
    MM_CHECK(mm_image_features_dim(&q) == 12 * 4 * 4 + 40 + 16 + 36);
    MM_CHECK_STATUS(mm_image_params_to_json(&p, buf, 20, &e), MM_EINVAL);
    /* short form used by pipeline configs */
    MM_CHECK_STATUS(mm_image_params_from_json("{\"features\":[\"hog\",\"lbp\"],\"size\":32}",
                                              &q, &e),
                    MM_OK);
    MM_CHECK(q.hog && q.lbp && !q.color_hist && !q.stats && !q.thumb && q.size == 32);
    MM_CHECK_STATUS(mm_image_params_from_json("{\"hog\":true}", &q, &e), MM_OK);
    MM_CHECK(q.hog && !q.lbp && q.hog_cell == 16);
    MM_CHECK_STATUS(mm_image_params_from_json(NULL, &q, &e), MM_OK);
    MM_CHECK(mm_image_features_dim(&q) == 572);
    static const char *const bad[] = {
        "[1,2]", "{\"size\":3}", "{\"sizes\":64}", "{\"kind\":\"mfcc\"}", "{\"version\":2}",
        "{\"hog\":{\"cells\":4}}", "{\"features\":[\"sift\"]}", "{\"color_hist\":{\"bins\":[8,4]}}",
        "{\"thumb\":0}", "{\"dct_scaling\":1}", "not json"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        MM_CHECK_STATUS(mm_image_params_from_json(bad[i], &q, &e), MM_EINVAL);
    mm_image_params_from_json("{\"sizes\":64}", &q, &e);
    MM_CHECK(strstr(e.msg, "sizes") != NULL);
}

static void fill(mm_image *img, size_t w, size_t h, uint8_t r, uint8_t g, uint8_t b)
{
    mm_image_create(img, w, h, NULL);
    for (size_t i = 0; i < w * h; i++) {
        img->data[3 * i] = r;
        img->data[3 * i + 1] = g;
        img->data[3 * i + 2] = b;
    }
}

static void test_known_answers(void)
{
    mm_error e = {0};
    mm_image_params ip = mm_image_params_default();
    size_t dim = mm_image_features_dim(&ip), off_h, len_h, off_g, len_g, off_l, len_l, off_s,
           len_s, off_t, len_t;
    MM_CHECK(mm_image_features_block(&ip, "color_hist", &off_h, &len_h));
    MM_CHECK(mm_image_features_block(&ip, "hog", &off_g, &len_g));
    MM_CHECK(mm_image_features_block(&ip, "lbp", &off_l, &len_l));
    MM_CHECK(mm_image_features_block(&ip, "stats", &off_s, &len_s));
    MM_CHECK(mm_image_features_block(&ip, "thumb", &off_t, &len_t));
    MM_CHECK(off_h == 0 && len_h == 128 && off_g == 128 && len_g == 324 && off_l == 452 &&
             len_l == 40 && off_s == 492 && len_s == 16 && off_t == 508 && len_t == 64);
    MM_CHECK(!mm_image_features_block(&ip, "sift", NULL, NULL));
    float *f = malloc(dim * sizeof *f);

    /* solid (200, 30, 60): hue 5.82 -> bin 7, s 0.85 -> 3, v 200 -> 3 */
    mm_image img = {0};
    fill(&img, 50, 40, 200, 30, 60);
    MM_CHECK_STATUS(mm_image_features(&ip, &img, f, &e), MM_OK);
    double sum = 0;
    for (size_t i = 0; i < 128; i++) sum += f[i];
    MM_CHECK_NEAR(sum, 1.0, 1e-6);
    MM_CHECK_NEAR(f[(7 * 4 + 3) * 4 + 3], 1.0, 0);
    double hog_abs = 0;
    for (size_t i = 0; i < len_g; i++) hog_abs += fabs(f[off_g + i]);
    MM_CHECK(hog_abs == 0.0); /* no gradient anywhere */
    int L = (200 * 19595 + 30 * 38470 + 60 * 7471 + 0x8000) >> 16;
    const float *st = f + off_s;
    MM_CHECK_NEAR(st[0], 200 / 255.0, 1e-6);
    MM_CHECK_NEAR(st[3], 30 / 255.0, 1e-6);
    MM_CHECK_NEAR(st[6], 60 / 255.0, 1e-6);
    MM_CHECK_NEAR(st[9], L / 255.0, 1e-6);
    for (int c = 0; c < 4; c++) {
        MM_CHECK_NEAR(st[3 * c + 1], 0, 1e-7);
        MM_CHECK_NEAR(st[3 * c + 2], 0, 1e-7);
    }
    for (int k = 0; k < 3; k++) MM_CHECK_NEAR(st[12 + k], L / 255.0, 1e-6);
    MM_CHECK_NEAR(st[15], 0, 0);
    for (size_t i = 0; i < len_t; i++) MM_CHECK_NEAR(f[off_t + i], L / 255.0f, 0);
    double lsum = 0;
    for (size_t i = 0; i < len_l; i++) lsum += f[off_l + i];
    MM_CHECK_NEAR(lsum, 4.0, 1e-5); /* four cells, each sums to 1 */

    /* gray pixels: every one in hue 0, saturation 0 */
    fill(&img, 30, 30, 90, 90, 90);
    mm_color_hist_hsv(&img, 8, 4, 4, f);
    MM_CHECK_NEAR(f[90 * 4 / 256], 1.0, 0);

    /* LBP of a solid image: every interior pixel has all samples equal to
     * the centre -> all ones -> code P */
    size_t s = 16;
    uint8_t *gray = malloc(64 * 64), *codes = malloc(64 * 64);
    memset(gray, 77, s * s);
    MM_CHECK_STATUS(mm_lbp_uniform(gray, s, s, 8, 1.0, codes, &e), MM_OK);
    int ok = 1;
    for (size_t y = 1; y + 1 < s; y++)
        for (size_t x = 1; x + 1 < s; x++) ok &= codes[y * s + x] == 8;
    MM_CHECK(ok);
    MM_CHECK(codes[0] <= 9);
    /* 1-pixel checkerboard: 255 centres see darker samples (code 0), 0
     * centres see brighter ones (code P) */
    for (size_t y = 0; y < s; y++)
        for (size_t x = 0; x < s; x++) gray[y * s + x] = ((x + y) & 1) ? 255 : 0;
    MM_CHECK_STATUS(mm_lbp_uniform(gray, s, s, 8, 1.0, codes, &e), MM_OK);
    ok = 1;
    for (size_t y = 1; y + 1 < s; y++)
        for (size_t x = 1; x + 1 < s; x++)
            ok &= codes[y * s + x] == (((x + y) & 1) ? 0 : 8);
    MM_CHECK(ok);

    /* HOG of ramps: a horizontal ramp fills only orientation bin 0, a
     * vertical one only bin 4 (80..100 degrees); an 8-pixel checkerboard
     * mostly bins 0 and 4 (its corners give diagonal gradients) */
    size_t n = 64, hd = mm_hog_dim(n, n, 9, 16, 2);
    float *hv = malloc(hd * sizeof *hv);
    for (int pass = 0; pass < 3; pass++) {
        for (size_t y = 0; y < n; y++)
            for (size_t x = 0; x < n; x++)
                gray[y * n + x] = pass == 0   ? (uint8_t)(3 * x)
                                  : pass == 1 ? (uint8_t)(3 * y)
                                              : (((x / 8) + (y / 8)) & 1 ? 200 : 20);
        MM_CHECK_STATUS(mm_hog(gray, n, n, 9, 16, 2, hv, &e), MM_OK);
        int only = 1;
        double tot = 0, main_bins = 0;
        for (size_t i = 0; i < hd; i++) {
            size_t o = i % 9;
            bool allowed = pass == 0 ? o == 0 : pass == 1 ? o == 4 : (o == 0 || o == 4);
            if (pass < 2 && !allowed && hv[i] != 0.0f) only = 0;
            if (allowed) main_bins += hv[i];
            tot += hv[i];
            if (hv[i] < 0 || hv[i] > 1) only = 0;
        }
        MM_CHECK(only);
        MM_CHECK(tot > 1.0);
        MM_CHECK(main_bins > 0.7 * tot);
    }
    /* interior cells of the horizontal ramp are equal, so a 2x2 block of
     * them normalizes to 0.5 each (clip at 0.2, renormalize) */
    for (size_t y = 0; y < n; y++)
        for (size_t x = 0; x < n; x++) gray[y * n + x] = (uint8_t)(3 * x);
    mm_hog(gray, n, n, 9, 16, 2, hv, &e);
    size_t blk = (1 * 3 + 1) * 36; /* block (1, 1): cells (1..2, 1..2) */
    for (int c = 0; c < 4; c++) MM_CHECK_NEAR(hv[blk + (size_t)c * 9], 0.5, 1e-6);

    free(hv);
    free(gray);
    free(codes);
    free(f);
    mm_image_free(&img);
}

static void test_geometry(void)
{
    size_t w, h;
    mm_resize_short_size(640, 480, 256, &w, &h);
    MM_CHECK(w == 341 && h == 256);
    mm_resize_short_size(480, 640, 256, &w, &h);
    MM_CHECK(w == 256 && h == 341);
    mm_resize_short_size(256, 256, 256, &w, &h);
    MM_CHECK(w == 256 && h == 256);
    mm_resize_short_size(1, 1000, 256, &w, &h);
    MM_CHECK(w == 256 && h == 256000);
    mm_resize_short_size(1920, 1080, 256, &w, &h);
    MM_CHECK(w == 455 && h == 256);

    /* CenterCrop: offsets round half to even, padding splits left/right */
    mm_error e = {0};
    mm_image src = {0}, dst = {0};
    mm_image_create(&src, 259, 5, NULL);
    for (size_t i = 0; i < 259 * 5; i++)
        for (int c = 0; c < 3; c++) src.data[3 * i + (size_t)c] = (uint8_t)(i % 259);
    MM_CHECK_STATUS(mm_image_center_crop(&src, 224, 8, &dst, &e), MM_OK);
    /* 259 - 224 = 35 -> left 18; 8 > 5 -> pad top (8-5)/2 = 1, bottom 2 */
    MM_CHECK(dst.data[(1 * 224 + 0) * 3] == 18);
    MM_CHECK(dst.data[0] == 0 && dst.data[(7 * 224) * 3] == 0);
    MM_CHECK(dst.data[(5 * 224 + 5) * 3] == 23 && dst.data[(6 * 224 + 5) * 3] == 0);
    mm_image_create(&src, 257, 3, NULL);
    for (size_t i = 0; i < 257 * 3; i++) src.data[3 * i] = (uint8_t)(i % 257);
    mm_image_center_crop(&src, 224, 3, &dst, &e);
    MM_CHECK(dst.data[0] == 16); /* 33 -> 16 */

    /* resize of a constant image is constant with every filter */
    mm_image_create(&src, 37, 23, NULL);
    memset(src.data, 131, 37 * 23 * 3);
    for (int m = 0; m <= (int)MM_INTERP_LANCZOS; m++) {
        MM_CHECK_STATUS(mm_image_resize(&src, 11, 64, (mm_interp)m, &dst, &e), MM_OK);
        int ok = 1;
        for (size_t i = 0; i < 11 * 64 * 3; i++) ok &= dst.data[i] == 131;
        MM_CHECK(ok);
    }
    MM_CHECK_STATUS(mm_image_resize(&src, 0, 5, MM_INTERP_BILINEAR, &dst, &e), MM_EINVAL);
    MM_CHECK_STATUS(mm_image_resize(&src, 5, 5, MM_INTERP_BILINEAR, &src, &e), MM_EINVAL);

    /* ToTensor + Normalize */
    mm_image_create(&src, 2, 1, NULL);
    uint8_t px[6] = {0, 255, 128, 1, 2, 3};
    memcpy(src.data, px, 6);
    float mean[3] = {0.5f, 0.25f, 0.0f}, sd[3] = {0.5f, 0.25f, 1.0f}, t[6];
    mm_image_to_tensor(&src, mean, sd, t);
    MM_CHECK_NEAR(t[0], -1.0, 0);
    MM_CHECK_NEAR(t[1], (1.0f / 255.0f - 0.5f) / 0.5f, 0);
    MM_CHECK_NEAR(t[2], (255.0f / 255.0f - 0.25f) / 0.25f, 0);
    MM_CHECK_NEAR(t[5], 3.0f / 255.0f, 0);
    mm_image_free(&src);
    mm_image_free(&dst);
}

static void test_dct_and_roi(void)
{
    mm_error e = {0};
    mm_image img = {0}, out = {0};
    mm_image_info info;
    photo(&img, 800, 600, 3);
    write_jpeg(tmp_path("p800.jpg"), &img, 85);
    mm_decode_options o = mm_decode_options_default();
    MM_CHECK_STATUS(mm_image_decode_file(tmp_path("p800.jpg"), NULL, &o, &out, &info, &e), MM_OK);
    MM_CHECK(out.width == 800 && out.height == 600 && info.scale_denom == 1);
    o.dct_scaling = true;
    o.draft_width = o.draft_height = 100; /* min(8, 6) = 6 -> 1/4 */
    MM_CHECK_STATUS(mm_image_decode_file(tmp_path("p800.jpg"), NULL, &o, &out, &info, &e), MM_OK);
    MM_CHECK(out.width == 200 && out.height == 150 && info.scale_denom == 4);
    MM_CHECK(info.width == 800 && info.height == 600 && info.format == MM_IMAGE_JPEG);
    o.draft_width = o.draft_height = 0;
    o.draft_short = 256; /* Resize(256) -> 341 x 256: min(2, 2) -> 1/2 */
    MM_CHECK_STATUS(mm_image_decode_file(tmp_path("p800.jpg"), NULL, &o, &out, &info, &e), MM_OK);
    MM_CHECK(out.width == 400 && out.height == 300 && info.scale_denom == 2);
    o.draft_short = 50; /* 66 x 50 -> 1/8 -> 100 x 75 */
    MM_CHECK_STATUS(mm_image_decode_file(tmp_path("p800.jpg"), NULL, &o, &out, &info, &e), MM_OK);
    MM_CHECK(out.width == 100 && out.height == 75 && info.scale_denom == 8);

    /* the chain decodes only the rows/columns the crop needs: its tensor must
     * equal the tensor of a full decode, for landscape, portrait, odd and
     * padded geometries, bilinear and bicubic */
    static const size_t sizes[][2] = {{1920, 1080}, {1000, 1500}, {333, 257}, {250, 200},
                                      {1001, 667}};
    static const size_t geo[][3] = {{256, 224, 224}, {128, 200, 160}, {0, 96, 96}};
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        photo(&img, sizes[si][0], sizes[si][1], (uint32_t)(10 + si));
        write_jpeg(tmp_path("roi.jpg"), &img, 90);
        for (size_t gi = 0; gi < 3; gi++)
            for (int m = 0; m < 2; m++) {
                mm_preprocess_params p = mm_preprocess_params_default();
                p.resize = geo[gi][0];
                p.crop_width = geo[gi][1];
                p.crop_height = geo[gi][2];
                p.interp = m ? MM_INTERP_BICUBIC : MM_INTERP_BILINEAR;
                mm_preprocess *pp;
                MM_CHECK_STATUS(mm_preprocess_new(&p, &pp, &e), MM_OK);
                size_t n = mm_preprocess_output_size(pp);
                float *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
                MM_CHECK_STATUS(mm_preprocess_file(pp, tmp_path("roi.jpg"), a, &e), MM_OK);
                MM_CHECK_STATUS(mm_image_decode_file(tmp_path("roi.jpg"), NULL, NULL, &out, NULL,
                                                     &e),
                                MM_OK);
                MM_CHECK_STATUS(mm_preprocess_image(pp, &out, b, &e), MM_OK);
                MM_CHECK(memcmp(a, b, n * sizeof *a) == 0);
                free(a);
                free(b);
                mm_preprocess_free(pp);
            }
    }
    mm_image_free(&img);
    mm_image_free(&out);
}

static void test_exif(void)
{
    mm_error e = {0};
    mm_image img = {0}, raw = {0}, rot = {0};
    mm_image_info info;
    photo(&img, 40, 30, 5);
    unsigned char app1[64];
    size_t an = exif_app1(app1, 6);
    size_t jn;
    unsigned char *jpg = jpeg_encode(&img, 95, app1, an, &jn);
    write_bytes(tmp_path("exif6.jpg"), jpg, jn);
    free(jpg);
    mm_decode_options o = mm_decode_options_default();
    MM_CHECK_STATUS(mm_image_decode_file(tmp_path("exif6.jpg"), NULL, &o, &raw, &info, &e), MM_OK);
    MM_CHECK(raw.width == 40 && raw.height == 30 && info.orientation == 1 && !info.oriented);
    o.exif_orientation = true;
    MM_CHECK_STATUS(mm_image_decode_file(tmp_path("exif6.jpg"), NULL, &o, &rot, &info, &e), MM_OK);
    MM_CHECK(rot.width == 30 && rot.height == 40 && info.orientation == 6 && info.oriented);
    /* 6 = rotate 90 degrees clockwise: out(x, y) = in(y, H - 1 - x) */
    int ok = 1;
    for (size_t y = 0; y < 40; y++)
        for (size_t x = 0; x < 30; x++)
            ok &= memcmp(rot.data + (y * 30 + x) * 3, raw.data + ((29 - x) * 40 + y) * 3, 3) == 0;
    MM_CHECK(ok);
    /* with DCT scaling the draft target is taken in display orientation */
    photo(&img, 800, 400, 6);
    jpg = jpeg_encode(&img, 80, app1, an, &jn);
    write_bytes(tmp_path("exif6b.jpg"), jpg, jn);
    free(jpg);
    o.dct_scaling = true;
    o.draft_width = 100; /* display 400 x 800; target 100 x 200 -> 1/4 */
    o.draft_height = 200;
    MM_CHECK_STATUS(mm_image_decode_file(tmp_path("exif6b.jpg"), NULL, &o, &rot, &info, &e),
                    MM_OK);
    MM_CHECK(rot.width == 100 && rot.height == 200 && info.scale_denom == 4);
    mm_image_free(&img);
    mm_image_free(&raw);
    mm_image_free(&rot);
}

/* The SIMD resampling kernels (SSE4.1 where the CPU has it, SSE2) against
 * the plain reference kernels: every
 * filter, up and down, odd sizes, windows, strong downscales (more taps than
 * the SIMD path takes) and the last image row (padded loads). */
static void test_simd_twins(void)
{
    static const size_t cases[][6] = {
        /* sw, sh, ow, oh, window x/y offset divisor */
        {1920, 1080, 455, 256, 4, 0}, {640, 480, 341, 256, 3, 0}, {37, 23, 11, 64, 0, 0},
        {5, 7, 300, 2, 0, 0},        {1000, 3, 7, 3, 0, 0},      {3, 1000, 3, 7, 0, 0},
        {2000, 2000, 5, 9, 0, 0},    {17, 17, 17, 40, 2, 0},     {64, 64, 63, 64, 0, 0},
        {1, 1, 9, 9, 0, 0},          {250, 180, 224, 224, 0, 0}};
    mm_rng rng;
    mm_rng_seed(&rng, 99);
    int all_equal = 1;
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        size_t sw = cases[ci][0], sh = cases[ci][1], ow = cases[ci][2], oh = cases[ci][3];
        uint8_t *src = malloc(sw * sh * 3);
        for (size_t i = 0; i < sw * sh * 3; i++) src[i] = (uint8_t)mm_rng_interval(&rng, 255);
        size_t wx = cases[ci][4] ? ow / cases[ci][4] : 0, wy = cases[ci][4] ? oh / cases[ci][4] : 0;
        size_t ww = ow - wx, wh = oh - wy;
        uint8_t *a = malloc(ww * wh * 3), *b = malloc(ww * wh * 3);
        for (int m = 0; m <= (int)MM_INTERP_LANCZOS; m++) {
            mm_img_resampler ra = {0};
            ra.level = 2;
            MM_CHECK_STATUS(mm_img_resample(&ra, src, sw, sh, 3, ow, oh, (mm_interp)m, wx, wy, ww,
                                            wh, a, ww * 3, NULL),
                            MM_OK);
            for (int level = 0; level < 2; level++) {
                mm_img_resampler rb = {0};
                rb.level = level;
                MM_CHECK_STATUS(mm_img_resample(&rb, src, sw, sh, 3, ow, oh, (mm_interp)m, wx, wy,
                                                ww, wh, b, ww * 3, NULL),
                                MM_OK);
                if (memcmp(a, b, ww * wh * 3) != 0) {
                    all_equal = 0;
                    fprintf(stderr, "  simd level %d != reference: %zux%zu -> %zux%zu %s\n", level,
                            sw, sh, ow, oh, mm_interp_name((mm_interp)m));
                }
                mm_img_resampler_free(&rb);
            }
            mm_img_resampler_free(&ra);
        }
        free(src);
        free(a);
        free(b);
    }
    MM_CHECK(all_equal);
}

/* A 24-bit bottom-up BMP of img. */
static unsigned char *bmp_encode(const mm_image *img, size_t *len)
{
    size_t w = img->width, h = img->height, row = (w * 3 + 3) & ~(size_t)3;
    size_t n = 54 + row * h;
    unsigned char *b = calloc(n, 1);
    b[0] = 'B';
    b[1] = 'M';
    for (int k = 0; k < 4; k++) {
        b[2 + k] = (unsigned char)(n >> (8 * k));
        b[18 + k] = (unsigned char)(w >> (8 * k));
        b[22 + k] = (unsigned char)(h >> (8 * k));
    }
    b[10] = 54;
    b[14] = 40;
    b[26] = 1;
    b[28] = 24;
    for (size_t y = 0; y < h; y++)
        for (size_t x = 0; x < w; x++)
            for (size_t c = 0; c < 3; c++)
                b[54 + (h - 1 - y) * row + x * 3 + c] = img->data[(y * w + x) * 3 + 2 - c];
    *len = n;
    return b;
}

/* Truncations and random byte flips of valid files of every format: any
 * status is fine, a crash or a sanitizer report is not; a successful decode
 * must have sane dimensions. */
static void test_corruption(void)
{
    mm_image img = {0}, out = {0};
    photo(&img, 64, 48, 21);
    unsigned char *files[5];
    size_t lens[5];
    files[0] = jpeg_encode(&img, 85, NULL, 0, &lens[0]);
    write_png(tmp_path("c.png"), &img);
    files[1] = read_bytes(tmp_path("c.png"), &lens[1]);
    uint8_t *wp = NULL;
    lens[2] = WebPEncodeRGB(img.data, 64, 48, 64 * 3, 80.0f, &wp);
    files[2] = malloc(lens[2]);
    memcpy(files[2], wp, lens[2]);
    WebPFree(wp);
    lens[3] = WebPEncodeLosslessRGB(img.data, 64, 48, 64 * 3, &wp);
    files[3] = malloc(lens[3]);
    memcpy(files[3], wp, lens[3]);
    WebPFree(wp);
    files[4] = bmp_encode(&img, &lens[4]);
    mm_rng r;
    mm_rng_seed(&r, 5);
    mm_preprocess_params pp = mm_preprocess_params_default();
    pp.dct_scaling = true;
    pp.resize = 32;
    pp.crop_width = pp.crop_height = 24;
    mm_preprocess *prep;
    mm_preprocess_new(&pp, &prep, NULL);
    float *t = malloc(3 * 24 * 24 * sizeof *t);
    int sane = 1, decoded_ok = 0;
    for (int f = 0; f < 5; f++) {
        MM_CHECK_STATUS(mm_image_decode_memory(files[f], lens[f], "c", NULL, NULL, &out, NULL,
                                               NULL),
                        MM_OK);
        sane &= out.width == 64 && out.height == 48;
        unsigned char *m = malloc(lens[f]);
        for (int it = 0; it < 150; it++) {
            memcpy(m, files[f], lens[f]);
            size_t n = lens[f];
            if (it % 3 == 0) {
                n = (size_t)mm_rng_interval(&r, lens[f] - 1);
            } else {
                int flips = 1 + (int)mm_rng_interval(&r, 4);
                for (int k = 0; k < flips; k++)
                    m[mm_rng_interval(&r, lens[f] - 1)] = (unsigned char)mm_rng_interval(&r, 255);
            }
            mm_decode_options o = mm_decode_options_default();
            o.exif_orientation = it & 1;
            o.dct_scaling = (it & 2) != 0;
            o.draft_width = o.draft_height = 16;
            if (mm_image_decode_memory(m, n, "c", NULL, &o, &out, NULL, NULL) == MM_OK) {
                decoded_ok++;
                sane &= out.width > 0 && out.height > 0 && out.width <= 65535 &&
                        out.height <= 65535;
            }
            mm_preprocess_memory(prep, m, n, "c", t, NULL);
        }
        free(m);
        free(files[f]);
    }
    MM_CHECK(sane);
    MM_CHECK(decoded_ok > 0);
    free(t);
    mm_preprocess_free(prep);
    mm_image_free(&img);
    mm_image_free(&out);
}

typedef struct job {
    const mm_file_encoder *enc;
    const char *const *paths;
    float *out;
    mm_status *st;
} job;

static void encode_one(size_t i, void *user)
{
    job *j = user;
    j->st[i] = j->enc->encode(j->enc, j->paths[i], j->out + i * j->enc->dim, NULL);
}

static void test_threads(void)
{
    mm_error e = {0};
    enum { N = 12 };
    static char names[N][700];
    const char *paths[N];
    mm_image img = {0};
    for (int i = 0; i < N; i++) {
        char nm[32];
        snprintf(nm, sizeof nm, "t%d.%s", i, i % 3 ? "jpg" : "png");
        snprintf(names[i], sizeof names[i], "%s", tmp_path(nm));
        paths[i] = names[i];
        photo(&img, 100 + 37 * (size_t)i, 80 + 23 * (size_t)i, (uint32_t)(100 + i));
        if (i % 3) write_jpeg(paths[i], &img, 80);
        else write_png(paths[i], &img);
    }
    mm_image_params ip = mm_image_params_default();
    mm_file_encoder *enc;
    MM_CHECK_STATUS(mm_image_encoder_new(&ip, &enc, &e), MM_OK);
    MM_CHECK(strcmp(enc->kind, "image-handcrafted") == 0 && enc->modality == MM_MOD_IMAGE);
    MM_CHECK(enc->dim == 572);
    const char *want = "{\"kind\":\"image-handcrafted\",\"version\":1,\"size\":64,"
                       "\"color_hist\":{\"bins\":[8,4,4]},"
                       "\"hog\":{\"orientations\":9,\"cell\":16,\"block\":2},"
                       "\"lbp\":{\"points\":8,\"radius\":1,\"grid\":2},\"stats\":true,"
                       "\"thumb\":8,\"dct_scaling\":true,\"exif_orientation\":false}";
    MM_CHECK(strcmp(enc->config, want) == 0);
    /* the config parses back to the same params (and the same JSON) */
    mm_image_params back;
    char again[1024];
    MM_CHECK_STATUS(mm_image_params_from_json(enc->config, &back, &e), MM_OK);
    MM_CHECK_STATUS(mm_image_params_to_json(&back, again, sizeof again, &e), MM_OK);
    MM_CHECK(strcmp(again, want) == 0);
    float *a = calloc(N * enc->dim, sizeof *a), *b = calloc(N * enc->dim, sizeof *b);
    mm_status sa[N], sb[N];
    job ja = {enc, paths, a, sa}, jb = {enc, paths, b, sb};
    mm_parallel_for(N, 1, encode_one, &ja);
    mm_parallel_for(N, 2, encode_one, &jb);
    int all_ok = 1;
    for (int i = 0; i < N; i++) all_ok &= sa[i] == MM_OK && sb[i] == MM_OK;
    MM_CHECK(all_ok);
    MM_CHECK(memcmp(a, b, N * enc->dim * sizeof *a) == 0);
    /* the features do carry the image: different files differ */
    MM_CHECK(memcmp(a, a + enc->dim, enc->dim * sizeof *a) != 0);
    free(a);
    free(b);
    mm_file_encoder_free(enc);
    mm_image_free(&img);
}

int main(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(g_dir, sizeof g_dir, "%s/mmfuse_image_XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(g_dir)) {
        perror("mkdtemp");
        return 2;
    }
    test_invalid();
    test_bad_files();
    test_known_answers();
    test_params_json();
    test_geometry();
    test_dct_and_roi();
    test_exif();
    test_threads();
    test_simd_twins();
    test_corruption();
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", g_dir);
    return mm_test_summary();
}
