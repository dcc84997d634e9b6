"""Tempo kept constant, correct rhythm, uniform note values: all read from the chord onsets' pulse."""

from __future__ import annotations

import numpy as np

from llaqo.common.times import clock, spans_phrase
from llaqo.model.listen.judge.analysis import FIT_UNITS, Analysis
from llaqo.model.listen.judge.analysis import runs as find_runs
from llaqo.model.listen.judge.measures.base import Finding, Reading, spans_where, too_few
from llaqo.rubric.report import Evidence

RUSH_DRAG = 0.06  # a local tempo this far from the phrase's tempo is rushing or dragging
FINE_S, PHRASE_S = 0.75, 3.0  # the local tempo is read over ±FINE_S; the phrase's course over ±PHRASE_S
GRID_WINDOW_S = 2.0  # the beat grid is fitted locally, over ±this, so that slow tempo changes are not errors
RUN_GAPS = 4  # a run: at least this many successive gaps meant to be equal
LOCAL_FIT = 0.2  # within this share of a whole number of the phrase's tatums a gap is on the grid (tempo)
EQUAL = (0.55, 1.6)  # a gap within these ratios of the local median gap is "meant equal" to it


def tempo(a: Analysis) -> Finding:
    """Steady where it should be: the local tempo (±0.75 s) around its phrase-level course (±3 s) is
    the unsteadiness a teacher hears; the course itself is rubato, and is only blamed as a drift
    when the part as a whole speeds up or slows down (a rubato returns, a drift does not)."""
    p = a.pulse
    if p is None:
        return too_few("tempo", "Too few notes in this part to follow the tempo.")
    times, fine = _local_tempo(p, FINE_S)
    course = np.array([np.median(fine[np.abs(times - t) <= PHRASE_S]) for t in times])
    rel = fine / course - 1
    cv = float(np.std(rel) * 100)
    centre = float(np.median(course))
    shape = course / centre - 1
    rubato = float((np.percentile(shape, 95) - np.percentile(shape, 5)) * 100)
    slope = np.polyfit(times - times[0], shape, 1)[0] if len(times) > 2 else 0.0
    drift = float(slope * (times[-1] - times[0]) * 100)
    rush = spans_where(times, rel > RUSH_DRAG, join_s=1.0)
    drag = spans_where(times, rel < -RUSH_DRAG, join_s=1.0)
    rush = [s for s in rush if s[1] - s[0] >= 0.5]
    drag = [s for s in drag if s[1] - s[0] >= 0.5]
    evidence = [
        Evidence("tempo_cv", round(cv, 1), "%", f"the beat strays {cv:.1f}% from the phrase's tempo around "
                 f"{centre:.0f} bpm", [(float(times[0]), float(times[-1]))]),
        Evidence("tempo_drift", round(drift, 1), "%", f"{drift:+.0f}% from the start to the end of this part"),
        Evidence("rubato", round(rubato, 1), "%", f"the phrase-level tempo moves over {rubato:.0f}% (rubato)"),
    ]
    parts = []
    for label, spans in (("rushes", rush), ("drags", drag)):
        devs = [_mean_in(times, rel, span) * 100 for span in spans]
        evidence += [Evidence("tempo_span", round(d, 1), "%", f"{label[:-1]} {d:+.0f}%", [span])
                     for span, d in zip(spans, devs)]
        if spans:
            parts.append(f"{label} at {spans_phrase(spans)} ({max(devs, key=abs):+.0f}% tempo)")
    if abs(drift) >= 8:
        parts.append(f"{'speeds up' if drift > 0 else 'slows down'} {abs(drift):.0f}% over the passage")
    said = "; ".join(parts)
    shaped = f"; the tempo breathes with the phrase ({rubato:.0f}% rubato)" if rubato >= 4 else ""
    comment = (said[:1].upper() + said[1:] + "; steady elsewhere") if parts else (
        f"Steady tempo around {centre:.0f} bpm" + shaped)
    return Finding("tempo", comment + f" (the beat strays {cv:.1f}%).",
                   [Reading("tempo_cv", cv), Reading("tempo_drift", abs(drift))], evidence)


def _local_tempo(p, window_s: float) -> tuple[np.ndarray, np.ndarray]:
    """(times, bpm) at each gap's midpoint: the median tatum of the gaps that fit the grid within
    ±window_s (a triplet or an ornament is rhythm, not tempo).

    A gap fits when it is close to a whole number of the PHRASE's tatum (the fitting gaps' median over
    ±PHRASE_S), re-rounded against it: judged against the part's one tatum, a beat that lurches 15%
    moves a gap of two or three tatums 0.3–0.45 of a tatum off, so the gaps played under the lurch were
    dropped as "not on the grid" and the tempo read steady where it lurched (outside set, tuning half,
    through transkun: a lurching C. P. E. Bach sonata rated 6 before, 4 now — its tempo's course
    drifts 15%; a lurching mazurka 6 → 5)."""
    gaps = np.diff(p.onsets)
    per = gaps / p.steps
    fits = np.abs(gaps / p.tatum - p.steps) < FIT_UNITS * np.minimum(p.steps, 1)
    mids = (p.onsets[:-1] + p.onsets[1:]) / 2
    phrase = np.array([_median_of(per, np.abs(mids - t) <= PHRASE_S, fits) for t in mids])
    units = gaps / phrase
    whole = p.steps == np.round(p.steps)  # a triplet's thirds keep their steps
    steps = np.where(whole, np.maximum(1, np.round(units)), p.steps)
    per = gaps / steps
    fits = np.abs(units / steps - 1) < LOCAL_FIT
    local = np.full(len(per), np.nan)
    for i, t in enumerate(mids):
        pick = (np.abs(mids - t) <= window_s) & fits
        if pick.sum() >= 2:
            local[i] = np.median(per[pick])
    if np.isnan(local).mean() > 0.5:  # the grid fits too little: read every gap
        local = np.array([np.median(per[np.abs(mids - t) <= window_s]) for t in mids])
    keep = ~np.isnan(local)  # a stretch with no gap on the grid (an ornament, a fermata) has no tempo
    return mids[keep], 60.0 / (local[keep] * (p.beat / p.tatum))


def _median_of(values: np.ndarray, near: np.ndarray, fits: np.ndarray) -> float:
    """The median of the fitting values near, or of all near where fewer than two fit."""
    pick = near & fits
    return float(np.median(values[pick] if pick.sum() >= 2 else values[near]))


def _mean_in(times: np.ndarray, values: np.ndarray, span: tuple[float, float]) -> float:
    inside = (times >= span[0]) & (times <= span[1])
    return float(np.mean(values[inside])) if inside.any() else 0.0


def grid_residuals(a: Analysis) -> np.ndarray | None:
    """(m,) each chord onset minus where a locally fitted beat grid puts it, in s."""
    p = a.pulse
    if p is None:
        return None
    res = np.zeros(len(p.onsets))
    for i, t in enumerate(p.onsets):
        near = np.abs(p.onsets - t) <= GRID_WINDOW_S
        if near.sum() < 3:
            near = np.argsort(np.abs(p.onsets - t))[:3]
        x, y = p.positions[near].astype(float), p.onsets[near]
        fit = np.polyfit(x, y, 1) if np.ptp(x) > 0 else (0.0, float(np.mean(y)))
        res[i] = t - np.polyval(fit, p.positions[i])
    return res


def rhythm(a: Analysis) -> Finding:
    res = grid_residuals(a)
    if res is None:
        return too_few("rhythm", "Too few notes in this part to judge the rhythm.")
    p = a.pulse
    dev_ms = float(np.mean(np.abs(res)) * 1000)
    late_limit = max(0.035, 0.15 * p.tatum)
    off = np.abs(res) > late_limit
    spans = spans_where(p.onsets, off, join_s=1.0)
    evidence = [Evidence("grid_deviation", round(dev_ms, 1), "ms",
                         f"onsets lie {dev_ms:.0f} ms from a locally fitted beat grid on average",
                         [(float(p.onsets[0]), float(p.onsets[-1]))])]
    if spans:
        evidence.append(Evidence("off_grid_notes", int(off.sum()), "notes",
                                 f"{int(off.sum())} onsets more than {late_limit * 1000:.0f} ms off the grid", spans))
        worst_ms = np.max(np.abs(res)) * 1000
        comment = f"Uneven rhythm at {spans_phrase(spans)} (onsets up to {worst_ms:.0f} ms off the beat)"
        comment += "; even elsewhere." if off.mean() < 0.5 else "."
    else:
        comment = f"Rhythm is even: onsets within {dev_ms:.0f} ms of the beat on average."
    return Finding("rhythm", comment, [Reading("grid_deviation", dev_ms)], evidence)


def _equal_runs(steps: np.ndarray) -> list[tuple[int, int]]:
    """[lo, hi) ranges of at least RUN_GAPS successive gaps of the same length on the grid."""
    out, lo = [], 0
    for i in range(1, len(steps) + 1):
        if i == len(steps) or steps[i] != steps[lo]:
            if i - lo >= RUN_GAPS:
                out.append((lo, i))
            lo = i
    return out


def note_values(a: Analysis) -> Finding:
    p = a.pulse
    if p is None:
        return too_few("note_values", "Too few notes in this part to judge the note values.")
    gaps = np.diff(p.onsets)
    # notes of the same written length on the pulse's grid: in a dotted or mixed rhythm only those are
    # meant equal; where no such run exists (a limping run reads as long-short), gaps near the local median
    runs = _equal_runs(p.steps)
    if not runs:
        local = np.array([np.median(gaps[max(0, i - 4) : i + 5]) for i in range(len(gaps))])
        lo, hi = EQUAL
        runs = find_runs((gaps >= lo * local) & (gaps <= hi * local), RUN_GAPS)
    if not runs:
        return too_few("note_values", "No run of equal notes in this part to compare.")
    cvs, spans = [], []
    for lo, hi in runs:
        g = gaps[lo:hi]
        # a slow tempo change is not unevenness
        trend = np.polyval(np.polyfit(np.arange(len(g)), g, 1), np.arange(len(g)))
        cvs.append(float(np.std(g / trend) * 100))
        spans.append((float(p.onsets[lo]), float(p.onsets[hi])))
    weights = np.array([hi - lo for lo, hi in runs], dtype=float)
    cv = float(np.average(cvs, weights=weights))
    evidence = [Evidence("run_ioi_cv", round(cv, 1), "%",
                         f"gaps between notes in {len(runs)} run(s) vary {cv:.1f}% around their mean", spans)]
    uneven = [s for s, c in zip(spans, cvs) if c > 8.0]
    for s, c in zip(spans, cvs):
        if c > 8.0:
            evidence.append(Evidence("run_ioi_cv", round(c, 1), "%", f"uneven run at {clock(s[0])}", [s]))
    if uneven:
        comment = f"Uneven note values in the runs at {spans_phrase(uneven)} (gaps vary up to {max(cvs):.0f}%)."
    else:
        comment = f"Note values are even in the runs (gaps vary {cv:.0f}%)."
    return Finding("note_values", comment, [Reading("run_ioi_cv", cv)], evidence)
