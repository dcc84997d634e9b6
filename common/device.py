"""The compute device, as one type from the command line to the model: auto, cpu, cuda or cuda:N.

Parsing and the "is there probably a GPU?" question need no torch (the listening engine's fast path
never imports it); `resolve()` asks torch, and is the one place that says what `auto` becomes and
what a CUDA request on a machine without one gets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from llaqo.common.errors import DeviceError

if TYPE_CHECKING:
    import torch

NVIDIA_GPUS = Path("/proc/driver/nvidia/gpus")  # one folder per GPU while the NVIDIA driver is loaded
CHOICES = "auto, cpu, cuda or cuda:N"
_SPEC = re.compile(r"(auto|cpu|cuda)(?::(\d+))?$")


@dataclass(frozen=True)
class Device:
    kind: Literal["auto", "cpu", "cuda"] = "auto"
    index: int | None = None  # cuda:N

    @classmethod
    def parse(cls, text: str | Device | None) -> Device:
        if isinstance(text, Device):
            return text
        m = _SPEC.match((text or "auto").strip().lower())
        if m is None or (m.group(2) is not None and m.group(1) != "cuda"):
            raise DeviceError(f"unknown device {str(text)[:40]!r}", f"use {CHOICES}")
        return cls(m.group(1), None if m.group(2) is None else int(m.group(2)))  # type: ignore[arg-type]

    def __str__(self) -> str:
        return self.kind if self.index is None else f"{self.kind}:{self.index}"

    @property
    def is_cuda(self) -> bool:
        return self.kind == "cuda"

    def gpu_suspected(self) -> bool:
        """A GPU is asked for, or `auto` on a machine whose NVIDIA driver shows one; no torch import."""
        if self.kind == "auto":
            return NVIDIA_GPUS.is_dir() and any(NVIDIA_GPUS.iterdir())
        return self.kind == "cuda"

    def resolve(self) -> Device:
        """auto → cuda when torch sees a GPU, else cpu; a CUDA device torch cannot use is a DeviceError."""
        import torch

        if self.kind == "auto":
            return Device("cuda") if torch.cuda.is_available() else Device("cpu")
        if self.kind == "cuda":
            if not torch.cuda.is_available():
                raise DeviceError("no CUDA device is visible to torch", "use --device cpu or auto")
            if self.index is not None and self.index >= torch.cuda.device_count():
                raise DeviceError(f"{self} does not exist: torch sees {torch.cuda.device_count()} CUDA device(s)",
                                  "use --device cuda:0 or auto")
        return self

    def torch(self) -> torch.device:
        import torch

        resolved = self.resolve()
        return torch.device(str(resolved))
