#!/usr/bin/python3
"""The benchmark suite: mmfuse against its Python peers on the same inputs,
one run, ratios printed. Called by bench/run.sh (see bench/README.md).

    suite.py --build DIR [--quick] [--runs N] [--out DIR] [--eval-rows N]

For every benchmark the two sides run alternately (A B A B ...), --runs
times each; the table shows the median time of each side, their ratio
(peer / mmfuse, "how many times faster mmfuse is") and the peak resident set
size of each process (the largest of its runs, from /usr/bin/time -f %M).
Times are of the operation alone, measured inside each program, except for
`evaluate`, whose time is the whole process (start-up, CSV reading and
everything else: what the user waits for). Nothing here judges pass/fail;
the stated targets are printed next to the measured ratios.
"""
import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PY = "/usr/bin/python3"
THREADS = 2
# Columns the article pipeline (peer_article_evaluate.py) uses; mmfuse is
# told to ignore any other column so both evaluate the same modalities.
PEER_COLUMNS = {"product_id", "title", "price", "weight_kg", "rating", "n_reviews", "has_warranty", "brand_tier",
                "ships_from", "category"}


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def base_env(threads):
    env = dict(os.environ)
    for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        env.pop(k, None)
    env["OMP_NUM_THREADS"] = str(threads)
    env["OPENBLAS_NUM_THREADS"] = str(threads)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


# ---------------------------------------------------------------- running

class Side:
    """One side of a benchmark: a command, its environment and its runs."""

    def __init__(self, name, cmd, env, first_extra=None):
        self.name = name
        self.cmd = cmd
        self.env = env
        self.first_extra = first_extra or []
        self.op = []
        self.wall = []
        self.rss_kb = []
        self.cpu = []
        self.other = []   # CPU used by other processes during the run, % of the machine
        self.results = []
        self.stdout = []

    def run_once(self):
        cmd = list(self.cmd) + (self.first_extra if not self.results else [])
        with tempfile.NamedTemporaryFile("r", suffix=".rss") as tf:
            full = ["/usr/bin/time", "-f", "%M %U %S", "-o", tf.name] + cmd
            b0 = busy_cpu_s()
            t0 = time.perf_counter()
            p = subprocess.run(full, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               cwd=ROOT, text=True)
            wall = time.perf_counter() - t0
            b1 = busy_cpu_s()
            rss = tf.read().strip().splitlines()
        if p.returncode != 0:
            raise RuntimeError(f"{self.name} failed (exit {p.returncode}): {' '.join(cmd)}\n"
                               f"{p.stderr[-3000:]}")
        res = None
        for line in p.stdout.splitlines():
            if line.startswith("RESULT "):
                res = json.loads(line[7:])
        self.results.append(res or {})
        self.stdout.append(p.stdout)
        self.wall.append(wall)
        fields = rss[-1].split() if rss else []
        ok = len(fields) == 3
        self.rss_kb.append(int(fields[0]) if ok else -1)
        self.cpu.append(float(fields[1]) + float(fields[2]) if ok else -1.0)
        self.op.append(res["op_s"] if res and "op_s" in res else wall)
        if b0 is not None and b1 is not None and self.cpu[-1] >= 0:
            other = (b1 - b0) - self.cpu[-1]
            self.other.append(max(0.0, min(100.0, 100.0 * other / (wall * (os.cpu_count() or 1)))))


def busy_cpu_s():
    """CPU seconds spent by everything on the machine so far (/proc/stat)."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    # user nice system idle iowait irq softirq steal ...: all but idle and iowait
    busy = sum(v) - v[3] - (v[4] if len(v) > 4 else 0)
    return busy / os.sysconf("SC_CLK_TCK")


def cpu_pressure():
    """Share of the last 10 s in which some runnable task waited for a CPU
    (Linux PSI), in percent; None where the kernel does not report it."""
    try:
        with open("/proc/pressure/cpu") as f:
            for line in f:
                if line.startswith("some "):
                    return float(line.split("avg10=")[1].split()[0])
    except (OSError, IndexError, ValueError):
        pass
    return None


PRESSURE = []   # CPU pressure seen before each run
STALLED = []    # benchmarks with CPU contention during some run
SETTLE = {"max_s": 0.0, "below": 5.0}


def settle():
    """Waits (up to SETTLE['max_s'] seconds) for other processes to leave the CPUs."""
    t0 = time.perf_counter()
    p = cpu_pressure()
    while p is not None and p > SETTLE["below"] and time.perf_counter() - t0 < SETTLE["max_s"]:
        time.sleep(2.0)
        p = cpu_pressure()
    if p is not None:
        PRESSURE.append(p)


def interleave(sides, runs, label):
    for r in range(runs):
        for s in sides:
            settle()
            s.run_once()
            log(f"  {label} run {r + 1}/{runs} {s.name}: {s.op[-1]:.3f} s op, {s.wall[-1]:.3f} s wall"
                + (f", other processes {s.other[-1]:.0f}% of the CPUs" if s.other else ""))


def med(v):
    return statistics.median(v)


def fmt_s(v):
    return f"{v:.3f} s" if v < 10 else f"{v:.2f} s" if v < 100 else f"{v:.1f} s"


def fmt_mib(kb):
    return f"{kb / 1024:.0f} MiB" if kb >= 0 else "?"


def spread(v):
    return f"{min(v):.3f}–{max(v):.3f} s" if len(v) > 1 else f"{v[0]:.3f} s"


# ---------------------------------------------------------------- machine info

def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              timeout=60).stdout.strip()
    except Exception as e:  # noqa: BLE001 - informational only
        return f"? ({e})"


def machine_info(build):
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kb = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    probe = ("import json, numpy, scipy, sklearn, pandas, threadpoolctl\n"
             "from threadpoolctl import threadpool_info\n"
             "print(json.dumps({'numpy': numpy.__version__, 'scipy': scipy.__version__, "
             "'sklearn': sklearn.__version__, 'pandas': pandas.__version__, "
             "'threadpoolctl': threadpoolctl.__version__, 'pools': threadpool_info()}))")
    p = subprocess.run([PY, "-c", probe], env=base_env(THREADS), stdout=subprocess.PIPE, text=True, check=True)
    v = json.loads(p.stdout)
    blas = [d for d in v["pools"] if d.get("user_api") == "blas"]
    blas_s = "; ".join(f"{d.get('internal_api')} {d.get('version')} ({d.get('threading_layer')}, "
                       f"{d.get('architecture')} kernels, {d.get('num_threads')} threads) {d.get('filepath')}"
                       for d in blas) or "none found"
    mm_blas = sh(f"ldd {build}/mmfuse | grep -i blas | awk '{{print $3}}' | xargs -r readlink -f")
    cache = {}
    try:
        with open(f"{build}/CMakeCache.txt") as f:
            for line in f:
                m = re.match(r"^(CMAKE_BUILD_TYPE|CMAKE_C_COMPILER):[A-Z]+=(.*)$", line.strip())
                if m:
                    cache[m.group(1)] = m.group(2)
    except OSError:
        pass
    cc = sh(f"{cache.get('CMAKE_C_COMPILER', 'cc')} --version | head -1")
    return {
        "cpu": cpu, "cores": os.cpu_count(), "mem_gib": mem_kb / 1048576, "kernel": platform.release(),
        "load": os.getloadavg(), "python": platform.python_version(), "versions": v, "blas": blas_s,
        "mm_blas": mm_blas or "?", "mm_version": sh(f"{build}/mmfuse --version"),
        "build_type": cache.get("CMAKE_BUILD_TYPE", "?"), "cc": cc,
    }


# ---------------------------------------------------------------- data

def ensure(path, stamp, make):
    """Runs make() unless path exists with the same stamp (data parameters)."""
    sfile = path + ".stamp"
    if os.path.exists(path) and os.path.exists(sfile):
        with open(sfile) as f:
            if f.read() == stamp:
                return
    make()
    with open(sfile, "w") as f:
        f.write(stamp)


def make_data(a, out):
    env = base_env(THREADS)
    docs = f"{out}/docs_{a.docs}.txt"
    ensure(docs, f"docs={a.docs} seed=7 v1", lambda: subprocess.run(
        [PY, f"{HERE}/gen_docs.py", docs, "--docs", str(a.docs), "--seed", "7"], env=env, check=True))
    lr_dir = f"{out}/logreg_{a.lr_rows}x{a.lr_dims}_{a.lr_sparse_rows}"
    os.makedirs(lr_dir, exist_ok=True)
    ensure(f"{lr_dir}/dense_X.npy", f"{a.lr_rows} {a.lr_dims} {a.lr_sparse_rows} {docs} v1",
           lambda: subprocess.run([PY, f"{HERE}/gen_logreg.py", lr_dir, "--docs", docs, "--rows", str(a.lr_rows),
                                   "--dims", str(a.lr_dims), "--sparse-rows", str(a.lr_sparse_rows)],
                                  env=env, check=True))
    csvs = [("bundled demo", os.path.join(ROOT, "data/demo/products.csv"))]
    if a.eval_rows:
        big = f"{out}/demo_{a.eval_rows}.csv"
        ensure(big, f"rows={a.eval_rows} seed=2024 {os.path.getmtime(a.build + '/mmfuse_demo_data')}",
               lambda: subprocess.run([f"{a.build}/mmfuse_demo_data", big, "--rows", str(a.eval_rows),
                                       "--seed", "2024"], check=True))
        csvs.append(("generated demo", big))
    return docs, lr_dir, csvs


# ---------------------------------------------------------------- checks

def compare_tfidf(dump):
    with open(f"{dump}/mm_vocab.txt", encoding="utf-8") as f:
        mv = f.read().split("\n")[:-1]
    with open(f"{dump}/sk_vocab.txt", encoding="utf-8") as f:
        sv = f.read().split("\n")[:-1]
    same = mv == sv
    note = f"vocabulary identical: {'yes' if same else 'no'} ({len(mv)} mmfuse terms, {len(sv)} scikit-learn terms)"
    if not same:
        ms, ss = set(mv), set(sv)
        only_m, only_s = sorted(ms - ss), sorted(ss - ms)
        note += (f"; {len(only_m)} only in mmfuse (e.g. {only_m[:5]}), {len(only_s)} only in scikit-learn "
                 f"(e.g. {only_s[:5]})")
        return note
    ip = [np.load(f"{dump}/{s}_indptr.npy") for s in ("mm", "sk")]
    ix = [np.load(f"{dump}/{s}_indices.npy") for s in ("mm", "sk")]
    if np.array_equal(ip[0], ip[1]) and np.array_equal(ix[0], ix[1]):
        d = np.abs(np.load(f"{dump}/mm_data.npy").astype(np.float64) - np.load(f"{dump}/sk_data.npy"))
        note += (f"; same sparsity pattern ({ip[0][-1]} nonzeros), max |value difference| {d.max():.1e} "
                 f"(mmfuse stores float32)")
    else:
        note += "; sparsity patterns differ"
    return note


def objective(X, y, coef, intercept, C):
    """scikit-learn's lbfgs objective: sum of losses + ||W||^2 / (2C)."""
    Z = np.asarray(X @ coef.T) + intercept
    if coef.shape[0] == 1:
        z = Z[:, 0]
        yb = (y == 1).astype(np.float64)
        loss = np.sum(np.logaddexp(0.0, z) - yb * z)
    else:
        zmax = Z.max(axis=1, keepdims=True)
        lse = np.log(np.exp(Z - zmax).sum(axis=1)) + zmax[:, 0]
        loss = np.sum(lse - Z[np.arange(len(y)), y])
    return float(loss + np.sum(coef * coef) / (2.0 * C))


def compare_logreg(kind, lr_dir, dump, mm_res, sk_res):
    sys.path.insert(0, HERE)
    from peer_logreg import load  # noqa: E402 - same loader as the peer
    X, y = load(kind, lr_dir)
    f = {}
    coefs = {}
    for s in ("mm", "sk"):
        coef = np.load(f"{dump}/{s}_{kind}_coef.npy")
        icpt = np.load(f"{dump}/{s}_{kind}_intercept.npy")
        coefs[s] = coef
        f[s] = objective(X, y, coef, icpt, 1.0)
    rel = abs(f["mm"] - f["sk"]) / abs(f["sk"])
    return (f"objective (numpy, sum of log-losses + ||W||²/2C, from each side's coef/intercept): "
            f"mmfuse {f['mm']:.10g}, scikit-learn {f['sk']:.10g} (relative difference {rel:.1e}); "
            f"iterations mmfuse {mm_res.get('n_iter')} / scikit-learn {sk_res.get('n_iter')}; "
            f"max |coef difference| {np.abs(coefs['mm'] - coefs['sk']).max():.1e}")


def mm_eval_accuracy(stdout):
    try:
        j = json.loads(stdout)
    except ValueError:
        return {}
    return {r["model"]: r["accuracy_mean"] for r in j.get("results", [])}


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--quick", action="store_true", help="small inputs: a smoke run of about a minute")
    ap.add_argument("--runs", type=int, help="runs per side (default 3)")
    ap.add_argument("--out", default=os.path.join(HERE, "out"))
    ap.add_argument("--docs", type=int, help="TF-IDF corpus size (200000; quick 20000)")
    ap.add_argument("--eval-rows", type=int, help="rows of the larger evaluate data set (10000; quick 0 = skip)")
    ap.add_argument("--peer-eval-jobs", type=int, default=2,
                    help="n_jobs of the evaluate peer (2: its best measured setup)")
    ap.add_argument("--peer-eval-blas", type=int,
                    help="BLAS threads of the evaluate peer (default 1 with n_jobs > 1, else 2)")
    ap.add_argument("--only", help="comma-separated subset: tfidf,logreg,evaluate")
    ap.add_argument("--settle", type=float, default=0.0,
                    help="before each run, wait up to this many seconds for the CPU pressure of other "
                         "processes (/proc/pressure/cpu, avg10) to fall below 5%% (0 = do not wait)")
    ap.add_argument("--mm-env", action="append", default=[], metavar="KEY=VALUE",
                    help="extra environment for the mmfuse side only (e.g. OMP_WAIT_POLICY=passive); "
                         "named in the results header")
    a = ap.parse_args()
    SETTLE["max_s"] = a.settle
    a.build = os.path.abspath(a.build)
    a.runs = a.runs or 3
    if not a.peer_eval_blas:
        a.peer_eval_blas = 1 if a.peer_eval_jobs > 1 else THREADS
    q = a.quick
    a.docs = a.docs or (20000 if q else 200000)
    a.eval_rows = a.eval_rows if a.eval_rows is not None else (0 if q else 10000)
    a.lr_rows, a.lr_dims, a.lr_sparse_rows = (4000, 200, 4000) if q else (20000, 600, 20000)
    only = set((a.only or "tfidf,logreg,evaluate").split(","))
    os.makedirs(a.out, exist_ok=True)
    for exe in ("mmfuse", "mmfuse_demo_data", "bench/bench_tfidf", "bench/bench_logreg"):
        if not os.access(f"{a.build}/{exe}", os.X_OK):
            sys.exit(f"suite: {a.build}/{exe} is missing: build first (cmake --build {a.build})")
    if not os.access("/usr/bin/time", os.X_OK):
        sys.exit("suite: /usr/bin/time is missing (Debian package `time`)")

    t_start = time.perf_counter()
    info = machine_info(a.build)
    log(f"suite: build {a.build} ({info['build_type']}), {a.runs} runs per side, "
        f"load average {info['load'][0]:.2f}")
    log("suite: preparing data in " + a.out)
    docs, lr_dir, csvs = make_data(a, a.out)
    dump = os.path.join(a.out, "dump")
    os.makedirs(dump, exist_ok=True)

    env = base_env(THREADS)
    mm_env = dict(env)
    for kv in a.mm_env:
        k, _, val = kv.partition("=")
        mm_env[k] = val
    rows = []   # (label, target, mm Side, peer Side, time kind)
    notes = []

    if "tfidf" in only:
        label = f"TF-IDF fit+transform, {a.docs // 1000}k docs, 1-2-grams, 5000 terms"
        log("suite: " + label)
        mm = Side("mmfuse", [f"{a.build}/bench/bench_tfidf", docs, "--threads", str(THREADS)], mm_env,
                  ["--dump", dump])
        sk = Side("scikit-learn", [PY, f"{HERE}/peer_tfidf.py", docs], env, ["--dump", dump])
        interleave([mm, sk], a.runs, "tfidf")
        rows.append((label, 10, mm, sk, "op"))
        notes.append(f"TF-IDF: {compare_tfidf(dump)}.")

    if "logreg" in only:
        for kind in ("dense", "sparse"):
            if kind == "dense":
                label = f"logistic regression fit, dense {a.lr_rows // 1000}k x {a.lr_dims}, 4 classes"
            else:
                shape = np.load(f"{lr_dir}/sparse_shape.npy")
                label = (f"logistic regression fit, sparse TF-IDF {shape[0] // 1000}k x {shape[1]}, "
                         f"4 classes")
            log("suite: " + label)
            mm = Side("mmfuse", [f"{a.build}/bench/bench_logreg", kind, lr_dir, "--threads", str(THREADS)],
                      mm_env,
                      ["--out", dump])
            sk = Side("scikit-learn", [PY, f"{HERE}/peer_logreg.py", kind, lr_dir], env, ["--out", dump])
            interleave([mm, sk], a.runs, "logreg-" + kind)
            rows.append((label, 2, mm, sk, "op"))
            notes.append(f"logistic regression ({kind}): "
                         f"{compare_logreg(kind, lr_dir, dump, mm.results[0], sk.results[0])}.")

    if "evaluate" in only:
        peer_env = base_env(a.peer_eval_blas)
        for name, csv in csvs:
            n = sum(1 for _ in open(csv, encoding="utf-8")) - 1
            label = f"`evaluate` vs the article's pipeline, {name} data ({n} rows, text + tabular), end to end"
            log("suite: " + label)
            cmd = [f"{a.build}/mmfuse", "evaluate", csv, "--target", "category", "--threads", str(THREADS),
                   "--json", "-q"]
            with open(csv, encoding="utf-8") as f:
                header = f.readline().strip().split(",")
            unused = [c for c in header if c not in PEER_COLUMNS]
            if unused:  # e.g. the demo's photo and sound columns: the peer has no image/audio step
                cmd += ["--ignore", ",".join(unused)]
            mm = Side("mmfuse --no-stacking", cmd + ["--no-stacking"], mm_env)
            mm_full = Side("mmfuse", cmd, mm_env)
            sk = Side("python", [PY, f"{HERE}/peer_article_evaluate.py", csv, "--n-jobs",
                                 str(a.peer_eval_jobs)], peer_env)
            interleave([mm, sk, mm_full], a.runs, "evaluate " + name)
            rows.append((label + ": the same 4 models (`--no-stacking`)", 10, mm, sk, "wall"))
            rows.append((label + ": mmfuse defaults (+ weighted and stacked late fusion)", 10, mm_full, sk,
                         "wall"))
            acc_m = mm_eval_accuracy(mm_full.stdout[0])
            acc_p = sk.results[0].get("accuracy", {})
            notes.append(
                f"evaluate {name}: " + (f"mmfuse runs with `--ignore {','.join(unused)}` (the peer has no image "
                                        f"or audio step); " if unused else "") +
                f"peer time without interpreter start-up and imports "
                f"{fmt_s(med(sk.op))} (ratio {med(sk.op) / med(mm.wall):.1f}x against mmfuse's whole "
                f"`--no-stacking` process); accuracies mmfuse "
                f"{{{', '.join(f'{k}: {v:.3f}' for k, v in acc_m.items())}}}, "
                f"peer {{{', '.join(f'{k}: {v:.3f}' for k, v in acc_p.items())}}}.")

    # ------------------------------------------------------------ report
    v = info["versions"]
    lines = [
        "# mmfuse benchmarks",
        "",
        f"- machine: {info['cpu']}, {info['cores']} cores, {info['mem_gib']:.0f} GiB, Linux {info['kernel']}; "
        f"load average at start {info['load'][0]:.2f} / {info['load'][1]:.2f} / {info['load'][2]:.2f}",
        f"- mmfuse {info['mm_version'].replace('mmfuse ', '')} ({info['build_type']} build, {info['cc']}), "
        f"BLAS {info['mm_blas']}",
        f"- Python {info['python']}: numpy {v['numpy']}, scipy {v['scipy']}, scikit-learn {v['sklearn']}, "
        f"pandas {v['pandas']}; numpy's BLAS (threadpoolctl {v['threadpoolctl']}): {info['blas']}",
        f"- threads: {THREADS} on both sides (OMP_NUM_THREADS={THREADS}, OPENBLAS_NUM_THREADS={THREADS}, "
        f"mmfuse --threads {THREADS}); the evaluate peer runs "
        + (f"n_jobs={a.peer_eval_jobs} worker processes with {a.peer_eval_blas} BLAS thread(s) each"
           + (" (its fastest setup on the larger data, see bench/README.md)"
              if (a.peer_eval_jobs, a.peer_eval_blas) == (2, 1) else "")),
        f"- {a.runs} runs per side, interleaved; median shown; ratio = peer time / mmfuse time"
        + (f"; extra environment of the mmfuse side: {' '.join(a.mm_env)}" if a.mm_env else ""),
        "",
        "| benchmark | mmfuse | python peer | ratio | peak RSS mmfuse | peak RSS peer |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    verdicts = []
    for label, target, mm, sk, kind in rows:
        tm = med(mm.wall if kind == "wall" else mm.op)
        tp = med(sk.wall if kind == "wall" else sk.op)
        ratio = tp / tm
        lines.append(f"| {label} | {fmt_s(tm)} | {fmt_s(tp)} | {ratio:.1f}x | {fmt_mib(max(mm.rss_kb))} | "
                     f"{fmt_mib(max(sk.rss_kb))} |")
        verdict = "met" if ratio >= target else f"MISSED by {target / ratio:.2f}x"
        contention = ""
        if max(mm.other + sk.other + [0.0]) > 25:
            contention = ("; CPU share used by other processes during each run: "
                          f"mmfuse {', '.join(f'{x:.0f}%' for x in mm.other)}, "
                          f"peer {', '.join(f'{x:.0f}%' for x in sk.other)}")
            STALLED.append(label)
        verdicts.append(f"{label}: target >= {target}x, measured {ratio:.1f}x ({verdict}); runs mmfuse "
                        f"{spread(mm.wall if kind == 'wall' else mm.op)}, peer "
                        f"{spread(sk.wall if kind == 'wall' else sk.op)}; whole-process CPU time (user+sys, "
                        f"median) mmfuse {med(mm.cpu):.2f} s, peer {med(sk.cpu):.2f} s{contention}")
    lines += ["", "Targets:", ""] + [f"- {s}" for s in verdicts]
    lines += ["", "Checks:", ""] + [f"- {s}" for s in notes]
    pressure = ""
    if PRESSURE:
        pressure = (f"; CPU pressure from other processes before the runs (PSI some avg10): median "
                    f"{med(PRESSURE):.0f}%, max {max(PRESSURE):.0f}%")
    lines += ["", f"Suite wall time {time.perf_counter() - t_start:.0f} s; load average at end "
              f"{os.getloadavg()[0]:.2f}{pressure}."]
    if STALLED or (PRESSURE and med(PRESSURE) > 20):
        which = f" ({len(STALLED)} of {len(rows)} benchmarks: see the contention figures above)" if STALLED else ""
        lines += ["", f"**Warning: other processes competed for the CPUs during these runs{which}; threads "
                  "that spin-wait for each other (OpenMP in mmfuse, OpenBLAS in numpy) lose scheduler time "
                  "slices, so the times of those runs are inflated and erratic. Rerun on a quiet machine.**"]
    text = "\n".join(lines) + "\n"
    print(text)
    with open(os.path.join(a.out, "results.md"), "w", encoding="utf-8") as f:
        f.write(text)
    log(f"suite: wrote {os.path.join(a.out, 'results.md')}")
    shutil.rmtree(dump, ignore_errors=True)


if __name__ == "__main__":
    main()
