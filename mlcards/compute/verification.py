"""Stage 3 (compute), verified automation: an `automated` claim checked against the CI
test report (JUnit XML) that ran it.

The ML Test Score gives the full point only to tests that run automatically and
repeatedly; the evidence is the report of the run. For a test claimed `automated`:

- `verified` (1 point): the report's cases matching `cases` all passed (skipped ones
  aside, at least one passed) and the run is at most `max_age_days` old;
- `failed` (0): a matching case failed or errored;
- `unverified` (0.5, as manual): the report is missing or unreadable, no case
  matches, every matching case was skipped, or the run is too old (or has no
  timestamp while `max_age_days` is set);
- `self-declared` (1, as before): no report is named; `policy.require_verified_automation`
  makes `mlcards check` fail approved versions with such claims.

Age is judged against an as-of date: the assessment date for scores and scorecards
(so they are reproducible), `mlcards check --as-of` for the gate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Literal

from mlcards.compute.provenance import sha256_file
from mlcards.load.junit import JunitCase, JunitError, read_junit
from mlcards.schema.readiness import Readiness, TestAssessment, TestStatus

VerifiedState = Literal["verified", "failed", "unverified", "self-declared"]
STATE_POINTS: dict[VerifiedState, float] = {"verified": 1.0, "failed": 0.0, "unverified": 0.5,
                                            "self-declared": 1.0}
STATE_LABELS: dict[VerifiedState, str] = {
    "verified": "verified", "failed": "failed", "unverified": "not verified",
    "self-declared": "self-declared"}


@dataclass(frozen=True)
class CaseFailure:
    case: str
    """`classname::name` (or `name` when the case has no class name)."""
    outcome: str
    message: str


@dataclass(frozen=True)
class Verification:
    """What the JUnit report says about one `automated` claim."""

    state: VerifiedState
    reason: str
    report: str | None = None
    """The report's path, relative to the registry root."""
    sha256: str | None = None
    timestamp: str | None = None
    """When the run started, as the report gives it (ISO 8601)."""
    passed: int = 0
    failed: int = 0
    """Matching cases that failed or errored."""
    skipped: int = 0
    failures: tuple[CaseFailure, ...] = ()

    @property
    def points(self) -> float:
        return STATE_POINTS[self.state]


def report_path(root: Path, rel: str) -> Path:
    """Where a `junit` path points: relative to the registry root (validation confines it)."""
    return (root / rel).resolve()


def case_id(case: JunitCase) -> str:
    return f"{case.classname}::{case.name}" if case.classname else case.name


def case_names(case: JunitCase) -> list[str]:
    """The names a `cases` pattern is matched against: name, classname::name,
    classname.name, file::name and pytest node ids (tests.test_x.TestY ->
    tests/test_x.py::TestY::name)."""
    names = [case.name, case_id(case)]
    if case.classname:
        names.append(f"{case.classname}.{case.name}")
        parts = case.classname.split(".")
        for k in range(1, len(parts) + 1):
            names.append("::".join(["/".join(parts[:k]) + ".py", *parts[k:], case.name]))
    if case.file:
        names.append(f"{case.file}::{case.name}")
    return names


def matches(case: JunitCase, patterns: Sequence[str]) -> bool:
    if not patterns:
        return True
    names = case_names(case)
    return any(fnmatchcase(n, p) for p in patterns for n in names)


def verify_claim(root: Path, a: TestAssessment, as_of: dt.date) -> Verification | None:
    """The verification of one assessment (None: it does not claim `automated`)."""
    if a.status != "automated":
        return None
    if a.junit is None:
        return Verification("self-declared", "no JUnit report names this test: the claim is "
                            "not checked")
    path = report_path(root, a.junit)
    base = root.resolve()
    if not path.is_relative_to(base):
        return Verification("unverified", f"report {a.junit!r} leaves the registry folder")
    rel = path.relative_to(base).as_posix()
    if not path.is_file():
        return Verification("unverified", f"report {rel} is missing: counted as manual",
                            rel)
    sha = sha256_file(path)
    try:
        report = read_junit(path)
    except JunitError as exc:
        return Verification("unverified", exc.problem.message, rel, sha)
    stamp = report.timestamp.isoformat() if report.timestamp else None
    found = [c for c in report.cases if matches(c, a.cases)]
    bad = [c for c in found if c.outcome in ("failed", "error")]
    passed = sum(c.outcome == "passed" for c in found)
    skipped = sum(c.outcome == "skipped" for c in found)
    failures = tuple(CaseFailure(case_id(c), c.outcome, c.message) for c in bad)

    def result(state: VerifiedState, reason: str) -> Verification:
        return Verification(state, reason, rel, sha, stamp, passed, len(bad), skipped, failures)

    pattern_text = ", ".join(a.cases) if a.cases else "any case"
    if bad:
        first = failures[0]
        more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
        return result("failed", f"{first.case} {first.outcome}"
                      f"{': ' + first.message if first.message else ''}{more}")
    if not found:
        return result("unverified", f"no case of the report matches {pattern_text}: "
                      "counted as manual")
    if passed == 0:
        return result("unverified", f"every matching case ({skipped}) was skipped: counted "
                      "as manual")
    if a.max_age_days is not None:
        if report.timestamp is None:
            return result("unverified", "the report has no timestamp, so its age "
                          f"(max_age_days {a.max_age_days}) cannot be checked: counted as "
                          "manual")
        age = (as_of - report.timestamp.date()).days
        if age > a.max_age_days:
            return result("unverified", f"the run of {report.timestamp.date()} is {age} days "
                          f"old on {as_of}, more than max_age_days {a.max_age_days}: "
                          "counted as manual")
    return result("verified", f"{passed} matching case(s) passed"
                  + (f", {skipped} skipped" if skipped else ""))


def verify_claims(root: Path, readiness: Readiness, as_of: dt.date | None = None,
                  ) -> dict[str, Verification]:
    """Test id -> verification of every `automated` claim (as of the assessment date
    unless `as_of` is given)."""
    when = as_of or readiness.date
    out = {}
    for test_id, a in readiness.tests.items():
        v = verify_claim(root, a, when)
        if v is not None:
            out[test_id] = v
    return out


def points_for(status: TestStatus, verification: Verification | None, table: dict[TestStatus,
               float]) -> float:
    """A test's points: its claim's, unless a verification says otherwise."""
    return verification.points if verification is not None else table[status]


def report_files(root: Path, readiness: Readiness) -> list[Path]:
    """The JUnit reports an assessment names that exist (scorecard inputs)."""
    paths = [report_path(root, a.junit) for a in readiness.tests.values() if a.junit]
    base = root.resolve()
    return [p for p in paths if p.is_relative_to(base) and p.is_file()]
