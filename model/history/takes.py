"""A Report as a history Session: the take-level ratings, the take-level measurements, the take's hash and
the piece it is of.

Measurements are the evidence behind each dimension's rating, one value per take: the duration-weighted
mean over the segments (counts such as wrong notes are summed instead). `wrong_note_share` is derived:
the wrong notes (against a reference score) as a share of the notes heard.
"""

from __future__ import annotations

from pathlib import Path

from llaqo.common.files import sha256_file
from llaqo.model.history.store import Measurement, Rating, Session
from llaqo.rubric.report import Report
from llaqo.rubric.summary import build_report_dict, take_answers

RATED_KINDS = ("rating", "difficulty", "technique")
COUNT_UNITS = ("notes", "steps")  # evidence that counts things: summed over segments, not averaged
SKIPPED_DIMENSIONS = ("overall",)  # its evidence repeats the other dimensions'


def report_to_session(report: Report, piece: str | None) -> Session:
    """The session to store for one assessed take (its file is hashed here)."""
    document = build_report_dict(report)
    for segment in document["segments"]:
        segment.pop("heard", None)  # the transcription: large, and not a rating or a measurement
    return Session(take_path=str(Path(report.file).resolve()), take_sha256=sha256_file(report.file),
                   piece=piece, engine=report.engine, rubric=report.rubric, duration_s=report.duration_s,
                   model=report.model, ratings=take_ratings(report), measurements=take_measurements(report),
                   report=document)


def take_ratings(report: Report) -> list[Rating]:
    """One Rating per rating / difficulty / technique question, aggregated over the take."""
    return [Rating(a.id, a.dimension, a.display_label, a.kind, a.value, a.scale)
            for a in take_answers(report) if a.kind in RATED_KINDS]


def take_measurements(report: Report) -> list[Measurement]:
    """Each (dimension, measure) once: weighted mean over the segments (counts: their sum)."""
    sums: dict[tuple[str, str], list] = {}  # key → [sum of value*weight, sum of weight, plain sum, unit]
    for segment in report.segments:
        weight = max(segment.end_s - segment.start_s, 1e-6)
        seen = set()
        for answer in segment.answers:
            if answer.kind not in RATED_KINDS or answer.dimension in SKIPPED_DIMENSIONS:
                continue
            for e in answer.evidence:
                key = (answer.dimension, e.measure)
                if e.value is None or key in seen:
                    continue
                seen.add(key)
                acc = sums.setdefault(key, [0.0, 0.0, 0.0, e.unit])
                acc[0] += float(e.value) * weight
                acc[1] += weight
                acc[2] += float(e.value)
    out = [Measurement(dim, measure, round(acc[2] if acc[3] in COUNT_UNITS else acc[0] / acc[1], 4), acc[3])
           for (dim, measure), acc in sums.items()]
    share = _wrong_note_share(report, sums)
    return out + ([share] if share else [])


def _wrong_note_share(report: Report, sums: dict) -> Measurement | None:
    wrong = next((acc[2] for (_, measure), acc in sums.items() if measure == "wrong_notes"), None)
    heard = sum(len(s.heard.get("notes", [])) for s in report.segments if s.heard)
    if wrong is None or not heard:
        return None
    return Measurement("accuracy", "wrong_note_share", round(100.0 * wrong / heard, 2), "%")


def score_title(path: Path) -> str:
    """The piece a reference score names: a type-1 MIDI file's first track name, a MusicXML file's work or
    movement title; else the file's name without its suffix."""
    try:
        if path.suffix.lower() in (".mid", ".midi"):
            import mido

            midi = mido.MidiFile(str(path))
            # a type-1 file's first track is its tempo map, named after the piece; other tracks name instruments
            names = [m.name for m in midi.tracks[0] if m.type == "track_name"] if midi.type == 1 else []
            title = next((n.strip() for n in names if n.strip()), "")
        elif path.suffix.lower() in (".xml", ".musicxml"):
            import xml.etree.ElementTree as ET

            root = ET.parse(path).getroot()
            title = next((e.text.strip() for tag in ("work/work-title", "movement-title")
                          if (e := root.find(tag)) is not None and e.text and e.text.strip()), "")
        else:
            title = ""
    except Exception:  # a score the follower reads is enough; its title is a nicety
        title = ""
    return title or path.stem
