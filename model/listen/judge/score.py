"""A reference score: notation (MusicXML .musicxml/.xml/.mxl, MEI, Humdrum **kern) read with partitura —
every part and staff, ties merged into one note, grace notes kept (and marked), repeats played out —
and MIDI read note-on by note-on (score_midi.py: partitura's MIDI import pairs a key struck again while
it sounds into one note, and MIDI has no repeats, ties or grace notes to read).

A pianist may take the repeats or not, so a score has two readings: `with_repeats` (partitura's
maximal unfolding: every repeat and volta played) and `as_written` (each bar once); the score follower
keeps whichever fits the take. Bars keep their printed numbers, so a repeated bar 3 is "bar 3" both
times. The hand is the staff's (upper staff: right hand, lower: left) where the score has two staves.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from llaqo.common.errors import ConfigError, error_text
from llaqo.common.text import shown
from llaqo.model.listen.judge.score_limits import check_score_file

SUFFIXES = (".mid", ".midi", ".musicxml", ".xml", ".mxl", ".mei", ".krn")
FORMATS_HINT = "give a .mid, .musicxml, .xml, .mxl, .mei or .krn file"


@dataclass(frozen=True)
class ScoreNote:
    pitch: int
    beat: float  # quarter notes from the start of the (unfolded) score
    bar: int  # the printed bar number
    beat_in_bar: float  # 1-based, in the time signature's beat
    hand: str | None = None  # "right" | "left" from the staff, None where the score does not say
    grace: bool = False  # a grace note: looked for, never claimed missing

    @property
    def where(self) -> str:
        return f"bar {self.bar} beat {self.beat_in_bar:g}"


@dataclass(frozen=True)
class Score:
    name: str
    with_repeats: list[ScoreNote]
    as_written: list[ScoreNote]

    @property
    def readings(self) -> list[tuple[str, list[ScoreNote]]]:
        """The distinct readings, repeats first."""
        if self.with_repeats == self.as_written:
            return [("as written", self.as_written)]
        return [("with repeats", self.with_repeats), ("as written", self.as_written)]


def load_score(path: Path) -> Score:
    """Read a score file; ConfigError (one line) for a missing, unreadable or empty one."""
    path = Path(path)
    check_score_file(path)  # bounded and sane before anything is allocated from what it claims
    if not path.is_file():
        raise ConfigError(f"{shown(path)}: no such score file", FORMATS_HINT)
    if path.suffix.lower() not in SUFFIXES:
        raise ConfigError(f"{shown(path)}: not a score format llaqo reads", FORMATS_HINT)
    try:
        if path.suffix.lower() in (".mid", ".midi"):
            from llaqo.model.listen.judge.score_midi import load_midi_score

            notes = sorted(load_midi_score(path), key=lambda n: (n.beat, n.pitch))
            score = Score(path.name, notes, notes)
        else:
            score = _load_notation(path)
    except ConfigError:
        raise
    except Exception as e:  # a corrupt file: one line for the user
        raise ConfigError(f"{shown(path)}: cannot read the score ({error_text(e)})",
                          "check that the file opens in a notation program") from e
    if not score.as_written:
        raise ConfigError(f"{shown(path)}: the score has no notes")
    return score


def _load_notation(path: Path) -> Score:
    import partitura

    with warnings.catch_warnings():  # partitura warns about every encoding quirk it repairs
        warnings.simplefilter("ignore")
        parts = list(partitura.load_score(str(path)).parts)
        return Score(path.name, _notes([_unfold(p) for p in parts]), _notes(parts))


def _unfold(part):
    """The part with every repeat played out; as written where partitura cannot unfold it."""
    import partitura

    try:
        return partitura.score.unfold_part_maximal(part)
    except (AttributeError, ValueError, IndexError, KeyError):
        return part


def _notes(parts) -> list[ScoreNote]:
    """All parts' notes in one list; a key struck by two voices or parts at once sounds once."""
    seen: dict[tuple[float, int], ScoreNote] = {}
    for part in parts:
        for note in _part_notes(part):
            seen.setdefault((note.beat, note.pitch), note)
    return sorted(seen.values(), key=lambda n: (n.beat, n.pitch))


def _part_notes(part) -> list[ScoreNote]:
    na = part.note_array(include_staff=True, include_grace_notes=True)
    if len(na) == 0:
        return []
    measures = sorted(part.measures, key=lambda m: m.start.t)
    starts = np.array([m.start.t for m in measures]) if measures else np.zeros(1)
    numbers = [_number(m, i) for i, m in enumerate(measures)] or [1]
    start_beats = part.beat_map(starts) if measures else np.zeros(1)
    which = np.clip(np.searchsorted(starts, na["onset_div"], side="right") - 1, 0, len(starts) - 1)
    staves = set(int(s) for s in na["staff"])
    hands = {min(staves): "right", max(staves): "left"} if len(staves) == 2 else {}
    return [ScoreNote(int(n["pitch"]), round(float(n["onset_quarter"]), 4), numbers[w],
                      round(float(n["onset_beat"] - start_beats[w]) + 1, 3), hands.get(int(n["staff"])),
                      bool(n["is_grace"]))
            for n, w in zip(na, which)]


def _number(measure, index: int) -> int:
    try:
        return int(measure.number)
    except (TypeError, ValueError):
        return index + 1
