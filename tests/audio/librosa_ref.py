"""A numpy/scipy re-implementation of librosa 0.10's audio feature path
(librosa 0.10's algorithms), used as the independent reference of the audio
parity tests. librosa is not packaged in Debian; this module follows its
code step by step with the same dtypes:

- stft(center=True, pad_mode='constant'): y (float32) zero-padded by
  n_fft//2 on both sides, frames every hop, multiplied by the float64
  window scipy.signal.get_window('hann', n_fft, fftbins=True), numpy.fft.rfft
  in float64, stored as complex64; power = abs(S)**2 in float32.
- mel filterbank: librosa.filters.mel (Slaney scale and area norm) written
  with the same numpy operations (rfftfreq, linspace, subtract.outer,
  minimum/maximum, float32 storage, in-place float64 normalisation).
- power_to_db(ref=1, amin=1e-10, top_db=80) in float32; DCT with
  scipy.fftpack.dct(type=2, norm='ortho') as librosa 0.10 calls it.
- delta: scipy.signal.savgol_filter(x, width, polyorder=order, deriv=order,
  mode='interp', axis=-1) exactly as librosa.feature.delta calls it.
- the extra statistics (rms, zero_crossing_rate, spectral_centroid,
  spectral_bandwidth, spectral_rolloff) from librosa 0.10's definitions.

numerics.md §8 records that an implementation written this way matched
librosa 0.10.2.post1 bit for bit on MFCC and deltas, and gives check values
(440 Hz sine) that the tests assert on this module too.
"""
import ctypes
import ctypes.util
import math

import numpy as np
import scipy.fftpack
import scipy.signal


# ------------------------------------------------------------------ mel

def hz_to_mel(f):
    f = np.asanyarray(f, dtype=np.float64)
    f_sp = 200.0 / 3
    mels = f / f_sp
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    if f.ndim:
        t = f >= min_log_hz
        mels[t] = min_log_mel + np.log(f[t] / min_log_hz) / logstep
    elif f >= min_log_hz:
        mels = min_log_mel + np.log(f / min_log_hz) / logstep
    return mels


def mel_to_hz(m):
    m = np.asanyarray(m, dtype=np.float64)
    f_sp = 200.0 / 3
    freqs = f_sp * m
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    if m.ndim:
        t = m >= min_log_mel
        freqs[t] = min_log_hz * np.exp(logstep * (m[t] - min_log_mel))
    elif m >= min_log_mel:
        freqs = min_log_hz * np.exp(logstep * (m - min_log_mel))
    return freqs


def mel_filterbank(sr, n_fft, n_mels=128, fmin=0.0, fmax=None):
    if fmax is None:
        fmax = float(sr) / 2
    weights = np.zeros((n_mels, 1 + n_fft // 2), dtype=np.float32)
    fftfreqs = np.fft.rfftfreq(n=n_fft, d=1.0 / sr)
    mel_f = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    fdiff = np.diff(mel_f)
    ramps = np.subtract.outer(mel_f, fftfreqs)
    for i in range(n_mels):
        lower = -ramps[i] / fdiff[i]
        upper = ramps[i + 2] / fdiff[i + 1]
        weights[i] = np.maximum(0, np.minimum(lower, upper))
    enorm = 2.0 / (mel_f[2:n_mels + 2] - mel_f[:n_mels])
    weights *= enorm[:, np.newaxis]
    return weights


# ------------------------------------------------------------------ stft

def stft_complex(y, n_fft=2048, hop=512):
    y = np.asarray(y, dtype=np.float32)
    window = scipy.signal.get_window("hann", n_fft, fftbins=True)
    yp = np.pad(y, (n_fft // 2, n_fft // 2), mode="constant")
    T = 1 + (len(yp) - n_fft) // hop
    idx = np.arange(n_fft)[:, None] + hop * np.arange(T)[None, :]
    frames = yp[idx]                               # float32, n_fft x T
    return np.fft.rfft(window[:, None] * frames, axis=0).astype(np.complex64)


def power_spec(y, n_fft=2048, hop=512):
    return np.abs(stft_complex(y, n_fft, hop)) ** 2


def power_to_db(S, amin=1e-10, top_db=80.0):
    log_spec = 10.0 * np.log10(np.maximum(amin, S))
    log_spec -= 10.0 * np.log10(np.maximum(amin, 1.0))
    log_spec = np.maximum(log_spec, log_spec.max() - top_db)
    return log_spec


def mfcc(y, sr=22050, n_mfcc=13, n_mels=128, n_fft=2048, hop=512, fmin=0.0, fmax=None):
    S = power_spec(y, n_fft, hop)
    M = np.dot(mel_filterbank(sr, n_fft, n_mels, fmin, fmax), S)
    L = power_to_db(M)
    return scipy.fftpack.dct(L, axis=-2, type=2, norm="ortho")[:n_mfcc]


def delta(x, width=9, order=1):
    if width > x.shape[-1]:
        raise ValueError("too short")
    return scipy.signal.savgol_filter(x, window_length=width, polyorder=order, deriv=order,
                                      axis=-1, mode="interp")


def features(y, sr=22050, n_mfcc=13, extra=False, **kw):
    """The reference article's 78-vector (plus the 10 extras when asked)."""
    m = mfcc(y, sr=sr, n_mfcc=n_mfcc, **kw)
    d1 = delta(m, order=1)
    d2 = delta(m, order=2)
    f = np.vstack([m, d1, d2])
    v = np.hstack([f.mean(axis=1), f.std(axis=1)])
    if extra:
        s = frame_stats(y, sr=sr)
        v = np.hstack([v, s.mean(axis=1), s.std(axis=1)])
    return v.astype(np.float32)


# ------------------------------------------------------------------ extras

def _frames(yp, n_fft, hop):
    T = 1 + (len(yp) - n_fft) // hop
    idx = np.arange(n_fft)[:, None] + hop * np.arange(T)[None, :]
    return yp[idx]


def frame_stats(y, sr=22050, n_fft=2048, hop=512):
    """rows: rms, zcr, centroid, bandwidth, rolloff (librosa 0.10)."""
    y = np.asarray(y, dtype=np.float32)
    # rms: constant padding, mean of squares in float32
    x = _frames(np.pad(y, (n_fft // 2, n_fft // 2), mode="constant"), n_fft, hop)
    rms = np.sqrt(np.mean(np.abs(x) ** 2, axis=0))
    # zcr: edge padding, threshold 1e-10, zero counts as positive, pad=False
    x = _frames(np.pad(y, (n_fft // 2, n_fft // 2), mode="edge"), n_fft, hop).copy()
    x[np.abs(x) <= 1e-10] = 0
    sb = np.signbit(x)
    cross = np.pad(sb[1:] != sb[:-1], [(1, 0), (0, 0)], mode="constant", constant_values=False)
    zcr = np.mean(cross, axis=0)
    # spectral: magnitude spectrogram
    S = np.abs(stft_complex(y, n_fft, hop))
    freq = np.fft.rfftfreq(n=n_fft, d=1.0 / sr)[:, None]
    length = np.sum(S, axis=0, keepdims=True)
    length[length < np.finfo(np.float32).tiny] = 1.0
    Sn = S / length
    cent = np.sum(freq * Sn, axis=0, keepdims=True)
    dev = np.abs(freq - cent)
    bw = np.sum(Sn * dev ** 2, axis=0) ** 0.5
    tot = np.cumsum(S, axis=0)
    thr = 0.85 * tot[-1]
    ind = np.where(tot < thr, np.nan, 1)
    roll = np.nanmin(ind * freq, axis=0)
    return np.vstack([rms, zcr, cent[0], bw, roll])


# ------------------------------------------------------------------ soxr via ctypes

class _IoSpec(ctypes.Structure):
    _fields_ = [("itype", ctypes.c_int), ("otype", ctypes.c_int), ("scale", ctypes.c_double),
                ("e", ctypes.c_void_p), ("flags", ctypes.c_ulong)]


class _QualitySpec(ctypes.Structure):
    _fields_ = [("precision", ctypes.c_double), ("phase_response", ctypes.c_double),
                ("passband_end", ctypes.c_double), ("stopband_begin", ctypes.c_double),
                ("e", ctypes.c_void_p), ("flags", ctypes.c_ulong)]


_soxr = None


def soxr_lib():
    global _soxr
    if _soxr is None:
        lib = ctypes.CDLL(ctypes.util.find_library("soxr") or "libsoxr.so.0")
        lib.soxr_io_spec.restype = _IoSpec
        lib.soxr_io_spec.argtypes = [ctypes.c_int, ctypes.c_int]
        lib.soxr_quality_spec.restype = _QualitySpec
        lib.soxr_quality_spec.argtypes = [ctypes.c_ulong, ctypes.c_ulong]
        lib.soxr_create.restype = ctypes.c_void_p
        lib.soxr_create.argtypes = [ctypes.c_double, ctypes.c_double, ctypes.c_uint,
                                    ctypes.POINTER(ctypes.c_char_p), ctypes.POINTER(_IoSpec),
                                    ctypes.POINTER(_QualitySpec), ctypes.c_void_p]
        lib.soxr_process.restype = ctypes.c_char_p
        lib.soxr_process.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t,
                                     ctypes.POINTER(ctypes.c_size_t), ctypes.c_void_p,
                                     ctypes.c_size_t, ctypes.POINTER(ctypes.c_size_t)]
        lib.soxr_delete.argtypes = [ctypes.c_void_p]
        _soxr = lib
    return _soxr


SOXR_FLOAT32_I = 0
SOXR_HQ = 4  # SOXR_20_BITQ


def soxr_resample(x, in_rate, out_rate):
    """python-soxr 0.3's soxr.resample(x, in, out, 'soxr_hq') for 1-D
    float32 (cysoxr_divide_proc), then librosa's fix_length."""
    lib = soxr_lib()
    x = np.ascontiguousarray(x, dtype=np.float32)
    ilen = len(x)
    olen = int(np.ceil(ilen * out_rate / in_rate))
    chunk = int(48000 * in_rate / out_rate)
    io = lib.soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I)
    q = lib.soxr_quality_spec(SOXR_HQ, 0)
    err = ctypes.c_char_p()
    s = lib.soxr_create(float(in_rate), float(out_rate), 1, ctypes.byref(err), ctypes.byref(io),
                        ctypes.byref(q), None)
    assert s and not err.value, err.value
    y = np.zeros(max(olen, 1), dtype=np.float32)
    done = ctypes.c_size_t(0)
    pos = idx = 0
    xp = x.ctypes.data
    yp = y.ctypes.data

    def proc(inp, n):
        nonlocal pos
        e = lib.soxr_process(s, inp, n, None, yp + 4 * pos, olen - pos, ctypes.byref(done))
        assert e is None, e
        pos += done.value

    while idx + chunk < ilen:
        proc(xp + 4 * idx, chunk)
        idx += chunk
    if idx < ilen:
        proc(xp + 4 * idx, ilen - idx)
    if pos < olen:
        proc(None, 0)
    lib.soxr_delete(s)
    y = y[:pos]
    n_samples = int(np.ceil(ilen * (float(out_rate) / in_rate)))
    if len(y) > n_samples:
        y = y[:n_samples]
    else:
        y = np.pad(y, (0, n_samples - len(y)))
    return y


def load(path, sr=22050, offset=0.0, duration=None):
    """librosa.load(path, sr, mono=True, offset, duration) with soundfile
    and the ctypes soxr above."""
    import soundfile as sf
    with sf.SoundFile(path) as f:
        sr_native = f.samplerate
        if offset:
            f.seek(int(offset * sr_native))
        frames = int(duration * sr_native) if duration is not None else -1
        y = f.read(frames=frames, dtype="float32", always_2d=False).T
    if y.ndim > 1:
        y = np.mean(y, axis=0)
    if sr is not None and sr != sr_native:
        y = soxr_resample(y, sr_native, sr)
    return y.astype(np.float32), sr_native
