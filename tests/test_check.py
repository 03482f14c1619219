"""`mlcards check`: the readiness gate (approved versions must meet min_readiness)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from test_readiness_fixtures import make_registry, readiness, standard_registry, write_yaml

from mlcards.compute.gate import Finding, evaluate

if TYPE_CHECKING:  # tests/browser/conftest.py would shadow it at run time
    from cli_result import CliResult


def readiness_lines(result: CliResult) -> list[str]:
    return [line for line in result.out.splitlines() if "[readiness." in line]


def test_fails_listing_each_failing_approved_version_with_its_weakest_section(
        run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    root = standard_registry(tmp_path)
    result = run_cli("check", root)
    assert result.code == 1
    errors = [line for line in readiness_lines(result) if ": error: " in line]
    path = (root / "models/alpha/1.0.0/readiness.yaml").as_posix()
    assert len(errors) == 1
    assert errors[0].startswith(f"{path}:")
    assert ("alpha/1.0.0: readiness 0.5 is below the minimum 1 (weakest section: Tests for "
            "Features and Data, 0.5 of 7) [readiness.min-score]") in errors[0]
    assert "check failed" in result.out.splitlines()[-1]


def test_drafts_are_reported_not_gated(run_cli: Callable[..., CliResult], tmp_path: Path
                                       ) -> None:
    root = standard_registry(tmp_path)
    result = run_cli("check", root)
    [draft] = [line for line in readiness_lines(result) if "beta/0.1.0" in line]
    assert ": info: " in draft and "not gated (status draft)" in draft


def test_min_score_flag_overrides_the_policy(run_cli: Callable[..., CliResult], tmp_path: Path
                                             ) -> None:
    root = standard_registry(tmp_path)  # policy 1.0; alpha 1.0.0 scores 0.5, 1.1.0 scores 2
    assert run_cli("check", root, "--min-score", "0.5").code == 0
    strict = run_cli("check", root, "--min-score", "2.5")
    assert strict.code == 1
    failing = [line.split(": ")[2] for line in readiness_lines(strict) if ": error: " in line]
    assert failing == ["alpha/1.0.0", "alpha/1.1.0"]
    assert run_cli("check", root, "--min-score", "-1").code == 2


def test_passes_when_every_approved_version_meets_the_policy(
        run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    make_registry(tmp_path, {"m": {"1.0.0": ("approved", readiness(
        {t: {"status": "manual"} for s in ("data", "model", "infra", "monitor")
         for t in (f"{s}-1", f"{s}-2")}))}}, min_readiness=1.0)
    result = run_cli("check", tmp_path)
    assert result.code == 0, result.out
    assert readiness_lines(result) == []
    assert "check passed: 1 approved model version(s)" in result.out


def test_an_approved_version_without_readiness_fails_when_the_policy_asks(
        run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    make_registry(tmp_path, {"m": {"1.0.0": ("approved", None)}}, min_readiness=0.5)
    result = run_cli("check", tmp_path)
    assert result.code == 1
    [line] = readiness_lines(result)
    card = (tmp_path / "models/m/1.0.0/card.yaml").as_posix()
    assert line.startswith(f"{card}:2:9: error: m/1.0.0: no readiness.yaml")
    assert line.endswith("[readiness.missing]")
    make_registry(tmp_path, {"m": {"1.0.0": ("approved", None)}}, min_readiness=0)
    assert readiness_lines(run_cli("check", tmp_path)) == []


def test_invalid_input_fails_with_located_messages(run_cli: Callable[..., CliResult],
                                                   tmp_path: Path) -> None:
    root = standard_registry(tmp_path)
    bad_status = write_yaml(root / "models/beta/0.1.0/readiness.yaml",
                            readiness({"data-1": {"status": "done"}}))
    unknown = write_yaml(root / "models/alpha/1.0.0/readiness.yaml",
                         readiness({"infra-9": {"status": "manual"}}))
    result = run_cli("check", root)
    assert result.code == 1
    lines = [line for line in result.out.splitlines() if "[input.invalid]" in line]
    assert len(lines) == 2
    assert lines[0].startswith(f"{unknown.as_posix()}:")
    assert "tests.infra-9: unknown test id 'infra-9'" in lines[0]
    assert lines[1].startswith(f"{bad_status.as_posix()}:9:13: error: tests.data-1.status:")
    assert readiness_lines(result) == []  # rules do not run on invalid input


def test_rules_return_findings_that_other_gates_can_reuse(tmp_path: Path) -> None:
    outcome = evaluate(str(standard_registry(tmp_path)), None)
    mine = [f for f in outcome.findings if f.rule.startswith("readiness.")]
    assert all(isinstance(f, Finding) for f in mine)
    assert [(f.model, f.rule, f.severity) for f in mine] == [
        ("alpha/1.0.0", "readiness.min-score", "error"),
        ("beta/0.1.0", "readiness.min-score", "info")]
    assert outcome.failed and outcome.min_score == 1.0


def test_judging_one_version_finds_what_the_whole_check_finds() -> None:
    """The card page's decision summary runs the gate on one version (judge_version):
    per rule, the same findings as `mlcards check` over the whole registry."""
    from mlcards.compute.gate import evaluate, judge_version

    root = Path(__file__).resolve().parents[1] / "site_example"
    outcome = evaluate(str(root), None, as_of="2026-02-02")
    assert outcome.context is not None
    registry = outcome.context.registry
    outcomes = set()
    for mv in registry.versions():
        gate = judge_version(registry, mv, as_of="2026-02-02")
        whole = {name: sorted(f for f in found if f.model == mv.key)
                 for name, found in outcome.context.by_rule.items()}
        assert {name: list(found) for name, found in gate.rules} == whole, mv.key
        outcomes |= {gate.outcome(name) for name, _ in gate.rules}
    assert outcomes == {"pass", "not gated"}


def test_judging_with_the_builds_diffs_finds_what_judging_alone_finds() -> None:
    """The card page hands judge_version the build's memoised version diffs (diff_of)
    instead of having it diff again: the findings are the same, the diffs are used."""
    from mlcards.compute.diff import VersionDiff, diff_versions
    from mlcards.compute.gate import judge_version
    from mlcards.compute.readiness import score_version
    from mlcards.compute.review import measurements_function
    from mlcards.validate.registry import ModelVersion, load_registry

    registry = load_registry(Path(__file__).resolve().parents[1] / "site_example")
    measured_by = measurements_function(registry)
    asked: list[str] = []

    def diff_of(mv: ModelVersion) -> VersionDiff | None:
        asked.append(mv.key)
        entry = registry.model(mv.model_id)
        prev = entry.previous(mv) if entry else None
        return None if prev is None else diff_versions(
            registry, prev, mv, measured_by=measured_by,
            scores=lambda v: score_version(registry, v))

    regressions = 0
    for mv in registry.versions():
        for approved in (False, True):
            alone = judge_version(registry, mv, as_of="2026-02-02", as_if_approved=approved)
            given = judge_version(registry, mv, as_of="2026-02-02", as_if_approved=approved,
                                  diff_of=diff_of)
            assert given == alone, mv.key
            regressions += sum(len(found) for name, found in alone.rules
                               if name == "regressions")
    assert regressions > 0  # the example has regressions, so the diffs mattered
    assert asked  # and they came from diff_of


def test_as_if_approved_is_what_check_finds_once_the_version_is_approved(
        tmp_path: Path) -> None:
    """The summary of a draft or a version in review says what approving it would
    meet: judge_version(as_if_approved=True) gives, rule by rule, the outcome the whole
    check gives after the card's status is changed to approved."""
    import shutil

    from mlcards.compute.gate import REPORTED_STATUSES, evaluate, judge_version, rule_outcome
    from mlcards.validate.registry import load_registry

    source = Path(__file__).resolve().parents[1] / "site_example"
    registry = load_registry(source)
    reviewed = [mv for mv in registry.versions() if mv.card.status in REPORTED_STATUSES]
    assert len(reviewed) >= 2
    seen = set()
    for mv in reviewed:
        hypothetical = judge_version(registry, mv, as_of="2026-02-02", as_if_approved=True)
        copy = tmp_path / mv.key.replace("/", "-")
        shutil.copytree(source, copy)
        card = copy / "models" / mv.model_id / mv.version / "card.yaml"
        text = card.read_text(encoding="utf-8")
        assert f"status: {mv.card.status}\n" in text
        card.write_text(text.replace(f"status: {mv.card.status}\n", "status: approved\n", 1),
                        encoding="utf-8")
        outcome = evaluate(str(copy), None, as_of="2026-02-02")
        assert outcome.context is not None
        real = {name: rule_outcome([f for f in found if f.model == mv.key], "approved")
                for name, found in outcome.context.by_rule.items()}
        assert {name: hypothetical.outcome(name) for name, _ in hypothetical.rules} == real
        seen |= set(real.values())
    assert seen == {"pass", "fail"}  # the example has a version approving would fail
