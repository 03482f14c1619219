"""The whole MkDocs stage skipped: a site built before from exactly the same inputs.

MkDocs' output is a function of the docs tree, the generated mkdocs.yml, the build
date (SOURCE_DATE_EPOCH, which dates the sitemap) and the installed MkDocs, theme,
extensions and mlcards. After MkDocs ran, `keep` stores every file of the site it
wrote as a cache blob and, under the SHA-256 of those inputs, the site's manifest
(path, blob key, size of each file) with MkDocs' messages. The next build with the
same inputs (`kept`) does not run MkDocs at all:

- the output folder already holds exactly that site (every file's SHA-256 checked,
  no file more or less): nothing is written, the messages are reported again;
- otherwise (a fresh checkout with a restored cache, a site edited by hand) the site
  is written from the blobs, each checked against its SHA-256, and swapped in.

A manifest that is damaged or of another shape, or a blob that fails its check, is
a miss: MkDocs runs as usual (and its page cache still applies). Nothing read from
the cache is executed: the manifest is plain data, the blobs are copied as bytes.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlcards import timing
from mlcards.incremental.cache import Cache, code_key, digest, library_versions
from mlcards.incremental.mkdocs_cache import SITE_LIBRARIES
from mlcards.incremental.mkdocs_files import Written
from mlcards.reuse import SiteInputs

KIND = "mkdocs-site"
KEPT_COUNT = "mkdocs site from the cache"
"""The timing counter of builds whose whole site came from the cache."""
Entry = tuple[str, str, int]
"""One file of a kept site: path relative to the site (posix), blob key, size."""


def inputs_key(inputs: SiteInputs) -> str:
    """The SHA-256 of everything the site is made from."""
    files = [(f.path, f.sha256()) for f in inputs.files]
    return digest(code_key(), KIND, inputs.config_text, inputs.build_date, inputs.strict,
                  library_versions(SITE_LIBRARIES), files)


@dataclass(frozen=True)
class Site:
    """A kept site: its files as cache blobs, and MkDocs' messages of its build."""

    files: list[Entry]
    messages: list[str]
    cache: Cache

    def holds(self, folder: Path) -> bool:
        """Whether `folder` holds exactly these files with these bytes (and no links)."""
        with timing.stage("mkdocs"):
            return self._holds(folder)

    def _holds(self, folder: Path) -> bool:
        found = site_files(folder)
        if found is None or len(found) != len(self.files):
            return False
        for path, _, size in self.files:
            name = found.get(path)
            if name is None or os.path.getsize(name) != size:
                return False
        return all(_sha256(found[path]) == blob for path, blob, _ in self.files)

    def write_to(self, folder: Path) -> bool:
        """Write every file from its blob (False: a blob is missing or damaged)."""
        with timing.stage("mkdocs"):
            return self._write_to(folder)

    def _write_to(self, folder: Path) -> bool:
        root = os.fspath(folder)
        made: set[str] = set()
        for path, blob, _ in self.files:
            data = self.cache.get_blob(blob)
            if data is None:
                return False
            target = f"{root}/{path}"
            parent = os.path.dirname(target)
            if parent not in made:
                os.makedirs(parent, exist_ok=True)
                made.add(parent)
            with open(target, "wb") as fh:
                fh.write(data)
        return True


def kept(cache: Cache, inputs: SiteInputs) -> Site | None:
    """The site kept for exactly these inputs, if the cache has a sound manifest."""
    with timing.stage("mkdocs"):
        site = _from_plain(cache.get_object(KIND, inputs_key(inputs)), cache)
    if site is not None:
        timing.count(KEPT_COUNT)
    return site


def keep(cache: Cache, inputs: SiteInputs, folder: Path, messages: list[str],
         written: Written | None = None) -> None:
    """Store the site MkDocs wrote into `folder` (its files as blobs, then the manifest).

    `written` names files whose bytes MkDocs took from a blob of the cache, read and
    checked then, or stored as one (pages and downloads, see mkdocs_files and
    mkdocs_cache): those are not read back while they have the blob's size; every
    other file is read and stored."""
    if not cache.writable:
        return
    known = written or {}
    with timing.stage("mkdocs"):
        found = site_files(folder)
        if found is None:
            return
        entries: list[Entry] = []
        for path in sorted(found):
            blob = known.get(path)
            if blob is not None and os.path.getsize(found[path]) == blob[1]:
                entries.append((path, *blob))
                continue
            with open(found[path], "rb") as fh:
                data = fh.read()
            entries.append((path, cache.put_blob(data), len(data)))
        cache.put_object(KIND, inputs_key(inputs),
                         {"files": [list(e) for e in entries], "messages": list(messages)})


def site_files(folder: Path) -> dict[str, str] | None:
    """Relative posix path -> file name of every file under `folder`; None when the
    folder is missing or holds anything but folders and regular files."""
    root = os.fspath(folder)
    if not os.path.isdir(root) or os.path.islink(root):
        return None
    out: dict[str, str] = {}
    for parent, dirs, names in os.walk(root):
        rel = os.path.relpath(parent, root).replace(os.sep, "/")
        prefix = "" if rel == "." else f"{rel}/"
        for name in dirs:
            if os.path.islink(os.path.join(parent, name)):
                return None
        for name in names:
            full = os.path.join(parent, name)
            if os.path.islink(full) or not os.path.isfile(full):
                return None
            out[prefix + name] = full
    return out


def _sha256(name: str) -> str:
    with open(name, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _from_plain(data: Any, cache: Cache) -> Site | None:
    """The kept site, if `data` has exactly the shape `keep` writes."""
    if not isinstance(data, dict) or set(data) != {"files", "messages"}:
        return None
    files, messages = data["files"], data["messages"]
    if not isinstance(files, list) or not isinstance(messages, list) \
            or not all(isinstance(m, str) for m in messages):
        return None
    entries: list[Entry] = []
    for item in files:
        if not (isinstance(item, list) and len(item) == 3 and isinstance(item[0], str)
                and isinstance(item[1], str) and type(item[2]) is int
                and _safe_path(item[0])):
            return None
        entries.append((item[0], item[1], item[2]))
    return Site(entries, list(messages), cache)


def _safe_path(path: str) -> bool:
    """A relative posix path that stays inside the site (entries could be forged
    only with the cache's secret, but a path is checked all the same)."""
    parts = path.split("/")
    return bool(path) and not path.startswith("/") and "\\" not in path \
        and all(p not in ("", ".", "..") for p in parts)
