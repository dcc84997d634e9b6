"""The weights a run starts from (`--init`): a released-layout folder or a bundle — the coach is built
exactly as `ask`/`assess` build it; the frozen LLM and the question tokenizer are found for the bundle."""

from __future__ import annotations

from pathlib import Path

from llaqo.common.errors import CheckpointError
from llaqo.model.coach.checkpoints import bundle, released


def init_parts(init: Path) -> tuple[Path, Path]:
    """→ (LLM folder, question-tokenizer folder) of `init`."""
    init = Path(init)
    if bundle.is_bundle(init):
        return init / "llm", init / "question-tokenizer"
    if released.is_released_layout(init):
        layout = released.find_released(init)
        return layout.llm_dir, layout.bert_dir
    raise CheckpointError(f"--init {init}: neither a llaqo bundle nor the released checkpoint layout",
                          "point --init at `llaqo download`'s folder or a bundle")
