"""Lifecycle and review: stale evaluations, overdue reviews, deprecation, the
reviewer checklist, and the version list of a model.

Dates. "Overdue" compares `next_review` with an *as-of* date: the one given
(`--as-of`, or the build date), else the newest date found in the registry's
inputs (release, evaluation, assessment, approval and test-run dates; never
the forward-looking `next_review`). Never the clock: the same inputs give the
same answer on any day. Only the newest version of a model that is not
retired can be overdue; a stale evaluation (evaluation.date before the
version's release date) is flagged on any version.

Checklist. Each policy-required section (all nine when the policy lists none)
is *complete* when every prompt Mitchell et al. ask for in it is filled with
no placeholder text, *missing* when none is, *present* otherwise. A card's
completeness is the share of filled prompts over its required sections; the
registry's is the same share over the newest version of every model that is
not retired.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from mlcards.compute.diff import MeasuredBy, Measurements, feature_label, given_measurements
from mlcards.schema.card import CARD_SECTIONS, SECTION_TITLES
from mlcards.schema.evaluation import Result
from mlcards.validate.registry import PLACEHOLDERS, ModelVersion, Registry

if TYPE_CHECKING:
    from mlcards.compute.evaluation import EvaluationReport

FlagKind = Literal["stale-evaluation", "review-overdue", "assessment-overdue",
                   "deprecated", "no-replacement"]

PROMPTS: dict[str, tuple[str, ...]] = {
    "model_details": ("description", "type", "owners", "license", "references", "questions"),
    "intended_use": ("primary_uses", "primary_users", "out_of_scope"),
    "factors": ("relevant", "evaluation"),
    "metrics": ("performance_measures", "decision_thresholds", "variation_approaches"),
    "evaluation_data": ("datasets", "motivation", "preprocessing"),
    "training_data": ("datasets", "preprocessing"),
    "quantitative_analyses": ("unitary", "intersectional"),
    "ethical_considerations": ("data", "human_life", "mitigations", "risks", "use_cases"),
    "caveats_and_recommendations": ("",),
}
"""Per card section, the fields that answer Mitchell et al.'s prompts ('' = the section
itself is the text)."""


def measurements_function(
        registry: Registry,
        report_of: Callable[[ModelVersion], EvaluationReport | None] | None = None,
        ) -> MeasuredBy:
    """A version's measurements from its evaluation report (results as given or computed
    from predictions, built-in metric directions, disparities): `report_of` (a build's
    memoised reports), else computed here once per version."""
    from mlcards.compute.evaluation import compute_report

    reports: dict[str, EvaluationReport | None] = {}

    def report(mv: ModelVersion) -> EvaluationReport | None:
        if report_of is not None:
            return report_of(mv)
        if mv.key not in reports:
            reports[mv.key] = compute_report(mv, registry.config.policy)
        return reports[mv.key]

    def measured(mv: ModelVersion) -> Measurements | None:
        rep = report(mv)
        if rep is None:
            return None
        return _measurements(rep)

    return measured


def _measurements(rep: Any) -> Measurements:
    from mlcards.compute.evaluation import to_results

    return Measurements(
        tuple(to_results(rep.result)),
        {m.name: m.higher_is_better for m in rep.metrics},
        frozenset(m.name for m in rep.metrics if m.headline),
        {(d.metric, feature_label(d.features)): d.difference_to_overall
         for d in rep.disparities if math.isfinite(d.difference_to_overall)})


# --------------------------------------------------------------------------- dates


def _dates(mv: ModelVersion) -> Iterable[dt.date]:
    card = mv.card
    if card.model_details.released is not None:
        yield card.model_details.released
    yield from (a.date for a in card.approvals)
    summary = mv.evaluation_summary
    if summary is not None and summary.date is not None:
        yield summary.date
    if mv.readiness is not None:
        yield mv.readiness.date
        yield from (t.last_run for t in mv.readiness.tests.values() if t.last_run)


def newest_input_date(registry: Registry) -> dt.date:
    """The newest past-facing date in the registry's inputs (see module doc)."""
    return max((d for mv in registry.versions() for d in _dates(mv)),
               default=dt.date(1970, 1, 1))


def as_of_date(registry: Registry, given: str | dt.date | None = None) -> dt.date:
    """The date reviews are due against: `given` (ISO text or date), else the newest
    input date."""
    if isinstance(given, dt.date):
        return given
    if given:
        return dt.date.fromisoformat(given[:10])
    return newest_input_date(registry)


# --------------------------------------------------------------------------- flags


@dataclass(frozen=True)
class Flag:
    """A lifecycle finding about one version, located in one of its files."""

    kind: FlagKind
    message: str
    file: str
    loc: tuple[str | int, ...]


def lifecycle_flags(registry: Registry, mv: ModelVersion, as_of: dt.date) -> list[Flag]:
    """Stale evaluation, overdue review or assessment, deprecation without replacement."""
    card, out = mv.card, []
    released = card.model_details.released
    ev = mv.evaluation_summary
    if ev is not None and ev.date is not None and released is not None and ev.date < released:
        out.append(Flag("stale-evaluation",
                        f"evaluation dated {ev.date} is older than the release of this "
                        f"version ({released}); re-evaluate the released model",
                        "evaluation", ("date",)))
    entry = registry.model(mv.model_id)
    current = entry is not None and entry.latest is mv and card.status != "retired"
    if current and card.next_review is not None and card.next_review < as_of:
        out.append(Flag("review-overdue", f"card review was due on {card.next_review} "
                        f"(as of {as_of})", "card", ("next_review",)))
    rd = mv.readiness
    if current and rd is not None and rd.next_review is not None and rd.next_review < as_of:
        out.append(Flag("assessment-overdue", f"readiness assessment was due for review on "
                        f"{rd.next_review} (as of {as_of})", "readiness", ("next_review",)))
    if card.status == "deprecated":
        dep = card.deprecation
        if dep is None or dep.replaced_by is None:
            out.append(Flag("no-replacement", "deprecated model names no replacement; set "
                            "deprecation.replaced_by to the id of the model to use instead",
                            "card", ("status",)))
        else:
            out.append(Flag("deprecated", f"deprecated; use {dep.replaced_by} instead",
                            "card", ("deprecation", "replaced_by")))
    return out


# --------------------------------------------------------------------------- checklist


SectionState = Literal["complete", "present", "missing"]


@dataclass(frozen=True)
class SectionCheck:
    """One required section of one card: which prompts are filled."""

    key: str
    title: str
    filled: tuple[str, ...]
    missing: tuple[str, ...]

    @property
    def state(self) -> SectionState:
        if not self.missing:
            return "complete"
        return "present" if self.filled else "missing"


@dataclass(frozen=True)
class Checklist:
    sections: tuple[SectionCheck, ...]

    @property
    def filled(self) -> int:
        return sum(len(s.filled) for s in self.sections)

    @property
    def total(self) -> int:
        return sum(len(s.filled) + len(s.missing) for s in self.sections)

    @property
    def completeness(self) -> float:
        """Share of filled prompts, 0..1 (1 when nothing is required)."""
        return self.filled / self.total if self.total else 1.0

    def count(self, state: SectionState) -> int:
        return sum(s.state == state for s in self.sections)


def _filled(value: Any) -> bool:
    """Non-empty and free of placeholder text (TODO, TBD, 'More information needed')."""
    if value is None or value == "" or value == [] or value == {}:
        return False
    if isinstance(value, str):
        return PLACEHOLDERS.search(value) is None
    if isinstance(value, list):
        return all(_filled(v) for v in value)
    if hasattr(value, "model_dump"):
        value = value.model_dump(exclude_none=True)
    if isinstance(value, dict):
        return all(_filled(v) for v in value.values() if v not in (None, [], {}))
    return True


def _prompt_filled(mv: ModelVersion, section: str, prompt: str,
                   results: list[Result]) -> bool:
    value = getattr(mv.card, section)
    if prompt:
        value = getattr(value, prompt, None)
    if _filled(value):
        return True
    if section != "quantitative_analyses":
        return False
    if prompt == "unitary":  # the numbers themselves answer the prompt
        return any(r.slice for r in results) or _predicts(mv, 1)
    return any(len(r.slice) > 1 for r in results) or _predicts(mv, 2)


def _predicts(mv: ModelVersion, features: int) -> bool:
    summary = mv.evaluation_summary
    pred = summary.predictions if summary else None
    return pred is not None and len(pred.sensitive) >= features


def required_sections(registry: Registry) -> list[str]:
    return list(registry.config.policy.required_sections) or list(CARD_SECTIONS)


def checklist(registry: Registry, mv: ModelVersion,
              measured_by: MeasuredBy = given_measurements) -> Checklist:
    """The reviewer checklist of one version."""
    measured = measured_by(mv)
    results = list(measured.results) if measured else []
    out = []
    for key in required_sections(registry):
        prompts = PROMPTS[key]
        filled = tuple(p for p in prompts if _prompt_filled(mv, key, p, results))
        out.append(SectionCheck(key, SECTION_TITLES[key], filled,
                                tuple(p for p in prompts if p not in filled)))
    return Checklist(tuple(out))


def current_versions(registry: Registry) -> list[ModelVersion]:
    """The newest version of every model that is not retired."""
    return [m.latest for m in registry.models if m.latest.card.status != "retired"]


def checklist_counts(registry: Registry, mv: ModelVersion,
                     measured_by: MeasuredBy = given_measurements) -> tuple[int, int]:
    """(filled, total) prompts of one version's checklist."""
    c = checklist(registry, mv, measured_by)
    return c.filled, c.total


def registry_completeness(registry: Registry, measured_by: MeasuredBy = given_measurements,
                          counts: Callable[[ModelVersion], tuple[int, int]] | None = None,
                          ) -> tuple[int, int]:
    """(filled, total) prompts over the current versions of every model (`counts`: each
    version's checklist_counts, e.g. from a cache)."""
    count = counts or (lambda mv: checklist_counts(registry, mv, measured_by))
    both = [count(mv) for mv in current_versions(registry)]
    return sum(f for f, _ in both), sum(t for _, t in both)


def prompt_label(prompt: str) -> str:
    return prompt.replace("_", " ") if prompt else "text"
