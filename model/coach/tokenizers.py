"""The two tokenizers the coach uses, set up exactly as the released model's.

LLM (Vicuna, sentencepiece): the reference's slow LlamaTokenizer with pad `[PAD]` and cls `<AUDIO>` added
(vocab 32000 → 32002) and bos/eos/unk all set to `</s>`. For a question without special-token text that
tokenizer yields `[</s>] + sentencepiece(question)`; we call sentencepiece directly, which is both exact
and independent of how a transformers release converts tokenizers.

Q-Former (uncased BERT WordPiece): `[DEC]` added as bos (vocab 30522 → 30523), truncation from the left
at 128 tokens, `[CLS] … [SEP]` around the question.
"""

from __future__ import annotations

from pathlib import Path

import sentencepiece as spm
import torch

from llaqo.common.errors import CheckpointError


class LlmTokenizer:
    def __init__(self, model_file: Path):
        try:
            self.sp = spm.SentencePieceProcessor(model_file=str(model_file))
        except (OSError, RuntimeError) as e:
            raise CheckpointError(f"{model_file}: not a sentencepiece model ({e})") from None
        base = self.sp.get_piece_size()
        self.eos_id = self.sp.piece_to_id("</s>")
        self.bos_id = self.eos_id  # the released model sets bos = eos = `</s>`
        self.literal_bos_id = self.sp.piece_to_id("<s>")  # the original bos, now ordinary text
        self.pad_id = base  # `[PAD]`, added first
        self.audio_id = base + 1  # `<AUDIO>`, never generated nor used as input
        self.vocab_size = base + 2

    def encode(self, text: str) -> list[int]:
        return [self.bos_id] + self.sp.encode(text)

    def encode_prompt(self, text: str, max_tokens: int) -> list[int]:
        """The prompt as the reference trains on it: left-truncated to `max_tokens`, its leading `</s>` kept."""
        ids = self.encode(text)
        return ids if len(ids) <= max_tokens else ids[:1] + ids[len(ids) - max_tokens + 1 :]

    def encode_answer(self, text: str, max_tokens: int) -> list[int]:
        """answer + `</s>` as the reference tokenizes it (`</s>` answer `</s>`, right-truncated to
        `max_tokens`), without the leading `</s>` it then drops."""
        return ([self.bos_id] + self.sp.encode(text) + [self.eos_id])[:max_tokens][1:]

    def decode(self, ids: list[int]) -> str:
        """Text as the reference's `batch_decode(skip_special_tokens=True)` gives it, then stripped.

        Special ids are skipped (id 0 counts as eos, as the reference maps it first). `<s>` is no longer
        special once bos is `</s>`, so the reference writes it literally between the decoded pieces.
        """
        parts, pending = [], []
        for i in ids:
            i = self.eos_id if i == 0 else i
            if i in (self.eos_id, self.pad_id, self.audio_id):
                continue
            if i == self.literal_bos_id:
                parts.append(self.sp.decode(pending))
                parts.append("<s>")
                pending = []
            else:
                pending.append(i)
        parts.append(self.sp.decode(pending))
        return " ".join(p for p in parts if p).strip()


class QuestionTokenizer:
    """Uncased BERT tokenizer for the question that enters the Q-Former."""

    def __init__(self, folder: Path, max_tokens: int = 128):
        from transformers import BertTokenizer

        try:
            self.tok = BertTokenizer.from_pretrained(str(folder), do_lower_case=True)
        except (OSError, ValueError, TypeError) as e:
            raise CheckpointError(f"{folder}: not a BERT tokenizer folder ({e})") from None
        self.tok.add_special_tokens({"bos_token": "[DEC]"})
        self.tok.truncation_side = "left"
        self.max_tokens = max_tokens

    def __len__(self) -> int:
        return len(self.tok)

    def __call__(self, questions: list[str], device: torch.device | str = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
        """→ ids (n, t), mask (n, t), right-padded to the longest question."""
        enc = self.tok(
            questions, padding="longest", truncation=True, max_length=self.max_tokens, return_tensors="pt"
        )
        return enc["input_ids"].to(device), enc["attention_mask"].to(device)
