"""A virtual microphone for the record tests, and a rendered piano passage to play into it.

A private PulseAudio server (its own config, socket and state in a short temp folder) runs a null sink;
what `paplay` plays into the sink comes out of its monitor, which is the server's default source. The
recorder reaches it the way it reaches a real microphone on a Linux desktop: PortAudio → ALSA → the
`pulse` plugin (libasound2-plugins), pointed at our server by PULSE_SERVER in the child's environment.
The user's own sound server, if any, is never touched.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from llaqo.model.testing import piano
from tests.record.helpers import Passage

REPO = Path(__file__).resolve().parents[2]
SINK = "llaqo_mic"
PASSAGE_RATE = 44_100
PASSAGE_NOTES_S = 3.0
SERVER_CONFIG = """\
load-module module-native-protocol-unix socket={socket} auth-anonymous=1
load-module module-null-sink sink_name={sink} rate=48000 channels=2
set-default-sink {sink}
set-default-source {sink}.monitor
"""
ALSA_PULSE_PLUGINS = ("/usr/lib/x86_64-linux-gnu/alsa-lib", "/usr/lib/aarch64-linux-gnu/alsa-lib", "/usr/lib/alsa-lib", "/usr/lib64/alsa-lib")


@dataclass
class VirtualMic:
    env: dict[str, str]  # the environment a child needs to record from the virtual microphone

    def play(self, path: Path) -> subprocess.Popen:
        return subprocess.Popen(["paplay", f"--device={SINK}", str(path)], env=self.env)


def _pulse_missing() -> str | None:
    for tool, package in (("pulseaudio", "pulseaudio"), ("paplay", "pulseaudio-utils"), ("parecord", "pulseaudio-utils"), ("pactl", "pulseaudio-utils")):
        if shutil.which(tool) is None:
            return f"no virtual microphone: `{tool}` is missing (apt-get install {package})"
    if not any(Path(d, "libasound_module_pcm_pulse.so").exists() for d in ALSA_PULSE_PLUGINS):
        return "no virtual microphone: ALSA's pulse plugin is missing (apt-get install libasound2-plugins)"
    return None


def _wait_for_server(env: dict[str, str], server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"pulseaudio exited ({server.returncode}): {log.read_text()[-2000:]}")
        if subprocess.run(["pactl", "info"], env=env, capture_output=True).returncode == 0:
            return
        time.sleep(0.1)
    pytest.fail(f"pulseaudio did not come up in 15 s: {log.read_text()[-2000:]}")


@pytest.fixture(scope="session")
def virtual_mic() -> Iterator[VirtualMic]:
    missing = _pulse_missing()
    if missing:
        pytest.skip(missing)
    # A unix socket path must stay under 108 bytes, so not under pytest's long tmp_path.
    folder = Path(tempfile.mkdtemp(prefix="llaqo-pa-"))
    socket = folder / "native"
    config = folder / "server.pa"
    config.write_text(SERVER_CONFIG.format(socket=socket, sink=SINK))
    server_env = {**os.environ, "HOME": str(folder), "XDG_RUNTIME_DIR": str(folder), "XDG_CONFIG_HOME": str(folder)}
    server_env.pop("PULSE_SERVER", None)
    log = folder / "server.log"
    with open(log, "wb") as log_file:
        server = subprocess.Popen(
            ["pulseaudio", "--daemonize=no", "--exit-idle-time=-1", "-n", "-F", str(config), "--use-pid-file=no", "--log-target=stderr"],
            env=server_env,
            stdout=log_file,
            stderr=log_file,
        )
    client_env = {**os.environ, "PULSE_SERVER": f"unix:{socket}", "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    keep_awake = None
    try:
        _wait_for_server(client_env, server, log)
        # An idle null sink renders in 2-s blocks, so a new recorder would wait up to 2 s for its first
        # audio; one low-latency reader of the monitor keeps it rendering in small blocks all along.
        keep_awake = subprocess.Popen(
            ["parecord", "--raw", "--latency-msec=20", f"--device={SINK}.monitor", os.devnull], env=client_env
        )
        yield VirtualMic(client_env)
    finally:
        for proc in (keep_awake, server):
            if proc is None:
                continue
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def passage(tmp_path_factory) -> Passage:
    """A rendered piano passage (PASSAGE_NOTES_S of notes, short release tail): its file and mono samples."""
    import soundfile as sf

    if not piano.can_render():
        pytest.skip("no piano passage: fluidsynth or a GM soundfont is missing (apt-get install fluidsynth timgm6mb-soundfont)")
    folder = tmp_path_factory.mktemp("passage")
    rendered = piano.render(piano.scale_passage(PASSAGE_NOTES_S), folder / "rendered.wav", PASSAGE_RATE)
    samples, rate = sf.read(rendered, dtype="float32", always_2d=True)
    samples = samples[: int((PASSAGE_NOTES_S + 0.5) * rate)]  # fluidsynth adds seconds of silent tail
    path = folder / "passage.wav"
    sf.write(path, samples, rate, subtype="PCM_16")
    return Passage(path, samples.mean(axis=1), rate)

