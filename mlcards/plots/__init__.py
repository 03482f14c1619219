"""Stage 4, plot: matplotlib (Agg) figures -> deterministic SVG/PDF bytes.

- `figures`: the shared settings (Agg backend, Okabe-Ito palette, fonts, margins)
  and the savers that make the same inputs give the same bytes;
- `evaluation`: which plots a version's evaluation gets (names, alt text), drawn by
  `evaluation_charts` on `canvas`;
- `readiness`: the scorecard's section chart and its PDF.

Importing this package imports no matplotlib (about 0.4 s): a build that only
needs to know a version's plot files (their names, for the pages) does not pay
for it; `figures` does, and every module that draws imports `figures`.
"""
