"""TF-IDF parity with Debian scikit-learn 1.2.1 (TfidfVectorizer), plus the
tokenizer's Unicode behaviour against Python 3.11 itself.

Checks (driver tests/text/drv_tfidf.c):
- per code point (0..0x10FFFF without surrogates): \\w, Cased, Case_Ignorable
  and lowercase equal Python's; a document holding every code point
  tokenizes like re.findall(r"(?u)\\b\\w\\w+\\b", doc.lower());
- Final-sigma and U+0130 contexts, tokenization with and without lowercase;
- numpy argsort (default kind) on tie-heavy keys and on adversarial keys
  that reach its heapsort fallback, and the head variant;
- the stop-word list equals sklearn's ENGLISH_STOP_WORDS;
- fit_transform + transform of new documents for several corpora and
  parameter sets: vocabulary identical (same list, same order), idf within
  1e-12, matrices with the same structure and values within 1e-6 (ours are
  float32), errors where sklearn raises.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unicodedata

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

DRV = os.path.join(os.environ["MMFUSE_BUILD"], "tests", "text", "drv_tfidf")
TMP = tempfile.mkdtemp(prefix="mm_tfidf_")
TOKEN_RE = re.compile(r"(?u)\b\w\w+\b")
W_RE = re.compile(r"\w")

passed = 0
failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what, flush=True)


def write_docs(path, docs):
    with open(path, "wb") as f:
        for d in docs:
            if d is None:
                f.write(b"N\n")
            else:
                b = d.encode("utf-8")
                f.write(b"%d\n" % len(b))
                f.write(b)
                f.write(b"\n")


def run(args, **kw):
    r = subprocess.run([DRV] + args, capture_output=True, check=False, **kw)
    err = r.stderr.decode("utf-8", "replace")
    check("Sanitizer" not in err and "runtime error" not in err,
          f"drv_tfidf {' '.join(args[:1])}: sanitizer report: {err[-500:]}")
    return r


# ----------------------------------------------------------------- Unicode

def is_cased(ch):
    return ch.islower() or ch.isupper() or ch.istitle()


def is_ignorable(ch):
    # Python's final-sigma rule skips case-ignorable code points: probe it.
    if is_cased(ch):
        return ("1" + ch + "\u03a3").lower()[-1] == "\u03c3"
    return ("A\u03a3" + ch + "A").lower()[1] == "\u03c3"


def test_codepoints():
    ours = {}
    for line in run(["cpinfo"]).stdout.decode().split("\n"):
        if line:
            h, w, cs, ig, lo = line.split()
            ours[int(h, 16)] = (w == "1", cs == "1", ig == "1",
                                "".join(chr(int(x, 16)) for x in lo.split(",")))
    mism = {"word": [], "cased": [], "ignorable": [], "lower": []}
    for c in range(0x110000):
        if 0xD800 <= c < 0xE000:
            continue
        ch = chr(c)
        if unicodedata.category(ch) in ("Cn", "Co"):
            # unassigned or private use for Python: no property, no mapping
            if c in ours:
                mism["word"].append(c)
            continue
        py = (W_RE.match(ch) is not None, is_cased(ch), is_ignorable(ch), ch.lower())
        got = ours.get(c, (False, False, False, ch))
        for k, name in enumerate(("word", "cased", "ignorable", "lower")):
            if py[k] != got[k]:
                mism[name].append(c)
    for k, v in mism.items():
        check(not v, f"{k} differs from Python for {len(v)} code points: "
                     + " ".join("%04X" % c for c in v[:20]))


def tokenize(docs, lower=True, stop=False):
    path = os.path.join(TMP, "tok.txt")
    write_docs(path, docs)
    out = run(["tokenize", path, str(int(lower)), str(int(stop))]).stdout.decode("utf-8")
    lines = out.split("\n")[: len(docs)]
    return [[t for t in l.split("\x01") if t] for l in lines]


def py_tokens(doc, lower=True, stop=False):
    if lower:
        doc = doc.lower()
    toks = TOKEN_RE.findall(doc)
    if stop:
        toks = [t for t in toks if t not in ENGLISH_STOP_WORDS]
    return toks


def test_tokenize_all_codepoints():
    # every code point between two letters, in documents of 4096 code points
    cps = [c for c in range(0x110000) if not 0xD800 <= c < 0xE000]
    docs = []
    seps = np.random.RandomState(7).randint(3, size=len(cps))
    for i in range(0, len(cps), 4096):
        docs.append("".join("A" + chr(c) + ("b " if s == 0 else "b")
                            for c, s in zip(cps[i:i + 4096], seps[i:i + 4096].tolist())))
    ours = tokenize(docs)
    bad = [i for i, d in enumerate(docs) if ours[i] != py_tokens(d)]
    check(not bad, f"all-code-point documents differ at {bad[:5]}")


SIGMA_CASES = [
    "ΟΔΟΣ", "ΟΔΟΣ ΟΔΟΣ", "ΣΑΣ", "Σ", "ΑΣ", "ΣΑ", "ΑΣ.Β", "ΑΣ'Β", "ΑΣ''", "Α'Σ", "1Σ", "1ΣΑ",
    "ΑΣ1", "Α\u0301Σ", "ΑΣ\u0301", "ΑΣ\u0301Β", "ΑΣ\u00adΒ", "Σ\u0301Α", "ὈΔΥΣΣΕΎΣ", "ΣΣΣ",
    "Α:Σ:Α", "Α:Σ", "ΑΣ_", "_ΣΑ", "ᾈΣ", "ǅΣ", "ʰΣ", "ªΣ", "Ⓐ Σ", "ⒶΣ", "ΑΣⓐ", "ΑΣ²",
    "x\u0130y", "İstanbul", "DİYARBAKIR", "i\u0307", "\u0130", "\u0130\u0130", "ẞ STRAẞE",
    "Ꭰ ꭰ", "ﬀ ﬁ", "Ⅻ ⅻ x²y ½kg", "e\u0301t\u00e9", "a_b __ _ 7-in-1 t-shirt 12-cup usb c hub",
    "日本語 東京都 커피 データ", "emoji 👍🔥 ok™", "١٢٣ ٤٥", "ΌΣΟΙ ΦΙΛΟΙ", "ΑΣ\u200dΒ",
]


def test_tokenize_cases():
    for lower in (True, False):
        for stop in (False, True):
            ours = tokenize(SIGMA_CASES, lower, stop)
            for d, o in zip(SIGMA_CASES, ours):
                check(o == py_tokens(d, lower, stop), f"tokens of {d!r} (lower={lower}, stop={stop}): "
                                                      f"{o} vs {py_tokens(d, lower, stop)}")
    # invalid UTF-8 is reported, not tokenized
    path = os.path.join(TMP, "bad.txt")
    with open(path, "wb") as f:
        for b in (b"ok \xff bad", b"\xed\xa0\x80", b"\xc0\xaf", b"\xf4\x90\x80\x80", b"abc\xe2\x82"):
            f.write(b"%d\n" % len(b) + b + b"\n")
    out = run(["tokenize", path]).stdout.decode("utf-8", "replace").split("\n")
    want = ["error invalid UTF-8 at byte %d" % k for k in (3, 0, 0, 0, 3)]
    check([l[l.find("error"):] for l in out[:5]] == want, f"invalid UTF-8 rejected: {out[:5]}")


# ----------------------------------------------------------------- argsort

def introsort_model(n, less):
    """numpy 1.24 aquicksort on indices 0..n-1 with a comparison callback;
    returns (order, number of heapsorts)."""
    idx = list(range(n)); heaps = 0
    if n < 2: return idx, 0
    stack = []; pl, pr = 0, n - 1
    cdepth = 2 * (n.bit_length() - 1)
    def heap(lo, m):
        a = lambda i: idx[lo + i - 1]
        def seta(i, v): idx[lo + i - 1] = v
        l = m >> 1
        while l > 0:
            tmp = a(l); i = l; j = l << 1
            while j <= m:
                if j < m and less(a(j), a(j + 1)): j += 1
                if less(tmp, a(j)): seta(i, a(j)); i = j; j += j
                else: break
            seta(i, tmp); l -= 1
        while m > 1:
            tmp = a(m); seta(m, a(1)); m -= 1
            i, j = 1, 2
            while j <= m:
                if j < m and less(a(j), a(j + 1)): j += 1
                if less(tmp, a(j)): seta(i, a(j)); i = j; j += j
                else: break
            seta(i, tmp)
    while True:
        if cdepth < 0:
            heap(pl, pr - pl + 1); heaps += 1
        else:
            while pr - pl > 15:
                pm = pl + ((pr - pl) >> 1)
                if less(idx[pm], idx[pl]): idx[pm], idx[pl] = idx[pl], idx[pm]
                if less(idx[pr], idx[pm]): idx[pr], idx[pm] = idx[pm], idx[pr]
                if less(idx[pm], idx[pl]): idx[pm], idx[pl] = idx[pl], idx[pm]
                vp = idx[pm]; pi = pl; pj = pr - 1
                idx[pm], idx[pj] = idx[pj], idx[pm]
                while True:
                    pi += 1
                    while less(idx[pi], vp): pi += 1
                    pj -= 1
                    while less(vp, idx[pj]): pj -= 1
                    if pi >= pj: break
                    idx[pi], idx[pj] = idx[pj], idx[pi]
                idx[pi], idx[pr - 1] = idx[pr - 1], idx[pi]
                cdepth -= 1
                if pi - pl < pr - pi: stack.append((pi + 1, pr, cdepth)); pr = pi - 1
                else: stack.append((pl, pi - 1, cdepth)); pl = pi + 1
            for q in range(pl + 1, pr + 1):
                vi = idx[q]; j = q
                while j > pl and less(vi, idx[j - 1]): idx[j] = idx[j - 1]; j -= 1
                idx[j] = vi
        if not stack: break
        pl, pr, cdepth = stack.pop()
    return idx, heaps

def killer(n):
    """McIlroy's adversary: values fixed lazily so that the sort degrades."""
    gas = n; val = [gas] * n; st = {"solid": 0, "cand": 0}
    def less(x, y):
        if val[x] == gas and val[y] == gas:
            z = x if x == st["cand"] else y
            val[z] = st["solid"]; st["solid"] += 1
        if val[x] == gas: st["cand"] = x
        elif val[y] == gas: st["cand"] = y
        return val[x] < val[y]
    introsort_model(n, less)
    return np.array(val, dtype=np.int64)


def test_argsort():
    rs = np.random.RandomState(3)
    cases = []
    for n in (0, 1, 2, 5, 16, 17, 18, 33, 100, 1000, 5000, 40000):
        for hi in (1, 2, 3, 10, 1000):
            cases.append(-rs.randint(1, hi + 1, size=n).astype(np.int64))
    cases.append(np.arange(3000, dtype=np.int64))
    cases.append(-np.arange(3000, dtype=np.int64))
    cases.append(np.array([5] * 100 + [1] * 100 + [5] * 100, dtype=np.int64))
    organ = np.concatenate([np.arange(1500), np.arange(1500)[::-1]]).astype(np.int64)
    cases.append(organ)
    # inputs that drive the introsort into its heapsort fallback
    for n in (300, 2000):
        k = killer(n)
        check(introsort_model(n, lambda a, b: k[a] < k[b])[1] > 0, f"killer({n}) reaches heapsort")
        cases.append(k)
    bad = 0
    for i, a in enumerate(cases):
        k = max(1, len(a) // 3)
        out = run(["argsort", str(k)], input=" ".join(map(str, a.tolist())).encode()).stdout.decode()
        lines = out.split("\n")
        full = np.array([int(x) for x in lines[0].split()], dtype=np.int64)
        head = np.array([int(x) for x in lines[1].split()], dtype=np.int64)
        ref = np.argsort(a)
        if not np.array_equal(full, ref) or not np.array_equal(head, ref[:k]):
            bad += 1
    check(bad == 0, f"argsort differs from numpy in {bad} of {len(cases)} cases")


def test_stopwords():
    out = run(["stopwords"]).stdout.decode().split()
    check(out == sorted(ENGLISH_STOP_WORDS), "stop-word list equals sklearn's")


# ----------------------------------------------------------------- corpora

ASCII_WORDS = ("apple banana cherry date elder fig grape honeydew kiwi lemon mango nectarine "
               "orange papaya quince raspberry strawberry tangerine ugli vanilla watermelon "
               "usb hub cable charger laptop wireless 12 7 x200 t shirt cup in of the and for "
               "with is not it this to was be have has but or from at by an are as if so do no "
               "Apple BANANA Cherry McDonald's O'Neil don't it's e-mail").split()
UNI_WORDS = ("café naïve crème brûlée Größe Straße Müller smörgåsbord jalapeño façade Ærø "
             "ΟΔΟΣ Σοφία ΚΑΦΕΣ ΣΑΣ ὈΔΥΣΣΕΎΣ 東京 日本語 データ 커피 x² ½kg Ωmega İstanbul DİYARBAKIR "
             "e\u0301t\u00e9 __init__ a_b 1² ١٢٣ Ⅻ ǅemal ẞ ﬁne 👍 🔥 ™ — … Ꭰꭰ").split()
PUNCT = list(".,;:!?-—()[]{}\"'/\\|@#$%^&*+=<>~`") + ["...", " - ", "\t", "\n", "  "]


def gen_corpus(rs, words, n_docs, max_len, p_punct=0.3):
    docs = []
    for _ in range(n_docs):
        k = rs.randint(0, max_len + 1)
        parts = []
        for _ in range(k):
            if rs.random_sample() < p_punct:
                parts.append(PUNCT[rs.randint(len(PUNCT))])
            parts.append(words[min(int(rs.zipf(1.3)) - 1, len(words) - 1)] if rs.random_sample() < 0.7
                         else words[rs.randint(len(words))])
            parts.append(" " if rs.random_sample() < 0.85 else "")
        docs.append("".join(parts))
    return docs


def corpora():
    rs = np.random.RandomState(12345)
    out = {}
    out["ascii"] = gen_corpus(rs, ASCII_WORDS, 300, 25)
    out["unicode"] = gen_corpus(rs, UNI_WORDS + ASCII_WORDS[:20], 300, 20)
    edge = gen_corpus(rs, ASCII_WORDS, 60, 12, p_punct=0.8)
    edge += ["", "   ", "the and of to", None, "!!! ??? ...", "a b c d e", None, "THE AND OF",
             "word", "x y z", "a" * 5000 + " " + "b" * 3, " ".join(["rare%d" % i for i in range(50)])]
    out["edge"] = edge
    # ties at the max_features cut: every term of a group has the same count
    ties = []
    group = ["w%03d" % i for i in range(400)]
    for i in range(200):
        ties.append(" ".join(group[(2 * i + j) % 400] for j in range(6)))
    out["ties"] = ties
    # pieces glued without spaces: sigma contexts, U+0130, marks, NUL, quotes
    pieces = ["a", "ab", " ", "\u03a3", "\u0391\u03a3", "'", ".", "\u0130", "\u0301", "the", "x\u00b2",
              "\u6771", "_", "7", "\n", "\U0001f44d", "\u2019", "\u03c2", "AB", "\x00", "\u00ad", "of"]
    out["tricky"] = ["".join(pieces[i] for i in rs.randint(0, len(pieces), size=rs.randint(0, 40)))
                     for _ in range(150)]
    return out


def new_docs(rs):
    base = gen_corpus(rs, ASCII_WORDS + UNI_WORDS, 40, 15)
    return base + ["", None, "completely unseen words zzz qqq", "the of and",
                   "apple banana apple banana cherry", "ΟΔΟΣ ΟΔΟΣ café"]


PARAMS = [
    ("defaults", {}),
    ("case1", dict(max_features=500, sublinear_tf=True, ngram_range=(1, 2), stop_words="english")),
    ("case2", dict(max_features=1000, ngram_range=(1, 2), sublinear_tf=True)),
    ("df_counts", dict(min_df=2, max_df=0.5)),
    ("min_df_frac", dict(min_df=0.05)),
    ("max_df_count", dict(max_df=20, min_df=3)),
    ("l1", dict(norm="l1")),
    ("no_norm", dict(norm=None, sublinear_tf=True)),
    ("no_idf", dict(use_idf=False)),
    ("no_smooth", dict(smooth_idf=False)),
    ("ngram23", dict(ngram_range=(2, 3))),
    ("ngram13_stop", dict(ngram_range=(1, 3), stop_words="english", max_features=50)),
    ("max_feat_small", dict(max_features=7)),
    ("max_feat_ties", dict(max_features=37, ngram_range=(1, 2))),
    ("no_lower", dict(lowercase=False, ngram_range=(1, 2))),
    ("empty_range", dict(min_df=0.9, max_df=1.0)),
    ("bad_df", dict(min_df=0.6, max_df=0.5)),
]


def driver_args(kw, threads):
    a = []
    if "max_features" in kw:
        a.append("max_features=%d" % kw["max_features"])
    if kw.get("sublinear_tf"):
        a.append("sublinear=1")
    if "ngram_range" in kw:
        a += ["lo=%d" % kw["ngram_range"][0], "hi=%d" % kw["ngram_range"][1]]
    if kw.get("stop_words") == "english":
        a.append("stop=1")
    for name in ("min_df", "max_df"):
        if name in kw:
            v = kw[name]
            frac = isinstance(v, float)
            a += ["%s=%r" % (name, float(v)), "%s=%d" % (name[:3] + "_frac", int(frac))]
    if "norm" in kw:
        a.append("norm=%s" % (kw["norm"] or "none"))
    if "use_idf" in kw:
        a.append("use_idf=%d" % int(kw["use_idf"]))
    if "smooth_idf" in kw:
        a.append("smooth=%d" % int(kw["smooth_idf"]))
    if "lowercase" in kw:
        a.append("lowercase=%d" % int(kw["lowercase"]))
    a.append("threads=%d" % threads)
    return a


def read_csr(path):
    with open(path) as f:
        head = f.readline().split()
        indptr = np.array(f.readline().split(), dtype=np.int64)
        indices = np.array(f.readline().split(), dtype=np.int64)
        data = np.array(f.readline().split(), dtype=np.float64)
    return (int(head[0]), int(head[1])), indptr, indices, data


def compare_csr(tag, path, ref):
    ref = ref.tocsr()
    ref.sort_indices()
    shape, indptr, indices, data = read_csr(path)
    check(shape == ref.shape, f"{tag}: shape {shape} vs {ref.shape}")
    if shape != ref.shape:
        return
    same = np.array_equal(indptr, ref.indptr) and np.array_equal(indices, ref.indices)
    check(same, f"{tag}: sparsity structure differs")
    if same:
        err = float(np.max(np.abs(data - ref.data))) if len(data) else 0.0
        check(err <= 1e-6, f"{tag}: max |value difference| {err:g}")
        return err
    return None


def test_parity():
    rs = np.random.RandomState(99)
    news = new_docs(rs)
    newpath = os.path.join(TMP, "new.txt")
    write_docs(newpath, news)
    news_sk = ["" if d is None else d for d in news]
    worst_idf = worst_x = 0.0
    for cname, docs in corpora().items():
        path = os.path.join(TMP, cname + ".txt")
        write_docs(path, docs)
        docs_sk = ["" if d is None else d for d in docs]
        for pname, kw in PARAMS:
            tag = f"{cname}/{pname}"
            vec = TfidfVectorizer(**kw)
            try:
                X = vec.fit_transform(docs_sk)
                sk_err = None
            except ValueError as e:
                sk_err = str(e)
            # thread-count independence is checked bit for bit in test_tfidf.c;
            # here the thread count just alternates
            runs = (1 + (len(tag) % 2),)
            for threads in runs:
                prefix = os.path.join(TMP, f"{cname}_{pname}_{threads}")
                r = run(["fit", path, newpath, prefix] + driver_args(kw, threads))
                out = r.stdout.decode("utf-8", "replace")
                if sk_err is not None:
                    check(r.returncode == 3, f"{tag}: sklearn raised {sk_err!r}, we returned {r.returncode}")
                    key = ("empty vocabulary" if "empty vocabulary" in sk_err else
                           "no terms remain" if "no terms remain" in sk_err else "min_df")
                    check(key in out or (key == "min_df" and "max_df" in out),
                          f"{tag}: error {out.strip()!r} vs sklearn {sk_err!r}")
                    continue
                check(r.returncode == 0, f"{tag}: driver failed: {out.strip()} {r.stderr.decode()[-300:]}")
                if r.returncode != 0:
                    continue
                with open(prefix + ".vocab", encoding="utf-8", newline="\n") as f:
                    vocab = f.read().split("\n")[:-1]
                ref_vocab = list(vec.get_feature_names_out())
                check(vocab == ref_vocab, f"{tag}: vocabulary differs ({len(vocab)} vs {len(ref_vocab)} terms; "
                                          f"first diff {next((a, b) for a, b in zip(vocab + [''] * 9, ref_vocab + [''] * 9) if a != b) if vocab != ref_vocab else ''})")
                if vocab != ref_vocab:
                    continue
                idf = np.loadtxt(prefix + ".idf", ndmin=1)
                if kw.get("use_idf", True):
                    e = float(np.max(np.abs(idf - vec.idf_)))
                    worst_idf = max(worst_idf, e)
                    check(e <= 1e-12, f"{tag}: idf max error {e:g}")
                else:
                    check(np.all(idf == 1.0), f"{tag}: idf without use_idf is 1")
                e1 = compare_csr(tag + " fit_transform", prefix + ".X", X)
                e2 = compare_csr(tag + " transform(new)", prefix + ".Y", vec.transform(news_sk))
                worst_x = max(worst_x, e1 or 0.0, e2 or 0.0)
    print(f"worst idf error {worst_idf:.3g}, worst value error {worst_x:.3g}")


def main():
    test_stopwords()
    test_argsort()
    test_tokenize_cases()
    test_parity()
    test_codepoints()
    test_tokenize_all_codepoints()
    shutil.rmtree(TMP, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
