"""Shared, session-scoped renders and transcriptions: one transcriber, each short render transcribed once."""

from __future__ import annotations

import pytest

from tests.fixtures.piano import can_render, render
from tests.listen import performances as P

SECONDS = 6.0  # short renders; each still costs one 16-s model window


@pytest.fixture(scope="session")
def transcriber():
    from model.listen.transcribe import Transcriber

    return Transcriber()


@pytest.fixture(scope="session")
def heard(tmp_path_factory, transcriber):
    """heard(name) → (notes rendered, Transcription) for "base", a flaw name or a technique name."""
    if not can_render():
        pytest.skip("fluidsynth and a GM soundfont are needed to render test audio")
    from model.audio.io import read_audio

    folder = tmp_path_factory.mktemp("listen")
    cache: dict[str, tuple] = {}

    def get(name: str):
        if name not in cache:
            if name in P.TECHNIQUES:
                notes = P.technique_passage(name, SECONDS)
            else:
                base = P.base(SECONDS)
                notes = base if name == "base" else P.FLAWS[name](base)
            path = render(notes, folder / f"{name.replace(' ', '_')}.wav")
            samples, rate = read_audio(path)
            cache[name] = (notes, transcriber.transcribe(samples, rate))
        return cache[name]

    return get
