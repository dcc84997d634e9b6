"""Even legato, connected lines and a clean attack: how successive notes join, and how chords start.

Successive notes are taken along each hand's line (its top/bottom note per chord). A note's sound
lasts to its key release, or to the sustain pedal's release when the pedal is down then (pedal-aware).
The articulation ratio of a step is sounding length / gap to the next onset: 1 is legato, < 1 leaves a
silence, > 1 overlaps. A transcription with no pedal information (the fast transcriber) gives each note
as long as it is heard to sound — the pedal, if any, is then already in the note's length — and the
evidence says so.
"""

from __future__ import annotations

import numpy as np

from llaqo.common.times import spans_phrase
from llaqo.model.listen.judge.analysis import Analysis
from llaqo.model.listen.judge.measures.base import Finding, Reading, spans_where, too_few
from llaqo.model.listen.judge.measures.pedal import no_pedal_evidence
from llaqo.rubric.report import Evidence

LEGATO_BAND = (0.95, 1.25)  # ratios in here are even legato
MAX_STEP_S = 1.0  # a longer gap between two notes of a line ends a phrase: not judged
AUDIBLE_GAP = (0.9, 0.04)  # a step leaves an audible gap below this ratio and beyond this many seconds
STRAY = (0.05, 40)  # a note shorter than this (s) and softer than this velocity is a stray touch


def steps(a: Analysis) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Both hands' line steps: (onset times (k,), ratios (k,), gaps in s (k,)).

    Connected by the pedal is connected: where the pedal holds a note's sound into the next one, the
    step reads as even legato (ratio 1), however early the key was let go. An overlap counts only
    between neighbouring keys (≤ 2 semitones), where it blurs: a note held under another voice's
    moving line (a chorale's held soprano, a bass under a melody) is voice leading, not overholding."""
    n = a.notes
    pedal = a.tr.sustain_spans()
    times, ratios, gaps = [], [], []
    for right in (True, False):
        line = a.line(right)
        for i, j in zip(line[:-1], line[1:]):
            ioi = n.onset[j] - n.onset[i]
            if ioi <= 0 or ioi > MAX_STEP_S:
                continue
            end = _sounding_end(n.offset[i], pedal)
            ratio = (end - n.onset[i]) / ioi
            if end > n.offset[i] and end >= n.onset[j]:
                ratio = 1.0  # the pedal joins them
            elif ratio > LEGATO_BAND[1] and abs(int(n.pitch[j]) - int(n.pitch[i])) > 2:
                ratio = LEGATO_BAND[1]  # held under a leap: voice leading
            times.append(n.onset[i])
            ratios.append(ratio)
            gaps.append(max(n.onset[j] - end, 0.0) if ratio < 1 else n.onset[j] - end)
    return np.array(times), np.array(ratios), np.array(gaps)


def _sounding_end(offset: float, pedal: list[tuple[float, float]]) -> float:
    for down, up in pedal:
        if down <= offset < up:
            return up
    return offset


def legato(a: Analysis) -> Finding:
    times, ratios, _ = steps(a)
    if len(times) < 4:
        return too_few("legato", "Too few connected notes in this part to judge the legato.")
    lo, hi = LEGATO_BAND
    clipped = np.clip(ratios, 0, 2)
    miss = np.where(clipped < lo, lo - clipped, np.where(clipped > hi, clipped - hi, 0.0))
    dev = float(np.mean(miss) * 100)
    spread = float(np.std(clipped) * 100)
    bad = miss > 0.2
    spans = spans_where(times, bad, join_s=1.5)
    evidence = [
        Evidence("legato_deviation", round(dev, 1), "%",
                 f"successive notes miss an even legato (sound/gap {lo}–{hi}) by {dev:.0f}% on average",
                 [(float(times.min()), float(times.max()))]),
        Evidence("articulation_spread", round(spread, 1), "%",
                 f"sounding length / gap varies {spread:.0f}% (median {np.median(clipped):.2f})"),
    ]
    if spans:
        evidence.append(Evidence("legato_breaks", int(bad.sum()), "steps", "steps far from legato", spans))
        how = "notes released early" if np.median(clipped[bad]) < lo else "notes held over the next"
        if bad.mean() < 0.15:
            comment = f"Even legato overall; brief breaks at {spans_phrase(spans)} ({how})."
        else:
            rest = "; even elsewhere." if bad.mean() < 0.5 else "."
            comment = f"Legato breaks at {spans_phrase(spans)} ({how}){rest}"
    else:
        comment = f"Even legato: notes join the next one cleanly (sound/gap {np.median(clipped):.2f})."
    return Finding("legato", comment, [Reading("legato_deviation", dev)], evidence + no_pedal_evidence(a))


def lines(a: Analysis) -> Finding:
    times, ratios, gaps = steps(a)
    if len(times) < 4:
        return too_few("lines", "Too few notes in a line in this part to judge the connection.")
    ratio_limit, gap_limit = AUDIBLE_GAP
    gapped = (ratios < ratio_limit) & (gaps > gap_limit)
    share = float(gapped.mean() * 100)
    spans = spans_where(times, gapped, join_s=1.5)
    evidence = [Evidence("gap_share", round(share, 1), "%",
                         f"{int(gapped.sum())} of {len(gapped)} steps along the lines leave a silence"
                         f" (median {np.median(gaps[gapped]) * 1000 if gapped.any() else 0:.0f} ms)", spans)]
    if spans:
        comment = f"The line breaks at {spans_phrase(spans)} ({share:.0f}% of steps leave a silence)."
    else:
        comment = "Lines are connected: no audible gaps between successive notes."
    return Finding("lines", comment, [Reading("gap_share", share)], evidence + no_pedal_evidence(a))


def attack(a: Analysis) -> Finding:
    n = a.notes
    spreads, at = [], []
    for h, _ in a.hand_chords:
        spreads.append(float(np.ptp(n.onset[h])))
        at.append(float(n.onset[h].min()))
    stray_lo, stray_vel = STRAY
    stray = (n.duration < stray_lo) & (n.velocity < stray_vel)
    stray_share = float(stray.mean() * 100) if len(n) else 0.0
    if not spreads and len(n) < 4:
        return too_few("attack", "Too few notes in this part to judge the attack.")
    readings = [Reading("stray_share", stray_share)]
    evidence = [Evidence("stray_share", round(stray_share, 1), "%", f"{int(stray.sum())} stray short, soft notes",
                         spans_where(n.onset, stray, join_s=0.5))]
    parts = []
    if spreads:
        spread_ms = float(np.mean(spreads) * 1000)
        readings.insert(0, Reading("chord_spread", spread_ms))
        ragged = np.array(spreads) > 0.025
        spans = spans_where(np.array(at), ragged, join_s=1.0)
        evidence.insert(0, Evidence("chord_spread", round(spread_ms, 1), "ms",
                                    f"notes of one hand's chords start {spread_ms:.0f} ms apart on average", spans))
        if spans:
            parts.append(f"chords not together at {spans_phrase(spans)} (up to {max(spreads) * 1000:.0f} ms)")
    if stray.any():
        parts.append(f"stray notes at {spans_phrase(evidence[-1].times)}")
    comment = ("Attack: " + "; ".join(parts) + ".") if parts else "Clean attack: chords start together, no stray notes."
    return Finding("attack", comment, readings, evidence)
