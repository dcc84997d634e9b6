"""The one protocol both engines implement (`llaqo.model.assess.build_engine` picks one).

An engine answers a rubric for one segment of a take. `assess`, `record` and `eval` all go through
`model.assess.assess_file`, which walks the segments and calls the engine; nothing else answers questions.
"""

from __future__ import annotations

from typing import Callable, Protocol

from llaqo.model.audio.chunks import AudioSegment
from llaqo.rubric.report import Answer
from llaqo.rubric.schema import Rubric

Progress = Callable[[float, int], None]  # (segments done, fractions included; total) — the CLI draws it
Within = Callable[[float], None]  # the share of the current segment done, 0–1


class Engine(Protocol):
    name: str  # "coach" | "listen"
    reason: str  # why this engine answers ("listening engine: no model weights found ..."), set by build_engine
    join_tail_s: float  # a take's last segment shorter than this joins the one before (0: never)
    # set by assess_file before each segment (None: nobody is watching); an engine calls it as its work on
    # the segment advances (the transcriber's windows, the coach's batches), so a bar moves within a segment
    progress: Within | None

    def describe(self) -> dict[str, str]:
        """What the report header shows: {"model": ..., "device": ...}."""

    def heard_note(self) -> str:
        """What the engine really took in, for the report's notes (never claim more than that)."""

    def answer_segment(self, segment: AudioSegment, rubric: Rubric) -> list[Answer]:
        """One Answer per rubric question, each with the remarks (and evidence) behind it."""

    def heard_part(self) -> dict | None:
        """What the engine heard in the segment it last answered, as plain data for the JSON (the
        listening engine: notes, pedal, tempo and loudness curves); None for an engine that hears no notes."""

    def score_errors(self) -> list[dict] | None:
        """The take's wrong, missing and extra notes against a reference score, in time order (the
        report's `score_errors`); None when the engine compares no score."""
