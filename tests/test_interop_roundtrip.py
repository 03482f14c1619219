"""`mlcards export hf` and the round trips between mlcards and Hugging Face cards.

- import(export(card)) == card, field by field, on every field both formats carry;
- export(import(readme)) keeps the README's metadata and evaluation results, as
  huggingface_hub (a test-only dependency) reads them.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from huggingface_hub import ModelCard

from mlcards.cli import main
from mlcards.commands.init import SCAFFOLD
from mlcards.interop.hf_eval import parse_value
from mlcards.schema import Card, Evaluation
from mlcards.validate.registry import load_registry

DATA = Path(__file__).parent / "data" / "interop"
NATIVE = DATA / "native" / "credit-risk" / "2.1.0"

CARRIED_CARD_FIELDS = [
    "status", "risk_tier", "tags",
    "model_details.id", "model_details.name", "model_details.version", "model_details.date",
    "model_details.description", "model_details.task", "model_details.type",
    "model_details.architecture", "model_details.library", "model_details.base_model",
    "model_details.input_format", "model_details.output_format", "model_details.owners",
    "model_details.license", "model_details.citation", "model_details.references",
    "model_details.repository", "model_details.questions",
    "intended_use", "factors", "metrics", "quantitative_analyses", "ethical_considerations",
    "caveats_and_recommendations",
    "evaluation_data.motivation", "evaluation_data.preprocessing",
    "training_data.motivation", "training_data.preprocessing",
]
"""Card fields a Hugging Face card carries. Not carried: approvals, deprecation,
next_review, custom keys, and dataset details beyond the training datasets' names."""


def registry(tmp_path: Path) -> Path:
    root = tmp_path / "reg"
    (root / "models").mkdir(parents=True)
    shutil.copyfile(SCAFFOLD / "mlcards.yaml", root / "mlcards.yaml")
    return root


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    rc = main(args)
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    return captured.out


def field(data: dict[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return normalise(value)


def normalise(value: Any) -> Any:
    """Text compared without surrounding blank lines (YAML `|` vs `|-`)."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    return value


def native_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, Path]:
    """Export the native card, import it again; (README, re-imported version folder)."""
    src = tmp_path / "src" / "models" / "credit-risk" / "2.1.0"
    shutil.copytree(NATIVE, src)
    readme = tmp_path / "hub" / "README.md"
    run(["export", "hf", str(src), "-o", str(readme)], capsys)
    out = registry(tmp_path) / "models" / "credit-risk" / "2.1.0"
    run(["import", "hf", str(readme), "-o", str(out)], capsys)
    return readme, out


def card_data(folder: Path) -> dict[str, Any]:
    card = Card.model_validate(_yaml(folder / "card.yaml"))
    return card.model_dump(mode="python", exclude_none=True)


def _yaml(path: Path) -> Any:
    import yaml
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_import_of_export_gives_back_the_card(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    _, out = native_round_trip(tmp_path, capsys)
    before, after = card_data(NATIVE), card_data(out)
    for path in CARRIED_CARD_FIELDS:
        assert field(after, path) == field(before, path), path
        assert field(before, path) not in (None, [], {}), f"fixture should fill {path}"
    assert [d["name"] for d in after["training_data"]["datasets"]] == \
        [d["name"] for d in before["training_data"]["datasets"]]
    assert after["custom"] == {}  # nothing was left over
    assert load_registry(out.parents[2]).versions()[0].card.model_details.id == "credit-risk"


def test_import_of_export_gives_back_the_evaluation(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    _, out = native_round_trip(tmp_path, capsys)
    before = Evaluation.model_validate(_yaml(NATIVE / "evaluation.yaml"))
    after = Evaluation.model_validate(_yaml(out / "evaluation.yaml"))
    assert (after.dataset.name, after.dataset.split) == (before.dataset.name, before.dataset.split)
    assert after.date == before.date
    assert [(m.name, m.description) for m in after.metrics] == \
        [(m.name, m.description) for m in before.metrics]

    def key(r: Any) -> tuple[Any, ...]:
        return (r.metric, tuple(sorted(r.slice.items())), r.value)

    assert sorted(map(key, after.results)) == sorted(map(key, before.results))
    sliced = {key(r): (r.ci, r.n) for r in before.results if r.slice}
    assert {key(r): (r.ci, r.n) for r in after.results if r.slice} == sliced


def test_export_loads_with_huggingface_hub(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    readme, _ = native_round_trip(tmp_path, capsys)
    hub = ModelCard.load(readme, ignore_metadata_errors=False)
    assert hub.data.model_name == "Credit risk scorer"
    assert hub.data.license == "proprietary"
    assert hub.data.library_name == "lightgbm"
    assert hub.data.tags == ["tabular", "credit", "fairness-reviewed"]
    assert hub.data.datasets == ["loans-2019-2024", "bureau-snapshot-2024"]
    evaluation = Evaluation.model_validate(_yaml(NATIVE / "evaluation.yaml"))
    expected = sorted(
        (r.metric, r.slice.get("dataset", evaluation.dataset.name),
         r.slice.get("split", evaluation.dataset.split), r.value)
        for r in evaluation.results if not r.slice or "dataset" in r.slice)
    got = sorted((e.metric_type, e.dataset_type, e.dataset_split, e.metric_value)
                 for e in hub.data.eval_results)
    assert got == expected
    assert {e.task_type for e in hub.data.eval_results} == {"binary-classification"}
    assert "## Bias, Risks, and Limitations" in hub.text
    assert "### Out-of-Scope Use" in hub.text


HUB_KEYS = ["license", "library_name", "pipeline_tag", "base_model", "tags", "datasets",
            "language", "co2_eq_emissions", "widget", "license_name", "license_link", "metrics"]


@pytest.mark.parametrize("name", ["bert", "vit", "minimal", "llm"])
def test_export_of_import_keeps_metadata_and_results(
        name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = DATA / f"hf_{name}" / "README.md"
    out = registry(tmp_path) / "models" / name / "1.0.0"
    run(["import", "hf", str(source), "-o", str(out), "--owner", "Someone"], capsys)
    readme = tmp_path / "README.md"
    run(["export", "hf", str(out), "-o", str(readme)], capsys)
    original = ModelCard.load(source, ignore_metadata_errors=False)
    exported = ModelCard.load(readme, ignore_metadata_errors=False)
    for key in HUB_KEYS:
        if original.data.get(key) is not None:
            assert exported.data.get(key) == original.data.get(key), key
    assert results(exported) == results(original) + eval_results(source.parent)


def results(card: ModelCard) -> list[tuple[Any, ...]]:
    """(task, dataset type, config, split, metric type, value) of each eval result."""
    out = []
    for e in card.data.eval_results or []:
        value = parse_value(e.metric_value)
        assert value is not None
        out.append((e.task_type, e.dataset_type, e.dataset_config, e.dataset_split,
                    e.metric_type, value[0]))
    return out


def eval_results(folder: Path) -> list[tuple[Any, ...]]:
    """The .eval_results/ entries as the exporter writes them into model-index."""
    folder = folder / ".eval_results"
    out = []
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        for entry in _yaml(path):
            task = entry["dataset"].get("task_id")
            metric = task if task and task != "default" else "score"
            out.append(("text-generation", entry["dataset"]["id"], None, None, metric,
                        float(entry["value"])))
    return out


def test_import_export_import_is_stable(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    """A second trip through the Hub format changes nothing any more."""
    first = registry(tmp_path / "a") / "models" / "vit" / "1.0.0"
    run(["import", "hf", str(DATA / "hf_vit" / "README.md"), "-o", str(first)], capsys)
    run(["export", "hf", str(first), "-o", str(tmp_path / "1.md")], capsys)
    second = registry(tmp_path / "b") / "models" / "vit" / "1.0.0"
    run(["import", "hf", str(tmp_path / "1.md"), "-o", str(second)], capsys)
    run(["export", "hf", str(second), "-o", str(tmp_path / "2.md")], capsys)
    third = registry(tmp_path / "c") / "models" / "vit" / "1.0.0"
    run(["import", "hf", str(tmp_path / "2.md"), "-o", str(third)], capsys)
    assert (tmp_path / "1.md").read_text() == (tmp_path / "2.md").read_text()
    assert card_data(second) == card_data(third)
    one, two = card_data(first), card_data(second)
    for path in CARRIED_CARD_FIELDS:
        if path != "intended_use":  # a folded sub-heading moves one level down once
            assert field(one, path) == field(two, path), path
    assert one["custom"] == two["custom"]


def test_export_is_deterministic_and_refuses_to_overwrite(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    readme = tmp_path / "README.md"
    run(["export", "hf", str(NATIVE), "-o", str(readme)], capsys)
    first = readme.read_bytes()
    assert main(["export", "hf", str(NATIVE), "-o", str(readme)]) == 1
    assert "pass --force" in capsys.readouterr().err
    run(["export", "hf", str(NATIVE), "-o", str(readme), "--force"], capsys)
    assert readme.read_bytes() == first


def test_export_reports_invalid_card_located(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "models" / "credit-risk" / "2.1.0"
    shutil.copytree(NATIVE, folder)
    card = folder / "card.yaml"
    card.write_text(card.read_text().replace("status: approved", "status: shipped"))
    assert main(["export", "hf", str(folder), "-o", str(tmp_path / "README.md")]) == 1
    err = capsys.readouterr().err
    assert "card.yaml:3:9: status:" in err
    assert "Traceback" not in err
    assert not (tmp_path / "README.md").exists()


def test_export_names_what_it_cannot_carry(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "models" / "credit-risk" / "2.1.0"
    shutil.copytree(NATIVE, folder)
    card = folder / "card.yaml"
    card.write_text(card.read_text() + "next_review: 2026-01-01\ncustom:\n  cost_center: 42\n")
    out = run(["export", "hf", str(folder), "-o", str(tmp_path / "README.md")], capsys)
    assert "not carried by Hugging Face cards: next_review" in out
    assert "custom keys cost_center" in out
