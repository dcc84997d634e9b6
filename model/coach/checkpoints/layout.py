"""What a folder holds, told from file names alone (no torch import: `--engine auto` asks this first)."""

from __future__ import annotations

import re
from pathlib import Path

MANIFEST = "manifest.json"
CHECKPOINT = re.compile(r"checkpoint_(\d+)\.pth$")


def is_bundle(folder: Path) -> bool:
    return (Path(folder) / MANIFEST).is_file()


def is_released_layout(folder: Path) -> bool:
    return any(CHECKPOINT.search(p.name) for p in Path(folder).glob("checkpoint_*.pth"))
