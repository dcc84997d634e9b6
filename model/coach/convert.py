"""Released layout → our bundle, and fetching the released weights with huggingface_hub."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import torch

from llaqo.common.errors import CheckpointError, error_text
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
    root = Path(src).resolve()  # every file taken must be the source's own: no symlink out of it
    for part in (layout.checkpoint, layout.vit, layout.llm_dir, layout.bert_dir):
        if root not in part.resolve().parents:
            raise CheckpointError(f"{part}: resolves to {part.resolve()}, outside {root}",
                                  "convert a folder whose files are its own")
    weights = released.load_released_weights(layout)
    cfg = replace(released.infer_config(weights, str(layout.checkpoint)), mode=mode)
    with torch.device("meta"):  # shapes only: the check needs no memory and no LLM
        skeleton = LLaQo(cfg, None, None, None)
    check_fits(skeleton, weights, str(layout.checkpoint))
    return bundle.write_bundle(dst, cfg, weights, layout.llm_dir, layout.bert_dir, source=str(layout.checkpoint),
                               root=root)


def download_released(to: Path) -> Path:
    """Fetch (resumably) the released checkpoint, vit.pth, Vicuna and the BERT tokenizer into `to`;
    → the folder holding the released layout. Every request times out; a silent hub is one line."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    from llaqo.model.coach.hub import install_timeouts, with_retries

    to = Path(to)
    _, read_s = install_timeouts()
    try:
        with_retries(lambda: snapshot_download(RELEASED_REPO, local_dir=str(to), allow_patterns=RELEASED_PATTERNS,
                                               etag_timeout=read_s), RELEASED_REPO)
        folder = next((f for f in (to, to / "ckpts") if released.is_released_layout(f)), None)
        if folder is None:
            raise CheckpointError(f"{to}: the download holds no checkpoint_<iters>.pth")
        # the tokenizer goes right next to the checkpoint: a bundle takes no file from outside its source
        with_retries(lambda: snapshot_download(BERT_REPO, local_dir=str(folder / "bert-base-uncased"),
                                               allow_patterns=BERT_PATTERNS, etag_timeout=read_s), BERT_REPO)
    except (HfHubHTTPError, LocalEntryNotFoundError, OSError) as e:
        raise CheckpointError(f"download failed: {error_text(e)}",
                              "check the network; run the same command again to resume") from None
    return folder
