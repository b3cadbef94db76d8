"""Hardening, case 5: an edited model header must never change predictions
silently.

A model is trained on generated demo data (80 rows with photos and sounds).
Then:
  - the four edits of case 5 (swap two class names, swap two tensors'
    data_offsets, rename a column, flip sublinear_tf), made as a text editor
    would (the stored checksum kept): inspect and predict exit 3 and say
    "checksum";
  - the same edits with the checksum recomputed by this file's own
    implementation of the documented rule (SHA-256 of the whole file, the
    64 checksum digits at bytes 68..131 hashed as '0'): the cross-checks of
    the header against itself and the tensors catch the first three with
    exit 3 and a message naming the field (a consistent flip of
    sublinear_tf cannot be told from a real model; only the checksum guards
    that, which is the point of format 2);
  - a few hundred seeded random mutations of the header JSON and of the
    tensor entries: every mutated file is either rejected with exit 3 by
    both `inspect` and `predict`, or gives byte-identical predictions;
    with the checksum recomputed, each is still rejected (exit 3, or 5 for
    a newer format or another encoder) or loads, never a crash;
  - truncation at several points: exit 3;
  - a format-1 file (crafted here: format_version 1 and the old checksum,
    xxHash64 of the tensor data, implemented below) still loads, with a
    note that its header is not protected, and predicts the same;
  - the writer is deterministic and `inspect` reports the format version
    and that the checksum covers the whole file."""
import hashlib, json, os, random, struct, subprocess, sys, tempfile

build = os.environ["MMFUSE_BUILD"]
mmfuse = os.path.join(build, "mmfuse")
tmp = tempfile.mkdtemp(prefix="mmfuse-case5-")
os.environ["MMFUSE_CACHE_DIR"] = os.path.join(tmp, "cache")  # never the user's cache
sanitized = os.environ.get("MMFUSE_SANITIZED") == "1"
passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what)


def run(*args):
    p = subprocess.run([mmfuse, *args], capture_output=True)
    err = p.stderr.decode("utf-8", "replace")
    what = f"mmfuse {' '.join(args)} -> {p.returncode}: {err.strip()[:500]}"
    check(p.returncode >= 0, what + " (killed by a signal)")
    check("AddressSanitizer" not in err and "runtime error:" not in err and "LeakSanitizer" not in err,
          what + " (sanitizer report)")
    return p.returncode, p.stdout, err


def path(name):
    return os.path.join(tmp, name)


def write(name, blob):
    with open(path(name), "wb") as f:
        f.write(blob)
    return path(name)


# ------------------------------------------------------------ the container

def split(blob):
    """(container header as a dict, pipeline header as a dict, data bytes)."""
    n = struct.unpack_from("<Q", blob)[0]
    c = json.loads(blob[8:8 + n])
    return c, json.loads(c["__metadata__"]["mmfuse.header"]), blob[8 + n:]


def join(c, h, data):
    """A safetensors image; the metadata stays first with its keys in order."""
    c = dict(c)
    c["__metadata__"] = dict(c["__metadata__"])
    c["__metadata__"]["mmfuse.header"] = json.dumps(h, separators=(",", ":"), ensure_ascii=False)
    text = json.dumps(c, separators=(",", ":"), ensure_ascii=False).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


CHECKSUM_AT = 68
PREFIX = b'{"__metadata__":{"format":"mmfuse-model","mmfuse.checksum":"'


def sha_rule(blob):
    """The documented format-2 checksum of a file image."""
    b = bytearray(blob)
    b[CHECKSUM_AT:CHECKSUM_AT + 64] = b"0" * 64
    return hashlib.sha256(bytes(b)).hexdigest()


def fix_sha(blob):
    if blob[8:8 + len(PREFIX)] != PREFIX or len(blob) < CHECKSUM_AT + 65:
        return blob
    b = bytearray(blob)
    b[CHECKSUM_AT:CHECKSUM_AT + 64] = sha_rule(blob).encode()
    return bytes(b)


# xxHash64 (seed 0), the format-1 checksum of the data buffer
P1, P2, P3, P4, P5 = (11400714785074694791, 14029467366897019727, 1609587929392839161,
                      9650029242287828579, 2870177450012600261)
M64 = (1 << 64) - 1


def _rotl(x, r):
    return ((x << r) | (x >> (64 - r))) & M64


def _round(acc, lane):
    return (_rotl((acc + lane * P2) & M64, 31) * P1) & M64


def xxh64(b):
    n, i = len(b), 0
    if n >= 32:
        v = [(P1 + P2) & M64, P2, 0, (-P1) & M64]
        while i + 32 <= n:
            for k in range(4):
                v[k] = _round(v[k], struct.unpack_from("<Q", b, i + 8 * k)[0])
            i += 32
        h = (_rotl(v[0], 1) + _rotl(v[1], 7) + _rotl(v[2], 12) + _rotl(v[3], 18)) & M64
        for k in range(4):
            h = ((h ^ _round(0, v[k])) * P1 + P4) & M64
    else:
        h = P5
    h = (h + n) & M64
    while i + 8 <= n:
        h = (_rotl(h ^ _round(0, struct.unpack_from("<Q", b, i)[0]), 27) * P1 + P4) & M64
        i += 8
    if i + 4 <= n:
        h = (_rotl(h ^ ((struct.unpack_from("<I", b, i)[0] * P1) & M64), 23) * P2 + P3) & M64
        i += 4
    while i < n:
        h = (_rotl(h ^ ((b[i] * P5) & M64), 11) * P1) & M64
        i += 1
    h ^= h >> 33
    h = (h * P2) & M64
    h ^= h >> 29
    h = (h * P3) & M64
    return h ^ (h >> 32)


check("%016x" % xxh64(b"") == "ef46db3751d8e999", "xxHash64 of the empty input (reference value)")

# ------------------------------------------------------------ a trained model

data_dir = path("demo")
demo = os.path.join(data_dir, "products.csv")
os.makedirs(data_dir)
subprocess.run([os.path.join(build, "mmfuse_demo_data"), demo, "--rows", "80", "--media"], check=True,
               capture_output=True)
model = path("m.mmf")
rc, _, err = run("train", demo, "--target", "category", "-o", model, "-q")
check(rc == 0, f"train: {err}")
blob = open(model, "rb").read()
rc, _, err = run("train", demo, "--target", "category", "-o", path("m_again.mmf"), "-q")
check(open(path("m_again.mmf"), "rb").read() == blob, "the model writer is deterministic")

rc, base, err = run("predict", model, demo, "--proba", "-q")
check(rc == 0 and base.count(b"\n") == 81, f"baseline predictions: {err}")
rc, out, err = run("inspect", model)
out = out.decode()
check(rc == 0 and "format 2" in out and "covers the whole file" in out and "checksum ok" in out,
      f"inspect reports format 2 and a whole-file checksum: {out[-300:]}")
check(blob[8:8 + len(PREFIX)] == PREFIX and blob[CHECKSUM_AT + 64:CHECKSUM_AT + 65] == b'"',
      "the checksum field sits at bytes 68..131")
check(blob[CHECKSUM_AT:CHECKSUM_AT + 64].decode() == sha_rule(blob),
      "the stored checksum is the SHA-256 of the file with its 64 digits hashed as '0'")
c0, h0, d0 = split(blob)
check(h0["format_version"] == 2, "format_version 2")
check(join(c0, h0, d0) == blob, "this test's re-serialization reproduces the writer's bytes")


def expect_rejected(name, mutated, why, needle=None):
    f = write(name, mutated)
    for cmd in (("inspect", f), ("predict", f, demo, "-q")):
        rc, _, err = run(*cmd)
        check(rc == 3, f"case 5 ({why}): {cmd[0]} exits 3, got {rc}: {err.strip()[:300]}")
        if needle:
            check(needle in err, f"case 5 ({why}): {cmd[0]} names {needle!r}: {err.strip()[:300]}")


def accepted_same_or_rejected(name, mutated, why, allowed=(3,)):
    """Rejected by both commands, or predictions byte-identical."""
    f = write(name, mutated)
    ri, _, ei = run("inspect", f)
    rp, out, ep = run("predict", f, demo, "--proba", "-q")
    if ri == 0 and rp == 0:
        check(out == base, f"{why}: accepted, so predictions must be unchanged")
        return "same"
    check(ri == rp and ri in allowed, f"{why}: inspect {ri}, predict {rp} (allowed {allowed}): {ei[:200]} / {ep[:200]}")
    return "rejected"


# ------------------------------------------------------------ the four edits of case 5

def swap_classes(c, h):
    h["classes"][0], h["classes"][1] = h["classes"][1], h["classes"][0]


def swap_offsets(c, h, a="block.0.mean", b="block.0.scale"):
    c[a]["data_offsets"], c[b]["data_offsets"] = c[b]["data_offsets"], c[a]["data_offsets"]


def rename_column(c, h):
    for col in h["columns"]:
        if col["name"] == "price":
            col["name"] = "prize"


def flip_sublinear(c, h):
    h["params"]["tfidf"]["sublinear_tf"] = not h["params"]["tfidf"]["sublinear_tf"]


edits = {"swap two class names": swap_classes, "swap two tensors' data_offsets": swap_offsets,
         "rename a column": rename_column, "flip sublinear_tf": flip_sublinear}
for what, edit in edits.items():
    c, h, d = split(blob)
    edit(c, h)
    mutated = join(c, h, d)
    check(mutated != blob, f"{what}: the edit changes the file")
    expect_rejected("edit.mmf", mutated, what + ", checksum kept", "checksum")

# the same edits with the checksum recomputed: the cross-checks catch them
c, h, d = split(blob)
swap_classes(c, h)
expect_rejected("x1.mmf", fix_sha(join(c, h, d)), "class names swapped, checksum recomputed", "'classes'")
c, h, d = split(blob)
swap_offsets(c, h, "prior", "block.0.mean")  # different sizes (same-size swaps only the checksum sees)
expect_rejected("x2.mmf", fix_sha(join(c, h, d)), "data_offsets swapped, checksum recomputed", "data_offsets")
c, h, d = split(blob)
rename_column(c, h)
expect_rejected("x3.mmf", fix_sha(join(c, h, d)), "column renamed, checksum recomputed", "'price'")
c, h, d = split(blob)
h["params"]["tfidf"]["colour"] = 1
expect_rejected("x4.mmf", fix_sha(join(c, h, d)), "unknown field", "params.tfidf.colour")
c, h, d = split(blob)
del h["blocks"][1]["scaled"]
expect_rejected("x5.mmf", fix_sha(join(c, h, d)), "missing field", "blocks[1].scaled")
c, h, d = split(blob)
h["text"][0]["n_terms"] += 1
expect_rejected("x6.mmf", fix_sha(join(c, h, d)), "vocabulary size vs idf length", "text")
c, h, d = split(blob)
h["classes"].append("zzz_extra")
expect_rejected("x7.mmf", fix_sha(join(c, h, d)), "class count vs coefficient rows", "prior")
c, h, d = split(blob)
h["format_version"] = 1
expect_rejected("x8.mmf", fix_sha(join(c, h, d)), "format_version 1 with a format-2 checksum", "format_version")
c, h, d = split(blob)
h["format_version"] = 3
f = write("x9.mmf", fix_sha(join(c, h, d)))
rc, _, err = run("inspect", f)
check(rc == 5 and "version 3" in err, f"a newer format version is unsupported (exit 5): {rc} {err}")

# ------------------------------------------------------------ random mutations


def slots(node, out):
    """Every (container, key) of a JSON tree."""
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for k, v in list(items):
        out.append((node, k))
        if isinstance(v, (dict, list)):
            slots(v, out)
    return out


def strings(node, out):
    if isinstance(node, str):
        out.append(node)
    elif isinstance(node, dict):
        for v in node.values():
            strings(v, out)
    elif isinstance(node, list):
        for v in node:
            strings(v, out)
    return out


def mutate_value(rng, v, pool):
    if isinstance(v, bool):
        return rng.choice([not v, 1, "true", None])
    if isinstance(v, (int, float)):
        return rng.choice([v + 1, v - 1, v * 2, 0, 0.5, -1, 1e9, str(v), None, [v]])
    if isinstance(v, str):
        return rng.choice([v + "x", "", rng.choice(pool), v.upper(), v[:-1], 0])
    if isinstance(v, list):
        w = list(v)
        op = rng.randrange(5)
        if op == 0 and w:
            w.pop(rng.randrange(len(w)))
        elif op == 1 and w:
            w.append(w[rng.randrange(len(w))])
        elif op == 2 and len(w) >= 2:
            i, j = rng.sample(range(len(w)), 2)
            w[i], w[j] = w[j], w[i]
        elif op == 3:
            w.reverse()
        else:
            w = []
        return w
    if isinstance(v, dict):
        w = dict(v)
        op = rng.randrange(3)
        if op == 0 and w:
            del w[rng.choice(list(w))]
        elif op == 1:
            w["extra"] = 1
        elif w:
            k = rng.choice(list(w))
            w[k + "_"] = w.pop(k)
        return w
    return 0


def mutate(rng, blob):
    c, h, d = split(blob)
    if rng.random() < 0.75:
        node, key = rng.choice(slots(h, []))
        node[key] = mutate_value(rng, node[key], strings(h, []))
    else:
        names = [k for k in c if k != "__metadata__"]
        a, b = rng.sample(names, 2)
        op = rng.randrange(4)
        if op == 0:
            c[a]["data_offsets"], c[b]["data_offsets"] = c[b]["data_offsets"], c[a]["data_offsets"]
        elif op == 1 and c[a]["shape"]:
            c[a]["shape"] = list(reversed(c[a]["shape"])) if len(c[a]["shape"]) > 1 else [c[a]["shape"][0] + 1]
        elif op == 2:
            c[a]["dtype"] = "F32" if c[a]["dtype"] == "F64" else "I8"
        else:
            c[a + "x"] = c.pop(a)
    return join(c, h, d)


rng = random.Random(20241202)
N_RANDOM = 300
outcomes = {"same": 0, "rejected": 0}
for i in range(N_RANDOM):
    m = mutate(rng, blob)
    outcomes[accepted_same_or_rejected("rand.mmf", m, f"random mutation {i}, checksum kept")] += 1
check(outcomes["rejected"] >= N_RANDOM * 0.9, f"random mutations, checksum kept: {outcomes}")
print(f"random header mutations, checksum kept: {outcomes}")

# the same kind of mutations with the checksum recomputed: the cross-checks
# stand alone; rejected (3, or 5 for a newer version / another encoder) or loaded, never a crash
rng = random.Random(20241203)
N_FIXED = 60 if sanitized else 150
fixed = {"loaded": 0, "rejected": 0}
for i in range(N_FIXED):
    m = fix_sha(mutate(rng, blob))
    f = write("fixed.mmf", m)
    ri, _, ei = run("inspect", f)
    rp, _, ep = run("predict", f, demo, "-q")
    check(ri == rp and ri in (0, 3, 5), f"mutation {i} with the checksum recomputed: inspect {ri}, predict {rp}: "
                                         f"{ei.strip()[:200]} / {ep.strip()[:200]}")
    fixed["loaded" if ri == 0 else "rejected"] += 1
check(fixed["rejected"] >= N_FIXED * 0.6, f"the cross-checks reject most recomputed-checksum mutations: {fixed}")
print(f"random header mutations, checksum recomputed: {fixed}")

# ------------------------------------------------------------ truncation

n_hdr = struct.unpack_from("<Q", blob)[0]
for cut in (0, 7, 8, 67, 100, 131, 8 + n_hdr - 1, 8 + n_hdr, 8 + n_hdr + 1, len(blob) // 2, len(blob) - 1):
    expect_rejected(f"cut{cut}.mmf", blob[:cut], f"truncated at byte {cut}")
expect_rejected("long.mmf", blob + b"\0", "one byte appended")

# ------------------------------------------------------------ format 1

c, h, d = split(blob)
h["format_version"] = 1
c["__metadata__"]["mmfuse.checksum"] = "%016x" % xxh64(d)
v1 = write("v1.mmf", join(c, h, d))
rc, out, err = run("inspect", v1)
out = out.decode()
check(rc == 0 and "format 1" in out and "not protected" in out, f"format 1 loads, inspect says so: {rc} {out[-300:]} {err}")
check("format-1" in err and "not protected" in err and err.count("\n") == 1, f"one-line note for format 1: {err!r}")
rc, out, err = run("predict", v1, demo, "--proba")
check(rc == 0 and out == base, f"a format-1 file predicts as its format-2 twin: {rc} {err[:300]}")
check("format-1" in err and "not protected" in err, "predict notes format 1")
c, h, d = split(blob)
h["format_version"] = 1
c["__metadata__"]["mmfuse.checksum"] = "%016x" % (xxh64(d) ^ 1)
expect_rejected("v1bad.mmf", join(c, h, d), "format 1 with a wrong data checksum", "checksum")
c, h, d = split(blob)
h["format_version"] = 1
swap_classes(c, h)
c["__metadata__"]["mmfuse.checksum"] = "%016x" % xxh64(d)
expect_rejected("v1swap.mmf", join(c, h, d), "format 1: class names swapped (the cross-checks still apply)", "'classes'")

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
