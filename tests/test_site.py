"""`mlcards build`: the whole pipeline through MkDocs, determinism and atomic replacement."""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import re
import struct
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlcards.cli import main

MODEL = "models/example-model"


def scaffold(tmp_path: Path) -> Path:
    """`mlcards init` with a site_url (MkDocs lists pages in the sitemap only then)."""
    root = tmp_path / "reg"
    assert main(["init", str(root)]) == 0
    edit_yaml(root / "mlcards.yaml", lambda c: c.update(site_url="https://models.example.org/"))
    return root


def edit_yaml(path: Path, change: Any) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def tree_hashes(folder: Path) -> dict[str, str]:
    """Relative path -> SHA-256 of every file under `folder`."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if ".building-" in p.name or ".old-" in p.name)


def primary_nav(html: str) -> str:
    """Material's site navigation (up to the page's table of contents)."""
    start = html.index('<nav class="md-nav md-nav--primary')
    return html[start:html.index('<nav class="md-nav md-nav--secondary', start)]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """One registry built once (shared by the read-only checks): (registry, site, stderr)."""
    tmp = tmp_path_factory.mktemp("built")
    root = scaffold(tmp)
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert main(["build", str(root), "-o", str(tmp / "site"), "--strict"]) == 0
    return root, tmp / "site", err.getvalue()


def test_build_writes_pages_with_top_level_navigation(built: tuple[Path, Path, str]) -> None:
    _, site, _ = built
    for page in ("index.html", "models/index.html", "tags/index.html",
                 f"{MODEL}/index.html", f"{MODEL}/0.1.0/index.html", "sitemap.xml",
                 "sitemap.xml.gz", "search/search_index.json", "assets/mlcards/tablesort.js"):
        assert (site / page).is_file(), page
    card = (site / f"{MODEL}/0.1.0/index.html").read_text(encoding="utf-8")
    nav = primary_nav(card)
    assert "example-model" not in nav
    tabs = re.findall(r'class="md-tabs__link[^"]*">\s*([^<]+?)\s*<', card)
    assert tabs[:3] == ["Home", "Models", "Tags"] and len(tabs) <= 4
    home = (site / "index.html").read_text(encoding="utf-8")
    assert 'src="assets/mlcards/tablesort.js"' in home
    assert 'class="mlcards-sortable"' in home
    assert '<a href="models/example-model/">Example model</a>' in home


def test_missing_section_is_a_visible_warning(built: tuple[Path, Path, str]) -> None:
    _, site, _ = built
    card = (site / f"{MODEL}/0.1.0/index.html").read_text(encoding="utf-8")
    factors = card[card.index('id="factors"'):card.index('id="metrics"')]
    assert '<div class="admonition warning">' in factors
    assert '<p class="admonition-title">Not provided</p>' in factors


def test_search_index_holds_the_description(built: tuple[Path, Path, str]) -> None:
    _, site, _ = built
    index = json.loads((site / "search/search_index.json").read_text(encoding="utf-8"))
    hits = [d["location"] for d in index["docs"] if "what the model does" in d["text"]]
    assert "models/example-model/0.1.0/#model-details" in hits
    # the landing page repeats the latest card: indexing it too would list every hit twice
    assert not [h for h in hits if h.startswith("models/example-model/#")]


def test_index_pages_are_left_out_of_search(built: tuple[Path, Path, str]) -> None:
    # the home, models, tags and readiness tables repeat what each card says; in a
    # 1,000-model registry their one search entry each also exceeds Zensical's limit
    # of 8,192 token positions per field, which fails its build
    _, site, _ = built
    index = json.loads((site / "search/search_index.json").read_text(encoding="utf-8"))
    pages = {d["location"].split("#")[0] for d in index["docs"]}
    assert not pages & {"", "models/", "tags/", "readiness/"}
    assert "models/example-model/0.1.0/" in pages
    assert "models/example-model/0.1.0/scorecard/" in pages


def test_progress_is_plain_lines_without_control_characters(
        built: tuple[Path, Path, str]) -> None:
    _, _, stderr = built
    assert "mlcards: rendered " in stderr and " pages, " in stderr and " plots" in stderr
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f]", stderr)


def test_two_builds_are_byte_identical(tmp_path: Path, built: tuple[Path, Path, str]) -> None:
    root, first, _ = built
    second = tmp_path / "other-name"
    assert main(["build", str(root), "-o", str(second), "-q", "--strict"]) == 0
    a, b = tree_hashes(first), tree_hashes(second)
    assert a == b
    assert "search/search_index.json" in a and "sitemap.xml.gz" in a
    # the sitemap's dates are the newest card date, and so is the gzip header's mtime
    sitemap = (second / "sitemap.xml").read_text(encoding="utf-8")
    assert "<loc>https://models.example.org/models/example-model/0.1.0/</loc>" in sitemap
    assert set(re.findall(r"<lastmod>([^<]+)</lastmod>", sitemap)) == {"2026-01-15"}
    mtime = struct.unpack("<I", (second / "sitemap.xml.gz").read_bytes()[4:8])[0]
    assert mtime == 1768435200  # 2026-01-15T00:00:00Z
    assert gzip.decompress((second / "sitemap.xml.gz").read_bytes()).decode() == sitemap


def test_build_date_flag_sets_sitemap_dates(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            ) -> None:
    root = scaffold(tmp_path)
    out = tmp_path / "site"
    assert main(["build", str(root), "-o", str(out), "-q", "--build-date", "2027-02-03"]) == 0
    assert capsys.readouterr().err == ""  # -q: nothing on success
    sitemap = (out / "sitemap.xml").read_text(encoding="utf-8")
    assert set(re.findall(r"<lastmod>([^<]+)</lastmod>", sitemap)) == {"2027-02-03"}
    assert main(["build", str(root), "-o", str(out), "--build-date", "03/02/2027"]) == 1
    assert "--build-date: expected a date as YYYY-MM-DD" in capsys.readouterr().err


def test_failing_builds_leave_the_previous_site_untouched(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = scaffold(tmp_path)
    out = tmp_path / "site"
    assert main(["build", str(root), "-o", str(out), "-q"]) == 0
    before = tree_hashes(out)
    card = root / MODEL / "0.1.0/card.yaml"
    good = card.read_text(encoding="utf-8")

    # 1. invalid input: the validator's located message, exit 1
    card.write_text(good.replace("status: draft", "status: shipped"), encoding="utf-8")
    assert main(["build", str(root), "-o", str(out), "-q"]) == 1
    line = good.splitlines().index("status: draft") + 1
    err = capsys.readouterr().err
    assert re.search(rf"models/example-model/0\.1\.0/card\.yaml:{line}:9: status: ", err), err
    assert tree_hashes(out) == before
    card.write_text(good, encoding="utf-8")

    # 2. a template error in the registry's own templates, located in the template
    (root / "tpl").mkdir()
    (root / "tpl/home.md.j2").write_text("# Home\n\n{{ no_such_variable }}\n", encoding="utf-8")
    edit_yaml(root / "mlcards.yaml", lambda c: c.update(templates="tpl"))
    assert main(["build", str(root), "-o", str(out), "-q"]) == 1
    err = capsys.readouterr().err
    assert re.search(r"tpl/home\.md\.j2:3:1: template: 'no_such_variable' is undefined", err), err
    assert tree_hashes(out) == before

    # 3. MkDocs fails (--strict and a broken link)
    (root / "tpl/home.md.j2").write_text("# Home\n\n[gone](missing.md)\n", encoding="utf-8")
    assert main(["build", str(root), "-o", str(out), "-q", "--strict"]) == 1
    err = capsys.readouterr().err
    assert "MkDocs build failed" in err
    assert re.search(r"tpl/home\.md\.j2:1:1: page index\.md: mkdocs: warning: .*missing\.md", err)
    assert tree_hashes(out) == before
    assert leftovers(tmp_path) == []


def test_refuses_to_replace_a_folder_it_did_not_make(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    root = scaffold(tmp_path)
    precious = tmp_path / "notes"
    precious.mkdir()
    (precious / "todo.txt").write_text("keep me", encoding="utf-8")
    assert main(["build", str(root), "-o", str(precious), "-q", "--docs-only"]) == 1
    assert "refusing to replace" in capsys.readouterr().err
    assert (precious / "todo.txt").read_text(encoding="utf-8") == "keep me"
    assert main(["build", str(root), "-o", str(tmp_path), "-q", "--docs-only"]) == 1
    assert "would replace the registry" in capsys.readouterr().err


def test_docs_only_writes_tree_and_config_for_mkdocs_or_zensical(tmp_path: Path) -> None:
    root = scaffold(tmp_path)
    out = tmp_path / "out"
    assert main(["build", str(root), "-o", str(out), "-q", "--docs-only", "--strict"]) == 0
    assert not (out / "index.html").exists()
    config = yaml.safe_load((out / "mkdocs.yml").read_text(encoding="utf-8"))
    assert config["strict"] is True and config["docs_dir"] == "docs"
    nav_paths = [next(iter(item.values())) for item in config["nav"]]
    assert nav_paths[:3] == ["index.md", "models/index.md", "tags/index.md"]
    assert all(not p.startswith("models/") or p == "models/index.md" for p in nav_paths)
    assert config["theme"]["name"] == "material" and config["theme"]["font"] is False
    for page in ("index.md", f"{MODEL}/index.md", f"{MODEL}/0.1.0/index.md",
                 "assets/mlcards/mlcards.css"):
        assert (out / "docs" / page).is_file(), page
    # built again: replaced as a whole (the marker says it is ours)
    assert main(["build", str(root), "-o", str(out), "-q", "--docs-only"]) == 0
    assert yaml.safe_load((out / "mkdocs.yml").read_text(encoding="utf-8"))["strict"] is False


class FakeStream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize(("tty", "ci", "live"), [
    (True, "", True), (True, "true", False), (False, "", False)])
def test_progress_updates_in_place_only_on_a_terminal_outside_ci(
        monkeypatch: pytest.MonkeyPatch, tty: bool, ci: str, live: bool) -> None:
    from mlcards.commands.build import ConsoleProgress, live_terminal

    monkeypatch.setenv("CI", ci)
    monkeypatch.setenv("TERM", "xterm")
    stream = FakeStream(tty)
    assert live_terminal(stream) is live
    progress = ConsoleProgress(stream, quiet=False, live=live_terminal(stream))
    progress.counts(3, 1)
    progress.counts(7, 2)
    progress.stage("wrote site to site")
    text = stream.getvalue()
    assert ("\r" in text) is live
    assert text.endswith("mlcards: wrote site to site\n")
    quiet = ConsoleProgress(stream := FakeStream(tty), quiet=True, live=live)
    quiet.counts(1, 1)
    quiet.stage("x")
    quiet.warning("mkdocs: warning: y")
    assert stream.getvalue() == "mkdocs: warning: y\n"  # -q keeps warnings only


def test_generated_config_titles_carry_no_markup(tmp_path: Path) -> None:
    from mlcards.site.build import mkdocs_config
    from mlcards.validate.registry import load_registry

    root = scaffold(tmp_path)
    edit_yaml(root / "mlcards.yaml", lambda c: c.update(title="</title><script>x()</script>"))
    doc = mkdocs_config(load_registry(root), ["index.md", "models/index.md"], strict=True)
    assert doc["site_name"] == "/titlescriptx()/script"
    assert doc["nav"] == [{"Home": "index.md"}, {"Models": "models/index.md"}]
    assert doc["strict"] is True


def test_mkdocs_messages_name_the_card_a_page_came_from(tmp_path: Path) -> None:
    from mlcards.site.engine import locate, page_sources
    from mlcards.validate.registry import load_registry

    registry = load_registry(scaffold(tmp_path))
    messages = ["mkdocs: warning: Doc file 'models/example-model/0.1.0/index.md' contains a "
                "link 'x.md', but the target is not found among documentation files.",
                "mkdocs: warning: Doc file 'models/example-model/index.md' contains a link",
                "mkdocs: warning: Doc file 'tags/index.md' contains a link",
                "mkdocs: warning: something else"]
    paths = ["models/example-model/0.1.0/index.md", "models/example-model/index.md",
             "tags/index.md"]
    out = locate(messages, page_sources(registry, paths,
                                        {"tags.md.j2": "templates/tags.md.j2"}))
    card = f"{tmp_path.name}/reg/models/example-model/0.1.0/card.yaml:1:1: page "
    assert out[0].endswith(messages[0]) and card in out[0]
    assert card in out[1]  # the landing page shows the latest version's card
    assert out[2].startswith("templates/tags.md.j2:1:1: page tags/index.md: ")
    assert out[3] == messages[3]
