#!/usr/bin/python3
"""Audio feature benchmark: the Python side of bench_audio.c.

    peer_audio.py LIST.txt [--impl librosa|numpy|torch] [--workers N] [--intra T] [--dump OUT.npy]

The reference article's per-file features (load at 22050 Hz for up to 10 s,
13 MFCC, deltas of order 1 and 2, mean and std over time -> 78 float32)
computed with Debian's Python packages, librosa not being packaged:

  librosa  librosa 0.10's own code path transcribed: soundfile decode,
         libsoxr HQ resampling through ctypes (what python-soxr does),
         util.frame's strided (n_fft x T) view, rfft along axis -2 in
         MAX_MEM_BLOCK (256 KiB) column blocks into a Fortran-ordered
         complex64 matrix, abs()**2, einsum with the filterbank,
         power_to_db, scipy.fftpack.dct; the same deltas and pooling. This
         is what the article's code costs.
  numpy  the same numbers computed the fastest way numpy allows:
         soundfile decode, scipy.signal.resample_poly when the file is not
         at 22050 Hz (librosa.load's length rule), then librosa 0.10's MFCC
         path in numpy/scipy: centered zero-padded frames, float64 periodic
         Hann window, numpy.fft.rfft, float32 power, Slaney mel filterbank
         (built once) applied by a float32 BLAS matmul, power_to_db,
         scipy.fft.dct(type 2, ortho); deltas with scipy.signal.savgol_filter
         (mode 'interp'), as librosa.feature.delta does.
  torch  soundfile decode, torchaudio.functional.resample, and
         torchaudio.transforms.MFCC configured as librosa (float32 STFT,
         as librosa computes them); the same savgol deltas and pooling.

Setups: --workers N processes (default 2), each with --intra threads
(default 1; torch.set_num_threads, and OpenBLAS through the
OPENBLAS_NUM_THREADS the caller sets). On 2 cores the best is 2 workers x 1
thread (one file per core beats threading inside a file for clips this
short); 1 worker x 2 threads is the "one process, 2 BLAS threads" setup.
Workers are warmed up (imports, filterbank, a first file) before the clock
starts; files are handed out in chunks of 4. Prints one RESULT line: op_s (wall time of the whole list),
files_per_s, maxrss_kb = the parent's peak plus N times the largest
worker's peak (an upper bound of the pool's total).
"""
import argparse
import json
import math
import os
import resource
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

SR = 22050
N_FFT = 2048
HOP = 512
_state = {}


# ------------------------------------------------------------------ numpy path

def _mel_filterbank(sr, n_fft, n_mels=128):
    def hz_to_mel(f):
        f = np.asanyarray(f, dtype=np.float64)
        m = f / (200.0 / 3)
        log_t = f >= 1000.0
        m = np.where(log_t, 15.0 + np.log(np.maximum(f, 1e-30) / 1000.0) / (np.log(6.4) / 27.0), m)
        return m

    def mel_to_hz(m):
        f = (200.0 / 3) * m
        return np.where(m >= 15.0, 1000.0 * np.exp((np.log(6.4) / 27.0) * (m - 15.0)), f)

    fftfreqs = np.fft.rfftfreq(n=n_fft, d=1.0 / sr)
    mel_f = mel_to_hz(np.linspace(hz_to_mel(0.0), hz_to_mel(sr / 2.0), n_mels + 2))
    fdiff = np.diff(mel_f)
    ramps = np.subtract.outer(mel_f, fftfreqs)
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    w = np.maximum(0, np.minimum(lower, upper)).astype(np.float32)
    w *= (2.0 / (mel_f[2:] - mel_f[:-2]))[:, None]
    return w


def _init_numpy():
    import scipy.fft
    import scipy.fftpack
    import scipy.signal
    import soundfile
    _state["fftpack"] = scipy.fftpack
    _state["sf"] = soundfile
    _state["signal"] = scipy.signal
    _state["dct"] = scipy.fft.dct
    _state["window"] = scipy.signal.get_window("hann", N_FFT, fftbins=True)
    _state["melW"] = _mel_filterbank(SR, N_FFT)


def _load(path):
    sf = _state["sf"]
    with sf.SoundFile(path) as f:
        sr_native = f.samplerate
        y = f.read(frames=int(10.0 * sr_native), dtype="float32", always_2d=False)
    if y.ndim > 1:
        y = np.mean(y.T, axis=0)
    return y, sr_native


def _fix_length(y, n):
    return y[:n] if len(y) >= n else np.pad(y, (0, n - len(y)))


def _deltas_pool(m):
    savgol = _state["signal"].savgol_filter
    d1 = savgol(m, 9, polyorder=1, deriv=1, axis=-1, mode="interp")
    d2 = savgol(m, 9, polyorder=2, deriv=2, axis=-1, mode="interp")
    f = np.vstack([m, d1, d2]).astype(np.float32)
    return np.hstack([f.mean(axis=1), f.std(axis=1)]).astype(np.float32)


def _features_numpy(path):
    y, sr_native = _load(path)
    if sr_native != SR:
        g = math.gcd(SR, sr_native)
        n = int(np.ceil(len(y) * (SR / sr_native)))
        y = _fix_length(_state["signal"].resample_poly(y, SR // g, sr_native // g), n).astype(np.float32)
    yp = np.pad(y, (N_FFT // 2, N_FFT // 2))
    frames = np.lib.stride_tricks.sliding_window_view(yp, N_FFT)[::HOP]   # T x n_fft view
    S = np.fft.rfft(frames * _state["window"], axis=-1).astype(np.complex64)
    P = (S.real * S.real + S.imag * S.imag).T                            # n_bins x T, float32
    M = _state["melW"] @ P
    L = 10.0 * np.log10(np.maximum(1e-10, M))
    L = np.maximum(L, L.max() - 80.0)
    m = _state["dct"](L, type=2, axis=0, norm="ortho")[:13]
    return _deltas_pool(m)


# ------------------------------------------------------------------ librosa path

def _soxr_resample(x, in_rate, out_rate):
    """python-soxr's soxr.resample(x, in, out, 'soxr_hq') on Debian's
    libsoxr via ctypes, then librosa's fix_length."""
    import ctypes
    lib = _state.get("soxr")
    if lib is None:
        lib = ctypes.CDLL("libsoxr.so.0")

        class Io(ctypes.Structure):
            _fields_ = [("itype", ctypes.c_int), ("otype", ctypes.c_int), ("scale", ctypes.c_double),
                        ("e", ctypes.c_void_p), ("flags", ctypes.c_ulong)]

        class Q(ctypes.Structure):
            _fields_ = [("precision", ctypes.c_double), ("phase_response", ctypes.c_double),
                        ("passband_end", ctypes.c_double), ("stopband_begin", ctypes.c_double),
                        ("e", ctypes.c_void_p), ("flags", ctypes.c_ulong)]

        lib.soxr_io_spec.restype = Io
        lib.soxr_io_spec.argtypes = [ctypes.c_int, ctypes.c_int]
        lib.soxr_quality_spec.restype = Q
        lib.soxr_quality_spec.argtypes = [ctypes.c_ulong, ctypes.c_ulong]
        lib.soxr_create.restype = ctypes.c_void_p
        lib.soxr_create.argtypes = [ctypes.c_double, ctypes.c_double, ctypes.c_uint,
                                    ctypes.POINTER(ctypes.c_char_p), ctypes.POINTER(Io),
                                    ctypes.POINTER(Q), ctypes.c_void_p]
        lib.soxr_process.restype = ctypes.c_char_p
        lib.soxr_process.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t,
                                     ctypes.POINTER(ctypes.c_size_t), ctypes.c_void_p,
                                     ctypes.c_size_t, ctypes.POINTER(ctypes.c_size_t)]
        lib.soxr_delete.argtypes = [ctypes.c_void_p]
        _state["soxr"] = lib
    x = np.ascontiguousarray(x, dtype=np.float32)
    ilen = len(x)
    olen = int(np.ceil(ilen * out_rate / in_rate))
    chunk = int(48000 * in_rate / out_rate)
    io, q = lib.soxr_io_spec(0, 0), lib.soxr_quality_spec(4, 0)
    err = ctypes.c_char_p()
    s = lib.soxr_create(float(in_rate), float(out_rate), 1, ctypes.byref(err), ctypes.byref(io),
                        ctypes.byref(q), None)
    y = np.zeros(max(olen, 1), dtype=np.float32)
    done = ctypes.c_size_t(0)
    pos = idx = 0
    while idx < ilen:
        n = min(chunk, ilen - idx)
        lib.soxr_process(s, x.ctypes.data + 4 * idx, n, None, y.ctypes.data + 4 * pos, olen - pos,
                         ctypes.byref(done))
        pos += done.value
        idx += n
    if pos < olen:
        lib.soxr_process(s, None, 0, None, y.ctypes.data + 4 * pos, olen - pos, ctypes.byref(done))
        pos += done.value
    lib.soxr_delete(s)
    return _fix_length(y[:pos], int(np.ceil(ilen * (SR / in_rate))))


def _features_librosa(path):
    y, sr_native = _load(path)
    if sr_native != SR:
        y = _soxr_resample(y, sr_native, SR)
    # stft(center=True, pad_mode='constant')
    yp = np.pad(y, (N_FFT // 2, N_FFT // 2), mode="constant")
    T = 1 + (len(yp) - N_FFT) // HOP
    frames = np.lib.stride_tricks.as_strided(yp, shape=(N_FFT, T), strides=(yp.itemsize, HOP * yp.itemsize),
                                             writeable=False)
    win = _state["window"][:, None]
    D = np.zeros((1 + N_FFT // 2, T), dtype=np.complex64, order="F")
    n_columns = max(int(2 ** 18 // (N_FFT * frames.itemsize)), 1)
    for bl_s in range(0, T, n_columns):
        bl_t = min(bl_s + n_columns, T)
        D[:, bl_s:bl_t] = np.fft.rfft(win * frames[:, bl_s:bl_t], axis=-2)
    S = np.abs(D) ** 2
    M = np.einsum("...ft,mf->...mt", S, _state["melW"], optimize=True)
    L = 10.0 * np.log10(np.maximum(1e-10, M))
    L -= 10.0 * np.log10(np.maximum(1e-10, 1.0))
    L = np.maximum(L, L.max() - 80.0)
    m = _state["fftpack"].dct(L, axis=-2, type=2, norm="ortho")[:13]
    return _deltas_pool(m)


# ------------------------------------------------------------------ torch path

def _init_torch(intra=1):
    import torch
    import torchaudio
    torch.set_num_threads(intra)
    _init_numpy()
    _state["torch"] = torch
    _state["resample"] = torchaudio.functional.resample
    _state["mfcc"] = torchaudio.transforms.MFCC(
        sample_rate=SR, n_mfcc=13, dct_type=2, norm="ortho", log_mels=False,
        melkwargs=dict(n_fft=N_FFT, win_length=N_FFT, hop_length=HOP, f_min=0.0, f_max=None,
                       n_mels=128, window_fn=torch.hann_window, power=2.0, center=True,
                       pad_mode="constant", norm="slaney", mel_scale="slaney"))


def _features_torch(path):
    torch = _state["torch"]
    y, sr_native = _load(path)
    x = torch.from_numpy(np.ascontiguousarray(y))
    if sr_native != SR:
        n = int(np.ceil(len(y) * (SR / sr_native)))
        x = _state["resample"](x, sr_native, SR)
        x = x[:n] if x.shape[0] >= n else torch.nn.functional.pad(x, (0, n - x.shape[0]))
    with torch.no_grad():
        m = _state["mfcc"](x).numpy()
    return _deltas_pool(m)


# ------------------------------------------------------------------ driver

def _init(impl, intra=1):
    if impl == "torch":
        _init_torch(intra)
    else:
        _init_numpy()
    _state["fn"] = {"torch": _features_torch, "numpy": _features_numpy,
                    "librosa": _features_librosa}[impl]


def _work(paths):
    out = []
    for p in paths:
        try:
            out.append(_state["fn"](p))
        except Exception:
            out.append(np.zeros(78, np.float32))  # the article's fallback
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("list")
    ap.add_argument("--impl", choices=["librosa", "numpy", "torch"], default="librosa")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--intra", type=int, default=1,
                    help="threads inside each worker (torch; OpenBLAS via OPENBLAS_NUM_THREADS)")
    ap.add_argument("--dump")
    a = ap.parse_args()
    with open(a.list) as f:
        paths = [line.strip() for line in f if line.strip()]

    import multiprocessing as mp
    ctx = mp.get_context("fork")
    chunk = 4
    chunks = [paths[i:i + chunk] for i in range(0, len(paths), chunk)]
    with ctx.Pool(a.workers, initializer=_init, initargs=(a.impl, a.intra)) as pool:
        pool.map(_work, [paths[:1]] * (2 * a.workers), chunksize=1)   # warm every worker
        t0 = time.perf_counter()
        parts = pool.map(_work, chunks, chunksize=1)
        t1 = time.perf_counter()
    feats = np.array([v for part in parts for v in part], dtype=np.float32)
    rss_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rss_child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    res = {"op_s": t1 - t0, "files": len(paths), "files_per_s": len(paths) / (t1 - t0),
           "impl": a.impl, "workers": a.workers, "intra": a.intra,
           "maxrss_kb": rss_self + a.workers * rss_child}
    print("RESULT " + json.dumps(res), flush=True)
    if a.dump:
        np.save(a.dump, feats)


if __name__ == "__main__":
    sys.exit(main())
