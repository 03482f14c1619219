"""The decision summary of a card page, in headless Chromium (issue #20).

One site build (the session's example site) and one page per check. The summary must
sit in the first screen at 1280 x 900 and on a 390 px phone, give each gate rule the
result `mlcards check --as-of DATE` gives that version (DATE: the one the summary
names), and each of its links must land on a visible section. Screenshots go to
test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from browser_support import Site

from mlcards.commands.report import cases_from_check
from mlcards.compute.gate import evaluate

CARD = "models/credit-default/1.1.0/"
VERSIONS = ["credit-default/1.1.0", "fraud-screen/0.3.0", "ticket-router/2.1.0"]
OUTCOMES = {"passed": "pass", "failed": "fail", "skipped": "not gated"}


def _open(page: Any, site: Site, path: str) -> None:
    page.goto(site.page(path))
    page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("width,height", [(1280, 900), (390, 844)])
def test_summary_fits_the_first_screen(site: Site, browser: Any, screenshots: Path,
                                       width: int, height: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    try:
        _open(page, site, CARD)
        page.screenshot(path=str(screenshots / f"card-summary-{width}.png"))
        box = page.locator("#decision-summary").bounding_box()
        assert box is not None and box["y"] >= 0
        assert box["y"] + box["height"] <= min(height, 900), box
    finally:
        context.close()


@pytest.mark.parametrize("key", VERSIONS)
def test_summary_result_is_mlcards_check(site: Site, page: Any, key: str) -> None:
    model, version = key.split("/")
    _open(page, site, f"models/{model}/{version}/")
    summary = page.locator("#decision-summary")
    as_of = re.search(r"--as-of (\d{4}-\d{2}-\d{2})", summary.inner_text())
    assert as_of is not None, "the summary names the date it judged due dates against"
    outcome = evaluate(str(site.folder.parent / "registry"), None, as_of=as_of.group(1))
    expected = {c.name.replace("-", "_"): OUTCOMES[c.outcome]
                for c in cases_from_check(outcome) if c.suite == key}
    shown = {cell.get_attribute("data-rule"): cell.inner_text().split(" ", 1)[1]
             for cell in summary.locator("[data-rule]").all()}
    assert shown == expected
    failed = any(o == "fail" for o in expected.values())
    verdict = summary.get_attribute("data-verdict")
    assert verdict == ("fails" if failed else "passes" if expected and all(
        o == "pass" for o in expected.values()) else "not gated")


def test_summary_links_land_on_their_sections(site: Site, page: Any) -> None:
    _open(page, site, CARD)
    links = page.locator("#decision-summary a[href^='#']")
    hrefs = list(dict.fromkeys(a.get_attribute("href") for a in links.all()))
    assert {"#readiness", "#disparities", "#checklist", "#changes", "#lifecycle",
            "#approvals"} <= set(hrefs)
    for href in hrefs:
        page.evaluate("window.scrollTo(0, 0)")
        page.locator(f"#decision-summary a[href='{href}']").first.click()
        target = page.locator(href)
        page.wait_for_function("id => location.hash === id", arg=href)
        assert target.is_visible(), href
        top = target.evaluate("e => e.getBoundingClientRect().top")
        assert 0 <= top < 900, (href, top)


def test_failures_are_shown_first_and_print_shows_everything(site: Site, page: Any) -> None:
    _open(page, site, "models/ticket-router/2.1.0/")  # a group over the disparity limit
    assert page.locator("#disparities").is_visible()  # its tab is the one selected
    assert page.locator("#results-3").get_attribute("open") is not None  # the intersections
    _open(page, site, CARD)  # nothing over the limit: the per-group results first
    assert not page.locator("#disparities").is_visible()
    closed = page.locator("details:not([open])").count()
    assert closed > 0
    plot = page.locator("#plots ~ .mlcards-plots img").first
    assert not plot.is_visible()
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")  # what printing sends
    assert page.locator("details:not([open])").count() == 0
    page.evaluate("window.dispatchEvent(new Event('afterprint'))")
    assert page.locator("details:not([open])").count() == closed
    page.emulate_media(media="print")  # every tab's panel, every fold's content
    assert plot.is_visible() and page.locator("#disparities").is_visible()
    assert page.locator("#field-changes pre").first.is_visible()


def test_unfolded_card_page_is_shorter_than_9000_px(site: Site, page: Any,
                                                    screenshots: Path) -> None:
    """Every fold open (each tab set on its default tab): under 9,000 px at 1280 px
    (it was 26,874 px before the decision summary and the folds)."""
    _open(page, site, CARD)
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    height = page.evaluate("document.documentElement.scrollHeight")
    page.screenshot(path=str(screenshots / "card-unfolded-1280.png"), full_page=True)
    assert height < 9000, height
