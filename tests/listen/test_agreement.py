"""A rating never contradicts its remark: one rule (rating.agree) words a fault under a 5–6 as minor.
Checked on every output of the flaw benchmark's performances (clean, each flaw, each technique passage)."""

from __future__ import annotations

import re

import pytest

from llaqo.model.listen.judge import rating
from llaqo.model.listen.judge.dimensions import DIMENSIONS
from llaqo.model.listen.judge.measures.base import Finding, Reading
from llaqo.model.listen.judge.segment import SegmentJudge
from llaqo.model.listen.notes import Note, Transcription
from llaqo.model.testing import performances as P

# the faults a remark can name, in the words a reader would take as a complaint (kept apart from
# rating.FAULT_WORDS on purpose: this is the reader's view, that one the rule's)
COMPLAINTS = re.compile(r"(?<!no )\b(not together|breaks|rushes|drags|uneven|ragged|outside the key|wrong notes|covers the "
                        r"melody|abrupt|thin|blurs|stray|released early|held over|left hand (late|early))\b",
                        re.IGNORECASE)


def as_heard(notes) -> Transcription:
    return Transcription([Note(n.pitch, n.start, n.end, n.velocity) for n in notes], 0.0,
                         max(n.end for n in notes), [], True)


def outputs():
    base = P.base(16.0)
    yield "base", base
    for flaw, make in P.FLAWS.items():
        yield flaw, make(base)
        yield f"mild {flaw}", _mild(base, make(base))
    for name in P.TECHNIQUES:
        yield name, P.technique_passage(name)


def _mild(base, flawed):
    """Half of the notes flawed: ratings land in the middle, where contradictions live."""
    return [f if k % 2 else b for k, (b, f) in enumerate(zip(base, flawed))]


def contradictions(judge: SegmentJudge) -> list[str]:
    found = []
    for dimension in DIMENSIONS:
        if not judge.judges(dimension):
            continue
        f = judge.get(dimension)
        if f.rating is not None and f.rating >= 5 and COMPLAINTS.search(f.comment) and not f.comment.startswith(
                rating.MINOR):
            found.append(f"{dimension} {f.rating}: {f.comment}")
    return found


def test_no_rating_contradicts_its_remark_on_any_benchmark_output():
    seen, worded_minor = 0, 0
    for name, notes in outputs():
        judge = SegmentJudge(as_heard(notes))
        assert not contradictions(judge), name
        for dimension in DIMENSIONS:
            if judge.judges(dimension) and judge.get(dimension).rating is not None:
                seen += 1
                worded_minor += judge.get(dimension).comment.startswith(rating.MINOR)
    assert seen > 200  # the check ran over many ratings
    assert 0 < worded_minor < seen / 2  # the rule was needed, and praise stays praise


@pytest.mark.parametrize("value,minor", [(5.0, True), (60.0, False)])
def test_a_fault_under_a_high_rating_is_worded_minor(value, minor):
    f = rating.rate(Finding("hand_timing", "Hands not together at 0:13 (left hand late by 8 ms on average).",
                            [Reading("hand_asynchrony", value)]))
    assert f.comment.startswith(rating.MINOR) is minor
    assert "hands not together at 0:13" in f.comment.lower()  # the remark keeps what and where


@pytest.mark.parametrize("comment,measure,value", [
    ("Hands are together (within 4 ms on shared beats).", "hand_asynchrony", 4.0),
    ("Clean attack: chords start together, no stray notes.", "chord_spread", 3.0),
    ("Natural dynamic shape (range 18, peak around 0:15), no abrupt jumps.", "dynamic_range", 18.0),
])
def test_praise_is_left_as_it_is(comment, measure, value):
    f = rating.rate(Finding("x", comment, [Reading(measure, value)]))
    assert f.rating == 6 and f.comment == comment
