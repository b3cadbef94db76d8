"""The CNN image encoder end to end through the CLI (--image-encoder):
features equal torchvision's (PIL -> Resize(256) -> CenterCrop(224) ->
ToTensor -> Normalize -> ResNet without fc) on JPEG / PNG / grayscale /
RGBA files; broken and missing files become absent rows; results are the
same on 1 and 2 threads and within rounding for other batch sizes; the
cache is used; weight problems are reported before any data is processed;
a trained model predicts with the recorded weights, refuses changed ones,
and finds moved ones through the models directory."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import torch
from PIL import Image
from torchvision import transforms

sys.path.insert(0, os.path.dirname(__file__))
import nnref  # noqa: E402

torch.set_num_threads(2)
MMFUSE = os.path.join(nnref.BUILD, "mmfuse")
check = nnref.Checks()


tmp = tempfile.mkdtemp(prefix="mm_cnn_")
rng = np.random.RandomState(5)
env = dict(os.environ, MMFUSE_MODEL_DIR=os.path.join(tmp, "models"), MMFUSE_CACHE_DIR=os.path.join(tmp, "cache"))


def mm(*args, **kw):
    p = subprocess.run([MMFUSE, *map(str, args)], capture_output=True, text=True, env=kw.get("env", env))
    return p.returncode, p.stdout + p.stderr


# ----------------------------------------------------------------- images
img_dir = os.path.join(tmp, "img")
os.makedirs(img_dir)
files = []


def smooth(h, w, c):
    y, x = np.mgrid[0:h, 0:w]
    base = [128 + 100 * np.sin(x / (7 + 3 * k) + y / (11 + k)) for k in range(c)]
    a = np.stack(base, -1) + rng.randint(-20, 20, (h, w, c))
    return np.clip(a, 0, 255).astype(np.uint8)


for i, (kind, h, w) in enumerate([("jpg", 200, 300), ("png", 480, 640), ("gray", 150, 100), ("rgba", 256, 256),
                                  ("jpg", 224, 224), ("png", 333, 257), ("jpg", 400, 180), ("png", 64, 90)]):
    path = os.path.join(img_dir, f"im{i}.{'jpg' if kind == 'jpg' else 'png'}")
    if kind == "gray":
        Image.fromarray(smooth(h, w, 1)[:, :, 0], "L").save(path)
    elif kind == "rgba":
        Image.fromarray(smooth(h, w, 4), "RGBA").save(path)
    elif kind == "jpg":
        Image.fromarray(smooth(h, w, 3)).save(path, quality=90)
    else:
        Image.fromarray(smooth(h, w, 3)).save(path)
    files.append(path)
broken = os.path.join(img_dir, "broken.jpg")
with open(files[0], "rb") as f:
    data = f.read()
with open(broken, "wb") as f:
    f.write(data[: len(data) // 3])
rows = [(os.path.basename(p), i % 2) for i, p in enumerate(files)]
rows += [("broken.jpg", 0), ("does-not-exist.png", 1), ("", 0)]
rows += [(os.path.basename(files[i]), (i + 1) % 2) for i in range(4)]
csv = os.path.join(img_dir, "data.csv")
with open(csv, "w") as f:
    f.write("id,photo,label\n")
    for i, (p, y) in enumerate(rows):
        f.write(f"r{i},{p},{'ab'[y]}\n")

# ----------------------------------------------------------- reference
model = nnref.random_resnet("resnet18", 21)
weights = os.path.join(tmp, "w18.safetensors")
nnref.save_safetensors(weights, nnref.state_dict_arrays(model)[0])
tf = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(),
                         transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
body = torch.nn.Sequential(*list(model.children())[:-1]).eval()
with torch.no_grad():
    ref = body(torch.stack([tf(Image.open(p).convert("RGB")) for p in files])).flatten(1).numpy()


def extract(out, *extra, **kw):
    rc, msg = mm("extract", csv, "--no-target", "--image", "photo", "--block", "image:photo", "-o", out, *extra, **kw)
    if rc != 0:
        return None, msg
    return np.load(out), msg


def image_rows():
    """Maps the CSV rows to the reference rows (None for rows without a file)."""
    return [files.index(os.path.join(img_dir, p)) if p and os.path.join(img_dir, p) in files else None
            for p, _ in rows]


out = os.path.join(tmp, "f.npy")
feat, msg = extract(out, "--image-encoder", f"resnet18:{weights}", "--threads", "2", "--no-cache")
check("extract runs", feat is not None, msg)
if feat is not None:
    side = json.load(open(out[:-4] + ".json"))
    blk = side["blocks"][0]
    check("block is 512 features + present flag", blk["end"] - blk["start"] == 513 and feat.shape == (len(rows), 513),
          f"{feat.shape} {blk}")
    idx = image_rows()
    got = np.array([feat[r, :512] for r, k in enumerate(idx) if k is not None])
    want = np.array([ref[k] for k in idx if k is not None])
    scale = float(np.abs(want).max())
    err = float(np.abs(got - want).max()) / scale
    print(f"features vs torchvision: max |diff| / scale {err:.2e} over {len(got)} rows")
    check("features equal torchvision's", err <= 1e-4, f"rel err {err}")
    present = feat[:, 512]
    check("present flag", all((present[r] == 1) == (k is not None) for r, k in enumerate(idx)), str(present))
    check("absent rows are zero", all(not feat[r, :512].any() for r, k in enumerate(idx) if k is None))
    check("failures noted with file", "could not be used" in msg and "broken.jpg" in msg, msg)

    one, msg = extract(os.path.join(tmp, "f1.npy"), "--image-encoder", f"resnet18:{weights}", "--threads", "1",
                       "--no-cache")
    check("same bits on 1 thread", one is not None and np.array_equal(one, feat), msg)
    b3, msg = extract(os.path.join(tmp, "f3.npy"), "--image-encoder", f"resnet18:{weights}", "--image-batch", "3",
                      "--no-cache")
    d = float(np.abs(b3 - feat).max()) / scale if b3 is not None else np.inf
    flags = open("/proc/cpuinfo").read().split()
    if "avx2" in flags and "fma" in flags:  # the engine's own GEMM: batch-independent bits
        check("same bits with another batch size", d == 0.0, f"{d} {msg}")
    else:
        check("batch size changes only rounding", d <= 1e-5, f"{d} {msg}")

    c1, msg1 = extract(os.path.join(tmp, "c1.npy"), "--image-encoder", f"resnet18:{weights}")
    c2, msg2 = extract(os.path.join(tmp, "c2.npy"), "--image-encoder", f"resnet18:{weights}")
    # a file that appears twice in one batch is computed at two batch
    # positions, which may round differently; the cache keeps one of them
    d = float(np.abs(c1 - c2).max()) / scale if c1 is not None and c2 is not None else np.inf
    check("cache reused, same results within rounding", d <= 1e-5 and os.listdir(os.path.join(tmp, "cache")),
          f"{d} {msg1} {msg2}")
    c3, msg3 = extract(os.path.join(tmp, "c3.npy"), "--image-encoder", f"resnet18:{weights}")
    check("cached results are stable", c3 is not None and np.array_equal(c2, c3), msg3)

# ------------------------------------------------------- weight problems
rc, msg = extract(os.path.join(tmp, "x.npy"), "--image-encoder", "resnet18")
check("registry name without a pulled file", rc is None and "mmfuse models pull resnet18" in msg, msg)
rc, msg = mm("extract", csv, "--no-target", "--image", "photo", "-o", os.path.join(tmp, "x.npy"), "--image-encoder", "resnet18")
check("  exit code 4 (IO)", rc == 4 and not os.path.exists(os.path.join(tmp, "x.npy")), f"{rc} {msg}")
bad = os.path.join(tmp, "trunc.safetensors")
shutil.copy(weights, bad)
with open(bad, "r+b") as f:
    f.truncate(os.path.getsize(bad) // 2)
rc, msg = mm("extract", csv, "--no-target", "--image", "photo", "-o", os.path.join(tmp, "x.npy"), "--image-encoder",
             f"resnet18:{bad}")
check("truncated weights: data error before processing", rc == 3 and "trunc.safetensors" in msg
      and "could not be used" not in msg, f"{rc} {msg}")
rc, msg = mm("extract", csv, "--no-target", "--image", "photo", "-o", os.path.join(tmp, "x.npy"), "--image-encoder",
             f"resnet50:{weights}")
check("architecture mismatch", rc == 3 and "holds a resnet18, not a resnet50" in msg, f"{rc} {msg}")
rc, msg = mm("extract", csv, "--no-target", "--image", "photo", "-o", os.path.join(tmp, "x.npy"), "--image-encoder",
             f"vgg16:{weights}")
check("unknown architecture", rc == 2 and "unknown architecture" in msg, f"{rc} {msg}")

# ------------------------------------------- train / predict with weights
wcopy = os.path.join(tmp, "w_train.safetensors")
shutil.copy(weights, wcopy)
mf = os.path.join(tmp, "m.mmf")
rc, msg = mm("train", csv, "--target", "label", "--image", "photo", "--image-encoder", f"resnet18:{wcopy}", "-o", mf)
check("train with the CNN encoder", rc == 0, msg)
rc, pred1 = mm("predict", mf, csv)
check("predict", rc == 0 and pred1.count("\n") >= len(rows), pred1)
other = nnref.random_resnet("resnet18", 99)
nnref.save_safetensors(wcopy, nnref.state_dict_arrays(other)[0])
rc, msg = mm("predict", mf, csv)
check("changed weights refused", rc != 0 and "not the weights the model was built with" in msg, f"{rc} {msg}")
os.remove(wcopy)
os.makedirs(env["MMFUSE_MODEL_DIR"], exist_ok=True)
shutil.copy(weights, os.path.join(env["MMFUSE_MODEL_DIR"], "resnet18.safetensors"))
rc, pred2 = mm("predict", mf, csv)
check("moved weights found in the models directory", rc == 0 and pred2 == pred1, pred2[:300])

check.finish()
