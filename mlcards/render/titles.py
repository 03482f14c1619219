"""Safe page titles for every generated page.

MkDocs takes a page's title from its front matter, or else from its first
heading with HTML entities decoded, and themes print titles unescaped into
<title> and the navigation. Card text escaped as entities in a heading would
come back to life there. So the assemble stage gives every Markdown page a
front-matter title with no markup characters, whichever producer or user
template wrote it.
"""

from __future__ import annotations

import html
import re
from typing import Any

import yaml

from mlcards.outputs import OutputFile
from mlcards.render.environment import plain_title

_FRONT_MATTER = re.compile(r"\A---\n(.*?\n)---\n", re.DOTALL)
_H1 = re.compile(r"^# (.+?)\s*#*\s*$", re.MULTILINE)


def with_safe_title(out: OutputFile) -> OutputFile:
    """The page with `title:` set to a markup-free title (other files unchanged)."""
    if not out.path.endswith(".md"):
        return out
    text = out.content.decode("utf-8")
    meta, body = split_front_matter(text)
    title = meta.get("title")
    if title is None:
        heading = _H1.search(body)
        if heading is None:
            return out
        title = heading.group(1)
    safe = plain_title(html.unescape(str(title)))
    if meta.get("title") == safe:
        return out
    meta["title"] = safe
    front = yaml.safe_dump(meta, sort_keys=True, allow_unicode=True, width=10_000)
    return OutputFile.text(out.path, f"---\n{front}---\n\n{body.lstrip(chr(10))}")


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """(front-matter mapping, body); an absent or unreadable block gives ({}, text)."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        return {}, text
    if not isinstance(meta, dict):
        return {}, text
    return meta, text[match.end():]
