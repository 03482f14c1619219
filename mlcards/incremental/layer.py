"""The incremental layer as the build's `Reuse` (see mlcards.reuse): what the stages'
reuse points do while a command runs with a build cache or several workers.

- "yaml", "valid", "summary" (`call`): looked up in the cache by the SHA-256 of their
  inputs (mlcards.incremental.parse, .documents), stored on a miss;
- `result`: the persistent `ctx.cached` kinds of mlcards.incremental.keys;
- `bundle`: keyed by kind and subject (keys.BUNDLE_KEYS), taken from the cache or made
  after every producer ran, in worker processes (mlcards.incremental.bundles);
- `docs_to_write` / `mkdocs_plugins`: MkDocs reads the cache's files in place
  (mlcards.incremental.mkdocs_blobs), converts Markdown in forked workers, and keeps
  each page's render, HTML and search entries in the cache (.mkdocs_cache);
- `kept_site` / `keep_site`: the whole site of a build with exactly the same inputs
  (mlcards.incremental.mkdocs_site): MkDocs does not run at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from mlcards.incremental import (
    bundles,
    keys,
    mkdocs_blobs,
    mkdocs_cache,
    mkdocs_files,
    mkdocs_site,
)
from mlcards.incremental.cache import (
    SETTINGS,
    Cache,
    Settings,
    active_cache,
    code_key,
    digest,
    settings,
)
from mlcards.incremental.documents import read_document_reusing
from mlcards.incremental.mkdocs_parallel import PLUGIN_NAME, plugin_for
from mlcards.incremental.parse import cached_parse
from mlcards.outputs import OutputFile
from mlcards.render.context import registry_wide
from mlcards.reuse import KeptSite, Make, Paths, SiteInputs, using

T = TypeVar("T")


class Incremental:
    """Reuse through the active build cache (if any) and worker pool."""

    def __init__(self) -> None:
        self.written: mkdocs_files.Written = {}
        """The files of the MkDocs run's site known to be cache blobs (for keep_site)."""
        self.blobs: list[mkdocs_blobs.Blob] = []
        """The docs files the MkDocs run reads from the cache, not from its docs folder."""

    def call(self, point: str, fn: Callable[..., T], *args: Any) -> T:
        cache = active_cache()
        result: Any
        if point == "yaml":
            result = cached_parse(*args)
        elif point == "valid" and cache is not None:
            result = read_document_reusing(cache, *args)
        elif point == "summary" and cache is not None:
            result = _summary(fn, *args)  # type: ignore[arg-type]
        else:
            result = fn(*args)
        return result  # type: ignore[no-any-return]

    def result(self, ctx: Any, kind: str, subject: Any, compute: Callable[[], T]) -> T:
        value: T = keys.remember(ctx, kind, subject, compute)
        return value

    def known(self, ctx: Any, kind: str, subject: Any) -> bool:
        return keys.is_known(ctx, kind, subject)

    def bundle(self, ctx: Any, kind: str, subject: Any, paths: Paths, make: Make, *,
               stage: str) -> list[OutputFile]:
        keyf = keys.BUNDLE_KEYS.get(kind)
        key = keyf(ctx, subject) if keyf is not None else None
        if kind == "registry":
            make = keys.seeing_produced(ctx, make)
        return bundles.defer(kind, key, paths, make, stage=stage,
                             memo=getattr(ctx, "memo", None), lasting=registry_wide)

    def finish(self, files: Iterable[OutputFile]) -> list[OutputFile]:
        return bundles.resolve(files)

    def docs_to_write(self, files: Iterable[OutputFile]) -> list[OutputFile]:
        if active_cache() is None:
            return list(files)
        written, self.blobs = mkdocs_blobs.to_write(files)
        return written

    def mkdocs_plugins(self, previous_site: Path | None) -> dict[str, Any]:
        cache = active_cache()
        self.written = {}
        plugins: dict[str, Any] = {mkdocs_files.PLUGIN_NAME: mkdocs_files.CopyDocsFiles(
            previous_site, cache, self.written)}
        if cache is not None and self.blobs:
            plugins[mkdocs_blobs.PLUGIN_NAME] = mkdocs_blobs.BlobDocs(cache, self.blobs)
            self.blobs = []
        parallel = plugin_for(settings().workers)
        if parallel is not None:
            plugins[PLUGIN_NAME] = parallel
        if cache is not None:
            plugins[mkdocs_cache.PLUGIN_NAME] = mkdocs_cache.PageCache(cache, self.written)
        return plugins

    def kept_site(self, inputs: SiteInputs) -> KeptSite | None:
        cache = active_cache()
        return mkdocs_site.kept(cache, inputs) if cache is not None else None

    def keep_site(self, inputs: SiteInputs, folder: Path, messages: list[str]) -> None:
        cache = active_cache()
        if cache is not None:
            mkdocs_site.keep(cache, inputs, folder, messages, self.written)
        self.written = {}


def _summary(fn: Callable[[str, int], str], text: str, length: int) -> str:
    """A plain-text summary, from the cache when this text was summarised before."""
    cache = active_cache()
    assert cache is not None
    key = digest(code_key(), "summary", text, length)
    stored = cache.get("summary", key)
    if stored is not None:
        try:
            return stored.decode("utf-8")
        except UnicodeDecodeError:  # not an entry this code wrote: made again
            pass
    summary = fn(text, length)
    cache.put("summary", key, summary.encode("utf-8"))
    return summary


@contextmanager
def configured(cache: Cache | None, workers: int, *, check_files: bool = False,
               ) -> Iterator[Settings]:
    """Use `cache` and up to `workers` processes for what runs inside the block."""
    chosen = Settings(cache, max(1, workers), check_files)
    token = SETTINGS.set(chosen)
    try:
        with using(Incremental()):
            yield chosen
    finally:
        SETTINGS.reset(token)
