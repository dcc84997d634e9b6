"""What the audio itself says about one piano key at one moment: the score follower asks it when the
transcription and the score disagree (the score says what to look for).

A per-key spectrogram: the power spectrum (torch.stft, 128-ms Hann window, 10-ms hop) summed through
one triangular band per piano key (A0–C8, each band a semitone wide either side of the key's
frequency), in dB. A key's *rise* at a time is how much its band grew across the attack: the loudest
of the 60 ms after the time against the quietest of the 100 ms before it. A struck key rises by many
dB even under the pedal or inside a loud chord; a key that only keeps sounding does not rise.

Written here because the libraries that give a per-key (constant-Q) spectrogram are not among
llaqo's dependencies (librosa brings numba; parangonar's IIR filter bank runs a Python loop per
frame, ~9 s for 20 s of audio); this is one STFT and one matrix product.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from llaqo.model.listen.notes import LOWEST_KEY

LOWEST, HIGHEST = LOWEST_KEY, LOWEST_KEY + 87  # A0, C8
HOP_S = 0.01
WINDOW_S = 0.128
BEFORE_S, AFTER_S = 0.10, 0.06
SILENCE_DB = -100.0  # the level before the audio begins
REACH_S = AFTER_S + WINDOW_S / 2  # how far past t a rise at t reads the audio
OVERTONES = (12, 19, 24)  # a note's 2nd, 3rd and 4th partials, in semitones above it


def key_hz(pitch: np.ndarray | float) -> np.ndarray:
    return 440.0 * 2.0 ** ((np.asarray(pitch, dtype=float) - 69) / 12)


def _key_bands(n_fft: int, rate: int) -> np.ndarray:
    """(keys, bins): a triangle per key from the key below's frequency to the key above's, weights
    summing to one, so each key's band reads its own partial's power."""
    freqs = np.fft.rfftfreq(n_fft, 1.0 / rate)
    pitches = np.arange(LOWEST, HIGHEST + 1)
    lo, mid, hi = key_hz(pitches - 1), key_hz(pitches), key_hz(pitches + 1)
    up = (freqs[None, :] - lo[:, None]) / (mid - lo)[:, None]
    down = (hi[:, None] - freqs[None, :]) / (hi - mid)[:, None]
    bands = np.clip(np.minimum(up, down), 0, None)
    empty = bands.sum(1) == 0  # the lowest keys at coarse resolution: take the nearest bin
    nearest = np.abs(freqs[None, :] - mid[:, None]).argmin(1)
    bands[empty, nearest[empty]] = 1.0
    return bands / bands.sum(1, keepdims=True)


@dataclass
class KeyRises:
    """Per-key levels of one stretch of audio: `db` (keys, frames) with frame f at start_s + f·HOP_S."""

    db: np.ndarray
    start_s: float

    @classmethod
    def from_audio(cls, samples: np.ndarray, rate: int, start_s: float = 0.0) -> KeyRises:
        """samples: (channels, n) or (n,) float at `rate`; start_s: the first sample's take time."""
        import torch

        mono = np.asarray(samples, dtype=np.float32)
        mono = mono.mean(0) if mono.ndim == 2 else mono
        hop, n_fft = max(1, round(HOP_S * rate)), int(2 ** np.ceil(np.log2(WINDOW_S * rate)))
        spec = torch.stft(torch.from_numpy(mono), n_fft, hop, window=torch.hann_window(n_fft),
                          center=True, return_complex=True).abs().pow(2).numpy()  # (bins, frames)
        power = _key_bands(n_fft, rate) @ spec
        return cls(10 * np.log10(power + 1e-10), start_s)

    def _frame(self, t: float) -> int:
        return int(round((t - self.start_s) / HOP_S))

    def rise(self, pitch: int, t: float, search_s: float = 0.0) -> float:
        """dB the key's band grew across an attack at t (the largest within ±search_s); 0 outside the
        audio or the piano's range."""
        return self.rise_between(pitch, t - search_s, t + search_s)

    def rise_between(self, pitch: int, t0: float, t1: float) -> float:
        """The largest rise of the key's band across an attack at any time from t0 to t1."""
        if not LOWEST <= pitch <= HIGHEST:
            return 0.0
        row = self.db[pitch - LOWEST]
        before, after = round(BEFORE_S / HOP_S), round(AFTER_S / HOP_S)
        best = 0.0
        for f in range(self._frame(t0), self._frame(t1) + 1):
            if f < 0 or f + after >= len(row):
                continue
            quiet = SILENCE_DB if f - before < 0 else float(row[f - before:f + 1].min())  # before the take: silence
            best = max(best, float(row[f:f + after + 1].max()) - quiet)
        return best
