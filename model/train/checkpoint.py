"""Training checkpoints: OUT/checkpoints/step-N/, written into a temporary folder and renamed into place,
so a kill while saving leaves the previous checkpoint as it was.

    step-N/trainable.safetensors   every weight but the frozen LLM's (plus LoRA adapters), our names
    step-N/optimizer.pt            AdamW state            (read back with torch.load(weights_only=True))
    step-N/scheduler.pt            LambdaLR state
    step-N/scaler.pt               GradScaler state, when fp16 mixed precision is on
    step-N/rng-R.pt                torch / CUDA / numpy / Python RNG states of process R
    step-N/state.json              step, data position, the run's identity — written last

We write these by hand rather than with `Accelerator.save_state`, which saves the whole model: here that
would copy the frozen 13-GB LLM into every checkpoint.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from llaqo.common.errors import CheckpointError
from llaqo.common.files import fsync_folder

FORMAT = "llaqo-train-checkpoint"
_STEP = re.compile(r"^step-(\d+)$")


def checkpoints_dir(out: Path) -> Path:
    return Path(out) / "checkpoints"


def latest(out: Path) -> Path | None:
    """The newest complete checkpoint (temporary folders of an interrupted save are ignored)."""
    folder = checkpoints_dir(out)
    found = sorted((int(m.group(1)), p) for p in folder.glob("step-*") if (m := _STEP.match(p.name)))
    return found[-1][1] if found else None


def temp_dir(out: Path, step: int) -> Path:
    return checkpoints_dir(out) / f".tmp-step-{step}"


def begin(out: Path, step: int) -> Path:
    tmp = temp_dir(out, step)
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    return tmp


def write_main(tmp: Path, weights: dict[str, torch.Tensor], optimizer: dict, scheduler: dict,
               scaler: dict | None) -> None:
    save_file({k: v.detach().contiguous().cpu() for k, v in weights.items()}, str(tmp / "trainable.safetensors"))
    torch.save(optimizer, tmp / "optimizer.pt")
    torch.save(scheduler, tmp / "scheduler.pt")
    if scaler is not None:
        torch.save(scaler, tmp / "scaler.pt")


def write_rng(tmp: Path, rank: int) -> None:
    torch.save(rng_state(), tmp / f"rng-{rank}.pt")


def commit(out: Path, tmp: Path, step: int, state: dict, keep: int) -> Path:
    """Write state.json, flush, rename the folder into place, drop checkpoints beyond the newest `keep`."""
    (tmp / "state.json").write_text(json.dumps({"format": FORMAT, **state}, indent=1))
    for f in tmp.iterdir():
        with open(f, "rb") as fh:
            os.fsync(fh.fileno())
    final = checkpoints_dir(out) / f"step-{step}"
    if final.exists():
        shutil.rmtree(final)
    os.replace(tmp, final)
    fsync_folder(final.parent)
    steps = sorted((int(m.group(1)), p) for p in final.parent.glob("step-*") if (m := _STEP.match(p.name)))
    for _, old in steps[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    return final


def read_state(folder: Path) -> dict:
    try:
        state = json.loads((folder / "state.json").read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise CheckpointError(f"{folder}: not a readable training checkpoint ({e})") from None
    if state.get("format") != FORMAT or not isinstance(state.get("step"), int):
        raise CheckpointError(f"{folder / 'state.json'}: not a llaqo training checkpoint")
    return state


def read_weights(folder: Path) -> dict[str, torch.Tensor]:
    try:
        return load_file(str(folder / "trainable.safetensors"))
    except Exception as e:
        why = str(e).splitlines()[0][:200]
        raise CheckpointError(f"{folder / 'trainable.safetensors'}: unreadable ({why})") from None


def read_pt(path: Path, required: bool = True):
    if not path.is_file():
        if required:
            raise CheckpointError(f"{path}: missing from the checkpoint")
        return None
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:
        raise CheckpointError(f"{path}: unreadable ({str(e).splitlines()[0][:200]})") from None


def rng_state() -> dict:
    kind, keys, pos, has_gauss, gauss = np.random.get_state()
    version, internal, gauss_next = random.getstate()
    state = {
        "torch": torch.get_rng_state(),
        "numpy": {"keys": torch.from_numpy(keys.astype(np.int64)), "pos": int(pos), "has_gauss": int(has_gauss),
                  "gauss": float(gauss)},
        "python": {"version": version, "internal": torch.tensor(internal, dtype=torch.int64),
                   "gauss_next": gauss_next},
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    n = state["numpy"]
    np.random.set_state(("MT19937", n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["gauss"]))
    p = state["python"]
    random.setstate((p["version"], tuple(p["internal"].tolist()), p["gauss_next"]))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def check_weights(expected: dict, weights: dict, where: str) -> None:
    """`weights` fit `expected` (our names → tensors): every key there, none extra, every shape equal —
    or one CheckpointError, `where` first, with the counts and an example key."""
    missing, extra = sorted(set(expected) - set(weights)), sorted(set(weights) - set(expected))
    bad = [k for k in expected if k in weights and weights[k].shape != expected[k].shape]
    if missing or extra or bad:
        raise CheckpointError(f"{where} (missing {len(missing)}, unexpected {len(extra)}, wrong shape {len(bad)}; "
                              f"e.g. {(missing + extra + bad)[0]})")
