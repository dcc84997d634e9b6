"""Hand balance (melody against accompaniment level) and hands aligned in time (onset asynchrony)."""

from __future__ import annotations

import numpy as np

from llaqo.common.times import merge_spans, spans_phrase
from llaqo.model.listen.judge.analysis import Analysis
from llaqo.model.listen.judge.measures.base import Finding, Reading, spans_where, too_few
from llaqo.rubric.report import Evidence

BALANCE_WINDOW_S = 4.0  # the balance is also read window by window, to say where it tips
TOGETHER = (0.4, 0.12)  # a left-hand onset is "meant with" a right-hand one within this share of the tatum / s


def balance(a: Analysis) -> Finding:
    if not a.two_hands:
        return too_few("hand_balance", "Only one hand is heard in this part: no balance to judge.")
    n = a.notes
    melody = a.line(True)
    left = np.nonzero(~a.right_hand)[0]
    diff = float(np.median(n.velocity[melody]) - np.median(n.velocity[left]))
    starts = np.arange(a.tr.start_s, a.tr.end_s, BALANCE_WINDOW_S)
    tipped = []
    for s in starts:
        m = melody[(n.onset[melody] >= s) & (n.onset[melody] < s + BALANCE_WINDOW_S)]
        acc = left[(n.onset[left] >= s) & (n.onset[left] < s + BALANCE_WINDOW_S)]
        if len(m) >= 2 and len(acc) >= 2 and np.median(n.velocity[m]) - np.median(n.velocity[acc]) < -3:
            tipped.append((float(s), float(min(s + BALANCE_WINDOW_S, a.tr.end_s))))
    tipped = merge_spans(tipped)
    evidence = [Evidence("melody_over_accompaniment", round(diff, 1), "velocity",
                         f"melody {np.median(n.velocity[melody]):.0f} vs accompaniment "
                         f"{np.median(n.velocity[left]):.0f} (median velocity)", tipped)]
    if diff < -3:
        comment = f"The left hand covers the melody ({-diff:.0f} velocity louder)"
        comment += f", most at {spans_phrase(tipped)}." if tipped else "."
    elif diff < 3:
        comment = "Melody and accompaniment are at the same level: bring the melody out."
    elif diff > 35:
        comment = f"The melody stands far above the accompaniment (+{diff:.0f}): the left hand is almost lost."
    else:
        comment = f"Good balance: the melody sings over the accompaniment (+{diff:.0f} velocity)."
    return Finding("hand_balance", comment, [Reading("melody_over_accompaniment", diff)], evidence)


def timing(a: Analysis) -> Finding:
    if not a.two_hands:
        return too_few("hand_timing", "Only one hand is heard in this part: no hand alignment to judge.")
    n = a.notes
    right_on = np.unique(n.onset[a.right_hand])
    left_on = np.unique(n.onset[~a.right_hand])
    share, cap = TOGETHER
    limit = min(cap, share * a.pulse.tatum) if a.pulse else cap
    pos = np.clip(np.searchsorted(right_on, left_on), 1, len(right_on) - 1) if len(right_on) > 1 else None
    if pos is None:
        return too_few("hand_timing", "Too few right-hand notes in this part to judge hand alignment.")
    cand = np.stack([right_on[pos - 1], right_on[pos]])
    pick = np.argmin(np.abs(cand - left_on), axis=0)
    nearest = cand[pick, np.arange(len(left_on))]
    lag = left_on - nearest  # > 0: left hand after the right
    # meant with that right-hand onset when closer to it than `share` of the gap to the right hand's
    # next (or previous) onset on the left hand's side: a consistently late hand in slow notes stays
    # "with" its beat, an accompaniment between the melody's notes does not
    side = np.clip(np.searchsorted(right_on, nearest) + np.where(lag > 0, 1, -1), 0, len(right_on) - 1)
    gap = np.abs(right_on[side] - nearest)
    local = np.where(gap > 0, share * gap, limit)
    together = np.abs(lag) <= np.minimum(cap, np.maximum(limit, local))
    if together.sum() < 3:
        return too_few("hand_timing", "The hands rarely play together in this part: nothing to align.")
    lag, at = lag[together], left_on[together]
    mean_abs = float(np.mean(np.abs(lag)) * 1000)
    signed = float(np.mean(lag) * 1000)
    off = np.abs(lag) > 0.03
    spans = spans_where(at, off, join_s=1.5)
    evidence = [Evidence("hand_asynchrony", round(mean_abs, 1), "ms",
                         f"hands {mean_abs:.0f} ms apart on {int(together.sum())} shared beats "
                         f"(left hand {'late' if signed > 0 else 'early'} by {abs(signed):.0f} ms on average)", spans)]
    if spans:
        who = "left hand late" if signed > 0 else "left hand early"
        comment = f"Hands not together at {spans_phrase(spans)} ({who} by {abs(signed):.0f} ms on average)."
    else:
        comment = f"Hands are together (within {mean_abs:.0f} ms on shared beats)."
    return Finding("hand_timing", comment, [Reading("hand_asynchrony", mean_abs)], evidence)
