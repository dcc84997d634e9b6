"""`llaqo assess`: answer the rubric for one or more takes and print (or write) the report."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from llaqo.errors import error_boundary, say
from llaqo.model.options import EngineOptions, FolderOptions, HistoryOptions, OutputOptions
from llaqo.options import ENGINE, FOLDER, HISTORY, OUTPUT, RubricOpt, uses

EXAMPLES = """
[bold]Examples[/bold]

  llaqo assess take.wav                          # full rubric, the best engine available
  llaqo assess a.wav b.m4a --json -              # one JSON document on stdout
  llaqo assess take.flac --rubric quick --html report.html
  llaqo assess etude.wav --engine listen --reference etude.mid --explain
  llaqo assess take.wav --model ckpts/ --fast    # the neural coach, greedy decoding
  llaqo assess etude.wav --piece etude           # kept in the practice history: see `llaqo history`
  llaqo assess archive/ --recursive --jsonl all.jsonl   # a folder of takes; run again to resume
"""


@uses(engine=ENGINE, output=OUTPUT, history=HISTORY, folder=FOLDER)
def assess(
    files: Annotated[list[Path], typer.Argument(metavar="FILE...", show_default=False,
                                                help="Audio files (wav, flac, ogg, mp3, m4a/aac) or "
                                                     "folders of them.")],
    rubric: RubricOpt = "full",
    *,
    engine: EngineOptions,
    output: OutputOptions,
    history: HistoryOptions,
    folder: FolderOptions,
) -> None:
    """Listen to takes and answer a teacher's rubric, segment by segment (40 s each)."""
    with error_boundary():
        code = run_assessment(files, rubric, engine=engine, output=output, history=history, folder=folder)
    raise typer.Exit(code)


assess.__doc__ = (assess.__doc__ or "") + "\n" + EXAMPLES


def run_assessment(files: list[Path], rubric: str, *, engine: EngineOptions, output: OutputOptions,
                   history: HistoryOptions | None = None, folder: FolderOptions | None = None) -> int:
    """Assess every file, render, write, store in the practice history; → exit code (1 if any file
    failed). Used by assess and record."""
    from llaqo.common.errors import ConfigError
    from llaqo.common.files import check_outputs
    from llaqo.model.assess import build_engine
    from llaqo.model.folder import expand_takes
    from llaqo.rubric.schema import load_rubric

    folder = folder or FolderOptions()
    files = expand_takes(files, folder.recursive)
    if folder.jsonl is not None:
        from llaqo.assess_folder import run_folder

        return run_folder(files, rubric, engine=engine, output=output, history=history, folder=folder)

    if (output.midi or output.notes) and len(files) != 1:
        raise ConfigError("--midi and --notes export one take at a time", "give one audio file")
    # before any work: a report never replaces a take, and a bad path fails now, not after an hour
    inputs = [*files, *(p for p in (engine.listen.reference, engine.coach.model, rubric) if p and Path(p).exists())]
    check_outputs([output.json_out, output.markdown, output.html, output.midi, output.notes], inputs)
    the_rubric = load_rubric(rubric)
    store = _open_history(history, engine)
    the_engine = build_engine(engine)
    reports, failures = _assess_all(files, the_rubric, the_engine)
    _emit(reports, failures, output)
    _export(reports, output)
    _remember(reports, store)
    return 1 if failures else 0


def _open_history(history: HistoryOptions | None, engine: EngineOptions):
    from llaqo.model.history.save import HistoryWriter

    return HistoryWriter.open(history or HistoryOptions(no_history=True), engine.listen.reference)


def _remember(reports, store, close: bool = True) -> None:
    """Each report into the practice history (at a terminal, one line on stderr says where)."""
    from llaqo.common.text import shown

    try:
        for report in reports:
            store.add(report)
    finally:
        if close:
            store.close()
    if store.store is not None and reports and sys.stderr.isatty():
        piece = f" as {shown(store.piece)!r}" if store.piece else " (no --piece named)"
        print(f"history: {len(reports)} take{'s' if len(reports) != 1 else ''} stored{piece} in "
              f"{shown(store.store.path)}", file=sys.stderr)


def _export(reports, output: OutputOptions) -> None:
    """The transcription the listening engine heard, as MIDI and/or CSV (one take)."""
    if not (output.midi or output.notes) or not reports:
        return
    from llaqo.common.errors import ConfigError
    from llaqo.model.listen.heard import write_midi, write_notes_csv

    parts = [s.heard for s in reports[0].segments if s.heard is not None]
    if reports[0].engine != "listen" or not parts:
        raise ConfigError("--midi and --notes need the listening engine (it transcribes the take)",
                          "add --engine listen")
    for path, write in ((output.midi, write_midi), (output.notes, write_notes_csv)):
        if path:
            write(parts, path)
            print(f"wrote {path}", file=sys.stderr)


def _assess_all(files, rubric, engine):
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from llaqo.common.errors import AudioError
    from llaqo.common.text import shown
    from llaqo.model.assess import assess_file

    reports, failures = [], []
    err = Console(stderr=True)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as bar:
        for path in files:
            task = bar.add_task(f"{escape(shown(Path(path).name, 60))}: segments", total=None)
            try:
                reports.append(assess_file(Path(path), rubric, engine,
                                           lambda done, total, t=task: bar.update(t, completed=done, total=total)))
            except AudioError as e:  # this take is bad; the others are still assessed
                failures.append((str(path), str(e)))
                say(str(e), e.hint)
            finally:
                bar.remove_task(task)
    return reports, failures


def _emit(reports, failures, output: OutputOptions) -> None:
    from rich.console import Console

    from llaqo.common.files import write_atomic
    from llaqo.common.text import shown
    from llaqo.rubric.render import (
        render_terminal_many,
        reports_to_html,
        reports_to_json,
        reports_to_markdown,
        write_json,
    )

    if output.json_out is not None:
        write_json(reports_to_json(reports, failures), output.json_out)
    if reports and output.json_out != "-":
        render_terminal_many(reports, Console(), explain=output.explain)
    for path, render in ((output.markdown, lambda: reports_to_markdown(reports, output.explain)),
                         (output.html, lambda: reports_to_html(reports))):
        if path and reports:
            write_atomic(path, render())  # whole or not at all; names the path if it fails
            print(f"wrote {shown(path)}", file=sys.stderr)
