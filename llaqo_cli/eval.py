"""`llaqo eval`: the paper's benchmarks (NeuroPiano, CIPI, PLD techniques) for every engine, and the scoring
of an existing results file. Thin: options → one core call → the table. torch is imported by the core only."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from llaqo.common.device import Device
from llaqo.errors import error_boundary
from llaqo.model.options import CoachOptions, ListenOptions
from llaqo.options import COACH, LISTEN, DeviceOpt, EngineName, JudgesOpt, uses


class Task(str, Enum):
    neuropiano = "neuropiano"
    cipi = "cipi"
    techniques = "techniques"


class Baseline(str, Enum):
    qwen2_audio = "qwen2-audio"


class Parser(str, Enum):
    auto = "auto"
    reference = "reference"
    strict = "strict"


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

DataOpt = Annotated[Path, typer.Option(metavar="DIR", help="NeuroPiano: a folder of its parquet files (data/*.parquet; "
                                       "downloaded into an empty folder when online). CIPI/techniques: the "
                                       "folder of audio_qa.csv or the CSV itself.")]
AudioRootOpt = Annotated[Optional[Path], typer.Option(metavar="DIR", show_default=False, help=(
    "Where the CIPI/PLD recordings are (their paths in the metadata are the authors' own)."))]
EnginesOpt = Annotated[Optional[list[EngineName]], typer.Option(
    "--engine", show_default=False, help="auto, coach or listen; repeat to run several (default: auto).")]
BaselineOpt = Annotated[Optional[Baseline], typer.Option(show_default=False,
                                                         help="Also run a baseline on the same items.")]
BaselineModelOpt = Annotated[Optional[str], typer.Option(metavar="DIR|ID", show_default=False, help=(
    "The baseline's local folder or hub id (default: Qwen/Qwen2-Audio-7B-Instruct)."))]
LimitOpt = Annotated[Optional[int], typer.Option(min=1, metavar="N", show_default=False,
                                                 help="Only the first N rows of the benchmark.")]
RepeatsOpt = Annotated[int, typer.Option(min=1, metavar="K",
                                         help="Run K times; the table shows mean ± sd over the runs.")]
OutOpt = Annotated[Path, typer.Option(metavar="DIR", help="Folder of the results CSVs and summary.json.")]
ResumeOpt = Annotated[bool, typer.Option("--resume", help="Continue the results files in --out, skipping rows done.")]
SplitOpt = Annotated[Optional[str], typer.Option(show_default=False, help=(
    "The split to run (default: eval for NeuroPiano, val for CIPI and techniques)."))]
ParserOpt = Annotated[Parser, typer.Option(help=(
    "How a rating is read: auto (the file's rating column, as the reference scored), reference (the first "
    "number of the text) or strict (scale phrases skipped, on-scale numbers only)."))]
BertOpt = Annotated[Optional[Path], typer.Option(metavar="DIR", show_default=False, help=(
    "A local roberta-large for BERTScore (default: ckpts/metrics/roberta-large)."))]
SentOpt = Annotated[Optional[Path], typer.Option(metavar="DIR", show_default=False, help=(
    "A local nlptown/bert-base-multilingual-uncased-sentiment (default: ckpts/metrics/<its name>)."))]
SpiceOpt = Annotated[Optional[Path], typer.Option(metavar="JAR", show_default=False, help=(
    "The SPICE 1.0 jar (needs Java); SPICE is skipped without it."))]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the summary as JSON instead of the table.")]


def _runner(task: str):
    @uses(coach=COACH, listen=LISTEN)
    def command(
        data: DataOpt,
        audio_root: AudioRootOpt = None,
        engine: EnginesOpt = None,
        baseline: BaselineOpt = None,
        baseline_model: BaselineModelOpt = None,
        limit: LimitOpt = None,
        repeats: RepeatsOpt = 1,
        out: OutOpt = Path("eval-results"),
        resume: ResumeOpt = False,
        split: SplitOpt = None,
        device: DeviceOpt = "auto",
        parser: ParserOpt = Parser.auto,
        bertscore_model: BertOpt = None,
        sentiment_model: SentOpt = None,
        spice_jar: SpiceOpt = None,
        json_out: JsonOpt = False,
        judges: JudgesOpt = None,
        *,
        coach: CoachOptions,
        listen: ListenOptions,
    ) -> None:
        with error_boundary():
            from llaqo.model.evaluate.runner import EvalOptions, run_eval
            from llaqo.model.evaluate.score import ScoreOptions

            opts = EvalOptions(
                task=task, data=data, out=out, audio_root=audio_root,
                engines=tuple(e.value for e in engine) if engine else ("auto",),
                baseline=baseline.value if baseline else None, baseline_model=baseline_model, limit=limit,
                repeats=repeats, resume=resume, split=split, device=Device.parse(device), coach=coach,
                listen=listen, score=ScoreOptions(parser.value, bertscore_model, sentiment_model, spice_jar,
                                                  device=str(device)),
                judges=judges,
            )
            summary = run_eval(opts, _progress())
            _print_summary(summary, json_out, out / "summary.json")

    command.__doc__ = (f"Run the {task} benchmark for each engine; write OUT/{task}_<engine>.csv and "
                       "OUT/summary.json.\n" + EXAMPLES)
    return command


for _task in ("neuropiano", "cipi", "techniques"):
    app.command(_task)(_runner(_task))


@app.command("score")
def score(
    file: Annotated[Path, typer.Argument(help="A results CSV (ours or the reference's layouts).", show_default=False)],
    task: Annotated[Optional[Task], typer.Option(show_default=False,
                                                 help="The benchmark of the file (default: from its columns).")] = None,
    out: Annotated[Optional[Path], typer.Option(metavar="DIR", show_default=False,
                                                help="Also write OUT/summary.json.")] = None,
    parser: ParserOpt = Parser.auto,
    bertscore_model: BertOpt = None,
    sentiment_model: SentOpt = None,
    spice_jar: SpiceOpt = None,
    device: DeviceOpt = "auto",
    json_out: JsonOpt = False,
) -> None:
    """Score an existing results file and print the same table as a run.

    [bold]Examples[/bold]

      llaqo eval score eval-results/neuropiano_coach.csv
      llaqo eval score ltu_results.csv --parser strict
    """
    with error_boundary():
        from llaqo.model.evaluate.results import read_results
        from llaqo.model.evaluate.runner import write_json
        from llaqo.model.evaluate.score import ScoreOptions, score_frame

        found, df = read_results(file, task.value if task else None)
        scores = score_frame(found, df, ScoreOptions(parser.value, bertscore_model, sentiment_model, spice_jar,
                                                     str(device)))
        run = {"runs": [scores], "mean": scores, "sd": {}}
        summary = {"task": found, "items": len(df), "engines": {file.stem: run}}
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
