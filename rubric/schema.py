"""Rubrics as data: the questions a take is asked, loaded strictly from YAML.

`load_rubric("full")` and `load_rubric("quick")` read the rubrics shipped in `rubric/rubrics/`; any other
argument is the path of a teacher's YAML. Loading is strict: every unknown key, missing field, ill-typed
value, duplicate id, bad kind and bad scale is collected, and all are reported at once in one
`RubricError` whose message names the file and each bad field. The format is documented in
docs/rubrics.md and at the top of rubrics/full.yaml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from llaqo.common.music import TECHNIQUE_CLASSES

KINDS = ("rating", "verbal", "difficulty", "technique")
DEFAULT_SCALES = {"rating": (1, 6), "difficulty": (1, 9)}  # NeuroPiano ratings, Henle levels (CIPI)
# Per-question overrides of the coach's generation settings, and the type each must have.
GENERATION_KEYS = {
    "num_beams": int,
    "repetition_penalty": float,
    "length_penalty": float,
    "max_length": int,
    "max_new_tokens": int,
}
SHIPPED = ("full", "quick")
RUBRIC_KEYS = ("name", "questions")
QUESTION_KEYS = ("id", "text", "kind", "dimension", "label", "category", "scale", "classes", "generation")


class RubricError(ValueError):
    """A rubric that cannot be used. `problems` lists every bad field; `source` names the file."""

    def __init__(self, source: str, problems: list[str], hint: str | None = None):
        self.source = source
        self.problems = list(problems)
        self.hint = hint if hint is not None else "see docs/rubrics.md for the rubric format"
        super().__init__("; ".join(f"{source}: {p}" for p in self.problems))


@dataclass(frozen=True)
class Question:
    """One question of a rubric, asked of every segment of a take.

    `text` is sent to the model byte for byte (the shipped texts are the released model's training
    prompts, odd spacing included). `dimension` groups a rating and a verbal question on one aspect.
    """

    id: str
    text: str
    kind: str  # "rating" | "verbal" | "difficulty" | "technique"
    dimension: str
    label: str  # what a pianist reads: "Hand balance"
    category: str | None = None  # NeuroPiano category: "coordination", "dynamics", ...
    scale: tuple[int, int] | None = None  # (lowest, highest) for rating and difficulty
    generation: dict[str, Any] = field(default_factory=dict, hash=False)  # e.g. {"repetition_penalty": 8.0}
    classes: tuple[str, ...] | None = None  # the answers a technique question accepts


@dataclass(frozen=True)
class Rubric:
    name: str
    questions: tuple[Question, ...]
    source: str  # the file it was read from ("full.yaml" for a shipped one)

    def dimensions(self) -> tuple[str, ...]:
        """Each dimension once, in the order its first question appears."""
        return tuple(dict.fromkeys(q.dimension for q in self.questions))

    def question(self, question_id: str) -> Question:
        return next(q for q in self.questions if q.id == question_id)


def load_rubric(name_or_path: str | Path) -> Rubric:
    """Read a shipped rubric by name ("full", "quick") or a teacher's YAML by path."""
    source, text = _read_rubric_text(str(name_or_path))
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        where = getattr(e, "problem_mark", None)
        at = f"line {where.line + 1}: " if where is not None else ""
        raise RubricError(source, [f"{at}not valid YAML ({getattr(e, 'problem', None) or e})"]) from None
    default_name = Path(source).stem
    return rubric_from_data(data, source, default_name)


def _read_rubric_text(name_or_path: str) -> tuple[str, str]:
    if name_or_path in SHIPPED:
        shipped = resources.files("llaqo.rubric") / "rubrics" / f"{name_or_path}.yaml"
        return f"{name_or_path}.yaml", shipped.read_text(encoding="utf-8")
    path = Path(name_or_path)
    if not path.is_file():
        raise RubricError(
            name_or_path,
            ["no such rubric file"],
            hint=f"use one of the shipped rubrics ({', '.join(SHIPPED)}) or the path of a YAML file",
        )
    try:
        return name_or_path, path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise RubricError(name_or_path, [f"cannot be read ({e})"]) from None


def rubric_from_data(data: Any, source: str, default_name: str = "rubric") -> Rubric:
    """Build a Rubric from parsed YAML, or raise one RubricError listing every problem found."""
    problems: list[str] = []
    if not isinstance(data, dict):
        raise RubricError(source, [f"expected a mapping with 'questions', got {_describe(data)}"])
    _check_unknown_keys(data, RUBRIC_KEYS, "", problems)
    name = data.get("name", default_name)
    if not isinstance(name, str) or not name.strip():
        problems.append(f"name: expected a non-empty string, got {_describe(name)}")
    entries = data.get("questions")
    if not isinstance(entries, list) or not entries:
        problems.append(f"questions: expected a non-empty list, got {_describe(entries)}")
        entries = []
    questions = [_question_from_entry(e, f"questions[{i}]", problems) for i, e in enumerate(entries)]
    _check_duplicate_ids(questions, problems)
    if problems:
        raise RubricError(source, problems)
    return Rubric(name=str(name), questions=tuple(q for q in questions if q), source=source)


def _question_from_entry(entry: Any, where: str, problems: list[str]) -> Question | None:
    """One question (None if the entry is not even a mapping); a bare string is a verbal question."""
    if isinstance(entry, str):
        entry = {"text": entry, "kind": "verbal"}
    if not isinstance(entry, dict):
        problems.append(f"{where}: expected a mapping with text and kind, got {_describe(entry)}")
        return None
    _check_unknown_keys(entry, QUESTION_KEYS, where, problems)
    text = _required_text(entry, "text", where, problems)
    kind = _kind(entry, where, problems)
    qid = _optional_text(entry, "id", where, problems) or _id_from_text(text, where, problems)
    dimension = _optional_text(entry, "dimension", where, problems) or qid
    label = _optional_text(entry, "label", where, problems) or dimension.replace("_", " ").capitalize()
    category = _optional_text(entry, "category", where, problems)
    scale = _scale(entry, kind, where, problems)
    classes = _classes(entry, kind, where, problems)
    generation = _generation(entry, where, problems)
    # Built even when a field is bad, so that duplicate ids are still found; the caller raises.
    return Question(qid, text, kind, dimension, label, category, scale, generation, classes)


def _check_unknown_keys(mapping: dict, known: tuple[str, ...], where: str, problems: list[str]) -> None:
    prefix = f"{where}." if where else ""
    for key in mapping:
        if key not in known:
            problems.append(f"{prefix}{key}: unknown field (known: {', '.join(known)})")


def _required_text(entry: dict, key: str, where: str, problems: list[str]) -> str:
    if key not in entry:
        problems.append(f"{where}.{key}: missing")
        return ""
    return _optional_text(entry, key, where, problems) or ""


def _optional_text(entry: dict, key: str, where: str, problems: list[str]) -> str | None:
    value = entry.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{where}.{key}: expected a non-empty string, got {_describe(value)}")
        return None
    return value  # kept as written: question texts are sent to the model byte for byte


def _kind(entry: dict, where: str, problems: list[str]) -> str:
    if "kind" not in entry:
        problems.append(f"{where}.kind: missing (one of {', '.join(KINDS)})")
        return ""
    kind = entry["kind"]
    if kind not in KINDS:
        problems.append(f"{where}.kind: {kind!r} is not one of {', '.join(KINDS)}")
        return ""
    return kind


def _id_from_text(text: str, where: str, problems: list[str]) -> str:
    """A question without an id gets one from its text: "Is the pedal clean?" -> "is_the_pedal_clean"."""
    slug = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:60].rstrip("_")
    if text and not slug:
        problems.append(f"{where}.id: missing, and none can be made from the text; give the question an id")
    return slug


def _scale(entry: dict, kind: str, where: str, problems: list[str]) -> tuple[int, int] | None:
    if "scale" not in entry:
        return DEFAULT_SCALES.get(kind)
    scale = entry["scale"]
    if kind and kind not in DEFAULT_SCALES:
        problems.append(f"{where}.scale: a {kind} question has no scale (only rating and difficulty do)")
        return None
    ok = (
        isinstance(scale, list)
        and len(scale) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in scale)
        and scale[0] < scale[1]
    )
    if not ok:
        problems.append(f"{where}.scale: expected [lowest, highest], two integers rising, got {_describe(scale)}")
        return None
    return (scale[0], scale[1])


def _classes(entry: dict, kind: str, where: str, problems: list[str]) -> tuple[str, ...] | None:
    if "classes" not in entry:
        return TECHNIQUE_CLASSES if kind == "technique" else None
    classes = entry["classes"]
    if kind and kind != "technique":
        problems.append(f"{where}.classes: only a technique question has classes")
        return None
    if not isinstance(classes, list) or not classes or not all(isinstance(c, str) and c.strip() for c in classes):
        problems.append(f"{where}.classes: expected a non-empty list of names, got {_describe(classes)}")
        return None
    return tuple(classes)


def _generation(entry: dict, where: str, problems: list[str]) -> dict[str, Any]:
    overrides = entry.get("generation")
    if overrides is None:
        return {}
    if not isinstance(overrides, dict):
        problems.append(f"{where}.generation: expected a mapping, got {_describe(overrides)}")
        return {}
    for key, value in overrides.items():
        expected = GENERATION_KEYS.get(key)
        if expected is None:
            problems.append(f"{where}.generation.{key}: unknown setting (known: {', '.join(GENERATION_KEYS)})")
        elif not _is_number_of(value, expected):
            wanted = "a positive integer" if expected is int else "a number"
            problems.append(f"{where}.generation.{key}: expected {wanted}, got {_describe(value)}")
    return dict(overrides)


def _is_number_of(value: Any, expected: type) -> bool:
    """An int where an int is asked; any number where a float is (length_penalty may also be 0 or less)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if expected is int:
        return isinstance(value, int) and value > 0
    return True


def _check_duplicate_ids(questions: list[Question | None], problems: list[str]) -> None:
    first_seen: dict[str, int] = {}
    for i, question in enumerate(questions):
        if question is None or not question.id:
            continue
        if question.id in first_seen:
            first = first_seen[question.id]
            problems.append(f"questions[{i}].id: {question.id!r} is already used by questions[{first}]")
        else:
            first_seen[question.id] = i


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    return f"{value!r} ({type(value).__name__})"
