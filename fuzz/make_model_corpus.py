#!/usr/bin/env python3
"""Regenerates the seed corpora of fuzz_model and fuzz_pipeline_json:

    fuzz/make_model_corpus.py BUILD_DIR

trains small models with BUILD_DIR/mmfuse on tiny generated data (every
fusion, PCA, mean imputation with indicators, ordinal categories, a column
group, a binary numeric target, an audio and an image column), writes them
to fuzz/corpus/model/, adds a format-1 copy of one (old checksum: xxHash64
of the tensor data), and writes each model's pipeline header to
fuzz/corpus/pipeline_json/ with a few invalid ones (bad_*). Deterministic:
the same build gives the same bytes. Standard library only."""
import json, math, os, random, struct, subprocess, sys, tempfile, wave, zlib

here = os.path.dirname(os.path.abspath(__file__))
build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "build")
mmfuse = os.path.join(build, "mmfuse")
out_model = os.path.join(here, "corpus", "model")
out_json = os.path.join(here, "corpus", "pipeline_json")
os.makedirs(out_model, exist_ok=True)
os.makedirs(out_json, exist_ok=True)
tmp = tempfile.mkdtemp(prefix="mmfuse-corpus-")
os.environ["MMFUSE_CACHE_DIR"] = os.path.join(tmp, "cache")
rng = random.Random(1)


def png(path, rgb):
    """An 8x8 RGB PNG of one colour with a little noise."""
    raw = b"".join(b"\0" + bytes(max(0, min(255, c + rng.randint(-20, 20))) for _ in range(8) for c in rgb)
                   for _ in range(8))
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def wav(path, hz):
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * hz * i / 8000)))
                               for i in range(800)))


words = [["red", "warm", "fire"], ["green", "leaf", "grass"], ["blue", "cold", "sea"]]
rows = []
os.makedirs(os.path.join(tmp, "m"))
for i in range(30):
    k = i % 3
    x = "" if i % 7 == 0 else f"{k + rng.gauss(0, 0.5):.3f}"
    text = "" if i % 5 == 0 else " ".join(rng.choice(words[k]) for _ in range(2))
    png(os.path.join(tmp, "m", f"{i}.png"), [(200, 40, 40), (40, 200, 40), (40, 40, 200)][k])
    wav(os.path.join(tmp, "m", f"{i}.wav"), 300 + 200 * k)
    rows.append([f"r{i}", x, f"{rng.random():.3f}", "abc"[(i + k) % 3], text, f"m/{i}.png", f"m/{i}.wav",
                 "pqr"[k], str(1 + i % 2)])
data = os.path.join(tmp, "d.csv")
with open(data, "w") as f:
    f.write("id,x,z,c,t,img,snd,y,b\n")
    for r in rows:
        f.write(",".join(r) + "\n")

base = ["--id", "id", "--numeric", "x,z", "--categorical", "c", "--text", "t", "--max-features", "6", "-q",
        "--ignore", "img,snd,b"]
seeds = {
    "early": ["--target", "y"] + base,
    "late": ["--target", "y", "--fusion", "late"] + base,
    "weighted": ["--target", "y", "--fusion", "late:weighted", "--inner-folds", "3"] + base,
    "stacked": ["--target", "y", "--fusion", "late:stacked", "--inner-folds", "3"] + base,
    "single": ["--target", "y", "--fusion", "single:text:t"] + base,
    "pca": ["--target", "y", "--balance-dim", "2"] + base,
    "mean_ordinal": ["--target", "y", "--missing", "mean", "--missing-indicator", "--ordinal"] + base,
    "group": ["--target", "y", "--group", "g=z", "--fusion", "late", "--id", "id", "--numeric", "x",
              "--categorical", "c", "--text", "t", "--max-features", "6", "-q", "--ignore", "img,snd,b"],
    "binary": ["--target", "b", "--id", "id", "--numeric", "x,z", "--text", "t", "--max-features", "4", "-q",
               "--ignore", "img,snd,y,c"],
    "audio": ["--target", "y", "--id", "id", "--numeric", "x", "--audio", "snd", "--audio-mfcc", "4",
              "--audio-mels", "16", "--audio-sr", "8000", "--audio-fft", "256", "--audio-hop", "128",
              "-q", "--ignore", "z,c,t,img,b"],
    "image": ["--target", "b", "--id", "id", "--image", "img", "--image-features", "stats", "--image-size", "8",
              "--missing", "zero", "-q", "--ignore", "x,z,c,t,snd,y"],
}


def split(blob):
    n = struct.unpack_from("<Q", blob)[0]
    return json.loads(blob[8:8 + n]), blob[8 + n:]


def join(c, data):
    text = json.dumps(c, separators=(",", ":"), ensure_ascii=False).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


P1, P2, P3, P4, P5 = (11400714785074694791, 14029467366897019727, 1609587929392839161,
                      9650029242287828579, 2870177450012600261)
M = (1 << 64) - 1


def xxh64(b):
    rotl = lambda x, r: ((x << r) | (x >> (64 - r))) & M
    rnd = lambda a, l: (rotl((a + l * P2) & M, 31) * P1) & M
    n, i = len(b), 0
    if n >= 32:
        v = [(P1 + P2) & M, P2, 0, (-P1) & M]
        while i + 32 <= n:
            v = [rnd(v[k], struct.unpack_from("<Q", b, i + 8 * k)[0]) for k in range(4)]
            i += 32
        h = (rotl(v[0], 1) + rotl(v[1], 7) + rotl(v[2], 12) + rotl(v[3], 18)) & M
        for k in range(4):
            h = ((h ^ rnd(0, v[k])) * P1 + P4) & M
    else:
        h = P5
    h = (h + n) & M
    while i + 8 <= n:
        h = (rotl(h ^ rnd(0, struct.unpack_from("<Q", b, i)[0]), 27) * P1 + P4) & M
        i += 8
    if i + 4 <= n:
        h = (rotl(h ^ ((struct.unpack_from("<I", b, i)[0] * P1) & M), 23) * P2 + P3) & M
        i += 4
    while i < n:
        h = (rotl(h ^ ((b[i] * P5) & M), 11) * P1) & M
        i += 1
    h ^= h >> 33
    h = (h * P2) & M
    h ^= h >> 29
    h = (h * P3) & M
    return h ^ (h >> 32)


for name, args in seeds.items():
    path = os.path.join(out_model, name + ".mmf")
    p = subprocess.run([mmfuse, "train", data, "-o", path] + args, capture_output=True, text=True)
    if p.returncode:
        sys.exit(f"{name}: mmfuse train failed: {p.stderr}")
    c, d = split(open(path, "rb").read())
    with open(os.path.join(out_json, name + ".json"), "w") as f:
        f.write(c["__metadata__"]["mmfuse.header"])

# format 1: the same container, format_version 1 and the data-only checksum
c, d = split(open(os.path.join(out_model, "early.mmf"), "rb").read())
h = json.loads(c["__metadata__"]["mmfuse.header"])
h["format_version"] = 1
c["__metadata__"]["mmfuse.header"] = json.dumps(h, separators=(",", ":"), ensure_ascii=False)
c["__metadata__"]["mmfuse.checksum"] = "%016x" % xxh64(d)
with open(os.path.join(out_model, "format1.mmf"), "wb") as f:
    f.write(join(c, d))

# invalid headers, each for one check
h = json.loads(open(os.path.join(out_json, "early.json")).read())
bad = {
    "bad_empty": {},
    "bad_version": dict(h, format_version=3),
    "bad_unknown_field": dict(h, colour=1),
    "bad_classes_order": dict(h, classes=list(reversed(h["classes"]))),
    "bad_block_dim": dict(h, blocks=[dict(b, dim=b["dim"] + 1) for b in h["blocks"]]),
}
for name, value in bad.items():
    with open(os.path.join(out_json, name + ".json"), "w") as f:
        f.write(json.dumps(value, separators=(",", ":")))
for name in sorted(os.listdir(out_model)):
    print(name, os.path.getsize(os.path.join(out_model, name)))
