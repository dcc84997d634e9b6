"""How the coach generates an answer: the one type both the coach's config and a rubric question's
`generation:` overrides are checked against (llaqo.common.config reads its fields)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from llaqo.common.config import check

_POSITIVE = check(lambda v: v > 0, "a positive integer")


@dataclass(frozen=True)
class GenerationConfig:
    """The reference's defaults: beam 5, repetition penalty 1.5 over generated ids, max length 256
    counting the input embeddings (so at most 256 − L new tokens). `max_new_tokens` caps the answer
    further (None: only max_length bounds it)."""

    KEY_NOUN = "setting"  # a rubric's `generation:` holds settings, not fields

    num_beams: int = field(default=5, metadata=_POSITIVE)
    repetition_penalty: float = 1.5
    length_penalty: float = 1.0
    max_length: int = field(default=256, metadata=_POSITIVE)
    max_new_tokens: int | None = field(default=None, metadata=_POSITIVE)

    def fast(self) -> GenerationConfig:
        """Greedy decoding with the same penalties and budget: `--fast`."""
        return replace(self, num_beams=1)
