"""Evaluation outputs (`evaluation.yaml`): overall and per-slice results, or the
predictions file mlcards computes them from."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, model_validator

from mlcards.schema.common import Markdown, SchemaVersion, StrictModel, Text, Url


class EvalDataset(StrictModel):
    name: str
    split: str | None = None
    size: int | None = Field(default=None, ge=0)
    url: Url | None = None


class MetricDefinition(StrictModel):
    """What a metric measures and which direction is better."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    description: Markdown | None = None
    higher_is_better: bool | None = Field(
        default=True,
        description="Which direction is better; null when neither is (e.g. selection_rate): "
                    "its changes are shown but never counted as regressions or "
                    "improvements, and it takes no threshold.")
    threshold: float | None = Field(
        default=None, description="Minimum acceptable value (maximum if lower is better).")
    headline: bool = Field(default=False, description="Shown in tables and version lists.")

    @model_validator(mode="after")
    def _threshold_has_a_direction(self) -> MetricDefinition:
        if self.higher_is_better is None and self.threshold is not None:
            raise ValueError("a threshold needs a direction: set higher_is_better to true "
                             "or false, or remove the threshold")
        return self


class Result(StrictModel):
    """One metric value on one slice (empty slice = overall)."""

    metric: str
    slice: dict[str, Text] = Field(
        default_factory=dict,
        description="Feature -> value; empty for overall, several keys for an intersection.")
    value: float
    ci: tuple[float, float] | None = Field(
        default=None, description="Confidence interval [low, high].")
    n: int | None = Field(default=None, ge=0, description="Sample count of the slice.")

    @model_validator(mode="after")
    def _ci_ordered(self) -> Result:
        if self.ci is not None and self.ci[0] > self.ci[1]:
            raise ValueError("ci must be [low, high] with low <= high")
        return self


class Predictions(StrictModel):
    """A CSV of predictions (path relative to the version folder) to compute results from."""

    path: str
    task: Literal["binary-classification", "regression"] = "binary-classification"
    label: str
    prediction: str
    score: str | None = None
    sensitive: list[str] = Field(min_length=1)
    metrics: list[str] = Field(default_factory=list,
                               description="Metric names; empty = the task's defaults.")
    bootstrap: int = Field(default=1000, ge=0)
    seed: int = 0
    confidence: float = Field(default=0.95, gt=0, lt=1)
    reference_groups: dict[str, Text] = Field(default_factory=dict)
    positive_label: Text = "1"


class Evaluation(StrictModel):
    """Evaluation results of one model version."""

    schema_version: SchemaVersion
    date: dt.date | None = None
    dataset: EvalDataset
    metrics: list[MetricDefinition] = Field(default_factory=list)
    results: list[Result] = Field(default_factory=list)
    predictions: Predictions | None = None
    notes: Markdown | None = None

    @model_validator(mode="after")
    def _has_results_or_predictions(self) -> Evaluation:
        if not self.results and self.predictions is None:
            raise ValueError("give `results`, or `predictions` to compute them from")
        return self
