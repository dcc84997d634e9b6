"""Batch invariance: each row's numbers are the ones it gets alone, so batched answers are the reference's.

The reference loop (llaqo.model.testing.reference_loop) asks one question per `generate` call at batch 1;
our path batches questions, left-pads them, and drops rows that are done. Checked at one thread: with
several threads MKL splits a small product between the threads by its row count, so the reference's own
numbers then depend on the thread count (README, "Batch invariance").
"""

import pytest
import torch
from torch import nn

from llaqo.common.generation import GenerationConfig
from llaqo.model.coach.answer import Ask, Row, answer
from llaqo.model.coach.decode import DecodeStats, _Llm
from llaqo.model.coach.invariant import RowGroupLinear, row_groups
from llaqo.model.testing.reference_loop import reference_answer
from tests.coach.conftest import SHORT
from tests.coach.test_answer import QUESTIONS, chunks  # noqa: F401  (fixture)


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_row_group_linear_gives_each_block_the_numbers_it_gets_alone():
    torch.manual_seed(0)
    layer = nn.Linear(96, 80)
    layer.__class__ = RowGroupLinear
    x = torch.randn(12, 1, 96)
    for group in (1, 2, 3, 4, 6):
        with row_groups(group):
            together = layer(x)
        for start in range(0, 12, group):
            alone = nn.functional.linear(x[start : start + group].reshape(group, 96), layer.weight, layer.bias)
            assert torch.equal(together[start : start + group, 0], alone), group
    wide = nn.Linear(512, 512)  # a shape whose kernel families differ from the small one's on some CPUs
    wide.__class__ = RowGroupLinear
    beams = torch.randn(27 * 5, 1, 512)  # a rubric's 27 questions × 5 beams
    with row_groups(5):
        together = wide(beams)
    for start in range(0, 27 * 5, 5):
        alone = nn.functional.linear(beams[start : start + 5, 0], wide.weight, wide.bias)
        assert torch.equal(together[start : start + 5, 0], alone)
    prompt = torch.randn(3, 7, 96)  # a prompt: M = 7 rows per question
    with row_groups(1):
        together = layer(prompt)
    for i in range(3):
        assert torch.equal(together[i], nn.functional.linear(prompt[i], layer.weight, layer.bias))


@pytest.mark.parametrize("beams", [1, 5])
def test_left_padded_rows_get_the_logits_they_get_alone(coach, beams):
    """Prompt and two decoding steps: a batch of three prompt lengths vs each row at batch 1, bit for bit."""
    prefix = coach.audio_prefix(torch.randn(3, 1, 64, generator=torch.Generator().manual_seed(1)))
    prompts = [QUESTIONS[2], QUESTIONS[0], QUESTIONS[2] + " And the pedal?"]
    embeds, mask, lengths = coach.llm_inputs(prefix, prompts)
    assert len(set(lengths)) == 3

    def run(e, m, steps):
        llm = _Llm(coach.llm, m.repeat_interleave(beams, 0), beams, DecodeStats())
        out = [llm(inputs_embeds=e.repeat_interleave(beams, 0))]
        for token in steps:
            out.append(llm.step(torch.full((out[-1].shape[0],), token)))
        return out

    together = run(embeds, mask, [7, 11])
    for i in range(3):
        e, m, _ = coach.llm_inputs(prefix[i : i + 1], prompts[i : i + 1])
        alone = run(e, m, [7, 11])
        for a, t in zip(alone, together):
            assert torch.equal(a, t[i * beams : (i + 1) * beams])


@pytest.mark.parametrize("beams", [1, 5])
def test_batched_answers_are_the_reference_loops_with_no_extra_decoding(coach, chunks, beams):  # noqa: F811
    gens = [GenerationConfig(num_beams=beams, max_length=SHORT),
            GenerationConfig(num_beams=beams, max_length=SHORT + 20, repetition_penalty=8.0, length_penalty=1.2)]
    asks = [Ask(q, gens[i % 2]) for i, q in enumerate(QUESTIONS)]
    stats = DecodeStats()
    ours = answer(coach, chunks, asks, batch_size=3, stats=stats)
    refs = [reference_answer(coach, chunks, a.text, a.generation) for a in asks]
    assert [ours[Row(0, 0, i)] for i in range(len(asks))] == [r.text for r in refs]
    # every row leaves the batch when the reference's generate would stop: the same decoding work
    assert stats.row_steps == sum(r.steps for r in refs)


@pytest.mark.slow
@pytest.mark.parametrize("beams", [1, 5])
def test_at_a_realistic_size_the_rubric_answers_are_the_reference_loops(tmp_path_factory, beams):
    """ViT-B encoder, the spec's Q-Former, a 512×8 LLM; the full rubric on one 40.96-s chunk (minutes)."""
    from dataclasses import replace

    from llaqo.model.coach.build import choose_placement, load_coach
    from llaqo.rubric.schema import load_rubric
    from tests.fixtures.tiny_ckpt import write_released

    model = load_coach(write_released(tmp_path_factory.mktemp("base") / "ckpts", size="base"), choose_placement("cpu"))
    chunk = torch.randn(1, 1, 4096, 128, generator=torch.Generator().manual_seed(0)) * 3 - 5
    base = GenerationConfig(num_beams=beams)
    asks = [Ask(q.text, replace(base, **q.generation)) for q in load_rubric("full").questions]
    stats = DecodeStats()
    ours = answer(model, chunk, asks, stats=stats)
    refs = [reference_answer(model, chunk, a.text, a.generation) for a in asks]
    assert [ours[Row(0, 0, i)] for i in range(len(asks))] == [r.text for r in refs]
    assert stats.row_steps == sum(r.steps for r in refs)


def test_without_invariance_each_layer_is_one_product_for_the_batch(coach, chunks, monkeypatch):  # noqa: F811
    """`invariant=False` (the fast path) never splits a layer's product; the default asks how to split it."""
    from llaqo.model.coach import invariant

    asked = []
    real = invariant.blocks_per_product
    monkeypatch.setattr(invariant, "blocks_per_product", lambda *a: asked.append(a[2:]) or real(*a))
    asks = [Ask(q, GenerationConfig(num_beams=5, max_length=SHORT)) for q in QUESTIONS]
    answer(coach, chunks, asks, invariant=False)
    assert asked == []
    answer(coach, chunks, asks)
    assert (5, len(QUESTIONS)) in asked  # one question's five beams, the batch's questions
