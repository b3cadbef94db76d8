#!/usr/bin/python3
"""Writes the two logistic-regression benchmark problems (deterministic).

    gen_logreg.py OUTDIR --docs DOCS.txt [--rows N] [--dims P] [--sparse-rows M]

dense : OUTDIR/dense_X.npy (float32, N x P) and dense_y.npy (int32, 4 classes):
        a 12-dimensional latent class structure mixed into P correlated
        features of similar scale plus noise, with overlapping classes (a
        typical standardized tabular problem).
sparse: the scikit-learn TF-IDF matrix (sublinear tf, 1-2 grams, English stop
        words, 5000 terms) of the first M documents of DOCS.txt, labels from
        DOCS.labels.npy: OUTDIR/sparse_{indptr (int64), indices (int32),
        data (float32), shape (int64 [rows, cols]), y (int32)}.npy.
Values are stored as float32 so both sides read exactly the same numbers.
"""
import argparse

import numpy as np


def dense_problem(rows, dims, seed=11):
    rng = np.random.RandomState(seed)
    k, latent = 4, 12
    means = rng.normal(0.0, 1.0, size=(k, latent))
    y = rng.choice(k, size=rows, p=[0.3, 0.3, 0.2, 0.2]).astype(np.int32)
    z = means[y] + rng.normal(0.0, 1.3, size=(rows, latent))
    mix = rng.normal(0.0, 1.0, size=(latent, dims)) / np.sqrt(latent)
    scale = np.exp(rng.uniform(-0.2, 0.2, size=dims))
    offset = rng.normal(0.0, 0.05, size=dims)
    X = (z @ mix + rng.normal(0.0, 1.0, size=(rows, dims))) * scale + offset
    return X.astype(np.float32), y


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--docs", required=True)
    ap.add_argument("--rows", type=int, default=20000)
    ap.add_argument("--dims", type=int, default=600)
    ap.add_argument("--sparse-rows", type=int, default=20000)
    a = ap.parse_args()

    X, y = dense_problem(a.rows, a.dims)
    np.save(f"{a.outdir}/dense_X.npy", X)
    np.save(f"{a.outdir}/dense_y.npy", y)

    from sklearn.feature_extraction.text import TfidfVectorizer
    with open(a.docs, encoding="utf-8", newline="") as f:
        docs = f.read().split("\n")[: a.sparse_rows]
    stem = a.docs[:-4] if a.docs.endswith(".txt") else a.docs
    labels = np.load(stem + ".labels.npy")[: len(docs)].astype(np.int32)
    vec = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), stop_words="english", max_features=5000)
    S = vec.fit_transform(docs).astype(np.float32)
    S.sort_indices()
    np.save(f"{a.outdir}/sparse_indptr.npy", S.indptr.astype(np.int64))
    np.save(f"{a.outdir}/sparse_indices.npy", S.indices.astype(np.int32))
    np.save(f"{a.outdir}/sparse_data.npy", S.data.astype(np.float32))
    np.save(f"{a.outdir}/sparse_shape.npy", np.array(S.shape, dtype=np.int64))
    np.save(f"{a.outdir}/sparse_y.npy", labels)


if __name__ == "__main__":
    main()
