"""mm_scaler (via drv_scaler) against scikit-learn 1.2 StandardScaler on float32
input: mean_/var_/scale_ within rtol 1e-12, transformed values within 1e-6
(and counted when bit-identical). Dense matrices include a constant column,
columns with NaN, a near-constant column (1e-20 noise) and a single-row
matrix; CSR matrices are fitted with with_mean=False."""
import os
import subprocess
import sys
import tempfile

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import StandardScaler

DRV = os.path.join(os.environ["MMFUSE_BUILD"], "tests", "learn", "drv_scaler")
passed = failed = 0
stats = {"exact_out": 0, "total_out": 0, "worst_stat_rel": 0.0, "worst_out": 0.0}


def check(cond, msg):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", msg)


def run(text):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "in.txt")
        with open(path, "w") as f:
            f.write(text)
        out = subprocess.run([DRV, path], check=True, capture_output=True, text=True).stdout
    lines = out.strip().split("\n")
    res = {}
    for i, l in enumerate(lines):
        t = l.split()
        if t[0] == "out":
            # %.9g round-trips float32: parse as float32 to recover the exact value
            res["out"] = np.array([[np.float32(v) for v in r.split()] for r in lines[i + 1:]],
                                  dtype=np.float32).astype(np.float64)
            break
        res[t[0]] = np.array([float(v) for v in t[1:]])
    return res


def close_stats(name, got, ref):
    ref = np.asarray(ref, dtype=np.float64)
    both_nan = np.isnan(got) & np.isnan(ref)
    diff = np.where(both_nan, 0.0, np.abs(got - ref))
    scale = np.maximum(np.abs(ref), 1e-300)
    rel = np.where(both_nan | (diff == 0), 0.0, diff / scale)
    stats["worst_stat_rel"] = max(stats["worst_stat_rel"], float(np.max(rel)))
    return bool(np.all(rel <= 1e-12) and np.array_equal(np.isnan(got), np.isnan(ref)))


def compare_outputs(name, got, ref):
    ref = np.asarray(ref, dtype=np.float64)
    nan_ok = np.array_equal(np.isnan(got), np.isnan(ref))
    diff = np.where(np.isnan(ref), 0.0, np.abs(got - np.nan_to_num(ref)))
    stats["worst_out"] = max(stats["worst_out"], float(np.max(diff)))
    stats["exact_out"] += int(np.sum((got == ref) | (np.isnan(got) & np.isnan(ref))))
    stats["total_out"] += got.size
    check(nan_ok, name + ": NaN positions differ")
    check(np.max(diff) <= 1e-6, "%s: outputs differ by %.3g" % (name, np.max(diff)))


def dense_case(name, X, with_mean=True, with_std=True):
    X = np.asarray(X, dtype=np.float32)
    n, p = X.shape
    text = "dense %d %d %d %d\n" % (n, p, int(with_mean), int(with_std))
    text += "\n".join(" ".join("%.9g" % v for v in row) for row in X) + "\n"
    got = run(text)
    sc = StandardScaler(with_mean=with_mean, with_std=with_std).fit(X)
    ref_out = sc.transform(X)
    if sc.mean_ is not None:
        check(close_stats(name, got["mean"], sc.mean_), name + ": mean_")
    if sc.var_ is not None:
        check(close_stats(name, got["var"], sc.var_), name + ": var_")
        check(close_stats(name, got["scale"], sc.scale_), name + ": scale_")
    compare_outputs(name, got["out"].reshape(n, p), ref_out)
    print("%-34s ok" % name)


def csr_case(name, X, with_std=True):
    X = sp.csr_matrix(np.asarray(X, dtype=np.float32))
    X.sort_indices()
    n, p = X.shape
    coo = X.tocoo()
    text = "csr %d %d %d %d\n" % (n, p, int(with_std), X.nnz)
    text += "\n".join("%d %d %.9g" % (r, c, v) for r, c, v in zip(coo.row, coo.col, coo.data))
    got = run(text + "\n")
    sc = StandardScaler(with_mean=False, with_std=with_std).fit(X)
    ref = sc.transform(X)
    if with_std:
        check(close_stats(name, got["mean"], sc.mean_), name + ": mean_")
        check(close_stats(name, got["var"], sc.var_), name + ": var_")
        check(close_stats(name, got["scale"], sc.scale_), name + ": scale_")
    compare_outputs(name, got["out"].ravel(), ref.tocoo().data)
    print("%-34s ok" % name)


def main():
    rs = np.random.RandomState(7)
    X = rs.randn(200, 6) * [1.0, 10.0, 0.01, 1e4, 3.0, 1.0] + [0.0, 5.0, -2.0, 1e5, 0.0, 0.1]
    X[:, 4] = 0.1            # constant column (mean 0.1 is not exact)
    X[::7, 1] = np.nan        # NaN ignored in the statistics
    X[3, 2] = np.nan
    dense_case("dense mixed columns", X)
    dense_case("dense with_mean=False", X, with_mean=False)
    dense_case("dense with_std=False", X, with_std=False)
    Y = np.ones((150, 3), dtype=np.float64)
    Y[:, 0] = 1e-20 * rs.randn(150)          # near-constant: tiny noise around 0
    Y[:, 1] = 5.0 + 1e-20 * rs.randn(150)    # rounds to a constant in float32
    Y[:, 2] = rs.rand(150)
    dense_case("dense near-constant columns", Y)
    dense_case("dense single row", rs.randn(1, 5))
    dense_case("dense all-NaN column", np.column_stack([rs.randn(20), np.full(20, np.nan)]))
    dense_case("dense wide f32", rs.randn(300, 40) * 100 + 7)

    S = rs.rand(120, 30) * (rs.rand(120, 30) < 0.2) * 5.0
    S[:, 3] = 0.0                                   # empty column: scale 1
    S[5, 7] = np.nan                                # NaN ignored in the statistics
    S[:, 9] = np.where(rs.rand(120) < 0.5, 2.0, 0)  # two-valued column
    S[:, 11] = 1.5                                  # stored constant column
    csr_case("csr with_mean=False", S)
    csr_case("csr with_std=False", S, with_std=False)
    csr_case("csr single row", rs.rand(1, 8) * (rs.rand(1, 8) < 0.5))

    print("outputs bit-identical to sklearn: %d of %d; worst |d out| %.2e; worst stat rel %.2e"
          % (stats["exact_out"], stats["total_out"], stats["worst_out"], stats["worst_stat_rel"]))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
