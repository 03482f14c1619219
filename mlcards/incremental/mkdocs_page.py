"""The MkDocs page the incremental layer adopts: rendered by MkDocs, by a forked
worker (mkdocs_parallel), or taken from the build cache (mkdocs_cache).

MkDocs makes a plain `Page` for every documentation file. Once the nav is final,
the plugins here make each a `ReusablePage` (`adopt_pages`): a new object for files
outside the configured nav (a registry's model, version, evaluation and scorecard
pages), the same object with the new class for the nav's pages (which keep the nav's
title and neighbours; workers render only pages outside the nav).

`Page.render` (Markdown to HTML) is where a page's own time goes. A ReusablePage
takes its result from, in order:

1. `stored`: the page cache's entry for exactly this Markdown and site (the page's
   HTML output comes from there too, see mkdocs_cache);
2. `prerendered`: a worker's result for exactly this Markdown;
3. `Page.render` here (through mkdocs_tables, which sets the pre-rendered tables aside).

With `record` set (the page cache is on), a render in a worker or here also notes
`RenderFacts`: what render set, the log records it emitted, and every lookup of a
link target among the site's files (whether `models/x/1.0.0/index.md` exists
decides a link's HTML and warnings, so the cache keeps a page only while those
answers stay the same).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, Protocol

from mkdocs.structure.files import InclusionLevel
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import AnchorLink, get_toc

from mlcards import timing
from mlcards.incremental import mkdocs_search, mkdocs_tables

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.files import File, Files
    from mkdocs.structure.nav import Navigation

WORKER_COUNT = "mkdocs pages rendered by workers"
"""The timing counter of pages whose worker result was used."""
CACHE_COUNT = "mkdocs pages from the cache"
"""The timing counter of pages taken from the build cache."""

Record = tuple[str, int, str]
"""A log record as plain data: logger name, level, message."""
Lookup = tuple[str, str] | None
"""What a link-target lookup found: (src_uri, inclusion level), or None."""


@dataclass
class RenderFacts:
    """What `Page.render` set on a page and what it depended on, as plain data."""

    toc: list[dict[str, Any]]
    title: str | None
    anchor_ids: list[str] | None
    links: dict[str, dict[str, str]] | None  # to_file.src_uri -> {anchor: link}; None: unset
    records: list[Record]
    lookups: dict[str, Lookup] = field(default_factory=dict)


@dataclass(frozen=True)
class PackedPage:
    """A page's HTML and search entries, compressed, from its render until the theme
    writes it: MkDocs renders every page before it writes the first (at 1,000 models
    x 2 versions their HTML held 1.1 GiB). Handed between the forked processes of one
    build, never stored."""

    html: bytes  # zlib of the UTF-8 HTML
    search: bytes  # zlib of the entries as JSON (null: the search plugin makes them)

    @classmethod
    def pack(cls, html: str, search: list[dict[str, Any]] | None) -> PackedPage:
        return cls(zlib.compress(html.encode("utf-8", "surrogatepass"), 1),
                   zlib.compress(json.dumps(search).encode("utf-8"), 1))

    def html_text(self) -> str:
        return zlib.decompress(self.html).decode("utf-8", "surrogatepass")

    def search_entries(self) -> list[dict[str, Any]] | None:
        entries = json.loads(zlib.decompress(self.search))
        assert entries is None or isinstance(entries, list)
        return entries


@dataclass
class Rendered:
    """A worker's result for one page (pickled between forked processes of one build,
    never stored): the digest of the Markdown it rendered, the HTML and search entries
    (packed) and the facts."""

    source: bytes
    packed: PackedPage
    facts: RenderFacts
    log_records: list[logging.LogRecord]


class FromWorker(Protocol):
    """A worker's result, as the pool hands it over (mkdocs_parallel)."""

    def load(self) -> Rendered: ...


class ReusablePage(Page):
    """A page whose render may come from the cache or a worker (see the module)."""

    stored: Any = None
    """The page cache's entry (mkdocs_cache.StoredPage) until `render` takes it."""
    prerendered: FromWorker | None = None
    """A worker's `Rendered` of this page until `render` takes it."""
    record: bool = False
    """Note RenderFacts of a render (the page cache stores them)."""
    cache_key: str = ""
    """The page cache's key of this page (its Markdown and the site-wide inputs)."""
    facts: RenderFacts | None = None
    from_cache: bool = False
    kept_search: list[dict[str, Any]] | None = None
    """The page's search entries, made by a worker or kept in the cache."""
    noted_search: list[dict[str, Any]] | None = None
    """The page's search entries as they went into the index (for the cache)."""
    kept_reader: Callable[[], str] | None = None
    """Reads the theme's output kept in the cache (when the page is written)."""
    packed: PackedPage | None = None
    """The page's HTML and search entries between render and writing (see `pack`)."""
    unpacked: str | None = None
    """The HTML that `render` unpacked from `packed` (until `pack` sees it again)."""
    output_blob: str | None = None
    """The cache's blob key of the theme's output for this page (mkdocs_cache)."""
    theme_output: str | None = None
    """That output, from the page cache's first `on_post_page` until its last."""

    def kept_html(self) -> str:
        """The kept theme output, which the kept-page template prints."""
        return self.kept_reader() if self.kept_reader is not None else ""

    def release(self) -> None:
        """Once the page is written: drop its HTML and notes (MkDocs keeps every page
        object, with its HTML, until the build ends; nothing reads them again)."""
        self.content = ""
        self.kept_reader = self.kept_search = self.noted_search = self.facts = None

    def render(self, config: MkDocsConfig, files: Files) -> None:
        stored, self.stored = self.stored, None
        if stored is not None and stored.install(self, files):
            self.from_cache = True
            timing.count(CACHE_COUNT)
            return
        handed, self.prerendered = self.prerendered, None
        result = handed.load() if handed is not None else None
        if result is not None and result.source == digest(self.markdown) \
                and install_facts(self, result.facts, files):
            self.content = self.unpacked = result.packed.html_text()
            self.packed = result.packed
            for record in result.log_records:
                logging.getLogger(record.name).handle(record)
            self.facts = result.facts if self.record else None
            timing.count(WORKER_COUNT)
            return
        if self.record:
            self.facts = render_noting(self, config, files)
        else:
            mkdocs_tables.render(self, config, files)


def pack(page: ReusablePage, html: str) -> str:
    """After render and every plugin's `on_page_content`: keep the page's HTML and
    search entries compressed (the worker's packing when no plugin changed the HTML)
    and its Markdown not at all; the page's content is empty until `unpack`. (A page
    from the cache holds no HTML until it is written.)"""
    if page.from_cache:
        return html
    if page.packed is None or html is not page.unpacked:
        page.packed = PackedPage.pack(html, page.kept_search)
    page.unpacked = page.kept_search = page.markdown = None
    return ""


def unpack(page: ReusablePage) -> None:
    """Before the page's context reaches other plugins and the theme: its HTML again."""
    packed, page.packed = page.packed, None
    if packed is not None:
        page.content = packed.html_text()
        page.kept_search = packed.search_entries()


def adopt_pages(nav: Navigation, config: MkDocsConfig, files: Files) -> list[ReusablePage]:
    """Make every documentation page a ReusablePage; return them in file order.

    Pages outside the nav get a new ReusablePage; a nav page keeps its object (the
    nav holds it, with the nav's title and neighbours) and only changes class."""
    in_nav = {id(page) for page in nav.pages}
    out = []
    for file in files.documentation_pages(inclusion=InclusionLevel.is_included):
        page = file.page
        if page is not None and id(page) in in_nav:
            if type(page) is Page:
                page.__class__ = ReusablePage
        elif page is None or type(page) is Page:
            ReusablePage(None, file, config)  # sets file.page
        if isinstance(file.page, ReusablePage) and file.page.file is file:
            out.append(file.page)
    return out


def outside_nav(pages: list[ReusablePage], nav: Navigation) -> list[ReusablePage]:
    in_nav = {id(page) for page in nav.pages}
    return [page for page in pages if id(page) not in in_nav]


def digest(markdown: str | None) -> bytes:
    return hashlib.blake2b((markdown or "").encode("utf-8", "surrogatepass"),
                           digest_size=16).digest()


# --------------------------------------------------------------------------- search

SEARCH_PLUGINS = ("material/search", "search")
_INDEX: Any = None
_ADD: Any = None
"""The search plugin's index and its own indexing method, while a build watches it."""


def watch_search(config: MkDocsConfig) -> Any:
    """Wrap the search plugin's indexer (once per build): a page's entries made by a
    worker or kept in the cache go in as they are, others are made here; either way
    they are noted on the page. Returns the index, or None without a search plugin."""
    global _INDEX, _ADD
    plugin = next((config.plugins[n] for n in SEARCH_PLUGINS if n in config.plugins), None)
    index = getattr(plugin, "search_index", None)
    if index is None or not isinstance(getattr(index, "entries", None), list):
        _INDEX = _ADD = None
        return None
    if _INDEX is index:
        return index
    _INDEX, _ADD = index, type(index).add_entry_from_context

    def add_entry_from_context(page: Page) -> None:
        kept = getattr(page, "kept_search", None)
        entries = [dict(e) for e in kept] if kept is not None else search_entries(page)
        index.entries.extend(entries)
        if isinstance(page, ReusablePage):
            page.noted_search = [dict(e) for e in entries]

    index.add_entry_from_context = add_entry_from_context
    return index


def search_entries(page: Page) -> list[dict[str, Any]]:
    """The entries the search plugin makes of `page` (without keeping them)."""
    index, before = _INDEX, len(_INDEX.entries)
    mkdocs_search.add_entries(_ADD, index, page)
    entries: list[dict[str, Any]] = index.entries[before:]
    del index.entries[before:]
    return entries


def worker_search_entries(page: Page) -> list[dict[str, Any]] | None:
    """In a worker, right after render: the page's entries, or None (made later)."""
    if _INDEX is None or page.content is None:
        return None
    return search_entries(page)


# --------------------------------------------------------------------------- facts


class LookupRecorder:
    """`files` for one render: answers like it, and notes every link-target lookup."""

    def __init__(self, files: Files) -> None:
        self._files = files
        self.lookups: dict[str, Lookup] = {}

    def get_file_from_path(self, path: str) -> File | None:
        found = self._files.get_file_from_path(path)
        self.lookups[path] = lookup_of(found)
        return found

    def __getattr__(self, name: str) -> Any:
        return getattr(self._files, name)


def lookup_of(found: File | None) -> Lookup:
    return None if found is None else (found.src_uri, found.inclusion.name)


def lookups_hold(lookups: dict[str, Lookup], files: Files) -> bool:
    """Whether every noted lookup gives the same answer among this build's files
    (`Files.get_file_from_path`, with each path's posix form worked out once a build:
    thousands of pages look up the same few hundred targets)."""
    found_by_uri = files.src_uris
    return all(lookup_of(found_by_uri.get(_as_posix(path))) == found
               for path, found in lookups.items())


@functools.lru_cache(maxsize=1 << 16)
def _as_posix(path: str) -> str:
    return PurePath(path).as_posix()


class RecordCapture(logging.Handler):
    """Keeps every log record it is given (and prints nothing)."""

    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def captured_records() -> Iterator[list[logging.LogRecord]]:
    """The records emitted inside the block (still handled as usual)."""
    capture = RecordCapture()
    loggers = [logging.getLogger(), *(lg for lg in logging.Logger.manager.loggerDict.values()
                                      if isinstance(lg, logging.Logger) and not lg.propagate)]
    for logger in loggers:
        logger.addHandler(capture)
    try:
        yield capture.records
    finally:
        for logger in loggers:
            logger.removeHandler(capture)


def plain_record(record: logging.LogRecord) -> Record:
    return (record.name, record.levelno, record.getMessage())


def render_noting(page: Page, config: MkDocsConfig, files: Files) -> RenderFacts:
    """`Page.render` here, noting its facts (its records are handled as usual)."""
    recorder = LookupRecorder(files)
    with captured_records() as records:
        mkdocs_tables.render(page, config, recorder)  # type: ignore[arg-type]
    return facts_of(page, [plain_record(r) for r in records], recorder.lookups)


def facts_of(page: Page, records: list[Record], lookups: dict[str, Lookup]) -> RenderFacts:
    links = vars(page).get("links_to_anchors")
    anchors = page.present_anchor_ids
    return RenderFacts(
        toc=[_token(item) for item in page.toc], title=page._title_from_render,
        anchor_ids=None if anchors is None else sorted(anchors),
        links=None if links is None else {f.src_uri: dict(a) for f, a in links.items()},
        records=records, lookups=lookups)


def _token(item: AnchorLink) -> dict[str, Any]:
    """A table-of-contents entry as the toc token MkDocs builds it from."""
    return {"level": item.level, "id": item.id, "name": item.title,
            "children": [_token(child) for child in item.children]}


def install_facts(page: Page, facts: RenderFacts, files: Files) -> bool:
    """Set what render would have set (False: a linked file is gone, render again)."""
    links = None
    if facts.links is not None:
        links = {}
        for src_uri, anchors in facts.links.items():
            target = files.get_file_from_path(src_uri)
            if target is None:
                return False
            links[target] = anchors
    page.toc = get_toc(facts.toc)  # type: ignore[arg-type]
    page._title_from_render = facts.title
    page.present_anchor_ids = None if facts.anchor_ids is None else set(facts.anchor_ids)
    if links is not None:
        page.links_to_anchors = links
    return True


def replay(records: list[Record]) -> None:
    """Emit stored records again, where the render would have emitted them."""
    for name, level, message in records:
        logger = logging.getLogger(name)
        if logger.isEnabledFor(level):
            logger.handle(logger.makeRecord(name, level, "(cached page)", 0, message,
                                            (), None))
