"""Provenance of downloads: input hashes, canonical JSON, versions, source revision.

Canonical JSON is the RFC 8785 (JCS) form for the values mlcards writes: keys
sorted, no whitespace, UTF-8, integral numbers without a fraction (1.0 -> 1).
A document's own hash is the SHA-256 of its canonical JSON computed with its
`sha256` field absent, so anyone can re-check it with a few lines of code:

    doc = json.load(f); claimed = doc.pop("sha256")
    canon = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    hashlib.sha256(canon.encode()).hexdigest() == claimed   # after 1.0 -> 1

No clock is read: the same inputs give the same provenance.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from mlcards import __version__

HASH_FIELD = "sha256"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def normalize(value: Any) -> Any:
    """Integral floats become ints (JCS number form); containers recursively."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {str(k): normalize(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [normalize(v) for v in value]
    return value


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8, normalized numbers."""
    text = json.dumps(normalize(value), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False, allow_nan=False)
    return text.encode("utf-8")


def self_hash(doc: dict[str, Any]) -> str:
    """SHA-256 of the document's canonical JSON without its own `sha256` field."""
    return sha256_bytes(canonical_json({k: v for k, v in doc.items() if k != HASH_FIELD}))


def seal(doc: dict[str, Any]) -> dict[str, Any]:
    """The document with `sha256` set to its own canonical hash."""
    body = normalize({k: v for k, v in doc.items() if k != HASH_FIELD})
    return {**body, HASH_FIELD: self_hash(body)}


def pretty_json(doc: dict[str, Any]) -> bytes:
    """The file form: canonical content, indented for people, final newline."""
    text = json.dumps(normalize(doc), sort_keys=True, indent=2, ensure_ascii=False,
                      allow_nan=False)
    return (text + "\n").encode("utf-8")


def relative_path(root: Path, path: Path) -> str:
    """A registry file's path relative to the registry root, posix style."""
    return path.resolve().relative_to(root.resolve()).as_posix()


@dataclass(frozen=True)
class InputFile:
    path: str
    sha256: str


def input_files(root: Path, paths: list[Path]) -> list[InputFile]:
    """Hashes of the given registry files, sorted by path, duplicates dropped."""
    unique = {relative_path(root, p): p for p in paths}
    return [InputFile(rel, sha256_file(unique[rel])) for rel in sorted(unique)]


def mlcards_version() -> str:
    return __version__


@cache
def git_revision(root: Path) -> str | None:
    """`git rev-parse HEAD` of the checkout holding `root`, or None (no git, no repo)."""
    try:
        result = subprocess.run(["git", "-C", str(root), "rev-parse", "--verify", "-q", "HEAD"],
                                capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    revision = result.stdout.strip()
    return revision if result.returncode == 0 and revision else None


def source_revision(root: Path, given: str | None) -> str | None:
    """The revision to record: the one given (--revision), else git's HEAD, else None."""
    return given if given else git_revision(root.resolve())
