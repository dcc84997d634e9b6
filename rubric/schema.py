"""Rubrics as data: the questions a take is asked, loaded strictly from YAML.

`load_rubric("full")` and `load_rubric("quick")` read the rubrics shipped in `rubric/rubrics/`; any other
argument is the path of a teacher's YAML. Loading is strict: every unknown key, missing field, ill-typed
value, duplicate id, bad kind and bad scale is collected, and all are reported at once in one
`RubricError` whose message names the file and each bad field. The format is documented in
docs/rubrics.md and at the top of rubrics/full.yaml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml

from llaqo.common.config import check, check_fields, describe
from llaqo.common.errors import ConfigError, SchemaError
from llaqo.common.generation import GenerationConfig
from llaqo.common.music import TECHNIQUE_CLASSES
from llaqo.common.yamlfile import parse_yaml, read_yaml_text, yaml_problem

KINDS = ("rating", "verbal", "difficulty", "technique")
Kind = Literal["rating", "verbal", "difficulty", "technique"]
DEFAULT_SCALES = {"rating": (1, 6), "difficulty": (1, 9)}  # NeuroPiano ratings, Henle levels (CIPI)
SHIPPED = ("full", "quick")


class RubricError(SchemaError):
    """A rubric that cannot be used. `problems` lists every bad field; `source` names the file."""

    def __init__(self, source: str, problems: list[str], hint: str | None = None):
        super().__init__(source, problems, hint if hint is not None else "see docs/rubrics.md for the rubric format")


def _is_scale(v: Any) -> bool:
    return (isinstance(v, list) and len(v) == 2 and all(isinstance(x, int) and not isinstance(x, bool) for x in v)
            and v[0] < v[1])


def _is_names(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(c, str) and c.strip() for c in v)


@dataclass(kw_only=True)
class RubricFile:
    """A rubric file's top level, as written (the questions are checked entry by entry)."""

    name: str | None = None
    questions: Any = None


@dataclass(kw_only=True)
class QuestionEntry:
    """One question as a rubric file writes it; `Question` is what it becomes (defaults derived)."""

    id: str | None = None
    text: str
    kind: Kind
    dimension: str | None = None
    label: str | None = None
    category: str | None = None
    scale: list | None = field(default=None, metadata=check(_is_scale, "[lowest, highest], two integers rising"))
    classes: list | None = field(default=None, metadata=check(_is_names, "a non-empty list of names"))
    generation: dict | None = None  # checked against GenerationConfig's own fields


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

    def with_accuracy(self) -> Rubric:
        """The rubric with an Accuracy row (wrong, missing and extra notes against a reference score)
        before its overall questions, unless it asks about accuracy already."""
        if "accuracy" in self.dimensions():
            return self
        first_overall = next((i for i, q in enumerate(self.questions) if q.dimension == "overall"), len(self.questions))
        questions = self.questions[:first_overall] + (ACCURACY,) + self.questions[first_overall:]
        return replace(self, questions=questions)


# Asked only with a reference score, so only the listening engine answers it (the released model was
# never trained on it): the share of the score's notes played wrong, left out or added, rated 1-6.
ACCURACY = Question(id="accuracy.rating", dimension="accuracy", label="Accuracy", category="notes", kind="rating",
                    scale=(1, 6), text="How accurately were the notes of the score played? on a scale of 1 to 6, "
                                       "1 is the worst and 6 is the best.")


def load_rubric(name_or_path: str | Path) -> Rubric:
    """Read a shipped rubric by name ("full", "quick") or a teacher's YAML by path."""
    source, text = _read_rubric_text(str(name_or_path))
    try:
        data = parse_yaml(text)  # bounded: alias bombs and deep nesting are refused in one line
    except yaml.YAMLError as e:
        raise RubricError(source, [yaml_problem(e)]) from None
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
        return name_or_path, read_yaml_text(path)
    except ConfigError as e:
        raise RubricError(name_or_path, [str(e).split(": ", 1)[-1]]) from None


def rubric_from_data(data: Any, source: str, default_name: str = "rubric") -> Rubric:
    """Build a Rubric from parsed YAML, or raise one RubricError listing every problem found."""
    problems: list[str] = []
    if not isinstance(data, dict):
        raise RubricError(source, [f"expected a mapping with 'questions', got {describe(data)}"])
    top = check_fields(RubricFile, data, "", problems)
    name = top.get("name") or default_name
    entries = data.get("questions")
    if not isinstance(entries, list) or not entries:
        problems.append(f"questions: expected a non-empty list, got {describe(entries)}")
        entries = []
    questions = [_question_from_entry(e, f"questions[{i}]", problems) for i, e in enumerate(entries)]
    _check_duplicate_ids(questions, problems)
    if problems:
        raise RubricError(source, problems)
    return Rubric(name=str(name), questions=tuple(q for q in questions if q), source=source)


def _question_from_entry(entry: Any, where: str, problems: list[str]) -> Question | None:
    """One question (None if the entry is not even a mapping); a bare string is a verbal question.

    Built even when a field is bad, so that duplicate ids are still found; the caller raises."""
    if isinstance(entry, str):
        entry = {"text": entry, "kind": "verbal"}
    if not isinstance(entry, dict):
        problems.append(f"{where}: expected a mapping with text and kind, got {describe(entry)}")
        return None
    v = check_fields(QuestionEntry, entry, f"{where}.", problems, partial=False)
    text, kind = v.get("text", ""), v.get("kind", "")
    qid = v.get("id") or _id_from_text(text, where, problems)
    dimension = v.get("dimension") or qid
    label = v.get("label") or dimension.replace("_", " ").capitalize()
    scale = _scale(v.get("scale"), "scale" in entry, kind, where, problems)
    classes = _classes(v.get("classes"), "classes" in entry, kind, where, problems)
    generation = entry.get("generation")
    if isinstance(generation, dict):
        generation = check_fields(GenerationConfig, generation, f"{where}.generation.", problems)
    return Question(qid, text, kind, dimension, label, v.get("category"), scale, generation or {}, classes)


def _id_from_text(text: str, where: str, problems: list[str]) -> str:
    """A question without an id gets one from its text: "Is the pedal clean?" -> "is_the_pedal_clean"."""
    slug = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:60].rstrip("_")
    if text and not slug:
        problems.append(f"{where}.id: missing, and none can be made from the text; give the question an id")
    return slug


def _scale(scale: list | None, given: bool, kind: str, where: str, problems: list[str]) -> tuple[int, int] | None:
    if not given:
        return DEFAULT_SCALES.get(kind)
    if kind and kind not in DEFAULT_SCALES:
        problems.append(f"{where}.scale: a {kind} question has no scale (only rating and difficulty do)")
        return None
    return (scale[0], scale[1]) if scale else None


def _classes(classes: list | None, given: bool, kind: str, where: str, problems: list[str]) -> tuple[str, ...] | None:
    if not given:
        return TECHNIQUE_CLASSES if kind == "technique" else None
    if kind and kind != "technique":
        problems.append(f"{where}.classes: only a technique question has classes")
        return None
    return tuple(classes) if classes else None


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
