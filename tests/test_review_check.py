"""`mlcards check` with the review rules: regressions gate approved versions,
stale or overdue cards warn (or fail when the policy says so), drafts are reported."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_result import CliResult

DATA = Path(__file__).parent / "data" / "versions"
V12 = Path("models/churn-predictor/1.2.0")


@pytest.fixture
def registry(tmp_path: Path) -> Path:
    root = tmp_path / "versions"
    shutil.copytree(DATA, root)
    return root


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def approve_1_2(root: Path) -> None:
    edit(root / V12 / "card.yaml", "status: in-review", "status: approved")


def rules(result: CliResult, severity: str) -> list[str]:
    """Rule ids of the findings of one severity, in output order."""
    return [line.rsplit("[", 1)[1].rstrip("]") for line in result.out.splitlines()
            if f": {severity}: " in line]


def test_fixture_as_given_passes(run_cli: Callable[..., CliResult], registry: Path) -> None:
    # 1.2.0 regressed but is in review: reported, not gated
    result = run_cli("check", registry, "--as-of", "inputs")
    assert result.code == 0, result.out
    assert rules(result, "error") == []
    assert {"regression.metric", "regression.readiness"} <= set(rules(result, "info"))
    assert "check passed" in result.out


def test_an_approved_regressing_version_fails(run_cli: Callable[..., CliResult],
                                              registry: Path) -> None:
    approve_1_2(registry)
    result = run_cli("check", registry)
    assert result.code == 1
    assert rules(result, "error") == ["regression.metric", "regression.readiness"]
    lines = result.out.splitlines()
    metric = next(line for line in lines if "[regression.metric]" in line)
    assert metric.startswith(f"{(registry / V12 / 'evaluation.yaml').as_posix()}:8:26: error: ")
    assert ("churn-predictor/1.2.0: auc (overall) regressed 0.84 → 0.82 (-0.02) since 1.1.0, "
            "beyond the regression tolerance 0.01") in metric
    readiness = next(line for line in lines if "[regression.readiness]" in line)
    assert ":11:21: error: " in readiness  # the test that moved down: infra-1's status
    assert "readiness score dropped 1.5 → 1 since 1.1.0 (infra-1 automated → manual)" in readiness
    assert "check failed: 2 error(s)" in lines[-1]


def test_readiness_drop_alone_fails(run_cli: Callable[..., CliResult], registry: Path) -> None:
    approve_1_2(registry)
    edit(registry / V12 / "evaluation.yaml", "{metric: auc, value: 0.82,",
         "{metric: auc, value: 0.835,")  # -0.005: within the tolerance
    result = run_cli("check", registry)
    assert result.code == 1
    assert rules(result, "error") == ["regression.readiness"]


def test_a_clean_registry_passes(run_cli: Callable[..., CliResult], registry: Path) -> None:
    approve_1_2(registry)
    edit(registry / V12 / "evaluation.yaml", "{metric: auc, value: 0.82,",
         "{metric: auc, value: 0.85,")
    edit(registry / V12 / "evaluation.yaml", "date: 2025-08-20", "date: 2025-09-01")
    edit(registry / V12 / "readiness.yaml", "infra-1: {status: manual}",
         "infra-1: {status: automated}")
    result = run_cli("check", registry, "--as-of", "inputs")
    assert result.code == 0, result.out
    assert rules(result, "error") == []
    assert not any("churn-predictor" in line and "warning" in line
                   for line in result.out.splitlines())


def test_the_flag_turns_the_regression_gate_off(run_cli: Callable[..., CliResult],
                                                registry: Path) -> None:
    approve_1_2(registry)
    result = run_cli("check", registry, "--no-fail-on-regression")
    assert result.code == 0
    assert {"regression.metric", "regression.readiness"} <= set(rules(result, "warning"))
    assert "fail_on_regression is off" in result.out


def test_policy_can_turn_the_gate_off_and_the_flag_back_on(
        run_cli: Callable[..., CliResult], registry: Path) -> None:
    approve_1_2(registry)
    edit(registry / "mlcards.yaml", "fail_on_regression: true", "fail_on_regression: false")
    assert run_cli("check", registry).code == 0
    assert run_cli("check", registry, "--fail-on-regression").code == 1


def test_tolerance_from_policy(run_cli: Callable[..., CliResult], registry: Path) -> None:
    approve_1_2(registry)
    edit(registry / "mlcards.yaml", "regression_tolerance: 0.01", "regression_tolerance: 0.05")
    result = run_cli("check", registry)
    assert rules(result, "error") == ["regression.readiness"]  # auc -0.02 is now tolerated


def test_stale_evaluation_warns_unless_policy_fails(run_cli: Callable[..., CliResult],
                                                    registry: Path) -> None:
    approve_1_2(registry)
    warn = run_cli("check", registry, "--no-fail-on-regression", "--as-of", "inputs")
    assert "lifecycle.stale-evaluation" in rules(warn, "warning")
    assert warn.code == 0
    edit(registry / "mlcards.yaml", "stale: warn", "stale: fail")
    fail = run_cli("check", registry, "--no-fail-on-regression", "--as-of", "inputs")
    assert fail.code == 1
    assert rules(fail, "error") == ["lifecycle.stale-evaluation"]


def test_overdue_review_uses_the_as_of_date(run_cli: Callable[..., CliResult],
                                            registry: Path) -> None:
    approve_1_2(registry)
    edit(registry / "mlcards.yaml", "stale: warn", "stale: fail")
    edit(registry / V12 / "evaluation.yaml", "date: 2025-08-20", "date: 2025-09-01")
    # --as-of inputs: the newest date in the inputs (2025-09-02), before next_review
    early = run_cli("check", registry, "--no-fail-on-regression", "--as-of", "inputs")
    assert early.code == 0
    assert not [line for line in early.out.splitlines()
                if "churn-predictor" in line and "review-overdue" in line]
    late = run_cli("check", registry, "--no-fail-on-regression", "--as-of", "2026-03-02")
    assert late.code == 1
    assert "card review was due on 2026-03-01 (as of 2026-03-02)" in late.out
    assert rules(late, "error") == ["lifecycle.review-overdue"]
    # by default the gate judges today (the clock), not the newest input date
    today = run_cli("check", registry, "--no-fail-on-regression")
    assert today.code == 1
    assert f"card review was due on 2026-03-01 (as of {dt.date.today()})" in today.out


def test_bad_as_of_is_a_usage_error(run_cli: Callable[..., CliResult], registry: Path) -> None:
    result = run_cli("check", registry, "--as-of", "next week")
    assert result.code == 2
    assert "expected a date as YYYY-MM-DD" in result.err


def test_drafts_are_reported_not_gated(run_cli: Callable[..., CliResult],
                                       registry: Path) -> None:
    edit(registry / V12 / "card.yaml", "status: in-review", "status: draft")
    edit(registry / "mlcards.yaml", "stale: warn", "stale: fail")
    result = run_cli("check", registry)
    assert result.code == 0
    infos = rules(result, "info")
    assert {"regression.metric", "regression.readiness", "lifecycle.stale-evaluation"} <= set(
        infos)
    assert "not gated (status draft)" in result.out


def test_missing_required_section_fails_an_approved_card(
        run_cli: Callable[..., CliResult], registry: Path) -> None:
    card = registry / "models/churn-predictor/1.1.0/card.yaml"
    edit(card, "metrics:\n  performance_measures: ROC AUC and false positive rate, overall "
         "and per region.\n", "metrics:\n  performance_measures: TODO\n")
    result = run_cli("check", registry)
    assert result.code == 1
    assert rules(result, "error") == ["checklist.missing-section"]
    assert "required section 'metrics' is missing" in result.out


def test_deprecated_without_replacement_warns(run_cli: Callable[..., CliResult],
                                              registry: Path) -> None:
    card = registry / "models/legacy-churn/0.9.0/card.yaml"
    edit(card, "  replaced_by: churn-predictor\n", "")
    result = run_cli("check", registry)
    assert result.code == 0
    assert "lifecycle.no-replacement" in rules(result, "warning")


def test_check_on_site_example_reports_its_overdue_reviews_by_default(
        run_cli: Callable[..., CliResult], example_registry: Path) -> None:
    """credit-default 1.1.0's card review fell due on 2026-11-18: without --as-of the
    gate sees it (the newest input date would hide it)."""
    result = run_cli("check", example_registry)
    assert "credit-default/1.1.0: card review was due on 2026-11-18" in result.out
    hidden = run_cli("check", example_registry, "--as-of", "inputs")
    assert "card review was due on 2026-11-18" not in hidden.out


def _counted_on_page(run_cli: Callable[..., CliResult], registry: Path, out: Path) -> int:
    assert run_cli("build", registry, "-o", out, "--docs-only").code == 0
    page = (out / "docs" / "models" / "credit-default" / "1.1.0" / "index.md").read_text()
    return sum("**counted by the gate**" in line for line in page.splitlines())


def _gate_regressions(result: CliResult) -> list[str]:
    return [line for line in result.out.splitlines()
            if "credit-default/1.1.0" in line and "[regression." in line
            and (": error: " in line or ": warning: " in line)]


@pytest.mark.parametrize("groups", [False, True], ids=["overall", "per-group"])
def test_page_counts_the_regressions_the_gate_counts(
        run_cli: Callable[..., CliResult], example_registry: Path, tmp_path: Path,
        groups: bool) -> None:
    """One rule for the card page and `check`: beyond the tolerance and outside the
    interval; per group only where policy.gate_group_regressions asks."""
    if groups:
        edit(example_registry / "mlcards.yaml", "regression_tolerance: 0.005",
             "regression_tolerance: 0.005\n  gate_group_regressions: true")
    counted = _counted_on_page(run_cli, example_registry, tmp_path / "site")
    result = run_cli("check", example_registry, "--as-of", "inputs")
    assert counted == len(_gate_regressions(result))
    if groups:
        assert counted >= 4 and result.code == 1
        assert "recall (age_band=41-60, sex=male)" not in result.out  # inside its interval
        assert "accuracy (age_band=41-60, sex=male) regressed 0.8636 → 0.8325" in result.out
    else:
        assert counted == 0 and result.code == 0
        assert "[regression.group]" in result.out  # reported as info, not counted
