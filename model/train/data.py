"""Training data: metadata tables (CSV / JSON / JSON lines / a NeuroPiano parquet folder / a YAML mixture)
→ examples (audio file, question, answer), with the authors' audio paths remapped under `--audio-root`.

Rows whose audio is missing are counted per dataset and reported before training (never a crash); a run
with no audio at all is an error. The `split` column is honoured.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from llaqo.common.errors import ConfigError
from llaqo.common.yamlfile import parse_yaml, read_yaml_text
from llaqo.model.audio.remap import AudioResolver
from llaqo.model.train import neuropiano
from llaqo.model.train.layouts import Layout, detect


@dataclass(frozen=True)
class Example:
    dataset: str
    audio: str  # a file path, or "mem:<key>" for audio held in memory (NeuroPiano parquet)
    question: str
    answer: str


@dataclass
class Report:
    """What one table gave: rows in the split, rows kept, rows dropped and why."""

    dataset: str
    path: str
    layout: str
    rows: int = 0
    kept: int = 0
    missing_audio: int = 0
    empty_text: int = 0
    first_missing: str = ""

    def line(self) -> str:
        s = f"{self.dataset} ({self.layout}): {self.rows} rows, {self.kept} used"
        if self.missing_audio:
            s += f", {self.missing_audio} with missing audio (e.g. {self.first_missing})"
        if self.empty_text:
            s += f", {self.empty_text} without question/answer"
        return s


@dataclass
class Source:
    """One table of a mixture: its examples and its sampling weight (None: proportional to its size)."""

    name: str
    examples: list[Example]
    weight: float | None = None


@dataclass
class TrainData:
    sources: list[Source]
    reports: list[Report]
    audio_bytes: dict[str, bytes] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return sum(len(s.examples) for s in self.sources)


@dataclass(frozen=True)
class Spec:
    path: Path
    weight: float | None = None
    format: str = "auto"
    split: str | None = None
    audio_root: Path | None = None


def load_data(paths: list[Path], audio_root: Path | None, split: str | None, fmt: str = "auto", seed: int = 42,
              caption_prompt: str = "", splits: list[str] | None = None) -> TrainData:
    """Every table in `paths` (files, parquet folders or mixture YAMLs), rows of `split` (or any of
    `splits`; None: all rows)."""
    wanted = set(splits) if splits is not None else ({split} if split else None)
    data = TrainData([], [])
    for spec in _expand(paths, fmt, audio_root):
        _load_one(spec, wanted if spec.split is None else {spec.split}, seed, caption_prompt, data)
    return data


def _expand(paths: list[Path], fmt: str, audio_root: Path | None) -> list[Spec]:
    specs = []
    for p in map(Path, paths):
        if p.suffix in (".yaml", ".yml"):
            specs.extend(_mixture(p, fmt, audio_root))
        else:
            specs.append(Spec(p, None, fmt, None, audio_root))
    return specs


def _mixture(path: Path, fmt: str, audio_root: Path | None) -> list[Spec]:
    """datasets: [{path, weight?, format?, split?, audio_root?}] — paths relative to the YAML's folder."""
    try:
        data = parse_yaml(read_yaml_text(path)) or {}  # bounded: no alias bomb, no deep nesting
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"{path}: cannot read the mixture YAML ({e})") from None
    entries = data.get("datasets") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{path}: a mixture needs `datasets:` — a list of {{path, weight}}")
    known = {"path", "weight", "format", "split", "audio_root"}
    specs = []
    for i, e in enumerate(entries):
        if not isinstance(e, dict) or "path" not in e or set(e) - known:
            raise ConfigError(f"{path}: datasets[{i}] must be a mapping with path and optionally "
                              f"weight, format, split, audio_root")
        weight = e.get("weight")
        if weight is not None and (not isinstance(weight, (int, float)) or weight <= 0):
            raise ConfigError(f"{path}: datasets[{i}].weight must be a positive number")
        root = Path(e["audio_root"]) if e.get("audio_root") else audio_root
        specs.append(Spec(path.parent / e["path"], weight, e.get("format", fmt), e.get("split"),
                          root if root is None or root.is_absolute() else path.parent / root))
    return specs


def _load_one(spec: Spec, splits: set[str] | None, seed: int, caption_prompt: str, data: TrainData) -> None:
    path = spec.path
    if not path.exists():
        raise ConfigError(f"{path}: no such data file or folder")
    name = _dataset_name(path)
    if path.is_dir() or path.suffix == ".parquet" or spec.format == "neuropiano":
        examples, report = _neuropiano(path, spec, splits, seed, data.audio_bytes)
    else:
        rows = _read_table(path)
        columns = list(rows[0].keys()) if rows else _header(path)
        layout = detect(columns, str(path), spec.format)
        examples, report = _rows(rows, layout, name, path, spec, splits, caption_prompt)
    data.reports.append(report)
    data.sources.append(Source(name, examples, spec.weight))


def _dataset_name(path: Path) -> str:
    """The folder a table lives in names its dataset (metadatas/Burgmuller/audio_qa.csv → Burgmuller)."""
    return path.name if path.is_dir() else (path.parent.name or path.stem)


def _read_table(path: Path) -> list[dict]:
    import pandas as pd

    try:
        if path.suffix == ".json":
            obj = json.loads(path.read_text())
            if isinstance(obj, dict):  # WavCaps style {"data": [...]} or {"annotations": [...]}
                obj = next((v for v in obj.values() if isinstance(v, list)), [])
            return [r for r in obj if isinstance(r, dict)]
        if path.suffix == ".jsonl":
            return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        # every cell as text: answers such as "4" or "N/A" stay what the table says
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot read the table ({str(e).splitlines()[0][:200]})") from None
    return frame.to_dict("records")


def _header(path: Path) -> list[str]:
    try:
        return Path(path).read_text().splitlines()[0].split(",")
    except (OSError, IndexError):
        return []


def _rows(rows: list[dict], layout: Layout, name: str, path: Path, spec: Spec, splits: set[str] | None,
          caption_prompt: str) -> tuple[list[Example], Report]:
    report = Report(name, str(path), layout.name)
    resolve = AudioResolver(spec.audio_root or path.parent, name)
    examples = []
    for row in rows:
        if splits is not None and str(row.get("split") or "train").strip() not in splits:
            continue
        report.rows += 1
        question = layout.question(row).strip() or (caption_prompt if layout.name.startswith("caption") else "")
        answer = layout.answer(row).strip()
        if not question or not answer:
            report.empty_text += 1
            continue
        try:
            raw = layout.audio(row)
        except (KeyError, ValueError, TypeError):
            raw = ""
        audio = resolve(raw) if raw else None
        if audio is None:
            report.missing_audio += 1
            report.first_missing = report.first_missing or (raw or "(no audio path)")
            continue
        examples.append(Example(name, str(audio), question, answer))
    report.kept = len(examples)
    return examples, report


def _neuropiano(path: Path, spec: Spec, splits: set[str] | None, seed: int,
                store: dict[str, bytes]) -> tuple[list[Example], Report]:
    """A NeuroPiano-data folder (data/*.parquet) or one parquet file; audio from the embedded WAV bytes,
    else from `fname` under the audio root."""
    import pandas as pd

    files = [path] if path.is_file() else sorted(path.rglob("*.parquet"))
    if not files:
        raise ConfigError(f"{path}: no .parquet files (expected a NeuroPiano-data folder)")
    name = "NeuroPiano"
    report = Report(name, str(path), "neuropiano")
    resolve = AudioResolver(spec.audio_root or (path if path.is_dir() else path.parent), name)
    examples = []
    for file in files:
        try:
            frame = pd.read_parquet(file)
        except Exception as e:  # pyarrow raises many types for a damaged file
            raise ConfigError(f"{file}: cannot read parquet ({str(e).splitlines()[0][:200]})") from None
        missing = neuropiano.COLUMNS - set(frame.columns)
        if missing:
            raise ConfigError(f"{file}: not NeuroPiano-data (columns found: {', '.join(map(str, frame.columns))}; "
                              f"missing {', '.join(sorted(missing))})")
        for row in frame.to_dict("records"):
            if splits is not None and str(row.get("split") or "train") not in splits:
                continue
            report.rows += 1
            pairs = neuropiano.samples(row, report.rows, seed)
            if not pairs:
                report.empty_text += 1
                continue
            audio = _embedded(row, store) or resolve(str(row.get("fname") or ""))
            if audio is None:
                report.missing_audio += 1
                report.first_missing = report.first_missing or str(row.get("fname"))
                continue
            examples.extend(Example(name, str(audio), q, a) for q, a in pairs)
    report.kept = len(examples)
    return examples, report


def _embedded(row: dict, store: dict[str, bytes]) -> str | None:
    cell = row.get("audio_path", row.get("audio"))
    if isinstance(cell, dict) and cell.get("bytes"):
        key = str(row.get("fname") or cell.get("path") or len(store))
        store.setdefault(key, bytes(cell["bytes"]))
        return "mem:" + key
    return None


def open_audio(example: Example, store: dict[str, bytes]):
    """→ (channels, n) float32 and rate."""
    if example.audio.startswith("mem:"):
        import soundfile as sf

        samples, rate = sf.read(io.BytesIO(store[example.audio[4:]]), dtype="float32", always_2d=True)
        return samples.T, rate
    from llaqo.model.audio.io import read_audio

    return read_audio(example.audio)
