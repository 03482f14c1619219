"""remove_tree deletes a site or docs tree like shutil.rmtree(ignore_errors=True), with
threads, and never follows a symbolic link out of the tree."""

from __future__ import annotations

from pathlib import Path

from mlcards.site.trees import _subtrees, remove_tree


def _site(root: Path) -> Path:
    for m in range(6):
        for v in ("1.0.0", "1.1.0"):
            plots = root / "models" / f"m{m}" / v / "plots"
            plots.mkdir(parents=True)
            (plots / "bars.svg").write_text("<svg/>")
            (plots.parent / "index.html").write_text("page")
        (root / "models" / f"m{m}" / "index.html").write_text("landing")
    (root / "index.html").write_text("home")
    (root / "assets").mkdir()
    return root


def test_removes_every_file_and_folder(tmp_path: Path) -> None:
    site = _site(tmp_path / "site")
    assert len(_subtrees(str(site), 2)) == 7  # models/m0..m5 and assets: split up
    remove_tree(site)
    assert not site.exists()
    assert list(tmp_path.iterdir()) == []


def test_links_inside_are_removed_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    (outside / "deep").mkdir(parents=True)
    (outside / "deep" / "keep.txt").write_text("keep")
    site = _site(tmp_path / "site")
    (site / "models" / "m0" / "link").symlink_to(outside, target_is_directory=True)
    (site / "models" / "m1" / "1.0.0" / "plots" / "deep").symlink_to(outside / "deep")
    (site / "top-link").symlink_to(outside)
    remove_tree(site)
    assert not site.exists()
    assert (outside / "deep" / "keep.txt").read_text() == "keep"


def test_a_linked_folder_is_left_alone(tmp_path: Path) -> None:
    target = _site(tmp_path / "target")
    link = tmp_path / "link"
    link.symlink_to(target, target_is_directory=True)
    remove_tree(link)  # shutil.rmtree refuses links too (ignored, like its errors)
    assert (target / "models" / "m0" / "index.html").is_file()


def test_a_missing_folder_is_no_error(tmp_path: Path) -> None:
    remove_tree(tmp_path / "gone")
    assert list(tmp_path.iterdir()) == []
