"""The located problem type shared by every stage, and its one-line format.

Every problem names a file, a line and column (1-based), a dotted field path
and a message saying what was expected, like pydantic's own errors.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Problem:
    """One located finding about the registry's input files."""

    file: str
    line: int
    column: int
    field: str
    message: str
    severity: Severity = "error"

    def format(self) -> str:
        """`path:line:column: field.path: message` (warnings are prefixed)."""
        where = f"{self.file}:{self.line}:{self.column}"
        prefix = "warning: " if self.severity == "warning" else ""
        field = self.field or "(file)"
        return f"{where}: {prefix}{field}: {self.message}"


class MlcardsError(Exception):
    """Base class for failures mlcards reports to the user without a traceback."""


class InvalidInput(MlcardsError):
    """Raised when a stage finds errors in the input; carries all of them."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sorted(problems)
        super().__init__(format_problems(self.problems))


def format_problems(problems: Iterable[Problem]) -> str:
    """All problems, one per line, in file/line order."""
    return "\n".join(p.format() for p in sorted(problems))


def display_path(path: Path) -> str:
    """The path relative to the working folder when it lies inside it, else absolute.

    Relative paths keep messages short, clickable in editors and CI logs, and
    identical across machines.
    """
    resolved = path.resolve()
    try:
        return resolved.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return resolved.as_posix()
