#!/usr/bin/python3
"""TF-IDF fit + transform benchmark: the scikit-learn side of bench_tfidf.c.

    peer_tfidf.py DOCS.txt [--max-features K] [--dump DIR]

Times TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2),
stop_words='english', max_features=K).fit_transform alone (reading the file
is not timed) and prints one RESULT line. --dump DIR writes the vocabulary
(DIR/sk_vocab.txt) and the matrix (DIR/sk_{indptr,indices,data}.npy).
"""
import argparse
import json
import resource
import time

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("docs")
    ap.add_argument("--max-features", type=int, default=5000)
    ap.add_argument("--dump")
    a = ap.parse_args()

    with open(a.docs, encoding="utf-8", newline="") as f:
        text = f.read()
    docs = text.split("\n")  # '\n' only, as the C driver splits
    if text.endswith("\n"):
        docs.pop()

    vec = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), stop_words="english",
                          max_features=a.max_features or None)
    t0 = time.perf_counter()
    X = vec.fit_transform(docs)
    t1 = time.perf_counter()
    res = {"op_s": t1 - t0, "n_docs": len(docs), "n_terms": len(vec.vocabulary_), "nnz": int(X.nnz),
           "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}
    print("RESULT " + json.dumps(res), flush=True)

    if a.dump:
        terms = vec.get_feature_names_out()
        with open(f"{a.dump}/sk_vocab.txt", "w", encoding="utf-8", newline="\n") as f:
            for t in terms:
                f.write(t + "\n")
        X.sort_indices()
        np.save(f"{a.dump}/sk_indptr.npy", X.indptr.astype(np.int64))
        np.save(f"{a.dump}/sk_indices.npy", X.indices.astype(np.int32))
        np.save(f"{a.dump}/sk_data.npy", X.data)


if __name__ == "__main__":
    main()
