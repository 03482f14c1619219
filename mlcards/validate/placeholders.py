"""Placeholder text a finished card must not keep: template markers (TODO, TBD, 'More
information needed') and the exact phrases `mlcards init` writes into its scaffold
(mlcards/scaffold/), each with what to write instead.

`validate --strict` rejects them; the reviewer checklist (and so `check` of an approved
card) counts a prompt holding one as not filled.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

GENERIC = re.compile(r"\[?more information needed\]?|\bTODO\b|\bTBD\b|lorem ipsum",
                     re.IGNORECASE)
"""Markers of unfinished text from any template (Hugging Face's, the Model Card Toolkit's)."""


@dataclass(frozen=True)
class ScaffoldPhrase:
    """Text of the scaffold a user is meant to replace."""

    text: str
    write: str
    """What to write instead (follows 'write ')."""
    whole: bool = False
    """Only the whole value counts (a short phrase that real text may contain)."""

    @property
    def pattern(self) -> str:
        text = re.escape(self.text.rstrip("."))
        return rf"\A\s*{text}\.?\s*\Z" if self.whole else text


SCAFFOLD_PHRASES: tuple[ScaffoldPhrase, ...] = (
    ScaffoldPhrase("Replace this with",
                   "what the model does, for whom, and how it was built"),
    ScaffoldPhrase("Your Name", "the name of the person or team responsible", whole=True),
    ScaffoldPhrase("you@example.com", "an address that reaches them", whole=True),
    ScaffoldPhrase("Describe the decisions this model supports.",
                   "the decisions this model supports, and who makes them"),
    ScaffoldPhrase("Describe uses the model must not be put to.",
                   "the uses the model must not be put to"),
    ScaffoldPhrase("Describe a risk", "a risk the model poses: who could be harmed, and how",
                   whole=True),
    ScaffoldPhrase("Describe how it is mitigated.", "how that risk is mitigated"),
)

_SCAFFOLD = re.compile("|".join(f"({p.pattern})" for p in SCAFFOLD_PHRASES), re.IGNORECASE)

PLACEHOLDERS = re.compile("|".join([GENERIC.pattern, *(p.pattern for p in SCAFFOLD_PHRASES)]),
                          re.IGNORECASE)
"""Any placeholder, generic or the scaffold's (`PLACEHOLDERS.search(text)`)."""


def scaffold_phrase(text: str) -> ScaffoldPhrase | None:
    """The scaffold phrase `text` still holds, if any."""
    match = _SCAFFOLD.search(text)
    return None if match is None or match.lastindex is None \
        else SCAFFOLD_PHRASES[match.lastindex - 1]


def placeholder_message(text: str, *, required: bool) -> str | None:
    """Why `text` is not finished (--strict), or None: the scaffold's phrases anywhere,
    generic markers only in a section the policy requires (`required`)."""
    phrase = scaffold_phrase(text)
    if phrase is not None:
        return (f"still holds the `mlcards init` placeholder {phrase.text!r}; "
                f"write {phrase.write} (--strict)")
    match = GENERIC.search(text) if required else None
    if match is not None:
        return f"placeholder text {match.group(0)!r} left in a required section (--strict)"
    return None
