"""Registry configuration (`mlcards.yaml` at the registry root)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from mlcards.schema.common import Person, SchemaVersion, StrictModel, Url


class Policy(StrictModel):
    """What CI gates on."""

    min_readiness: float = Field(default=0.0, ge=0,
                                 description="Minimum ML Test Score for approved versions.")
    max_disparity: float | None = Field(
        default=None, ge=0,
        description="Largest allowed gap between a group's metric and overall.")
    disparity_metrics: list[str] = Field(
        default_factory=list, description="Metrics the disparity limit applies to (empty: all).")
    min_group_size: int = Field(default=30, ge=0,
                                description="Groups smaller than this are flagged as small.")
    required_sections: list[str] = Field(
        default_factory=list, description="Card sections that must be present.")
    fail_on_regression: bool = True
    regression_tolerance: float = Field(
        default=0.0, ge=0,
        description="A metric regresses only when it loses more than this (in metric units) "
                    "and lands outside the previous version's confidence interval.")
    gate_group_regressions: bool = Field(
        default=False,
        description="Also fail on per-group (slice) regressions, not only overall ones.")
    stale: Literal["warn", "fail"] = "warn"
    require_verified_automation: bool = Field(
        default=False,
        description="Approved versions fail `mlcards check` when a test claimed "
                    "`automated` is not verified by a passing, fresh JUnit report.")


class RegistryConfig(StrictModel):
    """The registry's title, owners and policy."""

    schema_version: SchemaVersion
    title: str
    description: str | None = None
    owners: list[Person] = Field(default_factory=list)
    repo_url: Url | None = Field(default=None, description="The registry's source repository.")
    site_url: Url | None = Field(default=None, description="Where the site is published.")
    policy: Policy = Field(default_factory=Policy)
    templates: str | None = Field(default=None,
                                  description="Folder of templates overriding the built-in ones.")
    custom_schema: str | None = Field(
        default=None, description="JSON Schema file that each card's `custom` must satisfy.")
    rubrics: list[str] = Field(default_factory=list,
                               description="Extra rubric files (same shape as the built-in one).")
