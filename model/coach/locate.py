"""Where the coach's weights are: --model, then $LLAQO_MODEL, then ckpts/ (here, then beside the package)."""

from __future__ import annotations

import os
from pathlib import Path

from llaqo.common.errors import CheckpointError
from llaqo.model.coach.checkpoints.layout import is_bundle, is_released_layout

PACKAGE_CKPTS = Path(__file__).resolve().parents[2] / "ckpts"


def usable(folder: Path) -> Path | None:
    """The bundle or released layout inside `folder` (itself, or its bundle/ subfolder), if any."""
    for candidate in (folder, folder / "bundle"):
        if is_bundle(candidate) or is_released_layout(candidate):
            return candidate
    return None


def find_model(explicit: Path | None = None) -> tuple[Path | None, str]:
    """→ (model folder or None, why). An explicit path that holds no model is an error."""
    if explicit is not None:
        found = usable(Path(explicit)) if Path(explicit).is_dir() else None
        if found is None:
            raise CheckpointError(f"{explicit}: no llaqo bundle or released checkpoint here",
                                  "run `llaqo download`, or `llaqo convert` a released folder")
        return found, f"--model {explicit}"
    env = os.environ.get("LLAQO_MODEL")
    if env:
        found = usable(Path(env))
        if found is None:
            raise CheckpointError(f"LLAQO_MODEL={env}: no llaqo bundle or released checkpoint there")
        return found, f"LLAQO_MODEL={env}"
    for folder in dict.fromkeys([Path.cwd() / "ckpts", PACKAGE_CKPTS]):
        found = usable(folder)
        if found is not None:
            return found, f"found in {folder}"
    return None, "no model weights found (--model, LLAQO_MODEL or ckpts/)"
