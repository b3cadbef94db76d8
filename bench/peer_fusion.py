#!/usr/bin/python3
"""The scikit-learn peer of `mmfuse evaluate` with every fusion row: the
same evaluation, written with scikit-learn 1.2 as a user would.

    peer_fusion.py DATA.csv [--max-features 5000] [--folds 5] [--inner-folds 5]
                   [--n-jobs 1] [--json OUT.json]

Input: the CSV of gen_fusion.py (`text`, `d0..d2047`, `t0..t29`, `label`),
read with pandas (the dense columns as float32, as mmfuse keeps them).
Blocks, in mmfuse's order: tabular (t*: mean imputation, StandardScaler),
dense (d*: mean imputation when a cell is missing, StandardScaler), text
(TfidfVectorizer(max_features, ngram_range=(1, 2), sublinear_tf=True,
stop_words='english'), float32, StandardScaler(with_mean=False)); a block
gets a 0/1 present column when some training row lacks it (mmfuse's 'flag'
strategy; never the case with gen_fusion.py's data).

Outer CV: StratifiedKFold(folds, shuffle=True, random_state=42). In every
outer fold, fitted on the training rows only:
  - one LogisticRegression(C=1, max_iter=500) per block (the "X only" rows);
  - early fusion: the same model on the blocks side by side
    (scipy.sparse.hstack, CSR);
  - late average: the mean of the per-block probabilities (over the blocks a
    row has);
  - the inner CV: StratifiedKFold(inner_folds, shuffle=True, random_state=42)
    over the outer training rows; each inner fold refits TF-IDF, imputers,
    scalers and the per-block models on its training part and predicts
    probabilities for its held-out part. This is cross_val_predict(
    Pipeline(encoder, scaler, LogisticRegression), method='predict_proba')
    per block, the blocks sharing one split (as mmfuse does);
  - late weighted: per-block probabilities weighted by each block's inner-CV
    accuracy;
  - late stacked: a meta LogisticRegression(C=1, max_iter=500) on the inner
    out-of-fold probabilities, per block [K probabilities (the training
    prior for a row lacking the block), present flag], float32.
StackingClassifier is not used: it refits every base model on the whole
training fold a second time (work already done by the single-block rows) and
has no present flags; the formulation above is its predict_proba stacking
with cv=StratifiedKFold(inner_folds, shuffle=True, random_state=42) and
passthrough=False, minus that duplicate work.

Parallelism (--n-jobs N > 1): the 5 outer fits and the 25 inner folds are
independent tasks, run by N forked worker processes (joblib's
multiprocessing backend: the data are inherited, not copied), one BLAS
thread each. With --n-jobs 1 everything runs in this process with
OPENBLAS_NUM_THREADS threads.

Prints per-row accuracies and one line `RESULT {json}`: op_s = everything
after the imports (CSV reading included), load_s = reading the CSV into
arrays, import_s = the imports, rows = [{model, acc_mean, log_loss}],
maxrss_kb (this process), n_iter (L-BFGS iterations per model kind).
"""
import time

T_START = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from joblib import Parallel, delayed  # noqa: E402
from scipy import sparse  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.impute import SimpleImputer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import log_loss  # noqa: E402
from sklearn.model_selection import StratifiedKFold  # noqa: E402
from sklearn.preprocessing import LabelEncoder, StandardScaler  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

T_IMPORTED = time.perf_counter()

# The data, set once before the workers fork (read-only afterwards).
G = {}
BLOCKS = ("tabular", "dense", "text:text")


def lr():
    return LogisticRegression(C=1.0, max_iter=500)


def with_flag(X, present_rows, fit_present):
    """mmfuse's 'flag' strategy: a present column when a training row lacked the block."""
    if fit_present.all():
        return X
    col = present_rows.astype(np.float32)[:, None]
    return sparse.hstack([X, sparse.csr_matrix(col)]).tocsr() if sparse.issparse(X) else np.hstack([X, col])


def encode(tr, te):
    """Every block of rows tr and te, with encoders and scalers fit on tr."""
    out = []
    # tabular and dense: mean imputation, float32, standardization
    for name, X in (("tabular", G["T"]), ("dense", G["D"])):
        pres = G["present"][name]
        Xtr, Xte = X[tr], X[te]
        if G["has_nan"][name]:
            imp = SimpleImputer(strategy="mean").fit(Xtr)
            Xtr, Xte = imp.transform(Xtr), imp.transform(Xte)
        Xtr = with_flag(Xtr.astype(np.float32, copy=False), pres[tr], pres[tr])
        Xte = with_flag(Xte.astype(np.float32, copy=False), pres[te], pres[tr])
        sc = StandardScaler().fit(Xtr)
        out.append((sc.transform(Xtr), sc.transform(Xte)))
    # text: TF-IDF fit on the training rows, float32, scaled without centring
    texts, pres = G["texts"], G["present"]["text:text"]
    vec = TfidfVectorizer(max_features=G["max_features"], ngram_range=(1, 2), sublinear_tf=True,
                          stop_words="english")
    Xtr = with_flag(vec.fit_transform(texts[tr]).astype(np.float32), pres[tr], pres[tr])
    Xte = with_flag(vec.transform(texts[te]).astype(np.float32), pres[te], pres[tr])
    sc = StandardScaler(with_mean=False).fit(Xtr)
    out.append((sc.transform(Xtr), sc.transform(Xte)))
    return out


def task(kind, f, g, tr, te, blas_threads):
    """kind 'outer': per-block and early-fusion probabilities of the outer test
    rows te. kind 'inner': per-block probabilities of the inner held-out rows."""
    y = G["y"]
    with threadpool_limits(limits=blas_threads, user_api="blas"), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        blocks = encode(tr, te)
        probs, iters = {}, {}
        for name, (Xtr, Xte) in zip(BLOCKS, blocks):
            m = lr().fit(Xtr, y[tr])
            probs[name] = m.predict_proba(Xte)
            iters[name] = int(m.n_iter_[0])
        if kind == "outer":
            Etr = sparse.hstack([sparse.csr_matrix(b[0]) if not sparse.issparse(b[0]) else b[0] for b in blocks],
                                format="csr")
            Ete = sparse.hstack([sparse.csr_matrix(b[1]) if not sparse.issparse(b[1]) else b[1] for b in blocks],
                                format="csr")
            del blocks
            m = lr().fit(Etr, y[tr])
            probs["early"] = m.predict_proba(Ete)
            iters["early"] = int(m.n_iter_[0])
    return kind, f, g, probs, iters


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("csv")
    ap.add_argument("--max-features", type=int, default=5000)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--inner-folds", type=int, default=5)
    ap.add_argument("--n-jobs", type=int, default=1)
    ap.add_argument("--blas-threads", type=int, default=2, help="BLAS threads with --n-jobs 1")
    ap.add_argument("--json", help="also write the RESULT object here")
    a = ap.parse_args()

    t0 = time.perf_counter()
    head = pd.read_csv(a.csv, nrows=0).columns
    dcols = [c for c in head if c.startswith("d") and c[1:].isdigit()]
    tcols = [c for c in head if c.startswith("t") and c[1:].isdigit()]
    dtypes = {c: np.float32 for c in dcols}
    dtypes.update({c: np.float64 for c in tcols})
    dtypes.update({"text": str, "label": str})
    df = pd.read_csv(a.csv, dtype=dtypes, keep_default_na=False, na_values={c: [""] for c in dcols + tcols})
    df = df[df["label"] != ""].reset_index(drop=True)
    G["texts"] = df["text"].to_numpy(dtype=object)
    G["D"] = df[dcols].to_numpy(dtype=np.float32)
    G["T"] = df[tcols].to_numpy(dtype=np.float64)
    labels = LabelEncoder().fit(df["label"])
    G["y"] = y = labels.transform(df["label"])
    del df
    t_load = time.perf_counter() - t0
    G["max_features"] = a.max_features
    G["has_nan"] = {"tabular": bool(np.isnan(G["T"]).any()), "dense": bool(np.isnan(G["D"]).any())}
    G["present"] = {"tabular": ~np.isnan(G["T"]).all(axis=1), "dense": ~np.isnan(G["D"]).all(axis=1),
                    "text:text": np.array([t.strip() != "" for t in G["texts"]])}
    n, K = len(y), len(labels.classes_)

    outer = list(StratifiedKFold(a.folds, shuffle=True, random_state=42).split(np.zeros(n), y))
    inner = []
    for tr, _ in outer:
        split = StratifiedKFold(a.inner_folds, shuffle=True, random_state=42).split(np.zeros(len(tr)), y[tr])
        inner.append([(tr[itr], tr[ite]) for itr, ite in split])
    blas = a.blas_threads if a.n_jobs == 1 else 1
    jobs = [delayed(task)("outer", f, -1, tr, te, blas) for f, (tr, te) in enumerate(outer)]
    jobs += [delayed(task)("inner", f, g, itr, ite, blas) for f in range(a.folds)
             for g, (itr, ite) in enumerate(inner[f])]
    # heaviest tasks (outer: early fusion) first
    done = Parallel(n_jobs=a.n_jobs, backend="multiprocessing" if a.n_jobs > 1 else None)(jobs)

    rows = ["tabular only", "dense only", "text:text only", "early fusion (concat, missing=flag)",
            "late fusion (average)", "late fusion (weighted)", "late fusion (stacked)"]
    oof = {r: np.zeros((n, K)) for r in rows}
    fold_acc = {r: [] for r in rows}
    n_iter = {}
    res_outer = {f: p for kind, f, g, p, it in done if kind == "outer"}
    res_inner = {(f, g): p for kind, f, g, p, it in done if kind == "inner"}
    for kind, f, g, p, it in done:
        for k, v in it.items():
            n_iter.setdefault(f"{kind}:{k}", []).append(v)
    with threadpool_limits(limits=a.blas_threads, user_api="blas"), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for f, (tr, te) in enumerate(outer):
            p = res_outer[f]
            prior = np.bincount(y[tr], minlength=K) / len(tr)
            pres = np.stack([G["present"][b][te] for b in BLOCKS], 1).astype(float)
            probs = [p[b] for b in BLOCKS]

            def combine(w):
                ww = pres * w
                tot = ww.sum(1, keepdims=True)
                mix = sum(ww[:, i:i + 1] * probs[i] for i in range(len(BLOCKS))) / np.maximum(tot, 1e-300)
                return np.where(tot > 0, mix, prior)

            # inner out-of-fold probabilities of the outer training rows
            pos = np.empty(n, dtype=np.int64)
            pos[tr] = np.arange(len(tr))
            ioof = [np.zeros((len(tr), K)) for _ in BLOCKS]
            for g, (itr, ite) in enumerate(inner[f]):
                for i, b in enumerate(BLOCKS):
                    ioof[i][pos[ite]] = res_inner[(f, g)][b]
            ipres = [G["present"][b][tr] for b in BLOCKS]
            w = np.array([((o.argmax(1) == y[tr])[pr]).mean() if pr.any() else 0.0 for o, pr in zip(ioof, ipres)])

            def meta(ps, prs):
                cols = []
                for q, pr in zip(ps, prs):
                    cols += [np.where(pr[:, None], q, prior), pr[:, None].astype(float)]
                return np.hstack(cols).astype(np.float32)

            stacker = lr().fit(meta(ioof, ipres), y[tr])
            n_iter.setdefault("meta", []).append(int(stacker.n_iter_[0]))
            p_st = stacker.predict_proba(meta(probs, [G["present"][b][te] for b in BLOCKS]))
            p_st = np.where(pres.sum(1, keepdims=True) > 0, p_st, prior)
            for r, q in zip(rows, probs + [p["early"], combine(np.ones(len(BLOCKS))), combine(w), p_st]):
                oof[r][te] = q
                fold_acc[r].append(float((q.argmax(1) == y[te]).mean()))
    t_end = time.perf_counter()

    out_rows = [{"model": r, "acc_mean": float(np.mean(fold_acc[r])),
                 "log_loss": float(log_loss(y, np.clip(oof[r], 1e-15, 1 - 1e-15), labels=np.arange(K)))}
                for r in rows]
    for r in out_rows:
        print(f"{r['model']:40s} accuracy {r['acc_mean']:.4f}  log loss {r['log_loss']:.4f}")
    res = {"op_s": t_end - t0, "load_s": t_load, "import_s": T_IMPORTED - T_START, "rows": n,
           "n_jobs": a.n_jobs, "blas_threads": blas, "results": out_rows,
           "n_iter": {k: v for k, v in sorted(n_iter.items())},
           "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(res, fh)
    print("RESULT " + json.dumps(res), flush=True)


if __name__ == "__main__":
    main()
