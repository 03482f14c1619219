"""`mlcards diff`: defaults, formats, errors, terminal safety."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mlcards.cli import main

DATA = Path(__file__).parent / "data" / "versions"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["diff", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_default_is_the_two_newest_versions(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, str(DATA), "churn-predictor")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "# churn-predictor: 1.1.0 → 1.2.0"
    # regressions come first, gated ones on top
    assert lines.index("## Regressions (7)") < lines.index("## Metrics")
    regs = [line for line in lines if line.startswith("- ")]
    assert regs[0] == "- metric: auc (overall): 0.84 → 0.82 (-0.02) [gate]"
    assert regs[1] == "- readiness: final readiness score: 1.5 → 1 (-0.5) [gate]"
    assert "| fpr ↓      | overall      | 0.13  | 0.1   | -0.03 | improved  | yes        |" in lines
    assert "  -Trained on 2024 billing data and support tickets." in lines
    assert "- removed `caveats_and_recommendations`: Retrain quarterly." in lines


def test_explicit_versions_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, str(DATA), "churn-predictor", "1.0.0", "1.1.0",
                       "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert (data["old"]["version"], data["new"]["version"]) == ("1.0.0", "1.1.0")
    assert [f["path"] for f in data["fields"]][:2] == ["model_details.date",
                                                       "model_details.description"]
    auc = next(m for m in data["metrics"] if m["metric"] == "auc" and not m["slice"])
    assert (auc["delta"], auc["change"], auc["outside_ci"]) == (0.04, "improved", True)


def test_output_is_deterministic(capsys: pytest.CaptureFixture[str]) -> None:
    first = run(capsys, str(DATA), "churn-predictor", "--format", "json")
    second = run(capsys, str(DATA), "churn-predictor", "--format", "json")
    assert first == second


@pytest.mark.parametrize(("args", "message"), [
    (["churn-predictr"], "no model 'churn-predictr' in the registry (did you mean "),
    (["legacy-churn"], "model 'legacy-churn' has only one version (0.9.0)"),
    (["churn-predictor", "1.0.0", "2.0.0"], "has no version '2.0.0'; versions: 1.0.0, 1.1.0"),
])
def test_errors_are_one_line(capsys: pytest.CaptureFixture[str], args: list[str],
                             message: str) -> None:
    code, out, err = run(capsys, str(DATA), *args)
    assert code == 1 and out == ""
    assert message in err and "Traceback" not in err


def test_control_characters_do_not_reach_the_terminal(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "reg"
    shutil.copytree(DATA, root)
    card = root / "models" / "churn-predictor" / "1.2.0" / "card.yaml"
    text = card.read_text(encoding="utf-8")
    card.write_text(text.replace("type: gradient-boosted trees",
                                 'type: "boosted \\e[31mred\\e[0m trees"'), encoding="utf-8")
    code, out, _ = run(capsys, str(root), "churn-predictor")
    assert code == 0
    assert "\x1b" not in out
    assert "- edited `model_details.type`: logistic regression → boosted [31mred[0m trees" in out


def test_first_version_against_newest(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, str(DATA), "churn-predictor", "1.0.0")
    assert code == 0
    assert out.splitlines()[0] == "# churn-predictor: 1.0.0 → 1.2.0"
