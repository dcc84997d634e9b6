"""`llaqo assess` end to end: rubrics, report files, schema, engines."""

import json

import jsonschema

from llaqo.rubric.render import load_report_schema

FAST = ("--fast", "--max-length", "40", "--device", "cpu")


def test_full_rubric_with_every_output(run, released_dir, takes, tmp_path):
    out = {k: tmp_path / f"r.{k}" for k in ("json", "md", "html")}
    result = run("assess", takes["a"], "--model", released_dir, *FAST,
                 "--json", out["json"], "--markdown", out["md"], "--html", out["html"])
    assert result.exit_code == 0, result.output
    report = json.loads(out["json"].read_text())
    jsonschema.validate(report, load_report_schema())
    ids = {a["id"] for a in report["segments"][0]["answers"]}
    assert len(ids) == 27 and {"legato.rating", "legato.verbal", "hand_timing.rating", "technique"} <= ids
    rating = next(a for a in report["segments"][0]["answers"] if a["id"] == "tempo.rating")
    assert len(rating["remarks"]) == 2  # a 12-s take holds two 10.24-s windows
    assert rating["rating"] is None or 1 <= rating["rating"] <= 6  # random weights: often not followed
    assert "Hand timing" in out["md"].read_text() and 'class="plot timeline"' in out["html"].read_text()
    assert "Legato" in result.output and "coach" in result.output  # the terminal report


def test_a_teachers_rubric(run, released_dir, takes, tmp_path):
    rubric = tmp_path / "mine.yaml"
    rubric.write_text("name: pedalling\nquestions:\n  - text: Is the pedalling clean?\n    kind: verbal\n"
                      "  - {id: pedal_rating, text: 'How clean is the pedalling, on a scale of 1 to 6?', kind: rating}\n")
    result = run("assess", takes["b"], "--rubric", rubric, "--model", released_dir, "--json", "-", *FAST)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["rubric"] == "pedalling"
    assert [a["question"] for a in report["segments"][0]["answers"]][0] == "Is the pedalling clean?"


def test_a_broken_teachers_rubric_is_one_line(run, released_dir, takes, tmp_path):
    rubric = tmp_path / "bad.yaml"
    rubric.write_text("questions:\n  - {text: 'How?', kind: ratng}\n  - {kind: verbal}\n")
    result = run("assess", takes["a"], "--rubric", rubric, "--model", released_dir)
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
    assert "ratng" in result.output and "bad.yaml" in result.output


def test_no_model_means_the_listening_engine_and_the_report_says_why(run, takes, tmp_path, monkeypatch):
    monkeypatch.delenv("LLAQO_MODEL", raising=False)
    monkeypatch.chdir(tmp_path)  # no ckpts/ here
    from llaqo.model.coach import locate

    monkeypatch.setattr(locate, "PACKAGE_CKPTS", tmp_path / "nothing")
    result = run("assess", takes["a"], takes["b"], "--rubric", "quick", "--json", "-")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    jsonschema.validate(doc["reports"][0], load_report_schema())
    for report in doc["reports"]:
        assert report["engine"] == "listen" and "no model weights found" in report["engine_reason"]
        technique = next(a for a in report["summary"]["answers"] if a["id"] == "technique")
        assert technique["value"] in {"Scales", "Arpeggios", "Ornaments", "Repeated notes", "Double notes",
                                      "Octaves", "Staccato", None}
