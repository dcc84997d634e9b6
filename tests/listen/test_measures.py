"""Each flaw moves its measurement the right way: exactly on the notes, and through each transcriber on
short renders (a subset, to keep the suite fast; bench/listen_flaws.py runs them all)."""

from __future__ import annotations

import pytest

from llaqo.model.listen.judge.dimensions import DIMENSIONS
from llaqo.model.listen.judge.segment import SegmentJudge

MEASURES = [name for name, d in DIMENSIONS.items() if not d.needs_score]  # what a take without a score is judged on
from llaqo.model.listen.judge.rating import RULES
from llaqo.model.listen.notes import Note, Transcription
from llaqo.model.testing import performances as P

RENDERED = ("timing jitter", "hand imbalance", "hands apart", "staccato", "wrong notes", "thin sound")
# transkun costs a 16-s window per render: the flaws its velocities and key releases decide. Thin sound
# moves transkun's velocities by only ~5 steps (it reads loudness from the timbre, not the level), less
# than its int8 path's velocities differ between CPUs (on an AVX-512 machine the clean render read 78,
# the thin one 83; on AVX2 86 → 83): that check runs on the float32 model, whose arithmetic does not
# depend on the CPU's int8 kernels.
ACCURATE = ("hand imbalance", "staccato")
THROUGH = [(f, "fast") for f in RENDERED] + [(f, "accurate") for f in ACCURATE] + [("thin sound", "accurate-fp32")]


def as_heard(notes) -> Transcription:
    return Transcription([Note(n.pitch, n.start, n.end, n.velocity) for n in notes], 0.0,
                         max(n.end for n in notes), [], True)


def value(tr: Transcription, dimension: str, measure: str) -> tuple[float, int]:
    finding = SegmentJudge(tr).get(dimension)
    return next(r.value for r in finding.readings if r.measure == measure), finding.rating


@pytest.mark.parametrize("flaw", list(P.EXPECTED_MOVES))
def test_flaw_moves_its_measure_on_the_notes(flaw):
    dimension, measure, sign = P.EXPECTED_MOVES[flaw]
    base = P.base(16.0)
    clean, r0 = value(as_heard(base), dimension, measure)
    flawed, r1 = value(as_heard(P.FLAWS[flaw](base)), dimension, measure)
    assert sign * (flawed - clean) > 0
    assert r1 < r0  # and the rating falls


@pytest.mark.parametrize("flaw,kind", THROUGH)
def test_flaw_moves_its_measure_through_the_transcriber(heard, flaw, kind):
    dimension, measure, sign = P.EXPECTED_MOVES[flaw]
    clean, _ = value(heard("base", kind)[1], dimension, measure)
    flawed, _ = value(heard(flaw, kind)[1], dimension, measure)
    assert sign * (flawed - clean) > 0


def test_every_dimension_has_a_rated_clean_reading_and_times():
    found = SegmentJudge(as_heard(P.base(16.0)))
    for dimension in MEASURES:
        if dimension == "pedal":
            continue
        finding = found.get(dimension)
        assert finding.rating is not None and 1 <= finding.rating <= 6, dimension
        assert all(r.measure in RULES for r in finding.readings)
        assert finding.evidence and finding.comment
    assert found.get("overall").rating >= 5


def test_rules_are_monotone_and_bounded():
    for rule in RULES.values():
        values = [v for v, _ in rule.anchors]
        ratings = [r for _, r in rule.anchors]
        assert values == sorted(values)
        assert ratings in (sorted(ratings), sorted(ratings, reverse=True))
        assert rule.rate(-1e9) in (1, 6) and rule.rate(1e9) in (1, 6)


def test_remarks_name_times():
    tr = as_heard(P.hand_imbalance(P.base(16.0)))
    finding = SegmentJudge(tr).get("hand_balance")
    assert "0:" in finding.comment and finding.evidence[0].times


def test_too_few_notes_gives_no_rating():
    tr = as_heard(P.base(16.0)[:3])
    found = SegmentJudge(tr)
    assert found.get("tempo").rating is None and "Too few" in found.get("tempo").comment
