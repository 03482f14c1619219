"""Deferred outputs: files whose bytes are made after every producer ran, in a
process pool and through the build cache.

A producer that makes costly files (plots, PDFs, rendered pages) returns
`defer(kind, key, paths, make)` instead of OutputFiles: the paths are known at
once (so later producers can link to them), the bytes later. `resolve` (called
by `site.produce`) then looks each bundle up in the cache by its key, makes the
missing ones (forked worker processes when `--workers` > 1, otherwise here),
stores them, and returns ordinary OutputFiles. Cached files are read from the
cache folder only when their bytes are needed (`CachedFile`), so a build does
not hold every figure in memory. Output does not depend on the cache or the
number of workers: each bundle is a pure function of its inputs.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from mlcards import timing
from mlcards.errors import MlcardsError
from mlcards.incremental.cache import Cache, active_cache, blob_key, digest, settings
from mlcards.outputs import OutputFile
from mlcards.reuse import check_made

Make = Callable[[], Mapping[str, bytes]]
STAGE_ORDER = ("plots", "render")


@dataclass(eq=False)
class Bundle:
    """Files made together by one call (e.g. every plot of a version)."""

    kind: str
    key: str | None
    paths: tuple[str, ...]
    make: Make
    stage: str = "plots"
    memo: dict[Any, Any] | None = None
    """The build's memo of per-version results, which `make` may add to (see `_work`)."""
    lasting: Callable[[Any], bool] | None = None
    """Which of the memo's entries a worker keeps for later bundles (registry-wide ones)."""


@dataclass(frozen=True)
class DeferredFile(OutputFile):
    """A file whose bytes its bundle makes during `resolve` (content is empty until then)."""

    bundle: Bundle | None = None
    made_later = True


class DamagedCacheFile(Exception):
    """A cached file whose bytes no longer match their digest (found when it is
    written): the build is made again with every cached file checked up front
    (`Settings.check_files`), so the damaged bundle is a miss."""

    def __init__(self, path: str) -> None:
        super().__init__(f"the build cache's copy of {path} is damaged")
        self.path = path


class CachedFile(OutputFile):
    """A file whose bytes are a cache entry, read each time `content` is asked for."""

    _cache: Cache
    _blob: str
    made_later = True

    def __init__(self, path: str, cache: Cache, blob: str) -> None:
        object.__setattr__(self, "path", path)
        object.__setattr__(self, "_cache", cache)
        object.__setattr__(self, "_blob", blob)

    @property
    def content(self) -> bytes:
        data = self._cache.get_blob(self._blob)
        if data is None:
            raise DamagedCacheFile(self.path)
        return data

    def sha256(self) -> str:
        """The blob's key, which is the SHA-256 of its bytes (checked when read)."""
        return self._blob

    def __repr__(self) -> str:
        return f"CachedFile({self.path!r}, blob={self._blob[:12]})"

    def link_to(self, target: str) -> bool:
        """Hard-link the cache entry at `target`, unread (False when links are not
        possible): MkDocs reads each file of its docs tree once, and its bytes are
        checked then (`read_docs_file`), not read twice."""
        return self._cache.link_blob(self._blob, target)


def read_docs_file(cache: Cache | None, name: str) -> tuple[bytes, str | None]:
    """A docs-tree file's bytes and, when it is a blob `cache` lent unread (see
    `Cache.link_blob`), their blob key, checked: DamagedCacheFile when the bytes are
    not the blob's any more (the build is then made again, see DamagedCacheFile)."""
    with open(name, "rb") as fh:
        data = fh.read()
    key = cache.take_lent(name) if cache is not None else None
    if key is not None and blob_key(data) != key:
        raise DamagedCacheFile(name)
    return data, key


def check_unread(cache: Cache) -> None:
    """Check the lent files that nothing read (DamagedCacheFile for a damaged one):
    whatever read them, the site holds only bytes whose digest was checked."""
    for name in sorted(cache.lent):
        if os.path.exists(name):
            read_docs_file(cache, name)
    cache.lent.clear()


# --------------------------------------------------------------------------- producers


def defer(kind: str, key: str | None, paths: Sequence[str] | Callable[[], Sequence[str]],
          make: Make, *, stage: str = "plots",
          memo: dict[Any, Any] | None = None,
          lasting: Callable[[Any], bool] | None = None) -> list[OutputFile]:
    """The files of one bundle: from the cache when `key` is stored, else to be made.

    `paths` (or a function giving them, called only on a cache miss) must name
    exactly the files `make` returns. `key` must be a digest of everything the
    bytes depend on (see mlcards.incremental.keys); None means never cached.
    """
    cache = active_cache()
    full_key = digest(kind, key) if key is not None else None
    if cache is not None and full_key is not None:
        manifest = cache.get_object("manifest", full_key)
        if isinstance(manifest, dict) and _usable(manifest, cache):
            timing.count(f"cached {kind}")
            return [CachedFile(p, cache, blob) for p, blob in manifest.items()]
    planned = tuple(paths() if callable(paths) else paths)
    bundle = Bundle(kind, full_key, planned, make, stage, memo, lasting)
    return [DeferredFile(p, b"", bundle) for p in planned]


def _usable(manifest: dict[Any, Any], cache: Cache) -> bool:
    """Whether a stored manifest maps paths to blob keys. Their bytes are checked when
    they are written (CachedFile), or here when `Settings.check_files` asks: then a
    file whose bytes do not match its digest makes the whole bundle a miss."""
    if not all(isinstance(p, str) and isinstance(b, str) for p, b in manifest.items()):
        return False
    return not settings().check_files or all(
        cache.get_blob(b) is not None for b in manifest.values())


# --------------------------------------------------------------------------- resolve


def resolve(files: Iterable[OutputFile]) -> list[OutputFile]:
    """Replace every DeferredFile by its bytes (made, stored in the cache)."""
    files = list(files)
    bundles: dict[int, Bundle] = {}
    for f in files:
        if isinstance(f, DeferredFile) and f.bundle is not None:
            bundles.setdefault(id(f.bundle), f.bundle)
    if not bundles:
        return files
    made: dict[str, OutputFile] = {}
    for stage_name, batch in _batches(list(bundles.values())):
        with timing.stage(stage_name):
            made.update(_make_all(batch))
        for kind in sorted({b.stage for b in batch}, key=_stage_rank):
            timing.count(f"made {kind} bundles", sum(b.stage == kind for b in batch))
    return [made[f.path] if isinstance(f, DeferredFile) else f for f in files]


SHARED_POOL_LIMIT = 16
"""Up to this many bundles of several stages share one pool (see `_batches`)."""


def _batches(jobs: list[Bundle]) -> list[tuple[str, list[Bundle]]]:
    """(stage, bundles) to make, one batch per stage in stage order; but when only a
    few bundles are left (a rebuild after a small change) and workers can share them,
    one batch, plots first, timed under the last stage's name. Drawing a version's plots
    then costs its worker the matplotlib import (about 0.4 s, which the main process no
    longer needs) while the other worker renders the pages."""
    stages = sorted({b.stage for b in jobs}, key=_stage_rank)
    if (len(stages) > 1 and len(jobs) <= SHARED_POOL_LIMIT and settings().workers > 1
            and _can_fork()):
        return [(stages[-1], sorted(jobs, key=lambda b: _stage_rank(b.stage)))]
    return [(stage, [b for b in jobs if b.stage == stage]) for stage in stages]


def _stage_rank(name: str) -> tuple[int, str]:
    return (STAGE_ORDER.index(name) if name in STAGE_ORDER else len(STAGE_ORDER), name)


def _make_all(bundles: list[Bundle]) -> dict[str, OutputFile]:
    workers = min(settings().workers, len(bundles))
    if workers > 1 and _can_fork():
        results = _pool_results(bundles, workers)
    else:
        results = [run_bundle(b) for b in bundles]
    cache = active_cache()
    out: dict[str, OutputFile] = {}
    for result in results:
        for path, value in result.items():
            if isinstance(value, bytes):
                out[path] = OutputFile(path, value)
            elif cache is not None:
                out[path] = CachedFile(path, cache, value)
            else:
                raise MlcardsError(f"internal error: no bytes for {path}")
    return out


Result = dict[str, "bytes | str"]
"""path -> bytes, or -> the blob key under which the bytes were cached."""


def run_bundle(bundle: Bundle) -> Result:
    """Make a bundle's files, give pages a safe title, and store them when cacheable."""
    from mlcards.render.titles import with_safe_title

    made = _make(bundle)
    check_made(bundle.kind, bundle.paths, made)
    files = {p: with_safe_title(OutputFile(p, made[p])).content for p in bundle.paths}
    cache = active_cache()
    if cache is None or bundle.key is None:
        return dict(files)
    manifest: dict[str, str] = {}
    for path, data in files.items():
        manifest[path] = cache.put_blob(data)
    cache.put_object("manifest", bundle.key, manifest)
    return dict(manifest)


def _make(bundle: Bundle) -> dict[str, bytes]:
    """bundle.make(), with template errors reported like the producers' (site.py)."""
    from mlcards.site.build import template_error

    try:
        return dict(bundle.make())
    except MlcardsError:
        raise
    except Exception as exc:
        message = template_error(exc)
        if message is None:
            raise  # a bug in Python code: keep the traceback
        raise MlcardsError(message) from exc


# --------------------------------------------------------------------------- pool

_JOBS: list[Bundle] = []
"""The bundles of the running resolve; forked workers inherit them (no pickling of
closures, registries or figures)."""


def _can_fork() -> bool:
    return sys.platform != "win32" and "fork" in multiprocessing.get_all_start_methods()


def _work(index: int) -> tuple[int, Result | None]:
    """In a worker: make one bundle; None tells the parent to redo it (and raise)."""
    bundle = _JOBS[index]
    try:
        with _forgetting(bundle.memo, bundle.lasting):
            return index, run_bundle(bundle)
    except Exception:
        return index, None


@contextmanager
def _forgetting(memo: dict[Any, Any] | None,
                lasting: Callable[[Any], bool] | None = None) -> Iterator[None]:
    """In a worker: drop what making one bundle added to the memo, but for the entries
    `lasting` names (about the whole registry: the same for every bundle). The parent
    never sees them and the next bundle is another version's or model's, so kept they
    would only pile up (300 MiB per render worker at 1,000 models x 2 versions). What
    the parent memoised before forking stays."""
    before = 0 if memo is None else len(memo)
    try:
        yield
    finally:
        if memo is not None and len(memo) > before:
            for key in list(itertools.islice(reversed(memo), len(memo) - before)):
                if lasting is None or not lasting(key):
                    del memo[key]


def _pool_results(bundles: list[Bundle], workers: int) -> list[Result]:
    global _JOBS
    _JOBS = bundles
    results: list[Result | None] = [None] * len(bundles)
    chunk = max(1, min(8, len(bundles) // (workers * 12)))
    ctx = multiprocessing.get_context("fork")
    try:
        with ctx.Pool(workers, initializer=_worker_init) as pool:
            for index, result in pool.imap_unordered(_work, range(len(bundles)), chunk):
                results[index] = result
            pool.close()
            pool.join()
    finally:
        _JOBS = []
    # a bundle that failed in a worker is made here again, so its error surfaces as usual
    return [r if r is not None else run_bundle(b) for r, b in zip(results, bundles,
                                                                    strict=True)]


def _worker_init() -> None:
    """Workers leave Ctrl-C to the parent, which stops the pool."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.setdefault("MLCARDS_WORKER", "1")


def pending(files: Iterable[Any]) -> int:
    """How many files still wait for their bytes."""
    return sum(isinstance(f, DeferredFile) for f in files)
