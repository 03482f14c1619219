"""MkDocs' copy of the docs tree's files into the site, without its per-file makedirs,
and with the files the previous site already holds linked instead of copied.

A registry's docs tree holds, besides its pages, every version's plots and scorecard
downloads (about 14,000 files at 1,000 models x 2 versions). MkDocs copies each
(`File.copy_file`) after two `os.makedirs` of its folder: two mkdir system calls per
file, each failing with EEXIST, which cost about 75 us apiece on this machine's disk
(copying took 4.5 s of a 19 s no-change rebuild). Here each folder is made once and
each file's bytes written to a new file, as MkDocs' `shutil.copyfile` does: the same
bytes and modes. The docs files are the build cache's entries (read where they are,
see mkdocs_blobs), which are private to the user: the site's copies must be new files.

A rebuild after one model changed replaces a site whose downloads are nearly all the
same. Creating a file costs several times what reading one does here (1,400 SVG files:
0.41 s copied, 0.15 s compared and hard-linked), so a file of the site being replaced
(`PreviousSite`) is linked into the new site when it is safe to: a regular file inside
that site (no symbolic link on the way), with no other name (one link), ours, with the
mode a copy would get, and the same bytes as the docs file, compared in full. Anything
else, or a file system without hard links, is copied. The swap then deletes the old
site's names, so each linked file keeps one name again; a failed build deletes only the
staging folder, and the old site is as it was (linking changes no file's bytes).

A docs file that is a cache blob is read once, here, its bytes checked against its
blob key (a damaged one stops the build, which runs again, see
bundles.DamagedCacheFile), and the key noted in `Written`, so that keeping the site
(mkdocs_site.keep) does not read the file back. Before, each such file was read and
hashed when it was linked into a docs tree, read twice here and twice more (and
hashed) when the site was kept.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from mkdocs.plugins import BasePlugin, event_priority

from mlcards.incremental.bundles import check_unread, read_docs_file
from mlcards.incremental.cache import Cache

if TYPE_CHECKING:
    from collections.abc import Callable

    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.files import File, Files

PLUGIN_NAME = "mlcards-copy-files"
Written = dict[str, tuple[str, int]]
"""Files of the site whose bytes are a cache blob: path in the site -> (blob key, size)."""


class PreviousSite:
    """The site a build replaces: the files it may lend the new site (see the module)."""

    def __init__(self, root: Path) -> None:
        self.root = os.path.realpath(root)
        self.uid = os.getuid()
        mask = os.umask(0)
        os.umask(mask)
        self.mode = 0o666 & ~mask  # what open() gives a new file, as shutil.copyfile makes it
        self.inside: dict[str, bool] = {}

    def _folder_inside(self, folder: str) -> bool:
        """Whether the site's `folder` (relative) is that folder, not a link elsewhere."""
        known = self.inside.get(folder)
        if known is None:
            path = os.path.join(self.root, folder)
            known = self.inside[folder] = os.path.realpath(path) == os.path.normpath(path)
        return known

    def lendable(self, rel: str, data: bytes) -> os.stat_result | None:
        """The stat of the previous site's file at `rel` when it may be linked into the new
        site in place of a file holding `data`; None: write it."""
        if not self._folder_inside(os.path.dirname(rel)):
            return None
        old = os.path.join(self.root, rel)
        try:
            st = os.lstat(old)
            if (not stat.S_ISREG(st.st_mode) or st.st_nlink != 1 or st.st_uid != self.uid
                    or stat.S_IMODE(st.st_mode) != self.mode
                    or st.st_size != len(data)):
                return None
            with open(old, "rb") as theirs:
                if os.fstat(theirs.fileno()).st_ino != st.st_ino:
                    return None
                return st if theirs.read() == data else None
        except OSError:
            return None

    def link(self, rel: str, data: bytes, dest: str) -> bool:
        """Link the previous site's `rel` to `dest` if it may stand for `data`."""
        st = self.lendable(rel, data)
        if st is None:
            return False
        try:
            os.link(os.path.join(self.root, rel), dest, follow_symlinks=False)
            if os.lstat(dest).st_ino == st.st_ino:
                return True
            os.unlink(dest)  # the old file was replaced between the check and the link
        except OSError:
            pass
        return False


class CopyDocsFiles(BasePlugin):  # type: ignore[type-arg, no-untyped-call]
    """Copy (or link, see the module) the docs tree's non-page files, making each folder
    once; note those whose bytes are cache blobs in `written`."""

    def __init__(self, previous_site: Path | None = None, cache: Cache | None = None,
                 written: Written | None = None) -> None:
        self.folders: set[str] = set()
        lend = hasattr(os, "getuid")  # Windows has no uids to check: copy there
        self.previous = (PreviousSite(previous_site)
                         if previous_site is not None and lend else None)
        self.cache = cache
        self.written: Written = written if written is not None else {}

    @event_priority(-100)  # after other plugins added or replaced files
    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        docs = os.path.normpath(config.docs_dir)
        self.folders = set()
        for file in files:
            if (not file.is_documentation_page() and file.abs_src_path is not None
                    and file.generated_by is None and file.src_dir is not None
                    and os.path.normpath(file.src_dir) == docs):
                file.copy_file = self._copier(file)  # type: ignore[method-assign, assignment]
        return files

    def _copier(self, file: File) -> Callable[[bool], None]:
        def copy(dirty: bool = False) -> None:
            dest = file.abs_dest_path
            make_folder(dest, self.folders)
            data, blob = read_docs_file(self.cache, str(file.abs_src_path))
            if self.previous is None or not self.previous.link(file.dest_uri, data, dest):
                with open(dest, "wb") as fh:  # what shutil.copyfile makes: bytes, new mode
                    fh.write(data)
            if blob is not None:
                self.written[file.dest_uri] = (blob, len(data))
        return copy

    @event_priority(-100)
    def on_post_build(self, *, config: MkDocsConfig) -> None:
        if self.cache is not None:
            check_unread(self.cache)


def make_folder(dest: str, folders: set[str]) -> None:
    """Make `dest`'s folder unless this build made it already."""
    folder = os.path.dirname(dest)
    if folder not in folders:
        os.makedirs(folder, exist_ok=True)
        folders.add(folder)
