#!/usr/bin/python3
"""PCA fit benchmark: the scikit-learn side of bench_pca.c (driven by
bench/run_pca.sh).

    peer_pca.py X.npy --k K [--solver auto|full|randomized] [--f64] [--out PREFIX]

Loads the float32 matrix (not timed) and times
PCA(n_components=K, svd_solver=..., random_state=42).fit(X) alone, on the
float32 array as a user would pass it (scikit-learn then computes in
float32). --f64 converts X to float64 first (outside the timed region): the
accuracy reference, since mmfuse computes in double. Prints one RESULT line;
--out PREFIX writes PREFIX_components.npy and PREFIX_ev.npy (float64).
"""
import argparse
import json
import resource
import time

import numpy as np
from sklearn.decomposition import PCA


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("x")
    ap.add_argument("--k", type=int, required=True)
    ap.add_argument("--solver", default="randomized", choices=["auto", "full", "randomized"])
    ap.add_argument("--f64", action="store_true")
    ap.add_argument("--out")
    a = ap.parse_args()

    X = np.load(a.x)
    if a.f64:
        X = X.astype(np.float64)
    pca = PCA(n_components=a.k, svd_solver=a.solver, random_state=42)
    t0 = time.perf_counter()
    pca.fit(X)
    t1 = time.perf_counter()
    res = {"op_s": t1 - t0, "rows": X.shape[0], "cols": X.shape[1], "k": a.k,
           "solver": pca._fit_svd_solver, "dtype": str(X.dtype),
           "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}
    print("RESULT " + json.dumps(res), flush=True)
    if a.out:
        np.save(a.out + "_components.npy", pca.components_.astype(np.float64))
        np.save(a.out + "_ev.npy", pca.explained_variance_.astype(np.float64))


if __name__ == "__main__":
    main()
