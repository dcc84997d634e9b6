"""The examples a PianoJudges head trains on, read from the metadata layouts LLaQo ships.

- difficulty: the CIPI table (difficulty_cipi/audio_qa.csv): one example per recording, its Henle level
  (class henle − 1; 3-way: (henle − 1) // 3).
- technique: the PLD techniques table (techniques/audio_qa.csv): the 7 multi-hot label columns, or the
  first label for the single-label variant.
- expertise: the PianoJudge table (PianoJudge/audio_qa.csv): each recording's level from a `level`
  column if there is one, else from its folder (novice 0, advanced 1, virtuoso 2, as published); pairs
  of recordings of different levels, each pair in both orders (the published "once" pairing: the k-th
  recording of one level with the k-th of the other). 2-way: 0 = A better, 1 = B better; 4-way: the
  level difference B − A ∈ {−2, −1, 1, 2} as 0…3.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from llaqo.common.music import TECHNIQUE_CLASSES
from llaqo.model.audio.remap import AudioResolver
from llaqo.model.evaluate.errors import DatasetError
from llaqo.rubric.parse import parse_technique

LEVELS = {"novice": 0, "advanced": 1, "virtuoso": 2, "atepp": 2}


@dataclass(frozen=True)
class Example:
    audio: tuple[Path, ...]  # one recording, or (A, B) for a ranking pair
    target: int | tuple[int, ...]  # a class index, or a multi-hot tuple
    key: str  # the table's own path(s), for the results


def read_examples(task: str, data: Path, audio_root: Path | None, split: str, n_classes: int,
                  multi_label: bool) -> tuple[list[Example], int]:
    """The examples of one split → (examples, rows skipped because their audio is not there)."""
    if task == "difficulty":
        return _difficulty(data, audio_root, split, n_classes)
    if task == "technique":
        return _technique(data, audio_root, split, multi_label)
    return _expertise(data, audio_root, split, n_classes)


def _difficulty(data, audio_root, split, n_classes):
    from llaqo.model.evaluate.datasets import load_metadata_csv

    found = load_metadata_csv("cipi", data, audio_root, split)
    seen, out = set(), []
    for item in found.items:
        if item.key in seen:  # a recording is asked several questions; one example each
            continue
        seen.add(item.key)
        level = int(item.gt) - 1
        out.append(Example((item.audio,), level if n_classes == 9 else level // 3, item.key))
    return out, found.missing_audio


def _technique(data, audio_root, split, multi_label):
    from llaqo.model.evaluate.datasets import load_metadata_csv

    found = load_metadata_csv("techniques", data, audio_root, split)
    out = []
    for item in found.items:
        labels = [parse_technique(name) for name in item.labels]
        labels = [name for name in labels if name is not None]
        if not labels:
            continue
        target = (tuple(int(c in labels) for c in TECHNIQUE_CLASSES) if multi_label
                  else TECHNIQUE_CLASSES.index(labels[0]))
        out.append(Example((item.audio,), target, item.key))
    return out, found.missing_audio


def _expertise(data, audio_root, split, n_classes):
    import pandas as pd

    path = data if Path(data).is_file() else Path(data) / "audio_qa.csv"
    if not path.is_file():
        raise DatasetError(f"{data}: no PianoJudge metadata here", f"expected {data}/audio_qa.csv")
    df = pd.read_csv(path)
    if "audio_path" not in df.columns or "split" not in df.columns:
        raise DatasetError(f"{path}: not the PianoJudge metadata (needs audio_path and split columns)")
    resolve, missing = AudioResolver(audio_root, path.parent.name), 0
    groups: dict[int, list[tuple[Path, str]]] = {}
    for raw, level in _levels(df[df["split"].astype(str) == split]):
        audio = resolve(raw)
        if audio is None:
            missing += 1
            continue
        if all(audio != a for a, _ in groups.get(level, [])):
            groups.setdefault(level, []).append((audio, raw))
    if len(groups) < 2:
        raise DatasetError(f"{path}: split {split!r} has recordings of {len(groups)} expertise level(s)",
                           "ranking needs recordings of at least two levels (novice, advanced, virtuoso)")
    return _pairs(groups, n_classes), missing


def _levels(rows):
    for _, row in rows.iterrows():
        raw = str(row["audio_path"])
        if "level" in row and str(row["level"]).strip() not in ("", "nan"):
            yield raw, int(float(row["level"]))
            continue
        folders = [p.lower() for p in PurePosixPath(raw.replace("\\", "/")).parts[:-1]]
        level = next((LEVELS[f] for f in reversed(folders) if f in LEVELS), None)
        if level is not None:
            yield raw, level


def _pairs(groups: dict[int, list[tuple[Path, str]]], n_classes: int) -> list[Example]:
    out = []
    levels = sorted(groups)
    for i, low in enumerate(levels):
        for high in levels[i + 1:]:
            for (pa, ka), (pb, kb) in zip(groups[low], groups[high]):
                for (a, la, keya), (b, lb, keyb) in (((pa, low, ka), (pb, high, kb)), ((pb, high, kb), (pa, low, ka))):
                    out.append(Example((a, b), _rank_tag(la, lb, n_classes), f"{keya} | {keyb}"))
    return out


def _rank_tag(level_a: int, level_b: int, n_classes: int) -> int:
    if n_classes == 2:
        return 0 if level_a > level_b else 1
    diff = max(-2, min(2, level_b - level_a))
    return diff + 2 if diff < 0 else diff + 1
