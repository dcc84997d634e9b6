"""The report as one self-contained HTML page for a teacher: inline CSS and SVG, no scripts, no links
to anything outside the file."""

from __future__ import annotations

from html import escape
from typing import Any, Iterable

from llaqo.rubric.render.common import (
    DimensionRow,
    dimension_rows,
    distinct_comments,
    evidence_by_answer,
    evidence_text,
    followed_text,
    header_facts,
    piece_facts,
    rating_bar,
    rating_text,
    spans_brief,
    split_overall,
)
from llaqo.rubric.render.svg import rating_colour, timeline_svg
from llaqo.rubric.report import Report
from llaqo.rubric.summary import summarize

VISIBLE_COMMENTS = 3  # more are folded into a <details> element

CSS = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d232b; margin: 2rem auto;
       max-width: 1000px; padding: 0 1rem; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.2rem; margin-top: 2.5rem; border-bottom: 1px solid #d5dae1; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; }
dl.facts dt { font-weight: 600; } dl.facts dd { margin: 0; }
.notes { border-left: 5px solid #e0a100; background: #fff7e0; padding: .5rem 1rem; margin: 1rem 0; }
table { border-collapse: collapse; width: 100%; margin: 1rem 0; }
th, td { text-align: left; vertical-align: top; padding: .35rem .5rem; border-bottom: 1px solid #e4e8ee; }
tr.overall td { font-weight: 600; border-top: 2px solid #b9c1cc; }
.bar { font-family: ui-monospace, monospace; letter-spacing: -1px; }
.muted { color: #6b7684; font-size: .9em; } ul.comments { margin: 0; padding-left: 1rem; }
svg.timeline text { font: 11px system-ui, sans-serif; fill: #39424e; }
svg.timeline text.tick { text-anchor: middle; fill: #6b7684; } svg.timeline .axis { stroke: #8a94a3; }
"""


def report_to_html(report: Report) -> str:
    """One take as a complete HTML page."""
    return _page(f"llaqo — {report.file}", _section(report))


def reports_to_html(reports: Iterable[Report]) -> str:
    """Several takes in one page, one section each."""
    reports = list(reports)
    return _page("llaqo — " + ", ".join(r.file for r in reports), "\n".join(_section(r) for r in reports))


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def _section(report: Report) -> str:
    summary = summarize(report)
    rows, overall = split_overall(dimension_rows(summary))
    parts = [f'<section class="report">\n<h2>{escape(report.file)}</h2>', _facts(report), _notes(report.notes)]
    parts.append(timeline_svg(report))
    if rows or overall:
        parts.append(_dimension_table(rows, overall))
    parts += [_piece(summary), _evidence(report), "</section>"]
    return "\n".join(p for p in parts if p)


def _facts(report: Report) -> str:
    items = "".join(f"<dt>{escape(name)}</dt><dd>{escape(value)}</dd>" for name, value in header_facts(report))
    return f'<dl class="facts">{items}</dl>'


def _notes(notes: list[str]) -> str:
    if not notes:
        return ""
    items = "".join(f"<li>{escape(n)}</li>" for n in notes)
    return f'<div class="notes"><strong>What the engine heard</strong><ul>{items}</ul></div>'


def _dimension_table(rows: list[DimensionRow], overall: DimensionRow | None) -> str:
    lines = ["<table>", "<tr><th>Dimension</th><th>Rating</th><th>Comment</th><th>Heard</th></tr>"]
    for row in rows + ([overall] if overall else []):
        css = ' class="overall"' if row is overall else ""
        lines.append(
            f"<tr{css}><td>{escape(row.label)}</td><td>{_rating_cell(row.rating)}</td>"
            f'<td>{_comments_cell(row)}</td><td class="muted">{escape(spans_brief(row.heard))}</td></tr>'
        )
    lines.append("</table>")
    return "\n".join(lines)


def _rating_cell(entry: dict[str, Any] | None) -> str:
    if entry is None:
        return ""
    cell = escape(rating_text(entry))
    if entry["value"] is not None:
        colour = rating_colour(entry["value"], entry["scale"])
        bar = rating_bar(entry["value"], entry["scale"])
        cell = f'<span class="bar" style="color: {colour}">{bar}</span> {cell}'
    if followed_text(entry):
        cell += f'<br><span class="muted">{escape(followed_text(entry))}</span>'
    return cell


def _comments_cell(row: DimensionRow) -> str:
    comments = distinct_comments(row)
    if len(comments) == 1:
        return escape(comments[0][0])
    items = [
        f'<li>{escape(text)} <span class="muted">{escape(spans_brief(where))}</span></li>' for text, where in comments
    ]
    html = f'<ul class="comments">{"".join(items[:VISIBLE_COMMENTS])}</ul>'
    if len(items) > VISIBLE_COMMENTS:
        rest = f'<ul class="comments">{"".join(items[VISIBLE_COMMENTS:])}</ul>'
        html += f"<details><summary>{len(items) - VISIBLE_COMMENTS} more</summary>{rest}</details>"
    return html


def _piece(summary: dict[str, Any]) -> str:
    items = "".join(f"<li><strong>{title}:</strong> {escape(text)}</li>" for title, text, _ in piece_facts(summary))
    return f"<ul>{items}</ul>" if items else ""


def _evidence(report: Report) -> str:
    items = evidence_by_answer(report)
    if not items:
        return ""
    blocks = [
        f"<h3>{escape(label)}</h3><ul>" + "".join(f"<li>{escape(evidence_text(e))}</li>" for e in evidence) + "</ul>"
        for label, evidence in items
    ]
    return "<details><summary>Evidence behind the ratings</summary>" + "".join(blocks) + "</details>"
