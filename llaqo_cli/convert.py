"""`llaqo convert`: turn the released checkpoint layout into a llaqo bundle."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from llaqo.errors import error_boundary


def convert(
    src: Annotated[Path, typer.Argument(help="Folder of the released layout (checkpoint_*.pth, vit.pth, Vicuna, BERT).")],
    dst: Annotated[Path, typer.Argument(help="New folder for the bundle.")],
    mode: Annotated[str, typer.Option(help="Mode stored in the bundle: compat (the released model) or full.")] = "compat",
) -> None:
    """Convert released weights into a bundle: config + safetensors + a manifest of SHA-256 hashes.

    [bold]Examples[/bold]

      llaqo convert ckpts/ ckpts/bundle
      llaqo ask take.wav "How clean is the attack?" --model ckpts/bundle
    """
    from llaqo.model.coach.convert import convert_released
    from llaqo.common.errors import ConfigError

    with error_boundary():
        if mode not in ("compat", "full"):
            raise ConfigError(f"unknown mode {mode!r}", "use compat or full")
        out = convert_released(src, dst, mode)
    print(f"wrote {out}", file=sys.stderr)
