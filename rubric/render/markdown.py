"""The report as Markdown, to paste into a message or a lesson log for a teacher."""

from __future__ import annotations

from typing import Any, Iterable

from llaqo.common.times import spans_text
from llaqo.rubric.render.common import (
    NO_EVIDENCE,
    DimensionRow,
    comment_text,
    dimension_places,
    dimension_rows,
    evidence_by_answer,
    evidence_text,
    followed_text,
    header_facts,
    piece_facts,
    rating_bar,
    rating_text,
    span_text,
    spans_brief,
    split_overall,
    timeline,
)
from llaqo.rubric.render.practice import practise_first
from llaqo.rubric.report import Report
from llaqo.rubric.summary import summarize


def report_to_markdown(report: Report, explain: bool = False) -> str:
    """Header, notes on what was heard, a table of dimensions, the piece, a timeline, the evidence."""
    summary = summarize(report)
    rows, overall = split_overall(dimension_rows(summary))
    parts = [_header(report), _notes(report.notes)]
    if rows or overall:
        parts.append(_dimension_table(rows + ([overall] if overall else []), dimension_places(report)))
    parts.append(_piece(summary))
    parts.append(_practise(report))
    if len(report.segments) > 1:
        parts.append(_timeline_table(report))
    if explain:
        parts.append(_evidence(report))
    return "\n\n".join(p for p in parts if p) + "\n"


def reports_to_markdown(reports: Iterable[Report], explain: bool = False) -> str:
    """Several takes in one document, separated by rules."""
    return "\n---\n\n".join(report_to_markdown(r, explain) for r in reports)


def _header(report: Report) -> str:
    lines = [f"## {_escape(report.file)}", ""]
    lines += [f"- **{name}:** {_escape(value)}" for name, value in header_facts(report)]
    return "\n".join(lines)


def _notes(notes: list[str]) -> str:
    """Shown as a quote near the top: a reader must know what the engine really listened to."""
    if not notes:
        return ""
    return "\n".join(["> **What the engine heard**", ">"] + [f"> - {_escape(n)}" for n in notes])


def _dimension_table(rows: list[DimensionRow], places: dict) -> str:
    """Where: the times the measurements point at (where the legato breaks), else what was heard."""
    lines = ["| Dimension | Rating | Comment | Where |", "|---|---|---|---|"]
    for row in rows:
        overall = row.dimension == "overall"
        label = f"**{_escape(row.label)}**" if overall else _escape(row.label)
        where = (None if overall else places.get(row.dimension)) or row.heard
        cells = [label, _rating_cell(row.rating), _escape(comment_text(row)), spans_brief(where)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _rating_cell(entry: dict[str, Any] | None) -> str:
    if entry is None:
        return ""
    text = rating_text(entry)
    if entry["value"] is not None:
        text = f"`{rating_bar(entry['value'], entry['scale'])}` {text}"
    if followed_text(entry):
        text += f" <br>*{followed_text(entry)}*"
    return text


def _piece(summary: dict[str, Any]) -> str:
    return "\n".join(f"- **{title}:** {_escape(text)}" for title, text, _ in piece_facts(summary))


def _practise(report: Report) -> str:
    """"Practise first": the weakest points (rubric.render.practice has the rule), where, and a drill."""
    points = practise_first(report, list(report.score_errors or []))
    if not points:
        return ""
    lines = ["### Practise first", ""]
    for i, p in enumerate(points, 1):
        where = spans_text(p.places, most=4, point_below_s=1.0)
        if p.bars:
            where = "bars " + ", ".join(map(str, p.bars)) + f" ({where})"
        lines.append(f"{i}. **{_escape(p.label)} {p.rating}** at {where}: {_escape(p.drill)}")
        lines += [f"   - measured: {_escape(m)}" for m in p.measured]
    return "\n".join(lines)


def _timeline_table(report: Report) -> str:
    columns, rows = timeline(report)
    lines = ["### Timeline", "", "| Segment | " + " | ".join(_escape(label) for _, label in columns) + " |"]
    lines.append("|---|" + "---|" * len(columns))
    for row in rows:
        values = ["·" if row["values"].get(d) is None else str(row["values"][d]) for d, _ in columns]
        lines.append(f"| {span_text(row['start_s'], row['end_s'])} | " + " | ".join(values) + " |")
    return "\n".join(lines)


def _evidence(report: Report) -> str:
    items = evidence_by_answer(report)
    if not items:
        return f"### Evidence\n\n{NO_EVIDENCE}"
    lines = ["### Evidence"]
    for label, evidence in items:
        lines += ["", f"**{_escape(label)}**", ""] + [f"- {_escape(evidence_text(e))}" for e in evidence]
    return "\n".join(lines)


def _escape(text: str) -> str:
    """Keep a model's reply from breaking a table row or starting markup."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace("\n", " ")
