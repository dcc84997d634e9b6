"""The report in a terminal, drawn with rich. Plain text (no colour codes) when not writing to a TTY."""

from __future__ import annotations

from typing import Any, Iterable

from rich import box
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from llaqo.rubric.render.common import (
    NO_EVIDENCE,
    DimensionRow,
    comment_text,
    dimension_rows,
    evidence_by_answer,
    evidence_text,
    followed_text,
    header_facts,
    piece_facts,
    rating_bar,
    rating_fraction,
    rating_text,
    span_text,
    spans_brief,
    split_overall,
    timeline,
)
from llaqo.rubric.report import Report
from llaqo.rubric.summary import summarize


def render_terminal(report: Report, console: Console, explain: bool = False) -> None:
    """Header, what the engine really heard, one row per dimension, overall, difficulty and technique,
    a per-segment timeline for takes longer than one segment and, with `explain`, the evidence."""
    summary = summarize(report)
    console.print(_header(report))
    if report.notes:
        console.print(_notes_panel(report.notes))
    rows, overall = split_overall(dimension_rows(summary))
    if rows or overall:
        console.print(_dimension_table(rows, overall))
    console.print(_piece_line(summary))
    if len(report.segments) > 1:
        console.print(_timeline_table(report))
    if explain:
        console.print(_evidence_group(report))


def render_terminal_many(reports: Iterable[Report], console: Console, explain: bool = False) -> None:
    """Several takes, one after another, separated by a rule."""
    for i, report in enumerate(reports):
        if i:
            console.rule(style="dim")
        render_terminal(report, console, explain=explain)


def _header(report: Report) -> Panel:
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column()
    for name, value in header_facts(report):
        facts.add_row(name, Text(value))  # Text: a file name or reason is never read as rich markup
    return Panel(facts, title=Text(report.file, style="bold"), title_align="left", box=box.ROUNDED)


def _notes_panel(notes: list[str]) -> Panel:
    body = Text("\n".join(f"• {note}" for note in notes))
    return Panel(body, title="What the engine heard", title_align="left", border_style="yellow", box=box.HEAVY)


def _dimension_table(rows: list[DimensionRow], overall: DimensionRow | None) -> Table:
    table = Table(box=box.SIMPLE_HEAD, expand=True, show_lines=False)
    table.add_column("Dimension", style="bold", no_wrap=True)
    table.add_column("Rating", no_wrap=True)
    table.add_column("Comment", ratio=1)
    table.add_column("Heard", style="dim", max_width=22)  # wraps between spans on narrow terminals
    for row in rows:
        table.add_row(*_row_cells(row))
    if overall is not None:
        if rows:
            table.add_section()
        table.add_row(*_row_cells(overall), style="bold")
    return table


def _row_cells(row: DimensionRow) -> tuple[Text, Text, Text, str]:
    return (Text(row.label), _rating_cell(row.rating), Text(comment_text(row, most=2)), spans_brief(row.heard))


def _rating_cell(entry: dict[str, Any] | None) -> Text:
    if entry is None:
        return Text("")
    cell = Text()
    if entry["value"] is not None:
        cell.append(rating_bar(entry["value"], entry["scale"]), style=_rating_style(entry["value"], entry["scale"]))
        cell.append(" ")
    cell.append(rating_text(entry))
    if followed_text(entry):
        cell.append(f"\n{followed_text(entry)}", style="dim")
    return cell


def _rating_style(value: int | None, scale: list[int] | tuple[int, int] | None) -> str:
    if value is None or not scale:
        return ""
    fraction = rating_fraction(value, scale)
    return "red" if fraction < 0.34 else "yellow" if fraction < 0.67 else "green"


def _piece_line(summary: dict[str, Any]) -> Text:
    """Difficulty (with its bar) and technique of the piece, each over everything the engine heard."""
    line = Text()
    for title, text, entry in piece_facts(summary):
        line.append(f"{title} ", style="bold")
        if entry["kind"] == "difficulty" and entry["value"] is not None:
            line.append(rating_bar(entry["value"], entry["scale"]) + " ")
        line.append(text + "    ")
    return line


def _timeline_table(report: Report) -> Table:
    columns, rows = timeline(report)
    table = Table(title="Timeline", title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("Segment", no_wrap=True)
    for _, label in columns:
        # wide enough for the longest word, so "Hand balance" wraps instead of being cut
        table.add_column(label, justify="center", min_width=max(len(w) for w in label.split()))
    for row in rows:
        cells = [Text(span_text(row["start_s"], row["end_s"]))]
        for dimension, _ in columns:
            value = row["values"].get(dimension)
            style = _rating_style(value, row["scales"].get(dimension))
            cells.append(Text("·" if value is None else str(value), style=style))
        table.add_row(*cells)
    return table


def _evidence_group(report: Report) -> Group:
    parts: list[Text] = [Text("Evidence", style="bold underline")]
    items = evidence_by_answer(report)
    if not items:
        parts.append(Text(NO_EVIDENCE, style="dim"))
    for label, evidence in items:
        parts.append(Text(label, style="bold"))
        parts.extend(Text(f"  • {evidence_text(item)}") for item in evidence)
    return Group(*parts)
