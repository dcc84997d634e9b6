"""Performances with controlled flaws, and one passage per technique, as note lists (rendered with
tests.fixtures.piano). Shared by the listen tests and bench/listen_flaws.py. All deterministic."""

from __future__ import annotations

import math
import random
from dataclasses import replace

from llaqo.model.testing.piano import Note

C_MAJOR = [0, 2, 4, 5, 7, 9, 11]
MELODY = [0, 1, 2, 3, 4, 3, 2, 1, 2, 3, 4, 5, 6, 5, 4, 2, 0, 1, 2, 4, 3, 2, 1, 0]  # scale degrees, mostly steps
BASS = [(48, [0, 7, 4, 7]), (53, [0, 7, 4, 7]), (55, [0, 7, 5, 7]), (48, [0, 7, 4, 7])]  # Alberti, I IV V I


def _degree(d: int, base: int = 72) -> int:
    return base + C_MAJOR[d % 7] + 12 * (d // 7)


def is_left(n: Note) -> bool:
    """In `base`, the left hand plays below E4 and the right hand above."""
    return n.pitch < 64


def base(seconds: float = 16.0, bpm: float = 100.0) -> list[Note]:
    """Two hands, C major: a legato eighth-note melody shaped in four-bar swells over a soft Alberti bass,
    with a right-hand chord on every bar's first beat."""
    rng = random.Random(7)
    eighth = 30.0 / bpm
    notes, i = [], 0
    while (i + 1) * eighth <= seconds:
        t = i * eighth
        swell = math.sin(math.pi * ((i % 32) / 32))  # crescendo then diminuendo over four bars
        vel = int(70 + 22 * swell + rng.randint(-3, 3))
        pitch = _degree(MELODY[i % len(MELODY)])
        notes.append(Note(pitch, t, t + eighth * 1.03, vel))
        if i % 8 == 0:  # the bar's chord under the melody: a third and a fifth below
            notes += [Note(_degree(MELODY[i % len(MELODY)] - 2), t, t + eighth * 1.03, vel - 8)]
        root, pattern = BASS[(i // 8) % len(BASS)]
        notes.append(Note(root + pattern[i % 4], t, t + eighth * 1.03, int(50 + 8 * swell + rng.randint(-2, 2))))
        i += 1
    return notes


def _onset_groups(notes: list[Note]) -> dict[float, list[int]]:
    groups: dict[float, list[int]] = {}
    for k, n in enumerate(notes):
        groups.setdefault(round(n.start, 3), []).append(k)
    return groups


def _shift(notes: list[Note], shift_of) -> list[Note]:
    """Move each onset group by shift_of(group index, onset); durations kept."""
    out = list(notes)
    for g, (t, idx) in enumerate(sorted(_onset_groups(notes).items())):
        d = shift_of(g, t)
        for k in idx:
            out[k] = replace(notes[k], start=max(0.0, notes[k].start + d), end=max(0.02, notes[k].end + d))
    return out


def timing_jitter(notes: list[Note], sd: float = 0.04) -> list[Note]:
    rng = random.Random(1)
    return _shift(notes, lambda g, t: rng.gauss(0, sd))


def tempo_drift(notes: list[Note], speed_up: float = 0.3) -> list[Note]:
    """The tempo rises steadily, `speed_up` faster at the end: t → t − speed_up·t²/(2T)."""
    total = max(n.end for n in notes)

    def warp(t: float) -> float:
        return t - speed_up * t * t / (2 * total)

    return [replace(n, start=warp(n.start), end=warp(n.end)) for n in notes]


def uneven_runs(notes: list[Note], bpm: float = 100.0, limp: float = 0.25) -> list[Note]:
    """Every second eighth comes late by `limp` of an eighth (a limping run)."""
    eighth = 30.0 / bpm
    return _shift(notes, lambda g, t: limp * eighth if round(t / eighth) % 2 else 0.0)


def hand_imbalance(notes: list[Note]) -> list[Note]:
    """The accompaniment louder than the melody."""
    return [replace(n, velocity=min(120, n.velocity + 40) if is_left(n) else max(30, n.velocity - 20)) for n in notes]


def hands_apart(notes: list[Note], lag: float = 0.06) -> list[Note]:
    """The left hand late by `lag` seconds."""
    return [replace(n, start=n.start + lag, end=n.end + lag) if is_left(n) else n for n in notes]


def staccato(notes: list[Note], keep: float = 0.3) -> list[Note]:
    return [replace(n, end=n.start + (n.end - n.start) * keep) for n in notes]


def uneven_legato(notes: list[Note]) -> list[Note]:
    rng = random.Random(3)
    return [replace(n, end=n.start + (n.end - n.start) * rng.choice([0.45, 0.7, 1.0, 1.6])) for n in notes]


def ragged_chords(notes: list[Note], spread: float = 0.05) -> list[Note]:
    """The notes of each right-hand chord start one after another, `spread` apart."""
    out = list(notes)
    for idx in _onset_groups(notes).values():
        right = sorted((k for k in idx if not is_left(notes[k])), key=lambda k: notes[k].pitch)
        for j, k in enumerate(right):
            out[k] = replace(notes[k], start=notes[k].start + j * spread, end=notes[k].end + j * spread)
    return out


def wrong_notes(notes: list[Note], share: float = 0.2) -> list[Note]:
    """A share of the melody's notes a semitone off (out of the key)."""
    rng = random.Random(5)
    return [replace(n, pitch=n.pitch + rng.choice([-1, 1])) if not is_left(n) and rng.random() < share else n
            for n in notes]


def flat_dynamics(notes: list[Note]) -> list[Note]:
    return [replace(n, velocity=55 if is_left(n) else 75) for n in notes]


def erratic_dynamics(notes: list[Note]) -> list[Note]:
    rng = random.Random(9)
    return [replace(n, velocity=rng.choice([35, 110])) if not is_left(n) else n for n in notes]


def thin_sound(notes: list[Note]) -> list[Note]:
    return [replace(n, velocity=max(12, int(n.velocity * 0.35))) for n in notes]


FLAWS = {
    "timing jitter": timing_jitter,
    "tempo drift": tempo_drift,
    "uneven runs": uneven_runs,
    "hand imbalance": hand_imbalance,
    "hands apart": hands_apart,
    "staccato": staccato,
    "uneven legato": uneven_legato,
    "ragged chords": ragged_chords,
    "wrong notes": wrong_notes,
    "flat dynamics": flat_dynamics,
    "erratic dynamics": erratic_dynamics,
    "thin sound": thin_sound,
}

# flaw: (rubric dimension, measurement, +1 if the flaw must raise it, -1 if it must lower it)
EXPECTED_MOVES = {
    "timing jitter": ("rhythm", "grid_deviation", +1),
    "tempo drift": ("tempo", "tempo_drift", +1),
    "uneven runs": ("note_values", "run_ioi_cv", +1),
    "hand imbalance": ("hand_balance", "melody_over_accompaniment", -1),
    "hands apart": ("hand_timing", "hand_asynchrony", +1),
    "staccato": ("lines", "gap_share", +1),
    "uneven legato": ("legato", "legato_deviation", +1),
    "ragged chords": ("attack", "chord_spread", +1),
    "wrong notes": ("tonality", "out_of_key_share", +1),
    "flat dynamics": ("dynamics", "dynamic_range", -1),
    "erratic dynamics": ("dynamics", "abrupt_jumps", +1),
    "thin sound": ("sound", "median_velocity", -1),
}


# --- one passage per technique (right hand over a sparse left hand) ---

TECHNIQUES = ("Scales", "Arpeggios", "Ornaments", "Repeated notes", "Double notes", "Octaves", "Staccato")

def _bass(seconds: float, beat: float) -> list[Note]:
    return [Note(48 if (k // 4) % 2 == 0 else 43, k * beat, k * beat + beat * 0.95, 50)
            for k in range(int(seconds / beat))]


def technique_passage(name: str, seconds: float = 8.0) -> list[Note]:
    beat = 0.6
    rh: list[Note] = []
    t, k = 0.0, 0
    if name == "Scales":
        step = beat / 4
        while t + step <= seconds:
            d = k % 14 if k % 28 < 14 else 14 - k % 14
            rh.append(Note(_degree(d), t, t + step * 1.02, 78))
            t, k = t + step, k + 1
    elif name == "Arpeggios":
        step, chord = beat / 4, [0, 4, 7]
        while t + step <= seconds:
            j = k % 12 if k % 24 < 12 else 12 - k % 12
            rh.append(Note(60 + chord[j % 3] + 12 * (j // 3), t, t + step * 1.02, 78))
            t, k = t + step, k + 1
    elif name == "Ornaments":
        while t + beat <= seconds:
            main = _degree(k % 5)
            for j in range(6):  # a trill on each beat: main, upper, main, ...
                s = t + j * beat / 8
                rh.append(Note(main + (2 if j % 2 else 0), s, s + beat / 8, 75))
            rh.append(Note(main, t + 0.75 * beat, t + beat * 0.98, 75))
            t, k = t + beat, k + 1
    elif name == "Repeated notes":
        step = beat / 4
        while t + step <= seconds:
            rh.append(Note(_degree((k // 4) % 5), t, t + step * 0.8, 78))
            t, k = t + step, k + 1
    elif name in ("Double notes", "Octaves"):
        step = beat / 2
        while t + step <= seconds:
            top = _degree(k % 8 if k % 16 < 8 else 8 - k % 8)
            low = top - 12 if name == "Octaves" else _degree((k % 8 if k % 16 < 8 else 8 - k % 8) - 2)
            rh += [Note(top, t, t + step * 1.02, 78), Note(low, t, t + step * 1.02, 72)]
            t, k = t + step, k + 1
    elif name == "Staccato":
        step, leaps = beat / 2, [0, 4, 2, 5, 1, 6, 3, 7]
        while t + step <= seconds:
            rh.append(Note(_degree(leaps[k % 8]), t, t + step * 0.25, 80))
            t, k = t + step, k + 1
    else:
        raise ValueError(name)
    return rh + _bass(seconds, beat)
