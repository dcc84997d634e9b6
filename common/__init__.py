"""What every layer of llaqo shares, below both `llaqo.model` and `llaqo.rubric`: errors, strict config
loading, times and spans, devices, music names. Pure Python: no torch, no numpy at import."""
