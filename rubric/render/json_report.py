"""The report as JSON for machines (`--json PATH` or `--json -`), described by rubric/report.schema.json.

One take gives one report document. Several takes — or one take plus files that failed — give ONE
document `{"schema_version", "reports": [...], "errors": [{"file", "error"}]}`, so that
`llaqo assess a.wav b.m4a --json -` always prints a single valid JSON document.
"""

from __future__ import annotations

import json
import sys
from importlib import resources
from pathlib import Path
from typing import Any, Iterable

from llaqo.common.files import write_atomic
from llaqo.rubric.report import Report
from llaqo.rubric.summary import SCHEMA_VERSION, build_report_dict


def reports_to_dict(reports: Iterable[Report], failures: Iterable[tuple[str, str]] = ()) -> dict[str, Any]:
    """The JSON document for a run: the single report, or a list of reports with the files that failed."""
    reports, failures = list(reports), list(failures)
    if len(reports) == 1 and not failures:
        return build_report_dict(reports[0])
    return {
        "schema_version": SCHEMA_VERSION,
        "reports": [build_report_dict(r) for r in reports],
        "errors": [{"file": file, "error": error} for file, error in failures],
    }


def report_to_json(report: Report, indent: int | None = 2) -> str:
    return json.dumps(build_report_dict(report), indent=indent, ensure_ascii=False) + "\n"


def reports_to_json(
    reports: Iterable[Report], failures: Iterable[tuple[str, str]] = (), indent: int | None = 2
) -> str:
    """One JSON document for any number of takes; `failures` are (file, error message) pairs."""
    return json.dumps(reports_to_dict(reports, failures), indent=indent, ensure_ascii=False) + "\n"


def write_json(text: str, destination: str | Path, stdout: Any = None) -> None:
    """Write to a file, or to stdout when `destination` is "-" (results to stdout, diagnostics to stderr)."""
    if str(destination) == "-":
        (stdout or sys.stdout).write(text)
        return
    write_atomic(destination, text)  # the one writer: temp file, fsync, rename; the old file survives


def load_report_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) every document written here satisfies."""
    return json.loads((resources.files("llaqo.rubric") / "report.schema.json").read_text(encoding="utf-8"))
