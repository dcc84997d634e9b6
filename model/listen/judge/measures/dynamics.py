"""Natural dynamics (the loudness curve: range used, smoothness, abrupt jumps) and a solid sound.

Levels are the transcriber's note velocities: transkun reads them from the timbre, so they barely depend
on the recording's gain; the fast transcriber reads them from each note's level in the audio (levels.py),
so they follow the gain. The signal's own loudness range (dB) is given as evidence beside them.
"""

from __future__ import annotations

import numpy as np

from llaqo.common.times import spans_phrase
from llaqo.model.listen.judge.analysis import Analysis
from llaqo.model.listen.judge.measures.base import Finding, Reading, spans_where, too_few
from llaqo.rubric.report import Evidence

SMOOTH_S = 0.75  # the loudness curve is the notes' velocity averaged over ±this
JUMP = 28  # velocity change between successive melody notes (< JUMP_GAP_S apart) that sounds abrupt
# (28, not less: transkun's velocities of one evenly played line scatter by up to ~25 in a reverberant room)
JUMP_GAP_S = 0.6
LITTLE_SHAPE = 6.0  # a loudness curve spanning less than this has little dynamic shape (rated 4 or less)
WEAK = 35  # notes softer than this sound thin
GHOST = 15  # softer than this, a note is not followed by the loudness curve (nor on the melody line)


def _melody(a: Analysis) -> np.ndarray:
    """The line that carries the dynamics: the right hand's top notes, or the only hand's."""
    line = a.line(True)
    line = line if len(line) >= 4 else a.line(False)
    # a near-silent note on top (a transcriber's ghost in a room's reverberation, velocity 3–14) is no
    # melody note: it would read as two abrupt jumps
    return line[a.notes.velocity[line] >= GHOST]


def loudness_curve(a: Analysis) -> tuple[np.ndarray, np.ndarray]:
    """(times, smoothed velocity) at each onset: the velocity of every note sounding within ±SMOOTH_S
    averaged, not the melody's alone. A line played at one velocity still reads with a spread of ~8
    through transkun (its estimate of a top note in a chord is noisy), so the melody's own curve
    saturates; the phrase's dynamics move all the voices, and their mean averages that noise out
    (outside set, tuning half: a flattened chorale 8.0 along the melody, 2.5 over all the notes)."""
    n = a.notes
    return smoothed_level(n.onset, n.velocity, n.velocity >= GHOST)  # a transcriber's ghost is no part of it


def smoothed_level(onsets: np.ndarray, velocities: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(times, level) at each distinct onset of the kept notes: their velocity averaged over ±SMOOTH_S."""
    t, v = onsets[keep], velocities[keep].astype(float)
    at = np.unique(t)
    return at, np.array([v[np.abs(t - x) <= SMOOTH_S].mean() for x in at])


def dynamics(a: Analysis) -> Finding:
    n = a.notes
    line = _melody(a)
    if len(line) < 6:
        return too_few("dynamics", "Too few notes in this part to follow the dynamics.")
    at, curve = loudness_curve(a)
    span = float(np.percentile(curve, 90) - np.percentile(curve, 10))
    t, v = n.onset[line], n.velocity[line]
    step = np.abs(np.diff(v))
    close = np.diff(t) < JUMP_GAP_S
    jumps = (step > JUMP) & close
    minutes = max((t[-1] - t[0]) / 60, 1 / 6)
    rate = float(jumps.sum() / minutes)
    spans = spans_where(t[1:], jumps, join_s=1.0)
    evidence = [
        Evidence("dynamic_range", round(span, 1), "velocity",
                 f"the loudness curve spans {span:.0f} velocity steps (10th–90th percentile)",
                 [(float(at[0]), float(at[-1]))]),
        Evidence("abrupt_jumps", round(rate, 1), "per minute",
                 f"{int(jumps.sum())} jumps of more than {JUMP} velocity between neighbouring melody notes", spans),
    ]
    level_db = _signal_range_db(a)
    if level_db is not None:
        evidence.append(Evidence("signal_range", round(level_db, 1), "dB",
                                 "loudness range of the sound itself (5th–95th percentile, 0.5-s frames)"))
    parts = []
    if spans:
        parts.append(f"abrupt changes at {spans_phrase(spans)}")
    if span < LITTLE_SHAPE:
        parts.append(f"little dynamic shape (range {span:.0f})")
    if parts:
        comment = "Dynamics: " + "; ".join(parts) + "."
    else:
        rise = at[int(np.argmax(curve))]
        peak = spans_phrase([(rise, rise)])
        comment = f"Natural dynamic shape (range {span:.0f}, peak around {peak}), no abrupt jumps."
    return Finding("dynamics", comment, [Reading("dynamic_range", span), Reading("abrupt_jumps", rate)], evidence)


def sound(a: Analysis) -> Finding:
    n = a.notes
    if len(n) < 4:
        return too_few("sound", "Too few notes in this part to judge the sound.")
    median = float(np.median(n.velocity))
    weak = n.velocity < WEAK
    share = float(weak.mean() * 100)
    spans = spans_where(n.onset, weak, join_s=1.0)
    evidence = [
        Evidence("median_velocity", round(median, 1), "velocity", f"notes are played at {median:.0f} (median)"),
        Evidence("weak_share", round(share, 1), "%", f"{int(weak.sum())} notes softer than {WEAK}: thin", spans),
    ]
    if share > 25:
        comment = f"Thin sound: many notes barely sound ({share:.0f}% softer than {WEAK}), at {spans_phrase(spans)}."
    elif median < 50:
        comment = f"The sound is light (median velocity {median:.0f}): play deeper into the keys."
    else:
        comment = f"Solid, full sound (median velocity {median:.0f})."
    return Finding("sound", comment, [Reading("median_velocity", median), Reading("weak_share", share)], evidence)


def _signal_range_db(a: Analysis) -> float | None:
    x, rate = a.tr.signal, a.tr.signal_rate
    if x is None or not rate or len(x) < rate:
        return None
    frame = rate // 2
    frames = x[: len(x) // frame * frame].reshape(-1, frame)
    db = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-12)
    db = db[db > db.max() - 60]  # silence is not a level
    return float(np.percentile(db, 95) - np.percentile(db, 5)) if len(db) > 2 else None
