"""Aggregation: lower median and spread of ratings, majority technique, not-followed counts."""

from __future__ import annotations

import pytest

from llaqo.rubric.report import Answer, Remark, Report, Segment
from llaqo.rubric.summary import aggregate, heard_ranges, summarize, take_answers


def answer(kind: str, values, texts=None, qid="q") -> Answer:
    texts = texts or [str(v) if v is not None else "no idea" for v in values]
    remarks = [Remark(i * 10.0, i * 10.0 + 10.24, t, v) for i, (v, t) in enumerate(zip(values, texts))]
    return Answer(id=qid, question="?", dimension=qid, kind=kind, remarks=remarks, scale=(1, 6))


@pytest.mark.parametrize(
    "values, value, spread",
    [
        ([4], 4, (4, 4)),
        ([3, 5, 4], 4, (3, 5)),
        ([2, 5], 2, (2, 5)),  # even count: the lower median, stays an integer
        ([1, 6, 3, 4], 3, (1, 6)),
        ([None, 5, None], 5, (5, 5)),  # not-followed remarks do not vote
        ([None, None], None, None),
    ],
)
def test_rating_median_and_spread(values, value, spread):
    result = aggregate(answer("rating", values))
    assert (result.value, result.spread) == (value, spread)


def test_technique_majority_vote_ties_to_the_first():
    assert aggregate(answer("technique", ["Scales", "Octaves", "Octaves"])).value == "Octaves"
    assert aggregate(answer("technique", ["Staccato", "Scales", "Scales", "Staccato"])).value == "Staccato"
    assert aggregate(answer("technique", [None, "Scales"])).spread is None


def test_verbal_and_remarkless_answers_keep_their_value():
    assert aggregate(answer("verbal", [None], ["Even legato."])).value is None
    given = Answer(id="q", question="?", dimension="q", kind="rating", value=5)
    assert aggregate(given).value == 5


def two_segment_report() -> Report:
    first = [answer("rating", [4, None], qid="tempo.rating"), answer("verbal", [None], ["Steady."], qid="tempo.verbal")]
    second = [answer("rating", [2, 3], qid="tempo.rating"), answer("verbal", [None], [""], qid="tempo.verbal")]
    for a in second:
        for r in a.remarks:
            r.start_s += 40.0
            r.end_s += 40.0
    segments = [Segment(0, 0.0, 40.0, first), Segment(1, 40.0, 80.0, second)]
    return Report("t.wav", 80.0, "coach", "model found", "custom", segments)


def test_whole_take_aggregates_all_remarks_without_changing_the_report():
    report = two_segment_report()
    tempo = take_answers(report)[0]
    assert [r.value for r in tempo.remarks] == [4, None, 2, 3]
    assert (tempo.value, tempo.spread) == (3, (2, 4))
    assert report.segments[0].answers[0].value is None and len(report.segments[0].answers[0].remarks) == 2


def test_summary_counts_remarks_and_not_followed():
    entries = {e["id"]: e for e in summarize(two_segment_report())["answers"]}
    rating, verbal = entries["tempo.rating"], entries["tempo.verbal"]
    assert (rating["value"], rating["rating"], rating["spread"]) == (3, 3, [2, 4])
    assert (rating["n_remarks"], rating["n_not_followed"]) == (4, 1)
    assert (verbal["n_remarks"], verbal["n_not_followed"], verbal["rating"]) == (2, 1, None)
    assert verbal["comments"] == [{"start_s": 0.0, "end_s": 10.24, "text": "Steady."}]
    assert [pytest.approx(span) for span in rating["heard"]] == [[0.0, 20.24], [40.0, 60.24]]


def test_summary_difficulty_and_technique(report):
    summary = summarize(report)
    # build_report: segment 1 says 3 ("3"), segment 2 says 4 → lower median 3; technique "Scales", "Mostly arpeggios."
    assert summary["difficulty"] == 3
    assert summary["technique"] == "Scales"


def test_heard_ranges_merge_touching_spans():
    remarks = [Remark(20.48, 30.72, ""), Remark(0.0, 10.24, ""), Remark(10.24, 20.48, ""), Remark(40.0, 50.24, "")]
    assert heard_ranges(remarks) == [(0.0, 30.72), (40.0, 50.24)]
