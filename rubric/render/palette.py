"""Colours of the report, chosen so that a colour-blind reader can tell them apart.

Ratings use ColorBrewer's diverging orange–purple scale (PuOr, "colour-blind safe" in ColorBrewer):
orange for the weak end, purple for the strong end, light in the middle; the number is always written
next to the colour, so nothing rests on colour alone. Difficulty is no judgement of the playing and has
its own neutral grey scale. Score errors use the Okabe–Ito colours, each with its own shape.
"""

from __future__ import annotations

from llaqo.rubric.render.common import rating_fraction

# ColorBrewer PuOr, 7 classes, from the orange (weak) end to the purple (strong) end
RATING_COLOURS = ("#b35806", "#f1a340", "#fee0b6", "#f7f7f7", "#d8daeb", "#998ec3", "#542788")
# ColorBrewer Greys, 7 classes, light (easy) to dark (hard)
DIFFICULTY_COLOURS = ("#f7f7f7", "#d9d9d9", "#bdbdbd", "#969696", "#737373", "#525252", "#252525")
NOT_FOLLOWED = "#ffffff"
DARK_INK, LIGHT_INK = "#1d232b", "#ffffff"
# Okabe–Ito: vermillion, blue, reddish purple — with ✕, ○ and + as their shapes
SCORE_ERROR_STYLE = {"wrong": ("#d55e00", "✕"), "missing": ("#0072b2", "○"), "extra": ("#cc79a7", "+")}


def _pick(colours: tuple[str, ...], value: int, scale) -> str:
    fraction = min(max(rating_fraction(value, scale), 0.0), 1.0)
    return colours[round(fraction * (len(colours) - 1))]


def rating_colour(value: int | None, scale) -> str:
    """The rating's place on its scale as a colour: orange (lowest) → light → purple (highest)."""
    return NOT_FOLLOWED if value is None else _pick(RATING_COLOURS, int(value), scale)


def difficulty_colour(value: int | None, scale) -> str:
    """A neutral grey: darker for a harder piece (never "good" or "bad")."""
    return NOT_FOLLOWED if value is None else _pick(DIFFICULTY_COLOURS, int(value), scale)


def ink_on(colour: str) -> str:
    """Text colour readable on `colour` (#rrggbb): white on dark, near-black on light (WCAG luminance)."""
    r, g, b = (int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    luminance = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    return LIGHT_INK if luminance < 0.25 else DARK_INK
