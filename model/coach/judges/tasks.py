"""The judge tasks and their class names: plain Python, so that finding a heads folder imports no torch."""

from __future__ import annotations

from llaqo.common.errors import ConfigError
from llaqo.common.music import TECHNIQUE_CLASSES

TASKS = ("expertise", "difficulty", "technique")


def task_classes(task: str, n_classes: int | None = None, multi_label: bool = True) -> tuple[list[str], bool]:
    """The class names of a task variant, and whether it is multi-label.

    expertise: 2-way ("A better", "B better") or 4-way (A much better … B much better, the published
    level-difference tags); difficulty: 9-way (Henle 1-9) or 3-way ((henle − 1) // 3); technique: the 7
    PLD labels, multi-label or single-label (the first label)."""
    if task == "expertise":
        n = n_classes or 2
        if n not in (2, 4):
            raise ConfigError(f"expertise has 2 or 4 classes, not {n}", "use --classes 2 or 4")
        return (["A better", "B better"] if n == 2 else
                ["A much better", "A better", "B better", "B much better"]), False
    if task == "difficulty":
        n = n_classes or 9
        if n not in (9, 3):
            raise ConfigError(f"difficulty has 9 or 3 classes, not {n}", "use --classes 9 or 3")
        return ([str(k) for k in range(1, 10)] if n == 9 else ["1-3", "4-6", "7-9"]), False
    if task == "technique":
        if n_classes not in (None, len(TECHNIQUE_CLASSES)):
            raise ConfigError(f"technique has {len(TECHNIQUE_CLASSES)} classes, not {n_classes}")
        return list(TECHNIQUE_CLASSES), multi_label
    raise ConfigError(f"unknown judge task {task!r}", "use expertise, difficulty or technique")
