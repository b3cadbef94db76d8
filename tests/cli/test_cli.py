"""End-to-end tests of the mmfuse command line on the demo data and on bad input.

Every bad-input case must end with a one-line message on stderr that names
the problem (and the line/column/file where there is one), the documented
exit code, and no crash (a signal or a sanitizer report fails the test)."""
import csv, io, json, os, shutil, subprocess, sys, tempfile
import numpy as np

build = os.environ["MMFUSE_BUILD"]
src = os.environ["MMFUSE_SRC"]
mmfuse = os.path.join(build, "mmfuse")
tmp = tempfile.mkdtemp(prefix="mmfuse-cli-")
os.environ["MMFUSE_CACHE_DIR"] = os.path.join(tmp, "cache")  # never the user's cache
# the demo data with its generated photos and sounds, smaller than the bundled set
demo = os.path.join(tmp, "demo", "products.csv")
os.makedirs(os.path.dirname(demo))
DEMO_ROWS = 500
subprocess.run([os.path.join(build, "mmfuse_demo_data"), demo, "--rows", str(DEMO_ROWS), "--media"], check=True)
passed = failed = 0

def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what)

def run(*args, code=0, stderr_has=(), stdout_has=()):
    p = subprocess.run([mmfuse, *args], capture_output=True, text=True, errors="replace")
    what = f"mmfuse {' '.join(args)} -> {p.returncode}\n  stderr: {p.stderr.strip()[:600]}"
    check(p.returncode == code, what + f" (expected exit {code})")
    check(p.returncode >= 0, what + " (killed by a signal)")
    check("ERROR: AddressSanitizer" not in p.stderr and "runtime error:" not in p.stderr, what + " (sanitizer report)")
    for s in stderr_has:
        check(s in p.stderr, what + f" (stderr lacks {s!r})")
    for s in stdout_has:
        check(s in p.stdout, what + f" (stdout lacks {s!r})")
    return p

def write(name, text, mode="w"):
    path = os.path.join(tmp, name)
    with open(path, mode) as f:
        f.write(text)
    return path

# ---------------------------------------------------------------- the happy path
p = run("evaluate", demo, "--target", "category", "-q")
for s in ("tabular only", "text:title only", "image:photo only", "audio:sound only", "early fusion (concat",
          "late fusion (average)", "late fusion (stacked)", "fusion gain",
          "title", "text", "% of total"):
    check(s in p.stdout, f"evaluate output lacks {s!r}")
p = run("evaluate", demo, "--target", "category", "--json", "-q")
res = json.loads(p.stdout)
kinds = [r["kind"] for r in res["results"]]
check(kinds.count("single") == 4 and "early" in kinds and "late:average" in kinds and "late:stacked" in kinds,
      f"result kinds {kinds}")
roles = {c["column"]: c["role"] for c in res["schema"]}
check(roles == {"product_id": "id", "title": "text", "price": "numeric", "weight_kg": "numeric", "rating": "numeric",
                "n_reviews": "numeric", "has_warranty": "numeric", "brand_tier": "categorical",
                "ships_from": "categorical", "photo": "image", "sound": "audio", "category": "target"},
      f"inferred roles {roles}")
acc = {r["kind"] if r["kind"] != "single" else r["model"]: r["accuracy_mean"] for r in res["results"]}
singles = [v for k, v in acc.items() if k.endswith(" only")]
check(acc["early"] > max(singles) + 0.05 and acc["late:stacked"] > max(singles) + 0.05,
      f"fusion should clearly beat each modality on the demo data: {acc}")
p_notes = run("evaluate", demo, "--target", "category", "--no-stacking")
check("files could not be used" in p_notes.stderr and "broken" in p_notes.stderr,
      "broken demo files are counted and named")
check(all(0 <= r["accuracy_std"] < 0.2 and len(r["fold_accuracy"]) == 5 for r in res["results"]), "fold stats")
check(res["numeric_cells_unparsable"] > 0, "demo 'n/a' weights are counted")

# same seed, same numbers; --save-config writes a config that reproduces the schema
cfg = os.path.join(tmp, "pipeline.json")
p2 = run("evaluate", demo, "--target", "category", "--json", "-q", "--save-config", cfg)
check(json.loads(p2.stdout)["results"] == res["results"], "evaluate is deterministic for a seed")
p3 = run("evaluate", demo, "--config", cfg, "--json", "-q")
check(json.loads(p3.stdout)["results"] == res["results"], "--config from --save-config reproduces the run")
p4 = run("evaluate", demo, "--target", "category", "--json", "-q", "--threads", "1")
check(json.loads(p4.stdout)["results"] == res["results"], "results do not depend on the thread count")

# train / inspect / predict, early and late
for fusion in ("early", "late", "single:tabular"):
    model = os.path.join(tmp, f"model-{fusion.replace(':', '-')}.mmf")
    run("train", demo, "--target", "category", "--fusion", fusion, "-o", model, "-q")
    check(os.path.getsize(model) > 1000, "model file written")
    run("inspect", model, stdout_has=("target: category", "classes", "checksum ok"))
    out = os.path.join(tmp, f"pred-{fusion.replace(':', '-')}.csv")
    run("predict", model, demo, "-o", out, "--proba", "-q")
    with open(out, newline="") as f:
        pred = list(csv.reader(f))
    check(pred[0][:2] == ["product_id", "prediction"] and len(pred[0]) == 6, f"prediction header {pred[0]}")
    with open(demo, newline="") as f:
        truth = list(csv.reader(f))[1:]
    check(len(pred) - 1 == len(truth), "one prediction per input row, none dropped")
    probs = np.array([[float(v) for v in r[2:]] for r in pred[1:]])
    check(np.allclose(probs.sum(1), 1.0, atol=1e-5), "probabilities sum to 1")
    labeled = [(r[-1], q[1]) for r, q in zip(truth, pred[1:]) if r[-1]]
    train_acc = sum(a == b for a, b in labeled) / len(labeled)
    check(train_acc > 0.5, f"{fusion}: training accuracy {train_acc}")

model = os.path.join(tmp, "model-early.mmf")
# new rows: unseen categories, empty text, missing numbers, the target column absent
new = write("new.csv", "product_id,title,price,weight_kg,rating,n_reviews,has_warranty,brand_tier,ships_from\n"
            "N1,Wireless usb charger,10,0.2,4,10,1,luxury,MARS\n"
            "N2,,,,,,,,\n"
            "N3,\"Cotton shirt, classic\",abc,,4.5,,0,budget,\n")
p = run("predict", model, new, "--proba", stderr_has=("unseen",))
lines = p.stdout.strip().split("\n")
check(len(lines) == 4 and lines[1].startswith("N1,") and lines[2].startswith("N2,"), f"predict output {lines}")
check("not numbers" in p.stderr, "unparsable numeric cell counted at predict")
# a modality column absent altogether
new2 = write("new2.csv", "product_id,price,weight_kg\nA,12,0.5\nB,30,2.0\n")
p = run("predict", model, new2, stderr_has=("absent",))
check(len(p.stdout.strip().split("\n")) == 3, "predict with absent columns")
late = os.path.join(tmp, "model-late.mmf")
p = run("predict", late, new2, "--proba", "-q")
check(len(p.stdout.strip().split("\n")) == 3, "late fusion predict with absent text column")

# extract: numpy-loadable, sidecar ranges, --scale, --block
feats = os.path.join(tmp, "features.npy")
run("extract", demo, "--target", "category", "-o", feats, "-q")
X = np.load(feats)
side = json.load(open(os.path.join(tmp, "features.json")))
check(X.dtype == np.float32 and X.shape[0] == DEMO_ROWS and X.shape[1] == side["cols"], f"extract shape {X.shape}")
check([b["name"] for b in side["blocks"]] == ["tabular", "text:title", "image:photo", "audio:sound"],
      f"sidecar blocks {side['blocks']}")
tb = side["blocks"][1]
check(tb["present_column"], "demo titles are sometimes missing: the text block carries a present column")
T = X[:, tb["start"]:tb["end"] - 1]
check(np.array_equal(X[:, tb["end"] - 1] == 1, np.array([r[1] != "" for r in csv.reader(open(demo))][1:])),
      "the present column says which rows have a title")
norms = np.sqrt((T.astype(np.float64) ** 2).sum(1))
check(np.all((np.abs(norms - 1) < 1e-5) | (norms == 0)), "unscaled TF-IDF rows are L2-normalized")
run("extract", demo, "--target", "category", "-o", feats, "--scale", "-q")
Xs = np.load(feats)
tab = side["blocks"][0]
check(np.allclose(Xs[:, tab["start"]:tab["end"]].mean(0), 0, atol=1e-4), "--scale centers the tabular block")
one = os.path.join(tmp, "tab.npy")
run("extract", demo, "--target", "category", "-o", one, "--block", "tabular", "-q")
check(np.load(one).shape == (DEMO_ROWS, tab["end"] - tab["start"]), "--block tabular")
run("extract", demo, "--target", "category", "-o", one, "--block", "nope", "-q", code=2, stderr_has=("no block named 'nope'",))

# ---------------------------------------------------------------- bad input
run("evaluate", os.path.join(tmp, "missing.csv"), "--target", "y", code=4, stderr_has=("missing.csv",))
run("evaluate", tmp, "--target", "y", code=4)
run("evaluate", write("empty.csv", ""), "--target", "y", code=3, stderr_has=("empty",))
run("evaluate", write("header.csv", "a,b,y\n"), "--target", "y", code=3, stderr_has=("no values",))
run("evaluate", write("ragged.csv", "a,b,y\n1,2,x\n3,4,y\n5,z\n"), "--target", "y", code=3, stderr_has=(":4:",))
run("evaluate", write("quote.csv", 'a,b,y\n1,"open,x\n2,3,y\n'), "--target", "y", code=3, stderr_has=("unterminated",))
run("evaluate", write("dup.csv", "a,a,y\n1,2,x\n"), "--target", "y", code=3, stderr_has=("duplicate",))
good = write("good.csv", "a,b,t,y\n" + "".join(f"{i},{i % 3},word{i % 4} text here,{'xy'[i % 2]}\n" for i in range(40)))
run("evaluate", good, "--target", "y", "--numeric", "nope", code=2, stderr_has=("nope",))
run("evaluate", good, "--target", "nope", code=2, stderr_has=("nope",))
run("evaluate", good, "--target", "y", "--numeric", "a", "--text", "a", code=2, stderr_has=("two roles",))
run("evaluate", good, "--bogus", code=2, stderr_has=("unknown option",))
run("evaluate", good, code=2, stderr_has=("--target",))
run("evaluate", good, "--target", "y", "--folds", "1", code=2)
run("evaluate", write("single.csv", "a,y\n1,x\n2,x\n3,x\n"), "--target", "y", code=3, stderr_has=("single class",))
p = run("evaluate", write("notarget.csv", "a,b,y\n" + "".join(f"{i},{i%5},{'' if i % 10 == 0 else 'pq'[i % 2]}\n"
                                                                for i in range(60))), "--target", "y", "--json")
check(json.loads(p.stdout)["rows_skipped_no_target"] == 6, "rows with missing target skipped and counted")
check("6 of 60 rows have no target" in p.stderr, "skipped rows are reported")
p = run("evaluate", write("junk.csv", "a,b,y\n" + "".join(f"{'oops' if i == 3 else i},{i%5},{'pq'[i % 2]}\n"
                                                           for i in range(60))), "--target", "y", "--numeric", "a")
check("1 numeric cells were not numbers" in p.stderr, "non-numeric cell in numeric column counted")
run("evaluate", write("utf8.csv", b"a,y\n1,x\n2,\xff\xfe\n", "wb"), "--target", "y", code=3,
    stderr_has=("UTF-8", ":3:"))
run("predict", model, os.path.join(tmp, "nothere.csv"), code=4)
run("predict", os.path.join(tmp, "nomodel.mmf"), demo, code=4)
run("train", demo, "--target", "category", code=2)
run("train", demo, "--target", "category", "-o", os.path.join(tmp, "x.mmf"), "--fusion", "weird", code=2)

# truncated and tampered model files
blob = open(model, "rb").read()
for cut in (0, 7, 8, 100, len(blob) // 2, len(blob) - 1):
    run("inspect", write(f"cut{cut}.mmf", blob[:cut], "wb"), code=3)
tampered = bytearray(blob)
tampered[-5] ^= 0x55
run("inspect", write("tampered.mmf", bytes(tampered), "wb"), code=3, stderr_has=("checksum",))
run("predict", write("tampered2.mmf", bytes(tampered), "wb"), demo, code=3, stderr_has=("corrupt",))
run("inspect", write("text.mmf", "hello, not a model\n"), code=3)
run("inspect", demo, code=3)

run("--help", stdout_has=("evaluate", "exit codes"))
run("evaluate", "--help", stdout_has=("--target", "--text"))
run("frobnicate", code=2, stderr_has=("unknown command",))

shutil.rmtree(tmp, ignore_errors=True)
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
