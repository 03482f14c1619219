"""Nothing lost: a build that fails or is interrupted at any stage leaves the previous site
byte for byte as it was, exits non-zero with a message, and leaves no temporary folders.

One good site is built per module; each test copies it, breaks one stage on purpose
(render: a broken override template; plot: matplotlib raising; MkDocs: a broken link
under --strict, MkDocs raising, Ctrl-C during MkDocs and during the swap) and
rebuilds over the copy.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from matplotlib.figure import Figure

from mlcards.cli import main
from mlcards.commands.init import SCAFFOLD
from mlcards.render.environment import builtin_templates_dir

MODEL_DIR = Path("models/example-model/0.1.0")


def snapshot(root: Path) -> dict[str, str]:
    """Every file's sha256 and every folder, relative to root."""
    return {p.relative_to(root).as_posix(): (hashlib.sha256(p.read_bytes()).hexdigest()
                                             if p.is_file() else "<dir>")
            for p in sorted(root.rglob("*"))}


def make_registry(root: Path) -> Path:
    """The scaffold without readiness.yaml (its PDF is slow); it keeps its evaluation plots."""
    shutil.copytree(SCAFFOLD, root)
    (root / MODEL_DIR / "readiness.yaml").unlink()
    return root


@pytest.fixture(scope="module")
def good_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("good")
    registry = make_registry(tmp / "reg")
    assert main(["build", "-q", str(registry), "-o", str(tmp / "site")]) == 0
    assert list((tmp / "site").rglob("*.svg")), "the example must have plots"
    return tmp / "site"


class Workspace:
    """A registry, a copy of the good site beside it, and a private temp folder."""

    def __init__(self, tmp: Path, good_site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.registry = make_registry(tmp / "reg")
        self.out_parent = tmp / "public"
        self.site = self.out_parent / "site"
        shutil.copytree(good_site, self.site)
        self.before = snapshot(self.site)
        self.systmp = tmp / "systmp"
        self.systmp.mkdir()
        monkeypatch.setattr(tempfile, "tempdir", str(self.systmp))

    def build(self, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
        """Run `mlcards build` in-process: (exit status, what the user sees)."""
        try:
            code = main(["build", "-q", *extra, str(self.registry), "-o", str(self.site)])
            message = ""
        except Exception as exc:  # an unexpected error escapes main: Python exits 1
            code, message = 1, f"{type(exc).__name__}: {exc}"
        return code, message + capsys.readouterr().err

    def assert_untouched(self) -> None:
        assert snapshot(self.site) == self.before, "the previous site changed"
        leftovers = sorted(p.name for p in self.out_parent.iterdir() if p.name != "site")
        assert leftovers == [], f"temporary folders left next to the site: {leftovers}"
        assert list(self.systmp.iterdir()) == [], "temporary folders left in TMPDIR"

    def override(self, template: str, text: str) -> None:
        """Point mlcards.yaml at an override folder holding `template`."""
        (self.registry / "overrides").mkdir(exist_ok=True)
        (self.registry / "overrides" / template).write_text(text, encoding="utf-8")
        config = self.registry / "mlcards.yaml"
        config.write_text(config.read_text(encoding="utf-8") + "templates: overrides\n",
                          encoding="utf-8")


@pytest.fixture
def ws(tmp_path: Path, good_site: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    return Workspace(tmp_path, good_site, monkeypatch)


def test_successful_rebuild_replaces_the_site_and_cleans_up(
        ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    """The positive control: the same checks see a real change and no leftovers."""
    card = ws.registry / MODEL_DIR / "card.yaml"
    card.write_text(card.read_text(encoding="utf-8").replace("Example model", "Renamed model"),
                    encoding="utf-8")
    code, message = ws.build(capsys)
    assert code == 0, message
    assert snapshot(ws.site) != ws.before
    assert "Renamed model" in (ws.site / "index.html").read_text(encoding="utf-8")
    assert sorted(p.name for p in ws.out_parent.iterdir()) == ["site"]
    assert list(ws.systmp.iterdir()) == []


@pytest.mark.parametrize(("text", "expected"), [
    ("{% if %}broken\n", "home.md.j2:1"),
    ("# {{ registry.no_such_field }}\n", "home.md.j2"),
])
def test_render_stage_failure_keeps_the_site(ws: Workspace, capsys: pytest.CaptureFixture[str],
                                             text: str, expected: str) -> None:
    ws.override("home.md.j2", text)
    code, message = ws.build(capsys)
    assert code == 1
    assert expected in message and "Traceback" not in message, message
    ws.assert_untouched()


def test_plot_stage_failure_keeps_the_site(ws: Workspace, capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(self: Figure, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("plot failed on purpose")

    monkeypatch.setattr(Figure, "savefig", explode)
    code, message = ws.build(capsys)
    assert code != 0
    assert "plot failed on purpose" in message
    ws.assert_untouched()


def test_mkdocs_strict_failure_keeps_the_site(ws: Workspace,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    home = (builtin_templates_dir() / "home.md.j2").read_text(encoding="utf-8")
    ws.override("home.md.j2", home + "\n[a broken link](no-such-page.md)\n")
    code, message = ws.build(capsys, "--strict")
    assert code == 1
    assert "no-such-page.md" in message, message
    ws.assert_untouched()


def _fake_mkdocs(error: BaseException) -> Callable[..., None]:
    """A MkDocs build that writes part of a site, then fails with `error`."""
    def build(config: Any, **kwargs: Any) -> None:
        site_dir = Path(config["site_dir"])
        site_dir.mkdir(parents=True, exist_ok=True)
        (site_dir / "index.html").write_text("<p>half a site</p>", encoding="utf-8")
        raise error
    return build


def test_mkdocs_stage_error_keeps_the_site(ws: Workspace, capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from mkdocs.exceptions import PluginError

    monkeypatch.setattr("mkdocs.commands.build.build",
                        _fake_mkdocs(PluginError("theme exploded on purpose")))
    code, message = ws.build(capsys)
    assert code == 1
    assert "theme exploded on purpose" in message and "Traceback" not in message, message
    ws.assert_untouched()


def test_interrupt_during_mkdocs_keeps_the_site(ws: Workspace,
                                                capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("mkdocs.commands.build.build", _fake_mkdocs(KeyboardInterrupt()))
    code, message = ws.build(capsys)
    assert code == 130
    assert "interrupted" in message
    ws.assert_untouched()


@pytest.mark.parametrize("interrupted_call", [1, 2])
def test_interrupt_during_the_swap_keeps_the_site(
        ws: Workspace, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        interrupted_call: int) -> None:
    """Ctrl-C on the first rename (old site away) or the second (new site in)."""
    real_replace = os.replace
    calls = []

    def replace(src: Any, dst: Any) -> None:
        calls.append((src, dst))
        if len(calls) == interrupted_call:
            raise KeyboardInterrupt
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    code, message = ws.build(capsys, "--docs-only")
    monkeypatch.undo()
    assert len(calls) >= interrupted_call, "the build never reached the swap"
    assert code == 130
    assert "interrupted" in message
    ws.assert_untouched()
