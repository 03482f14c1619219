"""`mlcards check`: approved versions must keep every group within policy.max_disparity."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from test_evaluation import VERSION, make_registry

if TYPE_CHECKING:
    from cli_result import CliResult

POLICY = {"max_disparity": 0.05, "min_group_size": 150, "disparity_metrics": ["accuracy"],
          "min_readiness": 0.0}


def lines(result: CliResult, rule: str) -> list[str]:
    return [line for line in result.out.splitlines() if f"[{rule}]" in line]


def test_approved_version_over_the_limit_fails_the_gate(
        run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    root = make_registry(tmp_path, policy=POLICY, status="approved")
    result = run_cli("check", root)
    assert result.code == 1
    errors = lines(result, "disparity.max-gap")
    path = (root / VERSION / "evaluation.yaml").as_posix()
    assert len(errors) == 2 and all(e.startswith(f"{path}:") for e in errors)
    assert ": error: example-model/0.1.0: accuracy of sex=b is " in errors[1]
    assert "exceeds the policy's max_disparity 0.05 (n=" in errors[1]
    small = lines(result, "disparity.small-group")
    assert small and all(": warning: " in s and "too small to judge" in s for s in small)
    assert "check failed" in result.out.splitlines()[-1]


def test_drafts_are_reported_not_gated(run_cli: Callable[..., CliResult],
                                       tmp_path: Path) -> None:
    root = make_registry(tmp_path, policy=POLICY, status="draft")
    result = run_cli("check", root)
    found = lines(result, "disparity.max-gap")
    assert found and all(": info: " in f and "not gated (status draft)" in f for f in found)
    assert not [f for f in found if ": error: " in f]


def test_within_the_limit_passes(run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    root = make_registry(tmp_path, gap=0.0, status="approved",
                         policy={**POLICY, "max_disparity": 0.3, "min_group_size": 0})
    result = run_cli("check", root)
    assert not lines(result, "disparity.max-gap")
    assert not lines(result, "disparity.small-group")


def test_unreadable_predictions_fail_with_located_problems(
        run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    root = make_registry(tmp_path, policy=POLICY, status="approved",
                         rows=[["1", "1", "oops", "a", "old"]])
    result = run_cli("check", root)
    assert result.code == 1
    csv = (root / VERSION / "predictions.csv").as_posix()
    # as a finding of this rule, or as invalid input when another rule (the regression
    # check, which also computes the evaluation) meets the file first
    assert f"{csv}:402:5: " in result.out + result.err
    assert "score: expected a finite number, got 'oops'" in result.out + result.err


def test_example_registry_passes_the_disparity_gate(
        run_cli: Callable[..., CliResult], example_registry: Path) -> None:
    result = run_cli("check", example_registry)
    assert not [x for x in lines(result, "disparity.max-gap") if ": error: " in x]
    assert not lines(result, "evaluation.invalid")


def test_rule_turns_unreadable_predictions_into_findings(tmp_path: Path) -> None:
    from mlcards.compute.gate import CheckContext
    from mlcards.compute.gate_evaluation import disparity_limit
    from mlcards.validate.registry import load_registry

    root = make_registry(tmp_path, policy=POLICY, status="approved",
                         rows=[["1", "1", "oops", "a", "old"]])
    (finding,) = disparity_limit(CheckContext(load_registry(root), 0.0))
    assert (finding.line, finding.column, finding.rule, finding.severity) == (
        402, 5, "evaluation.invalid", "error")
    assert finding.file.endswith("predictions.csv")
    assert finding.message == "score: expected a finite number, got 'oops'"
