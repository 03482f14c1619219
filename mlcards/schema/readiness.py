"""ML Test Score self-assessment (`readiness.yaml`)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from mlcards.schema.common import Markdown, Person, SchemaVersion, StrictModel, Text, Url

TestStatus = Literal["not-done", "manual", "automated"]


class Evidence(StrictModel):
    """A link or a registry file that shows a test was run."""

    kind: str = Field(default="link", description="e.g. ci-run, report, dashboard, notebook.")
    url: Url | None = None
    path: str | None = Field(default=None,
                             description="A file inside the registry (hashed in scorecards).")
    title: str | None = None


class TestAssessment(StrictModel):
    """The state of one rubric test for this model version."""

    status: TestStatus = "not-done"
    evidence: list[Evidence] = Field(default_factory=list)
    note: Markdown | None = None
    owner: str | None = None
    last_run: dt.date | None = None
    schedule: str | None = Field(default=None, description="e.g. every commit, nightly.")
    not_applicable: Markdown | None = Field(
        default=None, description="Why the test does not apply (it still scores 0).")
    junit: str | None = Field(
        default=None,
        description="JUnit XML report of the CI run that ran this test, relative to the "
                    "registry root. It verifies an `automated` claim: every matching case "
                    "passed (and the report is fresh) scores 1, a failed case 0, no "
                    "matching case, a missing or stale report 0.5 (as manual).")
    cases: list[str] = Field(
        default_factory=list,
        description="Glob patterns for the report's cases that run this test, matched "
                    "against `classname::name`, `name` and the pytest node id "
                    "(`tests/test_x.py::test_y`); empty: every case of the report.")
    max_age_days: int | None = Field(
        default=None, ge=0,
        description="The report's run may be at most this many days older than the "
                    "assessment date (or `mlcards check --as-of`).")


class Readiness(StrictModel):
    """A readiness self-assessment against a rubric (ML Test Score by default)."""

    schema_version: SchemaVersion
    rubric: str = Field(default="ml-test-score", description="Rubric id.")
    assessor: Person
    approver: Person | None = None
    date: dt.date
    next_review: dt.date | None = None
    supersedes: Text | None = Field(default=None,
                                    description="Version whose assessment this replaces.")
    tests: dict[str, TestAssessment] = Field(
        default_factory=dict, description="Test id (e.g. data-1) -> assessment.")
