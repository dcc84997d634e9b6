"""What the listening engine heard in a segment, as plain data for the JSON report and the exports:
the notes, the pedal, the tempo curve and the loudness curve (docs/report-json.md, `segments[].heard`).

    heard = heard_part(transcription)          # {"notes": [...], "pedals": [...], "tempo": [...], ...}
    write_notes_csv([heard, ...], "take.csv")  # one row per note and pedal press
    write_midi([heard, ...], "take.mid")       # the transcription, with the sustain/soft pedal where heard
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import numpy as np

from llaqo.common.files import write_atomic
from llaqo.common.music import pitch_name
from llaqo.model.listen.judge.analysis import Analysis
from llaqo.model.listen.judge.measures import dynamics, timing
from llaqo.model.listen.notes import SOFT, SUSTAIN, Transcription

CURVE_STEP_S = 0.25  # the curves are sampled this often (a 40-s segment: 160 points each)


def heard_part(tr: Transcription) -> dict[str, Any]:
    """The segment's notes ([onset s, offset s, MIDI pitch, velocity]), pedal presses ([down s, up s,
    "sustain"|"soft"]), and curves: tempo ([t s, bpm], the local tempo the tempo rating reads) and
    loudness ([t s, velocity], the smoothed level of all the notes, what the dynamics rating reads) and
    the same level for each hand's notes (`loudness_by_hand`: "right", "left"); times in the take."""
    a = Analysis(tr)
    out: dict[str, Any] = {
        "has_pedal": tr.has_pedal,
        "notes": [[round(n.onset, 4), round(n.offset, 4), n.pitch, n.velocity] for n in tr.notes],
        "pedals": [[round(p.onset, 4), round(p.offset, 4), p.kind] for p in tr.pedals],
        "tempo": [],
        "loudness": [],
        "loudness_by_hand": {"right": [], "left": []},
    }
    if a.pulse is not None:
        t, bpm = timing._local_tempo(a.pulse, timing.FINE_S)
        out["tempo"] = _sampled(t, bpm)
    if len(dynamics._melody(a)) >= 2:
        t, level = dynamics.loudness_curve(a)
        out["loudness"] = _sampled(t, level)
    out["loudness_by_hand"] = {name: _hand_loudness(a, right) for name, right in (("right", True), ("left", False))}
    return out


def _hand_loudness(a: Analysis, right: bool) -> list[list[float]]:
    """[t s, velocity] every CURVE_STEP_S: the smoothed level of every note one hand plays (ghosts left out,
    as on the loudness curve); empty when that hand plays fewer than two notes."""
    n = a.notes
    keep = (a.right_hand == right) & (n.velocity >= dynamics.GHOST)
    if keep.sum() < 2:
        return []
    return _sampled(*dynamics.smoothed_level(n.onset, n.velocity, keep))


def _sampled(t: np.ndarray, v: np.ndarray) -> list[list[float]]:
    """The curve at every CURVE_STEP_S between its first and last point (linear between points)."""
    if len(t) == 0:
        return []
    grid = np.arange(t[0], t[-1] + 1e-9, CURVE_STEP_S)
    return [[round(float(x), 3), round(float(y), 1)] for x, y in zip(grid, np.interp(grid, t, v))]


def write_notes_csv(parts: list[dict[str, Any]], path: Path) -> Path:
    """One row per note (kind "note") and per pedal press ("sustain" / "soft"), in time order."""
    rows = []
    for part in parts:
        rows += [("note", a, b, p, pitch_name(int(p)), v) for a, b, p, v in part["notes"]]
        rows += [(kind, a, b, "", "", "") for a, b, kind in part["pedals"]]
    rows.sort(key=lambda r: (r[1], r[0] != "note"))
    return _atomic(path, lambda f: _csv(f, rows))


def _csv(f, rows) -> None:
    w = csv.writer(f)
    w.writerow(["kind", "onset_s", "offset_s", "pitch", "name", "velocity"])
    w.writerows(rows)


def write_midi(parts: list[dict[str, Any]], path: Path) -> Path:
    """A one-track MIDI file (acoustic grand piano) of the notes, with CC64 / CC67 where a pedal was heard."""
    import pretty_midi

    pm = pretty_midi.PrettyMIDI()
    piano = pretty_midi.Instrument(program=0, name="piano (transcribed)")
    for part in parts:
        piano.notes += [pretty_midi.Note(int(v), int(p), float(a), float(max(b, a + 0.01)))
                        for a, b, p, v in part["notes"]]
        for a, b, kind in part["pedals"]:
            cc = 64 if kind == SUSTAIN else 67 if kind == SOFT else None
            if cc is not None:
                piano.control_changes += [pretty_midi.ControlChange(cc, 127, float(a)),
                                          pretty_midi.ControlChange(cc, 0, float(b))]
    pm.instruments.append(piano)
    return _atomic(path, lambda f: pm.write(f), binary=True)


def _atomic(path: Path, write, binary: bool = False) -> Path:
    buffer = io.BytesIO() if binary else io.StringIO(newline="")
    write(buffer)
    return write_atomic(Path(path), buffer.getvalue())  # the one writer: unique temp file, fsync, rename
