"""The training runner for stages 1, 2 and 3 (stage 1: model/train/stage1.py, no LLM): one process on a CPU,
one GPU, or many processes through `accelerate launch` (DDP; FSDP with the shipped config).

Exact resume: the sample order is a function of (seed, position) (batch.Order), dropout draws come
from the torch RNG that every checkpoint saves per process, and AdamW / LambdaLR / GradScaler states are
restored — so on a CPU a resumed run's losses equal an uninterrupted run's bit for bit.
"""

from __future__ import annotations

import contextlib
import math
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

import torch

from llaqo.common.errors import CheckpointError, ConfigError, TrainingError, TrainingInterrupted
from llaqo.model.train import checkpoint, outdir
from llaqo.model.train.batch import ExampleDataset, Order, collate, eval_indices
from llaqo.model.train.config import TrainConfig, dump
from llaqo.model.train.data import load_data
from llaqo.model.train.optim import make_optimizer, make_scheduler, set_trainable

# what must agree between a checkpoint and the run resuming it (the rest, e.g. max_steps, may change)
_IDENTITY = ("stage", "mode", "batch_size", "grad_accum", "seed", "lora", "freeze_encoder", "max_question_tokens",
             "max_answer_tokens")


def _identity_keys(cfg: TrainConfig) -> tuple[str, ...]:
    """Stage 1 also pins its objectives and their sizes (stage 2/3 checkpoints do not record them)."""
    return _IDENTITY + (("stage1",) if cfg.stage == "stage1" else ())


@dataclass
class Run:
    init: Path
    data: list[Path]
    audio_root: Path | None
    out: Path
    cfg: TrainConfig
    fmt: str = "auto"
    resume: bool = False
    overwrite: bool = False
    log: Callable[[str], None] = field(default=lambda s: print(s, file=sys.stderr))
    bert: Path | None = None  # stage 1: the BERT tokenizer folder (default: the one --init holds)
    stage1: Path | None = None  # stage 2/3: a stage-1 output whose aligner.* / ln_audio.* replace --init's

    def resolved(self) -> dict:
        return {"run": {"init": str(self.init), "bert": str(self.bert) if self.bert else None,
                        "stage1": str(self.stage1) if self.stage1 else None, "data": [str(p) for p in self.data],
                        "audio_root": str(self.audio_root) if self.audio_root else None, "format": self.fmt},
                "train": dump(self.cfg)}


def train(run: Run) -> Path | None:
    """Train; → OUT/bundle (None in the other processes of a multi-process run)."""
    from accelerate import Accelerator
    from accelerate.utils import DistributedDataParallelKwargs, set_seed

    cfg = run.cfg
    if cfg.optim.warmup_steps > cfg.max_steps // 2:
        # a warm-up as long as the run would never reach the peak lr (short trial runs)
        short = cfg.max_steps // 10
        run.log(f"warm-up of {cfg.optim.warmup_steps} steps is over half of --max-steps {cfg.max_steps}: using {short}")
        cfg = run.cfg = replace(cfg, optim=replace(cfg.optim, warmup_steps=short))
    resume_from = outdir.check_out(run.out, run.resume, run.overwrite)
    state = checkpoint.read_state(resume_from) if resume_from else None
    if state:
        _check_identity(state, run, resume_from)
    # cpu=True on a machine without CUDA: several processes then form a gloo group (MULTI_CPU)
    accelerator = Accelerator(cpu=not torch.cuda.is_available(), mixed_precision=_mixed_precision(cfg),
                              step_scheduler_with_optimizer=False,
                              kwargs_handlers=[DistributedDataParallelKwargs(find_unused_parameters=True)])
    main, rank, world = accelerator.is_main_process, accelerator.process_index, accelerator.num_processes
    if main:
        outdir.prepare(run.out, run.overwrite)
    accelerator.wait_for_everyone()
    log = run.log if main else (lambda s: None)
    set_seed(cfg.seed, device_specific=True)

    data = load_data(run.data, run.audio_root, cfg.split, run.fmt, cfg.seed, cfg.caption_prompt)
    for report in data.reports:
        log(report.line())
    if data.size == 0:
        missing = sum(r.missing_audio for r in data.reports)
        raise TrainingError(f"no audio found at all for split {cfg.split!r} ({missing} rows point at missing files)",
                            f"check --audio-root {run.audio_root}" if run.audio_root else "pass --audio-root")
    evals = _eval_set(run, data.audio_bytes) if cfg.eval_every else []

    model, llm_dir, bert_dir = build_model(run.init, cfg, accelerator.device, run.bert, run.stage1)
    trainable = set_trainable(model, cfg.freeze_encoder)
    n_trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    log(f"{world} process(es) on {accelerator.device}; {n_trainable:,} "
        f"trainable parameters in {len(trainable)} tensors; mixed precision {accelerator.mixed_precision}")
    optimizer = make_optimizer(model, cfg.optim)
    scheduler = make_scheduler(optimizer, cfg.optim, cfg.max_steps)
    step, position = 0, 0
    if state:
        step, position = state["step"], state["position"]
        _restore(resume_from, model, optimizer, scheduler, accelerator, rank)
        log(f"resuming from {resume_from} (step {step})")
    model.train()
    wrapped, optimizer = accelerator.prepare(model, optimizer)
    if main:
        outdir.write_config(run.out, run.resolved())
        if state:
            outdir.truncate_metrics(run.out, step)
    metrics = outdir.Metrics(run.out, main)

    examples = [ex for s in data.sources for ex in s.examples]
    order = Order(data.sources, cfg.seed)
    loader = _loader(ExampleDataset(examples, data.audio_bytes), order, position, cfg, rank, world)
    per_step = cfg.batch_size * cfg.grad_accum * world
    saved_at = step if state else -1
    progress = _Progress(cfg.max_steps, step, main and sys.stderr.isatty())
    stop = _StopRequest()
    try:
        with progress, stop:
            while step < cfg.max_steps and not stop.requested:
                t0 = time.perf_counter()
                loss = _step(wrapped, optimizer, scheduler, loader, accelerator, cfg)
                if not math.isfinite(loss):
                    kept = checkpoint.latest(run.out)
                    raise TrainingError(f"loss is {loss} at step {step + 1}; stopped without saving it",
                                        f"the last good checkpoint is {kept}" if kept else "no checkpoint was saved")
                step += 1
                position += per_step
                lr = scheduler.get_last_lr()[0]
                rate = per_step / max(time.perf_counter() - t0, 1e-9)
                if step % cfg.log_every == 0 or step == cfg.max_steps:
                    metrics.write({"step": step, "loss": loss, "lr": _lr_used(scheduler, step), "next_lr": lr,
                                   "samples_per_s": round(rate, 3), "epoch": position / order.total,
                                   **getattr(model, "last", {})})
                progress.update(step, loss, lr, rate)
                if evals and step % cfg.eval_every == 0:
                    for split, value in _evaluate(wrapped, evals, data.audio_bytes, cfg, accelerator).items():
                        metrics.write({"step": step, "split": split, "loss": value})
                        log(f"step {step}: {split} loss {value:.4f}")
                if step % cfg.save_every == 0 or step == cfg.max_steps:
                    save(run, accelerator, model, optimizer, scheduler, step, position)
                    saved_at = step
    except KeyboardInterrupt:  # a second Ctrl-C: the step in flight is abandoned, the last one kept
        stop.requested = True
    if stop.requested:
        if step != saved_at:
            save(run, accelerator, model, optimizer, scheduler, step, position)
        raise TrainingInterrupted(f"interrupted at step {step}; checkpoint {checkpoint.latest(run.out)} saved",
                                  "run the same command with --resume to continue")
    if step != saved_at:
        save(run, accelerator, model, optimizer, scheduler, step, position)
    accelerator.wait_for_everyone()
    bundle_dir = Path(run.out) / ("stage1" if cfg.stage == "stage1" else "bundle")
    if main and cfg.stage == "stage1":
        from llaqo.model.train.stage1 import write_output

        write_output(model, run.out, f"llaqo train stage1 step {step} from {run.init}")
        log(f"stage-1 output written to {bundle_dir} (start stage 2 with --stage1 {bundle_dir})")
    elif main:
        write_final_bundle(run, model, llm_dir, bert_dir, step)
        log(f"bundle written to {bundle_dir}")
    accelerator.wait_for_everyone()
    accelerator.end_training()
    return bundle_dir if main else None


def build_model(init: Path, cfg: TrainConfig, device: torch.device, bert: Path | None = None,
                stage1: Path | None = None):
    """The coach built by `ask`'s own loader from --init, with LoRA adapters when asked (stage 1: the
    Q-Former pre-training model, no LLM). → (model, LLM folder or None, BERT folder)."""
    from llaqo.model.coach.build import DTYPES, Placement, load_coach
    from llaqo.model.train.init import init_parts
    from llaqo.model.train.stage1 import build_stage1, load_handoff

    if cfg.stage == "stage1":
        model, bert_dir = build_stage1(init, bert, cfg.stage1, device)
        return model, None, bert_dir
    llm_dir, bert_dir = init_parts(init)
    dtype = cfg.llm_dtype if cfg.llm_dtype != "auto" else ("bf16" if device.type == "cuda" else "fp32")
    model = load_coach(init, Placement(device, DTYPES[dtype]), mode=cfg.mode)
    model.max_question_tokens, model.max_answer_tokens = cfg.max_question_tokens, cfg.max_answer_tokens
    model.question_tok.max_tokens = cfg.max_question_tokens
    model.llm.config.use_cache = False
    if stage1 is not None:
        load_handoff(model, stage1)
    if cfg.lora.enabled:
        from peft import LoraConfig, get_peft_model

        model.llm = get_peft_model(model.llm, LoraConfig(r=cfg.lora.rank, lora_alpha=cfg.lora.alpha,
                                                         lora_dropout=cfg.lora.dropout,
                                                         target_modules=list(cfg.lora.targets)))
    if cfg.gradient_checkpointing:
        model.llm.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        model.encoder.vit.set_grad_checkpointing(True)
    return model, llm_dir, bert_dir


def _mixed_precision(cfg: TrainConfig) -> str:
    if cfg.mixed_precision != "auto":
        return cfg.mixed_precision
    if not torch.cuda.is_available():
        return "no"
    return "bf16" if torch.cuda.is_bf16_supported() else "fp16"


def _step(model, optimizer, scheduler, loader, accelerator, cfg: TrainConfig) -> float:
    """One optimiser step over grad_accum micro-batches → the mean loss (over micro-batches and processes)."""
    losses = []
    for micro in range(cfg.grad_accum):
        batch = next(loader)
        sync = contextlib.nullcontext() if micro == cfg.grad_accum - 1 else accelerator.no_sync(model)
        with sync:
            loss = model(batch.chunks.to(accelerator.device), batch.questions, batch.answers)
            accelerator.backward(loss / cfg.grad_accum)
        losses.append(loss.detach().float())
    mean = accelerator.reduce(torch.stack(losses).mean(), reduction="mean").item()
    if not math.isfinite(mean):
        optimizer.zero_grad(set_to_none=True)
        return mean
    if cfg.optim.max_grad_norm > 0:
        accelerator.clip_grad_norm_(model.parameters(), cfg.optim.max_grad_norm)
    optimizer.step()
    scheduler.step()
    optimizer.zero_grad(set_to_none=True)
    return mean


def _lr_used(scheduler, step: int) -> float:
    """The lr of the step just taken (LambdaLR has already moved on to the next one)."""
    return scheduler.base_lrs[0] * scheduler.lr_lambdas[0](step - 1)


class _Batches:
    def __init__(self, order: Order, start: int, per_rank: int, rank: int, world: int):
        self.args = (start, per_rank, rank, world)
        self.order = order

    def __iter__(self):
        return self.order.batches(*self.args)


def _loader(dataset, order: Order, position: int, cfg: TrainConfig, rank: int, world: int):
    from torch.utils.data import DataLoader

    batches = _Batches(order, position, cfg.batch_size, rank, world)
    # its own generator: creating a loader must not draw from the global RNG that dropout uses (a resumed
    # run creates one where an uninterrupted run does not)
    return iter(DataLoader(dataset, batch_sampler=batches, collate_fn=collate, num_workers=cfg.num_workers,
                           generator=torch.Generator().manual_seed(cfg.seed)))


def _eval_set(run: Run, audio_bytes: dict) -> list:
    cfg = run.cfg
    data = load_data(run.data, run.audio_root, None, run.fmt, cfg.seed, cfg.caption_prompt, splits=cfg.eval_splits)
    audio_bytes.update(data.audio_bytes)
    examples = [ex for s in data.sources for ex in s.examples]
    return [examples[i] for i in eval_indices(len(examples), cfg.eval_max_samples, cfg.seed)]


@torch.no_grad()
def _evaluate(model, examples: list, audio_bytes: dict, cfg: TrainConfig, accelerator) -> dict[str, float]:
    """Token-mean loss per batch, averaged over the fixed evaluation subset (no dropout, no RNG use)."""
    model.eval()
    dataset = ExampleDataset(examples, audio_bytes)
    losses = []
    for start in range(0, len(examples), cfg.batch_size):
        batch = collate([dataset[i] for i in range(start, min(start + cfg.batch_size, len(examples)))])
        losses.append(model(batch.chunks.to(accelerator.device), batch.questions, batch.answers).float().item())
    model.train()
    return {"+".join(cfg.eval_splits): sum(losses) / max(1, len(losses))}


def trainable_weights(model) -> dict[str, torch.Tensor]:
    """What a checkpoint keeps: every tensor outside the LLM, and the LLM's LoRA adapters."""
    state = model.state_dict()
    return {k: v for k, v in state.items() if not k.startswith("llm.") or "lora_" in k}


def save(run: Run, accelerator, model, optimizer, scheduler, step: int, position: int) -> None:
    accelerator.wait_for_everyone()
    tmp = checkpoint.temp_dir(run.out, step)
    if accelerator.is_main_process:
        checkpoint.begin(run.out, step)
    accelerator.wait_for_everyone()
    checkpoint.write_rng(tmp, accelerator.process_index)
    if accelerator.is_main_process:
        scaler = accelerator.scaler.state_dict() if accelerator.scaler is not None else None
        checkpoint.write_main(tmp, trainable_weights(model), optimizer.state_dict(), scheduler.state_dict(), scaler)
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        identity = {k: dump(run.cfg)[k] for k in _identity_keys(run.cfg)}
        checkpoint.commit(run.out, tmp, step, {"step": step, "position": position, "world": accelerator.num_processes,
                                               "identity": identity, "max_steps": run.cfg.max_steps},
                          run.cfg.keep_checkpoints)
    accelerator.wait_for_everyone()


def _check_identity(state: dict, run: Run, folder: Path) -> None:
    keys = _identity_keys(run.cfg)
    saved, now = state.get("identity", {}), {k: dump(run.cfg)[k] for k in keys}
    diff = [f"{k} {saved.get(k)!r} → {now[k]!r}" for k in keys if saved.get(k) != now[k]]
    if diff:
        raise CheckpointError(f"{folder}: does not match this run ({'; '.join(diff)})",
                              "resume with the settings it was trained with")


def _restore(folder: Path, model, optimizer, scheduler, accelerator, rank: int) -> None:
    weights = checkpoint.read_weights(folder)
    checkpoint.check_weights(trainable_weights(model), weights, f"{folder}: does not fit the model")
    model.load_state_dict(weights, strict=False)
    try:
        optimizer.load_state_dict(checkpoint.read_pt(folder / "optimizer.pt"))
        scheduler.load_state_dict(checkpoint.read_pt(folder / "scheduler.pt"))
    except (ValueError, KeyError, RuntimeError) as e:
        raise CheckpointError(f"{folder}: optimizer state does not fit ({str(e).splitlines()[0][:160]})") from None
    scaler = checkpoint.read_pt(folder / "scaler.pt", required=False)
    if scaler is not None and accelerator.scaler is not None:
        accelerator.scaler.load_state_dict(scaler)
    rng = checkpoint.read_pt(folder / f"rng-{rank}.pt", required=False)
    if rng is None:
        raise CheckpointError(f"{folder}: no RNG state for process {rank} (saved with another process count?)")
    checkpoint.set_rng_state(rng)


def write_final_bundle(run: Run, model, llm_dir: Path, bert_dir: Path, step: int) -> Path:
    """OUT/bundle in the coach's bundle format: our weights; the frozen LLM hard-linked (LoRA: merged and
    saved, since the LLM then differs from the one it started from). Written beside, then renamed."""
    import shutil

    from llaqo.model.coach.build import trainable_state
    from llaqo.model.coach.checkpoints.bundle import write_bundle

    out = Path(run.out)
    tmp, final = out / ".bundle-tmp", out / "bundle"
    for p in (tmp, out / ".merged-llm"):
        if p.exists():
            shutil.rmtree(p)
    source_llm = llm_dir
    if run.cfg.lora.enabled:
        source_llm = _merged_llm(model, llm_dir, out / ".merged-llm")
    cfg = replace(model.cfg, mode=run.cfg.mode)
    weights = {k: v.detach().cpu() for k, v in trainable_state(model).items()}
    write_bundle(tmp, cfg, weights, source_llm, bert_dir, f"llaqo train {run.cfg.stage} step {step} from {run.init}")
    if final.exists():
        shutil.rmtree(final)
    tmp.rename(final)
    shutil.rmtree(out / ".merged-llm", ignore_errors=True)
    return final


def _merged_llm(model, llm_dir: Path, dst: Path) -> Path:
    import copy
    import shutil

    merged = copy.deepcopy(model.llm).merge_and_unload()
    merged.save_pretrained(str(dst), safe_serialization=True)
    for p in Path(llm_dir).iterdir():
        if p.is_file() and p.name.startswith(("tokenizer", "special_tokens")):
            shutil.copy2(p, dst / p.name)
    return dst


class _StopRequest:
    """The first Ctrl-C (SIGINT) asks the loop to stop after the step in flight (then a checkpoint is saved);
    a second one interrupts at once. Only in the main thread, where Python delivers signals."""

    def __init__(self):
        self.requested = False
        self._previous = None

    def __enter__(self):
        import signal
        import threading

        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc):
        import signal

        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
        return False


class _Progress:
    """A rich progress bar (loss, lr, samples/s, ETA) on a terminal; nothing otherwise."""

    def __init__(self, total: int, start: int, enabled: bool):
        self.enabled, self.total, self.start = enabled, total, start
        self.bar = None

    def __enter__(self):
        if self.enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self.bar = Progress(TextColumn("train"), BarColumn(), MofNCompleteColumn(),
                                TextColumn("loss {task.fields[loss]} lr {task.fields[lr]} "
                                           "{task.fields[rate]} samples/s"),
                                TimeRemainingColumn(), transient=False)
            self.bar.__enter__()
            self.task = self.bar.add_task("train", total=self.total, completed=self.start, loss="-", lr="-", rate="-")
        return self

    def update(self, step: int, loss: float, lr: float, rate: float) -> None:
        if self.bar is not None:
            self.bar.update(self.task, completed=step, loss=f"{loss:.4f}", lr=f"{lr:.2e}", rate=f"{rate:.1f}")

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.__exit__(*exc)
        return False


def check_data_only(run: Run) -> list[str]:
    """The per-dataset report lines without training (used by tests and `--dry-run`)."""
    data = load_data(run.data, run.audio_root, run.cfg.split, run.fmt, run.cfg.seed, run.cfg.caption_prompt)
    if not data.reports:
        raise ConfigError("no --data given")
    return [r.line() for r in data.reports]
