#!/usr/bin/python3
"""Audio parity: mmfuse's decode, resampling, MFCC, deltas, pooled vector
and extra statistics against an independent reference.

The reference (librosa_ref.py, next to this file) is a numpy/scipy
transcription of librosa 0.10's code path with librosa's dtypes:
numpy.fft.rfft on float64-windowed frames stored as complex64, the Slaney
filterbank built with the same numpy operations, power_to_db in float32,
scipy.fftpack.dct(type=2, norm='ortho'), and
scipy.signal.savgol_filter(mode='interp') called exactly as
librosa.feature.delta calls it. Our notes on librosa record that such
an implementation equals librosa 0.10.2.post1 bit for bit on MFCC and deltas;
the check values it gives (a 440 Hz sine) are asserted in test_audio.c.
torchaudio 0.13, configured as numerics.md §8.5 says, is a second,
separately written reference for the MFCC (float32 STFT, so a looser bound).

Decoding is compared with python3-soundfile (the same libsndfile librosa
reads through). Resampling is compared with Debian's libsoxr driven from
ctypes in exactly python-soxr's call pattern (librosa's res_type
'soxr_hq'); scipy.signal.resample_poly, a different filter, is reported as
a sanity bound only.

Tolerances (max abs difference): MFCC, deltas and the pooled 78 values
1e-3 (dB scale); decoded samples 0 (bit-identical); resampled samples 0
against the ctypes libsoxr reference.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import soundfile as sf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import librosa_ref as R  # noqa: E402

BUILD = os.environ.get("MMFUSE_BUILD", "build")
DRV = os.path.join(BUILD, "tests", "audio", "drv_audio")
SR = 22050
TOL = 1e-3

passed = failed = 0
worst = {}


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what, flush=True)


def note(key, value):
    worst[key] = max(worst.get(key, 0.0), float(value))


def drv(*args, capture=False):
    r = subprocess.run([DRV] + [str(a) for a in args], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"drv_audio {args[0]} failed: {r.stderr.strip()}")
    return r.stdout


def f32(path):
    return np.fromfile(path, dtype=np.float32)


# ------------------------------------------------------------------ signals

def signals(rng):
    t = np.arange(3 * SR) / SR
    out = {}
    out["tones+noise"] = (0.3 * np.sin(2 * np.pi * 440 * t) + 0.2 * np.sin(2 * np.pi * 3150 * t)
                          + 0.05 * rng.standard_normal(t.size))
    f = 100 * np.exp(t * np.log(80) / t[-1])
    out["chirp, fading"] = 0.8 * np.sin(2 * np.pi * np.cumsum(f) / SR) * np.exp(-1.5 * t)
    env = 0.5 * (1 + np.sin(2 * np.pi * 3 * t)) ** 2
    out["AM noise"] = 0.3 * env * rng.standard_normal(t.size)
    out["very quiet"] = 1e-4 * np.sin(2 * np.pi * 1234.5 * t) + 1e-5 * rng.standard_normal(t.size)
    out["clipped square"] = np.clip(3 * np.sign(np.sin(2 * np.pi * 220 * t)), -1, 1)
    x = np.zeros(t.size)
    x[::5000] = 1.0
    out["impulses"] = x
    out["4096 samples"] = rng.standard_normal(4096) * 0.1
    out["12345 samples"] = np.sin(2 * np.pi * 700 * np.arange(12345) / SR)
    return {k: v.astype(np.float32) for k, v in out.items()}


def test_mfcc_and_features(tmp, rng):
    p = json.dumps({})
    for name, y in signals(rng).items():
        yin = os.path.join(tmp, "y.f32")
        y.tofile(yin)
        drv("mfcc", yin, p, os.path.join(tmp, "m.f32"))
        m = f32(os.path.join(tmp, "m.f32")).reshape(13, -1)
        mr = R.mfcc(y)
        d = float(np.abs(m - mr).max())
        note("mfcc", d)
        check(m.shape == mr.shape and d <= TOL, f"MFCC '{name}': max abs diff {d:.3g}")
        # deltas of the same (reference) MFCC matrix
        mr.astype(np.float32).tofile(yin)
        for order in (1, 2):
            drv("delta", yin, 13, mr.shape[1], 9, order, os.path.join(tmp, "d.f32"))
            dd = f32(os.path.join(tmp, "d.f32")).reshape(13, -1)
            dr = R.delta(mr, order=order)
            e = float(np.abs(dd - dr).max())
            note(f"delta{order}", e)
            check(e <= 1e-4, f"delta order {order} '{name}': max abs diff {e:.3g}")
        y.tofile(yin)
        drv("features", yin, p, os.path.join(tmp, "v.f32"))
        v = f32(os.path.join(tmp, "v.f32"))
        vr = R.features(y)
        e = float(np.abs(v - vr).max())
        note("pooled78", e)
        check(v.shape == (78,) and e <= TOL, f"78-vector '{name}': max abs diff {e:.3g}")


def test_other_params(tmp, rng):
    """Non-default analysis settings (16 kHz, 20 MFCC, 64 mels, 1024/256,
    50..7000 Hz) against the same reference."""
    sr = 16000
    t = np.arange(2 * sr) / sr
    y = (0.3 * np.sin(2 * np.pi * 330 * t) + 0.1 * rng.standard_normal(t.size)).astype(np.float32)
    y.tofile(os.path.join(tmp, "y.f32"))
    p = json.dumps({"sr": sr, "n_mfcc": 20, "n_mels": 64, "n_fft": 1024, "hop_length": 256,
                    "fmin": 50.0, "fmax": 7000.0})
    drv("mfcc", os.path.join(tmp, "y.f32"), p, os.path.join(tmp, "m.f32"))
    m = f32(os.path.join(tmp, "m.f32")).reshape(20, -1)
    mr = R.mfcc(y, sr=sr, n_mfcc=20, n_mels=64, n_fft=1024, hop=256, fmin=50.0, fmax=7000.0)
    d = float(np.abs(m - mr).max())
    note("mfcc (other params)", d)
    check(m.shape == mr.shape and d <= TOL, f"MFCC with other params: max abs diff {d:.3g}")


def test_extra_stats(tmp, rng):
    t = np.arange(3 * SR) / SR
    y = (0.3 * np.sin(2 * np.pi * 500 * t) * (t < 1.5) + 0.05 * rng.standard_normal(t.size)
         * np.exp(-t)).astype(np.float32)
    y[SR // 2: SR // 2 + 4000] = 0.0  # a silent stretch inside
    y.tofile(os.path.join(tmp, "y.f32"))
    drv("stats", os.path.join(tmp, "y.f32"), "{}", os.path.join(tmp, "s.f32"))
    s = f32(os.path.join(tmp, "s.f32")).reshape(5, -1)
    r = R.frame_stats(y)
    rel = lambda a, b: float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-3)))  # noqa: E731
    e_rms = rel(s[0], r[0])
    check(e_rms <= 1e-5, f"rms: max rel diff {e_rms:.3g}")
    check(np.array_equal(s[1], r[1].astype(np.float32)), "zcr differs")
    e_c = float(np.abs(s[2] - r[2]).max())
    e_b = float(np.abs(s[3] - r[3]).max())
    check(e_c <= 0.05, f"centroid: max abs diff {e_c:.3g} Hz")
    check(e_b <= 0.05, f"bandwidth: max abs diff {e_b:.3g} Hz")
    same = np.mean(s[4] == r[4].astype(np.float32))
    binw = SR / 2048
    check(same >= 0.98 and np.abs(s[4] - r[4]).max() <= binw + 1e-3,
          f"rolloff: {same:.3f} of frames equal, max diff {np.abs(s[4] - r[4]).max():.3g}")
    note("rms rel", e_rms)
    note("centroid Hz", e_c)
    note("bandwidth Hz", e_b)
    drv("features", os.path.join(tmp, "y.f32"), json.dumps({"extra_stats": True}),
        os.path.join(tmp, "v.f32"))
    v = f32(os.path.join(tmp, "v.f32"))
    vr = R.features(y, extra=True)
    check(v.shape == (88,), "extra_stats vector length")
    e = float(np.abs(v[:78] - vr[:78]).max())
    check(e <= TOL, f"88-vector head: {e:.3g}")
    e2 = float(np.max(np.abs(v[78:] - vr[78:]) / np.maximum(np.abs(vr[78:]), 1.0)))
    note("extras pooled rel", e2)
    check(e2 <= 1e-4, f"pooled extras: max rel diff {e2:.3g}")


# ------------------------------------------------------------------ decode

def test_decode(tmp, rng):
    sr = SR
    n = sr + 777
    mono = (0.5 * np.sin(2 * np.pi * 440 * np.arange(n) / sr)
            + 0.1 * rng.standard_normal(n)).clip(-1, 1).astype(np.float32)
    stereo = np.stack([mono, (0.3 * rng.standard_normal(n)).clip(-1, 1).astype(np.float32)], axis=1)
    three = np.concatenate([stereo, mono[:, None] * 0.7], axis=1)
    cases = [("WAV", "PCM_16", mono), ("WAV", "PCM_24", mono), ("WAV", "PCM_32", mono),
             ("WAV", "FLOAT", mono * 1.5), ("WAV", "DOUBLE", mono), ("WAV", "PCM_U8", mono),
             ("WAV", "PCM_16", stereo), ("WAV", "FLOAT", three),
             ("FLAC", "PCM_16", mono), ("FLAC", "PCM_24", stereo),
             ("OGG", "VORBIS", mono), ("OGG", "VORBIS", stereo), ("AIFF", "PCM_16", mono)]
    for fmt, sub, y in cases:
        ext = {"WAV": "wav", "FLAC": "flac", "OGG": "ogg", "MP3": "mp3", "AIFF": "aiff"}[fmt]
        path = os.path.join(tmp, f"dec_{sub}_{y.ndim}_{y.shape[-1] if y.ndim > 1 else 1}.{ext}")
        sf.write(path, y, sr, format=fmt, subtype=sub)
        out = os.path.join(tmp, "d.f32")
        rate = int(drv("decode", path, 0, 0, out).strip())
        mine = f32(out)
        ref = sf.read(path, dtype="float32", always_2d=False)[0]
        if ref.ndim > 1:
            ref = np.mean(ref.T, axis=0)
        same = rate == sr and mine.shape == ref.shape and np.array_equal(mine, ref)
        check(same, f"decode {fmt}/{sub} {y.shape}: rate {rate}, shape {mine.shape} vs {ref.shape}, "
                    f"max diff {np.abs(mine - ref).max() if mine.shape == ref.shape else 'n/a'}")
    # MP3 (44.1 kHz: libsndfile's MPEG-2 encoding at 22.05 kHz gives streams
    # mpg123 complains about). mpg123's float output can change in the last
    # bit with the size of the reads, so MP3 gets a 1e-6 bound instead of 0.
    if "MPEG_LAYER_III" in sf.available_subtypes("MP3"):
        path = os.path.join(tmp, "dec.mp3")
        y44 = (0.4 * np.sin(2 * np.pi * 600 * np.arange(44100) / 44100)
               + 0.05 * rng.standard_normal(44100)).astype(np.float32)
        sf.write(path, np.stack([y44, -y44], 1), 44100, format="MP3", subtype="MPEG_LAYER_III")
        rate = int(drv("decode", path, 0, 0, os.path.join(tmp, "d.f32")).strip())
        mine = f32(os.path.join(tmp, "d.f32"))
        ref = np.mean(sf.read(path, dtype="float32")[0].T, axis=0)
        e = float(np.abs(mine - ref).max()) if mine.shape == ref.shape else np.inf
        note("decode MP3", e)
        check(rate == 44100 and e <= 1e-6, f"decode MP3: rate {rate}, shape {mine.shape}, diff {e}")
    # Opus (48 kHz only)
    try:
        path = os.path.join(tmp, "dec.opus")
        y48 = (0.4 * np.sin(2 * np.pi * 600 * np.arange(48000) / 48000)).astype(np.float32)
        sf.write(path, y48, 48000, format="OGG", subtype="OPUS")
        rate = int(drv("decode", path, 0, 0, os.path.join(tmp, "d.f32")).strip())
        ref = sf.read(path, dtype="float32")[0]
        check(rate == 48000 and np.array_equal(f32(os.path.join(tmp, "d.f32")), ref), "decode OGG/OPUS")
    except (RuntimeError, TypeError, ValueError) as e:
        if "OPUS" in sf.available_subtypes("OGG"):
            check(False, f"decode OGG/OPUS: {e}")

    # offset and duration as librosa.load (frames int(offset*sr), int(duration*sr))
    path = os.path.join(tmp, "offdur.wav")
    sf.write(path, stereo, sr, subtype="PCM_16")
    for off, dur in [(0.5, 0.25), (0.1234, 0.0), (0.0, 0.7777), (0.9, 5.0)]:
        out = os.path.join(tmp, "d.f32")
        drv("decode", path, off, dur, out)
        ref, _ = R.load(path, sr=None, offset=off, duration=dur if dur > 0 else None)
        mine = f32(out)
        check(mine.shape == ref.shape and np.array_equal(mine, ref),
              f"offset {off} duration {dur}: {mine.shape} vs {ref.shape}")


# ------------------------------------------------------------------ resampling

def test_resample(tmp, rng):
    for rin, rout, secs in [(44100, 22050, 2.0), (48000, 22050, 1.5), (16000, 22050, 1.0),
                            (8000, 22050, 0.77), (22050, 16000, 1.0), (96000, 22050, 0.5)]:
        n = int(rin * secs)
        t = np.arange(n) / rin
        x = (0.4 * np.sin(2 * np.pi * 1000 * t) + 0.1 * rng.standard_normal(n)).astype(np.float32)
        x.tofile(os.path.join(tmp, "x.f32"))
        drv("resample", os.path.join(tmp, "x.f32"), rin, rout, os.path.join(tmp, "r.f32"))
        mine = f32(os.path.join(tmp, "r.f32"))
        ref = R.soxr_resample(x, rin, rout)
        ok = mine.shape == ref.shape and np.array_equal(mine, ref)
        check(ok, f"resample {rin}->{rout}: shape {mine.shape} vs {ref.shape}, "
                  f"max diff {np.abs(mine - ref).max() if mine.shape == ref.shape else 'n/a'}")

    # end to end at 44.1 kHz: features of mmfuse vs the reference pipeline
    n = 3 * 44100
    t = np.arange(n) / 44100
    y = (0.3 * np.sin(2 * np.pi * 523 * t) + 0.2 * np.sin(2 * np.pi * 6000 * t)
         + 0.05 * rng.standard_normal(n)).astype(np.float32)
    path = os.path.join(tmp, "r44.wav")
    sf.write(path, y, 44100, subtype="FLOAT")
    drv("encode", "{}", 1, os.path.join(tmp, "v.f32"), path)
    v = f32(os.path.join(tmp, "v.f32"))
    yr, _ = R.load(path, sr=SR, duration=10.0)
    vr = R.features(yr)
    e = float(np.abs(v - vr).max())
    note("pooled78 via 44.1k (libsoxr reference)", e)
    check(e <= TOL, f"44.1 kHz file, 78-vector vs libsoxr reference: {e:.3g}")
    # a different resampler (scipy's polyphase FIR) moves the numbers more;
    # reported, with a loose sanity bound
    import scipy.signal
    yp = scipy.signal.resample_poly(sf.read(path, dtype="float32")[0], 1, 2).astype(np.float32)
    vp = R.features(yp)
    e2 = float(np.abs(v - vp).max())
    note("pooled78 vs resample_poly (different filter)", e2)
    check(e2 <= 5.0, f"44.1 kHz file vs resample_poly reference: {e2:.3g}")


# ------------------------------------------------------------------ encoder

def test_encoder(tmp, rng):
    files, refs = [], []
    t12 = np.arange(12 * SR) / SR
    y12 = (0.3 * np.sin(2 * np.pi * 300 * t12) * (1 + 0.5 * np.sin(2 * np.pi * 0.5 * t12))
           + 0.03 * rng.standard_normal(t12.size)).astype(np.float32)
    specs = [("e_long.wav", y12, SR, "PCM_16"),
             ("e_stereo.flac", np.stack([y12[:3 * SR], -y12[:3 * SR]], 1) * 0.5, SR, "PCM_24"),
             ("e_48k.ogg", (0.3 * np.sin(2 * np.pi * 800 * np.arange(2 * 48000) / 48000)).astype(np.float32),
              48000, "VORBIS"),
             ("e_silence.wav", np.zeros(SR, np.float32), SR, "PCM_16")]
    for name, y, sr, sub in specs:
        path = os.path.join(tmp, name)
        fmt = "OGG" if name.endswith(".ogg") else None
        sf.write(path, y, sr, subtype=sub, format=fmt)
        files.append(path)
    params = {"duration": 10.0}
    for off in (0.0, 0.75):
        params["offset"] = off
        out = os.path.join(tmp, "enc.f32")
        lines = drv("encode", json.dumps(params), 2, out, *files).strip().splitlines()
        v = f32(out).reshape(len(files), 78)
        for i, path in enumerate(files):
            st = lines[i].split(" ", 2)
            yr, _ = R.load(path, sr=SR, offset=off, duration=10.0)
            vr = R.features(yr)
            e = float(np.abs(v[i] - vr).max())
            note("encoder 78-vector", e)
            check(st[1] == "0" and e <= TOL,
                  f"encoder {os.path.basename(path)} offset {off}: status {st}, max diff {e:.3g}")
            check(np.all(np.isfinite(v[i])), f"encoder {path}: non-finite output")


def test_torchaudio(rng):
    """A second, independently written reference (numerics.md §8.5)."""
    try:
        import torch
        import torchaudio
    except Exception:
        return
    torch.set_num_threads(1)
    t = np.arange(2 * SR) / SR
    y = (0.3 * np.sin(2 * np.pi * 440 * t) + 0.05 * rng.standard_normal(t.size)).astype(np.float32)
    tmp = tempfile.mkdtemp()
    y.tofile(os.path.join(tmp, "y.f32"))
    drv("mfcc", os.path.join(tmp, "y.f32"), "{}", os.path.join(tmp, "m.f32"))
    m = f32(os.path.join(tmp, "m.f32")).reshape(13, -1)
    tf = torchaudio.transforms.MFCC(
        sample_rate=SR, n_mfcc=13, dct_type=2, norm="ortho", log_mels=False,
        melkwargs=dict(n_fft=2048, win_length=2048, hop_length=512, f_min=0.0, f_max=None,
                       n_mels=128, window_fn=torch.hann_window, power=2.0, center=True,
                       pad_mode="constant", norm="slaney", mel_scale="slaney"))
    mt = tf(torch.from_numpy(y)).numpy()
    e = float(np.abs(m - mt).max())
    note("mfcc vs torchaudio (float32 STFT)", e)
    check(m.shape == mt.shape and e <= 1e-2, f"MFCC vs torchaudio: {e:.3g}")


def main():
    rng = np.random.default_rng(20240607)
    with tempfile.TemporaryDirectory() as tmp:
        test_mfcc_and_features(tmp, rng)
        test_other_params(tmp, rng)
        test_extra_stats(tmp, rng)
        test_decode(tmp, rng)
        test_resample(tmp, rng)
        test_encoder(tmp, rng)
    test_torchaudio(rng)
    for k, v in worst.items():
        print(f"  max |diff| {k}: {v:.3g}")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
