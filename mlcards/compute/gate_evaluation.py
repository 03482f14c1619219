"""`mlcards check` rules of the evaluation feature (listed in check.RULE_MODULES).

- disparity.max-gap: a group of an `approved` version whose metric differs from
  the overall value by more than `policy.max_disparity` fails the gate (for the
  metrics in `policy.disparity_metrics`, or all);
- disparity.small-group: the same for a group smaller than
  `policy.min_group_size`: a warning, since such a gap is too uncertain to judge;
- evaluation.invalid: a predictions file that cannot be read or computed.

Drafts and versions in review are reported (info), never gated.
"""

from __future__ import annotations

from collections.abc import Iterator

from mlcards.compute.disparity import Disparity, GroupGap
from mlcards.compute.gate import CheckContext, Finding, Severity, rule
from mlcards.compute.metrics import fmt
from mlcards.errors import InvalidInput
from mlcards.validate.registry import ModelVersion

REPORTED = ("approved", "draft", "in-review")


def _loc(mv: ModelVersion, d: Disparity, g: GroupGap) -> tuple[str | int, ...]:
    """The result entry of the breaching group, else the predictions file."""
    assert mv.evaluation is not None
    if mv.evaluation.predictions is not None:
        return ("predictions", "path")
    for i, r in enumerate(mv.evaluation.results):
        if r.metric == d.metric and set(r.slice.items()) == set(g.slice):
            return ("results", i, "value")
    return ("results",)


def _message(d: Disparity, g: GroupGap, small: bool, min_size: int) -> str:
    size = "n unknown" if g.n is None else f"n={g.n}"
    text = (f"{d.metric} of {g.label} is {fmt(g.value)} against {fmt(d.overall)} overall: "
            f"a gap of {fmt(abs(g.to_overall))} exceeds the policy's max_disparity "
            f"{d.tolerance:g} ({size})")
    if small:
        text += f"; the group is smaller than min_group_size {min_size}, too small to judge"
    return text


@rule
def disparity_limit(cc: CheckContext) -> Iterator[Finding]:
    """No group of an approved version may be further from overall than the policy allows."""
    policy = cc.registry.config.policy
    for mv in cc.versions():
        if mv.evaluation is None or mv.card.status not in REPORTED:
            continue
        try:
            report = cc.report(mv)
        except InvalidInput as exc:
            for p in exc.problems:
                yield Finding(p.file, p.line, p.column, mv.key, "evaluation.invalid",
                              f"{p.field or '(file)'}: {p.message}")
            continue
        if report is None:
            continue
        gated = cc.gated(mv)
        suffix = "" if gated else f"; not gated (status {mv.card.status})"
        for d, g in report.breaches:
            severity: Severity = "error" if gated else "info"
            yield cc.finding(mv, "evaluation", _loc(mv, d, g), "disparity.max-gap",
                             _message(d, g, False, policy.min_group_size) + suffix, severity)
        for d, g in report.small_breaches:
            severity = "warning" if gated else "info"
            yield cc.finding(mv, "evaluation", _loc(mv, d, g), "disparity.small-group",
                             _message(d, g, True, policy.min_group_size) + suffix, severity)
