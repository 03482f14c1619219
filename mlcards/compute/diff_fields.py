"""Card field changes between two versions: added, removed, edited.

A card is flattened to leaf paths following the schema (`intended_use.out_of_scope`,
`model_details.owners[Ana Lima].email`). Items of lists of objects are keyed by
their `name` (or `title`; a repeated one gets ' (2)'), so inserting an owner does
not show as every later owner edited; items without either go by position;
lists of plain values (tags) compare as a whole. Markdown fields carry a
unified text diff.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from mlcards.schema.card import Card

IGNORED = {"schema_version", "model_details.version"}
"""Paths that differ between any two versions and say nothing by themselves."""

Kind = Literal["added", "removed", "edited"]


@dataclass(frozen=True)
class FieldChange:
    """One leaf field of the card that differs between the two versions."""

    path: str
    kind: Kind
    old: Any
    new: Any
    markdown: bool = False
    diff: str | None = None


@dataclass(frozen=True)
class Leaf:
    value: Any
    markdown: bool


def _is_markdown_info(info: FieldInfo) -> bool:
    extra = info.json_schema_extra
    if isinstance(extra, dict) and extra.get("format") == "markdown":
        return True
    return _is_markdown_type(info.annotation)


def _is_markdown_type(tp: Any) -> bool:
    if get_origin(tp) is Annotated:
        return any(isinstance(m, FieldInfo) and _is_markdown_info(m) for m in tp.__metadata__)
    if get_origin(tp) in (Union, UnionType):
        return any(_is_markdown_type(a) for a in get_args(tp))
    return False


def _model_of(tp: Any) -> type[BaseModel] | None:
    """The pydantic model inside X, X | None, Annotated[X, ...]."""
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return tp
    if get_origin(tp) in (Union, UnionType, Annotated):
        for arg in get_args(tp):
            found = _model_of(arg)
            if found is not None:
                return found
    return None


def _item_type(tp: Any) -> Any:
    """The element type of list[X] (inside Optional), or Any."""
    if get_origin(tp) in (Union, UnionType):
        for arg in get_args(tp):
            if get_origin(arg) is list:
                return get_args(arg)[0]
    return get_args(tp)[0] if get_origin(tp) is list else Any


def _item_keys(items: list[Any]) -> list[str]:
    """An item's `name` (or `title`), else its position; repeats get ' (2)', ' (3)'."""
    keys: list[str] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        named = item.get("name") or item.get("title") if isinstance(item, dict) else None
        base = str(named) if named else str(i)
        seen[base] = seen.get(base, 0) + 1
        keys.append(base if seen[base] == 1 else f"{base} ({seen[base]})")
    return keys


def flatten(value: Any, tp: Any, path: str, out: dict[str, Leaf], markdown: bool,
            items: dict[str, Any]) -> None:
    """Leaf paths of `value` (JSON data) following the schema type `tp`; `items`
    collects the path of every list item (to report a whole item added or removed)."""
    model = _model_of(tp)
    if isinstance(value, dict):
        for key, sub in value.items():
            info = model.model_fields.get(key) if model else None
            sub_tp = info.annotation if info else Any
            sub_md = _is_markdown_info(info) if info else False
            flatten(sub, sub_tp, f"{path}.{key}" if path else str(key), out, sub_md, items)
    elif isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
        item_tp = _item_type(tp)
        for key, item in zip(_item_keys(value), value, strict=True):
            items[f"{path}[{key}]"] = item
            flatten(item, item_tp, f"{path}[{key}]", out, False, items)
    elif value not in (None, "", [], {}) and path not in IGNORED:
        out[path] = Leaf(value, markdown)


def card_leaves(card: Card) -> tuple[dict[str, Leaf], dict[str, Any]]:
    """Every non-empty leaf of a card in schema order, and every list item by path."""
    out: dict[str, Leaf] = {}
    items: dict[str, Any] = {}
    flatten(card.model_dump(mode="json", exclude_none=True), Card, "", out, False, items)
    return out, items


def _whole_items(mine: dict[str, Any], theirs: dict[str, Any]) -> dict[str, Any]:
    """List items only on one side, outermost only (a nested one is inside its parent)."""
    only = sorted(p for p in mine if p not in theirs)
    outer = [p for p in only if not any(p.startswith((q + ".", q + "[")) for q in only)]
    return {p: mine[p] for p in outer}


def _inside(path: str, prefixes: dict[str, Any]) -> str | None:
    return next((p for p in prefixes if path.startswith((p + ".", p + "["))), None)


def unified_diff(old: str, new: str, old_label: str, new_label: str) -> str:
    """A unified text diff (difflib), two lines of context, no trailing newline."""
    lines = difflib.unified_diff(old.splitlines(), new.splitlines(), fromfile=old_label,
                                 tofile=new_label, lineterm="", n=2)
    return "\n".join(lines)


def card_field_changes(old: Card, new: Card, old_label: str = "old",
                       new_label: str = "new") -> list[FieldChange]:
    """Fields added, removed or edited, in the new card's order then removed ones."""
    (before, old_items), (after, new_items) = card_leaves(old), card_leaves(new)
    added, removed = _whole_items(new_items, old_items), _whole_items(old_items, new_items)
    changes: list[FieldChange] = []
    for path, leaf in after.items():
        prev = before.get(path)
        item = _inside(path, added)
        if item is not None:
            if item not in {c.path for c in changes}:
                changes.append(FieldChange(item, "added", None, added[item]))
        elif prev is None:
            changes.append(FieldChange(path, "added", None, leaf.value, leaf.markdown))
        elif prev.value != leaf.value:
            diff = None
            if isinstance(prev.value, str) and isinstance(leaf.value, str) and (
                    leaf.markdown or "\n" in prev.value + leaf.value):
                diff = unified_diff(prev.value, leaf.value, old_label, new_label)
            changes.append(FieldChange(path, "edited", prev.value, leaf.value,
                                       leaf.markdown, diff))
    for path, leaf in before.items():
        item = _inside(path, removed)
        if item is not None:
            if item not in {c.path for c in changes}:
                changes.append(FieldChange(item, "removed", removed[item], None))
        elif path not in after:
            changes.append(FieldChange(path, "removed", leaf.value, None, leaf.markdown))
    return changes
