"""Render examples/etude.flac: a 30-s two-hand study with a few flaws a teacher would hear.

Bars 1-4 are steady; bars 5-6 rush (+12 %) with a run played unevenly; bars 7-8 return to tempo, the
left hand too loud. Needs Debian's fluidsynth and a GM soundfont (scripts/setup.sh --test installs them).
    .venv/bin/python scripts/make_example.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

from llaqo.model.testing.piano import Note, render

BPM = 96
SCALE = [0, 2, 4, 5, 7, 9, 11, 12]
ARPEGGIO = [0, 4, 7, 12, 16, 12, 7, 4]
CHORDS = [(48, 52, 55), (53, 57, 60), (55, 59, 62), (48, 52, 55)]


def etude() -> list[Note]:
    rng = np.random.default_rng(7)
    notes, t = [], 0.0
    for bar in range(8):
        rush = 1.12 if bar in (4, 5) else 1.0
        sixteenth = 60.0 / BPM / 4 / rush
        pattern = SCALE if bar % 2 == 0 else ARPEGGIO
        bass_vel = 96 if bar >= 6 else 58
        for i, chord_note in enumerate(CHORDS[bar % 4]):
            notes.append(Note(chord_note, t + i * 0.004, t + 16 * sixteenth * 0.98, bass_vel))
        for i in range(16):
            jitter = rng.normal(0, 0.025) if bar == 5 else rng.normal(0, 0.004)
            start = max(0.0, t + i * sixteenth + jitter)
            pitch = 60 + pattern[i % 8] + (12 if i >= 8 and pattern is SCALE else 0)
            notes.append(Note(pitch, start, start + sixteenth * 0.92, int(72 + 8 * np.sin(i / 3))))
        t += 16 * sixteenth
    return notes


def main(out: Path = Path("examples/etude.flac")) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        wav = render(etude(), Path(tmp) / "etude.wav", rate=44_100)
        audio, rate = sf.read(wav, dtype="float32")
    audio = audio.mean(axis=1) if audio.ndim == 2 else audio
    audio = audio / (np.abs(audio).max() + 1e-9) * 0.8
    out.parent.mkdir(parents=True, exist_ok=True)
    sf.write(out, audio, rate, subtype="PCM_16")
    print(f"wrote {out} ({len(audio) / rate:.1f} s)")


if __name__ == "__main__":
    main()
