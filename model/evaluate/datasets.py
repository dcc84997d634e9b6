"""The benchmark items: what to ask of which recording, and what the teacher (or the label) said.

- NeuroPiano (HF `anusfoil/NeuroPiano-data`, MIT): its parquet files (`data/*.parquet`, WAV bytes inside).
  The eval split is every (recording, rater, question) row of split "eval", as the reference evaluated
  it. Each row asks two questions: the 1-6 rating prompt of its question id (the shipped rubric's text,
  byte for byte the reference's) and its own verbal question `q_eng`, with the reference's generation
  settings for each (default beam search for the rating; repetition penalty 8.0 and length penalty 1.2 for
  every verbal question, ids 1-2 included, as `evaluate_musicqa.py` asked them).
- CIPI (Henle difficulty 1-9) and PLD techniques (7 classes): the reference's `audio_qa.csv` metadata,
  split "val", the question text of each row as the reference asked it; audio found under --audio-root.

A row whose audio is missing is counted and skipped, never guessed.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from llaqo.common.music import TECHNIQUE_CLASSES
from llaqo.model.audio.remap import AudioResolver
from llaqo.model.evaluate.errors import DatasetError
from llaqo.rubric.parse import parse_technique
from llaqo.rubric.schema import Question, load_rubric

TASKS = ("neuropiano", "cipi", "techniques")
NEUROPIANO_REPO = "anusfoil/NeuroPiano-data"
NEUROPIANO_COLUMNS = ("question_id", "q_eng", "a_eng", "score", "split", "audio_path")
# NeuroPiano question ids → the rubric dimension they ask about (ids 1 and 2 are the overall impression).
QUESTION_DIMENSIONS = {
    1: "overall", 2: "overall", 3: "legato", 4: "note_values", 5: "sound", 6: "attack", 7: "hand_balance",
    8: "hand_timing", 9: "rhythm", 10: "tempo", 11: "lines", 12: "tonality", 13: "dynamics",
}
VERBAL_IDS = {1: "overall.verbal", 2: "overall.work_on"}
# What the reference's evaluation passed to generate() for the verbal question of every row.
VERBAL_GENERATION = {"repetition_penalty": 8.0, "length_penalty": 1.2}
CSV_LAYOUTS = {
    "cipi": ("audio_path", "split", "Q", "A", "henle"),
    "techniques": ("audio_path", "split", "Q", "A"),
}
CSV_FOLDERS = {"cipi": "difficulty_cipi", "techniques": "techniques"}
# The PLD metadata's multi-hot columns, in the dataset's spelling.
TECHNIQUE_COLUMNS = ("Scales", "Arpeggios", "Ornaments", "Repeatednotes", "Doublenotes", "Octave", "Staccato")


@dataclass(frozen=True)
class Item:
    """One benchmark row: the questions to ask of one recording and the ground truth to score against."""

    key: str  # the recording as the results file names it (the dataset's own path or file name)
    audio: Path  # the local audio file the engine reads
    questions: tuple[Question, ...]  # NeuroPiano: (rating, verbal); CIPI/PLD: (the one question,)
    gt: int | str  # rating 0-6, Henle level 1-9, or the first technique label (dataset spelling)
    labels: tuple[str, ...] = ()  # techniques: every label of the recording, first one first
    verbal_gt: str | None = None  # NeuroPiano: the teacher's comment
    question_id: int | None = None
    category: str | None = None


@dataclass
class EvalSet:
    task: str
    items: list[Item]
    source: str  # where the rows were read from
    missing_audio: int = 0  # rows skipped: their audio is not there
    missing_examples: list[str] = field(default_factory=list)


def load_items(task: str, data: Path, audio_root: Path | None = None, cache: Path | None = None,
               split: str | None = None) -> EvalSet:
    if task == "neuropiano":
        return load_neuropiano(data, cache or data / ".audio", split or "eval")
    if task in CSV_LAYOUTS:
        return load_metadata_csv(task, data, audio_root, split or "val")
    raise DatasetError(f"unknown benchmark {task!r}", f"use one of {', '.join(TASKS)}")


# ---------------------------------------------------------------- NeuroPiano


def neuropiano_files(data: Path) -> list[Path]:
    """The parquet files of a local copy; downloaded with huggingface_hub into an empty or new folder."""
    found = _parquet_in(data)
    if found:
        return found
    if data.is_dir() and any(data.iterdir()):
        raise DatasetError(
            f"{data}: no NeuroPiano parquet files here",
            f"expected {data}/data/*.parquet (the layout of the HF dataset {NEUROPIANO_REPO}) or {data}/*.parquet")
    _download_neuropiano(data)
    return _parquet_in(data)


def _parquet_in(data: Path) -> list[Path]:
    if data.is_file() and data.suffix == ".parquet":
        return [data]
    return sorted(data.glob("data/*.parquet")) or sorted(data.glob("*.parquet"))


def _download_neuropiano(data: Path) -> None:
    from huggingface_hub import snapshot_download

    try:
        snapshot_download(NEUROPIANO_REPO, repo_type="dataset", local_dir=str(data), allow_patterns=["data/*"])
    except Exception as e:  # offline, refused, disk full: one line, whatever the hub library raised
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise DatasetError(
            f"{data}: no NeuroPiano parquet files, and downloading {NEUROPIANO_REPO} failed ({first[:160]})",
            f"put the dataset's data/*.parquet files in {data} (huggingface.co/datasets/{NEUROPIANO_REPO})",
        ) from None
    if not _parquet_in(data):
        raise DatasetError(f"{data}: the download of {NEUROPIANO_REPO} holds no parquet files")


def load_neuropiano(data: Path, cache: Path, split: str = "eval") -> EvalSet:
    """Every row of `split`, in the files' order; each recording's WAV bytes are written once to `cache`."""
    import pyarrow.parquet as pq

    rubric = load_rubric("full")
    items, missing, examples = [], 0, []
    files = neuropiano_files(data)
    for path in files:
        pf = pq.ParquetFile(path)
        absent = [c for c in NEUROPIANO_COLUMNS if c not in pf.schema_arrow.names]
        if absent:
            raise DatasetError(f"{path}: not a NeuroPiano parquet file (no column {', '.join(absent)})",
                               f"expected the columns {', '.join(NEUROPIANO_COLUMNS)}")
        for batch in pf.iter_batches(batch_size=64):
            for row in batch.to_pylist():
                if str(row["split"]) != split or row.get("score") is None:
                    continue
                audio, key = _cached_audio(row, cache)
                if audio is None:
                    missing += 1
                    if len(examples) < 3:
                        examples.append(key)
                    continue
                items.append(_neuropiano_item(row, key, audio, rubric))
    if not items and not missing:
        raise DatasetError(f"{data}: no rows of split {split!r} in {len(files)} parquet file(s)")
    return EvalSet("neuropiano", items, str(data), missing, examples)


def _neuropiano_item(row: dict, key: str, audio: Path, rubric) -> Item:
    qid = int(row["question_id"])
    dimension = QUESTION_DIMENSIONS.get(qid)
    if dimension is None:
        raise DatasetError(f"question_id {qid} is not a NeuroPiano question (1-13)")
    rating = rubric.question(f"{dimension}.rating")
    verbal = replace(rubric.question(VERBAL_IDS.get(qid, f"{dimension}.verbal")), text=str(row["q_eng"]),
                     generation=dict(VERBAL_GENERATION))
    return Item(key=key, audio=audio, questions=(rating, verbal), gt=int(row["score"]),
                verbal_gt=None if row.get("a_eng") is None else str(row["a_eng"]), question_id=qid,
                category=rating.category)


def _cached_audio(row: dict, cache: Path) -> tuple[Path | None, str]:
    """→ (the recording written to `cache`, or None when the row holds no audio; its key)."""
    struct = row.get("audio_path") or {}
    if isinstance(struct, str):  # a path instead of the Audio struct
        struct = {"path": struct, "bytes": None}
    data = struct.get("bytes")
    key = str(row.get("fname") or struct.get("path") or "")
    if not data:
        return None, key or "(no name)"
    if not key:
        key = hashlib.sha1(data).hexdigest()[:16] + ".wav"
    suffix = Path(key).suffix.lower() if Path(key).suffix else ".wav"
    target = cache / (re.sub(r"[^A-Za-z0-9._-]+", "_", Path(key).stem)[:120] + suffix)
    if not target.exists():
        cache.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, target)
    return target, key


# ---------------------------------------------------------------- CIPI and PLD metadata CSVs


def metadata_csv(task: str, data: Path) -> Path:
    folder = CSV_FOLDERS[task]
    for candidate in (data, data / "audio_qa.csv", data / folder / "audio_qa.csv"):
        if candidate.is_file():
            return candidate
    raise DatasetError(f"{data}: no {task} metadata here",
                       f"expected {data}/audio_qa.csv or {data}/{folder}/audio_qa.csv (the reference's metadata CSV)")


def load_metadata_csv(task: str, data: Path, audio_root: Path | None, split: str = "val") -> EvalSet:
    import pandas as pd

    path = metadata_csv(task, data)
    try:
        df = pd.read_csv(path)
    except Exception as e:
        raise DatasetError(f"{path}: cannot be read as CSV ({str(e).splitlines()[0][:120]})") from None
    absent = [c for c in CSV_LAYOUTS[task] if c not in df.columns]
    if absent:
        raise DatasetError(f"{path}: not the {task} metadata (no column {', '.join(absent)})",
                           f"expected the columns {', '.join(CSV_LAYOUTS[task])}")
    rows = df[df["split"].astype(str) == split]
    items, missing, examples = [], 0, []
    resolve = AudioResolver(audio_root, path.parent.name)
    for _, row in rows.iterrows():
        item = _difficulty_item(row) if task == "cipi" else _technique_item(row)
        if item is None:
            continue
        audio = resolve(str(row["audio_path"]))
        if audio is None:
            missing += 1
            if len(examples) < 3:
                examples.append(str(row["audio_path"]))
            continue
        items.append(replace(item, audio=audio))
    if not items and not missing:
        raise DatasetError(f"{path}: no {task} rows of split {split!r}")
    return EvalSet(task, items, str(path), missing, examples)


def _difficulty_item(row) -> Item | None:
    """Only the rows that ask the difficulty (their answer is the Henle level); composer and
    expertise rows are other questions."""
    answer, henle = str(row["A"]).strip(), str(row["henle"]).strip().removesuffix(".0")
    if not answer.isdigit() or answer != henle:
        return None
    q = Question(id="difficulty", text=str(row["Q"]), kind="difficulty", dimension="difficulty",
                 label="Difficulty", scale=(1, 9))
    return Item(key=str(row["audio_path"]), audio=Path(), questions=(q,), gt=int(answer))


def _technique_item(row) -> Item | None:
    labels = technique_labels(row)
    if not labels:
        return None
    q = Question(id="technique", text=str(row["Q"]), kind="technique", dimension="technique",
                 label="Technique", classes=TECHNIQUE_CLASSES)
    return Item(key=str(row["audio_path"]), audio=Path(), questions=(q,), gt=str(row["A"]), labels=labels)


def technique_labels(row) -> tuple[str, ...]:
    """Every label of a PLD row in the dataset's spelling, the answer (its first label) first."""
    names = []
    if "technique" in row and isinstance(row["technique"], str):
        names = [n.strip() for n in row["technique"].split("|") if n.strip()]
    names += [c for c in TECHNIQUE_COLUMNS if c in row and str(row[c]).strip() in ("1", "1.0")]
    first = str(row["A"]).strip()
    ordered = [first] + [n for n in names if n != first]
    return tuple(n for n in dict.fromkeys(ordered) if parse_technique(n) is not None)


