"""Disparities between groups, named as Fairlearn and Aequitas name them.

For each metric and grouping (a feature or an intersection):

- `difference_between_groups` = max - min over groups (Fairlearn
  `difference(method="between_groups")`), `difference_to_overall` = largest
  |group - overall| (`method="to_overall"`);
- `ratio_between_groups` = min / max, `ratio_to_overall` = smallest of
  group / overall with each ratio turned to <= 1 (Fairlearn `ratio()`);
- per group: the gap and ratio to overall and, when a reference group is
  named, to that group (Aequitas' disparity to a reference).

A group breaches when |group - overall| exceeds the policy's
`max_disparity`. Groups smaller than `min_group_size` are flagged `small`,
never dropped: their breaches are reported but do not fail the gate.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from mlcards.compute.metrics import Disaggregation, Grouping, Slice

EPS = 1e-12
"""Slack so that a gap equal to the limit (up to float rounding) does not breach."""


@dataclass(frozen=True)
class GroupGap:
    """One group's distance to overall (and to the reference group)."""

    slice: Slice
    n: int | None
    value: float
    to_overall: float
    ratio_to_overall: float
    to_reference: float | None
    ratio_to_reference: float | None
    small: bool
    breach: bool

    @property
    def label(self) -> str:
        return ", ".join(f"{f}={v}" for f, v in self.slice)


@dataclass(frozen=True)
class Disparity:
    """The disparities of one metric over one grouping."""

    metric: str
    features: tuple[str, ...]
    overall: float
    difference_between_groups: float
    difference_to_overall: float
    ratio_between_groups: float
    ratio_to_overall: float
    reference: Slice | None
    tolerance: float | None
    gated: bool
    gaps: tuple[GroupGap, ...]

    @property
    def breaches(self) -> list[GroupGap]:
        """Groups over the limit that count for the gate (not small)."""
        return [g for g in self.gaps if g.breach and not g.small] if self.gated else []

    @property
    def small_breaches(self) -> list[GroupGap]:
        """Groups over the limit that are too small to judge."""
        return [g for g in self.gaps if g.breach and g.small] if self.gated else []


def _nan_reduce(values: list[float], how: str) -> float:
    arr = np.asarray(values, dtype=np.float64)
    if arr.size == 0 or np.all(np.isnan(arr)):
        return math.nan
    return float(np.nanmax(arr) if how == "max" else np.nanmin(arr))


def _div(a: float, b: float) -> float:
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(np.float64(a) / np.float64(b))


def _below_one(r: float) -> float:
    return 1.0 / r if r > 1 else r


def _reference(grouping: Grouping, references: Mapping[str, str]) -> Slice | None:
    if not all(f in references for f in grouping.features):
        return None
    return tuple((f, references[f]) for f in grouping.features)


def disparity(result: Disaggregation, grouping: Grouping, metric: str, *,
              tolerance: float | None = None, gated: bool = True, min_group_size: int = 0,
              references: Mapping[str, str] | None = None) -> Disparity:
    """Disparities of `metric` over the groups of `grouping`."""
    overall = result.overall.values.get(metric, math.nan)
    groups = [g for g in grouping.groups if metric in g.values]
    values = [g.values[metric] for g in groups]
    reference = _reference(grouping, references or {})
    ref_value = next((g.values[metric] for g in groups if g.slice == reference), None)
    gaps = []
    for g, v in zip(groups, values, strict=True):
        gap = v - overall
        gaps.append(GroupGap(
            g.slice, g.n, v, gap, _div(v, overall),
            None if ref_value is None else v - ref_value,
            None if ref_value is None else _div(v, ref_value),
            small=g.n is not None and g.n < min_group_size,
            breach=tolerance is not None and abs(gap) > tolerance + EPS))
    lo, hi = _nan_reduce(values, "min"), _nan_reduce(values, "max")
    return Disparity(
        metric, grouping.features, overall,
        difference_between_groups=hi - lo,
        difference_to_overall=_nan_reduce([abs(g.to_overall) for g in gaps], "max"),
        ratio_between_groups=_div(lo, hi),
        ratio_to_overall=_nan_reduce([_below_one(g.ratio_to_overall) for g in gaps], "min"),
        reference=reference if ref_value is not None else None,
        tolerance=tolerance, gated=gated, gaps=tuple(gaps))


def all_disparities(result: Disaggregation, *, tolerance: float | None,
                    policy_metrics: Iterable[str] = (), min_group_size: int = 0,
                    references: Mapping[str, str] | None = None) -> list[Disparity]:
    """Every metric over every grouping; `policy_metrics` empty means all are gated."""
    chosen = set(policy_metrics)
    return [disparity(result, grouping, m, tolerance=tolerance,
                      gated=not chosen or m in chosen, min_group_size=min_group_size,
                      references=references)
            for m in result.metrics for grouping in result.groupings]
