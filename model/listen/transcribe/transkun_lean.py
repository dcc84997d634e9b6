"""Load the piano transcriber shipped inside the transkun wheel, and make its inference lean.

transkun 2.0.1 (MIT, Yan & Duan) ships its weights in the wheel (`transkun/pretrained/2.0.pt`), so
nothing is downloaded. Its model: 6 extra-window spectra → conv stem → 6 transformer layers that attend
along frequency and along time over (time × (freq + 90 output tracks)) tokens → a pairwise interval
score per track (88 keys + sustain + soft pedal) → a semi-CRF Viterbi per track → velocity and refined
on/offsets per decoded interval.

What this module changes, all numerically equivalent except the optional int8 step (measured in
docs/listening-engine.md):
- no gradient checkpointing at inference (the backbone wraps every layer in it by default);
- attention: one fused key/value projection, and a 4-d call to `scaled_dot_product_attention` so the
  fused CPU kernel runs instead of the 5-d "math" fallback and its copies;
- features: the six analysis windows built once, power as re² + im² (no square root and back);
- interval scorer: the (T × T) score built in place and laid out once for the Viterbi;
- on CPU, dynamic int8 quantisation of the transformer's Linear layers (fbgemm).
"""

from __future__ import annotations

import json
import math
import sys
import types
import warnings
from importlib import resources

import torch
import torch.nn as nn
import torch.nn.functional as F

WEIGHTS, CONFIG = "2.0.pt", "2.0.conf"


def load_transkun(device: torch.device, quantize: bool) -> nn.Module:
    """The pretrained transkun model in eval mode on `device`, with the lean inference paths."""
    TransKun = _import_model_class()

    folder = resources.files("transkun") / "pretrained"
    values = json.loads((folder / CONFIG).read_text())["Model"]["config"]
    conf = TransKun.Config()
    conf.__dict__.update(values)
    model = TransKun(conf=conf)
    with resources.as_file(folder / WEIGHTS) as path:
        state = torch.load(path, map_location="cpu", weights_only=True)
    # strict=False as in transkun's own loader: the file also holds training-only buffers.
    model.load_state_dict(state.get("best_state_dict", state.get("state_dict", state)), strict=False)
    model.eval()
    lean_inference(model)
    if quantize and device.type == "cpu":
        layers = model.backbone.encoderLayers
        with warnings.catch_warnings():  # eager dynamic quantisation is marked deprecated, still supported
            warnings.simplefilter("ignore")
            model.backbone.encoderLayers = torch.ao.quantization.quantize_dynamic(
                layers, {nn.Linear}, dtype=torch.qint8
            )
    return model.to(device)


def _import_model_class():
    """transkun.ModelTransformer without its evaluation module: `from .Evaluation import *` pulls in
    mir_eval and scipy.stats (0.8 s of a cold start) for training metrics inference never calls. A
    stand-in is registered only while the model module loads; a later real import gets the real one."""
    name = "transkun.Evaluation"
    stub = name not in sys.modules
    if stub:
        sys.modules[name] = types.ModuleType(name)
    try:
        with warnings.catch_warnings():  # transkun's CRF module is TorchScript, which torch now calls deprecated
            warnings.simplefilter("ignore")
            from transkun.ModelTransformer import TransKun
    finally:
        if stub:
            del sys.modules[name]
    return TransKun


def lean_inference(model: nn.Module) -> nn.Module:
    """Swap the slow inference paths for equivalent lean ones (in place)."""
    from transkun.LayersTransformer import MultiHeadAttentionKernel, RMSNorm

    backbone = model.backbone
    backbone.useGradientCheckpoint = False
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, MultiHeadAttentionKernel):
                setattr(parent, name, FusedAttention(child))
            elif isinstance(child, RMSNorm):
                setattr(parent, name, LeanRMSNorm(child.eps))
    for name in ("posEmbedBuilder", "posEmbedBuilderAttnTF", "posEmbedBuilderAttnTE"):
        setattr(backbone, name, CachedEmbedding(getattr(backbone, name)))
    backbone.upConv1dSkip = UpsampleAsMatmul(backbone.upConv1dSkip)
    model.scorer = LeanIntervalScorer(model.scorer)
    model.framewiseFeatureExtractor = LeanMelSpectrum(model.framewiseFeatureExtractor)
    return model


class LeanRMSNorm(nn.Module):
    def __init__(self, eps: float):
        super().__init__()
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.rms_norm(x, (x.shape[-1],), eps=self.eps)


class CachedEmbedding(nn.Module):
    """A learned position embedding of fixed coordinates (always aranges or the 90 tracks): computed once
    per coordinate set instead of at every window (its MLP runs on ~13 000 positions)."""

    def __init__(self, m: nn.Module):
        super().__init__()
        self.inner = m
        self.cache: dict[tuple, torch.Tensor] = {}

    def forward(self, *coords: torch.Tensor) -> torch.Tensor:
        key = tuple((c.device, c.numel(), float(c[0]), float(c[-1]), float(c.sum())) for c in coords)
        if key not in self.cache:
            self.cache[key] = self.inner(*coords)
        return self.cache[key]


class UpsampleAsMatmul(nn.Module):
    """ConvTranspose1d(kernel = stride = k, no padding) as one matmul: (n, c, L) → (n, o, L·k).

    The result is a transposed view of a (n, L·k, o) tensor, so the backbone's final permute to
    (…, T, d) gives contiguous memory for the scorer without a copy.
    """

    def __init__(self, m: nn.ConvTranspose1d):
        super().__init__()
        c, o, k = m.weight.shape
        if m.stride[0] != k or m.padding[0] or m.output_padding[0] or m.groups != 1 or m.dilation[0] != 1:
            raise ValueError("UpsampleAsMatmul reproduces a kernel = stride transposed convolution only")
        self.k, self.o = k, o
        # (c, o, k) -> (c, k·o), k-major, so that the product reshapes to (n, L, k, o)
        self.register_buffer("weight", m.weight.detach().permute(0, 2, 1).reshape(c, k * o).contiguous())
        self.register_buffer("bias", m.bias.detach().repeat(k))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, _, length = x.shape
        y = torch.addmm(self.bias, x.transpose(1, 2).reshape(n * length, -1), self.weight)
        return y.view(n, length * self.k, self.o).transpose(1, 2)


class LeanMelSpectrum(nn.Module):
    """transkun's MelSpectrum (log, to mono): the six window functions fixed once, power as re² + im².

    frames (B, c, T, win) → (B, 1, T, n_mels, 6), the mean power over channels, log-compressed.
    """

    def __init__(self, m: nn.Module):
        super().__init__()
        spectrum = m.spectrogramExtractor
        with torch.no_grad():
            wins = [spectrum.win.unsqueeze(0)] + ([spectrum.winGen.get().t()] if spectrum.nExtraWins else [])
            self.register_buffer("wins", torch.cat(wins, dim=0))  # (6, win)
        self.register_buffer("freq2mels", m.freq2mels)  # (win/2 + 1, n_mels)
        self.eps = m.eps

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        spec = torch.fft.rfft(frames.unsqueeze(-2) * self.wins, norm="ortho")  # (B, c, T, 6, F)
        power = torch.view_as_real(spec).square().sum(-1).mean(dim=1, keepdim=True)
        mel = power @ self.freq2mels  # (B, 1, T, 6, n_mels)
        mel = ((mel + self.eps).log() - math.log(self.eps)) / (-math.log(self.eps))
        return mel.transpose(-1, -2)


class FusedAttention(nn.Module):
    """transkun's MultiHeadAttentionKernel (plain softmax attention), with k and v in one matmul.

    query (..., L, d) attends to key (..., L, d) along L; value is the key, as in every call the
    backbone makes (query = norm(h), key = value = the layer input).
    """

    def __init__(self, m: nn.Module):
        super().__init__()
        self.heads, self.head_dim = m.num_heads, m.head_dim
        inner = self.heads * self.head_dim
        self.q = nn.Linear(m.q_proj_weight.shape[0], inner, bias=False)
        self.kv = nn.Linear(m.k_proj_weight.shape[0], 2 * inner, bias=False)
        with torch.no_grad():
            self.q.weight.copy_(m.q_proj_weight.t())
            self.kv.weight.copy_(torch.cat([m.k_proj_weight, m.v_proj_weight], dim=1).t())
        self.out_proj = m.out_proj

    def forward(self, query: torch.Tensor, key: torch.Tensor | None = None) -> torch.Tensor:
        key = query if key is None else key
        *lead, length, _ = query.shape
        # (b, L, h, e) -> (b, h, L, e) with b = all leading axes flattened
        q = self.q(query).reshape(-1, length, self.heads, self.head_dim).transpose(1, 2)
        k, v = self.kv(key).reshape(-1, length, 2, self.heads, self.head_dim).permute(2, 0, 3, 1, 4)
        out = F.scaled_dot_product_attention(q, k, v)
        return self.out_proj(out.transpose(1, 2).reshape(*lead, length, self.heads * self.head_dim))


class LeanIntervalScorer(nn.Module):
    """transkun's ScaledInnerProductIntervalScorer ("linear" length scaling), built in place and laid
    out begin-major for our Viterbi: ctx (B, P, T, d) → score (B·P, T_begin, T_end).
    """

    def __init__(self, m: nn.Module):
        super().__init__()
        if getattr(m, "lengthScaling", "linear") != "linear" or m.expansionFactor != 1:
            raise ValueError("LeanIntervalScorer reproduces the shipped scorer only (linear, expansion 1)")
        self.map, self.size = m.map, m.size

    def forward(self, ctx: torch.Tensor) -> torch.Tensor:
        q, k, diag = self.map(ctx).split([self.size, self.size, 1], dim=-1)
        steps = ctx.shape[-2]
        idx = torch.arange(steps, device=ctx.device)
        length = (idx.unsqueeze(-1) - idx.unsqueeze(0)).abs().to(ctx.dtype) / math.sqrt(self.size)
        score = torch.matmul(k, q.transpose(-1, -2))  # (B, P, T_begin, T_end) = k_b · q_e
        score.mul_(length)
        score.diagonal(dim1=-2, dim2=-1).add_(diag.squeeze(-1))
        return score.flatten(0, 1)


def window_context(model: nn.Module, frames: torch.Tensor) -> torch.Tensor:
    """frames (B, c, T, win) → track features ctx (B, P, T, d); `model.scorer(ctx[:, tracks])` then gives
    those tracks' interval scores (B·p, T_begin, T_end).

    transkun's `processFramesBatch` without its CRF object: gain-normalise each window, features,
    backbone (the scorer is left to the caller, a few tracks at a time: all 90 tracks' T × T scores are
    the largest thing a window makes).
    """
    mean = frames.mean(dim=(1, 2, 3), keepdim=True)
    std = frames.std(dim=(1, 2, 3), keepdim=True)
    feats = model.framewiseFeatureExtractor((frames - mean) / (std + 1e-8)).contiguous()
    feats = feats.view(frames.shape[0], *feats.shape[-3:])
    tracks = torch.tensor(model.targetMIDIPitch, device=frames.device)
    return model.backbone(feats, outputIndices=tracks)
