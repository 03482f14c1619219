"""Valid documents across builds: a file whose exact bytes validated before, without a
problem, comes back validated, unparsed (the "valid" reuse point of mlcards.validate.registry).

Evaluations are kept as a `StoredEvaluation`: the summary every build reads (dates,
predictions, metric names, headline results) and the evaluation itself as plain data,
rebuilt only when a build needs more than the summary.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from mlcards import timing
from mlcards.errors import InvalidInput, MlcardsError, Problem
from mlcards.incremental.cache import Cache, code_key, digest
from mlcards.incremental.codec import CodecError, decode, encode
from mlcards.load.yaml import MAX_FILE_BYTES
from mlcards.schema import Evaluation
from mlcards.validate.documents import SourceFile, read_document
from mlcards.validate.registry import EvaluationSummary

M = TypeVar("M", bound=BaseModel)
KIND = "valid"


@dataclass(frozen=True)
class StoredEvaluation:
    """A valid evaluation from the build cache: its summary, and the evaluation as
    plain data (rebuilt when a build needs more than the summary). `source` is the
    file it was validated from, read again if the stored data does not rebuild."""

    summary: EvaluationSummary
    data: bytes
    source: str = ""

    def load(self) -> Evaluation:
        try:
            value = decode(self.data)
        except CodecError:
            value = None
        if isinstance(value, Evaluation):
            return value
        src, again, problems = read_document(Path(self.source), Evaluation) \
            if self.source else (None, None, [])
        if again is None or src is None:
            raise InvalidInput(problems) if problems else MlcardsError(
                f"{self.source}: changed while the build read it; run the build again")
        return again


def read_document_reusing(cache: Cache, path: Path, model: type[M],
                          ) -> tuple[SourceFile | None, Any, list[Problem]]:
    """validate.read_document through the cache (stored only when it had no problem)."""
    raw = _small_file_bytes(path)
    if raw is None:
        return read_document(path, model)
    sha = hashlib.sha256(raw).hexdigest()
    key = valid_key(sha, model)
    stored = cache.get_object(KIND, key)
    if model is Evaluation and isinstance(stored, StoredEvaluation):
        timing.count("cached valid documents")
        return SourceFile(path, sha), replace(stored, source=str(path)), []
    if isinstance(stored, model):
        timing.count("cached valid documents")
        return SourceFile(path, sha), stored, []
    src, value, problems = read_document(path, model)
    if value is not None and src is not None and not problems and src.sha256 == sha:
        cache.put_object(KIND, key, _stored_form(value))
    return src, value, problems


def _stored_form(value: BaseModel) -> object:
    """What the valid-document cache keeps: evaluations with their summary apart."""
    if isinstance(value, Evaluation):
        return StoredEvaluation(EvaluationSummary.of(value), encode(value))
    return value


def valid_key(sha256: str, model: type[BaseModel]) -> str:
    """Where the valid-document cache keeps a file with this hash validated as `model`."""
    return digest(code_key(), KIND, model.__module__, model.__qualname__, sha256)


def _small_file_bytes(path: Path) -> bytes | None:
    """The file's bytes when it is readable and within the size limit, else None
    (reading it as usual then reports the problem)."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return None
        return path.read_bytes()
    except OSError:
        return None
