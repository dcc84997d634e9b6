"""Results files: every layout scores by hand-computed figures; rows are appended and resumed safely."""

from __future__ import annotations

import csv

import pytest

from llaqo.model.evaluate.errors import ResultsError
from llaqo.model.evaluate.results import COLUMNS, ResultsWriter, read_results, unwrap_text
from llaqo.model.evaluate.score import ScoreOptions, score_frame

Q = "How would you rate the overall performance? on a scale of 1 to 6, 1 is the worst and 6 is the best?"


def write(path, header, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def score(path, **kw):
    task, df = read_results(path)
    return task, score_frame(task, df, ScoreOptions(**kw))


def test_ltu_layout(tmp_path):
    """The baselines' layout (response, rating); ratings 3/4/5 against gt; hand-computed PFR 1, MAE 7/6."""
    header = ["audio_path", "question", "response", "rating", "gt", "verbal_output", "verbal_gt",
              "question_id", "question_category", "mae"]
    rows = [
        ["a.wav", Q, "I would give it a rating of 3 out of 6.", 3, 3, "Good tone.", "Nice tone.", 1, "summary", 0],
        ["a.wav", Q, "4", 4, 2, "Even legato.", "Legato uneven.", 3, "coordination", 2],
        ["b.wav", Q, "I would rate it 5", 5, 3, "Steady.", "Rushed.", 10, "rhythm and tempo", 2],
        ["b.wav", Q, "4.", 4, 5, "Clean.", "Clean attack.", 6, "articulation", 1],
        ["b.wav", Q, "4", 4, 6, "Balanced.", "", 7, "dynamics", 2],
        ["c.wav", Q, "5", 5, 5, "Fine.", "Fine.", 2, "summary", 0],
    ]
    task, s = score(write(tmp_path / "ltu_results.csv", header, rows))
    assert task == "neuropiano"
    assert (s["n"], s["pfr"]) == (6, 1.0)
    assert s["mae"] == pytest.approx(7 / 6)
    assert s["per_category"]["summary"]["mae"] == 0.0
    assert s["per_category"]["coordination"]["mae"] == 2.0
    assert 0 < s["bleu_1"] < 1 and s["bu"] == pytest.approx(sum(s[f"bleu_{n}"] for n in range(1, 5)) / 4)
    assert s["skipped"]["bertscore_f1"].startswith("skipped: model not found at")


def test_llaqo_layout_with_stringified_lists_and_the_zero_quirk(tmp_path):
    rows = [
        ["a.wav", Q, "['6']", 6.0, 5, "['Good.']", "Good.", 1, "summary", 1.0],
        ["a.wav", Q, "['0']", 0.0, 0, "['Hmm.']", "Bad.", 3, "coordination", ""],  # a parsed 0: missing
        ["a.wav", Q, "['no idea']", "", 4, "['x']", "y", 4, "coordination", ""],
        ["a.wav", Q, "['on a scale of 1 to 6, 4']", 1.0, 4, "['x']", "y", 5, "tone production", 3.0],
    ]
    path = write(tmp_path / "checkpoint_963000.csv", COLUMNS["neuropiano"], rows)
    _, auto = score(path)
    assert (auto["pfr"], auto["mae"]) == (0.5, 2.0)  # rows 1 and 4: |6-5|, |1-4|
    _, strict = score(path, parser="strict")
    assert (strict["pfr"], strict["mae"]) == (0.5, 0.5)  # 6 vs 5, 4 vs 4; the 0 is off the 1-6 scale
    _, ref = score(path, parser="reference")
    assert (ref["pfr"], ref["mae"]) == (auto["pfr"], auto["mae"])
    assert unwrap_text("['6']") == "6" and unwrap_text(float("nan")) == "nan" and unwrap_text("[1, 2]") == "[1, 2]"


def test_cipi_layouts(tmp_path):
    rows = [["a.wav", "Difficulty, 1 to 9?", "Level 3", 3, 3, 0], ["b.wav", "q", "I think 5", 5, 7, 2],
            ["c.wav", "q", "hard to say", "", 7, ""], ["d.wav", "q", "8", 8, 9, 1]]
    task, s = score(write(tmp_path / "x_cipi.csv", COLUMNS["cipi"], rows))
    assert task == "cipi"
    # classes 3: 1/1 exact; 7: 0/2 exact, 0/2 within one; 9: 0/1 exact, 1/1 within one
    assert s["acc0"] == pytest.approx(1 / 3) and s["acc1"] == pytest.approx(2 / 3)
    assert s["micro_acc0"] == 0.25 and s["mae"] == pytest.approx(1.0) and s["parsed"] == 3
    # LTU's CIPI file has neither rating nor mae: the text is read with the reference parser
    task, s2 = score(write(tmp_path / "ltu_cipi.csv", ["audio_path", "question", "response", "gt"],
                           [[r[0], r[1], r[2], r[4]] for r in rows]))
    assert task == "cipi" and s2["acc0"] == s["acc0"] and s2["mae"] == s["mae"]


def test_techniques_layout(tmp_path):
    rows = [["a.wav", "q", "The main technique is repeated notes.", "Repeatednotes"],
            ["b.wav", "q", "Staccato", "Repeatednotes|Staccato"], ["c.wav", "q", "scales", "Octave"]]
    task, s = score(write(tmp_path / "x_techniques.csv", COLUMNS["techniques"], rows))
    assert task == "techniques"
    assert s["acc0"] == pytest.approx(1 / 3) and s["acc_any"] == pytest.approx(2 / 3)
    assert s["confusion"]["Octaves"]["Scales"] == 1


def test_missing_columns_are_named(tmp_path):
    path = write(tmp_path / "bad.csv", ["audio_path", "output_rating", "gt"], [["a", 3, 3]])
    with pytest.raises(ResultsError, match=r"output \(or response\), verbal_output, verbal_gt"):
        read_results(path)


def test_writer_appends_and_resumes_after_a_torn_line(tmp_path):
    path = tmp_path / "cipi_listen.csv"
    with ResultsWriter(path, "cipi") as w:
        w.write({"audio_path": "a.wav", "question": "q, with a comma", "response": "line one\nline two",
                 "rating": 3, "gt": 4, "mae": 1})
    with open(path, "a") as f:
        f.write('b.wav,q,"half a row')  # killed while writing
    with pytest.raises(ResultsError, match="already exists"):
        ResultsWriter(path, "cipi")
    with ResultsWriter(path, "cipi", resume=True) as w:
        assert [r["audio_path"] for r in w.done] == ["a.wav"]
        assert w.done[0]["response"] == "line one\nline two"
        w.write({"audio_path": "b.wav", "question": "q", "response": "5", "rating": 5, "gt": 5, "mae": 0})
    _, df = read_results(path)
    assert df["audio_path"].tolist() == ["a.wav", "b.wav"]
    assert df["mae"].tolist() == [1, 0]
