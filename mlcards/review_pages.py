"""Card page slots of the review feature.

- "changes": what changed since the previous version (regressions first);
- "checklist": the reviewer checklist (required sections, completeness, lifecycle);
- "top": callouts for a stale evaluation, an overdue review, a newer version.

Links are relative to the version's card page `models/<id>/<version>/index.md`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from mlcards.context import BuildContext, card_fragment
from mlcards.diff import VersionDiff, diff_versions
from mlcards.render import escape_text
from mlcards.review import (
    Flag,
    as_of_date,
    checklist,
    current_versions,
    lifecycle_flags,
    prompt_label,
    registry_completeness,
    results_function,
)
from mlcards.validate import ModelVersion

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
    """The build's as-of date: the build date when given, else the newest input date."""
    result: dt.date = ctx.cached("as_of", _REGISTRY, lambda: as_of_date(ctx.registry,
                                                                        ctx.build_date))
    return result


class _Registry:
    key = "(registry)"


_REGISTRY: Any = _Registry()


def version_diff(ctx: BuildContext, mv: ModelVersion) -> VersionDiff | None:
    """The diff from the previous version (memoised), None for a first version."""
    def compute() -> VersionDiff | None:
        entry = ctx.registry.model(mv.model_id)
        prev = entry.previous(mv) if entry else None
        if prev is None:
            return None
        return diff_versions(ctx.registry, prev, mv,
                             results_of=results_function(ctx.registry), scores=ctx.score)

    result: VersionDiff | None = ctx.cached("diff", mv, compute)
    return result


def flags(ctx: BuildContext, mv: ModelVersion) -> list[Flag]:
    result: list[Flag] = ctx.cached("lifecycle", mv,
                                    lambda: lifecycle_flags(ctx.registry, mv, as_of(ctx)))
    return result


def _changes(ctx: BuildContext, mv: ModelVersion) -> str:
    d = version_diff(ctx, mv)
    if d is None:
        return ""
    regressions = sorted(d.regressions, key=lambda r: not r.gated)
    order = {"regressed": 0, "improved": 1, "added": 2, "removed": 3, "unchanged": 4}
    metrics = sorted(d.metrics, key=lambda m: order[m.change])
    anchors = [f"diff-{i}" if f.diff else None for i, f in enumerate(d.fields, 1)]
    return ctx.env.get_template("partials/changes.md.j2").render(
        d=d, prev_link=f"../{d.old.version}/index.md", regressions=regressions,
        gated=sum(r.gated for r in regressions), metrics=metrics,
        disparity=[x for x in d.disparity if x.delta is None or abs(x.delta) > 1e-9],
        fields=list(zip(d.fields, anchors, strict=True)), short=short, line_kind=line_kind)


def _registry_pct(ctx: BuildContext) -> tuple[int, int]:
    def compute() -> tuple[int, int]:
        filled, total = registry_completeness(ctx.registry, results_function(ctx.registry))
        return round(100 * filled / total) if total else 100, len(current_versions(
            ctx.registry))

    result: tuple[int, int] = ctx.cached("completeness", _REGISTRY, compute)
    return result


def _checklist(ctx: BuildContext, mv: ModelVersion) -> str:
    c = checklist(ctx.registry, mv, results_function(ctx.registry))
    found = {f.kind: f for f in flags(ctx, mv)}
    pct, n_current = _registry_pct(ctx)
    ev = mv.evaluation
    dep = mv.card.deprecation
    replacement = dep.replaced_by if dep else None
    return ctx.env.get_template("partials/checklist.md.j2").render(
        c=c, registry_pct=pct, n_current=n_current, card=mv.card, label=prompt_label,
        stale=found.get("stale-evaluation"), overdue=found.get("review-overdue"),
        has_eval_date=bool(ev and ev.date), eval_date=ev.date if ev else None,
        released=mv.card.model_details.date, as_of=as_of(ctx), replacement=replacement,
        replacement_link=f"../../{replacement}/index.md" if replacement else None)


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
def review_fragment(ctx: BuildContext, mv: ModelVersion) -> dict[str, str]:
    """Fill the "top", "changes" and "checklist" slots of a version's card page."""
    return {"top": _top(ctx, mv), "changes": _changes(ctx, mv),
            "checklist": _checklist(ctx, mv)}


__all__ = ["as_of", "flags", "review_fragment", "version_diff"]
