"""The report in a terminal, drawn with rich. Plain text when not writing to a TTY: no colour codes, no
trailing spaces, 80 columns (or $COLUMNS). Nothing is cut at 80 columns: long cells wrap, and the
per-segment timeline is split into several tables when its columns do not fit side by side."""

from __future__ import annotations

import io
from typing import IO, Any, Iterable

from rich import box
from rich.console import Console, Group
from rich.measure import Measurement
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from llaqo.common.text import shown
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
    rating_fraction,
    rating_text,
    span_text,
    spans_brief,
    split_overall,
    timeline,
)
from llaqo.rubric.render.practice import practise_first
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
        console.print(_dimension_table(rows, overall, dimension_places(report)))
    console.print(_piece_line(summary))
    practise = _practise_group(report)
    if practise is not None:
        console.print(practise)
    if len(report.segments) > 1:
        for table in _timeline_tables(report, console):
            console.print(table)
    if explain:
        console.print(_evidence_group(report))


def print_terminal(reports: Iterable[Report], stream: IO[str], explain: bool = False) -> None:
    """The reports on `stream`: drawn by rich on a terminal; piped, as plain text with no colour codes
    and no trailing spaces (rich pads every table line to the full width)."""
    probe = Console(file=stream)
    if probe.is_terminal:
        render_terminal_many(reports, probe, explain=explain)
        return
    buffer = io.StringIO()
    plain = Console(file=buffer, width=probe.width, color_system=None, force_terminal=False, highlight=False)
    render_terminal_many(reports, plain, explain=explain)
    stream.write("".join(line.rstrip() + "\n" for line in buffer.getvalue().splitlines()))


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
    return Panel(facts, title=Text(shown(report.file), style="bold"), title_align="left", box=box.ROUNDED)


def _notes_panel(notes: list[str]) -> Panel:
    body = Text("\n".join(f"• {note}" for note in notes))
    return Panel(body, title="What the engine heard", title_align="left", border_style="yellow", box=box.HEAVY)


def _dimension_table(rows: list[DimensionRow], overall: DimensionRow | None, places: dict) -> Table:
    table = Table(box=box.SIMPLE_HEAD, expand=True, show_lines=False)
    table.add_column("Dimension", style="bold", no_wrap=True)
    table.add_column("Rating", no_wrap=True)
    table.add_column("Comment", ratio=1)
    table.add_column("Where", style="dim", max_width=22)  # wraps between spans on narrow terminals
    for row in rows:
        table.add_row(*_row_cells(row, places.get(row.dimension)))
    if overall is not None:
        if rows:
            table.add_section()
        table.add_row(*_row_cells(overall, None), style="bold")
    return table


def _row_cells(row: DimensionRow, places: list | None) -> tuple[Text, Text, Text, str]:
    """The Where cell: the times the measurements point at (where the legato breaks), else what was heard."""
    return (Text(row.label), _rating_cell(row.rating), Text(comment_text(row, most=2)),
            spans_brief(places or row.heard))


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
    fraction = rating_fraction(value, scale)  # the HTML's colour-blind-safe orange → purple, in three steps
    return "dark_orange3" if fraction < 0.34 else "" if fraction < 0.67 else "medium_purple3"


def _piece_line(summary: dict[str, Any]) -> Text:
    """Difficulty (with its bar) and technique of the piece, each over everything the engine heard."""
    line = Text()
    for title, text, entry in piece_facts(summary):
        line.append(f"{title} ", style="bold")
        if entry["kind"] == "difficulty" and entry["value"] is not None:
            line.append(rating_bar(entry["value"], entry["scale"]) + " ")
        line.append(text + "    ")
    return line


def _timeline_table(title: str, group: list[tuple[str, str]], rows: list[dict[str, Any]]) -> Table:
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("Segment", no_wrap=True)
    for _, label in group:
        # wide enough for the longest word, so "Hand balance" wraps instead of being cut
        table.add_column(label, justify="center", min_width=max(len(w) for w in label.split()))
    for row in rows:
        cells = [Text(span_text(row["start_s"], row["end_s"]))]
        for dimension, _ in group:
            value = row["values"].get(dimension)
            cells.append(Text("·" if value is None else str(value),
                              style=_rating_style(value, row["scales"].get(dimension))))
        table.add_row(*cells)
    return table


def _timeline_tables(report: Report, console: Console) -> list[Table]:
    """The per-segment ratings; as several tables, each naming its part, when the columns do not fit
    side by side (each table measured as rich will draw it)."""
    columns, rows = timeline(report)
    groups: list[list[tuple[str, str]]] = [[]]
    unbounded = console.options.update(max_width=10_000)  # measured unclamped: the narrowest it can be drawn
    for column in columns:
        trial = _timeline_table("", groups[-1] + [column], rows)
        if groups[-1] and Measurement.get(console, unbounded, trial).minimum > console.width:
            groups.append([])
        groups[-1].append(column)
    n = len(groups)
    return [_timeline_table("Timeline" if n == 1 else f"Timeline ({i}/{n})", g, rows) for i, g in enumerate(groups, 1)]


def _practise_group(report: Report) -> Group | None:
    """"Practise first": the weakest points, where, and a drill (rubric.render.practice has the rule)."""
    points = practise_first(report, list(report.score_errors or []))
    if not points:
        return None
    parts: list[Text] = [Text("Practise first", style="bold underline")]
    for i, point in enumerate(points, 1):
        where = spans_text(point.places, most=4, point_below_s=1.0)
        if point.bars:
            where = "bars " + ", ".join(map(str, point.bars)) + f" ({where})"
        parts.append(Text.assemble((f"{i}. {point.label} {point.rating}", "bold"), f" at {where}"))
        parts.append(Padding(Text(point.drill), (0, 0, 0, 3)))
    return Group(*parts)


def _evidence_group(report: Report) -> Group:
    parts: list[Text] = [Text("Evidence", style="bold underline")]
    items = evidence_by_answer(report)
    if not items:
        parts.append(Text(NO_EVIDENCE, style="dim"))
    for label, evidence in items:
        parts.append(Text(label, style="bold"))
        parts.extend(Text(f"  • {evidence_text(item)}") for item in evidence)  # each measurement once
    return Group(*parts)
