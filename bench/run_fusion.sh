#!/usr/bin/env bash
# Fusion benchmark: `mmfuse evaluate` with every fusion row (singles, early,
# late average / weighted / stacked, 5-fold stratified CV, inner 5-fold for
# the weights and the stacker) against the same evaluation written with
# scikit-learn 1.2 (bench/peer_fusion.py), on one CSV of 20,000 rows x
# (text -> TF-IDF 5,000 terms, 2,048 dense columns, 30 tabular columns),
# 4 classes (bench/gen_fusion.py, seed 11).
#
#   bench/run_fusion.sh [BUILD_DIR] [--quick] [--rows N] [--runs N]
#                       [--peer-jobs N[,N...]]
#
# BUILD_DIR is a Release build (default ./build) holding `mmfuse`; nothing is
# built here. The default run takes about 8-10 minutes on 2 cores (mmfuse
# 2.5-4 min, the peer with n_jobs=2 5 min; n_jobs=1 adds 10 min).
# --quick: 2,000 rows, a smoke run of about 3 minutes. --runs N: N
# runs per side, interleaved (mm sk sk mm ...); default 1 (each side takes
# minutes at 20,000 rows). --peer-jobs: the peer's n_jobs (default 2, its
# fastest setup on 2 cores: forked workers with 1 BLAS thread each; 1 = one
# process with 2 BLAS threads); with a list (1,2) each is run and the table
# uses the fastest.
# Both sides: OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2, mmfuse --threads 2,
# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset. Timed: the whole process, as
# the user waits (start-up, imports, CSV reading: everything). Memory: peak
# RSS (/usr/bin/time -f %M, the largest single process) and the peak of the
# process tree's summed PSS, sampled once a second (counts the peer's workers).
# Output: a markdown table, also written to bench/out/fusion_results.md; the
# raw measurements go to bench/out/fusion_runs.jsonl.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
build="$root/build"
rows=20000
runs=1
jobs=2
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) sed -n '2,/^set -e/{/^#/p}' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --quick) rows=2000; shift ;;
    --rows) rows="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --peer-jobs) jobs="$2"; shift 2 ;;
    -*) echo "run_fusion.sh: unknown option $1" >&2; exit 2 ;;
    *) build="$1"; shift ;;
  esac
done
exe="$build/mmfuse"
[ -x "$exe" ] || { echo "run_fusion.sh: $exe not found (build $build in Release first)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "run_fusion.sh: /usr/bin/time is missing (apt-get install time)" >&2; exit 2; }
py=/usr/bin/python3
out="$root/bench/out"
mkdir -p "$out"

unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE OPENBLAS_VERBOSE GOMP_SPINCOUNT OMP_WAIT_POLICY
export OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 MKL_NUM_THREADS=2

data="$out/fusion_${rows}.csv"
stamp="$data.stamp"
want="$(sha1sum "$here/gen_fusion.py" | cut -c1-40) rows=$rows seed=11"
if [ ! -f "$data" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  "$py" "$here/gen_fusion.py" "$data" --rows "$rows" --seed 11
  echo "$want" > "$stamp"
fi

exec "$py" - "$exe" "$data" "$out" "$runs" "$jobs" "$here/peer_fusion.py" <<'EOF'
import json, os, subprocess, sys, threading, time
exe, data, out, runs, jobs, peer = sys.argv[1:7]
runs = int(runs)
jobs = [int(j) for j in jobs.split(",")]
THREADS = 2

def loadavg():
    return open("/proc/loadavg").read().split()[:3]

def tree(pid):
    """pid and all its descendants (via /proc/PID/task/TID/children)."""
    todo, seen = [pid], []
    while todo:
        p = todo.pop()
        seen.append(p)
        try:
            for tid in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{tid}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return seen

def pss_kb(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0

def measure(cmd, stdout_path):
    """Runs cmd under /usr/bin/time; returns wall, %M, CPU and the sampled tree PSS peak."""
    tfile = stdout_path + ".time"
    la = loadavg()
    with open(stdout_path, "w") as so:
        p = subprocess.Popen(["/usr/bin/time", "-o", tfile, "-f", "%e %M %U %S"] + cmd, stdout=so,
                             stderr=subprocess.PIPE, text=True)
        peak = [0]
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                kids = tree(p.pid)[1:]  # the command and its workers, not time itself
                peak[0] = max(peak[0], sum(pss_kb(k) for k in kids))
                stop.wait(1.0)

        th = threading.Thread(target=sample, daemon=True)
        th.start()
        _, err = p.communicate()
        stop.set()
        th.join()
    if p.returncode != 0:
        sys.exit(f"run_fusion.sh: {' '.join(cmd)} failed ({p.returncode}):\n{err[-2000:]}")
    wall, maxrss, user, sys_ = open(tfile).read().split()[-4:]
    return {"wall_s": float(wall), "maxrss_kb": int(maxrss), "cpu_s": float(user) + float(sys_),
            "pss_peak_kb": peak[0], "load_before": la}

mm_cmd = [exe, "evaluate", data, "--target", "label", "--text", "text", "--group", "dense=d*",
          "--numeric", "t[0-9]*", "--no-infer", "--max-features", "5000", "--threads", str(THREADS),
          "--no-cache", "--json", "-q"]

def peer_cmd(j):
    return ["/usr/bin/python3", peer, data, "--max-features", "5000", "--n-jobs", str(j),
            "--blas-threads", str(THREADS), "--json", f"{out}/fusion_peer_{j}.json"]

probe = subprocess.run(["/usr/bin/python3", "-c",
    "import json, numpy, scipy, sklearn, threadpoolctl\n"
    "from threadpoolctl import threadpool_info\n"
    "print(json.dumps({'numpy': numpy.__version__, 'scipy': scipy.__version__, 'sklearn': sklearn.__version__,"
    " 'pools': threadpool_info()}))"], capture_output=True, text=True, check=True)
info = json.loads(probe.stdout)
blas = [p for p in info["pools"] if p.get("user_api") == "blas"]
blas_s = "; ".join(f"{p['internal_api']} {p.get('version')} ({p.get('threading_layer')}, {p['num_threads']} threads, "
                   f"{os.path.basename(p['filepath'])})" for p in blas)
ldd = subprocess.run(["ldd", exe], capture_output=True, text=True).stdout
mm_blas = ", ".join(l.split()[2] for l in ldd.splitlines() if "blas" in l.lower() and "=>" in l) or "none"
la_start = loadavg()
print(f"fusion benchmark: {data} ({os.path.getsize(data) / 2**20:.0f} MiB), {runs} run(s) per side, "
      f"peer n_jobs {jobs}; load average at start {' '.join(la_start)}", file=sys.stderr, flush=True)

log = open(f"{out}/fusion_runs.jsonl", "w")
meas = {"mm": []}
for j in jobs:
    meas[f"sk{j}"] = []
sides = list(meas)
for r in range(runs):
    order = sides if r % 2 == 0 else sides[::-1]
    for side in order:
        cmd = mm_cmd if side == "mm" else peer_cmd(int(side[2:]))
        so = f"{out}/fusion_{side}.out"
        print(f"  run {r + 1}: {side} ...", file=sys.stderr, flush=True)
        m = measure(cmd, so)
        if side == "mm":
            res = json.load(open(so))
            m["acc"] = {x["model"]: x["accuracy_mean"] for x in res["results"]}
            m["logloss"] = {x["model"]: x["log_loss"] for x in res["results"]}
            m["dims"] = {b["name"]: b["dim"] for b in res["blocks"]}
            m["rows"] = res["rows"]
        else:
            res = json.loads([l for l in open(so) if l.startswith("RESULT ")][-1][7:])
            m["acc"] = {x["model"]: x["acc_mean"] for x in res["results"]}
            m["logloss"] = {x["model"]: x["log_loss"] for x in res["results"]}
            m["load_s"], m["import_s"], m["op_s"] = res["load_s"], res["import_s"], res["op_s"]
            m["n_iter"] = res["n_iter"]
        print(f"    wall {m['wall_s']:.1f} s, cpu {m['cpu_s']:.1f} s, peak RSS {m['maxrss_kb'] / 1024:.0f} MiB, "
              f"tree PSS {m['pss_peak_kb'] / 1024:.0f} MiB", file=sys.stderr, flush=True)
        meas[side].append(m)
        log.write(json.dumps({"side": side, "run": r, **m}) + "\n")
log.close()
la_end = loadavg()

def med(xs):
    xs = sorted(xs)
    k = len(xs)
    return xs[k // 2] if k % 2 else (xs[k // 2 - 1] + xs[k // 2]) / 2

best = min((s for s in sides if s != "mm"), key=lambda s: med([m["wall_s"] for m in meas[s]]))
mm, sk = meas["mm"], meas[best]
J = int(best[2:])
wall_mm, wall_sk = med([m["wall_s"] for m in mm]), med([m["wall_s"] for m in sk])
wall_sk_noload = med([m["wall_s"] - m["load_s"] for m in sk])
cpu_mm, cpu_sk = med([m["cpu_s"] for m in mm]), med([m["cpu_s"] for m in sk])
mem_mm = max(max(m["maxrss_kb"], m["pss_peak_kb"]) for m in mm) / 1024
mem_sk = max(max(m["maxrss_kb"], m["pss_peak_kb"]) for m in sk) / 1024
rss_mm, rss_sk = max(m["maxrss_kb"] for m in mm) / 1024, max(m["maxrss_kb"] for m in sk) / 1024
pss_mm, pss_sk = max(m["pss_peak_kb"] for m in mm) / 1024, max(m["pss_peak_kb"] for m in sk) / 1024
dims = mm[0]["dims"]
n_rows = mm[0]["rows"]
L = []
L.append(f"### `mmfuse evaluate` vs scikit-learn {info['sklearn']}: all fusion rows")
L.append("")
L.append(f"Data: `{os.path.basename(data)}` ({n_rows} rows): blocks " + ", ".join(f"{k} {v}" for k, v in dims.items()) +
         "; 4 classes; 5-fold stratified CV, inner 5-fold for the weights and the stacker.")
L.append("")
L.append(f"| measure | mmfuse | scikit-learn (n_jobs={J}) | ratio |")
L.append("|---|---|---|---|")
L.append(f"| wall time, whole process (s) | {wall_mm:.1f} | {wall_sk:.1f} | **{wall_sk / wall_mm:.2f}x** faster |")
L.append(f"| wall time, peer without CSV loading (s) | {wall_mm:.1f} | {wall_sk_noload:.1f} | "
         f"{wall_sk_noload / wall_mm:.2f}x faster |")
L.append(f"| CPU time, user + sys (s) | {cpu_mm:.1f} | {cpu_sk:.1f} | {cpu_sk / cpu_mm:.2f}x less |")
L.append(f"| peak memory (MiB): max of the two below | {mem_mm:.0f} | {mem_sk:.0f} | "
         f"**{mem_mm / mem_sk:.2f}** of the peer's |")
L.append(f"| &nbsp; peak RSS, largest process (`time -f %M`) | {rss_mm:.0f} | {rss_sk:.0f} | {rss_mm / rss_sk:.2f} |")
L.append(f"| &nbsp; peak process-tree PSS (sampled 1/s) | {pss_mm:.0f} | {pss_sk:.0f} | {pss_mm / pss_sk:.2f} |")
speed_ok = wall_sk / wall_mm >= 5
mem_ok = mem_mm <= mem_sk / 2
L.append(f"| target: >= 5x faster, <= 1/2 the memory | | | speed {'met' if speed_ok else 'MISSED'}, "
         f"memory {'met' if mem_ok else 'MISSED'} |")
L.append("")
L.append("| model | mmfuse accuracy | sklearn accuracy | Δ | mmfuse log loss | sklearn log loss |")
L.append("|---|---|---|---|---|---|")
for name, a_mm in mm[0]["acc"].items():
    a_sk = sk[0]["acc"].get(name, float("nan"))
    L.append(f"| {name} | {a_mm:.4f} | {a_sk:.4f} | {a_mm - a_sk:+.4f} | {mm[0]['logloss'][name]:.4f} | "
             f"{sk[0]['logloss'].get(name, float('nan')):.4f} |")
L.append("")
notes = []
notes.append(f"runs per side: {runs} (interleaved; median shown); peer n_jobs tried: "
             + ", ".join(f"{s[2:]} -> {med([m['wall_s'] for m in meas[s]]):.1f} s, "
                         f"{max(max(m['maxrss_kb'], m['pss_peak_kb']) for m in meas[s]) / 1024:.0f} MiB"
                         for s in sides if s != "mm")
             + f"; the table uses n_jobs={J}")
notes.append(f"threads: 2 each side (OMP_NUM_THREADS=2, OPENBLAS_NUM_THREADS=2, mmfuse --threads 2; peer "
             + ("1 process, 2 BLAS threads" if J == 1 else f"{J} forked workers x 1 BLAS thread") + ")")
notes.append(f"numpy {info['numpy']}, scipy {info['scipy']}, scikit-learn {info['sklearn']}; numpy's BLAS "
             f"(threadpoolctl): {blas_s}; mmfuse links {mm_blas}")
notes.append(f"peer: CSV loading {med([m['load_s'] for m in sk]):.1f} s, imports {med([m['import_s'] for m in sk]):.1f} s; "
             f"L-BFGS iterations (mean per fit): " +
             ", ".join(f"{k} {sum(v) / len(v):.0f}" for k, v in sk[0]["n_iter"].items()))
notes.append(f"load average: start {' '.join(la_start)}, end {' '.join(la_end)} (2 cores); "
             "per run: " + "; ".join(f"{m_side} {' '.join(m['load_before'])}" for m_side in sides
                                     for m in meas[m_side]))
notes.append("peak memory of a side = the larger of its peak RSS and its sampled process-tree PSS peak "
             "(the PSS sum counts the peer's worker processes, which %M does not)")
for n_ in notes:
    L.append(f"- {n_}")
text = "\n".join(L)
print(text)
open(f"{out}/fusion_results.md", "w").write(text + "\n")
EOF
