"""The evaluation stage: results as given or computed from a predictions CSV, located
errors, disparities against the policy, and the card fragment and plot producer."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from html_tables import table_rows

from mlcards.commands.init import SCAFFOLD
from mlcards.compute.evaluation import compute_report, to_results
from mlcards.errors import InvalidInput
from mlcards.render.context import BuildContext
from mlcards.render.environment import make_environment
from mlcards.render.evaluation import (
    evaluation_fragment,
    evaluation_plots,
    evaluation_report,
    plot_files,
)
from mlcards.validate.registry import ModelVersion, load_registry

VERSION = Path("models/example-model/0.1.0")


def write_predictions(path: Path, n: int = 400, seed: int = 0, gap: float = 0.25,
                      rows: list[list[str]] | None = None) -> Path:
    """label, pred, score, sex, age: group sex=b is right less often by about `gap`."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(["a", "b"], n)
    age = rng.choice(["young", "old"], n)
    y = rng.random(n) < 0.4
    wrong = rng.random(n) < np.where(sex == "b", 0.1 + gap, 0.1)
    pred = y ^ wrong
    score = np.round(np.clip(np.where(pred, 0.7, 0.3) + rng.normal(0, 0.15, n), 0, 1), 3)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["label", "pred", "score", "sex", "age"])
        w.writerows(zip(y.astype(int).tolist(), pred.astype(int).tolist(), score.tolist(),
                        sex.tolist(), age.tolist(), strict=True))
        w.writerows(rows or [])
    return path


def predictions_block(**extra: Any) -> dict[str, Any]:
    block = {"path": "predictions.csv", "label": "label", "prediction": "pred",
             "score": "score", "sensitive": ["sex", "age"], "bootstrap": 50, "seed": 1}
    block.update(extra)
    return block


def make_registry(tmp_path: Path, evaluation: dict[str, Any] | None = None,
                  policy: dict[str, Any] | None = None, status: str = "draft",
                  **csv_args: Any) -> Path:
    """The scaffold registry with a predictions CSV and an evaluation.yaml naming it."""
    root = tmp_path / "registry"
    shutil.copytree(SCAFFOLD, root)
    folder = root / VERSION
    write_predictions(folder / "predictions.csv", **csv_args)
    doc = evaluation or {"schema_version": 1, "dataset": {"name": "holdout"},
                         "predictions": predictions_block()}
    (folder / "evaluation.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    config = yaml.safe_load((root / "mlcards.yaml").read_text())
    config["policy"].update(policy or {})
    (root / "mlcards.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    card_path = folder / "card.yaml"
    card_path.write_text(card_path.read_text().replace("status: draft", f"status: {status}"))
    return root


def version(root: Path) -> tuple[BuildContext, ModelVersion]:
    registry = load_registry(root)
    return BuildContext(registry, make_environment()), registry.versions()[0]


def errors_of(root: Path) -> list[str]:
    ctx, mv = version(root)
    with pytest.raises(InvalidInput) as info:
        compute_report(mv, ctx.registry.config.policy)
    return [p.format() for p in info.value.problems]


# --------------------------------------------------------------------------- compute


def test_computes_overall_groups_and_intersections_from_the_csv(tmp_path: Path) -> None:
    ctx, mv = version(make_registry(tmp_path))
    report = evaluation_report(ctx, mv)
    assert report is not None and report.source == "predictions" and report.rows == 400
    assert report.result.metrics[-1] == "roc_auc"        # defaults: all, AUC with a score
    assert [g.features for g in report.result.groupings] == [("sex",), ("age",), ("sex", "age")]
    assert sum(g.n or 0 for g in report.result.groupings[2].groups) == 400
    assert report.result.overall.ci["accuracy"][0] < report.result.overall.values["accuracy"]
    assert evaluation_report(ctx, mv) is report          # memoised per build
    assert [c.feature for c in report.curves] == ["sex", "age"]


def test_policy_breach_is_found_and_small_groups_are_flagged(tmp_path: Path) -> None:
    root = make_registry(tmp_path, policy={"max_disparity": 0.05, "min_group_size": 150,
                                           "disparity_metrics": ["accuracy"]})
    ctx, mv = version(root)
    report = evaluation_report(ctx, mv)
    assert report is not None
    breached = {g.label for d, g in report.breaches}
    assert breached == {"sex=a", "sex=b"}                 # 0.25 apart, both ~0.12 off overall
    assert {d.metric for d, _ in report.breaches + report.small_breaches} == {"accuracy"}
    assert all(g.n is not None and g.n < 150 for _, g in report.small_breaches)
    assert report.small_breaches                          # intersections of ~100 rows


def test_results_as_given_are_used_without_predictions(scaffold_registry: Path) -> None:
    ctx, mv = version(scaffold_registry)
    report = evaluation_report(ctx, mv)
    assert report is not None and report.source == "results"
    assert report.result.overall.values == {"accuracy": 0.86}
    (grouping,) = report.result.groupings
    assert [(g.label, g.n) for g in grouping.groups] == [("group=a", 600), ("group=b", 400)]
    (d,) = report.disparities
    assert d.difference_between_groups == pytest.approx(0.025)
    assert not report.breaches                            # 0.015 from overall < 0.1


def test_given_results_for_other_metrics_are_kept_beside_computed_ones(tmp_path: Path) -> None:
    doc = {"schema_version": 1, "dataset": {"name": "holdout"},
           "metrics": [{"name": "calibration_error", "higher_is_better": False}],
           "results": [{"metric": "calibration_error", "value": 0.03},
                       {"metric": "calibration_error", "slice": {"sex": "a"}, "value": 0.02}],
           "predictions": predictions_block(metrics=["accuracy"])}
    ctx, mv = version(make_registry(tmp_path, doc))
    report = evaluation_report(ctx, mv)
    assert report is not None
    assert report.result.metrics == ("accuracy", "calibration_error")
    assert report.result.overall.values["calibration_error"] == 0.03
    assert report.metric("calibration_error").higher_is_better is False


def test_to_results_round_trips_the_table(tmp_path: Path) -> None:
    ctx, mv = version(make_registry(tmp_path))
    report = evaluation_report(ctx, mv)
    assert report is not None
    rows = to_results(report.result)
    assert len(rows) == (1 + 2 + 2 + 4) * len(report.result.metrics)
    assert rows[0].slice == {} and rows[0].n == 400 and rows[0].ci is not None


# --------------------------------------------------------------------------- errors


def test_missing_columns_point_at_the_evaluation_yaml_fields(tmp_path: Path) -> None:
    doc = {"schema_version": 1, "dataset": {"name": "holdout"},
           "predictions": predictions_block(label="lable", sensitive=["sex", "region"])}
    errors = errors_of(make_registry(tmp_path, doc))
    assert len(errors) == 2
    assert errors[0].startswith(f"{(tmp_path / 'registry' / VERSION).as_posix()}/"
                                "evaluation.yaml:")
    assert "predictions.label: column 'lable' is not in" in errors[0]
    assert 'did you mean "label"?' in errors[0]
    assert "predictions.sensitive[1]: column 'region'" in errors[1]


def test_bad_cells_are_located_by_line_and_column(tmp_path: Path) -> None:
    bad = [["1", "0", "high", "a", "old"], ["1", "maybe", "0.5", "b", "young"],
           ["0", "0", "0.2", "", "old"]]
    errors = errors_of(make_registry(tmp_path, rows=bad, n=5))
    csv_name = (tmp_path / "registry" / VERSION / "predictions.csv").as_posix()
    # header on line 1, 5 generated rows, then the bad rows on lines 7, 8, 9
    assert f"{csv_name}:7:5: score: expected a finite number, got 'high'" in errors
    assert any(e.startswith(f"{csv_name}:8:3: pred: a binary task allows the positive label "
                            "'1' and one other value") for e in errors)
    assert any(e.startswith(f"{csv_name}:9:9: sex: expected a group name") for e in errors)


def test_unknown_metric_and_reference_group_are_reported_together(tmp_path: Path) -> None:
    doc = {"schema_version": 1, "dataset": {"name": "holdout"},
           "predictions": predictions_block(metrics=["acuracy", "mae"])}
    errors = errors_of(make_registry(tmp_path, doc))
    assert len(errors) == 2
    assert 'predictions.metrics[0]: unknown metric \'acuracy\' for task binary-classification ' \
           '(did you mean "accuracy"?)' in errors[0]
    assert "predictions.metrics[1]: unknown metric 'mae'" in errors[1]
    doc["predictions"] = predictions_block(reference_groups={"sex": "c"})
    (error,) = errors_of(make_registry(tmp_path / "2", doc))
    assert "predictions.reference_groups.sex: no rows have sex = 'c'; groups: 'a', 'b'" in error


def test_roc_auc_without_a_score_column_is_an_error(tmp_path: Path) -> None:
    doc = {"schema_version": 1, "dataset": {"name": "holdout"},
           "predictions": predictions_block(score=None, metrics=["roc_auc"])}
    (error,) = errors_of(make_registry(tmp_path, doc))
    assert "predictions.metrics[0]: roc_auc needs a score column" in error


# --------------------------------------------------------------------------- site


def test_fragment_fills_quantitative_and_calls_out_breaches_at_the_top(tmp_path: Path) -> None:
    root = make_registry(tmp_path, policy={"max_disparity": 0.05, "min_group_size": 150,
                                           "disparity_metrics": ["accuracy"]})
    ctx, mv = version(root)
    slots = evaluation_fragment(ctx, mv)
    text = slots["quantitative"]
    assert "### Overall results" in text and "<summary>Results by sex × age:" in text
    overall = table_rows(text[text.index("### Overall results"):])
    assert overall[0] == ["Metric", "Value", "95% interval", "n"]
    assert overall[1][0] == "Accuracy" and overall[1][3] == "400"
    assert "Overlapping intervals do not prove" in text
    assert "⚠ small" in text                                 # groups under 150 rows
    assert "![Bar chart of accuracy for each group" in text
    assert "(plots/bars.svg)" in text and "(plots/disparity.svg)" in text
    assert "(plots/heatmap-sex-age.svg)" in text
    top = slots["top"]
    assert top.startswith('!!! danger "Disparity limit exceeded"')
    assert "**Accuracy** for sex=b" in top and "0.05" in top
    assert '!!! warning "Small groups over the disparity limit"' in top


def test_no_callout_when_within_policy(tmp_path: Path) -> None:
    ctx, mv = version(make_registry(tmp_path, gap=0.0, policy={"max_disparity": 0.3}))
    assert set(evaluation_fragment(ctx, mv)) == {"quantitative"}


def test_untrusted_group_names_are_escaped_in_the_page(tmp_path: Path) -> None:
    root = make_registry(tmp_path, rows=[["1", "1", "0.9", "<script>x</script>", "old"],
                                         ["0", "0", "0.1", "[a](javascript:x)", "old"]])
    ctx, mv = version(root)
    text = evaluation_fragment(ctx, mv)["quantitative"]
    assert "<script>" not in text and "](javascript:" not in text
    assert "&#60;script&#62;x&#60;/script&#62;" in text


def test_producer_writes_each_planned_plot_under_the_version(tmp_path: Path) -> None:
    root = make_registry(tmp_path)
    ctx, mv = version(root)
    files = list(evaluation_plots(ctx))
    paths = [f.path for f in files]
    assert all(p.startswith("models/example-model/0.1.0/plots/") for p in paths)
    text = evaluation_fragment(ctx, mv)["quantitative"]
    for p in paths:                                  # every plot is shown, with its path
        assert f"(plots/{p.rsplit('/', 1)[1]})" in text
    drawn = plot_files(ctx, mv)                      # the producer defers the drawing
    assert sorted(drawn) == sorted(paths)
    assert drawn[paths[0]]().startswith(b"<?xml")
    assert {p.rsplit("/", 1)[1].split("-")[0].removesuffix(".svg") for p in paths} == {
        "bars", "disparity", "heatmap", "thresholds"}


def test_producer_reports_every_broken_version_together(tmp_path: Path) -> None:
    root = make_registry(tmp_path, rows=[["1", "1", "x", "a", "old"]])
    second = root / "models/other-model/1.0.0"
    shutil.copytree(root / VERSION, second)
    card = second / "card.yaml"
    card.write_text(card.read_text().replace("id: example-model", "id: other-model")
                    .replace("version: 0.1.0", "version: 1.0.0"))
    ctx, _ = version(root)
    with pytest.raises(InvalidInput) as info:
        list(evaluation_plots(ctx))
    files = {p.file.split("/models/")[1] for p in info.value.problems}
    assert files == {"example-model/0.1.0/predictions.csv", "other-model/1.0.0/predictions.csv"}
