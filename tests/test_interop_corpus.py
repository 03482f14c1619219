"""The corpus: real public model cards, unmodified (tests/data/interop/corpus/, each
named with its repository, path and commit in SOURCES.md).

Every card is imported into a fresh `mlcards init` registry, validated (and
`--strict` rejects exactly the placeholders the import reported), built with
MkDocs, exported back to a Hugging Face README and re-read with `huggingface_hub`:
metrics, datasets, license, tags, base model, library, language and every body
heading that holds text must survive. docs/interop.md shows the table this test
makes (`MLCARDS_UPDATE_CORPUS_TABLE=1 pytest tests/test_interop_corpus.py` rewrites it).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from typing import Any

import pytest
import yaml
from huggingface_hub import ModelCard, parse_eval_result_entries

from mlcards.cli import main
from mlcards.commands.init import SCAFFOLD
from mlcards.errors import InvalidInput, Problem
from mlcards.validate.registry import load_registry

CORPUS = Path(__file__).parent / "data" / "interop" / "corpus"
DOCS = Path(__file__).parents[1] / "docs" / "interop.md"
SITE_EXAMPLE = Path(__file__).parents[1] / "site_example"
TABLE_START = "<!-- corpus table: made by tests/test_interop_corpus.py -->"
TABLE_END = "<!-- end of corpus table -->"
MCT_TOOLKIT_FILES = {
    # The Model Card Toolkit repository's own example and test model-card JSON files.
    "cats_vs_dogs_v0_0_1.json": "0.0.1",
    "cats_vs_dogs_v0_0_2.json": "0.0.2",
    "considerations.json": "0.0.2",
    "full.json": "0.0.2",
    "train_data.json": "0.0.2",
    "test_model_card_v0_0_1.json": "0.0.1",
}
LISTS = frozenset({"tags", "datasets", "metrics"})
PLACEHOLDER = re.compile(r"more information needed|needs more information", re.IGNORECASE)
FENCE = re.compile(r"^\s*(```|~~~)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


@dataclass
class Imported:
    """One corpus card after `mlcards import`."""

    source: Path
    kind: str
    model_id: str
    out: Path
    code: int
    report: str
    errors: str
    card: dict[str, Any] = field(default_factory=dict)

    @property
    def warnings(self) -> int:
        return sum("warning:" in line for line in self.report.splitlines())


def corpus_files() -> list[tuple[str, Path]]:
    hf = sorted(CORPUS.glob("hf/*/README.md"))
    mct = sorted(CORPUS.glob("mct/*.json"))
    return [("hf", p) for p in hf] + [("mct", p) for p in mct]


def model_id(kind: str, path: Path) -> str:
    stem = path.parent.name if kind == "hf" else path.stem
    return re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")


def cli(*args: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("corpus") / "registry"
    shutil.copytree(SCAFFOLD, root)
    shutil.rmtree(root / "models")
    (root / "models").mkdir()
    return root


@pytest.fixture(scope="module")
def imported(registry: Path) -> dict[str, Imported]:
    runs = {}
    for kind, path in corpus_files():
        mid = model_id(kind, path)
        out = registry / "models" / mid / "1.0.0"
        code, report, errors = cli("import", kind, path, "-o", out)
        run = Imported(path, kind, mid, out, code, report, errors)
        if code == 0:
            run.card = yaml.safe_load((out / "card.yaml").read_text(encoding="utf-8"))
        runs[mid] = run
    return runs


@pytest.fixture(scope="module")
def strict_problems(registry: Path, imported: dict[str, Imported]) -> dict[str, list[Problem]]:
    """The --strict problems of each card, by model id (after plain validation passed)."""
    load_registry(registry)
    with pytest.raises(InvalidInput) as caught:
        load_registry(registry, strict=True)
    by_model: dict[str, list[Problem]] = {mid: [] for mid in imported}
    for problem in caught.value.problems:
        mid = Path(problem.file).parts[-3]
        by_model[mid].append(problem)
    return by_model


@pytest.fixture(scope="module")
def exported(registry: Path, imported: dict[str, Imported],
             tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("exported")
    paths = {}
    for mid, run in imported.items():
        target = folder / mid / "README.md"
        code, _, err = cli("export", "hf", run.out, "-o", target)
        assert code == 0, (mid, err)
        paths[mid] = target
    return paths


# --------------------------------------------------------------------------- the corpus


def test_corpus_is_large_varied_and_sourced() -> None:
    files = corpus_files()
    assert len(files) >= 30
    hf = [p for kind, p in files if kind == "hf"]
    texts = {p: p.read_text(encoding="utf-8") for p in hf}
    assert sum("generated_from_trainer" in t for t in texts.values()) >= 8
    assert sum("model-index:" in t or "model_index:" in t for t in texts.values()) >= 10
    assert sum(bool(re.search(r"<(img|div|p|a|table)\b", t)) for t in texts.values()) >= 3
    assert sum(bool(re.search(r"[\u0400-\u04ff\u0600-\u06ff\u3040-\u30ff\u4e00-\u9fff]", t))
               for t in texts.values()) >= 3  # Cyrillic, Arabic/Persian, Japanese, Chinese
    assert sum("base_model:" in t for t in texts.values()) >= 3
    assert any((p.parent / ".eval_results").is_dir() for p in hf)
    assert any(t.count("  - task:") >= 3 for t in texts.values())  # several tasks
    assert any(len(ModelCard(t, ignore_metadata_errors=True).data.datasets or []) >= 2
               for t in texts.values())  # several datasets
    sources = (CORPUS / "SOURCES.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `([^`]+)` \| ([\w.-]+/[\w.-]+) \| `[^`]+` \| `[0-9a-f]{40}` \|$",
                            sources, re.MULTILINE))
    stored = {p.relative_to(CORPUS).as_posix() for p in CORPUS.rglob("*")
              if p.is_file() and p.name != "SOURCES.md"}
    assert {name for name, _ in listed} == stored  # every file named with its source
    assert {path.name for _, path in files if _ == "mct"} == set(MCT_TOOLKIT_FILES)


def test_every_card_imports_into_a_fresh_registry_and_validates(
        registry: Path, imported: dict[str, Imported]) -> None:
    failed = {mid: run.errors for mid, run in imported.items() if run.code != 0}
    assert not failed
    for mid, run in imported.items():
        assert "custom" not in run.card, mid  # the registry's namespace: imports keep out
        assert run.card["provenance"]["format"] == {"hf": "huggingface",
                                                    "mct": "model-card-toolkit"}[run.kind]
        assert run.card["provenance"]["imported_with"].startswith("mlcards ")
    assert cli("validate", registry)[0] == 0  # outright, with the scaffold's custom schema


def test_strict_rejects_exactly_the_placeholders_and_no_date_is_invented(
        imported: dict[str, Imported], strict_problems: dict[str, list[Problem]]) -> None:
    undated = 0
    for mid, run in imported.items():
        fields = {p.field.split("[")[0] for p in strict_problems[mid]}
        date = run.card["model_details"]["date"]
        if isinstance(date, str):
            undated += 1
            assert date.startswith("TODO"), (mid, date)
            assert "model_details.date" in fields, mid
            assert "placeholder: model_details.date" in run.report, mid
        else:
            assert "placeholder: model_details.date" not in run.report, mid
        reported = {line.split("placeholder: ")[1].split(" ")[0]
                    for line in run.report.splitlines() if "placeholder: " in line}
        for name in reported - {"evaluation.yaml"}:
            assert any(f == name or f.startswith(name + ".") for f in fields), (mid, name)
    assert undated >= 10  # most public cards carry no release date: none was made up


def test_the_toolkit_s_six_example_and_test_files_import_with_their_schema_version(
        imported: dict[str, Imported]) -> None:
    for name, version in MCT_TOOLKIT_FILES.items():
        run = imported[model_id("mct", Path(name))]
        assert run.code == 0, run.errors
        assert run.card["provenance"]["format_version"] == version
    cats = imported["cats-vs-dogs-v0-0-1"]
    # v0.0.1 data mapping: both datasets kept, named by their key
    assert [d["name"] for d in cats.card["training_data"]["datasets"]] == ["train"]
    assert [d["name"] for d in cats.card["evaluation_data"]["datasets"]] == ["eval"]
    assert (cats.out / "graphics" / "validation-set-size.png").is_file()
    # its truncated 'Accuracy' image is skipped with a warning naming the JSON path
    assert re.search(r"cats_vs_dogs_v0_0_1\.json:\d+:\d+: warning: quantitative_analysis\."
                     r"graphics\.collection\[0\]\.image: image is not valid base64", cats.report)
    old = imported["test-model-card-v0-0-1"]  # v0.0.1: `sensitive: true`, a mapping of data
    train = old.card["training_data"]["datasets"][0]
    assert train["name"] == "train_split" and "Holds sensitive data." in train["description"]
    assert old.card["model_details"]["license"] == "Apache 2.0"
    full = imported["full"]  # "{image_bytes}" placeholder images: skipped, card imported
    assert full.warnings == 3
    assert full.card["model_details"]["name"] == "name"
    assert {"title": "Changes in this version", "text": "The diff with last version."} in \
        full.card["additional_sections"]
    assert full.card["provenance"]["metadata"]["model_details.path"] == "my/model/path"


def test_the_registry_of_every_corpus_card_builds(registry: Path, imported: dict[str, Imported],
                                                  tmp_path: Path) -> None:
    out = tmp_path / "site"
    code, _, err = cli("build", "-q", registry, "-o", out)
    assert code == 0, err
    for mid, run in imported.items():
        page = out / "models" / mid / "1.0.0" / "index.html"
        html = page.read_text(encoding="utf-8")
        name = run.card["model_details"]["name"]
        assert json.dumps(name)[1:-1].split("\\")[0][:20] in html or name[:20] in html, mid
        headings = [unescape(re.sub(r"<a class=\"headerlink\".*?</a>|<[^>]+>", "", h))
                    for h in re.findall(r"<h3[^>]*>(.*?)</h3>", html)]
        for section in run.card.get("additional_sections", []):
            assert section["title"] in headings, (mid, section["title"], headings)
        if run.card["model_details"].get("training", {}).get("hyperparameters"):
            assert "Hyperparameter" in html, mid


# --------------------------------------------------------------------------- round trip


def body_headings(text: str) -> list[str]:
    """ATX headings (outside code fences) whose section holds text, template
    placeholders and HTML comments aside."""
    body = ModelCard(text, ignore_metadata_errors=True).text
    body = re.sub(r"<!--.*?-->", "", body, flags=re.DOTALL)
    found: list[tuple[int, str]] = []
    content: list[bool] = []
    fenced = False
    for line in body.splitlines():
        if FENCE.match(line):
            fenced = not fenced
        match = HEADING.match(line) if not fenced else None
        if match:
            found.append((len(match.group(1)), match.group(2).strip()))
            content.append(False)
        elif line.strip() and not PLACEHOLDER.search(line) and found:
            content[-1] = True
    kept = []
    for i, (level, title) in enumerate(found):
        below = [j for j in range(i + 1, len(found)) if found[j][0] > level]
        below = below[:next((k for k, j in enumerate(below) if j != i + 1 + k), len(below))]
        if title and (content[i] or any(content[j] for j in below)):
            kept.append(title)
    return kept


def hub_view(card: ModelCard) -> dict[str, Any]:
    data = card.data
    results = {(r.dataset_type, r.metric_type, float(r.metric_value))
               for r in data.eval_results or [] if isinstance(r.metric_value, int | float)}
    return {"license": data.license, "tags": data.tags, "datasets": data.datasets,
            "base_model": data.base_model, "library_name": data.library_name,
            "language": data.language, "metrics": data.metrics, "results": results}


def test_hugging_face_cards_round_trip_through_huggingface_hub(
        imported: dict[str, Imported], exported: dict[str, Path]) -> None:
    for mid, run in imported.items():
        if run.kind != "hf":
            continue
        original_text = run.source.read_text(encoding="utf-8")
        original = hub_view(ModelCard(original_text, ignore_metadata_errors=True))
        back = ModelCard.load(exported[mid])  # strict: the export's metadata must check
        again = hub_view(back)
        for key in ("license", "tags", "datasets", "base_model", "library_name", "language",
                    "metrics"):
            if original[key] is not None:
                want = [original[key]] if key in LISTS and isinstance(original[key], str) \
                    else original[key]  # 'datasets: x' is the list [x]
                assert again[key] == want, (mid, key, original[key], again[key])
        assert original["results"] <= again["results"], (mid, original["results"] -
                                                          again["results"])
        entries = [e for f in sorted((run.source.parent / ".eval_results").glob("*.yaml"))
                   for e in parse_eval_result_entries(yaml.safe_load(f.read_text("utf-8")))]
        shown = {(r.dataset_type, float(r.metric_value)) for r in back.data.eval_results or []}
        assert {(e.dataset_id, float(e.value)) for e in entries} <= shown, mid
        exported_headings = set(body_headings(exported[mid].read_text(encoding="utf-8")))
        lost = [h for h in body_headings(original_text) if h not in exported_headings]
        assert not lost, (mid, lost)


def test_toolkit_cards_export_their_metrics_and_license(imported: dict[str, Imported],
                                                        exported: dict[str, Path]) -> None:
    for name in MCT_TOOLKIT_FILES:
        mid = model_id("mct", Path(name))
        source = json.loads((CORPUS / "mct" / name).read_text(encoding="utf-8"))
        back = ModelCard.load(exported[mid])
        text = exported[mid].read_text(encoding="utf-8")
        details = source.get("model_details", {})
        licenses = [x.get("identifier") or x.get("custom_text") if isinstance(x, dict) else x
                    for x in [*details.get("licenses", []), details.get("license")] if x]
        if licenses:
            assert back.data.license == " OR ".join(licenses), mid
        values = {float(m["value"]) for m in source.get("quantitative_analysis", {})
                  .get("performance_metrics", []) if _number(m.get("value"))}
        shown = {float(r.metric_value) for r in back.data.eval_results or []}
        table = {float(v) for v in re.findall(r"^\| [^|]+ \| [^|]* \| ([0-9.]+) \|", text,
                                              re.MULTILINE)}
        assert values <= shown | table, (mid, values - shown - table)


def _number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


# --------------------------------------------------------------------------- site_example


def test_hugging_face_cards_in_site_example_miss_only_its_required_custom_fields(
        tmp_path: Path) -> None:
    root = tmp_path / "site_example"
    shutil.copytree(SITE_EXAMPLE, root, ignore=shutil.ignore_patterns("site", ".mlcards-cache"))
    schema = json.loads((root / "custom-fields.schema.json").read_text(encoding="utf-8"))
    expected = {f"custom: {key!r} is a required property (custom_schema)"
                for key in schema["required"]}
    cards = [p for kind, p in corpus_files() if kind == "hf"]
    for path in cards:
        code, _, err = cli("import", "hf", path, "-o",
                           root / "models" / model_id("hf", path) / "1.0.0")
        assert code == 0, err
    with pytest.raises(InvalidInput) as caught:
        load_registry(root)
    by_model: dict[str, set[str]] = {}
    for problem in caught.value.problems:
        assert problem.file.endswith("card.yaml"), problem.format()
        by_model.setdefault(Path(problem.file).parts[-3], set()).add(
            f"{problem.field}: {problem.message}")
    assert set(by_model) == {model_id("hf", p) for p in cards}
    for mid, messages in by_model.items():
        assert messages == expected, (mid, messages - expected)


# --------------------------------------------------------------------------- the docs table


def corpus_table(imported: dict[str, Imported],
                 strict_problems: dict[str, list[Problem]]) -> str:
    sources = dict(re.findall(r"^\| `([^`]+)` \| ([\w.-]+/[\w.-]+) \|",
                              (CORPUS / "SOURCES.md").read_text(encoding="utf-8"),
                              re.MULTILINE))
    lines = [TABLE_START, "",
             "| card | from | import | validate | round trip |", "|---|---|---|---|---|"]
    for mid, run in imported.items():
        rel = run.source.relative_to(CORPUS).as_posix()
        warned = f" ({run.warnings} warning{'s' * (run.warnings != 1)})" if run.warnings else ""
        strict = len(strict_problems[mid])
        check = f"✓ (`--strict`: {strict} placeholder{'s' * (strict != 1)})" if strict else "✓"
        lines.append(f"| `{rel}` | {sources[rel]} | ✓{warned} | {check} | ✓ |")
    return "\n".join([*lines, "", TABLE_END])


def test_the_docs_show_this_corpus_table(imported: dict[str, Imported],
                                         strict_problems: dict[str, list[Problem]],
                                         exported: dict[str, Path]) -> None:
    """The ✓ marks are what the tests above assert; the table must be the current one."""
    table = corpus_table(imported, strict_problems)
    text = DOCS.read_text(encoding="utf-8")
    if os.environ.get("MLCARDS_UPDATE_CORPUS_TABLE"):
        start, end = text.index(TABLE_START), text.index(TABLE_END) + len(TABLE_END)
        DOCS.write_text(text[:start] + table + text[end:], encoding="utf-8")
        text = DOCS.read_text(encoding="utf-8")
    assert table in text, "docs/interop.md: corpus table out of date; rerun with " \
        "MLCARDS_UPDATE_CORPUS_TABLE=1"
