"""MkDocs' `Page.render` and the search plugin's parsing of generated pages, plain and
with their tables set aside.

    mlcards build REGISTRY -o /tmp/t --docs-only --no-cache --revision X
    python benchmarks/bench_tables.py /tmp/t [--rounds 40] [PAGE ...]

Loads the tree's mkdocs.yml and files as MkDocs does and renders each page over and
over, in turn plainly (`Page.render`) and with mlcards.incremental.mkdocs_tables
(which must give the same HTML: checked), so a change of the machine's speed hits
both alike. PAGE is a docs path; without one: the largest card page
(models/M/V/index.md), model landing page (models/M/index.md) and scorecard page.
Then the same for the search plugin's parsing of the page's HTML: Material's `Parser`
and mlcards.incremental.mkdocs_search's `TablesAside` (same sections: checked).
Prints CPU ms per page (minimum / median of the rounds) and the median's change.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from material.plugins.search.plugin import Parser
from mkdocs.config import load_config
from mkdocs.structure.files import get_files
from mkdocs.structure.pages import Page

from mlcards.incremental import mkdocs_tables
from mlcards.incremental.mkdocs_search import TablesAside


def largest(docs: Path, pattern: str) -> str:
    return max(docs.glob(pattern), key=lambda p: p.stat().st_size).relative_to(docs).as_posix()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("tree", type=Path, help="a --docs-only output folder")
    parser.add_argument("pages", nargs="*", help="docs paths (default: three kinds)")
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    config = load_config(config_file=str(args.tree / "mkdocs.yml"))
    files = get_files(config)
    docs = args.tree / "docs"
    pages = args.pages or [largest(docs, "models/*/*/index.md"),
                           largest(docs, "models/*/index.md"),
                           largest(docs, "models/*/*/scorecard.md")]
    for path in pages:
        file = files.get_file_from_path(path)
        assert file is not None, path
        page = Page(None, file, config)
        page.read_source(config)
        times: dict[bool, list[float]] = {False: [], True: []}
        html: dict[bool, str | None] = {}
        for _ in range(args.rounds):
            for aside in (False, True):
                start = time.process_time()
                if aside:
                    mkdocs_tables.render(page, config, files)
                else:
                    Page.render(page, config, files)
                times[aside].append(time.process_time() - start)
                html[aside] = page.content
        assert html[True] == html[False], f"{path}: not the same HTML"
        report(f"{path} ({len(page.markdown or '') / 1024:.0f} KB Markdown)", times)
        content = html[True] or ""
        times = {False: [], True: []}
        found: dict[bool, list[tuple[object, ...]]] = {}
        for _ in range(args.rounds):
            for aside in (False, True):
                start = time.process_time()
                reader = TablesAside() if aside else Parser()
                reader.feed(content)
                reader.close()
                times[aside].append(time.process_time() - start)
                found[aside] = [(s.id, s.title, s.text) for s in reader.data]
        assert found[True] == found[False], f"{path}: not the same sections"
        report(f"  search parsing ({len(content) / 1024:.0f} KB HTML)", times)


def report(label: str, times: dict[bool, list[float]]) -> None:
    before, after = (statistics.median(times[a]) for a in (False, True))
    cells = [f"{min(times[a]) * 1e3:5.1f} / {statistics.median(times[a]) * 1e3:5.1f} ms"
             for a in (False, True)]
    print(f"{label}: {cells[0]} -> {cells[1]}  {100 * (after - before) / before:+.0f} %")


if __name__ == "__main__":
    main()
