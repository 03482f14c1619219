"""The one type every producing stage hands to `assemble`: a file of the docs tree."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OutputFile:
    """A file to place in the generated docs tree (path is posix, relative to docs/)."""

    path: str
    content: bytes

    @classmethod
    def text(cls, path: str, text: str) -> OutputFile:
        return cls(path, text.encode("utf-8"))
