"""`llaqo eval`: every engine answers the benchmark's items through `assess_file`, the one answering path
of `llaqo assess` (take → 40-s segments → engine → remarks → the take's answer), then the rows are scored.

The unit of work is one recording: all the distinct questions its pending rows ask go to the engine as
one small rubric (the encoder or the transcriber then runs once per recording, as in `assess`), and each
row is appended to OUT/<task>_<engine>.csv as soon as its recording is answered. `--resume` skips the rows
already in the file, so a kill loses at most the recording in flight. `--repeats K` writes K files
(<task>_<engine>.csv, then .run2.csv, …) and reports mean ± sd over them.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from llaqo.common.device import Device
from llaqo.model.engine import Engine
from llaqo.model.evaluate.datasets import EvalSet, Item, load_items
from llaqo.model.evaluate.results import ResultsWriter, read_results
from llaqo.model.evaluate.score import ScoreOptions, score_frame
from llaqo.model.options import CoachOptions, EngineOptions, ListenOptions
from llaqo.rubric.report import Answer
from llaqo.rubric.schema import Question, Rubric
from llaqo.rubric.summary import VALUED_KINDS

BASELINES = ("qwen2-audio",)
EvalProgress = Callable[[str, int, int], None]  # (engine, rows done, rows total)


@dataclass(frozen=True)
class EvalOptions:
    task: str
    data: Path
    out: Path
    audio_root: Path | None = None
    engines: tuple[str, ...] = ("auto",)  # auto | coach | listen, each run in turn
    baseline: str | None = None  # qwen2-audio
    baseline_model: str | None = None  # a local folder or a hub id
    limit: int | None = None
    repeats: int = 1
    resume: bool = False
    split: str | None = None  # default: the reference's (eval for NeuroPiano, val for CIPI and PLD)
    device: Device = field(default_factory=Device)
    coach: CoachOptions = field(default_factory=CoachOptions)
    listen: ListenOptions = field(default_factory=ListenOptions)
    score: ScoreOptions = field(default_factory=ScoreOptions)
    judges: Path | None = None  # PianoJudges heads: one more row, scored with the paper's metrics


def run_eval(opts: EvalOptions, progress: EvalProgress | None = None) -> dict:
    """Answer, write and score; → the summary (also written to OUT/summary.json)."""
    evalset = load_items(opts.task, opts.data, opts.audio_root, cache=opts.out / "audio", split=opts.split)
    items = evalset.items[: opts.limit] if opts.limit else evalset.items
    summary = {"task": opts.task, "data": evalset.source, "items": len(items),
               "missing_audio": evalset.missing_audio, "missing_examples": evalset.missing_examples,
               "repeats": opts.repeats, "engines": {}}
    for spec in _engine_specs(opts):
        engine = build_eval_engine(spec, opts)
        if engine.name in summary["engines"]:  # e.g. --engine auto --engine listen without weights
            continue
        runs, files, failed = [], [], 0
        for k in range(opts.repeats):
            path = opts.out / f"{opts.task}_{engine.name}{'' if k == 0 else f'.run{k + 1}'}.csv"
            started = time.perf_counter()
            failed = answer_items(engine, opts.task, items, path, opts.resume, progress)
            task, df = read_results(path, opts.task)
            scores = score_frame(task, df, opts.score)
            scores["elapsed_s"] = round(time.perf_counter() - started, 1)
            runs.append(scores)
            files.append(str(path))
        summary["engines"][engine.name] = {
            "reason": engine.reason, "describe": engine.describe(), "heard": engine.heard_note(), "files": files,
            "unreadable_audio": failed, "runs": runs, "mean": _mean(runs), "sd": _sd(runs),
        }
    if opts.judges is not None:
        _judges_row(opts, items, summary)
    write_json(opts.out / "summary.json", summary)
    return summary


def _judges_row(opts: EvalOptions, items: list[Item], summary: dict) -> None:
    from llaqo.model.assess import load_judges
    from llaqo.model.evaluate.judges import ROW, judge_run

    judges = load_judges(EngineOptions(engine="listen", device=opts.device, coach=opts.coach, judges=opts.judges))
    run = judge_run(opts.task, items, judges)
    if run is not None:
        summary["engines"][ROW] = run


def _engine_specs(opts: EvalOptions) -> list[str]:
    specs = list(dict.fromkeys(opts.engines))
    if opts.baseline:
        specs.append(opts.baseline)
    return specs


def build_eval_engine(spec: str, opts: EvalOptions) -> Engine:
    if spec in BASELINES:
        from llaqo.model.evaluate.baselines.qwen2_audio import Qwen2AudioEngine

        return Qwen2AudioEngine.load(opts.baseline_model, opts.device)
    from llaqo.model.assess import build_engine

    return build_engine(EngineOptions(engine=spec, device=opts.device, coach=opts.coach, listen=opts.listen))


def answer_items(engine: Engine, task: str, items: list[Item], path: Path, resume: bool,
                 progress: EvalProgress | None = None) -> int:
    """Append one row per item not yet in `path`; → how many rows were skipped for unreadable audio."""
    from llaqo.common.errors import AudioError

    with ResultsWriter(path, task, resume) as writer:
        done = Counter(_row_key(r) for r in writer.done)
        pending = []
        for item in items:
            key = _row_key(_stringify(item_row(task, item, {})))
            if done[key]:
                done[key] -= 1
            else:
                pending.append(item)
        total, finished, failed = len(items), len(items) - len(pending), 0
        if progress:
            progress(engine.name, finished, total)
        for audio, group in _by_recording(pending):
            try:
                answers = ask_recording(engine, audio, [q for it in group for q in it.questions])
            except AudioError:
                failed += len(group)
                continue
            for item in group:
                writer.write(item_row(task, item, answers))
                finished += 1
            if progress:
                progress(engine.name, finished, total)
    return failed


def ask_recording(engine: Engine, audio: Path, questions: list[Question]) -> dict:
    """The take's answer to each distinct question, keyed by (question id, text)."""
    from llaqo.model.assess import assess_file
    from llaqo.rubric.summary import take_answers

    unique = list(dict.fromkeys(questions))
    ids = Counter()
    asked = []
    for q in unique:
        ids[q.id] += 1
        asked.append(q if ids[q.id] == 1 else replace(q, id=f"{q.id}#{ids[q.id]}"))
    report = assess_file(audio, Rubric("eval", tuple(asked), "eval"), engine)
    by_id = {a.id: a for a in take_answers(report)}
    return {(q.id, q.text): by_id.get(a.id) for q, a in zip(unique, asked)}


def item_row(task: str, item: Item, answers: dict) -> dict:
    """One results row in the task's layout; `answers` empty gives the row's identity columns only."""
    def said(q: Question):
        answer = answers.get((q.id, q.text))
        return (answer_text(answer), answer.value) if answer is not None else ("", None)

    if task == "neuropiano":
        rating_q, verbal_q = item.questions
        text, value = said(rating_q)
        verbal, _ = said(verbal_q)
        return {"audio_path": item.key, "question": rating_q.text, "output": text, "output_rating": value,
                "gt": item.gt, "verbal_output": verbal, "verbal_gt": item.verbal_gt, "question_id": item.question_id,
                "question_category": item.category, "mae": None if value is None else abs(value - item.gt)}
    text, value = said(item.questions[0])
    if task == "cipi":
        return {"audio_path": item.key, "question": item.questions[0].text, "response": text, "rating": value,
                "gt": item.gt, "mae": None if value is None else abs(value - item.gt)}
    # the techniques layout has one gt column: every label, first one first, "|"-joined as the PLD metadata
    return {"audio_path": item.key, "question": item.questions[0].text, "response": text,
            "gt": "|".join(item.labels) or item.gt}


def answer_text(answer: Answer) -> str:
    """The answer's remarks joined with " / "; when several remarks give a value (one per window or
    segment), the take's value comes first ("4 — …"), so that re-reading the text finds the answer the
    engine gave for the whole take, as the rating column holds it."""
    texts = [r.text for r in answer.remarks if r.text]
    if answer.kind in VALUED_KINDS and len(texts) > 1 and answer.value is not None:
        return f"{answer.value} — " + " / ".join(texts)
    return " / ".join(texts)


def _row_key(row: dict) -> tuple:
    return (row.get("audio_path", ""), row.get("question", ""), row.get("gt", ""), row.get("verbal_gt", ""),
            row.get("question_id", ""))


def _stringify(row: dict) -> dict:
    return {k: "" if v is None else str(v) for k, v in row.items()}


def _by_recording(items: list[Item]) -> list[tuple[Path, list[Item]]]:
    groups: dict[Path, list[Item]] = {}
    for item in items:
        groups.setdefault(item.audio, []).append(item)
    return list(groups.items())


def _numbers(run: dict) -> dict[str, float]:
    return {k: v for k, v in run.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}


def _shared_numbers(runs: list[dict]) -> list[str]:
    """The numeric metrics every run has (a skipped metric is None in all of them)."""
    keys = _numbers(runs[0]).keys() if runs else []
    return [k for k in keys if all(isinstance(r.get(k), (int, float)) for r in runs)]


def _mean(runs: list[dict]) -> dict[str, float]:
    return {k: statistics.fmean(r[k] for r in runs) for k in _shared_numbers(runs)}


def _sd(runs: list[dict]) -> dict[str, float]:
    if len(runs) < 2:
        return {}
    return {k: statistics.stdev(r[k] for r in runs) for k in _shared_numbers(runs)}


def write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    os.replace(tmp, path)


__all__ = ["EvalOptions", "EvalSet", "run_eval", "answer_items", "ask_recording", "item_row"]
