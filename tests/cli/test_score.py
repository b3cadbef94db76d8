"""mmfuse score: a trained model on a labelled hold-out file, against
scikit-learn's metrics on the same predictions (from `mmfuse predict
--proba`); rows without a label, label values the model never saw, a
missing label column, --json and --report."""
import csv, io, json, os, subprocess, sys, tempfile
import numpy as np
from sklearn.metrics import accuracy_score, classification_report, confusion_matrix, f1_score, log_loss

build = os.environ["MMFUSE_BUILD"]
mmfuse = os.path.join(build, "mmfuse")
tmp = tempfile.mkdtemp(prefix="mmfuse-score-")
os.environ["MMFUSE_CACHE_DIR"] = os.path.join(tmp, "cache")
passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what)


def run(*args, code=0, stderr_has=()):
    p = subprocess.run([mmfuse, *args], capture_output=True, text=True, errors="replace", timeout=600)
    check(p.returncode == code, f"mmfuse {' '.join(args)} -> {p.returncode} (expected {code}): {p.stderr[-500:]}")
    check("AddressSanitizer" not in p.stderr and "runtime error:" not in p.stderr, "sanitizer report")
    for s in stderr_has:
        check(s in p.stderr, f"mmfuse {' '.join(args)}: stderr lacks {s!r}: {p.stderr[-300:]}")
    return p


demo = os.path.join(tmp, "demo", "all.csv")
os.makedirs(os.path.dirname(demo))
subprocess.run([os.path.join(build, "mmfuse_demo_data"), demo, "--rows", "300", "--media"], check=True,
               capture_output=True)
lines = open(demo, encoding="utf-8").read().splitlines(keepends=True)
train = os.path.join(tmp, "demo", "train.csv")
test = os.path.join(tmp, "demo", "test.csv")
open(train, "w").write("".join(lines[:201]))
open(test, "w").write(lines[0] + "".join(lines[201:]))
model = os.path.join(tmp, "m.mmf")
run("train", train, "--target", "category", "-o", model, "-q")

preds = os.path.join(tmp, "pred.csv")
run("predict", model, test, "-o", preds, "--proba", "-q")
P = list(csv.DictReader(open(preds)))
T = list(csv.DictReader(open(test)))
classes = [k[len("proba_"):] for k in P[0] if k.startswith("proba_")]
keep = [i for i, r in enumerate(T) if r["category"] != ""]
y = [T[i]["category"] for i in keep]
yp = [P[i]["prediction"] for i in keep]
proba = np.array([[float(P[i]["proba_" + c]) for c in classes] for i in keep])

p = run("score", model, test, "--json", "-q")
res = json.loads(p.stdout)
check(res["rows"] == len(keep) and res["rows_skipped_no_label"] == len(T) - len(keep), f"row counts {res['rows']}")
check(abs(res["accuracy"] - accuracy_score(y, yp)) < 1e-12, f"accuracy {res['accuracy']} vs {accuracy_score(y, yp)}")
check(abs(res["macro_f1"] - f1_score(y, yp, average="macro")) < 1e-12, "macro-F1 = sklearn")
check(np.array_equal(np.array(res["confusion"]), confusion_matrix(y, yp, labels=classes)), "confusion = sklearn")
# predict writes probabilities with 9 significant digits
ll = log_loss(y, proba, labels=classes)
check(abs(res["log_loss"] - ll) < 1e-6, f"log loss {res['log_loss']} vs sklearn {ll}")

p = run("score", model, test, "-q")
check(classification_report(y, yp, digits=3) in p.stdout, "the text output has sklearn's classification report")
check("confusion matrix" in p.stdout and "accuracy" in p.stdout, "text output")

# a label the model never saw: an extra class, its rows count as errors
odd = os.path.join(tmp, "demo", "odd.csv")
rows = [dict(r) for r in T]
rows[keep[0]]["category"] = "garden"
with open(odd, "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=list(T[0].keys()))
    w.writeheader()
    w.writerows(rows)
p = run("score", model, odd, "--json", stderr_has=("not trained on",))
r2 = json.loads(p.stdout)
y2 = ["garden"] + y[1:]
check(r2["unseen_labels"] == ["garden"] and r2["classes"][-1] == "garden", "unseen label listed")
check(abs(r2["accuracy"] - accuracy_score(y2, yp)) < 1e-12, "unseen label counts as an error")

# the label column: --target names another one; a missing one is a clear error
noy = os.path.join(tmp, "demo", "noy.csv")
with open(noy, "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=[k if k != "category" else "truth" for k in T[0]])
    w.writeheader()
    w.writerows([{(k if k != "category" else "truth"): v for k, v in r.items()} for r in T])
run("score", model, noy, code=3, stderr_has=("no column 'category'", "--target"))
p = run("score", model, noy, "--target", "truth", "--json", "-q")
check(json.loads(p.stdout)["accuracy"] == res["accuracy"], "--target names the label column")

# --report
html = os.path.join(tmp, "score.html")
run("score", model, test, "--report", html, "-q")
text = open(html).read()
check('id="confusion"' in text and 'id="per-class"' in text and "<svg" in text, "score report has the matrix")
run("score", model, code=2, stderr_has=("missing LABELLED.csv",))
run("score", model, test, "--C", "2", code=2, stderr_has=("does not apply",))

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
