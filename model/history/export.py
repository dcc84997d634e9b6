"""The history as files: CSV (one row per session, for a spreadsheet) and a self-contained HTML page
(per piece: the callout, the ratings table, the plot embedded as a PNG)."""

from __future__ import annotations

import base64
import csv
import html
import io
from pathlib import Path

from llaqo.common.files import write_atomic
from llaqo.model.history.progress import KEY_MEASURES, PieceProgress

CSV_HEAD = ["piece", "session", "created_at", "take_path", "take_sha256", "engine", "rubric", "duration_s",
            "difficulty", "technique"]


def progress_to_csv(progress: list[PieceProgress]) -> str:
    """One row per session; a column per dimension's rating and per key measurement."""
    dimensions = list(dict.fromkeys(d for p in progress for d, _ in p.dimensions))
    measures = [m for m, _, _ in KEY_MEASURES]
    out = io.StringIO(newline="")
    w = csv.writer(out)
    w.writerow(CSV_HEAD + dimensions + measures)
    for p in progress:
        for i, s in enumerate(p.sessions, start=1):
            w.writerow([p.piece, i, s.created_at.isoformat(timespec="seconds"), s.take_path, s.take_sha256,
                        s.engine, s.rubric, s.duration_s, _blank(s.rating("difficulty")),
                        _blank(s.rating("technique"))]
                       + [_blank(s.rating(d)) for d in dimensions] + [_blank(s.measurement(m)) for m in measures])
    return out.getvalue()


def write_csv(progress: list[PieceProgress], path: Path) -> Path:
    return write_atomic(path, progress_to_csv(progress))


def progress_to_html(progress: list[PieceProgress], png: bytes | None) -> str:
    parts = ["<!doctype html><html><head><meta charset='utf-8'><title>llaqo practice history</title>",
             f"<style>{CSS}</style></head><body><h1>Practice history</h1>"]
    if png:
        parts.append(f"<img alt='progress plots' src='data:image/png;base64,{base64.b64encode(png).decode()}'>")
    for p in progress:
        parts.append(f"<h2>{html.escape(p.piece)}</h2><p class='callout'>{html.escape(p.callout())}</p>")
        parts.append(_table(p))
    parts.append("</body></html>\n")
    return "".join(parts)


def write_html(progress: list[PieceProgress], png: bytes | None, path: Path) -> Path:
    return write_atomic(path, progress_to_html(progress, png))


def _table(p: PieceProgress) -> str:
    head = "".join(f"<th>{i}<br><small>{s.created_at:%Y-%m-%d %H:%M}</small></th>"
                   for i, s in enumerate(p.sessions, start=1))
    rows = [f"<tr><th>{html.escape(label)}</th>" + "".join(f"<td>{_blank(v)}</td>" for v in p.ratings(dim)) + "</tr>"
            for dim, label in p.dimensions]
    rows += [f"<tr class='m'><th>{html.escape(name)} ({unit})</th>"
             + "".join(f"<td>{_blank(v)}</td>" for v in p.measurements(measure)) + "</tr>"
             for measure, name, unit in KEY_MEASURES]
    return f"<table><tr><th>Session</th>{head}</tr>{''.join(rows)}</table>"


def _blank(value) -> str:
    return "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


CSS = ("body{font-family:system-ui,sans-serif;margin:2em;color:#222}img{max-width:100%}"
       "table{border-collapse:collapse;margin-bottom:2em}th,td{border:1px solid #ccc;padding:.25em .6em;"
       "text-align:center}th:first-child{text-align:left}tr.m{color:#555}.callout{font-weight:600}")
