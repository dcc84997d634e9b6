"""The listening engine's flaw benchmark: render performances with controlled flaws (fluidsynth + GM
soundfont), transcribe them, and check that each flaw moves its measurement the right way; recognise
each technique; report transcription note F1, speed (× real time) and peak memory — all in this run.

    .venv/bin/python bench/listen_flaws.py [--transcriber auto|fast|accurate] [--seconds 16] [--out table.md]

Exit status 1 when a direction check or a technique fails.
"""

from __future__ import annotations

import argparse
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from llaqo.model.audio.chunks import iter_segments
from llaqo.model.listen.engine import ListenEngine
from llaqo.model.listen.judge.segment import SegmentJudge
from llaqo.model.listen.notes import Transcription
from llaqo.model.testing import performances as P
from llaqo.model.testing.piano import can_render, render
from llaqo.model.testing.scoring import note_f1
from llaqo.rubric.schema import load_rubric


def reading(tr: Transcription, dimension: str, measure: str) -> tuple[float | None, int | None]:
    finding = SegmentJudge(tr).get(dimension)
    value = next((r.value for r in finding.readings if r.measure == measure), None)
    return value, finding.rating


def transcribe_file(engine: ListenEngine, path: Path) -> tuple[Transcription, float, float]:
    """(transcription of the first segment, seconds of audio, seconds taken)."""
    seg = next(iter_segments(path))
    started = time.perf_counter()
    tr = engine.transcribe(seg)
    return tr, seg.duration_s, time.perf_counter() - started


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=16.0, help="length of each flawed performance")
    ap.add_argument("--out", type=Path, help="also write the tables (Markdown) here")
    ap.add_argument("--transcriber", default="auto", choices=("auto", "fast", "accurate"),
                    help="which transcriber the engine runs (see model/listen/transcribe/resolve.py)")
    args = ap.parse_args()
    if not can_render():
        print("fluidsynth and a GM soundfont are needed (apt-get install fluidsynth timgm6mb-soundfont)")
        return 2
    engine = ListenEngine(transcriber=args.transcriber)
    lines, failures = [], 0
    audio_s = compute_s = 0.0
    f1s = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        base_notes = P.base(args.seconds)
        base_tr, secs, took = transcribe_file(engine, render(base_notes, folder / "base.wav"))
        audio_s, compute_s = audio_s + secs, compute_s + took
        f1s.append(("base", note_f1(base_notes, base_tr.notes)))
        lines += ["| flaw | dimension | measurement | clean | flawed | expected | rating clean → flawed | ok |",
                  "|---|---|---|---|---|---|---|---|"]
        for flaw, (dim, measure, sign) in P.EXPECTED_MOVES.items():
            notes = P.FLAWS[flaw](base_notes)
            tr, secs, took = transcribe_file(engine, render(notes, folder / f"{flaw.replace(' ', '_')}.wav"))
            audio_s, compute_s = audio_s + secs, compute_s + took
            f1s.append((flaw, note_f1(notes, tr.notes)))
            clean, r0 = reading(base_tr, dim, measure)
            flawed, r1 = reading(tr, dim, measure)
            ok = clean is not None and flawed is not None and sign * (flawed - clean) > 0
            failures += not ok
            lines.append(f"| {flaw} | {dim} | {measure} | {_fmt(clean)} | {_fmt(flawed)} | "
                         f"{'rises' if sign > 0 else 'falls'} | {r0} → {r1} | {'yes' if ok else 'NO'} |")
        lines += ["", "| technique passage | recognised | share of notes | ok |", "|---|---|---|---|"]
        for name in P.TECHNIQUES:
            notes = P.technique_passage(name)
            tr, secs, took = transcribe_file(engine, render(notes, folder / f"{name.replace(' ', '_')}.wav"))
            audio_s, compute_s = audio_s + secs, compute_s + took
            f1s.append((name, note_f1(notes, tr.notes)))
            found, finding = SegmentJudge(tr).technique()
            ok = found == name
            failures += not ok
            lines.append(f"| {name} | {found} | {finding.evidence[0].value:.0f}% | {'yes' if ok else 'NO'} |")
        lines += ["", "| render | note F1 (onset ±50 ms, pitch) | precision | recall |", "|---|---|---|---|"]
        lines += [f"| {name} | {f:.3f} | {p:.3f} | {r:.3f} |" for name, (f, p, r) in f1s]
        mean_f1 = float(np.mean([f for _, (f, _, _) in f1s]))
        lines.append(f"| **mean** | **{mean_f1:.3f}** | | |")
        whole = _whole_engine(engine, folder)
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    machine = f"{platform.processor() or platform.machine()}, {_cores()} cores, {_threads(engine)}"
    lines += ["", f"Transcription: {compute_s:.1f} s for {audio_s:.1f} s of audio in "
              f"{len(f1s)} renders = **{compute_s / audio_s:.3f}× real time**"
              + (" (each render under 16 s costs one full 16-s window)." if engine.choice.kind == "accurate" else "."),
              f"Whole engine (`answer_segment`, full rubric) on a {whole[0]:.0f}-s take: {whole[1]:.1f} s = "
              f"**{whole[1] / whole[0]:.3f}× real time**; peak memory of this run {peak_gb:.2f} GB.",
              f"Machine: {machine}; device {engine.describe()['device']}; model {engine.describe()['model']}."]
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    print(f"\n{failures} check(s) failed" if failures else "\nall checks passed")
    return 1 if failures else 0


def _whole_engine(engine: ListenEngine, folder: Path) -> tuple[float, float]:
    """Seconds of audio and seconds taken for the whole engine on a ~40-s two-hand take (one segment:
    the synthesiser's release tail brings 36 s of notes to about 39 s)."""
    path = render(P.base(36.0), folder / "take40.wav")
    rubric = load_rubric("full")
    audio = taken = 0.0
    started = time.perf_counter()
    for seg in iter_segments(path):
        engine.answer_segment(seg, rubric)
        audio += seg.duration_s
    taken = time.perf_counter() - started
    return audio, taken


def _fmt(v: float | None) -> str:
    return "—" if v is None else f"{v:.1f}"


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 0


def _threads(engine: ListenEngine) -> str:
    if engine.choice.kind == "fast":
        return f"onnxruntime threads {engine.transcriber.session.get_session_options().intra_op_num_threads}"
    import torch

    return f"torch threads {torch.get_num_threads()}"


if __name__ == "__main__":
    sys.exit(main())
