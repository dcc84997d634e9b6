"""The structure every measure reads, computed once per segment: chords, hands, lines and the pulse.

- chords: notes whose onsets lie within CHORD_S of the group's first onset ("meant together");
- hands: a time-local pitch split (two-means over ±HAND_WINDOW_S); a texture whose two pitch centres are
  less than an octave apart is one hand (a scale is not two hands);
- lines: per hand, the top note of each chord in time order (the melody line a teacher follows);
- pulse: over the beat events (onsets, near-simultaneous ones merged), the tatum (the most common gap),
  each gap's multiple of it, and a local tatum per onset (a running median over ±TEMPO_WINDOW_S) — the tempo curve.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from llaqo.model.listen.notes import NoteColumns, Transcription

CHORD_S = 0.06  # onsets closer than this to a chord's first onset belong to it
HAND_WINDOW_S = 4.0
ONE_HAND_GAP = 12.0  # semitones between the two pitch centres below which the texture is one hand
TATUM_RANGE_S = (0.07, 1.2)
TEMPO_WINDOW_S = 1.5
GRID_FIT, FIT_UNITS = 0.9, 0.2  # the tatum is the coarsest grid most gaps fit (see _subdivided)


@dataclass
class Pulse:
    tatum: float  # s, the commonest gap between chord onsets
    onsets: np.ndarray  # (m,) chord onset times, s
    steps: np.ndarray  # (m-1,) each gap as a whole number of tatums (≥ 1), or a third of 2 or 3 in a triplet
    local: np.ndarray  # (m-1,) local tatum at each gap, s (the tempo curve, in tatum seconds)
    positions: np.ndarray  # (m,) each onset's position on the grid, in tatums from the first

    @property
    def beat(self) -> float:
        """The multiple of the tatum that falls in 0.4–1.0 s, what a listener would tap."""
        k = max(1, round(0.6 / self.tatum))
        return self.tatum * k

    @property
    def bpm(self) -> float:
        return 60.0 / self.beat

    def tempo_curve(self) -> tuple[np.ndarray, np.ndarray]:
        """(times, bpm) at each gap's midpoint."""
        mids = (self.onsets[:-1] + self.onsets[1:]) / 2
        return mids, 60.0 / (self.local * (self.beat / self.tatum))


class Analysis:
    """One segment's notes with chords, hands, lines and pulse; everything lazy and cached."""

    def __init__(self, tr: Transcription):
        self.tr = tr
        self.notes: NoteColumns = tr.columns

    def __len__(self) -> int:
        return len(self.notes)

    @cached_property
    def chords(self) -> list[np.ndarray]:
        """Indices of the notes of each chord (a single note is a chord of one), in time order."""
        onset = self.notes.onset
        groups, start = [], 0
        for i in range(1, len(onset) + 1):
            if i == len(onset) or onset[i] - onset[start] > CHORD_S:
                groups.append(np.arange(start, i))
                start = i
        return groups if len(onset) else []

    @cached_property
    def right_hand(self) -> np.ndarray:
        """(n,) bool: True for notes the right hand plays."""
        pitch, onset = self.notes.pitch.astype(float), self.notes.onset
        right = np.zeros(len(pitch), dtype=bool)
        for i in range(len(pitch)):
            near = pitch[np.abs(onset - onset[i]) <= HAND_WINDOW_S]
            low, high = _two_means(near)
            if high - low < ONE_HAND_GAP:
                right[i] = np.median(near) >= 60  # one hand: treble or bass by register
            else:
                right[i] = pitch[i] >= (low + high) / 2
        return right

    @cached_property
    def two_hands(self) -> bool:
        right = self.right_hand
        return len(right) > 0 and 0.1 < right.mean() < 0.9

    @cached_property
    def hand_chords(self) -> list[tuple[np.ndarray, bool]]:
        """(note indices, right hand?) for every chord's notes in one hand, when that hand plays two or
        more of them: what attack, technique and difficulty read chord by chord."""
        out = []
        for g in self.chords:
            for right in (True, False):
                h = g[self.right_hand[g] == right]
                if len(h) >= 2:
                    out.append((h, right))
        return out

    def line(self, right: bool) -> np.ndarray:
        """Indices of the top (right hand) or bottom (left hand) note of each chord in that hand."""
        out = []
        for g in self.chords:
            g = g[self.right_hand[g] == right]
            if len(g):
                pitches = self.notes.pitch[g]
                out.append(g[np.argmax(pitches)] if right else g[np.argmin(pitches)])
        return np.array(out, dtype=int)

    @cached_property
    def beat_events(self) -> np.ndarray:
        """Onset times with near-simultaneous onsets merged (earliest kept), so that a late hand or a
        spread chord does not read as an extra beat. The merge window is 0.35 of the upper-quartile
        gap between onsets, within 30–100 ms (a trill's notes stay apart)."""
        onsets = np.unique(self.notes.onset)
        if len(onsets) < 2:
            return onsets
        window = float(np.clip(0.35 * np.percentile(np.diff(onsets), 75), 0.03, 0.1))
        keep = [onsets[0]]
        for t in onsets[1:]:
            if t - keep[-1] > window:
                keep.append(t)
        return np.array(keep)

    @cached_property
    def pulse(self) -> Pulse | None:
        onsets = self.beat_events
        if len(onsets) < 6:
            return None
        gaps = np.diff(onsets)
        tatum = _commonest_gap(gaps)
        if tatum is None:
            return None
        units = gaps / tatum
        steps = _triplets(units, np.maximum(1, np.round(units)))
        per = gaps / steps
        # the tempo is read from the gaps that fit the grid: a triplet (2/3 of a tatum) is a rhythm, not
        # a tempo 1.5 times faster
        fits = np.abs(units - steps) < FIT_UNITS * np.minimum(steps, 1)
        local = np.array([np.median(per[near & fits] if (near & fits).sum() >= 2 else per[near])
                          for near in (np.abs(onsets[:-1] - t) <= TEMPO_WINDOW_S for t in onsets[:-1])])
        positions = np.concatenate([[0], np.cumsum(steps)])
        return Pulse(tatum, onsets, steps, local, positions)


def _triplets(units: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """Steps with triplets read as such: three successive gaps that each miss the grid but together
    fill 2 or 3 tatums (a triplet of sixteenths under eighths) get a third of that each. Only as a
    group of three, so a single late note still reads as off the grid."""
    out = steps.astype(float)
    i = 0
    while i + 3 <= len(units):
        group = units[i : i + 3]
        total = group.sum()
        whole = round(total)
        if (whole in (2, 3) and abs(total - whole) < FIT_UNITS and np.all(np.abs(group - whole / 3) < 0.12 * whole / 3)
                and np.any(np.abs(group - np.round(group)) >= FIT_UNITS)):
            out[i : i + 3] = whole / 3
            i += 3
        else:
            i += 1
    return out


def _two_means(values: np.ndarray, iterations: int = 8) -> tuple[float, float]:
    low, high = float(values.min()), float(values.max())
    for _ in range(iterations):
        mid = (low + high) / 2
        lo, hi = values[values < mid], values[values >= mid]
        if not len(lo) or not len(hi):
            break
        low, high = float(lo.mean()), float(hi.mean())
    return low, high


def _commonest_gap(gaps: np.ndarray) -> float | None:
    """The mode of the gaps on a log scale (5% bins), refined as the median of the gaps in it."""
    lo, hi = TATUM_RANGE_S
    ok = gaps[(gaps >= lo) & (gaps <= hi)]
    if len(ok) < 3:
        return None
    logs = np.log(ok)
    bins = np.arange(np.log(lo), np.log(hi) + 0.05, 0.05)
    counts, edges = np.histogram(logs, bins=bins)
    smooth = np.convolve(counts, [1, 2, 1], mode="same")
    # prefer the shortest strong gap: a tatum of eighths under quarter-note chords
    strong = np.nonzero(smooth >= 0.5 * smooth.max())[0]
    k = strong[0]
    near = ok[(logs >= edges[max(0, k - 1)]) & (logs <= edges[min(len(edges) - 1, k + 2)])]
    mode = float(np.median(near)) if len(near) else float(np.exp(edges[k]))
    return _subdivided(gaps[gaps <= hi], mode)


def _subdivided(gaps: np.ndarray, mode: float) -> float:
    """The grid the gaps are written on, from their commonest gap. In dotted and mixed rhythms (a
    polonaise's eighth and two sixteenths) the commonest gap is not the unit, and a gap shorter than
    the tatum would read as a doubled tempo; in a mazurka's eighths among triplets the commonest gap
    may be the triplet's, 2/3 of the unit. Candidates, coarsest first: 3/2 of the mode (only where gaps
    of that length are played), the mode, its half, third and quarter (only where gaps of one unit are
    played: any gaps fit a fine enough grid). The first on which 90% of the gaps fit (within 20% of a
    whole number of units, or as a triplet, see _triplets) wins; else the best fitting of the mode and
    finer, coarser first."""
    lo = TATUM_RANGE_S[0]
    best, best_fit = mode, -1.0
    for tatum in (mode * 1.5, mode, mode / 2, mode / 3, mode / 4):
        if tatum < lo:
            break
        units = gaps / tatum
        played = float(np.mean(np.abs(units - 1) < FIT_UNITS))
        if tatum != mode and played < (0.1 if tatum > mode else 0.05):
            continue
        steps = _triplets(units, np.maximum(1, np.round(units)))
        fit = float(np.mean(np.abs(units - steps) < FIT_UNITS * np.minimum(steps, 1)))
        if fit >= GRID_FIT:
            return tatum
        if fit > best_fit + 0.05 and tatum <= mode:  # a coarser grid than the mode only where it fits
            best, best_fit = tatum, fit
    return best


def runs(flags: np.ndarray, min_len: int) -> list[tuple[int, int]]:
    """[lo, hi) index ranges of at least `min_len` consecutive True values."""
    out, start = [], None
    for i, f in enumerate(list(flags) + [False]):
        if f and start is None:
            start = i
        elif not f and start is not None:
            if i - start >= min_len:
                out.append((start, i))
            start = None
    return out
