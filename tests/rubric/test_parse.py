"""Reading values out of answers: the reference's first-number rule, and technique names as spelt."""

from __future__ import annotations

import pytest

from llaqo.rubric.parse import parse_rating, parse_technique, parse_value, remark_from_text
from llaqo.rubric.schema import load_rubric

FULL = load_rubric("full")


@pytest.mark.parametrize(
    "reply, expected",
    [
        ("4", 4),
        ("I would rate it 5.", 5),
        ("4.5", 5),  # rounded half up
        ("3.49 overall", 3),
        ("6.4", 6),
        ("6.5", None),  # rounds to 7: off the 1-6 scale, so not followed
        ("0", None),
        ("7", None),
        ("12 out of 6", None),
        ("3 out of 6", 3),
        ("on a scale of 1 to 6, I give 4", 1),  # only the first number counts, as in the reference
        ("The legato is quite even.", None),
        ("", None),
    ],
)
def test_rating_on_a_one_to_six_scale(reply, expected):
    assert parse_value(FULL.question("legato.rating"), reply) == expected


def test_difficulty_uses_its_own_scale():
    difficulty = FULL.question("difficulty")
    assert parse_value(difficulty, "Level 8.") == 8
    assert parse_value(difficulty, "9") == 9
    assert parse_value(difficulty, "10") is None
    assert parse_rating("7", (1, 9)) == 7 and parse_rating("7", (1, 6)) is None


@pytest.mark.parametrize(
    "reply, expected",
    [
        ("Scales", "Scales"),
        ("scale", "Scales"),
        ("Repeatednotes", "Repeated notes"),
        ("the student plays repeated notes", "Repeated notes"),
        ("Doublenotes", "Double notes"),
        ("double-notes in thirds", "Double notes"),
        ("Octave", "Octaves"),
        ("OCTAVES", "Octaves"),
        ("Arpeggios", "Arpeggios"),
        ("an arpeggio", "Arpeggios"),
        ("Ornaments", "Ornaments"),
        ("Staccato", "Staccato"),
        ("Mostly staccato, with some scales", "Staccato"),  # the first mentioned wins
        ("Scales and then octaves", "Scales"),
        ("Legato playing", None),
        ("", None),
    ],
)
def test_technique_spellings(reply, expected):
    assert parse_value(FULL.question("technique"), reply) == expected


def test_technique_with_a_teachers_classes():
    assert parse_technique("lots of trills here", ("Scales", "Trills")) == "Trills"
    assert parse_technique("a trill", ("Trills",)) == "Trills"


def test_verbal_answers_have_no_value():
    assert parse_value(FULL.question("legato.verbal"), "4, and the legato is even") is None


def test_remark_from_text_keeps_the_span_and_parses():
    remark = remark_from_text(FULL.question("tempo.rating"), 40.0, 50.24, " 5 \n")
    assert (remark.start_s, remark.end_s, remark.text, remark.value) == (40.0, 50.24, "5", 5)
    assert remark_from_text(FULL.question("tempo.rating"), 0, 10.24, "steady").value is None
