"""The listening engine's speed and memory by take length: `llaqo assess` on takes of 20 s, 2 min and
10 min (30 min with --long), each in its own process (its peak RSS measured by the kernel), with the fast
and the accurate transcriber. Time should grow linearly with the take and memory stay flat.

    python bench/listen_speed.py [--transcriber fast,accurate] [--lengths 20,120,600] [--long]

The takes repeat examples/etude.flac (a real piano recording) to the length. Last line: name=value figures
(rtf = seconds taken per second of audio).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "etude.flac"
LLAQO = [sys.executable, "-m", "llaqo"]


def make_take(folder: Path, seconds: float) -> Path:
    x, rate = sf.read(EXAMPLE, dtype="float32", always_2d=True)
    reps = int(np.ceil(seconds * rate / len(x)))
    path = folder / f"take-{int(seconds)}s.flac"
    sf.write(path, np.tile(x, (reps, 1))[: int(seconds * rate)], rate)
    return path


def run(take: Path, transcriber: str) -> tuple[float, float]:
    """→ (wall seconds, peak RSS in MB) of one `llaqo assess` process."""
    cmd = LLAQO + ["assess", str(take), "--engine", "listen", "--transcriber", transcriber, "--json", "-"]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    err = proc.stderr.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"llaqo assess failed on {take.name}: {err[-2000:]}")
    return wall, usage.ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--transcriber", default="fast,accurate")
    ap.add_argument("--lengths", default="20,120,600", help="take lengths in seconds")
    ap.add_argument("--long", action="store_true", help="also a 30-min take")
    args = ap.parse_args()
    lengths = [float(s) for s in args.lengths.split(",")] + ([1800.0] if args.long else [])
    load = os.getloadavg()[0]
    figures = []
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, load {load:.1f}")
    print(f"{'transcriber':12s} {'take':>8s} {'wall s':>8s} {'× real time':>12s} {'peak MB':>8s}")
    with tempfile.TemporaryDirectory() as tmp:
        takes = {s: make_take(Path(tmp), s) for s in lengths}
        for tr in args.transcriber.split(","):
            walls, peaks = [], []
            for s, take in takes.items():
                wall, peak = run(take, tr)
                walls.append(wall)
                peaks.append(peak)
                print(f"{tr:12s} {s:8.0f} {wall:8.1f} {wall / s:12.3f} {peak:8.0f}")
                figures += [f"{tr}_rtf_{int(s)}s={wall / s:.3f}", f"{tr}_peak_mb_{int(s)}s={peak:.0f}"]
            # the cost of each further second of audio, between consecutive lengths (start-up cancels out):
            # equal values = time grows linearly
            marginal = [(walls[i + 1] - walls[i]) / (lengths[i + 1] - lengths[i]) for i in range(len(lengths) - 1)]
            figures += [f"{tr}_marginal_rtf=" + "/".join(f"{m:.3f}" for m in marginal),
                        f"{tr}_peak_mb_max={max(peaks):.0f}"]
    print(" ".join(figures + [f"load={load:.1f}->{os.getloadavg()[0]:.1f}"]))


if __name__ == "__main__":
    main()
