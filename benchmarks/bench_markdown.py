"""Python-Markdown's conversion time of generated pages, with the site's extensions.

    mlcards build site_example -o /tmp/a --docs-only --no-cache --revision X
    python benchmarks/bench_markdown.py /tmp/a [/tmp/b] [--pages 3] [--rounds 60]

Reads the Markdown extensions from the tree's mkdocs.yml and converts the largest
card pages (models/*/*/index.md) of the first tree, over and over, with one
converter reset between pages as MkDocs does. With a second tree (the same registry
built with other templates) the same pages of both are converted in turn, so a
change of the machine's speed hits both alike. Prints CPU milliseconds per page
(minimum and median of the rounds) and, with two trees, the median's change.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import Any

import markdown
import yaml


def converter(tree: Path) -> markdown.Markdown:
    config = yaml.safe_load((tree / "mkdocs.yml").read_text(encoding="utf-8"))
    names: list[str] = []
    configs: dict[str, Any] = {}
    for ext in config["markdown_extensions"]:
        if isinstance(ext, dict):
            (name, conf), = ext.items()
            names.append(name)
            configs[name] = conf or {}
        else:
            names.append(ext)
    return markdown.Markdown(extensions=names, extension_configs=configs)


def seconds(md: markdown.Markdown, text: str) -> float:
    md.reset()
    start = time.process_time()
    md.convert(text)
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("trees", nargs="+", type=Path, help="--docs-only output folders")
    parser.add_argument("--pages", type=int, default=3, help="largest card pages to time")
    parser.add_argument("--rounds", type=int, default=60)
    args = parser.parse_args()
    docs = [t / "docs" for t in args.trees]
    cards = sorted(docs[0].glob("models/*/*/index.md"), key=lambda p: -p.stat().st_size)
    md = converter(args.trees[0])
    for page in cards[:args.pages]:
        rel = page.relative_to(docs[0])
        texts = [(d / rel).read_text(encoding="utf-8") for d in docs]
        times: list[list[float]] = [[] for _ in texts]
        for _ in range(args.rounds):
            for text, out in zip(texts, times, strict=True):
                out.append(seconds(md, text))
        cells = [f"{len(t) / 1024:5.1f} KB {min(s) * 1e3:5.1f} / "
                 f"{statistics.median(s) * 1e3:5.1f} ms" for t, s in zip(texts, times, strict=True)]
        change = ""
        if len(times) > 1:
            a, b = statistics.median(times[0]), statistics.median(times[-1])
            change = f"  {100 * (b - a) / a:+.0f} %"
        print(f"{rel}: " + "  |  ".join(cells) + change)


if __name__ == "__main__":
    main()
