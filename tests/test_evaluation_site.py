"""End to end: the built card page shows the evaluation tables and plots; the example
registry's classifier is computed from predictions made by a real scikit-learn model."""

from __future__ import annotations

import csv
import html
import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

from hostile import inert_problems
from html_tables import table_rows
from test_evaluation import make_registry, version

from mlcards.compute.evaluation import compute_report
from mlcards.site.build import build_site

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "site_example/scripts/make_credit_predictions.py"
CREDIT = ROOT / "site_example/models/credit-default"


def test_built_card_page_shows_the_plots(tmp_path: Path) -> None:
    root = make_registry(tmp_path, policy={"max_disparity": 0.05,
                                           "disparity_metrics": ["accuracy"]})
    out = tmp_path / "site"
    build_site(root, out)
    page = (out / "models/example-model/0.1.0/index.html").read_text(encoding="utf-8")
    sources = re.findall(r'<img alt="([^"]+)" src="(plots/[^"]+\.svg)"', page)
    assert len(sources) >= 3
    for alt, src in sources:
        assert alt and (out / "models/example-model/0.1.0" / src).is_file(), src
    assert "Disparity limit exceeded" in page and "Overall results" in page
    landing = (out / "models/example-model/index.html").read_text(encoding="utf-8")
    for _, src in re.findall(r'<img alt="([^"]+)" src="(0\.1\.0/plots/[^"]+\.svg)"', landing):
        assert (out / "models/example-model" / src).is_file()
    assert 'src="0.1.0/plots/bars.svg"' in landing


def test_hostile_group_and_feature_names_are_text_in_the_built_tables(tmp_path: Path) -> None:
    """The evaluation tables are written as HTML by the templates, not by Markdown's
    `tables` extension: a name with `|`, tags, `&` or Markdown stays in its cell as text,
    and the per-group table has one row per group."""
    feature = "<b>f</b> | *g* & _h_"
    value = "a | <script>alert(1)</script> & *x* `y` [l](javascript:z)"
    doc = {"schema_version": 1, "dataset": {"name": "holdout"},
           "metrics": [{"name": "accuracy"}],
           "results": [{"metric": "accuracy", "value": 0.8, "n": 300},
                       {"metric": "accuracy", "slice": {feature: value}, "value": 0.7, "n": 100},
                       {"metric": "accuracy", "slice": {feature: "b"}, "value": 0.85, "n": 200}]}
    out = tmp_path / "site"
    build_site(make_registry(tmp_path, doc), out)
    page = (out / "models/example-model/0.1.0/index.html").read_text(encoding="utf-8")
    assert inert_problems(page, theme=True) == []
    tables = [table_rows(t) for t in page.split("<table>")[1:]]
    (groups,) = [t for t in tables if html.unescape(t[0][0]) == feature]
    assert groups[0][1:] == ["n", "Accuracy"]
    assert [[html.unescape(c) for c in row[:2]] for row in groups[1:]] == [[value, "100"],
                                                                           ["b", "200"]]
    assert groups[1][2] == "0.700 <small>—</small>"
    (disparity,) = [t for t in tables if t[0][:2] == ["Metric", "Groups"]]
    assert [html.unescape(row[1]) for row in disparity[1:]] == [feature]
    for row in groups + disparity:
        assert all("<" not in cell for cell in row[:2]), row  # tags arrive as entities


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_credit_predictions", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_example_script_trains_a_model_and_writes_predictions(tmp_path: Path) -> None:
    script = _script()
    assert script.main(["--out", str(tmp_path), "--train", "2000", "--test", "400",
                        "--iterations", "20"]) == 0
    for v in ("1.0.0", "1.1.0"):
        with (tmp_path / v / "predictions.csv").open(encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        assert rows[0] == ["defaulted", "referred", "score", "age_band", "sex"]
        assert len(rows) == 401
        assert {r[3] for r in rows[1:]} == {"18-25", "26-40", "41-60", "61+"}
        assert {r[4] for r in rows[1:]} == {"female", "male"}
        scores = [float(r[2]) for r in rows[1:]]
        assert all(0 <= s <= 1 for s in scores) and len(set(scores)) > 100
        assert all(r[1] == str(int(float(r[2]) > script.CUTOFF)) for r in rows[1:])


def test_example_classifier_is_computed_from_its_predictions(example_registry: Path) -> None:
    for v in ("1.0.0", "1.1.0"):
        csv_file = CREDIT / v / "predictions.csv"
        assert csv_file.stat().st_size < 300_000
    ctx, _ = version(example_registry)
    mv = next(m for m in ctx.registry.versions() if m.key == "credit-default/1.1.0")
    report = compute_report(mv, ctx.registry.config.policy)
    assert report is not None and report.source == "predictions" and report.rows == 6000
    assert [g.features for g in report.result.groupings] == [
        ("age_band",), ("sex",), ("age_band", "sex")]
    assert report.result.overall.values["roc_auc"] > 0.75
    assert not report.breaches                    # approved: within policy.max_disparity
