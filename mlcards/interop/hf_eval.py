"""Hugging Face evaluation results <-> mlcards `evaluation.yaml`.

Both `model-index` (in the README front matter) and the newer per-file
`.eval_results/*.yaml` become one flat list of `HfResult`s. The first
result's dataset (type, config, split, task) is the evaluation's dataset and
its results are the overall ones; results on other datasets carry a slice
`{dataset, config?, split?, task?}` so nothing is merged by mistake. The
dataset's Hub id and config travel in `dataset.url`
(`https://huggingface.co/datasets/<id>[/viewer/<config>]`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from mlcards.interop.common import metric_name

HUB_DATASETS = "https://huggingface.co/datasets/"
HUB_URL = re.compile(r"^https://huggingface\.co/datasets/([\w.-]+(?:/[\w.-]+)?)"
                     r"(?:/viewer/([^/?#]+))?/?$")
HUB_ID = re.compile(r"^[\w.-]+(?:/[\w.-]+)?$")
DATASET_SLICE_KEYS = frozenset({"dataset", "config", "split", "task"})
LOWER_IS_BETTER = frozenset({"wer", "cer", "loss", "perplexity", "ppl", "mae", "mse", "rmse",
                             "ter", "log_loss", "logloss", "brier", "fid", "eer", "mer", "wil",
                             "error", "error_rate", "bpb", "bits_per_byte"})
PLUS_MINUS = re.compile(r"^\s*([-+]?\d*\.?\d+(?:[eE][-+]?\d+)?)\s*%?\s*(?:(?:±|\+/-|\+-)\s*"
                        r"(\d*\.?\d+(?:[eE][-+]?\d+)?)\s*%?)?\s*$")


@dataclass(frozen=True)
class HfResult:
    """One metric value on one (task, dataset) as Hugging Face cards give it."""

    dataset_type: str
    metric_type: str
    value: float
    task_type: str | None = None
    dataset_name: str | None = None
    dataset_config: str | None = None
    dataset_split: str | None = None
    metric_name: str | None = None
    metric_config: str | None = None
    ci: tuple[float, float] | None = None

    @property
    def group(self) -> tuple[str, str | None, str | None, str | None]:
        return (self.dataset_type, self.dataset_config, self.dataset_split, self.task_type)


def parse_value(value: Any) -> tuple[float, tuple[float, float] | None] | None:
    """A metric value: a number, '85.3', '85.3%' or '20.0 ± 1.2' (-> value and CI)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return (float(value), None) if math.isfinite(value) else None
    if not isinstance(value, str):
        return None
    match = PLUS_MINUS.match(value)
    if match is None:
        return None
    number = Decimal(match.group(1))
    if match.group(2) is None:
        return float(number), None
    spread = Decimal(match.group(2))
    return float(number), (float(number - spread), float(number + spread))


def hub_url(dataset_type: str, config: str | None, known: frozenset[str]) -> str | None:
    """The dataset's Hub page (with its config's viewer) when the type is a Hub id:
    namespaced ('org/name'), listed in the card's `datasets`, or given a config."""
    if not HUB_ID.match(dataset_type):
        return None
    if "/" not in dataset_type and dataset_type not in known and not config:
        return None
    return HUB_DATASETS + dataset_type + (f"/viewer/{config}" if config else "")


# --------------------------------------------------------------------------- import


def to_evaluation(results: list[HfResult], notes: list[str], date: Any | None,
                  hub_ids: frozenset[str] = frozenset()) -> tuple[dict[str, Any], list[str]]:
    """evaluation.yaml data from Hugging Face results, and what was done."""
    log: list[str] = []
    primary = results[0]
    metrics: dict[str, dict[str, Any]] = {}
    rows: list[dict[str, Any]] = []
    seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
    for r in results:
        slice_ = {} if r.group == primary.group else _dataset_slice(r, primary)
        name = _unique_name(metric_name(r.metric_type), r, slice_, seen, log)
        if name != r.metric_type and name not in metrics:
            log.append(f"metric type {r.metric_type!r} stored as metric {name!r}")
        metrics.setdefault(name, _definition(name, r))
        row: dict[str, Any] = {"metric": name, "slice": slice_, "value": r.value}
        if r.ci is not None:
            row["ci"] = r.ci
        rows.append(row)
    dataset = {"name": primary.dataset_name or primary.dataset_type,
               "split": primary.dataset_split,
               "url": hub_url(primary.dataset_type, primary.dataset_config, hub_ids)}
    for i, definition in enumerate(metrics.values()):
        definition["headline"] = i == 0
    evaluation = {"schema_version": 1, "date": date, "dataset": dataset,
                  "metrics": list(metrics.values()), "results": rows,
                  "notes": "\n".join(notes) if notes else None}
    return evaluation, log


def _dataset_slice(r: HfResult, primary: HfResult) -> dict[str, str]:
    slice_ = {"dataset": r.dataset_type}
    if r.dataset_config:
        slice_["config"] = r.dataset_config
    if r.dataset_split:
        slice_["split"] = r.dataset_split
    if r.task_type and r.task_type != primary.task_type:
        slice_["task"] = r.task_type
    return slice_


def _unique_name(name: str, r: HfResult, slice_: dict[str, str],
                 seen: set[tuple[str, tuple[tuple[str, str], ...]]], log: list[str]) -> str:
    """The metric name, suffixed when the same metric appears twice on one slice."""
    key = tuple(sorted(slice_.items()))
    candidate = name
    if (candidate, key) in seen and r.metric_config:
        candidate = metric_name(f"{name}.{r.metric_config}")
    n = 2
    while (candidate, key) in seen:
        candidate = f"{name}-{n}"
        n += 1
    if candidate != name:
        log.append(f"metric {name!r} appears twice on one dataset; the second is {candidate!r}")
    seen.add((candidate, key))
    return candidate


def _definition(name: str, r: HfResult) -> dict[str, Any]:
    base = r.metric_type.lower().split("/")[-1]
    return {"name": name, "description": r.metric_name or None,
            "higher_is_better": base not in LOWER_IS_BETTER}


# --------------------------------------------------------------------------- export


def from_evaluation(evaluation: dict[str, Any],
                    task: str | None) -> tuple[list[HfResult], list[dict[str, Any]]]:
    """(results model-index can carry, sliced results it cannot) of an evaluation."""
    dataset = evaluation["dataset"]
    hub = HUB_URL.match(dataset.get("url") or "")
    dtype = hub.group(1) if hub else _slug(dataset["name"])
    config = hub.group(2) if hub else None
    names = {m["name"]: m for m in evaluation.get("metrics", [])}
    carried: list[HfResult] = []
    others: list[dict[str, Any]] = []
    for row in evaluation.get("results", []):
        slice_ = row.get("slice") or {}
        if slice_ and ("dataset" not in slice_ or not set(slice_) <= DATASET_SLICE_KEYS):
            others.append(row)
            continue
        definition = names.get(row["metric"], {})
        pretty = _pretty(definition.get("description"))
        mtype = _hub_type(row["metric"], names)
        if slice_:
            carried.append(HfResult(
                slice_["dataset"], mtype, float(row["value"]),
                slice_.get("task", task), slice_["dataset"], slice_.get("config"),
                slice_.get("split"), pretty))
        else:
            carried.append(HfResult(dtype, mtype, float(row["value"]), task,
                                    dataset["name"], config, dataset.get("split"), pretty))
    return carried, others


def _hub_type(name: str, names: dict[str, Any]) -> str:
    """The Hub metric type of a metric: 'wer-2' (the import's name for a second 'wer' on
    one dataset, see _unique_name) is 'wer' again."""
    match = re.match(r"^(.+)-\d+$", name)
    return match.group(1) if match and match.group(1) in names else name


def _pretty(description: str | None) -> str | None:
    """A metric description short enough to serve as its display name."""
    if description and "\n" not in description and len(description) <= 60:
        return description
    return None


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9._-]+", "-", name.lower()).strip("-") or "dataset"


def model_index(model_name: str, results: list[HfResult]) -> list[dict[str, Any]]:
    """The `model-index` front matter entry for a list of results."""
    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    for r in results:
        key = (r.task_type, r.dataset_type, r.dataset_name, r.dataset_config, r.dataset_split)
        if key not in groups:
            dataset: dict[str, Any] = {"type": r.dataset_type,
                                       "name": r.dataset_name or r.dataset_type}
            if r.dataset_config:
                dataset["config"] = r.dataset_config
            if r.dataset_split:
                dataset["split"] = r.dataset_split
            groups[key] = {"task": {"type": r.task_type or "other"}, "dataset": dataset,
                           "metrics": []}
        metric: dict[str, Any] = {"type": r.metric_type, "value": r.value}
        if r.metric_name:
            metric["name"] = r.metric_name
        groups[key]["metrics"].append(metric)
    return [{"name": model_name, "results": list(groups.values())}]
