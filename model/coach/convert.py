"""Released layout → our bundle, and fetching the released weights with huggingface_hub."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import torch

from llaqo.common.errors import CheckpointError
from llaqo.model.coach.build import check_fits
from llaqo.model.coach.checkpoints import bundle, released
from llaqo.model.coach.llaqo import LLaQo

RELEASED_REPO = "anusfoil/LLaQo-ckpts"
RELEASED_PATTERNS = ["*checkpoint_*.pth", "*vit.pth", "*vicuna-7b-v1.5*"]  # not the conda env it also holds
BERT_REPO = "google-bert/bert-base-uncased"
BERT_PATTERNS = ["vocab.txt", "tokenizer.json", "tokenizer_config.json", "config.json"]


def convert_released(src: Path, dst: Path, mode: str = "compat") -> Path:
    """Check that the released weights fit the model (strict), then write a bundle with hashes."""
    layout = released.find_released(Path(src))
    weights = released.load_released_weights(layout)
    cfg = replace(released.infer_config(weights, str(layout.checkpoint)), mode=mode)
    with torch.device("meta"):  # shapes only: the check needs no memory and no LLM
        skeleton = LLaQo(cfg, None, None, None)
    check_fits(skeleton, weights, str(layout.checkpoint))
    return bundle.write_bundle(dst, cfg, weights, layout.llm_dir, layout.bert_dir, source=str(layout.checkpoint))


def download_released(to: Path) -> Path:
    """Fetch (resumably) the released checkpoint, vit.pth, Vicuna and the BERT tokenizer into `to`;
    → the folder holding the released layout."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    to = Path(to)
    try:
        snapshot_download(RELEASED_REPO, local_dir=str(to), allow_patterns=RELEASED_PATTERNS)
        snapshot_download(BERT_REPO, local_dir=str(to / "bert-base-uncased"), allow_patterns=BERT_PATTERNS)
    except (HfHubHTTPError, LocalEntryNotFoundError, OSError) as e:
        raise CheckpointError(f"download failed: {str(e).splitlines()[0]}",
                              "check the network; run the same command again to resume") from None
    for folder in (to, to / "ckpts"):
        if released.is_released_layout(folder):
            if folder != to:
                _link_bert(to / "bert-base-uncased", folder / "bert-base-uncased")
            return folder
    raise CheckpointError(f"{to}: the download holds no checkpoint_<iters>.pth")


def _link_bert(src: Path, dst: Path) -> None:
    if not dst.exists():
        dst.symlink_to(src.resolve(), target_is_directory=True)
