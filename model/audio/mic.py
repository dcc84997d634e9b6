"""Recording a take from a microphone: choosing the input, capturing it, streaming it to disk.

Three threads share the work. PortAudio's audio thread calls `_Capture.callback` for every block: it mixes
the block to mono, measures it and queues it (nothing slow happens there). A writer thread drains the
queue into a `TakeWriter` every WRITE_EVERY_S, so a killed recorder loses at most that much plus what the
sound system still buffers. The caller's thread waits for a stop, reads the meter REFRESH_S apart and
hands each reading to the progress object the CLI draws.

A take is kept at the input's own rate, mono, 16-bit; the engines resample when they read it.
"""

from __future__ import annotations

import errno
import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from llaqo.common.errors import DeviceError, RecordingError
from llaqo.model.audio.take_file import TakeWriter

WRITE_EVERY_S = 0.25  # how often the writer thread appends to the file (and rewrites its header)
REFRESH_S = 0.05  # how often the meter is read and drawn
MAX_CHANNELS = 2  # a mono or stereo microphone; more channels of a multi-channel input add nothing
CLIP_LEVEL = 0.999  # |sample| at or above this counts as clipped
SILENCE_PEAK = 10 ** (-60 / 20)  # a take whose loudest sample stays under -60 dBFS is silence
CLIP_SHOWN_S = 1.0  # the meter keeps a clipping warning up this long after the last clipped block
FIRST_AUDIO_TIMEOUT_S = 5.0  # an input that sends nothing in this time is not working
STALL_TIMEOUT_S = 3.0  # an input that stops sending for this long was unplugged or taken away
NO_INPUT_HINT = (
    "plug in or unmute a microphone (on Linux check that PulseAudio/PipeWire or ALSA sees it with `arecord -l`)"
)


@dataclass(frozen=True)
class InputDevice:
    index: int
    name: str
    hostapi: str
    channels: int  # most input channels it offers
    rate: int  # its default (native) sample rate
    is_default: bool = False

    @property
    def label(self) -> str:
        return f"{self.index} '{self.name}'"


@dataclass(frozen=True)
class Level:
    """One meter reading: what the CLI draws."""

    elapsed_s: float  # audio captured so far
    peak: float  # loudest sample since the previous reading, linear 0..1
    clipping: bool  # a clipped block within the last CLIP_SHOWN_S
    silent_s: float  # how long the input has stayed under the silence level


class RecordProgress(Protocol):
    def on_start(self, device: InputDevice, path: Path, seconds: float | None) -> None: ...

    def on_level(self, level: Level) -> None: ...


@dataclass(frozen=True)
class Take:
    path: Path
    device: InputDevice
    rate: int
    frames: int
    peak: float  # loudest sample of the whole take, linear
    clipped_blocks: int
    overflows: int  # blocks the sound system dropped because we were late

    @property
    def seconds(self) -> float:
        return self.frames / self.rate


def load_sounddevice():
    """The sounddevice module; DeviceError when the PortAudio library is missing."""
    try:
        import sounddevice
    except OSError as e:
        raise DeviceError(
            "PortAudio is not installed, so no microphone can be opened",
            hint="sudo apt-get install libportaudio2 (macOS: brew install portaudio)",
        ) from e
    return sounddevice


def list_inputs() -> list[InputDevice]:
    """Every device with input channels, as PortAudio sees it now."""
    sd = load_sounddevice()
    hostapis = [h["name"] for h in sd.query_hostapis()]
    try:
        default = int(sd.query_devices(kind="input")["index"])
    except sd.PortAudioError:
        default = -1
    return [
        InputDevice(
            index=int(d["index"]),
            name=str(d["name"]),
            hostapi=hostapis[d["hostapi"]],
            channels=int(d["max_input_channels"]),
            rate=int(d["default_samplerate"]),
            is_default=int(d["index"]) == default,
        )
        for d in sd.query_devices()
        if d["max_input_channels"] > 0
    ]


def pick_input(spec: str | None, inputs: list[InputDevice] | None = None) -> InputDevice:
    """The input named by `spec` (an index, a name or part of one), or the default input."""
    inputs = list_inputs() if inputs is None else inputs
    if not inputs:
        outputs = _output_labels()
        seen = (
            f"PortAudio sees only outputs: {', '.join(outputs)}" if outputs else "PortAudio sees no audio device at all"
        )
        raise DeviceError(f"no input device found ({seen})", hint=NO_INPUT_HINT)
    if spec is None or not spec.strip():
        return next((d for d in inputs if d.is_default), inputs[0])
    spec = spec.strip()
    if spec.isdigit():
        found = [d for d in inputs if d.index == int(spec)]
    else:
        exact = [d for d in inputs if d.name.lower() == spec.lower()]
        found = exact or [d for d in inputs if spec.lower() in d.name.lower()]
    if len(found) == 1:
        return found[0]
    if found:
        raise DeviceError(
            f"'{spec}' matches several inputs: {describe_inputs(found)}", hint="give its index with --input"
        )
    raise DeviceError(
        f"no input device {spec!r} (inputs: {describe_inputs(inputs)})", hint="pick one with --input NAME|INDEX"
    )


def describe_inputs(inputs: list[InputDevice]) -> str:
    return ", ".join(d.label for d in inputs)


def _output_labels() -> list[str]:
    return [f"{d['index']} '{d['name']}'" for d in load_sounddevice().query_devices()]


class _Capture:
    """State shared by the audio callback (writes), the writer thread and the waiting thread (read)."""

    def __init__(self, rate: int, target_frames: int | None):
        self.rate = rate
        self.target = target_frames
        self.blocks: queue.SimpleQueue[np.ndarray | None] = queue.SimpleQueue()
        self.frames = 0
        self.done = False  # the target length is reached
        self.error: RecordingError | None = None  # from the writer thread
        self.overflows = 0
        self.clipped_blocks = 0
        self.peak = 0.0
        self.window_peak = 0.0
        self.last_clip = -1
        self.last_sound = 0
        self.last_block_at: float | None = None

    def callback(self, indata: np.ndarray, frames: int, time_info, status) -> None:
        """PortAudio's thread: (n, c) float32 in → mono block queued, meter updated."""
        if status.input_overflow:
            self.overflows += 1
        self.last_block_at = time.monotonic()
        if self.done:
            return
        block = indata if self.target is None else indata[: self.target - self.frames]
        peak = float(np.abs(block).max()) if len(block) else 0.0
        self.blocks.put(block.mean(axis=1, dtype=np.float32))
        self.frames += len(block)
        self.peak = max(self.peak, peak)
        self.window_peak = max(self.window_peak, peak)
        if peak >= CLIP_LEVEL:
            self.clipped_blocks += 1
            self.last_clip = self.frames
        if peak >= SILENCE_PEAK:
            self.last_sound = self.frames
        self.done = self.target is not None and self.frames >= self.target

    def drain(self, writer: TakeWriter) -> None:
        """The writer thread: append the queued blocks WRITE_EVERY_S at a time until a None arrives."""
        pending: list[np.ndarray] = []
        held, every = 0, int(self.rate * WRITE_EVERY_S)
        while True:
            block = self.blocks.get()
            if block is not None:
                pending.append(block)
                held += len(block)
            if held and (block is None or held >= every):
                if self.error is None:  # after a failure the rest is dropped, the file stays as it was
                    try:
                        writer.write(np.concatenate(pending))
                    except RecordingError as e:
                        self.error = e
                    except Exception as e:  # a dead writer must stop the recording, not drop it silently
                        self.error = RecordingError(f"cannot write {writer.path}: {e}")
                        self.error.__cause__ = e
                pending, held = [], 0
            if block is None:
                return

    def reading(self) -> Level:
        peak, self.window_peak = self.window_peak, 0.0
        clipping = self.last_clip >= 0 and self.frames - self.last_clip < CLIP_SHOWN_S * self.rate
        return Level(self.frames / self.rate, peak, clipping, (self.frames - self.last_sound) / self.rate)


def record_take(
    spec: str | None,
    out: Path | None,
    seconds: float | None,
    stop: threading.Event,
    progress: RecordProgress | None = None,
) -> Take:
    """Record from input `spec` into `out` (or a new ./takes/take-*.wav) until `seconds` or `stop`.

    Raises DeviceError before any file is made when the input cannot be opened; RecordingError for a
    take that failed (the part written is kept, its path in the message) or that holds only silence.
    """
    sd = load_sounddevice()
    device = pick_input(spec)
    capture = _Capture(device.rate, None if seconds is None else int(round(seconds * device.rate)))
    stream = _open_stream(sd, device, capture.callback)
    try:
        writer = TakeWriter.create(out, device.rate)
    except BaseException:
        stream.close()
        raise
    if progress:
        progress.on_start(device, writer.path, seconds)
    writer_thread = threading.Thread(target=capture.drain, args=(writer,), name="llaqo-take-writer", daemon=True)
    writer_thread.start()
    try:
        with stream:
            _wait(capture, stop, progress, device, writer.path)
    finally:
        capture.blocks.put(None)
        writer_thread.join()
        writer.close()
        if writer.frames == 0 and capture.error is None:
            writer.path.unlink(missing_ok=True)  # an empty WAV is no one's take
    if capture.error:
        raise capture.error
    take = Take(
        writer.path, device, device.rate, writer.frames, capture.peak, capture.clipped_blocks, capture.overflows
    )
    return _checked(take)


def _open_stream(sd, device: InputDevice, callback):
    try:
        return sd.InputStream(
            device=device.index,
            channels=min(device.channels, MAX_CHANNELS),
            samplerate=device.rate,
            dtype="float32",
            callback=callback,
        )
    except sd.PortAudioError as e:
        raise _device_error(device, e) from e


_PA_DEVICE_UNAVAILABLE = -9985
_PA_BAD_IO_DEVICE_COMBINATION = -9993  # what PortAudio's ALSA backend reports for an open it was refused


def _device_error(device: InputDevice, e: Exception) -> DeviceError:
    """PortAudio's error → busy / permission denied / other, each with its next step."""
    text = str(e.args[0]) if e.args else str(e)
    code = e.args[1] if len(e.args) > 1 else None
    host_code = e.args[2][1] if len(e.args) > 2 and e.args[2] else None
    if code == _PA_DEVICE_UNAVAILABLE or host_code == -errno.EBUSY or "busy" in text.lower():
        return DeviceError(
            f"input {device.label} is busy (another program is using it)",
            hint="close that program, or pick another input with --input (see --list-inputs)",
        )
    if (
        host_code in (-errno.EACCES, -errno.EPERM)
        or "permission" in text.lower()
        or code == _PA_BAD_IO_DEVICE_COMBINATION
    ):
        return DeviceError(
            f"permission denied opening input {device.label}",
            hint="join the 'audio' group (sudo usermod -aG audio $USER, then log in again) "
            "or allow microphone access in your system settings",
        )
    return DeviceError(
        f"cannot open input {device.label}: {text}", hint="pick another input with --input (see --list-inputs)"
    )


def _wait(
    capture: _Capture, stop: threading.Event, progress: RecordProgress | None, device: InputDevice, path: Path
) -> None:
    """Block until the target length, `stop`, a writer failure, or an input that went quiet."""
    started = time.monotonic()
    while not stop.wait(REFRESH_S):
        if progress:
            progress.on_level(capture.reading())
        if capture.done or capture.error:
            break
        now = time.monotonic()
        if capture.last_block_at is None and now - started > FIRST_AUDIO_TIMEOUT_S:
            raise RecordingError(
                f"input {device.label} sent no audio in {FIRST_AUDIO_TIMEOUT_S:.0f} s",
                hint="it may be in use by another program or disconnected; try another with --input",
            )
        if capture.last_block_at is not None and now - capture.last_block_at > STALL_TIMEOUT_S:
            raise RecordingError(
                f"input {device.label} stopped sending audio after {capture.frames / capture.rate:.1f} s "
                f"(unplugged?); {path} keeps what came before"
            )
    if progress:
        progress.on_level(capture.reading())


def _checked(take: Take) -> Take:
    """The take, or a RecordingError when it is empty or holds only silence (the file is kept)."""
    if take.frames == 0:
        raise RecordingError("nothing was recorded (stopped before the input sent any audio)")
    if take.peak < SILENCE_PEAK:
        raise RecordingError(
            f"only silence came from input {take.device.label} in {take.seconds:.1f} s (muted microphone?)",
            hint=f"unmute it or raise its input level, or pick another with --input; the silent take is {take.path}",
        )
    return take
