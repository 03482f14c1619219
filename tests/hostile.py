"""Hostile card text for the security tests: payloads, a registry full of them, and
checks that HTML, SVG, JSON and CSV outputs carry that text inertly.

Every payload that would execute sets `window.__pwned` (or calls `alert`), so
the browser tests can tell whether any of it ran.
"""

from __future__ import annotations

import html
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import markdown
import yaml

from mlcards.commands.init import SCAFFOLD

MODEL_DIR = Path("models/example-model/0.1.0")

SCRIPT = "<script>window.__pwned=1</script>"
BREAKOUT = "</title></textarea></style></script><script>window.__pwned=1</script>"
"""Closes the elements whose content browsers read as raw text, then opens a script."""
IMG = '<img src=x onerror="window.__pwned=1">'
JS_LINK_MD = "[click me](javascript:window.__pwned=1)"
PLAIN_PAYLOAD = f"{BREAKOUT} {IMG} {JS_LINK_MD}"
"""One line mixing the three classic attacks: used in plain (escaped) fields."""
URL_PAYLOAD = ("https://evil.example/%22%3E%3Cscript%3Ewindow.__pwned=1%3C/script%3E"
               "?next=javascript:window.__pwned=1&x=%27onmouseover=window.__pwned=1"
               "#%3Cimg%20src=x%20onerror=window.__pwned=1%3E")
"""The worst a URL field can hold: the schema refuses quotes, angle brackets, spaces and
every scheme but http(s) (tests/test_hostile_urls.py), so the attack is percent-encoded."""

MARKDOWN_PAYLOADS = [
    SCRIPT,
    BREAKOUT,
    IMG,
    JS_LINK_MD,
    "[mixed case](JaVaScRiPt:window.__pwned=1)",
    "[entity](jav&#x61;script:window.__pwned=1)",
    "[tab](java&#x09;script:window.__pwned=1)",
    "[space]( javascript:window.__pwned=1)",
    "[angle](<javascript:window.__pwned=1>)",
    "[ref link][evil]\n\n[evil]: javascript:window.__pwned=1",
    '<a href="javascript:window.__pwned=1">html link</a>',
    '<a href=" JAVASCRIPT:window.__pwned=1">html link, space and case</a>',
    '<a href="jav&#x61;script&colon;window.__pwned=1">html link, entities</a>',
    '<a href="vbscript:window.__pwned=1">vbscript</a>',
    '<a href="data:text/html,<script>window.__pwned=1</script>">data link</a>',
    '<iframe src="javascript:window.__pwned=1"></iframe>',
    '<object data="javascript:window.__pwned=1"></object>',
    '<embed src="javascript:window.__pwned=1">',
    "<style>body{display:none}</style>",
    '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9ImFsZXJ0KDEpIj4=" alt="data img">',
    "![data md img](data:image/png;base64,iVBORw0KGgo=)",
    '<div onclick="window.__pwned=1" onmouseover="window.__pwned=1">div with handlers</div>',
    '<IMG SRC=x OnErRoR="window.__pwned=1">',
    "<svg onload=\"window.__pwned=1\"><circle r=1 /></svg>",
    '<details open ontoggle="window.__pwned=1">d</details>',
    '<form action="javascript:window.__pwned=1"><button>go</button></form>',
    '<math><mi xlink:href="javascript:window.__pwned=1">m</mi></math>',
    "<<script>script>window.__pwned=1<</script>/script>",
    '<base href="javascript:window.__pwned=1//">',
    '<meta http-equiv="refresh" content="0;url=javascript:window.__pwned=1">',
    "`<script>` in code and a fenced block:\n\n```\n<script>window.__pwned=1</script>\n```",
    '{: onclick="window.__pwned=1" }',
]
MARKDOWN_PAYLOAD = "\n\n".join(MARKDOWN_PAYLOADS)
"""Every Markdown attack, one paragraph each: used in Markdown fields."""

EXECUTABLE_TAGS = {"script", "iframe", "object", "embed", "style", "form", "frame", "frameset",
                   "svg", "math", "base", "meta", "link", "applet", "template", "noscript"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "xlink:href", "poster",
                  "background", "srcset"}
SAFE_SCHEMES = {"http", "https", "mailto"}
RASTER_DATA = ("data:image/png;base64,", "data:image/jpeg;base64,")
"""Embedded raster images (matplotlib's heatmaps): pixels only, nothing to run."""


# --------------------------------------------------------------------------- registry


def hostile_registry(root: Path) -> Path:
    """The scaffold registry at `root` with payloads in every kind of text field."""
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(SCAFFOLD, root)
    _edit(root / "mlcards.yaml", _config)
    hostile_version(root / MODEL_DIR)
    return root


def add_hostile_model(registry: Path, model_id: str, custom: dict[str, Any] | None = None,
                      ) -> Path:
    """A hostile model version (the scaffold's, renamed to `model_id`) added to `registry`."""
    folder = registry / "models" / model_id / "0.1.0"
    shutil.copytree(SCAFFOLD / MODEL_DIR, folder)
    hostile_version(folder, model_id, custom)
    return folder


def hostile_version(folder: Path, model_id: str | None = None,
                    custom: dict[str, Any] | None = None) -> None:
    """Payloads in the card, evaluation and readiness files of a scaffold version folder."""
    def card(doc: dict[str, Any]) -> None:
        _card(doc)
        if model_id:
            doc["model_details"]["id"] = model_id
        if custom:
            doc["custom"] = custom

    _edit(folder / "card.yaml", card)
    _edit(folder / "evaluation.yaml", _evaluation)
    _edit(folder / "readiness.yaml", _readiness)


def _edit(path: Path, change: Any) -> None:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(doc)
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")


def _config(doc: dict[str, Any]) -> None:
    doc["title"] = f"Registry {PLAIN_PAYLOAD}"
    doc["description"] = PLAIN_PAYLOAD
    doc["owners"][0]["name"] = PLAIN_PAYLOAD
    doc["repo_url"] = URL_PAYLOAD
    # the theme puts site_url's path in an inline script: percent-encoded, it stays a string
    doc["site_url"] = "https://site.evil.example/%22%3E%3C/script%3E%3Cimg%20onerror=x%3E/"


def _card(doc: dict[str, Any]) -> None:
    details = doc["model_details"]
    details["name"] = f"Example {PLAIN_PAYLOAD}"
    details["description"] = f"Harmless description word zebracorn.\n\n{MARKDOWN_PAYLOAD}"
    details["type"] = PLAIN_PAYLOAD
    details["library"] = IMG
    details["license"] = JS_LINK_MD
    details["owners"] = [{"name": PLAIN_PAYLOAD, "role": SCRIPT, "team": IMG,
                          "url": URL_PAYLOAD},
                         {"name": "contact", "url": "mailto:x@evil.example?subject=%3Cscript%3E"}]
    details["references"] = [{"title": PLAIN_PAYLOAD, "url": URL_PAYLOAD},
                             {"title": "upper case", "url": URL_PAYLOAD.upper()}]
    details["repository"] = URL_PAYLOAD
    details["citation"] = PLAIN_PAYLOAD
    doc["tags"] = [SCRIPT, IMG, JS_LINK_MD, 'x" onmouseover="window.__pwned=1', "ok-tag"]
    doc["intended_use"] = {"primary_uses": MARKDOWN_PAYLOAD, "out_of_scope": MARKDOWN_PAYLOAD}
    doc["evaluation_data"]["datasets"][0].update(
        {"name": PLAIN_PAYLOAD, "url": URL_PAYLOAD, "license": SCRIPT,
         "description": MARKDOWN_PAYLOAD})
    doc["ethical_considerations"] = {
        "risks": [{"name": PLAIN_PAYLOAD, "mitigation": MARKDOWN_PAYLOAD}],
        "data": MARKDOWN_PAYLOAD}
    doc["caveats_and_recommendations"] = MARKDOWN_PAYLOAD
    doc["approvals"] = [{"name": PLAIN_PAYLOAD, "role": IMG, "date": "2026-01-16",
                         "decision": "approved", "note": MARKDOWN_PAYLOAD}]


def _evaluation(doc: dict[str, Any]) -> None:
    doc["dataset"]["name"] = "holdout-2026"
    doc["metrics"][0]["description"] = MARKDOWN_PAYLOAD
    doc["notes"] = MARKDOWN_PAYLOAD
    doc["results"] = [
        {"metric": "accuracy", "value": 0.86, "ci": [0.84, 0.88], "n": 1000},
        {"metric": "accuracy", "slice": {"group": SCRIPT}, "value": 0.87, "n": 600},
        {"metric": "accuracy", "slice": {"group": IMG}, "value": 0.845, "n": 300},
        {"metric": "accuracy", "slice": {"group": "$x^2$ & <b>"}, "value": 0.8, "n": 100},
    ]


def _readiness(doc: dict[str, Any]) -> None:
    doc["assessor"]["name"] = PLAIN_PAYLOAD
    doc["tests"]["data-1"] = {
        "status": "automated", "note": MARKDOWN_PAYLOAD, "owner": PLAIN_PAYLOAD,
        "schedule": SCRIPT,
        "evidence": [{"kind": "ci-run", "title": PLAIN_PAYLOAD, "url": URL_PAYLOAD},
                     {"kind": IMG, "title": "entity", "url": "https://evil.example/&#x61;&quot;"}]}


# --------------------------------------------------------------------------- checks


class _Collector(HTMLParser):
    """Every start tag with its attributes (entities decoded, as a browser reads them)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.scripts: list[tuple[dict[str, str], str]] = []
        self._in_script: dict[str, str] | None = None
        self._script_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k.lower(): v or "" for k, v in attrs}
        self.elements.append((tag.lower(), values))
        if tag.lower() in ("title", "textarea"):
            self.set_cdata_mode(tag.lower())  # browsers read their content as text
        if tag.lower() == "script":
            self._in_script, self._script_text = values, []

    def handle_data(self, data: str) -> None:
        if self._in_script is not None:
            self._script_text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag.lower() == "script" and self._in_script is not None:
            self.scripts.append((self._in_script, "".join(self._script_text)))
            self._in_script = None


def parse_html(text: str) -> _Collector:
    parser = _Collector()
    parser.feed(text)
    parser.close()
    return parser


def url_scheme(url: str) -> str:
    """The scheme a browser would see (WHATWG URL parser): C0 controls and spaces trimmed
    at both ends, tabs and newlines removed everywhere; a space inside makes it relative."""
    trimmed = re.sub(r"^[\x00-\x20]+|[\x00-\x20]+$", "", html.unescape(url))
    cleaned = re.sub(r"[\t\n\r]", "", trimmed).lower()
    match = re.match(r"^([a-z][a-z0-9+.-]*):", cleaned)
    return match.group(1) if match else ""


def inert_problems(text: str, *, theme: bool = False) -> list[str]:
    """What in an HTML document or fragment could run card text (empty: nothing).

    With `theme`, `text` is a whole page of the built site: the theme's own scripts and
    search form are allowed, but nothing of the kind inside the page's <article>.
    """
    if theme:
        article = re.search(r"<article\b.*?</article>", text, re.DOTALL)
        assert article, "no <article> in the page"
        return [*_document_problems(text, strict=False),
                *(f"in <article>: {p}" for p in _document_problems(article.group(0),
                                                                   strict=True))]
    return _document_problems(text, strict=True)


def _document_problems(text: str, *, strict: bool) -> list[str]:
    doc = parse_html(text)
    problems = []
    for tag, attrs in doc.elements:
        if strict and tag in EXECUTABLE_TAGS:
            problems.append(f"<{tag}> element {attrs}")
        for name, value in attrs.items():
            if name.startswith("on"):
                problems.append(f"<{tag} {name}={value!r}> event handler")
            if name in URL_ATTRIBUTES and url_scheme(value) not in SAFE_SCHEMES | {""}:
                problems.append(f"<{tag} {name}={value!r}> unsafe URL")
    for attrs, body in doc.scripts:
        if "__pwned" in body or "alert(" in body:
            problems.append(f"<script> running card text: {body[:80]!r}")
        if attrs.get("src") and url_scheme(attrs["src"]) not in ("", "https"):
            problems.append(f"<script src={attrs['src']!r}>")
    if strict and re.search(r"<\s*script", text, re.IGNORECASE):
        problems.append("raw '<script' in the text")
    return problems


def page_markdown_to_html(text: str, extensions: list[Any]) -> str:
    """A generated docs page rendered as MkDocs would (its mkdocs.yml Markdown extensions)."""
    names: list[str] = []
    configs: dict[str, Any] = {}
    for ext in extensions:
        if isinstance(ext, dict):
            (name, conf), = ext.items()
            names.append(name)
            configs[name] = conf or {}
        else:
            names.append(ext)
    body = re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.DOTALL)  # front matter
    return markdown.markdown(body, extensions=names, extension_configs=configs)


def svg_problems(svg: bytes) -> list[str]:
    """Script, event handlers, foreign HTML or script links inside an SVG file."""
    root = ElementTree.fromstring(svg)
    problems = []
    for el in root.iter():
        tag = el.tag.rsplit("}", 1)[-1].lower()
        if tag in ("script", "foreignobject", "iframe", "embed", "object", "handler",
                   "listener"):
            problems.append(f"<{tag}> element")
        for name, value in el.attrib.items():
            local = name.rsplit("}", 1)[-1].lower()
            if local.startswith("on"):
                problems.append(f"<{tag} {local}> event handler")
            raster = tag == "image" and value.startswith(RASTER_DATA)
            if local == "href" and url_scheme(value) not in SAFE_SCHEMES | {""} and not raster:
                problems.append(f"<{tag} href={value!r}> unsafe URL")
        if tag in ("set", "animate") and "href" in el.attrib.get("attributeName", "").lower():
            problems.append(f"<{tag}> animating a link target")
    return problems


def svg_text(svg: bytes) -> str:
    """All text content of an SVG (its labels), entities decoded."""
    return " ".join(t for t in ElementTree.fromstring(svg).itertext())


def strings_in(value: Any) -> list[str]:
    """Every string (keys and values) inside parsed JSON."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [k, *strings_in(v)]]
    if isinstance(value, list):
        return [s for v in value for s in strings_in(v)]
    return []


HOSTILE_SVGS = {
    "script": b'<svg xmlns="http://www.w3.org/2000/svg"><script>window.__pwned=1</script></svg>',
    "prefixed svg script": b'<svg xmlns="http://www.w3.org/2000/svg"><x:script '
                           b'xmlns:x="http://www.w3.org/2000/svg">window.__pwned=1</x:script></svg>',
    "xhtml script": b'<svg xmlns="http://www.w3.org/2000/svg" '
                    b'xmlns:h="http://www.w3.org/1999/xhtml"><h:script>window.__pwned=1'
                    b"</h:script></svg>",
    "entity javascript link": b'<svg xmlns="http://www.w3.org/2000/svg" '
                              b'xmlns:xlink="http://www.w3.org/1999/xlink"><a xlink:href='
                              b'"jav&#x61;script:window.__pwned=1"><rect width="9" height="9"/>'
                              b"</a></svg>",
    "animated link": b'<svg xmlns="http://www.w3.org/2000/svg"><a><set attributeName="href" '
                     b'to="jav&#x61;script:window.__pwned=1"/><rect width="9" height="9"/>'
                     b"</a></svg>",
    "event handler": b'<svg xmlns="http://www.w3.org/2000/svg" onload="window.__pwned=1"/>',
}
"""SVG files that run script when opened directly (all checked in Chromium 156)."""
