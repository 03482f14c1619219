"""MkDocs' `Page.render` with the pages' pre-rendered HTML tables passed around Markdown.

The card templates write their big tables as raw HTML in exactly the layout of
Python-Markdown's `tables` extension (one tag per line, cells on one line). Markdown
emits such a table unchanged, but only after parsing it tag by tag in Python (inside
a `markdown="1"` block it even builds an element per tag and serializes it back):
most of a card page's conversion time. `render` (used wherever the incremental layer
renders a page: mkdocs_page, mkdocs_parallel) takes each such table's inside out of
the page's Markdown, leaving `<table>`, one line with a placeholder, `</table>`;
converts; and puts the inside back into the HTML where the placeholder came out.

Why the HTML is the same, byte for byte, as Markdown's own conversion of the page:

- the `<table>` and `</table>` lines stay, so Markdown parses the page's blocks,
  raw HTML and `markdown="1"` blocks exactly as before;
- a line `<table>` is raw HTML wherever it is not in a code block or comment (the
  HTML extractors take a block-level tag at the start of a line before any block
  parsing). Raw HTML at the top level is emitted as written; inside a `markdown="1"`
  block the table becomes an element tree whose text is never parsed as Markdown
  (its inline tags are kept as written), which the serializer writes back as
  written when every line has the `tables` layout (`_is_plain`): tags without
  attributes but a cell's alignment, one-line cells of text, entities and balanced
  inline tags, no `&` but in an entity, no `>` in text, no control characters;
- but a table that starts inside a `<p markdown="1">` block closes it and becomes a
  block of its own, which md_in_html writes with blank lines between its row groups:
  a page with a `<p` tag naming `markdown` is converted as it is;
- what reads the tree or the raw text besides: MkDocs collects anchor ids from raw
  HTML and elements (a table with `id=` or `name=` is not set aside), the `toc`
  extension replaces an element whose text is its marker (nor one holding the
  marker), `attr_list` needs `{` (nor one holding `{` or `}`); nor is a table with
  `markdown` or a Markdown link (`](`). Only pages converted with the extensions
  of the generated mkdocs.yml (`KNOWN_EXTENSIONS`) are handled;
- the placeholder holds a random token of this build; a page that holds the token
  already is converted as it is. After the conversion each placeholder must occur
  exactly once, as it went in, and the token nowhere else; otherwise (a table in a
  fenced code block, say) the page is converted again without placeholders, and
  the log records of the first conversion are dropped (`_holding`).

tests/test_mkdocs_tables.py converts tables in each of these contexts both ways.
`ENABLED` switches this off (the tests build both ways).
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from mkdocs.structure.pages import Page

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.files import Files

ENABLED = True
"""Set tables aside while pages are converted (False: plain `Page.render`)."""

KNOWN_EXTENSIONS = frozenset({"toc", "tables", "fenced_code", "admonition", "attr_list",
                              "md_in_html"})
"""Markdown extensions whose handling of a plain table is known (the generated mkdocs.yml
uses these and MkDocs' built-in ones); with any other, pages are converted as they are."""

TOKEN = f"mlcards{secrets.token_hex(12)}t"
"""The placeholder's unforgeable part: random per build (forked workers share it)."""

BLOCK = re.compile(r"^<table>\n(.*?)\n</table>$", re.MULTILINE | re.DOTALL)
"""From a line `<table>` to the next line `</table>`: the inside."""

INLINE_TAGS = frozenset({
    "a", "abbr", "b", "bdi", "bdo", "br", "cite", "code", "data", "del", "dfn", "em",
    "i", "img", "ins", "kbd", "mark", "q", "s", "samp", "small", "span", "strong", "sub",
    "sup", "time", "u", "var", "wbr"})
"""Tags a cell may hold: none is block-level for Python-Markdown, so inside a
`markdown="1"` block each is kept as written (not made an element)."""
_VOID_TAGS = frozenset({"br", "img", "wbr"})
ROW_LINE = re.compile(r"</?(?:thead|tbody|tr)>")
_CELL_LINE = re.compile(r'<(t[hd])(?: style="text-align: (?:left|right|center);"'
                        r'| align="(?:left|right|center)")?>(.*)</\1>')
_CELL_PART = re.compile(
    r"(?P<text>[^<>&\x00-\x1f\x7f]+)"
    r"|(?P<entity>&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});)"
    r'|<(?P<close>/?)(?P<tag>[a-z][a-z0-9]*)(?P<attrs>(?: [a-z][a-z-]*="[^"<>]*")*)'
    r"(?P<slash> ?/?)>")
_P_IN_MARKDOWN = re.compile(r"""<p[\s/](?:[^<>"']|"[^"]*"|'[^']*')*markdown""", re.IGNORECASE)
"""A `<p>` tag with a `markdown` attribute (or what may be one): a table starting inside
such a block ends it and is then flattened as a block of its own (md_in_html inserts
blank lines between its rows' groups); pages holding one are converted as they are."""
_ANCHOR = re.compile(r"(?:id|name)\s*=")
"""An anchor attribute (or text that looks like one), in lower case."""


def _one_line_tables() -> re.Pattern[str]:
    """The inside of a plain table, lines ending in newlines, as one expression: the
    common case of `_is_plain` in one C call (inline tags nested up to two deep)."""
    flat = (r"(?:[^<>&\x00-\x1f\x7f]|&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}"
            r'|[A-Za-z][A-Za-z0-9]{1,31});|<(?:br|img|wbr)(?: [a-z][a-z-]*="[^"<>]*")* ?/?>)')
    names = "|".join(sorted(INLINE_TAGS - _VOID_TAGS, key=lambda n: (-len(n), n)))
    attrs = r'(?: [a-z][a-z-]*="[^"<>]*")*'
    one = rf"(?:{flat}|<(?P<one>{names}){attrs}>{flat}*</(?P=one)>)"
    two = rf"(?:{flat}|<(?P<two>{names}){attrs}>{one}*</(?P=two)>)"
    cell = (r'<(?P<cell>t[hd])(?: style="text-align: (?:left|right|center);"'
            rf'| align="(?:left|right|center)")?>{two}*</(?P=cell)>')
    return re.compile(rf"(?:(?:</?(?:thead|tbody|tr)>|{cell})\n)+")


_PLAIN_INSIDE = _one_line_tables()


def render(page: Page, config: MkDocsConfig, files: Files) -> None:
    """`Page.render(page, config, files)`, its plain tables set aside (see the module)."""
    markdown = page.markdown
    aside = set_aside(markdown, config) if ENABLED and markdown is not None else None
    if aside is None:
        Page.render(page, config, files)
        return
    text, insides = aside
    page.markdown = text
    with _holding() as held:
        try:
            Page.render(page, config, files)
            content = put_back(page.content, insides)
        except Exception:
            content = None
        finally:
            page.markdown = markdown
        if content is None:
            held.clear()
    if content is None:
        Page.render(page, config, files)
        return
    page.content = content
    for logger, record in held:
        logger.callHandlers(record)


def set_aside(markdown: str, config: MkDocsConfig | dict[str, Any]) -> tuple[str, list[str]] | None:
    """The Markdown with the inside of each plain table replaced by a placeholder, and
    the insides; None when no table is set aside (or the page cannot be handled)."""
    marker = _toc_marker(config)
    if marker is None or "<table>\n" not in markdown or TOKEN in markdown \
            or _P_IN_MARKDOWN.search(markdown):
        return None
    insides: list[str] = []

    def aside(match: re.Match[str]) -> str:
        inside = match.group(1)
        if not _is_plain(inside, marker):
            return match.group(0)
        insides.append(inside)
        return f"<table>\n{TOKEN}{len(insides) - 1}\n</table>"

    text = BLOCK.sub(aside, markdown)
    return (text, insides) if insides else None


def put_back(content: str | None, insides: list[str]) -> str | None:
    """The HTML with every placeholder replaced by its table's inside; None unless each
    placeholder occurs exactly once, as set aside, and the token nowhere else."""
    if content is None or content.count(TOKEN) != len(insides):
        return None
    seen: set[int] = set()

    def back(match: re.Match[str]) -> str:
        index = int(match.group(1))
        if index >= len(insides):
            return match.group(0)
        seen.add(index)
        return f"<table>\n{insides[index]}\n</table>"

    out = re.sub(f"<table>\n{TOKEN}([0-9]+)\n</table>", back, content)
    return out if len(seen) == len(insides) else None


def _toc_marker(config: MkDocsConfig | dict[str, Any]) -> str | None:
    """The toc extension's marker ('' for none); None when an extension is unknown."""
    names = config["markdown_extensions"]
    if not all(isinstance(n, str) and n.removeprefix("markdown.extensions.")
               in KNOWN_EXTENSIONS for n in names):
        return None
    configs = config["mdx_configs"] or {}
    toc = configs.get("toc") or configs.get("markdown.extensions.toc") or {}
    marker = toc.get("marker", "[TOC]")
    return marker if isinstance(marker, str) else None


def _is_plain(inside: str, marker: str) -> bool:
    """Whether Markdown writes this table inside as it is, in every context (see the module)."""
    if _never(inside) or (marker and marker in inside):
        return False
    if _PLAIN_INSIDE.fullmatch(inside + "\n"):
        return True
    for line in inside.split("\n"):
        if ROW_LINE.fullmatch(line):
            continue
        cell = _CELL_LINE.fullmatch(line)
        if cell is None or not plain_cell(cell.group(2)):
            return False
    return True


def _never(inside: str) -> bool:
    """Whether a table holds what is never set aside: an anchor (`id=`, `name=`),
    Markdown in HTML (`markdown`), a Markdown link (`](`) or an attribute list (`{`)."""
    low = inside.lower()
    return "{" in low or "}" in low or "](" in low or "markdown" in low \
        or _ANCHOR.search(low) is not None


def plain_cell(cell: str) -> bool:
    """Text, entities and balanced inline tags, as `_CELL_PART` reads them."""
    open_tags: list[str] = []
    pos = 0
    for part in _CELL_PART.finditer(cell):
        if part.start() != pos:
            return False
        pos = part.end()
        tag = part.group("tag")
        if tag is None:
            continue
        if tag not in INLINE_TAGS:
            return False
        if tag in _VOID_TAGS:
            if part.group("close"):
                return False
        elif part.group("slash"):
            return False
        elif part.group("close"):
            if part.group("attrs") or not open_tags or open_tags.pop() != tag:
                return False
        else:
            open_tags.append(tag)
    return pos == len(cell) and not open_tags


@contextmanager
def _holding() -> Iterator[list[tuple[logging.Logger, logging.LogRecord]]]:
    """Inside the block, records that loggers of this thread pass to their handlers are
    held instead (the caller hands them on, or drops them), in order, logger filters
    applied; another thread's records are handled as usual."""
    held: list[tuple[logging.Logger, logging.LogRecord]] = []
    original = logging.Logger.callHandlers
    thread = threading.get_ident()

    def hold(logger: logging.Logger, record: logging.LogRecord) -> None:
        if record.thread is None or record.thread == thread:
            held.append((logger, record))
        else:
            original(logger, record)

    logging.Logger.callHandlers = hold  # type: ignore[method-assign, assignment]
    try:
        yield held
    finally:
        logging.Logger.callHandlers = original  # type: ignore[method-assign]
