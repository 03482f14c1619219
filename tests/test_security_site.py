"""Untrusted card text through the whole build: pages, plots and downloads stay inert.

A registry with attacks in every kind of field (tests/hostile.py) is built once
in full; every HTML page, SVG plot, JSON and CSV download is checked. A
property test then builds generated registries with arbitrary card text
(docs tree only, for speed) and checks every page the same way.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hostile import (
    BREAKOUT,
    IMG,
    MODEL_DIR,
    PLAIN_PAYLOAD,
    SCRIPT,
    hostile_registry,
    inert_problems,
    page_markdown_to_html,
    strings_in,
    svg_problems,
    svg_text,
)
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from mlcards.cli import main
from mlcards.commands.init import SCAFFOLD


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hostile registry built into a full site (MkDocs + Material)."""
    tmp = tmp_path_factory.mktemp("hostile")
    root = hostile_registry(tmp / "reg")
    assert main(["build", "-q", str(root), "-o", str(tmp / "site")]) == 0
    return tmp / "site"


def files(site: Path, suffix: str) -> list[Path]:
    found = sorted(p for p in site.rglob(f"*{suffix}") if p.is_file())
    assert found, f"no {suffix} files in {site}"
    return found


def test_every_built_page_is_inert(hostile_site: Path) -> None:
    problems = {p.relative_to(hostile_site).as_posix(): found
                for p in files(hostile_site, ".html")
                if (found := inert_problems(p.read_text(encoding="utf-8"), theme=True))}
    assert problems == {}


def test_card_text_is_shown_as_text(hostile_site: Path) -> None:
    """Inert because escaped, not because dropped: the attack text is visible on the card."""
    page = (hostile_site / MODEL_DIR / "index.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in page.replace("&#60;", "&lt;") \
        .replace("&#62;", "&gt;")
    assert "zebracorn" in page


def test_plot_labels_from_card_text_are_text(hostile_site: Path) -> None:
    svgs = files(hostile_site, ".svg")
    assert {p: svg_problems(p.read_bytes()) for p in svgs} == {p: [] for p in svgs}
    assert [p for p in svgs if b"<script" in p.read_bytes().lower()] == []
    labels = " ".join(svg_text(p.read_bytes()) for p in svgs)
    assert "<script>window.__pwned" in labels  # the group name, drawn as literal text
    assert "<img src=x" in labels
    assert "$x^2$" in labels  # no TeX either: card text is drawn literally


def test_json_downloads_carry_card_text_as_data(hostile_site: Path) -> None:
    docs = {p.relative_to(hostile_site).as_posix(): json.loads(p.read_text(encoding="utf-8"))
            for p in files(hostile_site, ".json") if "search" not in p.parts}
    assert "registry.json" in docs
    assert any(p.endswith("scorecard.json") for p in docs)
    registry_strings = strings_in(docs["registry.json"])
    assert f"Example {PLAIN_PAYLOAD}" in registry_strings
    scorecard = next(v for k, v in docs.items() if k.endswith("scorecard.json"))
    assert PLAIN_PAYLOAD in strings_in(scorecard)
    for text in [s for doc in docs.values() for s in strings_in(doc)]:
        assert "&#60;" not in text and "&lt;" not in text, text  # data, not HTML


def test_csv_downloads_carry_card_text_as_data(hostile_site: Path) -> None:
    cells = []
    for path in files(hostile_site, ".csv"):
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
        assert len({len(r) for r in rows}) == 1, f"{path}: ragged rows"
        cells += [c for r in rows for c in r]
    assert PLAIN_PAYLOAD in cells
    assert not [c for c in cells if "&#60;" in c or "&lt;" in c]


def test_search_index_holds_no_live_markup(hostile_site: Path) -> None:
    """Material's search renders index text as HTML: it must be escaped there."""
    index = json.loads((hostile_site / "search/search_index.json").read_text(encoding="utf-8"))
    for doc in index["docs"]:
        for key in ("title", "text"):
            assert inert_problems(doc[key]) == [], (doc["location"], key, doc[key][:200])


# --------------------------------------------------------------------------- properties

FRAGMENTS = [SCRIPT, BREAKOUT, IMG, "<iframe src=x>", "javascript:", "jav&#x61;script:",
             "[a](", ")", "](javascript:x)", "<a href='", "' onclick='x'>", "&", "&amp;", "&#60;",
             '"', "'", "|", "\r", "\n", "\n\n", "$", "$x$", "{: onclick=x }", "<!--", "-->",
             "]]>", "<![CDATA[", "`", "```\n", "    ", "---\n", "!!! note\n", "\\", "<", ">",
             "%", "#", "*", "_", "~", "<style>", "<svg/onload=x>", "\u202e", "\x00", "\t"]
CARD_TEXT = st.characters(exclude_characters="\x85\u2028\u2029\r",
                          exclude_categories=("Cs",))
text = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(CARD_TEXT, max_size=8)),
                min_size=1, max_size=6).map("".join)
one_line = text.map(lambda s: s.strip() or "x")


def write_generated_registry(root: Path, values: dict[str, Any]) -> None:
    """The scaffold (without readiness.yaml: the PDF is slow) with generated text."""
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(SCAFFOLD, root)
    folder = root / MODEL_DIR
    (folder / "readiness.yaml").unlink()
    card = yaml.safe_load((folder / "card.yaml").read_text(encoding="utf-8"))
    details = card["model_details"]
    details["name"] = values["name"]
    details["description"] = values["markdown"]
    details["owners"][0]["name"] = values["owner"]
    card["tags"] = values["tags"]
    card["intended_use"]["out_of_scope"] = values["markdown"]
    card["ethical_considerations"]["risks"][0]["name"] = values["owner"]
    (folder / "card.yaml").write_text(yaml.safe_dump(card), encoding="utf-8")
    ev = yaml.safe_load((folder / "evaluation.yaml").read_text(encoding="utf-8"))
    ev["results"][1]["slice"] = {values["slice_key"]: values["group"]}
    ev["results"][2]["slice"] = {values["slice_key"]: values["group"] + " 2"}
    ev["metrics"][0]["description"] = values["markdown"]
    (folder / "evaluation.yaml").write_text(yaml.safe_dump(ev), encoding="utf-8")


@pytest.mark.filterwarnings("ignore:Glyph .* missing from font")
@settings(max_examples=8, deadline=None,
          phases=[Phase.explicit, Phase.generate],  # each example is a build: no shrinking
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(values=st.fixed_dictionaries({
    "name": one_line, "markdown": text, "owner": one_line, "group": one_line,
    "slice_key": one_line, "tags": st.lists(one_line, max_size=3, unique=True)}))
def test_generated_registries_build_to_inert_pages(tmp_path: Path, values: dict[str, Any],
                                                   ) -> None:
    root = tmp_path / "reg"
    out = tmp_path / "out"
    write_generated_registry(root, values)
    code = main(["build", "-q", "--docs-only", str(root), "-o", str(out)])
    assert code == 0, f"valid registry did not build: {values!r}"
    config = yaml.safe_load((out / "mkdocs.yml").read_text(encoding="utf-8"))
    pages = sorted((out / "docs").rglob("*.md"))
    assert len(pages) >= 5
    for page in pages:
        source = page.read_text(encoding="utf-8")
        assert "<script" not in source.lower(), page  # our templates write none
        html = page_markdown_to_html(source, config["markdown_extensions"])
        assert inert_problems(html) == [], (page, values)
    for svg in (out / "docs").rglob("*.svg"):
        assert svg_problems(svg.read_bytes()) == [], svg
