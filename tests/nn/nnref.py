"""Shared helpers for the engine's PyTorch parity tests: writing safetensors
files with numpy + json (the upstream layout), running the C driver, and
building seeded torchvision ResNets with randomized BatchNorm statistics."""
import json
import os
import struct
import subprocess
import sys

import numpy as np

BUILD = os.environ.get("MMFUSE_BUILD", "build")
DRV = os.path.join(BUILD, "tests", "nn", "drv_nn")

_DT = {np.dtype("float32"): "F32", np.dtype("float16"): "F16", np.dtype("float64"): "F64",
       np.dtype("int64"): "I64", np.dtype("int32"): "I32", np.dtype("uint8"): "U8"}


class Checks:
    """check(name, ok, detail) counts results and prints failures;
    check.finish() prints "N passed, N failed" and exits non-zero on a
    failure."""

    def __init__(self):
        self.passed = self.failed = 0

    def __call__(self, name, ok, detail=""):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL {name} {detail}")

    def finish(self):
        print(f"{self.passed} passed, {self.failed} failed")
        sys.exit(1 if self.failed else 0)


def save_safetensors(path, tensors, metadata=None):
    """tensors: name -> numpy array (or (raw_bytes_array, "BF16", shape))."""
    header, blobs, off = {}, [], 0
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    for name, a in tensors.items():
        if isinstance(a, tuple):
            raw, dt, shape = a
            data = np.ascontiguousarray(raw).tobytes()
        else:
            a = np.ascontiguousarray(a)
            dt, shape, data = _DT[a.dtype], list(a.shape), a.tobytes()
        header[name] = {"dtype": dt, "shape": list(shape), "data_offsets": [off, off + len(data)]}
        blobs.append(data)
        off += len(data)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def run(*args, generic=False):
    """generic: run the portable path (BLAS GEMMs, SSE2) whatever the CPU."""
    env = dict(os.environ, MMFUSE_NN_GENERIC="1" if generic else "0")
    p = subprocess.run([DRV, *map(str, args)], capture_output=True, text=True, env=env)
    return p.returncode, p.stdout + p.stderr


def state_dict_arrays(model, dtype="F32"):
    """A torch state dict as safetensors entries in the given float dtype;
    returns (entries, the float32 weights those entries decode to)."""
    import torch
    out, back = {}, {}
    for k, v in model.state_dict().items():
        if not v.is_floating_point():
            out[k] = v.numpy().astype(np.int64)
            continue
        if dtype == "F32":
            out[k] = v.numpy().astype(np.float32)
            back[k] = v.clone()
        elif dtype == "F16":
            h = v.to(torch.float16)
            out[k] = h.numpy()
            back[k] = h.to(torch.float32)
        elif dtype == "BF16":
            b = v.to(torch.bfloat16)
            out[k] = (b.view(torch.int16).numpy(), "BF16", list(v.shape))
            back[k] = b.to(torch.float32)
    return out, back


def random_resnet(arch, seed):
    """torchvision arch with seeded random weights and BatchNorm statistics
    far from the identity (so that folding them is tested)."""
    import torch
    import torchvision
    torch.manual_seed(seed)
    m = getattr(torchvision.models, arch)(weights=None)
    g = torch.Generator().manual_seed(seed + 1)
    for mod in m.modules():
        if isinstance(mod, torch.nn.BatchNorm2d):
            c = mod.num_features
            mod.weight.data = 0.5 + torch.rand(c, generator=g)
            mod.bias.data = 0.2 * torch.randn(c, generator=g)
            mod.running_mean.data = 0.2 * torch.randn(c, generator=g)
            mod.running_var.data = 0.5 + torch.rand(c, generator=g)
    return m.eval()
