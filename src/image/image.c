/*
 * image/image.c — the mm_image type, format detection, file reading with
 * limits, and the decode entry points that dispatch to one back-end per
 * library.
 */
#include "image/image_internal.h"
#include "io/guard.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

mm_status mm_image_create(mm_image *img, size_t width, size_t height, mm_error *err)
{
    size_t n;
    if (!mm_size_mul(width, height, &n) || !mm_size_mul(n, 3, &n))
        return mm_error_set(err, MM_EINVAL, "image of %zu x %zu pixels is too large", width,
                            height);
    if (n > img->capacity || !img->data) {
        uint8_t *p = malloc(n ? n : 1);
        if (!p)
            return mm_error_set(err, MM_ENOMEM, "out of memory for a %zu x %zu image", width,
                                height);
        free(img->data);
        img->data = p;
        img->capacity = n ? n : 1;
    }
    img->width = width;
    img->height = height;
    return MM_OK;
}

void mm_image_free(mm_image *img)
{
    if (!img) return;
    free(img->data);
    memset(img, 0, sizeof *img);
}

const char *mm_image_format_name(mm_image_format f)
{
    switch (f) {
    case MM_IMAGE_JPEG: return "jpeg";
    case MM_IMAGE_PNG: return "png";
    case MM_IMAGE_WEBP: return "webp";
    case MM_IMAGE_BMP: return "bmp";
    case MM_IMAGE_GIF: return "gif";
    case MM_IMAGE_PNM: return "pnm";
    case MM_IMAGE_TGA: return "tga";
    default: return "unknown";
    }
}

static bool ends_with_ci(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    if (n < m) return false;
    for (size_t i = 0; i < m; i++)
        if (tolower((unsigned char)s[n - m + i]) != suffix[i]) return false;
    return true;
}

mm_image_format mm_image_detect_format(const void *buf, size_t len, const char *name)
{
    const uint8_t *b = buf;
    if (len >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return MM_IMAGE_JPEG;
    if (len >= 8 && memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0) return MM_IMAGE_PNG;
    if (len >= 12 && memcmp(b, "RIFF", 4) == 0 && memcmp(b + 8, "WEBP", 4) == 0)
        return MM_IMAGE_WEBP;
    if (len >= 2 && b[0] == 'B' && b[1] == 'M') return MM_IMAGE_BMP;
    if (len >= 6 && (memcmp(b, "GIF87a", 6) == 0 || memcmp(b, "GIF89a", 6) == 0))
        return MM_IMAGE_GIF;
    if (len >= 3 && b[0] == 'P' && (b[1] == '5' || b[1] == '6') &&
        (b[2] == ' ' || b[2] == '\n' || b[2] == '\r' || b[2] == '\t'))
        return MM_IMAGE_PNM;
    if (name && ends_with_ci(name, ".tga") && len >= 18) return MM_IMAGE_TGA;
    return MM_IMAGE_UNKNOWN;
}

mm_image_limits mm_image_limits_default(void)
{
    mm_image_limits l;
    l.max_pixels = 89478485u;
    l.max_file_bytes = (uint64_t)256 << 20;
    return l;
}

mm_decode_options mm_decode_options_default(void)
{
    mm_decode_options o;
    memset(&o, 0, sizeof o);
    return o;
}

mm_status mm_img_check_dims(const char *name, const char *what, uint64_t w, uint64_t h,
                            const mm_image_limits *lim, mm_error *err)
{
    if (w == 0 || h == 0)
        return mm_error_set(err, MM_EFORMAT, "%s: %s image has zero size (%llu x %llu)", name,
                            what, (unsigned long long)w, (unsigned long long)h);
    /* both fit in 32 bits for every format we read, so the product cannot
     * overflow 64 bits; check anyway */
    if (w > UINT32_MAX || h > UINT32_MAX || w * h > lim->max_pixels)
        return mm_error_set(err, MM_EFORMAT,
                            "%s: %s image declares %llu x %llu pixels, over the limit of %llu "
                            "pixels (possible decompression bomb)",
                            name, what, (unsigned long long)w, (unsigned long long)h,
                            (unsigned long long)lim->max_pixels);
    return MM_OK;
}

unsigned mm_img_draft_denom(size_t w, size_t h, size_t tw, size_t th)
{
    if (tw == 0 || th == 0) return 1;
    size_t s = w / tw < h / th ? w / tw : h / th;
    static const unsigned cand[4] = {8, 4, 2, 1};
    for (int i = 0; i < 4; i++)
        if (s >= cand[i]) return cand[i];
    return 1;
}

void mm_img_draft_target(const mm_decode_options *opt, size_t w, size_t h, bool transposed,
                         size_t *tw, size_t *th)
{
    *tw = *th = 0;
    if (!opt || !opt->dct_scaling) return;
    size_t dw = transposed ? h : w, dh = transposed ? w : h; /* display size */
    size_t gw = 0, gh = 0;
    if (opt->draft_short > 0) {
        mm_resize_short_size(dw, dh, opt->draft_short, &gw, &gh);
    } else {
        gw = opt->draft_width;
        gh = opt->draft_height;
    }
    if (gw == 0 || gh == 0) return;
    *tw = transposed ? gh : gw;
    *th = transposed ? gw : gh;
}

void mm_img_buf_free(mm_img_buf *b)
{
    if (!b) return;
    free(b->p);
    memset(b, 0, sizeof *b);
}

mm_status mm_img_read_file(const char *path, uint64_t max_bytes, mm_img_buf *b, mm_error *err)
{
    int fd;
    uint64_t size;
    mm_status gst = mm_guard_open(path, MM_GUARD_IMAGE, max_bytes, &fd, &size, err);
    if (gst != MM_OK) return gst;
    if (size == 0) {
        close(fd);
        return mm_error_set(err, MM_EFORMAT, "%s: empty file (0 bytes)", path);
    }
    if (size > (uint64_t)(SIZE_MAX / 2)) {
        close(fd);
        return mm_error_set(err, MM_EFORMAT, "%s: file of %llu bytes is too large", path,
                            (unsigned long long)size);
    }
    size_t n = (size_t)size;
    if (n > b->cap) {
        uint8_t *p = malloc(n);
        if (!p) {
            close(fd);
            return mm_error_set(err, MM_ENOMEM, "%s: out of memory for %zu bytes", path, n);
        }
        free(b->p);
        b->p = p;
        b->cap = n;
    }
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, b->p + got, n - got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            int e = errno;
            close(fd);
            return mm_error_set(err, MM_EIO, "%s: read failed: %s", path, strerror(e));
        }
        if (r == 0) break; /* file shrank while reading */
        got += (size_t)r;
    }
    close(fd);
    if (got == 0) return mm_error_set(err, MM_EFORMAT, "%s: empty file (0 bytes)", path);
    b->len = got;
    return MM_OK;
}

mm_status mm_img_decode(const uint8_t *buf, size_t len, const mm_img_decode_ctx *c,
                        mm_image *out, mm_image_info *info, mm_error *err)
{
    memset(info, 0, sizeof *info);
    info->orientation = 1;
    info->scale_denom = 1;
    if (len == 0) return mm_error_set(err, MM_EFORMAT, "%s: empty file (0 bytes)", c->name);
    if ((uint64_t)len > c->lim.max_file_bytes)
        return mm_error_set(err, MM_EFORMAT, "%s: %zu bytes exceeds the limit of %llu", c->name,
                            len, (unsigned long long)c->lim.max_file_bytes);
    mm_image_format f = mm_image_detect_format(buf, len, c->name);
    info->format = f;
    switch (f) {
    case MM_IMAGE_JPEG: return mm_img_decode_jpeg(buf, len, c, out, info, err);
    case MM_IMAGE_PNG: return mm_img_decode_png(buf, len, c, out, info, err);
    case MM_IMAGE_WEBP: return mm_img_decode_webp(buf, len, c, out, info, err);
    case MM_IMAGE_BMP:
    case MM_IMAGE_GIF:
    case MM_IMAGE_PNM:
    case MM_IMAGE_TGA: return mm_img_decode_stb(buf, len, f, c, out, info, err);
    default: break;
    }
    return mm_error_set(err, MM_EFORMAT,
                        "%s: not a recognized image format (JPEG, PNG, WebP, BMP, GIF, PNM, TGA)",
                        c->name);
}

static void ctx_init(mm_img_decode_ctx *c, const char *name, const mm_image_limits *lim,
                     const mm_decode_options *opt)
{
    memset(c, 0, sizeof *c);
    c->name = name ? name : "<memory>";
    c->lim = lim ? *lim : mm_image_limits_default();
    c->opt = opt ? *opt : mm_decode_options_default();
}

mm_status mm_image_decode_memory(const void *buf, size_t len, const char *name,
                                 const mm_image_limits *lim, const mm_decode_options *opt,
                                 mm_image *out, mm_image_info *info, mm_error *err)
{
    mm_img_decode_ctx c;
    ctx_init(&c, name, lim, opt);
    mm_image_info tmp;
    if (!buf && len) return mm_error_set(err, MM_EINVAL, "%s: NULL buffer", c.name);
    return mm_img_decode(buf, len, &c, out, info ? info : &tmp, err);
}

mm_status mm_image_decode_file(const char *path, const mm_image_limits *lim,
                               const mm_decode_options *opt, mm_image *out, mm_image_info *info,
                               mm_error *err)
{
    if (!path) return mm_error_set(err, MM_EINVAL, "image path is NULL");
    mm_img_decode_ctx c;
    ctx_init(&c, path, lim, opt);
    mm_img_buf b = {0};
    mm_status st = mm_img_read_file(path, c.lim.max_file_bytes, &b, err);
    if (st == MM_OK) {
        mm_image_info tmp;
        st = mm_img_decode(b.p, b.len, &c, out, info ? info : &tmp, err);
    }
    mm_img_buf_free(&b);
    return st;
}
