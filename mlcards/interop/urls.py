"""Imported URLs the schema would refuse: dropped with a warning, their text kept.

Every URL field of a card or evaluation is a `Url` (or `ContactUrl`): http(s) with a
host, no quotes, angle brackets or spaces. A source card may hold anything there (a
reference that is a paper's title, a contact written out, a hostile link); one such
value must not fail the whole import, so it is taken out of the URL field, kept as
text under the card's additional section "Links not imported", and named in the import report.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from mlcards.schema import Card, Evaluation
from mlcards.schema.common import UrlField, url_problem

UNUSABLE_LINKS = "Links not imported"
"""The additional section that keeps, as text, the URLs an import could not use."""
ANY = "*"
"""A path part standing for every item of a list (or value of a mapping)."""

UrlPath = tuple[tuple[str, ...], UrlField, bool]
"""(path of a URL field, its kind, whether the field is required)."""


def url_fields(model: type[BaseModel], prefix: tuple[str, ...] = ()) -> Iterator[UrlPath]:
    """Every URL field reachable from `model`."""
    for name, info in model.model_fields.items():
        path = (*prefix, name)
        marker = _marker([*info.metadata, info.annotation])
        if marker is not None:
            yield path, marker, info.is_required()
            continue
        for sub, depth in _models(info.annotation, 0):
            yield from url_fields(sub, (*path, *[ANY] * depth))


def _marker(items: list[Any]) -> UrlField | None:
    for item in items:
        if isinstance(item, UrlField):
            return item
        args = typing.get_args(item)
        if typing.get_origin(item) is typing.Annotated:
            found = _marker(list(item.__metadata__))
        elif typing.get_origin(item) in (typing.Union, types.UnionType):
            found = _marker(list(args))
        else:
            found = None
        if found is not None:
            return found
    return None


def _models(annotation: Any, depth: int) -> Iterator[tuple[type[BaseModel], int]]:
    """The models inside an annotation, with how many list/mapping levels lead to them."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation, depth
        return
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (list, tuple, set, frozenset):
        for arg in args:
            yield from _models(arg, depth + 1)
    elif origin is dict and len(args) == 2:
        yield from _models(args[1], depth + 1)
    elif origin in (typing.Union, types.UnionType, typing.Annotated):
        for arg in args[:1] if origin is typing.Annotated else args:
            yield from _models(arg, depth)


CARD_URLS = list(url_fields(Card))
EVALUATION_URLS = list(url_fields(Evaluation))


def drop_invalid_urls(card: dict[str, Any], evaluation: dict[str, Any] | None,
                      report: list[str]) -> None:
    """Take every URL the schema would refuse out of the imported documents.

    An optional URL is removed from its field; a required one (a reference's `url`)
    takes its entry with it. Either way the text goes to the card's
    additional section "Links not imported", and a `warning:` line to the report.
    """
    for kind, doc, fields in (("card", card, CARD_URLS),
                              ("evaluation", evaluation, EVALUATION_URLS)):
        if not isinstance(doc, dict):
            continue
        entries: list[tuple[tuple[str | int, ...], Any]] = []
        for path, marker, required in fields:
            for where, holder, key in _locate(doc, path, ()):
                value = holder[key]
                problem = url_problem(value, contact=marker.contact) \
                    if isinstance(value, str) else None
                if problem is None:
                    continue
                whole = required and len(where) >= 2 and isinstance(where[-2], int)
                _keep(card, kind, where, holder, key, whole, report, problem)
                if whole:
                    entries.append((where[:-2], where[-2]))
                else:
                    del holder[key]
        for loc, index in reversed(entries):  # last first: earlier indices stay right
            del _at(doc, loc)[index]


def _locate(node: Any, path: tuple[str, ...], where: tuple[str | int, ...],
            ) -> Iterator[tuple[tuple[str | int, ...], dict[str, Any], str]]:
    """(location, the mapping holding the field, the field's key) for each match."""
    if not path:
        return
    head, rest = path[0], path[1:]
    if head == ANY:
        items: list[tuple[str | int, Any]] = (list(enumerate(node)) if isinstance(node, list)
                                             else list(node.items()) if isinstance(node, dict)
                                             else [])
        for index, item in items:
            yield from _locate(item, rest, (*where, index))
    elif isinstance(node, dict) and head in node:
        if rest:
            yield from _locate(node[head], rest, (*where, head))
        elif node[head] is not None:
            yield (*where, head), node, head


def _keep(card: dict[str, Any], kind: str, where: tuple[str | int, ...],
          holder: dict[str, Any], key: str, whole: bool, report: list[str],
          problem: str) -> None:
    """Keep a refused URL (with what names it) as text; say so in the report."""
    value = holder[key]
    fields = [str(p) for p in where if not isinstance(p, int)]
    if whole:  # the entry is nothing without its URL (a reference): it goes as a whole
        fields = fields[:-1]
        parts = [str(v) for k, v in holder.items() if k != key and v not in (None, "", value)]
    else:  # an owner's or a dataset's URL: named by its entry's name
        entry = len(where) >= 2 and isinstance(where[-2], int)
        label = (holder.get("name") or holder.get("title")) if entry else None
        parts = [str(label)] if label and label != value else []
    text = ": ".join([*parts, value])
    name = ".".join(fields if kind == "card" else [kind, *fields])
    add_section(card, [UNUSABLE_LINKS], name, text)
    shown = _dotted(where) if kind == "card" else f"{kind}.{_dotted(where)}"
    dropped = "the entry is dropped" if whole else "dropped"
    report.append(f"warning: {shown} {value!r} is not a usable URL ({problem}); {dropped}, "
                  f"kept as text in additional section {UNUSABLE_LINKS} / {name}")


def add_section(card: dict[str, Any], parents: list[str], title: str, text: str) -> None:
    """Append text to the card's additional section `parents / title` (made when new)."""
    title = " ".join(title.split()) or "Untitled section"  # a heading is one line of text
    parents = [" ".join(p.split()) or "Untitled section" for p in parents]
    sections = card.setdefault("additional_sections", [])
    for section in sections:
        if section["title"] == title and section["parents"] == parents:
            section["text"] = f"{section['text']}\n\n{text}"
            return
    sections.append({"title": title, "parents": list(parents), "text": text})


def _at(doc: Any, loc: tuple[str | int, ...]) -> Any:
    for part in loc:
        doc = doc[part]
    return doc


def _dotted(loc: tuple[str | int, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
