"""Stage 5, render: the Jinja environment and its filters.

Card text is untrusted. Every value a template prints is escaped for both
HTML and Markdown (`finalize`), so a name like `[x](javascript:...)` or
`<script>` shows as text. Markdown fields go through the `md` filter, which
renders them with Python-Markdown and cleans the HTML with nh3 against an
allow-list; the result is marked safe and embedded as an HTML block.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import markdown
import nh3
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s",
    "span", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"align"},
    "th": {"align"},
    "code": {"class"},
    "span": {"class"},
    "div": {"class"},
}
URL_SCHEMES = {"http", "https", "mailto"}

_MD_SPECIAL = re.compile(r"[\\`*_{}\[\]<>()#+!|~&\"']")


def builtin_templates_dir() -> Path:
    """templates/ inside an installed wheel, or at the source checkout's top."""
    inside = Path(__file__).with_name("templates")
    return inside if inside.is_dir() else Path(__file__).parent.parent / "templates"


def escape_text(value: Any) -> Markup:
    """Plain text safe in Markdown and HTML: every significant character as an entity."""
    if isinstance(value, Markup):
        return value
    text = "" if value is None else str(value)
    escaped = _MD_SPECIAL.sub(lambda m: f"&#{ord(m.group(0))};", text)
    return Markup(escaped.replace("\n", " "))


def sanitize_html(html: str) -> str:
    """Remove scripts, event handlers, iframes and unsafe URLs (nh3 allow-list)."""
    return str(nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                         url_schemes=URL_SCHEMES, link_rel="noopener noreferrer nofollow"))


def markdown_to_html(text: str | None) -> Markup:
    """Untrusted Markdown -> sanitised HTML block (empty Markup for None)."""
    if not text:
        return Markup("")
    html = markdown.markdown(text, extensions=["tables", "fenced_code", "sane_lists"],
                             output_format="html")
    clean = sanitize_html(html)
    return Markup(f'<div class="mlcards-md" markdown="0">\n{clean}\n</div>')


@cache
def make_environment(override_dir: Path | None = None) -> Environment:
    """The Jinja environment: user templates first, then the built-in ones.

    StrictUndefined makes a misspelled variable an error instead of an empty string.
    """
    dirs = [str(override_dir)] if override_dir else []
    dirs.append(str(builtin_templates_dir()))
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(dirs)]),
        undefined=StrictUndefined,
        autoescape=True,
        finalize=escape_text,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["md"] = markdown_to_html
    env.filters["text"] = escape_text
    env.filters["html"] = escape
    return env
