"""All errors of a run are reported together (issue 2's acceptance): four files,
each broken differently, give exit status 1 and exactly four located messages."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

LOCATED = re.compile(r"^(?P<file>[^:\s]+):(?P<line>\d+):(?P<column>\d+): (?P<rest>.+)$")


def edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} in {rel}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def located_lines(stderr: str) -> list[re.Match[str]]:
    return [m for line in stderr.splitlines() if (m := LOCATED.match(line))]


def check_four(result: Any, expected: dict[str, tuple[int, str]]) -> None:
    """Exit 1; one located message per broken file, at the expected line, saying why."""
    assert result.code == 1, result.err
    assert "Traceback" not in result.err
    found = located_lines(result.err)
    assert len(found) == 4, result.err
    by_file = {m["file"]: m for m in found}
    assert sorted(by_file) == sorted(expected), result.err
    for file, (line, words) in expected.items():
        assert int(by_file[file]["line"]) == line, by_file[file].group(0)
        assert int(by_file[file]["column"]) >= 1
        assert words in by_file[file]["rest"], by_file[file].group(0)


def test_four_broken_files_of_the_scaffold_give_four_messages(
        scaffold_registry: Path, run_cli: Callable[..., Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    version = "models/example-model/0.1.0"
    edit(scaffold_registry, f"{version}/card.yaml", "date: 2026-01-15", "date: next week")
    edit(scaffold_registry, f"{version}/readiness.yaml", "rubric:", "rubrik:")
    edit(scaffold_registry, f"{version}/evaluation.yaml", "metrics:\n", "metrics: [\n")
    edit(scaffold_registry, "mlcards.yaml", "title: Model registry\n", "")
    monkeypatch.chdir(scaffold_registry)  # messages name files relative to the working folder
    result = run_cli("validate", ".")
    check_four(result, {
        f"{version}/card.yaml": (10, "model_details.date: "),
        f"{version}/readiness.yaml": (3, 'did you mean "rubric"?'),
        # libyaml stops at the first token it cannot take after the unclosed `[`
        f"{version}/evaluation.yaml": (6, "YAML syntax error"),
        "mlcards.yaml": (2, "title: required field 'title' is missing"),
    })


def test_four_broken_files_of_the_example_give_four_messages(
        example_registry: Path, run_cli: Callable[..., Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    card = "models/ticket-router/2.0.0/card.yaml"
    readiness = "models/demand-forecast/3.2.0/readiness.yaml"
    evaluation = "models/churn-predictor/2.0.0/evaluation.yaml"
    other_card = "models/fraud-screen/0.3.0/card.yaml"
    edit(example_registry, card, "risk_tier: limited", "risk_tier: [limited]")
    edit(example_registry, readiness, "    status: manual\n    note: Weather",
         "    status: manual\n    notes: Weather")
    edit(example_registry, evaluation, "dataset:\n", "dataset: {\n")
    edit(example_registry, other_card, "  task: binary-classification\n", "")
    monkeypatch.chdir(example_registry.parent)
    result = run_cli("validate", "site_example")
    lines = {path: (example_registry / path).read_text(encoding="utf-8").splitlines()
             for path in (card, readiness, other_card)}
    notes_line = next(i for i, s in enumerate(lines[readiness], 1) if "notes: Weather" in s)
    details_line = next(i for i, s in enumerate(lines[other_card], 1) if "id: fraud-screen" in s)
    check_four(result, {
        f"site_example/{card}": (4, "risk_tier: "),
        f"site_example/{readiness}": (notes_line, 'did you mean "note"?'),
        f"site_example/{evaluation}": (6, "started on line 4"),
        f"site_example/{other_card}": (details_line, "required field 'task' is missing"),
    })


def test_valid_registry_prints_a_summary_and_no_problems(
        scaffold_registry: Path, run_cli: Callable[..., Any]) -> None:
    result = run_cli("validate", scaffold_registry)
    assert result.code == 0
    assert located_lines(result.err) == []
    assert "1 models, 1 versions: valid" in result.out
