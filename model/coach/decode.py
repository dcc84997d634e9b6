"""Batched decoding that drops each row as soon as it is done: greedy and beam search, as transformers'
`generate` decodes ONE row.

A batch used to decode every row until its longest row ended. Here a row leaves the batch (and its KV
cache rows are dropped) at the step where `generate` would have stopped for that row alone: greedy at
`</s>` or its length budget; beam search when no open beam can beat its finished ones any more, or every
candidate hit `</s>`/the budget. So the rows decoded are the tokens the one-at-a-time reference decodes.

Greedy follows transformers' `_sample` (processors on the logits, argmax); beam search runs
transformers' own beam-search steps (`_get_top_k_continuations`, `_update_finished_beams`, …, the
functions its `_beam_search` loop calls) on the rows still open, so the two cannot drift apart; a test
compares both with `generate` at batch 1. Layer numbers are kept batch-invariant by
`model.coach.invariant` (row blocks, attention without the padding).

Shapes: n rows (questions), B beams, L input length, D LLM width, V vocabulary, t tokens so far.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch
from transformers import DynamicCache, LlamaForCausalLM, LogitsProcessorList, RepetitionPenaltyLogitsProcessor
from transformers.cache_utils import DynamicLayer

from llaqo.common.generation import GenerationConfig
from llaqo.model.coach.invariant import ROW_ATTENTION, row_groups


@dataclass
class DecodeStats:
    """LLM work: `row_steps` counts every (question, forward call) pair — a question's B beams are one row."""

    row_steps: int = 0
    calls: int = 0


class BufferedLayer(DynamicLayer):
    """A KV-cache layer in a buffer allocated once for the whole answer: a new token is written in place
    (transformers' DynamicLayer concatenates, copying the whole cache at every step), and a beam reorder
    moves only the rows whose parent beam changed. Keys and values stay views (rows, heads, length, hd)."""

    def __init__(self, capacity: int):
        super().__init__()
        self.capacity, self.length = capacity, 0
        self.shared = 0  # leading positions equal in every beam of a question (the prompt, then their common
        # history; the beam search sets it before each reorder): a reorder does not move them

    def update(self, key_states: torch.Tensor, value_states: torch.Tensor, *args, **kwargs):
        t = key_states.shape[-2]
        if not self.is_initialized:
            self.device, self.is_initialized = key_states.device, True
            shape = (*key_states.shape[:2], max(self.capacity, t), key_states.shape[-1])
            self.buf_k, self.buf_v = key_states.new_empty(shape), value_states.new_empty(shape)
        if self.length + t > self.buf_k.shape[-2]:  # past the capacity (never, when sized right): grow, the
            # new token written again in its own place below
            self.buf_k = torch.cat([self.buf_k[:, :, : self.length], key_states], -2)
            self.buf_v = torch.cat([self.buf_v[:, :, : self.length], value_states], -2)
        self.buf_k[:, :, self.length : self.length + t] = key_states
        self.buf_v[:, :, self.length : self.length + t] = value_states
        self.length += t
        self._views()
        return self.keys, self.values

    def _views(self) -> None:
        self.keys, self.values = self.buf_k[:, :, : self.length], self.buf_v[:, :, : self.length]

    def reorder_cache(self, beam_idx: torch.LongTensor) -> None:
        moved = (beam_idx != torch.arange(beam_idx.shape[0], device=beam_idx.device)).nonzero().flatten()
        if self.length > self.shared and moved.numel():
            src = beam_idx[moved]
            # a parent is always a beam of the same question, whose leading `shared` positions hold the same
            # numbers: only the rest moves. Gathered (a copy) before written: a row may be both a parent and
            # a child
            keys, values = self.keys[:, :, self.shared :], self.values[:, :, self.shared :]
            keys.index_copy_(0, moved, keys.index_select(0, src))
            values.index_copy_(0, moved, values.index_select(0, src))

    def expand_rows(self, times: int) -> None:
        """Each row becomes `times` consecutive copies (a question's beams after its one prompt pass)."""
        if self.is_initialized:
            self.buf_k = self.buf_k.repeat_interleave(times, 0)
            self.buf_v = self.buf_v.repeat_interleave(times, 0)
            self._views()

    def batch_select_indices(self, indices: torch.Tensor) -> None:
        if self.is_initialized:
            self.buf_k, self.buf_v = self.buf_k[indices], self.buf_v[indices]
            self._views()


class _Lineage:
    """Which generated positions each question's beams still hold in common. Every token written to the cache
    gets an id; a beam reorder carries the ids with the rows. Where all of a question's beams hold the same id
    they hold copies of one computation, the same numbers, so a reorder need not move that position: beams
    part only near the end, and the common history is most of what a reorder used to copy."""

    def __init__(self, rows: int, beams: int, device: torch.device):
        self.ids = torch.zeros(rows, 0, dtype=torch.long, device=device)
        self.beams = beams

    def reorder(self, parents: torch.Tensor) -> int:
        """parents (rows,): each new row's parent row → the number of leading generated positions common to
        the beams of every question in which a row changes parent."""
        moved = (parents != torch.arange(len(parents), device=parents.device)).reshape(-1, self.beams).any(-1)
        t = self.ids.shape[1]
        if moved.any() and t:
            # what the rows hold now: where all of a question's beams hold one id, copying changes nothing
            ids = self.ids.reshape(-1, self.beams, t)[moved]
            t = int((ids == ids[:, :1]).all(1).long().cumprod(-1).sum(-1).min())
        self.ids = self.ids[parents]
        return t

    def written(self) -> None:
        """A new token was written at the end of every row."""
        fresh = torch.arange(self.ids.shape[0], device=self.ids.device)[:, None]  # distinct within the position
        self.ids = torch.cat([self.ids, fresh], 1)

    def keep(self, rows: torch.Tensor) -> None:
        self.ids = self.ids[rows]


class _Llm:
    """One forward call of the LLM on the open rows, with their cache, mask and positions."""

    def __init__(self, llm: LlamaForCausalLM, mask: torch.Tensor, rows_per_question: int, stats: DecodeStats,
                 capacity: int = 0, invariant: bool = True):
        self.llm, self.mask, self.group, self.stats = llm, mask, rows_per_question, stats
        self.invariant = invariant
        self.cache = DynamicCache(config=llm.config)
        self.cache.layers = [BufferedLayer(capacity) for _ in self.cache.layers]

    def __call__(self, **inputs) -> torch.Tensor:
        """→ fp32 logits of the last position (rows, V)."""
        positions = (self.mask.cumsum(-1) - 1).masked_fill(self.mask == 0, 0)[:, -self._new(inputs):]
        self.stats.calls += 1
        self.stats.row_steps += self.mask.shape[0] // self.group
        attn = self.llm.config._attn_implementation
        if self.invariant:  # left padding: each row attends alone; else one masked product for the batch
            self.llm.config._attn_implementation = ROW_ATTENTION
        try:
            with row_groups(self.group) if self.invariant else contextlib.nullcontext():
                out = self.llm(**inputs, attention_mask=self.mask, position_ids=positions,
                               cache=self.cache, use_cache=True, logits_to_keep=1)
        finally:
            self.llm.config._attn_implementation = attn
        return out.logits[:, -1].to(copy=True, dtype=torch.float32)

    @staticmethod
    def _new(inputs) -> int:
        return (inputs["inputs_embeds"] if "inputs_embeds" in inputs else inputs["input_ids"]).shape[1]

    def step(self, tokens: torch.Tensor) -> torch.Tensor:
        """tokens (rows,) → logits after them."""
        self.mask = torch.cat([self.mask, self.mask.new_ones(self.mask.shape[0], 1)], dim=1)
        return self(input_ids=tokens[:, None])

    def expand(self, beams: int) -> None:
        """After the prompt pass at one row per question: `beams` rows per question from here on."""
        for layer in self.cache.layers:
            layer.expand_rows(beams)
        self.mask = self.mask.repeat_interleave(beams, 0)
        self.group = beams

    def keep(self, rows: torch.Tensor) -> None:
        """Keep only these batch rows (indices into the current batch)."""
        self.cache.batch_select_indices(rows)
        self.mask = self.mask[rows]


def _processors(gen: GenerationConfig) -> LogitsProcessorList:
    # the reference's only active processor (min_length 1 falls to 0 once the embeddings are counted)
    return LogitsProcessorList([RepetitionPenaltyLogitsProcessor(gen.repetition_penalty)])


@torch.no_grad()
def decode(llm: LlamaForCausalLM, embeds: torch.Tensor, mask: torch.Tensor, budgets: list[int],
           gen: GenerationConfig, eos_id: int, stats: DecodeStats | None = None,
           invariant: bool = True) -> list[list[int]]:
    """embeds (n, L, D) left-padded, mask (n, L), a new-token budget per row (each ≥ 1) → the new ids of
    each row (its `</s>` included when it made one). `invariant`: each row's linear layers in the products
    it gets alone (bit for bit the reference's); False: one product for the whole batch — faster where the
    reference's products are small (greedy's M = 1 reads every weight once per row), and the same answers
    except where two tokens tie to the last bits."""
    stats = stats if stats is not None else DecodeStats()
    if gen.num_beams == 1:
        return _greedy(llm, embeds, mask, budgets, gen, eos_id, stats, invariant)
    return _beam(llm, embeds, mask, budgets, gen, eos_id, stats, invariant)


def _greedy(llm, embeds, mask, budgets, gen, eos_id, stats, invariant) -> list[list[int]]:
    n = embeds.shape[0]
    model = _Llm(llm, mask, 1, stats, mask.shape[1] + max(budgets), invariant)
    process = _processors(gen)
    budget = torch.tensor(budgets, device=embeds.device)
    alive = torch.arange(n, device=embeds.device)  # original row of each batch row
    generated = torch.zeros(n, 0, dtype=torch.long, device=embeds.device)
    out: list[list[int]] = [[] for _ in range(n)]
    logits = model(inputs_embeds=embeds)
    while True:
        tokens = process(generated, logits).argmax(-1)
        generated = torch.cat([generated, tokens[:, None]], dim=1)
        done = (tokens == eos_id) | (generated.shape[1] >= budget)
        for i in done.nonzero().flatten().tolist():
            out[alive[i]] = generated[i].tolist()
        if done.all():
            return out
        if done.any():
            keep = (~done).nonzero().flatten()
            model.keep(keep)
            generated, tokens, budget, alive = generated[keep], tokens[keep], budget[keep], alive[keep]
        logits = model.step(tokens)


def _beam(llm, embeds, mask, budgets, gen, eos_id, stats, invariant) -> list[list[int]]:
    """transformers' beam search (`GenerationMixin._beam_search`), one batch row per question, with the
    rows whose search is over taken out of the batch. State tensors are (rows, B, …) as there."""
    n, beams, device = embeds.shape[0], gen.num_beams, embeds.device
    early_stopping = llm.generation_config.early_stopping
    keep_k = 2 * beams  # (1 eos + 1) × beams candidates, as transformers keeps
    top_mask = torch.arange(keep_k, device=device) < beams
    width = max(budgets)
    s = {
        "running": torch.full((n, beams, width), eos_id, dtype=torch.long, device=device),
        # only the first beam starts open, so the beams do not begin as copies of each other
        "running_scores": torch.where(torch.arange(beams, device=device) == 0, 0.0, -1e9).expand(n, -1).clone(),
        "running_idx": torch.full((n, beams, width), -1, dtype=torch.int32, device=device),
        "finished": torch.full((n, beams, width), eos_id, dtype=torch.long, device=device),
        "finished_scores": torch.full((n, beams), -1e9, device=device),
        "finished_idx": torch.full((n, beams, width), -1, dtype=torch.int32, device=device),
        "is_finished": torch.zeros(n, beams, dtype=torch.bool, device=device),
        "can_improve": torch.ones(n, 1, dtype=torch.bool, device=device),
        "budget": torch.tensor(budgets, device=device),
        "alive": torch.arange(n, device=device),  # original row of each batch row
    }
    out: list[list[int]] = [[] for _ in range(n)]
    process = _processors(gen)
    # The prompt runs once per question, not once per beam as in `generate`: its B copies would be the same
    # numbers (M = B·L and M = L rows take one kernel family; attention is per row), so each question's
    # cache and logits are copied to its beams instead, a fifth of the prompt's work.
    model = _Llm(llm, mask, 1, stats, mask.shape[1] + width, invariant)
    logits = model(inputs_embeds=embeds).repeat_interleave(beams, 0)
    model.expand(beams)
    prompt, lineage = mask.shape[1], _Lineage(n * beams, beams, device)
    cur = 0
    while True:
        rows = s["running"].shape[0]
        seen = s["running"][:, :, :cur].reshape(rows * beams, cur)
        log_probs = process(seen, torch.log_softmax(logits, dim=-1)).reshape(rows, beams, -1)
        log_probs = (log_probs + s["running_scores"][:, :, None]).reshape(rows, -1)
        top_scores, top_seqs, top_idx = llm._get_top_k_continuations(
            accumulated_log_probs=log_probs, running_sequences=s["running"], running_beam_indices=s["running_idx"],
            cur_len=cur, decoder_prompt_len=0, do_sample=False, beams_to_keep=keep_k, num_beams=beams,
            batch_size=rows)
        hits = (top_seqs[:, :, cur] == eos_id) | (cur + 1 >= s["budget"][:, None])
        s["running"], s["running_scores"], s["running_idx"] = llm._get_running_beams_for_next_iteration(
            topk_log_probs=top_scores, topk_running_sequences=top_seqs, topk_running_beam_indices=top_idx,
            next_token_hits_stopping_criteria=hits, num_beams=beams)
        s["finished"], s["finished_scores"], s["finished_idx"], s["is_finished"] = llm._update_finished_beams(
            sequences=s["finished"], topk_running_sequences=top_seqs, beam_scores=s["finished_scores"],
            topk_log_probs=top_scores, beam_indices=s["finished_idx"], topk_running_beam_indices=top_idx,
            is_early_stop_heuristic_unsatisfied=s["can_improve"], is_sent_finished=s["is_finished"],
            next_token_hits_stopping_criteria=hits, top_num_beam_mask=top_mask, num_beams=beams, cur_len=cur,
            decoder_prompt_len=0, length_penalty=gen.length_penalty, early_stopping=early_stopping)
        parents = s["running_idx"][..., cur].flatten().long()
        common = prompt + lineage.reorder(parents)
        for layer in model.cache.layers:
            layer.shared = common
        model.cache.reorder_cache(parents)
        cur += 1
        s["can_improve"] = llm._check_early_stop_heuristic(
            is_early_stop_heuristic_unsatisfied=s["can_improve"], running_beam_scores=s["running_scores"],
            beam_scores=s["finished_scores"], is_sent_finished=s["is_finished"], cur_len=cur,
            max_length=s["budget"][:, None].float(), decoder_prompt_len=0, early_stopping=early_stopping,
            length_penalty=gen.length_penalty)
        # `_beam_search_has_unfinished_sequences`, row by row
        open_beam = ~(s["is_finished"].all(-1) & (early_stopping is True))
        done = ~(s["can_improve"][:, 0] & open_beam & ~hits.all(-1))
        for i in done.nonzero().flatten().tolist():
            out[s["alive"][i]] = s["finished"][i, 0, :cur].tolist()
        if done.all():
            return out
        if done.any():
            keep = (~done).nonzero().flatten()
            kept = (keep[:, None] * beams + torch.arange(beams, device=device)).flatten()
            model.keep(kept)
            lineage.keep(kept)
            s = {k: v[keep] for k, v in s.items()}
        logits = model.step(s["running"][:, :, cur - 1].flatten())
        lineage.written()
