"""`llaqo convert`: turn the released checkpoint layout into a llaqo bundle."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from llaqo.errors import error_boundary
from llaqo.options import Mode


def convert(
    src: Annotated[
        Path,
        typer.Argument(
            metavar="SRC",
            show_default=False,
            help="Folder of the released layout (checkpoint_*.pth, vit.pth, Vicuna, BERT).",
        ),
    ],
    dst: Annotated[Path, typer.Argument(metavar="DST", show_default=False, help="New folder for the bundle.")],
    mode: Annotated[
        Mode, typer.Option(help="Mode stored in the bundle: compat (the released model) or full.")
    ] = Mode.compat,
) -> None:
    """Convert released weights into a bundle: config + safetensors + a manifest of SHA-256 hashes.

    [bold]Examples[/bold]

      llaqo convert ckpts/ ckpts/bundle
      llaqo assess take.wav --model ckpts/bundle
    """
    from llaqo.model.coach.convert import convert_released

    with error_boundary():
        out = convert_released(src, dst, mode.value)
    print(f"wrote {out} (a llaqo bundle: config, safetensors weights, manifest of SHA-256 hashes)", file=sys.stderr)
