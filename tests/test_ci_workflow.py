"""The ready-made CI workflows in site_example/ci/, run as scripts on the example registry.

The GitHub workflow's jobs run in `needs` order; each `run:` step runs in bash
the way Actions runs it (`bash --noprofile --norc -eo pipefail`), with the
workflow's `env` and the installed mlcards on PATH. Install steps are skipped
(mlcards is installed already) and the upload actions are simulated by checking
that what they would upload exists. A step runs after a failure only with
`if: always()`; a job runs only when every job it needs succeeded.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_report import check_junit_shape

REPO = Path(__file__).parent.parent
CI = REPO / "site_example" / "ci"
BIN = Path(sys.executable).parent
UPLOADS = ("actions/upload-artifact", "actions/upload-pages-artifact")


def load(name: str) -> dict[str, Any]:
    data = yaml.safe_load((CI / name).read_text())
    assert isinstance(data, dict)
    return data


def is_install(command: str) -> bool:
    return "pip install" in command


def shell(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=600,
                          check=False)


def environment(extra: dict[str, Any]) -> dict[str, str]:
    """This process's environment without CI variables, plus the workflow's, with the
    installed mlcards first on PATH."""
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("GITHUB_", "CI_", "RUNNER_"))}
    base.update({k: str(v) for k, v in extra.items()})
    base["PATH"] = f"{BIN}{os.pathsep}{base.get('PATH', '')}"
    return base


@dataclass
class JobRun:
    ok: bool = True
    ran: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    output: str = ""


def run_github_job(job: dict[str, Any], cwd: Path, env: dict[str, str]) -> JobRun:
    result = JobRun()
    for i, step in enumerate(job["steps"]):
        name = step.get("name") or step.get("uses") or f"step {i}"
        condition = step.get("if", "success()")
        assert condition in ("success()", "always()"), f"unsupported if: {condition}"
        if not result.ok and condition != "always()":
            continue
        if "run" in step:
            if is_install(step["run"]):
                continue
            proc = shell(step["run"], cwd, env)
            result.output += proc.stdout + proc.stderr
            ok = proc.returncode == 0
        elif str(step["uses"]).startswith(UPLOADS):
            ok = (cwd / step["with"]["path"]).exists()
        else:
            ok = True  # checkout and setup-python: the test's workspace and interpreter
        result.ran.append(name)
        if not ok:
            result.failed.append(name)
            result.ok = False
    return result


def run_github_workflow(workspace: Path) -> dict[str, JobRun]:
    """Run the check and build jobs in `needs` order; deploy is only reached, not run."""
    workflow = load("github-pages.yml")
    env = environment(workflow.get("env", {}))
    runs: dict[str, JobRun] = {}
    for name, job in workflow["jobs"].items():
        needs = job.get("needs", [])
        needs = [needs] if isinstance(needs, str) else needs
        if not all(runs.get(n, JobRun(ok=False)).ok for n in needs):
            continue
        if name == "deploy":
            runs[name] = JobRun(ran=["reached"])
            continue
        runs[name] = run_github_job(job, workspace, env)
    return runs


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A checkout-like folder holding a copy of the example registry."""
    shutil.copytree(REPO / "site_example", tmp_path / "site_example",
                    ignore=shutil.ignore_patterns("ci"))
    return tmp_path


def test_github_workflow_shape() -> None:
    workflow = load("github-pages.yml")
    jobs = workflow["jobs"]
    assert workflow["env"]["REGISTRY"] == "site_example"
    assert jobs["build"]["needs"] == "check"
    assert {"check", "build"} <= set(jobs["deploy"]["needs"])
    runs = [s["run"] for j in ("check", "build") for s in jobs[j]["steps"] if "run" in s]
    assert sum(is_install(r) for r in runs) == 2
    assert 'mlcards check "$REGISTRY" --format github' in runs
    assert 'mlcards check "$REGISTRY" --format junit -o report.xml' in runs
    assert 'mlcards build "$REGISTRY" -o site --strict' in runs
    uses = [s.get("uses", "") for j in jobs.values() for s in j["steps"]]
    assert any(u.startswith("actions/setup-python") for u in uses)
    assert any(u.startswith("actions/upload-pages-artifact") for u in uses)
    assert any(u.startswith("actions/deploy-pages") for u in uses)
    assert jobs["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}


def test_github_workflow_publishes_the_example_registry(workspace: Path) -> None:
    runs = run_github_workflow(workspace)
    assert runs["check"].ok, runs["check"].output
    assert runs["build"].ok, runs["build"].output
    assert "deploy" in runs
    check_junit_shape((workspace / "report.xml").read_bytes())
    site = workspace / "site"
    assert (site / "index.html").is_file()
    index = json.loads((site / "registry.json").read_text())
    built = {(v["id"], v["version"]) for v in index["versions"]}
    folders = {(p.parent.name, p.name) for p in
               (workspace / "site_example" / "models").glob("*/*") if p.is_dir()}
    assert built == folders
    for entry in index["versions"]:
        card_page = site / entry["links"]["card"] / "index.html"
        assert card_page.is_file(), entry["links"]["card"]
        for download in entry["links"].get("downloads", {}).values():
            assert (site / download).is_file(), download
    annotations = [x for x in runs["check"].output.splitlines() if x.startswith("::")]
    assert annotations and not any(x.startswith("::error") for x in annotations)


def break_policy(registry: Path) -> str:
    """Approve a draft whose readiness is below the policy minimum; return its key."""
    for card in sorted(registry.glob("models/*/*/card.yaml")):
        text = card.read_text()
        if "status: draft" in text and (card.parent / "readiness.yaml").is_file():
            card.write_text(text.replace("status: draft", "status: approved"))
            return f"{card.parent.parent.name}/{card.parent.name}"
    raise AssertionError("the example registry has no draft with a readiness file")


def test_failing_check_blocks_build_and_deploy(workspace: Path) -> None:
    key = break_policy(workspace / "site_example")
    runs = run_github_workflow(workspace)
    check = runs["check"]
    assert not check.ok
    assert check.failed[0] == "Check the registry"
    assert "Keep the JUnit report" in check.ran  # if: always() still keeps the report
    assert "build" not in runs and "deploy" not in runs
    assert not (workspace / "site").exists()
    assert f"title=readiness.min-score ({key})" in check.output
    root = check_junit_shape((workspace / "report.xml").read_bytes())
    failure = root.find(f"testsuite[@name='{key}']/testcase[@name='readiness-minimum']/failure")
    assert failure is not None


def test_invalid_registry_blocks_publishing(workspace: Path) -> None:
    card = next((workspace / "site_example").glob("models/*/*/card.yaml"))
    card.write_text(card.read_text() + "unexpected_key: 1\n")
    runs = run_github_workflow(workspace)
    assert not runs["check"].ok and "build" not in runs
    assert "unknown key 'unexpected_key'" in runs["check"].output


# --------------------------------------------------------------------------- GitLab


def test_gitlab_pipeline_shape() -> None:
    ci = load("gitlab-ci.yml")
    assert ci["stages"] == ["check", "build", "deploy"]
    check, build, pages = ci["check"], ci["build"], ci["pages"]
    assert check["artifacts"]["reports"]["junit"] == "report.xml"
    assert check["artifacts"]["when"] == "always"
    assert any("-o report.xml" in line and "--format junit" in line
               for line in check["script"])
    assert build["needs"] == ["check"]
    assert set(pages["needs"]) == {"check", "build"}
    assert pages["artifacts"]["paths"] == ["public"]
    assert ci["default"]["image"].startswith("python:3.11")
    assert all(is_install(line) for line in ci["default"]["before_script"])


def run_gitlab_job(job: dict[str, Any], cwd: Path,
                   env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A GitLab job's script lines, one shell, stopping at the first failure."""
    return shell("\n".join(job["script"]), cwd, env)


def test_gitlab_pipeline_runs_on_a_registry(tmp_path: Path) -> None:
    """All three jobs' scripts, on the scaffold registry (small: the GitHub test above
    already builds the example registry) named through the REGISTRY variable."""
    workspace = tmp_path
    shutil.copytree(REPO / "mlcards" / "scaffold", workspace / "registry")
    ci = load("gitlab-ci.yml")
    env = environment({**ci["variables"], "REGISTRY": "registry", "CI_COMMIT_SHA": "0123abcd"})
    check = run_gitlab_job(ci["check"], workspace, env)
    assert check.returncode == 0, check.stdout + check.stderr
    root = check_junit_shape((workspace / "report.xml").read_bytes())
    assert root.get("failures") == "0" and root.get("skipped") != "0"  # a draft: not gated
    build = run_gitlab_job(ci["build"], workspace, env)
    assert build.returncode == 0, build.stdout + build.stderr
    pages = run_gitlab_job(ci["pages"], workspace, env)
    assert pages.returncode == 0, pages.stderr
    assert not (workspace / "site").exists()
    index = json.loads((workspace / "public" / "registry.json").read_text())
    assert index["revision"] == "0123abcd"
    assert [v["id"] for v in index["versions"]] == ["example-model"]
    assert (workspace / "public" / "index.html").is_file()


def test_gitlab_check_failure_still_writes_the_junit_report(workspace: Path) -> None:
    ci = load("gitlab-ci.yml")
    break_policy(workspace / "site_example")
    env = environment(ci["variables"])
    check = run_gitlab_job(ci["check"], workspace, env)
    assert check.returncode == 1
    root = ET.fromstring((workspace / "report.xml").read_bytes())
    assert int(root.get("failures", "0")) >= 1


# --------------------------------------------------------------------------- install


def install_lines() -> list[str]:
    github = load("github-pages.yml")
    gitlab = load("gitlab-ci.yml")
    lines = [s["run"] for j in github["jobs"].values() for s in j["steps"]
             if "run" in s and is_install(s["run"])]
    return lines + list(gitlab["default"]["before_script"])


def test_workflows_install_a_pinned_mlcards_not_the_package_index() -> None:
    """`pip install mlcards` fails: there is no such package on the index."""
    lines = install_lines()
    assert len(lines) == 3 and len(set(lines)) == 1
    assert lines[0] == 'python -m pip install "$MLCARDS_PACKAGE"'
    for name, section in (("github-pages.yml", "env"), ("gitlab-ci.yml", "variables")):
        spec = load(name)[section]["MLCARDS_PACKAGE"]
        assert spec.startswith("mlcards @ git+https://") and "@v" in spec.rpartition("/")[2]


def test_workflow_install_and_build_lines_work_in_a_clean_venv(workspace: Path) -> None:
    """The workflows' install line, run as CI runs it in a new virtualenv with
    MLCARDS_PACKAGE set to a wheel of this checkout, then their build line."""
    wheels = workspace / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(wheels), str(REPO)], check=True, timeout=300)
    wheel = next(wheels.glob("mlcards-*.whl"))
    venv = workspace / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON"))}
    env.update({"PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
                "MLCARDS_PACKAGE": str(wheel), "REGISTRY": "site_example",
                "NO_MKDOCS_2_WARNING": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    install = shell(install_lines()[0], workspace, env)
    assert install.returncode == 0, install.stdout + install.stderr
    assert (venv / "bin" / "mlcards").is_file()
    build_line = next(s["run"] for s in load("github-pages.yml")["jobs"]["build"]["steps"]
                      if "run" in s and "mlcards build" in s["run"])
    build = shell(build_line, workspace, env)
    assert build.returncode == 0, build.stdout + build.stderr
    assert (workspace / "site" / "index.html").is_file()
    assert shutil.which("mlcards", path=env["PATH"]) == str(venv / "bin" / "mlcards")
