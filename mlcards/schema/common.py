"""Building blocks shared by every file kind."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

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


class Person(StrictModel):
    """Someone responsible for a model, an assessment or an approval."""

    name: str
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+$")
    role: str | None = None
    team: str | None = None
    url: str | None = None


class Link(StrictModel):
    """A reference: a paper, a document, a repository."""

    title: str
    url: str
