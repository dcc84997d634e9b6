"""Our bundle: a folder that rebuilds the coach from what it stores, and proves it is intact.

    config.yaml             CoachConfig (sizes, mode, generation defaults)
    llaqo.safetensors       encoder, ln_audio, Q-Former, queries, llm_proj, audio indicator (our names)
    llm/                    the frozen LLM as a transformers folder (safetensors) with tokenizer.model
    question-tokenizer/     the uncased BERT tokenizer
    manifest.json           {"format": "llaqo-bundle", "version": 1, "files": {path: {sha256, bytes}}}
"""

from __future__ import annotations

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
from llaqo.common.errors import CheckpointError, ConfigError, SchemaError, error_text
from llaqo.common.files import write_atomic
from llaqo.common.text import shown
from llaqo.common.yamlfile import parse_yaml, read_yaml_text, yaml_problem
from llaqo.model.coach.checkpoints.integrity import VERIFIED, sha256, verify_files
from llaqo.model.coach.checkpoints.layout import MANIFEST, is_bundle  # noqa: F401  (re-exported)
from llaqo.model.coach.config import CoachConfig

FORMAT = "llaqo-bundle"
WEIGHTS = "llaqo.safetensors"


def write_bundle(dst: Path, cfg: CoachConfig, weights: dict[str, torch.Tensor], llm_dir: Path, bert_dir: Path,
                 source: str, root: Path | None = None) -> Path:
    """Write a bundle into `dst` (created; must be empty or absent). Files are taken from `llm_dir` and
    `bert_dir` only when they are regular files resolving inside `root` (default: their common folder)."""
    dst = Path(dst)
    if dst.exists() and any(dst.iterdir()):
        raise CheckpointError(f"{dst}: exists and is not empty", "choose a new folder")
    root = Path(root or os.path.commonpath([Path(llm_dir).resolve(), Path(bert_dir).resolve()])).resolve()
    sources = {"llm": _regular_files(Path(llm_dir), root), "question-tokenizer": _regular_files(Path(bert_dir), root)}
    dst.mkdir(parents=True, exist_ok=True)
    write_atomic(dst / "config.yaml", yaml.safe_dump(to_dict(cfg), sort_keys=False))
    save_file({k: v.contiguous() for k, v in weights.items()}, str(dst / WEIGHTS), metadata={"source": source})
    _copy_llm(Path(llm_dir), dst / "llm", sources["llm"])
    _copy_files(sources["question-tokenizer"], dst / "question-tokenizer")
    files = {p.relative_to(dst).as_posix(): _describe(p) for p in sorted(dst.rglob("*")) if p.is_file()}
    manifest = {"format": FORMAT, "version": 1, "source": source, "files": files}
    write_atomic(dst / MANIFEST, json.dumps(manifest, indent=1))
    return dst


def read_bundle(folder: Path, verify: bool = True) -> tuple[CoachConfig, dict[str, torch.Tensor], Path, Path]:
    """→ config, weights, llm folder, question-tokenizer folder. Hashes are checked first."""
    folder = Path(folder)
    manifest = _read_manifest(folder)
    if verify:
        verify_bundle(folder, manifest)
    try:
        data = parse_yaml(read_yaml_text(folder / "config.yaml"))
    except yaml.YAMLError as e:
        raise CheckpointError(f"{folder / 'config.yaml'}: {yaml_problem(e)}") from None
    except ConfigError as e:
        raise CheckpointError(str(e)) from None
    cfg = from_dict(CoachConfig, data, str(folder / "config.yaml"))
    try:
        weights = load_file(str(folder / WEIGHTS))
    except Exception as e:
        raise CheckpointError(f"{folder / WEIGHTS}: not a readable safetensors file ({e})") from None
    return cfg, weights, folder / "llm", folder / "question-tokenizer"


def verify_bundle(folder: Path, manifest: dict | None = None) -> None:
    """Only listed files, all inside the bundle, each matching its hash (see integrity.py)."""
    manifest = manifest or _read_manifest(folder)
    verify_files(Path(folder), manifest["files"], ignore={MANIFEST, VERIFIED})


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


def _regular_files(src: Path, root: Path) -> dict[str, Path]:
    """name -> resolved path of each file in `src` (top level); refused when one resolves outside `root`
    (a symlink to /etc/passwd must never be linked into a bundle and listed as ours) or is not regular."""
    found = {}
    for p in sorted(src.iterdir()):
        real = p.resolve()
        if root != real and root not in real.parents:
            raise CheckpointError(f"{shown(p)}: resolves to {shown(real, 100)}, outside {shown(root, 100)}",
                                  "convert a folder whose files are its own")
        if real.is_dir():
            continue
        if not real.is_file():
            raise CheckpointError(f"{shown(p)}: not a regular file (a device or a pipe?)")
        found[p.name] = real
    return found


def _copy_files(files: dict[str, Path], dst: Path) -> None:
    dst.mkdir(parents=True, exist_ok=True)
    for name, real in files.items():
        _link_or_copy(real, dst / name)


def _copy_llm(src: Path, dst: Path, files: dict[str, Path]) -> None:
    """safetensors weights are linked or copied as they are; pickled weights are re-saved as safetensors."""
    if any(name.endswith(".safetensors") for name in files):
        _copy_files({n: p for n, p in files.items() if not n.endswith((".bin", ".pth"))}, dst)
        return
    from transformers import LlamaForCausalLM

    llm = LlamaForCausalLM.from_pretrained(str(src), dtype="auto", local_files_only=True)
    llm.save_pretrained(str(dst), safe_serialization=True)
    _copy_files({n: p for n, p in files.items() if n.startswith(("tokenizer", "special_tokens"))}, dst)


def _link_or_copy(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _describe(path: Path) -> dict:
    return {"sha256": sha256(path), "bytes": path.stat().st_size}
