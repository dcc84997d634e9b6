"""`llaqo train stage1|stage2|stage3`: train the coach on LLaQo's tables — one process, or many through
`accelerate launch -m llaqo train …`. Each stage's defaults are a shipped YAML; flags and key=value override."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from llaqo.errors import error_boundary
from llaqo.model.options import TrainFlags
from llaqo.options import Group, Mode, uses

app = typer.Typer(help="Train the coach (stage 1: Q-Former pre-training on captions; stage 2: general audio "
                  "QA/captions; stage 3: LLaQo piano tuning).",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  rich_markup_mode="rich", context_settings={"help_option_names": ["-h", "--help"]})


def _opt(flag: str, metavar: str, help: str, **kw):
    return typer.Option(flag, metavar=metavar, help=help, show_default=False, **kw)


InitOpt = Annotated[Path, _opt("--init", "DIR", "Start from: a released-layout folder or a bundle.")]
DataOpt = Annotated[list[Path], _opt("--data", "PATH", "A metadata table (CSV/JSON/JSONL, layout detected from its "
                                     "columns), a NeuroPiano parquet folder, or a mixture YAML. Repeatable.")]
RootOpt = Annotated[Optional[Path], _opt("--audio-root", "DIR", "Where the audio is; the tables' paths are "
                                         "remapped by their last path components.")]
OutOpt = Annotated[Path, _opt("--out", "DIR", "The run folder (config, metrics, checkpoints, bundle).")]
ConfigOpt = Annotated[Optional[Path], _opt("--config", "FILE", "A YAML overriding the stage's defaults.")]
MaxStepsOpt = Annotated[Optional[int], _opt("--max-steps", "N", "Optimiser steps in all.")]
BatchOpt = Annotated[Optional[int], _opt("--batch-size", "N", "Examples per process and micro-batch (default: the "
                                         "stage's YAML: 4; stage 1: 100, its in-batch negatives).")]
AccumOpt = Annotated[Optional[int], _opt("--grad-accum", "N", "Micro-batches per optimiser step.")]
LrOpt = Annotated[Optional[float], _opt("--lr", "X", "Peak learning rate (default 1e-4).")]
WarmupOpt = Annotated[Optional[int], _opt("--warmup", "N", "Warm-up steps.")]
SaveOpt = Annotated[Optional[int], _opt("--save-every", "N", "Checkpoint every N steps.")]
EvalOpt = Annotated[Optional[int], _opt("--eval-every", "N", "Evaluation loss every N steps (0: never).")]
SeedOpt = Annotated[Optional[int], _opt("--seed", "N", "Seed of the sample order and dropout (default 42).")]
TrainModeOpt = Annotated[Optional[Mode], typer.Option("--mode", show_default=False, help=(
    "compat: the released path (one audio token); full: every query of every window reaches the LLM."))]
SplitOpt = Annotated[Optional[str], _opt("--split", "NAME", "Rows of this split (default train).")]
FormatOpt = Annotated[str, _opt("--format", "NAME", "Force a table layout instead of detecting it.")]
Stage1Opt = Annotated[Optional[Path], _opt("--stage1", "DIR", "A `llaqo train stage1` output (OUT/stage1): its "
                                          "Q-Former, queries and ln_audio replace those of --init.")]
BertOpt = Annotated[Optional[Path], _opt("--bert", "DIR", "The BERT tokenizer folder (default: the one in --init; "
                                         "needed when --init is a bare vit.pth).")]
OverridesArg = Annotated[Optional[list[str]], typer.Argument(
    metavar="KEY=VALUE", show_default=False, help="Config overrides, e.g. optim.min_lr=1e-5 num_workers=4.")]


ResumeOpt = Annotated[bool, typer.Option("--resume", help="Continue from the newest checkpoint in --out.")]
OverwriteOpt = Annotated[bool, typer.Option("--overwrite", help="Replace a run already in --out.")]
RUN = Group(TrainFlags, {"audio_root": RootOpt, "config": ConfigOpt, "max_steps": MaxStepsOpt, "batch_size": BatchOpt,
                         "grad_accum": AccumOpt, "lr": LrOpt, "warmup": WarmupOpt, "save_every": SaveOpt,
                         "eval_every": EvalOpt, "seed": SeedOpt, "split": SplitOpt, "fmt": FormatOpt,
                         "resume": ResumeOpt, "overwrite": OverwriteOpt})


def _train(stage: str, init: Path, data: list[Path], out: Path, run: TrainFlags, overrides: list[str] | None,
           extra: dict | None = None, **kwargs) -> None:
    """The one core call of every stage: the resolved config, then the runner."""
    from llaqo.model.train.config import load_config
    from llaqo.model.train.runner import Run, train

    with error_boundary():
        cfg = load_config(stage, run.config, run.config_overrides() | (extra or {}), overrides)
        output = train(Run(init, list(data), run.audio_root, out, cfg, run.fmt, run.resume, run.overwrite, **kwargs))
        if output is not None:
            print(output)


def _command(stage: str, summary: str):
    @uses(run=RUN)
    def command(
        init: InitOpt,
        data: DataOpt,
        out: OutOpt,
        mode: TrainModeOpt = None,
        lora: Annotated[bool, typer.Option("--lora", help="Add LoRA adapters to the frozen LLM.")] = False,
        stage1: Stage1Opt = None,
        overrides: OverridesArg = None,
        *,
        run: TrainFlags,
    ) -> None:
        extra = {"mode": mode.value if mode else None, "lora.enabled": True if lora else None}
        _train(stage, init, data, out, run, overrides, {k: v for k, v in extra.items() if v is not None},
               stage1=stage1)

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
      llaqo train stage2 --init ckpts/ --stage1 runs/s1/stage1 --data audiocaps.csv --out runs/s2
    """))


JudgeTaskOpt = Annotated[str, _opt("--task", "expertise|difficulty|technique", "The head to train.")]
ClassesOpt = Annotated[Optional[int], _opt("--classes", "N", "expertise: 2 (default) or 4 (by how far apart the "
                                          "levels are); difficulty: 9 (Henle, default) or 3.")]
SingleOpt = Annotated[bool, typer.Option("--single-label", help="technique: one label per take (the first) "
                                         "instead of the 7-label multi-label head.")]
PatienceOpt = Annotated[int, _opt("--patience", "N", "Stop after N evaluations without a better validation loss.")]
JUDGE_RUN = Group(TrainFlags, {"audio_root": RootOpt, "max_steps": MaxStepsOpt, "batch_size": BatchOpt, "lr": LrOpt,
                               "eval_every": EvalOpt, "seed": SeedOpt, "split": SplitOpt, "overwrite": OverwriteOpt})


@app.command("judge")
@uses(run=JUDGE_RUN)
def judge_command(
    task: JudgeTaskOpt,
    init: Annotated[Path, _opt("--init", "PATH", "The AudioMAE encoder whose embeddings the head reads: the "
                               "released folder, a bundle or a vit.pth (assess uses the coach's own).")],
    data: Annotated[Path, _opt("--data", "PATH", "The metadata table (or its folder): difficulty_cipi (CIPI), "
                               "techniques (PLD) or PianoJudge (expertise).")],
    out: Annotated[Path, _opt("--out", "DIR", "The heads folder (OUT/<task>.safetensors + .json); put it at "
                              "<model>/judges to have assess use it.")],
    classes: ClassesOpt = None,
    single_label: SingleOpt = False,
    patience: PatienceOpt = 4,
    device: Annotated[str, _opt("--device", "auto|cpu|cuda[:N]", "Where the encoder and the head run.")] = "auto",
    *,
    run: TrainFlags,
) -> None:
    """Train a PianoJudges head (expertise ranking, difficulty or technique) on AudioMAE embeddings.

    Each file's embeddings are computed once and cached ($LLAQO_HOME/embeddings), so a head trains in
    minutes; the best head by validation loss is kept.

    [bold]Examples[/bold]

      llaqo train judge --task difficulty --init ckpts/ --data cipi/ --audio-root /data/cipi --out ckpts/judges
      llaqo train judge --task technique --init ckpts/ --data techniques/ --audio-root /data/pld --out ckpts/judges
      llaqo train judge --task expertise --classes 4 --init ckpts/ --data PianoJudge/ --audio-root /data --out j/
    """
    from llaqo.common.device import Device

    with error_boundary():
        from llaqo.model.train.judge_runner import JudgeRun, train_judge

        given = {"max_steps": run.max_steps, "batch_size": run.batch_size, "lr": run.lr, "seed": run.seed,
                 "eval_every": run.eval_every, "split": run.split}
        job = JudgeRun(task=task, init=init, data=data, out=out, audio_root=run.audio_root, n_classes=classes,
                       multi_label=not single_label, patience=patience, overwrite=run.overwrite,
                       device=Device.parse(device), **{k: v for k, v in given.items() if v is not None})
        result = train_judge(job, progress=lambda line: print(line, file=sys.stderr))
        shown = ", ".join(f"{k} {v:.3f}" for k, v in result.metrics.items() if isinstance(v, float))
        print(f"{result.path}  ({result.steps} steps; validation: {shown})")


@app.command("stage1")
@uses(run=RUN)
def stage1_command(
    init: Annotated[Path, _opt("--init", "PATH", "The audio encoder: AudioMAE's vit.pth, a released-layout folder "
                                "or a bundle (these also give the Q-Former to start from).")],
    data: DataOpt,
    out: OutOpt,
    bert: BertOpt = None,
    overrides: OverridesArg = None,
    *,
    run: TrainFlags,
) -> None:
    """Stage 1: pre-train the Q-Former on audio-caption pairs (frozen encoder, no LLM).

    Contrastive (ATC) + matching (ATM) + caption generation (ATG) losses, summed; OUT/stage1 starts stage 2.

    [bold]Examples[/bold]

      llaqo train stage1 --init ckpts/vit.pth --bert ckpts/bert-base-uncased --data caps.csv --out runs/s1
      llaqo train stage2 --init ckpts/ --stage1 runs/s1/stage1 --data audiocaps.csv --audio-root /data --out runs/s2
    """
    _train("stage1", init, data, out, run, overrides, bert=bert)
