"""Hostile inputs that used to be accepted silently or misread (hardening,
input side): zero late weights, continuous targets, CR-only line ends, NUL
bytes, numbers outside the documented grammar, header-only files and an id
column that clashes with predict's output columns.

Each case checks the exit code, that stderr names the problem, and, where a
result is produced, that the result is right (not just that it exists)."""
import csv, io, json, os, shutil, subprocess, sys, tempfile
import numpy as np

build = os.environ["MMFUSE_BUILD"]
mmfuse = os.path.join(build, "mmfuse")
tmp = tempfile.mkdtemp(prefix="mmfuse-inputs-")
os.environ["MMFUSE_CACHE_DIR"] = os.path.join(tmp, "cache")  # never the user's cache
demo = os.path.join(tmp, "demo", "products.csv")
os.makedirs(os.path.dirname(demo))
subprocess.run([os.path.join(build, "mmfuse_demo_data"), demo, "--rows", "60"], check=True,
               capture_output=True)
# the demo's media files are not generated: keep the runs to tabular + text
NO_MEDIA = ("--ignore", "photo,sound")
passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what)


def run(*args, code=0, stderr_has=(), stderr_lacks=()):
    p = subprocess.run([mmfuse, *args], capture_output=True, text=True, errors="replace")
    what = f"mmfuse {' '.join(args)} -> {p.returncode}\n  stderr: {p.stderr.strip()[:800]}"
    check(p.returncode == code, what + f" (expected exit {code})")
    check(p.returncode >= 0, what + " (killed by a signal)")
    check("ERROR: AddressSanitizer" not in p.stderr and "runtime error:" not in p.stderr,
          what + " (sanitizer report)")
    for s in stderr_has:
        check(s in p.stderr, what + f" (stderr lacks {s!r})")
    for s in stderr_lacks:
        check(s not in p.stderr, what + f" (stderr has {s!r})")
    return p


def write(name, data):
    path = os.path.join(tmp, name)
    if isinstance(data, bytes):
        with open(path, "wb") as f:
            f.write(data)
    else:
        with open(path, "w", newline="") as f:
            f.write(data)
    return path


def out(name):
    return os.path.join(tmp, name)


# ------------------------------------------------------------------ case 13
print("case 13: late weights all zero")
model = out("w.mmf")
zero = "tabular=0,text:title=0"
for cmd in (("train", demo, "--target", "category", "-o", model, "--fusion", "late:weighted"),
            ("evaluate", demo, "--target", "category")):
    run(*cmd, *NO_MEDIA, "--late-weights", zero, code=2,
        stderr_has=("late weights (--late-weights)", "every block weighs 0", "weight > 0"))
check(not os.path.exists(model), "case 13: no model file is written when the weights are refused")
# spellings of zero are zero; negative and non-finite weights are refused too
run("train", demo, "--target", "category", "-o", model, "--fusion", "late:weighted", *NO_MEDIA,
    "--late-weights", "tabular=0.0,text:title=-0e3", code=2, stderr_has=("every block weighs 0",))
for w, msg in (("-1", "is not a weight in [0, 1e12]"), ("nan", "is not a number"), ("inf", "is not a number"),
               ("1e999", "is not a number"), ("0x1", "is not a number")):
    run("train", demo, "--target", "category", "-o", model, "--fusion", "late:weighted", *NO_MEDIA,
        "--late-weights", f"tabular={w}", code=2,
        stderr_has=("late weights (--late-weights)", f"'{w}' (block 'tabular') {msg}"))
run("train", demo, "--target", "category", "-o", model, "--fusion", "late:weighted", *NO_MEDIA,
    "--late-weights", "tabluar=1", code=2, stderr_has=("no block named 'tabluar'", "tabular, text:title"))
# the check runs before the target is even read: a bad target is not what is reported
run("train", demo, "--target", "price", "-o", model, "--fusion", "late:weighted", *NO_MEDIA,
    "--late-weights", zero, code=2, stderr_has=("every block weighs 0",), stderr_lacks=("looks numeric",))
# one block at zero is a valid choice: late:weighted then follows the other block alone
run("train", demo, "--target", "category", "-o", model, "--fusion", "late:weighted", *NO_MEDIA,
    "--late-weights", "tabular=0", "-q")
check(os.path.exists(model), "case 13: a weight of 0 on one block is accepted")

# ------------------------------------------------------------------ case 14
print("case 14: continuous or many-valued numeric target")
run("evaluate", demo, "--target", "price", *NO_MEDIA, code=3,
    stderr_has=("target 'price' looks numeric", "not all integers", "classification needs a categorical target",
                "--task"))
run("train", demo, "--target", "price", "-o", out("p.mmf"), *NO_MEDIA, code=3,
    stderr_has=("target 'price' looks numeric",))


def int_target(n_classes, rows_per_class=2, fmt="{}"):
    lines = ["x,y"] + [f"{(i * 7) % 13},{fmt.format(i % n_classes)}" for i in range(n_classes * rows_per_class)]
    return "\n".join(lines) + "\n"


p = run("evaluate", write("int85.csv", int_target(85)), "--target", "y", code=3,
        stderr_has=("target 'y' looks numeric (85 distinct integer values, more than 30)", "--task"))
check("n_splits" not in p.stderr, "case 14: the message is the target rule, not a fold-count error")
run("train", write("int31.csv", int_target(31)), "--target", "y", "-o", out("i.mmf"), code=3,
    stderr_has=("31 distinct integer values, more than 30",))
# the boundary and the cases that stay classification
run("train", write("int30.csv", int_target(30)), "--target", "y", "-o", out("i.mmf"), "-q")
run("train", write("float_int.csv", int_target(3, 10, "{}.0")), "--target", "y", "-o", out("i.mmf"), "-q")
run("train", write("text40.csv", int_target(40, 2, "c{}")), "--target", "y", "-o", out("i.mmf"), "-q")
# "1" and "1.5": numeric but not all integers, even with only 2 values
run("train", write("half.csv", "x,y\n" + "".join(f"{i},{1 + (i % 2) / 2}\n" for i in range(20))), "--target", "y",
    "-o", out("i.mmf"), code=3, stderr_has=("2 distinct values, not all integers",))
# a class with fewer members than folds: StratifiedKFold's warning, naming the class
small = "x,y\n" + "".join(f"{i},{'a' if i < 30 else 'b' if i < 57 else 'c'}\n" for i in range(60))
path = write("small.csv", small)
run("evaluate", path, "--target", "y", "--numeric", "x", code=0,
    stderr_has=("warning: the least populated class in the target, 'c', has only 3 members, "
                "which is less than n_splits=5 (--folds)",))
run("evaluate", path, "--target", "y", "--numeric", "x", "--folds", "3", stderr_lacks=("least populated",))
run("train", path, "--target", "y", "--numeric", "x", "--fusion", "late:stacked", "-o", out("s.mmf"),
    stderr_has=("'c', has only 3 members, which is less than n_splits=5 (--inner-folds",))
run("train", path, "--target", "y", "--numeric", "x", "-o", out("s.mmf"), stderr_lacks=("least populated",))

# ------------------------------------------------------------------ case 15
print("case 15: CR-only line endings")
with open(demo, newline="") as f:
    lf_text = f.read()
check("\r" not in lf_text, "the demo file uses LF line ends")
# quoted titles never hold line breaks in the demo, so this swaps every record end
cr_path = write("products_cr.csv", lf_text.replace("\n", "\r"))
crlf_path = write("products_crlf.csv", lf_text.replace("\n", "\r\n"))
lf_path = write("products_lf.csv", lf_text)
feats = {}
for name, path in (("lf", lf_path), ("cr", cr_path), ("crlf", crlf_path)):
    npy = out(f"f_{name}.npy")
    run("extract", path, "--no-target", "-o", npy, *NO_MEDIA, "-q", stderr_lacks=("duplicate column name",))
    feats[name] = np.load(npy) if os.path.exists(npy) else None
check(feats["lf"] is not None and feats["lf"].shape[0] == 60, "case 15: LF file: 60 rows extracted")
check(feats["cr"] is not None and feats["lf"] is not None and np.array_equal(feats["cr"], feats["lf"]),
      "case 15: a CR-only file gives the same features as the LF file")
check(feats["crlf"] is not None and feats["lf"] is not None and np.array_equal(feats["crlf"], feats["lf"]),
      "case 15: a CRLF file gives the same features as the LF file")
# an error in a CR-only file names the right line
run("extract", write("cr_ragged.csv", "a,b\r1,2\r3,4\r5\r"), "--no-target", "-o", out("r.npy"), code=3,
    stderr_has=("cr_ragged.csv:4: expected 2 fields, found 1",))
# a CR inside quotes stays data (a text cell), it does not end the record
qtext = "t,y\r" + "".join(f'"w{i % 3}\rx{i}",{"ab"[i % 2]}\r' for i in range(20))
npy = out("q.npy")
run("extract", write("cr_quoted.csv", qtext), "--no-target", "-o", npy, "--text", "t", "--no-infer", "-q")
check(os.path.exists(npy) and np.load(npy).shape[0] == 20, "case 15: quoted CRs are data: 20 rows")

# ------------------------------------------------------------------ case 16
print("case 16: NUL byte inside a data cell")
nul = b"id,x,y\n1,2,a\n2,3\x00,b\n3,4,a\n"
run("extract", write("nul.csv", nul), "--no-target", "-o", out("n.npy"), code=3,
    stderr_has=("nul.csv:3: column 2: NUL byte at offset 1 of the field",))
run("evaluate", out("nul.csv"), "--target", "y", code=3, stderr_has=("nul.csv:3: column 2: NUL byte",))
# inside a quoted cell spanning lines: the line where the NUL stands
run("extract", write("nul_q.csv", b'a,b\n1,"x\ny\x00"\n'), "--no-target", "-o", out("n.npy"), code=3,
    stderr_has=("nul_q.csv:3: column 2: NUL byte at offset 3 of the field",))
check(not os.path.exists(out("n.npy")), "case 16: nothing written")
# a UTF-16 file (NUL bytes everywhere) gets a hint
run("extract", write("utf16.csv", "a,b\n1,2\n".encode("utf-16")), "--no-target", "-o", out("n.npy"), code=3,
    stderr_has=("NUL byte", "UTF-16"))

# ------------------------------------------------------------------ case 17
print("case 17: numbers outside the grammar (hex, inf, nan, ...)")
bad_numbers = ["0x10", "inf", "nan", "1e", ".", "1_000", "-inf", "1e999", "1,5", "0X1A"]
good_numbers = [("15", 15.0), ("-2.5", -2.5), (" 7 ", 7.0), ("1.5e1", 15.0), (".5", 0.5), ("3.", 3.0),
                ("+4", 4.0), ("1E-1", 0.1)]
rows = [(v, i) for i, (v, _) in enumerate(good_numbers)] + [(v, len(good_numbers) + i) for i, v in enumerate(bad_numbers)]
buf = io.StringIO()
w = csv.writer(buf, lineterminator="\n")
w.writerow(["x", "k", "y"])
for i, (v, k) in enumerate(rows):
    w.writerow([v, k, "ab"[i % 2]])
nums = write("numbers.csv", buf.getvalue())
npy = out("num.npy")
p = run("extract", nums, "--no-target", "-o", npy, "--numeric", "x", "--no-infer",
        stderr_has=(f"{len(bad_numbers)} numeric cells were not numbers",))
if os.path.exists(npy):
    X = np.load(npy)
    good_mean = sum(v for _, v in good_numbers) / len(good_numbers)
    expect = [v for _, v in good_numbers] + [good_mean] * len(bad_numbers)
    # column 0: x; column 1: the block's present flag (missing strategy "flag")
    check(X.shape[0] == len(rows) and np.allclose(X[:, 0], np.array(expect, dtype=np.float32)),
          f"case 17: valid numbers read exactly, the others imputed (not 16 for 0x10): {X[:, 0].tolist()}")
else:
    check(False, "case 17: extract wrote no features")
p = run("evaluate", nums, "--target", "y", "--numeric", "x", "--no-infer", "--folds", "2", "--json", "-q")
try:
    check(json.loads(p.stdout)["numeric_cells_unparsable"] == len(bad_numbers),
          "case 17: evaluate --json counts the cells that are not numbers")
except (ValueError, KeyError) as e:
    check(False, f"case 17: evaluate --json output: {e}")
# type inference uses the same grammar: a column of hex codes is not numeric
hexes = "h,n,y\n" + "".join(f"0x{i % 4:x},{i % 5},{'ab'[i % 2]}\n" for i in range(20))
p = run("evaluate", write("hex.csv", hexes), "--target", "y", "--folds", "2", "--json", "-q")
try:
    roles = {c["column"]: c["role"] for c in json.loads(p.stdout)["schema"]}
    check(roles.get("h") == "categorical" and roles.get("n") == "numeric", f"case 17: inferred roles {roles}")
except (ValueError, KeyError) as e:
    check(False, f"case 17: evaluate --json output: {e}")

# ------------------------------------------------------------------ case 19
print("case 19: extract on a header-only CSV")
for text in ("a,b,y\n", "a,b,y", "a,b,y\r\n\r\n"):
    hdr = write("header_only.csv", text)
    run("extract", hdr, "--no-target", "-o", out("h.npy"), code=3,
        stderr_has=("header_only.csv", "no data rows"), stderr_lacks=("no feature columns",))
check(not os.path.exists(out("h.npy")), "case 19: nothing written")

# ------------------------------------------------------------------ case 20
print("case 20: an id column named like an output column")
ids = "prediction,x,y\n" + "".join(f"P{i:03d},{i % 4},{'ab'[(i % 4) // 2]}\n" for i in range(40))
idpath = write("ids.csv", ids)
pm = out("ids.mmf")
run("train", idpath, "--target", "y", "--id", "prediction", "--numeric", "x", "-o", pm, "-q")
for extra, header in (((), ["id:prediction", "prediction"]),
                      (("--proba",), ["id:prediction", "prediction", "proba_a", "proba_b"])):
    p = run("predict", pm, idpath, *extra, "-q")
    table = list(csv.reader(io.StringIO(p.stdout)))
    check(table and table[0] == header, f"case 20: predict {' '.join(extra)} header {table[:1]}")
    check(table and len(set(table[0])) == len(table[0]), "case 20: no duplicate header")
    check(len(table) == 41 and table[1][0] == "P000" and table[1][1] in ("a", "b"),
          "case 20: the id values are kept in the renamed column")
# a clash with a probability column only matters when that column is written
ids2 = ids.replace("prediction,", "proba_a,", 1)
idpath2 = write("ids2.csv", ids2)
pm2 = out("ids2.mmf")
run("train", idpath2, "--target", "y", "--id", "proba_a", "--numeric", "x", "-o", pm2, "-q")
p = run("predict", pm2, idpath2, "--proba", "-q")
check(p.stdout.split("\n", 1)[0] == "id:proba_a,prediction,proba_a,proba_b", f"case 20: {p.stdout[:60]!r}")
p = run("predict", pm2, idpath2, "-q")
check(p.stdout.split("\n", 1)[0] == "proba_a,prediction", f"case 20: no clash, no rename: {p.stdout[:40]!r}")
p = run("predict", "--help")
check("id:<name>" in p.stdout + p.stderr, "case 20: predict --help documents the rule")

shutil.rmtree(tmp, ignore_errors=True)
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
