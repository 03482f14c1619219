"""Search entries made with the pages' plain tables read without the HTML parser
(mlcards.incremental.mkdocs_search) are the search plugin's own: the same sections
as its parser's on generated tables in every context, and the same search index and
site from a build."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar

import pytest
from cli_result import CliResult
from material.plugins.search.plugin import Parser, SearchIndex
from test_mkdocs_parallel import build
from test_perf_equivalence import hashes, small_registry

from mlcards.incremental import mkdocs_search
from mlcards.incremental.mkdocs_search import TablesAside

Run = Callable[..., CliResult]

CELLS = [
    "", " ", "plain text", "a &amp; b &lt;c&gt; &#95;x&#x41;", "&nbsp;", "caf\u00e9 \u2013 ok",
    "0.912 <small>[0.90, 0.92]</small>", '<a href="../x/">link</a> after',
    '<span class="mlcards-gate" data-rule="a&#95;b">\u2013 not gated</span>',
    "<strong>2.5</strong>", "<code>x = 1</code>", "<code></code>", "<code> </code>",
    "H<sub>2</sub>O", "<em><code>nested</code></em>", "a<br>b", "a<br/>b", "<br />",
    '<img alt="pic" src="p.png">', "tab\there", "<kbd>Ctrl</kbd> + <kbd>C</kbd>", "a > b",
    "<b>x</b><i>y</i>",
]
ODD_CELLS = [  # never set aside: the table is parsed as it is
    "<span>unclosed", "<span/>", "<SPAN>upper</SPAN>", '<a title="a>b">gt in attr</a>',
    "a < b", '<span data-search-exclude="">hidden</span>', "<p>block</p>", "</td><td>two",
]
BEFORE = [
    "", "<h1 id=\"top\">Top</h1>\n", "<p>Intro <code>c</code></p>\n",
    "<h2 id=\"s\">Section</h2>\n<p>x</p>\n", "<div><h3 id=\"deep\">Deep</h3></div>\n",
    "<div><div><h2 id=\"n\">Nested</h2>\n", "<h2>no id</h2>\n", "<pre>code\n",
    "<div data-search-exclude>\n", "<h2 id=\"h\">Heading ", "<td data-search-exclude>",
    "<!-- ", "<script>var t = '", "<code>", '<div title="', "<ul><li>item ",
    '<div class="linenodiv">', "<object>",
]
AFTER = ["", "\n<p>after</p>\n", " -->\n", "';</script>\n", "</code>\n", '">x</div>\n',
         "</div>\n", "</h2>\n", "</pre>\n", "</li></ul>\n", "</object>\n"]


def cell(rng: random.Random) -> str:
    return rng.choice(ODD_CELLS if rng.random() < 0.03 else CELLS)


def table(rng: random.Random) -> str:
    """A table in the `tables` layout, its cells drawn from CELLS (a few from ODD_CELLS)."""
    columns = rng.randint(1, 4)
    align = [rng.choice(["", ' style="text-align: right;"', ' align="left"'])
             for _ in range(columns)]
    lines = ["<table>", "<thead>", "<tr>"]
    lines += [f"<th{a}>{cell(rng)}</th>" for a in align]
    lines += ["</tr>", "</thead>", "<tbody>"]
    for _ in range(rng.randint(0, 4)):
        lines += ["<tr>", *(f"<td{a}>{cell(rng)}</td>" for a in align), "</tr>"]
    lines += ["</tbody>", "</table>"]
    return "\n".join(lines)


ROW_TAGS = {"<thead>", "</thead>", "<tbody>", "</tbody>", "<tr>", "</tr>"}


def odd_rows(rng: random.Random, html: str) -> str:
    """The table with one row tag dropped or doubled (the rows no longer balance)."""
    lines = html.split("\n")
    rows = [i for i, line in enumerate(lines) if line in ROW_TAGS]
    i = rng.choice(rows)
    lines[i:i + 1] = [] if rng.random() < 0.5 else [lines[i], lines[i]]
    return "\n".join(lines)



def document(rng: random.Random) -> str:
    parts = [rng.choice(BEFORE)]
    for _ in range(rng.randint(1, 3)):
        html = table(rng)
        if rng.random() < 0.05:
            html = odd_rows(rng, html)
        parts += [html, "\n", rng.choice(["", "<p>between</p>\n", "text\n"])]
    parts.append(rng.choice(AFTER))
    return "".join(parts)


def sections(parser: Any, html: str) -> list[tuple[Any, ...]]:
    parser.feed(html)
    parser.close()
    return [(s.el.tag, s.id, s.depth, s.title, s.text, s.is_excluded()) for s in parser.data]


class Counting(TablesAside):  # type: ignore[misc]
    contexts: ClassVar[list[bool]] = []

    def _plain_context(self) -> bool:
        plain: bool = super()._plain_context()
        self.contexts.append(plain)
        return plain


def test_the_sections_are_the_parsers_own_in_every_context() -> None:
    rng = random.Random(17)
    read = 0
    for _ in range(2000):
        html = document(rng)
        aside = Counting()
        assert sections(aside, html) == sections(Parser(), html), html
        read += aside.read
    plain = sum(Counting.contexts)
    assert read == plain > 1000 and len(Counting.contexts) - plain > 300


def test_a_card_table_is_set_aside_and_read_without_the_html_parser(
        monkeypatch: pytest.MonkeyPatch) -> None:
    html = ("<h2 id=\"r\">Results</h2>\n<table>\n<thead>\n<tr>\n<th>Group</th>\n"
            "<th style=\"text-align: right;\">Accuracy</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n"
            "<td>age &gt; 60</td>\n<td style=\"text-align: right;\">0.91 <small>[0.90, 0.92]"
            "</small></td>\n</tr>\n</tbody>\n</table>\n")
    replays: list[str] = []
    parsed: list[str] = []
    handle_data = TablesAside.handle_data
    monkeypatch.setattr(TablesAside, "_replay", lambda self, h: replays.append(h))
    monkeypatch.setattr(TablesAside, "handle_data",
                        lambda self, data: parsed.append(data) or handle_data(self, data))
    aside = TablesAside()
    found = sections(aside, html)
    monkeypatch.undo()
    assert aside.read == 1 and not replays
    assert parsed == ["Results", "\n", "\n"]  # the heading, around the table
    assert found == sections(Parser(), html)
    assert "".join(found[-1][4]).split() == ["Group", "Accuracy", "age", "&gt;", "60", "0.91",
                                             "[0.90,", "0.92]"]


def entries(html: str) -> list[dict[str, Any]]:
    index = SearchIndex(lang=["en"], separator=r"[\s\-]+", pipeline=[], fields={})
    page = SimpleNamespace(content=html, meta={}, toc=[], url="p/", title="Page")
    mkdocs_search.add_entries(SearchIndex.add_entry_from_context, index, page)
    return index.entries


@pytest.mark.parametrize("wrap", [("<!-- ", " -->"), ("<script>'", "'</script>"),
                                  ('<div title="', '">x</div>'), ('<div title="', "")])
def test_a_table_inside_a_comment_script_or_attribute_is_left_to_the_parser(
        wrap: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    html = ("<h1>T</h1>\n<p>a</p>\n" + wrap[0] + table(random.Random(3)) + "\n<p>b</p>\n"
            + table(random.Random(5)) + wrap[1] + "\n<p>c</p>")
    made = entries(html)
    monkeypatch.setattr(mkdocs_search, "ENABLED", False)
    assert made == entries(html)


def test_entries_go_through_the_plugins_own_indexer() -> None:
    html = ("<h1 id=\"t\">T</h1>\n<h2 id=\"r\">Results</h2>\n<table>\n<tbody>\n<tr>\n"
            "<td>a &amp; <code>b</code></td>\n<td><strong>c</strong></td>\n</tr>\n</tbody>\n"
            "</table>\n")
    made = entries(html)
    assert [e["location"] for e in made] == ["p/", "p/#r"]
    assert made[1]["title"] == "Results" and made[1]["text"] == "a &amp; <code>b</code> c"
    assert mkdocs_search.material_search.Parser is Parser  # put back


def test_the_site_is_the_same_either_way(tmp_path: Path, run_cli: Run,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    registry = small_registry(tmp_path / "registry")
    close = mkdocs_search.TablesAside.close
    noted = tmp_path / "read.txt"

    def noting(self: TablesAside) -> None:
        close(self)
        with noted.open("a") as fh:  # forked workers too
            fh.write(f"{self.read} {len(self._tables)}\n")

    monkeypatch.setattr(mkdocs_search.TablesAside, "close", noting)
    monkeypatch.setattr(mkdocs_search, "ENABLED", False)
    build(run_cli, registry, tmp_path / "plain", 2)
    assert not noted.exists()
    monkeypatch.setattr(mkdocs_search, "ENABLED", True)
    build(run_cli, registry, tmp_path / "workers", 2)
    build(run_cli, registry, tmp_path / "here", 1)
    expected = hashes(tmp_path / "plain")
    assert "search/search_index.json" in expected
    assert hashes(tmp_path / "workers") == expected
    assert hashes(tmp_path / "here") == expected
    counts = [tuple(map(int, line.split())) for line in noted.read_text().splitlines()]
    assert counts and all(read == plain for read, plain in counts)  # every table
    assert sum(read for read, _ in counts) > 20
