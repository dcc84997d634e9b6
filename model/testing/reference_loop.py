"""The public reference's answering loop, re-created on our modules: the yardstick for the batched path.

The reference (github anusfoil/LLaQo, `lam_vicuna_instruct.generate`, called by its demo and evaluation
scripts) answers ONE question per call: it encodes all four windows of the 40.96-s input, runs the
Q-Former on the four windows with the question, keeps query 0 of window 0, projects it, puts the audio
indicator and that query behind the first prompt token, and calls transformers' `generate` at batch 1
with its settings (beam search, `max_length` 256 counting the input embeddings, `min_length` 1,
repetition penalty, length penalty). Our encoder, Q-Former and LLM give the reference's numbers
bit for bit at batch 1 (README, "Parity with the reference implementation"), so this loop runs on the
same random weights as our path on any machine, without the reference's code.

Shapes: w windows, p patches, d encoder width, q queries, h Q-Former width, L LLM input length, D LLM width.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import torch

from llaqo.common.generation import GenerationConfig
from llaqo.model.coach.llaqo import LLaQo


@dataclass
class ReferenceAnswer:
    text: str
    ids: list[int]
    steps: int  # LLM forward calls: the tokens the reference's generate decoded


@torch.no_grad()
def reference_answer(model: LLaQo, chunk: torch.Tensor, question: str, gen: GenerationConfig) -> ReferenceAnswer:
    """chunk (1, 1, 4096, 128), one question → the reference's answer (compat mode, the released model)."""
    device = model.device
    # 1. every window of the input through AudioMAE, then ln_audio: (w, p, d), window-major as the reference
    audio = model.ln_audio(model.encoder(chunk.to(device)).flatten(0, 1))
    # 2. the Q-Former reads the same question for each window: (w, q, h)
    n = audio.shape[0]
    text = model.question_tok.tok([question] * n, padding="longest", truncation=True,
                                  max_length=model.question_tok.max_tokens, return_tensors="pt").to(device)
    queries = model.aligner.query_tokens.expand(n, -1, -1)
    query_mask = torch.ones(queries.shape[:-1], dtype=torch.long, device=device)
    out = model.aligner.qformer(
        input_ids=text.input_ids, attention_mask=torch.cat([query_mask, text.attention_mask], dim=1),
        query_embeds=queries, encoder_hidden_states=audio,
        encoder_attention_mask=torch.ones(audio.shape[:-1], dtype=torch.long, device=device),
    ).last_hidden_state[:, : queries.shape[1]]
    # 3. `aligner_output[:, :query_tokens.size(0)]` with size(0) == 1: query 0 of window 0 only
    inputs_llm = model.llm_proj(out.float()[:1, :1])  # (1, 1, D)
    inputs_llm = torch.cat([model.audio_indicator_token.expand(1, -1, -1), inputs_llm], dim=1)
    # 4. [emb(</s>)] [indicator] [query] [emb(rest of the prompt)]
    ids = torch.tensor([model.llm_tok.encode(question)], device=device)
    embeds = model.llm.get_input_embeddings()(ids)
    embeds = torch.cat([embeds[:, :1], inputs_llm.to(embeds.dtype), embeds[:, 1:]], dim=1)
    mask = torch.ones(embeds.shape[:2], dtype=torch.long, device=device)
    # 5. transformers' generate at batch 1 with the reference's arguments
    steps = _count_forwards(model.llm)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # top_p / temperature are ignored without sampling, as in the reference
        outputs = model.llm.generate(
            inputs_embeds=embeds.to(model.llm.dtype), attention_mask=mask, do_sample=False, top_p=0.9,
            temperature=1.0, num_beams=gen.num_beams, max_length=gen.max_length, min_length=1,
            repetition_penalty=gen.repetition_penalty, length_penalty=gen.length_penalty, num_return_sequences=1,
        )
    steps.remove()
    outputs[outputs == 0] = 2  # the reference maps id 0 to eos before decoding
    row = outputs[0].tolist()
    return ReferenceAnswer(model.llm_tok.decode(row), row, steps.calls)


class _count_forwards:
    """Counts the LLM's forward calls while installed."""

    def __init__(self, llm: torch.nn.Module):
        self.calls = 0
        self.handle = llm.register_forward_pre_hook(self._hook)

    def _hook(self, module, args):
        self.calls += 1

    def remove(self) -> None:
        self.handle.remove()
