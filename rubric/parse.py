"""Reading a value out of what the model said. Never guesses: no value found is None, "not followed".

The paper's prompt-following rate (PFR) counts the answers a value can be read from, so an answer
without one is data for the report, not an error.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

from llaqo.common.music import TECHNIQUE_CLASSES
from llaqo.rubric.report import Remark, Value
from llaqo.rubric.schema import DEFAULT_SCALES, Question

# The reference evaluation's rule: the first number in the answer, integer or decimal.
_NUMBER = re.compile(r"\b\d+(?:\.\d+)?\b")


def parse_value(question: Question, text: str) -> Value:
    """The value a rating, difficulty or technique answer gives; None for verbal or not followed."""
    if question.kind in DEFAULT_SCALES:
        return parse_rating(text, question.scale or DEFAULT_SCALES[question.kind])
    if question.kind == "technique":
        return parse_technique(text, question.classes or TECHNIQUE_CLASSES)
    return None


def parse_rating(text: str, scale: tuple[int, int]) -> int | None:
    """The first number in `text`, rounded half up ("4.5" -> 5), if it lies on `scale`; else None.

    Only the first number counts, as in the reference evaluation, so "3 out of 6" is 3 and
    "on a scale of 1 to 6, 4" is 1. A number off the scale (rounded first: 6.5 -> 7 on 1-6) means
    the model did not follow the prompt; it is not clipped into range.
    """
    match = _NUMBER.search(text)
    if match is None:
        return None
    rating = math.floor(float(match.group()) + 0.5)
    lowest, highest = scale
    return rating if lowest <= rating <= highest else None


def parse_technique(text: str, classes: tuple[str, ...] = TECHNIQUE_CLASSES) -> str | None:
    """The class named first in `text`, spelt as in `classes`; None if none is named.

    Matching ignores case, spaces, hyphens and a plural "s", so the dataset's own labels
    (Repeatednotes, Doublenotes, Octave) and the model's prose ("repeated notes") both count.
    """
    found = []
    for order, name in enumerate(classes):
        match = _class_pattern(name).search(text)
        if match:
            found.append((match.start(), -len(match.group()), order, name))
    return min(found)[3] if found else None


@lru_cache(maxsize=64)
def _class_pattern(name: str) -> re.Pattern[str]:
    words = [w for w in re.split(r"[\s_-]+", name.strip()) if w]
    last = words[-1]
    if len(last) > 3 and last.lower().endswith("s"):
        words[-1] = last[:-1]  # "Octaves" also matches "Octave"; the optional s is added below
    body = r"[\s_-]*".join(re.escape(w) for w in words)
    return re.compile(rf"\b{body}s?\b", re.IGNORECASE)


def remark_from_text(question: Question, start_s: float, end_s: float, text: str) -> Remark:
    """A remark on the span the engine heard, with the value its text gives (None if not followed)."""
    return Remark(start_s=start_s, end_s=end_s, text=text.strip(), value=parse_value(question, text))
