"""The pictures of a take as plain data for the HTML template: the timeline of remarks, the tempo and
loudness curves and the piano roll, all on one time axis.

Drawn by the template as HTML boxes placed in percent of the take and as SVG in a 0–1000 × 0–100 box
stretched to the page's width (`preserveAspectRatio="none"`, strokes that do not scale). Written here
rather than with a plotting library because every picture must share one time axis that a click on a
remark highlights across all of them, resize with the page down to a phone's width, and keep its labels
as text at the page's own size (an SVG figure scaled down to 360 px shrinks its labels to ~7 px).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from llaqo.common.music import pitch_name
from llaqo.common.times import clock, span_text
from llaqo.rubric.render.common import dimension_places
from llaqo.rubric.render.palette import SCORE_ERROR_STYLE, ink_on, rating_colour
from llaqo.rubric.report import Report

NICE_STEPS_S = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600)
MAX_TICKS = 8
VIEW_W, VIEW_H = 1000.0, 100.0


@dataclass
class Mark:
    """A box on the time axis: a remark (its rating's colour and number) or a place the measurements name."""

    start_s: float
    end_s: float
    left: float  # % of the take
    width: float  # %
    text: str  # what a click shows
    colour: str = ""
    ink: str = ""
    label: str = ""  # the number written in the box


@dataclass
class Lane:
    dimension: str
    label: str
    remarks: list[Mark] = field(default_factory=list)
    places: list[Mark] = field(default_factory=list)


@dataclass
class Curve:
    name: str
    points: str  # "x,y x,y ..." in the 0–1000 × 0–100 box
    css: str  # the line's class (its colour and dash in the style sheet)


@dataclass
class Chart:
    """Curves on one time axis with their value range (for the axis labels)."""

    title: str
    unit: str
    low: float
    high: float
    curves: list[Curve]


def take_length(report: Report) -> float:
    return max(report.duration_s, max((s.end_s for s in report.segments), default=0.0), 1e-6)


def percent(seconds: float, duration_s: float) -> float:
    return round(100.0 * min(max(seconds, 0.0), duration_s) / duration_s, 3)


def _mark(start: float, end: float, duration: float, text: str, **style: str) -> Mark:
    left = percent(start, duration)
    return Mark(start, end, left, max(percent(end, duration) - left, 0.0), text, **style)


def timeline_lanes(report: Report) -> list[Lane]:
    """One lane per rated aspect: every remark at its span in its rating's colour with the number written,
    and the places its measurements name (where the legato breaks, the late onsets) over it."""
    duration = take_length(report)
    places = dimension_places(report)
    lanes: dict[str, Lane] = {}
    for segment in report.segments:
        for answer in segment.answers:
            if answer.kind != "rating":
                continue
            lane = lanes.setdefault(answer.dimension, Lane(answer.dimension, answer.display_label))
            scale = answer.scale or (1, 6)
            for remark in answer.remarks:
                said = "not followed" if remark.value is None else f"{remark.value}/{scale[1]}"
                colour = rating_colour(remark.value, scale)
                text = f"{lane.label} {span_text(remark.start_s, remark.end_s)}: {said} — {remark.text}"
                lane.remarks.append(_mark(remark.start_s, remark.end_s, duration, text, colour=colour,
                                          ink=ink_on(colour), label="–" if remark.value is None else str(remark.value)))
    for dimension, lane in lanes.items():
        lane.places = [_mark(a, b, duration, f"{lane.label}: measured at {span_text(a, b)}")
                       for a, b in places.get(dimension, [])]
    return list(lanes.values())


def ticks(duration_s: float) -> list[tuple[float, str]]:
    """(% of the take, "0:10") for the time axis, at a round step giving at most MAX_TICKS labels."""
    step = next((s for s in NICE_STEPS_S if duration_s / s <= MAX_TICKS), NICE_STEPS_S[-1])
    out, tick = [], 0.0
    while tick <= duration_s + 1e-6:
        out.append((percent(tick, duration_s), clock(tick)))
        tick += step
    return out


def _heard(report: Report, key: str) -> list[list[float]]:
    return [p for s in report.segments if s.heard for p in s.heard.get(key, [])]


def _polyline(points: list[list[float]], duration: float, low: float, high: float) -> str:
    span = (high - low) or 1.0
    return " ".join(f"{VIEW_W * p[0] / duration:.1f},{VIEW_H * (1 - (p[1] - low) / span):.1f}" for p in points)


def _chart(title: str, unit: str, named: list[tuple[str, list[list[float]], str]], duration: float) -> Chart | None:
    values = [p[1] for _, points, _ in named for p in points]
    if not values:
        return None
    pad = max((max(values) - min(values)) * 0.1, 1.0)
    low, high = min(values) - pad, max(values) + pad
    curves = [Curve(name, _polyline(points, duration, low, high), css) for name, points, css in named if points]
    return Chart(title, unit, round(low), round(high), curves)


def tempo_chart(report: Report) -> Chart | None:
    """The local tempo the tempo rating reads, in beats per minute."""
    named = [("played", _heard(report, "tempo"), "c-tempo"),
             ("score, as aligned (quarter notes)", _heard(report, "score_tempo"), "c-score")]
    return _chart("Tempo", "bpm", named, take_length(report))


def loudness_chart(report: Report) -> Chart | None:
    """The smoothed level of each hand's notes (and of the melody the dynamics rating follows), as velocity."""
    hands = [p for s in report.segments if s.heard for p in [s.heard.get("loudness_by_hand") or {}]]
    named = [("right hand", [x for h in hands for x in h.get("right", [])], "c-right"),
             ("left hand", [x for h in hands for x in h.get("left", [])], "c-left"),
             ("melody", _heard(report, "loudness"), "c-melody")]
    return _chart("Loudness", "velocity", named, take_length(report))


@dataclass
class Roll:
    """The heard notes as SVG rects in the 0–1000 × 0–(rows) box, the score errors as symbols placed in %."""

    rows: int
    notes: list[tuple[float, float, float, float]]  # x, y, width, opacity
    errors: list[dict[str, Any]]  # {left, top, symbol, colour, text, start_s, end_s}
    low_name: str
    high_name: str
    bars: list[tuple[float, int]] = field(default_factory=list)  # (% of the take, bar number)


def piano_roll(report: Report, score_errors: list[dict[str, Any]] | None = None) -> Roll | None:
    """Every note heard (darker = louder) and, with a score, each wrong (✕), missing (○) and extra (+) note."""
    duration = take_length(report)
    notes = _heard(report, "notes")
    errors = [e for e in score_errors or [] if e.get("time_s") is not None]
    pitches = [int(n[2]) for n in notes] + [int(p) for e in errors for p in _error_pitches(e)]
    if not pitches:
        return None
    low, high = min(pitches) - 1, max(pitches) + 1
    rows = high - low + 1
    rects = [(round(VIEW_W * on / duration, 2), high - int(p), round(max(VIEW_W * (off - on) / duration, 1.5), 2),
              round(0.35 + 0.65 * min(int(v), 127) / 127, 2)) for on, off, p, v in notes]
    marks = []
    for e in errors:
        colour, symbol = SCORE_ERROR_STYLE.get(e.get("type"), ("#000000", "?"))
        pitch = next(iter(_error_pitches(e)), (low + high) // 2)
        marks.append({"left": percent(float(e["time_s"]), duration), "top": round(100 * (high - pitch + 0.5) / rows, 2),
                      "symbol": symbol, "colour": colour, "text": _error_text(e), "start_s": float(e["time_s"]),
                      "end_s": float(e["time_s"])})
    lines = _heard(report, "bars")  # the score's bar lines where the alignment put them
    if lines:
        bars = sorted({(percent(float(t), duration), int(b)) for t, b in lines if 0 <= t <= duration})
    else:
        bars = sorted({(percent(float(e["time_s"]), duration), int(e["bar"])) for e in errors
                       if e.get("bar") is not None})
    return Roll(rows, rects, marks, pitch_name(low), pitch_name(high), _first_per_bar(bars))


def _first_per_bar(bars: list[tuple[float, int]]) -> list[tuple[float, int]]:
    seen, out = set(), []
    for left, bar in bars:
        if bar not in seen:
            seen.add(bar)
            out.append((left, bar))
    return out


def _error_pitches(e: dict[str, Any]) -> list[int]:
    """The pitch to draw the error at: the one played (wrong, extra), else the one expected (missing)."""
    order = ("pitch_expected", "pitch_played") if e.get("type") == "missing" else ("pitch_played", "pitch_expected")
    return [int(e[k]) for k in order if isinstance(e.get(k), int)][:1]


def _error_text(e: dict[str, Any]) -> str:
    where = f"bar {e['bar']}" + (f", beat {e['beat']}" if e.get("beat") is not None else "") if e.get("bar") else ""
    where = where or clock(float(e["time_s"]))
    names = {k: pitch_name(e[k]) for k in ("pitch_expected", "pitch_played") if isinstance(e.get(k), int)}
    kind = e.get("type", "?")
    said = {"wrong": f"{names.get('pitch_played', '?')} played for {names.get('pitch_expected', '?')}",
            "missing": f"{names.get('pitch_expected', '?')} missing",
            "extra": f"{names.get('pitch_played', '?')} added"}.get(kind, kind)
    hand = f" ({e['hand']} hand)" if e.get("hand") else ""
    return f"{kind} note at {where} ({clock(float(e['time_s']))}): {said}{hand}"
