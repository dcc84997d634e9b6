"""A small copy of a take to embed in the HTML report (`--embed-audio`): mono AAC in an MP4 (.m4a)
container, which every current browser plays, encoded by FFmpeg through PyAV."""

from __future__ import annotations

import io
from pathlib import Path

import av
import numpy as np

from llaqo.model.audio.io import iter_blocks, probe, quiet_stderr

EMBED_RATE = 22050  # Hz: a piano's fundamentals and the brightness a teacher listens for
EMBED_BITRATE = 48_000  # bit/s: ~0.36 MB a minute (~0.5 MB as base64 in the page)
BLOCK_S = 10.0
MIME = "audio/mp4"


def compressed_copy(path: Path) -> tuple[str, bytes]:
    """(MIME type, bytes) of the take as mono AAC at EMBED_BITRATE; streamed block by block."""
    info = probe(path)
    buffer = io.BytesIO()
    with quiet_stderr(), av.open(buffer, mode="w", format="mp4") as out:
        stream = out.add_stream("aac", rate=EMBED_RATE, layout="mono")
        stream.bit_rate = EMBED_BITRATE
        resampler = av.AudioResampler(format="fltp", layout="mono", rate=EMBED_RATE)
        for _, block in iter_blocks(info.path, BLOCK_S):  # (channels, n) float32 at info.rate
            mono = np.ascontiguousarray(block.mean(axis=0, keepdims=True), dtype=np.float32)
            frame = av.AudioFrame.from_ndarray(mono, format="fltp", layout="mono")
            frame.sample_rate = info.rate
            for resampled in resampler.resample(frame):
                out.mux(stream.encode(resampled))
        for resampled in resampler.resample(None):
            out.mux(stream.encode(resampled))
        out.mux(stream.encode(None))
    return MIME, buffer.getvalue()
