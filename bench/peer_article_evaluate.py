#!/usr/bin/python3
"""The reference article's text + tabular classifier comparison, adapted to
the demo product data: the Python peer of `mmfuse evaluate`.

    peer_article_evaluate.py DATA.csv [--target category] [--text title]
        [--numeric price,weight_kg,rating,n_reviews,has_warranty]
        [--categorical brand_tier,ships_from] [--ordinal] [--n-jobs 1]

As in the article (MultiModalFeatureExtractor + build_and_evaluate_classifiers):
  text    = TfidfVectorizer(max_features=500, sublinear_tf=True,
            ngram_range=(1, 2), stop_words='english') on the whole column,
            .toarray().astype(float32)
  tabular = numeric columns (fillna(0), float32) + categorical columns
            (one-hot, like mmfuse's default; --ordinal for the article's
            OrdinalEncoder)
  then cross_val_score(Pipeline(StandardScaler, LogisticRegression(C=1,
  max_iter=500))) with StratifiedKFold(5, shuffle=True, random_state=42) on
  text only, tabular only and their concatenation, and late fusion: the
  average of cross_val_predict(method='predict_proba') of the two
  single-modality pipelines.
Rows without a target are dropped; numeric cells that are not numbers count
as missing. The article fits the TF-IDF vocabulary on all rows before cross-
validation (mmfuse refits it inside every training fold, i.e. does more work).

Prints the comparison table and one RESULT line: op_s = everything after the
imports (CSV reading included), load_s = the CSV reading alone.
"""
import time

T_START = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import StratifiedKFold, cross_val_predict, cross_val_score  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import LabelEncoder, OneHotEncoder, OrdinalEncoder, StandardScaler  # noqa: E402

T_IMPORTED = time.perf_counter()


def model():
    return Pipeline([("scaler", StandardScaler()),
                     ("clf", LogisticRegression(C=1.0, max_iter=500, random_state=42))])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("csv")
    ap.add_argument("--target", default="category")
    ap.add_argument("--text", default="title")
    ap.add_argument("--numeric", default="price,weight_kg,rating,n_reviews,has_warranty")
    ap.add_argument("--categorical", default="brand_tier,ships_from")
    ap.add_argument("--ordinal", action="store_true")
    ap.add_argument("--n-jobs", type=int, default=1)
    a = ap.parse_args()
    numeric = [c for c in a.numeric.split(",") if c]
    categorical = [c for c in a.categorical.split(",") if c]

    t0 = time.perf_counter()
    df = pd.read_csv(a.csv, keep_default_na=False, na_values=[""], dtype=str)
    t_load = time.perf_counter() - t0
    df = df[df[a.target].notna()].reset_index(drop=True)
    y = LabelEncoder().fit_transform(df[a.target])

    vec = TfidfVectorizer(max_features=500, sublinear_tf=True, ngram_range=(1, 2), stop_words="english")
    X_text = vec.fit_transform(df[a.text].fillna("")).toarray().astype(np.float32)
    parts = [df[numeric].apply(pd.to_numeric, errors="coerce").fillna(0).values.astype(np.float32)]
    cats = df[categorical].fillna("unknown")
    if a.ordinal:
        parts.append(OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1).fit_transform(cats))
    else:
        parts.append(OneHotEncoder(handle_unknown="ignore", sparse_output=False).fit_transform(cats))
    X_tab = np.hstack(parts).astype(np.float32)
    X_all = np.hstack([X_text, X_tab])

    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=42)
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for name, X in (("text only", X_text), ("tabular only", X_tab), ("early fusion (concat)", X_all)):
            s = cross_val_score(model(), X, y, cv=cv, scoring="accuracy", n_jobs=a.n_jobs)
            rows.append((name, X.shape[1], s.mean(), s.std()))
        p_text = cross_val_predict(model(), X_text, y, cv=cv, method="predict_proba", n_jobs=a.n_jobs)
        p_tab = cross_val_predict(model(), X_tab, y, cv=cv, method="predict_proba", n_jobs=a.n_jobs)
    late = float((((p_text + p_tab) / 2).argmax(axis=1) == y).mean())
    rows.append(("late fusion (avg probs)", X_text.shape[1] + X_tab.shape[1], late, 0.0))
    t_end = time.perf_counter()

    print(f"{'model':30s} {'features':>8s}   accuracy")
    for name, dims, m, s in rows:
        print(f"{name:30s} {dims:8d}   {m:.3f} ± {s:.3f}")
    res = {"op_s": t_end - t0, "load_s": t_load, "import_s": T_IMPORTED - T_START, "rows": int(len(y)),
           "accuracy": {name: round(m, 4) for name, _, m, _ in rows},
           "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}
    print("RESULT " + json.dumps(res), flush=True)


if __name__ == "__main__":
    main()
