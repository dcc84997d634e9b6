"""The JSON document: the required fields, evidence always present, valid against report.schema.json."""

from __future__ import annotations

import io
import json

import jsonschema
import pytest

from llaqo.rubric.render.json_report import (
    load_report_schema,
    report_to_json,
    reports_to_dict,
    reports_to_json,
    write_json,
)


@pytest.fixture(scope="module")
def validator():
    schema = load_report_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"rubric": "quick", "n_segments": 1}, {"n_segments": 3, "windows": 4, "with_evidence": True}, {"engine": "listen"}],
)
def test_single_report_validates(validator, kwargs, make_report):
    document = json.loads(report_to_json(make_report(**kwargs)))
    validator.validate(document)
    assert document["schema_version"] == "1.0"


def test_several_files_make_one_document(validator, make_report):
    document = json.loads(reports_to_json([make_report(), make_report("quick")], [("broken.m4a", "cannot decode")]))
    validator.validate(document)
    assert [r["rubric"] for r in document["reports"]] == ["full", "quick"]
    assert document["errors"] == [{"file": "broken.m4a", "error": "cannot decode"}]
    assert "reports" not in reports_to_dict([make_report()])


def test_required_fields_and_values(make_report):
    document = reports_to_dict([make_report(with_evidence=True)])
    for key in ("file", "duration_s", "engine", "engine_reason", "model", "device", "elapsed_s", "rubric", "notes"):
        assert key in document
    assert document["notes"] == ["the model heard 0:00–0:10 of each 40-s segment"]
    first = document["segments"][0]
    assert (first["start_s"], first["end_s"]) == (0.0, 40.0)
    legato = first["answers"][0]
    assert (legato["id"], legato["kind"], legato["rating"], legato["value"], legato["text"]) == (
        "legato.rating", "rating", 3, 3, "3",
    )
    assert legato["remarks"] == [{"start_s": 0.0, "end_s": 10.24, "text": "3", "value": 3}]
    assert legato["evidence"][0]["times"] == [[12.0, 15.5]]
    verbal = first["answers"][1]
    assert verbal["rating"] is None and verbal["evidence"] == [] and verbal["text"].startswith("Comment")
    summary = document["summary"]
    assert summary["difficulty"] == 3 and summary["technique"] == "Scales"
    assert {a["id"] for a in summary["answers"]} >= {"legato.rating", "overall.verbal", "technique"}


def test_schema_rejects_a_drifted_document(validator, make_report):
    document = reports_to_dict([make_report()])
    document["segments"][0]["answers"][0]["score"] = 4
    assert not validator.is_valid(document)
    del document["segments"][0]["answers"][0]["score"]
    del document["summary"]
    assert not validator.is_valid(document)


def test_write_json_to_stdout_or_file(tmp_path):
    out = io.StringIO()
    write_json("{}\n", "-", stdout=out)
    assert out.getvalue() == "{}\n"
    write_json("{}\n", tmp_path / "r.json")
    assert (tmp_path / "r.json").read_text() == "{}\n"
