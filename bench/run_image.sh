#!/bin/bash
# Image benchmark: mmfuse's preprocessing chain and handcrafted features
# (bench/bench_image.c) against PIL + torchvision and numpy + scikit-image
# (bench/peer_image.py) on the same files.
#
#   bench/run_image.sh [BUILD_DIR] [--runs N] [--files N] [--threads N]
#
# BUILD_DIR (default: build) must hold bench/bench_image (a Release build).
# Generates, with a fixed seed, --files (200) photo-like 1920x1080 JPEGs
# (quality 90, 4:2:0) and as many 640x480 PNGs: smooth colour fields,
# shapes with hard edges, texture and sensor-like grain. Workloads:
#   - decode + Resize(256) + CenterCrop(224) + ToTensor + Normalize on each
#     set: mmfuse torchvision-exact, mmfuse with JPEG DCT scaling; PIL +
#     torchvision in a 2-thread pool (torch.set_num_threads(2)) and in a
#     2-process pool (1 torch thread each), plain and with PIL's draft()
#     (PIL's own DCT-domain downscale, the same numbers as mmfuse's DCT mode);
#   - the 572 handcrafted features from the files (decode included, with and
#     without DCT scaling / draft()) and from pixels decoded in advance:
#     mmfuse vs the numpy / scikit-image route.
# The sides run interleaved (A B C A B C ...) --runs (3) times; the table shows
# the median wall time, images per second, the peak memory (largest over the
# runs) and, for each mmfuse row, its speed-up against the faster of the two
# Python setups (threads, processes) computing the same numbers (and, for the
# DCT row, against plain PIL + torchvision). Agreement of the outputs is
# checked on the first run. Nothing here judges pass/fail. Generated files
# live in a temporary directory that is removed at the end.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
BUILD="$ROOT/build"
if [[ $# -gt 0 && "$1" != --* ]]; then BUILD="$1"; shift; fi
BIN="$BUILD/bench/bench_image"
if [[ ! -x "$BIN" ]]; then
    echo "run_image.sh: $BIN not found (build the bench_image target first)" >&2
    exit 2
fi
exec /usr/bin/python3 - "$BIN" "$HERE/peer_image.py" "$@" <<'PY'
import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

BIN, PEER = sys.argv[1], sys.argv[2]
ap = argparse.ArgumentParser(prog="run_image.sh")
ap.add_argument("--runs", type=int, default=3)
ap.add_argument("--files", type=int, default=200)
ap.add_argument("--threads", type=int, default=2)
a = ap.parse_args(sys.argv[3:])
TH = a.threads
PY = "/usr/bin/python3"


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def template(rng, w, h):
    """Smooth colour field + shapes + texture: one photo-like base image."""
    base = Image.fromarray((rng.uniform(size=(9, 16, 3)) * 255).astype(np.uint8)).resize((w, h), Image.BICUBIC)
    d = ImageDraw.Draw(base)
    for _ in range(rng.integers(6, 16)):
        x0, y0 = rng.integers(0, w), rng.integers(0, h)
        x1, y1 = x0 + rng.integers(w // 20, w // 3), y0 + rng.integers(h // 20, h // 3)
        col = tuple(int(c) for c in rng.integers(0, 256, 3))
        (d.ellipse if rng.uniform() < 0.5 else d.rectangle)([x0, y0, x1, y1], fill=col)
    base = base.filter(ImageFilter.GaussianBlur(1.2))
    tex = Image.fromarray((rng.uniform(size=(h // 4, w // 4)) * 255).astype(np.uint8)).resize((w, h), Image.BILINEAR)
    arr = np.asarray(base).astype(np.float32) + (np.asarray(tex).astype(np.float32)[..., None] - 128) * 0.25
    return arr


def make_set(d, name, n, w, h, ext, seed):
    rng = np.random.default_rng(seed)
    os.makedirs(os.path.join(d, name), exist_ok=True)
    temps = [template(rng, w, h) for _ in range(min(20, n))]
    paths = []
    for i in range(n):
        arr = temps[i % len(temps)]
        if (i // len(temps)) % 2:
            arr = arr[:, ::-1]
        arr = np.roll(arr, int(rng.integers(0, w)), axis=1)
        arr = arr + rng.standard_normal(arr.shape, dtype=np.float32) * 4
        im = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
        p = os.path.join(d, name, f"img{i:04d}.{ext}")
        if ext == "jpg":
            im.save(p, quality=90)
        else:
            im.save(p, compress_level=6)
        paths.append(p)
    lst = os.path.join(d, name + ".txt")
    with open(lst, "w") as f:
        f.write("\n".join(paths) + "\n")
    return lst, sum(os.path.getsize(p) for p in paths) / n


def env_for(threads):
    e = dict(os.environ)
    e["OMP_NUM_THREADS"] = str(threads)
    e["OPENBLAS_NUM_THREADS"] = "1"
    e["PYTHONDONTWRITEBYTECODE"] = "1"
    return e


def run(cmd, env):
    r = subprocess.run(["/usr/bin/time", "-f", "MAXRSS_KB %M"] + cmd, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{r.stderr[-2000:]}")
    res = None
    for line in r.stdout.splitlines():
        if line.startswith("RESULT "):
            res = json.loads(line[7:])
    if res is None:
        raise RuntimeError(f"no RESULT line from {cmd}")
    for line in r.stderr.splitlines():
        if line.startswith("MAXRSS_KB "):
            res["time_maxrss_kb"] = int(line.split()[1])
    if "workers" not in res and "time_maxrss_kb" in res:
        res["maxrss_kb"] = res["time_maxrss_kb"]
    return res


def mm(mode, dct):
    return lambda lst, dump: [BIN, mode, lst, "--threads", str(TH), "--dct", str(dct)] + (["--dump", dump] if dump else [])


def py(mode, pool, draft):
    intra = TH if pool == "thread" else 1
    return lambda lst, dump: [PY, PEER, mode, lst, "--pool", pool, "--workers", str(TH), "--intra", str(intra),
                              "--draft", str(draft)] + (["--dump", dump] if dump else [])


MM_EXACT, MM_DCT = "mmfuse (torchvision-exact)", "mmfuse (JPEG DCT scaling)"
PY_T, PY_P = f"PIL+torchvision, {TH}-thread pool", f"PIL+torchvision, {TH}-process pool"
PY_DT, PY_DP = f"PIL draft()+torchvision, {TH}-thread pool", f"PIL draft()+torchvision, {TH}-process pool"
F_MM, F_PT, F_PP = "mmfuse", f"numpy/scikit-image, {TH}-thread pool", f"numpy/scikit-image, {TH}-process pool"
F_MM0 = "mmfuse (no DCT scaling)"
F_PT0, F_PP0 = f"numpy/scikit-image, no draft(), {TH}-thread pool", f"numpy/scikit-image, no draft(), {TH}-process pool"


def workloads(jpg, png):
    """(mode, input label, list, sides, baselines): baselines map an mmfuse
    side to (label, Python sides) whose best time its speed-up is taken
    against; "same output" baselines compute exactly the same numbers."""
    return [
        ("prep", "1920x1080 JPEG", jpg,
         [(MM_EXACT, mm("prep", 0)), (MM_DCT, mm("prep", 1)), (PY_T, py("prep", "thread", 0)),
          (PY_P, py("prep", "process", 0)), (PY_DT, py("prep", "thread", 1)), (PY_DP, py("prep", "process", 1))],
         {MM_EXACT: [("same output", [PY_T, PY_P])],
          MM_DCT: [("PIL+torchvision", [PY_T, PY_P]), ("same output (PIL draft)", [PY_DT, PY_DP])]}),
        ("prep", "640x480 PNG", png,
         [(MM_EXACT, mm("prep", 0)), (PY_T, py("prep", "thread", 0)), (PY_P, py("prep", "process", 0))],
         {MM_EXACT: [("same output", [PY_T, PY_P])]}),
        ("feat", "1920x1080 JPEG", jpg,
         [(F_MM, mm("feat", 1)), (F_MM0, mm("feat", 0)), (F_PT, py("feat", "thread", 1)),
          (F_PP, py("feat", "process", 1)), (F_PT0, py("feat", "thread", 0)), (F_PP0, py("feat", "process", 0))],
         {F_MM: [("same output (draft)", [F_PT, F_PP])], F_MM0: [("same output (no draft)", [F_PT0, F_PP0])]}),
        ("feat", "640x480 PNG", png,
         [(F_MM, mm("feat", 1)), (F_PT, py("feat", "thread", 1)), (F_PP, py("feat", "process", 1))],
         {F_MM: [("same output", [F_PT, F_PP])]}),
        ("featmem", "640x480 decoded", png,
         [(F_MM, mm("featmem", 1)), (F_PT, py("featmem", "thread", 1)), (F_PP, py("featmem", "process", 1))],
         {F_MM: [("same output", [F_PT, F_PP])]}),
    ]


tmp = tempfile.mkdtemp(prefix="mmfuse_image_bench_")
try:
    log(f"generating {a.files} JPEGs and {a.files} PNGs in {tmp} ...")
    jpg, jpg_size = make_set(tmp, "jpg", a.files, 1920, 1080, "jpg", 1)
    png, png_size = make_set(tmp, "png", a.files, 640, 480, "png", 2)
    wls = workloads(jpg, png)
    res = {}
    for r in range(a.runs):
        for wi, (mode, label, lst, sides, _) in enumerate(wls):
            for name, cmd in sides:
                dump = os.path.join(tmp, f"dump_{wi}_{sides.index((name, cmd))}.npy") if r == 0 else None
                thr = TH if name.startswith("mmfuse") else 1
                out = run(cmd(lst, dump), env_for(thr))
                out["dump"] = dump
                res.setdefault((wi, name), []).append(out)
                log(f"  run {r + 1}/{a.runs} {mode:>7} {label:<16} {name:<44} {out['op_s']:.3f} s")

    def med(v):
        return statistics.median(x["op_s"] for x in v)

    cpu = platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except Exception:
        pass
    load = os.getloadavg()
    titles = {"prep": "decode + Resize(256) + CenterCrop(224) + ToTensor + Normalize",
              "feat": "handcrafted features (572 values), decode included",
              "featmem": "handcrafted features (572 values) from decoded pixels"}
    print(f"\n### Images: mmfuse vs Python, {TH} threads each\n")
    print(f"CPU: {cpu}, {os.cpu_count()} cores visible; load average {load[0]:.1f} / {load[1]:.1f} / "
          f"{load[2]:.1f}; {a.files} files per set (JPEG mean {jpg_size / 1024:.0f} KiB, PNG mean "
          f"{png_size / 1024:.0f} KiB); median of {a.runs} interleaved runs.\n")
    print("| workload | input | implementation | median time (s) | images/s | peak RSS (MiB) | mmfuse speed-up |")
    print("|---|---|---|---:|---:|---:|---|")
    for wi, (mode, label, lst, sides, base) in enumerate(wls):
        for name, _ in sides:
            v = res[(wi, name)]
            m = med(v)
            rss = max(x["maxrss_kb"] for x in v) / 1024
            sp = []
            for blabel, names in base.get(name, []):
                bt = min(med(res[(wi, n)]) for n in names)
                sp.append(f"**{bt / m:.1f}x** vs best {blabel}")
            print(f"| {titles[mode]} | {label} | {name} | {m:.3f} | {a.files / m:.1f} | {rss:.0f} | "
                  f"{'; '.join(sp)} |")
    print("\n### Agreement of the outputs (first run)\n")
    for wi, (mode, label, lst, sides, _) in enumerate(wls):
        for mname, _ in sides:
            if not mname.startswith("mmfuse"):
                continue
            A = np.load(res[(wi, mname)][0]["dump"])
            diffs = []
            for name, _ in sides:
                if name.startswith("mmfuse"):
                    continue
                B = np.load(res[(wi, name)][0]["dump"])
                diffs.append(f"{name}: {np.abs(A - B).max():.3g}")
            print(f"- {mode}, {label}, {mname} vs " + "; ".join(diffs))
    print("\n(max |diff| of the outputs; prep rows keep the first 1024 values of each normalized "
          "tensor, feature rows the whole vector. A DCT-scaled decode (mmfuse DCT scaling, PIL "
          "draft()) is expected to equal the other DCT-scaled side and to differ a little from "
          "full-size decodes.)")
finally:
    shutil.rmtree(tmp, ignore_errors=True)
PY
