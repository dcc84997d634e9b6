"""Decoding audio files into float32 arrays, whole or block by block.

soundfile (libsndfile) reads wav, flac, ogg and mp3; PyAV (FFmpeg, shipped in its wheel) reads m4a/aac
and anything else FFmpeg knows. Arrays are channel-first (c, n) float32 in [-1, 1], at the file's own rate:
resampling belongs to the consumer (the model wants 32 kHz, the transcriber 16 kHz).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from llaqo.common.errors import AudioError, error_text

SOUNDFILE_SUFFIXES = {".wav", ".wave", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aif", ".aiff"}


@dataclass(frozen=True)
class AudioInfo:
    path: Path
    rate: int
    channels: int
    frames: int  # samples per channel (estimated from the container for compressed streams)

    @property
    def duration_s(self) -> float:
        return self.frames / self.rate


def probe(path: str | Path) -> AudioInfo:
    """Rate, channels and length of an audio file, without decoding it (raises AudioError)."""
    path = _existing(path)
    if path.suffix.lower() in SOUNDFILE_SUFFIXES:
        try:
            import soundfile as sf

            info = sf.info(str(path))
            if info.frames > 0:
                return AudioInfo(path, int(info.samplerate), int(info.channels), int(info.frames))
        except Exception:  # libsndfile may not know this codec: let FFmpeg try
            pass
    return _probe_av(path)


def read_audio(path: str | Path) -> tuple[np.ndarray, int]:
    """The whole file as (channels, samples) float32 and its rate."""
    blocks = [b for _, b in iter_blocks(path, block_s=60.0)]
    info = probe(path)
    if not blocks:
        raise AudioError(f"{info.path}: no audio in the file")
    return np.concatenate(blocks, axis=1), info.rate


def iter_blocks(path: str | Path, block_s: float) -> Iterator[tuple[int, np.ndarray]]:
    """Yield (first sample index, block (c, n) float32) of `block_s` seconds each, at the file's rate.

    Memory stays bounded by one block whatever the file's length. The last block may be shorter.
    """
    info = probe(path)
    block = max(1, int(round(block_s * info.rate)))
    reader = _blocks_soundfile if info.path.suffix.lower() in SOUNDFILE_SUFFIXES else _blocks_av
    try:
        yield from reader(info, block)
    except AudioError:
        raise
    except Exception as e:  # a decoder failing half-way through a corrupt file
        raise AudioError(f"{info.path}: cannot decode audio ({_short(e)})") from e


def _existing(path: str | Path) -> Path:
    path = Path(path)
    if not path.exists():
        raise AudioError(f"{path}: no such file")
    if path.is_dir():
        raise AudioError(f"{path}: is a folder, not an audio file")
    if path.stat().st_size == 0:
        raise AudioError(f"{path}: the file is empty")
    return path


def _blocks_soundfile(info: AudioInfo, block: int) -> Iterator[tuple[int, np.ndarray]]:
    import soundfile as sf

    try:
        handle = sf.SoundFile(str(info.path))
    except Exception:
        yield from _blocks_av(info, block)
        return
    with handle:
        start = 0
        while True:
            data = handle.read(block, dtype="float32", always_2d=True)
            if data.shape[0] == 0:
                break
            yield start, np.ascontiguousarray(data.T)
            start += data.shape[0]


def _probe_av(path: Path) -> AudioInfo:
    import av

    try:
        with av.open(str(path)) as container:
            streams = container.streams.audio
            if not streams:
                raise AudioError(f"{path}: no audio stream in the file")
            stream = streams[0]
            rate = int(stream.rate or stream.codec_context.sample_rate or 0)
            channels = int(stream.codec_context.channels or 0)
            if stream.duration is not None and stream.time_base is not None:
                seconds = float(stream.duration * stream.time_base)
            elif container.duration is not None:
                seconds = container.duration / 1_000_000
            else:
                seconds = 0.0
    except AudioError:
        raise
    except Exception as e:
        raise AudioError(f"{path}: not a readable audio file ({_short(e)})") from e
    if rate <= 0 or channels <= 0:
        raise AudioError(f"{path}: not a readable audio file (no sample rate or channels)")
    return AudioInfo(path, rate, channels, int(round(seconds * rate)))


def _blocks_av(info: AudioInfo, block: int) -> Iterator[tuple[int, np.ndarray]]:
    import av

    pending: list[np.ndarray] = []
    held = 0
    start = 0
    with av.open(str(info.path)) as container:
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="fltp", layout=stream.layout, rate=stream.rate)
        for packet in container.demux(stream):
            for frame in packet.decode():
                for out in resampler.resample(frame):
                    pending.append(out.to_ndarray().astype(np.float32, copy=False))
                    held += pending[-1].shape[1]
                while held >= block:
                    data = np.concatenate(pending, axis=1)
                    yield start, data[:, :block]
                    start += block
                    rest = data[:, block:]
                    pending, held = ([rest] if rest.shape[1] else []), rest.shape[1]
        for out in resampler.resample(None):
            pending.append(out.to_ndarray().astype(np.float32, copy=False))
    if pending:
        data = np.concatenate(pending, axis=1)
        for i in range(0, data.shape[1], block):
            yield start + i, data[:, i : i + block]


def _short(e: Exception) -> str:
    return error_text(e)
