"""A folder of trained heads: `DIR/<task>.safetensors` (the weights) and `DIR/<task>.json` (the
HeadConfig, the classes and what training recorded). `llaqo train judge --out DIR` writes one task;
assess looks for `<model>/judges/` next to the coach's weights, or takes `--judges DIR`."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING

from llaqo.common.errors import CheckpointError
from llaqo.common.files import write_atomic
from llaqo.model.coach.judges.tasks import TASKS

if TYPE_CHECKING:
    from llaqo.model.coach.judges.head import JudgeHead

NEXT_TO_MODEL = "judges"  # <model folder>/judges/


def save_head(head: JudgeHead, folder: Path) -> Path:
    """Write the head's weights and config (each file whole or not at all) → the weights' path."""
    from safetensors.torch import save

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    task = head.cfg.task
    state = {k: v.detach().contiguous().cpu() for k, v in head.state_dict().items()}
    write_atomic(folder / f"{task}.safetensors", save(state))
    write_atomic(folder / f"{task}.json", json.dumps(head.cfg.to_dict(), indent=2) + "\n")
    return folder / f"{task}.safetensors"


def load_head(folder: Path, task: str) -> JudgeHead | None:
    """The folder's head for `task` (None when it has none); strict: every weight must fit."""
    from safetensors.torch import load_file

    from llaqo.model.coach.judges.head import HeadConfig, JudgeHead

    folder = Path(folder)
    weights, config = folder / f"{task}.safetensors", folder / f"{task}.json"
    if not weights.is_file() or not config.is_file():
        return None
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
        known = {f.name for f in dataclasses.fields(HeadConfig)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise CheckpointError(f"{config}: unknown keys {', '.join(unknown)}")
        head = JudgeHead(HeadConfig(**data))
        head.load_state_dict(load_file(str(weights)), strict=True)
    except CheckpointError:
        raise
    except (ValueError, TypeError, RuntimeError, OSError) as e:
        raise CheckpointError(f"{folder}: the {task} head cannot be loaded ({str(e).splitlines()[0][:200]})",
                              "train it again with `llaqo train judge`") from None
    return head.eval()


def load_heads(folder: Path) -> dict[str, JudgeHead]:
    """Every task's head the folder holds (an empty dict for none)."""
    return {task: head for task in TASKS if (head := load_head(folder, task)) is not None}


def find_judges(explicit: Path | None, model_folder: Path | None) -> Path | None:
    """`--judges DIR` (which must hold a head), else `<model>/judges/` when it holds one, else None."""
    if explicit is not None:
        explicit = Path(explicit)
        if not any((explicit / f"{t}.safetensors").is_file() for t in TASKS):
            raise CheckpointError(f"--judges {explicit}: no trained head here ({', '.join(TASKS)})",
                                  "train one with `llaqo train judge --task difficulty --out DIR`")
        return explicit
    if model_folder is not None:
        beside = Path(model_folder) / NEXT_TO_MODEL
        if any((beside / f"{t}.safetensors").is_file() for t in TASKS):
            return beside
    return None


