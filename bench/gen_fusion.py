#!/usr/bin/python3
"""Writes the deterministic multi-modal table of the fusion benchmark.

    gen_fusion.py OUT.csv [--rows N] [--seed S]

Columns: `text` (free text, about 20 words), `d0..d2047` (a dense block, as
precomputed embeddings would be: floats with 3 decimals), `t0..t29` (tabular
floats, about 2% of the cells empty) and `label` (4 classes, unbalanced
30/30/20/20).

Each modality sees its own noisy copy of the label (the true class with
probability 0.7 for text, 0.6 for the dense block and 0.5 for the tabular
columns, otherwise a random class), so every modality alone is mediocre and
their errors are independent: fusion has something to gain, as in real
multi-modal data. The text: a Markov chain over 400 pseudo-words (Zipf
frequencies, 4 usual successors per word, so frequent bigrams exist) with 30%
of the words replaced by per-class topic words, plus per-class two-word
phrases; TF-IDF with (1,2)-grams keeps a full 5,000-term vocabulary. The
dense block: a class mean spread over all 2,048 dimensions, a rank-32
nuisance (correlated dimensions) and isotropic noise. The tabular block: 10
informative and 20 noise columns on mixed scales. The same seed gives the
same bytes.

The mixture is chosen so that logistic regression converges in tens (dense,
tabular) to hundreds (text, early fusion) of L-BFGS iterations, which keeps
the scikit-learn side of the benchmark within minutes on 2 cores.
"""
import argparse
import sys

import numpy as np

K = 4
N_DENSE = 2048
N_TAB = 30
# how often each modality sees the true class (else a random one)
P_TEXT, P_DENSE, P_TAB = 0.7, 0.6, 0.5
N_GENERAL, ZIPF_S, N_TOPIC, TOPIC_SHARE, N_SUCC, P_FOLLOW = 400, 1.0, 60, 0.3, 4, 0.7
TEXT_LEN = 16
DENSE_SIGNAL, DENSE_RANK, DENSE_NUISANCE = 0.1, 32, 0.5
SYL = ("ka lo mi ra ten vo zu pel dor fi gan shu bri mox qua nel tor sa vin ek ul py dra ro be ci "
       "fu ha jo ku le mo na po re si ta ve wo xi yo za tri gle bor stan").split()


def pseudo_words(rng, n, taken):
    out = []
    while len(out) < n:
        w = "".join(rng.choice(SYL, size=rng.randint(2, 4)))
        if w not in taken:
            taken.add(w)
            out.append(w)
    return out


def fmt_table(lo, hi, scale):
    """String of every quantized value k / scale for k in [lo, hi]."""
    return np.array([f"{k / scale:.3f}" for k in range(lo, hi + 1)], dtype=object)


def make(n, seed):
    """(texts, D float32 n x 2048, T float64 n x 30 with NaN gaps, y int) of n rows."""
    rng = np.random.RandomState(seed)
    y = rng.choice(K, size=n, p=[0.3, 0.3, 0.2, 0.2])

    def view(p):
        keep = rng.rand(n) < p
        return np.where(keep, y, rng.randint(0, K, size=n))

    v_text, v_dense, v_tab = view(P_TEXT), view(P_DENSE), view(P_TAB)

    # ---- text
    taken = set()
    general = np.array(pseudo_words(rng, N_GENERAL, taken), dtype=object)
    zipf = 1.0 / np.power(np.arange(len(general)) + 2.7, ZIPF_S)
    zipf /= zipf.sum()
    topic = [np.array(pseudo_words(rng, N_TOPIC, taken), dtype=object) for _ in range(K)]
    phrases = [[" ".join(pseudo_words(rng, 2, taken)) for _ in range(30)] for _ in range(K)]
    # word order follows a sparse Markov chain (each word has a few usual
    # successors), so frequent bigrams exist as in real text
    succ = rng.choice(len(general), size=(len(general), N_SUCC), p=zipf)
    lengths = rng.poisson(TEXT_LEN, size=n) + 4
    texts = []
    for i in range(n):
        L = lengths[i]
        fresh = rng.choice(len(general), size=L, p=zipf)
        follow = rng.rand(L) < P_FOLLOW
        pick = rng.randint(0, N_SUCC, size=L)
        idx = np.empty(L, dtype=np.int64)
        idx[0] = fresh[0]
        for j in range(1, L):
            idx[j] = succ[idx[j - 1], pick[j]] if follow[j] else fresh[j]
        words = general[idx]
        is_topic = rng.rand(L) < TOPIC_SHARE
        nt = int(is_topic.sum())
        if nt:
            words[is_topic] = topic[v_text[i]][rng.randint(0, N_TOPIC, size=nt)]
        words = list(words)
        if rng.rand() < 0.3:
            words.insert(rng.randint(0, L), phrases[v_text[i]][rng.randint(0, 30)])
        if rng.rand() < 0.2:
            words.insert(0, "The")
        texts.append(" ".join(words).capitalize())

    # ---- dense block: class signal spread over all dimensions + a low-rank
    # nuisance (correlated dimensions) + isotropic noise
    M = rng.standard_normal((K, N_DENSE)).astype(np.float32) * np.float32(DENSE_SIGNAL)
    W = (rng.standard_normal((DENSE_RANK, N_DENSE)) / np.sqrt(DENSE_RANK)).astype(np.float32)
    D = rng.standard_normal((n, DENSE_RANK)).astype(np.float32) @ W * np.float32(DENSE_NUISANCE)
    D += rng.standard_normal((n, N_DENSE)).astype(np.float32)
    D += M[v_dense]

    # ---- tabular: 10 informative columns, 20 noise columns, mixed scales, gaps
    T = rng.standard_normal((n, N_TAB))
    shift = rng.standard_normal((K, 10)) * 0.8
    T[:, :10] += shift[v_tab]
    col_scale = np.exp(rng.uniform(-2, 4, size=N_TAB))
    col_off = rng.uniform(-50, 50, size=N_TAB)
    T = T * col_scale + col_off
    T[rng.rand(n, N_TAB) < 0.02] = np.nan
    return texts, D, T, y


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--rows", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=11)
    a = ap.parse_args()
    n = a.rows
    texts, D, T, y = make(n, a.seed)
    scale = 1000
    lim = 9999
    q = np.clip(np.rint(D * scale), -lim, lim).astype(np.int64) + lim
    dense_str = fmt_table(-lim, lim, scale)
    del D
    with open(a.out, "w", encoding="utf-8", newline="") as f:
        head = (["text"] + [f"d{j}" for j in range(N_DENSE)] + [f"t{j}" for j in range(N_TAB)] + ["label"])
        f.write(",".join(head) + "\n")
        labels = ["alpha", "beta", "gamma", "delta"]
        for i in range(n):
            tab = ["" if np.isnan(v) else f"{v:.4g}" for v in T[i]]
            f.write(f'"{texts[i]}",' + ",".join(dense_str[q[i]]) + "," + ",".join(tab) + f",{labels[y[i]]}\n")
    print(f"{a.out}: {n} rows, {N_DENSE} dense + {N_TAB} tabular columns + text", file=sys.stderr)


if __name__ == "__main__":
    main()
