"""Results do not depend on the thread count, and bad settings fail first.

1. On the demo data with image and audio files (so the per-file blocks
   computed once for the run are shared by every fold and inner fold),
   `evaluate --json` and its out-of-fold probabilities (--save-oof), with
   stacking and --balance-dim (PCA through BLAS), `analyze --json`,
   `train` (late:stacked, with inner folds) -> `predict --proba`, and
   `extract --scale`, are byte-identical on 1, 2 and 3 threads. Any
   dependence on timing or on the order in which the pool's tasks finish
   would show here as a difference in the last digits.
2. A bad per-block setting (--missing, --late-weights, --fusion single:X)
   is a usage error (exit 2) whose message names the bad part, reported
   before any encoder runs: the feature cache directory, which the image
   and audio encoders create on their first file, is never created."""
import os, subprocess, sys, tempfile

build = os.environ["MMFUSE_BUILD"]
mmfuse = os.path.join(build, "mmfuse")
tmp = tempfile.mkdtemp(prefix="mmfuse-threads-")
passed = failed = 0


def check(cond, what):
    global passed, failed
    passed += bool(cond)
    failed += not cond
    if not cond:
        print("FAIL:", what)


def run(*args, code=0, env=None):
    p = subprocess.run([mmfuse, *args], capture_output=True, text=True, env=env)
    check(p.returncode == code, f"mmfuse {' '.join(args)} -> {p.returncode} (expected {code}): {p.stderr[:400]}")
    check("runtime error" not in p.stderr and "AddressSanitizer" not in p.stderr, "sanitizer report")
    return p


def read(path):
    with open(path, "rb") as f:
        return f.read()


data = os.path.join(tmp, "products.csv")
subprocess.run([os.path.join(build, "mmfuse_demo_data"), data, "--rows", "150", "--media"], check=True,
               capture_output=True)
common = ("--target", "category", "--no-cache", "-q")

outs = {}
for t in ("1", "2", "3"):
    o = {}
    oof = os.path.join(tmp, f"oof{t}.csv")
    o["evaluate"] = run("evaluate", data, *common, "--json", "--threads", t, "--save-oof", oof,
                        "--inner-folds", "3").stdout
    o["oof"] = read(oof)
    o["evaluate_pca"] = run("evaluate", data, *common, "--json", "--threads", t, "--balance-dim", "6",
                            "--missing", "mean", "--late-weights", "tabular=2,text:title=1", "--folds", "3",
                            "--no-stacking").stdout
    o["analyze"] = run("analyze", data, *common, "--json", "--threads", t, "--folds", "3").stdout
    model = os.path.join(tmp, f"m{t}.mmf")
    run("train", data, *common, "--threads", t, "--fusion", "late:stacked", "--inner-folds", "3", "-o", model)
    o["model"] = read(model)
    o["predict"] = run("predict", model, data, "--proba", "-q").stdout
    npy = os.path.join(tmp, f"x{t}.npy")
    run("extract", data, "--target", "category", "--no-cache", "-q", "--threads", t, "--scale", "--balance-dim", "8", "-o", npy)
    o["extract"] = read(npy)
    outs[t] = o

for key in outs["1"]:
    check(len(outs["1"][key]) > 0, f"{key}: empty output")
    for t in ("2", "3"):
        check(outs[t][key] == outs["1"][key], f"{key}: {t} threads differ from 1 thread")
check(b'"late fusion (stacked)"' in outs["1"]["evaluate"].encode(), "the evaluation has the stacked row")

# bad settings: usage errors naming the bad part, before any file is encoded
cache = os.path.join(tmp, "cache")
env = dict(os.environ, MMFUSE_CACHE_DIR=cache)
bad = [
    (("evaluate", data, "--target", "category", "--missing", "text:title=bogus,nosuch=zero"), "'bogus'"),
    (("evaluate", data, "--target", "category", "--missing", "nosuch=zero"), "'nosuch'"),
    (("evaluate", data, "--target", "category", "--missing", "image:photo=mean,,tabular=zero"), "BLOCK=STRATEGY"),
    (("evaluate", data, "--target", "category", "--late-weights", "tabular=heavy"), "'heavy'"),
    (("evaluate", data, "--target", "category", "--late-weights", "sound=2"), "'sound'"),
    (("train", data, "--target", "category", "--fusion", "single:photo", "-o", os.path.join(tmp, "x.mmf")),
     "'photo'"),
    (("train", data, "--target", "category", "--missing", "audio:sound=drop", "-o", os.path.join(tmp, "x.mmf")),
     "'drop'"),
    (("extract", data, "--no-target", "--missing", "text:nope=zero", "-o", os.path.join(tmp, "x.npy")), "'text:nope'"),
    (("analyze", data, "--target", "category", "--missing", "image:photo=maybe"), "'maybe'"),
]
for args, part in bad:
    p = run(*args, "-q", code=2, env=env)
    check(part in p.stderr, f"{' '.join(args[:1] + args[3:])}: the message names {part}: {p.stderr.strip()}")
    check(not os.path.exists(cache), f"{args[0]}: the feature cache was created before the check")
    check(not os.path.exists(os.path.join(tmp, "x.mmf")) and not os.path.exists(os.path.join(tmp, "x.npy")),
          "no output file written")
# the same settings, valid, do run (and then the cache exists)
run("evaluate", data, "--target", "category", "--missing", "text:title=zero,image:photo=mean", "--folds", "2",
    "--no-stacking", "-q", env=env)
check(os.path.isdir(cache), "a valid run encodes the files (cache created)")

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
