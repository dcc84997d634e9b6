"""Reports built by hand, in the shapes the two engines leave them."""

from __future__ import annotations

import pytest

from llaqo.rubric.parse import remark_from_text
from llaqo.rubric.report import Answer, Evidence, Report, Segment
from llaqo.rubric.schema import load_rubric

SEGMENT_S = 40.0
WINDOW_S = 10.24
TECHNIQUE_REPLIES = ("Scales are the main technique.", "Mostly arpeggios.", "Scales.")


def reply_for(kind: str, segment: int, window: int) -> str:
    """A plausible model reply; every third window of a rating is one that gives no number."""
    if kind in ("rating", "difficulty"):
        if (segment + window) % 3 == 2:
            return "The performance is quite expressive."
        return f"{3 + (segment + window) % 3}"
    if kind == "technique":
        return TECHNIQUE_REPLIES[(segment + window) % len(TECHNIQUE_REPLIES)]
    return f"Comment on segment {segment + 1}, window {window + 1}: keep the wrists loose."


def build_report(
    rubric: str = "full",
    n_segments: int = 2,
    windows: int = 1,
    engine: str = "coach",
    with_evidence: bool = False,
) -> Report:
    """A take of `n_segments` × 40 s; each answer has one remark per heard window of 10.24 s."""
    questions = load_rubric(rubric).questions
    segments = []
    for s in range(n_segments):
        start = s * SEGMENT_S
        answers = []
        for q in questions:
            answer = Answer.for_question(q)
            for w in range(windows):
                w_start = start + w * WINDOW_S
                answer.remarks.append(remark_from_text(q, w_start, w_start + WINDOW_S, reply_for(q.kind, s, w)))
            if with_evidence and q.kind == "rating":
                answer.evidence.append(
                    Evidence("ioi_cv", 0.183, "", "the left hand rushes the semiquavers", [(start + 12.0, start + 15.5)])
                )
            answers.append(answer)
        segments.append(Segment(index=s, start_s=start, end_s=start + SEGMENT_S, answers=answers))
    return Report(
        file="takes/etude.wav",
        duration_s=n_segments * SEGMENT_S,
        engine=engine,
        engine_reason="a converted model was found in ckpts/llaqo",
        rubric=rubric,
        segments=segments,
        model="llaqo-2283000",
        device="cuda:0 (NVIDIA H100)",
        elapsed_s=12.34,
        notes=["the model heard 0:00–0:10 of each 40-s segment"],
    )


@pytest.fixture
def report() -> Report:
    return build_report()


@pytest.fixture
def long_report() -> Report:
    return build_report(n_segments=3, windows=2, with_evidence=True)


@pytest.fixture
def make_report():
    """`build_report` itself, for tests that need several shapes of report."""
    return build_report
