"""The plot stage's figures: matplotlib (Agg) -> deterministic SVG/PDF bytes.

Shared settings live here: the Agg backend, a colour-blind-safe palette
(Okabe-Ito), fixed fonts and margins (no tight_layout: it costs 30-40 % per
figure), and savers that strip dates and random ids so the same inputs give
the same bytes.
"""

from __future__ import annotations

import io
import re
from typing import Any

import matplotlib
from cycler import cycler

matplotlib.use("Agg")

import matplotlib.style
from matplotlib.figure import Figure

from mlcards.plots import textcache

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9",
             "#F0E442", "#000000")
"""Colour-blind-safe palette (Okabe & Ito, 2008)."""

STYLE: dict[str, Any] = {
    "svg.hashsalt": "mlcards",       # stable ids inside SVG
    "svg.fonttype": "none",          # text stays text: searchable, small, crisp
    "text.parse_math": False,        # card text is literal: '$x$' is not TeX; bad TeX can't crash
    "pdf.fonttype": 42,
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": cycler(color=list(OKABE_ITO)),
    "figure.dpi": 100,
}
matplotlib.style.use(STYLE)  # pyplot is never imported: figures are plain Figure objects
textcache.install()  # measure each distinct text once per process, not once per figure

_NO_DATES: dict[str, Any] = {"Date": None, "Creator": None}
_NOT_XML = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]|\xef\xbf[\xbe\xbf]")
"""Characters XML 1.0 forbids (control characters, U+FFFE/U+FFFF): matplotlib writes label
text as is, and one such character in a group name makes the whole SVG unreadable."""


def new_figure(width: float = 6.4, height: float = 3.6) -> Figure:
    """A figure not registered with pyplot (no global state, no leaks)."""
    return Figure(figsize=(width, height))


def svg_bytes(fig: Figure) -> bytes:
    """The figure as SVG, byte-identical for identical figures.

    Written to a text buffer and encoded once: given a binary file, matplotlib wraps it
    in a UTF-8 codec writer that encodes each of a figure's thousands of small writes
    on its own (~8 % of an evaluation chart); the bytes are the same."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata=_NO_DATES)
    return _NOT_XML.sub(b"", buf.getvalue().encode("utf-8"))


def pdf_bytes(fig: Figure) -> bytes:
    """The figure as a single-page PDF without creation dates."""
    textcache.install_pdf()
    buf = io.BytesIO()
    fig.savefig(buf, format="pdf", metadata={"CreationDate": None, "ModDate": None,
                                             "Creator": None, "Producer": None})
    return buf.getvalue()
