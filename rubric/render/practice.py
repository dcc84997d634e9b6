""""Practise first": the two or three weakest points of a take, each with where it is, what was measured
and a concrete drill. The rule (docs/reports.md):

1. candidates are the rated aspects (not the overall rating) whose rating is below the top of its scale;
   with a score, the notes played wrong, missed or added make an "Accuracy" candidate too, rated by its
   own row when the report has one, else counted as the weakest;
2. the lowest place on the scale comes first; among equals, the one whose measurements name more places,
   then rubric order;
3. at most MOST of them; a take rated at the top everywhere has none; where: the places its
   measurements point at, or (an engine without measurements, the coach) the spans of its remarks rated
   at or below its rating;
4. the drill is the aspect's entry in DRILLS, at a slow tempo: SLOW_SHARE of the take's local tempo
   over those places, rounded down to a metronome mark (or "two-thirds of your tempo" when no tempo
   was measured).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from statistics import median
from typing import Any

from llaqo.common.times import merge_spans
from llaqo.rubric.render.common import (
    DimensionRow,
    dimension_places,
    dimension_rows,
    evidence_by_answer,
    evidence_text,
    rating_fraction,
    split_overall,
)
from llaqo.rubric.report import Report
from llaqo.rubric.summary import HEARD_GAP_S, summarize, take_answers

MOST = 3
SLOW_SHARE = 0.7
# Maelzel's metronome marks
METRONOME = (40, 42, 44, 46, 48, 50, 52, 54, 56, 58, 60, 63, 66, 69, 72, 76, 80, 84, 88, 92, 96, 100, 104, 108,
             112, 116, 120, 126, 132, 138, 144, 152, 160, 168, 176, 184, 192, 200, 208)
DRILLS = {
    "legato": "Hands separately, slowly ({slow}): hold each note until the next one sounds, listening for "
              "no gap between them; then hands together.",
    "note_values": "Play the run in dotted rhythms (long–short, then short–long) at {slow}, then straight "
                   "and even with the metronome.",
    "sound": "Play the passage from the key bed with the weight of the arm, forte then piano, at {slow}, "
             "listening for a full tone on every note.",
    "attack": "Block the chords: prepare each one on the keys, then play all its notes at once; slowly "
              "({slow}), hands separately first.",
    "hand_balance": "Play the melody alone and sing it; then add the accompaniment pianissimo under a "
                    "mezzo-forte melody, at {slow}.",
    "hand_timing": "Hands together at {slow}, counting aloud: the notes meant together land exactly "
                   "together; then hands separately at tempo.",
    "rhythm": "With the metronome at {slow}, counting aloud; raise it one mark at a time up to {tempo}.",
    "tempo": "Set the metronome at {tempo} and play the passage without rushing or dragging; then at "
             "{slow} and back up, one mark at a time.",
    "lines": "Play the melody line alone, legato and shaped as one phrase; then add the rest softer, at "
             "{slow}.",
    "tonality": "Slowly ({slow}), hands separately, checking every accidental against the score and "
                "listening for notes outside the key.",
    "dynamics": "Mark a crescendo and a diminuendo in each phrase and play them exaggerated, pianissimo to "
                "fortissimo, at {slow}.",
    "accuracy": "Hands separately at {slow}, reading the score, until the notes are right three times in a "
                "row; then hands together.",
}
DEFAULT_DRILL = "Slow practice at {slow}, hands separately, then together; then back to tempo."


@dataclass
class PracticePoint:
    dimension: str
    label: str
    rating: str  # "3/6", or "5 score errors"
    fraction: float  # place on the scale, 0 = lowest
    places: list[list[float]]  # the spans to practise, in the take
    bars: list[int] = field(default_factory=list)  # the score's bars there, when a score was given
    measured: list[str] = field(default_factory=list)  # what was measured, one line each
    drill: str = ""


def practise_first(report: Report, score_errors: list[dict[str, Any]] | None = None) -> list[PracticePoint]:
    """The weakest points of the take by the rule above (score_errors: the report's, when a score was given)."""
    summary = summarize(report)
    rows, _ = split_overall(dimension_rows(summary))
    places = dimension_places(report)
    for dimension, spans in _weak_remarks(report).items():
        places.setdefault(dimension, spans)
    measured = {label: items for label, items in evidence_by_answer(report)}
    tempo = _tempo_points(report)
    errors = list(score_errors or [])
    points = []
    for order, row in enumerate(rows):
        point = _rated_point(row, places, measured)
        if point is not None:
            points.append((point, order))
    if errors and not any(p.dimension == "accuracy" for p, _ in points):
        points.append((_accuracy_point(errors), -1))
    for point, _ in points:
        if errors:
            point.bars = _bars_in(errors, None if point.dimension == "accuracy" else point.places)
        point.drill = _drill(point, tempo)
    points.sort(key=lambda pair: (pair[0].fraction, -len(pair[0].places), pair[1]))
    return [p for p, _ in points[:MOST]]


def _rated_point(row: DimensionRow, places, measured) -> PracticePoint | None:
    entry = row.rating
    if entry is None or entry["value"] is None or not entry["scale"] or entry["value"] >= entry["scale"][1]:
        return None
    where = places.get(row.dimension) or row.heard
    return PracticePoint(row.dimension, row.label, f"{entry['value']}/{entry['scale'][1]}",
                         rating_fraction(entry["value"], entry["scale"]), where,
                         measured=[evidence_text(e) for e in measured.get(row.label, [])[:2]])


def _weak_remarks(report: Report) -> dict[str, list[list[float]]]:
    """Per rated dimension, the spans of the remarks rated at or below the take's rating for it."""
    out = {}
    for answer in take_answers(report):
        if answer.kind == "rating" and answer.value is not None:
            weak = [(r.start_s, r.end_s) for r in answer.remarks if r.value is not None and r.value <= answer.value]
            out.setdefault(answer.dimension, [list(s) for s in merge_spans(weak, gap_s=HEARD_GAP_S)])
    return out


def _accuracy_point(errors: list[dict[str, Any]]) -> PracticePoint:
    counts = {kind: sum(e.get("type") == kind for e in errors) for kind in ("wrong", "missing", "extra")}
    said = ", ".join(f"{n} {kind}" for kind, n in counts.items() if n)
    times = sorted(float(e["time_s"]) for e in errors if e.get("time_s") is not None)
    return PracticePoint("accuracy", "Accuracy", f"{len(errors)} score errors", -1.0, [[t, t] for t in times],
                         measured=[f"notes against the score: {said}"])


def _bars_in(errors: list[dict[str, Any]], places: list[list[float]] | None) -> list[int]:
    """The bars of the score errors within `places` (all of them for None)."""
    def inside(e: dict[str, Any]) -> bool:
        return places is None or (e.get("time_s") is not None
                                  and any(a - 0.5 <= float(e["time_s"]) <= b + 0.5 for a, b in places))
    return sorted({int(e["bar"]) for e in errors if e.get("bar") is not None and inside(e)})


def _tempo_points(report: Report) -> list[list[float]]:
    return [p for s in report.segments if s.heard for p in s.heard.get("tempo", [])]


def _drill(point: PracticePoint, tempo: list[list[float]]) -> str:
    inside = [bpm for t, bpm in tempo if any(a <= t <= b for a, b in point.places)] or [bpm for _, bpm in tempo]
    text = DRILLS.get(point.dimension, DEFAULT_DRILL)
    if not inside:
        return text.format(slow="about two-thirds of your tempo", tempo="your tempo")
    bpm = median(inside)
    return text.format(slow=f"♩ = {slow_mark(bpm)}", tempo=f"♩ = {_nearest_mark(bpm)}")


def slow_mark(bpm: float) -> int:
    """The metronome mark at or below SLOW_SHARE of `bpm` (at least the lowest mark)."""
    i = bisect_right(METRONOME, bpm * SLOW_SHARE) - 1
    return METRONOME[max(i, 0)]


def _nearest_mark(bpm: float) -> int:
    return min(METRONOME, key=lambda m: abs(m - bpm))
