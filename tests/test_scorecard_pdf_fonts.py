"""The scorecard PDF's two font paths (core Helvetica for cp1252 text, embedded DejaVu Sans
for anything else), its text, and the section chart's layout."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import matplotlib
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_mixed import MixedModeRenderer
from matplotlib.backends.backend_pdf import PdfFile, PdfPages, RendererPdf
from matplotlib.figure import Figure
from matplotlib.text import Text
from test_readiness_fixtures import make_registry, readiness, standard_registry

from mlcards.compute.scorecard_data import Scorecard
from mlcards.plots import readiness as plots
from mlcards.render.context import BuildContext
from mlcards.render.environment import make_environment
from mlcards.render.scorecard import version_scorecard
from mlcards.validate.registry import load_registry


def scorecards(root: Path) -> dict[str, Scorecard]:
    registry = load_registry(root)
    ctx = BuildContext(registry, make_environment())
    return {mv.key: card for mv in registry.versions()
            if (card := version_scorecard(ctx, mv)) is not None}


@pytest.fixture(scope="module")
def alpha(tmp_path_factory: pytest.TempPathFactory) -> Scorecard:
    return scorecards(standard_registry(tmp_path_factory.mktemp("registry")))["alpha/1.1.0"]


def owned_by(tmp_path: Path, owner: str) -> Scorecard:
    make_registry(tmp_path, {"m": {"1.0.0": ("approved", readiness(
        {"data-1": {"status": "not-done", "owner": owner},
         "infra-2": {"status": "automated"}}))}})
    return scorecards(tmp_path)["m/1.0.0"]


def pdf_text(tmp_path: Path, pdf: bytes) -> str:
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext (poppler-utils) is needed to read the PDF's text")
    path = tmp_path / "scorecard.pdf"
    path.write_bytes(pdf)
    run = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                         capture_output=True, text=True)
    assert run.stdout.count("\f") >= 2  # summary, every test; then details and evidence
    return run.stdout


def test_cp1252_text_uses_the_core_fonts_and_stays_extractable(
        tmp_path: Path, alpha: Scorecard) -> None:
    pdf = plots.scorecard_pdf(alpha, 1.0)
    assert b"/BaseFont /Helvetica" in pdf and b"/Type3" not in pdf and b"/FontFile" not in pdf
    text = pdf_text(tmp_path, pdf)
    assert "Alpha model 1.1.0" in text
    assert re.search(r"^\s*2\s+/ ?7\b", text, re.M)  # the final score, big, of 7
    assert "final score (lowest section) = 2" in text and "policy minimum = 1" in text
    for item in alpha.provenance.inputs:
        assert item.sha256 in text
    assert f"scorecard.json SHA-256 {alpha.sha256}" in text
    assert "Tests for Features and Data — 2 of 7" in text  # cp1252 punctuation is kept
    assert "Data team" in text and "2026-01-30" in text


def test_other_characters_fall_back_to_embedded_fonts(tmp_path: Path) -> None:
    card = owned_by(tmp_path, "Zoë 张")
    pdf = plots.scorecard_pdf(card)
    assert b"/Type3" in pdf and b"/BaseFont /Helvetica" not in pdf
    text = pdf_text(tmp_path, pdf)
    assert text.count("Zoë 张") == 2  # gaps on page 1, every test on page 2
    assert "M model 1.0.0" in text and card.sha256 in text


def pdf_fonts(tmp_path: Path, pdf: bytes) -> str:
    path = tmp_path / "fonts.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdffonts", str(path)], check=True, capture_output=True,
                          text=True).stdout


def test_cjk_names_print_in_a_cjk_font_not_as_boxes(tmp_path: Path) -> None:
    """Chinese, Japanese and Korean names take their glyphs from the CJK fallback font
    (scripts/install-browser.sh installs one); a glyph no font has would be drawn from
    matplotlib's LastResort font, the boxes."""
    families = plots.pdf_font_families()
    assert len(families) == 2, f"no CJK font found among {plots.CJK_FONT_FILES}"
    owner = "王小明 田中太郎 김민수"
    pdf = plots.scorecard_pdf(owned_by(tmp_path, owner))
    fonts = pdf_fonts(tmp_path, pdf)
    assert families[1].replace(" ", "") in fonts and "DejaVuSans" in fonts
    assert "LastResort" not in fonts
    assert pdf_text(tmp_path, pdf).count(owner) == 2


def test_a_glyph_no_font_has_is_a_box_from_last_resort(tmp_path: Path) -> None:
    """The check above can fail: a character outside DejaVu and the CJK font (Linear B)
    does bring in the LastResort font."""
    pdf = plots.scorecard_pdf(owned_by(tmp_path, "\U00010000 scribe"))
    assert "LastResort" in pdf_fonts(tmp_path, pdf)


@pytest.mark.parametrize("owner", ["Zoe", "Zoë 张"])
def test_same_card_same_bytes(tmp_path: Path, owner: str) -> None:
    card = owned_by(tmp_path, owner)
    assert plots.scorecard_pdf(card, 1.0) == plots.scorecard_pdf(card, 1.0)
    assert plots.section_chart_svg(card, 1.0) == plots.section_chart_svg(card, 1.0)


@pytest.mark.parametrize(("text", "core"), [
    ("Zoë — “quoted” … € · naïve Œuvre", True),
    ("score ≥ 1", False), ("−0.5", False), ("⚠ note", False), ("张", False), ("🙂", False),
    ("\u0081", False),  # a hole in cp1252
])
def test_core_fonts_only_for_cp1252(text: str, core: bool) -> None:
    assert plots.core_fonts_suffice(["plain", text]) is core


def test_every_drawn_string_decides_the_fonts(alpha: Scorecard) -> None:
    strings = plots.drawn_text(plots.scorecard_figures(alpha, 1.0))
    for expected in ("Alpha model 1.1.0", "Tests for Features and Data", "2 / 7",
                     "policy minimum = 1", alpha.provenance.inputs[0].sha256):
        assert expected in strings
    assert plots.core_fonts_suffice(strings)


def test_core_font_names_are_read_once_per_process(alpha: Scorecard) -> None:
    """matplotlib's PdfFile parses the whole AFM file per document; mlcards' PdfPages
    makes it use a cached name. Fails if matplotlib stops calling the hooks."""
    assert isinstance(plots._PdfPages(io.BytesIO())._ensure_file(), plots._PdfFile)
    plots.scorecard_pdf(alpha)
    before = plots._afm_font_name.cache_info()
    plots.scorecard_pdf(alpha)
    after = plots._afm_font_name.cache_info()
    assert after.misses == before.misses and after.hits == before.hits + 2  # regular, bold


@pytest.mark.parametrize(("top", "ticks"), [
    (0, [0, 1]), (7, list(range(8))), (10, list(range(11))), (11, [0, 2, 4, 6, 8, 10]),
    (28, [0, 5, 10, 15, 20, 25]), (100, list(range(0, 101, 10)))])
def test_tick_values(top: float, ticks: list[float]) -> None:
    assert plots.tick_values(top) == ticks


def outside(fig: Any) -> list[str]:
    """Texts of the figure that reach outside it when drawn."""
    renderer = FigureCanvasAgg(fig).get_renderer()
    box = fig.bbox
    return [t.get_text() for t in fig.findobj(Text)
            if (e := t.get_window_extent(renderer)).x0 < box.x0 or e.x1 > box.x1
            or e.y0 < box.y0 or e.y1 > box.y1]


@pytest.mark.parametrize("policy", [None, 1.0, 7.0, 12.0])
def test_section_chart_texts_fit_and_lines_are_labelled(alpha: Scorecard,
                                                        policy: float | None) -> None:
    fig = plots.section_chart(alpha, policy)
    assert outside(fig) == []
    texts = [t.get_text() for t in fig.findobj(Text)]
    assert "final score (lowest section) = 2" in texts
    policy_labels = [t for t in texts if t.startswith("policy minimum = ")]
    assert policy_labels == ([] if policy is None else [f"policy minimum = {policy:g}"])
    assert [t for t in texts if "/" in t] == ["2 / 7"] * 4
    assert "section score (sum of test points: manual 0.5, automated 1)" in texts
    width = fig.get_size_inches()[0] * fig.dpi
    lines = [a for a in fig.get_children() if a.__class__.__name__ == "Line2D"]
    assert all(0 < x < width for line in lines for x in line.get_transform().transform(
        line.get_xydata())[:, 0])  # a policy above the rubric's maximum is still drawn


def test_section_chart_svg_has_no_axes_or_legend(alpha: Scorecard) -> None:
    svg = plots.section_chart_svg(alpha, 1.0).decode()
    assert 'id="axes_1"' not in svg and 'id="legend_1"' not in svg
    assert "Tests for Features and Data" in svg and "policy minimum = 1" in svg


def test_pdf_metadata_names_the_model_version_and_rubric(tmp_path: Path,
                                                         alpha: Scorecard) -> None:
    """A reader's title bar and a document index show which scorecard this is."""
    if shutil.which("pdfinfo") is None:
        pytest.fail("pdfinfo (poppler-utils) is needed to read the PDF's metadata")
    path = tmp_path / "scorecard.pdf"
    path.write_bytes(plots.scorecard_pdf(alpha, 1.0))
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True,
                          check=True).stdout
    title = re.search(r"^Title:\s+(.*)$", info, re.M)
    assert title is not None
    assert title.group(1) == f"ML readiness scorecard: {alpha.model.name} 1.1.0"
    assert re.search(r"^Subject:\s+.*alpha 1\.1\.0 \(approved\)$", info, re.M)
    assert re.search(r"^Keywords:\s+mlcards; alpha; 1\.1\.0; ", info, re.M)


LONG_URL = ("https://ci.example.org/org/credit-default/actions/runs/1234567890/attempts/2/"
            "jobs/training-reproducibility?check_suite_focus=true&pr=4711#step:7:120")


def test_every_evidence_url_is_in_the_pdf_in_full_as_a_link(tmp_path: Path) -> None:
    """pdftotext shows each URL whole (wrapped, never cut) and pdfinfo -url lists it as a
    link; notes, schedules and long titles are printed in full too."""
    if shutil.which("pdfinfo") is None:
        pytest.fail("pdfinfo (poppler-utils) is needed to read the PDF's links")
    note = ("Re-run on every merge to main; the seed is pinned in train.yaml and the "
            "artifact hash is compared with the previous run's hash.")
    make_registry(tmp_path / "reg", {"m": {"1.0.0": ("approved", readiness({
        "infra-1": {"status": "automated", "schedule": "nightly at 02:00 UTC and on merge",
                    "note": note,
                    "evidence": [{"kind": "ci-run", "title": "Reproducibility job",
                                  "url": LONG_URL},
                                 {"kind": "dashboard", "url": "https://dash.example.org/m"}]},
    }))}})
    card = scorecards(tmp_path / "reg")["m/1.0.0"]
    pdf = plots.scorecard_pdf(card)
    text = pdf_text(tmp_path, pdf)
    flat = "".join(text.split())
    assert LONG_URL in flat and "https://dash.example.org/m" in flat
    assert "".join(f"Note: {note}".split()) in flat
    assert "nightlyat02:00UTCandonmerge" in flat
    path = tmp_path / "links.pdf"
    path.write_bytes(pdf)
    links = subprocess.run(["pdfinfo", "-url", str(path)], capture_output=True, text=True,
                           check=True).stdout
    assert LONG_URL in links and "https://dash.example.org/m" in links
    assert pdf == plots.scorecard_pdf(card)  # still the same bytes every time


def stock_matplotlib_pdf(figures: list[Any], core: bool) -> bytes:
    """The pages written by matplotlib's own PdfPages and PdfFile, no mlcards caches."""
    buf = io.BytesIO()
    with matplotlib.rc_context({"pdf.use14corefonts": core, "pdf.fonttype": 3}), \
            plots.quiet_glyphs(), PdfPages(buf, metadata=plots.PDF_METADATA) as pdf:
        for fig in figures:
            pdf.savefig(fig)
    return buf.getvalue()


def mlcards_pdf(figures: list[Any], core: bool) -> bytes:
    buf = io.BytesIO()
    with matplotlib.rc_context({"pdf.use14corefonts": core, "pdf.fonttype": 3}), \
            plots.quiet_glyphs(), plots._PdfPages(buf, metadata=plots.PDF_METADATA) as pdf:
        for fig in figures:
            pdf.savefig(fig)
    return buf.getvalue()


def test_per_document_font_lookups_write_what_matplotlib_writes(tmp_path: Path,
                                                                alpha: Scorecard) -> None:
    """The font of each FontProperties is looked up once per document (mlcards' PdfFile
    and document_font_lookups) and core-font rows are written by _CoreText (the colour
    set only when it changes): the bytes are matplotlib's own PdfPages and draw_text's,
    with the core fonts and with embedded ones, whatever document came before (nothing
    is kept across them)."""
    cjk = plots.scorecard_figures(owned_by(tmp_path, "Zoë 张"))
    latin = plots.scorecard_figures(alpha)
    expected = {(name, core): stock_matplotlib_pdf(figs, core)
                for name, figs in (("cjk", cjk), ("latin", latin)) for core in (True, False)}
    for name, figs, core in [("latin", latin, True), ("cjk", cjk, False),
                             ("latin", latin, False), ("cjk", cjk, True),
                             ("latin", latin, True)]:
        assert mlcards_pdf(figs, core) == expected[name, core], (name, core)
    assert expected["latin", True] != expected["latin", False]


def test_font_lookups_leave_matplotlib_as_it_was(tmp_path: Path, alpha: Scorecard) -> None:
    """Documents leave no cache behind: matplotlib's classes and rcParams are unchanged
    after scorecard_pdf, a new document starts with no lookups, and the renderer of a
    page gets its own methods back, even when drawing fails."""
    classes = (PdfFile.fontName, RendererPdf._get_font_afm, RendererPdf._get_font_ttf)
    rc = dict(matplotlib.rcParams)
    plots.scorecard_pdf(alpha)
    plots.scorecard_pdf(owned_by(tmp_path, "Zoë 张"))
    assert (PdfFile.fontName, RendererPdf._get_font_afm,
            RendererPdf._get_font_ttf) == classes
    assert dict(matplotlib.rcParams) == rc
    assert plots._PdfFile(io.BytesIO()).font_lookups == {}

    file = plots._PdfFile(io.BytesIO())
    file.newPage(*plots.A4)
    renderer = RendererPdf(file, 72, plots.A4[1] * 72, plots.A4[0] * 72)
    mixed = MixedModeRenderer(Figure(), *plots.A4, 72, renderer)
    with pytest.raises(RuntimeError), plots.document_font_lookups(mixed):
        assert {"_get_font_afm", "_get_font_ttf"} <= set(vars(renderer))
        raise RuntimeError("drawing failed")
    assert not {"_get_font_afm", "_get_font_ttf"} & set(vars(renderer))

    other = RendererPdf(PdfFile(io.BytesIO()), 72, 100, 100)  # not mlcards' PdfFile
    with plots.document_font_lookups(other):
        assert not {"_get_font_afm", "_get_font_ttf"} & set(vars(other))
