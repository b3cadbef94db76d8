"""Op-level parity of the inference engine with PyTorch (Debian's
python3-torch): convolutions (strides, padding, dilation, rectangular
kernels, residual + ReLU epilogue, folded BatchNorm), max / global average
pooling, linear layers and add. Every case also runs on 2 threads and must
give the same bits as on 1."""
import os
import sys
import tempfile

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
import nnref  # noqa: E402

check = nnref.Checks()


tmp = tempfile.mkdtemp(prefix="mm_nn_")
rng = np.random.RandomState(7)


case_no = 0


def run_op(name, op, tensors, meta, want):
    global case_no
    case_no += 1
    src = os.path.join(tmp, f"case{case_no}.st")
    nnref.save_safetensors(src, tensors, meta)
    want = want.reshape(want.shape[0], -1)
    scale = max(1.0, float(np.abs(want).max()))
    errs = []
    for generic in (False, True):  # the AVX2 engine GEMM, and the portable path
        outs = []
        for threads in (1, 2):
            dst = os.path.join(tmp, f"case{case_no}.{threads}.npy")
            rc, msg = nnref.run(op, src, dst, "--threads", threads, generic=generic)
            if rc != 0:
                check(name, False, msg)
                return
            outs.append(np.load(dst))
        got, tag = outs[0], " (portable path)" if generic else ""
        err = float(np.abs(got - want).max()) / scale if got.shape == want.shape else np.inf
        check(name + tag, got.shape == want.shape and err <= 1e-5,
              f"shape {got.shape} vs {want.shape}, rel err {err:.3g}")
        check(name + tag + " threads", np.array_equal(outs[0], outs[1]), "1 and 2 threads differ")
        errs.append(err)
    print(f"{name}: max rel err {errs[0]:.2e} (portable path {errs[1]:.2e})")


def conv_case(name, n, cin, cout, h, w, k, stride=(1, 1), pad=(0, 0), dil=(1, 1), bias=True, res=False,
              relu=False, bn=False, algo=0):
    kh, kw = k
    x = rng.randn(n, cin, h, w).astype(np.float32)
    wt = (rng.randn(cout, cin, kh, kw) / np.sqrt(cin * kh * kw)).astype(np.float32)
    b = rng.randn(cout).astype(np.float32) if bias else None
    tx, tw = torch.from_numpy(x), torch.from_numpy(wt)
    y = F.conv2d(tx, tw, torch.from_numpy(b) if bias else None, stride=stride, padding=pad, dilation=dil)
    t = {"x": x, "w": wt}
    if bias:
        t["b"] = b
    if bn:
        g, be = (0.5 + rng.rand(cout)).astype(np.float32), (0.3 * rng.randn(cout)).astype(np.float32)
        m, v = (0.3 * rng.randn(cout)).astype(np.float32), (0.2 + rng.rand(cout)).astype(np.float32)
        y = F.batch_norm(y, torch.from_numpy(m), torch.from_numpy(v), torch.from_numpy(g), torch.from_numpy(be),
                         False, 0.0, 1e-5)
        t.update(bn_weight=g, bn_bias=be, bn_mean=m, bn_var=v)
    if res:
        r = rng.randn(*y.shape).astype(np.float32)
        t["res"] = r
        y = y + torch.from_numpy(r)
    if relu:
        y = F.relu(y)
    meta = dict(stride_h=stride[0], stride_w=stride[1], pad_h=pad[0], pad_w=pad[1], dil_h=dil[0], dil_w=dil[1],
                relu=int(relu), bn=int(bn), algo=algo)
    run_op(name, "conv", t, meta, y.numpy())


conv_case("conv 7x7/2 pad 3 (stem)", 2, 3, 16, 37, 41, (7, 7), (2, 2), (3, 3), bias=False, bn=True, relu=True)
conv_case("conv 3x3/1 pad 1", 3, 8, 24, 15, 13, (3, 3), (1, 1), (1, 1))
conv_case("conv 3x3/2 pad 1", 2, 16, 32, 14, 14, (3, 3), (2, 2), (1, 1), bias=False)
conv_case("conv 1x1/1 (no gather)", 2, 32, 48, 9, 11, (1, 1))
conv_case("conv 1x1/2 (downsample)", 2, 32, 64, 9, 10, (1, 1), (2, 2), bias=False, bn=True)
conv_case("conv 3x3 dilation 2 pad 2", 2, 6, 10, 17, 19, (3, 3), (1, 1), (2, 2), (2, 2))
conv_case("conv 3x5 stride (2,1) pad (0,2) dilation (1,3)", 1, 5, 7, 12, 20, (3, 5), (2, 1), (0, 2), (1, 3))
conv_case("conv residual + relu", 2, 16, 16, 10, 10, (3, 3), (1, 1), (1, 1), res=True, relu=True)
conv_case("conv kernel larger than input with padding", 1, 4, 5, 3, 2, (5, 5), (1, 1), (2, 2))
conv_case("conv many rows (tiles), 2 col blocks", 4, 64, 64, 56, 56, (3, 3), (1, 1), (1, 1), bias=False)
conv_case("conv few rows, wide (channel split)", 1, 256, 512, 7, 7, (3, 3), (1, 1), (1, 1))
# Winograd F(2x2, 3x3) (AUTO picks it for 3x3/1 pad 1 with >= 16 channels)
for algo, tag in [(1, "GEMM"), (2, "Winograd")]:
    conv_case(f"conv 3x3/1 {tag}: odd sizes, channels not a multiple of 4", 2, 7, 9, 13, 11, (3, 3), (1, 1), (1, 1),
              algo=algo)
    conv_case(f"conv 3x3/1 {tag}: residual + relu + bn", 3, 32, 48, 14, 15, (3, 3), (1, 1), (1, 1), bias=False,
              res=True, relu=True, bn=True, algo=algo)
    conv_case(f"conv 3x3/1 {tag}: 1x1 input", 2, 16, 16, 1, 1, (3, 3), (1, 1), (1, 1), algo=algo)
    conv_case(f"conv 3x3/1 {tag}: many tiles", 2, 64, 64, 56, 56, (3, 3), (1, 1), (1, 1), algo=algo)
    conv_case(f"conv 3x3/1 {tag}: 7x7 x 512 (channel split)", 1, 512, 512, 7, 7, (3, 3), (1, 1), (1, 1), algo=algo)

# pooling
for k, s, p in [(3, 2, 1), (2, 2, 0), (3, 1, 1), (5, 3, 2)]:
    x = rng.randn(2, 12, 23, 18).astype(np.float32)
    y = F.max_pool2d(torch.from_numpy(x), k, s, p)
    run_op(f"maxpool {k}x{k}/{s} pad {p}", "maxpool", {"x": x}, dict(k=k, stride=s, pad=p), y.numpy())
x = rng.randn(1, 3, 6, 6).astype(np.float32)
x[0, 1, 2, 2] = np.nan
y = F.max_pool2d(torch.from_numpy(x), 3, 2, 1).numpy()
src, dst = os.path.join(tmp, "nan.st"), os.path.join(tmp, "nan.npy")
nnref.save_safetensors(src, {"x": x}, dict(k=3, stride=2, pad=1))
rc, msg = nnref.run("maxpool", src, dst)
got = np.load(dst).reshape(y.shape) if rc == 0 else None
check("maxpool propagates NaN like torch", rc == 0 and np.array_equal(np.isnan(got), np.isnan(y))
      and np.allclose(got[~np.isnan(got)], y[~np.isnan(y)]), msg)

x = (rng.randn(3, 64, 7, 7) * 3 + 1).astype(np.float32)
run_op("global avgpool", "avgpool", {"x": x}, {}, F.adaptive_avg_pool2d(torch.from_numpy(x), 1).numpy())

x = rng.randn(5, 300).astype(np.float32)
w = (rng.randn(70, 300) / 17).astype(np.float32)
b = rng.randn(70).astype(np.float32)
run_op("linear", "linear", {"x": x, "w": w, "b": b}, dict(relu=0),
       F.linear(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b)).numpy())
run_op("linear + relu", "linear", {"x": x, "w": w, "b": b}, dict(relu=1),
       F.relu(F.linear(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b))).numpy())
a, b = rng.randn(4, 100000).astype(np.float32), rng.randn(4, 100000).astype(np.float32)
run_op("add + relu", "add", {"a": a, "b": b}, dict(relu=1), F.relu(torch.from_numpy(a) + torch.from_numpy(b)).numpy())

check.finish()
