"""Stage 1, load: YAML text -> Python data plus a map from field path to position.

YAML is read with PyYAML's safe machinery only (the C parser when present),
with a size limit per file, a budget against alias-expansion bombs, and a
check for duplicate keys, which PyYAML itself silently accepts.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from mlcards import reuse
from mlcards.errors import InvalidInput, Problem, display_path

try:  # the C parser is ~10x faster; fall back silently when libyaml is absent
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # pragma: no cover - depends on the PyYAML build
    from yaml import SafeLoader  # type: ignore[assignment]

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_NODES = 200_000
MAX_DEPTH = 100
SAFE_COMPOSE_DEPTH = 2000

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
    """A parsed YAML document; the position of every node is found on demand.

    Positions are only needed to locate a problem, so they are computed from
    `text` the first time they are asked for (valid files never pay for them).
    """

    path: Path
    data: Any
    text: str = ""
    problems: list[Problem] = field(default_factory=list)
    _positions: dict[PathKey, Position] | None = field(default=None, repr=False)

    @property
    def positions(self) -> dict[PathKey, Position]:
        """Field path -> position of its key and value."""
        if self._positions is None:
            self._positions = _positions_of(self.text)
        return self._positions

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
    try:  # display_path resolves symlinks: only worth it when there is a problem to name
        size = path.stat().st_size
    except OSError as exc:
        raise YamlError(Problem(display_path(path), 1, 1, "",
                                f"cannot read file: {exc.strerror}")) from exc
    if size > max_bytes:
        raise YamlError(Problem(display_path(path), 1, 1, "",
                                f"file is {size} bytes; the limit is {max_bytes} bytes"))
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise YamlError(Problem(display_path(path), line, 1, "",
                                "file is not valid UTF-8 text")) from exc
    return reuse.active().call("yaml", parse_yaml, text, path)  # a reuse point


def parse_yaml(text: str, path: Path) -> LoadedYaml:
    """Parse YAML text that came from `path` (used for messages only)."""
    name = display_path(path)
    loader = _CheckingLoader(text, name)
    try:
        if _nesting_bound(text) > SAFE_COMPOSE_DEPTH:  # libyaml's composer recurses in C
            _check_event_depth(text, name)
        node = loader.get_single_node()
        if node is None:
            raise YamlError(Problem(name, 1, 1, "", "file is empty; expected a YAML mapping"))
        if "*" in text:  # aliases: refuse documents that would expand too far
            _check_expansion(node, name)
        else:
            _check_depth(node, name)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = exc.problem or exc.context or "invalid YAML"
        if "maximum nesting depth" in what:  # PyYAML >= 6.0.3's scanner has its own limit
            raise YamlError(Problem(name, line, column, "",
                                    f"nesting deeper than {MAX_DEPTH} levels")) from exc
        cm = exc.context_mark  # where the unclosed bracket, quote or block began
        if exc.problem and exc.context and cm is not None and cm is not mark:
            what += f" ({exc.context} started on line {cm.line + 1}, column {cm.column + 1})"
        raise YamlError(Problem(name, line, column, "", f"YAML syntax error: {what}")) from exc
    except yaml.YAMLError as exc:
        raise YamlError(Problem(name, 1, 1, "", f"YAML syntax error: {exc}")) from exc
    except RecursionError as exc:
        raise YamlError(Problem(name, 1, 1, "", "document is nested too deeply")) from exc
    finally:
        loader.dispose()
    doc = LoadedYaml(path, data, text, loader.problems)
    if loader.first_keys:
        _name_duplicate_fields(doc, loader.first_keys)
    return doc


def _name_duplicate_fields(doc: LoadedYaml, first_keys: list[tuple[int, int]]) -> None:
    """Give each duplicate-key problem the full field path of the key's first occurrence."""
    by_key: dict[tuple[int, int], PathKey] = {}
    for loc, p in doc.positions.items():
        here = (p.key_line, p.key_column)
        if loc and len(loc) >= len(by_key.get(here, ())):
            by_key[here] = loc
    doc.problems = [replace(p, field=format_loc(by_key[first])) if first in by_key else p
                    for p, first in zip(doc.problems, first_keys, strict=True)]


class _CheckingLoader(SafeLoader):
    """The safe loader, reporting duplicate keys (PyYAML silently keeps the last)."""

    def __init__(self, text: str, name: str) -> None:
        super().__init__(text)
        self.name = name
        self.problems: list[Problem] = []
        self.first_keys: list[tuple[int, int]] = []  # per problem: the key's first position

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        pairs, n_own = _own_pairs_first(self, node)
        mapping: dict[Any, Any] = {}
        first_marks: dict[Any, Any] = {}
        for i, (key_node, value_node) in enumerate(pairs):
            mark = key_node.start_mark
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlError(Problem(self.name, mark.line + 1, mark.column + 1, "",
                                        "mapping keys must be plain scalars"))
            key = _plain_key(self.construct_object(key_node, deep=deep))
            if key in mapping and i >= n_own:
                continue  # a `<<` merged key that an own key (or earlier merge) overrides
            if key in mapping:
                first = first_marks[key].line + 1
                self.problems.append(Problem(self.name, mark.line + 1, mark.column + 1,
                                             str(key), f"duplicate key {key!r} (first defined "
                                             f"on line {first}); the first value is kept"))
                self.first_keys.append((first, first_marks[key].column + 1))
                continue
            first_marks[key] = mark
            mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping


def _own_pairs_first(loader: Any, node: yaml.MappingNode) -> tuple[list[Any], int]:
    """Flatten `<<` merge keys; return (own pairs, then merged pairs by precedence,
    number of own pairs). YAML merge: own keys override merged ones, and earlier
    maps in `<<: [a, b]` override later ones (PyYAML keeps the last of its list)."""
    n_own = sum(k.tag != "tag:yaml.org,2002:merge" for k, _ in node.value)
    loader.flatten_mapping(node)
    n_merged = len(node.value) - n_own
    return [*node.value[n_merged:], *reversed(node.value[:n_merged])], n_own


def _plain_key(key: Any) -> Any:
    """Keys stay str/int/float/bool/None; anything else (dates...) becomes its text."""
    if key is None or isinstance(key, str | int | float | bool):
        return key
    return str(key)


def _check_expansion(root: yaml.Node, name: str) -> None:
    """Refuse a document whose aliases expand to more than MAX_NODES nodes.

    Sizes are memoised per node, so a "billion laughs" document is measured
    in time linear in its text, never expanded. Scalars (most nodes) are counted
    where they sit; only collections go through the stack.
    """
    sizes: dict[int, int] = {}
    depths: dict[int, int] = {}
    on_path: set[int] = set()  # collections whose children are being measured
    stack: list[tuple[yaml.Node, list[yaml.Node] | None, int]] = [(root, None, 0)]
    while stack:
        node, inner, n_scalars = stack.pop()
        if id(node) in sizes:
            continue
        if isinstance(node, yaml.ScalarNode):
            sizes[id(node)], depths[id(node)] = 1, 1
            continue
        if inner is None:
            if id(node) in on_path:
                m = node.start_mark
                raise YamlError(Problem(name, m.line + 1, m.column + 1, "",
                                        "recursive alias: a node contains itself"))
            on_path.add(id(node))
            children = _children(node)
            inner = [c for c in children if not isinstance(c, yaml.ScalarNode)]
            stack.append((node, inner, len(children) - len(inner)))
            stack.extend((c, None, 0) for c in inner if id(c) not in sizes)
            continue
        on_path.discard(id(node))
        sizes[id(node)] = size = 1 + n_scalars + sum(sizes[id(c)] for c in inner)
        depths[id(node)] = depth = 1 + max((depths[id(c)] for c in inner),
                                           default=1 if n_scalars else 0)
        if depth > MAX_DEPTH:
            _too_deep(node, name)
        if size > MAX_NODES:
            m = node.start_mark
            raise YamlError(Problem(name, m.line + 1, m.column + 1, "",
                                    f"aliases expand the document to more than {MAX_NODES} "
                                    "nodes (an alias-expansion bomb?); write the values out"))


def _too_deep(node: yaml.Node, name: str) -> None:
    m = node.start_mark
    raise YamlError(Problem(name, m.line + 1, m.column + 1, "",
                            f"nesting deeper than {MAX_DEPTH} levels"))


def _check_depth(root: yaml.Node, name: str) -> None:
    """Refuse a (tree-shaped, alias-free) document nested deeper than MAX_DEPTH."""
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            _too_deep(node, name)
        stack.extend((c, depth + 1) for c in _children(node))


def _nesting_bound(text: str) -> int:
    """An upper bound of the nesting depth: block nesting needs indentation (at
    least one column per two levels), flow nesting needs a bracket per level."""
    longest = max((len(line) for line in text.splitlines()), default=0)
    return 2 * longest + 2 + text.count("[") + text.count("{")


def _check_event_depth(text: str, name: str) -> None:
    """Measure nesting on the event stream, before anything recursive runs."""
    loader = SafeLoader(text)
    depth = 0
    try:
        while (event := loader.get_event()) is not None:
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    m = event.start_mark
                    line, column = (m.line + 1, m.column + 1) if m else (1, 1)
                    raise YamlError(Problem(name, line, column, "",
                                            f"nesting deeper than {MAX_DEPTH} levels"))
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    finally:
        loader.dispose()


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _positions_of(text: str) -> dict[PathKey, Position]:
    """Compose the text again and record where every field path starts."""
    loader = SafeLoader(text)
    try:
        node = loader.get_single_node()
        positions: dict[PathKey, Position] = {}
        if node is not None:
            _walk_positions(loader, node, (), None, positions, set())
        return positions
    except yaml.YAMLError:
        return {}
    finally:
        loader.dispose()


def _walk_positions(loader: Any, node: yaml.Node, loc: PathKey, key_mark: Any,
                    out: dict[PathKey, Position], seen: set[int]) -> None:
    mark = node.start_mark
    km = key_mark or mark
    out.setdefault(loc, Position(mark.line + 1, mark.column + 1, km.line + 1, km.column + 1))
    if id(node) in seen:  # an alias: its own positions were recorded where it was defined
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in _own_pairs_first(loader, node)[0]:
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            key = _plain_key(loader.construct_object(key_node))
            if (*loc, key) not in out:
                _walk_positions(loader, value_node, (*loc, key), key_node.start_mark, out, seen)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk_positions(loader, item, (*loc, i), None, out, seen)


def did_you_mean(word: str, choices: list[str]) -> str:
    """' (did you mean "x"?)' for a close match, else ''."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f' (did you mean "{close[0]}"?)' if close else ""


def parse_json_object(text: str, name: str, what: str) -> dict[str, Any]:
    """A JSON object parsed from `text` (read from file `name`); InvalidInput located
    at the syntax error, or naming `what` was expected when the top level is no object."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput([Problem(name, exc.lineno, exc.colno, "",
                                    f"not valid JSON: {exc.msg}")]) from exc
    if not isinstance(data, dict):
        raise InvalidInput([Problem(name, 1, 1, "", f"expected a JSON object ({what}) at the "
                                    f"top level, got {type(data).__name__}")])
    return data
