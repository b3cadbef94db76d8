"""Hostile files end to end: media cells, model files and --config files
that name a FIFO, a device or a huge sparse file; edited feature-cache
entries; media paths that leave --media-root.

Cases covered (numbered as in the hardening table):
  case 1: an image cell is a FIFO (no cache)
  case 2: an audio cell is a FIFO (cache on: the cache key must not open it blocking)
  case 3: a 3 GB sparse file in an image cell (cache on): refused by size,
          never read or hashed, peak RSS stays small
  case 4: `inspect /dev/zero` and `predict /dev/zero x.csv` (and a FIFO model,
          a FIFO or directory --config) fail at once with exit 4 and a message
  case 6: an edited cache entry (a finite wrong value; a NaN) is detected,
          recomputed (output equal to a --no-cache run), rewritten and noted;
          a NaN entry never reaches the model
  media paths: absolute and ../ paths work without --media-root; with it a
          ../ escape and a symlink escape are per-row failures, counted and
          named, in-root files (relative, absolute, inner symlinks) are read

Every command runs under a timeout: a hang fails the test instead of
blocking it."""
import os, shutil, struct, subprocess, sys, tempfile
import numpy as np

build = os.environ["MMFUSE_BUILD"]
mmfuse = os.path.join(build, "mmfuse")
tmp = tempfile.mkdtemp(prefix="mmfuse-hardfiles-")
cache = os.path.join(tmp, "cache")
os.environ["MMFUSE_CACHE_DIR"] = cache  # never the user's cache
TIMEOUT = 120  # seconds: generous for sanitizer builds; a hang is infinite
passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what)


def run(*args, code=0, stderr_has=(), stderr_lacks=(), cwd=None):
    try:
        p = subprocess.run([mmfuse, *args], capture_output=True, text=True, errors="replace",
                           timeout=TIMEOUT, cwd=cwd)
    except subprocess.TimeoutExpired:
        check(False, f"mmfuse {' '.join(args)}: still running after {TIMEOUT} s (hang)")
        return subprocess.CompletedProcess(args, -1, "", "")
    what = f"mmfuse {' '.join(args)} -> {p.returncode}\n  stderr: {p.stderr.strip()[:700]}"
    check(p.returncode == code, what + f" (expected exit {code})")
    check("ERROR: AddressSanitizer" not in p.stderr and "runtime error:" not in p.stderr,
          what + " (sanitizer report)")
    for s in stderr_has:
        check(s in p.stderr, what + f" (stderr lacks {s!r})")
    for s in stderr_lacks:
        check(s not in p.stderr, what + f" (stderr has {s!r})")
    return p


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def npy(path):
    return np.load(path)


# the demo data: 60 rows with photos and sounds
demo_dir = os.path.join(tmp, "demo")
os.makedirs(demo_dir)
demo = os.path.join(demo_dir, "products.csv")
subprocess.run([os.path.join(build, "mmfuse_demo_data"), demo, "--rows", "60", "--media"], check=True,
               capture_output=True, timeout=TIMEOUT)
media = os.path.join(demo_dir, "media")
out = os.path.join(tmp, "t.npy")

# ------------------------------------------------ case 1: image cell is a FIFO
os.mkfifo(os.path.join(media, "f.png"))
f_csv = write(os.path.join(demo_dir, "f.csv"), "f,x\nmedia/P00001.png,1\nmedia/f.png,2\n")
run("extract", f_csv, "--no-target", "--image", "f", "--numeric", "x", "-o", out, "--no-cache",
    stderr_has=("1 files could not be used", "f.csv:3:", "is a FIFO"))
x = npy(out)
check(x.shape[0] == 2 and np.any(x[0] != 0), f"case 1: the good row is encoded ({x.shape})")
# the same with the cache on (the cache key opens it first)
run("extract", f_csv, "--no-target", "--image", "f", "--numeric", "x", "-o", out,
    stderr_has=("1 files could not be used", "is a FIFO"))

# ------------------------------------------------ case 2: audio cell is a FIFO, cache on
os.mkfifo(os.path.join(media, "f.wav"))
fa_csv = write(os.path.join(demo_dir, "fa.csv"), "f,x\nmedia/P00001.wav,1\nmedia/f.wav,2\n")
run("extract", fa_csv, "--no-target", "--audio", "f", "--numeric", "x", "-o", out,
    stderr_has=("1 files could not be used", "fa.csv:3:", "is a FIFO", "an audio file"))
run("extract", fa_csv, "--no-target", "--audio", "f", "--numeric", "x", "-o", out, "--no-cache",
    stderr_has=("1 files could not be used", "is a FIFO"))

# ------------------------------------------------ case 3: a 3 GB sparse image, cache on
big = os.path.join(media, "big.png")
with open(big, "wb"):
    pass
os.truncate(big, 3 << 30)
big_wav = os.path.join(media, "big.wav")
with open(big_wav, "wb"):
    pass
os.truncate(big_wav, 3 << 30)
b_csv = write(os.path.join(demo_dir, "b.csv"), "f,s,x\nmedia/P00001.png,media/P00001.wav,1\n"
              "media/big.png,media/big.wav,2\n")
# peak RSS of mmfuse alone: measured in a fresh child python whose only child it is
probe = ("import resource, subprocess, sys\n"
         "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
         "sys.stderr.write(p.stderr)\n"
         "print(p.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n")
try:
    p = subprocess.run([sys.executable, "-c", probe, mmfuse, "extract", b_csv, "--no-target", "--image", "f", "--audio", "s",
                        "--numeric", "x", "-o", out], capture_output=True, text=True, timeout=TIMEOUT)
    rc, rss_kib = (int(v) for v in p.stdout.split())
    check(rc == 0, f"case 3: exit {rc}: {p.stderr[:500]}")
    check("2 files could not be used" in p.stderr and "exceeds the limit of 268435456 bytes for an image file"
          in p.stderr, f"case 3: the image is refused by size: {p.stderr[:500]}")
    check(rss_kib < 512 * 1024, f"case 3: peak RSS {rss_kib} KiB (the 3 GB file must not be read or hashed)")
    # nothing was cached for the refused files
    n_entries = sum(len(fs) for _, _, fs in os.walk(cache))
    check(n_entries == 2, f"case 3: {n_entries} cache entries (only the two good files)")
except subprocess.TimeoutExpired:
    check(False, "case 3: extract with a 3 GB sparse file still running (read or hashed in full?)")
os.unlink(big)
os.unlink(big_wav)

# ------------------------------------------------ case 4: model files that are not files
s_csv = os.path.join(demo_dir, "s.csv")
with open(demo) as f:
    lines = f.readlines()
with open(s_csv, "w") as f:
    f.writelines(lines[:21])
run("inspect", "/dev/zero", code=4, stderr_has=("/dev/zero", "character device", "model file"))
run("predict", "/dev/zero", s_csv, code=4, stderr_has=("/dev/zero", "character device"))
fifo_model = os.path.join(tmp, "m.mmf")
os.mkfifo(fifo_model)
run("inspect", fifo_model, code=4, stderr_has=("m.mmf", "FIFO"))
run("predict", fifo_model, s_csv, code=4, stderr_has=("FIFO",))
fifo_cfg = os.path.join(tmp, "cfg.json")
os.mkfifo(fifo_cfg)
run("extract", s_csv, "--no-target", "--config", fifo_cfg, "-o", out, code=4, stderr_has=("cfg.json", "FIFO"))
run("extract", s_csv, "--no-target", "--config", tmp, "-o", out, code=4, stderr_has=("is a directory",))

# ------------------------------------------------ case 6: edited cache entries
shutil.rmtree(cache, ignore_errors=True)
args = ("extract", s_csv, "--no-target", "--image", "photo", "--audio", "sound", "--numeric", "price", "--no-infer")
ref = os.path.join(tmp, "ref.npy")
run(*args, "-o", ref, "--no-cache")
run(*args, "-o", out, stderr_lacks=("damaged",))
check(np.array_equal(npy(out), npy(ref)), "case 6: a cached run equals the no-cache run")


def entries(kind):
    found = []
    for d, _, fs in os.walk(os.path.join(cache, kind)):
        found += [os.path.join(d, f) for f in fs if f.endswith(".f32")]
    return sorted(found)


def poke(path, index, value):
    with open(path, "r+b") as f:
        f.seek(16 + 4 * index)
        f.write(struct.pack("=f", value))


img_entries, aud_entries = entries("image-handcrafted"), entries("mfcc")
# (some demo rows have no photo or no sound)
check(len(img_entries) >= 10 and len(aud_entries) >= 10,
      f"case 6: {len(img_entries)} image and {len(aud_entries)} audio cache entries")
poke(img_entries[0], 3, 0.25)          # a finite wrong value
poke(aud_entries[1], 0, float("nan"))  # a NaN
poke(aud_entries[2], 5, 1e6)
run(*args, "-o", out, stderr_has=("cache: 3 damaged entries recomputed",))
check(np.array_equal(npy(out), npy(ref)), "case 6: edited entries are recomputed (output equals --no-cache)")
check(np.all(np.isfinite(npy(out))), "case 6: no NaN in the features")
# rewritten: the next run hits every entry and notes nothing
run(*args, "-o", out, stderr_lacks=("damaged",))
check(np.array_equal(npy(out), npy(ref)), "case 6: the rewritten entries are right")
# an old-format entry (version 1, no checksum) is replaced the same way
with open(aud_entries[3], "rb") as f:
    blob = f.read()
with open(aud_entries[3], "wb") as f:
    f.write(blob[:4] + struct.pack("=I", 1) + blob[8:-8])
run(*args, "-o", out, stderr_has=("cache: 1 damaged entries recomputed",))
check(np.array_equal(npy(out), npy(ref)), "case 6: a version-1 entry is recomputed")
# a NaN entry never reaches the model: training succeeds and notes it
for e in entries("mfcc")[:2]:
    poke(e, 1, float("nan"))
model = os.path.join(tmp, "model.mmf")
run("train", s_csv, "--target", "category", "--image", "photo", "--audio", "sound", "-o", model,
    stderr_has=("cache: 2 damaged entries recomputed",), stderr_lacks=("non-finite",))

# ------------------------------------------------ media paths and --media-root
root = os.path.join(tmp, "root")
outside = os.path.join(tmp, "outside")
os.makedirs(os.path.join(root, "media"))
os.makedirs(outside)
for name in ("P00001.png", "P00002.png", "P00003.png", "P00004.png"):
    shutil.copy(os.path.join(media, name), os.path.join(root, "media", name))
shutil.copy(os.path.join(media, "P00005.png"), os.path.join(outside, "P00005.png"))
os.symlink(os.path.join(outside, "P00005.png"), os.path.join(root, "media", "escape.png"))
os.symlink("P00002.png", os.path.join(root, "media", "inner.png"))
abs_in = os.path.join(root, "media", "P00003.png")
m_csv = write(os.path.join(root, "m.csv"),
              "f,x\n"
              "media/P00001.png,1\n"          # relative, inside
              "../outside/P00005.png,2\n"     # ../ escape
              "media/escape.png,3\n"          # symlink escape
              f"{abs_in},4\n"                 # absolute, inside
              "media/inner.png,5\n"           # symlink inside the root
              "media/../media/P00004.png,6\n")  # .. that stays inside
ext = ("extract", m_csv, "--no-target", "--image", "f", "--numeric", "x", "--no-infer", "--block", "image:f", "-o", out, "--no-cache")
# without --media-root: absolute and ../ paths work, as they always did
run(*ext, stderr_lacks=("could not be used", "media-root"))
free_rows = npy(out)
check(free_rows.shape[0] == 6 and np.all(np.any(free_rows != 0, axis=1)), "media paths: every row read without --media-root")
# with it: the two escapes are per-row failures, counted and named
p = run(*ext, "--media-root", root,
        stderr_has=("2 media paths lie outside --media-root", "m.csv:3:", "../outside/P00005.png",
                    "2 files could not be used"))
conf = npy(out)
present = np.any(conf != 0, axis=1)
check(list(present) == [True, False, False, True, True, True],
      f"media paths: rows read under --media-root {list(present)}")
# (the block gains a present-flag column once rows lack it)
check(np.array_equal(conf[present][:, :free_rows.shape[1]], free_rows[present]),
      "media paths: in-root rows unchanged by the root")
# a root given through a symlink or with a trailing slash is the same root
os.symlink(root, os.path.join(tmp, "root-link"))
run(*ext, "--media-root", os.path.join(tmp, "root-link") + "/", stderr_has=("2 media paths lie outside",))
# the cache path honours the root too (no key is made for an escape)
run(*ext[:-1], "--media-root", root, stderr_has=("2 media paths lie outside",))
# a root that does not exist stops the run with a message
run(*ext, "--media-root", os.path.join(tmp, "nope"), code=4, stderr_has=("media root", "nope"))
# predict confines the same way
train_csv = write(os.path.join(root, "train.csv"),
                  "f,y\n" + "".join(f"media/P0000{1 + i % 4}.png,{'ab'[i % 2]}\n" for i in range(12)))
model = os.path.join(tmp, "m2.mmf")
run("train", train_csv, "--target", "y", "--image", "f", "--no-infer", "-o", model, "--no-cache")
run("predict", model, m_csv, "--media-root", root, "-o", os.path.join(tmp, "pred.csv"),
    stderr_has=("2 media paths lie outside --media-root",))
run("predict", model, m_csv, "-o", os.path.join(tmp, "pred.csv"), stderr_lacks=("media-root", "could not be used"))
run("extract", "--help", stderr_lacks=("unknown",))
p = subprocess.run([mmfuse, "extract", "--help"], capture_output=True, text=True, timeout=TIMEOUT)
check("--media-root DIR" in p.stdout, "--help lists --media-root")

shutil.rmtree(tmp, ignore_errors=True)
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
