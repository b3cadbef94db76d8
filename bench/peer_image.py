"""Image benchmark: the Python side of bench/bench_image.c.

    peer_image.py MODE LIST.txt [--pool thread|process] [--workers N] [--intra T]
                                [--draft 0|1] [--dump OUT.npy]

MODE
  prep     Image.open(p).convert('RGB') -> torchvision Resize(256) ->
           CenterCrop(224) -> ToTensor -> Normalize(ImageNet). With --draft 1,
           JPEGs are first draft()ed by PIL towards the Resize target (PIL's
           own DCT-domain downscale, what mmfuse --dct 1 does) and resized to
           the target computed from the full size.
  feat     the handcrafted features of mmfuse's image encoder computed the
           numpy / scikit-image way: PIL decode (draft() towards 64 x 64 for
           JPEGs, as mmfuse), PIL bilinear resize to 64 x 64, PIL 'L', a numpy
           HSV histogram, skimage.feature.hog, skimage local_binary_pattern
           histograms, numpy statistics, a PIL thumbnail (572 values, equal to
           mmfuse's within float32 rounding).
  featmem  the same features from images decoded before the clock starts.

Setups: --pool thread (a ThreadPoolExecutor of N workers in one process,
torch.set_num_threads(T)) or --pool process (N forked worker processes, each
with torch.set_num_threads(T)). Files are handed out in chunks of 4; every
worker is warmed on a few files before the clock starts; workers return a
small slice of each result (no 600 KB tensor pickling). Prints one RESULT
line: op_s (wall time of the whole list), files_per_s, maxrss_kb (one
process: its peak; process pool: the parent's peak plus N times the largest
worker's).
"""
import argparse
import json
import multiprocessing as mp
import resource
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from PIL import Image

MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
S = 64
KEEP = 1024
_g = {}


def resize_target(w, h, s=256):
    return (s, int(s * h / w)) if w <= h else (int(s * w / h), s)


def _init(mode, draft, intra):
    import torch
    torch.set_num_threads(intra)
    _g["mode"], _g["draft"] = mode, draft
    if mode == "prep":
        from torchvision import transforms as T
        _g["T"] = T
        _g["tail"] = T.Compose([T.CenterCrop(224), T.ToTensor(), T.Normalize(MEAN, STD)])
        _g["full"] = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(), T.Normalize(MEAN, STD)])
    else:
        from skimage.feature import hog, local_binary_pattern
        _g["hog"], _g["lbp"] = hog, local_binary_pattern


def prep(path):
    im = Image.open(path)
    if _g["draft"] and im.format == "JPEG":
        nw, nh = resize_target(*im.size)
        im.draft("RGB", (nw, nh))
        x = _g["tail"](im.convert("RGB").resize((nw, nh), Image.BILINEAR))
    else:
        x = _g["full"](im.convert("RGB"))
    return x.reshape(-1)[:KEEP].numpy().copy()


def hsv_hist(rgb, nh=8, ns=4, nv=4):
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
    return [m / 255, sd / 255, 0.0 if sd < 1e-12 else ((x - m) ** 3).mean() / sd ** 3]


def features_of(im):
    im = im.convert("RGB").resize((S, S), Image.BILINEAR)
    rgb, g = np.asarray(im), np.asarray(im.convert("L"))
    parts = [hsv_hist(rgb), _g["hog"](g, 9, (16, 16), (2, 2), block_norm="L2-Hys")]
    codes = _g["lbp"](g, 8, 1, "uniform").astype(int)
    for i in range(2):
        for j in range(2):
            c = codes[i * S // 2:(i + 1) * S // 2, j * S // 2:(j + 1) * S // 2]
            parts.append(np.bincount(c.ravel(), minlength=10) / c.size)
    st = []
    for c in range(3):
        st += moments(rgb[..., c])
    st += moments(g)
    h = np.bincount(g.ravel(), minlength=256)
    cum = np.cumsum(h)
    for q in (0.1, 0.5, 0.9):
        st.append(min(int(np.argmax(cum >= q * g.size)), 255) / 255)
    p = h[h > 0] / g.size
    st.append(-(p * np.log2(p)).sum() / 8)
    parts.append(np.array(st))
    parts.append(np.asarray(Image.fromarray(g).resize((8, 8), Image.BILINEAR)).ravel() / 255.0)
    return np.concatenate(parts).astype(np.float32)


def feat(path):
    im = Image.open(path)
    if _g["draft"] and im.format == "JPEG":
        im.draft("RGB", (S, S))
    return features_of(im)


def featmem(i):
    return features_of(_g["images"][i])


def _work(chunk):
    fn = {"prep": prep, "feat": feat, "featmem": featmem}[_g["mode"]]
    return [fn(x) for x in chunk]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["prep", "feat", "featmem"])
    ap.add_argument("list")
    ap.add_argument("--pool", choices=["thread", "process"], default="process")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--intra", type=int, default=1)
    ap.add_argument("--draft", type=int, default=0)
    ap.add_argument("--dump")
    a = ap.parse_args()
    paths = [l.strip() for l in open(a.list) if l.strip()]
    items = paths
    if a.mode == "featmem":
        # decoded in the parent before the clock (and before forking)
        _g["images"] = [Image.fromarray(np.asarray(Image.open(p).convert("RGB"))) for p in paths]
        items = list(range(len(paths)))
    chunks = [items[i:i + 4] for i in range(0, len(items), 4)]
    warm = [items[:1]] * (2 * a.workers)
    if a.pool == "thread":
        _init(a.mode, a.draft, a.intra)
        with ThreadPoolExecutor(a.workers) as ex:
            list(ex.map(_work, warm))
            t0 = time.perf_counter()
            out = list(ex.map(_work, chunks))
            t1 = time.perf_counter()
    else:
        ctx = mp.get_context("fork")
        with ctx.Pool(a.workers, initializer=_init, initargs=(a.mode, a.draft, a.intra)) as pool:
            pool.map(_work, warm, chunksize=1)
            t0 = time.perf_counter()
            out = pool.map(_work, chunks, chunksize=1)
            t1 = time.perf_counter()
    rows = np.stack([r for c in out for r in c])
    rss_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rss_child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    res = {"op_s": t1 - t0, "files": len(paths), "files_per_s": len(paths) / (t1 - t0),
           "mode": a.mode, "pool": a.pool, "workers": a.workers, "intra": a.intra, "draft": a.draft,
           "maxrss_kb": rss_self + (a.workers * rss_child if a.pool == "process" else 0)}
    if a.pool == "thread":
        del res["workers"]
    print("RESULT " + json.dumps(res), flush=True)
    if a.dump:
        np.save(a.dump, rows.astype(np.float32))


if __name__ == "__main__":
    sys.exit(main())
