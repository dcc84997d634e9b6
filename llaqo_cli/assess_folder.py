"""`llaqo assess DIR --jsonl OUT.jsonl`: a folder of takes, one JSON line each, resumable, and split
between processes under `accelerate launch -m llaqo assess …` (model/folder.py holds the rules)."""

from __future__ import annotations

import sys
from pathlib import Path

from llaqo.errors import say
from llaqo.model.options import EngineOptions, FolderOptions, HistoryOptions, OutputOptions


def run_folder(files: list[Path], rubric: str, *, engine: EngineOptions, output: OutputOptions,
               history: HistoryOptions | None, folder: FolderOptions) -> int:
    """→ exit code: 1 if any take failed (its error is a line of the file too; the next run retries it)."""
    from llaqo.assess import _open_history, _remember
    from llaqo.common.errors import AudioError, ConfigError
    from llaqo.common.files import check_outputs
    from llaqo.common.text import shown
    from llaqo.model.assess import assess_file, build_engine, rubric_for
    from llaqo.model.folder import JsonlLog, share
    from llaqo.rubric.schema import load_rubric
    from llaqo.rubric.summary import build_report_dict

    if any((output.json_out, output.markdown, output.html, output.midi, output.notes, output.out_dir)):
        raise ConfigError("--jsonl writes every take's report as a line; --json, --markdown, --html, --midi, "
                          "--notes and --out-dir are for a few takes", "drop them, or drop --jsonl")
    check_outputs([folder.jsonl], files)
    the_rubric = load_rubric(rubric)
    log = JsonlLog(folder.jsonl)
    pending = log.pending(files)
    skipped = len(files) - len(pending)
    mine = share(pending)
    store = _open_history(history, engine)
    the_engine = build_engine(engine)
    the_rubric = rubric_for(the_rubric, the_engine)
    print(f"{len(files)} takes: {skipped} already in {shown(folder.jsonl)}, {len(mine)} to assess here",
          file=sys.stderr)
    failed = 0
    try:
        for k, path in enumerate(mine, start=1):
            try:
                report = assess_file(path, the_rubric, the_engine)
            except AudioError as e:
                failed += 1
                say(str(e), e.hint)
                log.write({"file": str(path), "error": str(e)})
                continue
            log.write(_lean(build_report_dict(report)))
            _remember([report], store, close=False)
            print(f"[{k}/{len(mine)}] {shown(path)}", file=sys.stderr)
    finally:
        store.close()
    return 1 if failed else 0


def _lean(document: dict) -> dict:
    """The report without the transcription (`heard`), which would make an archive's lines huge."""
    for segment in document["segments"]:
        segment.pop("heard", None)
    return document
