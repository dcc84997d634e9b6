"""The timeline of a take as inline SVG: segments on a time axis, and each rating remark drawn as a
mark over the span the engine heard, coloured from red (lowest) to green (highest)."""

from __future__ import annotations

from html import escape

from llaqo.rubric.render.common import clock, rating_fraction, span_text
from llaqo.rubric.report import Answer, Report

WIDTH = 960
LABEL_W = 130  # room for the lane labels on the left
LANE_H = 18
SEGMENT_H = 22
AXIS_H = 24
NICE_STEPS_S = (5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600)
NOT_FOLLOWED = "#b8b8b8"


def rating_colour(value: int, scale: tuple[int, int]) -> str:
    """Red at the bottom of the scale, amber in the middle, green at the top."""
    hue = round(120 * rating_fraction(value, scale))
    return f"hsl({hue}, 65%, 45%)"


def timeline_svg(report: Report) -> str:
    """One lane per rating or difficulty question, under a band of segments, over a time axis."""
    lanes = _lanes(report)
    height = SEGMENT_H + len(lanes) * LANE_H + AXIS_H + 8
    duration = max(report.duration_s, max((s.end_s for s in report.segments), default=0.0), 1e-6)
    x = _scale_x(duration)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" role="img" aria-label="timeline of {escape(report.file)}">',
        *_segment_band(report, x),
    ]
    for i, (label, answers) in enumerate(lanes):
        parts += _lane(label, answers, SEGMENT_H + i * LANE_H, x)
    parts += _axis(duration, SEGMENT_H + len(lanes) * LANE_H + 4, x)
    parts.append("</svg>")
    return "\n".join(parts)


def _lanes(report: Report) -> list[tuple[str, list[Answer]]]:
    """(label, the question's answer in every segment) for each rating and difficulty question."""
    lanes: dict[str, tuple[str, list[Answer]]] = {}
    for segment in report.segments:
        for answer in segment.answers:
            if answer.kind in ("rating", "difficulty"):
                lanes.setdefault(answer.id, (answer.display_label, []))[1].append(answer)
    return list(lanes.values())


def _scale_x(duration_s: float):
    usable = WIDTH - LABEL_W - 10
    return lambda seconds: LABEL_W + usable * min(max(seconds, 0.0), duration_s) / duration_s


def _segment_band(report: Report, x) -> list[str]:
    parts = [f'<text x="4" y="{SEGMENT_H - 7}" class="lane">Segments</text>']
    for segment in report.segments:
        shade = "#eef1f5" if segment.index % 2 == 0 else "#e1e6ee"
        left, right = x(segment.start_s), x(segment.end_s)
        parts.append(
            f'<rect x="{left:.1f}" y="2" width="{right - left:.1f}" height="{SEGMENT_H - 4}" fill="{shade}">'
            f"<title>segment {segment.index + 1}: {span_text(segment.start_s, segment.end_s)}</title></rect>"
        )
        parts.append(f'<text x="{left + 4:.1f}" y="{SEGMENT_H - 7}" class="seg">{segment.index + 1}</text>')
    return parts


def _lane(label: str, answers: list[Answer], top: float, x) -> list[str]:
    parts = [f'<text x="4" y="{top + LANE_H - 5}" class="lane">{escape(label)}</text>']
    for answer in answers:
        scale = answer.scale or (1, 6)
        for remark in answer.remarks:
            colour = NOT_FOLLOWED if remark.value is None else rating_colour(int(remark.value), scale)
            said = "not followed" if remark.value is None else f"{remark.value}/{scale[1]}"
            left, right = x(remark.start_s), x(remark.end_s)
            parts.append(
                f'<rect x="{left:.1f}" y="{top + 3}" width="{max(right - left, 2):.1f}" height="{LANE_H - 6}" '
                f'rx="2" fill="{colour}"><title>{escape(label)} {span_text(remark.start_s, remark.end_s)}: '
                f"{said} — {escape(remark.text)}</title></rect>"
            )
    return parts


def _axis(duration_s: float, top: float, x) -> list[str]:
    step = next((s for s in NICE_STEPS_S if duration_s / s <= 10), NICE_STEPS_S[-1])
    parts = [f'<line x1="{LABEL_W}" y1="{top}" x2="{x(duration_s):.1f}" y2="{top}" class="axis"/>']
    tick = 0.0
    while tick <= duration_s + 1e-6:
        parts.append(f'<line x1="{x(tick):.1f}" y1="{top}" x2="{x(tick):.1f}" y2="{top + 4}" class="axis"/>')
        parts.append(f'<text x="{x(tick):.1f}" y="{top + 16}" class="tick">{clock(tick)}</text>')
        tick += step
    return parts
