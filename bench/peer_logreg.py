#!/usr/bin/python3
"""Logistic-regression fit benchmark: the scikit-learn side of bench_logreg.c.

    peer_logreg.py dense|sparse DATADIR [--out DIR] [--max-iter N] [--tol T] [--C C]

Loads DATADIR/dense_*.npy or DATADIR/sparse_*.npy (bench/gen_logreg.py),
converts X to float64 outside the timed region (what LogisticRegression's
lbfgs path would do inside fit), then times LogisticRegression(C, max_iter,
tol, solver='lbfgs').fit alone and prints one RESULT line. --out DIR writes
DIR/sk_{kind}_coef.npy (K x p) and sk_{kind}_intercept.npy.
"""
import argparse
import json
import resource
import time
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression


def load(kind, d):
    if kind == "dense":
        X = np.load(f"{d}/dense_X.npy").astype(np.float64)
        y = np.load(f"{d}/dense_y.npy")
    else:
        shape = tuple(int(v) for v in np.load(f"{d}/sparse_shape.npy"))
        X = sp.csr_matrix((np.load(f"{d}/sparse_data.npy").astype(np.float64),
                           np.load(f"{d}/sparse_indices.npy"), np.load(f"{d}/sparse_indptr.npy")), shape=shape)
        y = np.load(f"{d}/sparse_y.npy")
    return X, y


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("kind", choices=["dense", "sparse"])
    ap.add_argument("datadir")
    ap.add_argument("--out")
    ap.add_argument("--C", type=float, default=1.0)
    ap.add_argument("--max-iter", type=int, default=500)
    ap.add_argument("--tol", type=float, default=1e-4)
    a = ap.parse_args()

    X, y = load(a.kind, a.datadir)
    clf = LogisticRegression(C=a.C, max_iter=a.max_iter, tol=a.tol, solver="lbfgs")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        t0 = time.perf_counter()
        clf.fit(X, y)
        t1 = time.perf_counter()
    n_iter = int(np.max(clf.n_iter_))
    res = {"op_s": t1 - t0, "n_iter": n_iter, "converged": n_iter < a.max_iter,
           "rows": X.shape[0], "cols": X.shape[1],
           "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}
    print("RESULT " + json.dumps(res), flush=True)
    if a.out:
        np.save(f"{a.out}/sk_{a.kind}_coef.npy", clf.coef_)
        np.save(f"{a.out}/sk_{a.kind}_intercept.npy", clf.intercept_)


if __name__ == "__main__":
    main()
