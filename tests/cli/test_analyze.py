"""`mmfuse analyze` tells complementary modalities from redundant ones.

Two generated datasets, binary target, a numeric block and a text block:
- complementary: each modality carries its own independent noisy evidence
  about the label (each alone ~70% accurate), so fusing them gains clearly;
- redundant: both modalities are read off the same noisy latent value, so
  they are right and wrong on the same rows and fusing gains nothing.
"""
import json, os, subprocess, sys, tempfile
import numpy as np

build = os.environ["MMFUSE_BUILD"]
mmfuse = os.path.join(build, "mmfuse")
tmp = tempfile.mkdtemp(prefix="mmfuse-analyze-")
rng = np.random.RandomState(11)
n = 2000
passed = failed = 0

def check(cond, what):
    global passed, failed
    passed += bool(cond)
    failed += not cond
    if not cond:
        print("FAIL:", what)

def write(path, x, tokens, y):
    with open(path, "w") as f:
        f.write("x1,x2,words,label\n")
        for i in range(n):
            f.write(f"{x[i, 0]:.5f},{x[i, 1]:.5f},{' '.join(tokens[i])},{'yes' if y[i] else 'no'}\n")

def words_from(evidence_correct, y):
    out = []
    for i in range(n):
        toks = []
        for ok in evidence_correct[i]:
            toks.append(("pos" if y[i] else "neg") if ok else ("neg" if y[i] else "pos"))
        toks += list(rng.choice(["the", "some", "item", "thing", "stuff", "info"], 3))
        out.append(toks)
    return out

def analyze(path):
    p = subprocess.run([mmfuse, "analyze", path, "--target", "label", "--numeric", "x1,x2", "--text", "words",
                        "--stop-words", "none", "--json", "-q", "--no-cache"], capture_output=True, text=True)
    check(p.returncode == 0, f"analyze exit {p.returncode}: {p.stderr}")
    return json.loads(p.stdout)

y = rng.randint(0, 2, n)
sign = 2 * y - 1
# complementary: independent evidence
x = np.stack([0.55 * sign + rng.randn(n), rng.randn(n)], 1)
words = words_from(rng.rand(n, 35) < 0.55, y)
comp = os.path.join(tmp, "complementary.csv")
write(comp, x, words, y)
res = analyze(comp)
pair = res["pairs"][0]
print(f"complementary: A {pair['accuracy_a']:.3f} B {pair['accuracy_b']:.3f} fused {pair['accuracy_fused']:.3f} "
      f"gain {pair['fusion_gain']:+.3f} Q {pair['yule_q']:.3f} -> {pair['complementarity']}")
check(0.6 < pair["accuracy_a"] < 0.8 and 0.6 < pair["accuracy_b"] < 0.8, "each modality alone is ~70%")
check(pair["fusion_gain"] > 0.05, "complementary modalities: positive gain")
check(pair["complementarity"] == "HIGH", "complementary modalities: HIGH")
check(abs(pair["yule_q"]) < 0.3, "independent errors: Yule's Q near 0")

# redundant: both read the same latent value
z = 0.55 * sign + rng.randn(n)
x = np.stack([z + 0.05 * rng.randn(n), rng.randn(n)], 1)
words = [[("pos" if z[i] > 0 else "neg")] * 3 + list(rng.choice(["the", "some", "item"], 2)) for i in range(n)]
red = os.path.join(tmp, "redundant.csv")
with open(red, "w") as f:
    f.write("x1,x2,words,label\n")
    for i in range(n):
        f.write(f"{x[i, 0]:.5f},{x[i, 1]:.5f},{' '.join(words[i])},{'yes' if y[i] else 'no'}\n")
res = analyze(red)
pair = res["pairs"][0]
print(f"redundant:     A {pair['accuracy_a']:.3f} B {pair['accuracy_b']:.3f} fused {pair['accuracy_fused']:.3f} "
      f"gain {pair['fusion_gain']:+.3f} Q {pair['yule_q']:.3f} -> {pair['complementarity']}")
check(pair["complementarity"] == "LOW", "redundant modalities: LOW")
check(pair["fusion_gain"] <= 0.01, "redundant modalities: no gain")
check(pair["yule_q"] > 0.9, "same errors: Yule's Q near 1")
check(pair["one_right"] < 0.05, "redundant modalities are rarely right alone")

# the canonical correlations equal sklearn's CCA on the same blocks
# (standardized, PCA to <= 20 dims: exactly what `extract --scale --balance-dim 20` writes)
from sklearn.cross_decomposition import CCA
feats = os.path.join(tmp, "f.npy")
subprocess.run([mmfuse, "extract", comp, "--target", "label", "--numeric", "x1,x2", "--text", "words", "--stop-words",
                "none", "--scale", "--balance-dim", "20", "-o", feats, "-q", "--no-cache"], check=True)
X = np.load(feats).astype(np.float64)
side = json.load(open(os.path.join(tmp, "f.json")))
A = X[:, side["blocks"][0]["start"]:side["blocks"][0]["end"]]
B = X[:, side["blocks"][1]["start"]:side["blocks"][1]["end"]]
k = min(3, A.shape[1], B.shape[1])
Ac, Bc = CCA(n_components=k, max_iter=500).fit(A, B).transform(A, B)
ref = [np.corrcoef(Ac[:, i], Bc[:, i])[0, 1] for i in range(k)]
got = analyze(comp)["pairs"][0]["cca_correlations"]
print("CCA correlations", np.round(got, 6), "sklearn", np.round(ref, 6))
check(len(got) == k and np.allclose(got, ref, atol=1e-3), "canonical correlations match sklearn's CCA within 1e-3")

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
