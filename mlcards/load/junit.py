"""Stage 1 (load), JUnit XML: a CI test report -> its test cases, or a located Problem.

JUnit XML is what pytest (`--junitxml`), Maven Surefire, Jest (jest-junit) and Go's
gotestsum write: `testsuites > testsuite > testcase`, a case holding `failure`,
`error` or `skipped` when it did not pass. Suites may nest (Surefire, Jest).

The report is untrusted input. It is parsed with defusedxml: entity declarations
(the billion-laughs bomb, external entities) and external references are refused,
files over MAX_FILE_BYTES are refused unread, and every refusal names the file,
line and column.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from defusedxml import (
    DefusedXmlException,
    DTDForbidden,
    EntitiesForbidden,
    ExternalReferenceForbidden,
)
from defusedxml.ElementTree import DefusedXMLParser

from mlcards.errors import Problem, display_path

MAX_FILE_BYTES = 20 * 1024 * 1024
"""The largest report read (a CI run of some 100 000 test cases)."""

Outcome = Literal["passed", "failed", "error", "skipped"]


@dataclass(frozen=True)
class JunitCase:
    """One test case of a report."""

    classname: str
    name: str
    outcome: Outcome
    message: str
    """The failure's, error's or skip's message (its text when it has no message)."""
    file: str = ""
    """The `file` attribute some writers add (pytest's xunit1 family, Jest)."""


@dataclass(frozen=True)
class JunitReport:
    """The test cases of one report and when it ran."""

    cases: tuple[JunitCase, ...]
    timestamp: dt.datetime | None
    """The earliest `timestamp` of its suites (when the run started); None if none."""


class JunitError(Exception):
    """A report that cannot be read; carries its located Problem."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(problem.format())


def read_junit(path: Path, field: str = "") -> JunitReport:
    """Parse the report at `path`; JunitError (located in the report) when it is not a
    readable, safe JUnit XML file. `field` names what the Problem is about."""
    name = display_path(path)

    def fail(line: int, column: int, message: str) -> JunitError:
        return JunitError(Problem(name, line, column, field, message))

    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise fail(1, 1, f"JUnit report is {size} bytes; the limit is {MAX_FILE_BYTES} "
                             "bytes")
        data = path.read_bytes()
    except OSError as exc:
        raise fail(1, 1, f"cannot read the JUnit report: {exc.strerror or exc}") from exc
    return parse_junit(data, name, field)


def parse_junit(data: bytes, name: str, field: str = "") -> JunitReport:
    """Parse JUnit XML bytes (`name` is the file shown in problems)."""
    parser = DefusedXMLParser(forbid_dtd=False, forbid_entities=True, forbid_external=True)
    try:
        parser.feed(data)
        root = parser.close()
    except (DefusedXmlException, ET.ParseError) as exc:
        line, column = _position(parser, exc, data)
        raise JunitError(Problem(name, line, column, field, _refusal(exc))) from exc
    if root.tag not in ("testsuites", "testsuite"):
        raise JunitError(Problem(name, 1, 1, field, f"expected a JUnit XML report (root "
                                 f"element <testsuites> or <testsuite>), found <{root.tag}>"))
    suites = [root] if root.tag == "testsuite" else []
    suites += list(root.iter("testsuite")) if root.tag == "testsuites" else \
        [s for s in root.iter("testsuite") if s is not root]
    stamps = [t for s in suites if (t := _timestamp(s.get("timestamp"))) is not None]
    cases = tuple(_case(c) for c in root.iter("testcase"))
    return JunitReport(cases, min(stamps, key=_sort_key) if stamps else None)


def _position(parser: DefusedXMLParser, exc: Exception, data: bytes) -> tuple[int, int]:
    """1-based line and column: of the refused entity's declaration, else where expat
    stopped."""
    if isinstance(exc, EntitiesForbidden) and exc.name:
        found = re.search(rb"<!ENTITY\s+(?:%\s+)?" + re.escape(exc.name.encode()) + rb"\b",
                          data)
        if found is not None:
            before = data[:found.start()]
            return before.count(b"\n") + 1, found.start() - (before.rfind(b"\n") + 1) + 1
    position = getattr(exc, "position", None)
    if isinstance(position, tuple) and len(position) == 2:
        return int(position[0]), int(position[1]) + 1
    expat = parser.parser
    return int(expat.CurrentLineNumber), int(expat.CurrentColumnNumber) + 1


def _refusal(exc: Exception) -> str:
    if isinstance(exc, EntitiesForbidden):
        what = f"external entity {exc.name!r} ({exc.sysid})" if exc.sysid else \
            f"entity {exc.name!r}"
        return (f"XML entity declarations are refused ({what}): a JUnit report needs none, "
                "and they allow entity-expansion bombs and reading other files")
    if isinstance(exc, ExternalReferenceForbidden):
        return f"external reference {exc.sysid!r} is refused: a JUnit report needs none"
    if isinstance(exc, DTDForbidden):
        return "XML document type declarations are refused: a JUnit report needs none"
    if isinstance(exc, ET.ParseError):
        text = str(exc).split(": line ")[0]
        return f"not well-formed XML: {text}; expected a JUnit XML report"
    return f"refused XML: {exc}"


def _case(el: ET.Element) -> JunitCase:
    outcome: Outcome = "passed"
    message = ""
    for tag, kind in (("error", "error"), ("failure", "failed"), ("skipped", "skipped")):
        found = el.find(tag)
        if found is not None:
            outcome = kind  # type: ignore[assignment]
            message = found.get("message") or (found.text or "").strip()
            break
    return JunitCase(el.get("classname", ""), el.get("name", ""), outcome,
                     " ".join(message.split())[:500], el.get("file", ""))


def _timestamp(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None


def _sort_key(t: dt.datetime) -> dt.datetime:
    """Naive times (most writers omit the zone) compare as UTC."""
    return t if t.tzinfo is not None else t.replace(tzinfo=dt.UTC)
