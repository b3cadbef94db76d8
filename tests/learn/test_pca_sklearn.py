"""mm_pca (via drv_decomp) against scikit-learn 1.2.1 PCA.

The matrices are generated as float32 and given to scikit-learn as float64
(the same values), because mmfuse computes in double; see decomp.h.

Checked, with the worst differences printed at the end:
- full solver (dense and sparse input): components_ (signs exact) within
  1e-9, explained_variance_ / ratio / singular_values_ / noise_variance_
  within rtol 1e-10, transform within float32 rounding of the output;
- randomized solver with random_state=42: the same against
  PCA(svd_solver='randomized'), on n > p, n < p (transposed range finder),
  n_iter 4 and 7, both power-iteration paths (Gram and direct), and a sparse
  TF-IDF-like matrix (implicit centering) against PCA on the densified
  matrix, components within 1e-8;
- the solver mmfuse picks for svd_solver='auto' is the one scikit-learn
  picks;
- randomized vs full on a spiked spectrum: leading singular values within
  1e-6 relative and principal angles of the leading components below 1e-5.
MMFUSE_SANITIZED=1 shrinks the matrices.
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
import scipy.sparse as sp
from sklearn.decomposition import PCA

DRV = os.path.join(os.environ["MMFUSE_BUILD"], "tests", "learn", "drv_decomp")
SMALL = os.environ.get("MMFUSE_SANITIZED") == "1"
SOLVER = {"auto": 0, "full": 1, "randomized": 2}
PATH = {"auto": 0, "gram": 1, "direct": 2}
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


def parse(path, n, p, k):
    v = np.fromfile(path, dtype=np.float64)
    o = 0

    def take(cnt):
        nonlocal o
        r = v[o:o + cnt]
        o += cnt
        return r

    res = {"solver": int(take(1)[0]), "path": int(take(1)[0]), "mean": take(p),
           "components": take(k * p).reshape(k, p), "ev": take(k), "ratio": take(k),
           "sv": take(k), "noise": take(1)[0], "Z": take(n * k).reshape(n, k)}
    assert o == v.size, "driver output size"
    return res


def run_dense(X32, k, solver="auto", n_iter=-1, path="auto"):
    n, p = X32.shape
    with tempfile.TemporaryDirectory() as d:
        xf, of = os.path.join(d, "X.f32"), os.path.join(d, "out.f64")
        np.ascontiguousarray(X32, dtype="<f4").tofile(xf)
        subprocess.run([DRV, "pca-dense", xf, str(n), str(p), str(SOLVER[solver]), str(k),
                        str(n_iter), "10", "42", str(PATH[path]), of], check=True)
        return parse(of, n, p, k)


def run_csr(S32, k, solver="auto"):
    S32 = sp.csr_matrix(S32, dtype=np.float32)
    S32.sort_indices()
    n, p = S32.shape
    with tempfile.TemporaryDirectory() as d:
        f = [os.path.join(d, x) for x in ("ip.i64", "ix.i32", "dt.f32", "out.f64")]
        S32.indptr.astype("<i8").tofile(f[0])
        S32.indices.astype("<i4").tofile(f[1])
        S32.data.astype("<f4").tofile(f[2])
        subprocess.run([DRV, "pca-csr", f[0], f[1], f[2], str(n), str(p), str(SOLVER[solver]),
                        str(k), "-1", "10", "42", f[3]], check=True)
        return parse(f[3], n, p, k)


def rel(a, b):
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


def compare(name, got, X64, k, solver, comp_tol, n_iter="auto"):
    ref = PCA(n_components=k, svd_solver=solver, iterated_power=n_iter, random_state=42).fit(X64)
    kind = "full" if solver == "full" else "rand"
    dc = float(np.max(np.abs(got["components"] - ref.components_)))
    note(kind + " components abs", dc)
    # a sign mismatch shows as a difference of about 2 |entry|
    signs = np.sign(np.sum(got["components"] * ref.components_, axis=1))
    check(np.all(signs > 0), "%s: component signs differ: %s" % (name, signs))
    check(dc <= comp_tol, "%s: components differ by %.3g" % (name, dc))
    check(rel(got["mean"], ref.mean_) <= 1e-12 or
          np.max(np.abs(got["mean"] - ref.mean_)) <= 1e-12, name + ": mean_")
    for key, attr in (("ev", "explained_variance_"), ("ratio", "explained_variance_ratio_"),
                      ("sv", "singular_values_")):
        r = rel(got[key], getattr(ref, attr))
        note(kind + " " + key + " rel", r)
        check(r <= (1e-10 if kind == "full" else 1e-9), "%s: %s rel diff %.3g" % (name, attr, r))
    nz = abs(ref.noise_variance_)
    dn = abs(got["noise"] - ref.noise_variance_)
    note(kind + " noise_variance rel", dn / max(nz, 1e-300) if nz > 0 else dn)
    check(dn <= 1e-9 * max(nz, 1e-3), "%s: noise_variance_ %r vs %r" % (name, got["noise"],
                                                                      ref.noise_variance_))
    Zref = ref.transform(X64)
    scale = max(1.0, float(np.max(np.abs(Zref))))
    dz = float(np.max(np.abs(got["Z"] - Zref))) / scale
    note(kind + " transform (float32 out) rel-to-max", dz)
    check(dz <= 1e-6, "%s: transform differs by %.3g (relative to max)" % (name, dz))
    # the double-precision scores implied by our components and mean
    Zd = (X64 - got["mean"]) @ got["components"].T
    dzd = float(np.max(np.abs(Zd - Zref))) / scale
    note(kind + " transform (double) rel-to-max", dzd)
    check(dzd <= 1e-8, "%s: double scores differ by %.3g" % (name, dzd))
    return ref


def sk_solver(n, p, k):
    if max(n, p) <= 500:
        return SOLVER["full"]
    if 1 <= k < 0.8 * min(n, p):
        return SOLVER["randomized"]
    return SOLVER["full"]


def dense_case(name, X32, k, solver="auto", path="auto", n_iter=-1, expect_path=None):
    if expect_path is not None and SMALL:
        solver = "randomized"  # the shrunken shapes would make 'auto' pick full
    X32 = np.asarray(X32, dtype=np.float32)
    n, p = X32.shape
    got = run_dense(X32, k, solver, n_iter, path)
    used = sk_solver(n, p, k) if solver == "auto" else SOLVER[solver]
    check(got["solver"] == used, "%s: solver %d, expected %d" % (name, got["solver"], used))
    if expect_path is not None:
        check(got["path"] == PATH[expect_path], "%s: path %d, expected %s" % (name, got["path"],
                                                                            expect_path))
    sk = "full" if used == SOLVER["full"] else "randomized"
    tol = 1e-9 if sk == "full" else 1e-8
    compare(name, got, X32.astype(np.float64), k, sk, tol, "auto" if n_iter < 0 else n_iter)
    return got


def spiked(rng, n, p, spikes):
    U = np.linalg.qr(rng.standard_normal((n, len(spikes))))[0]
    V = np.linalg.qr(rng.standard_normal((p, len(spikes))))[0]
    return (U * spikes) @ V.T * np.sqrt(n) + rng.standard_normal((n, p))


def main():
    rng = np.random.RandomState(0)
    f = 0.4 if SMALL else 1.0

    def sz(v):
        return max(8, int(v * f))

    # ---- full solver
    X = rng.standard_normal((200, 50)) * np.linspace(3, 0.5, 50) + 2.0
    dense_case("full 200x50 k=10", X, 10)
    X = rng.standard_normal((120, 40)) @ rng.standard_normal((40, 40))
    dense_case("full 120x40 k=40 (all)", X, 40, solver="full")
    X = rng.standard_normal((60, 200)) * 0.5 - 1.0
    dense_case("full 60x200 k=20 (n<p)", X, 20)
    X = rng.uniform(0, 1, (sz(900), sz(700)))
    dense_case("full 900x700 k=600 (>= 0.8 min)", X, int(0.9 * min(sz(900), sz(700))))

    # ---- randomized solver
    n, p = sz(500), sz(2048)
    X = rng.standard_normal((n, p))
    dense_case("rand %dx%d k=100 (n<p)" % (n, p), X, min(100, n // 2), expect_path="gram")
    n, p = sz(800), 300 if not SMALL else 200
    X = rng.standard_normal((n, p)) @ np.diag(np.linspace(2, 0.2, p)) + 0.3
    dense_case("rand %dx%d k=50 n_iter=4" % (n, p), X, 50)
    dense_case("rand %dx%d k=10 n_iter=7" % (n, p), X, 10)
    dense_case("rand %dx%d k=10 direct" % (n, p), X, 10, path="direct", expect_path="direct")
    dense_case("rand %dx%d k=10 gram" % (n, p), X, 10, path="gram", expect_path="gram")
    n, p = sz(300), sz(1200)
    X = rng.standard_normal((n, p)) * rng.uniform(0.5, 2.0, p)
    dense_case("rand %dx%d k=20 (n<p) direct" % (n, p), X, 20, path="direct",
               expect_path="direct")
    dense_case("rand %dx%d k=20 (n<p) gram" % (n, p), X, 20, path="gram", expect_path="gram")
    X = rng.standard_normal((sz(1000), sz(600)))
    dense_case("rand k=2 auto path -> direct", X, 2, expect_path="direct")
    dense_case("rand n_iter=0", X, 5, solver="randomized", n_iter=0)
    dense_case("rand n_iter=2", X, 5, solver="randomized", n_iter=2)

    # ---- randomized vs full on a spiked spectrum
    n, p = sz(1000), sz(800)
    spikes = np.array([40.0, 30, 25, 20, 15, 12, 10, 8])
    X = spiked(rng, n, p, spikes).astype(np.float32)
    r = run_dense(X, 8, "randomized")
    fu = run_dense(X, 8, "full")
    d = rel(r["sv"], fu["sv"])
    note("spiked: randomized vs full sv rel", d)
    check(d <= 1e-6, "spiked: singular values differ by %.3g" % d)
    cosines = np.linalg.svd(r["components"] @ fu["components"].T, compute_uv=False)
    ang = float(np.max(np.arccos(np.clip(cosines, -1, 1))))
    note("spiked: randomized vs full max principal angle", ang)
    check(ang <= 1e-5, "spiked: principal angle %.3g" % ang)
    same = np.sum(r["components"] * fu["components"], axis=1)
    check(np.all(same > 0.999), "spiked: component signs/directions differ %s" % same)

    # ---- sparse input (TF-IDF-like: nonnegative, rows L2-normalized)
    n, p = sz(400), sz(3000)
    S = sp.random(n, p, density=0.01, format="csr", random_state=rng,
                  data_rvs=lambda m: rng.uniform(0.5, 3.0, m))
    S.data = np.log1p(S.data)
    norms = np.sqrt(np.asarray(S.multiply(S).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    S = sp.diags(1.0 / norms) @ S
    S = sp.csr_matrix(S, dtype=np.float32)
    for k in (50, 10):
        got = run_csr(S, k)
        check(got["solver"] == SOLVER["randomized"], "csr: solver %d" % got["solver"])
        compare("csr %dx%d k=%d" % (n, p, k), got, S.toarray().astype(np.float64), k,
                "randomized", 1e-8)
    S2 = sp.random(80, 300, density=0.05, format="csr", random_state=rng, dtype=np.float32)
    got = run_csr(S2, 12)
    check(got["solver"] == SOLVER["full"], "csr small: solver %d" % got["solver"])
    compare("csr 80x300 k=12 (full)", got, S2.toarray().astype(np.float64), 12, "full", 1e-9)
    # the dense driver on the densified matrix agrees with the sparse one
    gd = run_dense(S.toarray(), 10)
    gs = run_csr(S, 10)
    dd = float(np.max(np.abs(gd["components"] - gs["components"])))
    note("csr vs dense components abs", dd)
    check(dd <= 1e-10, "csr vs dense: components differ by %.3g" % dd)

    for key in sorted(worst):
        print("worst %-45s %.3g" % (key, worst[key]))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
