"""In headless Chromium: the home page's status filter hides other statuses, and a
version page's text diff opens and shows added and removed lines."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from mlcards.site.build import BuildOptions, build_site

DATA = Path(__file__).parent.parent / "data" / "versions"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def versions_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("versions") / "reg"
    shutil.copytree(DATA, root)
    for readiness in root.glob("models/*/*/readiness.yaml"):
        readiness.unlink()  # no scorecards (PDFs take most of a build's time)
    out = root.parent / "site"
    build_site(root, out, BuildOptions(build_date="2025-09-01"))
    return out


VISIBLE_ROWS = """[...document.querySelectorAll('.mlcards-sortable tbody tr')]
  .filter(r => getComputedStyle(r).display !== 'none')
  .map(r => r.querySelector('td').textContent.trim())"""


def test_status_filter(versions_site: Path, page: Any) -> None:
    page.goto((versions_site / "index.html").as_uri())
    assert page.evaluate(VISIBLE_ROWS) == ["Churn predictor", "Legacy churn rules"]
    page.click("label:has(.mlcards-filter-deprecated)")
    assert page.evaluate(VISIBLE_ROWS) == ["Legacy churn rules"]
    page.click("label:has(.mlcards-filter-in-review)")
    assert page.evaluate(VISIBLE_ROWS) == ["Churn predictor"]
    page.click("label:has(.mlcards-filter-all)")
    assert len(page.evaluate(VISIBLE_ROWS)) == 2


def test_text_diff_opens(versions_site: Path, page: Any) -> None:
    page.goto((versions_site / "models" / "churn-predictor" / "1.2.0" / "index.html").as_uri())
    details = page.locator("details#diff-2")
    assert not details.locator("pre").is_visible()
    page.locator("label", has_text="Card fields").click()  # the card fields' tab
    assert not details.locator("pre").is_visible()
    details.locator("summary").click()
    assert details.locator("pre").is_visible()
    added = details.locator(".mlcards-diff-add").all_text_contents()
    assert added == ["+Trained on 2025 billing data and support tickets.",
                     "+Gradient-boosted trees replace the logistic regression."]
    color = details.locator(".mlcards-diff-del").evaluate("e => getComputedStyle(e).color")
    assert color == "rgb(176, 0, 32)"
