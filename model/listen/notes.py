"""What the transcriber hears: notes with velocities, pedal spans, and the same as numpy columns.

Times are seconds in the take (not in the segment), so every measure can name where it happened.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

SUSTAIN, SOFT = "sustain", "soft"
SIGNAL_RATE = 4_000  # Hz, the mono signal a transcription keeps for the signal measures (loudness curve)
LOWEST_KEY = 21  # A0: the first of the piano's 88 keys, the row 0 of every per-key array


@dataclass(frozen=True)
class Note:
    pitch: int  # MIDI number, 21..108
    onset: float  # s in the take
    offset: float
    velocity: int  # 1..127, as the transcriber estimates it

    @property
    def duration(self) -> float:
        return self.offset - self.onset


@dataclass(frozen=True)
class Pedal:
    onset: float
    offset: float
    kind: str = SUSTAIN  # "sustain" (CC64) | "soft" (CC67)


@dataclass
class OnsetEvidence:
    """The accurate transcriber's own score for a note of each key beginning at each of its frames: the
    best interval score over the interval's possible ends (transkun's semi-CRF keeps an interval whose
    score is positive and fits the key's chain). A note the decoder dropped still scores above zero
    where it began; a key nobody struck scores far below. The score follower asks it, with the score's
    expected keys, where transcription and score disagree (judge/claims.py).

    `scores` (88, frames) for keys A0..C8, frame f at `times[f]` s in the take (sorted, not uniform:
    windows are stitched where they overlap).
    """

    scores: np.ndarray
    times: np.ndarray

    def best(self, pitch: int, t0: float, t1: float, away_from=(), margin_s: float = 0.0) -> float | None:
        """The highest onset score of `pitch` from t0 to t1, leaving out the frames closer than
        `margin_s` to any time in `away_from` (None outside the keys, or where no frame is left)."""
        row = pitch - LOWEST_KEY
        lo, hi = np.searchsorted(self.times, t0, side="left"), np.searchsorted(self.times, t1, side="right")
        if not 0 <= row < len(self.scores) or hi <= lo:
            return None
        times = self.times[lo:hi]
        keep = np.ones(len(times), dtype=bool)
        for t in away_from:
            keep &= np.abs(times - t) >= margin_s
        return float(self.scores[row, lo:hi][keep].max()) if keep.any() else None

    @classmethod
    def join(cls, parts: list[OnsetEvidence]) -> OnsetEvidence:
        return cls(np.concatenate([p.scores for p in parts], axis=1), np.concatenate([p.times for p in parts]))


@dataclass
class Transcription:
    """Notes and pedal of one span of a take, sorted by onset, plus the mono signal it came from.

    `signal` is kept at a low rate (`signal_rate`) for the measures that read the sound itself
    (loudness curve, sustain); it is None when a transcription is built from a MIDI file.
    """

    notes: list[Note]
    start_s: float
    end_s: float
    pedals: list[Pedal] = field(default_factory=list)
    has_pedal: bool = True  # False when the source cannot tell (a MIDI file without CC64 is still True)
    signal: np.ndarray | None = None
    signal_rate: int = 0
    onsets: OnsetEvidence | None = None  # the accurate transcriber's per-key onset scores (else None)

    def __post_init__(self) -> None:
        self.notes = sorted(self.notes, key=lambda n: (n.onset, n.pitch))
        self.pedals = sorted(self.pedals, key=lambda p: p.onset)

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    @cached_property
    def columns(self) -> NoteColumns:
        return NoteColumns.from_notes(self.notes)

    def sustain_spans(self) -> list[tuple[float, float]]:
        return [(p.onset, p.offset) for p in self.pedals if p.kind == SUSTAIN]


@dataclass(frozen=True)
class NoteColumns:
    """The notes as parallel arrays (n,), sorted by onset then pitch."""

    pitch: np.ndarray  # int
    onset: np.ndarray  # float, s
    offset: np.ndarray
    velocity: np.ndarray  # float

    @classmethod
    def from_notes(cls, notes: list[Note]) -> NoteColumns:
        return cls(
            pitch=np.array([n.pitch for n in notes], dtype=int),
            onset=np.array([n.onset for n in notes], dtype=float),
            offset=np.array([n.offset for n in notes], dtype=float),
            velocity=np.array([n.velocity for n in notes], dtype=float),
        )

    def __len__(self) -> int:
        return len(self.pitch)

    @property
    def duration(self) -> np.ndarray:
        return self.offset - self.onset
