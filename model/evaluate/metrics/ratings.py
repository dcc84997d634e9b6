"""Rating metrics: prompt-following rate (PFR) and mean absolute error (MAE), overall and per category.

Two ways of reading a rating out of an answer:
- `reference` (the default, so that numbers compare with the paper): the reference evaluation's rule,
  the first match of `\\b\\d+(?:\\.\\d+)?\\b`, kept as a float, no range check. Its quirks are kept on
  purpose: a parsed 0 counts as missing (the reference wrote `... if rating else None`), and "on a scale
  of 1 to 6 ... 4" reads as 1.
- `strict`: scale phrases ("scale of 1 to 6", "1-6", "out of 6", "/6") are removed first; the first number
  left, rounded half up, must lie on the question's scale (1-6), else the answer did not follow the prompt.
"""

from __future__ import annotations

import math
import re
import statistics
from dataclasses import dataclass

PARSERS = ("reference", "strict")
_NUMBER = re.compile(r"\b\d+(?:\.\d+)?\b")
_SCALE_PHRASES = re.compile(
    r"(?:\b(?:on\s+)?(?:a|the)\s+scale\s+(?:of|from)\s+\d+\s*(?:to|-|–)\s*\d+)"
    r"|(?:\b\d+\s*(?:to|-|–)\s*\d+\b)"
    r"|(?:\bout\s+of\s+\d+\b)"
    r"|(?:/\s*\d+\b)",
    re.IGNORECASE,
)


def parse_reference(text: str) -> float | None:
    """The reference's reading; 0 is None (missing), as its evaluation counted it."""
    match = _NUMBER.search(text or "")
    if match is None:
        return None
    value = float(match.group())
    return value if value else None


def parse_strict(text: str, scale: tuple[int, int] = (1, 6)) -> int | None:
    """The first on-scale number once scale phrases are removed; None if there is none."""
    match = _NUMBER.search(_SCALE_PHRASES.sub(" ", text or ""))
    if match is None:
        return None
    value = math.floor(float(match.group()) + 0.5)
    return value if scale[0] <= value <= scale[1] else None


def parse_rating(text: str, parser: str = "reference", scale: tuple[int, int] = (1, 6)) -> float | None:
    if parser == "reference":
        return parse_reference(text)
    if parser == "strict":
        return parse_strict(text, scale)
    raise ValueError(f"unknown rating parser {parser!r} (use {', '.join(PARSERS)})")


@dataclass(frozen=True)
class RatingScores:
    n: int  # rows
    followed: int  # rows with a rating
    pfr: float  # followed / n
    mae: float | None  # mean |rating - gt| over the rows with a rating
    sd: float | None  # sample SD of |rating - gt| over those rows (the reference's row SD)

    def as_dict(self) -> dict:
        return {"n": self.n, "followed": self.followed, "pfr": self.pfr, "mae": self.mae, "mae_sd": self.sd}


def rating_scores(ratings: list[float | None], gts: list[float]) -> RatingScores:
    """PFR and MAE of `ratings` (None = not followed) against `gts`; failures are excluded from the MAE,
    not penalised, as in the reference."""
    errors = [abs(r - g) for r, g in zip(ratings, gts) if r is not None]
    n = len(gts)
    mae = sum(errors) / len(errors) if errors else None
    sd = statistics.stdev(errors) if len(errors) > 1 else None
    return RatingScores(n, len(errors), len(errors) / n if n else 0.0, mae, sd)


def per_category(ratings: list[float | None], gts: list[float],
                 categories: list[str | None]) -> dict[str, RatingScores]:
    """`rating_scores` for each question category, in the order the categories first appear."""
    out = {}
    for cat in dict.fromkeys(c for c in categories if c):
        idx = [i for i, c in enumerate(categories) if c == cat]
        out[cat] = rating_scores([ratings[i] for i in idx], [gts[i] for i in idx])
    return out
