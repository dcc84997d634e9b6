"""The one way a coach is built — for ask, assess, eval and train — from a bundle or the released layout."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import torch

from llaqo.common.device import Device
from llaqo.common.errors import CheckpointError, DeviceError
from llaqo.model.coach.checkpoints import bundle, released
from llaqo.model.coach.config import CoachConfig
from llaqo.model.coach.llaqo import LLaQo
from llaqo.model.coach.llm import load_llm
from llaqo.model.coach.tokenizers import LlmTokenizer, QuestionTokenizer

DTYPES = {"fp16": torch.float16, "bf16": torch.bfloat16, "fp32": torch.float32}


@dataclass(frozen=True)
class Placement:
    device: torch.device
    dtype: torch.dtype  # the LLM's dtype; the small modules stay fp32 (autocast on CUDA)

    def describe(self) -> str:
        name = {v: k for k, v in DTYPES.items()}[self.dtype]
        return f"{self.device.type} {name}"


def choose_placement(device: Device | str = "auto", dtype: str = "auto") -> Placement:
    """auto: CUDA in fp16 (what the released model ran in) when present, else CPU in fp32."""
    resolved = Device.parse(device).resolve()
    if dtype == "auto":
        dtype = "fp16" if resolved.is_cuda else "fp32"
    if dtype not in DTYPES:
        raise DeviceError(f"unknown dtype {dtype!r}", "use auto, fp16, bf16 or fp32")
    if not resolved.is_cuda and dtype == "fp16":
        raise DeviceError("fp16 on the CPU is not supported", "use --dtype fp32 or bf16 on the CPU")
    return Placement(resolved.torch(), DTYPES[dtype])


def load_coach(path: Path, placement: Placement | None = None, mode: str | None = None) -> LLaQo:
    """Build LLaQo from a bundle folder or a released-layout folder; strict: every weight must fit."""
    path = Path(path)
    placement = placement or choose_placement()
    if bundle.is_bundle(path):
        cfg, weights, llm_dir, bert_dir = bundle.read_bundle(path)
        source = str(path / bundle.WEIGHTS)
    elif released.is_released_layout(path):
        layout = released.find_released(path)
        weights = released.load_released_weights(layout)
        cfg = released.infer_config(weights, str(layout.checkpoint))
        llm_dir, bert_dir, source = layout.llm_dir, layout.bert_dir, str(layout.checkpoint)
    else:
        raise CheckpointError(f"{path}: neither a llaqo bundle nor the released checkpoint layout",
                              "run `llaqo download`, or `llaqo convert` a released folder")
    if mode:
        cfg = replace(cfg, mode=mode)
    return assemble(cfg, weights, llm_dir, bert_dir, placement, source)


def assemble(cfg: CoachConfig, weights: dict, llm_dir: Path, bert_dir: Path, placement: Placement,
             source: str) -> LLaQo:
    llm_tok = _llm_tokenizer(llm_dir)
    question_tok = QuestionTokenizer(bert_dir, cfg.aligner.max_text_tokens)
    if len(question_tok) != cfg.aligner.vocab_size:
        raise CheckpointError(f"{bert_dir}: tokenizer has {len(question_tok)} tokens but the Q-Former "
                              f"expects {cfg.aligner.vocab_size}")
    llm = load_llm(llm_dir, llm_tok.vocab_size, placement.dtype)
    if llm.config.hidden_size != cfg.llm_hidden:
        raise CheckpointError(f"{llm_dir}: LLM width {llm.config.hidden_size} does not fit llm_proj "
                              f"({cfg.llm_hidden}) of {source}")
    model = LLaQo(cfg, llm, llm_tok, question_tok)
    load_strict(model, weights, source)
    model.requires_grad_(False)
    return model.to(placement.device).eval()


def trainable_state(model: LLaQo) -> dict[str, torch.Tensor]:
    """Every weight but the frozen LLM's, by our names."""
    return {k: v for k, v in model.state_dict().items() if not k.startswith("llm.")}


def load_strict(model: LLaQo, weights: dict, source: str) -> None:
    check_fits(model, weights, source)
    # the check above is the strict one; the frozen LLM came from its own folder
    result = model.load_state_dict(weights, strict=False)
    assert not result.unexpected_keys and all(k.startswith("llm.") for k in result.missing_keys)


def check_fits(model: LLaQo, weights: dict, source: str) -> None:
    """Every key present, none extra, every shape equal — or one error naming them and the file."""
    expected = set(trainable_state(model))
    missing, unexpected = sorted(expected - set(weights)), sorted(set(weights) - expected)
    if missing or unexpected:
        raise CheckpointError(f"{source}: does not fit the model — missing {_keys(missing)}; "
                              f"unexpected {_keys(unexpected)}")
    own = model.state_dict()
    bad = [k for k in expected if tuple(own[k].shape) != tuple(weights[k].shape)]
    if bad:
        k = bad[0]
        raise CheckpointError(f"{source}: {k} has shape {tuple(weights[k].shape)}, the model expects "
                              f"{tuple(own[k].shape)}" + (f" (+{len(bad) - 1} more)" if len(bad) > 1 else ""))


def _llm_tokenizer(llm_dir: Path) -> LlmTokenizer:
    model_file = Path(llm_dir) / "tokenizer.model"
    if not model_file.is_file():
        raise CheckpointError(f"{llm_dir}: tokenizer.model is missing")
    return LlmTokenizer(model_file)


def _keys(keys: list[str], n: int = 4) -> str:
    if not keys:
        return "none"
    return ", ".join(keys[:n]) + (f" (+{len(keys) - n} more)" if len(keys) > n else "")
