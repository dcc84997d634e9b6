"""The primary technique of the passage, recognised from note patterns (the PLD classes).

For each class, the share of the notes that take part in its pattern (per hand, along the hand's line
or its chords); the class with the largest share is the answer, every share is evidence, and the remark
gives the top three with their shares ("none clearly dominant" when the largest is under 15% of the notes
or less than 1.25 times the next):
- Scales: runs of ≥ 4 steps of 1–2 semitones in one direction;
- Arpeggios: runs of ≥ 3 leaps of 3–9 semitones in one direction;
- Ornaments: ≥ 4 fast (< 0.2 s) alternations between two neighbouring keys (trills, turns);
- Repeated notes: ≥ 2 fast (< 0.4 s) repetitions of one key;
- Double notes: two-note chords in one hand, a third to a sixth apart;
- Octaves: chords in one hand spanning exactly an octave;
- Staccato: notes released before half the gap to the next one (not the same key), with no sustain pedal
  (with no pedal information, a note's heard length already holds the pedal's).
"""

from __future__ import annotations

import numpy as np

from llaqo.common.music import TECHNIQUE_CLASSES
from llaqo.common.times import spans_phrase
from llaqo.model.listen.judge.analysis import Analysis, runs
from llaqo.model.listen.judge.measures.base import Finding, spans_where
from llaqo.model.listen.judge.measures.pedal import no_pedal_evidence
from llaqo.rubric.report import Evidence

DOMINANT, CLEAR_LEAD = 0.15, 1.25  # a class dominates from 15% of the notes, 1.25 times the runner-up's share


def _runs(mask: np.ndarray, min_len: int) -> np.ndarray:
    """Bool per step: inside a run of at least `min_len` consecutive True."""
    out = np.zeros(len(mask), dtype=bool)
    for lo, hi in runs(mask, min_len):
        out[lo:hi] = True
    return out


def _line_patterns(a: Analysis, line: np.ndarray) -> dict[str, np.ndarray]:
    """Per class, the indices of the line's notes that take part in its pattern."""
    n = a.notes
    if len(line) < 3:
        return {}
    step = np.diff(n.pitch[line])
    gap = np.diff(n.onset[line])
    up, down = step > 0, step < 0
    size = np.abs(step)
    masks = {
        "Scales": _runs((size >= 1) & (size <= 2) & up, 4) | _runs((size >= 1) & (size <= 2) & down, 4),
        "Arpeggios": _runs((size >= 3) & (size <= 9) & up, 3) | _runs((size >= 3) & (size <= 9) & down, 3),
        "Repeated notes": _runs((size == 0) & (gap < 0.4), 2),
    }
    alternate = np.zeros(len(step), dtype=bool)
    alternate[1:] = (size[1:] >= 1) & (size[1:] <= 2) & (step[1:] == -step[:-1]) & (gap[1:] < 0.2)
    masks["Ornaments"] = _runs(alternate, 3)
    return {k: np.unique(np.concatenate([line[:-1][m], line[1:][m]])) for k, m in masks.items()}


def _chord_patterns(a: Analysis) -> dict[str, list[int]]:
    n = a.notes
    out: dict[str, list[int]] = {"Double notes": [], "Octaves": []}
    for h, _ in a.hand_chords:
        width = int(np.ptp(n.pitch[h]))
        if width == 12:
            out["Octaves"].extend(h.tolist())
        elif len(h) == 2 and 3 <= width <= 9:
            out["Double notes"].extend(h.tolist())
    return out


def _staccato(a: Analysis) -> list[int]:
    n = a.notes
    pedal = a.tr.sustain_spans()
    picked = []
    for right in (True, False):
        line = a.line(right)
        for i, j in zip(line[:-1], line[1:]):
            gap = n.onset[j] - n.onset[i]
            pedalled = any(s <= n.offset[i] < e for s, e in pedal)
            repeated = n.pitch[i] == n.pitch[j]  # a key must be let go to strike it again: not a choice
            if 0 < gap <= 1.0 and n.duration[i] < 0.5 * gap and not pedalled and not repeated:
                picked.append(int(i))
    return picked


def technique(a: Analysis) -> tuple[str | None, Finding]:
    n = a.notes
    if len(n) < 6:
        return None, Finding("technique", "Too few notes in this part to recognise a technique.")
    members: dict[str, set[int]] = {c: set() for c in TECHNIQUE_CLASSES}
    for right in (True, False):
        for cls, idx in _line_patterns(a, a.line(right)).items():
            members[cls].update(int(i) for i in idx)
    for cls, idx in _chord_patterns(a).items():
        members[cls].update(idx)
    members["Staccato"].update(_staccato(a))
    share = {c: len(members[c]) / len(n) for c in TECHNIQUE_CLASSES}
    best = max(TECHNIQUE_CLASSES, key=lambda c: share[c])
    evidence = []
    for c in sorted(TECHNIQUE_CLASSES, key=lambda c: -share[c]):
        idx = np.array(sorted(members[c]), dtype=int)
        times = spans_where(n.onset[idx], np.ones(len(idx), dtype=bool), join_s=1.0) if len(idx) else []
        evidence.append(Evidence(f"technique_{c.lower().replace(' ', '_')}", round(share[c] * 100, 1), "% of notes",
                                 f"{c}: {share[c] * 100:.0f}% of the notes", times))
    where = spans_phrase(evidence[0].times)
    top = sorted(TECHNIQUE_CLASSES, key=lambda c: -share[c])[:3]
    listed = ", ".join(f"{c.lower()} {share[c] * 100:.0f}%" for c in top if share[c] > 0)
    if share[best] < DOMINANT or share[best] < CLEAR_LEAD * share[top[1]]:
        comment = f"None clearly dominant: {listed or 'no pattern found'} of the notes."
    else:
        comment = f"Mainly {best.lower()} ({share[best] * 100:.0f}% of notes, at {where})"
        rest = [c for c in top[1:] if share[c] >= 0.05]
        comment += ("; then " + ", ".join(f"{c.lower()} ({share[c] * 100:.0f}%)" for c in rest) + ".") if rest else "."
    return best, Finding("technique", comment, evidence=evidence + no_pedal_evidence(a))
