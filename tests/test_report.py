"""JUnit XML and GitHub annotations of `mlcards check` findings (mlcards.commands.report)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import xmlschema

from mlcards.commands.report import (
    Case,
    Note,
    annotation,
    escape_data,
    escape_property,
    github_annotations,
    junit_xml,
)

XSD = Path(__file__).parent / "data" / "junit.xsd"


def check_junit_shape(xml: bytes) -> ET.Element:
    """Validate against the JUnit schema shape and check every count adds up."""
    schema = xmlschema.XMLSchema(XSD)
    root = ET.fromstring(xml)
    schema.validate(root)
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    for suite in root.findall("testsuite"):
        cases = suite.findall("testcase")
        found = {
            "tests": len(cases),
            "failures": sum(c.find("failure") is not None for c in cases),
            "errors": sum(c.find("error") is not None for c in cases),
            "skipped": sum(c.find("skipped") is not None for c in cases),
        }
        for key, value in found.items():
            assert int(suite.get(key, "-1")) == value, (suite.get("name"), key)
            totals[key] += value
    for key, value in totals.items():
        assert int(root.get(key, "-1")) == value, key
    return root


def sample_cases() -> list[Case]:
    where = "models/fraud/1.0.0/readiness.yaml"
    return [
        Case("fraud/1.0.0", "min-readiness", "failed", (
            Note("readiness 0.5 is below the policy minimum 1.0 (weakest section: monitor)",
                 where, 4, 3, field="tests"),
            Note("second finding <&> \"quoted\"", where, 9, 1),
        )),
        Case("fraud/1.0.0", "required-sections", "passed",
             (Note("next review date passed", "models/fraud/1.0.0/card.yaml", 30, 1,
                   level="warning", field="next_review"),)),
        Case("credit/2.0.0", "min-readiness", "passed"),
        Case("credit/2.0.0", "max-disparity", "skipped", reason="no evaluation.yaml"),
        Case("draft-model/0.1.0", "min-readiness", "skipped", reason="draft: reported, not gated"),
        Case("registry", "valid-input", "error",
             (Note("unknown key 'nmae'", "models/x/1.0.0/card.yaml", 3, 3,
                   field="model_details.nmae"),)),
    ]


def test_junit_validates_against_schema_and_counts_add_up() -> None:
    root = check_junit_shape(junit_xml(sample_cases()))
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors"),
            root.get("skipped")) == ("6", "1", "1", "2")
    names = [s.get("name") for s in root.findall("testsuite")]
    assert names == sorted(names) == ["credit/2.0.0", "draft-model/0.1.0", "fraud/1.0.0",
                                      "registry"]


def test_junit_failure_carries_message_and_location() -> None:
    root = ET.fromstring(junit_xml(sample_cases()))
    case = root.find("testsuite[@name='fraud/1.0.0']/testcase[@name='min-readiness']")
    assert case is not None
    assert case.get("classname") == "fraud/1.0.0"
    assert case.get("file") == "models/fraud/1.0.0/readiness.yaml"
    assert case.get("line") == "4"
    failure = case.find("failure")
    assert failure is not None
    assert failure.get("message") == ("readiness 0.5 is below the policy minimum 1.0 "
                                      "(weakest section: monitor) (and 1 more)")
    assert failure.get("type") == "min-readiness"
    assert failure.text is not None
    lines = failure.text.splitlines()
    assert lines[0].startswith("models/fraud/1.0.0/readiness.yaml:4:3: tests: readiness 0.5")
    assert lines[1] == 'models/fraud/1.0.0/readiness.yaml:9:1: second finding <&> "quoted"'
    warned = root.find("testsuite/testcase[@name='required-sections']/system-out")
    assert warned is not None and "warning: next review date passed" in (warned.text or "")
    skipped = root.find("testsuite[@name='credit/2.0.0']/testcase[@name='max-disparity']/skipped")
    assert skipped is not None and skipped.get("message") == "no evaluation.yaml"


def test_junit_is_deterministic_and_has_no_clock_time() -> None:
    first = junit_xml(sample_cases())
    assert first == junit_xml(list(sample_cases()))
    root = ET.fromstring(first)
    assert {e.get("time") for e in root.iter() if e.get("time") is not None} == {"0"}
    assert "timestamp" not in first.decode()


def test_junit_drops_characters_xml_cannot_carry() -> None:
    xml = junit_xml([Case("m/1.0.0", "rule", "failed", (Note("bad \x00\x1b byte"),))])
    root = check_junit_shape(xml)
    failure = root.find("testsuite/testcase/failure")
    assert failure is not None and failure.get("message") == "bad \ufffd\ufffd byte"


def test_empty_report_is_still_valid() -> None:
    root = check_junit_shape(junit_xml([]))
    assert root.get("tests") == "0" and root.findall("testsuite") == []


def test_shape_check_rejects_a_malformed_report() -> None:
    bad = b'<testsuites><testsuite name="s" tests="1" failures="0" errors="0" skipped="0">' \
          b'<testcase name="no-classname"/></testsuite></testsuites>'
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        check_junit_shape(bad)
    wrong_count = junit_xml([Case("m/1.0.0", "r", "failed", (Note("x"),))]).replace(
        b'failures="1"', b'failures="0"', 1)
    with pytest.raises(AssertionError):
        check_junit_shape(wrong_count)


def test_github_escaping_follows_the_workflow_command_rules() -> None:
    assert escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_github_annotation_points_at_file_line_and_column() -> None:
    note = Note("score 0.5 < 1.0, see:\nweakest", "models/a,b/1.0.0/readiness.yaml", 4, 3,
                field="tests")
    assert annotation(note, "min-readiness (a/1.0.0)") == (
        "::error file=models/a%2Cb/1.0.0/readiness.yaml,line=4,col=3,"
        "title=min-readiness (a/1.0.0)::tests: score 0.5 < 1.0, see:%0Aweakest")


def test_github_report_lists_failures_and_warnings_not_skips() -> None:
    lines = github_annotations(sample_cases()).splitlines()
    errors = [x for x in lines if x.startswith("::error ")]
    warnings = [x for x in lines if x.startswith("::warning ")]
    assert len(errors) == 3  # two findings of the failed rule, one invalid-input error
    assert len(warnings) == 1 and "line=30" in warnings[0]
    assert not any("draft" in x for x in lines)
    assert lines[-1] == ("mlcards check: 6 checks, 2 passed, 1 failed, 1 errors, 2 skipped")


def test_github_failure_without_located_note_still_annotates() -> None:
    out = github_annotations([Case("m/1.0.0", "rule", "failed", reason="policy not met")])
    assert out.splitlines()[0] == "::error title=rule (m/1.0.0)::policy not met"


# --------------------------------------------------------------------------- mlcards check


SCAFFOLD = Path(__file__).parent.parent / "mlcards" / "scaffold"
CARD = "models/example-model/0.1.0/card.yaml"


def approved_registry(tmp_path: Path) -> Path:
    """The scaffold, its placeholders edited, with its version approved: readiness
    0.5 < the policy's 1.0."""
    import shutil

    from test_new_user_trips import fill_in

    root = tmp_path / "reg"
    shutil.copytree(SCAFFOLD, root)
    fill_in(root)
    card = root / CARD
    card.write_text(card.read_text().replace("status: draft", "status: approved"))
    return root


def run_check(args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
              capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    from mlcards.cli import main

    monkeypatch.chdir(tmp_path)
    code = main(["check", *args])
    return code, capsys.readouterr().out


def test_check_junit_report_of_a_failing_registry(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    approved_registry(tmp_path)
    code, out = run_check(["reg", "--format", "junit", "-o", "report.xml"], tmp_path,
                          monkeypatch, capsys)
    assert code == 1
    assert "check failed" in out  # the text report still goes to the log
    root = check_junit_shape((tmp_path / "report.xml").read_bytes())
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == {"registry", "example-model/0.1.0"}
    case = suites["example-model/0.1.0"].find("testcase[@name='readiness-minimum']")
    assert case is not None and case.get("classname") == "example-model/0.1.0"
    failure = case.find("failure")
    assert failure is not None
    assert failure.get("message", "").startswith("readiness 0.5 is below the minimum 1")
    assert case.get("file") == "reg/models/example-model/0.1.0/readiness.yaml"
    assert (failure.text or "").startswith("reg/models/example-model/0.1.0/readiness.yaml:")
    valid = suites["registry"].find("testcase[@name='valid-input']")
    assert valid is not None and len(valid) == 0  # passed: no failure, no skip
    assert int(root.get("failures", "0")) >= 1


def test_check_junit_is_deterministic(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    approved_registry(tmp_path)
    run_check(["reg", "--format", "junit", "-o", "a.xml"], tmp_path, monkeypatch, capsys)
    run_check(["reg", "--format", "junit", "-o", "b.xml"], tmp_path, monkeypatch, capsys)
    assert (tmp_path / "a.xml").read_bytes() == (tmp_path / "b.xml").read_bytes()


def test_check_github_annotations_point_at_the_readiness_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    approved_registry(tmp_path)
    code, out = run_check(["reg", "--format", "github"], tmp_path, monkeypatch, capsys)
    assert code == 1
    errors = [x for x in out.splitlines() if x.startswith("::error ")]
    assert len(errors) == 1
    assert errors[0].startswith(
        "::error file=reg/models/example-model/0.1.0/readiness.yaml,line=")
    assert "title=readiness.min-score (example-model/0.1.0)::readiness 0.5" in errors[0]
    assert out.splitlines()[-1].startswith("mlcards check: ")


def test_check_reports_invalid_input_as_a_failed_case(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    root = approved_registry(tmp_path)
    card = root / CARD
    card.write_text(card.read_text().replace("  task: binary", "  taks: binary"))
    code, out = run_check(["reg", "--format", "junit"], tmp_path, monkeypatch, capsys)
    assert code == 1
    xml_root = check_junit_shape(out.encode())
    failure = xml_root.find("testsuite[@name='registry']/testcase[@name='valid-input']/failure")
    assert failure is not None and "(and 1 more)" in failure.get("message", "")
    assert "model_details.taks: unknown key 'taks'" in (failure.text or "")
    code, out = run_check(["reg", "--format", "github"], tmp_path, monkeypatch, capsys)
    assert code == 1
    assert f"::error file=reg/{CARD},line=" in out


def test_check_passes_when_drafts_are_only_reported(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    import shutil

    shutil.copytree(SCAFFOLD, tmp_path / "reg")  # status: draft
    code, out = run_check(["reg", "--format", "junit", "-o", "r.xml"], tmp_path,
                          monkeypatch, capsys)
    assert code == 0 and "check passed" in out
    root = check_junit_shape((tmp_path / "r.xml").read_bytes())
    assert root.get("failures") == "0"
    skipped = root.findall("testsuite[@name='example-model/0.1.0']/testcase/skipped")
    assert skipped and all(s.get("message") == "not gated: status draft" for s in skipped)


def test_check_output_to_an_unwritable_place_is_a_clean_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    import shutil

    shutil.copytree(SCAFFOLD, tmp_path / "reg")
    from mlcards.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["check", "reg", "--format", "junit", "-o", "no/such/dir/r.xml"]) == 1
    assert "cannot write no/such/dir/r.xml" in capsys.readouterr().err
