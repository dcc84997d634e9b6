"""Our bundle: a folder that rebuilds the coach from what it stores, and proves it is intact.

    config.yaml             CoachConfig (sizes, mode, generation defaults)
    llaqo.safetensors       encoder, ln_audio, Q-Former, queries, llm_proj, audio indicator (our names)
    llm/                    the frozen LLM as a transformers folder (safetensors) with tokenizer.model
    question-tokenizer/     the uncased BERT tokenizer
    manifest.json           {"format": "llaqo-bundle", "version": 1, "files": {path: {sha256, bytes}}}
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import torch
import yaml
from safetensors.torch import load_file, save_file

from llaqo.common.config import build, check, from_dict, to_dict
from llaqo.common.errors import CheckpointError, SchemaError, error_text
from llaqo.model.coach.checkpoints.layout import MANIFEST, is_bundle  # noqa: F401  (re-exported)
from llaqo.model.coach.config import CoachConfig

FORMAT = "llaqo-bundle"
WEIGHTS = "llaqo.safetensors"
_VERIFIED = ".verified.json"  # (size, mtime) of files whose hash was checked, to skip re-hashing 14 GB


def write_bundle(dst: Path, cfg: CoachConfig, weights: dict[str, torch.Tensor], llm_dir: Path, bert_dir: Path,
                 source: str) -> Path:
    """Write a bundle into `dst` (created; must be empty or absent)."""
    dst = Path(dst)
    if dst.exists() and any(dst.iterdir()):
        raise CheckpointError(f"{dst}: exists and is not empty", "choose a new folder")
    dst.mkdir(parents=True, exist_ok=True)
    (dst / "config.yaml").write_text(yaml.safe_dump(to_dict(cfg), sort_keys=False))
    save_file({k: v.contiguous() for k, v in weights.items()}, str(dst / WEIGHTS), metadata={"source": source})
    _copy_llm(llm_dir, dst / "llm")
    shutil.copytree(bert_dir, dst / "question-tokenizer")
    files = {str(p.relative_to(dst)): _describe(p) for p in sorted(dst.rglob("*")) if p.is_file()}
    manifest = {"format": FORMAT, "version": 1, "source": source, "files": files}
    (dst / MANIFEST).write_text(json.dumps(manifest, indent=1))
    return dst


def read_bundle(folder: Path, verify: bool = True) -> tuple[CoachConfig, dict[str, torch.Tensor], Path, Path]:
    """→ config, weights, llm folder, question-tokenizer folder. Hashes are checked first."""
    folder = Path(folder)
    manifest = _read_manifest(folder)
    if verify:
        verify_bundle(folder, manifest)
    try:
        data = yaml.safe_load((folder / "config.yaml").read_text())
    except (OSError, yaml.YAMLError) as e:
        raise CheckpointError(f"{folder / 'config.yaml'}: unreadable ({e})") from None
    cfg = from_dict(CoachConfig, data, str(folder / "config.yaml"))
    try:
        weights = load_file(str(folder / WEIGHTS))
    except Exception as e:
        raise CheckpointError(f"{folder / WEIGHTS}: not a readable safetensors file ({e})") from None
    return cfg, weights, folder / "llm", folder / "question-tokenizer"


def verify_bundle(folder: Path, manifest: dict | None = None) -> None:
    manifest = manifest or _read_manifest(folder)
    stamps = _read_stamps(folder)
    for rel, expected in manifest["files"].items():
        path = folder / rel
        if not path.is_file():
            raise CheckpointError(f"{path}: listed in the manifest but missing")
        stat = path.stat()
        stamp = [stat.st_size, stat.st_mtime_ns]
        if stamps.get(rel) == stamp and stamp[0] == expected["bytes"]:
            continue
        if stat.st_size != expected["bytes"] or _sha256(path) != expected["sha256"]:
            raise CheckpointError(f"{path}: does not match its SHA-256 in {MANIFEST} (corrupt or changed)",
                                  "convert or download the model again")
        stamps[rel] = stamp
    try:
        (folder / _VERIFIED).write_text(json.dumps(stamps))
    except OSError:
        pass  # a read-only bundle is verified again next time


@dataclass(frozen=True)
class FileEntry:
    sha256: str = field(metadata=check(lambda v: re.fullmatch(r"[0-9a-f]{64}", v) is not None, "a hex SHA-256"))
    bytes: int = field(metadata=check(lambda v: v >= 0, "a size in bytes"))


@dataclass(frozen=True)
class Manifest:
    format: Literal["llaqo-bundle"]
    version: int
    files: dict
    source: str | None = None


def _read_manifest(folder: Path) -> dict:
    """The manifest, checked against its schema like any llaqo file (every problem named at once)."""
    path = folder / MANIFEST
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CheckpointError(f"{path}: unreadable ({error_text(e)})") from None
    problems: list[str] = []
    manifest = build(Manifest, data, "", problems)
    for rel, entry in (manifest.files.items() if manifest else ()):
        build(FileEntry, entry, f"files[{str(rel)[:80]!r}].", problems)
    if problems:
        raise CheckpointError(str(SchemaError(str(path), problems[:5])) + (" …" if len(problems) > 5 else ""),
                              "not a llaqo bundle manifest: convert or download the model again")
    return data


def _read_stamps(folder: Path) -> dict:
    try:
        return json.loads((folder / _VERIFIED).read_text())
    except (OSError, json.JSONDecodeError):
        return {}


def _copy_llm(src: Path, dst: Path) -> None:
    """safetensors weights are linked or copied as they are; pickled weights are re-saved as safetensors."""
    if any(src.glob("*.safetensors")):
        dst.mkdir(parents=True)
        for p in src.iterdir():
            if p.is_file() and not p.name.endswith((".bin", ".pth")):
                _link_or_copy(p.resolve(), dst / p.name)
        return
    from transformers import LlamaForCausalLM

    llm = LlamaForCausalLM.from_pretrained(str(src), dtype="auto", local_files_only=True)
    llm.save_pretrained(str(dst), safe_serialization=True)
    for p in src.iterdir():
        if p.is_file() and p.name.startswith(("tokenizer", "special_tokens")):
            _link_or_copy(p.resolve(), dst / p.name)


def _link_or_copy(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _describe(path: Path) -> dict:
    return {"sha256": _sha256(path), "bytes": path.stat().st_size}


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 22):
            h.update(block)
    return h.hexdigest()
