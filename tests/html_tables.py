"""The rows of the HTML tables in a generated page, for asserting what a table says.

The card templates write their big tables as HTML (MkDocs' `tables` extension was
most of a card page's conversion time), so tests read rows from `<tr>` elements
rather than from `| a | b |` lines. Cell text is returned as written, entities kept.
"""

from __future__ import annotations

import re
from typing import Any

import markdown

from mlcards.render.environment import escape_text

_ROW = re.compile(r"<tr>\n(.*?)</tr>", re.DOTALL)
_CELL = re.compile(r"<t[dh](?: [^>]*)?>(.*?)</t[dh]>", re.DOTALL)


def table_rows(text: str) -> list[list[str]]:
    """Every table row of `text` (header rows too), as the list of its cells' contents."""
    return [_CELL.findall(row) for row in _ROW.findall(text)]


def pipe_table(header: list[str], rows: list[list[Any]], right: frozenset[int] = frozenset()
               ) -> str:
    """What Python-Markdown's `tables` extension makes of a pipe table of these cells
    (escaped as the templates' `finalize` escapes them; Markup is kept as it is), with
    the columns numbered in `right` aligned right: the HTML the templates must write."""
    def line(cells: list[Any]) -> str:
        return "| " + " | ".join(str(escape_text(c)) for c in cells) + " |"

    align = "| " + " | ".join("---:" if i in right else "---" for i in range(len(header))) + " |"
    text = "\n".join([line(header), align, *(line(r) for r in rows)])
    return markdown.markdown(text, extensions=["tables"])
