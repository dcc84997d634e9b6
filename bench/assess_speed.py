"""The coach's answering speed: the full rubric (27 questions) on N 40.96-s chunks through our batched
answering path (`llaqo.model.coach.answer`) against the reference's loop re-created on the same random
weights (`llaqo.model.testing.reference_loop`: one question per call, encoder and Q-Former re-run per
question, transformers' generate at batch 1), each in its own process, the model loaded once.

    python bench/assess_speed.py [--size tiny|base|small|real] [--device cpu|cuda] [--dtype fp32|bf16|fp16]
                                 [--greedy] [--chunks N] [--threads N] [--fast]

Sizes (tests/fixtures/tiny_ckpt.py): tiny; base = ViT-B 768×12, Q-Former 256×4, LLM 512×8; small = the
same with a 1024×16 LLM; real = the same with a Vicuna-7b-shaped LLM (4096×32, fp16; a GPU machine).
Checkpoints are written once into .bench/ckpt-<size>. Prints the answers that differ, then one line:
speedup=… ours_s=… reference_s=… chunks=… size=… device=… and more figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CUDA_LIBS = re.compile(r"lib(cu|nv|cudnn|nccl|torch_cuda|c10_cuda)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", default="base", choices=["tiny", "base", "small", "real"])
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--dtype", default="auto", choices=["auto", "fp32", "bf16", "fp16"])
    ap.add_argument("--greedy", action="store_true", help="greedy decoding (default: beam 5, the reference's)")
    ap.add_argument("--chunks", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    ap.add_argument("--fast", action="store_true",
                    help="also our path without batch invariance (one product per layer for the whole batch)")
    ap.add_argument("--part", choices=["ours", "ours-fast", "reference"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.part:
        print(json.dumps(run_part(args)))
        return
    ckpt = ensure_checkpoint(args.size)
    load = os.getloadavg()[0]
    names = ["ours"] + (["ours-fast"] if args.fast else []) + ["reference"]
    parts = {p: subprocess_part(args, p, ckpt) for p in names}
    ours, ref = parts["ours"], parts["reference"]
    same = sum(a == b for a, b in zip(ours["texts"], ref["texts"]))
    for name in names[:-1]:
        for i, (a, b) in enumerate(zip(parts[name]["texts"], ref["texts"])):
            if a != b:
                print(f"differs ({name}): row {i}: {a[:60]!r} | reference {b[:60]!r}")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, load "
          f"{load:.1f} → {os.getloadavg()[0]:.1f}; torch threads {args.threads}")
    for name in names:
        print(f"{name}: audio {parts[name]['audio_s']:.2f} s, LLM {parts[name]['llm_s']:.2f} s, "
              f"CPU {parts[name]['cpu_s']:.2f} s")
    fast = []
    if args.fast:
        f = parts["ours-fast"]
        fast = [f"fast_speedup={ref['total_s'] / f['total_s']:.2f}", f"fast_s={f['total_s']:.2f}",
                f"fast_cpu_speedup={ref['cpu_s'] / f['cpu_s']:.2f}",
                f"fast_same={sum(a == b for a, b in zip(f['texts'], ref['texts']))}/{len(ref['texts'])}",
                f"fast_row_steps={f['steps']}", f"fast_peak_mb={f['peak_mb']:.0f}"]
    print(" ".join([
        f"speedup={ref['total_s'] / ours['total_s']:.2f}", f"ours_s={ours['total_s']:.2f}",
        f"reference_s={ref['total_s']:.2f}", f"chunks={args.chunks}", f"size={args.size}", f"device={args.device}",
        f"cpu_speedup={ref['cpu_s'] / ours['cpu_s']:.2f}", f"ours_cpu_s={ours['cpu_s']:.2f}",
        f"reference_cpu_s={ref['cpu_s']:.2f}",
        f"decoding={'greedy' if args.greedy else 'beam5'}", f"same={same}/{len(ref['texts'])}",
        f"llm_speedup={ref['llm_s'] / ours['llm_s']:.2f}", f"ours_row_steps={ours['steps']}",
        f"reference_tokens={ref['steps']}", f"ours_peak_mb={ours['peak_mb']:.0f}",
        f"reference_peak_mb={ref['peak_mb']:.0f}", f"ours_load_peak_mb={ours['load_peak_mb']:.0f}",
        f"reference_load_peak_mb={ref['load_peak_mb']:.0f}", f"cuda_libs_mb={ours['cuda_libs_mb']:.0f}",
        f"threads={args.threads}", f"load={load:.1f}",
    ] + fast))


def ensure_checkpoint(size: str) -> Path:
    folder = ROOT / ".bench" / f"ckpt-{size}"
    if not (folder / "vit.pth").is_file():
        import torch

        from tests.fixtures.tiny_ckpt import write_released

        write_released(folder, seed=0, size=size, llm_dtype=torch.float16 if size == "real" else torch.float32)
    return folder


def subprocess_part(args, part: str, ckpt: Path) -> dict:
    cmd = [sys.executable, __file__, "--part", part, "--size", args.size, "--device", args.device,
           "--dtype", args.dtype, "--chunks", str(args.chunks), "--threads", str(args.threads)]
    cmd += ["--greedy"] if args.greedy else []
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), MKL_NUM_THREADS=str(args.threads))
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        sys.exit(f"{part} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_part(args) -> dict:
    """In its own process: load once, then answer everything; → times, texts, work and memory."""
    import torch

    torch.set_num_threads(args.threads)
    from llaqo.common.generation import GenerationConfig
    from llaqo.model.audio.frontend import chunk_features
    from llaqo.model.coach import answer as answering
    from llaqo.model.coach.build import choose_placement, load_coach
    from llaqo.model.coach.decode import DecodeStats
    from llaqo.model.testing.reference_loop import reference_answer
    from llaqo.rubric.schema import load_rubric

    model = load_coach(ROOT / ".bench" / f"ckpt-{args.size}", choose_placement(args.device, args.dtype))
    base = replace(GenerationConfig(), num_beams=1 if args.greedy else 5)
    asks = [answering.Ask(q.text, replace(base, **q.generation)) for q in load_rubric("full").questions]
    chunks = [chunk_features(*take(seed)).unsqueeze(0) for seed in range(args.chunks)]  # (1, 1, 4096, 128) each
    load_peak = peak_mb()
    reset_peak()
    sync = torch.cuda.synchronize if args.device == "cuda" else (lambda: None)
    phase_s = [0.0]  # the timed phase: ours, the encoder and Q-Former; the reference's, its generate calls
    texts, steps = [], 0

    def timed(fn):
        def call(*a, **k):
            t = time.perf_counter()
            out = fn(*a, **k)
            sync()
            phase_s[0] += time.perf_counter() - t
            return out
        return call

    start, cpu_start = time.perf_counter(), time.process_time()
    if args.part.startswith("ours"):
        answering._audio_rows = timed(answering._audio_rows)
        stats = DecodeStats()
        for chunk in chunks:  # one call per segment, as `llaqo assess` makes
            out = answering.answer(model, chunk, asks, stats=stats, invariant=args.part == "ours")
            texts += [out[answering.Row(0, 0, i)] for i in range(len(asks))]
        steps = stats.row_steps
    else:
        model.llm.generate = timed(model.llm.generate)
        for chunk in chunks:
            for a in asks:
                r = reference_answer(model, chunk, a.text, a.generation)
                texts.append(r.text)
                steps += r.steps
    sync()
    total, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    audio_s, llm_s = (phase_s[0], total - phase_s[0]) if args.part != "reference" else (total - phase_s[0], phase_s[0])
    return {"texts": texts, "total_s": total, "cpu_s": cpu, "audio_s": audio_s, "llm_s": llm_s, "steps": steps,
            "peak_mb": peak_mb(), "load_peak_mb": load_peak, "cuda_libs_mb": cuda_libs_mb()}


def take(seed: int):
    """A deterministic 40.96-s piano-like take: (samples, rate)."""
    import numpy as np

    from llaqo.model.testing.piano import decaying_tones

    rate = 32_000
    return decaying_tones(40.96, rate, seed).astype(np.float32)[None], rate


def reset_peak() -> None:
    """Start the peak-RSS count after loading (Linux: writing 5 to clear_refs resets VmHWM)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cuda_libs_mb() -> float:
    """Resident memory of the CUDA libraries mapped into this process (the CPU wheel maps none)."""
    total, current = 0, False
    try:
        for line in Path("/proc/self/smaps").read_text().splitlines():
            if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                current = bool(CUDA_LIBS.search(line.split()[-1])) if len(line.split()) >= 6 else False
            elif current and line.startswith("Rss:"):
                total += int(line.split()[1])
    except OSError:
        return 0.0
    return total / 1024


if __name__ == "__main__":
    main()
