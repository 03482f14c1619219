"""MkDocs' Markdown conversion of pages in forked worker processes (`--workers` > 1).

Python-Markdown turns each page into HTML one after the other on one core; for
a registry of thousands of generated pages that is most of MkDocs' time. The
plugin here (added by `site.engine.run_mkdocs`, never written to mkdocs.yml)
renders the pages in a pool of forked processes once the files and the
navigation are final (`on_nav`), and MkDocs' own page loop then takes each
page's result instead of converting it again (`mkdocs_page.ReusablePage.render`):

- a worker runs the real `Page.read_source` and `Page.render` on its copy of
  the page, with MkDocs' config and files as they are in the build;
- it returns what `render` sets (HTML, table of contents, title, anchors, links
  to anchors by source path) and every log record the render emitted;
- the main process installs those fields and emits the records again at the
  point where the serial render would have, so warnings, `--strict` and
  mlcards' message collector see the same messages in the same order.

A page whose Markdown changed after the worker read it (a plugin's
`on_page_markdown`), or whose render failed in the worker, is rendered here as
usual (so an error surfaces as it would without workers). Only pages outside the
configured nav are rendered in workers, and only those the page cache does not
hold. The output is byte-identical to a serial build.
"""

from __future__ import annotations

import copy
import logging
import multiprocessing
import os
import pickle
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority
from mkdocs.structure.pages import Page

from mlcards.incremental import mkdocs_tables
from mlcards.incremental.mkdocs_page import (
    LookupRecorder,
    PackedPage,
    RecordCapture,
    Rendered,
    ReusablePage,
    adopt_pages,
    digest,
    facts_of,
    outside_nav,
    pack,
    plain_record,
    unpack,
    watch_search,
    worker_search_entries,
)

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.files import Files
    from mkdocs.structure.nav import Navigation

PLUGIN_NAME = "mlcards-parallel"
MIN_PAGES_PER_WORKER = 4
"""Fewer pages than this per worker are rendered here: forking would cost more."""


class ParallelRender(BasePlugin):  # type: ignore[type-arg, no-untyped-call]
    """Render pages outside the nav in `workers` forked processes (see the module)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.pages: list[ReusablePage] = []

    @event_priority(100)  # before other plugins see the pages
    def _adopt_pages(self, nav: Navigation, *, config: MkDocsConfig,
                     files: Files) -> Navigation:
        """Replace the plain pages MkDocs made for files outside the nav."""
        self.pages = outside_nav(adopt_pages(nav, config, files), nav)
        watch_search(config)  # workers make the pages' search entries too
        return nav

    @event_priority(-100)  # after other plugins changed files and nav (and the page cache)
    def _render_pages(self, nav: Navigation, *, config: MkDocsConfig,
                      files: Files) -> Navigation:
        pages = sorted((p for p in self.pages if p.file.page is p and p.stored is None),
                       key=lambda p: p.file.src_uri)
        self.pages = []
        workers = min(self.workers, len(pages) // MIN_PAGES_PER_WORKER)
        if workers > 1:
            for page, data in zip(pages, _pool_render(pages, config, files, workers),
                                  strict=True):
                page.prerendered = None if data is None else Pickled(data)
        return nav

    on_nav = CombinedEvent(_adopt_pages, _render_pages)

    @event_priority(-100)  # after every other plugin saw the HTML
    def on_page_content(self, html: str, *, page: Page, config: MkDocsConfig,
                        files: Files) -> str:
        return pack(page, html) if isinstance(page, ReusablePage) else html

    @event_priority(100)  # before the search plugin and the theme read the HTML
    def on_page_context(self, context: Any, *, page: Page, config: MkDocsConfig,
                        nav: Navigation) -> Any:
        if isinstance(page, ReusablePage):
            unpack(page)
        return context

    @event_priority(-100)
    def on_post_page(self, output: str, *, page: Page, config: MkDocsConfig) -> str:
        if isinstance(page, ReusablePage):
            page.release()
        return output


@dataclass(frozen=True)
class Pickled:
    """A worker's `Rendered`, pickled by a forked worker of this very build (in memory,
    never read from disk), unpickled when MkDocs' page loop asks for it."""

    data: bytes

    def load(self) -> Rendered:
        result = pickle.loads(self.data)
        assert isinstance(result, Rendered)
        return result


def plugin_for(workers: int) -> ParallelRender | None:
    """The plugin when `workers` > 1 and this system can fork, else None."""
    from mlcards.incremental.bundles import _can_fork

    return ParallelRender(workers) if workers > 1 and _can_fork() else None


# --------------------------------------------------------------------------- pool

_PAGES: list[ReusablePage] = []
_CONFIG: Any = None
_FILES: Any = None
"""What the running pool renders; forked workers inherit it (nothing is pickled)."""


def _pool_render(pages: list[ReusablePage], config: MkDocsConfig, files: Files,
                 workers: int) -> list[bytes | None]:
    """Each page's pickled `Rendered`, or None where the page is to be rendered here."""
    global _PAGES, _CONFIG, _FILES
    results: list[bytes | None] = [None] * len(pages)
    _PAGES, _CONFIG, _FILES = pages, config, files
    chunk = max(1, min(8, len(pages) // (workers * 12)))
    try:
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(workers, initializer=_worker_init) as pool:
            for index, data in pool.imap_unordered(_work, range(len(pages)), chunk):
                results[index] = data
            pool.close()
            pool.join()
    except OSError as exc:  # no processes to be had: render here
        logging.getLogger(__name__).debug("rendering pages in this process: %s", exc)
        return [None] * len(pages)
    finally:
        _PAGES, _CONFIG, _FILES = [], None, None
    return results


_CAPTURE = RecordCapture()
"""In a worker: the records of the page being rendered."""


def _worker_init() -> None:
    """Workers leave Ctrl-C to the parent, and keep log records instead of handling them.

    The handlers a worker inherits would write to the terminal or into dead
    copies of the parent's collectors; the records go back to the parent, which
    handles them (logger filters included) as if it had rendered the page.
    """
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.setdefault("MLCARDS_WORKER", "1")
    root = logging.getLogger()
    loggers = [root, *(lg for lg in logging.Logger.manager.loggerDict.values()
                       if isinstance(lg, logging.Logger))]
    for logger in loggers:
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
        for log_filter in list(logger.filters):
            logger.removeFilter(log_filter)
        if logger is root or not logger.propagate:  # where a record's handling ends
            logger.addHandler(_CAPTURE)


def _work(index: int) -> tuple[int, bytes | None]:
    """In a worker: read and render one page; None tells the parent to render it."""
    page = _PAGES[index]
    try:
        page.read_source(_CONFIG)
        _CAPTURE.records = []
        _CONFIG._current_page = page
        recorder = LookupRecorder(_FILES)
        try:
            mkdocs_tables.render(page, _CONFIG, recorder)  # type: ignore[arg-type]
        finally:
            _CONFIG._current_page = None
        records = [_portable(r) for r in _CAPTURE.records]
        assert page.content is not None
        packed = PackedPage.pack(page.content, worker_search_entries(page))
        result = Rendered(
            source=digest(page.markdown), packed=packed,
            facts=facts_of(page, [plain_record(r) for r in records], recorder.lookups),
            log_records=records)
        return index, pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:
        return index, None
    finally:  # the worker's copy of the page keeps nothing
        _CAPTURE.records = []
        page.markdown = page.content = None
        page.toc = []  # type: ignore[assignment]
        for name in ("present_anchor_ids", "links_to_anchors"):
            vars(page).pop(name, None)


def _portable(record: logging.LogRecord) -> logging.LogRecord:
    """A copy of `record` that pickles: message formatted, traceback as text."""
    out = copy.copy(record)
    out.msg = record.getMessage()
    out.args = None
    if record.exc_info:
        out.exc_text = out.exc_text or logging.Formatter().formatException(record.exc_info)
        out.exc_info = None
    return out
