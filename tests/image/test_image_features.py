"""Handcrafted image features (via drv_image) against an independent
reference built from Pillow 9.4, scikit-image 0.19 and numpy, and their
signal on Fashion-MNIST.

Checks and tolerances:
- HOG: mm_hog vs skimage.feature.hog(..., block_norm='L2-Hys') on random
  and structured images, several orientation / cell / block settings:
  max |diff| <= 1e-6 (counted when equal to float32(skimage) exactly).
- LBP: mm_lbp_uniform codes vs skimage local_binary_pattern(P, R,
  'uniform') for (P, R) in (8, 1), (16, 2), (24, 3), (4, 1.5): exact.
- Whole vector of the file encoder vs the reference pipeline (PIL draft for
  JPEG, PIL bilinear resize to 64x64, PIL 'L', numpy HSV histogram, skimage
  HOG and LBP, numpy statistics, PIL thumbnail): max |diff| <= 1e-6.
- Fashion-MNIST (6000 train / 2000 test from the first images of each
  file): scikit-learn LogisticRegression on standardized features must beat
  the class prior (10%) by far (>= 75%) and come within 3 points of the
  same model on raw pixels; both accuracies are printed. Skipped when
  MMFUSE_SANITIZED=1 (sanitizer builds) or the data set is not installed.
"""
import gzip
import os
import subprocess
import sys
import tempfile
import warnings

import numpy as np
from PIL import Image
from skimage.feature import hog, local_binary_pattern

warnings.filterwarnings("ignore")
DRV = os.path.join(os.environ["MMFUSE_BUILD"], "tests", "image", "drv_image")
FMNIST = "/usr/share/datasets/fashion-mnist"
passed = failed = 0


def check(cond, msg):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", msg)


def drv(*args):
    out = subprocess.run([DRV] + [str(a) for a in args], check=True, capture_output=True, text=True).stdout
    return out.strip()


def photo(w, h, seed):
    r = np.random.RandomState(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    a = np.zeros((h, w, 3))
    for c in range(3):
        fx, fy, ph = r.rand(3) * 0.05
        a[..., c] = 127 + 80 * np.sin(x * fx + y * fy + ph * 50) + 40 * np.cos((x + y) * r.rand() * 0.02)
    a += r.randn(h, w, 3) * 12
    return np.clip(a, 0, 255).astype(np.uint8)


# ------------------------------------------------------------ reference
def hsv_hist(rgb, nh, ns, nv):
    a = rgb.reshape(-1, 3).astype(np.int64)
    r, g, b = a[:, 0], a[:, 1], a[:, 2]
    mx, mn = a.max(1), a.min(1)
    d = mx - mn
    sat = np.where(mx > 0, d / np.maximum(mx, 1), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        hr = (g - b) / d
        hr = np.where(hr < 0, hr + 6.0, hr)
        hg = 2.0 + (b - r) / d
        hb = 4.0 + (r - g) / d
    hue = np.where(d == 0, 0.0, np.where(mx == r, hr, np.where(mx == g, hg, hb)))
    ih = np.clip((hue / 6.0 * nh).astype(int), 0, nh - 1)
    is_ = np.clip((sat * ns).astype(int), 0, ns - 1)
    iv = np.clip(mx * nv // 256, 0, nv - 1)
    return np.bincount((ih * ns + is_) * nv + iv, minlength=nh * ns * nv) / len(a)


def moments(x):
    x = x.astype(np.float64).ravel()
    m = x.mean()
    sd = np.sqrt(((x - m) ** 2).mean())
    sk = 0.0 if sd < 1e-12 else ((x - m) ** 3).mean() / sd ** 3
    return [m / 255, sd / 255, sk]


def stats16(rgb, g):
    out = []
    for c in range(3):
        out += moments(rgb[..., c])
    out += moments(g)
    h = np.bincount(g.ravel(), minlength=256)
    cum = np.cumsum(h)
    for q in [0.1, 0.5, 0.9]:
        out.append(min(int(np.argmax(cum >= q * g.size)), 255) / 255)
    p = h[h > 0] / g.size
    out.append(-(p * np.log2(p)).sum() / 8)
    return np.array(out)


def ref_features(path, S=64):
    im = Image.open(path)
    if im.format == "JPEG":
        im.draft("RGB", (S, S))
    im = im.convert("RGB").resize((S, S), Image.BILINEAR)
    rgb, g = np.asarray(im), np.asarray(im.convert("L"))
    parts = [hsv_hist(rgb, 8, 4, 4), hog(g, 9, (16, 16), (2, 2), block_norm="L2-Hys")]
    codes = local_binary_pattern(g, 8, 1, "uniform").astype(int)
    for i in range(2):
        for j in range(2):
            c = codes[i * S // 2:(i + 1) * S // 2, j * S // 2:(j + 1) * S // 2]
            parts.append(np.bincount(c.ravel(), minlength=10) / c.size)
    parts.append(stats16(rgb, g))
    thumb = np.asarray(Image.fromarray(g).resize((8, 8), Image.BILINEAR))
    parts.append(thumb.ravel().astype(np.float32) / np.float32(255))
    return np.concatenate(parts)


def test_kernels(D):
    rng = np.random.RandomState(7)
    images = []
    for (h, w) in [(64, 64), (37, 53), (100, 80), (16, 16)]:
        images.append((rng.rand(h, w) * 255).astype(np.uint8))
        blocky = np.kron((rng.rand(h // 4 + 1, w // 4 + 1) * 4).astype(np.uint8) * 60,
                         np.ones((4, 4), np.uint8))[:h, :w]
        images.append(np.ascontiguousarray(blocky))  # ties and flat regions
    images.append(np.full((20, 30), 128, np.uint8))
    exact = total = 0
    worst = 0.0
    for k, g in enumerate(images):
        h, w = g.shape
        p = f"{D}/g{k}.raw"
        g.tofile(p)
        for orient, cell, block in [(9, 8, 2), (9, 4, 3), (8, 6, 1), (12, 5, 2)]:
            if h // cell < block or w // cell < block:
                continue
            r = drv("hog", p, w, h, orient, cell, block, f"{D}/hog.bin")
            check(r == "OK", f"hog {g.shape}: {r}")
            got = np.fromfile(f"{D}/hog.bin", np.float32)
            ref = hog(g, orient, (cell, cell), (block, block), block_norm="L2-Hys")
            check(got.shape == ref.shape, f"hog shape {got.shape} vs {ref.shape}")
            if got.shape != ref.shape:
                continue
            d = float(np.abs(got - ref).max())
            worst = max(worst, d)
            total += 1
            exact += int(np.array_equal(got, ref.astype(np.float32)))
            check(d <= 1e-6, f"hog {g.shape} o={orient} c={cell} b={block}: max diff {d}")
        for P, R in [(8, 1), (16, 2), (24, 3), (4, 1.5)]:
            r = drv("lbp", p, w, h, P, R, f"{D}/lbp.bin")
            check(r == "OK", f"lbp: {r}")
            got = np.fromfile(f"{D}/lbp.bin", np.uint8).reshape(h, w)
            ref = local_binary_pattern(g, P, R, "uniform")
            check(np.array_equal(got, ref.astype(np.uint8)),
                  f"lbp {g.shape} P={P} R={R}: {(got != ref).sum()} codes differ")
    print(f"hog: {exact}/{total} cases bit-identical to float32(skimage), worst {worst:.2e}")


def test_vectors(D):
    files = []
    for k, (w, h) in enumerate([(640, 480), (33, 47), (1920, 1080), (64, 64), (300, 200)]):
        a = photo(w, h, 50 + k)
        p = f"{D}/f{k}.png"
        Image.fromarray(a).save(p)
        files.append(p)
        q = f"{D}/f{k}.jpg"
        Image.fromarray(a).save(q, quality=85)
        files.append(q)
    g = f"{D}/gray.png"
    Image.fromarray(photo(90, 70, 3)).convert("L").save(g)
    files.append(g)
    worst = 0.0
    for p in files:
        r = drv("feat", p, f"{D}/feat.bin")
        check(r == "OK", f"feat {p}: {r}")
        got = np.fromfile(f"{D}/feat.bin", np.float32)
        ref = ref_features(p)
        check(got.shape == ref.shape, f"feat {p}: shape {got.shape} vs {ref.shape}")
        if got.shape == ref.shape:
            d = float(np.abs(got - ref).max())
            worst = max(worst, d)
            check(d <= 1e-6, f"feat {p}: max diff {d}")
    check(drv("dim") == "572 OK", "default dimension 572")
    print(f"feature vectors: {len(files)} files, worst |diff| vs reference {worst:.2e}")


def load_idx(kind):
    with gzip.open(f"{FMNIST}/{kind}-images-idx3-ubyte.gz") as f:
        X = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)
    with gzip.open(f"{FMNIST}/{kind}-labels-idx1-ubyte.gz") as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8)
    return X, y


def test_fashion_mnist(D):
    if os.environ.get("MMFUSE_SANITIZED") == "1":
        print("fashion-mnist: skipped under sanitizers (MMFUSE_SANITIZED=1)")
        return
    if not os.path.exists(f"{FMNIST}/train-images-idx3-ubyte.gz"):
        print("fashion-mnist: data set not installed, skipped")
        return
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler
    Xtr, ytr = load_idx("train")
    Xte, yte = load_idx("t10k")
    Xtr, ytr, Xte, yte = Xtr[:6000], ytr[:6000], Xte[:2000], yte[:2000]
    X = np.concatenate([Xtr, Xte])
    X.tofile(f"{D}/fm.raw")
    r = drv("featraw", f"{D}/fm.raw", len(X), 28, 28, f"{D}/fm.bin")
    check(r == "OK", f"featraw: {r}")
    F = np.fromfile(f"{D}/fm.bin", np.float32).reshape(len(X), -1)
    check(np.isfinite(F).all(), "features finite")

    def accuracy(A, B):
        sc = StandardScaler().fit(A)
        m = LogisticRegression(C=0.1, max_iter=100).fit(sc.transform(A), ytr)
        return float((m.predict(sc.transform(B)) == yte).mean())

    acc_feat = accuracy(F[:6000], F[6000:])
    acc_raw = accuracy(Xtr.reshape(6000, -1) / 255.0, Xte.reshape(2000, -1) / 255.0)
    prior = float(np.bincount(yte).max() / len(yte))
    print(f"fashion-mnist 6000/2000: handcrafted ({F.shape[1]} dims) {acc_feat:.4f}, "
          f"raw pixels (784) {acc_raw:.4f}, majority class {prior:.4f}")
    check(acc_feat >= 0.75, f"handcrafted accuracy {acc_feat} < 0.75")
    check(acc_feat >= acc_raw - 0.03, f"handcrafted {acc_feat} far below raw pixels {acc_raw}")


def main():
    with tempfile.TemporaryDirectory() as D:
        test_kernels(D)
        test_vectors(D)
        test_fashion_mnist(D)


main()
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
