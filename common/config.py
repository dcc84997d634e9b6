"""Strict loading of dataclasses from parsed YAML/JSON: the one validation mechanism of llaqo.

Configs, rubric questions, their generation settings and bundle manifests are all checked against
their own dataclass — the field names and types are read from the type itself, never retyped — and
every mistake is collected, so a file is reported once with all its problems, each naming the field:

    my.yaml: questions[0].wieght: unknown field (known: id, text, ...); my.yaml: questions[1].kind: missing

Types understood: str (non-empty), int, float (any number), bool, Literal[...], X | None, list[str],
tuple[int, ...], dict, and nested dataclasses. A field may add a check through its metadata:
`field(default=5, metadata=check(lambda v: v > 0, "a positive integer"))`. A dataclass may name its
keys with `KEY_NOUN = "setting"` ("unknown setting").
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable
from typing import Any, TypeVar

from llaqo.common.errors import SchemaError

T = TypeVar("T")
_CHECK = "llaqo.check"


def check(valid: Callable[[Any], bool], expected: str) -> dict[str, Any]:
    """Field metadata: the value must also satisfy `valid`; `expected` says what it must be."""
    return {_CHECK: (valid, expected)}


def describe(value: Any) -> str:
    """A value as an error message shows it: "2.5 (float)", "nothing" — bounded, never a huge repr."""
    if value is None:
        return "nothing"
    return f"{_bounded_repr(value)} ({type(value).__name__})"


def _bounded_repr(value: Any, limit: int = 60) -> str:
    if isinstance(value, (dict, list, tuple, set)) and len(value) > 20:
        return f"<{type(value).__name__} of {len(value)} items>"  # never expand a huge value to show it
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def from_dict(cls: type[T], data: Any, source: str) -> T:
    """Build `cls` from `data` (nested dataclasses recursively) or raise one SchemaError listing all."""
    problems: list[str] = []
    obj = build(cls, data, "", problems)
    if problems or obj is None:
        raise SchemaError(source, problems or ["top level: expected a mapping"])
    return obj


def build(cls: type[T], data: Any, where: str, problems: list[str]) -> T | None:
    """`cls` from `data`, appending each problem (prefixed by `where`) to `problems`; None if any."""
    before = len(problems)
    values = check_fields(cls, data, where, problems, partial=False)
    if values is None or len(problems) > before:
        return None
    try:
        return cls(**values)
    except (TypeError, ValueError) as e:  # a __post_init__ check
        problems.append(f"{where.rstrip('.') or 'top level'}: {e}")
        return None


def check_fields(cls: type, data: Any, where: str, problems: list[str], partial: bool = True
                 ) -> dict[str, Any] | None:
    """Validate the keys `data` gives against `cls`'s fields → the values that passed, converted (None
    when `data` is not a mapping). `partial`: no field is required (an override such as a question's
    generation settings); otherwise a required field left out is reported as missing."""
    if not isinstance(data, dict):
        problems.append(f"{where.rstrip('.') or 'top level'}: expected a mapping, got {describe(data)}")
        return None
    fields, hints = _fields(cls), _hints(cls)
    noun = getattr(cls, "KEY_NOUN", "field")
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key not in fields:
            problems.append(f"{where}{key}: unknown {noun} (known: {', '.join(fields)})")
            continue
        converted = _value(hints[key], value, f"{where}{key}", problems, fields[key].metadata.get(_CHECK))
        if converted is not _BAD:
            out[key] = converted
    if not partial:
        for name, f in fields.items():
            if name not in data and _required(f):
                problems.append(f"{where}{name}: missing{_choices_note(hints[name])}")
    return out


def to_dict(obj: Any) -> dict[str, Any]:
    return dataclasses.asdict(obj)


_BAD = object()


def _fields(cls: type) -> dict[str, dataclasses.Field]:
    return {f.name: f for f in dataclasses.fields(cls) if f.init}


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _required(f: dataclasses.Field) -> bool:
    return f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING


def _choices_note(hint: Any) -> str:
    args = _literal_args(hint)
    return f" (one of {', '.join(map(str, args))})" if args else ""


def _literal_args(hint: Any) -> tuple:
    if typing.get_origin(hint) is typing.Literal:
        return typing.get_args(hint)
    return ()


def _value(hint: Any, value: Any, where: str, problems: list[str], extra=None) -> Any:
    optional, hint = _unwrap_optional(hint)
    if value is None and optional:
        return None
    if dataclasses.is_dataclass(hint):
        built = build(hint, value, where + ".", problems)
        return _BAD if built is None else built
    expected, converted = _convert(hint, value)
    if extra is not None and (converted is _BAD or not extra[0](converted)):
        expected, converted = extra[1], _BAD  # the field's own wording is the more precise
    if converted is _BAD:
        args = _literal_args(hint)
        if args:
            problems.append(f"{where}: {_bounded_repr(value)} is not one of {', '.join(map(str, args))}")
        else:
            problems.append(f"{where}: expected {expected}, got {describe(value)}")
    return converted


def _unwrap_optional(hint: Any) -> tuple[bool, Any]:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) == 1:
            return True, args[0]
    return False, hint


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _convert(hint: Any, value: Any) -> tuple[str, Any]:
    """→ (what was expected, the converted value or _BAD)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Literal:
        return "", value if value in args else _BAD
    if hint is str:
        return "a non-empty string", value if isinstance(value, str) and value.strip() else _BAD
    if hint is bool:
        return "true or false", value if isinstance(value, bool) else _BAD
    if hint is int:
        return "an integer", value if isinstance(value, int) and not isinstance(value, bool) else _BAD
    if hint is float:
        return "a number", float(value) if _is_number(value) else _BAD
    if origin in (list, tuple) and args:
        item = args[0]
        ok = isinstance(value, list) and all(_convert(item, v)[1] is not _BAD for v in value)
        if origin is tuple and len(args) > 1 and args[1] is not Ellipsis:
            ok = ok and len(value) == len(args)
        kind = "a list of " + {str: "names", int: "integers", float: "numbers"}.get(item, "values")
        return kind, (origin(_convert(item, v)[1] for v in value) if ok else _BAD)
    if origin is dict or hint is dict:
        return "a mapping", value if isinstance(value, dict) else _BAD
    return "a value", value  # Any and the like: the dataclass checks it itself
