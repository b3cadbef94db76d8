"""Missing modalities end to end: 30% of the training rows lack their text;
every missing strategy x every fusion trains, saves, loads and predicts on
new rows where the text column is absent altogether, where single rows have
no modality at all, and where everything is present. Rows with nothing
present get the class prior from the late fusions; no row is ever dropped
from the predictions."""
import csv, io, json, os, subprocess, sys, tempfile
import numpy as np

build = os.environ["MMFUSE_BUILD"]
mmfuse = os.path.join(build, "mmfuse")
tmp = tempfile.mkdtemp(prefix="mmfuse-missing-")
rng = np.random.RandomState(3)
passed = failed = 0

def check(cond, what):
    global passed, failed
    passed += bool(cond)
    failed += not cond
    if not cond:
        print("FAIL:", what)

def run(*args):
    p = subprocess.run([mmfuse, *args], capture_output=True, text=True)
    check(p.returncode == 0, f"mmfuse {' '.join(args)} -> {p.returncode}: {p.stderr[:400]}")
    check("runtime error" not in p.stderr and "AddressSanitizer" not in p.stderr, "sanitizer report")
    return p

n = 400
y = rng.randint(0, 3, n)
vocab = [["red", "crimson", "scarlet"], ["green", "olive", "lime"], ["blue", "navy", "azure"]]
data = os.path.join(tmp, "train.csv")
with open(data, "w") as f:
    f.write("num,cat,note,label\n")
    for i in range(n):
        note = "" if rng.rand() < 0.3 else " ".join(rng.choice(vocab[y[i]], 2)) + " " + rng.choice(["a", "thing", "item"])
        f.write(f"{y[i] + rng.randn():.4f},{'pq'[rng.randint(2)]},{note},c{y[i]}\n")
prior = np.bincount(y, minlength=3) / n

new_no_text = os.path.join(tmp, "no_text.csv")
with open(new_no_text, "w") as f:
    f.write("num,cat\n0.1,p\n2.2,q\n,\n")
new_empty = os.path.join(tmp, "empty_rows.csv")
with open(new_empty, "w") as f:
    f.write("num,cat,note\n,,\n1.0,p,navy blue item\n,,\n")

# evaluate reports the 30% and every strategy runs
for strategy in ("zero", "mean", "flag", "remove"):
    p = run("evaluate", data, "--target", "label", "--numeric", "num", "--categorical", "cat", "--text", "note",
            "--missing", strategy, "--json", "-q", "--no-cache")
    res = json.loads(p.stdout)
    early = [r for r in res["results"] if r["kind"] == "early"][0]
    check(early["accuracy_mean"] > 0.5, f"{strategy}: early accuracy {early['accuracy_mean']}")
    check(f"missing={strategy}" in early["model"], f"{strategy}: early row names the strategy")

for strategy in ("zero", "mean", "flag", "remove", "tabular=zero,text:note=remove"):
    for fusion in ("early", "late:average", "late:weighted", "late:stacked", "single:text:note"):
        tag = f"{strategy}-{fusion}".replace(":", "_").replace(",", "_").replace("=", "_")
        model = os.path.join(tmp, f"{tag}.mmf")
        run("train", data, "--target", "label", "--numeric", "num", "--categorical", "cat", "--text", "note",
            "--missing", strategy, "--fusion", fusion, "-o", model, "-q", "--no-cache")
        insp = run("inspect", model, "--json")
        header = json.loads(insp.stdout)
        text_block = [b for b in header["blocks"] if b["name"] == "text:note"][0]
        want = strategy if "=" not in strategy else "remove"
        check(text_block["missing"] == want, f"{tag}: text block strategy {text_block['missing']}")
        check(text_block["flag"] == (want == "flag"), f"{tag}: flag column only for 'flag'")
        for new, rows in ((new_no_text, 3), (new_empty, 3), (data, n)):
            p = run("predict", model, new, "--proba", "-q")
            out = list(csv.reader(io.StringIO(p.stdout)))
            check(len(out) == rows + 1, f"{tag}: {rows} predictions for {os.path.basename(new)}")
            probs = np.array([[float(v) for v in r[2:]] for r in out[1:]])
            check(np.allclose(probs.sum(1), 1, atol=1e-5), f"{tag}: probabilities sum to 1")
            if new == new_empty and fusion.startswith("late"):
                check(np.allclose(probs[0], prior, atol=1e-5) and np.allclose(probs[2], prior, atol=1e-5),
                      f"{tag}: rows with nothing present get the prior {probs[0]} vs {prior}")
            if new == data:
                acc = np.mean([r[1] == f"c{y[i]}" for i, r in enumerate(out[1:])])
                check(acc > 0.5, f"{tag}: training accuracy {acc}")

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
