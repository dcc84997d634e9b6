"""The run folder OUT: what it may hold before a run starts, the resolved config, the metrics log.

    OUT/config.yaml      the resolved configuration (stage YAML + --config + flags + key=value) and run inputs
    OUT/metrics.jsonl    one line per optimiser step {step, loss, lr, samples_per_s, …}, one per evaluation
    OUT/checkpoints/     step-N/ folders (see checkpoint.py)
    OUT/bundle/          the final bundle — its presence marks a finished run
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import yaml

from llaqo.common.errors import TrainingError
from llaqo.model.train import checkpoint

OURS = ("config.yaml", "metrics.jsonl", "checkpoints", "bundle", ".bundle-tmp", ".merged-llm")


def check_out(out: Path, resume: bool, overwrite: bool) -> Path | None:
    """Refuse what would lose work; → the checkpoint to resume from (None for a fresh run). Reads only."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise TrainingError(f"--out {out}: exists and is not a folder")
    if resume and overwrite:
        raise TrainingError("--resume and --overwrite contradict each other", "choose one")
    found = checkpoint.latest(out) if out.is_dir() else None
    if resume:
        if found is None:
            raise TrainingError(f"--resume: no checkpoint in {out / 'checkpoints'}", "start without --resume")
        return found
    if overwrite:
        return None
    if (out / "bundle").exists():
        raise TrainingError(f"--out {out}: holds a finished run (bundle/)", "use --resume to continue it, "
                            "--overwrite to replace it, or another --out")
    if found is not None:
        raise TrainingError(f"--out {out}: holds a run in progress ({found.name})",
                            "use --resume to continue it, --overwrite to replace it, or another --out")
    return None


def prepare(out: Path, overwrite: bool) -> None:
    """Create OUT (and prove it writable); with --overwrite remove only what a run writes there."""
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as e:
        raise TrainingError(f"--out {out}: cannot write there ({e.strerror or e})") from None
    if overwrite:
        for name in OURS:
            p = out / name
            if p.is_dir():
                shutil.rmtree(p)
            elif p.exists():
                p.unlink()


def write_config(out: Path, resolved: dict) -> None:
    atomic_write(Path(out) / "config.yaml", yaml.safe_dump(resolved, sort_keys=False))


def truncate_metrics(out: Path, step: int) -> None:
    """On resume: drop lines after the checkpoint's step, so the log continues as an uninterrupted run's."""
    path = Path(out) / "metrics.jsonl"
    if not path.is_file():
        return
    keep = []
    for line in path.read_text().splitlines():
        try:
            if json.loads(line).get("step", 0) <= step:
                keep.append(line)
        except json.JSONDecodeError:
            continue  # a line cut by a kill
    atomic_write(path, "".join(x + "\n" for x in keep))


class Metrics:
    def __init__(self, out: Path, enabled: bool):
        self.path = Path(out) / "metrics.jsonl"
        self.enabled = enabled

    def write(self, record: dict) -> None:
        if self.enabled:
            with open(self.path, "a") as f:
                f.write(json.dumps(record) + "\n")


def read_metrics(out: Path) -> list[dict]:
    path = Path(out) / "metrics.jsonl"
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()] if path.is_file() else []


def atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
