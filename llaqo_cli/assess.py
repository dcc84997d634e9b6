"""`llaqo assess`: answer the rubric for one or more takes and print (or write) the report."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from llaqo.errors import error_boundary

EXAMPLES = """
[bold]Examples[/bold]

  llaqo assess take.wav                          # full rubric, the best engine available
  llaqo assess a.wav b.m4a --json -              # one JSON document on stdout
  llaqo assess take.flac --rubric quick --html report.html
  llaqo assess etude.wav --engine listen --reference etude.mid --explain
  llaqo assess take.wav --model ckpts/ --fast    # the neural coach, greedy decoding
"""

RubricOpt = Annotated[str, typer.Option("--rubric", "-r", help="full, quick, or a YAML file of your own.")]
EngineOpt = Annotated[str, typer.Option(help="auto (coach if weights are found, else listen), coach or listen.")]
ModelOpt = Annotated[Optional[Path], typer.Option(help="A llaqo bundle or the released checkpoint folder.")]
FastOpt = Annotated[bool, typer.Option("--fast", help="Greedy decoding instead of beam search (coach).")]
DeviceOpt = Annotated[str, typer.Option(help="auto, cpu, cuda or cuda:N.")]
DtypeOpt = Annotated[str, typer.Option(help="auto (fp16 on CUDA, fp32 on CPU), fp16, bf16 or fp32.")]
ModeOpt = Annotated[Optional[str], typer.Option(help="compat (the released model) or full (all queries).")]
MaxLenOpt = Annotated[Optional[int], typer.Option(help="Length budget of an answer, input included (default 256).")]
JsonOpt = Annotated[Optional[str], typer.Option("--json", help="Write the JSON report to a file, or - for stdout.")]
MdOpt = Annotated[Optional[Path], typer.Option("--markdown", help="Write a Markdown report.")]
HtmlOpt = Annotated[Optional[Path], typer.Option("--html", help="Write a self-contained HTML report.")]
ExplainOpt = Annotated[bool, typer.Option("--explain", help="Show the measurement behind every rating.")]
ReferenceOpt = Annotated[Optional[Path], typer.Option(help="The score (MIDI or MusicXML) for the listening engine.")]
MidiOpt = Annotated[Optional[Path], typer.Option(
    "--midi", help="Listening engine: write what it heard as a MIDI file (notes, and the pedal where heard).")]
NotesOpt = Annotated[Optional[Path], typer.Option(
    "--notes", help="Listening engine: write what it heard as a CSV (one row per note and pedal press).")]
TranscriberOpt = Annotated[str, typer.Option(
    help="Listening engine: auto (transkun, on the GPU when there is one), accurate (transkun) or fast "
         "(basic-pitch's ONNX model: a quick preview that misses more notes and hears no pedal).")]


def assess(
    files: Annotated[list[Path], typer.Argument(help="Audio files: wav, flac, ogg, mp3, m4a/aac.", show_default=False)],
    rubric: RubricOpt = "full",
    engine: EngineOpt = "auto",
    model: ModelOpt = None,
    fast: FastOpt = False,
    device: DeviceOpt = "auto",
    dtype: DtypeOpt = "auto",
    mode: ModeOpt = None,
    max_length: MaxLenOpt = None,
    json_out: JsonOpt = None,
    markdown: MdOpt = None,
    html: HtmlOpt = None,
    explain: ExplainOpt = False,
    reference: ReferenceOpt = None,
    transcriber: TranscriberOpt = "auto",
    midi: MidiOpt = None,
    notes: NotesOpt = None,
) -> None:
    """Listen to takes and answer a teacher's rubric, segment by segment (40 s each)."""
    code = run_assessment(files, rubric, engine, model, fast, device, json_out, markdown, html, explain,
                          dtype=dtype, mode=mode, max_length=max_length, reference=reference,
                          transcriber=transcriber, midi=midi, notes=notes)
    raise typer.Exit(code)


assess.__doc__ = (assess.__doc__ or "") + "\n" + EXAMPLES


def run_assessment(
    files: list[Path],
    rubric: str,
    engine: str = "auto",
    model: Path | None = None,
    fast: bool = False,
    device: str = "auto",
    json_out: str | None = None,
    markdown: Path | None = None,
    html: Path | None = None,
    explain: bool = False,
    dtype: str = "auto",
    mode: str | None = None,
    max_length: int | None = None,
    reference: Path | None = None,
    transcriber: str = "auto",
    midi: Path | None = None,
    notes: Path | None = None,
) -> int:
    """Assess every file, render, write; → exit code (1 if any file failed). Used by assess and record."""
    from llaqo.common.errors import ConfigError
    from llaqo.model.assess import EngineOptions, build_engine, read_rubric

    with error_boundary():
        if (midi or notes) and len(files) != 1:
            raise ConfigError("--midi and --notes export one take at a time", "give one audio file")
        the_rubric = read_rubric(rubric)
        opts = EngineOptions(engine, model, device, dtype, fast, mode, max_length, reference, transcriber)
        the_engine, reason = build_engine(opts)
        reports, failures = _assess_all(files, the_rubric, the_engine, reason)
        try:
            _emit(reports, failures, json_out, markdown, html, explain)
            _export(reports, midi, notes)
        except OSError as e:
            from llaqo.common.errors import LlaqoError

            raise LlaqoError(f"{e.filename or 'output'}: cannot write the report ({e.strerror})") from None
    return 1 if failures else 0


def _assess_all(files, rubric, engine, reason):
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from llaqo.model.assess import assess_file
    from llaqo.common.errors import LlaqoError

    reports, failures = [], []
    err = Console(stderr=True)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as bar:
        for path in files:
            task = bar.add_task(f"{Path(path).name}: segments", total=None)
            try:
                reports.append(assess_file(Path(path), rubric, engine, reason,
                                           lambda done, total, t=task: bar.update(t, completed=done, total=total)))
            except LlaqoError as e:
                failures.append((str(path), str(e)))
                print(f"error: {e}", file=sys.stderr)
            finally:
                bar.remove_task(task)
    return reports, failures


def _export(reports, midi: Path | None, notes: Path | None) -> None:
    """The transcription the listening engine heard, as MIDI and/or CSV (one take)."""
    if not (midi or notes) or not reports:
        return
    from llaqo.common.errors import ConfigError
    from llaqo.model.listen.heard import write_midi, write_notes_csv

    parts = [s.heard for s in reports[0].segments if s.heard is not None]
    if reports[0].engine != "listen" or not parts:
        raise ConfigError("--midi and --notes need the listening engine (it transcribes the take)",
                          "add --engine listen")
    for path, write in ((midi, write_midi), (notes, write_notes_csv)):
        if path:
            write(parts, path)
            print(f"wrote {path}", file=sys.stderr)


def _emit(reports, failures, json_out, markdown, html, explain) -> None:
    from rich.console import Console

    from llaqo.rubric.render import render_terminal_many, reports_to_html, reports_to_json, reports_to_markdown, write_json

    if json_out is not None:
        write_json(reports_to_json(reports, failures), json_out)
    if reports and json_out != "-":
        render_terminal_many(reports, Console(), explain=explain)
    for path, text in ((markdown, reports_to_markdown(reports, explain) if markdown and reports else None),
                       (html, reports_to_html(reports) if html and reports else None)):
        if path and text is not None:
            Path(path).write_text(text, encoding="utf-8")
            print(f"wrote {path}", file=sys.stderr)
