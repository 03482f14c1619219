"""Validating one file: YAML data -> a pydantic model, or located problems.

pydantic's error locations are mapped back to YAML lines and columns through the
positions recorded at load time, with what was expected, what was found and a "did
you mean" for misspelled keys.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from types import UnionType
from typing import Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from mlcards.errors import Problem, display_path
from mlcards.load.yaml import (
    LoadedYaml,
    PathKey,
    YamlError,
    did_you_mean,
    load_yaml_file,
)

M = TypeVar("M", bound=BaseModel)


class SourceFile:
    """An input file as read: its path, its hash and its parsed YAML.

    A file that came validated from the build cache is parsed again (from the
    parse cache) only when something asks for its YAML, e.g. to locate a problem.
    """

    __slots__ = ("_doc", "path", "sha256")

    def __init__(self, path: Path, sha256: str, doc: LoadedYaml | None = None) -> None:
        self.path = path
        self.sha256 = sha256
        self._doc = doc

    def __repr__(self) -> str:
        return f"SourceFile({self.path!r}, {self.sha256[:12]!r})"

    @property
    def doc(self) -> LoadedYaml:
        if self._doc is None:
            self._doc = load_yaml_file(self.path)
        return self._doc

    @property
    def name(self) -> str:
        return display_path(self.path)

    def problem(self, loc: PathKey, message: str, *, key: bool = False) -> Problem:
        """A located Problem for `loc` in this file (parses it when it was not)."""
        return self.doc.problem(loc, message, key=key)


def read_source(path: Path, problems: list[Problem]) -> SourceFile | None:
    """Load one YAML file; on failure append its problem and return None."""
    try:
        doc = load_yaml_file(path)
    except YamlError as exc:
        problems.append(exc.problem)
        return None
    problems.extend(doc.problems)
    return SourceFile(path, hashlib.sha256(doc.text.encode("utf-8")).hexdigest(), doc)


def read_document(path: Path, model: type[M],
                  ) -> tuple[SourceFile | None, M | None, list[Problem]]:
    """(the file as read, its validated value, its problems)."""
    problems: list[Problem] = []
    src = read_source(path, problems)
    value = validate_document(src.doc, model, problems) if src else None
    return src, value, problems


def validate_document(doc: LoadedYaml, model: type[M], problems: list[Problem]) -> M | None:
    """Validate parsed data against a model, turning errors into located problems."""
    if not isinstance(doc.data, dict):
        kind = type(doc.data).__name__
        got = {"NoneType": "an empty document", "list": "a list",
               "str": "plain text"}.get(kind, kind)
        problems.append(doc.problem((), f"expected a YAML mapping at the top level, got {got}"))
        return None
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        problems.extend(problems_from_validation(exc, doc, model))
        return None


def problems_from_validation(exc: ValidationError, doc: LoadedYaml,
                             model: type[BaseModel]) -> list[Problem]:
    """One located Problem per pydantic error, with expected/got and suggestions."""
    out: list[Problem] = []
    for err in exc.errors(include_url=False):
        loc = data_loc(err["loc"], doc)
        kind = err["type"]
        if kind == "extra_forbidden" and loc:
            name = str(loc[-1])
            allowed = fields_at(model, loc[:-1])
            hint = did_you_mean(name, allowed)
            expected = f"; allowed keys: {', '.join(allowed)}" if not hint and allowed else ""
            out.append(doc.problem(loc, f"unknown key {name!r}{hint}{expected}", key=True))
        elif kind == "missing" and loc:
            out.append(doc.problem(loc, f"required field {str(loc[-1])!r} is missing"))
        else:
            got = _short(err.get("input"))
            msg = err["msg"].replace("Value error, ", "")
            out.append(doc.problem(loc, f"{msg} (got {got})"))
    return out


def data_loc(loc: tuple[Any, ...], doc: LoadedYaml) -> tuple[str | int, ...]:
    """Drop pydantic's internal location parts (union members, '[key]') that
    are not paths into the document."""
    out: list[str | int] = []
    for part in loc:
        candidate = (*out, part)
        if candidate in doc.positions or not _is_internal(part):
            out.append(part)
    return tuple(out)


def _is_internal(part: Any) -> bool:
    """pydantic's own location parts: '[key]', 'function-after[...]', 'list[str]'."""
    return isinstance(part, str) and ("[" in part or part.startswith("function-"))


def fields_at(model: type[BaseModel], loc: tuple[str | int, ...]) -> list[str]:
    """Field names of the model found at `loc` (for did-you-mean suggestions)."""
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            info = current.model_fields.get(str(part))
            if info is None:
                return []
            current = info.annotation
        elif get_origin(current) in (list, tuple):
            current = get_args(current)[0]
        elif get_origin(current) is dict:
            current = get_args(current)[1]
        else:
            return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _unwrap(tp: Any) -> Any:
    """Optional[X] -> X."""
    if get_origin(tp) in (Union, UnionType):
        members = [a for a in get_args(tp) if a is not type(None)]
        if len(members) == 1:
            return members[0]
    return tp


def _short(value: Any) -> str:
    text = json.dumps(value, default=str) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# --------------------------------------------------------------------------- registry
