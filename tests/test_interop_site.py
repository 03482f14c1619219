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


def test_html_in_an_imported_section_does_not_run_on_the_site(tmp_path: Path) -> None:
    """Card text is untrusted: an additional section's HTML is sanitised like any card text,
    and its heading is text."""
    readme = tmp_path / "README.md"
    readme.write_text("---\nlicense: mit\n---\n# Tiny\n\nA tiny model.\n\n"
                      "## Demo <script>alert(1)</script>\n\n"
                      '<img src="x" onerror="alert(2)"> <script>alert(3)</script>\n'
                      '<a href="javascript:alert(4)">click</a> and **bold** text.\n',
                      encoding="utf-8")
    registry = tmp_path / "reg"
    assert main(["init", str(registry)]) == 0
    version = registry / "models" / "tiny" / "1.0.0"
    assert main(["import", "hf", str(readme), "-o", str(version)]) == 0
    out = tmp_path / "out"
    assert main(["build", "-q", "--docs-only", str(registry), "-o", str(out)]) == 0
    page = (out / "docs" / "models" / "tiny" / "1.0.0" / "index.md").read_text("utf-8")
    assert "<strong>bold</strong>" in page  # the section is shown, as Markdown
    assert "<script" not in page and "onerror" not in page and "javascript:" not in page
    assert "### Demo &#60;script&#62;alert&#40;1&#41;&#60;/script&#62;\n" in page
