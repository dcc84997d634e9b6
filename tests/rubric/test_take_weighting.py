"""Whole-take judgement: remarks weigh by how much of the take they cover, and a short tail joins the
part before it (the listening engine's segments)."""

from __future__ import annotations

import pytest

from llaqo.model.audio.chunks import count_segments, iter_segments
from llaqo.rubric.report import Answer, Remark
from llaqo.rubric.summary import aggregate, weighted_lower_median
from tests.coach.conftest import tone_take


def spans_answer(kind: str, spans_values) -> Answer:
    remarks = [Remark(a, b, str(v), v) for (a, b), v in spans_values]
    return Answer(id="q", question="?", dimension="q", kind=kind, remarks=remarks, scale=(1, 6))


def test_a_short_tail_does_not_outvote_a_long_segment():
    # two 40-s segments rated 5 and a 2-s tail rated 1: the unweighted lower median of (5, 5, 1) is 5,
    # of (5, 1) it is 1; weighted by coverage the take is a 5 either way
    assert aggregate(spans_answer("rating", [((0, 40), 5), ((40, 42), 1)])).value == 5
    # 42 of the 82 s are rated 5 or more: the weighted median is 5 (a plain lower median of 2, 5, 6 is 5 too,
    # but of 2, 5 it would be 2: here the tail only counts for its 2 s)
    assert aggregate(spans_answer("rating", [((0, 40), 2), ((40, 80), 5), ((80, 82), 6)])).value == 5
    assert aggregate(spans_answer("rating", [((0, 40), 2), ((40, 80), 5), ((80, 82), 1)])).value == 2
    assert aggregate(spans_answer("rating", [((0, 40), 5), ((40, 42), 1)])).spread == (1, 5)


def test_weighted_median_with_equal_weights_is_the_lower_median():
    assert weighted_lower_median([2, 5], [1.0, 1.0]) == 2
    assert weighted_lower_median([1, 6, 3, 4], [1.0] * 4) == 3
    assert weighted_lower_median([3, 6], [0.0, 0.0]) == 3  # no durations: all count alike


def test_technique_goes_to_the_class_covering_most_of_the_take():
    got = aggregate(spans_answer("technique", [((0, 5), "Scales"), ((5, 10), "Scales"), ((10, 40), "Octaves")]))
    assert got.value == "Octaves"


@pytest.mark.parametrize("seconds,join,lengths", [
    (42.0, 8.0, [42.0]),  # a 2-s tail joins the segment before
    (49.0, 8.0, [40.0, 9.0]),  # a 9-s tail stands alone
    (42.0, 0.0, [40.0, 2.0]),  # never joined when the engine asks not to (the neural coach)
    (5.0, 8.0, [5.0]),  # a short take is one segment
])
def test_short_tail_joins_its_neighbour(tmp_path, seconds, join, lengths):
    path = tone_take(tmp_path / "t.wav", seconds, rate=8_000, channels=1)
    segs = list(iter_segments(path, join_tail_s=join))
    assert [round(s.duration_s, 3) for s in segs] == lengths
    assert count_segments(seconds, join_tail_s=join) == len(segs)
    assert segs[-1].end_s == pytest.approx(seconds, abs=1e-3)
