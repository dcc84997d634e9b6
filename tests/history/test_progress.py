"""Progress per piece, the weakest dimension's trend, take-level measurements, exports and the plot."""

from __future__ import annotations

import csv
import io

import pytest

from llaqo.model.history.export import progress_to_csv, progress_to_html
from llaqo.model.history.plots import plot_png
from llaqo.model.history.progress import NO_PIECE, progress_by_piece
from llaqo.model.history.takes import score_title, take_measurements
from llaqo.rubric.report import Answer, Evidence, Report, Segment
from tests.history.conftest import session


def _rhythm_sessions(values, piece="etude"):
    return [session(piece, k, {"rhythm": v, "tempo": 5, "overall": 1}) for k, v in enumerate(values)]


@pytest.mark.parametrize("values, said", [
    ([3, 4, 4, 5, 4, 5], "Weakest: rhythm improved from 3 to 5 over 6 sessions."),
    ([4, 3], "Weakest: rhythm fell from 4 to 3 over 2 sessions."),
    ([2, 2, 2], "Weakest: rhythm stayed at 2 over 3 sessions."),
    ([2], "Weakest: rhythm at 2 (one session so far)."),
])
def test_callout_names_the_weakest_dimensions_trend(values, said):
    (piece,) = progress_by_piece(_rhythm_sessions(values))  # overall (1) is not a dimension to practise
    assert piece.weakest() == ("rhythm", "Rhythm")
    assert piece.callout() == said


def test_sessions_group_by_piece_in_order_first_played():
    sessions = _rhythm_sessions([3], "waltz") + _rhythm_sessions([4, 5]) + [session(None, 9, {"rhythm": 6})]
    pieces = progress_by_piece(sessions)
    assert [(p.piece, len(p.sessions)) for p in pieces] == [("waltz", 1), ("etude", 2), (NO_PIECE, 1)]
    assert pieces[1].ratings("rhythm") == [4, 5] and pieces[1].ratings("legato") == [None, None]


def _answer(dim, evidence):
    return Answer(f"{dim}.rating", "?", dim, "rating", evidence=evidence, scale=(1, 6))


def test_measurements_weigh_segments_by_length_and_sum_counts():
    long = Segment(0, 0.0, 30.0, [_answer("rhythm", [Evidence("grid_deviation", 10.0, "ms")]),
                                  _answer("accuracy", [Evidence("wrong_notes", 2, "notes")])],
                   heard={"notes": [[0, 1, 60, 80]] * 40})
    short = Segment(1, 30.0, 40.0, [_answer("rhythm", [Evidence("grid_deviation", 50.0, "ms")]),
                                    _answer("accuracy", [Evidence("wrong_notes", 3, "notes")])],
                    heard={"notes": [[0, 1, 60, 80]] * 10})
    report = Report("a.wav", 40.0, "listen", "", "full", [long, short])
    got = {m.measure: m.value for m in take_measurements(report)}
    assert got["grid_deviation"] == pytest.approx((10 * 30 + 50 * 10) / 40)
    assert got["wrong_notes"] == 5
    assert got["wrong_note_share"] == pytest.approx(100 * 5 / 50)


def test_csv_has_one_row_per_session_and_the_key_measures():
    sessions = [session("etude", k, {"rhythm": v}, {"grid_deviation": g}) for k, (v, g) in enumerate([(3, 41), (5, 18)])]
    rows = list(csv.DictReader(io.StringIO(progress_to_csv(progress_by_piece(sessions)))))
    assert [(r["session"], r["rhythm"], r["grid_deviation"]) for r in rows] == [("1", "3", "41"), ("2", "5", "18")]
    assert rows[0]["hand_asynchrony"] == ""


def test_plot_is_a_png_with_one_row_per_piece():
    from PIL import Image

    one = plot_png(progress_by_piece(_rhythm_sessions([3, 4, 5])))
    two = plot_png(progress_by_piece(_rhythm_sessions([3, 4]) + _rhythm_sessions([2], "waltz")))
    a, b = Image.open(io.BytesIO(one)), Image.open(io.BytesIO(two))
    assert a.format == "PNG" and a.width > 1000
    assert b.height == pytest.approx(2 * a.height, rel=0.05)


def test_html_embeds_the_plot_and_escapes_the_piece():
    page = progress_to_html(progress_by_piece(_rhythm_sessions([3, 5], "<b>etude</b>")), b"\x89PNG")
    assert "&lt;b&gt;etude&lt;/b&gt;" in page and "<b>etude" not in page
    assert "data:image/png;base64,iVBORw==" in page and "improved from 3 to 5 over 2 sessions" in page


def test_score_title_reads_a_midi_files_name_else_the_file_name(tmp_path):
    import mido

    midi = mido.MidiFile(type=1)
    midi.tracks += [mido.MidiTrack([mido.MetaMessage("track_name", name="Etude Op. 10 No. 3")]),
                    mido.MidiTrack([mido.MetaMessage("track_name", name="Piano")])]
    midi.save(tmp_path / "chopin.mid")
    assert score_title(tmp_path / "chopin.mid") == "Etude Op. 10 No. 3"
    (tmp_path / "waltz.musicxml").write_text("<score-partwise><work><work-title>Waltz in A minor</work-title></work>"
                                             "</score-partwise>")
    assert score_title(tmp_path / "waltz.musicxml") == "Waltz in A minor"
    (tmp_path / "bare.mid").write_bytes(b"nonsense")
    assert score_title(tmp_path / "bare.mid") == "bare"
