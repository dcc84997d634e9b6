"""`llaqo train stage2|stage3`: train the coach on LLaQo's tables — one process, or many through
`accelerate launch -m llaqo train …`. Each stage's defaults are a shipped YAML; flags and key=value override."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from llaqo.errors import error_boundary
from llaqo.options import Mode

app = typer.Typer(help="Train the coach (stage 2: general audio QA/captions; stage 3: LLaQo piano tuning).",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  rich_markup_mode="rich", context_settings={"help_option_names": ["-h", "--help"]})

InitOpt = Annotated[Path, typer.Option("--init", metavar="DIR", help="Start from: a released-layout folder or a bundle.",
                                       show_default=False)]
DataOpt = Annotated[list[Path], typer.Option("--data", metavar="PATH", help="A metadata table (CSV/JSON/JSONL, layout detected "
                                             "from its columns), a NeuroPiano parquet folder, or a mixture YAML. "
                                             "Repeatable.", show_default=False)]
RootOpt = Annotated[Optional[Path], typer.Option("--audio-root", metavar="DIR", help="Where the audio is; the tables' paths are "
                                                 "remapped by their last path components.", show_default=False)]
OutOpt = Annotated[Path, typer.Option("--out", metavar="DIR", help="The run folder (config, metrics, checkpoints, bundle).",
                                      show_default=False)]
ConfigOpt = Annotated[Optional[Path], typer.Option("--config", metavar="FILE", help="A YAML overriding the stage's defaults.")]
IntOpt = Optional[int]


def _command(stage: str, summary: str):
    def command(
        init: InitOpt,
        data: DataOpt,
        out: OutOpt,
        audio_root: RootOpt = None,
        config: ConfigOpt = None,
        max_steps: Annotated[IntOpt, typer.Option("--max-steps", metavar="N", help="Optimiser steps in all.")] = None,
        batch_size: Annotated[IntOpt, typer.Option("--batch-size", metavar="N", help="Examples per process and micro-batch.")
                              ] = None,
        grad_accum: Annotated[IntOpt, typer.Option("--grad-accum", metavar="N", help="Micro-batches per optimiser step.")] = None,
        lr: Annotated[Optional[float], typer.Option("--lr", metavar="X", help="Peak learning rate.")] = None,
        warmup: Annotated[IntOpt, typer.Option("--warmup", metavar="N", help="Warm-up steps.")] = None,
        save_every: Annotated[IntOpt, typer.Option("--save-every", metavar="N", help="Checkpoint every N steps.")] = None,
        eval_every: Annotated[IntOpt, typer.Option("--eval-every", metavar="N", help="Evaluation loss every N steps (0: never).")
                              ] = None,
        seed: Annotated[IntOpt, typer.Option("--seed", metavar="N", help="Seed of the sample order and dropout (default 42).")] = None,
        mode: Annotated[Optional[Mode], typer.Option("--mode", show_default=False,
                                                     help="compat: the released path (one audio token); "
                                                     "full: every query of every window reaches the LLM.")] = None,
        lora: Annotated[bool, typer.Option("--lora", help="Add LoRA adapters to the frozen LLM.")] = False,
        resume: Annotated[bool, typer.Option("--resume", help="Continue from the newest checkpoint in --out.")] = False,
        overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace a run already in --out.")] = False,
        split: Annotated[Optional[str], typer.Option("--split", metavar="NAME", help="Rows of this split (default train).")] = None,
        fmt: Annotated[str, typer.Option("--format", metavar="NAME", help="Force a table layout instead of detecting it.")] = "auto",
        overrides: Annotated[Optional[list[str]], typer.Argument(metavar="KEY=VALUE", help="key=value config overrides, e.g. "
                                                                 "optim.min_lr=1e-5 num_workers=4.",
                                                                 show_default=False)] = None,
    ) -> None:
        from llaqo.model.train.config import load_config
        from llaqo.model.train.runner import Run, train

        flags = {"max_steps": max_steps, "batch_size": batch_size, "grad_accum": grad_accum, "optim.lr": lr,
                 "optim.warmup_steps": warmup, "save_every": save_every, "eval_every": eval_every, "seed": seed,
                 "mode": mode.value if mode else None, "split": split, "lora.enabled": True if lora else None}
        with error_boundary():
            cfg = load_config(stage, config, {k: v for k, v in flags.items() if v is not None}, overrides)
            bundle = train(Run(init, list(data), audio_root, out, cfg, fmt, resume, overwrite))
            if bundle is not None:
                print(bundle)

    command.__doc__ = summary
    return command


app.command("stage3")(_command("stage3", """Stage 3: tune LLaQo on the piano QA tables (LLM frozen).

    [bold]Examples[/bold]

      llaqo train stage3 --init ckpts/ --data metadatas/Burgmuller/audio_qa.csv --audio-root /data --out runs/a
      llaqo train stage3 --init ckpts/ --data mix.yaml --audio-root /data --out runs/a --resume
      accelerate launch -m llaqo train stage3 --init ckpts/ --data mix.yaml --audio-root /data --out runs/a
    """))
app.command("stage2")(_command("stage2", """Stage 2: general audio captioning / QA with the frozen LLM.

    The tables hold an audio path and a caption (the question is `caption_prompt`) or a question and an
    answer, in CSV, JSON or JSON lines.

    [bold]Examples[/bold]

      llaqo train stage2 --init ckpts/ --data audiocaps.csv --audio-root /data/audiocaps --out runs/s2
    """))
