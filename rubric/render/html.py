"""The report as one self-contained HTML page for a teacher, rendered from Jinja2 templates
(rubric/render/templates): inline CSS, SVG and a small inline script, nothing outside the file, so it
opens offline. What each take shows: "Practise first", the timeline of remarks, the tempo and loudness
curves, the piano roll (with the score errors when a score was given), every aspect, the evidence."""

from __future__ import annotations

from base64 import b64encode
from typing import Any, Iterable

from jinja2 import Environment, PackageLoader, StrictUndefined

from llaqo.common.times import spans_text
from llaqo.rubric.render.common import (
    DimensionRow,
    dimension_places,
    dimension_rows,
    distinct_comments,
    evidence_by_answer,
    evidence_text,
    followed_text,
    header_facts,
    piece_facts,
    rating_text,
    spans_brief,
    split_overall,
)
from llaqo.rubric.render.palette import SCORE_ERROR_STYLE, difficulty_colour, ink_on, rating_colour
from llaqo.rubric.render.plots import loudness_chart, piano_roll, take_length, tempo_chart, ticks, timeline_lanes
from llaqo.rubric.render.practice import practise_first
from llaqo.rubric.report import Report
from llaqo.rubric.summary import summarize

Audio = tuple[str, bytes]  # (MIME type, the file's bytes): a compressed copy of the take to embed

_ENV: Environment | None = None


def _env() -> Environment:
    global _ENV
    if _ENV is None:
        _ENV = Environment(loader=PackageLoader("llaqo.rubric.render", "templates"), autoescape=True,
                           undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    return _ENV


def report_to_html(report: Report, audio: Audio | None = None) -> str:
    """One take as a complete HTML page; `audio` embeds a player that jumps to a remark's time."""
    return reports_to_html([report], {report.file: audio} if audio else None)


def reports_to_html(reports: Iterable[Report], audio: dict[str, Audio] | None = None) -> str:
    """Several takes in one page: a list of them first, then one section each."""
    reports = list(reports)
    takes = [take_view(r, (audio or {}).get(r.file)) | {"index": i} for i, r in enumerate(reports, 1)]
    title = "llaqo — " + ", ".join(r.file for r in reports)
    return _env().get_template("page.html.j2").render(title=title, takes=takes)


def score_errors_of(report: Report) -> list[dict[str, Any]]:
    """The report's score errors ({type, time_s, bar, beat, pitch_expected, pitch_played, hand}), if any."""
    return list(report.score_errors or [])


def take_view(report: Report, audio: Audio | None = None) -> dict[str, Any]:
    """Everything the take template shows, as plain values (escaped by the template)."""
    summary = summarize(report)
    rows, overall = split_overall(dimension_rows(summary))
    errors = score_errors_of(report)
    duration = take_length(report)
    places = dimension_places(report)
    charts = [c for c in (tempo_chart(report), loudness_chart(report)) if c is not None]
    return {
        "file": report.file,
        "duration": round(duration, 3),
        "facts": header_facts(report),
        "notes": report.notes,
        "audio": f"data:{audio[0]};base64,{b64encode(audio[1]).decode()}" if audio else None,
        "practise": [_practice_view(p) for p in practise_first(report, errors)],
        "rated": any(r.rating and r.rating["value"] is not None for r in rows),
        "lanes": timeline_lanes(report),
        "ticks": ticks(duration),
        "legend": [(v, rating_colour(v, (1, 6)), ink_on(rating_colour(v, (1, 6)))) for v in range(1, 7)],
        "charts": charts,
        "roll": piano_roll(report, errors),
        "error_keys": [(kind, colour, symbol) for kind, (colour, symbol) in SCORE_ERROR_STYLE.items() if errors],
        "rows": [_row_view(r, places, r is overall) for r in rows + ([overall] if overall else [])],
        "overall": rating_text(overall.rating) if overall and overall.rating else "",
        "piece": [_piece_view(title, text, entry) for title, text, entry in piece_facts(summary)],
        "evidence": [(label, [evidence_text(e) for e in items]) for label, items in evidence_by_answer(report)],
    }


def _practice_view(point) -> dict[str, Any]:
    where = spans_text(point.places, most=4, point_below_s=1.0)
    if point.bars:
        where = f"bars {_bars_text(point.bars)} ({where})"
    colour = rating_colour(round(1 + 5 * max(point.fraction, 0.0)), (1, 6))
    start = min((a for a, _ in point.places), default=0.0)
    end = max((b for _, b in point.places), default=start)
    return {"label": point.label, "rating": point.rating, "where": where, "measured": point.measured,
            "drill": point.drill, "colour": colour, "ink": ink_on(colour), "start": start, "end": end}


def _bars_text(bars: list[int]) -> str:
    """[3, 4, 5, 9] → "3–5, 9"."""
    runs: list[list[int]] = []
    for bar in bars:
        if runs and bar == runs[-1][1] + 1:
            runs[-1][1] = bar
        else:
            runs.append([bar, bar])
    return ", ".join(str(a) if a == b else f"{a}–{b}" for a, b in runs)


def _row_view(row: DimensionRow, places: dict[str, list[list[float]]], overall: bool) -> dict[str, Any]:
    entry = row.rating
    where_spans = places.get(row.dimension) if not overall else None
    where_spans = where_spans or row.heard
    colour = rating_colour(entry["value"], entry["scale"]) if entry and entry["value"] is not None else "#ffffff"
    return {
        "label": row.label,
        "overall": overall,
        "rating": rating_text(entry) if entry else "",
        "colour": colour,
        "ink": ink_on(colour),
        "followed": followed_text(entry) if entry else "",
        "comments": [(text, spans_brief(where)) for text, where in distinct_comments(row)],
        "where": spans_brief(where_spans) if where_spans else "—",
        "where_s": [where_spans[0][0], where_spans[-1][1]] if where_spans else None,
    }


def _piece_view(title: str, text: str, entry: dict[str, Any]) -> dict[str, Any]:
    if entry["kind"] == "difficulty" and entry["value"] is not None and entry["scale"]:
        colour = difficulty_colour(entry["value"], entry["scale"])
        low, high = entry["scale"]
        hint = f"({low} easiest – {high} hardest: a fact about the piece, not a judgement of the playing)"
        return {"title": title, "text": text, "colour": colour, "ink": ink_on(colour), "hint": hint}
    return {"title": title, "text": text, "colour": "", "ink": "", "hint": ""}
