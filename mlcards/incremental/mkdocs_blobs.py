"""MkDocs reads the docs files the build cache holds where they are: no tree of links.

MkDocs finds its input by walking `docs_dir` (`get_files`). At 1,000 models x 2
versions the docs tree holds about 19,000 files, nearly all of them files of the
cache (plots, downloads, pages made before): writing the tree took a hard link per
file and a mkdir per folder, and deleting it after the build an unlink per file and
an rmdir per folder, about 6 s of a one-model-changed rebuild on a 2-core machine.

Here the site stage writes into the docs folder only the files that are not cache
blobs (`to_write`), and `BlobDocs` adds a `File` for each blob, as the walk would have
made it, with `abs_src_path` set to the blob. The collection is then ordered as
`get_files` orders a whole tree (folder by folder, a folder's files before its
subfolders', index pages first, the theme's files after the docs' files, a theme file
never in place of a docs file), so pages, links, the search index and the sitemap come
out the same. The files of a folder where two files would be written to one place
(`README.md` and `index.md`) stay on disk: `get_files` settles which one the folder
keeps. Each blob is checked against its digest where MkDocs reads it
(bundles.read_docs_file).
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterable
from typing import TYPE_CHECKING

from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import File, Files
from mkdocs.utils import is_markdown_file

from mlcards import timing
from mlcards.incremental.bundles import CachedFile
from mlcards.incremental.cache import BLOB, Cache
from mlcards.outputs import OutputFile

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig

PLUGIN_NAME = "mlcards-blob-docs"
COUNT = "mkdocs docs files read from the cache"
"""The timing counter of docs files MkDocs read from the cache's blobs."""
Blob = tuple[str, str]
"""A docs file MkDocs reads from the cache: (docs path, blob key)."""


def to_write(files: Iterable[OutputFile]) -> tuple[list[OutputFile], list[Blob]]:
    """(the files to write into the docs folder, the blobs MkDocs reads in place)."""
    files = list(files)
    on_disk = _conflicting_folders([f.path for f in files])
    written: list[OutputFile] = []
    blobs: list[Blob] = []
    for file in files:
        if isinstance(file, CachedFile) and posixpath.dirname(file.path) not in on_disk:
            blobs.append((file.path, file.sha256()))
        else:
            written.append(file)
    return written, blobs


def _conflicting_folders(paths: list[str]) -> set[str]:
    """Folders holding two files that would be written to one place (`README.md` and
    `index.md`, `index.md` and `index.html`, ...), with or without directory URLs:
    `get_files` settles which one such a folder keeps, so their files stay on disk."""
    seen: set[tuple[bool, str, str]] = set()
    out: set[str] = set()
    for path in paths:
        folder = posixpath.dirname(path)
        for directory_urls in (True, False):
            place = (directory_urls, folder, dest_uri(path, directory_urls))
            if place in seen:
                out.add(folder)
            seen.add(place)
    return out


def dest_uri(src_uri: str, directory_urls: bool) -> str:
    """Where MkDocs writes a docs file (`File.dest_uri`)."""
    if not is_markdown_file(src_uri):
        return src_uri
    parent, name = posixpath.split(src_uri)
    stem = os.path.splitext(name)[0]
    stem = "index" if stem == "README" else stem
    if not directory_urls or stem == "index":
        return posixpath.join(parent, f"{stem}.html")
    return posixpath.join(parent, stem, "index.html")


def walk_order(src_uri: str) -> tuple[tuple[str, ...], tuple[bool, str]]:
    """Where `get_files` meets a file: folders depth first in sorted order, a folder's
    own files (index or README first, then by name) before its subfolders'."""
    *folders, name = src_uri.split("/")
    return tuple(folders), (os.path.splitext(name)[0] not in ("index", "README"), name)


class BlobDocs(BasePlugin):  # type: ignore[type-arg, no-untyped-call]
    """Add the cache's docs files to MkDocs' files, ordered as a walk of the whole tree."""

    def __init__(self, cache: Cache, blobs: list[Blob]) -> None:
        self.cache = cache
        self.blobs = blobs

    @event_priority(200)  # before any other plugin sees the files
    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        if not self.blobs:
            return files
        docs = config.docs_dir
        ours = []
        for path, key in self.blobs:
            file = File(path, docs, config.site_dir, config.use_directory_urls)
            file.abs_src_path = location = self.cache.location(BLOB, key)
            self.cache.lend(location, key)
            ours.append(file)
        timing.count(COUNT, len(ours))
        taken = {f.src_uri for f in ours}
        walked: list[File] = []
        others: list[File] = []  # the theme's files: after the docs', never in their place
        for file in files:
            if file.src_dir == docs and file.generated_by is None:
                walked.append(file)
            elif file.src_uri not in taken:
                others.append(file)
        return Files([*sorted([*walked, *ours], key=lambda f: walk_order(f.src_uri)),
                      *others])
