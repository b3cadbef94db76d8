/*
 * image/hog.c — histogram of oriented gradients with scikit-image 0.19's
 * semantics (skimage.feature.hog, _hoghistogram.pyx), float64 throughout:
 *   - gradients by central differences, zero on the first/last row and
 *     column; magnitude = hypot(gx, gy); orientation =
 *     (atan2(gy, gx) * (180 / pi)) mod 180 with numpy's remainder;
 *   - bin i covers [w * i, w * (i + 1)) with w = 180 / n; each pixel adds
 *     its magnitude to one bin of its cell (no interpolation), pixels
 *     visited in row-major order; as in the Cython code the running sum is
 *     a C float (each addition rounded to float32) and the cell value is
 *     that float divided by the cell area in float;
 *   - blocks of block x block cells, stride one cell, L2-Hys (eps 1e-5,
 *     clipped at 0.2, renormalized), the squared sums taken in numpy's
 *     pairwise order so the float64 values match scikit-image's.
 */
#include "image/image_internal.h"

#include <math.h>
#include <stdlib.h>

size_t mm_hog_dim(size_t w, size_t h, int orientations, int cell, int block)
{
    if (orientations < 1 || cell < 1 || block < 1) return 0;
    size_t ncr = h / (size_t)cell, ncc = w / (size_t)cell;
    if (ncr < (size_t)block || ncc < (size_t)block) return 0;
    size_t nbr = ncr - (size_t)block + 1, nbc = ncc - (size_t)block + 1;
    return nbr * nbc * (size_t)block * (size_t)block * (size_t)orientations;
}

/* numpy's pairwise summation of a contiguous float64 array. */
static double np_pairwise_sum(const double *a, size_t n)
{
    if (n < 8) {
        double s = 0.0;
        for (size_t i = 0; i < n; i++) s += a[i];
        return s;
    }
    if (n <= 128) {
        double r[8];
        for (int j = 0; j < 8; j++) r[j] = a[j];
        size_t i;
        for (i = 8; i < n - (n % 8); i += 8)
            for (int j = 0; j < 8; j++) r[j] += a[i + j];
        double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++) res += a[i];
        return res;
    }
    size_t n2 = (n / 2) - ((n / 2) % 8);
    return np_pairwise_sum(a, n2) + np_pairwise_sum(a + n2, n - n2);
}

/* numpy's float64 remainder (npy_divmod): the result takes b's sign. */
static double np_remainder(double a, double b)
{
    double mod = fmod(a, b);
    if (mod != 0.0) {
        if ((b < 0) != (mod < 0)) mod += b;
    } else {
        mod = copysign(0.0, b);
    }
    return mod;
}

mm_status mm_hog(const uint8_t *gray, size_t w, size_t h, int orientations, int cell, int block,
                 float *out, mm_error *err)
{
    size_t dim = mm_hog_dim(w, h, orientations, cell, block);
    if (dim == 0 || !gray || !out)
        return mm_error_set(err, MM_EINVAL,
                            "hog: %zu x %zu image, %d orientations, cell %d, block %d: no block "
                            "fits",
                            w, h, orientations, cell, block);
    size_t cs = (size_t)cell, bs = (size_t)block, no = (size_t)orientations;
    size_t ncr = h / cs, ncc = w / cs;
    size_t nbr = ncr - bs + 1, nbc = ncc - bs + 1;
    size_t bl = bs * bs * no;
    float *cellsum = mm_calloc_array(ncr * ncc, no * sizeof(float));
    double *hist = mm_alloc_array(ncr * ncc, no * sizeof(double));
    double *blk = mm_alloc_array(bl, 2 * sizeof(double));
    double *bound = mm_alloc_array(no + 1, sizeof(double));
    if (!cellsum || !hist || !blk || !bound) {
        free(cellsum);
        free(hist);
        free(blk);
        free(bound);
        return mm_error_set(err, MM_ENOMEM, "hog: out of memory");
    }
    double per = 180.0 / (double)orientations;
    for (size_t i = 0; i <= no; i++) bound[i] = per * (double)(int)i;

    /* Boundary directions for the fast bin test: with the gradient folded
     * into the upper half plane, angle >= b_i exactly when
     * fy * cos(b_i) - fx * sin(b_i) >= 0. When that quantity is within a
     * relative 1e-6 of zero for some boundary (the angle is within ~4e-5
     * degree of it, or on the 0/180 axis) the bin is taken from the exact
     * libm angle as scikit-image computes it, so both paths agree. */
    double *dir = mm_alloc_array(no + 1, 2 * sizeof(double));
    if (!dir) {
        free(cellsum);
        free(hist);
        free(blk);
        free(bound);
        return mm_error_set(err, MM_ENOMEM, "hog: out of memory");
    }
    for (size_t i = 0; i <= no; i++) {
        double a = bound[i] * (3.14159265358979323846 / 180.0);
        dir[2 * i] = cos(a);
        dir[2 * i + 1] = sin(a);
    }
    /* cell histograms: only pixels inside whole cells take part */
    for (size_t y = 0; y < ncr * cs; y++) {
        for (size_t x = 0; x < ncc * cs; x++) {
            double gy = (y == 0 || y == h - 1) ? 0.0
                                               : (double)gray[(y + 1) * w + x] -
                                                     (double)gray[(y - 1) * w + x];
            double gx = (x == 0 || x == w - 1) ? 0.0
                                               : (double)gray[y * w + x + 1] -
                                                     (double)gray[y * w + x - 1];
            if (gx == 0.0 && gy == 0.0) continue; /* adds +0.0: no change */
            double mag = hypot(gx, gy);
            bool flip = gy < 0 || (gy == 0 && gx < 0);
            double fx = flip ? -gx : gx, fy = flip ? -gy : gy;
            double tol = 1e-6 * (fabs(fx) + fabs(fy));
            size_t bin = 0;
            bool near = false;
            for (size_t i = 0; i <= no; i++) {
                double sgn = fy * dir[2 * i] - fx * dir[2 * i + 1];
                if (fabs(sgn) < tol) {
                    near = true;
                    break;
                }
                if (i > 0 && i < no && sgn > 0) bin = i;
            }
            if (near) {
                double deg = atan2(gy, gx) * (180.0 / 3.14159265358979323846);
                double ori = np_remainder(deg, 180.0);
                bin = no;
                for (size_t i = 0; i < no; i++) {
                    /* skimage skips when ori >= start or ori < end */
                    if (!(ori >= bound[i + 1] || ori < bound[i])) {
                        bin = i;
                        break;
                    }
                }
                if (bin == no) continue;
            }
            float *hc = cellsum + ((y / cs) * ncc + x / cs) * no;
            hc[bin] = (float)((double)hc[bin] + mag);
        }
    }
    free(dir);
    float area = (float)(cell * cell);
    for (size_t i = 0; i < ncr * ncc * no; i++) hist[i] = (double)(cellsum[i] / area);

    const double eps2 = 1e-5 * 1e-5;
    double *sq = blk + bl;
    float *o = out;
    for (size_t r = 0; r < nbr; r++) {
        for (size_t c = 0; c < nbc; c++) {
            size_t t = 0;
            for (size_t br = 0; br < bs; br++)
                for (size_t bc = 0; bc < bs; bc++)
                    for (size_t i = 0; i < no; i++)
                        blk[t++] = hist[((r + br) * ncc + (c + bc)) * no + i];
            for (size_t i = 0; i < bl; i++) sq[i] = blk[i] * blk[i];
            double d = sqrt(np_pairwise_sum(sq, bl) + eps2);
            for (size_t i = 0; i < bl; i++) {
                double v = blk[i] / d;
                blk[i] = v < 0.2 ? v : 0.2; /* np.minimum (no NaN here) */
            }
            for (size_t i = 0; i < bl; i++) sq[i] = blk[i] * blk[i];
            d = sqrt(np_pairwise_sum(sq, bl) + eps2);
            for (size_t i = 0; i < bl; i++) *o++ = (float)(blk[i] / d);
        }
    }
    free(cellsum);
    free(hist);
    free(blk);
    free(bound);
    return MM_OK;
}
