"""The one type every producing stage hands to `assemble`: a file of the docs tree."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class OutputFile:
    """A file to place in the generated docs tree (path is posix, relative to docs/)."""

    path: str
    content: bytes

    made_later = False
    """True for files whose bytes are made (and their page titles set) elsewhere, after
    every producer ran (see mlcards.reuse)."""

    @classmethod
    def text(cls, path: str, text: str) -> OutputFile:
        return cls(path, text.encode("utf-8"))

    def write_to(self, target: Path, folders: set[str], *, link: bool = False) -> None:
        """Write the file at `target` (`folders`: parent folders made so far, to skip
        mkdir). `link=True` allows a hard link where the bytes already are on disk:
        only for a tree that is read and thrown away (MkDocs' input), never for one
        handed to the user, whose edits would then change the original."""
        parent = os.path.dirname(target)
        if parent not in folders:
            os.makedirs(parent, exist_ok=True)
            folders.add(parent)
        if link and self.link_to(os.fspath(target)):
            return
        with open(target, "wb") as fh:
            fh.write(self.content)

    def sha256(self) -> str:
        """SHA-256 (hex) of the file's bytes."""
        return hashlib.sha256(self.content).hexdigest()

    def link_to(self, target: str) -> bool:
        """Hard-link the file's bytes at `target`; False when they are not on disk."""
        return False
