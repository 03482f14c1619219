"""Import the Markdown body of a Hugging Face model card into card fields.

Sections map to fields by heading (see hf_sections); the heading each field was
read from is kept in `provenance.headings`, so export writes it back there. A
section whose heading maps nowhere (or maps to a field an earlier section already
filled) is kept, with its sub-sections, as an additional section under its own
heading; only sub-sections that hold a mapped heading somewhere below are split
out of it. The trainer template's hyperparameters, framework versions and
training-results table become `model_details.training`. Template guidance (HTML
comments, "[More Information Needed]") is dropped and counted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from mlcards.interop.common import ImportResult, join_text, person, set_text
from mlcards.interop.hf_sections import (
    BULLET,
    DESCRIPTION_BULLETS,
    Slot,
    find_slot,
)
from mlcards.interop.markdown import (
    Section,
    normalize_title,
    parse_sections,
    render_subtree,
    strip_comments,
)

TITLE_PREFIX = re.compile(r"^model card for\s+", re.IGNORECASE)
PLACEHOLDER_LINE = re.compile(r"^\s*\[?(more information needed|needs more information)\]?\.?\s*$",
                              re.IGNORECASE)
URL = re.compile(r"^(?:\[[^\]]*\]\((?P<md>[^)\s]+)\)|<(?P<angle>https?://[^>\s]+)>|"
                 r"(?P<bare>https?://\S+))$")
LINK = re.compile(r"^\[(?P<name>[^\]]+)\]\((?P<url>[^)\s]+)\)$")
OWNER = re.compile(r"^(?P<name>[^<>()]+?)\s*(?:<(?P<email>[^<>\s]+@[^<>\s]+)>)?\s*"
                   r"(?:\((?P<attrs>[^()]*)\))?$")
LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
TABLE_HEADER = ["metric", "slice", "value", "ci", "n"]
TRAINER_INTRO = re.compile(r"^the following hyperparameters were used during training:?$",
                           re.IGNORECASE)
HYPERPARAMETER = re.compile(r"^[-*+]\s+(?P<key>[^:\s][^:]*?):\s*(?P<value>\S.*)$")
FRAMEWORK = re.compile(r"^[-*+]\s+(?P<key>[^:]+?):?\s+(?P<value>\S+)$")
GRID_RULE = re.compile(r"^\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?$")


@dataclass
class BodyInfo:
    """What the body said beyond card fields."""

    name: str | None = None
    owners: list[dict[str, str]] = field(default_factory=list)
    developed_by: list[dict[str, str]] = field(default_factory=list)
    table: list[dict[str, Any]] = field(default_factory=list)
    dropped: int = 0


class _Importer:
    def __init__(self, result: ImportResult, source: str, has_authors: bool) -> None:
        self.result = result
        self.source = source
        self.has_authors = has_authors
        self.info = BodyInfo()
        self.filled: set[str] = set()
        """Fields a heading of their own gave text to (see claim)."""

    # ----------------------------------------------------------------- walking

    def walk(self, node: Section, ancestors: list[str]) -> None:
        slot = find_slot(node.title, ancestors)
        here = [*ancestors, node.title]
        if slot is not None and not self.claim(slot, here):
            slot = None  # a second section for a field already read: kept as it is
        if slot is not None and slot.kind != "text":
            getattr(self, f"_{slot.kind}")(node, here)
            return
        where = " / ".join(here)
        if slot is not None:  # document order: own text, then sub-sections in turn
            self.put(slot, node.text, where)
            for child in node.children:
                if self.maps_below(child, here):
                    self.walk(child, here)
                else:
                    self.put(slot, render_subtree(child), f"{where} / {child.title}")
            return
        split = [c for c in node.children if self.maps_below(c, here)]
        keep = {id(c) for c in split}
        text = join_text(node.text, *[render_subtree(c) for c in node.children
                                      if id(c) not in keep])
        if text:
            self.result.keep_unmapped(here, text, f"{self.source}: section {where!r}")
        for child in split:
            self.walk(child, here)

    def claim(self, slot: Slot, here: list[str]) -> bool:
        """Note the heading a field is read from; False when another heading has it."""
        headings = self.result.provenance("huggingface").setdefault("headings", {})
        key = ".".join(slot.field)
        if key in headings:
            if headings[key] != here[:len(headings[key])]:
                return False  # another section's: not inside the one that has the field
            if key in self.filled:
                return True  # inside it, after it gave text: its heading stays
        headings[key] = list(here)  # first, or deeper inside one that gave no text
        return True

    def prune(self, node: Section) -> None:
        """Clean every section's text; drop sections left empty (below the title)."""
        node.text = self.clean(node.text) or ""
        for child in node.children:
            self.prune(child)
        empty = [c for c in node.children if c.level >= 2 and not c.text and not c.children]
        self.info.dropped += len(empty)
        gone = {id(c) for c in empty}
        node.children = [c for c in node.children if id(c) not in gone]

    def maps_below(self, node: Section, ancestors: list[str]) -> bool:
        if find_slot(node.title, ancestors) is not None:
            return True
        return any(self.maps_below(c, [*ancestors, node.title]) for c in node.children)

    def clean(self, text: str | None) -> str | None:
        """Drop template placeholder lines and bullets; count them."""
        if not text:
            return None
        kept = []
        for line in text.splitlines():
            bullet = re.match(BULLET, line.strip())
            value = bullet.group("value") if bullet else line
            if PLACEHOLDER_LINE.match(value):
                self.info.dropped += 1
                continue
            kept.append(line)
        return join_text("\n".join(kept))

    def put(self, slot: Slot, text: str | None, where: str) -> None:
        if not text:
            return
        if slot.field == ("model_details", "description"):
            text = self.description_bullets(text)
            if not text:
                return
        self.filled.add(".".join(slot.field))
        target = self.result.card
        for part in slot.field[:-1]:
            target = target.setdefault(part, {})
        set_text(target, slot.field[-1], text)
        self.result.mapped(f"{self.source}: section {where!r}", ".".join(slot.field))

    def description_bullets(self, text: str) -> str | None:
        """Move '- **Model type:** x' style bullets into their fields."""
        details = self.result.card["model_details"]
        kept = []
        for line in text.splitlines():
            match = re.match(BULLET, line.strip())
            target = DESCRIPTION_BULLETS.get(normalize_title(match.group("label"))) if match \
                else None
            if match is None or target is None:
                kept.append(line)
                continue
            value = match.group("value").strip()
            key = target[1]
            if key == "owners":
                if self.has_authors:
                    kept.append(line)
                else:
                    self.info.developed_by = split_people(value)
                    self.result.mapped(f"{self.source}: bullet 'Developed by'",
                                       "model_details.owners (no Model Card Authors section)")
                continue
            if details.get(key) not in (None, value):
                kept.append(line)  # conflicts with the front matter: keep the text
                continue
            details[key] = value
            self.result.mapped(f"{self.source}: bullet {match.group('label')!r}",
                               f"model_details.{key}")
        return join_text("\n".join(kept))

    # ----------------------------------------------------------------- special sections

    def _sources(self, node: Section, here: list[str]) -> None:
        details = self.result.card["model_details"]
        leftover = []
        for line in (self.clean(node.text) or "").splitlines():
            match = re.match(BULLET, line.strip())
            url = link_url(match.group("value").strip()) if match else None
            if match is None or url is None:
                leftover.append(line)
                continue
            label = re.sub(r"\s*\[optional\]", "", match.group("label"),
                           flags=re.IGNORECASE).strip()
            if normalize_title(label) == "repository" and "repository" not in details:
                details["repository"] = url
                self.result.mapped(f"{self.source}: bullet 'Repository'",
                                   "model_details.repository")
            else:
                text = LINK.match(match.group("value").strip())
                if text and text.group("name") not in (url, label):
                    label = f"{label}: {text.group('name')}"
                details.setdefault("references", []).append({"title": label, "url": url})
                self.result.mapped(f"{self.source}: bullet {label!r}", "model_details.references")
        self._leftover(leftover, node, here)

    def _owners(self, node: Section, here: list[str]) -> None:
        text = self.clean(join_text(node.text, *[render_subtree(c) for c in node.children]))
        people = split_people(text or "")
        if people:
            self.info.owners = people
            self.result.mapped(f"{self.source}: section {' / '.join(here)!r}",
                               "model_details.owners")
        elif text:
            self.result.keep_unmapped(here, text, f"{self.source}: section "
                                      f"{' / '.join(here)!r} (no names found)")

    def _risks(self, node: Section, here: list[str]) -> None:
        risks = self.result.card.setdefault("ethical_considerations", {}).setdefault("risks", [])
        leftover = []
        for line in (self.clean(node.text) or "").splitlines():
            match = re.match(r"^[-*+]\s+(?:\*\*(?P<b>[^*]+)\*\*|(?P<p>[^:]+))(?::\s*(?P<m>.*))?$",
                             line.strip())
            if match is None:
                leftover.append(line)
                continue
            name = (match.group("b") or match.group("p")).strip().rstrip(":")
            risks.append({"name": name, "mitigation": (match.group("m") or "").strip() or None})
        for child in node.children:
            body = join_text(child.text, *[render_subtree(c) for c in child.children])
            risks.append({"name": child.title, "mitigation": self.clean(body)})
        if risks:
            self.result.mapped(f"{self.source}: section {' / '.join(here)!r}",
                               "ethical_considerations.risks")
        self._leftover(leftover, Section(node.title, node.level), here)

    def _table(self, node: Section, here: list[str]) -> None:
        text = join_text(node.text, *[render_subtree(c) for c in node.children]) or ""
        rows = parse_results_table(text)
        if rows is None:
            self.result.keep_unmapped(here, text,
                                      f"{self.source}: section {' / '.join(here)!r} "
                                      "(not an mlcards results table)")
            return
        self.info.table.extend(rows)
        self.result.mapped(f"{self.source}: section {' / '.join(here)!r} ({len(rows)} rows)",
                           "evaluation.yaml results")

    def _leftover(self, lines: list[str], node: Section, here: list[str]) -> None:
        text = join_text("\n".join(lines), *[render_subtree(c) for c in node.children])
        if text:
            where = " / ".join(here)
            self.result.keep_unmapped(here, text, f"{self.source}: rest of section {where!r}")

    # ----------------------------------------------------------------- the trainer's sections

    def _hyperparameters(self, node: Section, here: list[str]) -> None:
        pairs = self._pairs(node, HYPERPARAMETER)
        self._training(node, here, "hyperparameters", pairs)

    def _frameworks(self, node: Section, here: list[str]) -> None:
        pairs = self._pairs(node, FRAMEWORK)
        self._training(node, here, "framework_versions", pairs)

    def _grid(self, node: Section, here: list[str]) -> None:
        table = None if node.children else parse_grid(self.clean(node.text) or "")
        self._training(node, here, "results", table)

    def _pairs(self, node: Section, pattern: re.Pattern[str]) -> dict[str, str] | None:
        """'- key: value' lines (nothing else but the trainer's intro line), or None."""
        if node.children:
            return None
        pairs: dict[str, str] = {}
        for line in (self.clean(node.text) or "").splitlines():
            if not line.strip() or TRAINER_INTRO.match(line.strip()):
                continue
            match = re.match(BULLET, line.strip()) or pattern.match(line.rstrip())
            if match is None:
                return None
            key = (match.group("label") if "label" in match.groupdict()
                   else match.group("key")).strip()
            if key in pairs:
                return None
            pairs[key] = match.group("value").strip()
        return pairs or None

    def _training(self, node: Section, here: list[str], key: str, value: Any) -> None:
        where = " / ".join(here)
        if value is None:
            text = join_text(node.text, *[render_subtree(c) for c in node.children])
            if text:
                self.result.keep_unmapped(here, text, f"{self.source}: section {where!r} "
                                          "(not in the trainer's format)")
            return
        training = self.result.card["model_details"].setdefault("training", {})
        training[key] = value
        self.result.mapped(f"{self.source}: section {where!r}", f"model_details.training.{key}")


def import_body(body: str, first_line: int, result: ImportResult, source: str) -> BodyInfo:
    """Map a card body into result.card; return the name, owners and table rows found."""
    text, comments = strip_comments(body)
    root = parse_sections(text, first_line)
    has_authors = any(_kind(s.title) == "owners" for s in _all(root))
    importer = _Importer(result, source, has_authors)
    importer.prune(root)
    result.card.setdefault("model_details", {})
    children = list(root.children)
    preamble = [root.text]
    if children and children[0].level == 1 and find_slot(children[0].title, []) is None:
        title = children.pop(0)
        importer.info.name = TITLE_PREFIX.sub("", title.title).strip() or None
        result.provenance("huggingface").setdefault("headings", {})["title"] = [title.title]
        preamble.append(title.text)
        children = title.children + children
        result.mapped(f"{source}: title {title.title!r}", "model_details.name")
    intro = importer.clean(join_text(*preamble))
    if intro:
        set_text(result.card["model_details"], "description", intro)
        result.mapped(f"{source}: text before the first section", "model_details.description")
    for child in children:
        importer.walk(child, [])
    importer.info.dropped += comments
    return importer.info


def _kind(title: str) -> str | None:
    slot = find_slot(title, [])
    return slot.kind if slot is not None else None


def _all(node: Section) -> list[Section]:
    return [node, *[d for c in node.children for d in _all(c)]]


def link_url(value: str) -> str | None:
    """The URL of '[text](url)', '<url>' or a bare URL; None otherwise."""
    match = URL.match(value)
    if match is None:
        return None
    return match.group("md") or match.group("angle") or match.group("bare")


def split_people(text: str) -> list[dict[str, str]]:
    """Owners from 'Name <email> (role: r; team: t)' lines or 'A, B and C'."""
    items = [LIST_ITEM.sub("", line).strip() for line in text.splitlines() if line.strip()]
    if len(items) == 1 and not LIST_ITEM.match(text.strip()):
        items = [p.strip() for p in re.split(r",\s*|\s+and\s+", items[0]) if p.strip()]
    people = [p for p in (_one_person(item) for item in items) if p]
    return people if len(people) == len(items) else []


def _one_person(item: str) -> dict[str, str] | None:
    link = LINK.match(item)
    if link:
        return {"name": link.group("name").strip(), "url": link.group("url")}
    match = OWNER.match(item)
    if match is None or len(match.group("name")) > 100:
        return None
    found = person(match.group("name"))
    if match.group("email"):
        found["email"] = match.group("email")
    for part in (match.group("attrs") or "").split(";"):
        key, sep, value = part.partition(":")
        if sep and key.strip() in ("role", "team", "url", "email") and value.strip():
            found[key.strip()] = value.strip()
        elif part.strip():
            found["team"] = part.strip()
    return found


def parse_results_table(text: str) -> list[dict[str, Any]] | None:
    """Rows of the '| Metric | Slice | Value | CI | n |' table export writes."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if len(lines) < 2 or [c.lower() for c in _cells(lines[0])] != TABLE_HEADER:
        return None
    rows = []
    for line in lines[2:]:
        cells = _cells(line)
        try:
            row = _table_row(cells)
        except ValueError:
            return None
        rows.append(row)
    return rows


def parse_grid(text: str) -> dict[str, Any] | None:
    """A Markdown pipe table (and nothing else) as {columns, rows}; None otherwise."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if len(lines) < 2 or not all(ln.startswith("|") for ln in lines) \
            or not GRID_RULE.match(lines[1]):
        return None
    columns = _cells(lines[0])
    rows = [_cells(ln) for ln in lines[2:]]
    if any(len(r) != len(columns) for r in rows) or not all(columns):
        return None
    return {"columns": columns, "rows": rows}


def _cells(line: str) -> list[str]:
    inner = line.strip().removeprefix("|").removesuffix("|")
    return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", inner)]


def _table_row(cells: list[str]) -> dict[str, Any]:
    if len(cells) != len(TABLE_HEADER):
        raise ValueError("wrong number of cells")
    metric, slice_text, value, ci, n = cells
    slice_ = {}
    for part in filter(None, (p.strip() for p in slice_text.split(","))):
        key, sep, val = part.partition("=")
        if not sep:
            raise ValueError(f"slice part {part!r} is not key=value")
        slice_[key.strip()] = val.strip()
    row: dict[str, Any] = {"metric": metric, "slice": slice_, "value": float(value)}
    if ci:
        low, high = (float(x) for x in ci.strip("[]").split(","))
        row["ci"] = (low, high)
    if n:
        row["n"] = int(n)
    return row
