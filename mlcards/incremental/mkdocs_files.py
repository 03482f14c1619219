"""MkDocs' copy of the docs tree's files into the site, without its per-file makedirs.

A registry's docs tree holds, besides its pages, every version's plots and scorecard
downloads (about 14,000 files at 1,000 models x 2 versions). MkDocs copies each
(`File.copy_file`) after two `os.makedirs` of its folder: two mkdir system calls per
file, each failing with EEXIST, which cost about 75 us apiece on this machine's disk
(copying took 4.5 s of a 19 s no-change rebuild). Here each folder is made once and
each file copied with `shutil.copyfile`, as MkDocs does: the same bytes and modes.
(Hard links would be cheaper still, but the docs tree's files are links to the build
cache's entries, which are private to the user: the site's copies must be new files.)
"""

from __future__ import annotations

import os
import shutil
from typing import TYPE_CHECKING

from mkdocs.plugins import BasePlugin, event_priority

if TYPE_CHECKING:
    from collections.abc import Callable

    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.files import File, Files

PLUGIN_NAME = "mlcards-copy-files"


class CopyDocsFiles(BasePlugin):  # type: ignore[type-arg, no-untyped-call]
    """Copy the docs tree's non-page files making each folder once (see the module)."""

    def __init__(self) -> None:
        self.folders: set[str] = set()

    @event_priority(-100)  # after other plugins added or replaced files
    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        docs = os.path.realpath(config.docs_dir) + os.sep
        self.folders = set()
        for file in files:
            src = file.abs_src_path
            if (not file.is_documentation_page() and src is not None
                    and file.generated_by is None
                    and os.path.realpath(src).startswith(docs)):
                file.copy_file = _copier(file, self.folders)  # type: ignore[method-assign, assignment]
        return files


def _copier(file: File, folders: set[str]) -> Callable[[bool], None]:
    def copy(dirty: bool = False) -> None:
        copy_into(str(file.abs_src_path), file.abs_dest_path, folders)
    return copy


def copy_into(src: str, dest: str, folders: set[str]) -> None:
    """Copy `src` to `dest`, making `dest`'s folder unless this build made it already."""
    folder = os.path.dirname(dest)
    if folder not in folders:
        os.makedirs(folder, exist_ok=True)
        folders.add(folder)
    shutil.copyfile(src, dest)
