"""Version history on card pages: the "changes" slot (what changed since the
previous version, regressions first) and "top" callouts (stale evaluation,
overdue review, a newer version exists). The reviewer checklist is in
`mlcards.render.checklist`.

Links are relative to the version's card page `models/<id>/<version>/index.md`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mlcards.compute.diff import MetricChange, VersionDiff, diff_versions
from mlcards.compute.review import Flag, as_of_date, lifecycle_flags
from mlcards.render.context import REGISTRY, BuildContext, card_fragment
from mlcards.render.environment import escape_text
from mlcards.render.evaluation import build_measurements
from mlcards.validate.registry import ModelVersion

SHORT = 60


def short(value: Any) -> str:
    """A card value in one short line for a table cell ('—' when absent)."""
    if value is None:
        return "—"
    if isinstance(value, dict):
        text = ", ".join(f"{k}: {v}" for k, v in value.items())
    elif isinstance(value, list):
        text = ", ".join(str(v) for v in value)
    else:
        text = str(value)
    text = " ".join(text.split())
    return text if len(text) <= SHORT else text[:SHORT - 1] + "…"


def line_kind(line: str) -> str:
    """CSS class suffix of a unified-diff line."""
    if line.startswith(("+++", "---")):
        return "meta"
    if line.startswith("@@"):
        return "hunk"
    return {"+": "add", "-": "del"}.get(line[:1], "ctx")


def as_of(ctx: BuildContext) -> dt.date:
    """The date reviews are due against on the site: the build date (`--build-date`,
    else the site's default, the newest release date), else the newest input date."""
    result: dt.date = ctx.cached("history.as_of", REGISTRY,
                                 lambda: as_of_date(ctx.registry, ctx.build_date))
    return result


def version_diff(ctx: BuildContext, mv: ModelVersion) -> VersionDiff | None:
    """The diff from the previous version (memoised), None for a first version."""
    def compute() -> VersionDiff | None:
        entry = ctx.registry.model(mv.model_id)
        prev = entry.previous(mv) if entry else None
        if prev is None:
            return None
        return diff_versions(ctx.registry, prev, mv, scores=ctx.score,
                             measured_by=build_measurements(ctx))

    result: VersionDiff | None = ctx.cached("history.diff", mv, compute)
    return result


def flags(ctx: BuildContext, mv: ModelVersion) -> list[Flag]:
    result: list[Flag] = ctx.cached("history.flags", mv,
                                    lambda: lifecycle_flags(ctx.registry, mv, as_of(ctx)))
    return result


BADGES = {"stale-evaluation": "stale evaluation", "review-overdue": "review overdue",
          "assessment-overdue": "assessment overdue"}


def lifecycle_badges(ctx: BuildContext, mv: ModelVersion) -> tuple[tuple[str, str], ...]:
    """(kind, label) badges for version tables, e.g. ('review-overdue', 'review overdue');
    styled by the CSS class `mlcards-flag-<kind>`."""
    return tuple((f.kind, BADGES[f.kind]) for f in flags(ctx, mv) if f.kind in BADGES)


def _changes(ctx: BuildContext, mv: ModelVersion) -> str:
    d = version_diff(ctx, mv)
    if d is None:
        return ""
    regressions = sorted(d.regressions, key=lambda r: not r.gated)
    anchors = [f"diff-{i}" if f.diff else None for i, f in enumerate(d.fields, 1)]
    counted = {r.kind for r in regressions if r.gated}
    return ctx.env.get_template("partials/changes.md.j2").render(
        d=d, prev_link=f"../{d.old.version}/index.md", regressions=regressions,
        gated=sum(r.gated for r in regressions), metrics=d.metrics,
        metric_table=metric_table(d.metrics), open_metrics=bool(counted & {"metric", "slice"}),
        open_readiness=bool(counted & {"readiness", "test", "section"}),
        open_disparity="disparity" in counted,
        disparity=[x for x in d.disparity if x.delta is None or abs(x.delta) > 1e-9],
        fields=list(zip(d.fields, anchors, strict=True)), short=short, line_kind=line_kind)


@dataclass(frozen=True)
class MetricTable:
    """The metric changes as one table: a row per slice (overall first, then slices
    with a regression), a column per metric."""

    metrics: list[tuple[str, bool | None]]
    """(name, higher_is_better) per column."""
    rows: list[tuple[str, list[MetricChange | None]]]


def metric_table(changes: Sequence[MetricChange]) -> MetricTable:
    names = list(dict.fromkeys(m.metric for m in changes))
    direction = {m.metric: m.higher_is_better for m in reversed(changes)}
    cells = {(m.slice_label, m.metric): m for m in changes}
    slices = list(dict.fromkeys(m.slice_label for m in changes))
    rows = [(label, [cells.get((label, n)) for n in names]) for label in slices]

    def rank(row: tuple[str, list[MetricChange | None]]) -> int:
        if row[0] == "overall":
            return 0
        return 1 if any(c is not None and c.is_regression for c in row[1]) else 2

    return MetricTable([(n, direction[n]) for n in names], sorted(rows, key=rank))


def _top(ctx: BuildContext, mv: ModelVersion) -> str:
    lines = []
    titles = {"stale-evaluation": "Stale evaluation", "review-overdue": "Review overdue",
              "assessment-overdue": "Readiness assessment overdue"}
    for f in flags(ctx, mv):
        if f.kind in titles:
            kind = "danger" if ctx.registry.config.policy.stale == "fail" else "warning"
            text = _escape(f.message[:1].upper() + f.message[1:])
            lines += [f'!!! {kind} "{titles[f.kind]}"', f"    {text}.", ""]
    entry = ctx.registry.model(mv.model_id)
    if entry is not None and entry.latest is not mv:
        newest = entry.latest.version
        lines += ['!!! note "Not the latest version"',
                  f"    Version [{_escape(newest)}](../{newest}/index.md) is newer.", ""]
    return "\n".join(lines)


def _escape(text: str) -> str:
    return str(escape_text(text))


@card_fragment
def history_fragment(ctx: BuildContext, mv: ModelVersion) -> dict[str, str]:
    """Fill the "top" and "changes" slots of a version's card page."""
    return {"top": _top(ctx, mv), "changes": _changes(ctx, mv)}


