"""`llaqo eval`: the paper's benchmarks (NeuroPiano, CIPI, PLD techniques) for every engine, and the scoring
of an existing results file. Thin: options → one core call → the table. torch is imported by the core only."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from llaqo.errors import error_boundary

app = typer.Typer(
    name="eval",
    help="Run the paper's benchmarks (NeuroPiano, CIPI, techniques) or score a results file.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)

EXAMPLES = """
[bold]Examples[/bold]

  llaqo eval neuropiano --data NeuroPiano-data/ --model ckpts/            # the neural coach
  llaqo eval neuropiano --data NeuroPiano-data/ --engine listen --limit 50
  llaqo eval cipi --data metadatas/difficulty_cipi --audio-root /data/cipi --engine coach --engine listen
  llaqo eval techniques --data metadatas/techniques --audio-root /data/pld --baseline qwen2-audio
  llaqo eval neuropiano --data NeuroPiano-data/ --out runs/np --resume    # continue a killed run
"""

DataOpt = Annotated[Path, typer.Option(help="NeuroPiano: a folder of its parquet files (data/*.parquet; "
                                       "downloaded into an empty folder when online). CIPI/techniques: the "
                                       "folder of audio_qa.csv or the CSV itself.")]
AudioRootOpt = Annotated[Optional[Path], typer.Option(help="Where the CIPI/PLD recordings are (their paths in "
                                                      "the metadata are the authors' own).")]
EngineOpt = Annotated[Optional[list[str]], typer.Option(
    "--engine", help="auto, coach or listen; repeat to run several (default: auto).")]
ModelOpt = Annotated[Optional[Path], typer.Option(help="The neural coach's bundle or released checkpoint folder.")]
BaselineOpt = Annotated[Optional[str], typer.Option(help="Also run a baseline on the same items: qwen2-audio.")]
BaselineModelOpt = Annotated[Optional[str], typer.Option(
    help="The baseline's local folder or hub id (default: Qwen/Qwen2-Audio-7B-Instruct).")]
LimitOpt = Annotated[Optional[int], typer.Option(min=1, help="Only the first N rows of the benchmark.")]
RepeatsOpt = Annotated[int, typer.Option(min=1, help="Run K times; the table shows mean ± sd over the runs.")]
OutOpt = Annotated[Path, typer.Option(help="Folder of the results CSVs and summary.json.")]
ResumeOpt = Annotated[bool, typer.Option("--resume", help="Continue the results files in --out, skipping rows done.")]
SplitOpt = Annotated[Optional[str], typer.Option(help="The split to run (default: eval for NeuroPiano, val otherwise).")]
DeviceOpt = Annotated[str, typer.Option(help="auto, cpu, cuda or cuda:N.")]
TranscriberOpt = Annotated[str, typer.Option(help="Listening engine: auto, fast or accurate.")]
FastOpt = Annotated[bool, typer.Option("--fast", help="Greedy decoding instead of beam search (coach).")]
MaxLenOpt = Annotated[int | None, typer.Option(help="Coach: length budget of an answer, input included (default 256).")]
ParserOpt = Annotated[str, typer.Option(help="Ratings: auto (the file's rating column, as the reference scored), "
                                        "reference (first number, re-read) or strict (scale phrases skipped, on-scale only).")]
BertOpt = Annotated[Optional[Path], typer.Option(help="Local roberta-large for BERTScore (default: ckpts/metrics/roberta-large).")]
SentOpt = Annotated[Optional[Path], typer.Option(
    help="Local nlptown/bert-base-multilingual-uncased-sentiment (default: ckpts/metrics/<its name>).")]
SpiceOpt = Annotated[Optional[Path], typer.Option(help="The SPICE 1.0 jar (needs Java); SPICE is skipped without it.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the summary as JSON instead of the table.")]


def _runner(task: str):
    def command(
        data: DataOpt,
        audio_root: AudioRootOpt = None,
        engine: EngineOpt = None,
        model: ModelOpt = None,
        baseline: BaselineOpt = None,
        baseline_model: BaselineModelOpt = None,
        limit: LimitOpt = None,
        repeats: RepeatsOpt = 1,
        out: OutOpt = Path("eval-results"),
        resume: ResumeOpt = False,
        split: SplitOpt = None,
        device: DeviceOpt = "auto",
        transcriber: TranscriberOpt = "auto",
        fast: FastOpt = False,
        max_length: MaxLenOpt = None,
        parser: ParserOpt = "auto",
        bertscore_model: BertOpt = None,
        sentiment_model: SentOpt = None,
        spice_jar: SpiceOpt = None,
        json_out: JsonOpt = False,
    ) -> None:
        with error_boundary():
            from llaqo.model.evaluate.errors import DatasetError
            from llaqo.model.evaluate.runner import BASELINES, EvalOptions, run_eval
            from llaqo.model.evaluate.score import ScoreOptions

            if baseline is not None and baseline not in BASELINES:
                raise DatasetError(f"unknown baseline {baseline!r}", f"use {', '.join(BASELINES)}")
            opts = EvalOptions(
                task=task, data=data, out=out, audio_root=audio_root, engines=tuple(engine or ["auto"]),
                model=model, baseline=baseline, baseline_model=baseline_model, limit=limit, repeats=repeats,
                resume=resume, split=split, device=device, transcriber=transcriber, fast=fast, max_length=max_length,
                score=ScoreOptions(parser, bertscore_model, sentiment_model, spice_jar,
                                   device="cpu" if device == "auto" else device),
            )
            summary = run_eval(opts, _progress())
            _print_summary(summary, json_out, out / "summary.json")

    command.__doc__ = f"Run the {task} benchmark for each engine; write OUT/{task}_<engine>.csv and OUT/summary.json.\n" + EXAMPLES
    return command


for _task in ("neuropiano", "cipi", "techniques"):
    app.command(_task)(_runner(_task))


@app.command("score")
def score(
    file: Annotated[Path, typer.Argument(help="A results CSV (ours or the reference's layouts).", show_default=False)],
    task: Annotated[Optional[str], typer.Option(help="neuropiano, cipi or techniques (default: from the columns).")] = None,
    out: Annotated[Optional[Path], typer.Option(help="Also write OUT/summary.json.")] = None,
    parser: ParserOpt = "auto",
    bertscore_model: BertOpt = None,
    sentiment_model: SentOpt = None,
    spice_jar: SpiceOpt = None,
    device: Annotated[str, typer.Option(help="Device of the metric models: cpu or cuda.")] = "cpu",
    json_out: JsonOpt = False,
) -> None:
    """Score an existing results file and print the same table as a run.

    [bold]Examples[/bold]

      llaqo eval score eval-results/neuropiano_coach.csv
      llaqo eval score ltu_results.csv --parser strict
    """
    with error_boundary():
        from llaqo.model.evaluate.errors import ResultsError
        from llaqo.model.evaluate.results import read_results
        from llaqo.model.evaluate.runner import write_json
        from llaqo.model.evaluate.score import ScoreOptions, score_frame

        if task is not None and task not in ("neuropiano", "cipi", "techniques"):
            raise ResultsError(f"unknown task {task!r}", "use neuropiano, cipi or techniques")
        found, df = read_results(file, task)
        scores = score_frame(found, df, ScoreOptions(parser, bertscore_model, sentiment_model, spice_jar, device))
        summary = {"task": found, "items": len(df), "engines": {file.stem: {"runs": [scores], "mean": scores, "sd": {}}}}
        if out is not None:
            write_json(out / "summary.json", summary)
        _print_summary(summary, json_out, out / "summary.json" if out else None)


def _progress():
    from rich.console import Console

    err = Console(stderr=True)
    if not err.is_terminal:
        return None

    def show(engine: str, done: int, total: int) -> None:
        err.print(f"{engine}: {done}/{total} rows", end="\r")

    return show


def _print_summary(summary: dict, as_json: bool, written: Path | None) -> None:
    from rich.console import Console

    from llaqo.eval_table import summary_tables

    if as_json:
        import json

        print(json.dumps(summary, indent=2, ensure_ascii=False, default=str))
        return
    console = Console()
    for table in summary_tables(summary):
        console.print(table)
    for line in summary_notes(summary):
        print(line, file=sys.stderr)
    if written is not None:
        print(f"summary: {written}", file=sys.stderr)


def summary_notes(summary: dict) -> list[str]:
    notes = []
    if summary.get("missing_audio"):
        eg = ", ".join(summary.get("missing_examples") or [])
        notes.append(f"skipped {summary['missing_audio']} row(s) whose audio is missing (e.g. {eg})")
    for name, run in summary["engines"].items():
        if run.get("unreadable_audio"):
            notes.append(f"{name}: skipped {run['unreadable_audio']} row(s) whose audio cannot be read")
        for metric, why in (run["runs"][0].get("skipped") or {}).items() if run.get("runs") else ():
            notes.append(f"{name}: {metric} {why}")
        if run.get("heard"):
            notes.append(f"{name}: {run['heard']}")
    return notes
