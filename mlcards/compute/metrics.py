"""Disaggregated metrics: overall, per group and per intersection of groups,
with seeded percentile-bootstrap confidence intervals.

Everything is vectorised with numpy. Classification metrics depend only on
the confusion counts of a group, so a bootstrap resample of a group's rows is
drawn directly as multinomial confusion counts (the same distribution as
resampling rows, at O(B) cost). ROC AUC and regression metrics need the rows:
each resample is a (B, n) matrix of how often each row was drawn, built with
one bincount per chunk. Disparities (Fairlearn's `between_groups` and
`to_overall`, Aequitas' reference group) live in `mlcards.compute.disparity`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Literal

import numpy as np
from numpy.typing import NDArray

Task = Literal["binary-classification", "regression"]
FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
Slice = tuple[tuple[str, str], ...]
"""((feature, value), ...); () is overall."""


@dataclass(frozen=True)
class MetricSpec:
    """A built-in metric: its display name, meaning and direction."""

    name: str
    label: str
    description: str
    higher_is_better: bool | None
    """None: neither direction is better (changes are shown, never judged)."""
    task: Task
    kind: Literal["counts", "auc", "regression"]


def _spec(name: str, label: str, description: str, higher: bool | None, task: Task,
          kind: Literal["counts", "auc", "regression"]) -> MetricSpec:
    return MetricSpec(name, label, description, higher, task, kind)


_B: Task = "binary-classification"
METRICS: dict[str, MetricSpec] = {s.name: s for s in (
    _spec("accuracy", "Accuracy", "Share of correct predictions.", True, _B, "counts"),
    _spec("precision", "Precision", "Share of predicted positives that are positive.",
          True, _B, "counts"),
    _spec("recall", "Recall (true positive rate)", "Share of positives predicted positive.",
          True, _B, "counts"),
    _spec("false_positive_rate", "False positive rate",
          "Share of negatives wrongly predicted positive.", False, _B, "counts"),
    _spec("false_negative_rate", "False negative rate",
          "Share of positives wrongly predicted negative.", False, _B, "counts"),
    _spec("selection_rate", "Selection rate",
          "Share of rows predicted positive (neither direction is better in general).",
          None, _B, "counts"),
    _spec("f1", "F1 score", "Harmonic mean of precision and recall.", True, _B, "counts"),
    _spec("roc_auc", "ROC AUC", "Chance that a random positive scores above a random "
          "negative (ties count half); needs a score column.", True, _B, "auc"),
    _spec("mae", "Mean absolute error", "Average absolute difference between prediction "
          "and label, in the label's unit.", False, "regression", "regression"),
    _spec("rmse", "Root mean squared error", "Square root of the mean squared error, in the "
          "label's unit.", False, "regression", "regression"),
    _spec("r2", "R²", "Share of the label's variance explained (1 is perfect).", True,
          "regression", "regression"),
)}
COUNT_METRICS = tuple(n for n, s in METRICS.items() if s.kind == "counts")


def default_metrics(task: Task, has_score: bool) -> list[str]:
    """The metrics computed when none are named."""
    names = [n for n, s in METRICS.items() if s.task == task]
    return [n for n in names if has_score or METRICS[n].kind != "auc"]


@dataclass(frozen=True)
class Data:
    """Predictions as arrays: binary labels are booleans (True = positive)."""

    task: Task
    y_true: NDArray[np.generic]
    y_pred: NDArray[np.generic]
    sensitive: dict[str, NDArray[np.str_]]
    score: FloatArray | None = None

    @property
    def n(self) -> int:
        return int(self.y_true.shape[0])


@dataclass(frozen=True)
class GroupStats:
    """Metric values (and intervals) of one slice."""

    slice: Slice
    n: int | None
    values: dict[str, float]
    ci: dict[str, tuple[float, float]]

    @property
    def label(self) -> str:
        return ", ".join(f"{f}={v}" for f, v in self.slice) or "overall"


@dataclass(frozen=True)
class Grouping:
    """The groups of one feature or one intersection of features."""

    features: tuple[str, ...]
    groups: tuple[GroupStats, ...]


@dataclass(frozen=True)
class Disaggregation:
    """Overall and per-group results of one evaluation."""

    metrics: tuple[str, ...]
    overall: GroupStats
    groupings: tuple[Grouping, ...]
    confidence: float = 0.95
    bootstrap: int = 0


# --------------------------------------------------------------------------- metric formulas


def _ratio(num: FloatArray, den: FloatArray) -> FloatArray:
    """num / den, NaN where den is 0 (the metric is undefined there)."""
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den != 0)
    return out


def from_counts(counts: NDArray[np.generic], names: Sequence[str]) -> FloatArray:
    """Classification metrics from confusion counts [..., (tn, fp, fn, tp)] -> [..., M]."""
    c = counts.astype(np.float64)
    tn, fp, fn, tp = c[..., 0], c[..., 1], c[..., 2], c[..., 3]
    n = tn + fp + fn + tp
    formulas: dict[str, Callable[[], FloatArray]] = {
        "accuracy": lambda: _ratio(tp + tn, n),
        "precision": lambda: _ratio(tp, tp + fp),
        "recall": lambda: _ratio(tp, tp + fn),
        "false_positive_rate": lambda: _ratio(fp, fp + tn),
        "false_negative_rate": lambda: _ratio(fn, fn + tp),
        "selection_rate": lambda: _ratio(tp + fp, n),
        "f1": lambda: _ratio(2 * tp, 2 * tp + fp + fn),
    }
    return np.stack([formulas[m]() for m in names], axis=-1)


def auc_layout(y: NDArray[np.bool_], score: FloatArray) -> tuple[IntArray, IntArray, IntArray]:
    """Row order for `weighted_auc` (negatives by score, then positives) and, per
    positive, how many negatives score below it (lo) and at most equal to it (hi)."""
    neg = np.flatnonzero(~y)
    neg = neg[np.argsort(score[neg], kind="stable")]
    pos = np.flatnonzero(y)
    neg_scores = score[neg]
    lo = np.searchsorted(neg_scores, score[pos], side="left")
    hi = np.searchsorted(neg_scores, score[pos], side="right")
    return np.concatenate([neg, pos]).astype(np.int64), lo.astype(np.int64), hi.astype(np.int64)


def weighted_auc(weights: IntArray, lo: IntArray, hi: IntArray) -> FloatArray:
    """ROC AUC (Mann-Whitney U, ties count half) for each row of row-count weights (B, n)
    whose columns follow `auc_layout`: exact integer sums, one cumsum, two gathers."""
    n_neg = weights.shape[1] - lo.shape[0]
    below = np.zeros((weights.shape[0], n_neg + 1), dtype=np.int64)
    np.cumsum(weights[:, :n_neg], axis=1, out=below[:, 1:])
    w_pos = weights[:, n_neg:]
    twice_u = (w_pos * (below[:, lo] + below[:, hi])).sum(axis=1)
    pairs = 2 * w_pos.sum(axis=1) * below[:, -1]
    return _ratio(twice_u.astype(np.float64), pairs.astype(np.float64))


def weighted_regression(weights: IntArray | FloatArray, y: FloatArray, pred: FloatArray,
                        names: Sequence[str]) -> FloatArray:
    """MAE, RMSE, R² for each row of row-count weights (B, n) -> (B, M)."""
    weights = weights.astype(np.float64)
    total = weights.sum(axis=1)
    err = pred - y
    centred = y - y.mean()
    sq = weights @ (err * err)
    mean_c = _ratio(weights @ centred, total)
    ss_tot = weights @ (centred * centred) - total * mean_c * mean_c
    formulas: dict[str, Callable[[], FloatArray]] = {
        "mae": lambda: _ratio(weights @ np.abs(err), total),
        "rmse": lambda: np.sqrt(_ratio(sq, total)),
        "r2": lambda: 1.0 - _ratio(sq, np.where(ss_tot > 0, ss_tot, 0.0)),
    }
    return np.stack([formulas[m]() for m in names], axis=-1)


# --------------------------------------------------------------------------- grouping


def group_codes(data: Data, features: Sequence[str]) -> tuple[IntArray, list[Slice], IntArray]:
    """Per row, the index of its group; the groups (sorted by value) and their sizes."""
    code = np.zeros(data.n, dtype=np.int64)
    levels: list[NDArray[np.str_]] = []
    for f in features:
        values, inverse = np.unique(data.sensitive[f], return_inverse=True)
        code = code * len(values) + inverse.reshape(-1)
        levels.append(values)
    observed, inverse, sizes = np.unique(code, return_inverse=True, return_counts=True)
    slices: list[Slice] = []
    for c in observed.tolist():
        parts: list[tuple[str, str]] = []
        for f, values in zip(reversed(features), reversed(levels), strict=True):
            c, i = divmod(c, len(values))
            parts.append((f, str(values[i])))
        slices.append(tuple(reversed(parts)))
    return inverse.reshape(-1).astype(np.int64), slices, sizes.astype(np.int64)


def groupings_of(features: Sequence[str]) -> list[tuple[str, ...]]:
    """Each feature, each pair, and the full cross when there are more than two."""
    out: list[tuple[str, ...]] = [(f,) for f in features]
    out += list(combinations(features, 2))
    if len(features) > 2:
        out.append(tuple(features))
    return out


# --------------------------------------------------------------------------- bootstrap


def _weight_chunks(rng: np.random.Generator, n: int, resamples: int,
                   budget: int = 1 << 16) -> Iterator[IntArray]:
    """Row-count matrices (b, n) of bootstrap resamples, in memory-bounded chunks."""
    per_chunk = max(1, budget // max(n, 1))
    done = 0
    while done < resamples:
        b = min(per_chunk, resamples - done)
        idx = rng.integers(0, n, size=(b, n)) + (np.arange(b) * n)[:, None]
        yield np.bincount(idx.ravel(), minlength=b * n).reshape(b, n)
        done += b


def _quantiles(boot: FloatArray, confidence: float) -> tuple[FloatArray, FloatArray]:
    """Percentile interval over axis 0, ignoring resamples where a metric is undefined."""
    alpha = (1.0 - confidence) / 2.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        low, high = np.nanquantile(boot, [alpha, 1.0 - alpha], axis=0)
    return np.asarray(low, dtype=np.float64), np.asarray(high, dtype=np.float64)


@dataclass(frozen=True)
class _Block:
    values: FloatArray            # (G, M)
    low: FloatArray | None        # (G, M)
    high: FloatArray | None


def _count_block(data: Data, codes: IntArray, g: int, names: Sequence[str],
                 rng: np.random.Generator, resamples: int, confidence: float) -> _Block:
    cat = 2 * data.y_true.astype(np.int64) + data.y_pred.astype(np.int64)
    counts = np.bincount(codes * 4 + cat, minlength=g * 4).reshape(g, 4)
    values = from_counts(counts, names)
    if resamples == 0:
        return _Block(values, None, None)
    sizes = counts.sum(axis=1)
    boot = rng.multinomial(sizes, counts / sizes[:, None], size=(resamples, g))
    low, high = _quantiles(from_counts(boot, names), confidence)
    return _Block(values, low, high)


def _row_block(data: Data, codes: IntArray, g: int, names: Sequence[str],
               rng: np.random.Generator, resamples: int, confidence: float) -> _Block:
    """AUC or regression metrics: per group, on row-count weight matrices."""
    m = len(names)
    values = np.full((g, m), np.nan)
    low, high = np.full((g, m), np.nan), np.full((g, m), np.nan)
    order = np.argsort(codes, kind="stable")
    bounds = np.r_[0, np.cumsum(np.bincount(codes, minlength=g))]
    for k in range(g):  # a loop over groups (few), never over rows
        metric = _row_metric(data, order[bounds[k]:bounds[k + 1]], names)
        values[k] = metric(np.ones((1, bounds[k + 1] - bounds[k]), dtype=np.int64))[0]
        if resamples:
            boot = np.concatenate([metric(w) for w in _weight_chunks(
                rng, int(bounds[k + 1] - bounds[k]), resamples)])
            low[k], high[k] = _quantiles(boot, confidence)
    return _Block(values, low if resamples else None, high if resamples else None)


def _row_metric(data: Data, rows: IntArray, names: Sequence[str],
                ) -> Callable[[IntArray], FloatArray]:
    """A function of row-count weights (B, len(rows)) -> metric values (B, M)."""
    if data.task == "regression":
        y = data.y_true[rows].astype(np.float64)
        pred = data.y_pred[rows].astype(np.float64)
        return lambda w: weighted_regression(w, y, pred, names)
    assert data.score is not None
    order, lo, hi = auc_layout(data.y_true[rows].astype(np.bool_), data.score[rows])
    del order  # weights are exchangeable: column j simply stands for the j-th row of the layout
    return lambda w: weighted_auc(w, lo, hi)[:, None]


def compute_block(data: Data, codes: IntArray, g: int, names: Sequence[str],
                  rng: np.random.Generator, resamples: int, confidence: float) -> _Block:
    """Values and intervals (G, M) of the named metrics, in the order given."""
    parts: dict[str, tuple[_Block, int]] = {}
    counts = [n for n in names if METRICS[n].kind == "counts"]
    rows = [n for n in names if METRICS[n].kind != "counts"]
    if counts:
        block = _count_block(data, codes, g, counts, rng, resamples, confidence)
        parts.update({n: (block, i) for i, n in enumerate(counts)})
    if rows:
        block = _row_block(data, codes, g, rows, rng, resamples, confidence)
        parts.update({n: (block, i) for i, n in enumerate(rows)})

    def column(attr: str) -> FloatArray:
        return np.stack([getattr(parts[n][0], attr)[:, parts[n][1]] for n in names], axis=1)

    if resamples == 0 or not names:
        return _Block(column("values") if names else np.zeros((g, 0)), None, None)
    return _Block(column("values"), column("low"), column("high"))


# --------------------------------------------------------------------------- entry point


def disaggregate(data: Data, metrics: Sequence[str], *, resamples: int = 1000,
                 seed: int = 0, confidence: float = 0.95) -> Disaggregation:
    """Every metric overall and for every group and intersection, with intervals."""
    features = list(data.sensitive)
    overall = _grouping_stats(data, (), metrics, np.random.default_rng([seed, 0]),
                              resamples, confidence)[0]
    groupings = tuple(
        Grouping(feats, tuple(_grouping_stats(data, feats, metrics,
                                              np.random.default_rng([seed, i + 1]),
                                              resamples, confidence)))
        for i, feats in enumerate(groupings_of(features)))
    return Disaggregation(tuple(metrics), overall, groupings, confidence, resamples)


def _grouping_stats(data: Data, features: Sequence[str], metrics: Sequence[str],
                    rng: np.random.Generator, resamples: int,
                    confidence: float) -> list[GroupStats]:
    codes, slices, sizes = group_codes(data, features)
    block = compute_block(data, codes, len(slices), metrics, rng, resamples, confidence)
    out = []
    for k, sl in enumerate(slices):
        values = {m: float(block.values[k, j]) for j, m in enumerate(metrics)}
        ci: dict[str, tuple[float, float]] = {}
        if block.low is not None and block.high is not None:
            for j, m in enumerate(metrics):
                lo, hi = float(block.low[k, j]), float(block.high[k, j])
                if np.isfinite(lo) and np.isfinite(hi):
                    ci[m] = (lo, hi)
        out.append(GroupStats(sl, int(sizes[k]), values, ci))
    return out


# --------------------------------------------------------------------------- threshold curves

THRESHOLDS: FloatArray = np.round(np.arange(1, 10) / 10.0, 1)


@dataclass(frozen=True)
class Curves:
    """Classification metrics of each group of one feature at several score thresholds."""

    feature: str
    metrics: tuple[str, ...]
    thresholds: FloatArray
    groups: tuple[Slice, ...]
    sizes: tuple[int, ...]
    values: FloatArray     # (T, G, M)
    overall: FloatArray    # (T, M)


def threshold_curves(data: Data, feature: str, metrics: Sequence[str],
                     thresholds: FloatArray = THRESHOLDS) -> Curves:
    """Predict positive when score >= t, for every t at once: one bincount."""
    assert data.score is not None
    codes, slices, sizes = group_codes(data, [feature])
    g, t = len(slices), thresholds.size
    cat = 2 * data.y_true.astype(np.int64)[None, :] + (data.score[None, :] >= thresholds[:, None])
    idx = (np.arange(t)[:, None] * g + codes[None, :]) * 4 + cat
    counts = np.bincount(idx.ravel(), minlength=t * g * 4).reshape(t, g, 4)
    return Curves(feature, tuple(metrics), thresholds, tuple(slices),
                  tuple(int(s) for s in sizes), from_counts(counts, metrics),
                  from_counts(counts.sum(axis=1), metrics))


def fmt(value: float | None, digits: int = 3) -> str:
    """A metric value for people: fixed decimals, 'n/a' when undefined."""
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value:.{digits}f}".replace("-", "−")
