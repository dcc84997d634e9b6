"""The judging checks of the outside-material benchmark (bench/listen_outside.py): calibration on good
playing, flaws injected into the performances, and rating/remark contradictions.

A performance is an array (n, 4) of [onset s, offset s, MIDI pitch, velocity] plus sustain-pedal events
[time s, CC64 value]; a flaw is a function of both that returns both.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from llaqo.model.listen.judge import rating
from llaqo.model.listen.judge.dimensions import DIMENSIONS, OVERALL
from llaqo.model.listen.judge.segment import SegmentJudge
from llaqo.model.listen.notes import SUSTAIN, Note, Pedal, Transcription


def left_hand(notes: np.ndarray) -> np.ndarray:
    """(n,) bool: the notes a pianist's left hand plays — the lower of a time-local two-means split of
    the pitches (the engine's own hand split, analysis.Analysis.right_hand), in the order of `notes`."""
    from llaqo.model.listen.judge.analysis import Analysis

    tr = as_transcription(notes, [])
    right = Analysis(tr).right_hand
    key = {(round(n.onset, 6), n.pitch): k for k, n in enumerate(tr.notes)}
    order = np.array([key[(round(float(a), 6), int(p))] for a, _, p, _ in notes])
    return ~right[order]


def as_transcription(notes: np.ndarray, pedal: list[list[float]], end_s: float | None = None) -> Transcription:
    """The performance itself as a transcription (what the measures would read from a perfect transcriber)."""
    heard = [Note(int(p), float(a), float(b), int(v)) for a, b, p, v in notes]
    return Transcription(heard, 0.0, float(end_s or notes[:, 1].max()), pedal_spans(pedal), True)


def pedal_spans(events: list[list[float]]) -> list[Pedal]:
    spans, down = [], None
    for t, v in sorted(events):
        if v >= 64 and down is None:
            down = t
        elif v < 64 and down is not None:
            spans.append(Pedal(down, t, SUSTAIN))
            down = None
    return spans


@dataclass
class Judged:
    overall: int | None
    ratings: dict[str, int]  # dimension → rating, rated ones only
    comments: dict[str, str]


def judge(tr: Transcription) -> Judged:
    j = SegmentJudge(tr)
    ratings, comments = {}, {}
    for name, d in DIMENSIONS.items():
        if d.needs_score or not d.in_overall:
            continue
        f = j.get(name)
        if f.rating is not None:
            ratings[name], comments[name] = f.rating, f.comment
    return Judged(j.get(OVERALL).rating, ratings, comments)


def good_playing(j: Judged) -> bool:
    """What a professional performance should get: overall ≥ 5 and no dimension below 4."""
    return j.overall is not None and j.overall >= 5 and min(j.ratings.values(), default=6) >= 4


def contradictions(j: Judged) -> list[str]:
    """Ratings of 5–6 whose remark names a fault without saying it is minor."""
    return [f"{d} {r}: {j.comments[d]}" for d, r in j.ratings.items() if r >= rating.MINOR_FROM
            and rating.names_fault(j.comments[d])]


# ---- flaws: each returns (notes, pedal) and names the dimension whose rating must fall


def timing_jitter(notes, pedal, rng):
    """Each onset (a chord as one) 30 ms early or late at random (per note would be ragged chords)."""
    out = notes.copy()
    groups = np.round(notes[:, 0] / 0.03).astype(int)
    _, index = np.unique(groups, return_inverse=True)
    shift = rng.normal(0, 0.03, index.max() + 1)[index]
    out[:, 0] = np.maximum(out[:, 0] + shift, 0.0)
    out[:, 1] = np.maximum(out[:, 1] + shift, out[:, 0] + 0.03)
    return out, pedal


def unsteady_tempo(notes, pedal, rng):
    """The beat lurches: the local tempo jumps ±15 % every second or so (not a phrase-shaped rubato)."""
    grid = np.arange(0, notes[:, 1].max() + 2, 0.05)
    factor = np.repeat(1 + rng.choice([-0.15, 0.15], size=len(grid) // 20 + 1), 20)[: len(grid)]
    warped = np.concatenate([[0.0], np.cumsum(np.diff(grid) * factor[1:])])
    out = notes.copy()
    out[:, 0], out[:, 1] = np.interp(notes[:, 0], grid, warped), np.interp(notes[:, 1], grid, warped)
    return out, [[float(np.interp(t, grid, warped)), v] for t, v in pedal]


def flat_dynamics(notes, pedal, rng):
    out = notes.copy()
    out[:, 3] = np.round(np.median(notes[:, 3]))
    return out, pedal


def hands_apart(notes, pedal, rng):
    out = notes.copy()
    left = left_hand(notes)
    out[left, :2] += 0.07
    return out, pedal


def staccato(notes, pedal, rng):
    out = notes.copy()
    out[:, 1] = out[:, 0] + np.maximum((out[:, 1] - out[:, 0]) * 0.3, 0.05)
    return out, []  # no pedal: the detached touch is heard


def ragged_chords(notes, pedal, rng):
    out = notes.copy()
    keys = np.round(notes[:, 0] / 0.03)
    for k in np.unique(keys):
        group = np.flatnonzero(keys == k)
        if len(group) > 1:
            out[group, 0] += rng.uniform(0, 0.06, len(group))
    out[:, 1] = np.maximum(out[:, 1], out[:, 0] + 0.03)
    return out, pedal


def hand_imbalance(notes, pedal, rng):
    out = notes.copy()
    left = left_hand(notes)
    out[left, 3] = np.minimum(out[left, 3] + 30, 120)
    out[~left, 3] = np.maximum(out[~left, 3] - 20, 20)
    return out, pedal


FLAWS = {  # name: (function, the dimension whose rating must fall)
    "timing jitter": (timing_jitter, "rhythm"),
    "unsteady tempo": (unsteady_tempo, "tempo"),
    "flat dynamics": (flat_dynamics, "dynamics"),
    "hands apart": (hands_apart, "hand_timing"),
    "staccato": (staccato, "lines"),
    "ragged chords": (ragged_chords, "attack"),
    "hand imbalance": (hand_imbalance, "hand_balance"),
}


def flaw_response(clean: Judged, flawed: Judged, dimension: str) -> bool | None:
    """Whether the matching rating fell; None where either take has no rating for it."""
    a, b = clean.ratings.get(dimension), flawed.ratings.get(dimension)
    if a is None or b is None:
        return None
    return b < a


# ---- score errors: 5 wrong, 5 missing and 5 extra notes injected; what the score follower reports


def inject_score_errors(notes: np.ndarray, rng, each: int = 5):
    """(notes with `each` wrong, missing and extra notes, truth [(type, time s, pitch)]): wrong notes a
    semitone or two off, missing ones left out, extra ones struck between the notes (chosen apart).
    A wrong or extra note never lands on a key the take strikes within UNISON_S of it: one key struck
    twice that close sounds (and, on a piano, can be played) only once, so no listener could hear the
    error (on the tuning pieces one such draw in ten had, before this rule); and an extra note, like
    the wrong and missing ones, lies 0.3 s from every other error (an extra note beside a missing one in
    the same chord is a wrong note, to any listener)."""
    out = notes.copy()
    order = rng.permutation(np.arange(2, len(notes) - 2))
    picked: list[int] = []
    for k in order:  # at least 0.3 s apart, so that each error is a separate event
        if all(abs(notes[k, 0] - notes[j, 0]) > 0.3 for j in picked):
            picked.append(int(k))
        if len(picked) == 2 * each:
            break
    truth = []
    for k in picked[:each]:
        shifts = [int(d) for d in rng.permutation([-2, -1, 1, 2])]
        shift = next((d for d in shifts if not _struck_at(out, notes[k, 0], notes[k, 2] + d)), shifts[0])
        out[k, 2] += shift
        truth.append(("wrong", float(notes[k, 0]), int(out[k, 2])))
    for k in picked[each:]:
        truth.append(("missing", float(notes[k, 0]), int(notes[k, 2])))
    out = np.delete(out, picked[each:], axis=0)
    extra = []
    for _ in range(each):
        for _draw in range(50):
            k = int(rng.integers(1, len(notes) - 1))
            t = float((notes[k, 0] + notes[k + 1, 0]) / 2)
            pitch = int(notes[k, 2] + rng.choice([-7, -5, 5, 7]))
            apart = all(abs(t - x[1]) > 0.3 for x in truth)  # a separate event, like the others
            if apart and not _struck_at(np.concatenate([out, np.reshape(extra, (-1, 4))]), t, pitch):
                break
        extra.append([t, t + 0.15, pitch, float(np.median(notes[:, 3]))])
        truth.append(("extra", t, pitch))
    out = np.concatenate([out, np.array(extra)])
    return out[np.argsort(out[:, 0], kind="stable")], truth


UNISON_S = 0.1


def _struck_at(notes: np.ndarray, t: float, pitch: float) -> bool:
    """Whether `notes` strike key `pitch` within UNISON_S of t."""
    return bool(np.any((notes[:, 2] == pitch) & (np.abs(notes[:, 0] - t) < UNISON_S)))


def reported_errors(follower, tr: Transcription, keys=None, weigh: bool = True) -> list[tuple[str, float, int]]:
    """What the score follower reports for a take (type, time s, pitch played or expected); `keys`:
    the take's audio (KeyRises) when it was heard through a transcriber, as `assess` gives it;
    `weigh=False`: the alignment's leftovers before the claims are weighed."""
    from llaqo.model.listen.judge.analysis import Analysis

    a = Analysis(tr)
    c = follower.comparison(a, keys, weigh)
    n = a.notes
    return ([("wrong", float(n.onset[k]), int(n.pitch[k])) for k, _ in c.wrong]
            + [("extra", float(n.onset[k]), int(n.pitch[k])) for k in c.extra]
            + [("missing", float(due), int(s.pitch)) for s, due in c.missing])


def error_hits(reported, truth, tolerance_s: float = 0.15) -> tuple[int, int, int]:
    """(reported, true, correctly reported): same type, same pitch, within `tolerance_s` (missing notes:
    twice that, as their time is inferred from the tempo)."""
    false_claims, _ = unmatched_errors(reported, truth, tolerance_s)
    return len(reported), len(truth), len(reported) - len(false_claims)


def unmatched_errors(reported, truth, tolerance_s: float = 0.15) -> tuple[list, list]:
    """(reported errors matching no true one, true errors not reported), under error_hits' rule: each
    reported error takes the first free true error of its type and pitch within the tolerance."""
    free, false_claims = list(truth), []
    for kind, t, p in reported:
        tol = tolerance_s * (2 if kind == "missing" else 1)
        match = next((x for x in free if x[0] == kind and x[2] == p and abs(x[1] - t) <= tol), None)
        if match is None:
            false_claims.append((kind, t, p))
        else:
            free.remove(match)
    return false_claims, free
