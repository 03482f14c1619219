"""Markdown cards as a tree of sections: split by ATX headings, rendered back.

Only `#`-style headings outside fenced code blocks start sections; everything
else (setext headings, HTML, tables) stays text of the enclosing section, so
parsing and rendering a body loses nothing but surrounding blank lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
FENCE = re.compile(r"^[ ]{0,3}(`{3,}|~{3,})")
COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
OPTIONAL = re.compile(r"\[optional\]", re.IGNORECASE)


@dataclass
class Section:
    """A heading, the text right under it, and its sub-sections."""

    title: str
    level: int
    text: str = ""
    line: int = 1
    children: list[Section] = field(default_factory=list)

    def child(self, title: str) -> Section | None:
        """The first direct sub-section whose normalised title is `title`."""
        key = normalize_title(title)
        return next((c for c in self.children if normalize_title(c.title) == key), None)


def normalize_title(title: str) -> str:
    """'Bias, Risks, and Limitations [optional]' -> 'bias risks and limitations'."""
    text = OPTIONAL.sub("", title).replace("&", " and ")
    text = re.sub(r"^\s*\d+(\.\d+)*\.?\s+", "", text)
    text = re.sub(r"[^0-9a-z]+", " ", text.lower())
    return " ".join(text.split())


def parse_sections(body: str, first_line: int = 1) -> Section:
    """Split Markdown into a tree; the root (level 0) holds text before any heading."""
    root = Section("", 0, line=first_line)
    stack = [root]
    lines: list[str] = []
    fence: str | None = None

    def flush() -> None:
        stack[-1].text = tidy("\n".join(lines))
        lines.clear()

    for offset, line in enumerate(body.splitlines()):
        marker = FENCE.match(line)
        if marker and (fence is None or marker.group(1).startswith(fence)):
            fence = None if fence else marker.group(1)[:3]
        match = HEADING.match(line) if fence is None else None
        if match is None:
            lines.append(line)
            continue
        flush()
        level = len(match.group(1))
        while stack[-1].level >= level:
            stack.pop()
        node = Section(match.group(2).strip(), level, line=first_line + offset)
        stack[-1].children.append(node)
        stack.append(node)
    flush()
    return root


def tidy(text: str) -> str:
    """Drop blank lines around a section's text and trailing spaces at its end."""
    return text.strip("\n").rstrip()


def strip_comments(text: str) -> tuple[str, int]:
    """Remove HTML comments (template guidance); return the text and how many."""
    found = len(COMMENT.findall(text))
    return COMMENT.sub("", text), found


def render_sections(root: Section) -> str:
    """The Markdown of a tree, one blank line between blocks, ending in a newline."""
    blocks: list[str] = []
    _render(root, blocks)
    return "\n\n".join(blocks) + "\n"


def _render(node: Section, blocks: list[str]) -> None:
    if node.level > 0:
        blocks.append(f"{'#' * node.level} {node.title}")
    if node.text.strip():
        blocks.append(node.text.strip("\n").rstrip())
    for child in node.children:
        _render(child, blocks)


def render_subtree(node: Section) -> str:
    """A section with its heading and sub-sections, as Markdown text."""
    blocks: list[str] = []
    _render(node, blocks)
    return "\n\n".join(blocks)


def shallowest_heading(text: str) -> int:
    """The smallest heading level used in `text` outside code (7 when none)."""
    tree = parse_sections(text)
    levels = [c.level for c in _walk(tree) if c.level > 0]
    return min(levels, default=7)


def shift_headings(text: str, minimum: int) -> str:
    """Demote headings in `text` so the shallowest sits at `minimum` (max 6)."""
    shallowest = shallowest_heading(text)
    if shallowest >= minimum or shallowest == 7:
        return text
    shift = minimum - shallowest
    out: list[str] = []
    fence: str | None = None
    for line in text.splitlines():
        marker = FENCE.match(line)
        if marker and (fence is None or marker.group(1).startswith(fence)):
            fence = None if fence else marker.group(1)[:3]
        match = HEADING.match(line) if fence is None else None
        if match:
            level = min(6, len(match.group(1)) + shift)
            line = f"{'#' * level} {match.group(2).strip()}"
        out.append(line)
    return "\n".join(out)


def _walk(node: Section) -> list[Section]:
    out = [node]
    for child in node.children:
        out.extend(_walk(child))
    return out


FRONT_MATTER = re.compile(r"\A(?:\ufeff)?---[ \t]*\r?\n(.*?)(?:\r?\n)?^---[ \t]*(?:\r?\n|\Z)",
                          re.DOTALL | re.MULTILINE)


def split_front_matter(text: str) -> tuple[str | None, str, int]:
    """(YAML text or None, body, 1-based line where the body starts).

    The YAML text is returned with one leading newline so that line numbers
    reported by the YAML parser are the README's own line numbers.
    """
    match = FRONT_MATTER.match(text)
    if match is None:
        return None, text, 1
    body = text[match.end():]
    body_line = text[: match.end()].count("\n") + 1
    return "\n" + match.group(1), body, body_line
