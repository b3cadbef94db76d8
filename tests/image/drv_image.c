/* Driver for the Python parity tests of the image module
 * (tests/image/test_*.py). Commands, one per line of a batch file
 * (`drv_image batch cmds.txt`) or as the command line itself:
 *
 *   decode IN OUT [dct_w=W dct_h=H dct_short=N exif=0|1]
 *        OUT = u32 width, height, scale_denom, orientation, then RGB bytes
 *   prep IN OUT [resize=N crop_w=W crop_h=H interp=NAME dct=0|1 exif=0|1
 *                mean=a,b,c std=a,b,c]       OUT = float32 CHW tensor
 *   resize IN_RAW W H CH OW OH INTERP OUT    uint8 in, uint8 out
 *   feat IN OUT [image params]               float32 feature vector
 *   featraw IN_RAW N W H OUT [image params]  N gray W x H images -> N x dim
 *   hog IN_RAW W H ORIENT CELL BLOCK OUT     float32
 *   lbp IN_RAW W H P R OUT                   uint8 codes
 *   dim [image params]                       prints the dimension
 * Image params: size, hist=a,b,c, hog=0|1, hog_orient, hog_cell,
 * hog_block, lbp=0|1, lbp_p, lbp_r, lbp_grid, stats=0|1, thumb=0|1,
 * thumb_size, dct=0|1, exif=0|1.
 * Each command prints "OK" or "ERR <status> <message>" on stdout. */
#include "mmfuse/image.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(n > 0 ? (size_t)n : 1);
    if (b && n > 0 && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *len = n > 0 ? (size_t)n : 0;
    return b;
}

static int write_all(const char *path, const void *a, size_t n, const void *b, size_t m)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    int ok = fwrite(a, 1, n, f) == n && (!m || fwrite(b, 1, m, f) == m);
    fclose(f);
    return ok ? 0 : -1;
}

static const char *opt(int argc, char **argv, int from, const char *key)
{
    size_t k = strlen(key);
    for (int i = from; i < argc; i++)
        if (!strncmp(argv[i], key, k) && argv[i][k] == '=') return argv[i] + k + 1;
    return NULL;
}

static mm_interp interp_of(const char *s)
{
    if (!s) return MM_INTERP_BILINEAR;
    if (!strcmp(s, "bicubic")) return MM_INTERP_BICUBIC;
    if (!strcmp(s, "box")) return MM_INTERP_BOX;
    if (!strcmp(s, "hamming")) return MM_INTERP_HAMMING;
    if (!strcmp(s, "lanczos")) return MM_INTERP_LANCZOS;
    return MM_INTERP_BILINEAR;
}

static void parse3f(const char *s, float v[3])
{
    if (s) sscanf(s, "%f,%f,%f", &v[0], &v[1], &v[2]);
}

static mm_image_params image_params(int argc, char **argv, int from)
{
    mm_image_params p = mm_image_params_default();
    const char *s;
    if ((s = opt(argc, argv, from, "size"))) p.size = (size_t)atol(s);
    if ((s = opt(argc, argv, from, "hist"))) {
        if (!strcmp(s, "0")) p.color_hist = false;
        else sscanf(s, "%d,%d,%d", &p.hist_bins[0], &p.hist_bins[1], &p.hist_bins[2]);
    }
    if ((s = opt(argc, argv, from, "hog"))) p.hog = atoi(s) != 0;
    if ((s = opt(argc, argv, from, "hog_orient"))) p.hog_orientations = atoi(s);
    if ((s = opt(argc, argv, from, "hog_cell"))) p.hog_cell = atoi(s);
    if ((s = opt(argc, argv, from, "hog_block"))) p.hog_block = atoi(s);
    if ((s = opt(argc, argv, from, "lbp"))) p.lbp = atoi(s) != 0;
    if ((s = opt(argc, argv, from, "lbp_p"))) p.lbp_points = atoi(s);
    if ((s = opt(argc, argv, from, "lbp_r"))) p.lbp_radius = atof(s);
    if ((s = opt(argc, argv, from, "lbp_grid"))) p.lbp_grid = atoi(s);
    if ((s = opt(argc, argv, from, "stats"))) p.stats = atoi(s) != 0;
    if ((s = opt(argc, argv, from, "thumb"))) p.thumb = atoi(s) != 0;
    if ((s = opt(argc, argv, from, "thumb_size"))) p.thumb_size = atoi(s);
    if ((s = opt(argc, argv, from, "dct"))) p.dct_scaling = atoi(s) != 0;
    if ((s = opt(argc, argv, from, "exif"))) p.exif_orientation = atoi(s) != 0;
    return p;
}

static mm_status cmd(int argc, char **argv, mm_error *err)
{
    if (argc < 1) return mm_error_set(err, MM_EINVAL, "no command");
    const char *c = argv[0];
    if (!strcmp(c, "decode") && argc >= 3) {
        mm_decode_options o = mm_decode_options_default();
        const char *s;
        if ((s = opt(argc, argv, 3, "dct_w"))) o.draft_width = (size_t)atol(s);
        if ((s = opt(argc, argv, 3, "dct_h"))) o.draft_height = (size_t)atol(s);
        if ((s = opt(argc, argv, 3, "dct_short"))) o.draft_short = (size_t)atol(s);
        o.dct_scaling = o.draft_width || o.draft_short;
        if ((s = opt(argc, argv, 3, "exif"))) o.exif_orientation = atoi(s) != 0;
        mm_image img = {0};
        mm_image_info info;
        mm_status st = mm_image_decode_file(argv[1], NULL, &o, &img, &info, err);
        if (st == MM_OK) {
            uint32_t hdr[4] = {(uint32_t)img.width, (uint32_t)img.height,
                               (uint32_t)info.scale_denom, (uint32_t)info.orientation};
            if (write_all(argv[2], hdr, sizeof hdr, img.data, img.width * img.height * 3))
                st = mm_error_set(err, MM_EIO, "cannot write %s", argv[2]);
        }
        mm_image_free(&img);
        return st;
    }
    if (!strcmp(c, "prep") && argc >= 3) {
        mm_preprocess_params p = mm_preprocess_params_default();
        const char *s;
        if ((s = opt(argc, argv, 3, "resize"))) p.resize = (size_t)atol(s);
        if ((s = opt(argc, argv, 3, "crop_w"))) p.crop_width = (size_t)atol(s);
        if ((s = opt(argc, argv, 3, "crop_h"))) p.crop_height = (size_t)atol(s);
        p.interp = interp_of(opt(argc, argv, 3, "interp"));
        if ((s = opt(argc, argv, 3, "dct"))) p.dct_scaling = atoi(s) != 0;
        if ((s = opt(argc, argv, 3, "exif"))) p.exif_orientation = atoi(s) != 0;
        parse3f(opt(argc, argv, 3, "mean"), p.mean);
        parse3f(opt(argc, argv, 3, "std"), p.std);
        mm_preprocess *pp;
        mm_status st = mm_preprocess_new(&p, &pp, err);
        if (st != MM_OK) return st;
        size_t n = mm_preprocess_output_size(pp);
        float *out = malloc(n * sizeof *out);
        st = mm_preprocess_file(pp, argv[1], out, err);
        if (st == MM_OK && write_all(argv[2], out, n * sizeof *out, NULL, 0))
            st = mm_error_set(err, MM_EIO, "cannot write %s", argv[2]);
        free(out);
        mm_preprocess_free(pp);
        return st;
    }
    if (!strcmp(c, "resize") && argc >= 9) {
        size_t len, w = (size_t)atol(argv[2]), h = (size_t)atol(argv[3]);
        size_t ch = (size_t)atol(argv[4]), ow = (size_t)atol(argv[5]), oh = (size_t)atol(argv[6]);
        unsigned char *in = read_all(argv[1], &len);
        if (!in || len != w * h * ch) {
            free(in);
            return mm_error_set(err, MM_EIO, "bad input %s", argv[1]);
        }
        unsigned char *out = malloc(ow * oh * ch);
        mm_status st;
        if (ch == 3) {
            mm_image src = {w, h, in, len}, dst = {0};
            st = mm_image_resize(&src, ow, oh, interp_of(argv[7]), &dst, err);
            if (st == MM_OK) memcpy(out, dst.data, ow * oh * 3);
            mm_image_free(&dst);
        } else {
            st = mm_gray_resize(in, w, h, out, ow, oh, interp_of(argv[7]), err);
        }
        if (st == MM_OK && write_all(argv[8], out, ow * oh * ch, NULL, 0))
            st = mm_error_set(err, MM_EIO, "cannot write");
        free(in);
        free(out);
        return st;
    }
    if (!strcmp(c, "feat") && argc >= 3) {
        mm_image_params p = image_params(argc, argv, 3);
        mm_file_encoder *e;
        mm_status st = mm_image_encoder_new(&p, &e, err);
        if (st != MM_OK) return st;
        float *out = malloc(e->dim * sizeof *out);
        st = e->encode(e, argv[1], out, err);
        if (st == MM_OK && write_all(argv[2], out, e->dim * sizeof *out, NULL, 0))
            st = mm_error_set(err, MM_EIO, "cannot write");
        free(out);
        mm_file_encoder_free(e);
        return st;
    }
    if (!strcmp(c, "featraw") && argc >= 6) {
        size_t len, n = (size_t)atol(argv[2]), w = (size_t)atol(argv[3]), h = (size_t)atol(argv[4]);
        mm_image_params p = image_params(argc, argv, 6);
        size_t dim = mm_image_features_dim(&p);
        unsigned char *in = read_all(argv[1], &len);
        if (!in || len != n * w * h || dim == 0) {
            free(in);
            return mm_error_set(err, MM_EINVAL, "featraw: bad input or params");
        }
        float *out = malloc(n * dim * sizeof *out);
        mm_image img = {0};
        mm_status st = mm_image_create(&img, w, h, err);
        for (size_t i = 0; i < n && st == MM_OK; i++) {
            const unsigned char *g = in + i * w * h;
            for (size_t k = 0; k < w * h; k++)
                img.data[3 * k] = img.data[3 * k + 1] = img.data[3 * k + 2] = g[k];
            st = mm_image_features(&p, &img, out + i * dim, err);
        }
        if (st == MM_OK && write_all(argv[5], out, n * dim * sizeof *out, NULL, 0))
            st = mm_error_set(err, MM_EIO, "cannot write");
        mm_image_free(&img);
        free(in);
        free(out);
        return st;
    }
    if (!strcmp(c, "hog") && argc >= 8) {
        size_t len, w = (size_t)atol(argv[2]), h = (size_t)atol(argv[3]);
        int o = atoi(argv[4]), cell = atoi(argv[5]), block = atoi(argv[6]);
        unsigned char *in = read_all(argv[1], &len);
        size_t dim = mm_hog_dim(w, h, o, cell, block);
        float *out = malloc((dim ? dim : 1) * sizeof *out);
        mm_status st = in && len == w * h ? mm_hog(in, w, h, o, cell, block, out, err)
                                          : mm_error_set(err, MM_EIO, "bad input");
        if (st == MM_OK && write_all(argv[7], out, dim * sizeof *out, NULL, 0))
            st = mm_error_set(err, MM_EIO, "cannot write");
        free(in);
        free(out);
        return st;
    }
    if (!strcmp(c, "lbp") && argc >= 7) {
        size_t len, w = (size_t)atol(argv[2]), h = (size_t)atol(argv[3]);
        unsigned char *in = read_all(argv[1], &len);
        unsigned char *out = malloc(w * h + 1);
        mm_status st = in && len == w * h
                           ? mm_lbp_uniform(in, w, h, atoi(argv[4]), atof(argv[5]), out, err)
                           : mm_error_set(err, MM_EIO, "bad input");
        if (st == MM_OK && write_all(argv[6], out, w * h, NULL, 0))
            st = mm_error_set(err, MM_EIO, "cannot write");
        free(in);
        free(out);
        return st;
    }
    if (!strcmp(c, "dim")) {
        mm_image_params p = image_params(argc, argv, 1);
        printf("%zu ", mm_image_features_dim(&p));
        return MM_OK;
    }
    return mm_error_set(err, MM_EINVAL, "bad command %s", c);
}

static void run(int argc, char **argv)
{
    mm_error err = {0};
    mm_status st = cmd(argc, argv, &err);
    if (st == MM_OK) printf("OK\n");
    else printf("ERR %d %s\n", (int)st, err.msg);
}

int main(int argc, char **argv)
{
    if (argc >= 3 && !strcmp(argv[1], "batch")) {
        FILE *f = fopen(argv[2], "r");
        if (!f) return 2;
        char line[8192];
        while (fgets(line, sizeof line, f)) {
            char *av[64];
            int ac = 0;
            for (char *t = strtok(line, " \t\r\n"); t && ac < 64; t = strtok(NULL, " \t\r\n"))
                av[ac++] = t;
            if (ac) run(ac, av);
        }
        fclose(f);
        return 0;
    }
    run(argc - 1, argv + 1);
    return 0;
}
