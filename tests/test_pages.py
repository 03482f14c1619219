"""The core pages rendered to Markdown (no MkDocs run): card sections, slots, tables."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hostile import page_markdown_to_html
from html_tables import pipe_table, table_rows

from mlcards.cli import main
from mlcards.errors import MlcardsError
from mlcards.render import pages
from mlcards.render.context import BuildContext
from mlcards.render.environment import escape_text, external_link
from mlcards.schema.card import CARD_SECTIONS, SECTION_TITLES
from mlcards.site.build import make_context
from mlcards.site.engine import mkdocs_config
from mlcards.validate.registry import ModelVersion, load_registry

MODEL = "models/example-model"


def scaffold(tmp_path: Path) -> Path:
    root = tmp_path / "reg"
    assert main(["init", str(root)]) == 0
    return root


def edit_yaml(path: Path, change: Any) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def add_version(root: Path, version: str, *, status: str = "approved") -> Path:
    """Copy the scaffolded 0.1.0 into a new version folder."""
    src = root / MODEL / "0.1.0"
    dst = root / MODEL / version
    dst.mkdir()
    for f in src.iterdir():
        (dst / f.name).write_bytes(f.read_bytes())

    def bump(card: dict[str, Any]) -> None:
        card["model_details"]["version"] = version
        card["status"] = status

    edit_yaml(dst / "card.yaml", bump)
    return dst


def context(root: Path) -> BuildContext:
    return make_context(load_registry(root))


def rendered(root: Path) -> dict[str, str]:
    """Docs-tree path -> Markdown text of every page pages.py produces (its producers only)."""
    ctx = context(root)
    producers = (pages.home_page, pages.models_index_page, pages.tags_page)
    out = {f.path: f.content.decode() for p in producers for f in p(ctx)}
    for model in ctx.registry.models:
        rows = [pages.version_row(ctx, v) for v in reversed(model.versions)]
        cards = [pages.card_page(ctx, model, mv, rows, landing=False) for mv in model.versions]
        cards.append(pages.card_page(ctx, model, model.latest, rows, landing=True))
        out.update((f.path, f.content.decode()) for f in cards)
    return out


@pytest.fixture
def no_fragments(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Run the card pages with only the fragments a test adds."""
    fragments: list[Any] = []
    monkeypatch.setattr(pages, "CARD_FRAGMENTS", fragments)
    return fragments


def card_md(root: Path, version: str = "0.1.0", *, landing: bool = False) -> str:
    ctx = context(root)
    model = ctx.registry.models[0]
    mv = next(v for v in model.versions if v.version == version)
    rows = [pages.version_row(ctx, v) for v in reversed(model.versions)]
    return pages.card_page(ctx, model, mv, rows, landing=landing).content.decode()


def test_sections_in_mitchell_order_and_missing_ones_warned(tmp_path: Path,
                                                             no_fragments: list[Any]) -> None:
    root = scaffold(tmp_path)
    edit_yaml(root / MODEL / "0.1.0/card.yaml", lambda c: c.pop("intended_use"))
    text = card_md(root)
    positions = [text.index(f"## {SECTION_TITLES[s]} {{ #") for s in CARD_SECTIONS]
    assert positions == sorted(positions)
    intended = text[positions[1]:positions[2]]
    assert '!!! warning "Not provided"' in intended
    # factors, training data and caveats are missing from the scaffold too
    assert text.count('!!! warning "Not provided"') == 4


def test_quantitative_fallback_tables_overall_then_slices(tmp_path: Path,
                                                          no_fragments: list[Any]) -> None:
    root = scaffold(tmp_path)
    text = card_md(root)
    quant = text[text.index("## Quantitative analyses"):text.index("## Ethical considerations")]
    assert quant.index("### Overall") < quant.index("### By group")
    overall, by_group = quant.split("### By group")
    assert table_rows(overall) == [["Metric", "Value", "CI", "n", "Threshold"],
                                   ["accuracy", "0.86", "[0.84, 0.88]", "1000", "≥ 0.8 (met)"]]
    assert table_rows(by_group) == [["group", "Metric", "Value", "CI", "n"],
                                    ["a", "accuracy", "0.87", "—", "600"],
                                    ["b", "accuracy", "0.845", "—", "400"]]


HOSTILE_CELL = "a | <i>b</i> *c* _d_ `e` &amp; [l](javascript:x)"


def site_html(root: Path, text: str) -> str:
    """A generated page converted with the site's Markdown extensions (no MkDocs run)."""
    extensions = mkdocs_config(load_registry(root), [], strict=False)["markdown_extensions"]
    return page_markdown_to_html(text, extensions)


def test_model_details_tables_are_what_markdown_made_of_them(tmp_path: Path,
                                                              no_fragments: list[Any]) -> None:
    """The templates write these tables as HTML; the page must be the one the pipe tables
    made (site_example has no training section to compare the built site on)."""
    root = scaffold(tmp_path)
    url = "https://example.com/repo?a=1&b=2"

    def change(card: dict[str, Any]) -> None:
        d = card["model_details"]
        d["type"] = HOSTILE_CELL
        d.pop("library")
        d["repository"] = url
        d["training"] = {
            "hyperparameters": {"learning_rate": "5e-05", "optimizer": HOSTILE_CELL},
            "framework_versions": {"Transformers": "4.11.0"},
            "results": {"columns": ["Epoch", HOSTILE_CELL],
                        "rows": [["1.0", HOSTILE_CELL], ["2.0", ""]]}}

    edit_yaml(root / MODEL / "0.1.0/card.yaml", change)
    html = site_html(root, card_md(root))
    fields = pipe_table(["Field", "Value"], [["Type", HOSTILE_CELL], ["License", "proprietary"],
                                             ["Repository", external_link(url)]])
    assert "</div>\n" + fields + '\n<h3 id="training">' in html  # after the description
    training = "\n".join([
        pipe_table(["Hyperparameter", "Value"], [["learning_rate", "5e-05"],
                                                 ["optimizer", HOSTILE_CELL]]),
        pipe_table(["Framework", "Version"], [["Transformers", "4.11.0"]]),
        "<p><strong>Training results.</strong></p>",
        pipe_table(["Epoch", HOSTILE_CELL], [["1.0", HOSTILE_CELL], ["2.0", ""]])])
    assert training + '\n<h3 id="owners">' in html
    assert [row[1] for row in table_rows(html)[:4]] == [
        "Value", str(escape_text(HOSTILE_CELL)), "proprietary", str(external_link(url))]


def test_empty_model_details_tables_keep_markdowns_empty_row(tmp_path: Path,
                                                             no_fragments: list[Any]) -> None:
    root = scaffold(tmp_path)

    def change(card: dict[str, Any]) -> None:
        d = card["model_details"]
        for key in ("type", "library", "license"):
            d.pop(key)
        d["description"] = ""
        d["training"] = {"results": {"columns": ["Epoch", "Loss"], "rows": []}}

    edit_yaml(root / MODEL / "0.1.0/card.yaml", change)
    html = site_html(root, card_md(root))
    empty = pipe_table(["Field", "Value"], [])
    assert empty == ("<table>\n<thead>\n<tr>\n<th>Field</th>\n<th>Value</th>\n</tr>\n</thead>"
                     "\n<tbody>\n<tr>\n<td></td>\n<td></td>\n</tr>\n</tbody>\n</table>")
    assert "</h2>\n" + empty + '\n<h3 id="training">' in html
    assert "</p>\n" + pipe_table(["Epoch", "Loss"], []) + '\n<h3 id="owners">' in html


def test_slots_are_placed_where_they_belong(tmp_path: Path, no_fragments: list[Any]) -> None:
    def fragment(ctx: BuildContext, mv: ModelVersion) -> dict[str, str]:
        return {name: f"SLOT-{name.upper()} [link](scorecard.md)" for name in pages.CARD_SLOTS}

    no_fragments.append(fragment)
    text = card_md(scaffold(tmp_path))
    at = {name: text.index(f"SLOT-{name.upper()}") for name in pages.CARD_SLOTS}
    title, details = text.index("# Example model"), text.index("## Model details")
    assert title < at["summary"] < at["top"] < details  # the decision summary first
    quant, ethics = text.index("## Quantitative analyses"), text.index("## Ethical considerations")
    assert quant < at["quantitative"] < ethics
    assert ethics < text.index("## Readiness { #readiness }") < at["readiness"] \
        < text.index("## Approvals")
    assert "### By group" not in text  # a fragment filled "quantitative": no fallback tables
    versions = text.index("## Versions")
    assert versions < at["changes"] < at["checklist"] < text.index("## Source files")


def test_landing_page_rebases_fragment_links(tmp_path: Path, no_fragments: list[Any]) -> None:
    no_fragments.append(lambda ctx, mv: {"top": "see [scorecard](scorecard.md) "
                                                "![plot](plots/a.svg) [ext](https://x.org)"})
    root = scaffold(tmp_path)
    version_page = card_md(root)
    landing = card_md(root, landing=True)
    assert "[scorecard](scorecard.md)" in version_page
    assert "[scorecard](0.1.0/scorecard.md)" in landing
    assert "![plot](0.1.0/plots/a.svg)" in landing
    assert "[ext](https://x.org)" in landing
    assert landing.startswith('---\ntitle: "Example model"\nhide:\n  - navigation\n'
                              'search:\n  exclude: true\n---\n\n# Example model\n')


def test_unknown_slot_is_an_error_naming_the_fragment(tmp_path: Path,
                                                      no_fragments: list[Any]) -> None:
    def bad(ctx: BuildContext, mv: ModelVersion) -> dict[str, str]:
        return {"sidebar": "x"}

    no_fragments.append(bad)
    with pytest.raises(MlcardsError, match=r"bad returned unknown slot 'sidebar'"):
        card_md(scaffold(tmp_path))


def test_versions_list_links_other_versions_newest_first(tmp_path: Path,
                                                         no_fragments: list[Any]) -> None:
    root = scaffold(tmp_path)
    add_version(root, "0.2.0")
    add_version(root, "0.10.0")
    text = card_md(root, "0.2.0")
    table = text[text.index("## Versions"):]
    order = [table.index(v) for v in ("[0.10.0](../0.10.0/index.md)", "**0.2.0** (this page)",
                                      "[0.1.0](../0.1.0/index.md)")]
    assert order == sorted(order)
    landing = card_md(root, "0.10.0", landing=True)
    assert "[0.10.0](0.10.0/index.md)" in landing  # the landing page links its version too
    assert "the latest of 3" in landing


def test_approvals_table_and_status_badge(tmp_path: Path, no_fragments: list[Any]) -> None:
    root = scaffold(tmp_path)

    def approve(card: dict[str, Any]) -> None:
        card["status"] = "approved"
        card["approvals"] = [{"name": "Ada Reviewer", "role": "risk officer",
                              "date": "2026-01-20", "decision": "approved",
                              "note": "Checked | ok"}]

    edit_yaml(root / MODEL / "0.1.0/card.yaml", approve)
    text = card_md(root)
    assert '<span class="mlcards-badge mlcards-status-approved">approved</span>' in text
    row = next(r for r in table_rows(text) if r[0] == "Ada Reviewer")
    assert row == ["Ada Reviewer", "risk officer", "2026-01-20",
                   '<span class="mlcards-badge mlcards-decision-approved">approved</span>',
                   "Checked &#124; ok"]  # the pipe is text inside its cell


def test_untrusted_text_is_escaped_in_every_page(tmp_path: Path) -> None:
    root = scaffold(tmp_path)

    def hostile(card: dict[str, Any]) -> None:
        card["model_details"]["name"] = "<script>alert(1)</script> [x](javascript:alert(2))"
        card["model_details"]["description"] = "<script>alert(3)</script> **bold**"
        card["tags"] = ["<img src=x onerror=alert(4)>"]
        # a URL field holds only http(s) URLs (test_hostile_urls.py): the attack is encoded
        card["model_details"]["repository"] = "https://git.example/%22%3E%3Cscript%3Ealert(5)"

    edit_yaml(root / MODEL / "0.1.0/card.yaml", hostile)
    for path, page in rendered(root).items():
        text = page.split("\n---\n", 1)[-1]  # front matter titles are plain text (checked below)
        assert "<script" not in text, path
        assert "onerror" not in text or "<img" not in text, path
        assert "](javascript:" not in text and 'href="javascript:' not in text, path
    docs = rendered(root)
    assert "[&#60;script&#62;alert&#40;1&#41;&#60;/script&#62; &#91;x&#93;" in docs["index.md"]
    title = docs[f"{MODEL}/0.1.0/index.md"].splitlines()[1]
    assert title == 'title: "scriptalert(1)/script [x](javascript:alert(2)) 0.1.0"'


def test_home_links_scorecards_only_when_produced(tmp_path: Path) -> None:
    root = scaffold(tmp_path)
    add_version(root, "0.2.0")
    (root / MODEL / "0.2.0/readiness.yaml").unlink()
    ctx = context(root)
    ctx.produced.add(f"{MODEL}/0.1.0/scorecard.md")
    mv1, mv2 = ctx.registry.models[0].versions
    assert pages.version_row(ctx, mv1).scorecard == f"{MODEL}/0.1.0/scorecard.md"
    assert pages.version_row(ctx, mv2).scorecard is None
    assert pages.version_row(ctx, mv2).score is None
    home = next(f for f in pages.home_page(ctx)).content.decode()
    row = next(line for line in home.splitlines() if line.startswith("| [Example model]"))
    assert "| — |" in row  # 0.2.0 is latest and has no readiness: no score, no link


def test_home_table_columns_policy_and_sortable_wrapper(tmp_path: Path) -> None:
    home = rendered(scaffold(tmp_path))["index.md"]
    assert "| Model | Latest | Status | Owners | Task | Readiness | Date | Tags |" in home
    assert '<div class="mlcards-sortable" markdown="1">' in home
    assert "at least **1**" in home and "at most **0.1**" in home
    row = next(line for line in home.splitlines() if line.startswith("| [Example model]"))
    cells = [c.strip() for c in row.strip("|").split(" | ")]
    assert cells[0] == "[Example model](models/example-model/index.md)"
    assert cells[1] == "[0.1.0](models/example-model/0.1.0/index.md)"
    assert cells[3] == "Your Name"
    assert cells[5].startswith("[0.5 · ") or cells[5].startswith("0.5 · ")
    assert cells[6] == "2026-01-15"


def test_tags_page_anchors_match_links(tmp_path: Path) -> None:
    root = scaffold(tmp_path)
    edit_yaml(root / MODEL / "0.1.0/card.yaml",
              lambda c: c.update(tags=["Fair ML", "fair-ml", "tabular"]))
    docs = rendered(root)
    anchors = set(re.findall(r"\{ #([a-z0-9-]+) \}", docs["tags/index.md"]))
    assert {"tag-fair-ml", "tag-fair-ml-2", "tag-tabular", "task-binary-classification"} <= anchors
    linked = set(re.findall(r"tags/index\.md#([a-z0-9-]+)", docs["index.md"]))
    assert linked and linked <= anchors


def test_tags_and_tasks_only_an_older_version_has_are_plain_text(tmp_path: Path) -> None:
    """The tags page lists the latest versions' tags and tasks; an older version's card
    names a tag or task the model since dropped without a link to a missing anchor
    (the build failed with KeyError: 'tag:batch')."""
    root = scaffold(tmp_path)
    edit_yaml(root / MODEL / "0.1.0/card.yaml", lambda c: c.update(tags=["batch", "tabular"]))
    add_version(root, "0.2.0")
    edit_yaml(root / MODEL / "0.2.0/card.yaml", lambda c: (
        c.update(tags=["tabular"]), c["model_details"].update(task="regression")))
    docs = rendered(root)
    old, new = docs[f"{MODEL}/0.1.0/index.md"], docs[f"{MODEL}/0.2.0/index.md"]
    assert "Tags: batch, [tabular](../../../tags/index.md#tag-tabular)" in old
    assert "· binary-classification" in old and "task-binary-classification" not in old
    assert "[regression](../../../tags/index.md#task-regression)" in new
    anchors = set(re.findall(r"\{ #([a-z0-9-]+) \}", docs["tags/index.md"]))
    linked = {a for page in docs.values()
              for a in re.findall(r"tags/index\.md#([a-z0-9-]+)", page)}
    assert linked and linked <= anchors and "tag-batch" not in anchors


def test_registry_templates_folder_overrides_builtin(tmp_path: Path) -> None:
    root = scaffold(tmp_path)
    (root / "my-templates").mkdir()
    (root / "my-templates/tags.md.j2").write_text(
        "# Our tags\n\n{% for tag in by_tag %}- {{ tag }}\n{% endfor %}", encoding="utf-8")
    edit_yaml(root / "mlcards.yaml", lambda c: c.update(templates="my-templates"))
    docs = rendered(root)
    assert docs["tags/index.md"].startswith("# Our tags\n\n- example\n- tabular")
    assert "## Model details" in docs[f"{MODEL}/0.1.0/index.md"]  # others stay built in


def test_errors_raised_inside_templates_are_located(tmp_path: Path) -> None:
    from mlcards.incremental.bundles import resolve
    from mlcards.site.build import _run_producer

    root = scaffold(tmp_path)
    (root / "tpl").mkdir()
    (root / "tpl/tags.md.j2").write_text("# Tags\n\n{{ config.title|num }}\n", encoding="utf-8")
    (root / "tpl/home.md.j2").write_text("# Home\n{% if %}\n", encoding="utf-8")
    edit_yaml(root / "mlcards.yaml", lambda c: c.update(templates="tpl"))
    ctx = context(root)
    with pytest.raises(MlcardsError, match=r"tpl/tags\.md\.j2:3:1: template: ValueError: "):
        resolve(_run_producer(pages.tags_page, ctx))  # registry-wide pages: made deferred
    with pytest.raises(MlcardsError, match=r"tpl/home\.md\.j2:2:1: template: Expected an expr"):
        resolve(_run_producer(pages.home_page, ctx))

    def broken(ctx: BuildContext) -> list[Any]:
        raise KeyError("a bug in Python code")

    with pytest.raises(KeyError):  # not a template error: the traceback is kept
        _run_producer(broken, ctx)
