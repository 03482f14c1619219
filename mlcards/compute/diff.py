"""Compare two versions of a model: card fields, metrics, readiness, disparity.

`diff_versions(registry, old, new)` returns a VersionDiff. Results, metric
directions and disparities come from a `Measurements` provider: by default the
results written in evaluation.yaml (`given_measurements`); `mlcards.compute.review`
supplies one backed by `mlcards.compute.evaluation`, which also computes results from
predictions. Metric changes are direction-aware (higher_is_better from the
metric definition, else the built-in metric): a positive `gain` is an
improvement whatever the direction. A direction-neutral metric (higher_is_better
null, e.g. selection_rate) has no gain: it "changed", never regressed or improved
(its disparity across groups is still compared). A regression is "beyond tolerance" when
its loss exceeds `policy.regression_tolerance` (absolute, in metric units); a
disparity "grew" when a metric's largest gap to overall widened by more than it.
A change is "outside the CI" when the new value lies outside the old
version's confidence interval (or, when only the new result has one, the old
value lies outside the new interval); with no interval it is unknown (None).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from mlcards.compute.diff_fields import FieldChange, card_field_changes, unified_diff
from mlcards.compute.metrics import METRICS
from mlcards.compute.readiness import POINTS, Score, score_version
from mlcards.schema.evaluation import Result
from mlcards.schema.readiness import TestStatus
from mlcards.validate.registry import ModelVersion, Registry

EPS = 1e-9
SliceKey = tuple[tuple[str, str], ...]
Change = Literal["added", "removed", "improved", "regressed", "changed", "unchanged"]
"""`changed`: a direction-neutral metric moved."""

__all__ = ["FieldChange", "Measurements", "MetricChange", "ReadinessDiff", "Regression",
           "VersionDiff", "diff_versions", "given_measurements", "unified_diff"]


def _change(gain: float | None, old: object, new: object,
            delta: float | None = None) -> Change:
    if old is None:
        return "added"
    if new is None:
        return "removed"
    if gain is None:  # no better direction
        return "changed" if delta is not None and abs(delta) > EPS else "unchanged"
    if gain < -EPS:
        return "regressed"
    return "improved" if gain > EPS else "unchanged"


# --------------------------------------------------------------------------- metrics


@dataclass(frozen=True)
class MetricChange:
    """One metric on one slice (empty slice = overall) in both versions."""

    metric: str
    slice: SliceKey
    old: float | None
    new: float | None
    old_ci: tuple[float, float] | None
    new_ci: tuple[float, float] | None
    higher_is_better: bool | None
    """None: neither direction is better."""
    headline: bool
    tolerance: float

    @property
    def slice_label(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.slice) or "overall"

    @property
    def delta(self) -> float | None:
        return None if self.old is None or self.new is None else self.new - self.old

    @property
    def gain(self) -> float | None:
        """Delta signed so that positive is better (None for a direction-neutral metric)."""
        d = self.delta
        if d is None or self.higher_is_better is None:
            return None
        return d if self.higher_is_better else -d

    @property
    def change(self) -> Change:
        return _change(self.gain, self.old, self.new, self.delta)

    @property
    def outside_ci(self) -> bool | None:
        if self.old is None or self.new is None:
            return None
        if self.old_ci is not None:
            return not self.old_ci[0] <= self.new <= self.old_ci[1]
        if self.new_ci is not None:
            return not self.new_ci[0] <= self.old <= self.new_ci[1]
        return None

    @property
    def beyond_tolerance(self) -> bool:
        gain = self.gain
        return gain is not None and -gain > self.tolerance + EPS

    @property
    def is_regression(self) -> bool:
        """Worse by more than the tolerance and, where an interval is known, outside it:
        the one rule the card page and `mlcards check` share."""
        return self.change == "regressed" and self.beyond_tolerance and self.outside_ci is not False


def slice_key(result: Result) -> SliceKey:
    """A result's slice as sorted (feature, group) pairs (the overall result: ())."""
    return tuple(sorted((k, str(v)) for k, v in result.slice.items()))


def feature_label(features: Iterable[str]) -> str:
    """A grouping's name: its features, sorted, joined by ' × '."""
    return " × ".join(sorted(features))


@dataclass(frozen=True)
class Measurements:
    """A version's results, each metric's direction and headline flag, and the
    largest gap to overall per (metric, grouping) (Fairlearn's difference_to_overall)."""

    results: tuple[Result, ...]
    higher_is_better: dict[str, bool | None]
    headline: frozenset[str]
    disparity: dict[tuple[str, str], float]


MeasuredBy = Callable[[ModelVersion], Measurements | None]


def disparities(results: Iterable[Result]) -> dict[tuple[str, str], float]:
    """(metric, grouping) -> max |group value - overall value|."""
    rows = list(results)
    overall = {r.metric: r.value for r in rows if not r.slice}
    out: dict[tuple[str, str], float] = {}
    for r in rows:
        if r.slice and r.metric in overall:
            key = (r.metric, feature_label(r.slice))
            out[key] = max(out.get(key, 0.0), abs(r.value - overall[r.metric]))
    return out


def given_measurements(mv: ModelVersion) -> Measurements | None:
    """The results written in evaluation.yaml (None without an evaluation)."""
    ev = mv.evaluation
    if ev is None:
        return None
    defs = {m.name: m for m in ev.metrics}
    names = {r.metric for r in ev.results} | set(defs)
    hib = {n: defs[n].higher_is_better if n in defs else
           (METRICS[n].higher_is_better if n in METRICS else True) for n in names}
    return Measurements(tuple(ev.results), hib,
                        frozenset(m.name for m in ev.metrics if m.headline),
                        disparities(ev.results))


def metric_changes(old: Measurements | None, new: Measurements | None,
                   tolerance: float) -> list[MetricChange]:
    """Every (metric, slice) present in either version, metric then slice order."""
    olds = {(r.metric, slice_key(r)): r for r in (old.results if old else ())}
    news = {(r.metric, slice_key(r)): r for r in (new.results if new else ())}
    hib = {**(old.higher_is_better if old else {}), **(new.higher_is_better if new else {})}
    headline = (new or old or Measurements((), {}, frozenset(), {})).headline
    out = []
    for key in sorted(olds.keys() | news.keys(), key=lambda k: (k[0], len(k[1]), k[1])):
        o, n = olds.get(key), news.get(key)
        out.append(MetricChange(
            key[0], key[1], o.value if o else None, n.value if n else None,
            o.ci if o else None, n.ci if n else None,
            hib.get(key[0], True), key[0] in headline, tolerance))
    return out


# --------------------------------------------------------------------------- disparity


@dataclass(frozen=True)
class DisparityChange:
    """Largest gap between a group and overall, for one metric and grouping."""

    metric: str
    feature: str
    old: float | None
    new: float | None
    tolerance: float = 0.0

    @property
    def delta(self) -> float | None:
        return None if self.old is None or self.new is None else self.new - self.old

    @property
    def grew(self) -> bool:
        """The gap widened by more than the regression tolerance."""
        d = self.delta
        return d is not None and d > self.tolerance + EPS


def disparity_changes(old: Measurements | None, new: Measurements | None,
                      tolerance: float = 0.0) -> list[DisparityChange]:
    before = old.disparity if old else {}
    after = new.disparity if new else {}
    return [DisparityChange(m, f, before.get((m, f)), after.get((m, f)), tolerance)
            for m, f in sorted(before.keys() | after.keys())]


# --------------------------------------------------------------------------- readiness


@dataclass(frozen=True)
class TestMove:
    """A rubric test whose status changed."""

    id: str
    title: str
    section: str
    old: TestStatus | None
    new: TestStatus | None

    @property
    def gain(self) -> float:
        return POINTS[self.new or "not-done"] - POINTS[self.old or "not-done"]


@dataclass(frozen=True)
class SectionMove:
    id: str
    title: str
    old: float | None
    new: float | None

    @property
    def delta(self) -> float | None:
        return None if self.old is None or self.new is None else self.new - self.old


@dataclass(frozen=True)
class ReadinessDiff:
    """Final score, section scores and the tests that moved."""

    old_final: float | None
    new_final: float | None
    sections: tuple[SectionMove, ...]
    tests: tuple[TestMove, ...]

    @property
    def delta(self) -> float | None:
        if self.old_final is None or self.new_final is None:
            return None
        return self.new_final - self.old_final

    @property
    def dropped(self) -> bool:
        d = self.delta
        return d is not None and d < -EPS


def readiness_diff(old: Score | None, new: Score | None) -> ReadinessDiff | None:
    if old is None and new is None:
        return None
    sections: dict[str, SectionMove] = {}
    tests: dict[str, TestMove] = {}
    for side, score in (("old", old), ("new", new)):
        for s in score.sections if score else ():
            prev = sections.get(s.id, SectionMove(s.id, s.title, None, None))
            sections[s.id] = SectionMove(s.id, s.title, s.score if side == "old" else prev.old,
                                         s.score if side == "new" else prev.new)
            for t in s.tests:
                tp = tests.get(t.id, TestMove(t.id, t.title, s.id, None, None))
                tests[t.id] = TestMove(t.id, t.title, s.id, t.status if side == "old" else tp.old,
                                       t.status if side == "new" else tp.new)
    moved = tuple(t for t in tests.values() if t.gain != 0)
    return ReadinessDiff(old.final if old else None, new.final if new else None,
                         tuple(sections.values()), moved)


# --------------------------------------------------------------------------- whole diff


@dataclass(frozen=True)
class Regression:
    """One thing that got worse, for 'regressions first' summaries and the gate."""

    kind: Literal["metric", "slice", "readiness", "section", "test", "disparity"]
    subject: str
    old: float | str | None
    new: float | str | None
    delta: float | None
    gated: bool = False
    metric: str = ""
    slice: SliceKey = ()


@dataclass(frozen=True)
class VersionSide:
    version: str
    status: str
    date: str


@dataclass(frozen=True)
class VersionDiff:
    model_id: str
    old: VersionSide
    new: VersionSide
    tolerance: float
    fields: tuple[FieldChange, ...]
    metrics: tuple[MetricChange, ...]
    readiness: ReadinessDiff | None
    disparity: tuple[DisparityChange, ...] = field(default=())
    gate_groups: bool = False
    """policy.gate_group_regressions: per-group regressions count for the gate too."""

    @property
    def regressions(self) -> list[Regression]:
        """Everything that got worse; `gated` marks what `mlcards check` counts: an
        overall metric regression (per group too with policy.gate_group_regressions),
        or a lower final readiness score. A metric change within the tolerance or
        inside the confidence interval is not a regression (MetricChange.is_regression)."""
        out: list[Regression] = []
        for m in self.metrics:
            if m.is_regression:
                kind: Literal["metric", "slice"] = "slice" if m.slice else "metric"
                subject = f"{m.metric} ({m.slice_label})"
                out.append(Regression(kind, subject, m.old, m.new, m.delta,
                                      gated=not m.slice or self.gate_groups,
                                      metric=m.metric, slice=m.slice))
        r = self.readiness
        if r is not None:
            if r.dropped:
                out.append(Regression("readiness", "final readiness score", r.old_final,
                                      r.new_final, r.delta, gated=True))
            out += [Regression("section", f"{s.title} section score", s.old, s.new, s.delta)
                    for s in r.sections if s.delta is not None and s.delta < -EPS]
            out += [Regression("test", f"{t.id} {t.title}", t.old, t.new, t.gain)
                    for t in r.tests if t.gain < 0]
        out += [Regression("disparity", f"{d.metric} gap across {d.feature}", d.old, d.new,
                           d.delta) for d in self.disparity if d.grew]
        return out

    @property
    def gated_regressions(self) -> list[Regression]:
        return [r for r in self.regressions if r.gated]

    @property
    def is_empty(self) -> bool:
        return not (self.fields or any(m.change != "unchanged" for m in self.metrics)
                    or (self.readiness and (self.readiness.tests or self.readiness.delta))
                    or any(d.delta for d in self.disparity))


def _side(mv: ModelVersion) -> VersionSide:
    return VersionSide(mv.version, mv.card.status, str(mv.card.model_details.date))


def diff_versions(registry: Registry, old: ModelVersion, new: ModelVersion, *,
                  measured_by: MeasuredBy = given_measurements,
                  scores: Callable[[ModelVersion], Score | None] | None = None) -> VersionDiff:
    """Everything that changed from `old` to `new` (two versions of one model)."""
    score_of = scores or (lambda mv: score_version(registry, mv))
    tolerance = registry.config.policy.regression_tolerance
    before, after = measured_by(old), measured_by(new)
    return VersionDiff(
        new.model_id, _side(old), _side(new), tolerance,
        tuple(card_field_changes(old.card, new.card, old.version, new.version)),
        tuple(metric_changes(before, after, tolerance)),
        readiness_diff(score_of(old), score_of(new)),
        tuple(disparity_changes(before, after, tolerance)),
        registry.config.policy.gate_group_regressions)



# --------------------------------------------------------------------------- JSON


def _num(x: Any) -> Any:
    """Round away float noise (0.86 - 0.85 = 0.010000000000000009); other values as is."""
    return round(x, 10) if isinstance(x, float) else x


def to_json(d: VersionDiff) -> dict[str, Any]:
    """A JSON-ready dict of the diff; regressions first."""
    return {
        "model": d.model_id,
        "old": vars(d.old), "new": vars(d.new),
        "regression_tolerance": d.tolerance,
        "regressions": [{"kind": r.kind, "subject": r.subject, "old": _num(r.old),
                         "new": _num(r.new),
                         "delta": _num(r.delta), "gated": r.gated} for r in d.regressions],
        "fields": [{"path": f.path, "change": f.kind, "old": f.old, "new": f.new,
                    "markdown": f.markdown, "diff": f.diff} for f in d.fields],
        "metrics": [{"metric": m.metric, "slice": dict(m.slice), "old": m.old, "new": m.new,
                     "delta": _num(m.delta), "change": m.change,
                     "higher_is_better": m.higher_is_better, "headline": m.headline,
                     "old_ci": m.old_ci, "new_ci": m.new_ci, "outside_ci": m.outside_ci,
                     "beyond_tolerance": m.beyond_tolerance} for m in d.metrics],
        "readiness": None if d.readiness is None else {
            "old": d.readiness.old_final, "new": d.readiness.new_final,
            "delta": _num(d.readiness.delta), "dropped": d.readiness.dropped,
            "sections": [{"id": s.id, "title": s.title, "old": s.old, "new": s.new,
                          "delta": _num(s.delta)} for s in d.readiness.sections],
            "tests": [{"id": t.id, "title": t.title, "section": t.section, "old": t.old,
                       "new": t.new, "delta": t.gain} for t in d.readiness.tests]},
        "disparity": [{"metric": x.metric, "feature": x.feature, "old": _num(x.old),
                       "new": _num(x.new),
                       "delta": _num(x.delta), "grew": x.grew} for x in d.disparity],
    }
