"""Malformed inputs to `mlcards import`: located errors (file:line:column), exit
status 1, no traceback and nothing written; a problem in an optional part (a
model-index result, a graphic, a confidence interval) is a located warning, the part
is skipped and the rest of the card imported."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlcards.cli import main
from mlcards.errors import InvalidInput, MlcardsError, Problem
from mlcards.interop.common import Options, write_result
from mlcards.interop.hf import import_hf
from mlcards.load.yaml import load_yaml_file
from mlcards.schema import Card, Evaluation
from mlcards.validate.documents import validate_document

HF_OK = "---\nlicense: mit\n---\n\n# Model\n\nText.\n"
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 8).decode()


def fails(tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str,
          name: str, content: str | bytes) -> str:
    """Import a file that must be refused; return stderr."""
    source = tmp_path / name
    source.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        source.write_bytes(content)
    else:
        source.write_text(content, encoding="utf-8")
    out = tmp_path / "reg" / "models" / "m" / "1.0.0"
    rc = main(["import", kind, str(source), "-o", str(out)])
    err = capsys.readouterr().err
    assert rc == 1, err
    assert "Traceback" not in err
    assert not out.exists(), "nothing may be written on error"
    return err


def warns(tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str,
          name: str, content: str) -> tuple[str, Path]:
    """Import a file whose optional parts are bad; return the report and output folder."""
    source = tmp_path / name
    source.write_text(content, encoding="utf-8")
    out = tmp_path / "reg" / "models" / "m" / "1.0.0"
    rc = main(["import", kind, str(source), "-o", str(out)])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert (out / "card.yaml").is_file()
    return captured.out, out


def test_bad_front_matter_yaml(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = fails(tmp_path, capsys, "hf", "README.md",
                "---\nlicense: mit\ntags: [a, b\npipeline_tag: x\n---\n# T\n")
    assert "README.md:4:13: (file): YAML syntax error" in err
    assert "started on line 3, column 7" in err


def test_front_matter_never_closed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = fails(tmp_path, capsys, "hf", "README.md", "---\nlicense: mit\n# Title\n")
    assert "README.md:1:1:" in err and "never closed" in err


def test_wrong_types_in_model_index_all_reported(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    text = """---
license: mit
model-index:
- name: x
  results:
  - task: {type: text-classification}
    dataset: {name: d}
    metrics:
    - type: accuracy
      value: N/A
  - task: {type: text-classification}
    dataset: {type: d, name: d}
    metrics: oops
  - task: {type: text-classification}
    dataset: {type: good, name: good}
    metrics: [{type: f1, value: 0.5}]
---
"""
    report, out = warns(tmp_path, capsys, "hf", "README.md", text)
    assert "README.md:7:14: warning: model-index[0].results[0].dataset: required field 'type' " \
           "is missing; result skipped" in report
    assert "README.md:10:14: warning: model-index[0].results[0].metrics[0].value: expected a " \
           "number" in report
    assert "README.md:13:14: warning: model-index[0].results[1].metrics: Input should be a " \
           "valid list" in report
    evaluation = load_yaml_file(out / "evaluation.yaml").data
    assert [(r["metric"], r["value"]) for r in evaluation["results"]] == [("f1", 0.5)]


def test_model_index_must_be_a_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = fails(tmp_path, capsys, "hf", "README.md",
                "---\nmodel-index:\n  name: x\n---\n")
    assert "README.md:3:3: model-index: Input should be a valid list" in err


def test_duplicate_key_and_bad_mlcards_block(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    err = fails(tmp_path, capsys, "hf", "README.md",
                "---\nlicense: mit\nlicense: gpl\nmlcards: {status: shipped}\n---\n")
    assert "README.md:3:1: license: duplicate key 'license'" in err
    assert "README.md:4:19: mlcards.status: Input should be 'draft'" in err


def test_non_utf8_readme(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = fails(tmp_path, capsys, "hf", "README.md", b"---\nlicense: mit\n---\n# T\n\nCaf\xe9\n")
    assert "README.md:6:4: (file): file is not valid UTF-8 text (byte 0xe9)" in err


def test_bad_eval_results_reported_with_front_matter(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / ".eval_results"
    folder.mkdir()
    (folder / "a.yaml").write_text("- dataset: {id: x}\n  value: high\n"
                                   "- dataset: {task_id: y}\n  value: 1\n", encoding="utf-8")
    (folder / "b.yaml").write_text("- dataset: {id: x\n", encoding="utf-8")
    err = fails(tmp_path, capsys, "hf", "README.md", "---\ntags: [a\n---\n")
    assert ".eval_results/a.yaml:2:10: [0].value: expected a number" in err
    assert ".eval_results/a.yaml:3:12: [1].dataset.id: required field 'id' is missing" in err
    assert ".eval_results/b.yaml:2:1: (file): YAML syntax error" in err
    assert "README.md:3:1: (file): YAML syntax error" in err


def test_truncated_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = fails(tmp_path, capsys, "mct", "model_card.json",
                '{\n  "model_details": {\n    "name": "x",\n    "owners": [\n')
    assert "model_card.json:5:1: (file): not valid JSON: Expecting value" in err


def test_wrong_types_in_mct_card(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every key of the toolkit's schema is optional: a part of the wrong type is left out
    with a located warning, all of them reported, and the rest of the card is imported."""
    text = ('{\n  "quantitative_analysis": {\n    "performance_metrics": {"type": "acc"}\n  },\n'
            '  "model_details": {"owners": "me", "name": "Kept",\n'
            '    "references": [{"reference": "https://a.example/"}, {"reference": []}]}\n}\n')
    report, out = warns(tmp_path, capsys, "mct", "model_card.json", text)
    assert "model_card.json:3:28: warning: quantitative_analysis.performance_metrics: Input " \
           "should be a valid list" in report
    assert "model_card.json:5:31: warning: model_details.owners: Input should be a valid " \
           "list (got 'me'); model_details.owners skipped" in report
    assert "model_details.references[1] skipped" in report
    card = load_yaml_file(out / "card.yaml").data
    assert card["model_details"]["name"] == "Kept"
    assert card["model_details"]["references"] == [{"title": "https://a.example/",
                                                    "url": "https://a.example/"}]
    assert not (out / "evaluation.yaml").exists()


def test_mct_top_level_not_an_object(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = fails(tmp_path, capsys, "mct", "model_card.json", "[1, 2]\n")
    assert "model_card.json:1:1: (file): expected a JSON object" in err


def test_mct_graphic_that_is_no_image(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fake = base64.b64encode(b"#!/bin/sh\nrm -rf /\n").decode()
    text = ('{\n  "model_details": {"name": "x"},\n  "quantitative_analysis": {\n'
            '    "graphics": {"collection": [\n'
            f'      {{"name": "ok", "image": "{PNG}"}},\n'
            f'      {{"name": "evil", "image": "{fake}"}}\n    ]}}\n  }}\n}}\n')
    report, out = warns(tmp_path, capsys, "mct", "model_card.json", text.replace("}}", "}"))
    assert "model_card.json:6:33: warning: quantitative_analysis.graphics.collection[1].image: " \
           "image is not a PNG, JPEG or SVG file" in report
    assert "graphic 'evil' skipped" in report
    assert sorted(p.name for p in (out / "graphics").iterdir()) == ["ok.png"]


def test_mct_confidence_interval_reversed(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    text = ('{"quantitative_analysis": {"performance_metrics": [\n'
            '  {"type": "auc", "value": "0.9",\n'
            '   "confidence_interval": {"lower_bound": "0.95", "upper_bound": "0.85"}}\n]}}\n')
    report, out = warns(tmp_path, capsys, "mct", "model_card.json", text)
    assert "model_card.json:3:27: warning: quantitative_analysis.performance_metrics[0]." \
           "confidence_interval: expected numeric lower_bound <= upper_bound" in report
    rows = load_yaml_file(out / "evaluation.yaml").data["results"]
    assert rows == [{"metric": "auc", "value": 0.9}]  # the value kept, the interval skipped


def test_non_utf8_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = fails(tmp_path, capsys, "mct", "model_card.json",
                b'{"model_details":\n {"name": "\xff"}}')
    assert "model_card.json:2:12: (file): file is not valid UTF-8 text (byte 0xff)" in err


def test_missing_source_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["import", "hf", str(tmp_path / "nope.md"), "-o", str(tmp_path / "o")])
    assert rc == 1
    assert "no such file" in capsys.readouterr().err


def test_output_folder_names_must_be_valid(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "README.md").write_text(HF_OK, encoding="utf-8")
    rc = main(["import", "hf", str(tmp_path / "README.md"), "-o",
               str(tmp_path / "Bad Name" / "1.0")])
    assert rc == 0  # an unusable folder name is skipped; the id comes from the card...
    capsys.readouterr()
    rc = main(["import", "hf", str(tmp_path / "README.md"), "-o", str(tmp_path / "x" / "1.0"),
               "--version", "not a version"])
    assert rc == 1
    assert "not a PEP 440" in capsys.readouterr().err


# --------------------------------------------------------------------------- properties

LINES = ["---", "# Title", "## Uses", "### Direct Use", "- **License:** mit", "license: mit",
         "- **Developed by:** A, B and C", "model-index:", "- name: x", "  results:",
         "  - task: {type: t}", "    dataset: {type: d, name: d}",
         "    metrics: [{type: acc, value: 1}]", "    metrics: [{type: 'pass@1', value: true}]",
         "```", "## Model Card Authors", "## Risks and Harms", "## Disaggregated Results",
         "| Metric | Slice | Value | CI | n |", "|---|---|---|---|---|", "| a | x=1 | 2 | | |",
         "tags: 5", "mlcards: {id: X, version: abc}", "text", "", "<!-- c", "-->",
         "[More Information Needed]", "#", "datasets: glue", "base_model: [a, b]",
         "- [Jane](http://x)", "Name <a@b> (role: x; team: y)"]


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(LINES), max_size=20))
def test_hf_import_only_fails_with_located_problems(tmp_path: Path, lines: list[str]) -> None:
    """Any mix of front matter and headings imports, or fails with MlcardsError;
    what it writes validates."""
    source = tmp_path / "README.md"
    source.write_text("\n".join(lines), encoding="utf-8")
    out = tmp_path / "models" / "m" / "1.0.0"
    shutil.rmtree(out, ignore_errors=True)  # tmp_path is shared by the examples
    opts = Options(out=out, force=True)
    try:
        write_result(import_hf(source, opts), opts)
    except InvalidInput as exc:
        assert all(p.line >= 1 and p.column >= 1 for p in exc.problems)
        assert "generated file" not in str(exc)
        return
    except MlcardsError:
        return
    problems: list[Problem] = []
    for name, model in (("card.yaml", Card), ("evaluation.yaml", Evaluation)):
        if (out / name).exists():
            assert validate_document(load_yaml_file(out / name), model, problems) is not None
    assert problems == []
