"""Parsed YAML from the build cache, and parsing many files at once on every core.

Parsing is the costly part of loading (PyYAML builds Python objects node by
node, even with the C parser); pydantic validation is cheap. So `cached_parse`
keeps each file's parsed data and its load-time problems under the SHA-256 of
its text, its displayed name and mlcards' code key, and a warm `mlcards
validate` or build parses only the files that changed. `prefetch` parses the
files a registry will load in worker processes first (cold runs).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from hashlib import sha256
from pathlib import Path
from typing import Any

from mlcards.errors import Problem
from mlcards.incremental.cache import Cache, active_cache, code_key, digest, settings
from mlcards.incremental.codec import CodecError, decode, encode
from mlcards.load.yaml import LoadedYaml, YamlError, load_yaml_file, parse_yaml

KIND = "yaml"
SAMPLE = 64
"""Files checked before deciding whether a prefetch is worth a full scan."""
_PARSED: dict[str, bytes] = {}
"""Entries parsed by `prefetch` when no cache folder is in use: key -> encoded entry."""


def _key(text: str, path: Path) -> str:
    """Problems name the file as display_path shows it (relative to the working
    folder), so the key holds the file's absolute path and the working folder."""
    return digest(code_key(), KIND, os.path.abspath(path), os.getcwd(), text.encode("utf-8"))


def _entry(doc: LoadedYaml) -> bytes:
    return encode((doc.data, doc.problems))


def _parsed(stored: bytes) -> tuple[Any, list[Problem]] | None:
    """(data, problems) of an entry, or None when it is not one."""
    try:
        value = decode(stored)
    except CodecError:
        return None
    if not (isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], list)
            and all(isinstance(p, Problem) for p in value[1])):
        return None
    return value[0], value[1]


def cached_parse(text: str, path: Path) -> LoadedYaml:
    """parse_yaml(text, path), from the cache when this exact text was parsed before."""
    cache = active_cache()
    if cache is None and not _PARSED:
        return parse_yaml(text, path)
    key = _key(text, path)
    stored = _PARSED.pop(key, None)
    if stored is None and cache is not None:
        stored = cache.get(KIND, key)
    entry = _parsed(stored) if stored is not None else None
    if entry is not None:  # an unreadable entry is parsed again
        return LoadedYaml(path, entry[0], text, entry[1])
    doc = parse_yaml(text, path)
    if cache is not None:
        cache.put(KIND, key, _entry(doc))
    return doc


# --------------------------------------------------------------------------- prefetch


def registry_files(root: Path) -> list[Path]:
    """The YAML files a registry load reads (config and every version's files)."""
    return [root / "mlcards.yaml", *sorted(root.glob("models/*/*/*.yaml"))]


def _parse_one(path: Path) -> tuple[str, bytes] | None:
    """In a worker: parse one file (load_yaml_file stores it in the cache folder, if
    any); without a cache folder, return (key, entry) for the parent to keep."""
    try:
        doc = load_yaml_file(path)
    except (YamlError, OSError, RecursionError):
        return None  # loading it again in the parent reports the problem
    return None if active_cache() is not None else (_key(doc.text, path), _entry(doc))


def _missing(paths: list[Path], cache: Cache | None) -> list[Path]:
    """The files a load would parse: neither parsed nor validated in the cache (a
    validated entry does not depend on the working folder; a parsed one does)."""
    if cache is None:
        return paths
    from mlcards.incremental.documents import valid_key
    from mlcards.validate.registry import VALIDATED_FILES

    out = []
    for path in paths:
        try:
            raw = path.read_bytes()
            text = raw.decode("utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        model = VALIDATED_FILES.get(path.name)
        if model is not None and cache.has("valid", valid_key(sha256(raw).hexdigest(), model)):
            continue
        if not os.path.isfile(cache.location(KIND, _key(text, path))):
            out.append(path)
    return out


def prefetch(root: Path, workers: int | None = None) -> int:
    """Parse the registry's uncached files in `workers` processes; return how many."""
    workers = settings().workers if workers is None else workers
    cache = active_cache()
    if workers <= 1 or sys.platform == "win32" or not root.is_dir():
        return 0
    files = registry_files(root)
    sample = files[:: max(1, len(files) // SAMPLE)]
    if cache is not None and not _missing(sample, cache):
        return 0  # a warm cache: the few changed files are parsed during the load
    todo = _missing(files, cache)
    if len(todo) < 4 * workers:
        return 0  # not worth starting processes
    chunk = max(1, min(64, len(todo) // (workers * 8)))
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        results: list[Any] = pool.map(_parse_one, todo, chunk)
    for result in results:
        if result is None:
            continue
        key, entry = result
        _PARSED[key] = entry
    return len(todo)


def forget() -> None:
    """Drop prefetched entries not used by a load (e.g. after an error)."""
    _PARSED.clear()
