"""The evaluation's part of a card page: plain view data for the templates.

Numbers are formatted here (the same way as in the plots); every text that
comes from the registry (feature names, group values, metric names) reaches
the page only through the templates, whose `finalize` escapes it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from jinja2 import Environment
from markupsafe import Markup

from mlcards.compute.disparity import Disparity, GroupGap
from mlcards.compute.evaluation import EvaluationReport
from mlcards.compute.metrics import Grouping, GroupStats
from mlcards.plots.evaluation import PlotSpec, fmt, plan_plots

SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


@dataclass(frozen=True)
class Cell:
    value: str
    ci: str


@dataclass(frozen=True)
class Row:
    label: str
    n: str
    small: bool
    cells: list[Cell]


@dataclass(frozen=True)
class Table:
    title: str
    headers: list[str]
    rows: list[Row]


@dataclass(frozen=True)
class DisparityRow:
    metric: str
    grouping: str
    between: str
    to_overall: str
    ratio_between: str
    ratio_to_overall: str
    reference: str
    reference_low: str
    over: str
    gated: bool


@dataclass(frozen=True)
class Callout:
    metric: str
    grouping: str
    group: str
    value: str
    overall: str
    gap: str
    n: str


def _n(n: int | None) -> str:
    return "—" if n is None else f"{n:,}"


def _ci(group: GroupStats, metric: str) -> str:
    ci = group.ci.get(metric)
    return "—" if ci is None else f"{fmt(ci[0])} to {fmt(ci[1])}"


def _small(report: EvaluationReport, n: int | None) -> bool:
    return n is not None and n < report.policy.min_group_size


def _table(report: EvaluationReport, grouping: Grouping) -> Table:
    rows = [Row(", ".join(v for _, v in g.slice), _n(g.n), _small(report, g.n),
                [Cell(fmt(g.values.get(m)), _ci(g, m)) for m in report.result.metrics])
            for g in grouping.groups]
    return Table(" × ".join(grouping.features), list(grouping.features), rows)


def _signed(value: float) -> str:
    return "n/a" if not math.isfinite(value) else ("+" if value > 0 else "") + fmt(value)


def _disparity_row(report: EvaluationReport, d: Disparity) -> DisparityRow:
    reference, low = "—", "—"
    if d.reference is not None:
        reference = ", ".join(v for _, v in d.reference)
        worst = min((g for g in d.gaps if g.ratio_to_reference is not None
                     and g.slice != d.reference),
                    key=lambda g: _below_one(g.ratio_to_reference), default=None)
        if worst is not None:
            low = f"{fmt(_below_one(worst.ratio_to_reference))} ({worst.label})"
    over = [g for g in d.gaps if g.breach]
    return DisparityRow(
        report.metric(d.metric).label, " × ".join(d.features), fmt(d.difference_between_groups),
        fmt(d.difference_to_overall), fmt(d.ratio_between_groups), fmt(d.ratio_to_overall),
        reference, low, "; ".join(_over_label(report, g) for g in over) or "none", d.gated)


def _below_one(r: float | None) -> float:
    if r is None or not math.isfinite(r):
        return math.inf
    return 1.0 / r if r > 1 else r


def _over_label(report: EvaluationReport, g: GroupGap) -> str:
    return f"{g.label} ({_signed(g.to_overall)}{', small n' if _small(report, g.n) else ''})"


def _callouts(report: EvaluationReport, items: list[tuple[Disparity, GroupGap]],
              ) -> list[Callout]:
    return [Callout(report.metric(d.metric).label, " × ".join(d.features), g.label,
                    fmt(g.value), fmt(d.overall),
                    _signed(g.to_overall), _n(g.n)) for d, g in items]


def plot_path(name: str) -> Markup:
    """The plot's link, relative to the card page. Names are built from metric names
    (validated as [A-Za-z0-9_.-]) and slugs, so the path needs no escaping; escaping
    it for Markdown would turn '_' into an entity that MkDocs cannot resolve."""
    if not SAFE_NAME.fullmatch(name):
        raise ValueError(f"unsafe plot name {name!r}")
    return Markup(f"plots/{name}.svg")


def _sections(plots: list[PlotSpec]) -> list[tuple[str, list[dict[str, str]]]]:
    """Plots grouped by section (a metric, or the threshold curves), in plan order."""
    out: dict[str, list[dict[str, str]]] = {}
    for p in plots:
        out.setdefault(p.section, []).append({
            "path": plot_path(p.name), "title": p.title, "alt": p.alt,
            "caption": p.caption, "kind": p.kind})
    return list(out.items())


def page_view(report: EvaluationReport, plots: list[PlotSpec]) -> dict[str, object]:
    """Everything the evaluation partials print, already formatted."""
    result = report.result
    overall = result.overall
    gated = [report.metric(m).label if m in result.metrics else m
             for m in report.policy.disparity_metrics or result.metrics]
    return {
        "report": report,
        "confidence": f"{result.confidence:.0%}",
        "rows": _n(report.rows),
        "resamples": f"{result.bootstrap:,}",
        "metrics": [report.metric(m) for m in result.metrics],
        "overall": [(report.metric(m).label, fmt(overall.values.get(m)), _ci(overall, m),
                     _n(overall.n)) for m in result.metrics],
        "tables": [_table(report, g) for g in result.groupings],
        "disparities": [_disparity_row(report, d) for d in report.disparities if d.gaps],
        "tolerance": None if report.policy.max_disparity is None
        else fmt(report.policy.max_disparity, 2),
        "gated": ", ".join(gated),
        "min_group_size": report.policy.min_group_size,
        "breaches": _callouts(report, report.breaches),
        "small_breaches": _callouts(report, report.small_breaches),
        "small_groups": sorted({g.label for gr in result.groupings for g in gr.groups
                                if _small(report, g.n)}),
        "plots": _sections(plots),
    }


def render_slots(env: Environment, report: EvaluationReport) -> dict[str, str]:
    """The "quantitative" slot, and "top" when groups are over the disparity limit."""
    view = page_view(report, plan_plots(report))
    slots = {"quantitative": env.get_template("partials/evaluation.md.j2").render(**view)}
    if view["breaches"] or view["small_breaches"]:
        slots["top"] = env.get_template("partials/evaluation_top.md.j2").render(**view)
    return slots
