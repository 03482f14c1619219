"""Worked examples for every metric, grouping, bootstrap and disparity (values by hand)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mlcards.compute.disparity import all_disparities, disparity
from mlcards.compute.metrics import (
    Data,
    Disaggregation,
    Grouping,
    GroupStats,
    default_metrics,
    disaggregate,
    from_counts,
    groupings_of,
    threshold_curves,
)

BINARY = ["accuracy", "precision", "recall", "false_positive_rate", "false_negative_rate",
          "selection_rate", "f1"]


def binary(y: list[int], p: list[int], groups: dict[str, list[str]] | None = None,
           score: list[float] | None = None) -> Data:
    sens = {k: np.array(v) for k, v in (groups or {"g": ["x"] * len(y)}).items()}
    return Data("binary-classification", np.array(y, dtype=bool), np.array(p, dtype=bool), sens,
                None if score is None else np.array(score, dtype=float))


def test_classification_metrics_worked_example() -> None:
    # tp = 2 (rows 0, 2), fn = 1 (row 1), fp = 2 (rows 3, 4), tn = 3 (rows 5-7)
    data = binary([1, 1, 1, 0, 0, 0, 0, 0], [1, 0, 1, 1, 1, 0, 0, 0])
    overall = disaggregate(data, BINARY, resamples=0).overall
    expected = {"accuracy": 5 / 8, "precision": 2 / 4, "recall": 2 / 3,
                "false_positive_rate": 2 / 5, "false_negative_rate": 1 / 3,
                "selection_rate": 4 / 8, "f1": 2 * 2 / (2 * 2 + 2 + 1)}
    assert overall.n == 8
    for name, value in expected.items():
        assert overall.values[name] == pytest.approx(value, abs=1e-12), name


def test_from_counts_is_nan_where_undefined() -> None:
    # no predicted positives -> precision undefined; no positives -> recall undefined
    values = from_counts(np.array([[5, 0, 0, 0]]), ["precision", "recall", "accuracy"])
    assert math.isnan(values[0, 0]) and math.isnan(values[0, 1])
    assert values[0, 2] == 1.0


def test_roc_auc_worked_example_with_a_tie() -> None:
    # pairs (pos, neg): (.9,.4)=1, (.9,.1)=1, (.4,.4)=0.5 (tie), (.4,.1)=1 -> 3.5 / 4
    data = binary([1, 1, 0, 0], [1, 0, 0, 0], score=[0.9, 0.4, 0.4, 0.1])
    assert disaggregate(data, ["roc_auc"], resamples=0).overall.values["roc_auc"] == 0.875


def test_roc_auc_undefined_with_one_class() -> None:
    data = binary([1, 1], [1, 0], score=[0.2, 0.3])
    assert math.isnan(disaggregate(data, ["roc_auc"], resamples=0).overall.values["roc_auc"])


def test_regression_metrics_worked_example() -> None:
    # errors 0, 1, -1, 2: MAE 1, MSE 1.5; mean label 2.5, total sum of squares 5
    data = Data("regression", np.array([1.0, 2, 3, 4]), np.array([1.0, 3, 2, 6]),
                {"g": np.array(["a"] * 4)})
    values = disaggregate(data, ["mae", "rmse", "r2"], resamples=0).overall.values
    assert values["mae"] == pytest.approx(1.0)
    assert values["rmse"] == pytest.approx(math.sqrt(1.5))
    assert values["r2"] == pytest.approx(1 - 6 / 5)


def test_groups_and_intersections_are_sorted_with_sizes() -> None:
    data = binary([1, 0, 1, 0, 1], [1, 0, 0, 0, 1],
                  {"sex": ["m", "f", "m", "f", "f"], "age": ["old", "old", "young", "old", "old"]})
    result = disaggregate(data, ["accuracy"], resamples=0)
    assert [g.features for g in result.groupings] == [("sex",), ("age",), ("sex", "age")]
    cross = result.groupings[2].groups
    assert [(g.slice, g.n) for g in cross] == [
        ((("sex", "f"), ("age", "old")), 3),
        ((("sex", "m"), ("age", "old")), 1),
        ((("sex", "m"), ("age", "young")), 1)]   # empty cells (f, young) are not invented
    assert cross[2].values["accuracy"] == 0.0 and cross[0].values["accuracy"] == 1.0


def test_groupings_of_three_features_adds_pairs_and_full_cross() -> None:
    assert groupings_of(["a", "b", "c"]) == [("a",), ("b",), ("c",), ("a", "b"), ("a", "c"),
                                             ("b", "c"), ("a", "b", "c")]


def test_default_metrics_follow_task_and_score() -> None:
    assert "roc_auc" not in default_metrics("binary-classification", False)
    assert default_metrics("binary-classification", True)[-1] == "roc_auc"
    assert default_metrics("regression", False) == ["mae", "rmse", "r2"]


def _random_data(seed: int, n: int = 400) -> Data:
    rng = np.random.default_rng(seed)
    y = rng.random(n) < 0.4
    score = np.clip(0.3 * y + 0.7 * rng.random(n), 0, 1)
    return binary(y.astype(int).tolist(), (score > 0.5).astype(int).tolist(),
                  {"g": rng.choice(["a", "b", "c"], n).tolist()}, score.tolist())


def test_same_seed_same_intervals_other_seed_other_intervals() -> None:
    data = _random_data(1)
    names = ["accuracy", "recall", "roc_auc"]
    first = disaggregate(data, names, resamples=200, seed=7)
    again = disaggregate(data, names, resamples=200, seed=7)
    other = disaggregate(data, names, resamples=200, seed=8)
    assert first == again
    assert first.overall.ci != other.overall.ci
    assert first.groupings[0].groups[0].ci != other.groupings[0].groups[0].ci


def test_intervals_bracket_the_estimate_and_none_without_resamples() -> None:
    data = _random_data(2)
    result = disaggregate(data, ["accuracy", "roc_auc"], resamples=300, seed=0)
    for group in [result.overall, *result.groupings[0].groups]:
        for metric, (low, high) in group.ci.items():
            assert low <= group.values[metric] <= high, (group.slice, metric)
            assert high - low > 0.01
    assert disaggregate(data, ["accuracy"], resamples=0).overall.ci == {}


def test_perfect_group_has_a_degenerate_interval() -> None:
    data = binary([1, 0, 1, 0], [1, 0, 1, 0])
    assert disaggregate(data, ["accuracy"], resamples=50).overall.ci["accuracy"] == (1.0, 1.0)


def test_bootstrap_spread_matches_the_binomial_standard_error() -> None:
    # accuracy 0.7 on 2,500 rows: the bootstrap's 95 % interval is about ±1.96 * sqrt(p q / n)
    y = np.ones(2500, dtype=int)
    p = (np.arange(2500) % 10 < 7).astype(int)
    low, high = disaggregate(binary(y.tolist(), p.tolist()), ["accuracy"],
                             resamples=2000, seed=3).overall.ci["accuracy"]
    half = 1.96 * math.sqrt(0.7 * 0.3 / 2500)
    assert (high - low) / 2 == pytest.approx(half, rel=0.1)


def _table(values: dict[str, float], n: dict[str, int], overall: float) -> Disaggregation:
    groups = tuple(GroupStats((("g", k),), n[k], {"m": v}, {}) for k, v in values.items())
    return Disaggregation(("m",), GroupStats((), sum(n.values()), {"m": overall}, {}),
                          (Grouping(("g",), groups),))


def test_disparity_worked_example() -> None:
    table = _table({"a": 0.5, "b": 1.0}, {"a": 10, "b": 40}, 0.75)
    d = disparity(table, table.groupings[0], "m", tolerance=0.2, min_group_size=20,
                  references={"g": "b"})
    assert d.difference_between_groups == 0.5           # 1.0 - 0.5
    assert d.difference_to_overall == 0.25              # |0.5 - 0.75|
    assert d.ratio_between_groups == 0.5                # 0.5 / 1.0
    assert d.ratio_to_overall == pytest.approx(0.5 / 0.75)  # 1.0/0.75 turned to 0.75
    a, b = d.gaps
    assert (a.to_reference, a.ratio_to_reference) == (-0.5, 0.5)
    assert a.small and not b.small
    assert a.breach and b.breach                         # both 0.25 from overall
    assert [g.slice for g in d.breaches] == [(("g", "b"),)]      # the small group is not gated
    assert [g.slice for g in d.small_breaches] == [(("g", "a"),)]


def test_gap_equal_to_the_limit_does_not_breach_and_ungated_metrics_never_do() -> None:
    table = _table({"a": 0.7, "b": 0.9}, {"a": 50, "b": 50}, 0.8)
    (d,) = all_disparities(table, tolerance=0.1, min_group_size=30)
    assert not any(g.breach for g in d.gaps)
    (d,) = all_disparities(table, tolerance=0.05, policy_metrics=["other"])
    assert all(g.breach for g in d.gaps) and not d.gated and d.breaches == []
    (d,) = all_disparities(table, tolerance=None)
    assert not any(g.breach for g in d.gaps)


def test_threshold_curves_by_hand() -> None:
    # scores 0.15, 0.35, 0.55, 0.95 with labels 0, 1, 0, 1; group a = first two rows
    data = binary([0, 1, 0, 1], [0, 0, 1, 1], {"g": ["a", "a", "b", "b"]},
                  [0.15, 0.35, 0.55, 0.95])
    curves = threshold_curves(data, "g", ["selection_rate", "recall"])
    t = list(curves.thresholds)
    assert t == [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
    assert curves.overall[t.index(0.5), 0] == 0.5      # 0.55 and 0.95 are >= 0.5
    assert curves.overall[t.index(0.5), 1] == 0.5      # of positives (0.35, 0.95) one found
    assert curves.values[t.index(0.3), 0, 0] == 0.5    # group a at 0.3: only 0.35 selected
    assert curves.sizes == (2, 2)
