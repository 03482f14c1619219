"""Base64 graphics embedded in imported cards -> image files beside the card.

Only PNG, JPEG and script-free SVG are accepted (checked by their first
bytes, not by the name the card gives); file names are reduced to
`[a-z0-9._-]`, made unique, and always land in `graphics/` of the output.
"""

from __future__ import annotations

import base64
import binascii
import re
import xml.etree.ElementTree as ET

PNG = b"\x89PNG\r\n\x1a\n"
JPEG = b"\xff\xd8\xff"
SVG_START = re.compile(rb"^\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--.*?-->\s*)*(?:<!DOCTYPE svg[^>]*>\s*)?"
                       rb"(?:<!--.*?-->\s*)*<svg[\s>]", re.DOTALL | re.IGNORECASE)
SVG_NS = "{http://www.w3.org/2000/svg}"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
SVG_ELEMENTS = frozenset({
    "svg", "g", "defs", "symbol", "use", "title", "desc", "metadata", "path", "rect",
    "circle", "ellipse", "line", "polyline", "polygon", "text", "tspan", "textPath",
    "clipPath", "mask", "pattern", "marker", "linearGradient", "radialGradient", "stop",
    "filter", "feGaussianBlur", "feOffset", "feBlend", "feColorMatrix", "feFlood",
    "feComposite", "feMerge", "feMergeNode",
})
"""Drawing elements only: no script, foreignObject, style, image, a, animate or set."""
DATA_URI = re.compile(r"^data:image/[a-z+.-]+;base64,", re.IGNORECASE)
MAX_IMAGE_BYTES = 10 * 1024 * 1024
FOLDER = "graphics"


class GraphicError(ValueError):
    """A graphic that cannot be written out (the message says why)."""


def sniff(data: bytes) -> str | None:
    """'png', 'jpg' or 'svg' from the file's first bytes; None for anything else."""
    if data.startswith(PNG):
        return "png"
    if data.startswith(JPEG):
        return "jpg"
    if SVG_START.match(data.removeprefix(b"\xef\xbb\xbf")[:4096]):
        return "svg"
    return None


def decode(image: str) -> tuple[bytes, str]:
    """The bytes and file extension of a base64 image; GraphicError when unusable."""
    text = DATA_URI.sub("", re.sub(r"\s+", "", image))
    if len(text) > MAX_IMAGE_BYTES * 4 // 3 + 4:
        raise GraphicError(f"image is larger than {MAX_IMAGE_BYTES} bytes")
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        try:
            data = base64.urlsafe_b64decode(text)
        except (binascii.Error, ValueError):
            raise GraphicError(f"image is not valid base64 ({exc})") from exc
    kind = sniff(data)
    if kind is None:
        raise GraphicError("image is not a PNG, JPEG or SVG file (checked by its first bytes)")
    if kind == "svg" and not svg_is_inert(data):
        raise GraphicError("SVG image contains scripts, links, animations, event handlers "
                           "or markup other than drawing elements; refused")
    return data, kind


def file_name(name: str | None, kind: str, taken: set[str]) -> str:
    """A safe, unique 'graphics/<name>.<ext>' path for a graphic."""
    stem = re.sub(r"[^a-z0-9._-]+", "-", (name or "").lower()).strip("-._")[:60] or "graphic"
    candidate = f"{FOLDER}/{stem}.{kind}"
    n = 2
    while candidate in taken:
        candidate = f"{FOLDER}/{stem}-{n}.{kind}"
        n += 1
    taken.add(candidate)
    return candidate


def svg_is_inert(data: bytes) -> bool:
    """True when the SVG holds drawing elements only and can run nothing when opened.

    Parsed, not pattern-matched: a DTD or entity is refused outright (no entity
    expansion), every element must be an allow-listed SVG-namespace element,
    no attribute may be an event handler, and links may only point inside the
    document (`#id`).
    """
    if re.search(rb"<!DOCTYPE|<!ENTITY", data, re.IGNORECASE):
        return False
    try:
        root = ET.fromstring(data)
    except ET.ParseError:
        return False
    for element in root.iter():
        tag = element.tag if isinstance(element.tag, str) else ""
        if not tag.startswith(SVG_NS) or tag[len(SVG_NS):] not in SVG_ELEMENTS:
            return False
        for name, value in element.attrib.items():
            local = name.rsplit("}", 1)[-1].lower()
            if local.startswith("on") or "javascript:" in value.lower().replace(" ", ""):
                return False
            if (name == XLINK_HREF or local == "href") and not value.startswith("#"):
                return False
    return True
