/*
 * image/image_internal.h — private pieces of the image module: the decoder
 * back-ends (one file per library), PIL's pixel conversions, the PIL-exact
 * resampling kernels with their reusable scratch, and the region-of-interest
 * hook that lets the preprocessing chain decode only what the crop needs.
 */
#ifndef MM_IMAGE_INTERNAL_H
#define MM_IMAGE_INTERNAL_H

#include "mmfuse/image.h"

#include <stdint.h>
#include <string.h>

/* ------------------------------------------------------------- decoding */

/* Which part of a decoded image the caller will read: rows [y0, y1) and
 * columns [x0, x1), in the coordinates of the decoded (scaled) image. */
typedef struct mm_img_rect {
    size_t x0, y0, x1, y1;
} mm_img_rect;

/* Called by a decoder once the decoded size w x h is known (full_w x
 * full_h: the size stored in the file, before any DCT scaling); fills *r
 * with the needed rectangle (or the whole image). */
typedef void (*mm_img_roi_fn)(void *user, size_t full_w, size_t full_h, size_t w, size_t h,
                              mm_img_rect *r);

typedef struct mm_img_decode_ctx {
    const char *name;             /* for messages, never NULL                 */
    mm_image_limits lim;
    mm_decode_options opt;
    mm_img_roi_fn roi;            /* NULL: decode everything                  */
    void *roi_user;
} mm_img_decode_ctx;

/* Each back-end decodes buf[0..len) into out (RGB) and fills *info (never
 * NULL). Pixels outside the ROI (JPEG with a roi hook only) are undefined. */
mm_status mm_img_decode_jpeg(const uint8_t *buf, size_t len, const mm_img_decode_ctx *c,
                             mm_image *out, mm_image_info *info, mm_error *err);
mm_status mm_img_decode_png(const uint8_t *buf, size_t len, const mm_img_decode_ctx *c,
                            mm_image *out, mm_image_info *info, mm_error *err);
mm_status mm_img_decode_webp(const uint8_t *buf, size_t len, const mm_img_decode_ctx *c,
                             mm_image *out, mm_image_info *info, mm_error *err);
/* BMP, GIF, PNM, TGA through stb_image. */
mm_status mm_img_decode_stb(const uint8_t *buf, size_t len, mm_image_format f,
                            const mm_img_decode_ctx *c, mm_image *out, mm_image_info *info,
                            mm_error *err);

/* Decodes with a context (shared by the public entry points and the
 * preprocessing chain). */
mm_status mm_img_decode(const uint8_t *buf, size_t len, const mm_img_decode_ctx *c,
                        mm_image *out, mm_image_info *info, mm_error *err);

/* A growable byte buffer reused across files. */
typedef struct mm_img_buf {
    uint8_t *p;
    size_t len, cap;
} mm_img_buf;

void mm_img_buf_free(mm_img_buf *b);
/* Reads a whole regular file into b (MM_EIO: missing, directory, unreadable;
 * MM_EFORMAT: empty or larger than max_bytes). */
mm_status mm_img_read_file(const char *path, uint64_t max_bytes, mm_img_buf *b, mm_error *err);

/* MM_EFORMAT unless 0 < w, 0 < h and w * h <= lim->max_pixels. */
mm_status mm_img_check_dims(const char *name, const char *what, uint64_t w, uint64_t h,
                            const mm_image_limits *lim, mm_error *err);

/* PIL draft(): the denominator (8, 4, 2 or 1) for a stored w x h image and a
 * target tw x th in the stored orientation (1 when no target). */
unsigned mm_img_draft_denom(size_t w, size_t h, size_t tw, size_t th);
/* The draft target of opt for a stored w x h image that will be displayed
 * transposed when `transposed` (EXIF orientations 5..8 applied): tw x th in
 * the stored orientation, 0 x 0 when none. */
void mm_img_draft_target(const mm_decode_options *opt, size_t w, size_t h, bool transposed,
                         size_t *tw, size_t *th);

/* EXIF orientation (1..8) from an APP1 payload ("Exif\0\0" + TIFF), 1 when
 * absent or unreadable. */
int mm_img_exif_orientation(const uint8_t *app1, size_t len);
/* dst = src reoriented as ImageOps.exif_transpose does for orientation o. */
mm_status mm_img_orient(const mm_image *src, int orientation, mm_image *dst, mm_error *err);

/* ---------------------------------------------------------- conversions */

void mm_img_gray_to_rgb(const uint8_t *g, size_t n, uint8_t *rgb);
/* n pixels with `ch` interleaved channels: keep the first three (RGBA). */
void mm_img_drop_alpha(const uint8_t *in, size_t n, uint8_t *rgb);
/* n gray+alpha pixels to RGB. */
void mm_img_ga_to_rgb(const uint8_t *ga, size_t n, uint8_t *rgb);
/* n big-endian 16-bit gray samples to RGB as PIL's I -> RGB (clip). */
void mm_img_gray16_to_rgb(const uint8_t *be16, size_t n, uint8_t *rgb);
/* n Adobe-inverted CMYK pixels (as libjpeg delivers them) to RGB as PIL. */
void mm_img_cmyk_to_rgb(const uint8_t *cmyk, size_t n, uint8_t *rgb);
/* palette (256 RGB entries) lookup of n indices. */
void mm_img_palette_to_rgb(const uint8_t *idx, size_t n, const uint8_t pal[768], uint8_t *rgb);

/* ----------------------------------------------------------- resampling */

/* One axis of PIL's resampling: for each output index, the first input
 * index, the count, and `ksize` fixed-point weights. */
typedef struct mm_img_coeffs {
    size_t out;
    size_t ksize;
    int32_t *bounds; /* 2 * out: first, count                         */
    int32_t *k;      /* out * ksize                                   */
    int16_t *ka;     /* out * ksize: k >> 11 (floor)                  */
    int16_t *kb;     /* out * ksize: k & 2047, so k = ka * 2048 + kb  */
    int32_t *kv;     /* out * ksize * 4: each k repeated 4 times,
                        16-byte aligned (SSE4.1 kernel)               */
    size_t cap_b, cap_k;
} mm_img_coeffs;

typedef struct mm_img_resampler {
    mm_img_coeffs cx, cy;
    uint8_t *tmp;
    size_t tmp_cap;
    int32_t *acc;
    size_t acc_cap;
    uint8_t *pad;      /* a padded copy of a source row (SIMD loads)   */
    size_t pad_cap;
    int level;         /* kernels allowed: 0 the fastest available,
                          1 SSE2 at most, 2 the plain ones (tests)     */
} mm_img_resampler;

/* The two passes of the resampler. The plain kernels are the reference;
 * the SIMD twins (resize_simd.c) give bit-identical results and return
 * false when they do not apply (no SSE2, 1 channel, too many taps), in
 * which case the caller runs the plain kernel. Horizontal: nrows rows of
 * src (stride sstride) to rows of c->out pixels. Vertical: output row i
 * reads source rows bounds - row0; each row has nbytes bytes. */
void mm_img_hpass_ref(const uint8_t *src, size_t sstride, size_t nrows, size_t ch,
                      const mm_img_coeffs *c, uint8_t *dst, size_t dstride);
void mm_img_vpass_ref(const uint8_t *src, size_t sstride, size_t row0, size_t nbytes,
                      const mm_img_coeffs *c, int32_t *acc, uint8_t *dst, size_t dstride);
/* src_end: one past the last byte of the source buffer that may be read.
 * Uses SSE4.1 when the CPU has it and r->level == 0, else SSE2. */
bool mm_img_hpass_simd(const uint8_t *src, size_t sstride, size_t nrows, size_t ch,
                       const mm_img_coeffs *c, uint8_t *dst, size_t dstride,
                       const uint8_t *src_end, mm_img_resampler *r);
bool mm_img_vpass_simd(const uint8_t *src, size_t sstride, size_t row0, size_t nbytes,
                       const mm_img_coeffs *c, uint8_t *dst, size_t dstride);

void mm_img_resampler_free(mm_img_resampler *r);

/* Coefficients of output indices [first, first + count) for in -> out with
 * the filter of interp, PIL-exact (entry i describes output first + i). */
mm_status mm_img_coeffs_compute(size_t in, size_t out, mm_interp interp, size_t first,
                                size_t count, mm_img_coeffs *c, mm_error *err);

/* Computes the window [wx, wx+ww) x [wy, wy+wh) of the PIL resize of src
 * (sw x sh, ch interleaved channels, row stride sw * ch) to ow x oh, into
 * dst (row stride dst_stride bytes). Equal to resizing everything and
 * cropping. Only the source rectangle reported by mm_img_resample_src_rect
 * is read. */
mm_status mm_img_resample(mm_img_resampler *r, const uint8_t *src, size_t sw, size_t sh,
                          size_t ch, size_t ow, size_t oh, mm_interp interp, size_t wx, size_t wy,
                          size_t ww, size_t wh, uint8_t *dst, size_t dst_stride, mm_error *err);

/* Source rectangle read by mm_img_resample for that window. */
mm_status mm_img_resample_src_rect(size_t sw, size_t sh, size_t ow, size_t oh, mm_interp interp,
                                   size_t wx, size_t wy, size_t ww, size_t wh, mm_img_rect *r,
                                   mm_error *err);

/* Crop geometry of torchvision's CenterCrop on an n-long axis: output index
 * i reads input index i + off when 0 <= i + off < n, else zero padding. */
long mm_img_crop_offset(size_t n, size_t crop);

#endif
