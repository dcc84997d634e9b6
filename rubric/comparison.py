"""The Comparison data model: two takes of one passage, which is played better and how sure, and what
changed dimension by dimension (take A → take B). Filled by llaqo.model.compare, read by the renderers
in rubric/render/comparison.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from llaqo.rubric.report import Report
from llaqo.rubric.summary import SCHEMA_VERSION, build_report_dict

BETTER, WORSE, UNCHANGED, NOT_MEASURED = "better", "worse", "unchanged", "not measured"
MEASURE_NAMES = {"run_ioi_cv": "run evenness (gap variation)", "tempo_cv": "beat variation",
                 "melody_over_accompaniment": "melody over accompaniment", "ioi_cv": "gap variation"}


@dataclass
class Change:
    """One dimension from take A to take B; `change` says how B compares to A."""

    dimension: str
    label: str
    rating_a: int | None
    rating_b: int | None
    change: str  # better | worse | unchanged | not measured
    measure: str | None = None  # the measurement behind the rating (e.g. "grid_deviation")
    value_a: float | None = None
    value_b: float | None = None
    unit: str = ""

    @property
    def text(self) -> str:
        """ "Rhythm: grid deviation 41 → 18 ms (better)" / "Hand balance unchanged (6/6)". """
        ratings = (f"{self.rating_a} → {self.rating_b}" if self.rating_a != self.rating_b
                   else f"{self.rating_a}" if self.rating_a is not None else "")
        measured = ""
        if self.measure and self.value_a is not None and self.value_b is not None:
            unit = f" {self.unit}" if self.unit else ""
            name = MEASURE_NAMES.get(self.measure, self.measure.replace("_", " "))
            measured = f"{name} {_num(self.value_a)} → {_num(self.value_b)}{unit}"
        if self.change == UNCHANGED:
            facts = "; ".join(p for p in (f"rating {ratings}" if ratings else "", measured) if p)
            return f"{self.label} unchanged" + (f" ({facts})" if facts else "")
        if self.change == NOT_MEASURED:
            return f"{self.label}: not measured in both takes"
        said = "; ".join(p for p in (f"rating {ratings}" if self.rating_a != self.rating_b else "", measured) if p)
        return f"{self.label}: {said} ({self.change})"


@dataclass
class Comparison:
    take_a: Report
    take_b: Report
    better: str | None  # the better take's path; None: no difference heard
    confidence: float | None  # 0.5 (a coin toss) … 1.0 (sure)
    decided_by: str  # how `better` was chosen, in words
    changes: list[Change] = field(default_factory=list)
    piece: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def better_label(self) -> str | None:
        return {self.take_a.file: "A", self.take_b.file: "B"}.get(self.better) if self.better else None

    def to_dict(self) -> dict[str, Any]:
        """The JSON document (docs/compare.md)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "kind": "comparison",
            "piece": self.piece,
            "takes": {"a": self.take_a.file, "b": self.take_b.file},
            "better": self.better,
            "confidence": self.confidence,
            "decided_by": self.decided_by,
            "changes": [{"dimension": c.dimension, "label": c.label, "rating_a": c.rating_a, "rating_b": c.rating_b,
                         "change": c.change, "measure": c.measure, "value_a": c.value_a, "value_b": c.value_b,
                         "unit": c.unit, "text": c.text} for c in self.changes],
            "notes": list(self.notes),
            "reports": {"a": _lean(self.take_a), "b": _lean(self.take_b)},
        }


def _lean(report: Report) -> dict[str, Any]:
    document = build_report_dict(report)
    for segment in document["segments"]:
        segment.pop("heard", None)  # the transcriptions are in `llaqo assess --json`
    return document


def _num(value: float) -> str:
    return f"{value:.0f}" if abs(value) >= 10 else f"{value:.1f}" if abs(value) >= 1 else f"{value:.2g}"
