"""The `mlcards` MkDocs plugin in a team's own docs site, and `mlcards serve`."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml
from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.exceptions import Abort, PluginError

from mlcards.cli import main

MODEL = "models/example-model"


def scaffold(tmp_path: Path) -> Path:
    root = tmp_path / "reg"
    assert main(["init", str(root)]) == 0
    return root


def team_site(tmp_path: Path, plugin: dict[str, object]) -> Path:
    """A team's MkDocs project (default theme) with the plugin configured."""
    proj = tmp_path / "proj"
    (proj / "docs").mkdir(parents=True)
    (proj / "docs/index.md").write_text("# Team docs\n\nOur handbook.\n", encoding="utf-8")
    config = {"site_name": "Team docs", "theme": {"name": "mkdocs"},
              "plugins": ["search", {"mlcards": plugin}]}
    (proj / "mkdocs.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return proj


def mkdocs_build(proj: Path) -> Path:
    config = load_config(config_file=str(proj / "mkdocs.yml"))
    build(config)
    return Path(config.site_dir)


def test_plugin_adds_registry_pages_under_a_prefix(tmp_path: Path) -> None:
    scaffold(tmp_path)
    site = mkdocs_build(team_site(tmp_path, {"registry": "../reg"}))
    for page in ("index.html", "registry/index.html", "registry/models/index.html",
                 f"registry/{MODEL}/index.html", f"registry/{MODEL}/0.1.0/index.html",
                 "registry/assets/mlcards/tablesort.js"):
        assert (site / page).is_file(), page
    home = (site / "index.html").read_text(encoding="utf-8")
    assert 'href="registry/models/"' in home  # top-level registry pages are in the nav
    assert "example-model" not in home  # model and version pages are not
    assert 'src="registry/assets/mlcards/tablesort.js"' in home
    card = (site / f"registry/{MODEL}/0.1.0/index.html").read_text(encoding="utf-8")
    assert 'class="admonition warning"' in card  # admonition was enabled by the plugin
    assert (tmp_path / "proj/docs/index.md").read_text(encoding="utf-8").startswith("# Team")
    assert sorted(p.name for p in (tmp_path / "proj/docs").iterdir()) == ["index.md"]


def test_plugin_refuses_to_replace_the_teams_pages(tmp_path: Path) -> None:
    scaffold(tmp_path)
    proj = team_site(tmp_path, {"registry": "../reg", "prefix": ""})
    with pytest.raises((PluginError, Abort)):
        mkdocs_build(proj)


def test_plugin_reports_invalid_registry_with_locations(tmp_path: Path,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    root = scaffold(tmp_path)
    card = root / MODEL / "0.1.0/card.yaml"
    card.write_text(card.read_text(encoding="utf-8").replace("status: draft", "status: x"),
                    encoding="utf-8")
    with pytest.raises((PluginError, Abort)):
        mkdocs_build(team_site(tmp_path, {"registry": "../reg"}))
    assert "models/example-model/0.1.0/card.yaml:" in caplog.text
    assert ": status: " in caplog.text


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str, text: str, deadline: float) -> str:
    """Poll `url` until its body contains `text` (or fail at the deadline)."""
    last = ""
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                last = resp.read().decode("utf-8")
            if text in last:
                return last
        except OSError:  # not up yet, or busy rebuilding (URLError, timeouts)
            pass
        time.sleep(0.5)
    raise AssertionError(f"{url} never showed {text!r}; last body: {last[:300]!r}")


def test_serve_previews_and_rebuilds_on_registry_changes(tmp_path: Path) -> None:
    root = scaffold(tmp_path)
    port = free_port()
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "mlcards.cli", "serve", str(root),
                             "-a", f"127.0.0.1:{port}"], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        card_url = f"http://127.0.0.1:{port}/{MODEL}/0.1.0/"
        wait_for(card_url, "Replace this with what the model does", time.monotonic() + 120)
        card = root / MODEL / "0.1.0/card.yaml"
        card.write_text(card.read_text(encoding="utf-8").replace(
            "Replace this with what", "Scores loan applications: what"), encoding="utf-8")
        wait_for(card_url, "Scores loan applications", time.monotonic() + 120)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
