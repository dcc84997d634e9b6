"""LLaQo: AudioMAE encoder → Q-Former aligner (reads the question too) → one projected query → frozen Vicuna.

Shapes: b chunks, w windows per chunk, p patches, d encoder width, n rows of the Q-Former batch,
q queries, h Q-Former width, a audio positions in the LLM input, D LLM width, L LLM input length.
"""

from __future__ import annotations

import contextlib

import torch
from torch import nn
from transformers import LlamaForCausalLM

from llaqo.common.generation import GenerationConfig
from llaqo.model.coach.aligner import Aligner
from llaqo.model.coach.config import CoachConfig
from llaqo.model.coach.decode import DecodeStats, decode
from llaqo.model.coach.encoder import AudioEncoder
from llaqo.model.coach.tokenizers import LlmTokenizer, QuestionTokenizer


class LLaQo(nn.Module):
    def __init__(self, cfg: CoachConfig, llm: LlamaForCausalLM, llm_tok: LlmTokenizer, question_tok: QuestionTokenizer):
        super().__init__()
        self.cfg = cfg
        self.encoder = AudioEncoder(cfg.encoder)
        self.ln_audio = nn.LayerNorm(cfg.encoder.embed_dim)
        self.aligner = Aligner(cfg.aligner, cfg.encoder.embed_dim)
        self.llm_proj = nn.Linear(cfg.aligner.hidden, cfg.llm_hidden)
        self.audio_indicator_token = nn.Parameter(torch.zeros(1, 1, cfg.llm_hidden))
        self.llm = llm
        self.llm_tok = llm_tok
        self.question_tok = question_tok

    @property
    def device(self) -> torch.device:
        return self.llm_proj.weight.device

    def autocast(self) -> contextlib.AbstractContextManager:
        """On CUDA the encoder and Q-Former run under autocast in the LLM's half dtype (as the reference
        does in fp16); on the CPU everything is fp32."""
        llm_dtype = self.llm.dtype
        if self.device.type == "cuda" and llm_dtype in (torch.float16, torch.bfloat16):
            return torch.autocast("cuda", dtype=llm_dtype)
        return contextlib.nullcontext()

    # 1. audio → patch tokens (independent of the question: run once per chunk)
    def encode(self, chunks: torch.Tensor) -> torch.Tensor:
        """(b, 1, 4096, 128) fbank → (b, w, p, d)."""
        with self.autocast():
            return self.ln_audio(self.encoder(chunks.to(self.device)))

    # 2. question + patch tokens → query outputs
    def align(self, audio: torch.Tensor, questions: list[str]) -> torch.Tensor:
        """audio (n, p, d), one question per row → (n, q, h) in fp32."""
        ids, mask = self.question_tok(questions, self.device)
        with self.autocast():
            out = self.aligner(audio, ids, mask)
        return out.float()

    # 3. query outputs → what the LLM hears
    def audio_prefix(self, queries: torch.Tensor) -> torch.Tensor:
        """(rows, a, h) → (rows, 1 + a, D) fp32: the audio indicator, then the projected queries.

        compat: a = 1, query 0 of one window — how the released checkpoint was trained.
        full: a = w·q, every query of every window.
        """
        proj = self.llm_proj(queries)
        indicator = self.audio_indicator_token.expand(proj.shape[0], -1, -1)
        return torch.cat([indicator, proj], dim=1)

    def select_queries(self, aligned: torch.Tensor) -> torch.Tensor:
        """(rows, w, q, h) → (rows, a, h) by mode. In compat mode each row holds ONE window."""
        if self.cfg.mode == "compat":
            return aligned[:, 0, :1]
        return aligned.flatten(1, 2)

    # 4. prompt + audio → LLM input embeddings, left-padded
    def llm_inputs(self, prefix: torch.Tensor, prompts: list[str]) -> tuple[torch.Tensor, torch.Tensor, list[int]]:
        """[emb(first prompt token)] [prefix] [emb(rest of prompt)] per row.

        → embeds (rows, L, D) in the LLM dtype, mask (rows, L), the unpadded length of each row.
        """
        rows = [self.llm_row(audio, self.llm_tok.encode(prompt)) for audio, prompt in zip(prefix, prompts)]
        lengths = [r.shape[0] for r in rows]
        width = max(lengths)
        embeds = prefix.new_zeros(len(rows), width, rows[0].shape[-1], dtype=self.llm.dtype)
        mask = torch.zeros(len(rows), width, dtype=torch.long, device=self.device)
        for i, r in enumerate(rows):
            embeds[i, width - r.shape[0] :] = r
            mask[i, width - r.shape[0] :] = 1
        return embeds, mask, lengths

    def llm_row(self, audio: torch.Tensor, ids: list[int]) -> torch.Tensor:
        """One row of the LLM input: [emb(ids[0])] [audio (1 + a, D)] [emb(ids[1:])] → (len, D), LLM dtype."""
        text = self.llm.get_input_embeddings()(torch.tensor(ids, device=self.device))
        return torch.cat([text[:1].float(), audio, text[1:].float()]).to(self.llm.dtype)

    # training: the same rows as inference, the answer appended, right-padded, with labels
    max_question_tokens = 128  # the prompt, left-truncated (its `</s>` kept), as the reference's max_txt_len
    max_answer_tokens = 256  # `</s>` + answer + `</s>`, right-truncated, then the leading `</s>` dropped

    def training_inputs(self, prefix: torch.Tensor, questions: list[str], answers: list[str]):
        """(rows, 1 + a, D) → embeds (rows, L, D), mask (rows, L), labels (rows, L).

        Row: [</s>] [indicator] [audio] [question] [answer </s>] [pad…]. Labels are −100 except on the answer
        and its `</s>`. Right padding keeps every real token at the position the reference gives it.
        """
        rows, targets = [], []
        for audio, q, a in zip(prefix, questions, answers):
            prompt = self.llm_tok.encode_prompt(q, self.max_question_tokens)
            answer = self.llm_tok.encode_answer(a, self.max_answer_tokens)
            rows.append(self.llm_row(audio, prompt + answer))
            targets.append([-100] * (len(prompt) + audio.shape[0]) + answer)
        width = max(r.shape[0] for r in rows)
        embeds = prefix.new_zeros(len(rows), width, rows[0].shape[-1], dtype=self.llm.dtype)
        mask = torch.zeros(len(rows), width, dtype=torch.long, device=self.device)
        labels = torch.full((len(rows), width), -100, dtype=torch.long, device=self.device)
        for i, (r, t) in enumerate(zip(rows, targets)):
            embeds[i, : r.shape[0]] = r
            mask[i, : r.shape[0]] = 1
            labels[i, : len(t)] = torch.tensor(t, device=self.device)
        return embeds, mask, labels

    def forward(self, chunks: torch.Tensor, questions: list[str], answers: list[str]) -> torch.Tensor:
        """The training loss: chunks (b, 1, 4096, 128), one question and answer per chunk → scalar,
        the token-mean cross-entropy over the answers and their `</s>` (the reference model's `forward`).

        In compat mode only window 0 reaches the LLM, so only window 0 is encoded (the other windows
        cannot change the loss or its gradient).
        """
        if self.cfg.mode == "compat":
            chunks = chunks[..., : self.cfg.encoder.window_frames, :]
        audio = self.encode(chunks)  # (b, w, p, d)
        b, w = audio.shape[:2]
        aligned = self.align(audio.flatten(0, 1), [q for q in questions for _ in range(w)])  # (b·w, q, h)
        prefix = self.audio_prefix(self.select_queries(aligned.reshape(b, w, *aligned.shape[1:])))
        embeds, mask, labels = self.training_inputs(prefix, questions, answers)
        logits = self.llm(inputs_embeds=embeds, attention_mask=mask).logits
        # next-token prediction: position t predicts token t + 1
        return nn.functional.cross_entropy(logits[:, :-1].float().flatten(0, 1), labels[:, 1:].flatten(),
                                           ignore_index=-100)

    # 5. generate
    @torch.no_grad()
    def generate(self, embeds: torch.Tensor, mask: torch.Tensor, lengths: list[int], gen: GenerationConfig,
                 stats: DecodeStats | None = None, invariant: bool = True) -> list[str]:
        """Each row may make at most `max_length − its own length` new tokens (the reference's budget)
        and leaves the batch when it is done, so a row's answer does not depend on the other rows
        (`invariant`: nor its numbers; `model.coach.decode.decode`)."""
        budgets = [gen.max_length - n for n in lengths]
        if gen.max_new_tokens is not None:
            budgets = [min(b, gen.max_new_tokens) for b in budgets]
        texts = [""] * len(lengths)
        live = [i for i, b in enumerate(budgets) if b > 0]
        if not live:
            return texts
        ids = decode(self.llm, embeds[live], mask[live], [budgets[i] for i in live], gen, self.llm_tok.eos_id, stats,
                     invariant)
        for i, row in zip(live, ids):
            texts[i] = self.llm_tok.decode(row)
        return texts
