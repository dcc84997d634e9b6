"""A reference score given as MIDI, read with mido: every note-on is a note (a key struck again while it
still sounds, as two voices sharing a key do, is two notes), bars from the file's time signatures.
MIDI has no repeats, ties or grace notes to read; the notation formats go through partitura (score.py).
"""

from __future__ import annotations

from pathlib import Path

from llaqo.model.listen.judge.score import ScoreNote


def _bar_of(beat: float, bars: list[tuple[float, float, float]]) -> tuple[int, float]:
    """bars: (start beat, quarter notes per bar, quarter notes per beat unit) per bar, in order."""
    for i in range(len(bars) - 1, -1, -1):
        start, _, unit = bars[i]
        if beat >= start - 1e-6:
            return i + 1, round((beat - start) / unit + 1, 3)
    return 1, round(beat + 1, 3)


def load_midi_score(path: Path) -> list[ScoreNote]:
    import mido

    midi = mido.MidiFile(str(path))
    tpb = midi.ticks_per_beat
    events, signatures = [], [(0, 4, 4)]
    for track in midi.tracks:
        tick = 0
        for msg in track:
            tick += msg.time
            if msg.type == "time_signature":
                signatures.append((tick, msg.numerator, msg.denominator))
            elif msg.type == "note_on" and msg.velocity > 0 and getattr(msg, "channel", 0) != 9:
                events.append((tick, msg.note))
    signatures = sorted(dict((t, (t, n, d)) for t, n, d in signatures).values())
    end = max((t for t, _ in events), default=0) / tpb + 4
    bars = _bars_from_signatures([(t / tpb, n, d) for t, n, d in signatures], end)
    # a key struck by two voices or tracks at once sounds once (as score._notes merges them in notation)
    return [ScoreNote(p, t / tpb, *_bar_of(t / tpb, bars)) for t, p in sorted(set(events))]


def _bars_from_signatures(signatures: list[tuple[float, int, int]], end: float) -> list[tuple[float, float, float]]:
    bars, beat, k = [], 0.0, 0
    while beat < end:
        while k + 1 < len(signatures) and signatures[k + 1][0] <= beat + 1e-6:
            k += 1
        _, num, den = signatures[k]
        unit = 4.0 / den
        bars.append((beat, num * unit, unit))
        beat += num * unit
    return bars
