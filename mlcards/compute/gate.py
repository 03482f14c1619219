"""The CI gate (`mlcards check`): rules over a validated registry, and their findings.

A rule is a function of a CheckContext that yields Findings (model version, rule
id, message, severity, file:line:column); `evaluate` validates the registry and
runs every rule. Only `approved` versions are gated; other statuses are reported
as info. Invalid input is itself a failure, with located messages.

Adding a gate: decorate a function with `@rule` here, or in a module listed in
RULE_MODULES (imported before the rules run).
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from mlcards.compute.readiness import Score, score_version
from mlcards.compute.verification import STATE_LABELS, Verification, verify_claims
from mlcards.errors import InvalidInput, Problem
from mlcards.validate.registry import ModelVersion, Registry

if TYPE_CHECKING:
    from mlcards.compute.diff import VersionDiff
    from mlcards.compute.evaluation import EvaluationReport

Severity = Literal["error", "warning", "info"]
GATED_STATUSES = ("approved",)
REPORTED_STATUSES = ("draft", "in-review")


@dataclass(frozen=True, order=True)
class Finding:
    """One result of a rule, located in the registry's files."""

    file: str
    line: int
    column: int
    model: str
    rule: str
    message: str
    severity: Severity = "error"


@dataclass
class CheckContext:
    """What rules see: the validated registry, the effective policy and cached scores."""

    registry: Registry
    min_score: float
    scores: dict[str, Score | None] = field(default_factory=dict)
    by_rule: dict[str, list[Finding]] = field(default_factory=dict)
    """Each rule function's findings, by its name, in run order (for --format junit)."""
    as_of: str | None = None
    """Date reviews are due against (--as-of); None: the newest date in the inputs."""
    only: str | None = None
    """The one version (its key) the rules judge, e.g. for its card page; None: all."""
    locate: bool = True
    """Find each finding's line and column (False: a valid file is not parsed again to
    locate one; the card page's summary shows no locations)."""
    as_if_approved: bool = False
    """Judge the `only` version as if it were approved (what approving it would meet)."""
    report_of: Callable[[ModelVersion], EvaluationReport | None] | None = None
    """A version's evaluation report (a build's memoised ones); None: computed here."""
    score_of: Callable[[ModelVersion], Score | None] | None = None
    """A version's readiness score (a build's memoised ones); None: computed here."""
    diff_of: Callable[[ModelVersion], VersionDiff | None] | None = None
    """A version's diff from the version before it (a build's memoised ones, made with
    the same reports and scores); None: computed here."""

    def versions(self) -> list[ModelVersion]:
        """The versions the rules judge: every one, or only `only`."""
        return [mv for mv in self.registry.versions() if self.only in (None, mv.key)]

    def judged(self, mv: ModelVersion) -> bool:
        return self.only in (None, mv.key)

    def score(self, mv: ModelVersion) -> Score | None:
        if mv.key not in self.scores:
            self.scores[mv.key] = (self.score_of(mv) if self.score_of is not None
                                   else score_version(self.registry, mv))
        return self.scores[mv.key]

    def report(self, mv: ModelVersion) -> EvaluationReport | None:
        """The version's evaluation report (raises InvalidInput like compute_report)."""
        if self.report_of is not None:
            return self.report_of(mv)
        from mlcards.compute.evaluation import compute_report

        return compute_report(mv, self.registry.config.policy)

    def gated(self, mv: ModelVersion) -> bool:
        return mv.card.status in GATED_STATUSES or (
            self.as_if_approved and self.only == mv.key)

    def finding(self, mv: ModelVersion, kind: str, loc: tuple[str | int, ...], rule_id: str,
                message: str, severity: Severity = "error") -> Finding:
        """A finding located at `loc` in one of the version's files ('card', 'readiness')."""
        if not self.locate:  # line and column unknown (0): the file is not parsed again
            return Finding(mv.files[kind].name, 0, 0, mv.key, rule_id, message, severity)
        p = mv.files[kind].doc.problem(loc, message)
        return Finding(p.file, p.line, p.column, mv.key, rule_id, message, severity)


Rule = Callable[[CheckContext], Iterable[Finding]]
RULES: list[Rule] = []
RULE_MODULES: tuple[str, ...] = ("mlcards.compute.gate_review", "mlcards.compute.gate_evaluation")
"""Modules that register more rules with `@rule` when imported (e.g. disparity limits)."""


def rule(func: Rule) -> Rule:
    """Register a gate rule."""
    RULES.append(func)
    return func


# --------------------------------------------------------------------------- rules


@rule
def readiness_minimum(cc: CheckContext) -> Iterator[Finding]:
    """Approved versions must reach the policy's minimum readiness score."""
    if cc.min_score <= 0:
        return
    for mv in cc.versions():
        gated = cc.gated(mv)
        if not gated and mv.card.status not in REPORTED_STATUSES:
            continue
        severity: Severity = "error" if gated else "info"
        suffix = "" if gated else f"; not gated (status {mv.card.status})"
        score = cc.score(mv)
        if score is None:
            yield cc.finding(mv, "card", ("status",), "readiness.missing",
                             f"no readiness.yaml; the policy asks for a readiness score of at "
                             f"least {cc.min_score:g}{suffix}", severity)
        elif score.final < cc.min_score:
            w = score.weakest
            yield cc.finding(mv, "readiness", ("tests",), "readiness.min-score",
                             f"readiness {score.final:g} is below the minimum "
                             f"{cc.min_score:g} (weakest section: {w.title}, {w.score:g} of "
                             f"{w.maximum:g}){suffix}", severity)


def _as_of(cc: CheckContext) -> dt.date | None:
    return dt.date.fromisoformat(cc.as_of[:10]) if cc.as_of else None


@rule
def automation_verified(cc: CheckContext) -> Iterator[Finding]:
    """`automated` claims checked against their JUnit reports, as of --as-of (else the
    assessment date): a failing matching case is always reported; an unverified claim
    is a warning; with `policy.require_verified_automation` both, and claims that name
    no report, fail approved versions."""
    required = cc.registry.config.policy.require_verified_automation
    as_of = _as_of(cc)
    for mv in cc.versions():
        if mv.readiness is None or mv.card.status not in (*GATED_STATUSES, *REPORTED_STATUSES):
            continue
        gated = cc.gated(mv)
        suffix = "" if gated else f"; not gated (status {mv.card.status})"
        for test_id, v in verify_claims(cc.registry.root, mv.readiness, as_of).items():
            if v.state == "verified" or (v.state == "self-declared" and not required):
                continue
            severity: Severity = "info" if not gated else "error" if required else "warning"
            loc: tuple[str | int, ...] = ("tests", test_id,
                                          "junit" if v.report else "status")
            yield cc.finding(mv, "readiness", loc, f"readiness.automation-{v.state}",
                             _claim_message(test_id, v, required) + suffix, severity)


def _claim_message(test_id: str, v: Verification, required: bool) -> str:
    where = f"its JUnit report {v.report}" if v.report else "no JUnit report"
    if v.state == "failed":
        return (f"{test_id} is claimed automated but a matching case of {where} failed: "
                f"{v.reason} (scores 0)")
    if v.state == "self-declared":
        return (f"{test_id} is claimed automated with {where}; the policy requires verified "
                "automation (name the CI run's report in `junit`)")
    need = "; the policy requires verified automation" if required else ""
    return f"{test_id} automated claim is {STATE_LABELS[v.state]}: {v.reason}{need}"


def load_rules() -> list[Rule]:
    """Every registered rule, after importing the optional rule modules."""
    for name in RULE_MODULES:
        importlib.import_module(name)
    return list(RULES)


def run_rules(cc: CheckContext) -> list[Finding]:
    for r in load_rules():
        cc.by_rule.setdefault(getattr(r, "__name__", "rule"), []).extend(r(cc))
    return sorted(f for found in cc.by_rule.values() for f in found)


RuleOutcome = Literal["pass", "fail", "not gated"]


def rule_outcome(findings: Iterable[Finding], status: str) -> RuleOutcome:
    """One rule's result on one version: any error fails it; on a version that is not
    gated (draft, in review, deprecated, retired) it is 'not gated'; else it passes
    (warnings and notes do not fail it). `mlcards check --format junit` says the same."""
    if any(f.severity == "error" for f in findings):
        return "fail"
    return "pass" if status in GATED_STATUSES else "not gated"


@dataclass(frozen=True)
class VersionGate:
    """`mlcards check` on one version: each rule's findings about it, in run order."""

    version: str
    status: str
    as_of: str
    rules: tuple[tuple[str, tuple[Finding, ...]], ...]

    def outcome(self, rule_name: str) -> RuleOutcome:
        return rule_outcome(dict(self.rules)[rule_name], self.status)

    @property
    def failed(self) -> bool:
        return any(f.severity == "error" for _, found in self.rules for f in found)


def judge_version(registry: Registry, mv: ModelVersion, *, as_of: str,
                  report_of: Callable[[ModelVersion], EvaluationReport | None] | None = None,
                  score_of: Callable[[ModelVersion], Score | None] | None = None,
                  diff_of: Callable[[ModelVersion], VersionDiff | None] | None = None,
                  locate: bool = True, as_if_approved: bool = False) -> VersionGate:
    """Every rule of `mlcards check` (with the registry's policy), on one version only:
    the same findings `mlcards check --as-of AS_OF` reports about it. `as_if_approved`:
    what the rules would find were the version approved (a reviewer's question)."""
    cc = CheckContext(registry, registry.config.policy.min_readiness, as_of=as_of,
                      only=mv.key, report_of=report_of, score_of=score_of, diff_of=diff_of,
                      locate=locate, as_if_approved=as_if_approved)
    run_rules(cc)
    rules = tuple((name, tuple(sorted(f for f in found if f.model == mv.key)))
                  for name, found in cc.by_rule.items())
    status = GATED_STATUSES[0] if as_if_approved else mv.card.status
    return VersionGate(mv.key, status, as_of, rules)


def problem_findings(problems: Iterable[Problem], rule_id: str) -> list[Finding]:
    """Validation problems as findings (errors fail the gate, warnings do not)."""
    return [Finding(p.file, p.line, p.column, "", rule_id, f"{p.field or '(file)'}: "
                    f"{p.message}", "error" if p.severity == "error" else "warning")
            for p in problems]


@dataclass(frozen=True)
class Outcome:
    findings: list[Finding]
    checked: int
    min_score: float | None
    context: CheckContext | None = None

    @property
    def failed(self) -> bool:
        return any(f.severity == "error" for f in self.findings)


def evaluate(root: str, min_score: float | None, *, fail_on_regression: bool | None = None,
             as_of: str | None = None) -> Outcome:
    """Validate the registry and run every rule."""
    from pathlib import Path

    from mlcards.validate.registry import load_registry

    try:
        registry = load_registry(Path(root))
    except InvalidInput as exc:
        return Outcome(problem_findings(exc.problems, "input.invalid"), 0, min_score)
    effective = registry.config.policy.min_readiness if min_score is None else min_score
    if fail_on_regression is not None:
        registry.config.policy.fail_on_regression = fail_on_regression
    cc = CheckContext(registry, effective, as_of=as_of)
    findings = problem_findings(registry.warnings, "input.warning") + run_rules(cc)
    checked = sum(cc.gated(mv) for mv in registry.versions())
    return Outcome(findings, checked, effective, cc)
