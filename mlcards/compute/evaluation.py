"""The evaluation stage of a build: results and disparities of each version.

Results come from `evaluation.yaml` as given, or are computed from the
predictions CSV it names (results given for other metrics are kept beside the
computed ones). Disparities are measured against the registry policy. The
stage plugs into the site through a card fragment ("quantitative" tables and
plots, "top" callouts for groups over the disparity limit) and a producer that
writes the plots to models/<id>/<version>/plots/.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from mlcards.compute.disparity import Disparity, GroupGap, all_disparities
from mlcards.compute.metrics import (
    COUNT_METRICS,
    METRICS,
    Curves,
    Data,
    Disaggregation,
    Grouping,
    GroupStats,
    Slice,
    default_metrics,
    disaggregate,
    threshold_curves,
)
from mlcards.compute.predictions import FieldProblem, read_predictions
from mlcards.errors import InvalidInput, Problem
from mlcards.load.yaml import LoadedYaml, did_you_mean
from mlcards.schema.config import Policy
from mlcards.schema.evaluation import EvalDataset, Evaluation, Predictions, Result
from mlcards.validate.registry import ModelVersion

CURVE_METRICS = ("selection_rate", "recall", "false_positive_rate", "precision")


@dataclass(frozen=True)
class MetricInfo:
    """How a metric is shown: from evaluation.yaml's definitions, else built in."""

    name: str
    label: str
    description: str | None
    higher_is_better: bool | None
    """None: neither direction is better."""
    threshold: float | None = None
    headline: bool = False


@dataclass(frozen=True)
class EvaluationReport:
    """Everything the page, the plots and the gate need about one version."""

    key: str
    source: Literal["results", "predictions"]
    predictions_path: str | None
    rows: int | None
    dataset: EvalDataset
    metrics: tuple[MetricInfo, ...]
    result: Disaggregation
    disparities: tuple[Disparity, ...]
    policy: Policy
    seed: int | None
    curves: tuple[Curves, ...]

    def metric(self, name: str) -> MetricInfo:
        return next(m for m in self.metrics if m.name == name)

    @property
    def single_groupings(self) -> list[Grouping]:
        """The groupings by one feature (the others are intersections)."""
        return [g for g in self.result.groupings if len(g.features) == 1]

    @property
    def breaches(self) -> list[tuple[Disparity, GroupGap]]:
        """Groups (of sufficient size) over the policy's disparity limit."""
        return [(d, g) for d in self.disparities for g in d.breaches]

    @property
    def small_breaches(self) -> list[tuple[Disparity, GroupGap]]:
        """Groups over the limit that are smaller than policy.min_group_size."""
        return [(d, g) for d in self.disparities for g in d.small_breaches]


# --------------------------------------------------------------------------- results <-> table


def to_results(result: Disaggregation) -> list[Result]:
    """The table as evaluation.yaml results (undefined values left out)."""
    out = []
    for group in [result.overall, *(g for gr in result.groupings for g in gr.groups)]:
        for m in result.metrics:
            value = group.values.get(m, math.nan)
            if not math.isfinite(value):
                continue
            ci = group.ci.get(m)
            out.append(Result(metric=m, slice=dict(group.slice), value=value, n=group.n,
                              ci=ci))
    return out


def from_results(results: Sequence[Result], order: Sequence[str], doc: LoadedYaml | None,
                 *, confidence: float = 0.95, bootstrap: int = 0) -> Disaggregation:
    """Results as given -> the overall/groupings table; duplicates are errors."""
    features: dict[str, int] = {}
    for r in results:
        for f in r.slice:
            features.setdefault(f, len(features))
    cells: dict[Slice, dict[str, Result]] = {}
    problems: list[Problem] = []
    for i, r in enumerate(results):
        key = tuple(sorted(r.slice.items(), key=lambda kv: features[kv[0]]))
        if r.metric in cells.setdefault(key, {}) and doc is not None:
            problems.append(doc.problem(("results", i), f"a second result for metric "
                                        f"{r.metric!r} on slice {dict(key) or 'overall'}"))
        cells[key].setdefault(r.metric, r)
    if problems:
        raise InvalidInput(problems)
    metrics = [m for m in dict.fromkeys(order) if any(m in c for c in cells.values())]
    metrics += sorted({m for c in cells.values() for m in c} - set(metrics))
    stats = {key: _stats(key, c) for key, c in cells.items()}
    overall = stats.pop((), GroupStats((), None, {}, {}))
    by_features: dict[tuple[str, ...], list[GroupStats]] = {}
    for key in sorted(stats, key=lambda k: (len(k), [features[f] for f, _ in k], k)):
        by_features.setdefault(tuple(f for f, _ in key), []).append(stats[key])
    groupings = tuple(Grouping(f, tuple(g)) for f, g in by_features.items())
    return Disaggregation(tuple(metrics), overall, groupings, confidence, bootstrap)


def _stats(key: Slice, cell: dict[str, Result]) -> GroupStats:
    n = next((r.n for r in cell.values() if r.n is not None), None)
    ci = {m: (r.ci[0], r.ci[1]) for m, r in cell.items() if r.ci is not None}
    return GroupStats(key, n, {m: r.value for m, r in cell.items()}, ci)


# --------------------------------------------------------------------------- compute


def metric_names_for(spec: Predictions, field: FieldProblem) -> list[str]:
    """The metrics to compute, checked against the task and the columns; `field`
    locates a problem with a setting (see read_predictions)."""
    names = spec.metrics or default_metrics(spec.task, spec.score is not None)
    problems = []
    for i, name in enumerate(spec.metrics):
        known = METRICS.get(name)
        loc = ("predictions", "metrics", i)
        allowed = [n for n, s in METRICS.items() if s.task == spec.task]
        if known is None or known.task != spec.task:
            problems.append(field(loc, f"unknown metric {name!r} for task {spec.task}"
                                  f"{did_you_mean(name, allowed)}; known: "
                                  f"{', '.join(allowed)}"))
        elif known.kind == "auc" and spec.score is None:
            problems.append(field(loc, "roc_auc needs a score column (predictions.score, "
                                  "or --score)"))
    if problems:
        raise InvalidInput(problems)
    return list(dict.fromkeys(names))


def _check_references(spec: Predictions, data: Data, doc: LoadedYaml) -> None:
    problems = []
    for feature, value in spec.reference_groups.items():
        loc = ("predictions", "reference_groups", feature)
        if feature not in data.sensitive:
            problems.append(doc.problem(loc, f"{feature!r} is not one of the sensitive "
                                        f"features {spec.sensitive}", key=True))
        elif not bool(np.any(data.sensitive[feature] == value)):
            seen = ", ".join(repr(str(v)) for v in np.unique(data.sensitive[feature])[:10])
            problems.append(doc.problem(loc, f"no rows have {feature} = {value!r}; "
                                        f"groups: {seen}"))
    if problems:
        raise InvalidInput(problems)


def _curves(data: Data, names: Sequence[str]) -> tuple[Curves, ...]:
    """Metric-versus-threshold curves, for scores that are probabilities."""
    if data.score is None or data.score.min() < 0 or data.score.max() > 1:
        return ()
    chosen = [m for m in CURVE_METRICS if m in names] or ["selection_rate", "recall",
                                                          "false_positive_rate"]
    chosen = [m for m in chosen if m in COUNT_METRICS]
    return tuple(threshold_curves(data, f, chosen) for f in data.sensitive)


def _infos(evaluation: Evaluation, names: Sequence[str]) -> tuple[MetricInfo, ...]:
    defined = {m.name: m for m in evaluation.metrics}
    out = []
    for name in names:
        builtin = METRICS.get(name)
        d = defined.get(name)
        out.append(MetricInfo(
            name, builtin.label if builtin else name,
            d.description if d and d.description else (builtin.description if builtin else None),
            d.higher_is_better if d else (builtin.higher_is_better if builtin else True),
            d.threshold if d else None, d.headline if d else False))
    return tuple(out)


def compute_report(mv: ModelVersion, policy: Policy) -> EvaluationReport | None:
    """Results, disparities and curves of one version (None without evaluation.yaml)."""
    ev = mv.evaluation
    if ev is None:
        return None
    doc = mv.files["evaluation"].doc
    order = [m.name for m in ev.metrics]
    spec, data = ev.predictions, None
    curves: tuple[Curves, ...] = ()
    if spec is None:
        result = from_results(ev.results, order, doc)
    else:
        names = metric_names_for(spec, doc.problem)
        data = read_predictions((mv.folder / spec.path).resolve(), spec, doc.problem)
        _check_references(spec, data, doc)
        computed = disaggregate(data, names, resamples=spec.bootstrap, seed=spec.seed,
                                confidence=spec.confidence)
        extra = [r for r in ev.results if r.metric not in names]
        result = computed if not extra else from_results(
            to_results(computed) + extra, [*names, *order], None,
            confidence=spec.confidence, bootstrap=spec.bootstrap)
        curves = _curves(data, names)
    disparities = all_disparities(
        result, tolerance=policy.max_disparity, policy_metrics=policy.disparity_metrics,
        min_group_size=policy.min_group_size,
        references=dict(spec.reference_groups) if spec else None)
    return EvaluationReport(
        mv.key, "results" if spec is None else "predictions", spec.path if spec else None,
        data.n if data else None, ev.dataset, _infos(ev, result.metrics), result,
        tuple(disparities), policy, spec.seed if spec else None, curves)
