"""The one path from a take to a Report: segments → engine → answers → aggregate. assess, record and
eval all call `assess_file`; `build_engine` is how `--engine auto|coach|listen` is resolved."""

from __future__ import annotations

import time
from pathlib import Path

from llaqo.common.errors import CheckpointError
from llaqo.common.times import span_text
from llaqo.model.audio.chunks import count_segments, iter_segments
from llaqo.model.audio.io import probe
from llaqo.model.audio.presence import inspect_segment
from llaqo.model.engine import Engine, Progress
from llaqo.model.options import EngineOptions
from llaqo.rubric.report import Answer, Remark, Report, Segment
from llaqo.rubric.schema import Rubric
from llaqo.rubric.summary import aggregate


def rubric_for(rubric: Rubric, engine: Engine) -> Rubric:
    """The rubric as `engine` answers it: with an Accuracy row when the engine compares a reference score."""
    return rubric.with_accuracy() if engine.score_errors() is not None else rubric


def build_engine(opts: EngineOptions) -> Engine:
    """The engine `--engine auto|coach|listen` names, with the reason it was chosen (`engine.reason`), its
    difficulty and technique answered by the PianoJudges heads when there are some (`--judges`, or the
    model's judges/ folder)."""
    engine = _build_engine(opts)
    judges = load_judges(opts)
    if judges is None:
        return engine
    from llaqo.model.coach.judges.apply import JudgedEngine

    return JudgedEngine(engine, judges)


def load_judges(opts: EngineOptions):
    """The heads `--judges DIR` names, or those in the model's judges/ folder; None when there are none."""
    from llaqo.model.coach.judges.store import find_judges
    from llaqo.model.coach.locate import find_model, usable

    looks = opts.judges or opts.engine != "listen" or opts.coach.model  # --engine listen alone: no model
    model = find_model(opts.coach.model)[0] if looks else None
    folder = find_judges(opts.judges, model)
    if folder is None:
        return None
    model = model or usable(folder.parent)  # --judges MODEL/judges: the model beside its heads
    if model is None:
        raise CheckpointError(f"--judges {folder}: the heads read the AudioMAE encoder's embeddings, and no "
                              "model was found", "give the model they were trained with: --model DIR")
    from llaqo.model.coach.judges.apply import Judges
    from llaqo.model.coach.judges.embed import Embedder, load_encoder
    from llaqo.model.coach.judges.store import load_heads

    encoder, encoder_id = load_encoder(model)
    return Judges(load_heads(folder), Embedder(encoder, encoder_id, opts.device.torch()), folder)


def _build_engine(opts: EngineOptions) -> Engine:
    if opts.engine != "listen":
        from llaqo.model.coach.locate import find_model

        folder, why = find_model(opts.coach.model)
        if folder is not None:
            engine = _coach(folder, opts)
            engine.reason = f"neural coach: model {why}"
            return engine
        if opts.engine == "coach":
            raise CheckpointError(why, "run `llaqo download` (about 14 GB), or use the listening engine "
                                       "(`llaqo assess --engine listen`)")
        reason = f"listening engine: {why}"
    else:
        reason = "listening engine: asked for with --engine listen"
    from llaqo.model.listen.engine import ListenEngine

    engine = ListenEngine(reference=opts.listen.reference, device=opts.device, transcriber=opts.listen.transcriber)
    engine.reason = reason
    return engine


def _coach(folder: Path, opts: EngineOptions) -> Engine:
    from llaqo.model.coach.build import choose_placement, load_coach
    from llaqo.model.coach.engine import CoachEngine

    placement = choose_placement(opts.device, opts.coach.dtype)
    model = load_coach(folder, placement, mode=opts.coach.mode)
    return CoachEngine(model, str(folder), placement.describe(), fast=opts.coach.fast, exact=opts.coach.exact,
                       max_length=opts.coach.max_length)


def assess_file(path: Path, rubric: Rubric, engine: Engine, progress: Progress | None = None) -> Report:
    """Answer the rubric for every 40-s segment of one take; memory stays bounded by one segment."""
    started = time.perf_counter()
    info = probe(path)
    total = count_segments(info.duration_s, join_tail_s=engine.join_tail_s)
    segments, notes = [], []
    for seg in iter_segments(info.path, join_tail_s=engine.join_tail_s):
        heard = inspect_segment(seg.samples)  # finite samples, and a piano to judge, before any engine answers
        seg.samples = heard.samples
        if heard.warning:
            notes.append(f"{_span(seg)}: {heard.warning}.")
        if heard.no_piano:
            notes.append(f"{_span(seg)}: no piano heard ({heard.no_piano}); nothing there is rated.")
            answers = [no_piano_answer(q, seg.start_s, seg.end_s) for q in rubric.questions]
            segments.append(Segment(seg.index, seg.start_s, seg.end_s, answers))
        else:
            engine.progress = _within(progress, len(segments), max(total, len(segments) + 1)) if progress else None
            answers = [aggregate(a) for a in engine.answer_segment(seg, rubric)]
            segments.append(Segment(seg.index, seg.start_s, seg.end_s, answers, heard=engine.heard_part()))
        if progress:
            progress(len(segments), max(total, len(segments)))
    described = engine.describe()
    return Report(
        file=str(path), duration_s=round(segments[-1].end_s if segments else info.duration_s, 3),
        engine=engine.name, engine_reason=engine.reason, rubric=rubric.name, segments=segments,
        model=described.get("model"), device=described.get("device"),
        elapsed_s=round(time.perf_counter() - started, 3), notes=[_heard_summary(segments, notes, engine)] + notes,
        score_errors=engine.score_errors(),
    )


def _within(progress: Progress, done: int, total: int):
    """The engine's share of the current segment → the take's progress in segments."""
    return lambda share: progress(done + min(max(share, 0.0), 1.0), total)


NO_PIANO = "No piano heard"


def no_piano_answer(question, start_s: float, end_s: float) -> Answer:
    """"No piano heard" as the answer for a span: a result with no value, never a rating."""
    answer = Answer.for_question(question)
    answer.remarks.append(Remark(start_s=start_s, end_s=end_s, text=f"{NO_PIANO}.", value=None))
    return answer


def _heard_summary(segments: list[Segment], notes: list[str], engine: Engine) -> str:
    if segments and all(a.remarks and a.remarks[0].text == f"{NO_PIANO}." for s in segments for a in s.answers):
        return f"{NO_PIANO} in this take: no rating was given."
    return engine.heard_note()


def _span(seg) -> str:
    return span_text(seg.start_s, seg.end_s)
