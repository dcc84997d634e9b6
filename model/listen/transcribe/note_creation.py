"""Posteriorgrams → notes: basic-pitch's note-creation rule, written here for numpy.

basic-pitch's model gives, per frame and key, an onset posterior and a note ("frame") posterior. Its
default decoding (basic_pitch/note_creation.py, `output_to_notes_polyphonic`, Apache-2.0), followed here:

1. onsets are also inferred from sudden rises of the note posterior (the smaller of the rises over 1 and
   2 frames, scaled to the onset posterior's maximum), and the larger of the two is kept;
2. every strict local maximum in time of that onset curve ≥ ONSET_THRESHOLD starts a note, latest
   first; the note runs while the key's remaining note posterior stays ≥ FRAME_THRESHOLD, tolerating
   fewer than ENERGY_TOL frames below it; a note of MIN_NOTE_FRAMES frames or fewer is dropped;
   a kept note's frames (and its two neighbouring keys') are removed from the remaining posterior;
3. "melodia trick": what remains above FRAME_THRESHOLD is followed from its highest frame forwards and
   backwards the same way and becomes a note without an onset peak (a long note whose attack was missed).

A note's amplitude is the mean note posterior over its frames (0..1), as basic-pitch reports it.
Ours, not basic-pitch's: `onset_ok` restricts where a note may start (the fast transcriber passes where
the audio shows an attack, levels.py), for steps 2 and 3 alike; without it the rule is basic-pitch's.

Shapes: t frames, k = 88 keys (MIDI 21..108).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from llaqo.model.listen.notes import LOWEST_KEY  # MIDI number of the first of the 88 columns

ONSET_THRESHOLD = 0.5  # basic-pitch's defaults
FRAME_THRESHOLD = 0.3
MIN_NOTE_FRAMES = 11  # round(127.7 ms × 22050 / 256); notes must be longer than this
ENERGY_TOL = 11  # frames below FRAME_THRESHOLD that end a note
INFER_ONSET_DIFFS = 2
MELODIA_ATTACK_FRAMES = 2  # with onset_ok: how near its start a melodia note's attack must be


@dataclass(frozen=True)
class NoteEvent:
    """One decoded note in frames: [start, end) on the posteriorgram's grid."""

    start: int
    end: int
    pitch: int  # MIDI
    amplitude: float  # mean note posterior over the note, 0..1
    from_onset: bool  # False for a note found by the melodia trick


def inferred_onsets(onsets: np.ndarray, frames: np.ndarray) -> np.ndarray:
    """(t, k) onset posterior joined with onsets read from sudden rises of the note posterior."""
    t = frames.shape[0]
    rises = []
    for n in range(1, INFER_ONSET_DIFFS + 1):
        before = np.zeros_like(frames)  # the posterior n frames earlier, silence before the start
        before[n:] = frames[: max(0, t - n)]
        rises.append(frames - before)
    rise = np.clip(np.min(rises, axis=0), 0, None)
    rise[:INFER_ONSET_DIFFS] = 0
    top = rise.max(initial=0.0)
    if top > 0:
        rise *= onsets.max() / top
    return np.maximum(onsets, rise)


def onset_peaks(onsets: np.ndarray, threshold: float = ONSET_THRESHOLD) -> tuple[np.ndarray, np.ndarray]:
    """(frame, key) of every strict local maximum in time at or above `threshold`, latest first."""
    x = onsets
    peak = np.zeros(x.shape, dtype=bool)
    peak[1:-1] = (x[1:-1] > x[:-2]) & (x[1:-1] > x[2:]) & (x[1:-1] >= threshold)
    frame, key = np.nonzero(peak)
    order = np.lexsort((key, frame))[::-1]  # basic-pitch walks np.where's (frame, key) order backwards
    return frame[order], key[order]


def _run_end(column: np.ndarray, start: int, threshold: float, tol: int) -> int:
    """First frame after the run that begins at `start` (tolerating < tol frames below threshold)."""
    last = len(column) - 1
    i, below = start + 1, 0
    while i < last and below < tol:
        below = below + 1 if column[i] < threshold else 0
        i += 1
    return i - below


def _clear(remaining: np.ndarray, lo: int, hi: int, key: int) -> None:
    """Remove frames lo..hi-1 of a key and its two neighbours from the remaining posterior."""
    remaining[lo:hi, max(0, key - 1) : key + 2] = 0


def posteriors_to_notes(onsets: np.ndarray, frames: np.ndarray, onset_ok: np.ndarray | None = None,
                        onset_threshold: float = ONSET_THRESHOLD, frame_threshold: float = FRAME_THRESHOLD,
                        min_note_frames: int = MIN_NOTE_FRAMES, melodia: bool = True) -> list[NoteEvent]:
    """onsets, frames (t, k) posteriors in 0..1 → note events, in basic-pitch's default way.

    onset_ok (t, k) bool, optional: where a note may start (the fast transcriber passes where the audio
    shows an attack): other onset peaks are ignored, as if below the threshold, and a melodia-trick note
    is kept only with an allowed start within MELODIA_ATTACK_FRAMES of its own.
    """
    n_frames = frames.shape[0]
    onset_curve = inferred_onsets(onsets, frames)
    remaining = frames.astype(np.float32, copy=True)
    events = []
    for start, key in zip(*onset_peaks(onset_curve, onset_threshold)):
        if start >= n_frames - 1 or (onset_ok is not None and not onset_ok[start, key]):
            continue
        end = _run_end(remaining[:, key], start, frame_threshold, ENERGY_TOL)
        if end - start <= min_note_frames:
            continue
        _clear(remaining, start, end, key)
        events.append(NoteEvent(int(start), int(end), int(key) + LOWEST_KEY,
                                float(frames[start:end, key].mean()), True))
    if melodia:
        found = _melodia_notes(remaining, frames, frame_threshold, min_note_frames)
        if onset_ok is not None:  # a note of its own needs an attack too, somewhere near its start
            found = [e for e in found if onset_ok[max(0, e.start - MELODIA_ATTACK_FRAMES) :
                                                  e.start + MELODIA_ATTACK_FRAMES + 1, e.pitch - LOWEST_KEY].any()]
        events += found
    return events


def _melodia_notes(remaining: np.ndarray, frames: np.ndarray, threshold: float, min_note_frames: int
                   ) -> list[NoteEvent]:
    """Follow what is left above threshold from its highest frame outwards (basic-pitch's melodia trick).

    basic-pitch takes the argmax of the remaining posterior on every round; values are only ever set to
    zero, so visiting the cells above threshold in descending order once, skipping cleared ones, picks
    the same cells without a full argmax per round.
    """
    n_frames = frames.shape[0]
    flat = remaining.ravel()
    candidates = np.flatnonzero(flat > threshold)
    candidates = candidates[np.argsort(-flat[candidates], kind="stable")]
    events = []
    for cell in candidates:
        if flat[cell] <= threshold:
            continue  # cleared by an earlier note
        mid, key = divmod(int(cell), remaining.shape[1])
        remaining[mid, key] = 0
        end = _walk(remaining, mid, key, +1, threshold, n_frames)
        start = _walk(remaining, mid, key, -1, threshold, n_frames)
        if end - start <= min_note_frames:
            continue
        events.append(NoteEvent(start, end, key + LOWEST_KEY, float(frames[start:end, key].mean()), False))
    return events


def _walk(remaining: np.ndarray, mid: int, key: int, step: int, threshold: float, n_frames: int) -> int:
    """Clear and follow one key from `mid` in direction `step`; → the note's end (step +1, exclusive)
    or start (step −1), back at the last frame above threshold."""
    i, below = mid + step, 0
    lo, hi = max(0, key - 1), key + 2
    while (i < n_frames - 1 if step > 0 else i > 0) and below < ENERGY_TOL:
        below = below + 1 if remaining[i, key] < threshold else 0
        remaining[i, lo:hi] = 0
        i += step
    return i - 1 - below if step > 0 else i + 1 + below
