"""The registry of what the listening engine judges: each rubric dimension → the measure that reads it.

A measure takes the segment's `SegmentJudge` (its analysis, and the score follower when a reference
is given) and returns a Finding; the rating rules (rating.py) turn its readings into 1–6. Adding a
dimension is one entry here; the engine has no special cases.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from llaqo.model.listen.judge.measures import articulation, dynamics, hands, pedal, timing, tonality
from llaqo.model.listen.judge.measures.base import Finding

if TYPE_CHECKING:
    from llaqo.model.listen.judge.segment import SegmentJudge


@dataclass(frozen=True)
class Dimension:
    name: str
    measure: Callable[[SegmentJudge], Finding]
    in_overall: bool = True  # counts towards the overall rating
    needs_score: bool = False  # judged only against a reference score


def _on_analysis(fn: Callable) -> Callable[[SegmentJudge], Finding]:
    return lambda judge: fn(judge.analysis)


def _rhythm(judge: SegmentJudge) -> Finding:
    grid = timing.rhythm(judge.analysis)
    return judge.score.rhythm(judge.analysis, grid) if judge.score is not None else grid


def _accuracy(judge: SegmentJudge) -> Finding:
    return judge.score.accuracy(judge.analysis)


_ALL = [
    Dimension("tempo", _on_analysis(timing.tempo)),
    Dimension("rhythm", _rhythm),
    Dimension("note_values", _on_analysis(timing.note_values)),
    Dimension("legato", _on_analysis(articulation.legato)),
    Dimension("lines", _on_analysis(articulation.lines)),
    Dimension("attack", _on_analysis(articulation.attack)),
    Dimension("hand_balance", _on_analysis(hands.balance)),
    Dimension("hand_timing", _on_analysis(hands.timing)),
    Dimension("dynamics", _on_analysis(dynamics.dynamics)),
    Dimension("sound", _on_analysis(dynamics.sound)),
    Dimension("tonality", _on_analysis(tonality.tonality)),
    Dimension("pedal", _on_analysis(pedal.pedalling), in_overall=False),
    Dimension("accuracy", _accuracy, needs_score=True),
]
DIMENSIONS: dict[str, Dimension] = {d.name: d for d in _ALL}
ALIASES = {"pedalling": "pedal", "pedaling": "pedal", "summary": "overall"}
OVERALL = "overall"


def dimension_name(asked: str) -> str:
    """The registry's name for a rubric question's dimension (aliases resolved)."""
    return ALIASES.get(asked, asked)
