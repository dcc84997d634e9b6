"""What a segment holds before an engine answers for it: finite samples, sound at all, something tonal.

A take of silence or of room noise has no performance to rate; saying "Staccato, difficulty 3" about it
would be invented. `inspect_segment` tells the caller, so "no piano heard" becomes a result in the
report, and NaN/Inf samples (a broken export) are replaced by silence with a stated warning.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SILENT_DBFS = -60.0  # peak below this: nothing was played (a 16-bit file's dither sits near -90)
QUIET_DBFS = -40.0  # peak below this: too quiet for any piano recording to be heard in it
NOISE_FLATNESS = 0.35  # median spectral flatness above this: noise (white ~0.56, piano well under 0.1)
FRAME = 2048
MAX_FRAMES = 400  # flatness from at most this many frames, evenly spread: bounded cost per segment


@dataclass(frozen=True)
class Heard:
    samples: np.ndarray  # (c, n) float32, finite
    warning: str | None  # what was repaired, for the report's notes
    no_piano: str | None  # why no piano was heard ("silence", ...), or None when there is something to judge


def inspect_segment(samples: np.ndarray) -> Heard:
    """(c, n) float32 → the samples made finite, a repair warning, and whether any piano can be heard."""
    warning = None
    finite = np.isfinite(samples)
    if not finite.all():
        bad = int(samples.size - np.count_nonzero(finite))
        samples = np.where(finite, samples, np.float32(0.0)).astype(np.float32, copy=False)
        warning = f"{bad:,} samples were NaN or infinite (a damaged file); they were replaced by silence"
    return Heard(samples, warning, _no_piano(samples))


def _no_piano(samples: np.ndarray) -> str | None:
    if samples.size == 0:
        return "no samples"
    peak = float(np.max(np.abs(samples)))
    if peak == 0.0:
        return "silence: every sample is zero"
    peak_db = 20 * np.log10(peak)
    if peak_db < SILENT_DBFS:
        return f"silence (peak {peak_db:.0f} dBFS)"
    if peak_db < QUIET_DBFS:
        return f"too quiet to hear a piano (peak {peak_db:.0f} dBFS)"
    flatness = _median_flatness(samples.mean(axis=0))
    if flatness > NOISE_FLATNESS:
        return f"noise without tones (spectral flatness {flatness:.2f})"
    return None


def _median_flatness(mono: np.ndarray) -> float:
    """Median over frames of geometric / arithmetic mean of the power spectrum (1 = white noise)."""
    n = (len(mono) - FRAME) // (FRAME // 2) + 1
    if n < 1:
        return 0.0  # too short to tell: let the engine judge
    starts = np.linspace(0, len(mono) - FRAME, num=min(n, MAX_FRAMES)).astype(int)
    frames = np.stack([mono[s : s + FRAME] for s in starts]) * np.hanning(FRAME)
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2 + 1e-20
    loud = power.mean(axis=1) > 1e-12 * FRAME  # silent frames between notes say nothing about noise
    if not loud.any():
        return 0.0
    flat = np.exp(np.log(power[loud]).mean(axis=1)) / power[loud].mean(axis=1)
    return float(np.median(flat))
