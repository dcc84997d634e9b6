"""`llaqo compare` on two renders of one passage, one with injected timing jitter; the change rules."""

from __future__ import annotations

import json

import pytest

from llaqo.model.compare import compare_reports, measurement_change
from llaqo.rubric.report import Answer, Evidence, Remark, Report, Segment
from tests.fixtures.renders import even_and_jittered, run

LISTEN = ["--transcriber", "fast"]


@pytest.fixture(scope="module")
def takes(tmp_path_factory):
    return even_and_jittered(tmp_path_factory.mktemp("compare"))


@pytest.mark.parametrize("order", [("jitter", "even"), ("even", "jitter")])
def test_names_the_steady_take_and_the_rhythm_difference(takes, tmp_path, order):
    a, b = (takes[k] for k in order)
    out = tmp_path / "c.json"
    result = run("compare", a, b, *LISTEN, "--piece", "etude", "--json", out)
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    assert doc["better"] == str(takes["even"]) and 0.5 < doc["confidence"] <= 1.0
    rhythm = next(c for c in doc["changes"] if c["dimension"] == "rhythm")
    steady, shaky = (rhythm["value_b"], rhythm["value_a"]) if order[1] == "even" else (rhythm["value_a"], rhythm["value_b"])
    assert rhythm["measure"] == "grid_deviation" and shaky > 2 * steady
    assert rhythm["change"] == ("better" if order[1] == "even" else "worse")
    assert rhythm["text"].startswith("Rhythm: ") and "grid deviation" in rhythm["text"] and rhythm["change"] in rhythm["text"]
    assert "Take " + ("B" if order[1] == "even" else "A") + " is played better" in result.output
    assert doc["reports"]["a"]["file"] == str(a)


def test_markdown_and_html_carry_the_verdict_and_each_dimension(takes, tmp_path):
    md, page = tmp_path / "c.md", tmp_path / "c.html"
    result = run("compare", takes["jitter"], takes["even"], *LISTEN, "--markdown", md, "--html", page, "--json", "-")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["better"] == str(takes["even"])  # --json - is stdout's only content
    text, html = md.read_text(), page.read_text()
    assert "Take B is played better" in text and "| Rhythm |" in text
    assert "Take B is played better" in html and "<tr class='better'><td>Rhythm</td>" in html


def test_refusals_are_one_line(takes, tmp_path):
    result = run("compare", takes["even"], takes["even"], *LISTEN)
    assert result.exit_code == 1 and result.output.startswith("error: ") and "given twice" in result.output
    result = run("compare", takes["even"], tmp_path / "missing.wav", *LISTEN)
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
    result = run("compare", takes["even"], takes["jitter"], "--json", takes["jitter"])
    assert result.exit_code == 2 and takes["jitter"].exists() and takes["jitter"].stat().st_size > 1000


@pytest.mark.parametrize("measure, a, b, unit, said", [
    ("grid_deviation", 41.0, 18.0, "ms", "better"),
    ("grid_deviation", 18.0, 41.0, "ms", "worse"),
    ("grid_deviation", 5.1, 7.0, "ms", "unchanged"),  # under the 4-ms noise floor
    ("tempo_cv", 10.0, 9.0, "%", "unchanged"),  # 10% of the value: not moved
    ("melody_over_accompaniment", 21.0, 8.0, "velocity", "worse"),  # larger is better here
    ("tempo_span", 10.0, 90.0, "%", None),  # no better direction
])
def test_measurement_change(measure, a, b, unit, said):
    assert measurement_change(measure, a, b, unit) == said


def _report(file, rhythm, grid, overall=5):
    answers = [Answer("rhythm.rating", "?", "rhythm", "rating", [Remark(0, 30, "", rhythm)],
                      [Evidence("grid_deviation", grid, "ms")], label="Rhythm"),
               Answer("overall.rating", "?", "overall", "rating", [Remark(0, 30, "", overall)], label="Overall")]
    return Report(file, 30.0, "listen", "", "full", [Segment(0, 0.0, 30.0, answers)])


def test_equal_takes_have_no_better_one_and_overall_breaks_a_tie():
    same = compare_reports(_report("a.wav", 4, 20.0), _report("b.wav", 4, 21.0))
    assert same.better is None and same.confidence is None and same.changes[0].text.startswith("Rhythm unchanged")
    tie = compare_reports(_report("a.wav", 4, 20.0, overall=3), _report("b.wav", 4, 20.0, overall=5))
    assert tie.better == "b.wav" and tie.confidence == 0.5
