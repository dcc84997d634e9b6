"""A reference score read from MIDI (mido) or MusicXML (the standard library's xml, .xml/.musicxml/.mxl):
its notes with their position in quarter notes, bar and beat."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

from llaqo.common.errors import ConfigError, error_text

STEPS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


@dataclass(frozen=True)
class ScoreNote:
    pitch: int
    beat: float  # quarter notes from the start of the score
    bar: int  # 1-based
    beat_in_bar: float  # 1-based, in the bar's own beat unit

    @property
    def where(self) -> str:
        return f"bar {self.bar} beat {self.beat_in_bar:g}"


def load_score(path: Path) -> list[ScoreNote]:
    suffix = path.suffix.lower()
    if not path.is_file():
        raise ConfigError(f"{path}: no such score file", "give a .mid, .musicxml, .xml or .mxl file")
    try:
        if suffix in (".mid", ".midi"):
            notes = _from_midi(path)
        elif suffix in (".xml", ".musicxml", ".mxl"):
            notes = _from_musicxml(_musicxml_text(path))
        else:
            raise ConfigError(f"{path}: not a score format llaqo reads", "give a .mid, .musicxml, .xml or .mxl file")
    except ConfigError:
        raise
    except Exception as e:  # a corrupt file: one line for the user
        raise ConfigError(f"{path}: cannot read the score ({error_text(e)})",
                          "check that the file opens in a notation program") from e
    if not notes:
        raise ConfigError(f"{path}: the score has no notes")
    return sorted(notes, key=lambda n: (n.beat, n.pitch))


def _bar_of(beat: float, bars: list[tuple[float, float, float]]) -> tuple[int, float]:
    """bars: (start beat, quarter notes per bar, quarter notes per beat unit) per bar, in order."""
    for i in range(len(bars) - 1, -1, -1):
        start, _, unit = bars[i]
        if beat >= start - 1e-6:
            return i + 1, round((beat - start) / unit + 1, 3)
    return 1, round(beat + 1, 3)


def _from_midi(path: Path) -> list[ScoreNote]:
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
    return [ScoreNote(p, t / tpb, *_bar_of(t / tpb, bars)) for t, p in events]


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


def _musicxml_text(path: Path) -> str:
    if path.suffix.lower() != ".mxl":
        return path.read_text(encoding="utf-8")
    with zipfile.ZipFile(path) as z:
        container = ElementTree.fromstring(z.read("META-INF/container.xml"))
        root = next(e.get("full-path") for e in container.iter() if e.tag.endswith("rootfile"))
        return z.read(root).decode("utf-8")


def _from_musicxml(text: str) -> list[ScoreNote]:
    root = ElementTree.fromstring(text)
    if root.tag != "score-partwise":
        raise ValueError(f"expected score-partwise MusicXML, got <{root.tag}>")
    notes: list[ScoreNote] = []
    for part in root.findall("part"):
        divisions, pos, unit, bar_start = 1.0, 0.0, 1.0, 0.0
        for bar, measure in enumerate(part.findall("measure"), start=1):
            bar_start, last_start = pos, pos
            for el in measure:
                if el.tag == "attributes":
                    divisions = float(el.findtext("divisions", default=str(divisions)))
                    beat_type = el.findtext("time/beat-type")
                    unit = 4.0 / float(beat_type) if beat_type else unit
                elif el.tag == "backup":
                    pos -= float(el.findtext("duration", "0")) / divisions
                elif el.tag == "forward":
                    pos += float(el.findtext("duration", "0")) / divisions
                elif el.tag == "note":
                    if el.find("grace") is not None:
                        continue
                    length = float(el.findtext("duration", "0")) / divisions
                    start = last_start if el.find("chord") is not None else pos
                    tied_on = any(t.get("type") == "stop" for t in el.findall("tie"))
                    pitch = el.find("pitch")
                    if pitch is not None and not tied_on:
                        midi = (12 * (int(pitch.findtext("octave")) + 1) + STEPS[pitch.findtext("step")]
                                + int(float(pitch.findtext("alter", "0"))))
                        notes.append(ScoreNote(midi, start, bar, round((start - bar_start) / unit + 1, 3)))
                    if el.find("chord") is None:
                        last_start, pos = pos, pos + length
    return notes
