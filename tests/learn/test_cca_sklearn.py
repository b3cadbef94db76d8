"""mm_cca (via drv_decomp) against scikit-learn 1.2.1 CCA(scale=True).

Inputs are generated as float32 and given to scikit-learn as float64 (the
same values). For every case: canonical correlations (Pearson of the paired
transform() scores) within 1e-10 (the stated requirement is 1e-3), the
iteration counts equal, x/y weights, loadings and rotations within 1e-8
(signs exact), means and stds within 1e-12 relative, and the scores within
1e-8. Cases: correlated blocks, a constant column, nearly independent
blocks, n_components 1..3, different widths, a single-column Y (the NIPALS
loop stops after one pass), a Y that runs out of rank (constant residual:
fewer components, as scikit-learn warns), and max_iter reached.
"""
import os
import subprocess
import sys
import tempfile
import warnings

import numpy as np
from sklearn.cross_decomposition import CCA
from sklearn.exceptions import ConvergenceWarning

DRV = os.path.join(os.environ["MMFUSE_BUILD"], "tests", "learn", "drv_decomp")
passed = failed = 0
worst = {}


def check(cond, msg):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", msg)


def note(key, v):
    worst[key] = max(worst.get(key, 0.0), float(v))


def run(X32, Y32, k, max_iter=500, tol=1e-6):
    n, p = X32.shape
    q = Y32.shape[1]
    with tempfile.TemporaryDirectory() as d:
        xf, yf, of = (os.path.join(d, s) for s in ("X.f32", "Y.f32", "out.f64"))
        np.ascontiguousarray(X32, dtype="<f4").tofile(xf)
        np.ascontiguousarray(Y32, dtype="<f4").tofile(yf)
        subprocess.run([DRV, "cca", xf, yf, str(n), str(p), str(q), str(k), str(max_iter),
                        repr(tol), of], check=True)
        v = np.fromfile(of, dtype=np.float64)
    o = 0

    def take(cnt, shape=None):
        nonlocal o
        r = v[o:o + cnt]
        o += cnt
        return r.reshape(shape) if shape else r

    res = {"n_fitted": int(take(1)[0]), "n_iter": take(k).astype(int),
           "x_weights_": take(p * k, (p, k)), "y_weights_": take(q * k, (q, k)),
           "x_loadings_": take(p * k, (p, k)), "y_loadings_": take(q * k, (q, k)),
           "x_rotations_": take(p * k, (p, k)), "y_rotations_": take(q * k, (q, k)),
           "x_mean": take(p), "x_std": take(p), "y_mean": take(q), "y_std": take(q),
           "corr": take(k), "xs": take(n * k, (n, k)), "ys": take(n * k, (n, k))}
    assert o == v.size
    return res


def case(name, X, Y, k, max_iter=500, tol=1e-6, expect_fitted=None, corr_only=False):
    X32 = np.asarray(X, dtype=np.float32)
    Y32 = np.asarray(Y, dtype=np.float32)
    got = run(X32, Y32, k, max_iter, tol)
    X64, Y64 = X32.astype(np.float64), Y32.astype(np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = CCA(n_components=k, scale=True, max_iter=max_iter, tol=tol).fit(X64, Y64)
    xs, ys = ref.transform(X64, Y64)
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.array([np.corrcoef(xs[:, c], ys[:, c])[0, 1] for c in range(k)])
    n_ref = len(ref.n_iter_)
    check(got["n_fitted"] == n_ref, "%s: %d components fitted, sklearn %d" %
          (name, got["n_fitted"], n_ref))
    if expect_fitted is not None:
        check(n_ref == expect_fitted, "%s: sklearn fitted %d" % (name, n_ref))
    check(list(got["n_iter"][:n_ref]) == list(ref.n_iter_),
          "%s: n_iter %s vs %s" % (name, got["n_iter"][:n_ref], ref.n_iter_))
    ok = np.isfinite(corr)
    dcorr = float(np.max(np.abs(got["corr"][ok] - corr[ok]))) if ok.any() else 0.0
    note("corr abs", dcorr)
    check(dcorr <= 1e-10, "%s: correlations %s vs %s" % (name, got["corr"], corr))
    check(np.array_equal(np.isnan(got["corr"]), np.isnan(corr)),
          "%s: NaN correlations differ" % name)
    check(dcorr <= 1e-3, "%s: correlations beyond 1e-3" % name)
    for side in "xy":
        for a, b in ((side + "_mean", "_%s_mean" % side), (side + "_std", "_%s_std" % side)):
            r = float(np.max(np.abs(got[a] - getattr(ref, b)) /
                             np.maximum(np.abs(getattr(ref, b)), 1e-300)))
            check(r <= 1e-12 or np.max(np.abs(got[a] - getattr(ref, b))) <= 1e-12,
                  "%s: %s rel %.3g" % (name, a, r))
    if corr_only:
        return got
    for attr in ("x_weights_", "y_weights_", "x_loadings_", "y_loadings_", "x_rotations_",
                 "y_rotations_"):
        R = getattr(ref, attr)
        d = float(np.max(np.abs(got[attr] - R))) / max(1.0, float(np.max(np.abs(R))))
        note(attr, d)
        check(d <= 1e-8, "%s: %s differs by %.3g" % (name, attr, d))
    scale = max(1.0, float(np.max(np.abs(xs))), float(np.max(np.abs(ys))))
    d = max(float(np.max(np.abs(got["xs"] - xs))), float(np.max(np.abs(got["ys"] - ys)))) / scale
    note("scores rel-to-max", d)
    check(d <= 1e-8, "%s: scores differ by %.3g" % (name, d))
    return got


def main():
    rng = np.random.RandomState(1)
    # correlated pair with a shared latent signal, one constant column
    n = 200
    Z = rng.standard_normal((n, 3))
    X = Z @ rng.standard_normal((3, 10)) + 0.5 * rng.standard_normal((n, 10))
    X[:, 4] = 3.0
    Y = Z @ rng.standard_normal((3, 5)) + 0.5 * rng.standard_normal((n, 5))
    for k in (1, 2, 3):
        case("correlated k=%d" % k, X, Y, k)
    # strong vs weak shared signal; scaled columns
    Z = rng.standard_normal((300, 2))
    X = np.hstack([Z * [5.0, 0.2], rng.standard_normal((300, 6))]) * rng.uniform(0.1, 10, 8)
    Y = np.hstack([Z[:, :1] + 0.1 * rng.standard_normal((300, 1)),
                   rng.standard_normal((300, 3))]) + 7.0
    case("strong+weak k=3", X, Y, 3)
    # nearly independent blocks (slow convergence: compare correlations)
    X = rng.standard_normal((300, 6))
    Y = rng.standard_normal((300, 4)) + 0.05 * X[:, :4]
    got = case("nearly independent k=2", X, Y, 2)
    check(np.all(np.abs(got["corr"]) < 0.4), "nearly independent: |corr| small %s" % got["corr"])
    # different widths
    Z = rng.standard_normal((150, 2))
    X = np.hstack([Z, rng.standard_normal((150, 28))]) @ rng.standard_normal((30, 30))
    Y = Z @ rng.standard_normal((2, 2)) + 0.3 * rng.standard_normal((150, 2))
    case("p=30 q=2 k=2", X, Y, 2)
    case("p=30 q=2 k=1", X, Y, 1)
    # single-column Y: one NIPALS pass per component
    y = (Z[:, 0] + 0.2 * rng.standard_normal(150))[:, None]
    case("q=1 k=1", X, y, 1)
    # Y of rank 1 (two proportional columns): the residual is constant after
    # the first component
    yy = np.hstack([y, 2 * y])
    case("rank-1 Y k=2", X[:, :5], yy, 2, expect_fitted=1, corr_only=True)
    # max_iter reached
    X = rng.standard_normal((100, 5))
    Y = rng.standard_normal((100, 4))
    got = case("max_iter=3", X, Y, 2, max_iter=3, tol=0.0)
    check(list(got["n_iter"]) == [3, 3], "max_iter=3: n_iter %s" % got["n_iter"])
    # many rows, tiny tol
    Z = rng.standard_normal((1000, 2))
    X = np.hstack([Z, rng.standard_normal((1000, 10))])
    Y = np.hstack([Z[:, ::-1] * 0.5 + 0.2 * rng.standard_normal((1000, 2)),
                   rng.standard_normal((1000, 6))])
    case("1000 rows tol=1e-12", X, Y, 3, tol=1e-12)

    for key in sorted(worst):
        print("worst %-20s %.3g" % (key, worst[key]))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
