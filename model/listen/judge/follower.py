"""Score-informed listening (`--reference`): each part of the take aligned to the score (align.py), the
wrong, missing and extra notes claimed only where the evidence holds (claims.py), the timing against
the score's rhythm, and the take's list of score errors for the JSON report."""

from __future__ import annotations

import weakref
from pathlib import Path

import numpy as np

from llaqo.common.music import pitch_name
from llaqo.common.times import clock
from llaqo.model.listen.judge import claims
from llaqo.model.listen.judge.align import Comparison, align
from llaqo.model.listen.judge.analysis import Analysis
from llaqo.model.listen.judge.keys import KeyRises
from llaqo.model.listen.judge.measures.base import Finding, Reading
from llaqo.model.listen.judge.score import Score, load_score
from llaqo.model.listen.notes import Note, Transcription
from llaqo.rubric.report import Evidence

TEMPO_WINDOW_BEATS = 4.0
LATE_EARLY_S = 0.06  # a matched onset this far from the local tempo line is reported


class ScoreFollower:
    """Holds the score; compares each part of the take with it and keeps the take's totals and errors."""

    def __init__(self, score: Score):
        self.score, self.name = score, score.name
        self.totals = {"wrong": 0, "missing": 0, "extra": 0, "late_early": 0, "unsure": 0}
        self.errors: list[dict] = []  # the take's score errors, in time order (the report's `score_errors`)
        self.last: Comparison | None = None  # the part compared last (its bar lines and tempo for the report)
        self._done: weakref.WeakKeyDictionary[Analysis, Comparison] = weakref.WeakKeyDictionary()

    @classmethod
    def from_file(cls, path: Path) -> ScoreFollower:
        return cls(load_score(path))

    def compare(self, a: Analysis, keys: KeyRises | None = None) -> Comparison:
        """The part's comparison (computed once per analysis); `keys`: its audio, to check claims."""
        if a not in self._done:
            self._done[a] = c = self.comparison(a, keys)
            off = [d for d in c.deviations if abs(d[2]) > LATE_EARLY_S]
            for key, items in (("wrong", c.wrong), ("missing", c.missing), ("extra", c.extra), ("late_early", off)):
                self.totals[key] += len(items)
            self.totals["unsure"] += c.unsure
            self.errors = sorted(self.errors + score_errors(a, c), key=lambda e: e["time_s"])
        self.last = self._done[a]
        return self._done[a]

    def comparison(self, a: Analysis, keys: KeyRises | None = None, weigh: bool = True) -> Comparison:
        """Align to each reading of the score (with and without repeats), keep the better fit, and
        claim only the errors the evidence holds (`weigh=False`: the alignment's leftovers, unweighed,
        for the benchmarks' case studies). Not cached and not counted: `compare` is."""
        n = a.notes
        if len(n) < 2:
            return Comparison()
        fits = [align(notes, n.pitch, n.onset, a.chords) for _, notes in self.score.readings]
        c = min(fits, key=lambda f: f.cost)
        if weigh:
            claims.keep_supported(c, a, keys)
        _timing(a, c)
        return c

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
                  for k, s, d in off[:3]]
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

    def as_played(self, a: Analysis) -> Transcription | None:
        """The score's notes over the part's aligned stretch, each at the time the alignment maps its
        beat to (the piece as written, at the tempo played): what difficulty reads with a reference, so
        that the player's and the transcriber's wrong, missing and extra notes do not change it. Each
        note lasts to the next onset (difficulty reads onsets, keys and chords only). None when
        nothing was aligned."""
        c = self.compare(a)
        if c.time_map is None or not c.stretch:
            return None
        due = c.time_map(np.array([s.beat for s in c.stretch]))
        onsets = np.append(np.unique(due), np.inf)
        ends = onsets[np.searchsorted(onsets, due, side="right")]  # the next onset (inf after the last)
        ends = np.where(np.isfinite(ends), ends, due + 0.5)
        return Transcription([Note(s.pitch, float(t), float(e), 64) for s, t, e in zip(c.stretch, due, ends)],
                             a.tr.start_s, a.tr.end_s)

    def summary(self) -> str:
        t = self.totals
        unsure = (f" ({t['unsure']} more disagreements between transcription and score were not clear in the "
                  "audio and are not counted)" if t["unsure"] else "")
        return (f"Against the score {self.name}: {t['wrong']} wrong, {t['missing']} missing and {t['extra']} extra "
                f"notes{unsure}, {t['late_early']} onsets more than {LATE_EARLY_S * 1000:.0f} ms off the score's "
                "rhythm (see Accuracy, Rhythm and Overall).")


def _timing(a: Analysis, out: Comparison) -> None:
    """Each matched onset's distance from a line fitted over ±TEMPO_WINDOW_BEATS around it."""
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


def score_errors(a: Analysis, c: Comparison) -> list[dict]:
    """The JSON report's `score_errors` entries for one part: type, time, bar and beat, the pitches
    expected and played (MIDI numbers), and the hand (the score's staff, else the hand that played)."""
    n = a.notes

    def played_hand(k: int) -> str:
        return "right" if a.right_hand[k] else "left"

    def entry(kind, time_s, s, expected, played, hand):
        return {"type": kind, "time_s": round(float(time_s), 3), "bar": s.bar if s else None,
                "beat": s.beat_in_bar if s else None, "pitch_expected": expected, "pitch_played": played,
                "hand": hand}

    out = [entry("wrong", n.onset[k], s, s.pitch, int(n.pitch[k]), s.hand or played_hand(k)) for k, s in c.wrong]
    out += [entry("missing", due, s, s.pitch, None, s.hand) for s, due in c.missing]
    out += [entry("extra", n.onset[k], _bar_at(c, float(n.onset[k]), a), None, int(n.pitch[k]), played_hand(k))
            for k in c.extra]
    return sorted(out, key=lambda e: e["time_s"])


def _bar_at(c: Comparison, t: float, a: Analysis):
    """The matched score note played nearest before t (an extra note's bar and beat), or None."""
    before = [(a.notes.onset[k], s) for k, s in c.matched if a.notes.onset[k] <= t]
    return max(before, key=lambda x: x[0])[1] if before else None
