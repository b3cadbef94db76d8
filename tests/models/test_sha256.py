"""mmfuse's SHA-256 (FIPS 180-4) against Python's hashlib: the FIPS example
vectors, every length 0..300 fed in random chunk splits, a large repeated
input, whole files, and the error statuses of bad calls. Digests must be
identical (exact string equality)."""
import hashlib, os, random, subprocess, tempfile

build = os.environ["MMFUSE_BUILD"]
drv = os.path.join(build, "tests", "models", "drv_sha256")
tmp = tempfile.mkdtemp(prefix="mmfuse-sha-")
passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what)


def run(*args, stdin=None):
    p = subprocess.run([drv, *args], input=stdin, capture_output=True, text=True)
    check(p.returncode == 0, f"drv_sha256 {' '.join(args)} -> {p.returncode}: {p.stderr[:400]}")
    check("runtime error:" not in p.stderr and "Sanitizer" not in p.stderr, f"sanitizer report: {p.stderr[:400]}")
    return p.stdout.split("\n")


# bad calls first: a missing file, NULL and empty paths, a directory
MM_EINVAL, MM_EIO = 2, 3
out = run("errors")
check(out[0] == str(MM_EIO), f"missing file status {out[0]}")
check("/nonexistent/dir/x.bin" in out[1], f"message names the file: {out[1]!r}")
check(out[2] == str(MM_EINVAL) and out[3] == str(MM_EINVAL), f"NULL/empty path statuses {out[2:4]}")
check(out[4] == str(MM_EIO), f"directory status {out[4]}")

# FIPS 180-4 / NIST example vectors (the expected digests are also hashlib's)
vectors = [b"", b"abc", b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
           b"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"]
known = {b"": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
         b"abc": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"}
lines = "".join(f"{v.hex() or '-'} -\n" for v in vectors)
out = run("batch", stdin=lines)
for v, got in zip(vectors, out):
    check(got == hashlib.sha256(v).hexdigest(), f"vector {v[:20]!r}...: {got}")
    if v in known:
        check(got == known[v], f"published digest of {v!r}")

# one million 'a' (FIPS vector), fed in several odd chunk sizes
ref = hashlib.sha256(b"a" * 1_000_000).hexdigest()
check(ref == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", "hashlib's million-a digest")
for chunk in ("1", "63", "64", "65", "1000", "65536", "1000000"):
    out = run("repeat", "97", "1000000", chunk)
    check(out[0] == ref, f"million 'a' in chunks of {chunk}: {out[0]}")

# every length 0..300 with random bytes and random chunk splits (some empty)
rng = random.Random(20240607)
cases, lines = [], []
for n in range(301):
    for _ in range(3):
        data = bytes(rng.getrandbits(8) for _ in range(n))
        cuts, left = [], n
        while left > 0 and rng.random() < 0.8:
            k = rng.choice([0, 1, rng.randint(0, left), 55, 56, 63, 64, 65])
            k = min(k, left)
            cuts.append(k)
            left -= k
        cases.append(data)
        lines.append(f"{data.hex() or '-'} {','.join(map(str, cuts)) or '-'}\n")
out = run("batch", stdin="".join(lines))
bad = [i for i, d in enumerate(cases) if out[i] != hashlib.sha256(d).hexdigest()]
check(not bad, f"{len(bad)} of {len(cases)} random split cases differ (first: length {len(cases[bad[0]]) if bad else 0})")

# whole files: empty, small, and larger than the 64 KiB read buffer
for size in (0, 1, 64, 100_003, 1 << 20):
    path = os.path.join(tmp, f"f{size}.bin")
    data = bytes(rng.getrandbits(8) for _ in range(min(size, 4096))) * (size // 4096 + 1)
    data = data[:size]
    with open(path, "wb") as f:
        f.write(data)
    out = run("file", path)
    check(out[0] == hashlib.sha256(data).hexdigest(), f"file of {size} bytes: {out[0]}")

print(f"{passed} passed, {failed} failed")
raise SystemExit(1 if failed else 0)
