"""The real released weights (~14 GB): run with LLAQO_CKPTS=<folder> pytest -m slow."""

import os
from pathlib import Path

import pytest

from llaqo.model.assess import build_engine
from llaqo.model.coach.ask import ask_file
from llaqo.model.options import CoachOptions, EngineOptions
from llaqo.rubric.parse import parse_rating

CKPTS = os.environ.get("LLAQO_CKPTS")
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "etude.flac"

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not CKPTS, reason="LLAQO_CKPTS is not set")]


@pytest.fixture(scope="module")
def coach():
    return build_engine(EngineOptions(engine="coach", coach=CoachOptions(model=Path(CKPTS))))


def test_released_model_rates_the_example(coach):
    question = ("How would you rate the overall performance? on a scale of 1 to 6, 1 is the worst and 6 is "
                "the best?")
    (start, end, text), = ask_file(EXAMPLE, question, coach)
    assert (start, end) == (0.0, 10.24)
    assert parse_rating(text, (1, 6)) is not None, text


def test_released_model_answers_in_words(coach):
    (_, _, text), = ask_file(EXAMPLE, "What's your overall feedback on this performance? ",
                             coach)
    assert len(text.split()) >= 3, text
