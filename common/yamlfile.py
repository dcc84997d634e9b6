"""YAML read with limits, for every file a user hands llaqo (rubrics, configs, bundle configs).

PyYAML's safe loader runs no code, but it has no limits: a 395-byte "billion laughs" of aliases expands
into billions of values when walked (and an error message that shows one), and 100,000 nested brackets
end in a RecursionError. This loader counts every node as it is composed — an alias counts as the whole
value it stands for — and stops at MAX_NODES, MAX_DEPTH levels or MAX_BYTES of text, with one line.
PyYAML offers no such switch (its C loader neither), so the count is ours.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.events import AliasEvent

from llaqo.common.errors import ConfigError
from llaqo.common.text import shown

MAX_BYTES = 1 << 20  # a rubric or config is a few KB; 1 MiB is far beyond any honest one
MAX_DEPTH = 64
MAX_NODES = 200_000  # values after alias expansion


class YamlLimitError(yaml.YAMLError):
    """A YAML document beyond the loader's limits."""

    def __init__(self, problem: str, mark=None):
        super().__init__(problem)
        self.problem, self.problem_mark = problem, mark


class BoundedLoader(yaml.SafeLoader):
    """yaml.SafeLoader that refuses documents deeper than MAX_DEPTH or larger than MAX_NODES values."""

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0
        self._nodes = 0
        self._weight: dict[int, int] = {}  # id(node) -> values in it, aliases expanded

    def compose_node(self, parent, index):
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise YamlLimitError(f"nested deeper than {MAX_DEPTH} levels", self.peek_event().start_mark)
            if self.check_event(AliasEvent):
                mark = self.peek_event().start_mark
                node = super().compose_node(parent, index)
                self._nodes += self._weight.get(id(node), 1)
                self._check_size(mark)
                return node
            before, mark = self._nodes, self.peek_event().start_mark
            node = super().compose_node(parent, index)
            self._nodes += 1
            self._weight[id(node)] = self._nodes - before
            self._check_size(mark)
            return node
        finally:
            self._depth -= 1

    def _check_size(self, mark) -> None:
        if self._nodes > MAX_NODES:
            raise YamlLimitError(f"more than {MAX_NODES:,} values once its aliases are expanded "
                                 "(an alias bomb?)", mark)


def parse_yaml(text: str) -> Any:
    """The document in `text`; raises yaml.YAMLError (YamlLimitError past a limit)."""
    if len(text) > MAX_BYTES:
        raise YamlLimitError(f"larger than {MAX_BYTES // 1024} KiB")
    return yaml.load(text, Loader=BoundedLoader)  # noqa: S506  (a SafeLoader with limits)


def read_yaml_text(path: str | Path) -> str:
    """A YAML file's text, refused unread when over MAX_BYTES (ConfigError naming the file)."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ConfigError(f"{shown(path)}: {size:,} bytes; a config or rubric is at most {MAX_BYTES:,}")
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{shown(path)}: cannot be read ({shown(e, 120)})") from None


def yaml_problem(e: yaml.YAMLError) -> str:
    """One bounded phrase for a YAML error: "line 3: not valid YAML (...)"."""
    where = getattr(e, "problem_mark", None)
    at = f"line {where.line + 1}: " if where is not None else ""
    problem = getattr(e, "problem", None) or e
    if isinstance(e, YamlLimitError):
        return f"{at}refused: {shown(problem, 160)}"
    return f"{at}not valid YAML ({shown(problem, 160)})"
