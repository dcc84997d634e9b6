"""The recorder's parts without a sound card: choosing inputs, PortAudio errors, the take file, the meter."""

from __future__ import annotations

import errno
import io
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from llaqo.common.errors import DeviceError, RecordingError
from llaqo.model.audio import mic
from llaqo.model.audio.mic import InputDevice, pick_input
from llaqo.model.audio.take_file import DiskFullError, TakeWriter, default_take_path
from tests.record.helpers import header_frames, llaqo, read_valid_take

REPO = Path(__file__).resolve().parents[2]
RATE = 8_000
INPUTS = [
    InputDevice(0, "HDA Intel PCH: ALC257 Analog (hw:0,0)", "ALSA", 2, 48_000),
    InputDevice(3, "USB Audio CODEC", "ALSA", 1, 44_100),
    InputDevice(4, "USB Mic", "ALSA", 1, 48_000),
    InputDevice(7, "default", "ALSA", 32, 44_100, is_default=True),
]


# --- choosing an input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "index"),
    [(None, 7), ("", 7), ("3", 3), ("usb mic", 4), ("codec", 3), ("alc257", 0), ("DEFAULT", 7)],
)
def test_pick_input_by_index_or_name(spec, index):
    assert pick_input(spec, INPUTS).index == index


def test_pick_input_takes_the_first_when_none_is_default():
    assert pick_input(None, INPUTS[:2]).index == 0


def test_an_ambiguous_name_lists_the_matches():
    with pytest.raises(DeviceError, match=r"'USB' matches several inputs: 3 'USB Audio CODEC', 4 'USB Mic'"):
        pick_input("USB", INPUTS)


@pytest.mark.parametrize("spec", ["9", "hdmi"])
def test_an_unknown_input_lists_all_inputs(spec):
    with pytest.raises(DeviceError) as e:
        pick_input(spec, INPUTS)
    assert all(d.label in str(e.value) for d in INPUTS)


def test_no_inputs_names_the_outputs_it_sees(monkeypatch):
    monkeypatch.setattr(mic, "_output_labels", lambda: ["0 'HDMI 0'", "1 'Speakers'"])
    with pytest.raises(DeviceError, match=r"no input device found \(PortAudio sees only outputs: 0 'HDMI 0', 1 'Speakers'\)"):
        pick_input(None, [])
    monkeypatch.setattr(mic, "_output_labels", lambda: [])
    with pytest.raises(DeviceError, match=r"no input device found \(PortAudio sees no audio device at all\)"):
        pick_input(None, [])


# --- PortAudio's errors, each with its own next step ---------------------------------------------------


class FakePortAudioError(Exception):
    pass


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("Error opening InputStream: Device unavailable", -9985), "is busy"),
        (("Error opening InputStream: Unanticipated host error", -9999, (0, -errno.EBUSY, "Device or resource busy")), "is busy"),
        (("Error opening InputStream: Unanticipated host error", -9999, (0, -errno.EACCES, "Permission denied")), "permission denied"),
        (("Error opening InputStream: Invalid sample rate", -9997), "cannot open input 3 'USB Audio CODEC': Error opening"),
    ],
)
def test_portaudio_errors_become_one_clear_line(args, expected):
    error = mic._device_error(INPUTS[1], FakePortAudioError(*args))
    assert expected in str(error) and error.hint


# --- the take file -----------------------------------------------------------------------------------


def tone(seconds: float, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (amplitude * np.sin(2 * np.pi * 440 * t)).astype(np.float32)


def test_the_header_is_valid_after_every_block(tmp_path):
    writer = TakeWriter.create(tmp_path / "t.wav", RATE)
    assert header_frames(writer.path) == 0  # a valid empty WAV before any audio
    for n in range(1, 4):
        writer.write(tone(0.25))
        assert header_frames(writer.path) == n * RATE // 4  # what a reader sees if we die right now
    writer.close()
    samples, rate = read_valid_take(writer.path)
    assert rate == RATE and np.abs(samples - np.tile(tone(0.25), 3)).max() < 1e-4


def test_out_of_range_samples_are_clipped_not_wrapped(tmp_path):
    writer = TakeWriter.create(tmp_path / "t.wav", RATE)
    writer.write(np.array([1.5, -1.5, 0.25], dtype=np.float32))
    writer.close()
    samples, _ = read_valid_take(writer.path)
    assert samples[0] > 0.999 and samples[1] == -1.0 and samples[2] == 0.25


def test_an_existing_out_is_refused(tmp_path):
    out = tmp_path / "t.wav"
    out.write_bytes(b"keep me")
    with pytest.raises(RecordingError, match="already exists"):
        TakeWriter.create(out, RATE)
    assert out.read_bytes() == b"keep me"


def test_default_names_count_up_instead_of_overwriting(tmp_path, monkeypatch):
    now = datetime(2025, 3, 1, 9, 30, 5)
    assert default_take_path(tmp_path, now) == tmp_path / "take-20250301-093005.wav"
    (tmp_path / "take-20250301-093005.wav").touch()
    (tmp_path / "take-20250301-093005-2.wav").touch()
    assert default_take_path(tmp_path, now).name == "take-20250301-093005-3.wav"
    monkeypatch.chdir(tmp_path)
    first, second = TakeWriter.create(None, RATE), TakeWriter.create(None, RATE)
    assert first.path != second.path and first.path.parent == second.path.parent == Path("takes")
    first.close()
    second.close()


class DiskOfSize(io.FileIO):
    """A file on a disk with `room` bytes left: writes past it stop short, then fail with ENOSPC."""

    def __init__(self, path: Path, room: int):
        super().__init__(path, "xb")
        self.room = room

    def write(self, data) -> int:
        fits = max(0, self.room - self.tell())
        if len(data) <= fits:
            return super().write(data)
        if not fits:
            raise OSError(errno.ENOSPC, "No space left on device")
        return super().write(bytes(data)[:fits])


def test_a_full_disk_keeps_a_valid_file_with_what_fit(tmp_path):
    path = tmp_path / "t.wav"
    room = 44 + 2 * RATE - 100  # the header and a little under one second
    writer = TakeWriter(io.BufferedWriter(DiskOfSize(path, room)), RATE, path)
    with pytest.raises(DiskFullError, match=r"stopped after 0\.8 s"):
        for _ in range(8):
            writer.write(tone(0.25))
    writer.close()
    samples, _ = read_valid_take(path)
    assert len(samples) == 3 * RATE // 4  # the three blocks that fit whole; the torn fourth is not declared


# --- the capture state the audio callback shares ------------------------------------------------------


def feed(capture: mic._Capture, block: np.ndarray, overflow: bool = False) -> None:
    capture.callback(block, len(block), None, SimpleNamespace(input_overflow=overflow))


def test_capture_stops_exactly_at_the_target_and_mixes_to_mono():
    capture = mic._Capture(RATE, target_frames=RATE)
    stereo = np.stack([tone(0.3), np.zeros(int(0.3 * RATE), np.float32)], axis=1)
    for _ in range(5):
        feed(capture, stereo)
    assert capture.done and capture.frames == RATE
    blocks = []
    while not capture.blocks.empty():
        blocks.append(capture.blocks.get())
    mono = np.concatenate(blocks)
    assert len(mono) == RATE and np.allclose(mono[: len(stereo)], stereo.mean(axis=1))


def test_the_meter_reports_peak_clipping_and_silence():
    capture = mic._Capture(RATE, target_frames=None)
    feed(capture, tone(0.5, amplitude=0.25)[:, None])
    level = capture.reading()
    assert level.elapsed_s == 0.5 and 0.24 < level.peak <= 0.25 and not level.clipping and level.silent_s == 0
    assert capture.reading().peak == 0  # the peak is since the previous reading
    feed(capture, tone(0.1, amplitude=1.2)[:, None], overflow=True)
    assert capture.reading().clipping and capture.clipped_blocks == 1 and capture.overflows == 1
    feed(capture, np.zeros((2 * RATE, 1), np.float32))
    level = capture.reading()
    assert not level.clipping and level.silent_s == 2.0


def test_the_writer_thread_drains_everything_into_the_file(tmp_path):
    capture = mic._Capture(RATE, target_frames=None)
    for _ in range(7):
        feed(capture, tone(0.1)[:, None])
    capture.blocks.put(None)
    writer = TakeWriter.create(tmp_path / "t.wav", RATE)
    capture.drain(writer)
    writer.close()
    assert header_frames(writer.path) == 7 * RATE // 10


def test_an_empty_or_silent_take_is_an_error(tmp_path):
    take = mic.Take(tmp_path / "t.wav", INPUTS[3], RATE, frames=RATE, peak=1e-4, clipped_blocks=0, overflows=0)
    with pytest.raises(RecordingError, match=r"only silence came from input 7 'default' in 1\.0 s \(muted microphone\?\)"):
        mic._checked(take)
    with pytest.raises(RecordingError, match="nothing was recorded"):
        mic._checked(mic.Take(take.path, take.device, RATE, 0, 0.0, 0, 0))


# --- the command -------------------------------------------------------------------------------------


def test_record_help_shows_examples():
    run = subprocess.run(llaqo("record", "--help"), cwd=REPO, capture_output=True, text=True, env={**os.environ, "COLUMNS": "120", "PYTHONPATH": str(REPO)})
    assert run.returncode == 0, run.stderr
    assert "llaqo record --list-inputs" in run.stdout and "--input" in run.stdout


def test_the_record_module_loads_no_heavy_library():
    code = "import sys, llaqo.record; print(sorted({'torch', 'numpy', 'sounddevice'} & set(sys.modules)))"
    run = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]"
