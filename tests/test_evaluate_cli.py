"""`mlcards evaluate`: a predictions CSV in, a valid evaluation.yaml out."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import yaml
from test_evaluation import write_predictions

from mlcards.errors import Problem
from mlcards.load.yaml import load_yaml_file
from mlcards.schema.evaluation import Evaluation
from mlcards.validate.documents import validate_document

if TYPE_CHECKING:
    from cli_result import CliResult

ARGS = ("--label", "label", "--prediction", "pred", "--sensitive", "sex",
        "--sensitive", "age", "--bootstrap", "40")


def evaluate(run_cli: Callable[..., CliResult], csv: Path, out: Path, *extra: str
             ) -> CliResult:
    return run_cli("evaluate", csv, *ARGS, *extra, "-o", out)


def test_writes_a_valid_evaluation_file_with_definitions(
        run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    csv = write_predictions(tmp_path / "preds.csv")
    out = tmp_path / "out" / "evaluation.yaml"
    result = evaluate(run_cli, csv, out, "--score", "score", "--seed", "3")
    assert result.code == 0, result.err
    assert "wrote" in result.out and "8 metrics" in result.out
    problems: list[Problem] = []
    evaluation = validate_document(load_yaml_file(out), Evaluation, problems)
    assert problems == [] and evaluation is not None
    assert [m.name for m in evaluation.metrics][-1] == "roc_auc"
    assert all(m.description for m in evaluation.metrics)
    assert evaluation.dataset.name == "preds" and evaluation.dataset.size == 400
    overall = [r for r in evaluation.results if not r.slice]
    assert len(overall) == 8 and all(r.n == 400 and r.ci is not None for r in overall)
    slices = {tuple(sorted(r.slice)) for r in evaluation.results if r.slice}
    assert slices == {("sex",), ("age",), ("age", "sex")}
    text = out.read_text()
    assert text.startswith("# yaml-language-server:") and "--seed 3" in text


def test_same_seed_same_file_and_a_chosen_metric_subset(
        run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    csv = write_predictions(tmp_path / "preds.csv")
    a, b, c = tmp_path / "a.yaml", tmp_path / "b.yaml", tmp_path / "c.yaml"
    assert evaluate(run_cli, csv, a, "--metric", "recall", "--metric", "accuracy").code == 0
    assert evaluate(run_cli, csv, b, "--metric", "recall", "--metric", "accuracy").code == 0
    assert evaluate(run_cli, csv, c, "--metric", "recall", "--metric", "accuracy",
                    "--seed", "9").code == 0
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()
    doc = yaml.safe_load(a.read_text())
    assert [m["name"] for m in doc["metrics"]] == ["recall", "accuracy"]


def test_refuses_to_overwrite_without_force(run_cli: Callable[..., CliResult],
                                            tmp_path: Path) -> None:
    csv = write_predictions(tmp_path / "preds.csv")
    out = tmp_path / "evaluation.yaml"
    out.write_text("keep me\n")
    result = evaluate(run_cli, csv, out)
    assert result.code == 1 and "exists; pass --force" in result.err
    assert out.read_text() == "keep me\n"
    assert evaluate(run_cli, csv, out, "--force").code == 0
    assert out.read_text() != "keep me\n"


def test_regression_task(run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    csv = tmp_path / "reg.csv"
    csv.write_text("price,estimate,region\n" + "".join(
        f"{10 + i % 7},{10 + i % 5},{'north' if i % 3 else 'south'}\n" for i in range(60)))
    out = tmp_path / "evaluation.yaml"
    result = run_cli("evaluate", csv, "--label", "price", "--prediction", "estimate",
                     "--sensitive", "region", "--task", "regression", "--bootstrap", "20",
                     "-o", out)
    assert result.code == 0, result.err
    doc = yaml.safe_load(out.read_text())
    assert [m["name"] for m in doc["metrics"]] == ["mae", "rmse", "r2"]
    assert doc["metrics"][0]["higher_is_better"] is False


def test_errors_name_the_file_and_option_and_write_nothing(
        run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    csv = write_predictions(tmp_path / "preds.csv", rows=[["1", "1", "0.5", "a", "old"],
                                                          ["x", "1", "0.5", "a", "old"]])
    out = tmp_path / "evaluation.yaml"
    result = run_cli("evaluate", csv, "--label", "lbl", "--prediction", "pred",
                     "--sensitive", "sex", "-o", out)
    assert result.code == 1
    assert "preds.csv:1:1: --label: column 'lbl' is not in" in result.err
    assert 'did you mean "label"?' in result.err
    result = evaluate(run_cli, csv, out, "--metric", "mae")
    assert result.code == 1 and "--metric: unknown metric 'mae'" in result.err
    result = evaluate(run_cli, csv, out)
    assert result.code == 1
    assert "preds.csv:403:1: label: a binary task allows the positive label '1'" in result.err
    assert not out.exists()
