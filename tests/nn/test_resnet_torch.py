"""ResNet parity with torchvision: resnet18 and resnet50 with seeded random
weights and randomized BatchNorm statistics are exported to safetensors in
the upstream key layout (F32, and resnet18 also as F16 and BF16), then run
by mmfuse and by PyTorch on the same inputs. Pooled features (and resnet18's
logits) must agree within 1e-4 relative to their scale, with cosine
similarity above 0.99999. Also: results are the same on 1 and 2 threads,
and broken weight files give clear errors naming the file and key."""
import os
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
import nnref  # noqa: E402

torch.set_num_threads(2)
check = nnref.Checks()


tmp = tempfile.mkdtemp(prefix="mm_resnet_")
rng = np.random.RandomState(3)


def compare(name, got, want):
    scale = float(np.abs(want).max())
    err = float(np.abs(got - want).max()) / scale
    cos = min(float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b))) for a, b in zip(got, want))
    print(f"{name}: max |diff| / scale {err:.2e} (scale {scale:.3g}), min cosine {cos:.9f}")
    check(name, err <= 1e-4 and cos > 0.99999, f"rel err {err:.3g}, cosine {cos}")


def features(model, x):
    with torch.no_grad():
        body = torch.nn.Sequential(*list(model.children())[:-1])
        return body(torch.from_numpy(x)).flatten(1).numpy(), model(torch.from_numpy(x)).numpy()


def run_mm(weights, x, *extra, generic=False):
    src, dst = os.path.join(tmp, "x.st"), os.path.join(tmp, "y.npy")
    nnref.save_safetensors(src, {"x": x})
    rc, msg = nnref.run("resnet", weights, src, dst, *extra, generic=generic)
    return (np.load(dst) if rc == 0 else None), msg


x224 = rng.randn(3, 3, 224, 224).astype(np.float32)
xodd = rng.randn(2, 3, 160, 197).astype(np.float32)

for arch, seed, dtypes in [("resnet18", 11, ["F32", "F16", "BF16"]), ("resnet50", 12, ["F32"])]:
    model = nnref.random_resnet(arch, seed)
    for dt in dtypes:
        entries, back = nnref.state_dict_arrays(model, dt)
        path = os.path.join(tmp, f"{arch}_{dt}.safetensors")
        nnref.save_safetensors(path, entries)
        ref = nnref.random_resnet(arch, seed)
        ref.load_state_dict({**model.state_dict(), **back})
        ref.eval()
        inputs = [("224x224", x224)] + ([("160x197", xodd)] if dt == "F32" else [])
        for tag, x in inputs:
            feat, logits = features(ref, x)
            got, msg = run_mm(path, x, "--threads", "2")
            if got is None:
                check(f"{arch} {dt} {tag}", False, msg)
                continue
            check(f"{arch} arch detected", f"arch {arch} dim {feat.shape[1]}" in msg, msg)
            compare(f"{arch} {dt} {tag} features", got, feat)
            if dt == "F32" and tag == "224x224":
                one, _ = run_mm(path, x, "--threads", "1")
                check(f"{arch} same bits on 1 and 2 threads", one is not None and np.array_equal(one, got))
                port, msg = run_mm(path, x, "--threads", "2", generic=True)
                if port is None:
                    check(f"{arch} portable path", False, msg)
                else:
                    compare(f"{arch} {dt} {tag} features, portable path (BLAS)", port, feat)
                if arch == "resnet18":
                    lg, msg = run_mm(path, x, "--threads", "2", "--fc")
                    if lg is None:
                        check("resnet18 logits", False, msg)
                    else:
                        compare(f"{arch} {dt} logits (fc kept)", lg, logits)

# ---------------------------------------------------------------- bad files
model = nnref.random_resnet("resnet18", 11)
entries, _ = nnref.state_dict_arrays(model, "F32")
x = x224[:1]


def bad(name, ents, want, *extra):
    path = os.path.join(tmp, "bad.safetensors")
    nnref.save_safetensors(path, ents)
    got, msg = run_mm(path, x, *extra)
    check(name, got is None and want in msg, msg.strip())


e = dict(entries)
del e["layer3.1.bn2.running_var"]
bad("missing tensor named", e, "missing tensor 'layer3.1.bn2.running_var'")
e = dict(entries)
e["layer2.0.conv1.weight"] = np.zeros((128, 64, 3, 1), np.float32)
bad("wrong shape named", e, "tensor 'layer2.0.conv1.weight' has shape [128, 64, 3, 1], expected [128, 64, 3, 3]")
bad("arch mismatch", entries, "holds a resnet18, not a resnet50", "--arch", "resnet50")
bad("not a resnet", {"encoder.weight": np.zeros((4, 4), np.float32)}, "not a ResNet state dict")
e = {"module." + k: v for k, v in entries.items()}
path = os.path.join(tmp, "prefixed.safetensors")
nnref.save_safetensors(path, e)
got, msg = run_mm(path, x)
check("'module.' prefix stripped", got is not None, msg)
e = dict(entries)
e["layer1.0.bn1.running_var"] = -np.ones(64, np.float32)
bad("negative running_var", e, "layer1.0.bn1.running_var[0] is negative")
path = os.path.join(tmp, "trunc.safetensors")
nnref.save_safetensors(path, entries)
with open(path, "r+b") as f:
    f.truncate(os.path.getsize(path) - 100)
got, msg = run_mm(path, x)
check("truncated file", got is None and "trunc.safetensors" in msg, msg.strip())
got, msg = run_mm(os.path.join(tmp, "nope.safetensors"), x)
check("missing file", got is None and "nope.safetensors" in msg, msg.strip())
small = rng.randn(1, 3, 16, 16).astype(np.float32)
path = os.path.join(tmp, "ok.safetensors")
nnref.save_safetensors(path, entries)
got, msg = run_mm(path, small)
check("input too small", got is None and "16x16" in msg, msg.strip())

check.finish()
