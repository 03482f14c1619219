"""Stage 5, render: the Jinja environment and its filters.

Card text is untrusted. Every value a template prints is escaped for both
HTML and Markdown (`finalize`), so a name like `[x](javascript:...)` or
`<script>` shows as text. Markdown fields go through the `md` filter, which
renders them with Python-Markdown and cleans the HTML with nh3 against an
allow-list; the result is marked safe and embedded as an HTML block.
"""

from __future__ import annotations

import html
import posixpath
import re
import unicodedata
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import markdown
import nh3
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from mlcards import reuse

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
}
_CODE_CLASS = re.compile(r"^language-[A-Za-z0-9_+.#-]+$")
"""The only class card Markdown keeps (fenced code's language): site classes such as the
status badges or callouts must not be fakeable from a card."""
URL_SCHEMES = {"http", "https", "mailto"}

_MD_SPECIAL = re.compile(r"[\\`*_{}\[\]<>()#+!|~&\"']")
_LINE_BREAKS = re.compile(r"\r\n|[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
"""Everything str.splitlines() breaks on; MkDocs reads pages with universal newlines (CR too)."""


_ESCAPES = {ord(c): f"&#{ord(c)};" for c in "\\`*_{}[]<>()#+!|~&\"'"}
_ESCAPES.update({ord(c): " " for c in "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"})
"""escape_text's table: _MD_SPECIAL as entities, _LINE_BREAKS as spaces (str.translate is
an order of magnitude faster than a regex with a callback; pages print thousands of values)."""


def builtin_templates_dir() -> Path:
    """templates/ inside an installed wheel, or at the source checkout's top."""
    package = Path(__file__).parent.parent
    inside = package / "templates"  # in a wheel; in a checkout, beside the package
    return inside if inside.is_dir() else package.parent / "templates"


def escape_text(value: Any) -> Markup:
    """Plain text safe in Markdown and HTML: every significant character as an entity."""
    if isinstance(value, Markup):
        return value
    text = "" if value is None else str(value)
    return Markup(text.replace("\r\n", " ").translate(_ESCAPES))


def sanitize_html(html: str) -> str:
    """Remove scripts, event handlers, iframes and unsafe URLs (nh3 allow-list)."""
    return str(nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                         attribute_filter=_keep_attribute, url_schemes=URL_SCHEMES,
                         link_rel="noopener noreferrer nofollow"))


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    """Of class attributes only `language-*` survives (None drops the attribute)."""
    if attribute != "class":
        return value
    return " ".join(c for c in value.split() if _CODE_CLASS.match(c)) or None


@cache
def _markdown() -> markdown.Markdown:
    """One Markdown converter, reset between texts (building one costs more than converting)."""
    return markdown.Markdown(extensions=["tables", "fenced_code", "sane_lists"],
                             extension_configs={"tables": {"use_align_attribute": True}},
                             output_format="html")


@lru_cache(maxsize=4096)
def markdown_to_html(text: str | None) -> Markup:
    """Untrusted Markdown -> sanitised HTML block (empty Markup for None)."""
    if not text:
        return Markup("")
    converter = _markdown()
    converter.reset()
    html = converter.convert(text)
    clean = sanitize_html(html)
    return Markup(f'<div class="mlcards-md" markdown="0">\n{clean}\n</div>')


def plain_summary(text: str | None, length: int = 160) -> str:
    """Markdown as one line of plain text, cut at a word boundary (for table cells);
    a reuse point ("summary": a registry-wide page makes one per model)."""
    if not text:
        return ""
    summary: str = reuse.active().call("summary", _plain_summary, text, length)
    return summary


def _plain_summary(text: str, length: int) -> str:
    stripped = nh3.clean(str(markdown_to_html(text)), tags=set())
    words = html.unescape(stripped).split()
    out = ""
    for word in words:
        if len(out) + len(word) + 1 > length:
            return out + " …"
        out = f"{out} {word}" if out else word
    return out


def format_number(value: float | int | None, digits: int = 3) -> str:
    """A metric value with up to `digits` decimals, trailing zeros dropped ('—' for None)."""
    if value is None:
        return "—"
    text = f"{float(value):.{digits}f}"
    text = text.rstrip("0").rstrip(".") if "." in text else text
    return "0" if text in ("-0", "") else text


def safe_url(url: str | None) -> str:
    """`url` when its scheme is allowed (http, https, mailto) or it is relative, else '#'."""
    if not url:
        return "#"
    text = url.strip()
    if re.search(r"[\x00-\x20]", text):
        return "#"
    scheme = urlsplit(text).scheme.lower()
    return text if scheme in URL_SCHEMES or (not scheme and not text.startswith("//")) else "#"


def external_link(url: str | None, text: Any = None) -> Markup:
    """An inline HTML link to an outside URL; the text is escaped, unsafe URLs become '#'."""
    label = escape_text(url if text is None else text)
    href = escape(safe_url(url))
    return Markup(f'<a href="{href}" rel="noopener noreferrer nofollow">{label}</a>')


_TITLE_QUOTES = str.maketrans({"'": "\u2019", '"': "\u201d", "`": "\u2018"})
"""Quotes become typographic ones: inert in raw-printed attributes, still readable."""


def plain_title(value: Any) -> str:
    """A page or site title with no markup characters (MkDocs themes print titles raw)."""
    text = "".join(" " if unicodedata.category(c).startswith("C") else c for c in str(value))
    text = text.translate(_TITLE_QUOTES)
    text = re.sub(r"[<>&]", "", text)
    return re.sub(r"\s+", " ", text).strip() or "untitled"


def slugify(value: Any) -> str:
    """Lower-case ASCII anchor id: letters, digits and '-' (tags, sections)."""
    text = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug or "x"


def relative_url(from_page: str, to_path: str) -> Markup:
    """Link from one docs-tree page to another docs-tree path (both posix, docs-relative)."""
    target, _, anchor = to_path.partition("#")
    rel = posixpath.relpath(target, posixpath.dirname(from_page) or ".") if target else ""
    url = quote(rel, safe="/._-~") + (f"#{quote(anchor, safe='._-')}" if anchor else "")
    return Markup(url)


_MD_LINK = re.compile(r"(\]\()([^)\s]+)")
_MD_REF = re.compile(r"^(\s{0,3}\[[^\]]+\]:\s*)(\S+)", re.MULTILINE)
_HTML_ATTR = re.compile(r"""((?:href|src)=["'])([^"']+)""")


def rebase_links(markdown_text: str, prefix: str) -> str:
    """Prefix every relative link target of Markdown/HTML text with `prefix`.

    Used to show a version page's fragments on the model's landing page, one folder up.
    """
    def fix(match: re.Match[str]) -> str:
        target = match.group(2)
        if urlsplit(target).scheme or target.startswith(("/", "#")):
            return match.group(0)
        return match.group(1) + posixpath.join(prefix, target)

    for pattern in (_MD_LINK, _MD_REF, _HTML_ATTR):
        markdown_text = pattern.sub(fix, markdown_text)
    return markdown_text


@pass_context
def markdown_in_page(context: Context, text: str | None) -> Markup:
    """`|md` in a template: as markdown_to_html, with relative links prefixed by the
    page's `link_base` when it sets one (a landing page shows a card one folder up)."""
    html = markdown_to_html(text)
    base = context.get("link_base")
    return Markup(rebase_links(str(html), base)) if base else html


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
    env.filters["md"] = markdown_in_page
    env.filters["text"] = escape_text
    env.filters["html"] = escape
    env.filters["num"] = format_number
    env.filters["link"] = external_link
    env.filters["plain"] = plain_title
    env.filters["slug"] = slugify
    env.filters["summary"] = plain_summary
    return env
