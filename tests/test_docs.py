"""The project's own documentation: generated reference pages and the strict MkDocs build."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mlcards.cli import build_parser
from mlcards.commands.docgen import (
    expand_markers,
    generated_pages,
    levels_table,
    main,
    object_order,
    subcommands,
)
from mlcards.commands.schemagen import schema_documents
from mlcards.compute.scorecard_data import build_scorecard, scorecard_json
from mlcards.validate.registry import load_registry
from mlcards.validate.rubric import builtin_rubric

REPO = Path(__file__).parent.parent
MKDOCS = Path(sys.executable).parent / "mkdocs"
SNIPPET = REPO / "docs" / "snippets" / "verify_scorecard.py"


def mkdocs_build(config: Path, out: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run([str(MKDOCS), "build", "--strict", "-f", str(config), "-d", str(out)],
                          cwd=config.parent, env=env, capture_output=True, text=True,
                          timeout=300, check=False)


def test_docs_build_strict(tmp_path: Path) -> None:
    out = tmp_path / "site"
    result = mkdocs_build(REPO / "mkdocs.yml", out)
    assert result.returncode == 0, result.stderr
    for rel in generated_pages():
        page = out / rel.removesuffix("index.md").removesuffix(".md") / "index.html"
        assert page.is_file(), rel
    card_html = (out / "reference" / "card" / "index.html").read_text()
    assert "model_details" in card_html and 'id="modeldetails"' in card_html
    ci_html = (out / "guides" / "ci" / "index.html").read_text()
    assert "actions/deploy-pages" in ci_html and "mlcards:include" not in ci_html
    scoring_html = (out / "scoring" / "index.html").read_text()
    assert "a first pass at productionization" in scoring_html


def test_strict_build_fails_on_a_broken_link(tmp_path: Path) -> None:
    copy = tmp_path / "repo"
    shutil.copytree(REPO / "docs", copy / "docs")
    shutil.copy(REPO / "mkdocs.yml", copy / "mkdocs.yml")
    shutil.copytree(REPO / "site_example" / "ci", copy / "site_example" / "ci")
    index = copy / "docs" / "index.md"
    index.write_text(index.read_text() + "\nSee [the missing page](nowhere.md).\n")
    result = mkdocs_build(copy / "mkdocs.yml", tmp_path / "site")
    assert result.returncode != 0
    assert "nowhere.md" in result.stderr


def properties(doc: dict[str, Any]) -> list[tuple[str, str]]:
    """(object name, property) for the root and every $defs object of a schema."""
    out = [(str(doc.get("title")), p) for p in doc.get("properties", {})]
    for name in object_order(doc):
        out += [(name, p) for p in doc["$defs"][name].get("properties", {})]
    return out


def test_every_field_of_every_file_kind_is_documented() -> None:
    pages = generated_pages()
    for file_name, text in schema_documents().items():
        kind = file_name.removesuffix(".schema.json")
        doc = json.loads(text)
        page = pages[f"reference/{kind}.md"]
        fields = properties(doc)
        assert fields, kind
        for obj, prop in fields:
            section = page.split(f"## {obj} ", 1)[1].split("\n## ", 1)[0]
            assert f"| <code>{prop}</code> |" in section, (kind, obj, prop)


def test_card_fields_follow_the_model_card_order() -> None:
    page = generated_pages()["reference/card.md"]
    order = [page.index(f"<code>{s}</code>") for s in
             ("model_details", "intended_use", "factors", "metrics", "evaluation_data")]
    assert order == sorted(order)


def test_cli_reference_lists_every_command_and_option() -> None:
    page = generated_pages()["reference/cli.md"]
    subs = subcommands(build_parser())
    assert {"init", "validate", "schema"} <= set(subs)
    for name, parser in subs.items():
        assert f"## mlcards {name} {{#{name}}}" in page
        for action in parser._actions:
            for option in action.option_strings:
                assert option in page, (name, option)


def test_generated_pages_are_deterministic_and_width_independent(
        monkeypatch: pytest.MonkeyPatch) -> None:
    first = generated_pages()
    monkeypatch.setenv("COLUMNS", "40")
    assert generated_pages() == first


def test_levels_come_from_the_rubric_file() -> None:
    rubric = builtin_rubric()
    table = levels_table(rubric).splitlines()
    assert len(table) == 2 + len(rubric.levels)
    assert table[2].startswith("| ≤ 0 |") and table[-1].startswith("| > 5 |")
    assert expand_markers("<!-- mlcards:rubric-levels -->", REPO) == levels_table(rubric)


def test_markers_reject_unknown_names_and_files_outside_the_repo() -> None:
    with pytest.raises(ValueError, match="unknown docs marker"):
        expand_markers("<!-- mlcards:nonsense -->", REPO)
    with pytest.raises(ValueError, match="no such file"):
        expand_markers("<!-- mlcards:include ../../etc/passwd -->", REPO)
    block = expand_markers("<!-- mlcards:include site_example/ci/gitlab-ci.yml -->", REPO)
    assert block.startswith('```yaml title="site_example/ci/gitlab-ci.yml"\n')


def test_docgen_writes_the_pages_for_reading_without_mkdocs(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path)]) == 0
    for rel, text in generated_pages().items():
        assert (tmp_path / rel).read_text(encoding="utf-8") == text
    assert main([]) == 2


# --------------------------------------------------------------------------- auditors


def run_snippet(scorecard: Path, registry: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SNIPPET), str(scorecard), str(registry)],
                          capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture
def audited(tmp_path: Path) -> Path:
    """tmp_path/my-registry (the scaffold) and tmp_path/scorecard.json built from it,
    laid out as the auditors' guide assumes."""
    from mlcards.compute.readiness import score_assessment

    root = tmp_path / "my-registry"
    shutil.copytree(REPO / "mlcards" / "scaffold", root)
    registry = load_registry(root)
    mv = registry.versions()[0]
    assert mv.readiness is not None
    score = score_assessment(mv.readiness, registry.rubrics[mv.readiness.rubric])
    (tmp_path / "scorecard.json").write_bytes(
        scorecard_json(build_scorecard(registry, mv, score, "abc")))
    return tmp_path


def test_auditor_by_hand_check_accepts_a_fresh_scorecard_and_catches_changes(
        audited: Path) -> None:
    root, scorecard = audited / "my-registry", audited / "scorecard.json"
    ok = run_snippet(scorecard, root)
    assert ok.returncode == 0, ok.stdout
    assert "OK  models/example-model/0.1.0/readiness.yaml" in ok.stdout

    readiness = root / "models/example-model/0.1.0/readiness.yaml"
    readiness.write_bytes(readiness.read_bytes() + b" ")
    changed = run_snippet(scorecard, root)
    assert changed.returncode == 1
    assert "CHANGED  models/example-model/0.1.0/readiness.yaml" in changed.stdout

    scorecard.write_text(scorecard.read_text().replace('"final_score": 0.5',
                                                       '"final_score": 3'))
    edited = run_snippet(scorecard, root)
    assert edited.returncode == 1 and edited.stdout.startswith("EDITED")


def guide_command(prefix: str) -> str:
    """The shell line of the auditors' guide that starts with `prefix`."""
    text = (REPO / "docs" / "guides" / "auditors.md").read_text()
    return next(line for line in text.splitlines() if line.startswith(prefix))


@pytest.mark.skipif(shutil.which("jq") is None or shutil.which("sha256sum") is None,
                    reason="needs jq and sha256sum, as the guide says")
def test_auditor_jq_sha256sum_line_works_as_documented(audited: Path) -> None:
    line = guide_command("jq -r '.provenance.inputs[]")
    run = subprocess.run(["bash", "-eo", "pipefail", "-c", line], cwd=audited / "my-registry",
                         capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 0, run.stderr
    assert "models/example-model/0.1.0/readiness.yaml: OK" in run.stdout
    card = audited / "my-registry" / "models/example-model/0.1.0/card.yaml"
    card.write_text(card.read_text() + "# edited\n")
    run = subprocess.run(["bash", "-eo", "pipefail", "-c", line], cwd=audited / "my-registry",
                         capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode != 0
    assert "models/example-model/0.1.0/card.yaml: FAILED" in run.stdout
