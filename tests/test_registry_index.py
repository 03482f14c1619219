"""registry.json, the machine-readable index at the site root (mlcards.render.registry_index)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mlcards.render.context import PRODUCERS, BuildContext
from mlcards.render.environment import make_environment
from mlcards.render.registry_index import INDEX_PATH, index_json, page_url, produce_index
from mlcards.validate.registry import load_registry

SCAFFOLD = Path(__file__).parent.parent / "mlcards" / "scaffold"

READINESS_V2 = """\
schema_version: 1
rubric: ml-test-score
assessor: {name: Ann Assessor}
date: 2026-03-01
tests:
  data-1: {status: automated}
  data-2: {status: automated}
  model-1: {status: automated}
  model-2: {status: manual}
  infra-1: {status: automated}
  infra-2: {status: manual}
  monitor-1: {status: automated}
  monitor-2: {status: automated}
"""


def make_registry(tmp_path: Path) -> Path:
    """The scaffold's model at 0.1.0 and 0.10.0 (to test version ordering), and a
    deprecated model replaced by it."""
    root = tmp_path / "reg"
    shutil.copytree(SCAFFOLD, root)
    models = root / "models"
    v1 = models / "example-model" / "0.1.0"
    v2 = models / "example-model" / "0.10.0"
    shutil.copytree(v1, v2)
    card = (v2 / "card.yaml").read_text()
    card = card.replace("version: 0.1.0", "version: '0.10.0'").replace(
        "status: draft", "status: approved").replace("tags: [tabular, example]",
                                                     "tags: [zeta, alpha, alpha]")
    card += ("approvals:\n  - {name: Zoe, role: risk, date: 2026-03-02, decision: approved}\n"
             "  - {name: Bob, role: owner, date: 2026-03-01, decision: approved}\n")
    (v2 / "card.yaml").write_text(card)
    (v2 / "readiness.yaml").write_text(READINESS_V2)
    old = models / "old-model" / "1.0.0"
    old.mkdir(parents=True)
    old_card = (v1 / "card.yaml").read_text().replace("id: example-model", "id: old-model")
    old_card = old_card.replace("version: 0.1.0", "version: 1.0.0").replace(
        "status: draft", "status: deprecated")
    old_card += "deprecation: {reason: Superseded., replaced_by: example-model}\n"
    (old / "card.yaml").write_text(old_card)
    return root


def context(root: Path, produced: set[str] | None = None) -> BuildContext:
    ctx = BuildContext(load_registry(root), make_environment(), revision="abc123")
    ctx.produced = set(produced or ())
    return ctx


def test_page_url_uses_directory_urls() -> None:
    assert page_url("models/a/1.0.0/index.md") == "models/a/1.0.0/"
    assert page_url("models/a/1.0.0/scorecard.md") == "models/a/1.0.0/scorecard/"
    assert page_url("index.md") == ""


def test_producer_is_registered_and_writes_the_index(tmp_path: Path) -> None:
    assert produce_index in PRODUCERS
    files = list(produce_index(context(make_registry(tmp_path))))
    assert [f.path for f in files] == [INDEX_PATH]
    data = json.loads(files[0].content)
    assert data["format"] == 1 and data["revision"] == "abc123"
    assert data["registry"]["title"] == "Model registry"
    assert data["registry"]["policy"]["min_readiness"] == 1.0


def test_every_version_with_status_scores_and_metrics(tmp_path: Path) -> None:
    data = json.loads(index_json(context(make_registry(tmp_path))))
    keys = [(v["id"], v["version"]) for v in data["versions"]]
    assert keys == [("example-model", "0.1.0"), ("example-model", "0.10.0"),
                    ("old-model", "1.0.0")]
    v1, v2, old = data["versions"]
    assert (v1["status"], v1["latest"], v2["status"], v2["latest"]) == (
        "draft", False, "approved", True)
    assert v2["tags"] == ["alpha", "zeta"]
    assert v1["risk_tier"] == "limited" and v1["task"] == "binary-classification"
    assert v1["owners"] == [{"name": "Your Name", "email": "you@example.com",
                             "role": "model owner"}]
    # scaffold assessment: data 1, model 0.5, infra 0.5, monitor 0.5 -> min 0.5
    assert v1["readiness"]["score"] == 0.5
    assert v1["readiness"]["level"].startswith("not untested")
    assert v1["readiness"]["sections"]["data"] == {"score": 1.0, "maximum": 7.0}
    # v2: data 2, model 1.5, infra 1.5, monitor 2 -> min 1.5, weakest is model
    assert v2["readiness"]["score"] == 1.5
    assert v2["readiness"]["weakest_section"] == "model"
    assert v2["readiness"]["level"].startswith("a first pass")
    assert v1["metrics"] == [{"name": "accuracy", "value": 0.86, "ci": [0.84, 0.88],
                              "n": 1000, "threshold": 0.8, "higher_is_better": True}]
    assert v1["dates"]["released"] == "2026-01-15"
    assert v2["dates"]["assessed"] == "2026-03-01"
    assert [a["name"] for a in v2["approvals"]] == ["Bob", "Zoe"]
    assert old["deprecation"] == {"reason": "Superseded.", "replaced_by": "example-model"}
    assert old["readiness"] is None and old["metrics"] == []
    assert data["models"][0] == {"id": "example-model", "name": "Example model",
                                 "latest_version": "0.10.0", "versions": ["0.1.0", "0.10.0"],
                                 "url": "models/example-model/"}


def test_links_only_name_files_the_build_wrote(tmp_path: Path) -> None:
    root = make_registry(tmp_path)
    bare = json.loads(index_json(context(root)))["versions"][0]["links"]
    assert bare == {"model": "models/example-model/", "card": "models/example-model/0.1.0/"}
    base = "models/example-model/0.1.0/"
    produced = {base + "scorecard.md", base + "scorecard.json", base + "scorecard.pdf"}
    links = json.loads(index_json(context(root, produced)))["versions"][0]["links"]
    assert links["scorecard"] == base + "scorecard/"
    assert links["downloads"] == {"json": base + "scorecard.json", "pdf": base + "scorecard.pdf"}


def test_index_is_deterministic_with_sorted_keys(tmp_path: Path) -> None:
    root = make_registry(tmp_path)
    first = index_json(context(root))
    assert first == index_json(context(root))
    assert first.endswith(b"}\n")
    data = json.loads(first)
    assert first.decode() == json.dumps(data, indent=2, sort_keys=True,
                                        ensure_ascii=False) + "\n"
    assert str(tmp_path) not in first.decode()


@pytest.mark.parametrize("text", ["<script>alert(1)</script>", "naïve \u2028 ünïcode"])
def test_card_text_is_carried_verbatim_as_json_data(tmp_path: Path, text: str) -> None:
    root = make_registry(tmp_path)
    card = root / "models" / "old-model" / "1.0.0" / "card.yaml"
    card.write_text(card.read_text().replace("name: Example model",
                                             f"name: {json.dumps(text)}"))
    data = json.loads(index_json(context(root)))
    assert data["versions"][2]["name"] == text


def test_headline_metrics_computed_from_predictions(tmp_path: Path) -> None:
    root = make_registry(tmp_path)
    v1 = root / "models" / "example-model" / "0.1.0"
    rows = ["label,pred,group"] + [f"{i % 2},{i % 2 if i < 30 else 1 - i % 2},{'ab'[i % 2]}"
                                   for i in range(40)]
    (v1 / "predictions.csv").write_text("\n".join(rows) + "\n")
    (v1 / "evaluation.yaml").write_text(
        "schema_version: 1\ndataset: {name: holdout}\n"
        "metrics:\n  - {name: accuracy, headline: true, threshold: 0.7}\n"
        "predictions: {path: predictions.csv, label: label, prediction: pred,\n"
        "              sensitive: [group], metrics: [accuracy, recall], bootstrap: 0}\n")
    data = json.loads(index_json(context(root)))
    # 30 of 40 rows predicted correctly
    assert data["versions"][0]["metrics"] == [{"name": "accuracy", "value": 0.75, "n": 40,
                                               "threshold": 0.7, "higher_is_better": True}]



def test_registry_json_assembled_from_entries_equals_one_dump(tmp_path: Path) -> None:
    """index_json splices per-version texts (kept in the build cache); its bytes must
    be those of dumping build_index() whole, cold, warm and without a cache."""
    from mlcards.incremental.cache import Cache
    from mlcards.incremental.layer import configured
    from mlcards.render.registry_index import build_index

    root = make_registry(tmp_path)
    card = root / "models" / "old-model" / "1.0.0" / "card.yaml"
    card.write_text(card.read_text().replace("name: Example model",
                                             'name: "line\\n  \\"two\\"\\t\\u00e9"'))
    produced = {"models/example-model/0.10.0/scorecard.md",
                "models/example-model/0.10.0/scorecard.pdf"}
    for cache in (None, Cache(tmp_path / "cache"), Cache(tmp_path / "cache")):
        with configured(cache, 1):
            ctx = context(root, produced)
            whole = json.dumps(build_index(ctx), indent=2, sort_keys=True,
                               ensure_ascii=False, allow_nan=False) + "\n"
            assert index_json(ctx).decode("utf-8") == whole
    assert json.loads(whole)["versions"][2]["name"] == 'line\n  "two"\t\u00e9'
