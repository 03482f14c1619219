"""What the browser tests and their fixtures share."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mlcards.validate.registry import Registry

INJECTED = "injected-model"
"""Id of the model whose card is full of script injections (tests/hostile.py)."""


@dataclass(frozen=True)
class Site:
    """The built site: its folder, its URL and the registry it came from."""

    folder: Path
    url: str
    example: Registry

    def page(self, path: str = "") -> str:
        return f"{self.url}/{path}"
