"""What a measure returns, and where in the take its flagged points lie (time formatting: llaqo.common.times)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from llaqo.rubric.report import Evidence


@dataclass(frozen=True)
class Reading:
    """One value a rating rule reads (see rating.RULES[measure])."""

    measure: str
    value: float


@dataclass
class Finding:
    """One rubric dimension measured on one segment.

    `readings` are what the rating rules turn into 1–6 (the rating is the lowest of their ratings);
    no readings means the segment gives nothing to judge (the comment says why).
    """

    dimension: str
    comment: str
    readings: list[Reading] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    rating: int | None = None


def spans_where(times: np.ndarray, flags: np.ndarray, join_s: float = 1.0, pad_s: float = 0.0
                ) -> list[tuple[float, float]]:
    """Time spans covered by the flagged points; points closer than `join_s` join one span."""
    picked = np.sort(times[flags])
    spans: list[tuple[float, float]] = []
    for t in picked:
        if spans and t - spans[-1][1] <= join_s:
            spans[-1] = (spans[-1][0], float(t))
        else:
            spans.append((float(t), float(t)))
    return [(max(0.0, a - pad_s), b + pad_s) for a, b in spans]


def too_few(dimension: str, why: str) -> Finding:
    return Finding(dimension, why)
