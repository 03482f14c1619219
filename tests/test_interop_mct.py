"""`mlcards import mct`: Model Card Toolkit JSON (schema v0.0.2) -> card.yaml,
evaluation.yaml and graphics files.

Fixtures in tests/data/interop/mct/ are written by hand after the toolkit's
schema v0.0.2 and its examples: a census income classifier with graphics and
TFMA-style slices, a minimal card, and the cats-vs-dogs card with thresholds,
considerations, a non-numeric value and an unknown key.
"""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlcards.cli import main
from mlcards.commands.init import SCAFFOLD
from mlcards.errors import InvalidInput
from mlcards.interop.graphics import GraphicError, decode, file_name
from mlcards.interop.mct import parse_slice
from mlcards.validate.registry import load_registry

MCT = Path(__file__).parent / "data" / "interop" / "mct"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def registry(tmp_path: Path) -> Path:
    root = tmp_path / "reg"
    (root / "models").mkdir(parents=True)
    shutil.copyfile(SCAFFOLD / "mlcards.yaml", root / "mlcards.yaml")
    return root


def import_mct(tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str],
               *extra: str) -> tuple[Path, str]:
    out = registry(tmp_path) / "models" / name.replace("_", "-") / "0.1.0"
    rc = main(["import", "mct", str(MCT / f"{name}.json"), "-o", str(out), *extra])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    return out, captured.out


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_census_card_details(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, report = import_mct(tmp_path, "census_income", capsys, "--task",
                             "binary-classification")
    card = load(out / "card.yaml")
    details = card["model_details"]
    assert details["name"] == "Census Income Classifier"
    assert details["description"].startswith("This is a wide and deep Keras model")
    assert "not a production model" in details["description"]
    assert str(details["date"]) == "2020-08-28"  # from "2020/08/28"
    assert details["owners"] == [{"name": "Model Cards Team", "email": "model-cards@google.com"}]
    assert details["license"] == "Apache-2.0"
    assert details["architecture"] == "Wide and deep neural network (Keras)"
    assert details["output_format"] == "Probability that income exceeds $50,000"
    assert details["citation"].startswith("APA:")
    assert [r["url"] for r in details["references"]] == [
        "https://archive.ics.uci.edu/ml/datasets/census+income",
        "https://github.com/tensorflow/tfx/blob/master/tfx/examples/census/README.md"]
    assert card["intended_use"] == {
        "primary_uses": "- Demonstrating model cards for a tabular classifier",
        "primary_users": "- Researchers studying the Model Card Toolkit"}
    assert card["caveats_and_recommendations"].startswith("- Trained on 1994 data")
    risk = card["ethical_considerations"]["risks"][0]
    assert risk["mitigation"].startswith("Report accuracy per sex and race slice")
    assert card["training_data"]["datasets"][0]["name"] == "Census Income train split"
    assert card["evaluation_data"]["datasets"][0]["name"] == "Census Income eval split"
    assert "Sensitive data: sex, race, native_country." in \
        card["training_data"]["datasets"][0]["description"]
    assert card["additional_sections"] == [
        {"title": "Changes in this version", "text": "Initial release."}]
    assert "additional section 'Changes in this version'" in report
    assert "custom" not in card
    assert card["provenance"]["format"] == "model-card-toolkit"
    assert card["provenance"]["format_version"] == "0.0.2"


def test_census_graphics_written_as_files(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = import_mct(tmp_path, "census_income", capsys)
    files = sorted(p.relative_to(out).as_posix() for p in (out / "graphics").iterdir())
    assert files == ["graphics/accuracy-by-sex.png", "graphics/age-distribution-2.png",
                     "graphics/age-distribution.png", "graphics/etc-auc-curve.svg"]
    for name in files:
        data = (out / name).read_bytes()
        assert data.startswith(PNG_MAGIC) if name.endswith(".png") else b"<svg" in data
    card = load(out / "card.yaml")
    unitary = card["quantitative_analyses"]["unitary"]
    assert "![Accuracy by sex](graphics/accuracy-by-sex.png)" in unitary
    assert "(graphics/etc-auc-curve.svg)" in unitary  # '../../etc/AUC curve' stays inside
    assert "![Age distribution](graphics/age-distribution.png)" in \
        card["training_data"]["datasets"][0]["description"]
    assert not (out.parent / "etc").exists()


def test_census_slices_become_slice_mappings(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = import_mct(tmp_path, "census_income", capsys)
    evaluation = load(out / "evaluation.yaml")
    assert evaluation["dataset"] == {"name": "Census Income eval split",
                                     "url": "https://archive.ics.uci.edu/ml/datasets/census+income"}
    assert str(evaluation["date"]) == "2020-08-28"
    assert [(m["name"], m["headline"]) for m in evaluation["metrics"]] == [
        ("accuracy", True), ("auc", False)]
    rows = [(r["metric"], r.get("slice", {}), r["value"], r.get("ci"))
            for r in evaluation["results"]]
    assert rows == [
        ("accuracy", {}, 0.8516, [0.846, 0.857]),
        ("auc", {}, 0.9011, None),
        ("accuracy", {"sex": "Male"}, 0.8197, None),
        ("accuracy", {"sex": "Female"}, 0.9205, None),
        ("accuracy", {"native_country": "United-States"}, 0.8412, None),
        ("accuracy", {"sex": "Female", "race": "White"}, 0.8723, None),
    ]


def test_cats_vs_dogs_considerations_thresholds_and_leftovers(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, report = import_mct(tmp_path, "cats_vs_dogs", capsys)
    card = load(out / "card.yaml")
    details = card["model_details"]
    assert str(details["date"]) == "2020-08-28"  # from "08/28/2020"
    assert details["license"] == "Apache-2.0"  # custom_text
    assert details["owners"][1] == {"name": "Vision oncall"}
    assert details["questions"] == "Vision oncall: #vision-oncall"
    assert details["output_format"] == "type: probability of 'dog'"
    assert card["metrics"]["decision_thresholds"] == "- accuracy: 0.5"
    assert "Tradeoffs:" in card["caveats_and_recommendations"]
    assert card["ethical_considerations"]["risks"][0]["mitigation"] == \
        "Avoid application on non-dog and non-cat images."
    kept = card["provenance"]["metadata"]  # verbatim, by JSON path
    assert kept["model_details.path"] == "gs://example-bucket/cats_vs_dogs/saved_model"
    assert kept["training_notes"] == {"epochs": 10, "optimizer": "adam"}
    evaluation = load(out / "evaluation.yaml")
    recall = [r["slice"] for r in evaluation["results"] if r["metric"] == "recall"]
    assert recall == [{"slice": "Dog", "threshold": "0.3"}, {"slice": "Dog", "threshold": "0.7"}]
    assert "'0.1, 0.2, 0.3'" in evaluation["notes"]  # an array value is kept, not dropped
    assert "is not a number; kept in notes" in report
    assert "placeholder: metrics.performance_measures" in report


def test_minimal_card_validates_and_strict_catches_placeholders(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, report = import_mct(tmp_path, "minimal", capsys)
    card = load(out / "card.yaml")
    assert card["model_details"]["name"] == "Fraud score baseline"
    assert card["model_details"]["task"] == "TODO: task"
    assert not (out / "evaluation.yaml").exists()
    for what in ("date", "task", "owners", "description"):
        assert f"placeholder: model_details.{what}" in report
    root = out.parents[2]
    load_registry(root)
    with pytest.raises(InvalidInput) as caught:
        load_registry(root, strict=True)
    assert {p.field for p in caught.value.problems} >= {"model_details.task",
                                                        "model_details.description"}


def test_all_mct_imports_validate_together(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    root = registry(tmp_path)
    for name in ("census_income", "minimal", "cats_vs_dogs"):
        out = root / "models" / name.replace("_", "-") / "0.1.0"
        assert main(["import", "mct", str(MCT / f"{name}.json"), "-o", str(out)]) == 0
    reg = load_registry(root)
    assert len(reg.versions()) == 3
    assert main(["validate", str(root)]) == 0
    capsys.readouterr()


def test_mct_import_is_deterministic(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    one, _ = import_mct(tmp_path / "a", "census_income", capsys)
    two, _ = import_mct(tmp_path / "b", "census_income", capsys)
    files = sorted(p.relative_to(one) for p in one.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(two) for p in two.rglob("*") if p.is_file())
    assert all((one / f).read_bytes() == (two / f).read_bytes() for f in files)


@pytest.mark.parametrize(("text", "expected"), [
    ("", {}), ("Overall", {}), (None, {}),
    ("sex_Female", {"sex": "Female"}),
    ("gender_male_X_age_10", {"gender": "male", "age": "10"}),
    ("native_country_United-States", {"native_country": "United-States"}),
    ("age:30", {"age": "30"}),
    ("cat", {"slice": "cat"}),
])
def test_parse_slice(text: str | None, expected: dict[str, str]) -> None:
    assert parse_slice(text, ["native_country", "sex"]) == expected


def test_graphics_are_checked_by_magic_bytes() -> None:
    with pytest.raises(GraphicError, match="not a PNG, JPEG or SVG"):
        decode(base64.b64encode(b"MZ\x90\x00 an executable").decode())
    with pytest.raises(GraphicError, match="not valid base64"):
        decode("!!!not base64!!!")
    script = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    with pytest.raises(GraphicError, match="scripts"):
        decode(base64.b64encode(script).decode())
    data, kind = decode("data:image/jpeg;base64," + base64.b64encode(b"\xff\xd8\xff\xe0x").decode())
    assert (data[:3], kind) == (b"\xff\xd8\xff", "jpg")
    taken: set[str] = set()
    assert file_name("../../x/..", "png", taken) == "graphics/x.png"
    assert file_name("X", "png", taken) == "graphics/x-2.png"
    assert file_name(None, "svg", taken) == "graphics/graphic.svg"


def test_imported_graphics_can_be_published(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    from mlcards.interop.publish import version_graphics
    from mlcards.render.context import BuildContext
    from mlcards.render.environment import make_environment

    out, _ = import_mct(tmp_path, "census_income", capsys)
    script = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'
    (out / "graphics" / "evil.svg").write_bytes(script)
    (out / "graphics" / "fake.png").write_bytes(b"not a png")
    png = (out / "graphics" / "accuracy-by-sex.png").read_bytes()
    (out / "graphics" / "Upper.png").write_bytes(png)
    ctx = BuildContext(load_registry(out.parents[2]), make_environment())
    published = {f.path: f.content for f in version_graphics(ctx)}
    prefix = "models/census-income/0.1.0/graphics/"
    assert sorted(published) == [prefix + n for n in (
        "accuracy-by-sex.png", "age-distribution-2.png", "age-distribution.png",
        "etc-auc-curve.svg")]
    assert published[prefix + "accuracy-by-sex.png"].startswith(PNG_MAGIC)


@pytest.mark.parametrize(("data", "version", "said"), [
    ({"model_parameters": {"data": {"train": {"name": "t"}}}}, "0.0.1", "no schema_version"),
    ({"model_details": {"license": "MIT", "name": "x"}}, "0.0.1", "no schema_version"),
    ({"model_details": {"licenses": [{"identifier": "MIT"}]}}, "0.0.2", "no schema_version"),
    ({"schema_version": "9.9", "model_parameters": {"data": []}}, "0.0.2",
     "schema_version '9.9' is not 0.0.1/0.0.2"),
])
def test_schema_version_from_the_card_or_its_shape(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], data: dict[str, Any], version: str,
        said: str) -> None:
    source = tmp_path / "model_card.json"
    source.write_text(json.dumps(data), encoding="utf-8")
    out = registry(tmp_path) / "models" / "m" / "1.0.0"
    assert main(["import", "mct", str(source), "-o", str(out)]) == 0
    report = capsys.readouterr().out
    assert load(out / "card.yaml")["provenance"]["format_version"] == version
    assert f"{said}; read as {version} (from its shape)" in report
