"""Shared, session-scoped renders and transcriptions: one model per transcriber, each short render
rendered once and transcribed once per transcriber.

The fast transcriber costs ~0.2 s a render, transkun (the accurate one) a full 16-s window (~3 s on
2 cores) whatever the render's length, so the tests run every transcription-dependent check on the
fast one and a subset on transkun; bench/listen_flaws.py runs them all on either.
"""

from __future__ import annotations

import pytest

from llaqo.model.testing import performances as P
from llaqo.model.testing.piano import can_render, render

SECONDS = 6.0  # short renders


@pytest.fixture(scope="session")
def transcribers():
    """transcribers(kind) → the session's FastTranscriber ("fast"), transkun ("accurate", int8 on a CPU) or
    transkun in float32 ("accurate-fp32")."""
    built = {}

    def get(kind: str):
        if kind not in built:
            if kind == "fast":
                from llaqo.model.listen.transcribe.fast import FastTranscriber, fast_backend_missing

                if fast_backend_missing():
                    pytest.skip(fast_backend_missing())
                built[kind] = FastTranscriber()
            else:
                from llaqo.model.listen.transcribe.accurate import AccurateTranscriber

                # "accurate-fp32": transkun without the int8 step, for checks whose margin is smaller
                # than how far the int8 kernels of different CPUs (AVX2, AVX-512 VNNI) disagree
                built[kind] = AccurateTranscriber(quantize=kind != "accurate-fp32")
        return built[kind]

    return get


@pytest.fixture(scope="session")
def transcriber(transcribers):
    """transkun, for the tests of its own lean paths."""
    return transcribers("accurate")


@pytest.fixture(scope="session")
def rendered(tmp_path_factory):
    """rendered(name) → (notes rendered, wav path) for "base", a flaw name or a technique name."""
    if not can_render():
        pytest.skip("fluidsynth and a GM soundfont are needed to render test audio")
    folder = tmp_path_factory.mktemp("listen")
    cache: dict[str, tuple] = {}

    def get(name: str):
        if name not in cache:
            if name in P.TECHNIQUES:
                notes = P.technique_passage(name, SECONDS)
            else:
                base = P.base(SECONDS)
                notes = base if name == "base" else P.FLAWS[name](base)
            cache[name] = (notes, render(notes, folder / f"{name.replace(' ', '_')}.wav"))
        return cache[name]

    return get


@pytest.fixture(scope="session")
def heard(rendered, transcribers):
    """heard(name, kind="fast") → (notes rendered, Transcription by that transcriber)."""
    from llaqo.model.audio.io import read_audio

    cache: dict[tuple[str, str], tuple] = {}

    def get(name: str, kind: str = "fast"):
        if (name, kind) not in cache:
            notes, path = rendered(name)
            samples, rate = read_audio(path)
            cache[name, kind] = (notes, transcribers(kind).transcribe(samples, rate))
        return cache[name, kind]

    return get
