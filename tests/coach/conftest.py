"""Fixtures for the coach: one tiny released-layout checkpoint per session, short rendered piano takes."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from llaqo.model.testing.piano import decaying_tones
from tests.fixtures.tiny_ckpt import write_released

SHORT = 40  # a small length budget keeps random tiny models quick; the logic is the same at 256


@pytest.fixture(scope="session")
def released_dir(tmp_path_factory) -> Path:
    return write_released(tmp_path_factory.mktemp("released") / "ckpts", seed=0)


@pytest.fixture
def released_copy(released_dir, tmp_path) -> Path:
    """A private copy for tests that damage the checkpoint."""
    return Path(shutil.copytree(released_dir, tmp_path / "ckpts", symlinks=True))


@pytest.fixture(scope="session")
def coach(released_dir):
    from llaqo.model.coach.build import choose_placement, load_coach

    return load_coach(released_dir, choose_placement("cpu"))


@pytest.fixture(scope="session")
def coach_full(released_dir):
    from llaqo.model.coach.build import choose_placement, load_coach

    return load_coach(released_dir, choose_placement("cpu"), mode="full")


def tone_take(path: Path, seconds: float, rate: int = 44_100, channels: int = 2, seed: int = 0) -> Path:
    """A take of piano-like decaying partials (deterministic), `channels` channels."""
    x = decaying_tones(seconds, rate, seed)
    data = np.stack([x * (1 - 0.1 * c) for c in range(channels)], axis=1)
    sf.write(path, data.astype(np.float32), rate, subtype="PCM_16")
    return path


@pytest.fixture(scope="session")
def take(tmp_path_factory) -> Path:
    return tone_take(tmp_path_factory.mktemp("audio") / "take.wav", 12.0)
