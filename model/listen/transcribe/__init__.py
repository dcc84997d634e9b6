"""Audio → notes: the Transcriber protocol, its two backends (fast: basic-pitch ONNX; accurate: transkun),
and `resolve_transcriber`, the one place the `auto` rule lives. Importing this package costs no torch."""

from llaqo.model.listen.transcribe.base import Transcriber
from llaqo.model.listen.transcribe.resolve import TranscriberChoice, choose_transcriber, resolve_transcriber

__all__ = ["Transcriber", "TranscriberChoice", "choose_transcriber", "resolve_transcriber"]
