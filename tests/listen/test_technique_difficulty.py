"""Techniques recognised from note patterns; difficulty rises with what the hands must do."""

from __future__ import annotations

import pytest

from llaqo.model.listen.judge.segment import SegmentJudge
from llaqo.model.testing import performances as P
from tests.listen.test_measures import as_heard


@pytest.mark.parametrize("name", P.TECHNIQUES)
def test_technique_recognised_on_the_notes(name):
    found, finding = SegmentJudge(as_heard(P.technique_passage(name))).technique()
    assert found == name, finding.comment


@pytest.mark.parametrize("name,kind", [("Scales", "fast"), ("Octaves", "fast"), ("Repeated notes", "fast"),
                                       ("Staccato", "fast"), ("Repeated notes", "accurate")])
def test_technique_recognised_through_the_transcriber(heard, name, kind):
    found, finding = SegmentJudge(heard(name, kind)[1]).technique()
    assert found == name, finding.comment


def test_difficulty_rises_with_speed_and_texture():
    slow = [n for n in P.base(16.0, bpm=50) if n.pitch >= 64 and n.start % 1.2 < 0.01]
    easy, _ = SegmentJudge(as_heard(slow)).difficulty()
    hard, finding = SegmentJudge(as_heard(P.technique_passage("Octaves", 16.0) + P.base(16.0, bpm=160))).difficulty()
    assert 1 <= easy < hard <= 9
    assert {e.measure for e in finding.evidence} >= {"difficulty_note_rate", "difficulty_range"}
