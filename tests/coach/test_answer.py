from types import SimpleNamespace

import pytest
import torch

from llaqo.common.generation import GenerationConfig
from llaqo.model.audio.frontend import chunk_features
from llaqo.model.audio.io import read_audio
from llaqo.model.coach.answer import Ask, Row, answer
from tests.coach.conftest import SHORT

QUESTIONS = [
    "How clean is the attack?",
    "Is the legato even?",
    "What is the primary piano technique used in this track?",
    " How is the note accuracy?",
]


@pytest.fixture(scope="module")
def chunks(take):
    x, rate = read_audio(take)
    return chunk_features(x, rate).unsqueeze(0)


def test_compat_hears_one_query_full_hears_every_query(coach, coach_full, chunks):
    prompt_len = len(coach.llm_tok.encode(QUESTIONS[0]))
    for model, audio_positions in ((coach, 1), (coach_full, 4 * 32)):
        audio = model.encode(chunks)
        assert audio.shape == (1, 4, 512, 64)  # (b, w, p, d)
        aligned = model.align(audio[0], [QUESTIONS[0]] * 4).reshape(1, 4, 32, 64)
        prefix = model.audio_prefix(model.select_queries(aligned[:, :1] if model.cfg.mode == "compat" else aligned))
        embeds, mask, lengths = model.llm_inputs(prefix, [QUESTIONS[0]])
        assert lengths == [prompt_len + 1 + audio_positions]  # + the audio indicator
        assert embeds.shape == (1, lengths[0], 64) and mask.all()


def test_first_llm_position_is_the_eos_bos_then_the_audio(coach, chunks):
    ids = coach.llm_tok.encode(QUESTIONS[0])
    assert ids[0] == coach.llm_tok.eos_id == 2
    prefix = torch.randn(1, 2, 64)
    embeds, _, _ = coach.llm_inputs(prefix, [QUESTIONS[0]])
    table = coach.llm.get_input_embeddings().weight
    assert torch.equal(embeds[0, 0], table[2])
    assert torch.equal(embeds[0, 1:3], prefix[0])
    assert torch.equal(embeds[0, 3], table[ids[1]])


@pytest.mark.parametrize("beams", [1, 5])
def test_batched_answers_equal_one_at_a_time(coach, chunks, beams):
    gen = GenerationConfig(num_beams=beams, max_length=SHORT)
    together = answer(coach, chunks, [Ask(q, gen) for q in QUESTIONS], windows=[[0, 1]], batch_size=8)
    assert len(together) == len(QUESTIONS) * 2
    for qi, q in enumerate(QUESTIONS):
        for win in (0, 1):
            alone = answer(coach, chunks, [Ask(q, gen)], windows=[[win]])
            assert alone[Row(0, win, 0)] == together[Row(0, win, qi)], (q, win)


def test_answers_depend_on_the_audio_and_the_question(coach, chunks):
    gen = GenerationConfig(num_beams=1, max_length=SHORT)
    out = answer(coach, torch.cat([chunks, torch.zeros_like(chunks)]), [Ask(q, gen) for q in QUESTIONS[:2]])
    assert out[Row(0, 0, 0)] != out[Row(1, 0, 0)]  # silence vs music
    assert out[Row(0, 0, 0)] != out[Row(0, 0, 1)]  # two questions


def test_each_row_keeps_its_own_length_budget(coach, chunks):
    """A short question next to a long one may still use max_length − its own length, as alone."""
    gen = GenerationConfig(num_beams=1, max_length=SHORT, repetition_penalty=1.0)
    prefix = coach.audio_prefix(torch.zeros(2, 1, 64))
    embeds, mask, lengths = coach.llm_inputs(prefix, [QUESTIONS[0], QUESTIONS[2]])
    out = coach.generate(embeds, mask, lengths, gen)
    assert lengths[0] < lengths[1]
    alone = coach.generate(*coach.llm_inputs(prefix[:1], [QUESTIONS[0]]), gen)
    assert out[0] == alone[0]


def test_pinned_greedy_output_for_the_seeded_fixture(coach, chunks):
    """Guards the whole path (front end → encoder → Q-Former → LLM) against silent changes."""
    audio = coach.encode(chunks)
    aligned = coach.align(audio[0], [QUESTIONS[0]] * 4).reshape(1, 4, 32, 64)
    embeds, mask, lengths = coach.llm_inputs(coach.audio_prefix(coach.select_queries(aligned[:, :1])), [QUESTIONS[0]])
    from transformers import GenerationConfig as HF

    ids = coach.llm.generate(inputs_embeds=embeds, attention_mask=mask, generation_config=HF(
        do_sample=False, num_beams=1, max_new_tokens=8, eos_token_id=2, pad_token_id=2, bos_token_id=2))
    prefix = coach.audio_prefix(coach.select_queries(aligned[:, :1]))
    assert ids[0].tolist() == [184, 46, 172, 376, 66, 172, 394, 239]
    assert chunks.mean().item() == pytest.approx(PINNED_FBANK_MEAN, rel=1e-4)
    assert audio.abs().mean().item() == pytest.approx(PINNED_AUDIO, rel=1e-4)
    assert prefix.abs().mean().item() == pytest.approx(PINNED_PREFIX, rel=1e-4)


PINNED_FBANK_MEAN, PINNED_AUDIO, PINNED_PREFIX = -3.78052, 0.804750, 2.557477


def test_tokenizers(coach):
    tok = coach.llm_tok
    assert tok.vocab_size == tok.sp.get_piece_size() + 2 and (tok.pad_id, tok.audio_id) == (tok.vocab_size - 2, tok.vocab_size - 1)
    assert tok.encode("Is the legato even?") == [2] + tok.sp.encode("Is the legato even?")
    assert tok.decode([0, *tok.sp.encode("the scale"), tok.pad_id, 2]) == "the scale"
    # `<s>` (id 1) is ordinary text once bos is `</s>`: the reference writes it literally
    assert tok.decode([*tok.sp.encode("the scale"), 1, *tok.sp.encode("is even")]) == "the scale <s> is even"
    ids, mask = coach.question_tok(["Is the legato even?", "How clean is the attack? " * 60])
    vocab = coach.question_tok.tok
    assert ids[0, 0] == vocab.cls_token_id and ids[1, -1] == vocab.sep_token_id
    assert ids.shape[1] == 128 and mask[1].all() and not mask[0].all()
    assert vocab.convert_tokens_to_ids("[DEC]") == len(vocab) - 1 == coach.cfg.aligner.vocab_size - 1
    # left truncation keeps the end of an over-long question
    assert vocab.decode(ids[1, -4:-1]) == "the attack?"


def test_question_generation_settings_and_fast(coach):
    from llaqo.model.coach.engine import CoachEngine
    from llaqo.rubric.schema import load_rubric

    verbal = load_rubric("full").question("legato.verbal")
    assert verbal.generation == {"repetition_penalty": 8.0, "length_penalty": 1.2}
    beam = CoachEngine(coach, "tiny", "cpu").ask_for(verbal).generation
    greedy = CoachEngine(coach, "tiny", "cpu", fast=True, max_length=64).ask_for(verbal).generation
    assert (beam.num_beams, beam.repetition_penalty, beam.length_penalty, beam.max_length) == (5, 8.0, 1.2, 256)
    assert (greedy.num_beams, greedy.repetition_penalty, greedy.max_length) == (1, 8.0, 64)


@pytest.mark.parametrize("exact", [False, True])
def test_exact_reaches_the_answering_path(coach, monkeypatch, exact):
    """`--exact` (CoachOptions.exact) makes the engine answer with batch invariance; the default does not."""
    from llaqo.model.assess import _coach
    from llaqo.model.coach import build, engine
    from llaqo.model.options import CoachOptions, EngineOptions

    seen = []
    monkeypatch.setattr(build, "load_coach", lambda *a, **k: coach)
    monkeypatch.setattr(engine, "answer", lambda *a, **k: seen.append(k["invariant"]) or {Row(0, 0, 0): "4"})
    coach_engine = _coach(None, EngineOptions(engine="coach", coach=CoachOptions(exact=exact)))
    assert coach_engine.ask_chunks(torch.zeros(1, 1, 4096, 128), "Rate the legato.") == ["4"]
    assert seen == [exact]


def test_a_batch_holds_as_many_sequences_as_its_kv_cache_budget(coach, monkeypatch):
    from llaqo.model.coach import answer as answering

    cfg = coach.llm.config
    per_sequence = (2 * cfg.num_hidden_layers * cfg.num_key_value_heads * (cfg.hidden_size // cfg.num_attention_heads)
                    * 4 * 256)  # fp32, max_length 256
    monkeypatch.setattr(answering, "KV_CACHE_MB", 1)
    n = answering.sequences_per_batch(coach, GenerationConfig(num_beams=1))
    assert n * per_sequence <= 2**20 < (n + 1) * per_sequence
    monkeypatch.setattr(answering, "KV_CACHE_MB", 0)  # never fewer than one question's beams
    assert answering.sequences_per_batch(coach, GenerationConfig(num_beams=5)) == 5


def test_on_a_gpu_the_kv_budget_is_a_share_of_its_free_memory(coach, monkeypatch):
    from llaqo.model.coach import answer as answering

    class OnCuda:  # the tiny model's config and dtype, seen as if it sat on a GPU with 8 GiB free
        config, dtype, device = coach.llm.config, coach.llm.dtype, torch.device("cuda", 0)

    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device: (8 * 2**30, 16 * 2**30))
    on_gpu = SimpleNamespace(llm=OnCuda())  # all sequences_per_batch reads of the model
    cfg = coach.llm.config
    per_sequence = (2 * cfg.num_hidden_layers * cfg.num_key_value_heads * (cfg.hidden_size // cfg.num_attention_heads)
                    * 4 * 256)
    gpu = answering.sequences_per_batch(on_gpu, GenerationConfig(num_beams=1))
    assert gpu == int(answering.KV_CACHE_GPU_SHARE * 8 * 2**30) // per_sequence
