"""Parity with Fairlearn's MetricFrame (by_group, overall, difference, ratio) to 1e-9."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (
    MetricFrame,
    false_negative_rate,
    false_positive_rate,
    selection_rate,
)
from sklearn import metrics as skm

from mlcards.compute.disparity import disparity
from mlcards.compute.metrics import Data, Disaggregation, disaggregate

TOL = 1e-9
CLASSIFICATION: dict[str, Callable[..., Any]] = {
    "accuracy": skm.accuracy_score, "precision": skm.precision_score,
    "recall": skm.recall_score, "false_positive_rate": false_positive_rate,
    "false_negative_rate": false_negative_rate, "selection_rate": selection_rate,
    "f1": skm.f1_score,
}
REGRESSION: dict[str, Callable[..., Any]] = {
    "mae": skm.mean_absolute_error, "rmse": skm.root_mean_squared_error,
    "r2": skm.r2_score,
}


def _features(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    return {"sex": rng.choice(["female", "male"], n, p=[0.45, 0.55]),
            "age": rng.choice(["18-29", "30-49", "50+"], n, p=[0.3, 0.5, 0.2])}


def _classification(seed: int, n: int = 1500) -> tuple[Data, dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    sens = _features(rng, n)
    y = rng.random(n) < np.where(sens["age"] == "18-29", 0.45, 0.3)
    score = np.clip(0.35 * y + 0.65 * rng.random(n) + 0.05 * (sens["sex"] == "male"), 0, 1)
    score = np.round(score, 2)                       # ties, as in real score columns
    pred = score >= 0.5
    return Data("binary-classification", y, pred, sens, score), sens


def _regression(seed: int, n: int = 1200) -> tuple[Data, dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    sens = _features(rng, n)
    y = rng.normal(50, 10, n) + 5 * (sens["age"] == "50+")
    pred = y + rng.normal(0, np.where(sens["sex"] == "male", 4.0, 6.0))
    return Data("regression", y, pred, sens), sens


def _frame(funcs: dict[str, Callable[..., Any]], y: Any, pred: Any,
           sens: dict[str, np.ndarray], features: tuple[str, ...]) -> MetricFrame:
    return MetricFrame(metrics=funcs, y_true=y, y_pred=pred,
                       sensitive_features=pd.DataFrame({f: sens[f] for f in features}))


def _assert_parity(result: Disaggregation, frame: MetricFrame, features: tuple[str, ...],
                   names: list[str], mf_names: dict[str, str]) -> None:
    grouping = next(g for g in result.groupings if g.features == features)
    checked = 0
    for name in names:
        col = mf_names.get(name, name)
        assert abs(result.overall.values[name] - frame.overall[col]) < TOL, name
        for group in grouping.groups:
            key = tuple(v for _, v in group.slice)
            expected = frame.by_group[col][key if len(key) > 1 else key[0]]
            assert abs(group.values[name] - expected) < TOL, (name, key)
            checked += 1
        d = disparity(result, grouping, name)
        pairs = [(d.difference_between_groups, frame.difference("between_groups")[col]),
                 (d.difference_to_overall, frame.difference("to_overall")[col]),
                 (d.ratio_between_groups, frame.ratio("between_groups")[col]),
                 (d.ratio_to_overall, frame.ratio("to_overall")[col])]
        for ours, theirs in pairs:
            assert abs(ours - theirs) < TOL, (name, ours, theirs)
    assert checked >= len(names) * 2


@pytest.mark.parametrize("features", [("sex",), ("age",), ("sex", "age")])
def test_classification_metrics_match_fairlearn(features: tuple[str, ...]) -> None:
    data, sens = _classification(11)
    names = list(CLASSIFICATION)
    result = disaggregate(data, names, resamples=0)
    frame = _frame(CLASSIFICATION, data.y_true, data.y_pred, sens, features)
    _assert_parity(result, frame, features, names, {})


@pytest.mark.parametrize("features", [("age",), ("sex", "age")])
def test_roc_auc_matches_fairlearn_with_scores(features: tuple[str, ...]) -> None:
    data, sens = _classification(12)
    result = disaggregate(data, ["roc_auc"], resamples=0)
    frame = _frame({"roc_auc": skm.roc_auc_score}, data.y_true, data.score, sens, features)
    _assert_parity(result, frame, features, ["roc_auc"], {})


@pytest.mark.parametrize("features", [("sex",), ("sex", "age")])
def test_regression_metrics_match_fairlearn(features: tuple[str, ...]) -> None:
    data, sens = _regression(13)
    names = list(REGRESSION)
    result = disaggregate(data, names, resamples=0)
    frame = _frame(REGRESSION, data.y_true, data.y_pred, sens, features)
    _assert_parity(result, frame, features, names, {})


def test_parity_holds_with_intervals_on() -> None:
    """Computing intervals must not change the point estimates."""
    data, _ = _classification(14, n=600)
    with_ci = disaggregate(data, ["accuracy", "roc_auc"], resamples=100, seed=1)
    without = disaggregate(data, ["accuracy", "roc_auc"], resamples=0)
    assert with_ci.overall.values == without.overall.values
    assert [g.values for gr in with_ci.groupings for g in gr.groups] == \
        [g.values for gr in without.groupings for g in gr.groups]
