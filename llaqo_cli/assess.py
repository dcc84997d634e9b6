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

  llaqo assess take.wav                     # full rubric, the best engine
  llaqo assess etude.flac -o out -f all     # out/etude.json .md .html .mid .csv
  llaqo assess a.wav b.m4a --json -         # one JSON document on stdout
  llaqo assess take.flac -r quick --html report.html --embed-audio
  llaqo assess etude.wav --engine listen --reference etude.mid --explain
  llaqo assess take.wav --model ckpts/ --fast   # the coach, greedy decoding
  llaqo assess etude.wav --piece etude          # kept in the practice history
  llaqo assess takes/ -R --jsonl all.jsonl      # a folder; run again to resume
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
    from llaqo.model.assess import build_engine, rubric_for
    from llaqo.model.folder import expand_takes
    from llaqo.outputs import planned_paths, prepare_out_dir
    from llaqo.rubric.schema import load_rubric

    folder = folder or FolderOptions()
    files = expand_takes(files, folder.recursive)
    if folder.jsonl is not None:
        from llaqo.assess_folder import run_folder

        return run_folder(files, rubric, engine=engine, output=output, history=history, folder=folder)

    if (output.midi or output.notes) and len(files) != 1:
        raise ConfigError("--midi and --notes export one take at a time", "give one audio file, or use --out-dir")
    # before any work: a report never replaces a take, and a bad path fails now, not after an hour
    inputs = [*files, *(p for p in (engine.listen.reference, engine.coach.model, rubric) if p and Path(p).exists())]
    prepare_out_dir(output)
    check_outputs([output.json_out, output.markdown, output.html, output.midi, output.notes,
                   *planned_paths(files, output)], inputs)
    the_rubric = load_rubric(rubric)
    store = _open_history(history, engine)
    the_engine = build_engine(engine)
    the_rubric = rubric_for(the_rubric, the_engine)
    _step(output, f"engine: {the_engine.name} ({the_engine.reason}); rubric: {the_rubric.name}")
    reports, failures = _assess_all(files, the_rubric, the_engine, output)
    _emit(reports, failures, files, output)
    _remember(reports, store)
    return 1 if failures else 0


def _step(output: OutputOptions, text: str) -> None:
    """What is done, on stderr, with --verbose."""
    if output.verbose:
        print(text, file=sys.stderr)


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


def _assess_all(files, rubric, engine, output: OutputOptions):
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    from llaqo.common.errors import AudioError
    from llaqo.common.text import shown
    from llaqo.common.times import clock
    from llaqo.model.assess import assess_file

    reports, failures = [], []
    err = Console(stderr=True)
    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TextColumn("{task.fields[part]}"),
               TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True, disable=output.quiet or not err.is_terminal) as bar:
        for path in files:
            name = escape(shown(Path(path).name, 60))
            task = bar.add_task(name, total=1.0, part="segment 1")

            def progress(done, total, t=task):  # done: segments finished, fractions included
                bar.update(t, completed=done / max(total, 1), part=f"segment {min(int(done) + 1, total)}/{total}")

            try:
                _step(output, f"assessing {shown(path)}")
                report = assess_file(Path(path), rubric, engine, progress)
                reports.append(report)
                _step(output, f"{shown(path)}: {clock(report.duration_s)} heard in {report.elapsed_s:.1f} s, "
                              f"{len(report.segments)} segment(s)")
            except AudioError as e:  # this take is bad; the others are still assessed
                failures.append((str(path), str(e)))
                say(str(e), e.hint)
            finally:
                bar.remove_task(task)
    return reports, failures


def _emit(reports, failures, files, output: OutputOptions) -> None:
    from llaqo.common.files import write_atomic
    from llaqo.outputs import note_parts, notes_what, say_wrote, takes, write_out_dir
    from llaqo.rubric.render import print_terminal, reports_to_html, reports_to_json, reports_to_markdown, write_json

    if output.json_out is not None:
        write_json(reports_to_json(reports, failures), output.json_out)
        if output.json_out != "-":
            say_wrote(output.json_out, f"JSON report, {takes(len(reports))}"
                      + (f" and {len(failures)} failed" if failures else ""), output)
    if reports and output.json_out != "-" and not output.quiet:
        print_terminal(reports, sys.stdout, explain=output.explain)
    audio_for = _audio_embedder(output)
    for path, what, render in (
        (output.markdown, "Markdown report", lambda: reports_to_markdown(reports, output.explain)),
        (output.html, "HTML report", lambda: reports_to_html(reports, {r.file: audio_for(r) for r in reports})),
    ):
        if path and reports:
            write_atomic(path, render())  # whole or not at all; names the path if it fails
            say_wrote(path, f"{what}, {takes(len(reports))}", output)
    if output.out_dir is not None:
        write_out_dir(reports, files, output, audio_for)
    if (output.midi or output.notes) and reports:
        _export(reports[0], output, note_parts, notes_what, say_wrote)


def _audio_embedder(output: OutputOptions):
    """report → (MIME type, bytes) of a compressed copy of its take for the HTML, or None."""
    if not output.embed_audio or not (output.html or "html" in output.dir_formats):
        return lambda report: None
    from llaqo.model.audio.compress import compressed_copy

    made: dict[str, tuple[str, bytes]] = {}

    def audio_for(report):
        if report.file not in made:
            made[report.file] = compressed_copy(Path(report.file))
        return made[report.file]

    return audio_for


def _export(report, output: OutputOptions, note_parts, notes_what, say_wrote) -> None:
    """--midi / --notes: the transcription the listening engine heard, as MIDI and/or CSV (one take)."""
    from llaqo.common.errors import ConfigError
    from llaqo.model.listen.heard import write_midi, write_notes_csv

    parts = note_parts(report)
    if not parts:
        raise ConfigError("--midi and --notes need the listening engine (it transcribes the take)",
                          "add --engine listen")
    for path, write, kind in ((output.midi, write_midi, "MIDI"), (output.notes, write_notes_csv, "CSV")):
        if path:
            write(parts, path)
            say_wrote(path, notes_what(parts, kind), output)
