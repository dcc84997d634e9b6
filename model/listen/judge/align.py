"""Score-informed listening (`--reference`): align a segment's notes to the score, then name the wrong,
missing and extra notes and the timing deviations, each with its bar/beat and its time in the take.

1. Both sides become onset groups (the score's notes sharing a beat; the performance's chords), each a
   pitch-class vector. 2. Subsequence DTW (steps (1,1), (1,2), (2,1); cost 1 − cosine) finds where in
   the score the segment lies. 3. Inside each matched pair of groups notes pair by pitch: a played note
   left over beside a score note left over is a wrong note, a lone one is extra, a lone score note in
   the aligned stretch is missing. 4. Matched notes give beat → time; a line fitted over ±4 beats is
   the local tempo and each onset's distance from it its timing deviation.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from llaqo.common.music import pitch_name
from llaqo.common.times import clock
from llaqo.model.listen.judge.analysis import Analysis
from llaqo.model.listen.judge.measures.base import Finding, Reading
from llaqo.model.listen.judge.score import ScoreNote, load_score
from llaqo.rubric.report import Evidence

TEMPO_WINDOW_BEATS = 4.0
LATE_EARLY_S = 0.06  # a matched onset this far from the local tempo line is reported
PAIR_S = 0.25  # an extra and a missing note this close (played vs due) are one note, see _pair_leftovers


@dataclass
class Comparison:
    """One segment against the score; times in take seconds."""

    matched: list[tuple[int, ScoreNote]] = field(default_factory=list)  # (performance note index, score note)
    wrong: list[tuple[int, ScoreNote]] = field(default_factory=list)  # played instead of the score note
    extra: list[int] = field(default_factory=list)
    missing: list[tuple[ScoreNote, float]] = field(default_factory=list)  # with the time it was due
    deviations: list[tuple[int, ScoreNote, float]] = field(default_factory=list)  # (note, score note, s)
    bars: tuple[int, int] = (0, 0)

    @property
    def n_score(self) -> int:
        return len(self.matched) + len(self.wrong) + len(self.missing)


def _groups(keys: np.ndarray, pitches: np.ndarray) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Indices per onset group (runs of equal, sorted keys), unit chroma (g, 12) and key sets (g, 128)."""
    _, starts = np.unique(keys, return_index=True)
    bounds = list(starts) + [len(keys)]
    groups = [np.arange(bounds[i], bounds[i + 1]) for i in range(len(starts))]
    chroma, keyset = np.zeros((len(groups), 12)), np.zeros((len(groups), 128))
    for g, idx in enumerate(groups):
        chroma[g, pitches[idx] % 12] = 1.0
        keyset[g, pitches[idx]] = 1.0
    return groups, chroma / np.linalg.norm(chroma, axis=1, keepdims=True), keyset


def _cost(a_chroma, a_keys, b_chroma, b_keys) -> np.ndarray:
    """Half chroma distance (1 − cosine), half key-set distance (1 − Jaccard)."""
    both = a_keys @ b_keys.T
    union = a_keys.sum(1, keepdims=True) + b_keys.sum(1) - both
    return 0.5 * (1 - a_chroma @ b_chroma.T) + 0.5 * (1 - both / np.maximum(union, 1))


def subsequence_dtw(cost: np.ndarray) -> list[tuple[int, int]]:
    """Cheapest monotone path through cost (m, n) from any column of row 0 to any column of row m-1."""
    m, n = cost.shape
    inf = np.inf
    acc = np.full((m, n), inf)
    move = np.zeros((m, n), dtype=np.int8)  # 0: (1,1)  1: (1,2)  2: (2,1)
    acc[0] = cost[0]
    for i in range(1, m):
        diag = np.concatenate([[inf], acc[i - 1, :-1]])
        skip_score = np.concatenate([[inf, inf], acc[i - 1, :-2]])
        skip_perf = np.concatenate([[inf], acc[i - 2, :-1]]) if i >= 2 else np.full(n, inf)
        options = np.stack([diag, skip_score + cost[i], skip_perf + cost[i - 1] * 0.5])
        move[i] = np.argmin(options, axis=0)
        acc[i] = cost[i] + options[move[i], np.arange(n)]
    i, j = m - 1, int(np.argmin(acc[-1]))
    path = [(i, j)]
    while i > 0:
        step = move[i, j]
        i, j = (i - 1, j - 1) if step == 0 else (i - 1, j - 2) if step == 1 else (i - 2, j - 1)
        if i < 0 or j < 0:
            break
        path.append((i, j))
    return path[::-1]


def _pair_leftovers(out: Comparison, n) -> None:
    """An extra note and a missing one of the same key close in time are one note the group-wise path
    put in the neighbouring group (a chord played a little spread, a repeated chord): matched. Of
    neighbouring keys (≤ 2 semitones), it is a wrong note. Nearest first, each note once."""
    pairs = sorted(((abs(float(n.onset[k]) - due), abs(int(n.pitch[k]) - s.pitch), k, m)
                    for k in out.extra for m, (s, due) in enumerate(out.missing)
                    if abs(float(n.onset[k]) - due) <= PAIR_S and abs(int(n.pitch[k]) - s.pitch) <= 2),
                   key=lambda x: (x[1], x[0]))
    used_k, used_m = set(), set()
    for _, dp, k, m in pairs:
        if k in used_k or m in used_m:
            continue
        used_k.add(k)
        used_m.add(m)
        (out.matched if dp == 0 else out.wrong).append((k, out.missing[m][0]))
    out.extra = [k for k in out.extra if k not in used_k]
    out.missing = [x for m, x in enumerate(out.missing) if m not in used_m]


class ScoreFollower:
    """Holds the score; compares each segment's transcription with it and keeps the take's totals."""

    def __init__(self, notes: list[ScoreNote], name: str):
        self.notes, self.name = notes, name
        self.beats = np.array([n.beat for n in notes])
        self.pitches = np.array([n.pitch for n in notes])
        self.groups, self.chroma, self.keyset = _groups(self.beats, self.pitches)
        self.totals = {"wrong": 0, "missing": 0, "extra": 0, "late_early": 0}
        self._done: weakref.WeakKeyDictionary[Analysis, Comparison] = weakref.WeakKeyDictionary()

    @classmethod
    def from_file(cls, path: Path) -> ScoreFollower:
        return cls(load_score(path), path.name)

    def compare(self, a: Analysis) -> Comparison:
        if a not in self._done:
            self._done[a] = c = self._compare(a)
            off = [d for d in c.deviations if abs(d[2]) > LATE_EARLY_S]
            for key, items in (("wrong", c.wrong), ("missing", c.missing), ("extra", c.extra), ("late_early", off)):
                self.totals[key] += len(items)
        return self._done[a]

    def _compare(self, a: Analysis) -> Comparison:
        n = a.notes
        if len(n) < 2:
            return Comparison()
        group_of = np.zeros(len(n), dtype=int)
        for g, idx in enumerate(a.chords):
            group_of[idx] = g
        perf_groups, perf_chroma, perf_keys = _groups(group_of, n.pitch)
        path = subsequence_dtw(_cost(perf_chroma, perf_keys, self.chroma, self.keyset))
        out = Comparison()
        used_score: set[int] = set()
        for gi, gj in path:
            perf = [int(k) for k in perf_groups[gi]]
            score = [int(k) for k in self.groups[gj] if int(k) not in used_score]
            for k in list(perf):
                hit = next((s for s in score if self.notes[s].pitch == n.pitch[k]), None)
                if hit is not None:
                    out.matched.append((k, self.notes[hit]))
                    score.remove(hit)
                    used_score.add(hit)
                    perf.remove(k)
            for k in perf:  # leftovers: the nearest score key within an octave was meant
                s = min(score, key=lambda s: abs(self.notes[s].pitch - n.pitch[k]), default=None)
                if s is not None and abs(self.notes[s].pitch - n.pitch[k]) <= 12:
                    out.wrong.append((k, self.notes[s]))
                    score.remove(s)
                    used_score.add(s)
                else:
                    out.extra.append(k)
        assigned = {k for k, _ in out.matched} | {k for k, _ in out.wrong} | set(out.extra)
        out.extra += [k for k in range(len(n)) if k not in assigned]  # groups the path stepped over
        lo, hi = self.groups[path[0][1]][0], self.groups[path[-1][1]][-1]
        self._timing(a, out)
        for s in range(lo, hi + 1):
            if s not in used_score:
                out.missing.append((self.notes[s], self._due(out, self.notes[s].beat)))
        _pair_leftovers(out, n)
        out.bars = (self.notes[lo].bar, self.notes[hi].bar)
        return out

    def _timing(self, a: Analysis, out: Comparison) -> None:
        if len(out.matched) < 3:
            return
        beats = np.array([s.beat for _, s in out.matched])
        times = np.array([a.notes.onset[k] for k, _ in out.matched])
        for (k, s), b, t in zip(out.matched, beats, times):
            near = np.abs(beats - b) <= TEMPO_WINDOW_BEATS
            if np.ptp(beats[near]) <= 0:
                continue
            fit = np.polyfit(beats[near], times[near], 1)
            out.deviations.append((k, s, float(t - np.polyval(fit, b))))
        self._fit = np.polyfit(beats, times, 1)

    def _due(self, out: Comparison, beat: float) -> float:
        return float(np.polyval(self._fit, beat)) if len(out.matched) >= 3 else 0.0

    def rhythm(self, a: Analysis, grid: Finding) -> Finding:
        """The rhythm finding judged against the score: timing deviation from the local tempo line."""
        c = self.compare(a)
        if not c.deviations:
            return grid
        dev = np.array([d for _, _, d in c.deviations])
        mean_ms = float(np.mean(np.abs(dev)) * 1000)
        off, seen = [], set()
        for k, s, d in sorted(c.deviations, key=lambda x: -abs(x[2])):
            if abs(d) > LATE_EARLY_S and s.beat not in seen:  # one report per score onset
                off.append((k, s, d))
                seen.add(s.beat)
        places = [f"{s.where} ({clock(a.notes.onset[k])}, {'late' if d > 0 else 'early'} {abs(d) * 1000:.0f} ms)"
                  for k, s, d in sorted(off, key=lambda x: -abs(x[2]))[:3]]
        evidence = [Evidence("score_timing", round(mean_ms, 1), "ms",
                             f"onsets lie {mean_ms:.0f} ms from the score's rhythm at the local tempo",
                             [(float(a.notes.onset[k]), float(a.notes.onset[k])) for k, _, _ in off])]
        comment = (f"Against the score: {', '.join(places)}." if places
                   else f"Rhythm follows the score (within {mean_ms:.0f} ms on average).")
        return Finding("rhythm", comment, [Reading("score_timing", mean_ms)], evidence + grid.evidence)

    def accuracy(self, a: Analysis) -> Finding:
        c = self.compare(a)
        faults = len(c.wrong) + len(c.missing) + len(c.extra)
        share = 100.0 * faults / max(c.n_score, 1)
        t = a.notes.onset
        evidence = [Evidence("wrong_notes", len(c.wrong), "notes",
                             "; ".join(f"{s.where}: {pitch_name(a.notes.pitch[k])} for {pitch_name(s.pitch)}"
                                       for k, s in c.wrong[:8]),
                             [(float(t[k]), float(t[k])) for k, _ in c.wrong]),
                    Evidence("missing_notes", len(c.missing), "notes",
                             "; ".join(f"{s.where}: {pitch_name(s.pitch)}" for s, _ in c.missing[:8]),
                             [(due, due) for _, due in c.missing]),
                    Evidence("extra_notes", len(c.extra), "notes",
                             "; ".join(f"{pitch_name(a.notes.pitch[k])} at {clock(t[k])}" for k in c.extra[:8]),
                             [(float(t[k]), float(t[k])) for k in c.extra])]
        parts = [f"{len(c.wrong)} wrong" if c.wrong else "", f"{len(c.missing)} missing" if c.missing else "",
                 f"{len(c.extra)} extra" if c.extra else ""]
        said = ", ".join(p for p in parts if p)
        where = f"bars {c.bars[0]}–{c.bars[1]}"
        first = [f"{s.where} ({clock(t[k])}): {pitch_name(a.notes.pitch[k])} instead of {pitch_name(s.pitch)}"
                 for k, s in c.wrong[:2]]
        example = f"; e.g. {'; '.join(first)}." if first else "."
        comment = (f"Notes against the score ({where}): {said} notes{example}" if said
                   else f"All notes as in the score ({where}).")
        return Finding("accuracy", comment, [Reading("wrong_note_share", share)], evidence)

    def summary(self) -> str:
        t = self.totals
        return (f"Against the score {self.name}: {t['wrong']} wrong, {t['missing']} missing and {t['extra']} extra "
                f"notes, {t['late_early']} onsets more than {LATE_EARLY_S * 1000:.0f} ms off the score's rhythm "
                "(see Rhythm and Overall).")
