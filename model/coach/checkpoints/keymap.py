"""The released checkpoint's parameter names → ours, as one explicit table.

`{n}` is a layer slot. A key that matches no row raises; buffers the original saved by accident and the
AudioSet classifier we never use are dropped by name, nothing else is.
"""

from __future__ import annotations

import re

from llaqo.common.errors import CheckpointError

_ENC = r"audio_encoder\.model\."
_QF = r"Qformer\.bert\."
_QF_LAYER = _QF + r"encoder\.layer\.(\d+)\."
_SUFFIX = r"(weight|bias)"

# (original pattern, our template). Groups fill {0}, {1}, … in order.
RENAMES: tuple[tuple[str, str], ...] = (
    (_ENC + r"(cls_token|pos_embed)", "encoder.vit.{0}"),
    (_ENC + r"patch_embed\.proj\." + _SUFFIX, "encoder.vit.patch_embed.proj.{0}"),
    (_ENC + r"blocks\.(\d+)\.(norm1|attn\.qkv|attn\.proj|norm2|mlp\.fc1|mlp\.fc2)\." + _SUFFIX,
     "encoder.vit.blocks.{0}.{1}.{2}"),
    (r"ln_audio\." + _SUFFIX, "ln_audio.{0}"),
    (_QF + r"embeddings\.(word_embeddings|position_embeddings)\.weight", "aligner.qformer.embeddings.{0}.weight"),
    (_QF + r"embeddings\.LayerNorm\." + _SUFFIX, "aligner.qformer.embeddings.layernorm.{0}"),
    (_QF_LAYER + r"(attention|crossattention)\.self\.(query|key|value)\." + _SUFFIX,
     "aligner.qformer.encoder.layer.{0}.{1}.attention.{2}.{3}"),
    (_QF_LAYER + r"(attention|crossattention)\.output\.(dense|LayerNorm)\." + _SUFFIX,
     "aligner.qformer.encoder.layer.{0}.{1}.output.{2}.{3}"),
    (_QF_LAYER + r"(intermediate|intermediate_query)\.dense\." + _SUFFIX,
     "aligner.qformer.encoder.layer.{0}.{1}.dense.{2}"),
    (_QF_LAYER + r"(output|output_query)\.(dense|LayerNorm)\." + _SUFFIX,
     "aligner.qformer.encoder.layer.{0}.{1}.{2}.{3}"),
    (r"query_tokens", "aligner.query_tokens"),
    (r"llm_proj\." + _SUFFIX, "llm_proj.{0}"),
    (r"audio_indicator_token", "audio_indicator_token"),
)

DROPPED: tuple[str, ...] = (
    _QF + r"embeddings\.position_ids",  # a buffer, rebuilt by the model
    r"llm_model\.model\.layers\.\d+\.self_attn\.rotary_emb\.inv_freq",  # a buffer of the frozen LLM
    _ENC + r"(fc_norm|head)\." + _SUFFIX,  # the AudioSet classifier: the coach reads patch tokens only
)

_RENAMES = [(re.compile(p + r"$"), t) for p, t in RENAMES]
_DROPPED = [re.compile(p + r"$") for p in DROPPED]


def rename(key: str) -> str | None:
    """Our name for an original key, None for a key dropped on purpose; raises for an unknown key."""
    if any(p.match(key) for p in _DROPPED):
        return None
    for pattern, template in _RENAMES:
        m = pattern.match(key)
        if m:
            return template.format(*m.groups())
    raise KeyError(key)


def released_to_ours(state: dict, source: str) -> dict:
    out, unknown = {}, []
    for key, value in state.items():
        try:
            new = rename(key)
        except KeyError:
            unknown.append(key)
            continue
        if new is not None:
            out[new] = value
    if unknown:
        raise CheckpointError(f"{source}: {len(unknown)} keys this model does not know: {_preview(unknown)}")
    return out


def ours_to_released(state: dict) -> dict:
    """The inverse, for writing checkpoints in the released layout (tests, export)."""
    inverse = []
    for pattern, template in RENAMES:
        ours = re.compile(re.escape(template).replace(r"\{", "{").replace(r"\}", "}")
                          .format(*[r"(.+?)"] * template.count("{")) + "$")
        inverse.append((ours, pattern))
    out = {}
    for key, value in state.items():
        for ours, pattern in inverse:
            m = ours.match(key)
            if m:
                original = _fill(pattern, m.groups())
                try:
                    if rename(original) == key:
                        out[original] = value
                        break
                except KeyError:
                    continue
        else:
            raise KeyError(key)
    return out


def _fill(pattern: str, groups: tuple[str, ...]) -> str:
    """Write the concrete original key for a pattern whose groups are `groups`."""
    parts = iter(groups)
    text = re.sub(r"\((?:[^()]|\([^()]*\))*\)", lambda _: next(parts), pattern)
    return text.replace("\\.", ".")


def _preview(keys: list[str], n: int = 5) -> str:
    more = f" (+{len(keys) - n} more)" if len(keys) > n else ""
    return ", ".join(keys[:n]) + more
