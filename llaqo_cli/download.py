"""`llaqo download`: fetch the released LLaQo weights (~14 GB) and convert them into a bundle."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from llaqo.errors import error_boundary


def download(
    to: Annotated[Path, typer.Option("--to", metavar="DIR", help="Where the weights go.")] = Path("ckpts"),
) -> None:
    """Download anusfoil/LLaQo-ckpts (checkpoint, AudioMAE, Vicuna-7b) and the BERT tokenizer,
    then convert them into TO/bundle. Interrupted downloads resume when run again.

    [bold]Examples[/bold]

      llaqo download                 # into ./ckpts
      llaqo download --to /data/llaqo && export LLAQO_MODEL=/data/llaqo
    """
    from llaqo.model.coach.checkpoints.bundle import is_bundle
    from llaqo.model.coach.convert import convert_released, download_released

    with error_boundary():
        layout = download_released(to)
        target = Path(to) / "bundle"
        if not is_bundle(target):
            convert_released(layout, target)
    print(f"ready: {target}", file=sys.stderr)
