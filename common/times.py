"""Times and spans as a pianist reads them, one format everywhere: the report, the remarks, the
evidence, the meter. Every time is rounded to the nearest second (or tenth), so a remark and the
evidence behind it always name the same moment."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

Span = tuple[float, float]


def clock(seconds: float, decimals: int = 0) -> str:
    """0:07, 1:40, 1:02:03; with `decimals`, 0:12.4."""
    seconds = max(0.0, float(seconds))
    scale = 10**decimals
    ticks = int(round(seconds * scale))
    whole, frac = divmod(ticks, scale)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
    return text + (f".{frac:0{decimals}d}" if decimals else "")


def span_text(start_s: float, end_s: float, point_below_s: float = 0.0) -> str:
    """"0:12–0:15"; a span shorter than `point_below_s` (or one that names one second) reads as one time."""
    a, b = clock(start_s), clock(end_s)
    return a if (end_s - start_s < point_below_s or a == b) else f"{a}–{b}"


def spans_text(spans: Iterable[Sequence[float]], most: int | None = None, point_below_s: float = 0.0,
               empty: str = "—") -> str:
    """"0:12–0:15, 0:31"; with `most`, the first few and "and N more"."""
    spans = [(float(s[0]), float(s[1])) for s in spans]
    shown = spans if most is None else spans[:most]
    text = ", ".join(span_text(a, b, point_below_s) for a, b in shown)
    if len(spans) > len(shown):
        text += f" and {len(spans) - len(shown)} more"
    return text or empty


def merge_spans(spans: Iterable[Sequence[float]], gap_s: float = 1e-6) -> list[Span]:
    """Sorted spans, with those that overlap or lie within `gap_s` of each other joined."""
    out: list[Span] = []
    for start, end in sorted((float(s[0]), float(s[1])) for s in spans):
        if out and start <= out[-1][1] + gap_s:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def spans_phrase(spans: Iterable[Sequence[float]], most: int = 3) -> str:
    """"0:12–0:15, 0:31 and 2 more", for a sentence: a span shorter than a second reads as one time."""
    return spans_text(spans, most=most, point_below_s=1.0, empty="")
