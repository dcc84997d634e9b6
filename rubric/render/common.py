"""What every renderer shows, computed once: rows per dimension, the timeline, bars as text
(times and spans: llaqo.common.times, re-exported for the renderers)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from llaqo.common.times import clock, merge_spans, span_text, spans_text
from llaqo.rubric.report import Evidence, Report
from llaqo.rubric.summary import HEARD_GAP_S, aggregate, take_answers

FULL, EMPTY = "█", "░"
MAX_BAR_CELLS = 12  # a wider scale is drawn on 10 cells
OVERALL = "overall"
NO_EVIDENCE = "No measurements behind these answers (the coach answers from the audio itself)."


@dataclass
class DimensionRow:
    """One line of the report: a dimension's rating (if asked), its comments and where they were heard."""

    dimension: str
    label: str
    rating: dict[str, Any] | None = None  # the rating question's summary entry
    comments: list[dict[str, Any]] = field(default_factory=list)  # {start_s, end_s, text}
    heard: list[list[float]] = field(default_factory=list)


def header_facts(report: Report) -> list[tuple[str, str]]:
    """(name, value) for the report's header: what was assessed, by which engine and why, where, how fast."""
    engine = f"{report.engine} — {report.engine_reason}" if report.engine_reason else report.engine
    facts = [("Duration", clock(report.duration_s)), ("Engine", engine), ("Rubric", report.rubric)]
    facts += [(name, value) for name, value in (("Model", report.model), ("Device", report.device)) if value]
    if report.elapsed_s is not None:
        facts.append(("Time taken", f"{report.elapsed_s:.1f} s"))
    return facts


def dimension_rows(summary: dict[str, Any]) -> list[DimensionRow]:
    """Group the summary's rating and verbal answers by dimension, in rubric order."""
    rows: dict[str, DimensionRow] = {}
    for entry in summary["answers"]:
        if entry["kind"] not in ("rating", "verbal"):
            continue
        row = rows.setdefault(entry["dimension"], DimensionRow(entry["dimension"], entry["label"]))
        if entry["kind"] == "rating" and row.rating is None:
            row.rating = entry
        row.comments.extend(entry["comments"] if entry["kind"] == "verbal" else [])
        row.heard = [list(s) for s in merge_spans(row.heard + entry["heard"], gap_s=HEARD_GAP_S)]
    for row in rows.values():  # a dimension asked only as a rating (Accuracy): its remarks are the comment
        if not row.comments and row.rating is not None:
            row.comments = list(row.rating.get("comments", []))
    return list(rows.values())


def split_overall(rows: list[DimensionRow]) -> tuple[list[DimensionRow], DimensionRow | None]:
    """The aspect rows, and the overall row (shown apart) if the rubric asks for one; the overall row's
    comments lose the sentences they repeat from the aspect rows (the weakest aspect's, word for word)."""
    overall = next((r for r in rows if r.dimension == OVERALL), None)
    aspects = [r for r in rows if r.dimension != OVERALL]
    if overall is not None:
        overall = replace(overall, comments=_without_repeats(overall.comments, aspects))
    return aspects, overall


def _without_repeats(comments: list[dict[str, Any]], aspects: list[DimensionRow]) -> list[dict[str, Any]]:
    said = sorted({c["text"].strip() for row in aspects for c in row.comments if c["text"].strip()}, key=len,
                  reverse=True)
    labels = [row.label for row in aspects]
    kept = []
    for comment in comments:
        text = comment["text"]
        for sentence in said:
            text = text.replace(sentence, "")
        rest = text
        for label in labels:
            rest = rest.replace(f"{label}:", "")
        if rest.strip(" .,:;—–-"):
            kept.append({**comment, "text": " ".join(text.split()).rstrip(" —–-:;,")})
    return kept


def first_entry(summary: dict[str, Any], kind: str) -> dict[str, Any] | None:
    return next((e for e in summary["answers"] if e["kind"] == kind), None)


def piece_facts(summary: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(title, text, summary entry) for the piece's difficulty and technique, those the rubric asks."""
    facts = []
    difficulty = first_entry(summary, "difficulty")
    if difficulty is not None:
        facts.append(("Difficulty (Henle)", rating_text(difficulty), difficulty))
    technique = first_entry(summary, "technique")
    if technique is not None:
        usable = f" ({followed_text(technique)})" if followed_text(technique) else ""
        facts.append(("Technique", (technique["value"] or "not followed") + usable, technique))
    return facts


def rating_bar(value: int | None, scale: tuple[int, int] | list[int]) -> str:
    """████░░ for 4 on 1–6: one cell per step of the scale (at most MAX_BAR_CELLS)."""
    lowest, highest = scale
    steps = highest - lowest + 1
    cells = steps if steps <= MAX_BAR_CELLS else 10
    if value is None:
        return EMPTY * cells
    filled = round(rating_fraction(value, scale) * cells) if steps > MAX_BAR_CELLS else value - lowest + 1
    return FULL * filled + EMPTY * (cells - filled)


def rating_fraction(value: int, scale: tuple[int, int] | list[int]) -> float:
    """Where `value` sits on its scale: 0.0 at the lowest, 1.0 at the highest."""
    lowest, highest = scale
    return (value - lowest) / (highest - lowest)


def rating_text(entry: dict[str, Any]) -> str:
    """"4/6 (3–5)" — the value on its scale and, when the remarks disagreed, their range."""
    if entry["value"] is None:
        return "not followed" if entry["n_remarks"] else "not asked"
    text = f"{entry['value']}/{entry['scale'][1]}" if entry["scale"] else str(entry["value"])
    spread = entry["spread"]
    if spread and spread[0] != spread[1]:
        text += f" ({spread[0]}–{spread[1]})"
    return text


def followed_text(entry: dict[str, Any]) -> str:
    """"2/6 not followed" when some remarks gave no usable value; "" when all did."""
    missed = entry["n_not_followed"]
    return f"{missed}/{entry['n_remarks']} not followed" if missed else ""


def distinct_comments(row: DimensionRow) -> list[tuple[str, list[list[float]]]]:
    """Each different comment once, in order, with every span it was said about (models repeat)."""
    spans: dict[str, list[list[float]]] = {}
    for comment in row.comments:
        spans.setdefault(comment["text"], []).append([comment["start_s"], comment["end_s"]])
    return [(text, [list(s) for s in merge_spans(where, gap_s=HEARD_GAP_S)]) for text, where in spans.items()]


def comment_text(row: DimensionRow, most: int | None = None) -> str:
    """The row's different comments, each with where it was heard when there are several; with `most`,
    only the first few and a count of the rest."""
    comments = distinct_comments(row)
    shown = comments if most is None else comments[:most]
    if len(comments) == 1:
        text = comments[0][0]
    else:
        text = " ".join(f"[{spans_brief(where)}] {said}" for said, where in shown)
    if len(shown) < len(comments):
        text += f" (+{len(comments) - len(shown)} more)"
    return text


def spans_brief(spans: list[list[float]], most: int = 3) -> str:
    """Like spans_text, but a long list becomes "first … last (n spans)"."""
    if len(spans) <= most:
        return spans_text(spans)
    return f"{span_text(*spans[0])} … {span_text(*spans[-1])} ({len(spans)} spans)"


def timeline(report: Report) -> tuple[list[tuple[str, str]], list[dict[str, Any]]]:
    """The per-segment ratings: columns (dimension, label) and one row per segment.

    Each row is {"start_s", "end_s", "values": {dimension: value or None}, "scales": {dimension: scale}}.
    """
    columns: dict[str, str] = {}
    rows = []
    for segment in report.segments:
        values, scales = {}, {}
        for answer in segment.answers:
            if answer.kind != "rating" or answer.dimension in values:
                continue
            columns.setdefault(answer.dimension, answer.display_label)
            values[answer.dimension] = aggregate(replace(answer)).value  # a copy: the report stays as is
            scales[answer.dimension] = answer.scale or (1, 6)
        rows.append({"start_s": segment.start_s, "end_s": segment.end_s, "values": values, "scales": scales})
    return list(columns.items()), rows


def evidence_by_answer(report: Report) -> list[tuple[str, list[Evidence]]]:
    """(label, evidence) per dimension, each measurement once: a dimension's rating and comment share
    their evidence, and the overall row's evidence (the other rows' again) is left out when those rows
    show it already."""
    seen: set[tuple] = set()
    groups: dict[str, tuple[str, list[Evidence]]] = {}
    answers = sorted(take_answers(report), key=lambda a: a.dimension == OVERALL)  # the aspects first
    for answer in answers:
        for item in answer.evidence:
            key = (item.measure, item.value, item.unit, item.detail, tuple(map(tuple, item.times)))
            if key not in seen:
                seen.add(key)
                groups.setdefault(answer.dimension, (answer.display_label, []))[1].append(item)
    return [group for group in groups.values() if group[1]]


WHOLE_SHARE = 0.75  # a span this much of its segment long says "all along"; the shorter ones say where


def dimension_places(report: Report) -> dict[str, list[list[float]]]:
    """The times the measurements behind each dimension point at (merged), e.g. where the legato breaks:
    in each segment, the pointed ones (the late onsets) rather than a span over nearly all of it, when
    there are both."""
    places: dict[str, list] = {}
    for segment in report.segments:
        length = segment.end_s - segment.start_s
        spans: dict[str, list] = {}
        for answer in segment.answers:
            spans.setdefault(answer.dimension, []).extend(t for e in answer.evidence for t in e.times)
        for dimension, where in spans.items():
            pointed = [t for t in where if t[1] - t[0] < WHOLE_SHARE * length]
            places.setdefault(dimension, []).extend(pointed or where)
    return {d: [list(s) for s in merge_spans(where, gap_s=HEARD_GAP_S)] for d, where in places.items() if where}


def evidence_text(item: Evidence) -> str:
    """"ioi_cv = 0.18 — the left hand rushes (0:12–0:15)" — one line a pianist can read."""
    value = "—" if item.value is None else f"{item.value:.3g}"
    text = f"{item.measure} = {value}{(' ' + item.unit) if item.unit else ''}"
    if item.detail:
        text += f" — {item.detail}"
    if item.times:
        text += f" ({spans_text(item.times, point_below_s=1.0)})"  # as the remarks name them
    return text
