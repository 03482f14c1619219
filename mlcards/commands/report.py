"""Reports of `mlcards check` that CI systems read natively.

- `junit_xml(cases)`: JUnit XML (testsuites > testsuite > testcase > failure), one
  test case per model version and policy rule, one test suite per model version,
  so GitLab, Jenkins, Azure and GitHub test-report actions list failing rules.
- `github_annotations(cases)`: GitHub Actions workflow commands
  (`::error file=...,line=...,col=...,title=...::message`), so each finding is
  shown on the file and line it is about.

Both are deterministic: no clock time (every `time` is 0), suites sorted by name,
test cases in the order the check evaluated them.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from mlcards.compute.gate import Finding
    from mlcards.compute.gate import Outcome as CheckOutcome

Outcome = Literal["passed", "failed", "error", "skipped"]
Level = Literal["error", "warning", "notice"]
OUTCOMES: tuple[Outcome, ...] = ("passed", "failed", "error", "skipped")

# Characters XML 1.0 cannot carry at all, even escaped.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class Note:
    """One located finding inside a test case."""

    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    level: Level = "error"
    field: str = ""
    rule: str = ""

    def location(self) -> str:
        """`file:line:column` (as much of it as is known), or ''."""
        if not self.file:
            return ""
        parts = [self.file, *(str(n) for n in (self.line, self.column) if n)]
        return ":".join(parts)

    def format(self) -> str:
        """`file:line:column: field: message [rule]`, like the validator's problems."""
        head = [p for p in (self.location(), self.field) if p]
        prefix = "warning: " if self.level == "warning" else ""
        rule = f" [{self.rule}]" if self.rule else ""
        return ": ".join([*head, prefix + self.message + rule])


@dataclass(frozen=True)
class Case:
    """The result of one policy rule on one model version (or on the registry)."""

    suite: str
    name: str
    outcome: Outcome = "passed"
    notes: tuple[Note, ...] = ()
    reason: str = ""

    @property
    def summary(self) -> str:
        """The message of the first finding that decided the outcome."""
        wanted: Level = "error" if self.outcome in ("failed", "error") else "warning"
        decisive = [n for n in self.notes if n.level == wanted] or list(self.notes)
        if not decisive:
            return self.reason or self.outcome
        more = len(decisive) - 1
        return decisive[0].message + (f" (and {more} more)" if more > 0 else "")


def counts(cases: Iterable[Case]) -> dict[Outcome, int]:
    """How many cases have each outcome."""
    out: dict[Outcome, int] = dict.fromkeys(OUTCOMES, 0)
    for case in cases:
        out[case.outcome] += 1
    return out


# --------------------------------------------------------------------------- JUnit XML


def _xml_text(text: str) -> str:
    return _XML_INVALID.sub("\ufffd", text)


def _set_counts(elem: ET.Element, cases: Sequence[Case]) -> None:
    c = counts(cases)
    elem.set("tests", str(len(cases)))
    elem.set("failures", str(c["failed"]))
    elem.set("errors", str(c["error"]))
    elem.set("skipped", str(c["skipped"]))
    elem.set("time", "0")


def _testcase(parent: ET.Element, case: Case) -> None:
    elem = ET.SubElement(parent, "testcase", classname=_xml_text(case.suite),
                         name=_xml_text(case.name), time="0")
    located = next((n for n in case.notes if n.file), None)
    if located is not None and located.file:
        elem.set("file", _xml_text(located.file))
        if located.line:
            elem.set("line", str(located.line))
    body = "\n".join(n.format() for n in case.notes)
    if case.outcome in ("failed", "error"):
        tag = "failure" if case.outcome == "failed" else "error"
        child = ET.SubElement(elem, tag, message=_xml_text(case.summary),
                              type=_xml_text(case.name))
        child.text = _xml_text(body) if body else None
    elif case.outcome == "skipped":
        ET.SubElement(elem, "skipped", message=_xml_text(case.reason or case.summary))
    if body and case.outcome in ("passed", "skipped"):  # keep warnings and notes visible
        ET.SubElement(elem, "system-out").text = _xml_text(body)


def junit_xml(cases: Sequence[Case], name: str = "mlcards check") -> bytes:
    """The JUnit XML report: one testsuite per suite name, sorted; UTF-8 bytes."""
    root = ET.Element("testsuites", name=_xml_text(name))
    _set_counts(root, cases)
    suites: dict[str, list[Case]] = {}
    for case in cases:
        suites.setdefault(case.suite, []).append(case)
    for suite_name in sorted(suites):
        members = suites[suite_name]
        suite = ET.SubElement(root, "testsuite", name=_xml_text(suite_name))
        _set_counts(suite, members)
        for case in members:
            _testcase(suite, case)
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n").encode("utf-8")


# --------------------------------------------------------------------------- GitHub


def escape_data(text: str) -> str:
    """Escape a workflow command's message (GitHub's rules: %, CR, LF)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow command's property value (also ':' and ',')."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(note: Note, title: str) -> str:
    """One `::error file=...,line=...,col=...,title=...::message` line."""
    props: list[tuple[str, str]] = []
    if note.file:
        props.append(("file", note.file))
        if note.line:
            props.append(("line", str(note.line)))
        if note.column:
            props.append(("col", str(note.column)))
    props.append(("title", title))
    joined = ",".join(f"{k}={escape_property(v)}" for k, v in props)
    message = f"{note.field}: {note.message}" if note.field else note.message
    return f"::{note.level} {joined}::{escape_data(message)}"


def github_annotations(cases: Sequence[Case]) -> str:
    """Workflow commands for every finding, then a plain summary line."""
    lines: list[str] = []
    for case in cases:
        notes = case.notes
        if case.outcome in ("failed", "error") and not any(n.level == "error" for n in notes):
            notes = (*notes, Note(case.summary))
        for note in notes:
            lines.append(annotation(note, f"{note.rule or case.name} ({case.suite})"))
    c = counts(cases)
    lines.append(f"mlcards check: {len(cases)} checks, {c['passed']} passed, "
                 f"{c['failed']} failed, {c['error']} errors, {c['skipped']} skipped")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- from `mlcards check`

REGISTRY_SUITE = "registry"
INPUT_CASE = "valid-input"
NOTE_LEVELS: dict[str, Level] = {"error": "error", "warning": "warning", "info": "notice"}


def rule_name(func_name: str) -> str:
    """A rule function's name as a test case name: readiness_minimum -> readiness-minimum."""
    return func_name.strip("_").replace("_", "-")


def note_of(finding: Finding) -> Note:
    return Note(finding.message, finding.file or None, finding.line or None,
                finding.column or None, NOTE_LEVELS.get(finding.severity, "notice"),
                rule=finding.rule)


def _case(suite: str, name: str, findings: Sequence[Finding], status: str | None) -> Case:
    """The case of one rule on one version (`status` its card's; None: the registry),
    decided by gate.rule_outcome, as the version's card page shows it."""
    from mlcards.compute.gate import GATED_STATUSES, rule_outcome

    notes = tuple(note_of(f) for f in findings)
    outcome = rule_outcome(findings, GATED_STATUSES[0] if status is None else status)
    if outcome == "fail":
        return Case(suite, name, "failed", notes)
    if outcome == "not gated":
        return Case(suite, name, "skipped", notes, reason=f"not gated: status {status}")
    return Case(suite, name, "passed", notes)


def cases_from_check(outcome: CheckOutcome) -> list[Case]:
    """One case for the registry's input, then one per model version and policy rule.

    Rules that find nothing on an approved version pass; on a version that is not
    gated (draft, in review, deprecated, retired) they are skipped, with whatever
    the rule reported about it as notes. Any error finding fails its case.
    """
    given = [f for f in outcome.findings if not f.model and f.rule.startswith("input.")]
    cases = [_case(REGISTRY_SUITE, INPUT_CASE, given, None)]
    cc = outcome.context
    if cc is None:
        return cases
    for func_name, findings in cc.by_rule.items():
        registry_wide = [f for f in findings if not f.model]
        if registry_wide:
            cases.append(_case(REGISTRY_SUITE, rule_name(func_name), registry_wide, None))
    for mv in cc.registry.versions():
        for func_name, findings in cc.by_rule.items():
            mine = [f for f in findings if f.model == mv.key]
            cases.append(_case(mv.key, rule_name(func_name), mine, mv.card.status))
    return cases


def junit_report(outcome: CheckOutcome) -> str:
    """`mlcards check --format junit`."""
    return junit_xml(cases_from_check(outcome)).decode("utf-8")


def github_report(outcome: CheckOutcome) -> str:
    """`mlcards check --format github`."""
    return github_annotations(cases_from_check(outcome))
