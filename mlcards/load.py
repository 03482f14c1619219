"""Stage 1, load: YAML text -> Python data plus a map from field path to position.

YAML is read with PyYAML's safe machinery only (the C parser when present),
with a size limit per file, a budget against alias-expansion bombs, and a
check for duplicate keys, which PyYAML itself silently accepts.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mlcards.errors import Problem, display_path

try:  # the C parser is ~10x faster; fall back silently when libyaml is absent
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # pragma: no cover - depends on the PyYAML build
    from yaml import SafeLoader  # type: ignore[assignment]

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_NODES = 200_000

PathKey = tuple[str | int, ...]


@dataclass(frozen=True)
class Position:
    """1-based line and column of a key and of its value."""

    line: int
    column: int
    key_line: int
    key_column: int


@dataclass
class LoadedYaml:
    """A parsed YAML document with the position of every node in it."""

    path: Path
    data: Any
    positions: dict[PathKey, Position] = field(default_factory=dict)
    text: str = ""
    problems: list[Problem] = field(default_factory=list)

    @property
    def name(self) -> str:
        return display_path(self.path)

    def locate(self, loc: PathKey, *, key: bool = False) -> tuple[int, int]:
        """Line and column for a field path; falls back to the nearest parent."""
        best = self.positions.get((), Position(1, 1, 1, 1))
        walked: list[str | int] = []
        for part in loc:
            candidate = (*walked, part)
            if candidate in self.positions:
                walked.append(part)
                best = self.positions[candidate]
        if key and tuple(walked) == tuple(loc):
            return best.key_line, best.key_column
        return best.line, best.column

    def problem(self, loc: PathKey, message: str, *, key: bool = False,
                severity: str = "error") -> Problem:
        """A located Problem for `loc` in this file."""
        line, column = self.locate(loc, key=key)
        return Problem(self.name, line, column, format_loc(loc), message,
                       "warning" if severity == "warning" else "error")


def format_loc(loc: PathKey) -> str:
    """('a', 0, 'b') -> 'a[0].b'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


class YamlError(Exception):
    """A problem that stops one file from loading at all."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(problem.format())


def load_yaml_file(path: Path, *, max_bytes: int = MAX_FILE_BYTES) -> LoadedYaml:
    """Read and parse one YAML file; raise YamlError with a located Problem."""
    name = display_path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise YamlError(Problem(name, 1, 1, "", f"cannot read file: {exc.strerror}")) from exc
    if size > max_bytes:
        raise YamlError(Problem(name, 1, 1, "",
                                f"file is {size} bytes; the limit is {max_bytes} bytes"))
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise YamlError(Problem(name, line, 1, "", "file is not valid UTF-8 text")) from exc
    return parse_yaml(text, path)


def parse_yaml(text: str, path: Path) -> LoadedYaml:
    """Parse YAML text that came from `path` (used for messages only)."""
    name = display_path(path)
    loader = SafeLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = exc.problem or exc.context or "invalid YAML"
        raise YamlError(Problem(name, line, column, "", f"YAML syntax error: {what}")) from exc
    except yaml.YAMLError as exc:
        raise YamlError(Problem(name, 1, 1, "", f"YAML syntax error: {exc}")) from exc
    finally:
        loader.dispose()
    if node is None:
        raise YamlError(Problem(name, 1, 1, "", "file is empty; expected a YAML mapping"))
    builder = _Builder(loader, name)
    data = builder.build(node, ())
    return LoadedYaml(path, data, builder.positions, text, builder.problems)


class _Builder:
    """Turns a composed node tree into Python data, recording positions."""

    def __init__(self, loader: Any, name: str) -> None:
        self.loader = loader
        self.name = name
        self.positions: dict[PathKey, Position] = {}
        self.problems: list[Problem] = []
        self.visited = 0

    def build(self, node: yaml.Node, loc: PathKey,
              key_mark: Any | None = None) -> Any:
        self.visited += 1
        if self.visited > MAX_NODES:
            raise YamlError(Problem(
                self.name, node.start_mark.line + 1, node.start_mark.column + 1, format_loc(loc),
                f"document expands to more than {MAX_NODES} nodes (alias expansion bomb?)"))
        mark = node.start_mark
        km = key_mark or mark
        self.positions.setdefault(loc, Position(mark.line + 1, mark.column + 1,
                                                km.line + 1, km.column + 1))
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, loc)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*loc, i)) for i, item in enumerate(node.value)]
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            raise YamlError(Problem(self.name, mark.line + 1, mark.column + 1, format_loc(loc),
                                    f"invalid value: {exc}")) from exc

    def _mapping(self, node: yaml.MappingNode, loc: PathKey) -> dict[Any, Any]:
        try:
            self.loader.flatten_mapping(node)
        except yaml.YAMLError as exc:
            m = node.start_mark
            raise YamlError(Problem(self.name, m.line + 1, m.column + 1, format_loc(loc),
                                    f"invalid merge key: {exc}")) from exc
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                m = key_node.start_mark
                raise YamlError(Problem(self.name, m.line + 1, m.column + 1, format_loc(loc),
                                        "mapping keys must be plain scalars"))
            key = self.loader.construct_object(key_node)
            if not isinstance(key, str | int | bool | float) and key is not None:
                key = str(key)
            if key in result:  # PyYAML keeps the last silently; we report and keep the first
                m = key_node.start_mark
                first = self.positions.get((*loc, key))
                where = f" (first defined on line {first.key_line})" if first else ""
                self.problems.append(Problem(self.name, m.line + 1, m.column + 1,
                                             format_loc((*loc, key)),
                                             f"duplicate key {key!r}{where}"))
                continue
            result[key] = self.build(value_node, (*loc, key), key_node.start_mark)
        return result


def did_you_mean(word: str, choices: list[str]) -> str:
    """' (did you mean "x"?)' for a close match, else ''."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f' (did you mean "{close[0]}"?)' if close else ""
