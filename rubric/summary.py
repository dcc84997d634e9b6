"""From remarks to answers to a whole-take summary, and the JSON document of a report.

Aggregation rules, the same for a segment and for the whole take:
- rating and difficulty: the median of the remarks that gave a value, each weighted by how much of the
  take it covers (its end minus its start), so a 2-s tail does not weigh as much as a 40-s segment; where
  the weights split evenly, the LOWER of the two middle values, so the result stays on the integer scale
  the question asked for (and errs on the side of the stricter teacher). `spread` is (min, max).
- technique: the class that covers most of the take (weighted as above); a tie goes to the class named first.
- verbal: no value; the comments are kept with the time range each was said about.
An answer without remarks keeps whatever value the engine set on it.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any

from llaqo.common.times import merge_spans
from llaqo.rubric.report import Answer, Remark, Report

SCHEMA_VERSION = "1.0"
HEARD_GAP_S = 0.05  # spans closer than this read as one stretch heard
VALUED_KINDS = ("rating", "difficulty", "technique")


def aggregate(answer: Answer) -> Answer:
    """Fill `answer.value` and `answer.spread` from its remarks (in place); return the answer."""
    if not answer.remarks or answer.kind not in VALUED_KINDS:
        return answer
    values = [r.value for r in answer.remarks if r.value is not None]
    if not values:
        answer.value, answer.spread = None, None
    elif answer.kind == "technique":
        valued = [r for r in answer.remarks if r.value is not None]
        answer.value, answer.spread = _vote(values, [max(r.end_s - r.start_s, 0.0) for r in valued]), None
    else:
        valued = [r for r in answer.remarks if r.value is not None]
        answer.value = weighted_lower_median([int(r.value) for r in valued],
                                             [max(r.end_s - r.start_s, 0.0) for r in valued])
        answer.spread = (min(int(v) for v in values), max(int(v) for v in values))
    return answer


def weighted_lower_median(values: list[int], weights: list[float]) -> int:
    """The smallest value whose cumulative weight reaches half the total (equal weights: the lower
    median). Remarks with no duration all count alike."""
    if sum(weights) <= 0:
        weights = [1.0] * len(values)
    total, acc = sum(weights), 0.0
    for value, weight in sorted(zip(values, weights)):
        acc += weight
        if acc >= total / 2 - 1e-9:
            return value
    return max(values)


def _vote(values: list[Any], weights: list[float]) -> Any:
    """The value covering most of the take (equal or no durations: the most frequent); among equals,
    the one that came first."""
    if sum(weights) <= 0:
        weights = [1.0] * len(values)
    counts: dict[Any, float] = {}
    for v, w in zip(values, weights):
        counts[v] = counts.get(v, 0.0) + w
    return max(counts, key=lambda v: (round(counts[v], 6), -values.index(v)))


def take_answers(report: Report) -> list[Answer]:
    """One answer per question over the whole take: all segments' remarks and evidence, aggregated.

    Questions come in the order they first appear; the report's own answers are not changed.
    """
    merged: dict[str, Answer] = {}
    for segment in report.segments:
        for answer in segment.answers:
            whole = merged.get(answer.id)
            if whole is None:
                merged[answer.id] = replace(answer, remarks=list(answer.remarks), evidence=list(answer.evidence))
            else:
                whole.remarks.extend(answer.remarks)
                whole.evidence.extend(answer.evidence)
    return [aggregate(answer) for answer in merged.values()]


def is_not_followed(answer: Answer, remark: Remark) -> bool:
    """A remark that gives no value where one was asked, or says nothing to a verbal question."""
    if answer.kind in VALUED_KINDS:
        return remark.value is None
    return not remark.text.strip()


def heard_ranges(remarks: list[Remark], gap_s: float = HEARD_GAP_S) -> list[tuple[float, float]]:
    """The spans the remarks speak of, sorted, with touching or overlapping spans merged."""
    return merge_spans(((r.start_s, r.end_s) for r in remarks), gap_s=gap_s)


def answer_summary(answer: Answer) -> dict[str, Any]:
    """The whole-take view of one (already aggregated) answer, as plain data."""
    return {
        **_answer_head(answer),
        "n_remarks": len(answer.remarks),
        "n_not_followed": sum(is_not_followed(answer, r) for r in answer.remarks),
        "comments": [
            {"start_s": r.start_s, "end_s": r.end_s, "text": r.text} for r in answer.remarks if r.text.strip()
        ],
        "heard": [list(span) for span in heard_ranges(answer.remarks)],
    }


def _answer_head(answer: Answer) -> dict[str, Any]:
    """The fields every JSON answer shares; `rating` is the value of a rating question, else None."""
    return {
        "id": answer.id,
        "question": answer.question,
        "kind": answer.kind,
        "dimension": answer.dimension,
        "label": answer.display_label,
        "category": answer.category,
        "scale": list(answer.scale) if answer.scale else None,
        "rating": answer.value if answer.kind == "rating" else None,
        "value": answer.value,
        "spread": list(answer.spread) if answer.spread else None,
        "text": answer.text,
    }


def summarize(report: Report) -> dict[str, Any]:
    """The whole-take summary: every question's answer, then the piece's difficulty and technique.

    Difficulty and technique come from the first question of that kind, aggregated over all remarks
    (the lower median of the difficulty levels, the majority technique).
    """
    answers = take_answers(report)
    return {
        "answers": [answer_summary(a) for a in answers],
        "difficulty": _first_value(answers, "difficulty"),
        "technique": _first_value(answers, "technique"),
    }


def _first_value(answers: list[Answer], kind: str) -> Any:
    return next((a.value for a in answers if a.kind == kind), None)


def build_report_dict(report: Report) -> dict[str, Any]:
    """The JSON document of one report (rubric/report.schema.json); evidence is always included."""
    return {
        "schema_version": SCHEMA_VERSION,
        "file": report.file,
        "duration_s": report.duration_s,
        "engine": report.engine,
        "engine_reason": report.engine_reason,
        "model": report.model,
        "device": report.device,
        "elapsed_s": report.elapsed_s,
        "rubric": report.rubric,
        "notes": list(report.notes),
        "segments": [
            {
                "index": segment.index,
                "start_s": segment.start_s,
                "end_s": segment.end_s,
                "answers": [_segment_answer_dict(a) for a in segment.answers],
                **({"heard": segment.heard} if segment.heard is not None else {}),
            }
            for segment in report.segments
        ],
        "summary": summarize(report),
        **({"score_errors": list(report.score_errors)} if report.score_errors is not None else {}),
    }


def _segment_answer_dict(answer: Answer) -> dict[str, Any]:
    answer = aggregate(replace(answer))  # a copy: rendering never changes the report
    return {
        **_answer_head(answer),
        "remarks": [asdict(r) for r in answer.remarks],
        "evidence": [{**asdict(e), "times": [list(t) for t in e.times]} for e in answer.evidence],
    }
