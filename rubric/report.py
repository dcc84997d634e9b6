"""The Report data model every engine fills and every renderer reads.

A take is cut into segments of 40 s. For each segment and each rubric question an engine gives one
`Answer`, made of one or more `Remark`s: what it said about a span of audio it really took in. The neural
coach in compat mode hears one 10.24-s window per model input, so it leaves one remark per window; the
listening engine leaves one remark per segment, with the `Evidence` (measurements and times) behind it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llaqo.rubric.schema import Question

Value = int | str | None  # a rating / difficulty (int), a technique class (str), or not followed (None)


@dataclass
class Evidence:
    """One measurement behind an answer: what was measured, its value, and where in the take."""

    measure: str  # e.g. "ioi_cv"
    value: float | None
    unit: str = ""
    detail: str = ""  # a sentence a pianist can read
    times: list[tuple[float, float]] = field(default_factory=list)  # (start_s, end_s) in the take


@dataclass
class Remark:
    """What the engine said about one span of audio it actually took in."""

    start_s: float
    end_s: float
    text: str
    value: Value = None


@dataclass
class Answer:
    id: str  # the rubric question id
    question: str  # the exact text asked
    dimension: str  # groups a rating and a verbal question on the same aspect
    kind: str  # "rating" | "verbal" | "difficulty" | "technique"
    remarks: list[Remark] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    value: Value = None  # aggregate over remarks: median rating, voted class
    spread: tuple[int, int] | None = None  # (min, max) of the remarks' ratings
    label: str = ""  # what a pianist reads ("Hand balance"); empty = derived from `dimension`
    category: str | None = None  # the NeuroPiano category ("coordination", ...), if any
    scale: tuple[int, int] | None = None  # (lowest, highest) for rating and difficulty questions

    @property
    def text(self) -> str:
        return " / ".join(r.text for r in self.remarks if r.text)

    @property
    def display_label(self) -> str:
        return self.label or self.dimension.replace("_", " ").capitalize()

    @classmethod
    def for_question(cls, question: Question) -> Answer:
        """An empty answer carrying everything the renderers need to know about `question`."""
        return cls(
            id=question.id,
            question=question.text,
            dimension=question.dimension,
            kind=question.kind,
            label=question.label,
            category=question.category,
            scale=question.scale,
        )


@dataclass
class Segment:
    index: int
    start_s: float
    end_s: float
    answers: list[Answer] = field(default_factory=list)
    heard: dict | None = None  # what the engine heard (listening engine: notes, pedal, tempo/loudness curves)


@dataclass
class Report:
    file: str
    duration_s: float
    engine: str  # "coach" | "listen"
    engine_reason: str  # why this engine answered ("no model found in ckpts/ ...")
    rubric: str
    segments: list[Segment] = field(default_factory=list)
    model: str | None = None  # checkpoint / transcriber name
    device: str | None = None
    elapsed_s: float | None = None
    notes: list[str] = field(default_factory=list)  # e.g. what part of the audio the model heard
    # with a reference score: [{type: wrong|missing|extra, time_s, bar, beat, pitch_expected, pitch_played, hand}]
    score_errors: list[dict] | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
