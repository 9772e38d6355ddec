"""Two-speaker separation of a mono recording, with numpy only.

Method (deliberately simple and explainable, no neural embeddings are available offline):

1. The recogniser's words are cut into *chunks* at pauses (>= ``chunk_gap`` s) and segment ends:
   in call-centre audio a speaker change almost always falls on a pause.
2. Each chunk gets a voice vector from its waveform: mean and spread of 12 MFCCs (timbre) and
   the median and spread of log-F0 from an autocorrelation pitch tracker (voice height, the
   strongest cue between two telephone voices).
3. Vectors are standardised and split into two groups with k-means (k=2, several seeds, best
   inertia); pitch features carry extra weight. Chunks shorter than ``min_chunk`` s get too few
   frames for a stable vector, so they are classified by the nearest centroid afterwards.
4. The silhouette score says how separable the two groups were; it feeds ``role_confidence``.

Known limits: overlapping speech in one chunk goes to one speaker; two similar voices (same sex,
same pitch) separate poorly; a call with one dominant speaker may be split by content instead of
voice. Stereo recordings avoid all of this, so prefer them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RATE = 16000
_FRAME = 400  # 25 ms
_HOP = 160  # 10 ms
_N_MFCC = 12
PITCH_WEIGHT = 3.0


def _frames(signal: np.ndarray, frame: int = _FRAME, hop: int = _HOP) -> np.ndarray:
    if len(signal) < frame:
        signal = np.pad(signal, (0, frame - len(signal)))
    count = 1 + (len(signal) - frame) // hop
    idx = np.arange(frame)[None, :] + hop * np.arange(count)[:, None]
    return signal[idx]


def _mel_filterbank(n_mels: int = 26, n_fft: int = 512, rate: int = RATE) -> np.ndarray:
    # Band limited to the telephone band so 8 kHz and 16 kHz recordings give comparable vectors.
    def hz_to_mel(hz):
        return 2595 * np.log10(1 + hz / 700)

    mels = np.linspace(hz_to_mel(300), hz_to_mel(3400), n_mels + 2)
    hz = 700 * (10 ** (mels / 2595) - 1)
    bins = np.floor((n_fft + 1) * hz / rate).astype(int)
    bank = np.zeros((n_mels, n_fft // 2 + 1))
    for m in range(1, n_mels + 1):
        left, centre, right = bins[m - 1], bins[m], bins[m + 1]
        bank[m - 1, left:centre] = (np.arange(left, centre) - left) / max(1, centre - left)
        bank[m - 1, centre:right] = (right - np.arange(centre, right)) / max(1, right - centre)
    return bank


_BANK = _mel_filterbank()
_DCT = np.cos(np.pi / 26 * (np.arange(26)[None, :] + 0.5) * np.arange(1, _N_MFCC + 1)[:, None])


def mfcc(signal: np.ndarray) -> np.ndarray:
    """(n_frames, 12) MFCCs without c0 (loudness is not identity)."""
    frames = _frames(signal) * np.hamming(_FRAME)
    power = np.abs(np.fft.rfft(frames, n=512)) ** 2
    return np.log(power @ _BANK.T + 1e-8) @ _DCT.T


def pitch(signal: np.ndarray, fmin: float = 70.0, fmax: float = 400.0) -> np.ndarray:
    """F0 (Hz) of voiced frames by normalised autocorrelation; empty if nothing is voiced."""
    frames = _frames(signal, frame=640, hop=160)  # 40 ms: two periods of a 70 Hz voice
    frames = frames - frames.mean(axis=1, keepdims=True)
    energy = (frames ** 2).sum(axis=1)
    loud = energy > max(1e-6, 0.05 * np.percentile(energy, 95))
    frames = frames[loud]
    if len(frames) == 0:
        return np.empty(0)
    spec = np.fft.rfft(frames, n=1280)
    ac = np.fft.irfft(np.abs(spec) ** 2, n=1280)[:, :640]
    ac = ac / np.maximum(ac[:, :1], 1e-12)
    lo, hi = int(RATE / fmax), int(RATE / fmin)
    lags = lo + np.argmax(ac[:, lo:hi], axis=1)
    strength = ac[np.arange(len(ac)), lags]
    return RATE / lags[strength > 0.45]


def voice_vector(signal: np.ndarray) -> np.ndarray:
    coeffs = mfcc(signal)
    f0 = pitch(signal)
    log_f0 = np.log(f0) if f0.size >= 3 else np.array([np.nan])
    return np.concatenate([coeffs.mean(axis=0), coeffs.std(axis=0),
                           [np.nanmedian(log_f0), np.nanstd(log_f0) if f0.size >= 3 else np.nan]])


def _kmeans2(x: np.ndarray, seeds: int = 8) -> tuple[np.ndarray, np.ndarray, float]:
    best = None
    rng = np.random.default_rng(0)  # fixed seed: the same call always gets the same split
    for _ in range(seeds):
        centres = x[rng.choice(len(x), 2, replace=False)]
        for _ in range(50):
            dist = ((x[:, None, :] - centres[None]) ** 2).sum(-1)
            labels = dist.argmin(1)
            new = np.array([x[labels == k].mean(0) if (labels == k).any() else centres[k]
                            for k in range(2)])
            if np.allclose(new, centres):
                break
            centres = new
        inertia = float(((x - centres[labels]) ** 2).sum())
        if best is None or inertia < best[2]:
            best = (labels, centres, inertia)
    return best


def silhouette(x: np.ndarray, labels: np.ndarray) -> float:
    if len(set(labels.tolist())) < 2 or len(x) < 3:
        return 0.0
    dist = np.sqrt(((x[:, None, :] - x[None]) ** 2).sum(-1))
    scores = []
    for i in range(len(x)):
        same = labels == labels[i]
        if same.sum() <= 1:
            scores.append(0.0)
            continue
        a = dist[i, same].sum() / (same.sum() - 1)
        b = dist[i, ~same].mean()
        scores.append((b - a) / max(a, b, 1e-12))
    return float(np.mean(scores))


@dataclass
class Separation:
    labels: list[int]  # 0/1 per chunk
    silhouette: float
    mean_pitch: list[float | None]  # Hz per cluster, for the report


def separate(signal: np.ndarray, spans: list[tuple[float, float]],
             min_chunk: float = 0.6) -> Separation:
    """Label each (start, end) span of ``signal`` (16 kHz mono) as speaker 0 or 1."""
    if not spans:
        return Separation([], 0.0, [None, None])
    vectors = np.array([voice_vector(signal[int(s * RATE):max(int(e * RATE), int(s * RATE) + 1)])
                        for s, e in spans])
    lengths = np.array([e - s for s, e in spans])
    # Spans with no voiced frames get the median pitch so they do not drive the split.
    col_median = np.nanmedian(np.where(np.isfinite(vectors), vectors, np.nan), axis=0)
    vectors = np.where(np.isfinite(vectors), vectors, np.nan_to_num(col_median))
    scale = vectors.std(axis=0)
    scale[scale < 1e-9] = 1.0
    z = (vectors - vectors.mean(axis=0)) / scale
    z[:, -2:] *= PITCH_WEIGHT
    z /= np.sqrt(z.shape[1])
    solid = lengths >= min_chunk
    if solid.sum() < 3:
        solid = np.ones(len(spans), dtype=bool)
    if solid.sum() < 3:
        # Two chunks always split into two "clusters"; with so little there is no evidence of a
        # second voice, so call it one speaker (the role stays uncertain and gets flagged).
        return Separation([0] * len(spans), 0.0, [float(np.exp(np.median(vectors[:, -2]))), None])
    labels_solid, centres, _ = _kmeans2(z[solid])
    labels = ((z[:, None, :] - centres[None]) ** 2).sum(-1).argmin(1)
    labels[solid] = labels_solid
    pitches = np.exp(vectors[:, -2])
    mean_pitch = [float(np.median(pitches[labels == k])) if (labels == k).any() else None
                  for k in range(2)]
    return Separation(labels.tolist(), silhouette(z[solid], labels_solid), mean_pitch)
