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


def test_with_a_reference_difficulty_reads_the_score_not_the_slips(tmp_path):
    from dataclasses import replace

    from llaqo.model.listen.judge.follower import ScoreFollower
    from llaqo.model.testing.piano import Note, write_midi

    score = P.base(12.0)
    follower = ScoreFollower.from_file(write_midi(score, tmp_path / "s.mid", tempo_bpm=100))
    slips = [replace(n, pitch=n.pitch + 1) if i % 9 == 4 else n for i, n in enumerate(score) if i % 7 != 3]
    slips += [Note(n.pitch + 7, n.start + 0.1, n.end, 70) for n in score[5::6]]  # dense extra notes
    as_written, _ = SegmentJudge(as_heard(score)).difficulty()
    heard, _ = SegmentJudge(as_heard(slips)).difficulty()
    level, found = SegmentJudge(as_heard(slips), follower).difficulty()
    assert heard != as_written  # without the score, the slips change the level...
    assert level == as_written and found.comment.startswith("From the score (bars 1–")  # ...with it, they do not
