"""Terminal, Markdown and HTML renderings show the dimensions, the times, the notes and the timeline."""

from __future__ import annotations

import io
import re
import xml.dom.minidom

from rich.console import Console

from llaqo.rubric.render import (
    render_terminal,
    render_terminal_many,
    report_to_html,
    report_to_markdown,
    reports_to_html,
    reports_to_markdown,
)
from llaqo.rubric.render.common import clock, rating_bar, spans_brief

LABELS = ["Legato", "Note values", "Hand balance", "Dynamics", "Overall"]
NOTE = "the model heard 0:00–0:10 of each 40-s segment"


def terminal_text(report, explain=False, width=120) -> str:
    console = Console(record=True, width=width)
    render_terminal(report, console, explain=explain)
    return console.export_text()


def test_bars_and_clock():
    assert rating_bar(4, (1, 6)) == "████░░"
    assert rating_bar(1, (1, 9)) == "█░░░░░░░░"
    assert len(rating_bar(50, (0, 100))) == 10
    assert (clock(0), clock(70.4), clock(3723)) == ("0:00", "1:10", "1:02:03")
    spans = [[i * 40.0, i * 40.0 + 10.24] for i in range(5)]
    assert spans_brief(spans) == "0:00–0:10 … 2:40–2:50 (5 spans)"


def test_terminal_shows_header_notes_bars_and_times(report):
    text = terminal_text(report)
    for expected in ["takes/etude.wav", "1:20", "coach — a converted model was found", "llaqo-2283000", "12.3 s", NOTE]:
        assert expected in text
    for label in LABELS:
        assert label in text
    assert "███░░░ 3/6 (3–4)" in text
    assert "0:00–0:10, 0:40–0:50" in text
    assert "Difficulty (Henle)" in text and "Technique Scales" in text
    assert "Timeline" in text and "0:40–1:20" in text


def test_terminal_one_segment_has_no_timeline_and_counts_unusable_answers(make_report):
    text = terminal_text(make_report("quick", n_segments=1, windows=3))
    assert "Timeline" not in text
    assert "1/3 not followed" in text
    assert "Legato" not in text


def test_terminal_explain_shows_evidence(make_report):
    report = make_report(with_evidence=True)
    assert "Evidence" not in terminal_text(report)
    explained = terminal_text(report, explain=True)
    assert "ioi_cv = 0.183 — the left hand rushes the semiquavers (0:12–0:16)" in explained


def test_terminal_without_a_tty_is_plain_text(report):
    stream = io.StringIO()
    render_terminal(report, Console(file=stream, width=100))
    assert "\x1b[" not in stream.getvalue() and "Legato" in stream.getvalue()


def test_several_reports_render_one_after_another(make_report):
    console = Console(record=True, width=120)
    render_terminal_many([make_report(), make_report("quick", n_segments=1)], console)
    text = console.export_text()
    assert text.count("takes/etude.wav") == 2 and text.count(NOTE) == 2


def test_markdown_has_dimensions_notes_and_timeline(report, make_report):
    text = report_to_markdown(report)
    assert f"> - {NOTE}" in text
    for label in LABELS:
        assert f"| {label} |" in text or f"| **{label}** |" in text
    assert "`███░░░` 3/6 (3–4)" in text and "### Timeline" in text and "| 0:40–1:20 |" in text
    assert "### Evidence" not in text
    assert "ioi_cv" in report_to_markdown(make_report(with_evidence=True), explain=True)
    assert reports_to_markdown([report, report]).count("## takes/etude.wav") == 2


def test_markdown_escapes_table_breakers(make_report):
    report = make_report(n_segments=1)
    report.segments[0].answers[1].remarks[0].text = "left | right <b>"
    assert "left \\| right &lt;b>" in report_to_markdown(report)


def test_html_is_self_contained_with_an_svg_timeline(make_report):
    page = report_to_html(make_report(windows=3))
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page
    assert not re.search(r"<script|<link|src=|@import|https?://(?!www\.w3\.org/2000/svg)", page)
    for label in LABELS:
        assert f"<td>{label}</td>" in page
    assert NOTE in page and "What the engine heard" in page
    svg = re.search(r"<svg.*?</svg>", page, re.S).group(0)
    xml.dom.minidom.parseString(svg)  # well-formed
    assert svg.count("<rect") == 2 + 13 * 2 * 3  # 2 segments; 12 rating lanes + difficulty, 3 remarks each
    assert "hsl(" in svg and "not followed" in svg and ">0:40<" in svg


def test_html_escapes_model_text_and_lists_several_reports(make_report):
    report = make_report(n_segments=1)
    report.segments[0].answers[1].remarks[0].text = "<script>alert(1)</script>"
    page = report_to_html(report)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert reports_to_html([report, make_report()]).count('<section class="report">') == 2
