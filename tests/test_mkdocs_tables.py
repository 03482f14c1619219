"""Pages converted with their pre-rendered tables set aside (mlcards.incremental.mkdocs_tables)
give the same site and messages as pages converted as they are; a table Markdown might
not write as it is, and a page that holds the placeholder's token, are left to Markdown."""

from __future__ import annotations

import logging
import random
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cli_result import CliResult
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page
from test_mkdocs_parallel import broken_link, build
from test_perf_equivalence import hashes, small_registry

from mlcards.incremental import mkdocs_tables

Run = Callable[..., CliResult]

TABLE = ("<table>\n<thead>\n<tr>\n<th>Field</th>\n<th style=\"text-align: right;\">n</th>\n"
         "</tr>\n</thead>\n<tbody>\n<tr>\n<td>a &amp; <code>b</code> "
         "<a href=\"../c/\">c</a></td>\n<td style=\"text-align: right;\">1</td>\n</tr>\n"
         "</tbody>\n</table>")


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = small_registry(tmp_path_factory.mktemp("tables") / "registry")
    broken_link(root)  # MkDocs warnings from the pages' render and the anchor check
    return root


def test_the_site_and_the_messages_are_the_same_either_way(
        registry: Path, tmp_path: Path, run_cli: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    put_back = mkdocs_tables.put_back
    noted = tmp_path / "put-back.txt"

    def noting(content: str | None, insides: list[str]) -> str | None:
        result = put_back(content, insides)
        with noted.open("a") as fh:  # forked workers too
            fh.write(f"{result is not None} {len(insides)}\n")
        return result

    monkeypatch.setattr(mkdocs_tables, "put_back", noting)
    monkeypatch.setattr(mkdocs_tables, "ENABLED", False)
    plain, _ = build(run_cli, registry, tmp_path / "plain", 2)
    assert not noted.exists()
    monkeypatch.setattr(mkdocs_tables, "ENABLED", True)
    runs = {"workers": build(run_cli, registry, tmp_path / "workers", 2)[0],
            "here": build(run_cli, registry, tmp_path / "here", 1)[0]}  # page cache on
    expected = hashes(tmp_path / "plain")
    assert "search/search_index.json" in expected
    assert "no-such-page.md" in plain.err and "#no-such-anchor" in plain.err
    for name, result in runs.items():
        assert hashes(tmp_path / name) == expected, name
        assert result.err == plain.err, name
    lines = noted.read_text().splitlines()
    assert lines and all(line.startswith("True ") for line in lines)
    assert sum(int(line.split()[1]) for line in lines) > 20


# --------------------------------------------------------------------------- pages


@pytest.fixture
def site(tmp_path: Path) -> MkDocsConfig:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "other.md").write_text("# Other\n", encoding="utf-8")
    config = MkDocsConfig(config_file_path=str(tmp_path / "mkdocs.yml"))
    config.load_dict({"site_name": "t", "docs_dir": str(tmp_path / "docs"),
                      "site_dir": str(tmp_path / "site"),
                      "markdown_extensions": ["admonition", "attr_list", "md_in_html", "tables",
                                              {"toc": {"permalink": True}}]})
    errors, _ = config.validate()
    assert not errors
    return config


def converted(config: MkDocsConfig, text: str, *, aside: bool) -> tuple[Any, ...]:
    """What rendering `text` as a page sets, and the records it emits."""
    docs = Path(config.docs_dir)
    (docs / "page.md").write_text(text, encoding="utf-8")
    files = Files([File(name, config.docs_dir, config.site_dir, True)
                   for name in ("page.md", "other.md")])
    page = Page(None, files.get_file_from_path("page.md"), config)  # type: ignore[arg-type]
    page.read_source(config)
    records: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda r: records.append(f"{r.levelname} {r.getMessage()}")  # type: ignore[method-assign]
    logging.getLogger().addHandler(handler)
    try:
        if aside:
            mkdocs_tables.render(page, config, files)
        else:
            Page.render(page, config, files)
    finally:
        logging.getLogger().removeHandler(handler)
    links = {f.src_uri: a for f, a in (page.links_to_anchors or {}).items()}
    assert page.markdown == text
    return (page.content, [(t.id, t.title) for t in page.toc], page.title,
            page.present_anchor_ids, links, records)


def same_either_way(config: MkDocsConfig, text: str) -> tuple[Any, ...]:
    plain = converted(config, text, aside=False)
    assert converted(config, text, aside=True) == plain
    return plain


CONTEXTS = [
    "{}", "# Title\n\n{}\n", "text\n{}\ntext", "{}\n{}", "x{}", "{}x",
    '<details markdown="1">\n<summary>More</summary>\n\n{}\n\n</details>',
    '<div class="tabbed-set" markdown="1">\ntext\n\n{}\n</div>',
    '<div markdown="1">\n\n<div markdown="1">\ntext\n\n{}\n</div>\n</div>',
    '<div markdown="1">\n<p>\n{}\n</p>\n</div>', '<td markdown="1">\n{}\n</td>',
    '<div markdown="span">\n{}\n</div>', '<p markdown="1">\n{}\n</p>',
    '<P class="x" MARKDOWN>\n{}\n</P>', "```\n{}\n```", "    code\n{}", "<!--\n{}\n-->",
    "<div>\n{}\n</div>", "<pre>\n{}\n</pre>", "<script>\n{}\n</script>", "- item\n{}",
    "!!! note\n    text\n{}", "`a\n{}\nb`", "[TOC]\n\n{}",
    "<table>\n<tr><td>\n{}\n</td></tr>\n</table>",
]


@pytest.mark.parametrize("context", CONTEXTS)
def test_a_table_converts_the_same_in_every_context(site: MkDocsConfig, context: str) -> None:
    text = context.replace("{}", TABLE) + "\n\n[broken](missing.md) [other](other.md#nowhere)\n"
    content, *_, records = same_either_way(site, text)
    assert "missing.md" in " ".join(records)
    if "```" not in context and "    code" not in context:
        assert "<td>a &amp; <code>b</code>" in content


def test_a_table_in_a_code_block_is_converted_again_and_its_messages_come_once(
        site: MkDocsConfig, monkeypatch: pytest.MonkeyPatch) -> None:
    text = f"```\n{TABLE}\n```\n\n[broken](missing.md)\n"
    results: list[bool] = []
    put_back = mkdocs_tables.put_back
    monkeypatch.setattr(mkdocs_tables, "put_back",
                        lambda c, i: results.append(put_back(c, i) is not None))
    *_, records = same_either_way(site, text)
    assert results == [False]  # set aside, not found as set aside: converted again
    assert len([r for r in records if "missing.md" in r]) == 1


def test_a_page_holding_the_token_is_converted_as_it_is(site: MkDocsConfig) -> None:
    forged = f"<table>\n{mkdocs_tables.TOKEN}0\n</table>"
    for text in (f"{TABLE}\n\n{forged}\n", f"{TABLE}\n\n{mkdocs_tables.TOKEN}\n"):
        assert mkdocs_tables.set_aside(text, site) is None
        content, *_ = same_either_way(site, text)
        assert mkdocs_tables.TOKEN in content


def test_a_table_with_an_anchor_or_a_link_is_left_to_markdown(site: MkDocsConfig) -> None:
    cells = {"anchor": '<td><span id="here">x</span></td>',
             "named": '<td><a name="there">x</a></td>',
             "link": "<td>[other](other.md)</td>", "attributes": "<td>x{: .y }</td>",
             "marker": "<td>[TOC]</td>", "markdown": '<td><span markdown="1">x</span></td>',
             "bare ampersand": "<td>a & b</td>", "unclosed": "<td><code>x</td>",
             "block": "<td><p>x</p></td>", "tab": "<td>a\tb</td>", "class": '<td class="c">x</td>'}
    for name, cell in cells.items():
        table = TABLE.replace("<td>a &amp;", f"{cell}\n<td>a &amp;")
        text = f"{table}\n\n{TABLE}\n"
        aside = mkdocs_tables.set_aside(text, site)
        assert aside is not None and len(aside[1]) == 1, name  # the plain table only
        assert cell in aside[0], name
        _, _, _, anchors, *_ = same_either_way(site, text)
        if name in ("anchor", "named"):
            assert anchors == {"here"} if name == "anchor" else {"there"}


def test_pages_with_unknown_extensions_are_converted_as_they_are(site: MkDocsConfig) -> None:
    site["markdown_extensions"].append("abbr")
    assert mkdocs_tables.set_aside(f"{TABLE}\n", site) is None


def test_random_pages_convert_the_same(site: MkDocsConfig) -> None:
    rng = random.Random(7)
    cells = ["x", "", " ", "a &amp; b", "&#91;TOC&#93;", "<code>c</code>",
             '<a href="../x/">l</a>', "<br>", "<br />", "<strong><em>b</em></strong>",
             "π 😀", "https://example.com", "*emph*", "[TOC]", "a > b", "<!-- c -->"]
    aligns = ["", ' style="text-align: right;"', ' align="left"']

    def table() -> str:
        rows = []
        for _ in range(rng.randint(1, 3)):
            rows += ["<tr>", *(f"<td{rng.choice(aligns)}>{rng.choice(cells)}</td>"
                               for _ in range(rng.randint(1, 3))), "</tr>"]
        return "\n".join(["<table>", "<thead>", "<tr>", "<th>H</th>", "</tr>", "</thead>",
                          "<tbody>", *rows, "</tbody>", "</table>"])

    for _ in range(150):
        parts = [rng.choice(CONTEXTS).replace("{}", table()) for _ in range(rng.randint(1, 3))]
        same_either_way(site, "\n\n".join(parts) + rng.choice(["", "\n"]))


def test_the_tables_of_generated_pages_are_all_set_aside(registry: Path, tmp_path: Path,
                                                         run_cli: Run) -> None:
    out = tmp_path / "tree"
    result = run_cli("build", registry, "-o", out, "-q", "--docs-only", "--no-cache")
    assert result.code == 0, result.err
    config = {"markdown_extensions": ["toc", "tables", "fenced_code", "admonition",
                                      "attr_list", "md_in_html"],
              "mdx_configs": {"toc": {"permalink": True}}}
    tables = aside = 0
    for page in (out / "docs").rglob("*.md"):
        text = page.read_text(encoding="utf-8")
        tables += text.count("\n<table>\n") + text.startswith("<table>\n")
        found = mkdocs_tables.set_aside(text, config)
        aside += len(found[1]) if found else 0
    assert tables > 50
    assert aside == tables
    shutil.rmtree(out)


def test_the_one_expression_accepts_no_more_than_the_line_by_line_check() -> None:
    def line_by_line(inside: str) -> bool:
        for line in inside.split("\n"):
            cell = mkdocs_tables._CELL_LINE.fullmatch(line)
            if not mkdocs_tables.ROW_LINE.fullmatch(line) and (
                    cell is None or not mkdocs_tables.plain_cell(cell.group(2))):
                return False
        return True

    rng = random.Random(3)
    atoms = ["x", " ", "&amp;", "&#39;", "&x", ">", "<code>", "</code>", "<em>", "</em>",
             "<strong>", "</strong>", "<br>", "<br />", "</br>", '<img src="a">', "<code/>",
             '<span class="c">', "</span>", "<p>", "</p>", "\t", '<a href="x">', "</a>",
             "<x>", "</x>", "<code >", "<td>", "\n"]
    aligns = ["", ' align="left"', ' class="c"']
    accepted = 0
    for _ in range(20000):
        cell = "".join(rng.choice(atoms) for _ in range(rng.randint(0, 8)))
        inside = f"<tr>\n<td{rng.choice(aligns)}>{cell}</td>\n</tr>"
        if mkdocs_tables._PLAIN_INSIDE.fullmatch(inside + "\n"):
            accepted += 1
            assert line_by_line(inside), inside
    assert accepted > 1000


def test_only_this_thread_s_records_are_held(caplog: pytest.LogCaptureFixture) -> None:
    import threading

    log = logging.getLogger("mlcards.test.tables")
    original = logging.Logger.callHandlers
    with caplog.at_level(logging.INFO, logger=log.name), mkdocs_tables._holding() as held:
        log.info("here")
        other = threading.Thread(target=log.info, args=("there",))
        other.start()
        other.join()
        assert [r.getMessage() for r in caplog.records] == ["there"]
    assert [r.getMessage() for _, r in held] == ["here"]
    assert logging.Logger.callHandlers is original
    assert [r.getMessage() for r in caplog.records] == ["there"]  # held: not handled
