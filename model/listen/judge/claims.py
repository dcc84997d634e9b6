"""When a disagreement between the transcription and the score is claimed as the player's error.

The alignment's leftovers are the player's wrong, missing and extra notes *or* the transcriber's
mistakes; a teacher relies on a claim only if it is right, so each leftover is claimed only where the
evidence holds (the score says what to look for; the audio, through keys.KeyRises, says whether it
was struck). Thresholds were set on the outside benchmark's tuning half (bench/listen_outside.py).

- **Extra** (played, not in the score) — withdrawn when it is
  - a ghost: softer than GHOST_VELOCITY × the part's median velocity (a transcriber's faint echo);
  - an overtone: a key 12, 19 or 24 semitones below was struck within OVERTONE_S (its 2nd–4th partial
    is what the transcriber heard; a real doubling at the octave is then not claimed either);
  - not struck in the audio: the key's band rose less than EXTRA_NOTE_RISE_DB at the note's onset —
    only where the transcriber gives no onset evidence (the fast one). With evidence, the note is
    withdrawn only if its onset scored at or below PLAYED_SCORE: under the pedal, or inside a chord,
    a struck key's band rises little (tuning half and development set, seeds 11-14: of the extra notes
    inside the take that the rise alone withdrew, 11 were played and 1 a ghost; recall 0.947 → 0.961
    and 0.939 → 0.950, precision 0.955 → 0.953 and 0.969 → 0.970);
  - after the played stretch (below), like a missing note: after the take the transcriber hears
    notes in the reverb's and the strings' decay (on the tuning material every extra note heard past
    the last aligned one was such a ghost, some of them with a rise of 18 dB and full velocity).
- **Missing** (in the score, not heard) — withdrawn when
  - it lies outside the played stretch (before the first or after the last onset aligned to the
    score: the take starts or stops there; the transcriber's ghosts in the reverb's tail do not count);
  - it is due at the take's first onset and the audio (or the transcriber's evidence, below) is
    given: there every key's band rises from the silence before the take, so the audio cannot confirm
    the absence, and the transcriber drops keys of a chord struck at its very first frames, scoring
    them low as well (on the tuning material and the development set (bench/score_tuning.py), 19 of 23
    such claims were keys it missed; asking its evidence there instead added 48 false claims);
  - it is the middle key of a tripled octave (the keys an octave below and above struck at its due
    time) and the audio is given: its fundamental is the lower key's 2nd partial and its 2nd partial
    the upper key's fundamental, so neither the transcriber nor the key's band can tell whether it
    sounded (tuning material: 8 of 9 such claims were keys the transcriber missed; development set:
    9 of 11);
  - the transcriber's own evidence (`Transcription.onsets`, the accurate transcriber's best interval
    score for a note of that key beginning within SEARCH_MISSING_S of the due time, away from the key's
    transcribed strikes) is above PLAYED_SCORE, zero, the semi-CRF's own line between note and no note:
    the decoder dropped a note it scored as played (inside a chord, or a repeat merged into the note
    before). Where that evidence exists it decides either way, before the audio checks below: at or
    below zero the note is claimed missing even when the key's band rose (a neighbour's partials).
    Tuning half and development set (seeds 11-14): precision 0.904 → 0.944 and 0.897 → 0.940, recall
    0.919 → 0.942 and 0.907 → 0.931; a line at −3 or +3 instead of 0 changes them by under 0.01;
  - the same key is still sounding from an earlier note and the audio shows the key struck again (a
    rise of EXTRA_RISE_DB or more: a repeated note under the pedal that the transcriber merged into
    the one before; without a rise, the key was not struck again and the note is missing);
  - the audio shows the key struck (a rise of MISSED_RISE_DB or more) with no neighbour (±2 semitones)
    or lower partial-source struck at the same moment to explain the rise. The audio is read around
    the due time but never up to the key's next transcribed strike (whose rise is not this note's).
- **Wrong** notes (a played key beside the expected one) — withdrawn when the played note is a ghost:
  softer than GHOST_VELOCITY × the median (as for extra notes: e.g. the transcriber's echo in the
  reverb's tail after the take) unless the audio shows its key clearly struck (MISSED_RISE_DB, the rise
  the missing check takes as proof: the transcriber also under-reads the velocity of real notes
  inside a chord). The score's note is then weighed as a missing one. (A low rise alone does not
  withdraw a wrong note: real wrong notes low in the bass rose as little as 6 dB on the tuning
  material, a ghost after the take 8 dB.)
- **The played stretch** (for missing notes, and extra ones after it) runs from the first to the last
  aligned note that is no ghost and that the audio shows struck: a ghost the transcriber hears after
  the take that happens to fit the score does not stretch it.

Withdrawn leftovers are counted (`Comparison.unsure`) and said in the report's summary, never hidden.
"""

from __future__ import annotations

import numpy as np

from llaqo.model.listen.judge.align import Comparison
from llaqo.model.listen.judge.analysis import Analysis
from llaqo.model.listen.judge.keys import OVERTONES, REACH_S, KeyRises
from llaqo.model.listen.notes import OnsetEvidence

GHOST_VELOCITY = 0.5
OVERTONE_S = 0.06
EXTRA_RISE_DB = 8.0
# an extra note inside the take needs less: a key struck again while it still sounds rises only 5-8 dB,
# and the ghosts that rose that little were those after the take, which the played stretch now leaves
# out (tuning material: 8 → 6 dB found 2 more injected extras, then 5 more on other draws, no false one)
EXTRA_NOTE_RISE_DB = 6.0
MISSED_RISE_DB = 30.0
EDGE_S = 0.1
SEARCH_MISSING_S = 0.12  # a missing note's due time is inferred from the tempo: look this far either side
SEARCH_EXTRA_S = 0.03
HELD_S = (0.05, 0.02)  # "still sounding": struck more than 50 ms before, let go less than 20 ms before
PLAYED_SCORE = 0.0  # the semi-CRF's own boundary: an interval scoring above zero is a note
OWN_STRIKE_S = 0.05  # the onset evidence this close to a transcribed strike of the key is that strike's


def keep_supported(c: Comparison, a: Analysis, keys: KeyRises | None) -> None:
    """Drop from `c` the extra and missing notes the evidence does not hold; count them in c.unsure."""
    n = a.notes
    if len(n) == 0:
        return
    median_velocity = float(np.median(n.velocity))
    ghost = np.array([n.velocity[k] < GHOST_VELOCITY * median_velocity
                      and (keys is None or _onset_rise(k, n, keys) < MISSED_RISE_DB) for k in range(len(n))])
    wrong = [(k, s) for k, s in c.wrong if not ghost[k]]
    ghosts = [(s, float(c.time_map(np.array([s.beat]))[0]) if c.time_map else float(n.onset[k]))
              for k, s in c.wrong if ghost[k]]
    aligned = [k for k, _ in c.matched + c.wrong if not ghost[k] and _struck(k, n, keys)]
    played = n.onset[aligned] if aligned else n.onset
    first, last = float(played.min()), float(played.max())
    onsets = a.tr.onsets
    extra = [k for k in c.extra
             if n.onset[k] <= last + EDGE_S and _extra_holds(k, n, median_velocity, keys, onsets)]
    missing = [(s, due) for s, due in c.missing + ghosts
               if _missing_holds(s.pitch, due, n, first, last, keys, onsets)]
    c.unsure += len(c.extra) - len(extra) + len(c.wrong) - len(wrong) + len(c.missing) + len(ghosts) - len(missing)
    c.extra, c.wrong, c.missing = extra, wrong, sorted(missing, key=lambda x: x[1])


def _struck(k: int, n, keys: KeyRises | None) -> bool:
    """Whether the audio shows played note k's key struck at its onset (True without audio)."""
    return keys is None or _onset_rise(k, n, keys) >= EXTRA_RISE_DB


def _onset_rise(k: int, n, keys: KeyRises) -> float:
    """How much played note k's key band rises (dB) around its onset."""
    return keys.rise(int(n.pitch[k]), float(n.onset[k]), SEARCH_EXTRA_S)


def _struck_near(n, t: float, pitches, t1: float | None = None) -> bool:
    """Whether any of `pitches` was struck within OVERTONE_S of t (of [t, t1] when t1 is given)."""
    t1 = t if t1 is None else t1
    near = (n.onset > t - OVERTONE_S) & (n.onset < t1 + OVERTONE_S)
    return bool(np.isin(n.pitch[near], list(pitches)).any())


def _extra_holds(k: int, n, median_velocity: float, keys: KeyRises | None, onsets: OnsetEvidence | None) -> bool:
    p, t = int(n.pitch[k]), float(n.onset[k])
    if n.velocity[k] < GHOST_VELOCITY * median_velocity:
        return False
    if _struck_near(n, t, [p - d for d in OVERTONES]):
        return False
    if onsets is not None:  # the transcriber's evidence, not the band's rise (module docstring)
        score = onsets.best(p, t - SEARCH_EXTRA_S, t + SEARCH_EXTRA_S)
        return score is None or score > PLAYED_SCORE
    return keys is None or _onset_rise(k, n, keys) >= EXTRA_NOTE_RISE_DB


def _missing_holds(p: int, due: float, n, first: float, last: float, keys: KeyRises | None,
                   onsets: OnsetEvidence | None = None) -> bool:
    if due < first - EDGE_S or due > last + EDGE_S:
        return False
    same = n.pitch == p
    held = same & (n.onset < due - HELD_S[0]) & (n.offset > due - HELD_S[1])
    if keys is None and onsets is None:
        return not held.any()
    if due < first + EDGE_S:  # the take's first chord: see the module's docstring
        return False
    if _struck_near(n, due, [p - 12]) and _struck_near(n, due, [p + 12]):  # inside an octave doubling
        return False
    verdict = _transcriber_says(p, due, n, same, onsets) if onsets is not None else None
    if verdict is not None:
        return verdict
    if keys is None:
        return not held.any()
    # the audio is read from due - SEARCH to due + SEARCH, but never up to the key's next transcribed strike
    later = n.onset[same & (n.onset > due)]
    t0 = due - SEARCH_MISSING_S
    t1 = max(t0, min([due + SEARCH_MISSING_S] + [float(t) - REACH_S for t in later]))
    rise = keys.rise_between(p, t0, t1)
    if held.any():  # merged into the note before only if the audio shows the key struck again
        return rise < EXTRA_RISE_DB
    explained = _struck_near(n, t0, [p + d for d in (-2, -1, 1, 2)] + [p - d for d in OVERTONES], t1 + REACH_S)
    return explained or rise < MISSED_RISE_DB


def _transcriber_says(p: int, due: float, n, same: np.ndarray, onsets: OnsetEvidence) -> bool | None:
    """Whether the transcriber's own onset evidence says the key was not struck near its due time
    (None: no evidence there). Read from due − SEARCH_MISSING_S to due + SEARCH_MISSING_S, leaving out
    the frames within OWN_STRIKE_S of the key's transcribed strikes (their evidence is theirs)."""
    score = onsets.best(p, due - SEARCH_MISSING_S, due + SEARCH_MISSING_S, n.onset[same], OWN_STRIKE_S)
    return None if score is None else score <= PLAYED_SCORE
