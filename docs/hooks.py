"""MkDocs hooks of the project's documentation (configured in mkdocs.yml).

The reference pages are generated in memory from the code on every build
(mlcards.commands.docgen), and markers in hand-written pages are filled in, so nothing
in the docs is written twice or can go stale.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

from mlcards.commands.docgen import expand_markers, generated_pages

REPO = Path(__file__).resolve().parent.parent


def _nav_pages(nav: Any) -> set[str]:
    if isinstance(nav, str):
        return {nav}
    if isinstance(nav, dict):
        return {p for v in nav.values() for p in _nav_pages(v)}
    if isinstance(nav, list):
        return {p for item in nav for p in _nav_pages(item)}
    return set()


def on_config(config: Any) -> Any:
    """List generated reference pages that mkdocs.yml's nav does not name yet (a new
    file kind) at the end of its Reference section."""
    nav = config["nav"] or []
    listed = _nav_pages(nav)
    section = next((item["Reference"] for item in nav
                    if isinstance(item, dict) and isinstance(item.get("Reference"), list)),
                   None)
    if section is not None:
        section.extend(rel for rel in generated_pages() if rel not in listed)
    return config


def on_files(files: Files, config: Any) -> Files:
    """Add the generated reference pages (replacing any copies written to disk)."""
    for rel, text in generated_pages().items():
        existing = files.get_file_from_path(rel)
        if existing is not None:
            files.remove(existing)
        files.append(File.generated(config, rel, content=text))
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Files) -> str:
    """Fill `<!-- mlcards:... -->` markers with generated tables and included files."""
    try:
        return expand_markers(markdown, REPO)
    except ValueError as exc:
        raise PluginError(f"{page.file.src_uri}: {exc}") from exc
