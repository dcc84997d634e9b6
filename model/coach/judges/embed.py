"""Audio → AudioMAE patch embeddings of 10.24-s windows, for the PianoJudges heads.

    encoder, encoder_id = load_encoder(Path("ckpts"))        # a released folder, a bundle or a vit.pth
    embedder = Embedder(encoder, encoder_id, device, cache=Path("~/.local/share/llaqo/embeddings"))
    x = embedder.file(Path("take.wav"))                       # (s, p, d) float16, s ≤ 30 windows
    x = embedder.samples(segment.samples, segment.rate)       # the same for audio in memory

Each window goes through the one front end (`chunk_features`: 32 kHz, normalised, kaldi fbank) and the
coach's own encoder, so the heads see what the coach sees. A file's embeddings are cached once as
safetensors under `cache/<encoder id>/<sha256 of the file>.safetensors` (23 MB for 5 min at full size):
training a head reads them back in milliseconds instead of re-encoding every epoch.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch

from llaqo.common.errors import CheckpointError
from llaqo.common.files import sha256_file
from llaqo.model.audio import constants as C
from llaqo.model.audio.frontend import chunk_features
from llaqo.model.audio.io import iter_blocks, probe
from llaqo.model.coach.config import EncoderConfig
from llaqo.model.coach.encoder import AudioEncoder

MAX_SEGMENTS = 30  # 30 windows of 10.24 s ≈ 5 min, as published
BATCH = 8  # windows per encoder call


def load_encoder(path: Path) -> tuple[AudioEncoder, str]:
    """The AudioMAE encoder of a released-layout folder, a llaqo bundle or a bare vit.pth → (encoder in
    eval mode, its fingerprint: the first 16 hex digits of the SHA-256 of its weights)."""
    from llaqo.model.coach.checkpoints import bundle, released
    from llaqo.model.coach.checkpoints.keymap import released_to_ours

    path = Path(path)
    if path.is_file():
        vit = released.load_pickle(path)["model"]
        weights = released_to_ours({"audio_encoder.model." + k: v for k, v in vit.items()}, str(path))
        cfg = released._encoder_config(weights)
    elif bundle.is_bundle(path):
        coach, weights, _, _ = bundle.read_bundle(path)
        cfg = coach.encoder
    elif released.is_released_layout(path):
        layout = released.find_released(path)
        weights = released.load_released_weights(layout)
        cfg = released.infer_config(weights, str(layout.checkpoint)).encoder
    else:
        raise CheckpointError(f"{path}: no AudioMAE encoder here (neither a released folder, a bundle nor a vit.pth)",
                              "give the folder `llaqo download` made, or a bundle")
    return _encoder(cfg, weights, str(path)), fingerprint({k: v for k, v in weights.items()
                                                           if k.startswith("encoder.")})


def _encoder(cfg: EncoderConfig, weights: dict, source: str) -> AudioEncoder:
    encoder = AudioEncoder(cfg, exact_attention=False)
    own = {k.removeprefix("encoder."): v for k, v in weights.items() if k.startswith("encoder.")}
    try:
        encoder.load_state_dict(own, strict=True)
    except RuntimeError as e:
        raise CheckpointError(f"{source}: the encoder's weights do not fit ({str(e).splitlines()[0][:200]})") from None
    return encoder.requires_grad_(False).eval()


def fingerprint(weights: dict[str, torch.Tensor]) -> str:
    digest = hashlib.sha256()
    for key in sorted(weights):
        digest.update(key.encode())
        digest.update(weights[key].detach().to(torch.float32).contiguous().cpu().numpy().tobytes())
    return digest.hexdigest()[:16]


class Embedder:
    def __init__(self, encoder: AudioEncoder, encoder_id: str, device: torch.device | str = "cpu",
                 cache: Path | None = None):
        self.encoder = encoder.to(device)
        self.encoder_id, self.device = encoder_id, torch.device(device)
        self.cache = Path(cache) / encoder_id if cache is not None else None

    @property
    def shape(self) -> tuple[int, int]:
        """(p, d) of one window."""
        cfg = self.encoder.cfg
        return (cfg.window_frames // cfg.patch) * (cfg.n_mels // cfg.patch), cfg.embed_dim

    @torch.no_grad()
    def samples(self, samples, rate: int, max_segments: int = MAX_SEGMENTS) -> torch.Tensor:
        """(channels, n) audio → (s, p, d) float16 on the CPU; s = the 10.24-s windows it fills (≥ 1)."""
        step = int(round(C.WINDOW_SECONDS * rate))
        n = samples.shape[-1]
        starts = list(range(0, max(n, 1), step))[:max_segments]
        windows = torch.cat([chunk_features(samples[..., s:s + step], rate)[:, : C.FRAMES_PER_WINDOW]
                             for s in starts]).unsqueeze(1)  # (s, 1, 1024, 128)
        out = [self.encoder.encode_windows(windows[k:k + BATCH].to(self.device)).to(torch.float16).cpu()
               for k in range(0, len(windows), BATCH)]
        return torch.cat(out)

    def file(self, path: Path, max_segments: int = MAX_SEGMENTS) -> torch.Tensor:
        """The first `max_segments` windows of a file, from the cache when it holds them."""
        from safetensors.torch import load_file, save_file

        cached = self.cache / f"{sha256_file(path)}.safetensors" if self.cache is not None else None
        if cached is not None and cached.is_file():  # it holds the file's first MAX_SEGMENTS windows
            return load_file(str(cached))["patches"][:max_segments]
        block_s = C.WINDOW_SECONDS * MAX_SEGMENTS
        block = next(b for _, b in iter_blocks(path, block_s=block_s))  # probe() refused an empty file
        x = self.samples(block, probe(path).rate, MAX_SEGMENTS)
        if cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            tmp = cached.with_suffix(f".{id(x)}.part")
            save_file({"patches": x.contiguous()}, str(tmp))
            tmp.replace(cached)  # whole or absent, whoever else is filling the cache
        return x[:max_segments]
