"""Material's search indexer with the pages' plain HTML tables read without its HTML parser.

Material's search plugin reads each page's HTML with `html.parser` (its `Parser`,
one Python call per tag and text) to divide it into sections: about a third of a
card page's time in MkDocs, most of it in the page's tables. `add_entries` runs the
plugin's own `add_entry_from_context` with a `Parser` subclass that, when
`html.parser` reaches the start tag of a plain table (the layout of Python-Markdown's
`tables` extension: a line `<table>`, one tag or one cell per line, a line
`</table>`), adds to the section what the parser's handlers would have made of the
table's inside, and lets `html.parser` go on at `</table>`.

Why the entries are the same as the plugin's own:

- `html.parser` itself finds the `<table>` start tag (not one inside a comment, an
  attribute or a script), on the page's own HTML, and parses it and `</table>`;
- the inside holds row tags and cells of text and balanced inline tags with quoted
  attributes (no `<`, `>` or quote that `html.parser` could read another way), so
  its events are the lines' newlines, the cells' tags and each cell's text between
  its tags, entities decoded, as `html.parser` hands them on;
- the parser's state (skipped elements, `<pre>`, a heading in progress, the
  section's depth) is checked at the table; where it could make any tag of the
  table matter, `html.parser` reads the table as usual;
- otherwise rows, cells and inline tags the plugin neither keeps (`<code>`, `<sub>`,
  `<sup>`) nor treats specially only enter and leave the parser's context, so each
  text event is added as its `handle_data` adds it (whitespace collapsed, text
  escaped); a cell holding a kept tag goes through the parser's own handlers, with
  the rows' context in place.

tests/test_mkdocs_search.py compares both parsers' sections on generated tables in
each of these contexts and the search index of built sites. `ENABLED` switches this off.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html import escape, unescape
from html.parser import HTMLParser
from typing import Any, NamedTuple

from material.plugins.search import plugin as material_search

from mlcards.incremental.mkdocs_tables import (
    BLOCK,
    INLINE_TAGS,
    ROW_LINE,
    plain_cell,
)

ENABLED = True
"""Read plain tables without the HTML parser (False: the search plugin's own parser)."""

_PARSER = material_search.Parser
_ADD = material_search.SearchIndex.add_entry_from_context
_KEPT = ("code", "sub", "sup")
"""Inline tags the plugin writes into the entry's text (its `keep` list)."""
_TABLE_TAGS = frozenset({"table", "thead", "tbody", "tr", "th", "td"})
_OPEN = "<table>"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
"""Control characters but tab and newline: a table holding one is read by the parser."""
_CELL = re.compile(r'<(t[hd])(?: (style|align)="([^"<>]*)")?>(.*)</\1>')
"""A cell's line: tag, its alignment attribute and value, content."""
_SPLIT = re.compile(r"(<[^<>]*>)")
_KEPT_TAG = re.compile(rf"</?(?:{'|'.join(_KEPT)})[ />]")
"""A tag of `_KEPT`, as mkdocs_tables' plain cells write one."""


class _KeptCell(NamedTuple):
    """A cell holding a kept tag: its content goes through the parser's handlers."""

    rows: tuple[str, ...]  # the row tags open around it (`thead`, `tr`)
    tag: str
    attrs: dict[str, str]
    content: str


Piece = str | _KeptCell
"""What a table's inside adds: `" "` (whitespace, collapsed with the text before),
escaped text, or a cell for the handlers."""


@dataclass(frozen=True)
class _Table:
    block: str  # from `<table>` to `</table>`, as in the page
    pieces: list[Piece]


def add_entries(add: Callable[[Any, Any], None], index: Any, page: Any) -> None:
    """`add(index, page)` (the search index's `add_entry_from_context`), plain tables
    read without the HTML parser when the index and its parser are Material's own."""
    if not (ENABLED and add is _ADD and isinstance(index, material_search.SearchIndex)
            and material_search.Parser is _PARSER and isinstance(page.content, str)
            and "<table>\n" in page.content):
        add(index, page)
        return
    with _tables_aside():
        add(index, page)


@contextmanager
def _tables_aside() -> Iterator[None]:
    """Inside the block, Material's search module makes `TablesAside` parsers."""
    material_search.Parser = TablesAside
    try:
        yield
    finally:
        material_search.Parser = _PARSER


class TablesAside(_PARSER):  # type: ignore[misc, valid-type]
    """Material's search `Parser`, reading plain tables itself (see the module)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._tables: dict[int, _Table] = {}
        self._relay: _Relay | None = None
        self.read = 0
        """Tables read without the HTML parser."""

    def feed(self, data: str) -> None:
        if not self.rawdata:  # offsets into `data` are offsets into the parser's buffer
            self._tables = _plain_tables(data)
        super().feed(data)

    def parse_starttag(self, i: int) -> int:
        """`html.parser`'s start tag at `i`; for a plain table's `<table>`, the table's
        inside too (the position of its `</table>`)."""
        end: int = super().parse_starttag(i)
        table = self._tables.get(i)
        if (table is None or end != i + len(_OPEN) or not self.rawdata.startswith(table.block, i)
                or not self._plain_context()):
            return end
        self._add_table(table.pieces)
        self.read += 1
        return i + len(table.block) - len("</table>")

    def _plain_context(self) -> bool:
        """Whether the table's row, cell and inline tags can only enter and leave the
        context here: a section in progress, not its heading, no `<pre>`, no skipped
        element sharing a tag (the plugin compares elements by tag), and a section
        depth that no row's end tag can leave."""
        section = self.section
        if section is None or not self.context or self.context[-1].tag != "table":
            return False
        tags = {el.tag for el in self.context} | _TABLE_TAGS | INLINE_TAGS
        skipped = {el if isinstance(el, str) else el.tag for el in self.skip}
        return (not skipped & tags and "pre" not in tags and section.el.tag not in tags
                and section.depth <= len(self.context) + 1)

    def _add_table(self, pieces: list[Piece]) -> None:
        """The pieces as the plugin's `handle_data` adds text in a plain context
        (whitespace collapsed); kept cells through its handlers."""
        text: list[str] = self.section.text
        for piece in pieces:
            if piece == " ":
                if not text or not text[-1].isspace():
                    text.append(" ")
            elif isinstance(piece, str):
                text.append(piece)
            else:
                opened = [material_search.Element(tag) for tag in piece.rows]
                self.context.extend(opened)
                self.context.append(material_search.Element(piece.tag, piece.attrs))
                self._replay(piece.content)
                del self.context[-len(opened) - 1:]

    def _replay(self, html: str) -> None:
        """The parser's own handlers on `html`'s events, in the current context."""
        if self._relay is None:
            self._relay = _Relay(self)
        self._relay.reset()
        self._relay.feed(html)
        self._relay.close()


def _plain_tables(html: str) -> dict[int, _Table]:
    """The plain tables of a page's HTML, by the offset of their `<table>`."""
    tables: dict[int, _Table] = {}
    if "<table>\n" in html:
        for match in BLOCK.finditer(html):
            pieces = None if _CONTROL.search(match.group(1)) else _pieces(match.group(1))
            if pieces is not None:
                tables[match.start()] = _Table(match.group(0), pieces)
    return tables


class _Relay(HTMLParser):
    """Splits HTML into events as `html.parser` does and hands them to a search parser."""

    def __init__(self, target: TablesAside) -> None:
        super().__init__()
        self._target = target

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        _PARSER.handle_starttag(self._target, tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        _PARSER.handle_endtag(self._target, tag)

    def handle_data(self, data: str) -> None:
        _PARSER.handle_data(self._target, data)


def _pieces(inside: str) -> list[Piece] | None:
    """What a plain table's inside adds (see `Piece`), or None when it is not one: no
    attribute the plugin reads (`data-search-exclude`, `linenodiv`), lines of row tags
    (balanced: the parser's context is the same after the table) and cells
    (`_cell_pieces`). Every line is preceded by a newline, and followed by one at the end."""
    if "data-search-exclude" in inside or "linenodiv" in inside:
        return None
    pieces: list[Piece] = []
    rows: list[str] = []
    for line in inside.split("\n"):
        pieces.append(" ")
        if ROW_LINE.fullmatch(line):
            if line[1] != "/":
                rows.append(line[1:-1])
            elif not rows or rows.pop() != line[2:-1]:
                return None
            continue
        match = _CELL.fullmatch(line)
        if match is None or not _cell_pieces(pieces, rows, *match.groups()):
            return None
    pieces.append(" ")
    return pieces if not rows else None


def _cell_pieces(pieces: list[Piece], rows: list[str], tag: str, name: str | None,
                 value: str | None, content: str) -> bool:
    """Add a cell of text, or of text, entities and balanced inline tags as
    mkdocs_tables reads a plain cell (no `<` or `>` but in its tags, attributes
    quoted: `html.parser` splits it at its tags): its text events, decoded and escaped
    as the plugin adds them, or the cell for the handlers when it holds a kept tag.
    False for any other cell."""
    if "<" not in content:
        if content:
            pieces.append(_text(unescape(content)))
        return True
    if not plain_cell(content):
        return False
    parts = _SPLIT.split(content)
    if any(_KEPT_TAG.match(part) for part in parts[1::2]):
        attrs = {name: value} if name is not None and value is not None else {}
        pieces.append(_KeptCell(tuple(rows), tag, attrs, content))
    else:
        pieces.extend(_text(unescape(text)) for text in parts[0::2] if text)
    return True


def _text(data: str) -> str:
    """A text event as the plugin's `handle_data` adds it: `" "` for whitespace (then
    collapsed), else escaped."""
    return " " if data.isspace() else escape(data.replace("\n", " "), quote=False)
