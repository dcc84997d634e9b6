"""Reading the released layout (HF repo anusfoil/LLaQo-ckpts) directly:

    DIR/checkpoint_<iters>.pth          {"model": trainable weights, "optimizer", "config", "scaler", "iters"}
    DIR/vit.pth                         {"model": AudioMAE ViT-B, AudioSet-finetuned} — gives pos_embed
    DIR/models--lmsys--vicuna-7b-v1.5/snapshots/<rev>/   (or any folder holding a llama config.json)
    DIR/bert-base-uncased/              the uncased BERT tokenizer for the Q-Former's question

Pickles are read with `torch.load(weights_only=True)` only; sizes are inferred from tensor shapes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import torch

from llaqo.common.errors import CheckpointError, error_text
from llaqo.model.coach.checkpoints.keymap import released_to_ours
from llaqo.model.coach.checkpoints.layout import CHECKPOINT as _CKPT
from llaqo.model.coach.checkpoints.layout import is_released_layout  # noqa: F401  (re-exported)
from llaqo.model.coach.config import AlignerConfig, CoachConfig, EncoderConfig

_ENC = "encoder.vit."
_QF = "aligner.qformer."


@dataclass(frozen=True)
class ReleasedLayout:
    checkpoint: Path
    vit: Path
    llm_dir: Path
    bert_dir: Path


def find_released(folder: Path) -> ReleasedLayout:
    """Locate the four parts; a missing one is named in the error."""
    folder = Path(folder)
    ckpts = sorted((int(m.group(1)), p) for p in folder.glob("checkpoint_*.pth") if (m := _CKPT.search(p.name)))
    if not ckpts:
        raise CheckpointError(
            f"{folder}: no checkpoint_<iters>.pth here",
            "run `llaqo download`, or give the folder that holds the released checkpoint",
        )
    vit = folder / "vit.pth"
    if not vit.is_file():
        raise CheckpointError(f"{folder}: vit.pth is missing (the AudioMAE weights that give pos_embed)")
    return ReleasedLayout(ckpts[-1][1], vit, find_llm_dir(folder), find_bert_dir(folder))


def find_llm_dir(folder: Path) -> Path:
    for config in sorted(folder.glob("models--*/snapshots/*/config.json")) + sorted(folder.glob("*/config.json")):
        try:
            if json.loads(config.read_text()).get("model_type") == "llama":
                return config.parent
        except (OSError, json.JSONDecodeError):
            continue
    raise CheckpointError(f"{folder}: no Vicuna/LLaMA folder (models--lmsys--vicuna-7b-v1.5/snapshots/<rev>/)")


def find_bert_dir(folder: Path) -> Path:
    for candidate in [folder / "bert-base-uncased", *sorted(folder.glob("models--*bert*uncased/snapshots/*"))]:
        if (candidate / "vocab.txt").is_file() or (candidate / "tokenizer.json").is_file():
            return candidate
    raise CheckpointError(f"{folder}: no bert-base-uncased/ tokenizer folder", "run `llaqo download`")


def load_pickle(path: Path) -> dict:
    """A checkpoint pickle, read without running any code from it."""
    try:
        if path.stat().st_size == 0:
            raise CheckpointError(f"{path}: the file is empty (0 bytes)", "download it again")
        obj = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except CheckpointError:
        raise
    except Exception as e:  # corrupt zip, truncated file, or a pickle asking for code we refuse to run
        raise CheckpointError(f"{path}: {load_problem(e)}") from None
    if not isinstance(obj, dict) or not isinstance(obj.get("model"), dict):
        raise CheckpointError(f"{path}: expected a dict with a 'model' state dict")
    return obj


_GLOBAL = re.compile(r"(?:Unsupported global|GLOBAL)[: ]+(?:GLOBAL )?([\w.]+)")


def load_problem(e: BaseException) -> str:
    """Why a pickle or weights file could not be read, as one whole sentence (torch's own message is a
    page long; cutting it mid-sentence helps no one)."""
    import pickle

    text = str(e)
    if isinstance(e, pickle.UnpicklingError) or "Weights only load failed" in text:
        found = _GLOBAL.search(text)
        what = f" ({found.group(1)})" if found else ""
        return (f"refused: the pickle asks to run code{what}, and llaqo reads weights only; "
                "use the released file or a safetensors one")
    return f"not a readable checkpoint ({error_text(e, 160)})"


def load_released_weights(layout: ReleasedLayout) -> dict[str, torch.Tensor]:
    """Our-named weights for everything but the LLM: vit.pth's encoder overlaid with the checkpoint's."""
    vit = {"audio_encoder.model." + k: v for k, v in load_pickle(layout.vit)["model"].items()}
    weights = released_to_ours(vit, str(layout.vit))
    weights.update(released_to_ours(load_pickle(layout.checkpoint)["model"], str(layout.checkpoint)))
    return weights


def infer_config(weights: dict[str, torch.Tensor], source: str) -> CoachConfig:
    """Every size from the tensors' shapes."""
    try:
        return CoachConfig(
            encoder=_encoder_config(weights),
            aligner=_aligner_config(weights),
            llm_hidden=weights["llm_proj.weight"].shape[0],
        )
    except KeyError as e:
        raise CheckpointError(f"{source}: missing {e.args[0]} (cannot infer the model's sizes)") from None


def _count(weights: dict, prefix: str) -> int:
    return len({k[len(prefix) :].split(".")[0] for k in weights if k.startswith(prefix)})


def _encoder_config(w: dict) -> EncoderConfig:
    patch = w[_ENC + "patch_embed.proj.weight"].shape[-1]
    n_patches = w[_ENC + "pos_embed"].shape[1] - 1
    n_mels = EncoderConfig().n_mels
    return EncoderConfig(
        embed_dim=w[_ENC + "cls_token"].shape[-1],
        depth=_count(w, _ENC + "blocks."),
        mlp_hidden=w[_ENC + "blocks.0.mlp.fc1.weight"].shape[0],
        patch=patch,
        window_frames=n_patches // (n_mels // patch) * patch,
        n_mels=n_mels,
    )


def _aligner_config(w: dict) -> AlignerConfig:
    layers = _count(w, _QF + "encoder.layer.")
    cross = sorted(int(k.split(".")[4]) for k in w if ".crossattention.attention.query.weight" in k)
    every = cross[1] - cross[0] if len(cross) > 1 else layers
    return AlignerConfig(
        hidden=w["aligner.query_tokens"].shape[-1],
        layers=layers,
        intermediate=w[_QF + "encoder.layer.0.intermediate.dense.weight"].shape[0],
        vocab_size=w[_QF + "embeddings.word_embeddings.weight"].shape[0],
        max_positions=w[_QF + "embeddings.position_embeddings.weight"].shape[0],
        num_queries=w["aligner.query_tokens"].shape[1],
        cross_attention_every=every,
    )
