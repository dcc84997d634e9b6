"""`assess --midi / --notes`: the listening engine's transcription, exported; the JSON carries it with the
tempo and loudness curves (segments[].heard)."""

from __future__ import annotations

import csv
import json

import jsonschema
import pretty_midi
import pytest

from llaqo.model.testing import performances as P
from llaqo.model.testing.piano import can_render, render
from llaqo.model.testing.scoring import note_f1
from llaqo.rubric.render import load_report_schema


@pytest.fixture(scope="module")
def passage(tmp_path_factory):
    if not can_render():
        pytest.skip("fluidsynth and a GM soundfont are needed to render test audio")
    notes = P.base(6.0)
    return notes, render(notes, tmp_path_factory.mktemp("export") / "base.wav")


def test_midi_notes_and_json_hold_what_was_heard(run, passage, tmp_path):
    notes, wav = passage
    mid, table = tmp_path / "heard.mid", tmp_path / "heard.csv"
    result = run("assess", wav, "--engine", "listen", "--transcriber", "fast", "--rubric", "quick",
                 "--midi", mid, "--notes", table, "--json", "-")
    assert result.exit_code == 0, result.output
    doc, _ = json.JSONDecoder().raw_decode(result.stdout[result.stdout.index("{"):])
    report = doc["reports"][0] if "reports" in doc else doc
    jsonschema.validate(report, load_report_schema())
    heard = report["segments"][0]["heard"]
    assert heard["tempo"] and heard["loudness"] and not heard["has_pedal"]
    median_bpm = sorted(v for _, v in heard["tempo"])[len(heard["tempo"]) // 2]
    assert any(0.8 * b < median_bpm < 1.2 * b for b in (100, 200))  # played at 100 bpm (or read in half beats)
    played = pretty_midi.PrettyMIDI(str(mid)).instruments[0].notes
    assert len(played) == len(heard["notes"])

    class Heard:  # note_f1 reads .onset and .pitch
        def __init__(self, n):
            self.onset, self.pitch = n.start, n.pitch

    assert note_f1(notes, [Heard(n) for n in played])[0] > 0.85
    rows = list(csv.DictReader(table.open()))
    assert len([r for r in rows if r["kind"] == "note"]) == len(played)
    assert rows[0]["name"][:-1] in ("C", "E", "G", "F", "A", "B", "D") and float(rows[0]["onset_s"]) < 1.0


def test_export_of_several_takes_is_one_clear_line(run, passage, tmp_path):
    _, wav = passage
    result = run("assess", wav, wav, "--engine", "listen", "--midi", tmp_path / "x.mid")
    assert result.exit_code != 0 and "one take at a time" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "x.mid").exists()
