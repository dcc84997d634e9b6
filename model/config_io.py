"""Strict dataclass <-> dict/YAML: unknown, missing and ill-typed fields are reported all at once."""

from __future__ import annotations

import dataclasses
import typing
from pathlib import Path
from typing import Any, TypeVar

import yaml

from llaqo.common.errors import ConfigError

T = TypeVar("T")


def from_dict(cls: type[T], data: dict[str, Any], source: str) -> T:
    """Build `cls` from `data`; nested dataclass fields are built recursively."""
    problems: list[str] = []
    obj = _build(cls, data, source, "", problems)
    if problems:
        raise ConfigError(f"{source}: " + "; ".join(problems))
    return obj


def load_yaml(cls: type[T], path: Path) -> T:
    try:
        data = yaml.safe_load(Path(path).read_text()) or {}
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"{path}: cannot read YAML ({e})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return from_dict(cls, data, str(path))


def to_dict(obj: Any) -> dict[str, Any]:
    return dataclasses.asdict(obj)


def _build(cls: type, data: Any, source: str, prefix: str, problems: list[str]) -> Any:
    if not isinstance(data, dict):
        problems.append(f"{prefix or 'top level'}: expected a mapping")
        return None
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    for key in data:
        if key not in fields:
            problems.append(f"{prefix}{key}: unknown field")
    kwargs = {}
    for name, f in fields.items():
        if name not in data:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                problems.append(f"{prefix}{name}: missing")
            continue
        kwargs[name] = _value(hints[name], data[name], source, f"{prefix}{name}", problems)
    if any(p.startswith(prefix) for p in problems) and prefix == "":
        return None
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as e:
        problems.append(f"{prefix or ''}{e}")
        return None


def _value(hint: Any, value: Any, source: str, where: str, problems: list[str]) -> Any:
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, source, where + ".", problems)
    origin = typing.get_origin(hint)
    if origin is typing.Literal:
        if value not in typing.get_args(hint):
            allowed = ", ".join(map(str, typing.get_args(hint)))
            problems.append(f"{where}: {value!r} is not one of {allowed}")
        return value
    if hint is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if hint in (int, str, bool) and not (isinstance(value, hint) and not (hint is int and isinstance(value, bool))):
        problems.append(f"{where}: expected {hint.__name__}, got {type(value).__name__}")
    return value
