"""The reviewer checklist on card pages ("checklist" slot): which policy-required
sections are complete, partly filled or missing, the card's and the registry's
completeness, and the lifecycle items a reviewer signs off (evaluation current,
next review, replacement of a deprecated model). Rules: `mlcards.compute.review`.
"""

from __future__ import annotations

from functools import partial

from mlcards.compute.review import (
    checklist,
    checklist_counts,
    current_versions,
    prompt_label,
    registry_completeness,
)
from mlcards.render.context import REGISTRY, BuildContext, card_fragment
from mlcards.render.evaluation import build_measurements
from mlcards.render.history import as_of, flags
from mlcards.validate.registry import ModelVersion


def _registry_pct(ctx: BuildContext) -> tuple[int, int]:
    """(percent of prompts filled over every model's current version, their number):
    registry_completeness summed from each version's counts, which the build cache
    keeps (a changed model does not load every other model's evaluation report)."""
    def compute() -> tuple[int, int]:
        measured_by = build_measurements(ctx)

        def counts(mv: ModelVersion) -> tuple[int, int]:
            result: tuple[int, int] = ctx.cached(
                "checklist-counts", mv, partial(checklist_counts, ctx.registry, mv, measured_by))
            return result

        filled, total = registry_completeness(ctx.registry, counts=counts)
        pct = round(100 * filled / total) if total else 100
        return pct, len(current_versions(ctx.registry))

    result: tuple[int, int] = ctx.cached("checklist.completeness", REGISTRY, compute)
    return result


def _checklist(ctx: BuildContext, mv: ModelVersion) -> str:
    c = checklist(ctx.registry, mv, build_measurements(ctx))
    found = {f.kind: f for f in flags(ctx, mv)}
    pct, n_current = _registry_pct(ctx)
    ev = mv.evaluation
    dep = mv.card.deprecation
    replacement = dep.replaced_by if dep else None
    return ctx.env.get_template("partials/checklist.md.j2").render(
        c=c, registry_pct=pct, n_current=n_current, card=mv.card, label=prompt_label,
        stale=found.get("stale-evaluation"), overdue=found.get("review-overdue"),
        has_eval_date=bool(ev and ev.date), eval_date=ev.date if ev else None,
        released=mv.card.model_details.released, as_of=as_of(ctx), replacement=replacement,
        replacement_link=f"../../{replacement}/index.md" if replacement else None)


@card_fragment
def checklist_fragment(ctx: BuildContext, mv: ModelVersion) -> dict[str, str]:
    """Fill the "checklist" slot of a version's card page."""
    return {"checklist": _checklist(ctx, mv)}
