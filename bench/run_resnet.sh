#!/bin/bash
# ResNet benchmark: mmfuse's inference engine (bench/bench_resnet.c) and its
# CNN image encoder (mmfuse extract --image-encoder) against PyTorch
# (bench/peer_resnet.py: Debian's python3-torch, oneDNN convolutions) on the
# same weights and inputs.
#
#   bench/run_resnet.sh [BUILD_DIR] [--runs N] [--seconds S] [--files N]
#                       [--threads N] [--arch LIST] [--batches LIST]
#                       [--variants LIST] [--only forward|e2e] [--settle S]
#                       [--quick]
#
# BUILD_DIR (default: build) must hold mmfuse and bench/bench_resnet (a
# Release build). Weights: torchvision ResNets with seeded random weights and
# BatchNorm statistics (tests/nn/nnref.py), written as .safetensors; the
# speed does not depend on the values. Both sides get the same thread count
# (--threads, 2): mmfuse --threads N, torch.set_num_threads(N), and
# OMP_NUM_THREADS=N / OPENBLAS_NUM_THREADS=N in every process's environment.
#   1. Peak: bench_resnet --peak on N threads and on 1, the machine's
#      attainable float32 rate: every thread runs independent 8-wide FMA
#      chains, i.e. cores x 2 FMA units x 8 lanes x 2 FLOPs x clock. Measured
#      before and after the runs; the larger is used.
#   2. Forward passes at 224 x 224 on a fixed random batch, for each --arch
#      (resnet18; e.g. --arch resnet18,resnet50) and --batches (1,32): mmfuse
#      (bench_resnet) against PyTorch with the fc replaced by Identity (the
#      same pooled features). Every measurement is a fresh process that warms
#      up, then runs passes for --seconds (10). The first run measures every
#      PyTorch variant (--variants: eager = eval() + inference_mode, eager-cl
#      = channels_last, jit-freeze = traced + torch.jit.freeze, jit-opt =
#      + torch.jit.optimize_for_inference, jit-opt-cl = that from a
#      channels_last model); the fastest becomes the peer for the later runs.
#      Reported: median images/s, mmfuse / peer, GFLOP/s over the whole pass
#      (the same FLOP count, 2 per multiply-add, for both sides) and over
#      mmfuse's convolution stages, % of the N-thread peak, peak RSS
#      (getrusage in each process).
#   3. End to end, JPEG file -> feature vector: --files (200) photo-like
#      JPEGs (three in four 640x480, one in four 1920x1080, quality 90; fixed
#      seed). mmfuse extract --image-encoder resnet18:W --no-cache (wall time
#      of the process) against the article's Python loop (PIL open + convert,
#      Resize(256), CenterCrop(224), ToTensor, Normalize, model(x.unsqueeze(0))
#      under no_grad, one file at a time) and against the same transforms in a
#      DataLoader with N worker processes and batches of 32. The features are
#      compared (max |diff| relative to the largest value).
# The sides run interleaved (A B A B ...) --runs (3) times; medians are
# reported, with the share of the CPUs that other processes used during each
# side's runs (/proc/stat); --settle S waits up to S seconds before each run
# for the CPU pressure of other processes (/proc/pressure/cpu, avg10) to fall
# below 5% (default 0: do not wait). --quick = --seconds 3 --runs 1 --files 40. Prints
# a markdown table at the end; nothing here judges pass/fail. Generated files
# live in a temporary directory that is removed at the end. Takes about 8
# minutes with the defaults on a 2-core machine.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
BUILD="$ROOT/build"
if [[ $# -gt 0 && "$1" != --* && "$1" != -h ]]; then BUILD="$1"; shift; fi
for arg in "$@"; do
    if [[ "$arg" == "--help" || "$arg" == "-h" ]]; then
        sed -n '2,/^set -e/{/^#/p}' "$0" | sed 's/^# \{0,1\}//'
        exit 0
    fi
done
BIN="$BUILD/bench/bench_resnet"
MMFUSE="$BUILD/mmfuse"
for b in "$BIN" "$MMFUSE"; do
    if [[ ! -x "$b" ]]; then
        echo "run_resnet.sh: $b not found (build the mmfuse and bench_resnet targets first)" >&2
        exit 2
    fi
done
exec /usr/bin/python3 - "$BIN" "$MMFUSE" "$HERE/peer_resnet.py" "$ROOT/tests/nn" "$@" <<'PY'
import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

BIN, MMFUSE, PEER, NNREF_DIR = sys.argv[1:5]
VARIANTS = ["eager", "eager-cl", "jit-freeze", "jit-opt", "jit-opt-cl"]
ap = argparse.ArgumentParser(prog="run_resnet.sh")
ap.add_argument("--runs", type=int, default=None)
ap.add_argument("--seconds", type=float, default=None)
ap.add_argument("--files", type=int, default=None)
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--arch", default="resnet18", help="comma-separated: resnet18,resnet34,resnet50,...")
ap.add_argument("--batches", default="1,32")
ap.add_argument("--variants", default=",".join(VARIANTS))
ap.add_argument("--only", choices=["forward", "e2e"], default=None)
ap.add_argument("--settle", type=float, default=0.0)
ap.add_argument("--quick", action="store_true")
a = ap.parse_args(sys.argv[5:])
a.runs = a.runs or (1 if a.quick else 3)
a.seconds = a.seconds or (3.0 if a.quick else 10.0)
a.files = a.files or (40 if a.quick else 200)
TH = a.threads
ARCHS = [x for x in a.arch.split(",") if x]
BATCHES = [int(x) for x in a.batches.split(",") if x]
PVARS = [x for x in a.variants.split(",") if x]
for v in PVARS:
    if v not in VARIANTS:
        ap.error(f"unknown variant {v} (choose from {', '.join(VARIANTS)})")
PY = "/usr/bin/python3"
sys.path.insert(0, NNREF_DIR)


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def busy_cpu_s():
    """CPU seconds used by everything on the machine so far (/proc/stat)."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    return (sum(v) - v[3] - (v[4] if len(v) > 4 else 0)) / os.sysconf("SC_CLK_TCK")


def cpu_pressure():
    """Share of the last 10 s in which a runnable task waited for a CPU (PSI)."""
    try:
        with open("/proc/pressure/cpu") as f:
            for line in f:
                if line.startswith("some "):
                    return float(line.split("avg10=")[1].split()[0])
    except (OSError, IndexError, ValueError):
        pass
    return None


def settle():
    t0 = time.perf_counter()
    p = cpu_pressure()
    while p is not None and p > 5.0 and time.perf_counter() - t0 < a.settle:
        time.sleep(2.0)
        p = cpu_pressure()


ENV = dict(os.environ, OMP_NUM_THREADS=str(TH), OPENBLAS_NUM_THREADS=str(TH), PYTHONDONTWRITEBYTECODE="1")


def run(cmd, parse="json"):
    """One process under /usr/bin/time (started from this large interpreter
    directly, a child would inherit its peak RSS across exec). Returns its
    result (the RESULT line, or bench_resnet's JSON line) with wall, the
    process tree's CPU time and the other processes' share of the CPUs."""
    settle()
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        b0, t0 = busy_cpu_s(), time.perf_counter()
        p = subprocess.run(["/usr/bin/time", "-f", "%M %U %S", "-o", tf.name] + cmd, env=ENV,
                           capture_output=True, text=True)
        wall = time.perf_counter() - t0
        b1 = busy_cpu_s()
        tl = tf.read().split()
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed (exit {p.returncode}):\n{p.stderr[-3000:]}")
    res = {}
    for line in p.stdout.splitlines():
        if parse == "json" and line.startswith("{"):
            res = json.loads(line)
        elif line.startswith("RESULT "):
            res = json.loads(line[7:])
    res["wall"] = wall
    if len(tl) >= 3:
        res["time_maxrss_kb"] = int(tl[-3])
        cpu = float(tl[-2]) + float(tl[-1])
        res["cpu_s"] = cpu
        if b0 is not None and b1 is not None:
            res["other"] = max(0.0, min(100.0, 100 * ((b1 - b0) - cpu) / (wall * (os.cpu_count() or 1))))
    return res


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            return next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except Exception:
        return platform.processor() or platform.machine()


def template(rng, w, h):
    """Smooth colour field + shapes with hard edges + texture."""
    base = Image.fromarray((rng.uniform(size=(9, 16, 3)) * 255).astype(np.uint8)).resize((w, h), Image.BICUBIC)
    d = ImageDraw.Draw(base)
    for _ in range(rng.integers(6, 16)):
        x0, y0 = rng.integers(0, w), rng.integers(0, h)
        x1, y1 = x0 + rng.integers(w // 20, w // 3), y0 + rng.integers(h // 20, h // 3)
        col = tuple(int(c) for c in rng.integers(0, 256, 3))
        (d.ellipse if rng.uniform() < 0.5 else d.rectangle)([x0, y0, x1, y1], fill=col)
    base = base.filter(ImageFilter.GaussianBlur(1.2))
    tex = Image.fromarray((rng.uniform(size=(h // 4, w // 4)) * 255).astype(np.uint8)).resize((w, h), Image.BILINEAR)
    return np.asarray(base).astype(np.float32) + (np.asarray(tex).astype(np.float32)[..., None] - 128) * 0.25


def make_jpegs(d, n, seed):
    """n JPEGs (every 4th 1920x1080, the others 640x480), a CSV and a list."""
    rng = np.random.default_rng(seed)
    sizes = {(640, 480): [template(rng, 640, 480) for _ in range(8)],
             (1920, 1080): [template(rng, 1920, 1080) for _ in range(4)]}
    names, paths, nbytes = [], [], 0
    for i in range(n):
        wh = (1920, 1080) if i % 4 == 3 else (640, 480)
        temps = sizes[wh]
        arr = temps[i % len(temps)]
        if (i // len(temps)) % 2:
            arr = arr[:, ::-1]
        arr = np.roll(arr, int(rng.integers(0, wh[0])), axis=1)
        arr = arr + rng.standard_normal(arr.shape, dtype=np.float32) * 4
        name = f"img{i:04d}.jpg"
        p = os.path.join(d, name)
        Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8)).save(p, quality=90)
        names.append(name)
        paths.append(p)
        nbytes += os.path.getsize(p)
    csv = os.path.join(d, "images.csv")
    with open(csv, "w") as f:
        f.write("id,photo\n" + "".join(f"r{i},{nm}\n" for i, nm in enumerate(names)))
    lst = os.path.join(d, "images.txt")
    with open(lst, "w") as f:
        f.write("\n".join(paths) + "\n")
    return csv, lst, nbytes / n


def peak(threads):
    r = run([BIN, "--peak", "--threads", str(threads)])
    return r.get("peak_gflops", float("nan"))


def med(v):
    return statistics.median(v) if v else float("nan")


def fmt_other(v):
    return f"{med(v):.0f}" if v else "?"


tmp = tempfile.mkdtemp(prefix="mmfuse_resnet_bench_")
try:
    load0 = os.getloadavg()
    import nnref
    import torch
    need = sorted(set((ARCHS if a.only != "e2e" else []) + (["resnet18"] if a.only != "forward" else [])))
    W, GF, EX = {}, {}, {}
    for arch in need:
        log(f"writing seeded random {arch} weights ...")
        W[arch] = os.path.join(tmp, f"{arch}.safetensors")
        nnref.save_safetensors(W[arch], nnref.state_dict_arrays(nnref.random_resnet(arch, 18))[0])
    torch_version = torch.__version__
    del torch

    log("peak FMA rate ...")
    peaks = {TH: [peak(TH)], 1: [peak(1)]}

    # ---------------------------------------------------------- forward
    fw = {}      # (arch, batch, side) -> list of results; side "mmfuse" or a variant
    best = {}
    if a.only != "e2e":
        for r in range(a.runs):
            for arch in ARCHS:
                for b in BATCHES:
                    sides = ["mmfuse", "mmfuse-gemm"] + (PVARS if r == 0 else [best[(arch, b)]])
                    for s in sides:
                        if s.startswith("mmfuse"):
                            cmd = [BIN, W[arch], "--batch", str(b), "--threads", str(TH),
                                   "--seconds", str(a.seconds)] + (["--gemm"] if s == "mmfuse-gemm" else [])
                        else:
                            cmd = [PY, PEER, "forward", W[arch], "--arch", arch, "--batch", str(b),
                                   "--threads", str(TH), "--seconds", str(a.seconds), "--variant", s]
                        res = run(cmd)
                        fw.setdefault((arch, b, s), []).append(res)
                        if s == "mmfuse":
                            GF[arch] = res["gflop_per_image"]
                            EX[arch] = res["executed_gflop_per_image"]
                        log(f"  run {r + 1}/{a.runs} {arch} batch {b:<3} {s:<11} {res['images_per_s']:8.2f} "
                            f"images/s  (other processes {res.get('other', float('nan')):.0f}% of the CPUs)")
                    if r == 0:
                        best[(arch, b)] = max(PVARS, key=lambda v: fw[(arch, b, v)][0]["images_per_s"])

    # -------------------------------------------------------------- e2e
    e2e = {}
    agree = []
    MM, LOOP, DL = ("mmfuse extract --image-encoder", "article's loop (one file at a time)",
                    f"DataLoader, {TH} workers, batch 32")
    if a.only != "forward":
        edir = os.path.join(tmp, "img")
        os.makedirs(edir)
        log(f"generating {a.files} JPEGs ...")
        csv, lst, mean_size = make_jpegs(edir, a.files, 7)
        mdir = os.path.join(tmp, "mmfuse_home")
        ENV.update(MMFUSE_CACHE_DIR=os.path.join(mdir, "cache"), MMFUSE_MODEL_DIR=os.path.join(mdir, "models"))
        for r in range(a.runs):
            for side in (MM, LOOP, DL):
                dump = os.path.join(tmp, f"e2e_{r}_{[MM, LOOP, DL].index(side)}.npy")
                if side == MM:
                    res = run([MMFUSE, "extract", csv, "--no-target", "--id", "id", "--image", "photo", "--block", "image:photo",
                               "--image-encoder", f"resnet18:{W['resnet18']}", "--threads", str(TH), "--no-cache",
                               "-o", dump], parse="none")
                    res["maxrss_kb"] = res["time_maxrss_kb"]
                elif side == LOOP:
                    res = run([PY, PEER, "loop", lst, W["resnet18"], "--arch", "resnet18", "--threads", str(TH)]
                              + (["--dump", dump] if r == 0 else []))
                else:
                    res = run([PY, PEER, "loader", lst, W["resnet18"], "--arch", "resnet18", "--threads", str(TH),
                               "--workers", str(TH), "--batch", "32"] + (["--dump", dump] if r == 0 else []))
                res["dump"] = dump
                e2e.setdefault(side, []).append(res)
                log(f"  run {r + 1}/{a.runs} {side:<38} {res['wall']:7.2f} s  "
                    f"(other processes {res.get('other', float('nan')):.0f}% of the CPUs)")
        A = np.load(e2e[MM][0]["dump"])
        for side in (LOOP, DL):
            B = np.load(e2e[side][0]["dump"])
            if A.shape[0] != B.shape[0] or A.shape[1] < B.shape[1]:
                agree.append(f"- mmfuse vs {side}: shapes differ, {A.shape} vs {B.shape}")
                continue
            scale = float(np.abs(B).max())
            d = float(np.abs(A[:, :B.shape[1]] - B).max())
            agree.append(f"- mmfuse vs {side}: max |diff| {d:.3g}, relative to the largest |value| "
                         f"({scale:.3g}): **{d / scale:.2e}** ({A.shape[0]} files x {B.shape[1]} features; "
                         f"mmfuse's matrix has {A.shape[1]} columns)")
        B1, B2 = np.load(e2e[LOOP][0]["dump"]), np.load(e2e[DL][0]["dump"])
        agree.append(f"- {LOOP} vs {DL}: max |diff| relative {np.abs(B1 - B2).max() / np.abs(B1).max():.2e}")

    peaks[TH].append(peak(TH))
    peaks[1].append(peak(1))
    load1 = os.getloadavg()
    PK, PK1 = max(peaks[TH]), max(peaks[1])

    # ------------------------------------------------------------ report
    print(f"\n### ResNet inference: mmfuse vs PyTorch {torch_version}, {TH} threads each\n")
    print(f"Machine: {cpu_model()}, {os.cpu_count()} cores visible; load average at start "
          f"{load0[0]:.2f} / {load0[1]:.2f} / {load0[2]:.2f}, at end {load1[0]:.2f} / {load1[1]:.2f} / "
          f"{load1[2]:.2f}. Threads: mmfuse --threads {TH}, torch.set_num_threads({TH}), OMP_NUM_THREADS="
          f"{TH} for every process. Median of {a.runs} interleaved run(s) of {a.seconds:g} s (forward).\n")
    print(f"Peak (bench_resnet --peak, independent 8-wide FMA chains on every thread = cores x 2 FMA units x "
          f"8 lanes x 2 FLOPs x clock): **{PK:.1f} GFLOP/s on {TH} threads**, {PK1:.1f} GFLOP/s on 1 "
          f"(= 32 FLOPs/cycle at {PK1 / 32:.2f} GHz); measured before and after the runs: "
          f"{', '.join(f'{x:.1f}' for x in peaks[TH])} / {', '.join(f'{x:.1f}' for x in peaks[1])}.\n")
    if fw:
        print("#### Forward pass, 224 x 224, random input and weights\n")
        print("| model | batch | implementation | runs | images/s | GFLOP/s (direct count) | % of peak "
              "| executed GFLOP/s | % of peak (executed) | peak RSS (MiB) | mmfuse / peer | other procs' CPU % |")
        print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        notes = []
        for arch in ARCHS:
            gf = GF[arch]
            for b in BATCHES:
                mm = fw[(arch, b, "mmfuse")]
                bv = best[(arch, b)]
                pe = fw[(arch, b, bv)]
                mi = med([x["images_per_s"] for x in mm])
                pi = med([x["images_per_s"] for x in pe])
                for side, label in (("mmfuse", "**mmfuse** (Winograd + GEMM)"),
                                    ("mmfuse-gemm", "mmfuse, im2col + GEMM only (--gemm)")):
                    rs = fw[(arch, b, side)]
                    si = med([x["images_per_s"] for x in rs])
                    ex = med([x["executed_gflops"] for x in rs])
                    rss = max(x["peak_rss_mib"] for x in rs)
                    ratio = f"**{si / pi:.2f}x**" if side == "mmfuse" else f"{si / pi:.2f}x"
                    print(f"| {arch} | {b} | {label} | {len(rs)} | {si:.2f} | {si * gf:.1f} | "
                          f"{100 * si * gf / PK:.0f}% | {ex:.1f} | {100 * ex / PK:.0f}% | {rss:.0f} | {ratio} | "
                          f"{fmt_other([x['other'] for x in rs if 'other' in x])} |")
                prss = max(x["maxrss_kb"] for x in pe) / 1024
                print(f"| {arch} | {b} | **PyTorch, best: {bv}** | {len(pe)} | {pi:.2f} | {pi * gf:.1f} | "
                      f"{100 * pi * gf / PK:.0f}% | {pi * gf:.1f} | {100 * pi * gf / PK:.0f}% | {prss:.0f} | | "
                      f"{fmt_other([x['other'] for x in pe if 'other' in x])} |")
                for v in PVARS:
                    x = fw[(arch, b, v)][0]
                    vi = x["images_per_s"]
                    print(f"| {arch} | {b} | PyTorch {v} (run 1) | 1 | {vi:.2f} | {vi * gf:.1f} | "
                          f"{100 * vi * gf / PK:.0f}% | {vi * gf:.1f} | {100 * vi * gf / PK:.0f}% | "
                          f"{x['maxrss_kb'] / 1024:.0f} | {mi / vi:.2f}x | "
                          f"{x.get('other', float('nan')):.0f} |")
                st = np.sum([x["stage_s"] for x in mm], axis=0)
                tot = float(st.sum()) or 1.0
                spread_m = ", ".join(f"{x['images_per_s']:.2f}" for x in mm)
                spread_p = ", ".join(f"{x['images_per_s']:.2f}" for x in pe)
                notes.append(f"- {arch}, batch {b}: mmfuse time by stage: " + ", ".join(
                    f"{n} {100 * t / tot:.0f}%" for n, t in zip(["stem", "layer1", "layer2", "layer3", "layer4",
                                                                  "pool+head"], st))
                    + f"; images/s per run: mmfuse {spread_m}; PyTorch {bv} {spread_p}")
        gfs = ", ".join(f"{GF[x]:.3f} GFLOP per {x} image" for x in ARCHS)
        print(f"\n{gfs} (2 per multiply-add, the direct method's count from the layer "
              "shapes, used for both sides: \"GFLOP/s (direct count)\" is images/s times it). \"executed\": the "
              "FLOPs each side actually performs: mmfuse's Winograd layers do 36 multiply-adds per 4x4 output tile "
              "(16 per 2x2) where the direct method does 144 (36) ("
              + ", ".join(f"{x}: {EX[x]:.3f} GFLOP per image" for x in ARCHS)
              + "); PyTorch's oneDNN convolutions on this CPU are direct, so its two counts are equal. "
              "The PyTorch variants were measured once (first run); the fastest is the "
              "peer of every later run, its median covers all runs. Peak RSS is each process's own "
              "(getrusage), the largest over the runs; a PyTorch process holds about 300 MiB of libraries.\n")
        print("\n".join(notes))
    if e2e:
        n = a.files
        print(f"\n#### End to end: JPEG file -> resnet18 features, {n} files "
              f"(3/4 640x480, 1/4 1920x1080, quality 90, mean {mean_size / 1024:.0f} KiB)\n")
        print("| pipeline | runs | wall time (s) | images/s | images/s after start-up | peak RSS (MiB) "
              "| mmfuse speed-up | other procs' CPU % |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        mw = med([x["wall"] for x in e2e[MM]])
        for side in (MM, LOOP, DL):
            v = e2e[side]
            w = med([x["wall"] for x in v])
            inner = f"{n / med([x['op_s'] for x in v]):.1f}" if side != MM else "—"
            rss = max(x["maxrss_kb"] for x in v) / 1024
            sp = "1.00x" if side == MM else f"**{w / mw:.2f}x**"
            print(f"| {side} | {len(v)} | {w:.2f} | {n / w:.1f} | {inner} | {rss:.0f} | {sp} | "
                  f"{fmt_other([x['other'] for x in v if 'other' in x])} |")
        print(f"\nWall time = the whole process as the user waits for it (interpreter start-up, imports, weight "
              f"loading included); \"after start-up\" = the Python sides' own timing of the loop (for the "
              f"DataLoader, from its creation: worker start-up included). mmfuse: --threads {TH} --no-cache, "
              f"image batch 32, decoding on the same {TH} threads. The DataLoader row's RSS is the main "
              f"process's peak plus {TH} times the largest worker's (an upper bound: forked workers share "
              f"pages). Peer start-up (median): loop "
              f"{med([x['startup_s'] for x in e2e[LOOP]]):.2f} s, DataLoader "
              f"{med([x['startup_s'] for x in e2e[DL]]):.2f} s.\n")
        print("Agreement of the features (first run):\n")
        print("\n".join(agree))
finally:
    shutil.rmtree(tmp, ignore_errors=True)
PY
