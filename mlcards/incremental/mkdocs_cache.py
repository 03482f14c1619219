"""The MkDocs stage, incremental: each page's HTML and search entries from the cache.

With top-level navigation only, the HTML MkDocs writes for a page outside the nav is
a function of that page's Markdown and the site-wide inputs: the generated
mkdocs.yml (theme, features, nav, extra_css/extra_javascript, Markdown extensions),
the versions of MkDocs, the theme, Python-Markdown and mlcards, and which files
its links point at. So the plugin here (added by `site.engine.run_mkdocs` through
the reuse point `mkdocs_plugins`, never written to mkdocs.yml) keeps, per page,
under the SHA-256 of its Markdown file and the site-wide key:

- the page's output HTML as the theme rendered it (before `on_post_page`),
- what `Page.render` set (table of contents, title, anchors, links to anchors),
  the log records it emitted (replayed, so warnings and `--strict` are unchanged),
- the answers of every link-target lookup it made, checked against this build's
  files before the entry is used (a page linking to a version that is gone is
  rendered again, with MkDocs' own warning),
- its search-index entries, added to the search plugin's index in page order.

A hit skips the Markdown conversion, the search plugin's HTML parsing and the theme
template (the page gets a template that prints the kept HTML). Everything else
(files, nav, the sitemap, search_index.json, static files, anchor validation) MkDocs
does as always, from the kept facts. An entry that is missing, damaged, of another
shape, or whose HTML file fails its SHA-256, is a miss: the page is rendered. How
MkDocs' `serve --dirty` differs: it skips pages by file time and leaves every other
page's navigation and links stale; here a page is reused only when everything it
was made from is the same, so the output is byte-identical to a clean build.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority

from mlcards.incremental.bundles import DamagedCacheFile, read_docs_file
from mlcards.incremental.cache import (
    BLOB,
    Cache,
    code_key,
    digest,
    library_versions,
    settings,
)
from mlcards.incremental.mkdocs_files import Written
from mlcards.incremental.mkdocs_page import (
    Lookup,
    Record,
    RenderFacts,
    ReusablePage,
    adopt_pages,
    install_facts,
    lookups_hold,
    replay,
    watch_search,
)

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.files import Files
    from mkdocs.structure.nav import Navigation
    from mkdocs.structure.pages import Page

PLUGIN_NAME = "mlcards-page-cache"
KIND = "mkdocs-page"
KEPT_TEMPLATE = "mlcards-kept-page.html"
"""The theme template of a page taken from the cache: its kept HTML, as it was."""
SITE_LIBRARIES = ("mkdocs", "mkdocs-material", "pymdown-extensions", "markdown", "jinja2",
                  "babel")


@dataclass
class StoredPage:
    """A page's cache entry, checked as plain data when read (see `from_plain`)."""

    html: str  # blob key of the theme's output
    facts: RenderFacts
    search: list[dict[str, Any]] | None  # the page's search entries; None: no search plugin
    cache: Cache | None = None

    def install(self, page: ReusablePage, files: Files) -> bool:
        """Set what render and the theme would have made (False: render it instead).

        The kept HTML is read when the page is written, not now (MkDocs holds every
        page until the build ends); if its bytes then fail their SHA-256 the build
        stops with DamagedCacheFile and runs again checking every kept file up front
        (`Settings.check_files`), which makes that page a miss."""
        cache = self.cache
        assert cache is not None
        blob, path = self.html, page.file.src_uri
        if settings().check_files:
            data = cache.get_blob(blob)
            if data is None:
                return False
            text = data.decode("utf-8")
            reader: Callable[[], str] = lambda: text  # noqa: E731
        elif cache.has(BLOB, blob):
            def reader() -> str:
                data = cache.get_blob(blob)
                if data is None:
                    raise DamagedCacheFile(f"page {path}")
                return data.decode("utf-8")
        else:
            return False
        if not install_facts(page, self.facts, files):
            return False
        page.content = ""  # the kept HTML holds it; nothing reads it on a kept page
        page.meta["template"] = KEPT_TEMPLATE
        page.kept_reader = reader
        page.output_blob = blob
        page.kept_search = self.search
        replay(self.facts.records)
        return True

    def plain(self) -> dict[str, Any]:
        f = self.facts
        return {"html": self.html, "search": self.search, "toc": f.toc, "title": f.title,
                "anchor_ids": f.anchor_ids, "links": f.links,
                "records": [list(r) for r in f.records],
                "lookups": {k: None if v is None else list(v) for k, v in f.lookups.items()}}


def from_plain(data: Any) -> StoredPage | None:
    """The entry, if `data` has exactly the shape `StoredPage.plain` writes."""
    if not isinstance(data, dict) or set(data) != {"html", "search", "toc", "title",
                                                   "anchor_ids", "links", "records",
                                                   "lookups"}:
        return None
    try:
        records: list[Record] = [(str(n), int(lv), str(m)) for n, lv, m in data["records"]
                                 if isinstance(n, str) and isinstance(m, str)
                                 and type(lv) is int]
        lookups: dict[str, Lookup] = {}
        for path, found in data["lookups"].items():
            lookups[str(path)] = None if found is None else (str(found[0]), str(found[1]))
        ok = (isinstance(data["html"], str) and _tokens_ok(data["toc"])
              and (data["title"] is None or isinstance(data["title"], str))
              and (data["anchor_ids"] is None or _strings(data["anchor_ids"]))
              and (data["links"] is None or _links_ok(data["links"]))
              and (data["search"] is None or _entries_ok(data["search"]))
              and len(records) == len(data["records"]))
    except (TypeError, ValueError, IndexError, AttributeError):
        return None
    if not ok:
        return None
    facts = RenderFacts(toc=data["toc"], title=data["title"], anchor_ids=data["anchor_ids"],
                        links=data["links"], records=records, lookups=lookups)
    return StoredPage(data["html"], facts, data["search"])


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _tokens_ok(tokens: Any) -> bool:
    return isinstance(tokens, list) and all(
        isinstance(t, dict) and set(t) == {"level", "id", "name", "children"}
        and type(t["level"]) is int and isinstance(t["id"], str)
        and isinstance(t["name"], str) and _tokens_ok(t["children"]) for t in tokens)


def _links_ok(links: Any) -> bool:
    return isinstance(links, dict) and all(
        isinstance(uri, str) and isinstance(anchors, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in anchors.items())
        for uri, anchors in links.items())


def _entries_ok(entries: Any) -> bool:
    return isinstance(entries, list) and all(
        isinstance(e, dict) and all(isinstance(k, str) for k in e) for e in entries)


class PageCache(BasePlugin):  # type: ignore[type-arg, no-untyped-call]
    """Keep each page's render, HTML and search entries in `cache` (see the module)."""

    def __init__(self, cache: Cache, written: Written | None = None) -> None:
        self.cache = cache
        self.written: Written = written if written is not None else {}
        """The pages whose written bytes are a blob of the cache (see mkdocs_site.keep)."""
        self.site_key = ""
        self.pages: dict[str, ReusablePage] = {}
        self.search_index: Any = None

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        self.site_key = site_key(config)
        return config

    @event_priority(50)  # after the pages are adopted, before workers render the rest
    def on_nav(self, nav: Navigation, *, config: MkDocsConfig, files: Files) -> Navigation:
        self.search_index = watch_search(config)
        self.pages = {}
        for page in adopt_pages(nav, config, files):
            key = self.page_key(page)
            if key is None:
                continue
            self.pages[page.file.src_uri] = page
            page.record = True
            page.cache_key = key
            stored = from_plain(self.cache.get_object(KIND, key))
            if stored is not None and lookups_hold(stored.facts.lookups, files):
                stored.cache = self.cache
                page.stored = stored
        return nav

    def page_key(self, page: ReusablePage) -> str | None:
        try:
            source, _ = read_docs_file(self.cache, page.file.abs_src_path or "")
        except OSError:
            return None
        return digest(code_key(), KIND, self.site_key, page.file.src_uri, source)

    def on_env(self, env: jinja2.Environment, *, config: MkDocsConfig,
               files: Files) -> jinja2.Environment:
        kept = jinja2.DictLoader({KEPT_TEMPLATE: "{{ page.kept_html() | safe }}"})
        env.loader = jinja2.ChoiceLoader([kept, env.loader] if env.loader else [kept])
        return env

    @event_priority(100)  # the theme's output, before other plugins change it
    def _keep_page(self, output: str, *, page: Page, config: MkDocsConfig) -> str:
        if not isinstance(page, ReusablePage) or page.file.src_uri not in self.pages:
            return output
        if not page.from_cache and page.facts is not None and (
                self.search_index is None or page.noted_search is not None):
            page.output_blob = self.cache.put_blob(output.encode("utf-8"))
            entry = StoredPage(page.output_blob, page.facts, page.noted_search)
            self.cache.put_object(KIND, page.cache_key, entry.plain())
        page.release()
        page.theme_output = output if page.output_blob is not None else None
        return output

    @event_priority(-100)  # what MkDocs writes, after every plugin
    def _note_written(self, output: str, *, page: Page, config: MkDocsConfig) -> str:
        if isinstance(page, ReusablePage):
            kept, page.theme_output = page.theme_output, None
            if output is kept and page.output_blob is not None:  # unchanged since
                size = len(output) if output.isascii() else len(output.encode("utf-8"))
                self.written[page.file.dest_uri] = (page.output_blob, size)
        return output

    on_post_page = CombinedEvent(_keep_page, _note_written)


def site_key(config: MkDocsConfig) -> str:
    """What every page's HTML depends on besides its own Markdown."""
    try:
        text = Path(config.config_file_path).read_bytes()
    except OSError:
        text = b""
    versions = library_versions(SITE_LIBRARIES)
    plugins = [(name, type(p).__module__, type(p).__qualname__)
               for name, p in config.plugins.items() if not name.startswith("mlcards-")]
    return digest(text, versions, plugins)
