"""The HTML page: self-contained, the timeline of remarks, the curves and the piano roll, "Practise first",
colour-blind-safe colours, the embedded take; and, in headless Chromium, readable at 1280 and 390 px."""

from __future__ import annotations

import re
import xml.dom.minidom

import pytest

from llaqo.common.browser import find_chromium, measure
from llaqo.rubric.render import report_to_html, reports_to_html
from llaqo.rubric.render.palette import DIFFICULTY_COLOURS, RATING_COLOURS, rating_colour
from llaqo.rubric.render.practice import practise_first, slow_mark

LABELS = ["Legato", "Note values", "Hand balance", "Dynamics", "Overall"]
NOTE = "the model heard 0:00–0:10 of each 40-s segment"
ERRORS = [
    {"type": "wrong", "time_s": 3.2, "bar": 2, "beat": 1, "pitch_expected": 64, "pitch_played": 65, "hand": "right"},
    {"type": "missing", "time_s": 7.9, "bar": 4, "beat": 2, "pitch_expected": 48, "pitch_played": None, "hand": "left"},
    {"type": "extra", "time_s": 52.4, "bar": 26, "beat": 3, "pitch_expected": None, "pitch_played": 71,
     "hand": "right"},
]


def heard_block(start: float, end: float, bpm: float = 96.0) -> dict:
    """What the listening engine puts in a segment: a scale in eighths, a tempo and two loudness curves."""
    step = 60.0 / bpm / 2
    notes = [[round(start + i * step, 3), round(start + (i + 1) * step, 3), 60 + i % 12, 60 + i % 40]
             for i in range(int((end - start) / step))]
    grid = [round(start + 0.25 * i, 2) for i in range(int((end - start) / 0.25))]
    return {"has_pedal": False, "notes": notes, "pedals": [], "tempo": [[t, bpm] for t in grid],
            "loudness": [[t, 70.0] for t in grid],
            "loudness_by_hand": {"right": [[t, 75.0] for t in grid], "left": [[t, 55.0] for t in grid]}}


@pytest.fixture
def heard_report(make_report):
    report = make_report(n_segments=2, windows=1, engine="listen", with_evidence=True)
    for segment in report.segments:
        segment.heard = heard_block(segment.start_s, segment.end_s)
    return report


def test_the_page_is_self_contained_and_readable_on_a_phone(make_report):
    page = report_to_html(make_report(windows=3))
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert page.count("<script>") == 1  # the one inline script: click to highlight, jump the player
    assert not re.search(r"<link|src=\"(?!data:)|@import|https?://", page)
    assert "@media (max-width: 640px)" in page and "@media print" in page
    for label in LABELS:
        assert f'<td class="aspect">{label}</td>' in page
    assert NOTE in page and "What the engine heard" in page


def test_every_remark_is_drawn_at_its_time_with_its_number(make_report):
    report = make_report(windows=3)  # 2 segments × 3 windows; every third reply gives no number
    page = report_to_html(report)
    n_ratings = sum(a.kind == "rating" for a in report.segments[0].answers)
    marks = re.findall(r'<button type="button" class="mark remark" style="left: ([\d.]+)%; width: ([\d.]+)%; '
                       r'background: (#\w+); color: #\w+" data-s="([\d.]+)" data-e="([\d.]+)"[^>]*>([^<]*)<', page)
    assert len(marks) == n_ratings * 2 * 3
    for left, width, colour, start, end, number in marks:
        assert float(left) == pytest.approx(100 * float(start) / 80.0, abs=0.01)
        assert float(width) == pytest.approx(100 * (float(end) - float(start)) / 80.0, abs=0.01)
        assert number == "–" or colour == rating_colour(int(number), (1, 6))
    assert "–" in [m[5] for m in marks]  # a reply with no number is drawn, in white, with a dash
    assert "hsl(" not in page and "0:40" in page  # no red-to-green hues; the axis names the times


def test_colours_are_colour_blind_safe_and_difficulty_is_neutral(make_report):
    assert rating_colour(1, (1, 6)) == RATING_COLOURS[0] and rating_colour(6, (1, 6)) == RATING_COLOURS[-1]
    page = report_to_html(make_report(n_segments=1))
    difficulty = re.search(r"Difficulty \(Henle\):</strong> <span class=\"chip\" style=\"background: (#\w+)", page)
    assert difficulty and difficulty.group(1) in DIFFICULTY_COLOURS and difficulty.group(1) not in RATING_COLOURS
    assert "not a judgement of the playing" in page


def test_curves_and_piano_roll_with_the_score_errors(heard_report):
    heard_report.score_errors = ERRORS  # the documented shape; the score follower fills it
    page = report_to_html(heard_report)
    for svg in re.findall(r"<svg.*?</svg>", page, re.S):
        xml.dom.minidom.parseString(svg)  # well-formed
    assert "<strong>Tempo</strong> (95–97 bpm)" in page  # the curve's range, padded by one bpm
    assert page.count('<polyline class="c-tempo"') == 1
    for line in ("c-right", "c-left", "c-melody"):
        assert page.count(f'<polyline class="{line}"') == 1
    n_notes = sum(len(s.heard["notes"]) for s in heard_report.segments)
    roll = re.search(r'aria-label="piano roll">(.*?)</svg>', page, re.S).group(1)
    assert roll.count("<rect") == n_notes
    errors = re.findall(r'<button type="button" class="err" style="left: ([\d.]+)%[^"]*"[^>]*title="([^"]*)">(.)<',
                        page)
    assert [e[2] for e in errors] == ["✕", "○", "+"]
    assert float(errors[0][0]) == pytest.approx(100 * 3.2 / 80.0, abs=0.01)
    assert "wrong note at bar 2, beat 1 (0:03): F4 played for E4 (right hand)" in errors[0][1]
    assert "C3 missing" in errors[1][1] and "B4 added" in errors[2][1]
    assert page.count('class="bar-line"') == 3  # a bar mark at each error, numbered


def test_practise_first_names_the_weakest_with_a_drill_at_a_stated_tempo(heard_report):
    points = practise_first(heard_report)
    assert 1 <= len(points) <= 3
    values = [p.fraction for p in points]
    assert values == sorted(values)  # the weakest first
    assert slow_mark(96) == 66  # 70 % of 96 bpm, down to the metronome's mark
    assert "♩ = 66" in points[0].drill and points[0].measured
    assert points[0].places == [[12.0, 15.5], [52.0, 55.5]]  # where its measurements point
    page = report_to_html(heard_report)
    assert "<h3>Practise first</h3>" in page and "Drill:" in page and "♩ = 66" in page


def test_score_errors_make_an_accuracy_point_with_its_bars(heard_report):
    points = practise_first(heard_report, ERRORS)
    assert points[0].label == "Accuracy" and points[0].bars == [2, 4, 26]
    assert "1 wrong, 1 missing, 1 extra" in points[0].measured[0]


def test_a_take_at_the_top_everywhere_has_nothing_to_practise_first(make_report):
    report = make_report(n_segments=1)
    for answer in report.segments[0].answers:
        for remark in answer.remarks:
            if answer.kind == "rating":
                remark.value = 6
        answer.value = 6 if answer.kind == "rating" else answer.value
    assert practise_first(report) == []
    assert "Nothing stands out: every aspect rated is at the top of its scale." in report_to_html(report)


def test_embedded_audio_is_a_data_uri_player(make_report):
    page = report_to_html(make_report(n_segments=1), audio=("audio/mp4", b"\x00\x01fake"))
    assert '<audio controls preload="metadata" src="data:audio/mp4;base64,AAFmYWtl">' in page
    assert "<audio" not in report_to_html(make_report(n_segments=1))


def test_model_text_is_escaped_and_several_takes_get_a_list(make_report):
    report = make_report(n_segments=1)
    report.segments[0].answers[1].remarks[0].text = "<script>alert(1)</script>"
    page = report_to_html(report)
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page
    both = reports_to_html([report, make_report()])
    assert both.count('<section class="report"') == 2 and '<nav class="toc">' in both
    assert 'href="#take-1"' in both and 'id="take-2"' in both


@pytest.mark.skipif(find_chromium() is None, reason="headless Chromium is needed (scripts/setup.sh --test)")
@pytest.mark.parametrize("width", [1280, 390])
def test_in_chromium_nothing_overflows_and_a_click_highlights_every_picture(heard_report, width):
    heard_report.score_errors = ERRORS
    heard_report.file = "a/very/long/folder/name/of/takes/" + "etude-" * 12 + ".wav"  # must wrap, not overflow
    layout = measure(report_to_html(heard_report), width, click=".mark.place")
    assert layout.viewport == width
    assert layout.scroll_width <= width and layout.overflowing == []
    assert layout.small_text == []  # nothing under 11 px, phone included
    n_lanes = sum(a.kind == "rating" for a in heard_report.segments[0].answers)
    assert layout.clicked["tracks"] == n_lanes + 3  # the lanes, two curves, the piano roll
    assert layout.clicked["highlighted"] == layout.clicked["tracks"]
    assert layout.clicked["left"] == "15%" and "measured at 0:12–0:16" in layout.clicked["text"]


@pytest.mark.skipif(find_chromium() is None, reason="headless Chromium is needed (scripts/setup.sh --test)")
def test_in_chromium_a_click_on_a_place_plays_the_embedded_take_from_there(heard_report, tmp_path):
    import numpy as np
    import soundfile as sf

    from llaqo.model.audio.compress import compressed_copy

    t = np.arange(80 * 16_000) / 16_000
    sf.write(tmp_path / "take.wav", (0.2 * np.sin(2 * np.pi * 440 * t)).astype("float32"), 16_000)
    page = report_to_html(heard_report, audio=compressed_copy(tmp_path / "take.wav"))
    layout = measure(page, 1280, click=".lane:nth-child(2) .mark.place")  # note values, first place: 0:12
    assert layout.clicked["audio_s"] == pytest.approx(12.0, abs=0.05)
    assert layout.clicked["left"] == "15%"


def test_without_measurements_practise_first_points_at_the_weakest_remarks(make_report):
    report = make_report(n_segments=3, windows=3)  # the coach: a rating per 10.24-s window, no evidence
    point = practise_first(report)[0]
    assert point.rating == "3/6" and not point.measured
    threes = [[r.start_s, r.end_s] for s in report.segments for a in s.answers[:1] for r in a.remarks if r.value == 3]
    assert point.places == threes and len(threes) == 3
    assert "about two-thirds of your tempo" in point.drill  # no tempo measured, none made up
