"""Scorecard pages, downloads and the readiness overview, produced from a BuildContext."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from test_readiness_fixtures import make_registry, produce_files, readiness, standard_registry

from mlcards.commands.schemagen import packaged_schemas_dir, schema_documents
from mlcards.compute.provenance import self_hash, sha256_file
from mlcards.render.context import BuildContext
from mlcards.render.environment import make_environment
from mlcards.render.scorecard import readiness_fragment, version_scorecard
from mlcards.validate.registry import load_registry

V11 = "models/alpha/1.1.0"


def produce(root: Path, revision: str | None = "abc123") -> dict[str, bytes]:
    registry = load_registry(root)
    ctx = BuildContext(registry, make_environment(), revision=revision)
    return produce_files(ctx)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, bytes]]:
    root = standard_registry(tmp_path_factory.mktemp("registry"))
    return root, produce(root)


def page(built: tuple[Path, dict[str, bytes]], path: str = f"{V11}/scorecard.md") -> str:
    return built[1][path].decode("utf-8")


def test_every_assessed_version_gets_a_page_chart_and_three_downloads(
        built: tuple[Path, dict[str, bytes]]) -> None:
    files = built[1]
    for version in ("models/alpha/1.0.0", V11, "models/beta/0.1.0"):
        for name in ("scorecard.md", "scorecard.json", "scorecard.csv", "scorecard.pdf",
                     "plots/readiness-sections.svg"):
            assert f"{version}/{name}" in files
    assert "readiness/index.md" in files and "readiness/readiness.csv" in files


def test_output_is_byte_identical_across_builds(tmp_path: Path,
                                                built: tuple[Path, dict[str, bytes]]) -> None:
    root = built[0]
    copy = shutil.copytree(root, tmp_path / "elsewhere")
    again = produce(copy)
    assert again.keys() == built[1].keys()
    for path, content in built[1].items():
        assert again[path] == content, path


def test_json_validates_against_the_published_schema_and_carries_its_own_hash(
        built: tuple[Path, dict[str, bytes]]) -> None:
    root, files = built
    doc = json.loads(files[f"{V11}/scorecard.json"])
    schema = json.loads((packaged_schemas_dir() / "scorecard.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(doc)
    assert doc["sha256"] == self_hash(doc)
    assert doc["final_score"] == 2 and doc["level"]["range"] == "(1, 2]"
    assert doc["weakest_section"] == "data"
    assert (doc["rubric"]["id"], doc["rubric"]["version"]) == ("ml-test-score", "2017")
    assert doc["approver"]["name"] == "Lin Approver" and doc["supersedes"] == "1.0.0"
    data1 = next(t for t in doc["tests"] if t["id"] == "data-1")
    assert (data1["owner"], data1["last_run"], data1["schedule"]) == (
        "Data team", "2026-01-30", "every commit")
    report = root / V11 / "reports/schema-check.txt"
    assert data1["evidence"][0] == {
        "kind": "report", "title": "Schema check", "url": None,
        "path": f"{V11}/reports/schema-check.txt", "sha256": sha256_file(report)}
    data5 = next(t for t in doc["tests"] if t["id"] == "data-5")
    assert data5["not_applicable"] == "No personal data is used." and data5["points"] == 0
    prov = doc["provenance"]
    assert [i["path"] for i in prov["inputs"]] == [
        f"{V11}/card.yaml", f"{V11}/readiness.yaml", f"{V11}/reports/schema-check.txt"]
    assert all(i["sha256"] == sha256_file(root / i["path"]) for i in prov["inputs"])
    assert (prov["revision"], prov["rubric_version"]) == ("abc123", "2017")


def test_the_schema_file_is_fresh() -> None:
    docs = schema_documents()
    for name in ("scorecard.schema.json", "rubric.schema.json"):
        assert (packaged_schemas_dir() / name).read_text() == docs[name], name


def test_csv_has_one_row_per_test_with_provenance_columns(
        built: tuple[Path, dict[str, bytes]]) -> None:
    rows = list(csv.DictReader(io.StringIO(built[1][f"{V11}/scorecard.csv"].decode())))
    doc = json.loads(built[1][f"{V11}/scorecard.json"])
    assert len(rows) == 28
    assert rows[0]["test_id"] == "data-1" and rows[0]["points"] == "1"
    assert {r["scorecard_sha256"] for r in rows} == {doc["sha256"]}
    assert {r["revision"] for r in rows} == {"abc123"}
    assert f"{V11}/readiness.yaml=" in rows[5]["inputs"]


def test_pdf_pages_render(tmp_path: Path,
                                       built: tuple[Path, dict[str, bytes]]) -> None:
    pdf = built[1][f"{V11}/scorecard.pdf"]
    assert pdf.startswith(b"%PDF") and b"CreationDate" not in pdf
    if shutil.which("pdftoppm") is None:
        pytest.fail("pdftoppm (poppler-utils) is needed to check the PDF renders")
    (tmp_path / "s.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "30", str(tmp_path / "s.pdf"),
                    str(tmp_path / "p")], check=True, capture_output=True)
    rendered = sorted(p.name for p in tmp_path.glob("p-*.png"))
    assert rendered[:2] == ["p-1.png", "p-2.png"]  # summary; every test and provenance
    info = subprocess.run(["pdfinfo", str(tmp_path / "s.pdf")], check=True,
                          capture_output=True, text=True).stdout
    pages = re.search(r"^Pages:\s+(\d+)$", info, re.M)
    assert pages is not None and int(pages.group(1)) == len(rendered)  # every page renders


def test_page_leads_with_the_score_then_gaps_then_every_test(
        built: tuple[Path, dict[str, bytes]]) -> None:
    """Gaps come right after the score (before the change since the previous version);
    each section's table of every test is folded."""
    text = page(built)
    assert "## Final score: 2 of 7" in text
    assert "Weakest section: **Tests for Features and Data** (2 of 7)" in text
    order = [text.index(h) for h in ("## Final score", "## Gaps: 20 of 28 tests not done",
                                     "## Change since version 1.0.0", "## Every test",
                                     "## Provenance")]
    assert order == sorted(order)
    every = text[text.index("## Every test"):text.index("## Assessment")]
    assert every.count('<details class="') == every.count("### ") == 4
    assert "<summary>" in every and " tests done" in every
    assert "![Section scores" in text and "(plots/readiness-sections.svg)" in text
    for link in ("(scorecard.json)", "(scorecard.csv)", "(scorecard.pdf)", "(index.md)"):
        assert link in text
    left = '<td style="text-align: left;">'
    row = ("<strong>data-1</strong> Feature expectations are captured in a schema",
           "automated (1)", '<a href="#verify-data-1">self-declared</a>', "Data team",
           "2026-01-30, every commit")
    assert "".join(f"{left}{cell}</td>\n" for cell in row) in text
    row = ("<strong>data-3</strong> No feature&#39;s cost is too much", "not done (0)", "—",
           "", "", "")
    assert "".join(f"{left}{cell}</td>\n" for cell in row) in text
    assert '<a href="https://ci.example.com/runs/1" rel="noopener noreferrer nofollow">' \
           "ci-run</a>" in text
    assert "<p>Checked with <strong>pandera</strong>.</p>" in text


def test_page_shows_the_change_since_the_previous_version(
        built: tuple[Path, dict[str, bytes]]) -> None:
    text = page(built)
    assert "| **Final** | 0.5 | 2 | **&#43;1.5** |" in text
    assert "- **data-1** Feature expectations are captured in a schema: manual → automated " \
           "(&#43;0.5)" in text
    assert "[1.0.0](../1.0.0/scorecard.md)" in text
    assert "first assessed version" in page(built, "models/alpha/1.0.0/scorecard.md")


def test_registry_overview_lists_every_version_sorted(built: tuple[Path, dict[str, bytes]]
                                                      ) -> None:
    text = page(built, "readiness/index.md")
    rows = [line for line in text.splitlines() if line.startswith("| [")]
    assert [r.split("|")[2].strip() for r in rows] == [
        "[1.0.0](../models/alpha/1.0.0/index.md)", "[1.1.0](../models/alpha/1.1.0/index.md)",
        "[0.1.0](../models/beta/0.1.0/index.md)"]
    assert "| [0.5 of 7](../models/alpha/1.0.0/scorecard.md) |" in rows[0]
    assert "**below**" in rows[0]
    assert "meets" in rows[1] and "below (not gated)" in rows[2]
    assert "[2 of 7](../models/alpha/1.1.0/scorecard.md)" in rows[1]
    table = list(csv.DictReader(io.StringIO(built[1]["readiness/readiness.csv"].decode())))
    assert [(r["model_id"], r["version"], r["final_score"], r["weakest_section"],
             r["meets_policy"]) for r in table] == [
        ("alpha", "1.0.0", "0.5", "data", "no"), ("alpha", "1.1.0", "2", "data", "yes"),
        ("beta", "0.1.0", "0", "data", "no")]


def test_card_fragment_fills_the_readiness_slot(built: tuple[Path, dict[str, bytes]]) -> None:
    registry = load_registry(built[0])
    ctx = BuildContext(registry, make_environment())
    slots = {mv.key: readiness_fragment(ctx, mv)["readiness"] for mv in registry.versions()}
    assert "ML readiness: 2 of 7" in slots["alpha/1.1.0"]
    assert "Weakest section: **Tests for Features and Data**" in slots["alpha/1.1.0"]
    assert "[Readiness scorecard](scorecard.md)" in slots["alpha/1.1.0"]
    assert slots["alpha/1.0.0"].startswith("!!! warning") and "policy minimum" in \
        slots["alpha/1.0.0"]


def test_version_without_readiness_gets_no_scorecard_but_a_row(tmp_path: Path) -> None:
    make_registry(tmp_path, {"m": {"1.0.0": ("approved", None)}})
    files = produce(tmp_path)
    assert not any(p.startswith("models/") for p in files)
    assert "| not assessed |" in files["readiness/index.md"].decode()
    registry = load_registry(tmp_path)
    ctx = BuildContext(registry, make_environment())
    assert "No readiness assessment" in readiness_fragment(ctx, registry.versions()[0])[
        "readiness"]


def test_hostile_text_is_escaped_and_unsafe_links_are_not_linked(tmp_path: Path) -> None:
    tests = {"data-1": {"status": "manual", "owner": "<script>alert(1)</script>",
                        "note": "<img src=x onerror=alert(1)> $5 *ok*",
                        "evidence": [{"kind": "ci", "title": "[x](javascript:alert(1))",
                                      "url": "https://ci.example/%22%3E%3Cscript%3E?a=1&b=2"}]}}
    make_registry(tmp_path, {"m": {"1.0.0": ("draft", readiness(tests))}})
    files = produce(tmp_path)
    text = files["models/m/1.0.0/scorecard.md"].decode()
    assert "<script>" not in text and "onerror" not in text
    assert "](javascript:" not in text and 'href="javascript' not in text
    assert "&#60;script&#62;" in text
    title = text.splitlines()[1]  # front matter: MkDocs themes print page titles raw
    assert title.startswith("title: ") and not set("<>&\"'") & set(title[8:-1])
    assert files["models/m/1.0.0/scorecard.pdf"].startswith(b"%PDF")  # '$' is not mathtext


def test_evidence_that_is_a_folder_is_listed_without_a_hash(tmp_path: Path) -> None:
    (tmp_path / "models/m/1.0.0/reports").mkdir(parents=True)
    tests = {"data-1": {"status": "manual", "evidence": [{"kind": "report",
                                                          "path": "reports"}]}}
    make_registry(tmp_path, {"m": {"1.0.0": ("draft", readiness(tests))}})
    registry = load_registry(tmp_path)
    card = version_scorecard(BuildContext(registry, make_environment()), registry.versions()[0])
    assert card is not None
    assert card.tests[0].evidence[0].path == "models/m/1.0.0/reports"
    assert card.tests[0].evidence[0].sha256 is None
    assert [i.path for i in card.provenance.inputs] == [
        "models/m/1.0.0/card.yaml", "models/m/1.0.0/readiness.yaml"]


DIGEST_SCRIPT = """
import hashlib, sys
from pathlib import Path
sys.path.insert(0, sys.argv[2])
from test_readiness_fixtures import produce_files
from mlcards.render.context import BuildContext
from mlcards.render.environment import make_environment
from mlcards.validate.registry import load_registry
ctx = BuildContext(load_registry(Path(sys.argv[1])), make_environment(), revision="r")
digest = hashlib.sha256()
for path, content in sorted(produce_files(ctx).items()):
    digest.update(path.encode() + b"\\0" + content)
print(digest.hexdigest())
"""


def test_bytes_do_not_depend_on_the_process_hash_seed(tmp_path: Path) -> None:
    """Both PDF font paths: 'Zoë' is cp1252 (core fonts), 'Zoë 张' is not (embedded)."""
    make_registry(tmp_path, {owner_id: {"1.0.0": ("approved", readiness(
        {"data-1": {"status": "manual", "owner": owner}, "infra-2": {"status": "automated"}}))}
        for owner_id, owner in (("m", "Zoë"), ("n", "Zoë 张"))})
    digests = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "NO_MKDOCS_2_WARNING": "1"}
        run = subprocess.run([sys.executable, "-c", DIGEST_SCRIPT, str(tmp_path),
                              str(Path(__file__).parent)], env=env,
                             capture_output=True, text=True, check=True)
        digests.add(run.stdout.strip())
    assert len(digests) == 1
