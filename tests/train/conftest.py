"""Fixtures for training: a tiny released-layout checkpoint (32-px patches: 128 per window, quick on a
CPU), eight synthetic (audio, question, answer) examples in the Burgmuller layout, and the audio tree the
metadata fixtures point at."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.coach.conftest import tone_take
from tests.fixtures.tiny_ckpt import write_released

FIXTURES = Path(__file__).parents[1] / "fixtures"
METADATAS = FIXTURES / "metadatas"
ANSWERS = ["Scales", "Arpeggios", "Ornaments", "Staccato", "Octave", "steady and clear", "a singing tone",
           "practise slowly"]
QUESTIONS = ["What is the primary piano technique used in this track?", "How solid is the sound?",
             "How clean is the attack?", "Is the tempo kept constant?", "Are the lines connected?",
             "Is the legato even?", "Is it played with a sense of tonality?", "What does the student need to work on?"]


@pytest.fixture(scope="session")
def tiny_init(tmp_path_factory) -> Path:
    return write_released(tmp_path_factory.mktemp("train-init") / "ckpts", seed=0, patch=32)


@pytest.fixture(scope="session")
def eight(tmp_path_factory) -> tuple[Path, Path]:
    """→ (table, audio root): 8 rows in the authors' absolute-path style, remapped under the root."""
    root = tmp_path_factory.mktemp("eight")
    audio = root / "audio" / "Burgmuller"
    audio.mkdir(parents=True)
    rows = []
    for i, answer in enumerate(ANSWERS):
        tone_take(audio / f"b-{i:02d}.wav", 1.5, rate=16_000, channels=1, seed=i)
        rows.append({"": i, "audio_path": f"/data/EECS-MachineListeningLab/datasets/LLaQo/Burgmuller/b-{i:02d}.wav",
                     "split": "train", "Q": QUESTIONS[i], "A": answer})
    table = root / "Burgmuller" / "audio_qa.csv"
    table.parent.mkdir()
    with open(table, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["", "audio_path", "split", "Q", "A"])
        w.writeheader()
        w.writerows(rows)
    return table, root / "audio"


@pytest.fixture(scope="session")
def metadata_audio(tmp_path_factory) -> Path:
    """The audio root holding every file tests/fixtures/metadatas/audio.json lists."""
    root = tmp_path_factory.mktemp("metadata-audio")
    for rel in json.loads((METADATAS / "audio.json").read_text()):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        tone_take(root / rel, 0.5, rate=16_000, channels=1)
    return root
