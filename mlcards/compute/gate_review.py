"""`mlcards check` rules of the review feature (listed in check.RULE_MODULES).

- regression.metric / regression.readiness: an `approved` version whose overall
  result of any metric regressed beyond `policy.regression_tolerance` against
  the previous version, or whose final readiness score dropped, fails when
  `policy.fail_on_regression` (default true; `--[no-]fail-on-regression`),
  else it is a warning;
- lifecycle.stale-evaluation / lifecycle.review-overdue / lifecycle.assessment-overdue:
  warnings, errors for `approved` versions when `policy.stale` is "fail";
- lifecycle.no-replacement: a deprecated model that names no replacement (warning);
- checklist.missing-section: a section that `policy.required_sections` lists is
  missing (absent, or only placeholder text) from an `approved` card (error).

Drafts and versions in review are reported (info), never gated; deprecated
versions get warnings; retired ones are skipped.
"""

from __future__ import annotations

from collections.abc import Iterator

from mlcards.compute.diff import Regression, VersionDiff, diff_versions, slice_key
from mlcards.compute.gate import CheckContext, Finding, Severity, rule
from mlcards.compute.readiness import STATUS_LABELS
from mlcards.compute.review import (
    Flag,
    as_of_date,
    checklist,
    lifecycle_flags,
    measurements_function,
    prompt_label,
)
from mlcards.validate.registry import ModelVersion

REPORTED = ("approved", "draft", "in-review", "deprecated")


def _severity(cc: CheckContext, mv: ModelVersion, fails: bool) -> Severity:
    if cc.gated(mv):
        return "error" if fails else "warning"
    return "info" if mv.card.status in ("draft", "in-review") else "warning"


def _suffix(cc: CheckContext, mv: ModelVersion) -> str:
    return "" if cc.gated(mv) else f"; not gated (status {mv.card.status})"


def _diffs(cc: CheckContext) -> Iterator[tuple[ModelVersion, VersionDiff]]:
    measured_by = measurements_function(cc.registry, cc.report_of)
    for entry in cc.registry.models:
        for prev, mv in zip(entry.versions, entry.versions[1:], strict=False):
            if mv.card.status in REPORTED and cc.judged(mv):
                d = cc.diff_of(mv) if cc.diff_of is not None else None
                if d is None:
                    d = diff_versions(cc.registry, prev, mv, measured_by=measured_by,
                                      scores=cc.score)
                yield mv, d


def _metric_loc(mv: ModelVersion, metric: str, slice_: tuple[tuple[str, str], ...] = (),
                ) -> tuple[str, tuple[str | int, ...]]:
    """Where the version's result of `metric` on `slice_` (overall: empty) is written."""
    ev = mv.evaluation
    if ev is not None:
        for i, r in enumerate(ev.results):
            if r.metric == metric and slice_key(r) == tuple(slice_):
                return "evaluation", ("results", i, "value")
        if ev.predictions is not None:
            return "evaluation", ("predictions", "path")
    return "card", ("status",)


def _readiness_loc(mv: ModelVersion, d: VersionDiff) -> tuple[str | int, ...]:
    moved = sorted((t for t in d.readiness.tests if t.gain < 0), key=lambda t: t.gain) \
        if d.readiness else []
    if moved and mv.readiness is not None and moved[0].id in mv.readiness.tests:
        return ("tests", moved[0].id, "status")
    return ("tests",)


def _message(r: Regression, d: VersionDiff) -> str:
    since = f"since {d.old.version}"
    if r.kind == "readiness":
        assert d.readiness is not None
        moved = ", ".join(f"{t.id} {STATUS_LABELS[t.old or 'not-done']} → "
                          f"{STATUS_LABELS[t.new or 'not-done']}"
                          for t in d.readiness.tests if t.gain < 0)
        return (f"readiness score dropped {_g(r.old)} → {_g(r.new)} {since}"
                + (f" ({moved})" if moved else ""))
    return (f"{r.subject} regressed {_g(r.old)} → {_g(r.new)} ({r.delta or 0:+.4g}) {since}, "
            f"beyond the regression tolerance {d.tolerance:g} and outside the confidence "
            "interval")


def _g(x: float | str | None) -> str:
    return f"{x:.4g}" if isinstance(x, float | int) else str(x)


@rule
def regressions(cc: CheckContext) -> Iterator[Finding]:
    """Overall metrics and the readiness score must not get worse between versions."""
    fails = cc.registry.config.policy.fail_on_regression
    for mv, d in _diffs(cc):
        for r in d.regressions:
            if r.kind == "slice" and not r.gated:  # reported, not counted
                yield cc.finding(mv, *_metric_loc(mv, r.metric, r.slice), "regression.group",
                                 _message(r, d) + "; not gated (policy.gate_group_regressions "
                                 "is off)", "info")
                continue
            if not r.gated:
                continue
            severity = _severity(cc, mv, fails)
            note = _suffix(cc, mv) or ("" if fails else "; fail_on_regression is off")
            if r.kind == "readiness":
                yield cc.finding(mv, "readiness", _readiness_loc(mv, d), "regression.readiness",
                                 _message(r, d) + note, severity)
            else:
                kind, loc = _metric_loc(mv, r.metric, r.slice)
                rule_id = "regression.group" if r.slice else "regression.metric"
                yield cc.finding(mv, kind, loc, rule_id, _message(r, d) + note, severity)


def _flag_severity(cc: CheckContext, mv: ModelVersion, flag: Flag) -> Severity:
    if flag.kind == "no-replacement":
        return "warning"
    return _severity(cc, mv, cc.registry.config.policy.stale == "fail")


@rule
def lifecycle(cc: CheckContext) -> Iterator[Finding]:
    """Stale evaluations, overdue reviews, deprecated models without a replacement."""
    as_of = as_of_date(cc.registry, cc.as_of)
    for mv in cc.versions():
        if mv.card.status not in REPORTED:
            continue
        for flag in lifecycle_flags(cc.registry, mv, as_of):
            if flag.kind == "deprecated":
                continue
            yield cc.finding(mv, flag.file, flag.loc, f"lifecycle.{flag.kind}",
                             flag.message + _suffix(cc, mv), _flag_severity(cc, mv, flag))


@rule
def required_sections(cc: CheckContext) -> Iterator[Finding]:
    """Sections the policy requires must be present (not absent, not placeholders only)."""
    if not cc.registry.config.policy.required_sections:
        return
    measured_by = measurements_function(cc.registry, cc.report_of)
    for mv in cc.versions():
        if mv.card.status not in ("approved", "draft", "in-review"):
            continue
        for s in checklist(cc.registry, mv, measured_by).sections:
            if s.state == "missing":
                wanted = ", ".join(prompt_label(p) for p in s.missing)
                yield cc.finding(mv, "card", (s.key,), "checklist.missing-section",
                                 f"required section {s.key!r} is missing (fill in: {wanted})"
                                 + _suffix(cc, mv), _severity(cc, mv, True))
