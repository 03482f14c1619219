"""Untrusted card text: the sanitiser's allow-list, plain-field escaping, safe links.

Card text comes from many teams and the site is public, so nothing in a YAML
value may become executable HTML: Markdown fields go through nh3 against an
allow-list (`|md`), every other printed value is escaped for HTML and Markdown
(the environment's `finalize`). The site-wide checks on built pages, plots and
downloads are in test_security_site.py.
"""

from __future__ import annotations

import base64
import shutil
from pathlib import Path

import markdown
import pytest
from hostile import (
    EXECUTABLE_TAGS,
    HOSTILE_SVGS,
    IMG,
    JS_LINK_MD,
    MARKDOWN_PAYLOADS,
    MODEL_DIR,
    PLAIN_PAYLOAD,
    SCRIPT,
    inert_problems,
    page_markdown_to_html,
    parse_html,
    svg_problems,
)

from mlcards.commands.init import SCAFFOLD
from mlcards.interop.graphics import GraphicError, decode
from mlcards.interop.publish import version_graphics
from mlcards.render.environment import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    escape_text,
    external_link,
    make_environment,
    markdown_to_html,
    safe_url,
)
from mlcards.site.build import make_context
from mlcards.validate.registry import load_registry

SITE_EXTENSIONS = ["admonition", "attr_list", "md_in_html", "tables", {"toc": {"permalink": True}}]
"""The Markdown extensions of the generated mkdocs.yml (mlcards.site.build.mkdocs_config)."""

JS_URLS = [
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "\tjavascript:alert(1)",
    "java\tscript:alert(1)", "java\nscript:alert(1)", "\x00javascript:alert(1)",
    "vbscript:msgbox(1)", "data:text/html,<script>alert(1)</script>",
    "data:image/svg+xml;base64,PHN2Zz4=", "//evil.example/x.js",
]


@pytest.mark.parametrize("payload", MARKDOWN_PAYLOADS)
def test_markdown_field_payload_is_inert(payload: str) -> None:
    html = str(markdown_to_html(payload))
    assert html.startswith('<div class="mlcards-md" markdown="0">')
    assert inert_problems(html) == []
    assert "__pwned=1<" not in html.replace("&lt;", "<") or "<code>" in html


@pytest.mark.parametrize("payload", MARKDOWN_PAYLOADS)
def test_markdown_field_stays_inert_inside_a_page(payload: str) -> None:
    """The |md output embedded in a page survives the site's own Markdown pass inertly."""
    page = f"# Card\n\n{markdown_to_html(payload)}\n\nAfter.\n"
    html = page_markdown_to_html(page, SITE_EXTENSIONS)
    assert inert_problems(html) == []
    assert "<p>After.</p>" in html


def test_allowed_tags_survive() -> None:
    source = (
        "<h1>a</h1><h2>a</h2><h3>a</h3><h4>a</h4><h5>a</h5><h6>a</h6>"
        "<p><b>b</b> <i>i</i> <em>e</em> <strong>s</strong> <s>s</s> <del>d</del> "
        "<sub>1</sub> <sup>2</sup> <abbr>ML</abbr> <code class=\"language-py\">x</code> "
        "<span>n</span><br></p>"
        "<a href=\"https://example.com/x\" title=\"t\">link</a>"
        "<img src=\"https://example.com/i.png\" alt=\"alt\" title=\"t\" width=\"10\" height=\"5\">"
        "<blockquote>q</blockquote><hr><pre><code>c</code></pre>"
        "<ul><li>u</li></ul><ol><li>o</li></ol><dl><dt>t</dt><dd>d</dd></dl>"
        "<div>d</div>"
        "<table><thead><tr><th align=\"left\">h</th></tr></thead>"
        "<tbody><tr><td align=\"right\">c</td></tr></tbody></table>"
    )
    doc = parse_html(str(markdown_to_html(source)))
    tags = {tag for tag, _ in doc.elements}
    assert tags >= ALLOWED_TAGS
    attrs = {(tag, name) for tag, values in doc.elements for name in values}
    expected = {(tag, name) for tag, names in ALLOWED_ATTRIBUTES.items() for name in names}
    assert attrs >= expected
    link = next(values for tag, values in doc.elements if tag == "a")
    assert link["href"] == "https://example.com/x"
    assert link["rel"] == "noopener noreferrer nofollow"


DISALLOWED_TAGS = sorted(EXECUTABLE_TAGS | {
    "input", "button", "textarea", "select", "option", "video", "audio", "source", "picture",
    "details", "summary", "marquee", "dialog", "canvas", "area", "map", "portal", "slot"})


@pytest.mark.parametrize("tag", DISALLOWED_TAGS)
def test_tags_outside_the_allow_list_are_removed(tag: str) -> None:
    html = str(markdown_to_html(f"before <{tag} id=\"x\">inside</{tag}> after"))
    assert tag not in {t for t, _ in parse_html(html).elements}
    assert "before" in html and "after" in html


@pytest.mark.parametrize("attribute", [
    'onclick="x()"', 'onerror="x()"', 'onmouseover="x()"', 'onfocus="x()"', 'style="color:red"',
    'id="search"', 'name="x"', 'formaction="javascript:x"', 'srcset="x.png 1x"',
    'markdown="1"', 'data-x="1"', 'autofocus=""', 'background="javascript:x"'])
def test_attributes_outside_the_allow_list_are_removed(attribute: str) -> None:
    html = str(markdown_to_html(f'<p {attribute}>p</p> <img src="a.png" {attribute}> '
                                f'<a href="b.html" {attribute}>b</a>'))
    name = attribute.split("=")[0]
    for tag, attrs in parse_html(html).elements[1:]:  # [0] is the filter's own wrapper div
        assert name not in attrs, (tag, attrs)


@pytest.mark.parametrize("url", JS_URLS)
def test_markdown_links_and_images_with_unsafe_urls_lose_them(url: str) -> None:
    for source in (f"[x]({url})", f'<a href="{url}">x</a>', f"![x]({url})", f'<img src="{url}">'):
        html = str(markdown_to_html(source))
        assert inert_problems(html) == [], (source, html)


@pytest.mark.parametrize("source", [
    '<span class="mlcards-badge mlcards-status-approved">approved</span>',
    '<div class="admonition success"><p class="admonition-title">Approved by MRM</p></div>',
    '<code class="md-header language-py">x</code>',
])
def test_site_classes_cannot_be_faked_from_card_text(source: str) -> None:
    """A draft card must not draw the site's own 'approved' badge or a callout."""
    doc = parse_html(str(markdown_to_html(source)))
    classes = [attrs.get("class", "") for _, attrs in doc.elements[1:]]
    assert all(c in ("", "language-py") for c in classes), classes


def test_fenced_code_keeps_its_language_and_tables_their_alignment() -> None:
    html = str(markdown_to_html("```python\nx = 1\n```\n\n| a | b |\n|:--|--:|\n| 1 | 2 |\n"))
    assert '<code class="language-python">' in html
    assert '<td align="left">1</td>' in html and '<td align="right">2</td>' in html


def test_relative_and_web_links_are_kept() -> None:
    html = str(markdown_to_html("[doc](../other/index.md) [web](https://example.com) "
                                "[mail](mailto:a@example.com) ![plot](plots/x.svg)"))
    for url in ("../other/index.md", "https://example.com", "mailto:a@example.com",
                "plots/x.svg"):
        assert f'"{url}"' in html


@pytest.mark.parametrize("value", [SCRIPT, IMG, JS_LINK_MD, PLAIN_PAYLOAD,
                                   "a | b", "**bold** _x_ `c` # h", "&lt;script&gt;",
                                   'x" onmouseover="y', "{: onclick=\"x\" }"])
def test_plain_field_is_text_in_a_table_cell_and_an_attribute(value: str) -> None:
    env = make_environment()  # shared and cached: render a string, never swap its loader
    page = env.from_string('| A | B |\n| --- | --- |\n| {{ v }} | x |\n\n'
                           '<span title="{{ v }}">t</span>\n').render(v=value)
    html = page_markdown_to_html(page, SITE_EXTENSIONS)
    assert inert_problems(html) == []
    doc = parse_html(html)
    cells = [tag for tag, _ in doc.elements if tag == "td"]
    assert len(cells) == 2, html  # the value did not break out of its cell
    span = next(attrs for tag, attrs in doc.elements if tag == "span")
    assert span == {"title": value}


@pytest.mark.parametrize("newline", ["\n", "\r", "\r\n", "\x0b", "\x0c", "\x85", "\u2028",
                                     "\u2029"])
def test_plain_field_never_starts_a_new_markdown_line(newline: str) -> None:
    """A line break inside a name must not end the table row (MkDocs reads pages with
    universal newlines, so a bare CR is a line break too)."""
    text = str(escape_text(f"name{newline}    indented{newline}=== {newline}- item"))
    assert text.splitlines() == [text]


@pytest.mark.parametrize("url", JS_URLS)
def test_unsafe_urls_never_become_links(url: str) -> None:
    assert safe_url(url) == "#"
    html = str(external_link(url, SCRIPT))
    assert inert_problems(html) == []
    assert 'href="#"' in html


def test_safe_urls_are_kept_and_escaped() -> None:
    assert safe_url("https://example.com/a?b=1&c=2") == "https://example.com/a?b=1&c=2"
    assert safe_url("docs/x.md") == "docs/x.md"
    html = str(external_link('https://example.com/"onmouseover="x', "t"))
    assert inert_problems(html) == []
    assert parse_html(html).elements[0][1]["href"] == 'https://example.com/"onmouseover="x'


def test_title_filter_drops_markup() -> None:
    env = make_environment()
    title = env.from_string("{{ v|plain }}").render(v=f"Model {SCRIPT}\r\n{IMG}")
    assert "<" not in title and ">" not in title and "\n" not in title and "\r" not in title


def test_python_markdown_alone_would_let_script_through() -> None:
    """Guard against the test being vacuous: raw Markdown output *is* dangerous."""
    assert inert_problems(markdown.markdown(SCRIPT + "\n\n" + IMG))


# --------------------------------------------------------------------------- imported graphics


@pytest.mark.parametrize("name", sorted(HOSTILE_SVGS))
def test_imported_svg_graphic_that_runs_script_is_refused(name: str) -> None:
    """An SVG opened directly (a card may link it) runs its scripts on the site's origin."""
    data = HOSTILE_SVGS[name]
    assert svg_problems(data), "the example must be dangerous"
    with pytest.raises(GraphicError):
        decode(base64.b64encode(data).decode("ascii"))


@pytest.mark.parametrize("name", sorted(HOSTILE_SVGS))
def test_svg_graphic_that_runs_script_is_not_published(tmp_path: Path, name: str) -> None:
    root = tmp_path / "reg"
    shutil.copytree(SCAFFOLD, root)
    graphics = root / MODEL_DIR / "graphics"
    graphics.mkdir()
    (graphics / "figure.svg").write_bytes(HOSTILE_SVGS[name])
    (graphics / "safe.svg").write_bytes(b'<svg xmlns="http://www.w3.org/2000/svg"><rect '
                                        b'width="9" height="9"/></svg>')
    ctx = make_context(load_registry(root))
    published = {out.path.rsplit("/", 1)[-1] for out in version_graphics(ctx)}
    assert published == {"safe.svg"}
