"""The rows of the HTML tables in a generated page, for asserting what a table says.

The card templates write their big tables as HTML (MkDocs' `tables` extension was
most of a card page's conversion time), so tests read rows from `<tr>` elements
rather than from `| a | b |` lines. Cell text is returned as written, entities kept.
"""

from __future__ import annotations

import re

_ROW = re.compile(r"<tr>\n(.*?)</tr>", re.DOTALL)
_CELL = re.compile(r"<t[dh](?: [^>]*)?>(.*?)</t[dh]>", re.DOTALL)


def table_rows(text: str) -> list[list[str]]:
    """Every table row of `text` (header rows too), as the list of its cells' contents."""
    return [_CELL.findall(row) for row in _ROW.findall(text)]
