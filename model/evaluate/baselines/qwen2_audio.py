"""Qwen2-Audio-7B-Instruct as an Engine, so that it answers the benchmark through the same path as ours.

transformers' `Qwen2AudioForConditionalGeneration` + `AutoProcessor`, from a local folder or the hub
(`Qwen/Qwen2-Audio-7B-Instruct`): the chat template with one audio part and the question, 16-kHz mono audio
(the segment as the project decodes it, channels averaged, resampled with soxr's HQ filter — what
`librosa.load` does in the model card), greedy decoding, at most 256 new tokens.

Its audio encoder takes at most 30 s. Each 40-s segment is therefore cut into windows of 20.48 s — two
of our 10.24-s model windows, the longest such span that fits — and every window is asked on its own,
leaving one remark per window with its times, as the neural coach does with its windows.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from llaqo.common.device import Device
from llaqo.common.errors import CheckpointError
from llaqo.model.audio import constants as C
from llaqo.model.audio.chunks import AudioSegment
from llaqo.rubric.parse import remark_from_text
from llaqo.rubric.report import Answer
from llaqo.rubric.schema import Rubric

HUB_ID = "Qwen/Qwen2-Audio-7B-Instruct"
RATE = 16_000
WINDOW_SECONDS = 2 * C.WINDOW_SECONDS  # 20.48 s ≤ the encoder's 30 s
MIN_WINDOW_SECONDS = 0.5  # a shorter tail joins the window before it


class Qwen2AudioEngine:
    name = "qwen2-audio"
    reason = "baseline: Qwen2-Audio-7B-Instruct, asked for with --baseline qwen2-audio"
    join_tail_s = 0.0  # a tail segment stays its own (the model hears each segment whole)

    def __init__(self, model, processor, source: str, device, max_new_tokens: int = 256, batch_size: int = 8):
        self.model = model
        self.processor = processor
        self.source = source
        self.device = device
        self.max_new_tokens = max_new_tokens
        self.batch_size = batch_size
        processor.tokenizer.padding_side = "left"  # generation continues every row from its own end

    @classmethod
    def load(cls, source: str | Path | None = None, device: Device | str = "auto", **kw) -> Qwen2AudioEngine:
        import torch
        from transformers import AutoProcessor, Qwen2AudioForConditionalGeneration

        source = str(source or os.environ.get("LLAQO_QWEN2_AUDIO") or HUB_ID)
        dev = Device.parse(device).torch()
        dtype = torch.bfloat16 if dev.type == "cuda" else torch.float32
        try:
            processor = AutoProcessor.from_pretrained(source)
            model = Qwen2AudioForConditionalGeneration.from_pretrained(source, dtype=dtype)
        except (OSError, ValueError) as e:
            first = (str(e).strip().splitlines() or [type(e).__name__])[0]
            raise CheckpointError(f"Qwen2-Audio cannot be loaded from {source} ({first[:160]})",
                                  f"pass --baseline-model with a local copy of {HUB_ID}") from None
        return cls(model.to(dev).eval(), processor, source, dev, **kw)

    def heard_part(self) -> dict | None:
        return None  # hears audio features, not notes

    def score_errors(self) -> list[dict] | None:
        return None  # compares no score

    def describe(self) -> dict[str, str]:
        return {"model": f"Qwen2-Audio ({self.source})", "device": str(self.device)}

    def heard_note(self) -> str:
        return (f"Qwen2-Audio hears at most 30 s per input: every segment was cut into {WINDOW_SECONDS:.2f}-s "
                "windows, each asked on its own at 16 kHz mono, with one remark per window.")

    def answer_segment(self, segment: AudioSegment, rubric: Rubric) -> list[Answer]:
        answers = [Answer.for_question(q) for q in rubric.questions]
        for start_s, wave in windows_16k(segment):
            end_s = start_s + wave.shape[0] / RATE
            texts = self.generate(wave, [q.text for q in rubric.questions])
            for answer, q, text in zip(answers, rubric.questions, texts):
                answer.remarks.append(remark_from_text(q, start_s, end_s, text))
        return answers

    def generate(self, wave: np.ndarray, questions: list[str]) -> list[str]:
        """wave (n,) float32 at 16 kHz; one answer per question, batched (left padding)."""
        import torch

        out = []
        for start in range(0, len(questions), self.batch_size):
            batch = questions[start:start + self.batch_size]
            prompts = [self.processor.apply_chat_template(
                [{"role": "user", "content": [{"type": "audio", "audio_url": "segment"}, {"type": "text", "text": q}]}],
                add_generation_prompt=True, tokenize=False) for q in batch]
            inputs = self.processor(text=prompts, audio=[wave] * len(batch), sampling_rate=RATE,
                                    return_tensors="pt", padding=True).to(self.device)
            inputs["input_features"] = inputs["input_features"].to(self.model.dtype)
            with torch.no_grad():
                ids = self.model.generate(**inputs, max_new_tokens=self.max_new_tokens, do_sample=False,
                                          num_beams=1)
            out += self.processor.batch_decode(ids[:, inputs["input_ids"].shape[1]:], skip_special_tokens=True)
        return [t.strip() for t in out]


def windows_16k(segment: AudioSegment) -> list[tuple[float, np.ndarray]]:
    """The segment as 16-kHz mono windows of at most WINDOW_SECONDS: [(start_s in the take, (n,) float32)]."""
    import soxr

    mono = segment.samples.mean(axis=0) if segment.samples.ndim == 2 else segment.samples
    wave = soxr.resample(mono.astype(np.float32), segment.rate, RATE, quality="HQ").astype(np.float32)
    step = int(WINDOW_SECONDS * RATE)
    n = max(1, math.ceil(len(wave) / step))
    if n > 1 and len(wave) - (n - 1) * step < MIN_WINDOW_SECONDS * RATE:
        n -= 1  # the short tail stays with the last full window (still under 30 s)
    bounds = [i * step for i in range(n)] + [len(wave)]
    return [(segment.start_s + bounds[i] / RATE, wave[bounds[i]:bounds[i + 1]]) for i in range(n)]
