"""Imported cards on the site: their graphics are published and resolve from
both the version's card page and the model's landing page (one folder up)."""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

from mlcards.cli import main

MCT_CARD = Path(__file__).parent / "data" / "interop" / "mct" / "census_income.json"


def test_imported_graphics_resolve_on_card_and_landing_pages(tmp_path: Path) -> None:
    registry = tmp_path / "reg"
    assert main(["init", str(registry)]) == 0
    version = registry / "models" / "census-income" / "0.3.0"
    assert main(["import", "mct", str(MCT_CARD), "-o", str(version)]) == 0
    out = tmp_path / "out"
    assert main(["build", "-q", "--docs-only", str(registry), "-o", str(out)]) == 0
    docs = out / "docs"
    pages = {"models/census-income/0.3.0/index.md": "models/census-income/0.3.0",
             "models/census-income/index.md": "models/census-income"}
    for page, folder in pages.items():
        sources = re.findall(r'<img[^>]*src="([^"]+)"', (docs / page).read_text("utf-8"))
        graphics = [s for s in sources if "graphics/" in s]
        assert graphics, f"no imported graphic shown on {page}"
        for src in graphics:
            assert (docs / posixpath.normpath(posixpath.join(folder, src))).is_file(), (page, src)
