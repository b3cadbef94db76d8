#!/bin/bash
# Audio feature benchmark: mmfuse's MFCC encoder (bench/bench_audio.c)
# against the Python equivalents (bench/peer_audio.py) on the same files.
#
#   bench/run_audio.sh [BUILD_DIR] [--runs N] [--files N] [--threads N]
#
# BUILD_DIR (default: build) must hold bench/bench_audio (a Release build).
# Python sides (see bench/peer_audio.py): librosa 0.10's code path
# transcribed to numpy/scipy (one process with OpenBLAS on all threads, and a
# process pool), the same numbers by the fastest numpy route (process pool),
# and torchaudio's transforms (one process with intra-op threads, and a
# pool). Generates, with a fixed seed, --files (200) five-second clips at 44.1 kHz
# and at 22.05 kHz (16-bit mono WAV: a few harmonic notes, noise bursts and
# pauses), plus 100 clips each of 1 s, 5 s and 10 s at 22.05 kHz for the
# cost-versus-duration rows. The sides run interleaved (A B C A B C ...)
# --runs (3) times; the table shows the median wall time of each, files per
# second, the ratio to mmfuse and the peak memory (largest over the runs).
# Nothing here judges pass/fail. Everything generated lives in a temporary
# directory that is removed at the end.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
BUILD="$ROOT/build"
if [[ $# -gt 0 && "$1" != --* ]]; then BUILD="$1"; shift; fi
BIN="$BUILD/bench/bench_audio"
if [[ ! -x "$BIN" ]]; then
    echo "run_audio.sh: $BIN not found (build the bench_audio target first)" >&2
    exit 2
fi
exec /usr/bin/python3 - "$BIN" "$HERE/peer_audio.py" "$@" <<'PY'
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
import soundfile as sf

BIN, PEER = sys.argv[1], sys.argv[2]
ap = argparse.ArgumentParser(prog="run_audio.sh")
ap.add_argument("--runs", type=int, default=3)
ap.add_argument("--files", type=int, default=200)
ap.add_argument("--threads", type=int, default=2)
a = ap.parse_args(sys.argv[3:])
TH = a.threads
PY = "/usr/bin/python3"


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def make_clips(d, name, n_files, sr, secs, seed):
    """Harmonic notes with vibrato, noise bursts and pauses (fixed seed)."""
    rng = np.random.default_rng(seed)
    os.makedirs(os.path.join(d, name), exist_ok=True)
    paths = []
    n = int(sr * secs)
    t = np.arange(n) / sr
    for i in range(n_files):
        y = np.zeros(n)
        for _ in range(rng.integers(2, 6)):
            f0 = rng.uniform(80, 900)
            on, dur = rng.uniform(0, secs), rng.uniform(0.2, 1.5)
            env = np.clip((t - on) / 0.02, 0, 1) * np.exp(-np.maximum(t - on, 0) / dur) * (t >= on)
            ph = 2 * np.pi * f0 * t + 3 * np.sin(2 * np.pi * 5 * t)
            for h in range(1, 6):
                y += env * rng.uniform(0.05, 0.3) / h * np.sin(h * ph)
        burst = (rng.uniform(size=n) < 0.0005).astype(float)
        y += 0.05 * np.convolve(burst, np.ones(600), "same") * rng.standard_normal(n)
        y = np.clip(y / max(1.0, np.abs(y).max()), -1, 1)
        p = os.path.join(d, name, f"clip{i:04d}.wav")
        sf.write(p, y.astype(np.float32), sr, subtype="PCM_16")
        paths.append(p)
    lst = os.path.join(d, name + ".txt")
    with open(lst, "w") as f:
        f.write("\n".join(paths) + "\n")
    return lst


def env_for(threads):
    e = dict(os.environ)
    e["OMP_NUM_THREADS"] = str(threads)
    e["OPENBLAS_NUM_THREADS"] = str(threads)
    e["PYTHONDONTWRITEBYTECODE"] = "1"
    return e


def run(cmd, env):
    """Runs one side under /usr/bin/time: a process started straight from
    this (large) Python would inherit its peak RSS across exec."""
    r = subprocess.run(["/usr/bin/time", "-f", "MAXRSS_KB %M"] + cmd, capture_output=True, text=True,
                       env=env)
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
    # one process: its own peak; a pool: the peer's estimate (parent + workers)
    if "workers" not in res and "time_maxrss_kb" in res:
        res["maxrss_kb"] = res["time_maxrss_kb"]
    return res


def peer(impl, workers, intra=1):
    def cmd(lst, dump):
        c = [PY, PEER, lst, "--impl", impl, "--workers", str(workers), "--intra", str(intra)]
        return c + (["--dump", dump] if dump else [])
    return cmd


# (name, command, threads for OMP/OpenBLAS in its environment)
SIDES = [
    ("mmfuse", lambda lst, dump: [BIN, lst, "--threads", str(TH)] + (["--dump", dump] if dump else []), 1),
    (f"librosa code path, 1 proc, OpenBLAS {TH} thr", peer("librosa", 1), TH),
    (f"librosa code path, {TH} procs", peer("librosa", TH), 1),
    (f"numpy/scipy rows, {TH} procs", peer("numpy", TH), 1),
    (f"torchaudio, 1 proc, {TH} thr", peer("torch", 1, TH), TH),
    (f"torchaudio, {TH} procs", peer("torch", TH), 1),
]


def bench(lists, sides, runs, tmp):
    res = {(k, s[0]): [] for k in lists for s in sides}
    for r in range(runs):
        for key, lst in lists.items():
            for name, cmd, thr in sides:
                tag = "".join(c if c.isalnum() else "_" for c in key + name)
                dump = os.path.join(tmp, f"dump_{tag}.npy") if r == 0 else None
                out = run(cmd(lst, dump), env_for(thr))
                out["dump"] = dump
                res[(key, name)].append(out)
                log(f"  run {r + 1}/{runs} {key:>12} {name:<28} {out['op_s']:.3f} s")
    return res


tmp = tempfile.mkdtemp(prefix="mmfuse_audio_bench_")
try:
    log(f"generating clips in {tmp} ...")
    lists = {"44.1 kHz, 5 s": make_clips(tmp, "c44", a.files, 44100, 5.0, 1),
             "22.05 kHz, 5 s": make_clips(tmp, "c22", a.files, 22050, 5.0, 2)}
    dur_lists = {f"{s:g} s": make_clips(tmp, f"d{s:g}", 100, 22050, s, 10 + int(s)) for s in (1.0, 5.0, 10.0)}
    log("throughput:")
    res = bench(lists, SIDES, a.runs, tmp)
    log("cost vs duration:")
    dres = bench(dur_lists, [SIDES[0], SIDES[2]], a.runs, tmp)

    def med(v):
        return statistics.median(x["op_s"] for x in v)

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except Exception:
        pass
    load = os.getloadavg()
    print(f"\n### Audio features (78 values per file): mmfuse vs Python, {TH} threads\n")
    print(f"CPU: {cpu}, {os.cpu_count()} cores visible; load average during the run "
          f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}; median of {a.runs} interleaved runs.\n")
    print("| clips | implementation | median time (s) | files/s | mmfuse speed-up | peak RSS (MiB) |")
    print("|---|---|---:|---:|---:|---:|")
    for key in lists:
        mm = med(res[(key, "mmfuse")])
        for name, _, _ in SIDES:
            v = res[(key, name)]
            m = med(v)
            rss = max(x["maxrss_kb"] for x in v) / 1024
            sp = "1.0x" if name == "mmfuse" else f"{m / mm:.1f}x"
            print(f"| {a.files} x {key} | {name} | {m:.3f} | {a.files / m:.1f} | {sp} | {rss:.0f} |")
    print("\n### Cost per file vs clip length (22.05 kHz, 100 clips each)\n")
    print(f"| clip length | mmfuse ms/file (wall, {TH} threads) | mmfuse ms per clip-second | "
          f"{SIDES[2][0]} ms/file | ms per clip-second | speed-up |")
    print("|---|---:|---:|---:|---:|---:|")
    for key in dur_lists:
        secs = float(key.split()[0])
        mm = med(dres[(key, "mmfuse")]) / 100 * 1000
        py = med(dres[(key, SIDES[2][0])]) / 100 * 1000
        print(f"| {key} | {mm:.2f} | {mm / secs:.2f} | {py:.2f} | {py / secs:.2f} | {py / mm:.1f}x |")
    # the numbers themselves: same features?
    print("\n### Agreement of the feature vectors (max abs difference, first run)\n")
    for key in lists:
        base = res[(key, "mmfuse")][0]["dump"]
        A = np.load(base)
        for name, _, _ in SIDES[1:]:
            B = np.load(res[(key, name)][0]["dump"])
            print(f"- {key}, mmfuse vs {name}: {np.abs(A - B).max():.3g}")
    print("\n(At 44.1 kHz the librosa code path resamples with libsoxr HQ as librosa and "
          "mmfuse do; the numpy/scipy rows peer uses scipy's resample_poly and torchaudio its "
          "own sinc resampler, different filters, hence different numbers. torchaudio's STFT is "
          "float32.)")
finally:
    shutil.rmtree(tmp, ignore_errors=True)
PY
