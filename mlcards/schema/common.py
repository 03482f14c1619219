"""Building blocks shared by every file kind."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

SCHEMA_VERSION = 1


class StrictModel(BaseModel):
    """Unknown keys are errors: a typo must never be silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=False, populate_by_name=True)


def _number_to_text(value: Any) -> Any:
    """YAML reads `1.0` as a float; versions and ids are text."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return str(value)
    return value


Text = Annotated[str, BeforeValidator(_number_to_text)]
"""A short string; bare YAML numbers are accepted as their text."""

Markdown = Annotated[str, Field(json_schema_extra={"format": "markdown"})]
"""Long text, rendered as Markdown on the site (HTML in it is sanitised)."""

SchemaVersion = Annotated[
    Literal[1],
    Field(description="Version of the mlcards file format this file follows."),
]

Slug = Annotated[
    str,
    Field(pattern=r"^[a-z0-9][a-z0-9._-]*$", max_length=100,
          description="Lower-case letters, digits, '.', '_' and '-'."),
]


URL_UNSAFE = frozenset("\"'<>`\\^{|}")
"""Characters a URL must carry percent-encoded (RFC 3986 never allows them bare; the quote
' is allowed there but refused here): bare, they could end an HTML attribute or open an
element wherever a theme prints the URL unescaped (MkDocs themes print repo_url raw)."""

_SAFE = r'''[^\s\x00-\x1f\x7f-\x9f"'<>`\\^{|}'''
URL_PATTERN = f"^[Hh][Tt][Tt][Pp][Ss]?://{_SAFE}/?#]+([/?#]{_SAFE}]*)?$"
CONTACT_URL_PATTERN = (f"^([Hh][Tt][Tt][Pp][Ss]?://{_SAFE}/?#]+([/?#]{_SAFE}]*)?"
                       f"|[Mm][Aa][Ii][Ll][Tt][Oo]:{_SAFE}@]+@{_SAFE}]+)$")
"""The JSON Schema side of `url_problem` (editors); the validator is the authority."""


def url_problem(value: str, *, contact: bool = False) -> str | None:
    """Why `value` is not an acceptable URL (None: it is one).

    Accepted: `http://` or `https://` with a host, and with `contact` also
    `mailto:name@host`; nothing that is whitespace, a control character, a quote,
    an angle bracket, a backtick, a backslash or another character RFC 3986 wants
    percent-encoded.
    """
    expected = "expected an http(s) or mailto: URL" if contact else "expected an http(s) URL"
    for char in value:
        if char in URL_UNSAFE or char.isspace() or unicodedata.category(char) == "Cc":
            shown = ("a space" if char == " " else repr(char) if char.isprintable()
                     else f"U+{ord(char):04X}")
            fix = f"write {shown} as %{ord(char):02X}" if ord(char) < 128 else f"found {shown}"
            return f"{expected} without quotes, angle brackets or spaces; {fix}"
    scheme, sep, rest = value.partition(":")
    scheme = scheme.lower() if sep and re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", scheme) else ""
    if contact and scheme == "mailto":
        if re.fullmatch(r"[^@]+@[^@?]+(\?.*)?", rest):
            return None
        return f"{expected}; a mailto: URL needs an address, e.g. mailto:team@example.org"
    if not scheme:
        return f"{expected} starting with https://"
    if scheme not in ("http", "https"):
        return f"{expected}, not {scheme}:"
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        return f"{expected} with a readable host and port"
    if not rest.startswith("//") or not parts.hostname:
        return f"{expected} with a host, e.g. https://example.org/page"
    return None


def _check_url(value: str) -> str:
    problem = url_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _check_contact_url(value: str) -> str:
    problem = url_problem(value, contact=True)
    if problem:
        raise ValueError(problem)
    return value


@dataclass(frozen=True)
class UrlField:
    """Marks `Url` and `ContactUrl` in the models, for code that walks them (the importers
    drop an imported URL these types would refuse instead of failing the import)."""

    contact: bool = False


Url = Annotated[
    str, AfterValidator(_check_url), UrlField(),
    Field(json_schema_extra={"format": "uri", "pattern": URL_PATTERN},
          description="An http:// or https:// URL with a host; spaces, quotes, angle "
          "brackets, backticks and backslashes percent-encoded."),
]
"""Every URL field of every file kind: http(s) with a host, nothing that could leave an
HTML attribute (the check is `url_problem`)."""

ContactUrl = Annotated[
    str, AfterValidator(_check_contact_url), UrlField(contact=True),
    Field(json_schema_extra={"format": "uri", "pattern": CONTACT_URL_PATTERN},
          description="An http(s) URL with a host or a mailto: address; spaces, quotes, "
          "angle brackets, backticks and backslashes percent-encoded."),
]
"""A URL that reaches a person: `Url`, or `mailto:`."""


class Person(StrictModel):
    """Someone responsible for a model, an assessment or an approval."""

    name: str
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+$")
    role: str | None = None
    team: str | None = None
    url: ContactUrl | None = Field(default=None, description="The person's page or contact.")


class Link(StrictModel):
    """A reference: a paper, a document, a repository."""

    title: str
    url: Url
