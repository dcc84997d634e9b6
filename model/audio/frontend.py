"""The AudioMAE front end: waveform → normalised 32-kHz signal → 128-bin kaldi fbank → 4096-frame chunk.

Each chunk is normalised on its own (mean removed, peak scaled to 0.5) — for an input of up to 40.96 s
that is exactly what the released model saw in training and in the reference demo; a long take is cut
into segments first and every segment is one model input, normalised like a file of its own.
"""

from __future__ import annotations

import numpy as np
import torch
import torchaudio

from llaqo.model.audio import constants as C


def to_model_rate(samples: np.ndarray | torch.Tensor, rate: int) -> torch.Tensor:
    """(channels, n) at `rate` → float32 (channels, m) at 32 kHz, every channel resampled."""
    wave = torch.as_tensor(samples, dtype=torch.float32)
    if wave.dim() == 1:
        wave = wave.unsqueeze(0)
    if rate != C.SAMPLE_RATE:
        wave = torchaudio.functional.resample(wave, orig_freq=rate, new_freq=C.SAMPLE_RATE)
    return wave


def normalise(wave: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Remove the mean and scale the peak to 0.5; mean and peak over all channels and samples."""
    wave = wave - wave.mean()
    return wave / (wave.abs().max() + eps) * 0.5


def fbank(wave: torch.Tensor) -> torch.Tensor:
    """(channels, n) at 32 kHz, normalised → (frames, 128) log-mel of channel 0 (kaldi, htk-compatible)."""
    if wave.shape[-1] < C.WIN:  # shorter than one 25-ms frame: kaldi refuses; the model gets silence
        return torch.zeros(0, C.N_MELS)
    return torchaudio.compliance.kaldi.fbank(
        wave,
        htk_compat=True,
        sample_frequency=C.SAMPLE_RATE,
        use_energy=False,
        window_type="hanning",
        num_mel_bins=C.N_MELS,
        dither=0.0,
        frame_shift=C.FRAME_SHIFT_MS,
        frame_length=C.FRAME_LENGTH_MS,
    )


def pad_or_clip(frames: torch.Tensor, n_frames: int = C.FRAMES_PER_CHUNK) -> torch.Tensor:
    """Zero-pad at the end or clip to exactly `n_frames` rows."""
    if frames.shape[0] >= n_frames:
        return frames[:n_frames]
    return torch.nn.functional.pad(frames, (0, 0, 0, n_frames - frames.shape[0]))


def chunk_features(samples: np.ndarray | torch.Tensor, rate: int) -> torch.Tensor:
    """One model input from up to 40.96 s of audio: (channels, n) at `rate` → (1, 4096, 128)."""
    wave = normalise(to_model_rate(samples, rate))
    return pad_or_clip(fbank(wave)).unsqueeze(0)
