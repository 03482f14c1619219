"""Fixtures of the browser tests: the example site (plus one hostile card) built once,
served on 127.0.0.1, and Debian's Chromium driven by Playwright.

Chromium comes from the Debian package (scripts/install-browser.sh); Playwright's
own browser download is never used. Without Chromium the tests fail when CI=true
and are skipped otherwise (a skip is reported, never counted as a pass).
"""

from __future__ import annotations

import fcntl
import functools
import os
import shutil
import sys
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

for _folder in (Path(__file__).resolve().parent, Path(__file__).resolve().parent.parent):
    if str(_folder) not in sys.path:  # browser_support.py here, hostile.py in tests/
        sys.path.append(str(_folder))

from browser_support import INJECTED, Site  # noqa: E402
from hostile import add_hostile_model  # noqa: E402

from mlcards.cli import main  # noqa: E402
from mlcards.validate.registry import load_registry  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "site_example"
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _shared_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder every pytest-xdist worker of this run shares (the run's own when alone)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def _build_example(target: Path) -> Path:
    """site_example plus a hostile model, built into target/site (once per run)."""
    site = target / "site"
    with open(target / "browser-site.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the first worker builds, the others wait
        if not (site / "index.html").is_file():
            registry = target / "registry"
            shutil.rmtree(registry, ignore_errors=True)
            shutil.copytree(EXAMPLE, registry)
            add_hostile_model(registry, INJECTED, custom={
                "cost_center": "CC-0001", "data_classification": "internal",
                "model_inventory_id": "MI-00001"})
            code = main(["build", "-q", str(registry), "-o", str(site)])
            assert code == 0, "mlcards build of site_example failed"
    return site


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return None


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        message = ("Debian's chromium is not installed; run scripts/install-browser.sh "
                   "(scripts/test.sh does)")
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory, chromium_path: str) -> Iterator[Site]:
    target = _shared_tmp(tmp_path_factory) / "browser"
    target.mkdir(exist_ok=True)
    folder = _build_example(target)
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Site(folder, f"http://127.0.0.1:{server.server_address[1]}",
                   load_registry(EXAMPLE))
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page (own context: no shared storage) with a fixed desktop viewport."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
