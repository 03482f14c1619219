"""What a new user trips over (issue 21, item 4): `mlcards init`'s placeholder text
passing `validate --strict`, `selection_rate` given a better direction, a version
mismatch hidden behind schema errors, and a missing folder reported as invalid input
rather than a usage error."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import yaml
from test_evaluation import write_predictions

from mlcards.compute.diff import Measurements, metric_changes
from mlcards.compute.metrics import METRICS
from mlcards.schema.evaluation import MetricDefinition, Result
from mlcards.validate.registry import collect_problems

if TYPE_CHECKING:
    from cli_result import CliResult

VERSION = Path("models/example-model/0.1.0")
CARD = VERSION / "card.yaml"
READINESS = VERSION / "readiness.yaml"

SCAFFOLD_PLACEHOLDERS = {
    # (file, field): the placeholder text the scaffold ships with
    (CARD, "model_details.description"): "Replace this with",
    (CARD, "model_details.owners[0].name"): "Your Name",
    (CARD, "model_details.owners[0].email"): "you@example.com",
    (CARD, "intended_use.primary_uses"): "Describe the decisions this model supports.",
    (CARD, "intended_use.out_of_scope"): "Describe uses the model must not be put to.",
    (CARD, "ethical_considerations.risks[0].name"): "Describe a risk",
    (CARD, "ethical_considerations.risks[0].mitigation"): "Describe how it is mitigated.",
    (READINESS, "assessor.name"): "Your Name",
    (READINESS, "assessor.email"): "you@example.com",
}
EDITS = {
    CARD: [("Replace this with what the model does, for whom, and how it was built.",
            "Scores loan applications for default risk; built by the credit team."),
           ("name: Your Name", "name: Ada Lovelace"),
           ("you@example.com", "ada@bank.example"),
           ("Describe the decisions this model supports.",
            "Ranks applications for manual review."),
           ("Describe uses the model must not be put to.", "Automatic rejection."),
           ("name: Describe a risk", "name: Unequal referral rates"),
           ("Describe how it is mitigated.", "Quarterly disparity review.")],
    READINESS: [("Your Name", "Ada Lovelace"), ("you@example.com", "ada@bank.example")],
}


def fill_in(root: Path) -> None:
    """Edit every scaffold placeholder as a user would."""
    for rel, edits in EDITS.items():
        path = root / rel
        text = path.read_text(encoding="utf-8")
        for old, new in edits:
            assert text.count(old) == 1, old
            text = text.replace(old, new)
        path.write_text(text, encoding="utf-8")


# --------------------------------------------------------------------------- placeholders


def test_init_output_fails_strict_validation_with_located_messages(
        tmp_path: Path, run_cli: Callable[..., CliResult]) -> None:
    target = tmp_path / "reg"
    assert run_cli("init", target).code == 0
    assert run_cli("validate", target).code == 0  # valid, only unfinished
    result = run_cli("validate", "--strict", target)
    assert result.code == 1
    _, problems = collect_problems(target, strict=True)
    found = {(Path(p.file).relative_to(target.resolve()), p.field): p for p in problems}
    assert set(found) == set(SCAFFOLD_PLACEHOLDERS), sorted(found)
    for key, phrase in SCAFFOLD_PLACEHOLDERS.items():
        p = found[key]
        assert p.line > 1 and p.column > 1
        assert f"`mlcards init` placeholder {phrase!r}" in p.message, p.message
        assert "; write " in p.message and p.message.endswith("(--strict)")
        assert p.format() in result.err
    assert found[(CARD, "model_details.description")].message == (
        "still holds the `mlcards init` placeholder 'Replace this with'; write what the "
        "model does, for whom, and how it was built (--strict)")


@pytest.mark.parametrize(("key", "phrase"), list(SCAFFOLD_PLACEHOLDERS.items()))
def test_each_placeholder_left_alone_fails_strict(
        scaffold_registry: Path, key: tuple[Path, str], phrase: str) -> None:
    fill_in(scaffold_registry)
    rel = key[0]
    path = scaffold_registry / rel
    edits = dict(EDITS[rel])
    original = next(o for o in edits if phrase in o)
    text = path.read_text(encoding="utf-8")
    text = text.replace(edits[original], original, 1)
    path.write_text(text, encoding="utf-8")
    registry, problems = collect_problems(scaffold_registry, strict=True)
    assert registry is None
    fields = [(Path(p.file).relative_to(scaffold_registry.resolve()), p.field)
              for p in problems]
    assert fields == [key]


def test_only_the_exact_phrases_count(scaffold_registry: Path) -> None:
    """A sentence that merely contains the scaffold's words is the user's own text."""
    fill_in(scaffold_registry)
    path = scaffold_registry / CARD
    text = path.read_text(encoding="utf-8").replace(
        "Ranks applications for manual review.",
        "Asks for your name and income; describe a risk to the reviewer.").replace(
        "Automatic rejection.", "Describe a risk")
    path.write_text(text, encoding="utf-8")
    _, problems = collect_problems(scaffold_registry, strict=True)
    assert [(p.field, p.message) for p in problems] == [(
        "intended_use.out_of_scope",
        "still holds the `mlcards init` placeholder 'Describe a risk'; write a risk the "
        "model poses: who could be harmed, and how (--strict)")]


def test_approved_scaffold_fails_check_until_edited(
        scaffold_registry: Path, run_cli: Callable[..., CliResult]) -> None:
    path = scaffold_registry / CARD
    path.write_text(path.read_text(encoding="utf-8").replace("status: draft",
                                                             "status: approved"),
                    encoding="utf-8")
    failed = run_cli("check", scaffold_registry, "--min-score", "0", "--as-of", "2026-02-01")
    assert failed.code == 1, failed.out
    assert "required section 'intended_use' is missing" in failed.out
    fill_in(scaffold_registry)
    passed = run_cli("check", scaffold_registry, "--min-score", "0", "--as-of", "2026-02-01")
    assert passed.code == 0, passed.out
    strict = run_cli("validate", "--strict", scaffold_registry)
    assert strict.code == 0, strict.err


# --------------------------------------------------------------------------- selection_rate


def test_selection_rate_has_no_better_direction() -> None:
    assert METRICS["selection_rate"].higher_is_better is None
    assert METRICS["false_positive_rate"].higher_is_better is False
    assert METRICS["recall"].higher_is_better is True


def test_evaluate_writes_selection_rate_as_direction_neutral(
        run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    csv = write_predictions(tmp_path / "preds.csv")
    out = tmp_path / "evaluation.yaml"
    result = run_cli("evaluate", csv, "--label", "label", "--prediction", "pred",
                     "--sensitive", "sex", "--bootstrap", "20", "-o", out)
    assert result.code == 0, result.err
    doc = yaml.safe_load(out.read_text(encoding="utf-8"))
    directions = {m["name"]: m["higher_is_better"] for m in doc["metrics"]}
    assert directions["selection_rate"] is None
    assert directions["accuracy"] is True and directions["false_positive_rate"] is False
    assert "higher_is_better: null" in out.read_text(encoding="utf-8")


def test_schema_accepts_a_neutral_direction_but_not_with_a_threshold() -> None:
    assert MetricDefinition(name="selection_rate", higher_is_better=None).higher_is_better \
        is None
    assert MetricDefinition(name="accuracy").higher_is_better is True
    with pytest.raises(ValueError, match="threshold needs a direction"):
        MetricDefinition(name="selection_rate", higher_is_better=None, threshold=0.3)
    schema = json.loads((Path(__file__).parent.parent / "schemas" /
                         "evaluation.schema.json").read_text(encoding="utf-8"))
    field = schema["$defs"]["MetricDefinition"]["properties"]["higher_is_better"]
    assert {"type": "null"} in field["anyOf"]


def test_a_neutral_metric_never_regresses_or_improves() -> None:
    def measured(value: float) -> Measurements:
        return Measurements((Result(metric="selection_rate", value=value),
                             Result(metric="recall", value=value)),
                            {"selection_rate": None, "recall": True}, frozenset(), {})

    changes = {c.metric: c for c in metric_changes(measured(0.5), measured(0.3), 0.0)}
    neutral = changes["selection_rate"]
    assert neutral.change == "changed"
    assert neutral.gain is None and not neutral.beyond_tolerance
    assert neutral.delta == pytest.approx(-0.2)
    assert changes["recall"].change == "regressed"


def test_neutral_metric_in_a_registry_diff(scaffold_registry: Path,
                                           run_cli: Callable[..., CliResult]) -> None:
    old = scaffold_registry / VERSION
    new = old.with_name("0.2.0")
    shutil.copytree(old, new)
    for v, rate in ((old, 0.40), (new, 0.20)):
        path = v / "evaluation.yaml"
        text = path.read_text(encoding="utf-8").replace(
            "results:\n",
            "  - {name: selection_rate, higher_is_better: null}\nresults:\n"
            f"  - {{metric: selection_rate, value: {rate}, n: 1000}}\n")
        path.write_text(text, encoding="utf-8")
    card = new / "card.yaml"
    card.write_text(card.read_text(encoding="utf-8").replace("version: 0.1.0",
                                                             "version: 0.2.0"),
                    encoding="utf-8")
    result = run_cli("diff", scaffold_registry, "example-model", "--format", "json")
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    rate = next(m for m in doc["metrics"] if m["metric"] == "selection_rate")
    assert (rate["change"], rate["higher_is_better"], rate["delta"]) == ("changed", None, -0.2)
    assert not any("selection_rate" in r["subject"] for r in doc["regressions"])
    text = run_cli("diff", scaffold_registry, "example-model")
    assert "selection_rate ↕" in text.out


# --------------------------------------------------------------------------- one run


def test_version_mismatch_is_reported_with_the_schema_errors(scaffold_registry: Path) -> None:
    path = scaffold_registry / CARD
    text = path.read_text(encoding="utf-8")
    text = text.replace("version: 0.1.0", "version: 0.2.0").replace(
        "date: 2026-01-15", "date: someday").replace("license: proprietary",
                                                     "licence: proprietary")
    path.write_text(text, encoding="utf-8")
    _, problems = collect_problems(scaffold_registry)
    fields = sorted(p.field for p in problems)
    assert fields == ["model_details.date", "model_details.licence", "model_details.version"]
    mismatch = next(p for p in problems if p.field == "model_details.version")
    assert "'0.2.0' does not match its folder name '0.1.0'" in mismatch.message
    assert mismatch.line == text[: text.index("version: 0.2.0")].count("\n") + 1


def test_id_mismatch_is_reported_with_the_schema_errors(scaffold_registry: Path) -> None:
    path = scaffold_registry / CARD
    text = path.read_text(encoding="utf-8").replace("id: example-model", "id: other-model")
    text = text.replace("task: binary-classification\n", "").replace("version: 0.1.0",
                                                                     "version: [0, 1]")
    path.write_text(text, encoding="utf-8")
    _, problems = collect_problems(scaffold_registry)
    by_field = {p.field: p.message for p in problems}
    assert sorted(by_field) == ["model_details.id", "model_details.task",
                                "model_details.version"]
    assert "'other-model' does not match its folder name 'example-model'" \
        in by_field["model_details.id"]
    # a version that is no text at all is a schema error only, not also a mismatch
    assert "does not match its folder" not in by_field["model_details.version"]


# --------------------------------------------------------------------------- usage


def test_validate_a_missing_folder_is_a_usage_error(
        tmp_path: Path, run_cli: Callable[..., CliResult],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run_cli("validate", "nope")
    assert result.code == 2
    assert result.err.strip() == "error: nope: no such file or folder"
    (tmp_path / "empty").mkdir()
    assert run_cli("validate", "empty").code == 1  # a folder that is no registry: invalid
