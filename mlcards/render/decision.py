"""The decision summary at the top of a version's card page ("summary" slot): its
lifecycle status and approvals, and `mlcards check` on this version rule by rule,
each with what it found and a link to the detail further down the page.

The gate's result is the gate's own computation (`mlcards.compute.gate.judge_version`,
the rules `mlcards check` runs, on this version only), fed with this build's memoised
evaluation reports and scores. Due dates are judged against the site's date
(`mlcards.render.history.as_of`), which the summary names, so `mlcards check --as-of
DATE` with that date reports the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

from markupsafe import Markup

from mlcards.compute.gate import REPORTED_STATUSES, Finding, VersionGate, judge_version
from mlcards.compute.metrics import fmt
from mlcards.compute.review import checklist
from mlcards.render.context import BuildContext, card_fragment
from mlcards.render.environment import slugify
from mlcards.render.evaluation import build_measurements, evaluation_report
from mlcards.render.history import as_of, flags, version_diff
from mlcards.schema.card import CARD_SECTIONS, SECTION_TITLES
from mlcards.validate.registry import ModelVersion

RULES = (("readiness_minimum", "Readiness minimum"), ("disparity_limit", "Disparity limit"),
         ("required_sections", "Required sections"), ("regressions", "Regressions"),
         ("lifecycle", "Staleness"), ("automation_verified", "Automation verified"))
"""The gate's rules (function names in mlcards.compute.gate*) in the summary's order."""
SHOWN = 3
"""Items a summary row names before it says 'and N more'."""


@dataclass(frozen=True)
class Link:
    """A label (escaped when printed) and a link of mlcards' own: an anchor of the card
    page or a page beside it, made of constants and slugs (printed as is)."""

    label: str
    href: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "href", Markup(self.href))


@dataclass(frozen=True)
class SummaryRow:
    """One gate rule on this version: its result, what it found, where the detail is."""

    rule: str
    label: str
    outcome: str
    text: str
    items: tuple[Link, ...]
    more: int
    link: Link | None
    notes: int
    """Warnings and notes the rule reported (they do not fail it)."""
    if_approved: str | None = None
    """For a draft or a version in review: the rule's result were it approved."""


def version_gate(ctx: BuildContext, mv: ModelVersion,
                 as_if_approved: bool = False) -> VersionGate:
    """`mlcards check` on one version, judged as of the site's date (once per build);
    `as_if_approved`: as the gate would judge it once approved."""
    result: VersionGate = ctx.cached(
        "gate-if-approved" if as_if_approved else "gate", mv, lambda: judge_version(
            ctx.registry, mv, as_of=as_of(ctx).isoformat(),
            report_of=partial(evaluation_report, ctx), score_of=ctx.score,
            diff_of=partial(version_diff, ctx), locate=False, as_if_approved=as_if_approved))
    return result


def _items(links: list[Link]) -> tuple[tuple[Link, ...], int]:
    return tuple(links[:SHOWN]), max(0, len(links) - SHOWN)


def _readiness(ctx: BuildContext, mv: ModelVersion) -> tuple[str, list[Link]]:
    score = ctx.score(mv)
    minimum = ctx.registry.config.policy.min_readiness
    need = f"; minimum {minimum:g}" if minimum > 0 else "; no minimum set"
    if score is None:
        return "no readiness.yaml: readiness unknown" + need, []
    text = f"{score.final:g} of {score.maximum:g}: {score.level.summary}{need}"
    has_page = ctx.has_file(f"models/{mv.model_id}/{mv.version}/scorecard.md")
    return text, [Link("scorecard", "scorecard.md")] if has_page else []


def _disparity(ctx: BuildContext, mv: ModelVersion) -> tuple[str, list[Link]]:
    report = evaluation_report(ctx, mv)
    limit = ctx.registry.config.policy.max_disparity
    if report is None:
        return "no evaluation.yaml: not measured", []
    if limit is None:
        return "the policy sets no disparity limit", []
    over = [Link(f"{report.metric(d.metric).label} of {g.label} "
                 f"({'+' if g.to_overall > 0 else ''}{fmt(g.to_overall)})", "#disparities")
            for d, g in report.breaches]
    small = len(report.small_breaches)
    tail = f"; {small} small group{'s' if small != 1 else ''} over it, too small to judge" \
        if small else ""
    if not over:
        return f"no group over {limit:g}{tail}", []
    n = len(over)
    return f"{n} group result{'s' if n != 1 else ''} over {limit:g}{tail}:", over


def _sections(ctx: BuildContext, mv: ModelVersion) -> tuple[str, list[Link]]:
    c = checklist(ctx.registry, mv, build_measurements(ctx))
    required = {s.key for s in c.sections}
    links = [Link(f"{s.title} ({'missing' if s.state == 'missing' else 'partly filled'})",
                  f"#{slugify(s.key)}") for s in c.sections if s.state != "complete"]
    links += [Link(f"{SECTION_TITLES[k]} (not provided)", f"#{slugify(k)}")
              for k in CARD_SECTIONS if k not in required and getattr(mv.card, k) in (None, "")]
    complete = c.count("complete")
    text = f"{complete} of {len(c.sections)} required complete"
    return (text + ";" if links else text), links


def _regressions(ctx: BuildContext, mv: ModelVersion) -> tuple[str, list[Link]]:
    d = version_diff(ctx, mv)
    if d is None:
        return "first version: nothing to compare", []
    found = sorted(d.regressions, key=lambda r: not r.gated)
    if not found:
        return f"none since {d.old.version}", []
    gated = sum(r.gated for r in found)
    counted = f"{gated} counted by the gate" if gated else "none counted by the gate"
    n = len(found)
    return (f"{n} since {d.old.version}, {counted}:",
            [Link(r.subject + (" (counted)" if r.gated else ""), "#changes") for r in found])


def _staleness(ctx: BuildContext, mv: ModelVersion) -> tuple[str, list[Link]]:
    found = [f for f in flags(ctx, mv) if f.kind in ("stale-evaluation", "review-overdue",
                                                      "assessment-overdue")]
    if found:
        return "", [Link(f.message, "#lifecycle") for f in found]
    ev = mv.evaluation_summary
    parts = [f"evaluated {ev.date}" if ev is not None and ev.date else "no evaluation date",
             f"next review {mv.card.next_review}" if mv.card.next_review
             else "no review date"]
    return ", ".join(parts), []


CLAIM_STATES = {"failed": "a case failed", "self-declared": "no report named"}
"""How a claim that is not merely unverified (missing, stale, unmatched) is marked."""


def _automation(ctx: BuildContext, mv: ModelVersion) -> tuple[str, list[Link]]:
    """The automated claims the gate found unverified or failed, by test id (the
    reasons are on the scorecard page; a phone's first screen has no room for them)."""
    found: Sequence[Finding] = dict(version_gate(ctx, mv).rules).get("automation_verified", ())
    page = ctx.has_file(f"models/{mv.model_id}/{mv.version}/scorecard.md")
    href = "scorecard.md#automation-verified-by-ci-test-reports" if page else "#readiness"
    links = []
    for f in found:
        state = f.rule.removeprefix("readiness.automation-")
        note = f" ({CLAIM_STATES[state]})" if state in CLAIM_STATES else ""
        links.append(Link(f.message.split(" ", 1)[0] + note, href))
    if not links:
        return "every automated claim with a report is verified", []
    n = len(links)
    return f"{n} automated claim{'s' if n != 1 else ''} not verified:", links


FOUND = {"readiness_minimum": _readiness, "disparity_limit": _disparity,
         "required_sections": _sections, "regressions": _regressions,
         "lifecycle": _staleness, "automation_verified": _automation}
DETAIL = {"readiness_minimum": Link("Readiness", "#readiness"),
          "disparity_limit": Link("Disparities", "#disparities"),
          "required_sections": Link("Checklist", "#checklist"),
          "regressions": Link("Changes", "#changes"),
          "lifecycle": Link("Lifecycle", "#lifecycle"),
          "automation_verified": Link("Scorecard",
                                      "scorecard.md#automation-verified-by-ci-test-reports")}


def summary_rows(ctx: BuildContext, mv: ModelVersion) -> list[SummaryRow]:
    gate = version_gate(ctx, mv)
    approved = version_gate(ctx, mv, as_if_approved=True) \
        if mv.card.status in REPORTED_STATUSES else None
    has_changes = version_diff(ctx, mv) is not None
    has_disparities = evaluation_report(ctx, mv) is not None
    has_scorecard = ctx.has_file(f"models/{mv.model_id}/{mv.version}/scorecard.md")
    rows = []
    names = [name for name, _ in gate.rules]
    order = [r for r, _ in RULES if r in names] + [r for r in names if r not in FOUND]
    labels = dict(RULES)
    for rule in order:
        found = dict(gate.rules)[rule]
        if rule in FOUND:
            text, links = FOUND[rule](ctx, mv)
        else:  # a rule registered by another module: the gate's own messages
            text, links = "", [Link(f.message, "") for f in found]
        items, more = _items(links)
        link = DETAIL.get(rule)
        if (rule == "regressions" and not has_changes) or \
                (rule == "disparity_limit" and not has_disparities) or \
                (rule == "automation_verified" and not has_scorecard):
            link = None
        rows.append(SummaryRow(rule, labels.get(rule, rule.replace("_", " ").capitalize()),
                               gate.outcome(rule), text, items, more, link,
                               sum(f.severity != "error" for f in found),
                               approved.outcome(rule) if approved is not None else None))
    return rows


def _summary(ctx: BuildContext, mv: ModelVersion) -> str:
    gate = version_gate(ctx, mv)
    return ctx.env.get_template("partials/summary.md.j2").render(
        gate=gate, rows=summary_rows(ctx, mv), card=mv.card, mv=mv,
        approvals=sorted(mv.card.approvals, key=lambda a: a.date))


@card_fragment
def summary_fragment(ctx: BuildContext, mv: ModelVersion) -> dict[str, str]:
    """Fill the "summary" slot of a version's card page."""
    return {"summary": _summary(ctx, mv)}
