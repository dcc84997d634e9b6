"""The documented rules from a measurement to a 1–6 rating (docs/listening-engine.md prints this table).

Each rule is a list of (measurement, rating) anchors; between anchors the rating is interpolated
linearly and rounded to the nearest whole number; beyond the end anchors it stays at 1 or 6. A dimension
read by several measurements gets the LOWEST of their ratings (one clear fault is enough to mark down).
Anchors were set from the flaw benchmark (bench/listen_flaws.py) and from what a teacher tolerates:
e.g. 10 ms between the hands is inaudible, 50 ms is heard as "not together".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from llaqo.model.listen.judge.measures.base import Finding


@dataclass(frozen=True)
class Rule:
    measure: str
    unit: str
    anchors: tuple[tuple[float, int], ...]  # (value, rating), values rising
    meaning: str

    def rate(self, value: float) -> int:
        xs = [a for a, _ in self.anchors]
        ys = [r for _, r in self.anchors]
        return int(np.clip(round(float(np.interp(value, xs, ys))), 1, 6))


_RULES = [
    Rule("tempo_cv", "%", ((3, 6), (5, 5), (7, 4), (10, 3), (14, 2), (19, 1)),
         "spread of the local tempo (±0.75 s) around the phrase's tempo (±3 s): unsteadiness, not rubato"),
    Rule("tempo_drift", "%", ((8, 6), (12, 5), (16, 4), (22, 3), (30, 2), (40, 1)),
         "how much the tempo rises or falls over the part as a whole"),
    Rule("grid_deviation", "ms", ((10, 6), (18, 5), (28, 4), (40, 3), (55, 2), (75, 1)),
         "mean distance of onsets from a locally fitted beat grid"),
    Rule("score_timing", "ms", ((10, 6), (18, 5), (28, 4), (40, 3), (55, 2), (75, 1)),
         "mean timing deviation from the aligned score (local tempo removed)"),
    Rule("run_ioi_cv", "%", ((3, 6), (6, 5), (9, 4), (13, 3), (18, 2), (25, 1)),
         "unevenness of the gaps inside runs of equal notes"),
    Rule("legato_deviation", "%", ((3, 6), (8, 5), (15, 4), (25, 3), (40, 2), (55, 1)),
         "how far sound/gap of successive notes falls outside 0.95–1.25"),
    Rule("gap_share", "%", ((5, 6), (15, 5), (30, 4), (50, 3), (70, 2), (85, 1)),
         "share of steps along a line that leave an audible silence"),
    Rule("chord_spread", "ms", ((12, 6), (20, 5), (30, 4), (42, 3), (55, 2), (70, 1)),
         "mean onset spread of one hand's chords"),
    Rule("stray_share", "%", ((1, 6), (3, 5), (6, 4), (10, 3), (15, 2), (25, 1)),
         "share of stray short, soft notes"),
    Rule("melody_over_accompaniment", "velocity", ((-22, 1), (-15, 2), (-8, 3), (-2, 4), (3, 5), (8, 6)),
         "melody level minus accompaniment level"),
    Rule("hand_asynchrony", "ms", ((10, 6), (18, 5), (28, 4), (40, 3), (55, 2), (70, 1)),
         "mean onset gap between the hands on shared beats"),
    Rule("dynamic_range", "velocity", ((1.5, 1), (2.5, 2), (3.5, 3), (4.5, 4), (6, 5), (8, 6)),
         "range of the loudness curve, all the notes' velocity (the transcriber reads about half the played range)"),
    Rule("abrupt_jumps", "per minute", ((2, 6), (5, 5), (10, 4), (16, 3), (24, 2), (35, 1)),
         "abrupt loudness jumps between neighbouring melody notes"),
    Rule("median_velocity", "velocity", ((22, 1), (30, 2), (40, 3), (50, 4), (60, 5), (70, 6)),
         "how deep the notes are played"),
    Rule("weak_share", "%", ((5, 6), (15, 5), (25, 4), (40, 3), (60, 2), (80, 1)),
         "share of notes too soft to sound"),
    Rule("key_clarity", "r", ((0.35, 1), (0.45, 2), (0.55, 3), (0.65, 4), (0.75, 5), (0.85, 6)),
         "best correlation with a major/minor key profile"),
    Rule("out_of_key_share", "%", ((6, 6), (12, 5), (18, 4), (26, 3), (34, 2), (42, 1)),
         "share of the sound (√length × velocity) outside the local key's scale (chromatic writing counts too)"),
    Rule("blurred_presses", "%", ((5, 6), (15, 5), (30, 4), (45, 3), (60, 2), (75, 1)),
         "share of pedal presses that hold a change of harmony"),
    Rule("wrong_note_share", "%", ((1, 6), (3, 5), (6, 4), (10, 3), (15, 2), (25, 1)),
         "wrong, missing and extra notes against the score"),
]
RULES: dict[str, Rule] = {r.measure: r for r in _RULES}


# What a remark says when it names a fault (the measures' own wording). The one rule that keeps a rating
# and its remark in agreement reads this: a rating of MINOR_FROM or more with a remark that names a fault
# is worded as minor (the measurement says the fault is small over the part, so the remark must too).
FAULT_WORDS = re.compile(  # "no stray notes", "no abrupt jumps" are praise: a fault word after "no " is not one
    r"(?<!no )\b(uneven|rush(es|ing)?|drag(s|ging)?|speeds up|slows down|not together|ragged|breaks?|released early|"
    r"held over|silence|covers|bring the melody out|almost lost|abrupt|little dynamic|thin|light|blurs?|"
    r"outside the (local )?key|wrong|hard to hear|missing|extra|early|late|stray)\b", re.IGNORECASE)
MINOR_FROM = 5
MINOR = "Good, with a minor point: "


def names_fault(text: str) -> bool:
    return bool(FAULT_WORDS.search(text)) and not text.startswith(MINOR)


def rate(finding: Finding) -> Finding:
    """Set `finding.rating` from its readings (in place): the lowest rule rating, None without readings;
    then word the remark to agree with it (`agree`)."""
    ratings = [RULES[r.measure].rate(r.value) for r in finding.readings]
    finding.rating = min(ratings) if ratings else None
    return agree(finding)


def agree(finding: Finding) -> Finding:
    """The one rule between a rating and its remark: a remark naming a fault under a rating of 5–6 is
    worded as minor ("Good, with a minor point: …"), so "6/6: hands not together" cannot be said."""
    if finding.rating is not None and finding.rating >= MINOR_FROM and names_fault(finding.comment):
        finding.comment = MINOR + finding.comment[:1].lower() + finding.comment[1:]
    return finding


def overall(findings: list[Finding]) -> int | None:
    """The overall rating: the mean of the dimension ratings, rounded, and at most two above the
    weakest dimension (a performance with one failing aspect is not a 6)."""
    ratings = [f.rating for f in findings if f.rating is not None]
    if not ratings:
        return None
    return int(min(round(float(np.mean(ratings))), min(ratings) + 2))
