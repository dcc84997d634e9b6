"""Terminal and Markdown renderings show the dimensions, the times, the notes and the timeline (the HTML page:
test_html.py)."""

from __future__ import annotations

import io
import re

from rich.console import Console

from llaqo.rubric.render import (
    print_terminal,
    render_terminal,
    render_terminal_many,
    report_to_markdown,
    reports_to_markdown,
)
from llaqo.rubric.render.common import clock, dimension_rows, rating_bar, spans_brief, split_overall
from llaqo.rubric.render.common import timeline as timeline_columns
from llaqo.rubric.report import Answer, Remark, Report, Segment
from llaqo.rubric.summary import summarize

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


def piped(reports, explain=False) -> str:
    """What `llaqo assess ... | less` receives (not a terminal: rich's default 80 columns)."""
    stream = io.StringIO()
    print_terminal(reports, stream, explain=explain)
    return stream.getvalue()


def test_piped_output_fits_80_columns_with_no_trailing_spaces_or_colour(make_report):
    report = make_report(n_segments=3, windows=2, with_evidence=True)
    text = piped([report], explain=True)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert not [line for line in lines if line != line.rstrip()]
    assert "\x1b" not in text
    # the per-segment view is split in parts that fit, and every aspect is in one of them
    assert "Timeline (1/2)" in text and "Timeline (2/2)" in text
    timeline = text[text.index("Timeline (1/2)"):]
    words = re.findall(r"\w+", " ".join(label for _, label in timeline_columns(report)[0]))
    assert words and all(re.search(rf"\b{w}\b", timeline) for w in words)  # every header whole, "Tempo" too
    assert "2:00" in timeline  # the last segment's end is not cut


def test_a_terminal_wider_than_the_timeline_gets_one_table(make_report):
    console = Console(record=True, width=200)
    render_terminal(make_report(n_segments=2), console)
    text = console.export_text()
    assert "Timeline" in text and "Timeline (1/" not in text


def test_explain_shows_each_measurement_once(make_report):
    report = make_report(n_segments=2, with_evidence=True)  # every rating of a segment has the same evidence
    text = piped([report], explain=True)
    evidence = text[text.index("Evidence"):]
    assert evidence.count("ioi_cv = 0.183") == 2  # once per segment (its times differ), not once per question
    assert "(0:12–0:16)" in evidence and "(0:52–0:56)" in evidence
    assert "0:12–0:12" not in text


def _one_segment(answers: list[Answer]) -> Report:
    return Report("t.wav", 20.0, "listen", "", "full", [Segment(0, 0.0, 20.0, answers)])


def _answer(dimension: str, kind: str, text: str, value=None) -> Answer:
    return Answer(f"{dimension}.{kind}", "?", dimension, "verbal" if kind == "work_on" else kind,
                  [Remark(0.0, 20.0, text, value)], scale=(1, 6) if kind == "rating" else None)


def test_the_overall_comment_does_not_repeat_the_weakest_aspects_sentence():
    legato = "Legato breaks at 0:01–0:19 (notes released early)."
    report = _one_segment([
        _answer("legato", "rating", legato, 3), _answer("legato", "verbal", legato),
        _answer("overall", "rating", "4", 4),
        _answer("overall", "verbal", f"Overall 4/6. Work on: legato (3) — {legato}"),
        _answer("overall", "work_on", f"Legato: {legato}"),
    ])
    rows, overall = split_overall(dimension_rows(summarize(report)))
    assert [c["text"] for c in overall.comments] == ["Overall 4/6. Work on: legato (3)"]
    assert [c["text"] for c in rows[0].comments] == [legato]


def test_practise_first_in_the_terminal(make_report):
    text = piped([make_report(n_segments=1)])
    assert "Practise first" in text and "1. " in text


def test_where_names_the_pointed_places_of_each_segment():
    from llaqo.rubric.render.common import dimension_places
    from llaqo.rubric.report import Evidence

    def rhythm(start: float, times) -> Answer:
        return Answer("rhythm.rating", "?", "rhythm", "rating", [Remark(start, start + 40.0, "", 5)],
                      [Evidence("grid", 1.0, times=list(times))], scale=(1, 6))

    report = Report("t.wav", 80.0, "listen", "", "full", [
        Segment(0, 0.0, 40.0, [rhythm(0.0, [(0.0, 39.0), (10.0, 10.4), (14.0, 15.0)])]),  # all along, and where
        Segment(1, 40.0, 80.0, [rhythm(40.0, [(40.5, 79.0)])]),  # only all along
    ])
    assert dimension_places(report)["rhythm"] == [[10.0, 10.4], [14.0, 15.0], [40.5, 79.0]]
