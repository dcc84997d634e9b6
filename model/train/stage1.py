"""Stage 1: Q-Former pre-training on audio–caption pairs (BLIP-2 stage 1, as the LLaQo/APT reference's
`lam` model): a FROZEN AudioMAE encoder, no LLM, three objectives summed —

  ATC  audio-text contrastive: query outputs and the caption's [CLS] output, projected to `embed_dim` and
       normalised; similarity = max over queries; learnable temperature; symmetric cross-entropy over the
       batch, label smoothing 0.1 (the other processes' features join as negatives through accelerate's gather).
  ATM  audio-text matching: queries and caption in ONE bidirectional pass, a 2-way head on the query
       outputs (mean over queries); per row one positive pair and two hard negatives (a wrong caption for
       the audio, a wrong audio for the caption) drawn ∝ softmax of the in-process contrastive similarities.
  ATG  audio-grounded caption generation: the Q-Former as a decoder — queries see queries, caption token i
       sees every query and caption tokens ≤ i — `[DEC]` as bos, cross-entropy (label smoothing 0.1) on the
       caption tokens.
       The LM head is BERT's prediction head: dense + GELU + LayerNorm, then the word embeddings (tied)
       plus a bias.

The Q-Former, its query tokens and ln_audio carry our LLaQo's names (aligner.*, ln_audio.*, encoder.*),
so the output loads into stage 2/3 (`--stage1 OUT/stage1`).

Shapes: b captions (= audio files) per process, B in all processes, p patches, d encoder width,
q queries, h Q-Former width, e `embed_dim`, t caption tokens (with [CLS]/[DEC] and [SEP]), V BERT vocab.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from llaqo.common.errors import CheckpointError, TrainingError
from llaqo.model.coach.aligner import Aligner
from llaqo.model.coach.config import AlignerConfig, EncoderConfig
from llaqo.model.coach.encoder import AudioEncoder
from llaqo.model.train.checkpoint import check_weights
from llaqo.model.train.config import Stage1Config

OUTPUT = "stage1"  # OUT/stage1/{weights.safetensors, stage1.json, bert/}
HANDOFF = ("aligner.", "ln_audio.")  # what a stage-2/3 run takes from stage 1


class CaptionTokenizer:
    """Uncased BERT WordPiece with `[DEC]` added (the Q-Former's vocabulary), `[CLS] caption [SEP]`,
    truncated on the right (a caption's start matters most)."""

    def __init__(self, folder: Path, max_tokens: int):
        from transformers import BertTokenizer

        try:
            self.tok = BertTokenizer.from_pretrained(str(folder), do_lower_case=True)
        except (OSError, ValueError, TypeError) as e:
            raise CheckpointError(f"{folder}: not a BERT tokenizer folder ({e})") from None
        self.tok.add_special_tokens({"bos_token": "[DEC]"})
        self.dec_id = self.tok.bos_token_id
        self.pad_id = self.tok.pad_token_id
        self.max_tokens = max_tokens

    def __len__(self) -> int:
        return len(self.tok)

    def __call__(self, captions: list[str], device) -> tuple[torch.Tensor, torch.Tensor]:
        """→ ids (b, t), mask (b, t)."""
        enc = self.tok(captions, padding="longest", truncation=True, max_length=self.max_tokens, return_tensors="pt")
        return enc["input_ids"].to(device), enc["attention_mask"].to(device)


class Stage1Model(nn.Module):
    def __init__(self, encoder_cfg: EncoderConfig, aligner_cfg: AlignerConfig, cfg: Stage1Config,
                 tokenizer: CaptionTokenizer):
        super().__init__()
        if not (cfg.contrastive or cfg.matching or cfg.generation):
            raise TrainingError("stage1: every objective is off", "enable stage1.contrastive, matching or generation")
        self.cfg, self.encoder_cfg, self.aligner_cfg = cfg, encoder_cfg, aligner_cfg
        self.tok = tokenizer
        self.encoder = AudioEncoder(encoder_cfg)
        self.ln_audio = nn.LayerNorm(encoder_cfg.embed_dim)
        self.aligner = Aligner(aligner_cfg, encoder_cfg.embed_dim)
        h = aligner_cfg.hidden
        self.audio_proj = nn.Linear(h, cfg.embed_dim)
        self.text_proj = nn.Linear(h, cfg.embed_dim)
        self.itm_head = nn.Linear(h, 2)
        self.lm_transform = nn.Sequential(nn.Linear(h, h), nn.GELU(), nn.LayerNorm(h, eps=1e-12))
        self.lm_bias = nn.Parameter(torch.zeros(aligner_cfg.vocab_size))
        self.temp = nn.Parameter(torch.tensor(float(cfg.temperature)))
        self.last: dict[str, float] = {}  # the latest value of each objective (for metrics)

    @property
    def qformer(self):
        return self.aligner.qformer

    # the audio side: window 0 of each chunk (10.24 s), as compat mode feeds one window to the Q-Former
    def encode(self, chunks: torch.Tensor) -> torch.Tensor:
        """(b, 1, frames, mels) → (b, p, d); no graph through the encoder when it is frozen."""
        window = chunks[..., : self.encoder_cfg.window_frames, :]
        frozen = not any(p.requires_grad for p in self.encoder.parameters())
        with torch.set_grad_enabled(torch.is_grad_enabled() and not frozen):
            tokens = self.encoder(window)[:, 0]
        return self.ln_audio(tokens)

    def queries(self, audio: torch.Tensor) -> torch.Tensor:
        """(b, p, d) → (b, q, h): the queries alone reading the audio."""
        q = self.aligner.query_tokens.expand(audio.shape[0], -1, -1)
        return self.qformer(input_ids=None, query_embeds=q, encoder_hidden_states=audio,
                            encoder_attention_mask=self._audio_mask(audio)).last_hidden_state

    def text_cls(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """(b, t) → (b, h): [CLS] of the caption alone (no queries: the layers skip cross-attention)."""
        return self.qformer(input_ids=ids, attention_mask=mask).last_hidden_state[:, 0]

    def forward(self, chunks: torch.Tensor, questions: list[str], captions: list[str]) -> torch.Tensor:
        """chunks (b, 1, 4096, 128), captions (the tables' answers; questions unused) → the summed loss."""
        del questions  # stage 1 reads no question: the caption is the text
        if len(captions) < 2 and self.cfg.matching:
            raise TrainingError("stage1: matching needs at least 2 captions per batch", "raise --batch-size")
        device = self.audio_proj.weight.device
        audio = self.encode(chunks.to(device))  # (b, p, d)
        ids, mask = self.tok(captions, device)  # (b, t)
        losses: dict[str, torch.Tensor] = {}
        sim_a2t = None
        if self.cfg.contrastive or self.cfg.matching:
            query_out = self.queries(audio)  # (b, q, h)
            audio_feat = F.normalize(self.audio_proj(query_out), dim=-1)  # (b, q, e)
            text_feat = F.normalize(self.text_proj(self.text_cls(ids, mask)), dim=-1)  # (b, e)
            losses["atc"], sim_a2t = self.contrastive(audio_feat, text_feat)
        if self.cfg.matching:
            losses["atm"] = self.matching(audio, ids, mask, sim_a2t.detach())
        if self.cfg.generation:
            losses["atg"] = self.generation(audio, ids, mask)
        if not self.cfg.contrastive:
            losses.pop("atc", None)
        self.last = {k: v.detach().float().item() for k, v in losses.items()}
        return sum(losses.values())

    def contrastive(self, audio_feat: torch.Tensor, text_feat: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """audio (b, q, e), text (b, e) → (loss, in-process similarities (b, b) audio×text, scaled)."""
        with torch.no_grad():
            self.temp.clamp_(0.001, 0.5)  # BLIP-2's bounds
        all_audio, all_text, offset = _gather(audio_feat), _gather(text_feat), _offset(audio_feat.shape[0])
        # max over queries of the query·text similarity: (b, B) and (b, B)
        sim_a2t = torch.einsum("bqe,ce->bcq", audio_feat, all_text).amax(-1) / self.temp
        sim_t2a = torch.einsum("be,cqe->bcq", text_feat, all_audio).amax(-1) / self.temp
        targets = torch.arange(audio_feat.shape[0], device=audio_feat.device) + offset
        # label smoothing 0.1, as the reference's ATC
        loss = (F.cross_entropy(sim_a2t, targets, label_smoothing=0.1)
                + F.cross_entropy(sim_t2a, targets, label_smoothing=0.1)) / 2
        local = slice(offset, offset + audio_feat.shape[0])
        return loss, sim_a2t[:, local]

    def matching(self, audio: torch.Tensor, ids: torch.Tensor, mask: torch.Tensor, sim: torch.Tensor) -> torch.Tensor:
        """audio (b, p, d), caption (b, t), sim (b, b) audio×text → cross-entropy of the 2-way head over
        3b pairs: (audio i, caption i) matched; (audio i, a hard wrong caption), (a hard wrong audio, caption i) not.
        In training the negatives are drawn from the torch RNG (saved in every checkpoint: a resumed run draws
        the same ones)."""
        b = audio.shape[0]
        eye = torch.eye(b, dtype=torch.bool, device=sim.device)
        w_a2t = F.softmax(sim.float(), dim=1).masked_fill(eye, 0) + 1e-12 * (~eye)
        w_t2a = F.softmax(sim.float().t(), dim=1).masked_fill(eye, 0) + 1e-12 * (~eye)
        if self.training:
            neg_text = torch.multinomial(w_a2t, 1).squeeze(1)  # (b,) a caption for each audio
            neg_audio = torch.multinomial(w_t2a, 1).squeeze(1)  # (b,) an audio for each caption
        else:  # evaluation draws nothing from the RNG: the hardest negative
            neg_text, neg_audio = w_a2t.argmax(1), w_t2a.argmax(1)
        pair_audio = torch.cat([audio, audio, audio[neg_audio]])  # (3b, p, d)
        pair_ids = torch.cat([ids, ids[neg_text], ids])  # (3b, t)
        pair_mask = torch.cat([mask, mask[neg_text], mask])
        q = self.aligner.query_tokens.expand(3 * b, -1, -1)
        query_mask = torch.ones(q.shape[:2], dtype=pair_mask.dtype, device=pair_mask.device)
        out = self.qformer(input_ids=pair_ids, attention_mask=torch.cat([query_mask, pair_mask], 1), query_embeds=q,
                           encoder_hidden_states=pair_audio, encoder_attention_mask=self._audio_mask(pair_audio))
        logits = self.itm_head(out.last_hidden_state[:, : q.shape[1]]).mean(1)  # (3b, 2)
        labels = torch.cat([torch.ones(b), torch.zeros(2 * b)]).long().to(logits.device)
        return F.cross_entropy(logits.float(), labels)

    def generation(self, audio: torch.Tensor, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """audio (b, p, d), caption (b, t) → token-mean cross-entropy of caption tokens 1.. given `[DEC]` and
        the queries. InstructBlipQFormerModel.forward builds a bidirectional mask only, so this pass runs
        its own embeddings and encoder layers with the (b, 1, q+t, q+t) additive mask built here."""
        q = self.aligner.query_tokens.expand(audio.shape[0], -1, -1)
        nq, t = q.shape[1], ids.shape[1]
        dec = ids.clone()
        dec[:, 0] = self.tok.dec_id
        hidden = self.qformer.embeddings(input_ids=dec, query_embeds=q)  # (b, q+t, h)
        allowed = torch.zeros(audio.shape[0], nq + t, nq + t, dtype=torch.bool, device=ids.device)
        allowed[:, :nq, :nq] = True  # queries see queries only
        allowed[:, nq:, :nq] = True  # text sees every query
        causal = torch.tril(torch.ones(t, t, dtype=torch.bool, device=ids.device))
        allowed[:, nq:, nq:] = causal & mask.bool()[:, None, :]  # and earlier, real caption tokens
        additive = torch.zeros(allowed.shape, dtype=hidden.dtype, device=ids.device)
        additive = additive.masked_fill(~allowed, torch.finfo(hidden.dtype).min)[:, None]  # (b, 1, q+t, q+t)
        out = self.qformer.encoder(hidden, attention_mask=additive, encoder_hidden_states=audio,
                                   encoder_attention_mask=None, query_length=nq).last_hidden_state
        text = self.lm_transform(out[:, nq:-1])  # position i predicts token i + 1: (b, t-1, h)
        logits = F.linear(text, self.qformer.embeddings.word_embeddings.weight, self.lm_bias)  # (b, t-1, V)
        labels = ids[:, 1:].masked_fill(mask[:, 1:] == 0, -100)
        # label smoothing 0.1, as the reference's BERT LM head
        return F.cross_entropy(logits.float().flatten(0, 1), labels.flatten(), ignore_index=-100, label_smoothing=0.1)

    @staticmethod
    def _audio_mask(audio: torch.Tensor) -> torch.Tensor:
        return torch.ones(audio.shape[:-1], dtype=torch.long, device=audio.device)


def _gather(x: torch.Tensor) -> torch.Tensor:
    """(b, …) → (B, …): every process's rows, this process's own rows keeping their gradient (accelerate's
    gather does not carry one; the other processes' rows serve as constant negatives, as in BLIP-2)."""
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return x
    from accelerate.utils import gather

    rows = gather(x.detach().contiguous())
    b, r = x.shape[0], dist.get_rank()
    return torch.cat([rows[: r * b], x, rows[(r + 1) * b :]])


def _offset(b: int) -> int:
    import torch.distributed as dist

    return dist.get_rank() * b if dist.is_available() and dist.is_initialized() else 0


# building from --init, and the hand-off
def build_stage1(init: Path, bert: Path | None, cfg: Stage1Config, device) -> tuple[Stage1Model, Path]:
    """From a released layout or bundle (encoder, ln_audio and Q-Former from it) or a bare AudioMAE vit.pth
    (encoder from it; ln_audio, Q-Former and queries fresh, sized by AlignerConfig's defaults, vocabulary
    from --bert). → (model, the BERT folder)."""
    from llaqo.model.coach.checkpoints import bundle, released
    from llaqo.model.coach.checkpoints.keymap import released_to_ours

    init = Path(init)
    if init.is_file():
        weights = released_to_ours({"audio_encoder.model." + k: v
                                    for k, v in released.load_pickle(init)["model"].items()}, str(init))
        try:
            encoder_cfg = released._encoder_config(weights)
        except KeyError as e:
            raise CheckpointError(f"--init {init}: missing {e.args[0]} (not an AudioMAE vit.pth?)") from None
        if bert is None:
            raise CheckpointError("--init is a bare vit.pth: the Q-Former's vocabulary needs --bert DIR")
        tok = CaptionTokenizer(bert, cfg.max_text_tokens)
        aligner_cfg = AlignerConfig(vocab_size=len(tok))
    else:
        if bundle.is_bundle(init):
            coach_cfg, weights, _, bert_dir = bundle.read_bundle(init)
        elif released.is_released_layout(init):
            layout = released.find_released(init)
            weights = released.load_released_weights(layout)
            coach_cfg, bert_dir = released.infer_config(weights, str(layout.checkpoint)), layout.bert_dir
        else:
            raise CheckpointError(f"--init {init}: neither a vit.pth, a llaqo bundle nor the released layout",
                                  "point --init at `llaqo download`'s folder, its vit.pth, or a bundle")
        bert = Path(bert) if bert else bert_dir
        encoder_cfg, aligner_cfg = coach_cfg.encoder, coach_cfg.aligner
        tok = CaptionTokenizer(bert, cfg.max_text_tokens)
        if len(tok) != aligner_cfg.vocab_size:
            raise CheckpointError(f"--bert {bert}: {len(tok)} tokens, the Q-Former of {init} has "
                                  f"{aligner_cfg.vocab_size}")
    model = Stage1Model(encoder_cfg, aligner_cfg, cfg, tok)
    own = model.state_dict()
    start = {k: v for k, v in weights.items() if k.startswith(("encoder.", *HANDOFF)) and k in own}
    bad = [k for k, v in start.items() if v.shape != own[k].shape]
    if bad:
        raise CheckpointError(f"--init {init}: {bad[0]} has shape {tuple(start[bad[0]].shape)}, "
                              f"expected {tuple(own[bad[0]].shape)}")
    model.load_state_dict(start, strict=False)
    model.bert_dir = Path(bert)
    return model.to(device), Path(bert)


def write_output(model: Stage1Model, out: Path, note: str) -> Path:
    """OUT/stage1: every stage-1 weight (safetensors), the sizes, and the BERT folder — written beside,
    then renamed."""
    import shutil

    from safetensors.torch import save_file

    out = Path(out)
    tmp, final = out / ".stage1-tmp", out / OUTPUT
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    save_file({k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()},
              str(tmp / "weights.safetensors"))
    shutil.copytree(model.bert_dir, tmp / "bert")
    (tmp / "stage1.json").write_text(json.dumps({"encoder": asdict(model.encoder_cfg),
                                                 "aligner": asdict(model.aligner_cfg),
                                                 "stage1": asdict(model.cfg), "note": note}, indent=2))
    if final.exists():
        shutil.rmtree(final)
    tmp.rename(final)
    return final


def load_handoff(model: nn.Module, folder: Path) -> int:
    """Overlay a stage-1 output's aligner.* and ln_audio.* on a coach (stage 2/3); strict over those keys.
    → how many tensors were loaded."""
    from safetensors.torch import load_file

    path = Path(folder) / "weights.safetensors"
    if not path.is_file():
        raise CheckpointError(f"--stage1 {folder}: no weights.safetensors (not a `llaqo train stage1` output)",
                              "point --stage1 at OUT/stage1 of a finished stage-1 run")
    weights = {k: v for k, v in load_file(str(path)).items() if k.startswith(HANDOFF)}
    own = {k: v for k, v in model.state_dict().items() if k.startswith(HANDOFF)}
    check_weights(own, weights, f"--stage1 {folder}: does not fit the coach of --init")
    model.load_state_dict(weights, strict=False)
    return len(weights)
