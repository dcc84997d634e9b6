"""Start-up: `llaqo --help` (best and median of 7 runs) and a 5-s take assessed end to end, cold
processes, with the fast and the default (accurate) transcriber. Last line: name=value figures.

    python bench/startup_speed.py
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
LLAQO = [sys.executable, "-m", "llaqo"]


def timed(cmd: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    load = os.getloadavg()[0]
    helps = sorted(timed(LLAQO + ["--help"]) for _ in range(7))
    with tempfile.TemporaryDirectory() as tmp:
        x, rate = sf.read(ROOT / "examples" / "etude.flac", dtype="float32", always_2d=True)
        take = Path(tmp) / "five.flac"
        sf.write(take, x[: 5 * rate], rate)
        base = LLAQO + ["assess", str(take), "--engine", "listen", "--json", "-"]
        fast = min(timed(base + ["--transcriber", "fast"]) for _ in range(3))
        accurate = min(timed(base + ["--transcriber", "accurate"]) for _ in range(2))
    print(f"help_best_s={helps[0]:.3f} help_median_s={statistics.median(helps):.3f} "
          f"take5s_fast_s={fast:.2f} take5s_accurate_s={accurate:.2f} load={load:.1f}")


if __name__ == "__main__":
    main()
