"""The C .npy writer produces exactly the bytes of numpy's np.save (header
and data), and np.load reads the values back unchanged."""
import io, os, shutil, subprocess, sys, tempfile
import numpy as np

drv = os.path.join(os.environ["MMFUSE_BUILD"], "tests", "io", "drv_npy")
passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what)


def expected(rows, cols):
    n = rows * cols
    k = np.arange(n, dtype=np.int64)
    a = (((k * 7919) % 10007) - 5003).astype(np.float32) / np.float32(64.0)
    if n >= 8:
        bits = a.view(np.uint32)
        bits[:5] = [0x80000000, 0x7F800000, 0xFF800000, 0x7FC00000, 0x00000001]
    return a.reshape(rows, cols)


tmp = tempfile.mkdtemp(prefix="mmfuse_npy_")
try:
    shapes = [(3, 4), (200, 78), (0, 5), (1, 1), (5, 0), (0, 0), (1, 1000), (1000, 3),
              (12345, 2), (10**18, 0), (0, 10**18)]
    for rows, cols in shapes:
        path = os.path.join(tmp, f"a_{rows}_{cols}.npy")
        r = subprocess.run([drv, path, str(rows), str(cols)], capture_output=True, text=True)
        check(r.returncode == 0, f"drv_npy {rows}x{cols} failed: {r.stderr}")
        if r.returncode:
            continue
        want = expected(rows, cols) if rows * cols else np.empty((rows, cols), np.float32)
        buf = io.BytesIO()
        np.save(buf, want)
        got = open(path, "rb").read()
        same = got == buf.getvalue()
        check(same, f"{rows}x{cols}: bytes differ from np.save")
        if not same:
            print("  got   ", got[:128])
            print("  numpy ", buf.getvalue()[:128])
        loaded = np.load(path)
        check(loaded.dtype == np.float32 and loaded.shape == (rows, cols),
              f"{rows}x{cols}: np.load gives {loaded.dtype} {loaded.shape}")
        check(loaded.tobytes() == want.tobytes(), f"{rows}x{cols}: values differ")
        check((10 + int.from_bytes(got[8:10], "little")) % 64 == 0, f"{rows}x{cols}: data not 64-aligned")

    # a failed write reports the path and leaves nothing behind
    bad = os.path.join(tmp, "no_such_dir", "x.npy")
    r = subprocess.run([drv, bad, "3", "4"], capture_output=True, text=True)
    check(r.returncode == 1 and bad in r.stderr, f"write into a missing folder: {r.returncode} {r.stderr}")
    # overwriting replaces the file; no temporary files remain
    path = os.path.join(tmp, "a_3_4.npy")
    r = subprocess.run([drv, path, "2", "2"], capture_output=True, text=True)
    check(r.returncode == 0 and np.load(path).shape == (2, 2), "overwrite")
    check(not any(".tmp." in f for f in os.listdir(tmp)), f"temporary files left: {os.listdir(tmp)}")
finally:
    shutil.rmtree(tmp, ignore_errors=True)

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
