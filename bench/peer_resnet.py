"""ResNet benchmark: the PyTorch side of bench/run_resnet.sh.

    peer_resnet.py forward WEIGHTS --arch A [--batch N] [--threads T] [--seconds S]
                           [--size H] [--variant V]
    peer_resnet.py loop    LIST.txt WEIGHTS --arch A [--threads T] [--dump OUT.npy]
    peer_resnet.py loader  LIST.txt WEIGHTS --arch A [--threads T] [--workers W]
                           [--batch N] [--dump OUT.npy]

WEIGHTS is a .safetensors state dict with torchvision key names (the file
mmfuse reads); it is parsed with numpy + json and loaded into
torchvision.models.<A>(weights=None), whose fc is then replaced by Identity so
that the network returns the pooled features, as mmfuse's engine does.
torch.set_num_threads(T) in every mode.

forward   forward passes on a fixed batch of N x 3 x H x H random values
          (numpy RandomState(1).random_sample * 4 - 2, the batch
          bench_resnet.c builds) for about S seconds after 3 warm-up passes.
          Variants (--variant):
            eager        model.eval() under torch.inference_mode(), NCHW
            eager-cl     the same with model and input in channels_last
            jit-freeze   torch.jit.trace + torch.jit.freeze, under no_grad
            jit-opt      torch.jit.optimize_for_inference of the frozen trace
            jit-opt-cl   jit-opt traced from a channels_last model and input
          RESULT: images_per_s, passes, seconds, prep_s (model build, tracing
          and warm-up), maxrss_kb (this process's peak, getrusage).
loop      the article's feature loop: for each path,
          Image.open(p).convert('RGB') -> Resize(256) -> CenterCrop(224) ->
          ToTensor -> Normalize(ImageNet) -> model(x.unsqueeze(0)) under
          no_grad, the vector appended as a numpy array. RESULT: op_s (the
          loop alone), startup_s (process start to loop start: imports, weight
          loading), images_per_s (loop alone), maxrss_kb.
loader    the same transforms in a torch DataLoader (W worker processes,
          batches of N) feeding the model in the main process. op_s counts
          from the DataLoader's creation (worker start-up included);
          maxrss_kb = the main process's peak plus W times the largest
          worker's (an upper bound: forked workers share pages with the main
          process).
--dump writes the features (files x dim, float32) for the agreement check.
"""
import time

T_START = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import struct  # noqa: E402

import numpy as np  # noqa: E402

MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
VARIANTS = ["eager", "eager-cl", "jit-freeze", "jit-opt", "jit-opt-cl"]
_NP = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I64": np.int64, "I32": np.int32}


def read_safetensors(path):
    """name -> numpy array (the dtypes the harness writes)."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        lo, hi = e["data_offsets"]
        out[name] = np.frombuffer(data[lo:hi], dtype=_NP[e["dtype"]]).reshape(e["shape"])
    return out


def load_model(arch, weights):
    import torch
    import torchvision
    m = getattr(torchvision.models, arch)(weights=None)
    sd = {k: torch.from_numpy(v.copy()) for k, v in read_safetensors(weights).items()}
    m.load_state_dict(sd)
    m.fc = torch.nn.Identity()
    return m.eval()


def maxrss_kb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def transform():
    from torchvision import transforms
    return transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(),
                               transforms.Normalize(MEAN, STD)])


def forward(a):
    import torch
    t0 = time.perf_counter()
    model = load_model(a.arch, a.weights)
    n = a.batch * 3 * a.size * a.size
    x = torch.from_numpy((np.random.RandomState(1).random_sample(n) * 4 - 2).astype(np.float32)
                         .reshape(a.batch, 3, a.size, a.size))
    cl = a.variant.endswith("-cl")
    if cl:
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    if a.variant.startswith("jit"):
        ctx = torch.no_grad
        with torch.no_grad():
            model = torch.jit.freeze(torch.jit.trace(model, x))
            if a.variant.startswith("jit-opt"):
                model = torch.jit.optimize_for_inference(model)
    else:
        ctx = torch.inference_mode
    with ctx():
        for _ in range(3):
            y = model(x)
        prep = time.perf_counter() - t0
        passes = 0
        t1 = time.perf_counter()
        while True:
            y = model(x)
            passes += 1
            dt = time.perf_counter() - t1
            if dt >= a.seconds:
                break
    assert y.shape[0] == a.batch
    return {"arch": a.arch, "variant": a.variant, "batch": a.batch, "threads": a.threads, "passes": passes,
            "seconds": dt, "op_s": dt, "images_per_s": passes * a.batch / dt, "prep_s": prep,
            "maxrss_kb": maxrss_kb()}


def read_list(path):
    with open(path) as f:
        return [line.strip() for line in f if line.strip()]


def loop(a):
    import torch
    from PIL import Image
    paths = read_list(a.list)
    model = load_model(a.arch, a.weights)
    preprocess = transform()
    feats = []
    t0 = time.perf_counter()
    with torch.no_grad():
        for p in paths:
            img = Image.open(p).convert("RGB")
            x = preprocess(img)
            feats.append(model(x.unsqueeze(0)).squeeze(0).numpy())
    dt = time.perf_counter() - t0
    if a.dump:
        np.save(a.dump, np.stack(feats).astype(np.float32))
    return {"op_s": dt, "startup_s": t0 - T_START, "images_per_s": len(paths) / dt, "files": len(paths),
            "maxrss_kb": maxrss_kb()}


class Files:
    """A torch Dataset over image paths (module level, so workers can use it)."""

    def __init__(self, paths):
        self.paths = paths
        self.tf = transform()

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        from PIL import Image
        return self.tf(Image.open(self.paths[i]).convert("RGB"))


def loader(a):
    import torch
    from torch.utils.data import DataLoader
    paths = read_list(a.list)
    model = load_model(a.arch, a.weights)
    feats = []
    t0 = time.perf_counter()
    dl = DataLoader(Files(paths), batch_size=a.batch, num_workers=a.workers, shuffle=False)
    with torch.no_grad():
        for x in dl:
            feats.append(model(x).numpy())
    del dl
    dt = time.perf_counter() - t0
    if a.dump:
        np.save(a.dump, np.concatenate(feats).astype(np.float32))
    rs = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"op_s": dt, "startup_s": t0 - T_START, "images_per_s": len(paths) / dt, "files": len(paths),
            "workers": a.workers, "maxrss_self_kb": maxrss_kb(), "maxrss_kb": maxrss_kb() + a.workers * rs}


def main():
    ap = argparse.ArgumentParser(prog="peer_resnet.py")
    ap.add_argument("mode", choices=["forward", "loop", "loader"])
    ap.add_argument("paths", nargs="+", help="forward: WEIGHTS; loop/loader: LIST.txt WEIGHTS")
    ap.add_argument("--arch", default="resnet18")
    ap.add_argument("--batch", type=int, default=None)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--variant", choices=VARIANTS, default="eager")
    ap.add_argument("--dump", default=None)
    a = ap.parse_args()
    import torch
    torch.set_num_threads(a.threads)
    if a.mode == "forward":
        if len(a.paths) != 1:
            ap.error("forward takes WEIGHTS")
        a.weights = a.paths[0]
        a.batch = a.batch or 1
        res = forward(a)
    else:
        if len(a.paths) != 2:
            ap.error(f"{a.mode} takes LIST.txt WEIGHTS")
        a.list, a.weights = a.paths
        if a.mode == "loop":
            res = loop(a)
        else:
            a.batch = a.batch or 32
            res = loader(a)
    print("RESULT " + json.dumps(res), flush=True)


if __name__ == "__main__":
    main()
