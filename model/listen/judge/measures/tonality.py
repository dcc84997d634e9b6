"""Sense of tonality: how clearly the notes (weighted by √length and loudness) fit one key.

Key clarity is the best correlation of the pitch-class profile with the 24 Krumhansl–Kessler key
profiles (Krumhansl 1990); read over the whole part and over 8-s windows, to say where it blurs. The
share of the sound outside that key's scale (major, or minor with both sevenths) is read beside it:
wrong notes show there long before they move the correlation.
"""

from __future__ import annotations

import numpy as np

from llaqo.common.music import PITCH_CLASSES
from llaqo.common.times import merge_spans, spans_phrase
from llaqo.model.listen.judge.analysis import Analysis
from llaqo.model.listen.judge.measures.base import Finding, Reading, spans_where, too_few
from llaqo.rubric.report import Evidence

MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
WINDOW_S = 8.0
BLURRED = 0.6
SCALES = {"major": (0, 2, 4, 5, 7, 9, 11), "minor": (0, 2, 3, 5, 7, 8, 10, 11)}  # minor: natural + raised 7th


def best_key(pitch: np.ndarray, weight: np.ndarray) -> tuple[str, float]:
    """('G major', r) for the key whose profile correlates best with the weighted pitch classes."""
    profile = np.bincount(pitch % 12, weights=weight, minlength=12)
    if profile.sum() <= 0 or np.ptp(profile) == 0:
        return "", 0.0
    best = ("", -1.0)
    for tonic in range(12):
        for mode, ref in (("major", MAJOR), ("minor", MINOR)):
            r = float(np.corrcoef(profile, np.roll(ref, tonic))[0, 1])
            if r > best[1]:
                best = (f"{PITCH_CLASSES[tonic]} {mode}", r)
    return best


def tonality(a: Analysis) -> Finding:
    n = a.notes
    if len(n) < 8:
        return too_few("tonality", "Too few notes in this part to hear a key.")
    # longer notes weigh more, but only as the square root of their length: a transcriber's release
    # times are its least certain output, and a held chord tone must not outweigh the melody's tonic
    weight = np.sqrt(np.minimum(n.duration, 2.0)) * n.velocity
    key, r = best_key(n.pitch, weight)
    # music modulates: each note is heard against the key of the 8-s window around it (the whole
    # part's key where a window has too few notes), and the clarity is the windows' median fit
    local_keys, fits, blurred = [], [], []
    starts = np.arange(a.tr.start_s, max(a.tr.end_s - WINDOW_S / 2, a.tr.start_s + 1e-6), WINDOW_S / 2)
    for s in starts:
        m = (n.onset >= s) & (n.onset < s + WINDOW_S)
        k, rk = best_key(n.pitch[m], weight[m]) if m.sum() >= 8 else (key, r)
        local_keys.append(k)
        fits.append(rk)
        if m.sum() >= 8 and rk < BLURRED:
            blurred.append((float(s), float(min(s + WINDOW_S, a.tr.end_s))))
    blurred = merge_spans(blurred)
    clarity = float(np.median(fits)) if fits else r
    centre = starts + WINDOW_S / 2
    nearest = np.argmin(np.abs(n.onset[:, None] - centre[None, :]), axis=1)
    outside = np.array([_outside(int(p), local_keys[w]) for p, w in zip(n.pitch, nearest)])
    chromatic = float(100 * weight[outside].sum() / max(weight.sum(), 1e-9))
    keys_heard = list(dict.fromkeys(local_keys))
    evidence = [Evidence("key_clarity", round(clarity, 3), "r",
                         f"fits {', then '.join(keys_heard[:4])} with correlation {clarity:.2f} (median over 8-s "
                         f"windows; the whole part: {key}, {r:.2f})", [(float(n.onset[0]), float(n.offset.max()))]),
                Evidence("out_of_key_share", round(chromatic, 1), "%",
                         f"{int(outside.sum())} notes outside the local key",
                         spans_where(n.onset, outside, join_s=1.0))]
    if blurred:
        evidence.append(Evidence("key_blurred", len(blurred), "spans", f"key unclear (r < {BLURRED})", blurred))
    named = key if len(keys_heard) == 1 else f"{keys_heard[0]}, moving to {', '.join(keys_heard[1:3])}"
    # without a score, notes outside the key are chromatic writing as often as slips: said, not blamed
    # (wrong notes are claimed only against a reference, by the accuracy dimension)
    if chromatic > 6:
        comment = (f"{named}; {chromatic:.0f}% of the sound lies outside the local key (at "
                   f"{spans_phrase(evidence[1].times)})" + (": chromatic writing, or notes to check against the "
                                                            "score." if chromatic > 12 else "."))
    elif clarity >= 0.75 and not blurred:
        comment = f"Clear sense of {named} (key fit {clarity:.2f})."
    elif clarity >= 0.6:
        comment = f"Mostly in {named} (key fit {clarity:.2f})" + (
            f"; the key blurs at {spans_phrase(blurred)}." if blurred else ".")
    else:
        comment = f"The key is hard to hear (best fit {named}, {clarity:.2f})" + (
            f"; it blurs at {spans_phrase(blurred)}." if blurred else ".")
    return Finding("tonality", comment, [Reading("key_clarity", clarity), Reading("out_of_key_share", chromatic)],
                   evidence)


def _outside(pitch: int, key: str) -> bool:
    tonic, mode = PITCH_CLASSES.index(key.split()[0]), key.split()[1]
    return (pitch - tonic) % 12 not in SCALES[mode]
