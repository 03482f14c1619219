"""The built example site in headless Chromium: what reviewers and auditors do with it.

The home table lists every model and sorts, search finds a model by a word of its
description, card pages show their plots and tables, scorecard downloads work,
no page logs a console error, and a card full of script injections runs none.
Screenshots of the home, a card and a scorecard go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from browser_support import INJECTED, Site

pytestmark = pytest.mark.browser

CARD_WITH_PLOTS = "models/ticket-router/2.1.0/"
SCORECARD = "models/credit-default/1.1.0/scorecard/"


def open_page(page: Any, url: str, *, settle: bool = True) -> list[str]:
    """Load `url` (and with `settle`, wait until the network is idle); return the console
    errors, page errors and failed requests it caused."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"console {m.type}: {m.text}")
            if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}"))
    page.on("response", lambda r: errors.append(f"HTTP {r.status}: {r.url}")
            if r.status >= 400 else None)
    response = page.goto(url, wait_until="load")
    assert response is not None and response.status == 200, url
    if settle:
        page.wait_for_load_state("networkidle")
    return errors


def home_names(page: Any) -> list[str]:
    cells = page.locator(".mlcards-sortable table tbody tr td:first-child")
    return [t.strip() for t in cells.all_inner_texts()]


def unique_description_word(site: Site) -> tuple[str, str, str]:
    """A long word found in exactly one model's description: (word, model id, name)."""
    words: dict[str, set[tuple[str, str]]] = {}
    for model in site.example.models:
        details = model.latest.card.model_details
        for word in re.findall(r"[A-Za-z]{8,}", details.description):
            words.setdefault(word.lower(), set()).add((model.id, details.name))
    word = max((w for w, found in words.items() if len(found) == 1),
               key=lambda w: (len(w), w))
    (model_id, name), = words[word]
    return word, model_id, name


# --------------------------------------------------------------------------- tests


def test_home_lists_every_model_and_sorts(site: Site, page: Any, screenshots: Path) -> None:
    assert open_page(page, site.page()) == []
    names = home_names(page)
    expected = {m.latest.card.model_details.name for m in site.example.models}
    assert expected <= set(names)
    assert len(names) == len(expected) + 1  # and the injected model
    page.screenshot(path=str(screenshots / "home.png"), full_page=True)

    header = page.locator(".mlcards-sortable table thead th", has_text="Date")
    dates = page.locator(".mlcards-sortable table tbody tr td:nth-child(7)")
    dates_before = dates.all_inner_texts()
    header.click()
    ascending = dates.all_inner_texts()
    assert ascending == sorted(dates_before) and ascending != dates_before
    assert header.get_attribute("aria-sort") == "ascending"
    header.click()
    descending = dates.all_inner_texts()
    assert descending == sorted(dates_before, reverse=True)
    assert Counter(home_names(page)) == Counter(names)  # rows moved, none lost


def test_search_finds_a_model_by_a_word_of_its_description(site: Site, page: Any) -> None:
    word, model_id, name = unique_description_word(site)
    assert open_page(page, site.page()) == []
    box = page.locator("input.md-search__input")
    box.click()  # the header's search box (desktop layout)
    box.press_sequentially(word)  # Material searches on key events, not on a bare fill()
    hit = page.locator(f".md-search-result__item a[href*='models/{model_id}/']",
                       has_text=name).first
    hit.wait_for()
    hit.click()
    page.wait_for_url(re.compile(f"/models/{model_id}/"))
    assert name in page.locator("article h1").inner_text()


def test_card_page_shows_its_plots_and_tables(site: Site, page: Any, screenshots: Path) -> None:
    assert open_page(page, site.page(CARD_WITH_PLOTS)) == []
    plots = page.locator("article img[src*='plots/']")
    assert plots.count() >= 2
    assert not plots.first.is_visible()  # in the evaluation's Plots tab
    page.locator("#tabs-evaluation label", has_text="Plots").click()
    for i in range(plots.count()):
        plot = plots.nth(i)
        plot.scroll_into_view_if_needed()
        assert plot.evaluate("img => img.complete && img.naturalWidth > 0"), \
            plot.get_attribute("src")
    tables = page.locator("article table")
    assert tables.count() >= 2
    assert page.locator("article table tbody tr").count() >= 4
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(screenshots / "card.png"), full_page=True)


def test_scorecard_downloads_return_the_files(site: Site, page: Any, screenshots: Path) -> None:
    assert open_page(page, site.page(SCORECARD)) == []
    page.screenshot(path=str(screenshots / "scorecard.png"), full_page=True)
    links = {}
    for kind in ("json", "csv", "pdf"):
        link = page.locator(f"article a[href$='scorecard.{kind}']").first
        links[kind] = link.evaluate("a => a.href")
    responses = {kind: page.request.get(url) for kind, url in links.items()}
    assert {kind: r.status for kind, r in responses.items()} == dict.fromkeys(links, 200)

    data = json.loads(responses["json"].body())
    assert data["model"]["id"] == "credit-default" and data["model"]["version"] == "1.1.0"
    assert re.fullmatch(r"[0-9a-f]{64}", data["sha256"])
    rows = list(csv.DictReader(io.StringIO(responses["csv"].body().decode("utf-8"))))
    assert rows and {"test_id", "status"} <= set(rows[0])
    assert {r["test_id"] for r in rows} >= {t["id"] for t in data["tests"]} - {""}
    assert responses["pdf"].body().startswith(b"%PDF-")
    assert "pdf" in responses["pdf"].headers.get("content-type", "")


def sample_pages(site: Site) -> list[str]:
    pages = ["", "models/", "tags/", "readiness/", SCORECARD]
    pages += [f"models/{m.id}/" for m in site.example.models]
    return pages


def test_no_console_errors_on_any_sampled_page(site: Site, page: Any) -> None:
    problems = {}
    for path in sample_pages(site):
        fresh = page.context.new_page()  # its own listeners
        errors = open_page(fresh, site.page(path))
        fresh.close()
        if errors:
            problems[path] = errors
    assert problems == {}


INJECTED_PAGES = ["", "models/", "tags/", f"models/{INJECTED}/", f"models/{INJECTED}/0.1.0/",
                  f"models/{INJECTED}/0.1.0/scorecard/"]


HANDLERS_IN_DOM = """() => Array.from(document.querySelectorAll("*")).flatMap(
    el => Array.from(el.attributes).filter(a => a.name.startsWith("on"))
                                   .map(a => el.tagName + " " + a.name))"""


@pytest.mark.parametrize("path", INJECTED_PAGES)
def test_injected_script_does_not_run(site: Site, page: Any, path: str) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    open_page(page, site.page(path), settle=False)  # inline scripts and onerror run by load
    assert page.evaluate("typeof window.__pwned") == "undefined", path
    assert dialogs == []
    assert page.evaluate(HANDLERS_IN_DOM) == []  # nothing left to fire on hover or click
    assert page.locator("article script, article iframe, article object").count() == 0
    assert "__pwned" in page.locator("article").inner_text()  # shown as text, not dropped
