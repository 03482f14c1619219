"""Text metrics shared by every figure of a process.

matplotlib measures each text (tick labels, titles, group names) with FreeType
every time it lays a figure out, and keeps the result only for the renderer of
that one figure; every SVG or PDF save has a new renderer. A build draws tens
of thousands of figures with the same tick labels, titles and group names, so
measuring each distinct (text, font, size) once per process saves a good part
of the time spent saving figures. The measurement is a pure function of the
text, the font properties, the renderer type and its dpi, and the few rcParams
that change glyph metrics, which all go into the key: output is unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import matplotlib

_RC = ("text.hinting", "text.hinting_factor", "text.kerning_factor", "text.antialiased",
       "pdf.use14corefonts", "ps.useafm")
LIMIT = 100_000
METHOD = "get_text_width_height_descent"
_INSTALLED: set[type] = set()
_METRICS: dict[tuple[Any, ...], tuple[float, float, float]] = {}


def _rc_key() -> tuple[Any, ...]:
    params: Any = matplotlib.rcParams
    return tuple(params.get(name) for name in _RC)


def _wrap(cls: type) -> None:
    original: Callable[..., tuple[float, float, float]] = getattr(cls, METHOD)

    def get_text_width_height_descent(self: Any, s: str, prop: Any,
                                      ismath: Any) -> tuple[float, float, float]:
        if ismath:  # math and TeX layouts depend on more state: not shared
            return original(self, s, prop, ismath)
        key = (cls, type(self), getattr(self, "dpi", None), _rc_key(), s, prop.copy())
        found = _METRICS.get(key)
        if found is None:
            found = original(self, s, prop, ismath)
            if len(_METRICS) >= LIMIT:
                _METRICS.clear()
            _METRICS[key] = found
        return found

    get_text_width_height_descent.__doc__ = original.__doc__
    setattr(cls, METHOD, get_text_width_height_descent)
    _INSTALLED.add(cls)


def install() -> None:
    """Share text metrics across figures for the SVG and Agg renderers."""
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.backends.backend_svg import RendererSVG

    _install(RendererSVG, RendererAgg)


def install_pdf() -> None:
    """The same for the PDF renderer, once a process draws a PDF: importing matplotlib's
    PDF backend imports fontTools' subsetter (about 0.12 s), which a build that draws
    only SVG plots (one model changed: its evaluation plots) need not pay."""
    from matplotlib.backends._backend_pdf_ps import RendererPDFPSBase

    _install(RendererPDFPSBase)


def _install(*classes: type) -> None:
    for cls in classes:
        if cls not in _INSTALLED and METHOD in vars(cls):
            _wrap(cls)
