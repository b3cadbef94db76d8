"""Parity of the eval module with scikit-learn 1.2.1 / numpy 1.24.

- StratifiedKFold(n_splits, shuffle, random_state) fold assignments: exact,
  including the small-class warning and the "every class too small" error.
- accuracy, per-class P/R/F1/support, macro and weighted averages,
  confusion matrix and log loss (labels = range(K)): within 1e-12 (the
  C code reproduces numpy's summation order, so the expected difference is 0).
- classification_report text: byte-identical.
- mean / population std: within 1e-12 relative.

All cases go to one driver process (tests/eval/drv_eval.c) through stdin.
"""
import os
import subprocess
import sys
import warnings

import numpy as np
from sklearn.metrics import (accuracy_score, classification_report, confusion_matrix, log_loss,
                             precision_recall_fscore_support)
from sklearn.model_selection import StratifiedKFold

DRV = os.path.join(os.environ["MMFUSE_BUILD"], "tests", "eval", "drv_eval")
rs = np.random.RandomState(20240611)
cases = []     # (kind, description, expected)
chunks = []    # driver input


def ints(a):
    return " ".join(str(int(v)) for v in a)


# ---------------------------------------------------------------- k-fold
def kfold_case(y, n_splits, shuffle, seed, desc):
    y = np.asarray(y, dtype=np.int64)
    skf = StratifiedKFold(n_splits=n_splits, shuffle=shuffle,
                          random_state=seed if shuffle else None)
    try:
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            fold = np.full(len(y), -1)
            for f, (_, test) in enumerate(skf.split(np.zeros(len(y)), y)):
                fold[test] = f
            warned = any(issubclass(x.category, UserWarning) for x in w)
        expected = ("ok", int(warned), [int(v) for v in fold])
    except ValueError:
        expected = ("error",)
    chunks.append(f"kfold {len(y)} {n_splits} {int(shuffle)} {seed if shuffle else 0} {ints(y)}\n")
    cases.append(("kfold", desc, expected))


for t in range(50):
    K = [1, 2, 3, 4, 5, 8, 13][t % 7]
    n = int(rs.randint(max(K, 2) * 2, 400))
    alpha = [0.3, 1.0, 5.0][t % 3]
    p = rs.dirichlet(np.full(K, alpha))
    values = rs.choice(np.arange(-1000, 1000), size=K, replace=False)  # arbitrary ints
    y = values[rs.choice(K, size=n, p=p)]
    n_splits = int([2, 3, 5, 7, 10][t % 5])
    if n_splits > n:
        n_splits = 2
    seed = int(rs.randint(0, 2**32, dtype=np.uint64))
    kfold_case(y, n_splits, True, seed, f"kfold #{t} K={K} n={n} F={n_splits} shuffle")
    kfold_case(y, n_splits, False, 0, f"kfold #{t} K={K} n={n} F={n_splits} no shuffle")

# the numerics.md test vector, a seed at the top of the range, and errors
y0 = [0, 1, 0, 1, 2, 2, 0, 1, 0, 1, 2, 2, 0, 0, 1]
kfold_case(y0, 3, True, 42, "numerics 7.1 vector, shuffle")
kfold_case(y0, 3, False, 0, "numerics 7.1 vector")
kfold_case(y0, 3, True, 2**32 - 1, "seed 2^32-1")
kfold_case([5, -3, 5, 7, -3, 5, 9], 3, True, 0, "small classes warn")
kfold_case([1, 2, 3, 1, 2, 3], 3, True, 1, "every class too small")
kfold_case([4, 4, 4, 4, 4, 4, 4], 3, True, 7, "one class")
kfold_case([2**31 - 1, -2**31, 0, 2**31 - 1, -2**31, 0, 0], 2, True, 3, "int32 extremes")


# ---------------------------------------------------------------- metrics
def metrics_expected(yt, yp, proba, K):
    lab = list(range(K))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p, r, f, s = precision_recall_fscore_support(yt, yp, labels=lab, average=None,
                                                     zero_division=0)
        avg = []
        for a in ("macro", "weighted"):
            avg += list(precision_recall_fscore_support(yt, yp, labels=lab, average=a,
                                                        zero_division=0)[:3])
        ll = log_loss(yt, proba, labels=lab) if proba is not None and K >= 2 else float("nan")
    cm = confusion_matrix(yt, yp, labels=lab)
    return ([accuracy_score(yt, yp)] + list(p) + list(r) + list(f) + list(s) +
            list(cm.ravel()) + avg + [ll])


for t in range(30):
    K = [1, 2, 3, 4, 7, 12][t % 6]
    n = int(rs.randint(1, 600 if t % 3 else 20))
    used = rs.choice(K, size=max(1, K - (t % 3)), replace=False)  # some classes absent
    yt = used[rs.randint(0, len(used), n)]
    yp = np.where(rs.rand(n) < 0.6, yt, rs.randint(0, K, n))
    if t % 5 == 0:
        yp[yp == yp[0]] = (yp[0] + 1) % K   # a class never predicted
    proba = None
    if t % 4 != 3:
        proba = rs.dirichlet(np.full(K, 0.5), size=n)
        proba[rs.rand(n, K) < 0.1] = 0.0                    # exercises clipping at eps
        proba[rs.rand(n) < 0.05] *= 3.0                     # rows not summing to 1
        if n > 2:
            proba[1, :] = 0.0
            proba[1, yt[1]] = 1.0
    chunks.append(f"metrics {n} {K} {int(proba is not None)} {ints(yt)} {ints(yp)}"
                  + ("" if proba is None else " " + " ".join(repr(float(v)) for v in proba.ravel()))
                  + "\n")
    cases.append(("metrics", f"metrics #{t} K={K} n={n} proba={proba is not None}",
                  metrics_expected(yt, yp, proba, K)))

# the metrics reject labels outside [0, K)
chunks.append("metrics 3 2 0 0 1 2 0 1 1\n")
cases.append(("metrics", "y_true out of range", None))
chunks.append("metrics 3 2 0 0 1 1 0 -1 1\n")
cases.append(("metrics", "y_pred negative", None))


# ---------------------------------------------------------------- report
def report_case(yt, yp, K, digits, names, desc):
    present = sorted(set(int(v) for v in yt) | set(int(v) for v in yp))
    tn = None if names is None else [names[i] for i in present]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exp = classification_report(yt, yp, target_names=tn, digits=digits)
    line = f"report {len(yt)} {K} {digits} {int(names is not None)} {ints(yt)} {ints(yp)}"
    data = (line + "\n").encode()
    if names is not None:
        for nm in names:
            b = nm.encode()
            data += f"{len(b)} ".encode() + b + b"\n"
    chunks.append(data)
    cases.append(("report", desc, exp.encode()))


yt74 = [0, 0, 1, 1, 2, 2, 3, 3, 3, 0]
yp74 = [0, 1, 1, 1, 2, 0, 0, 0, 0, 0]
report_case(yt74, yp74, 4, 2, ["low", "medium", "high", "critical"], "numerics 7.4 example")
name_sets = [
    None,
    ["a", "b", "c", "d", "e", "f", "g", "h"],
    ["a rather long class name indeed", "x", "mid-length name", "q", "r", "s", "t", "u"],
    ["café", "日本語のクラス名", "naïve", "straße", "ε", "z", "émigré élève", "ok"],
    ["", "weighted avg!", "12345678901234", "n", "o", "p", "q", "r"],
]
for t in range(24):
    K = [2, 3, 5, 8][t % 4]
    n = int(rs.randint(1, 300 if t % 4 else 12))
    used = rs.choice(K, size=max(1, K - (t % 2)), replace=False)
    yt = used[rs.randint(0, len(used), n)]
    yp = np.where(rs.rand(n) < 0.5, yt, rs.randint(0, K, n))
    digits = [2, 3, 4, 0, 1, 15][t % 6]
    names = name_sets[t % len(name_sets)]
    report_case(yt, yp, K, digits, None if names is None else names[:K],
                f"report #{t} K={K} n={n} digits={digits}")
report_case([0, 0, 0], [0, 0, 0], 3, 2, ["only", "never", "seen"], "single class")
# no row right: sklearn's counts turn into floats and supports print as "3.0"
report_case([1, 1, 0], [2, 2, 2], 3, 3, None, "nothing right")
report_case([0, 1, 2, 3, 0, 1, 2, 3, 0], [1, 2, 3, 0, 1, 2, 3, 0, 1], 4, 2,
            ["alpha", "beta", "gamma", "delta"], "nothing right, names")

# ---------------------------------------------------------------- mean / std
mean_cases = []
for t in range(12):
    n = int([1, 2, 7, 8, 9, 127, 128, 129, 300, 1000, 5000, 20][t])
    v = rs.standard_normal(n) * 10.0 ** rs.uniform(-3, 3, n) + rs.uniform(-50, 50)
    chunks.append(f"meanstd {n} " + " ".join(repr(float(x)) for x in v) + "\n")
    cases.append(("meanstd", f"meanstd n={n}", (float(np.mean(v)), float(np.std(v)))))

# ---------------------------------------------------------------- run and compare
stdin = b"".join(c if isinstance(c, bytes) else c.encode() for c in chunks)
res = subprocess.run([DRV], input=stdin, capture_output=True, check=False)
if res.returncode != 0:
    print(res.stderr.decode(errors="replace"))
    print(f"0 passed, 1 failed (driver exit {res.returncode})")
    sys.exit(1)
out = res.stdout
pos = 0


def next_line():
    global pos
    end = out.index(b"\n", pos)
    line = out[pos:end].decode()
    pos = end + 1
    return line


passed = failed = 0
worst = 0.0
exact = True


def fail(msg):
    global failed
    failed += 1
    print("FAIL", msg)


for kind, desc, exp in cases:
    line = next_line()
    tok = line.split()
    if kind == "kfold":
        got = ("error",) if tok[0] == "error" else ("ok", int(tok[1]), [int(v) for v in tok[2:]])
        if got != exp:
            fail(f"{desc}: got {got} expected {exp}")
        else:
            passed += 1
    elif kind == "metrics":
        if exp is None:
            if tok[0] == "error":
                passed += 1
            else:
                fail(f"{desc}: accepted")
            continue
        if tok[0] != "ok":
            fail(f"{desc}: {line}")
            continue
        got = np.array([float(v) for v in tok[1:]])
        want = np.array([float(v) for v in exp])
        both_nan = np.isnan(got) & np.isnan(want)
        diff = np.where(both_nan, 0.0, np.abs(got - want))
        if got.shape != want.shape or not np.all(diff <= 1e-12):
            fail(f"{desc}: max diff {np.nanmax(diff)}\n got  {got}\n want {want}")
        else:
            passed += 1
            worst = max(worst, float(diff.max()))
            exact = exact and bool(np.all(diff == 0))
    elif kind == "report":
        if tok[0] != "ok":
            fail(f"{desc}: {line}")
            continue
        nbytes = int(tok[1])
        text = out[pos:pos + nbytes]
        pos += nbytes
        if text != exp:
            fail(f"{desc}:\n--- got\n{text.decode()}--- expected\n{exp.decode()}")
        else:
            passed += 1
    elif kind == "meanstd":
        m, s = float(tok[1]), float(tok[2])
        em, es = exp
        if abs(m - em) <= 1e-12 * max(1.0, abs(em)) and abs(s - es) <= 1e-12 * max(1.0, abs(es)):
            passed += 1
            exact = exact and m == em and s == es
        else:
            fail(f"{desc}: got {m} {s} expected {em} {es}")

print(f"metrics: max abs difference {worst:g}; all values bit-identical: {exact}")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
