"""safetensors parity with an independent reader/writer written here with
json + numpy (the safetensors package is not used).

1. drv_st writes a file; Python parses it by hand and checks the layout rules
   (8-byte padded header, reference tensor order, contiguous offsets) and the
   values bit for bit.
2. Python writes files (unpadded and padded headers, every dtype incl. F16
   with subnormals/inf/nan and BF16 made by bit manipulation); drv_st reads
   them and prints the values, compared exactly.
3. Python writes hostile files; drv_st must reject them with a message."""
import json, math, os, shutil, struct, subprocess, sys, tempfile
import numpy as np

drv = os.path.join(os.environ["MMFUSE_BUILD"], "tests", "io", "drv_st")
passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what)


NP = {"F32": "<f4", "F64": "<f8", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2",
      "I8": "i1", "U8": "u1", "U16": "<u2", "U32": "<u4", "U64": "<u8", "BOOL": "u1", "BF16": "<u2"}
# the reference Dtype enum order (increasing alignment); the writer sorts descending
RANK = ["BOOL", "U8", "I8", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "F64", "I64", "U64"]


def no_dup_pairs(pairs):
    keys = [k for k, _ in pairs]
    assert len(keys) == len(set(keys)), "duplicate key"
    return dict(pairs)


def parse(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    text = raw[8:8 + n].decode("utf-8")
    hdr = json.loads(text, object_pairs_hook=no_dup_pairs)
    order = [k for k in json.loads(text, object_pairs_hook=lambda p: [k for k, _ in p])]
    return raw, n, text, hdr, order


# ------------------------------------------------------------- C writes
tmp = tempfile.mkdtemp(prefix="mmfuse_st_")
try:
    path = os.path.join(tmp, "c.safetensors")
    r = subprocess.run([drv, "write", path], capture_output=True, text=True)
    check(r.returncode == 0, f"drv_st write: {r.stdout} {r.stderr}")
    raw, n, text, hdr, order = parse(path)
    check(n % 8 == 0, f"header length {n} not a multiple of 8")
    body = text.rstrip(" ")
    check(body.endswith("}") and len(text) - len(body) < 8, "header padded with fewer than 8 spaces")
    check("\n" not in body and ": " not in body, "compact JSON")
    check(order[0] == "__metadata__", "metadata first")
    check(hdr["__metadata__"] == {"format": "pt", "created_by": 'mmfuse "test"'}, f"metadata {hdr['__metadata__']}")
    names = [k for k in order if k != "__metadata__"]
    want_order = sorted(names, key=lambda k: (-RANK.index(hdr[k]["dtype"]), k))
    check(names == want_order, f"tensor order {names} vs {want_order}")
    data = raw[8 + n:]
    pos = 0
    for k in names:
        b, e = hdr[k]["data_offsets"]
        check(b == pos, f"{k}: offsets not contiguous")
        pos = e
    check(pos == len(data), "data fills the file exactly")

    def tensor(k):
        t = hdr[k]
        b, e = t["data_offsets"]
        a = np.frombuffer(data[b:e], dtype=NP[t["dtype"]])
        return a.reshape(t["shape"])

    k = np.arange(12)
    exp = {
        "layer.f32": ((((k * 37) % 101) - 50).astype(np.float32) / np.float32(8)).reshape(3, 4),
        "f64": np.arange(5) / 3.0,
        "ids": np.array([-3 * 10**12, -2 * 10**12, -10**12, 0, 10**12, 2**63 - 1], dtype=np.int64).reshape(2, 3),
        "half": np.array([0x3C00, 0xC500, 0x0001, 0x03FF, 0x7BFF, 0x7C00, 0x8000], dtype=np.uint16).view(np.float16),
        "scalar": np.array(-2.5),
        "empty": np.zeros((0, 3), np.float32),
        "mask": np.array([1, 0, 0, 1], dtype=np.uint8),
        "i32": np.array([-7, 123456789], dtype=np.int32),
    }
    check(set(names) == set(exp), f"names {names}")
    dtypes = {"layer.f32": "F32", "f64": "F64", "ids": "I64", "half": "F16", "scalar": "F64",
              "empty": "F32", "mask": "BOOL", "i32": "I32"}
    for name, want in exp.items():
        if name not in hdr:
            continue
        got = tensor(name)
        check(hdr[name]["dtype"] == dtypes[name], f"{name}: dtype {hdr[name]['dtype']}")
        check(list(hdr[name]["shape"]) == list(want.shape), f"{name}: shape {hdr[name]['shape']}")
        check(got.tobytes() == want.astype(got.dtype).tobytes(), f"{name}: bytes differ")
    check(np.array_equal(tensor("half").astype(np.float64)[:5],
                         [1.0, -5.0, 2.0**-24, 1023 * 2.0**-24, 65504.0]), "F16 values")

    # the reader agrees with the writer's data hash
    r2 = subprocess.run([drv, "read", path, "format"], capture_output=True, text=True)
    check(r2.returncode == 0 and f"H {r.stdout.strip()}" in r2.stdout, "data hash round trip")
    check("M format pt" in r2.stdout, "metadata read back")

    # ------------------------------------------------------- Python writes
    def write_st(fname, tensors, meta=None, pad=True, order=None):
        """tensors: list of (name, dtype string, numpy array of the storage dtype)."""
        hdr = {}
        if meta is not None:
            hdr["__metadata__"] = meta
        blobs, off = [], 0
        for name, dt, arr in (order or tensors):
            b = np.ascontiguousarray(arr).tobytes()
            hdr[name] = {"dtype": dt, "shape": list(arr.shape), "data_offsets": [off, off + len(b)]}
            blobs.append(b)
            off += len(b)
        text = json.dumps(hdr, separators=(",", ":")).encode()
        if pad:
            text += b" " * ((8 - len(text) % 8) % 8)
        p = os.path.join(tmp, fname)
        with open(p, "wb") as f:
            f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
        return p

    rng = np.random.RandomState(7)
    f32 = rng.standard_normal((4, 5)).astype(np.float32)
    f32.view(np.uint32)[0, :4] = [0x00000001, 0x80000000, 0x7F800000, 0x7FC00000]
    f64 = rng.standard_normal(6)
    f64[0] = 5e-324
    half_bits = np.array([0x0000, 0x8000, 0x0001, 0x8001, 0x03FF, 0x0400, 0x3C00, 0x3555, 0x7BFF,
                          0x7C00, 0xFC00, 0x7E00, 0xFE01, 0x7C01], dtype=np.uint16)
    bf_src = np.array([1.0, -3.5, 3.1415927, 1e-40, -1e38, np.inf, -np.inf, np.nan, 0.0, -0.0],
                      dtype=np.float32)
    bf16 = (bf_src.view(np.uint32) >> 16).astype(np.uint16)  # truncated: any bit pattern is a valid BF16
    ints = {
        "I64": np.array([-(2**63), -1, 0, 2**53 + 1, 2**63 - 1], dtype=np.int64),
        "U64": np.array([0, 2**64 - 1, 2**53 + 1], dtype=np.uint64),
        "I32": np.array([-(2**31), 2**31 - 1, 16777217], dtype=np.int32),
        "U32": np.array([2**32 - 1, 16777217], dtype=np.uint32),
        "I16": np.array([-32768, 32767], dtype=np.int16),
        "U16": np.array([65535, 0], dtype=np.uint16),
        "I8": np.array([-128, 127, 0], dtype=np.int8),
        "U8": np.array([0, 255, 128], dtype=np.uint8),
    }
    tensors = [("w.f32", "F32", f32), ("z64", "F64", f64), ("half", "F16", half_bits.reshape(2, 7)),
               ("brain", "BF16", bf16), ("flag", "BOOL", np.array([0, 1, 2], dtype=np.uint8)),
               ("sc", "F32", np.array(7.25, dtype=np.float32)), ("none", "F16", np.zeros((3, 0), np.uint16))]
    tensors += [(f"int.{dt.lower()}", dt, a) for dt, a in ints.items()]

    def expect_values(dt, arr):
        """What the C reader must produce: float64 values and float32 values."""
        if dt == "F16":
            v = arr.view(np.float16)
            return v.astype(np.float64).ravel(), v.astype(np.float32).ravel()
        if dt == "BF16":
            v = (arr.astype(np.uint32) << 16).view(np.float32)
            return v.astype(np.float64).ravel(), v.ravel()
        if dt == "BOOL":
            v = (arr != 0).astype(np.float64)
            return v.ravel(), v.astype(np.float32).ravel()
        return arr.astype(np.float64).ravel(), arr.astype(np.float32).ravel()

    def same64(a, b):
        return len(a) == len(b) and all((math.isnan(x) and math.isnan(y)) or
                                        (x == y and math.copysign(1, x) == math.copysign(1, y))
                                        for x, y in zip(a, b))

    def run_read(p, keys=()):
        r = subprocess.run([drv, "read", p, *keys], capture_output=True, text=True)
        return r.returncode, r.stdout

    for variant, pad, meta in (("unpadded", False, None), ("padded", True, {"format": "np", "k\u00e9y": "v\"al\nue"})):
        # write in an order that is neither sorted nor by alignment
        order = tensors[::-1][::2] + tensors[::-1][1::2]
        p = write_st(f"py_{variant}.safetensors", tensors, meta, pad, order)
        raw = open(p, "rb").read()
        n = struct.unpack("<Q", raw[:8])[0]
        if not pad:
            check(n % 8 != 0, "unpadded test file really is unaligned")
        rc, out = run_read(p, list(meta) + ["missing"] if meta else ["missing"])
        check(rc == 0, f"{variant}: drv_st read failed: {out}")
        lines = out.splitlines()
        # expected file order: by data offsets (tensors are contiguous in `order`)
        by_name = {name: (dt, a) for name, dt, a in tensors}
        got = []
        i = 0
        while i < len(lines) and lines[i].startswith("T "):
            got.append((lines[i], lines[i + 1], lines[i + 2]))
            i += 3
        # zero-sized tensors share an offset with the next one and sort first
        offs = {}
        off = 0
        for name, dt, a in order:
            offs[name] = (off, off + a.nbytes)
            off += a.nbytes
        exp_order = sorted(offs, key=lambda k: (offs[k][0], offs[k][1], k))
        check([g[0].split()[1] for g in got] == exp_order, f"{variant}: order {[g[0].split()[1] for g in got]}")
        for tline, dline, fline in got:
            parts = tline.split()
            name, dt, nd = parts[1], parts[2], int(parts[3])
            shape = [int(x) for x in parts[4:4 + nd]]
            edt, arr = by_name[name]
            check(dt == edt and shape == list(arr.shape), f"{variant}: {name}: {dt} {shape}")
            want64, want32 = expect_values(edt, arr)
            got64 = [float(x) for x in dline.split()[1:]]
            got32 = np.array([float(x) for x in fline.split()[1:]], dtype=np.float64).astype(np.float32)
            check(same64(got64, list(want64)), f"{variant}: {name}: float64 values {got64} vs {list(want64)}")
            check(len(got32) == len(want32) and
                  all((np.isnan(x) and np.isnan(y)) or x.tobytes() == y.tobytes() for x, y in zip(got32, want32)),
                  f"{variant}: {name}: float32 values {got32} vs {want32}")
        if meta:
            for key, val in meta.items():
                if "\n" not in val:
                    check(f"M {key} {val}" in lines, f"{variant}: metadata {key}")
            check(f"M k\u00e9y v\"al" in lines, "metadata with newline (first line)")
        check("M missing (null)" in lines, f"{variant}: missing metadata key")

    # --------------------------------------------------------- hostile files
    good = [("a", "F32", np.arange(3, dtype=np.float32))]
    p = write_st("trailing.safetensors", good)
    with open(p, "ab") as f:
        f.write(b"\0\0")
    rc, out = run_read(p)
    check(rc == 2 and "2 trailing bytes" in out, f"trailing bytes: {out}")

    def raw_file(fname, header_bytes, data=b"", n=None):
        p = os.path.join(tmp, fname)
        with open(p, "wb") as f:
            f.write(struct.pack("<Q", len(header_bytes) if n is None else n) + header_bytes + data)
        return p

    cases = [
        ("hole", b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}', b"\0" * 12, "hole of 4 bytes"),
        ("overlap", b'{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}', b"\0" * 12, "overlap tensor 'a'"),
        ("dtype", b'{"q":{"dtype":"F8_E5M2","shape":[1],"data_offsets":[0,1]}}', b"\0", "tensor 'q': dtype F8_E5M2 is not supported"),
        ("unknown", b'{"q":{"dtype":"Q4","shape":[1],"data_offsets":[0,1]}}', b"\0", "tensor 'q': unknown dtype 'Q4'"),
        ("meta", b'{"__metadata__":{"n":3}}', b"", "value for key 'n' is not a string"),
        ("dupkey", b'{"__metadata__":{},"__metadata__":{}}', b"", "duplicate key '__metadata__'"),
        ("notjson", b"{nope}", b"", "not valid JSON"),
        ("mismatch", b'{"a":{"dtype":"F64","shape":[2],"data_offsets":[0,8]}}', b"\0" * 8, "hold 8 bytes but shape x F64 needs 16"),
    ]
    for fname, h, d, msg in cases:
        rc, out = run_read(raw_file(fname + ".safetensors", h, d))
        check(rc == 2 and msg in out, f"{fname}: {out.strip()}")
    rc, out = run_read(raw_file("big_n.safetensors", b"{}", b"", n=200_000_000))
    check(rc == 2 and "exceeds the limit" in out, f"huge N: {out.strip()}")
    rc, out = run_read(raw_file("long_n.safetensors", b"{}", b"", n=50))
    check(rc == 2 and "runs past the end of the file" in out, f"N past end: {out.strip()}")
finally:
    shutil.rmtree(tmp, ignore_errors=True)

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
