"""Verified automation: an `automated` claim checked against the JUnit report of the CI
run (mlcards.load.junit, mlcards.compute.verification, the gate and `verify`)."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from test_readiness_fixtures import make_registry, readiness, statuses

from mlcards.compute.readiness import score_version
from mlcards.compute.scorecard_data import scorecard_csv, scorecard_json
from mlcards.compute.verification import case_names, matches
from mlcards.errors import InvalidInput
from mlcards.load.junit import JunitCase, JunitError, parse_junit
from mlcards.render.context import BuildContext
from mlcards.render.environment import make_environment
from mlcards.render.scorecard import version_scorecard
from mlcards.validate.registry import load_registry

if TYPE_CHECKING:
    from cli_result import CliResult

V = "models/alpha/1.0.0"
REPORT = "evidence/ci/training-tests.xml"
TEST_FILE = '''\
def test_reproducible_seed():
    assert 1 + 1 == 2

def test_reproducible_weights():
    assert [1, 2] == [1, 2]

def test_other():
    assert True
'''


def run_pytest(folder: Path, source: str) -> bytes:
    """A real `pytest --junitxml` report of `source` (tests/test_training.py)."""
    tests = folder / "tests"
    tests.mkdir(parents=True)
    (tests / "__init__.py").write_text("")
    (tests / "test_training.py").write_text(source)
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                    "-p", "no:xdist", "--junitxml", "report.xml", "tests/test_training.py"],
                   cwd=folder, capture_output=True, check=False, timeout=120)
    return (folder / "report.xml").read_bytes()


def dated(report: bytes, when: str) -> bytes:
    """The report with its run's timestamp set to `when` (an ISO date-time)."""
    return re.sub(rb'timestamp="[^"]*"', f'timestamp="{when}"'.encode(), report)


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """Real pytest reports: 'pass' (all pass), 'fail' (test_reproducible_weights fails)."""
    base = tmp_path_factory.mktemp("junit")
    passing = run_pytest(base / "pass", TEST_FILE)
    failing = run_pytest(base / "fail", TEST_FILE.replace("[1, 2] == [1, 2]",
                                                          "[1, 2] == [2, 1], 'weights differ'"))
    return {"pass": dated(passing, "2026-01-28T09:14:03.512345+00:00"),
            "fail": dated(failing, "2026-01-28T09:14:03.512345+00:00")}


def registry(root: Path, report: bytes | None, *, status: str = "approved",
             junit: str | None = REPORT, cases: list[str] | None = None,
             max_age: int | None = 30, policy: dict[str, Any] | None = None) -> Path:
    """One approved model whose infra-1 claims `automated`, verified by `report`
    (junit None: a claim that names no report)."""
    test: dict[str, Any] = {"status": "automated"}
    if junit is not None:
        test["junit"] = junit
    if junit is not None or cases is not None:
        test["cases"] = cases if cases is not None \
            else ["tests/test_training.py::test_reproducible*"]
    if max_age is not None and junit is not None:
        test["max_age_days"] = max_age
    tests = {**statuses("manual", ["data-1", "data-2", "model-1", "model-2", "monitor-1",
                                   "monitor-2"]),
             "infra-1": test, "infra-2": {"status": "manual"}}
    make_registry(root, {"alpha": {"1.0.0": (status, readiness(tests))}}, min_readiness=0,
                  config={"policy": {"min_readiness": 0, **(policy or {})}})
    if report is not None:
        (root / REPORT).parent.mkdir(parents=True, exist_ok=True)
        (root / REPORT).write_bytes(report)
    return root


def infra(root: Path) -> Any:
    reg = load_registry(root)
    score = score_version(reg, reg.versions()[0])
    assert score is not None
    return score.section("infra"), score.test("infra-1")


# --------------------------------------------------------------------------- scoring


def test_passing_fresh_report_scores_higher_than_a_failing_one(
        tmp_path: Path, reports: dict[str, bytes]) -> None:
    passed_section, passed = infra(registry(tmp_path / "pass", reports["pass"]))
    failed_section, failed = infra(registry(tmp_path / "fail", reports["fail"]))
    assert (passed.verification.state, passed.points) == ("verified", 1.0)
    assert (passed.verification.passed, passed.verification.failed) == (2, 0)
    assert (failed.verification.state, failed.points) == ("failed", 0.0)
    assert passed_section.score == 1.5 and failed_section.score == 0.5
    assert passed_section.score > failed_section.score
    case = failed.verification.failures[0]
    assert case.case == "tests.test_training::test_reproducible_weights"
    assert "weights differ" in case.message
    assert "test_reproducible_weights failed" in failed.verification.reason


def test_stale_report_counts_as_manual(tmp_path: Path, reports: dict[str, bytes]) -> None:
    # the assessment is dated 2026-02-01: a run of 2025-12-01 is 62 days old
    _, stale = infra(registry(tmp_path / "reg", dated(reports["pass"], "2025-12-01T08:00:00")))
    assert (stale.verification.state, stale.points) == ("unverified", 0.5)
    assert "62 days old on 2026-02-01, more than max_age_days 30" in stale.verification.reason
    assert stale.verification.passed == 2  # the cases passed; only the age is wrong


def test_without_max_age_an_old_report_still_verifies(tmp_path: Path,
                                                      reports: dict[str, bytes]) -> None:
    _, t = infra(registry(tmp_path / "reg", dated(reports["pass"], "2025-01-01T08:00:00"),
                          max_age=None))
    assert (t.verification.state, t.points) == ("verified", 1.0)


def test_no_matching_case_counts_as_manual(tmp_path: Path, reports: dict[str, bytes]) -> None:
    _, t = infra(registry(tmp_path / "reg", reports["pass"], cases=["tests/test_serving.py::*"]))
    assert (t.verification.state, t.points) == ("unverified", 0.5)
    assert "no case of the report matches tests/test_serving.py::*" in t.verification.reason


def test_missing_report_is_a_warning_and_counts_as_manual(
        tmp_path: Path, run_cli: Callable[..., CliResult]) -> None:
    root = registry(tmp_path / "reg", None)
    _, t = infra(root)
    assert (t.verification.state, t.points) == ("unverified", 0.5)
    result = run_cli("validate", root)
    assert result.code == 0, result.out + result.err
    assert re.search(rf"{V}/readiness.yaml:\d+:\d+: warning: tests.infra-1.junit: JUnit report "
                     rf"'{REPORT}' does not exist", result.out + result.err)


def test_a_claim_without_a_report_is_self_declared(tmp_path: Path) -> None:
    _, t = infra(registry(tmp_path / "reg", None, junit=None))
    assert (t.verification.state, t.points) == ("self-declared", 1.0)


def test_case_patterns_match_pytest_node_ids_and_junit_names() -> None:
    case = JunitCase("tests.unit.test_training.TestSeeds", "test_seed[3]", "passed", "")
    names = case_names(case)
    assert "tests/unit/test_training.py::TestSeeds::test_seed[3]" in names
    assert "tests.unit.test_training.TestSeeds::test_seed[3]" in names
    assert matches(case, ["tests/unit/test_training.py::TestSeeds::*"])
    assert matches(case, ["test_seed?3?"])
    assert not matches(case, ["tests/unit/test_serving.py::*"])
    assert matches(case, [])  # no patterns: every case


def test_surefire_style_nested_suites_and_skips() -> None:
    xml = b"""<?xml version="1.0" encoding="UTF-8"?>
<testsuites><testsuite name="a" timestamp="2026-01-20T10:00:00">
  <testsuite name="b" timestamp="2026-01-19T10:00:00">
    <testcase classname="com.acme.TrainTest" name="reproducible"/>
    <testcase classname="com.acme.TrainTest" name="slow"><skipped message="too slow"/></testcase>
    <testcase classname="com.acme.TrainTest" name="broken"><error message="NPE">trace</error>
    </testcase>
  </testsuite></testsuite></testsuites>"""
    report = parse_junit(xml, "r.xml")
    assert [c.outcome for c in report.cases] == ["passed", "skipped", "error"]
    assert report.cases[2].message == "NPE"
    assert report.timestamp is not None and report.timestamp.isoformat() == "2026-01-19T10:00:00"


# --------------------------------------------------------------------------- hostile XML

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<testsuites><testsuite name="x"><testcase name="&lol3;"/></testsuite></testsuites>
"""
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE foo [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<testsuites><testsuite name="x"><testcase name="&xxe;"/></testsuite></testsuites>
"""


@pytest.mark.parametrize(("xml", "line", "column", "what"), [
    (BILLION_LAUGHS, 3, 2, "entity 'lol'"),
    (XXE, 2, 17, "external entity 'xxe' (file:///etc/passwd)"),
])
def test_hostile_report_gives_a_located_error_and_nothing_runs(
        tmp_path: Path, run_cli: Callable[..., CliResult], xml: bytes, line: int, column: int,
        what: str) -> None:
    root = registry(tmp_path / "reg", xml)
    expected = (f"{REPORT}:{line}:{column}: tests.infra-1.junit: XML entity declarations are "
                f"refused ({what})")
    with pytest.raises(InvalidInput) as exc:
        load_registry(root)
    assert expected in str(exc.value).replace(str(root) + "/", "")
    out = tmp_path / "site"
    for args in (("validate", root), ("check", root), ("build", root, "-o", out),
                 ("score", root / V / "readiness.yaml")):
        result = run_cli(*args)
        assert result.code != 0, args
        text = (result.out + result.err).replace(str(root) + "/", "")
        assert expected in text.replace(": error: ", ": "), (args, text)  # check's format
        assert "/etc/passwd" not in text.replace("(file:///etc/passwd)", "")
    assert not out.exists()  # the build stopped before writing anything


def test_malformed_report_is_located() -> None:
    with pytest.raises(JunitError) as exc:
        parse_junit(b"<testsuites>\n  <testsuite></testsuites>", "r.xml", "tests.x.junit")
    p = exc.value.problem
    # the name of the closing tag that does not match
    assert (p.file, p.line, p.column, p.field) == ("r.xml", 2, 16, "tests.x.junit")
    assert p.message.startswith("not well-formed XML: mismatched tag")


def test_report_that_is_not_junit_is_refused() -> None:
    with pytest.raises(JunitError, match=r"root element <testsuites> or <testsuite>\), "
                                         r"found <html>"):
        parse_junit(b"<html/>", "r.xml")


def test_report_path_may_not_leave_the_registry(tmp_path: Path,
                                                reports: dict[str, bytes]) -> None:
    (tmp_path / "outside.xml").write_bytes(reports["pass"])
    root = registry(tmp_path / "reg", None, junit="../outside.xml")
    with pytest.raises(InvalidInput, match=r"tests.infra-1.junit: path '../outside.xml' "
                                           r"leaves the allowed folder"):
        load_registry(root)


def test_cases_without_junit_is_an_error(tmp_path: Path) -> None:
    root = registry(tmp_path / "reg", None, junit=None, cases=["tests/*"])
    with pytest.raises(InvalidInput, match=r"tests.infra-1.cases: `cases` needs `junit`"):
        load_registry(root)


# --------------------------------------------------------------------------- outputs


def build_card(root: Path) -> Any:
    reg = load_registry(root)
    card = version_scorecard(BuildContext(reg, make_environment(), revision="r1"),
                             reg.versions()[0])
    assert card is not None
    return card


def test_scorecard_json_and_csv_carry_the_verification(tmp_path: Path,
                                                       reports: dict[str, bytes]) -> None:
    root = registry(tmp_path / "reg", reports["fail"])
    card = build_card(root)
    doc = json.loads(scorecard_json(card))
    t = next(t for t in doc["tests"] if t["id"] == "infra-1")
    import hashlib
    sha = hashlib.sha256((root / REPORT).read_bytes()).hexdigest()
    assert t["status"] == "automated" and t["points"] == 0
    v = t["verification"]
    assert (v["state"], v["report"], v["sha256"]) == ("failed", REPORT, sha)
    assert (v["passed"], v["failed"], v["skipped"]) == (1, 1, 0)
    assert v["timestamp"] == "2026-01-28T09:14:03.512345+00:00"
    assert {"path": REPORT, "sha256": sha} in doc["provenance"]["inputs"]
    rows = {r["test_id"]: r for r in csv.DictReader(io.StringIO(scorecard_csv(card).decode()))}
    row = rows["infra-1"]
    assert (row["status"], row["verified"], row["junit_report"], row["junit_sha256"]) == \
        ("automated", "failed", REPORT, sha)
    assert (row["cases_passed"], row["cases_failed"], row["cases_skipped"]) == ("1", "1", "0")
    assert rows["infra-2"]["verified"] == ""  # a manual claim has nothing to verify


def test_verify_rejects_a_scorecard_after_one_byte_of_a_report_changed(
        tmp_path: Path, run_cli: Callable[..., CliResult], reports: dict[str, bytes]) -> None:
    root = registry(tmp_path / "reg", reports["pass"])
    download = tmp_path / "scorecard.json"
    download.write_bytes(scorecard_json(build_card(root)))
    ok = run_cli("verify", download, root)
    assert ok.code == 0, ok.out
    assert f"ok      {REPORT}: sha256 matches" in ok.out
    data = bytearray((root / REPORT).read_bytes())
    at = data.index(b"test_other")  # a case the claim does not use: the score stays 1
    data[at] ^= 0x01
    (root / REPORT).write_bytes(bytes(data))
    result = run_cli("verify", download, root)
    assert result.code == 1
    assert any(line.strip().startswith(f"DIFFERS {REPORT}: recorded ")
               for line in result.out.splitlines()), result.out
    assert "NOT verified" in result.out


# --------------------------------------------------------------------------- the gate


def findings(result: CliResult, rule: str) -> list[str]:
    return [line for line in result.out.splitlines() if rule in line]


def test_gate_reports_the_failing_case(tmp_path: Path, run_cli: Callable[..., CliResult],
                                       reports: dict[str, bytes]) -> None:
    root = registry(tmp_path / "reg", reports["fail"])
    result = run_cli("check", root, "--as-of", "2026-02-01")
    lines = findings(result, "readiness.automation-failed")
    assert len(lines) == 1, result.out
    assert "tests.test_training::test_reproducible_weights failed" in lines[0]
    assert "weights differ" in lines[0]
    assert result.code == 0  # a warning unless the policy requires verified automation


@pytest.mark.parametrize(("report", "as_of", "code"), [
    ("pass", "2026-02-01", 0),   # verified
    ("fail", "2026-02-01", 1),   # a matching case failed
    ("pass", "2026-04-01", 1),   # fresh when assessed, stale on the --as-of date
])
def test_policy_requires_verified_automation(
        tmp_path: Path, run_cli: Callable[..., CliResult], reports: dict[str, bytes],
        report: str, as_of: str, code: int) -> None:
    root = registry(tmp_path / "reg", reports[report],
                    policy={"require_verified_automation": True})
    result = run_cli("check", root, "--as-of", as_of)
    assert result.code == code, result.out
    if code:
        assert findings(result, "readiness.automation-"), result.out


def test_policy_fails_self_declared_claims_of_approved_versions_only(
        tmp_path: Path, run_cli: Callable[..., CliResult]) -> None:
    for status, code in (("approved", 1), ("draft", 0)):
        root = registry(tmp_path / status, None, status=status, junit=None,
                        policy={"require_verified_automation": True})
        result = run_cli("check", root, "--as-of", "2026-02-01")
        assert result.code == code, result.out
        assert findings(result, "readiness.automation-self-declared"), result.out


# --------------------------------------------------------------------------- the site


def test_a_changed_report_rebuilds_the_scorecard_from_the_cache(
        tmp_path: Path, run_cli: Callable[..., CliResult], reports: dict[str, bytes]) -> None:
    root = registry(tmp_path / "reg", reports["pass"])
    cache = tmp_path / "cache"

    def build(out: str) -> dict[str, Any]:
        result = run_cli("build", root, "-o", tmp_path / out, "--docs-only",
                         "--cache-dir", cache)
        assert result.code == 0, result.err
        doc = json.loads((tmp_path / out / "docs" / V / "scorecard.json").read_text())
        return next(t for t in doc["tests"] if t["id"] == "infra-1")

    assert (build("first")["verification"]["state"], build("again")["points"]) == \
        ("verified", 1)
    (root / REPORT).write_bytes(reports["fail"])  # the readiness file is unchanged
    after = build("after")
    assert (after["verification"]["state"], after["points"]) == ("failed", 0)


def test_site_example_shows_every_state(example_registry: Path) -> None:
    from test_readiness_fixtures import produce_files

    reg = load_registry(example_registry)
    by_key = {mv.key: mv for mv in reg.versions()}
    ctx = BuildContext(reg, make_environment(), revision="r1")
    states = {}
    for key in ("credit-default/1.1.0", "churn-predictor/2.0.0"):
        score = score_version(reg, by_key[key])
        assert score is not None
        states.update({(key, t.id): t.verification.state for t in score.automated_claims
                       if t.verification is not None})
    assert states[("credit-default/1.1.0", "data-7")] == "verified"
    assert states[("credit-default/1.1.0", "infra-2")] == "verified"
    assert states[("credit-default/1.1.0", "infra-1")] == "unverified"  # stale
    assert states[("churn-predictor/2.0.0", "data-1")] == "verified"
    assert states[("churn-predictor/2.0.0", "infra-1")] == "failed"
    assert states[("credit-default/1.1.0", "model-1")] == "self-declared"
    files = produce_files(ctx)
    churn = files["models/churn-predictor/2.0.0/scorecard.md"].decode()
    assert "## Automation verified by CI test reports" in churn
    assert "**failed** (0)" in churn and "**verified** (1)" in churn
    assert "max abs diff 3.2e-04 &#62; 1e-9 between retrained models" in churn
    assert "<code>evidence/ci/churn-predictor/2.0.0/weekly-reproducibility.xml</code>" in churn
    assert "1 passed · 1 failed · 0 skipped" in churn
    credit = files["models/credit-default/1.1.0/scorecard.md"].decode()
    assert "**not verified** (0.5)" in credit
    assert "is 51 days old on 2025-11-12, more than max&#95;age&#95;days 14" in credit
    assert "Automated claims verified by CI test reports: **2 of 15** (2 of 20 points" in credit
    overview = files["readiness/index.md"].decode()
    assert "| 2 of 20 pts (2 of 15 automated) |" in overview
    rows = {(r["model_id"], r["version"]): r for r in
            csv.DictReader(io.StringIO(files["readiness/readiness.csv"].decode()))}
    row = rows[("churn-predictor", "2.0.0")]
    assert (row["automated_claims"], row["verified_claims"], row["verified_points"]) == \
        ("9", "1", "1")


def test_pdf_shows_claimed_and_verified_status_and_the_report(
        tmp_path: Path, reports: dict[str, bytes]) -> None:
    import shutil

    from mlcards.plots.readiness import scorecard_pdf

    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext (poppler-utils) is needed to read the PDF's text")
    card = build_card(registry(tmp_path / "reg", reports["fail"]))
    path = tmp_path / "s.pdf"
    path.write_bytes(scorecard_pdf(card))
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout
    v = next(t for t in card.tests if t.id == "infra-1").verification
    assert re.search(r"Claimed\s+Verified\s+Pts", text)
    assert re.search(r"infra-1\s+.*\s+automated\s+failed\s+0\b", text)
    assert f"CI test report (JUnit): {REPORT}" in text and f"sha256 {v.sha256}" in text
    assert "matching cases: 1 passed, 1 failed, 0 skipped" in text
    assert "failed: tests.test_training::test_reproducible_weights" in text
    assert "Automated claims verified by CI test reports: 0 of 1" in text


def test_score_command_says_which_claims_are_verified(
        tmp_path: Path, run_cli: Callable[..., CliResult], reports: dict[str, bytes]) -> None:
    root = registry(tmp_path / "reg", reports["fail"])
    result = run_cli("score", root / V / "readiness.yaml")
    assert result.code == 0, result.err
    assert "automated claims verified by CI test reports: 0 of 1 (0 of 3.5 points)" in result.out
    assert "  infra-1 failed: tests.test_training::test_reproducible_weights failed" in result.out
    data = json.loads(run_cli("score", root / V / "readiness.yaml", "--format", "json").out)
    assert {t["id"]: t["verified"] for t in data["tests"]}["infra-1"] == "failed"


def test_an_oversized_report_is_refused_unread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               reports: dict[str, bytes]) -> None:
    import mlcards.load.junit as junit

    root = registry(tmp_path / "reg", reports["pass"])
    monkeypatch.setattr(junit, "MAX_FILE_BYTES", 100)
    with pytest.raises(InvalidInput, match=rf"{REPORT}:1:1: tests.infra-1.junit: JUnit report is "
                                           r"\d+ bytes; the limit is 100 bytes"):
        load_registry(root)
