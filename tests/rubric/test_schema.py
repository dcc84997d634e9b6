"""Rubrics: the shipped ones load with the released model's exact prompts; teachers' YAML loads strictly."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from llaqo.common.music import TECHNIQUE_CLASSES
from llaqo.rubric.schema import KINDS, RubricError, load_rubric

SHIPPED = ["full", "quick"]
RATING_TAIL = " on a scale of 1 to 6, 1 is the worst and 6 is the best, use the full scale as much as possible. "
# NeuroPiano questions 3-13: (dimension, verbal text, category)
NEUROPIANO = [
    ("legato", "Is the legato even?", "coordination"),
    ("note_values", "Are the note values uniform?", "coordination"),
    ("sound", "How solid is the sound?", "tone production"),
    ("attack", "How clean is the attack?", "articulation"),
    ("hand_balance", "Are the left and right hands balanced?", "dynamics"),
    ("hand_timing", "Are the timings aligned on the left and right hands?", "coordination"),
    ("rhythm", "Is it played with the correct rhythm?", "rhythm and tempo"),
    ("tempo", "Is the tempo kept constant?", "rhythm and tempo"),
    ("lines", "Are the lines connected?", "articulation"),
    ("tonality", "Is it played with a sense of tonality?", "tone production"),
    ("dynamics", "Is the dynamics change natural?", "dynamics"),
]


def write(tmp_path, text: str):
    path = tmp_path / "my.yaml"
    path.write_text(textwrap.dedent(text))
    return str(path)


def problems_of(path: str) -> list[str]:
    with pytest.raises(RubricError) as caught:
        load_rubric(path)
    return caught.value.problems


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_rubric_loads(name):
    rubric = load_rubric(name)
    assert rubric.name == name
    assert rubric.source == f"{name}.yaml"
    assert all(q.kind in KINDS for q in rubric.questions)


def test_full_has_every_neuropiano_dimension_as_rating_and_verbal():
    rubric = load_rubric("full")
    dims = [d for d, _, _ in NEUROPIANO]
    assert rubric.dimensions() == (*dims, "overall", "difficulty", "technique")
    for dimension, verbal, category in NEUROPIANO:
        rating_q = rubric.question(f"{dimension}.rating")
        verbal_q = rubric.question(f"{dimension}.verbal")
        assert verbal_q.text == verbal
        assert rating_q.text.startswith("How would you rate ") and rating_q.text.endswith("?" + RATING_TAIL)
        assert rating_q.category == verbal_q.category == category
        assert rating_q.scale == (1, 6) and verbal_q.scale is None
        assert verbal_q.generation == {"repetition_penalty": 8.0, "length_penalty": 1.2}
        assert rating_q.generation == {}


def test_exact_prompts_of_the_released_model():
    rubric = load_rubric("full")
    assert rubric.question("legato.rating").text == (
        "How would you rate if the legato is even? on a scale of 1 to 6, 1 is the worst and 6 is the best, "
        "use the full scale as much as possible. "
    )
    assert rubric.question("hand_timing.rating").text == (
        "How would you rate the alignment of timings between the left and right hands? on a scale of 1 to 6, "
        "1 is the worst and 6 is the best, use the full scale as much as possible. "
    )
    assert rubric.question("overall.rating").text == (
        "How would you rate the overall performance? on a scale of 1 to 6, 1 is the worst and 6 is the best?"
    )
    assert rubric.question("overall.verbal").text == "What's your overall feedback on this performance? "
    assert rubric.question("overall.work_on").text == "What does the student need to work on? "
    assert rubric.question("difficulty").text == (
        "What difficulty level would you assign to the composition in this track, on a scale of 1 to 9?"
    )
    assert rubric.question("technique").text == "What is the primary piano technique used in this track?"


def test_quick_is_overall_difficulty_and_technique():
    rubric = load_rubric("quick")
    assert [q.id for q in rubric.questions] == ["overall.rating", "overall.verbal", "difficulty", "technique"]
    full = load_rubric("full")
    assert all(q == full.question(q.id) for q in rubric.questions)
    assert rubric.question("difficulty").scale == (1, 9)
    assert rubric.question("technique").classes == TECHNIQUE_CLASSES


def test_short_form_derives_id_dimension_label_and_scale(tmp_path):
    rubric = load_rubric(
        write(
            tmp_path,
            """
            questions:
              - "Is the pedalling clean?"
              - {text: "How would you rate the pedalling? 1 to 10", kind: rating, scale: [1, 10], dimension: pedal}
            """,
        )
    )
    verbal, rating = rubric.questions
    assert rubric.name == "my"
    assert (verbal.id, verbal.kind, verbal.dimension, verbal.label) == (
        "is_the_pedalling_clean", "verbal", "is_the_pedalling_clean", "Is the pedalling clean",
    )
    assert rating.scale == (1, 10) and rating.label == "Pedal"
    assert rubric.dimensions() == ("is_the_pedalling_clean", "pedal")


def test_unknown_keys_are_named(tmp_path):
    path = write(tmp_path, "colour: blue\nquestions:\n  - {text: a, kind: verbal, wieght: 2}\n")
    assert problems_of(path) == [
        "colour: unknown field (known: name, questions)",
        "questions[0].wieght: unknown field (known: id, text, kind, dimension, label, category, scale, classes, generation)",
    ]


def test_missing_fields_are_named(tmp_path):
    path = write(tmp_path, "questions:\n  - {id: a}\n")
    assert problems_of(path) == ["questions[0].text: missing", "questions[0].kind: missing (one of rating, verbal, difficulty, technique)"]


def test_missing_questions(tmp_path):
    assert problems_of(write(tmp_path, "name: x\n")) == ["questions: expected a non-empty list, got nothing"]


def test_wrong_types_are_named(tmp_path):
    path = write(tmp_path, "name: 3\nquestions:\n  - {text: 5, kind: verbal, id: x}\n  - 7\n")
    assert problems_of(path) == [
        "name: expected a non-empty string, got 3 (int)",
        "questions[0].text: expected a non-empty string, got 5 (int)",
        "questions[1]: expected a mapping with text and kind, got 7 (int)",
    ]


def test_bad_kind_is_named_with_the_choices(tmp_path):
    path = write(tmp_path, "questions:\n  - {text: a, kind: ratng}\n")
    with pytest.raises(RubricError) as caught:
        load_rubric(path)
    assert str(caught.value) == f"{path}: questions[0].kind: 'ratng' is not one of rating, verbal, difficulty, technique"


def test_duplicate_ids(tmp_path):
    path = write(tmp_path, "questions:\n  - {id: a, text: x, kind: verbal}\n  - {id: a, text: y, kind: verbal}\n")
    assert problems_of(path) == ["questions[1].id: 'a' is already used by questions[0]"]


@pytest.mark.parametrize(
    "entry, problem",
    [
        ("{text: x, kind: rating, scale: [6, 1]}", "expected [lowest, highest], two integers rising, got [6, 1] (list)"),
        ("{text: x, kind: rating, scale: [1, 2.5]}", "expected [lowest, highest], two integers rising, got [1, 2.5] (list)"),
        ("{text: x, kind: rating, scale: 6}", "expected [lowest, highest], two integers rising, got 6 (int)"),
        ("{text: x, kind: verbal, scale: [1, 6]}", "a verbal question has no scale (only rating and difficulty do)"),
    ],
)
def test_bad_scales(tmp_path, entry, problem):
    assert problems_of(write(tmp_path, f"questions:\n  - {entry}\n")) == [f"questions[0].scale: {problem}"]


def test_bad_generation_and_classes(tmp_path):
    path = write(
        tmp_path,
        """
        questions:
          - {text: x, kind: verbal, generation: {beams: 3, num_beams: 2.5, length_penalty: "long"}}
          - {text: y, kind: rating, classes: [Scales]}
        """,
    )
    assert problems_of(path) == [
        "questions[0].generation.beams: unknown setting (known: num_beams, repetition_penalty, length_penalty, max_length, max_new_tokens)",
        "questions[0].generation.num_beams: expected a positive integer, got 2.5 (float)",
        "questions[0].generation.length_penalty: expected a number, got 'long' (str)",
        "questions[1].classes: only a technique question has classes",
    ]


def test_all_mistakes_are_reported_at_once_with_the_file_name(tmp_path):
    path = write(
        tmp_path,
        """
        extra: 1
        questions:
          - {id: a, text: x, kind: ratng}
          - {id: a, kind: rating, scale: [2, 2]}
        """,
    )
    with pytest.raises(RubricError) as caught:
        load_rubric(path)
    error = caught.value
    assert isinstance(error, ValueError) and error.source == path
    assert len(error.problems) == 5
    message = str(error)
    assert "\n" not in message and message.count(f"{path}: ") == 5
    for field in ("extra", "questions[0].kind", "questions[1].text", "questions[1].scale", "questions[1].id"):
        assert f"{path}: {field}:" in message


def test_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(RubricError) as caught:
        load_rubric("fulll")
    assert "no such rubric file" in str(caught.value) and "full, quick" in caught.value.hint
    with pytest.raises(RubricError, match=r"line \d+: not valid YAML"):
        load_rubric(write(tmp_path, "questions:\n  - {text: [unclosed\n"))


def test_rubric_never_imports_torch_or_numpy():
    code = (
        "import sys, llaqo.rubric.schema, llaqo.rubric.parse, llaqo.rubric.summary, llaqo.rubric.render;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'numpy')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_reference_adds_one_accuracy_row_before_the_overall_questions():
    from llaqo.rubric.schema import load_rubric

    full = load_rubric("full")
    with_row = full.with_accuracy()
    dims = [q.dimension for q in with_row.questions]
    assert dims.count("accuracy") == 1 and dims.index("accuracy") < dims.index("overall")
    assert len(with_row.questions) == len(full.questions) + 1
    assert with_row.with_accuracy() == with_row
