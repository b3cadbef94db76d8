"""Image decoding and preprocessing (via drv_image) against Pillow 9.4 and
torchvision 0.14 on the same files, all written here with fixed seeds.

Checks and tolerances:
- decode: RGB pixels equal to Image.open(p).convert('RGB') exactly, for PNG
  (8/16-bit RGB, RGBA, gray 1/2/4/8/16, gray+alpha 8/16, palette 1/2/4/8
  bit, short palette, tRNS, Adam7 interlaced), JPEG (4:2:0, 4:2:2, 4:4:4,
  progressive, gray, CMYK), WebP (lossy/lossless, with/without alpha), BMP,
  GIF, PPM, PGM, TGA; EXIF orientations 1-8 with the option equal to
  ImageOps.exif_transpose, without it equal to the stored pixels.
- preprocessing (Resize(N) -> CenterCrop -> ToTensor [-> Normalize]):
  max |ours - torchvision| <= 1/255 before Normalize is required; the
  result is counted when bit-identical (all of them are, at the time of
  writing). Normalized tensors within 1e-6. Bilinear and bicubic, odd sizes,
  portrait/landscape, crops larger than the image (padding), no resize.
- PIL-exact resampling kernel: Image.resize for all five filters, up and
  down, 1 and 3 channels: exact.
- JPEG with DCT scaling: decoded pixels equal PIL's after draft() exactly;
  the preprocessed tensor vs the full-resolution torchvision path differs
  by at most DCT_MAX/255 per value and DCT_MEAN/255 on average (bounds
  asserted; the measured values are printed).
"""
import os
import struct
import subprocess
import sys
import tempfile
import warnings
import zlib

import numpy as np
from PIL import Image, ImageOps

import torch
from torchvision import transforms as T

torch.set_num_threads(1)
warnings.filterwarnings("ignore", category=UserWarning)
DRV = os.path.join(os.environ["MMFUSE_BUILD"], "tests", "image", "drv_image")
DCT_MAX = 24      # bound on max |diff| in 1/255 units (DCT-scaled vs full decode)
DCT_MEAN = 4.0    # bound on the mean |diff| in 1/255 units

passed = failed = 0


def check(cond, msg):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", msg)


def photo(w, h, seed):
    """Smooth waves, a ramp and Gaussian noise: compresses like a photo."""
    r = np.random.RandomState(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    a = np.zeros((h, w, 3))
    for c in range(3):
        fx, fy, ph = r.rand(3) * 0.05
        a[..., c] = 127 + 80 * np.sin(x * fx + y * fy + ph * 50) + 40 * np.cos((x + y) * r.rand() * 0.02)
    a += r.randn(h, w, 3) * 12
    return np.clip(a, 0, 255).astype(np.uint8)


class Batch:
    """Collects driver commands and runs them in one process."""

    def __init__(self, d):
        self.d, self.cmds = d, []

    def add(self, *args):
        self.cmds.append(" ".join(str(a) for a in args))
        return len(self.cmds) - 1

    def run(self):
        path = os.path.join(self.d, "cmds.txt")
        with open(path, "w") as f:
            f.write("\n".join(self.cmds) + "\n")
        out = subprocess.run([DRV, "batch", path], check=True, capture_output=True, text=True).stdout
        res = out.strip().split("\n")
        assert len(res) == len(self.cmds), (len(res), len(self.cmds))
        self.cmds = []
        return res


def read_decoded(path):
    b = open(path, "rb").read()
    w, h, s, o = np.frombuffer(b[:16], np.uint32)
    return np.frombuffer(b[16:], np.uint8).reshape(h, w, 3), int(s), int(o)


def png_write(path, w, h, depth, ctype, rows, plte=None, trns=None):
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    s = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, ctype, 0, 0, 0))
    if plte is not None:
        s += chunk(b"PLTE", plte)
    if trns is not None:
        s += chunk(b"tRNS", trns)
    raw = b"".join(b"\x00" + r for r in rows)
    s += chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    open(path, "wb").write(s)


def png_write_adam7(path, a):
    """8-bit RGB Adam7-interlaced PNG (PIL cannot write interlaced files)."""
    h, w, _ = a.shape
    passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
    raw = b""
    for x0, y0, dx, dy in passes:
        sub = a[y0::dy, x0::dx]
        if sub.size == 0:
            continue
        raw += b"".join(b"\x00" + sub[y].tobytes() for y in range(sub.shape[0]))

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    s = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 1))
    s += chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    open(path, "wb").write(s)


def tv_chain(img, resize, crop, interp, normalize):
    ops = []
    if resize:
        ops.append(T.Resize(resize, interpolation=interp))
    ops += [T.CenterCrop(crop), T.ToTensor()]
    if normalize:
        ops.append(T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]))
    return T.Compose(ops)(img).numpy()


INTERP = {"bilinear": T.InterpolationMode.BILINEAR, "bicubic": T.InterpolationMode.BICUBIC}
stats = {"prep": 0, "prep_exact": 0, "prep_worst": 0.0, "norm_worst": 0.0, "decode": 0,
         "dct_max": 0.0, "dct_mean": 0.0}


def main():
    tmp = tempfile.TemporaryDirectory()
    D = tmp.name
    B = Batch(D)
    rng = np.random.RandomState(1234)

    # ---------------------------------------------------------- fixtures
    files = []  # (path, kind)
    sizes = [(1, 1), (7, 5), (223, 300), (256, 256), (257, 400), (3000, 17), (300, 223), (640, 480), (17, 999)]
    for (w, h) in sizes:
        a = photo(w, h, w * 7 + h)
        for mode in ["RGB", "L", "RGBA", "LA", "P", "1", "I;16"]:
            if mode in ("LA", "1", "I;16") and (w, h) not in [(223, 300), (7, 5), (640, 480)]:
                continue
            if w * 20 < h or h * 20 < w:   # extreme aspect ratios: the upscaled side is huge
                if mode not in ("RGB", "L"):
                    continue
            im = Image.fromarray(a)
            if mode == "L":
                im = im.convert("L")
            elif mode == "RGBA":
                im.putalpha(Image.fromarray((rng.rand(h, w) * 255).astype(np.uint8)))
            elif mode == "LA":
                im = im.convert("LA")
            elif mode == "P":
                im = im.quantize(64)
            elif mode == "1":
                im = im.convert("1")
            elif mode == "I;16":
                im = Image.fromarray((a[..., 0].astype(np.uint16) * 3).astype(np.uint16))
            p = f"{D}/t_{w}x{h}_{mode.replace(';', '')}.png"
            im.save(p)
            files.append((p, "png"))
    w, h = 37, 23
    r = np.random.RandomState(3)
    v16 = (r.rand(h, w, 4) * 65535).astype(">u2")
    v16[0, :5, 0] = [0, 100, 255, 256, 300]
    png_write(f"{D}/rgb16.png", w, h, 16, 2, [v16[y, :, :3].tobytes() for y in range(h)])
    png_write(f"{D}/rgba16.png", w, h, 16, 6, [v16[y].tobytes() for y in range(h)])
    png_write(f"{D}/ga16.png", w, h, 16, 4, [v16[y, :, :2].tobytes() for y in range(h)])
    png_write(f"{D}/g16.png", w, h, 16, 0, [v16[y, :, 0].tobytes() for y in range(h)])
    v8 = (r.rand(h, w, 4) * 255).astype(np.uint8)
    for bits in [1, 2, 4]:
        vals = (r.rand(h, w) * (1 << bits)).astype(np.uint8)
        packed = [np.packbits(np.unpackbits(vals[y][:, None], axis=1)[:, 8 - bits:].ravel()).tobytes()
                  for y in range(h)]
        png_write(f"{D}/gray{bits}.png", w, h, bits, 0, packed)
        png_write(f"{D}/pal{bits}.png", w, h, bits, 3, packed,
                  plte=bytes(r.randint(0, 256, 3 * (1 << bits)).astype(np.uint8)))
    pidx = (r.rand(h, w) * 20).astype(np.uint8)
    png_write(f"{D}/pal_short.png", w, h, 8, 3, [pidx[y].tobytes() for y in range(h)],
              plte=bytes(r.randint(0, 256, 30).astype(np.uint8)))
    png_write(f"{D}/pal_trns.png", w, h, 8, 3, [pidx[y].tobytes() for y in range(h)],
              plte=bytes(r.randint(0, 256, 60).astype(np.uint8)), trns=bytes([0, 128, 255]))
    png_write(f"{D}/rgb_trns.png", w, h, 8, 2, [v8[y, :, :3].tobytes() for y in range(h)],
              trns=struct.pack(">HHH", 1, 2, 3))
    png_write_adam7(f"{D}/adam7.png", photo(77, 51, 9))
    png_write_adam7(f"{D}/adam7_small.png", photo(3, 2, 10))
    for f in ["rgb16", "rgba16", "ga16", "g16", "gray1", "gray2", "gray4", "pal1", "pal2", "pal4",
              "pal_short", "pal_trns", "rgb_trns", "adam7", "adam7_small"]:
        files.append((f"{D}/{f}.png", "png"))

    jpegs = []
    for (w, h), kinds in [((1920, 1080), ["420", "444", "422", "prog", "gray", "cmyk"]),
                          ((1080, 1920), ["420", "gray"]), ((1001, 667), ["420", "444", "cmyk"]),
                          ((2400, 1602), ["420"]), ((333, 257), ["420", "422"]), ((100, 60), ["444", "gray"]),
                          ((250, 250), ["prog"])]:
        a = photo(w, h, w + h)
        for kind in kinds:
            im = Image.fromarray(a)
            kw = dict(quality=88)
            if kind in ("420", "444", "422"):
                kw["subsampling"] = {"444": 0, "422": 1, "420": 2}[kind]
            if kind == "prog":
                kw["progressive"] = True
            if kind == "gray":
                im = im.convert("L")
            if kind == "cmyk":
                im = im.convert("CMYK")
            p = f"{D}/j_{w}x{h}_{kind}.jpg"
            im.save(p, **kw)
            jpegs.append(p)
            files.append((p, "jpeg"))

    a = photo(61, 43, 5)
    exifs = []
    for o in range(1, 9):
        ex = Image.Exif()
        ex[0x0112] = o
        p = f"{D}/exif{o}.jpg"
        Image.fromarray(a).save(p, exif=ex.tobytes(), quality=90)
        exifs.append((p, o))
    for kind in ["lossless", "lossy", "lossy_alpha", "lossless_alpha"]:
        im = Image.fromarray(a)
        if "alpha" in kind:
            im.putalpha(Image.fromarray((rng.rand(43, 61) * 255).astype(np.uint8)))
        p = f"{D}/w_{kind}.webp"
        im.save(p, lossless=kind.startswith("lossless"), quality=80)
        files.append((p, "webp"))
    for ext in ["bmp", "gif", "ppm", "pgm", "tga"]:
        im = Image.fromarray(photo(45, 31, 77))
        if ext == "pgm":
            im = im.convert("L")
        if ext == "gif":
            im = im.quantize(100)
        p = f"{D}/o.{ext}"
        im.save(p)
        files.append((p, ext))

    # ---------------------------------------------------------- decode
    idx = [(p, B.add("decode", p, f"{D}/dec{i}.bin")) for i, (p, _) in enumerate(files)]
    for p, o in exifs:
        idx.append((p + "#exif", B.add("decode", p, f"{D}/dec{len(idx)}.bin", "exif=1")))
    res = B.run()
    for k, (p, j) in enumerate(idx):
        check(res[j] == "OK", f"decode {p}: {res[j]}")
        if res[j] != "OK":
            continue
        got, _, orient = read_decoded(f"{D}/dec{k}.bin")
        if p.endswith("#exif"):
            im = ImageOps.exif_transpose(Image.open(p[:-5]))
        else:
            im = Image.open(p)
        ref = np.asarray(im.convert("RGB"))
        ok = got.shape == ref.shape and np.array_equal(got, ref)
        check(ok, f"decode {p}: differs from PIL (max {np.abs(got.astype(int) - ref).max() if got.shape == ref.shape else 'shape'})")
        stats["decode"] += 1

    # ---------------------------------------------------------- preprocessing
    cases = []
    for p, kind in files:
        if kind == "png" or kind == "jpeg" or kind == "webp":
            cases.append((p, 256, 224, 224, "bilinear"))
            if kind == "png" and ("RGB" in p or "P." in p or "adam7" in p):
                cases.append((p, 256, 224, 224, "bicubic"))
    for p in [f"{D}/t_223x300_RGB.png", f"{D}/t_640x480_RGBA.png", f"{D}/t_3000x17_RGB.png", f"{D}/j_333x257_420.jpg"]:
        cases.append((p, 100, 150, 120, "bilinear"))   # crop larger than the image: padding
        cases.append((p, 0, 96, 200, "bilinear"))      # no resize
        cases.append((p, 333, 224, 160, "bicubic"))    # non-square crop, upscaling
    prep_idx = []
    for i, (p, rs, cw, chh, interp) in enumerate(cases):
        j = B.add("prep", p, f"{D}/prep{i}.bin", f"resize={rs}", f"crop_w={cw}", f"crop_h={chh}",
                  f"interp={interp}", "mean=0,0,0", "std=1,1,1")
        k = B.add("prep", p, f"{D}/norm{i}.bin", f"resize={rs}", f"crop_w={cw}", f"crop_h={chh}",
                  f"interp={interp}")
        prep_idx.append((j, k))
    exif_prep = []
    for p, o in exifs:
        exif_prep.append((p, B.add("prep", p, f"{D}/eprep{o}.bin", "exif=1", "mean=0,0,0", "std=1,1,1")))
    res = B.run()
    for i, (p, rs, cw, chh, interp) in enumerate(cases):
        j, k = prep_idx[i]
        check(res[j] == "OK" and res[k] == "OK", f"prep {p}: {res[j]} {res[k]}")
        if res[j] != "OK" or res[k] != "OK":
            continue
        img = Image.open(p).convert("RGB")
        ref = tv_chain(img, rs, (chh, cw), INTERP[interp], False)
        got = np.fromfile(f"{D}/prep{i}.bin", np.float32).reshape(ref.shape)
        d = float(np.abs(got - ref).max())
        stats["prep"] += 1
        stats["prep_exact"] += int(d == 0.0)
        stats["prep_worst"] = max(stats["prep_worst"], d * 255)
        check(d <= 1.0 / 255 + 1e-7, f"prep {p} {rs}/{cw}x{chh}/{interp}: max diff {d * 255:.3f}/255")
        refn = tv_chain(img, rs, (chh, cw), INTERP[interp], True)
        gotn = np.fromfile(f"{D}/norm{i}.bin", np.float32).reshape(refn.shape)
        dn = float(np.abs(gotn - refn).max())
        stats["norm_worst"] = max(stats["norm_worst"], dn)
        check(dn <= 1e-6, f"normalized {p}: max diff {dn}")
    for p, j in exif_prep:
        check(res[j] == "OK", f"exif prep {p}: {res[j]}")
        img = ImageOps.exif_transpose(Image.open(p)).convert("RGB")
        ref = tv_chain(img, 256, (224, 224), INTERP["bilinear"], False)
        o = p.split("exif")[-1].split(".")[0]
        got = np.fromfile(f"{D}/eprep{o}.bin", np.float32).reshape(ref.shape)
        check(np.array_equal(got, ref), f"exif prep {p}: max diff {np.abs(got - ref).max() * 255}/255")

    # ---------------------------------------------------------- resampling kernel
    rs_cases = []
    for (w, h, ow, oh) in [(37, 23, 11, 64), (640, 480, 341, 256), (5, 7, 300, 2), (1000, 3, 7, 3),
                           (64, 64, 64, 17), (3, 1, 2, 1)]:
        for ch in (1, 3):
            arr = (rng.rand(h, w, ch) * 255).astype(np.uint8)
            pin = f"{D}/rs_{w}_{h}_{ch}.raw"
            arr.tofile(pin)
            for filt in ["bilinear", "bicubic", "box", "hamming", "lanczos"]:
                pout = f"{D}/rs_{w}_{h}_{ch}_{ow}_{oh}_{filt}.out"
                rs_cases.append((arr, ow, oh, filt, pout, B.add("resize", pin, w, h, ch, ow, oh, filt, pout)))
    res = B.run()
    pil_filter = {"bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC, "box": Image.BOX,
                  "hamming": Image.HAMMING, "lanczos": Image.LANCZOS}
    for arr, ow, oh, filt, pout, j in rs_cases:
        check(res[j] == "OK", f"resize {filt}: {res[j]}")
        ch = arr.shape[2]
        im = Image.fromarray(arr[..., 0] if ch == 1 else arr)
        ref = np.asarray(im.resize((ow, oh), pil_filter[filt]))
        got = np.fromfile(pout, np.uint8).reshape(ref.shape)
        check(np.array_equal(got, ref),
              f"resize {arr.shape}->{ow}x{oh} {filt}: max diff {np.abs(got.astype(int) - ref).max()}")

    # ---------------------------------------------------------- DCT scaling
    dct_idx = []
    for i, p in enumerate(jpegs):
        j = B.add("prep", p, f"{D}/dct{i}.bin", "dct=1", "mean=0,0,0", "std=1,1,1")
        k = B.add("decode", p, f"{D}/dctdec{i}.bin", "dct_w=128", "dct_h=96")
        dct_idx.append((j, k))
    res = B.run()
    all_max, all_mean = 0.0, []
    for i, p in enumerate(jpegs):
        j, k = dct_idx[i]
        check(res[j] == "OK" and res[k] == "OK", f"dct {p}: {res[j]} {res[k]}")
        full = Image.open(p).convert("RGB")
        W, H = full.size
        nw, nh = (256, int(256 * H / W)) if W <= H else (int(256 * W / H), 256)
        ref_full = tv_chain(full, 256, (224, 224), INTERP["bilinear"], False)
        im = Image.open(p)
        im.draft("RGB", (nw, nh))
        drafted = im.convert("RGB").resize((nw, nh), Image.BILINEAR)
        ref_draft = T.Compose([T.CenterCrop(224), T.ToTensor()])(drafted).numpy()
        got = np.fromfile(f"{D}/dct{i}.bin", np.float32).reshape(ref_full.shape)
        check(np.array_equal(got, ref_draft), f"dct {p}: differs from PIL draft() + resize")
        d = np.abs(got - ref_full) * 255
        all_max = max(all_max, float(d.max()))
        all_mean.append(float(d.mean()))
        check(d.max() <= DCT_MAX + 1e-3 and d.mean() <= DCT_MEAN,
              f"dct {p}: max {d.max():.2f}/255 mean {d.mean():.3f}/255 over the bounds")
        # decode with a draft target equals PIL's draft decode
        im = Image.open(p)
        im.draft("RGB", (128, 96))
        ref = np.asarray(im.convert("RGB"))
        got, s, _ = read_decoded(f"{D}/dctdec{i}.bin")
        check(got.shape == ref.shape and np.array_equal(got, ref), f"draft decode {p}")
    stats["dct_max"] = all_max
    stats["dct_mean"] = max(all_mean) if all_mean else 0.0

    print(f"decode: {stats['decode']} files equal to PIL; preprocessing: {stats['prep_exact']}/{stats['prep']} "
          f"bit-identical to torchvision (worst {stats['prep_worst']:.3f}/255, normalized worst "
          f"{stats['norm_worst']:.2e}); DCT-scaled vs full: max {stats['dct_max']:.2f}/255, "
          f"worst mean {stats['dct_mean']:.3f}/255 (bounds {DCT_MAX}, {DCT_MEAN})")


main()
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
