"""The HTML report (--report on evaluate and analyze) and the metrics in --json.

The report is opened in headless Chromium: no console errors, every chart
present (SVG elements counted in the rendered DOM), a screenshot that is not
blank. The confusion matrices, per-class metrics and ROC AUC in --json are
checked against scikit-learn on the out-of-fold predictions (--save-oof)."""
import csv, json, os, re, shutil, subprocess, sys, tempfile
import numpy as np
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support, roc_auc_score

build = os.environ["MMFUSE_BUILD"]
mmfuse = os.path.join(build, "mmfuse")
tmp = tempfile.mkdtemp(prefix="mmfuse-report-")
os.environ["MMFUSE_CACHE_DIR"] = os.path.join(tmp, "cache")
passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what)


def run(*args, code=0):
    p = subprocess.run([mmfuse, *args], capture_output=True, text=True, errors="replace", timeout=600)
    check(p.returncode == code, f"mmfuse {' '.join(args)} -> {p.returncode} (expected {code}): {p.stderr[-600:]}")
    check("AddressSanitizer" not in p.stderr and "runtime error:" not in p.stderr, "sanitizer report")
    return p


demo = os.path.join(tmp, "demo", "products.csv")
os.makedirs(os.path.dirname(demo))
subprocess.run([os.path.join(build, "mmfuse_demo_data"), demo, "--rows", "160", "--media"], check=True,
               capture_output=True)
# a binary problem (for the ROC curves), with a note: rows without a target
binary = os.path.join(tmp, "binary.csv")
rng = np.random.default_rng(3)
with open(binary, "w") as f:
    f.write("a,b,word,note,label\n")
    vocab = ["good", "great", "fine", "bad", "poor", "odd", "item", "thing", "box", "case"]
    for i in range(120):
        y = i % 2
        lab = "" if i % 40 == 7 else ("yes" if y else "no")
        f.write(f"{rng.normal(y, 1):.4f},{rng.normal(0, 1):.4f},{'red' if rng.random() < 0.6 + 0.2 * y else 'blue'},"
                f"{' '.join(rng.choice(vocab[3 * (1 - y):3 * (1 - y) + 7], 4))},{lab}\n")

chromium = shutil.which("chromium") or shutil.which("chromium-browser")
check(chromium is not None, "chromium is installed (scripts/install-deps.sh --test)")


def render(html):
    """Loads the page in headless Chromium: (dom, screenshot path, console lines)."""
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--user-data-dir=" + tempfile.mkdtemp(dir=tmp), "--enable-logging=stderr", "--v=0"]
    url = "file://" + html
    dom = subprocess.run([chromium, *flags, "--dump-dom", url], capture_output=True, text=True, timeout=120)
    shot = html + ".png"
    p = subprocess.run([chromium, *flags, "--window-size=1200,2000", "--screenshot=" + shot, url],
                       capture_output=True, text=True, timeout=120)
    console = [l for l in (dom.stderr + p.stderr).splitlines() if "CONSOLE" in l]
    return dom.stdout, shot, console


def not_blank(png):
    from PIL import Image
    im = np.asarray(Image.open(png).convert("RGB")).astype(int)
    colours = len(np.unique(im.reshape(-1, 3), axis=0))
    ink = (im.sum(axis=2) < 600).mean()
    return colours > 50 and ink > 0.01, f"{colours} colours, {ink:.3f} ink"


for name, data, target, cmd in (("multi", demo, "category", "evaluate"), ("binary", binary, "label", "evaluate"),
                                ("analyze", demo, "category", "analyze")):
    html = os.path.join(tmp, name + ".html")
    oof = os.path.join(tmp, name + ".oof.csv")
    extra = ["--save-oof", oof] if cmd == "evaluate" else []
    p = run(cmd, data, "--target", target, "--json", "--report", html, "-q", *extra)
    res = json.loads(p.stdout)
    text = open(html, encoding="utf-8").read()
    check(text.startswith("<!DOCTYPE html>"), f"{name}: an HTML document")
    check("<script" not in text and not re.search(r"(src|href)\s*=\s*[\"']?(https?:|//)", text),
          f"{name}: self-contained (no script, nothing loaded from elsewhere)")
    for section in ("comparison", "accuracy", "blocks", "confusion", "per-class", "schema", "notes"):
        check(f'id="{section}"' in text, f"{name}: section {section}")
    if chromium:
        dom, shot, console = render(html)
        check(not console, f"{name}: console messages {console[:3]}")
        n_models = len(res["results"]) if cmd == "evaluate" else len(res["modalities"]) + len(res["pairs"]) + 1
        charts = len(re.findall(r'<svg class="chart', dom))
        cms = len(re.findall(r'<svg class="chart cm', dom))
        rocs = len(re.findall(r'<svg class="chart roc', dom))
        check(rocs == (1 if name == "binary" else 0), f"{name}: {rocs} ROC charts")
        check(cms >= n_models if cmd == "evaluate" else cms >= 3, f"{name}: {cms} confusion matrices for {n_models} models")
        check(charts == cms + rocs + 2, f"{name}: {charts} charts (accuracy, blocks, matrices, ROC)")
        check(len(re.findall(r"<rect", dom)) > 20, f"{name}: bars and cells drawn")
        ok, why = not_blank(shot)
        check(ok, f"{name}: screenshot not blank ({why})")
    if cmd == "analyze":
        check('id="complementarity"' in text and "Yule" in text, "analyze report has the complementarity table")
        for pr in res["pairs"]:
            check(pr["complementarity"] in text, "verdict shown")
        continue
    # --json metrics against scikit-learn on the same out-of-fold predictions
    classes = res["classes"]
    rows = list(csv.DictReader(open(oof)))
    for r in res["results"]:
        key = r["kind"]
        mine = [x for x in rows if x["model"] == key or (key == "single" and x["model"] == r["model"].replace(" only", ""))]
        check(len(mine) == res["rows"], f"{name}/{r['model']}: {len(mine)} oof rows")
        yt = [x["true"] for x in mine]
        yp = [x["pred"] for x in mine]
        cm = confusion_matrix(yt, yp, labels=classes)
        check(np.array_equal(cm, np.array(r["confusion"])), f"{name}/{r['model']}: confusion matrix = sklearn")
        pr_, rc_, f1_, sup = precision_recall_fscore_support(yt, yp, labels=classes, zero_division=0)
        got = r["per_class"]
        check([c["class"] for c in got] == classes, "per-class order = classes")
        check(np.allclose([c["precision"] for c in got], pr_, atol=1e-12) and
              np.allclose([c["recall"] for c in got], rc_, atol=1e-12) and
              np.allclose([c["f1"] for c in got], f1_, atol=1e-12) and
              [c["support"] for c in got] == list(sup), f"{name}/{r['model']}: per-class metrics = sklearn")
        if len(classes) == 2:
            score = [float(x["proba_" + classes[1]]) for x in mine]
            auc = roc_auc_score([c == classes[1] for c in yt], score)
            check(abs(r["roc_auc"] - auc) < 1e-12, f"{name}/{r['model']}: roc_auc {r['roc_auc']} vs sklearn {auc}")
    if name == "binary":
        check("rows have no target value" in text, "binary: the skipped-rows note is in the report")

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
