"""Difficulty of the passage on the Henle scale 1–9, estimated from what the hands have to do.

Five features, each mapped linearly onto 0..1 between an "easy" and a "hard" anchor:
  note rate (notes/s: 1.5 → 14), polyphony (notes per chord: 1 → 3.5), range (semitones: 12 → 60),
  widest one-hand chord (semitones: 7 → 14), speed of the fastest common gap (tatum s: 0.5 → 0.08).
difficulty = 1 + 8 × (0.35·rate + 0.15·polyphony + 0.15·range + 0.15·span + 0.20·speed), rounded.
This reads the passage heard, not the composition: an easy piece played fast reads harder.
"""

from __future__ import annotations

import numpy as np

from llaqo.model.listen.judge.analysis import Analysis
from llaqo.model.listen.judge.measures.base import Finding
from llaqo.rubric.report import Evidence

FEATURES = {  # name: (easy, hard, weight, unit)
    "note_rate": (1.5, 14.0, 0.35, "notes/s"),
    "polyphony": (1.0, 3.5, 0.15, "notes per chord"),
    "range": (12.0, 60.0, 0.15, "semitones"),
    "hand_span": (7.0, 14.0, 0.15, "semitones"),
    "speed": (0.5, 0.08, 0.20, "s per tatum"),
}


def features(a: Analysis) -> dict[str, float]:
    n = a.notes
    seconds = max(a.tr.duration_s, 1.0)
    spans = [0.0] + [float(np.ptp(n.pitch[h])) for h, _ in a.hand_chords]
    return {
        "note_rate": len(n) / seconds,
        "polyphony": float(np.mean([len(g) for g in a.chords])) if a.chords else 1.0,
        "range": float(np.ptp(n.pitch)) if len(n) else 0.0,
        "hand_span": max(spans),
        "speed": a.pulse.tatum if a.pulse else 0.5,
    }


def difficulty(a: Analysis) -> tuple[int | None, Finding]:
    if len(a) < 4:
        return None, Finding("difficulty", "Too few notes in this part to estimate the difficulty.")
    values = features(a)
    score, evidence = 0.0, []
    for name, (easy, hard, weight, unit) in FEATURES.items():
        part = float(np.clip((values[name] - easy) / (hard - easy), 0, 1))
        score += weight * part
        evidence.append(Evidence(f"difficulty_{name}", round(values[name], 2), unit,
                                 f"{name.replace('_', ' ')} {values[name]:.2f} {unit} → {part:.2f} of hard"))
    level = int(np.clip(round(1 + 8 * score), 1, 9))
    hardest = max(FEATURES, key=lambda k: FEATURES[k][2] * np.clip(
        (values[k] - FEATURES[k][0]) / (FEATURES[k][1] - FEATURES[k][0]), 0, 1))
    comment = (f"Level {level} of 9: {values['note_rate']:.1f} notes/s over {values['range']:.0f} semitones, "
               f"{values['polyphony']:.1f} notes per chord; hardest: {hardest.replace('_', ' ')}.")
    return level, Finding("difficulty", comment, evidence=evidence)
