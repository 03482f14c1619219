"""A hostile registry's URLs and site text: refused or made inert before any theme sees them.

MkDocs' Jinja environment does not autoescape and Material prints `repo_url` (an
href), `site_url` (the canonical link, and the base of an inline script and of every
link in 404.html), `site_name` and `site_description` raw. So every URL field of
every file kind is a validated `Url` (http(s) with a host; no quotes, angle
brackets, spaces, backticks or backslashes), refused with a located error, and the
registry's title and description reach mkdocs.yml as plain text.
"""

from __future__ import annotations

import json
import re
import shutil
import typing
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from cli_result import CliResult
from hostile import MODEL_DIR, inert_problems, parse_html
from pydantic import BaseModel

from mlcards.commands.init import SCAFFOLD
from mlcards.interop.urls import url_fields
from mlcards.schema import FILE_KINDS
from mlcards.schema.common import CONTACT_URL_PATTERN, URL_PATTERN, url_problem

ROOT = Path(__file__).resolve().parent.parent
SITE_EXAMPLE = ROOT / "site_example"
MCT_CARD = ROOT / "tests/data/interop/mct/minimal.json"

REPO_PAYLOAD = 'https://git.example/x"><img src=x onerror=alert(1)>'
SITE_PAYLOAD = 'https://site.example/"><script>alert(1)</script>'
EXPECTED = "expected an http(s) URL without quotes, angle brackets or spaces; write '\"' as %22"

Run = Callable[..., CliResult]


def quoted(value: str) -> str:
    """`value` as a single-quoted YAML scalar."""
    return "'" + value.replace("'", "''") + "'"


def position(text: str, needle: str) -> tuple[int, int]:
    """1-based (line, column) of the first `needle` in `text`."""
    index = text.index(needle)
    return text.count("\n", 0, index) + 1, index - (text.rfind("\n", 0, index) + 1) + 1


def set_line(path: Path, key: str, value: str) -> tuple[int, int]:
    """Set (or add) the top-level `key: value` of a YAML file; where the value starts."""
    text = path.read_text(encoding="utf-8")
    line = f"{key}: {quoted(value)}"
    text, count = re.subn(rf"(?m)^{key}:.*$", lambda _: line, text)
    if not count:
        text = text.rstrip("\n") + f"\n{line}\n"
    path.write_text(text, encoding="utf-8")
    return position(text, line)[0], len(f"{key}: ") + 1


def messages(result: CliResult) -> str:
    return result.out + result.err


# --------------------------------------------------------------------------- mlcards.yaml


@pytest.fixture
def example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of site_example, the working directory (messages name files relative to it)."""
    root = tmp_path / "site_example"
    shutil.copytree(SITE_EXAMPLE, root)
    monkeypatch.chdir(root)
    return root


@pytest.mark.parametrize(("key", "payload"), [("repo_url", REPO_PAYLOAD),
                                              ("site_url", SITE_PAYLOAD)])
@pytest.mark.parametrize("command", ["validate", "build"])
def test_config_url_payload_is_refused_with_its_location(
        example: Path, run_cli: Run, key: str, payload: str, command: str) -> None:
    line, column = set_line(example / "mlcards.yaml", key, payload)
    out = example.parent / "out"
    args = [command, example] + (["-o", out] if command == "build" else [])
    result = run_cli(*args)
    assert result.code == 1, messages(result)
    expected = f"mlcards.yaml:{line}:{column}: {key}: {EXPECTED} (got {payload!r})"
    assert expected in messages(result).splitlines()
    assert not (out / "index.html").exists()


def test_the_payloads_from_the_issue_at_their_exact_place(example: Path, run_cli: Run) -> None:
    text = (example / "mlcards.yaml").read_text(encoding="utf-8")
    assert text.count("\nrepo_url: ") == 1 and "site_url" not in text
    text = text.replace("\nrepo_url: https://git.fernhill.example/ml-platform/model-registry\n",
                        f"\nrepo_url: {quoted(REPO_PAYLOAD)}\nsite_url: {quoted(SITE_PAYLOAD)}\n")
    (example / "mlcards.yaml").write_text(text, encoding="utf-8")
    repo_line, _ = position(text, "repo_url:")
    result = run_cli("validate", example)
    assert result.code == 1
    lines = messages(result).splitlines()
    assert (f"mlcards.yaml:{repo_line}:11: repo_url: {EXPECTED} "
            f"(got 'https://git.example/x\"><img src=x onerror=alert(1)>')") in lines
    assert (f"mlcards.yaml:{repo_line + 1}:11: site_url: {EXPECTED} "
            f"(got 'https://site.example/\"><script>alert(1)</script>')") in lines


@pytest.mark.parametrize("key", ["repo_url", "site_url"])
@pytest.mark.parametrize("value", [
    "https://git.example/org/repo", "http://intranet.example:8080/registry/",
    "https://git.example/a%22b?x=1&y=2#top", "HTTPS://GIT.EXAMPLE/X", "https://例え.jp/パス"])
def test_a_valid_http_url_is_accepted(example: Path, run_cli: Run, key: str,
                                      value: str) -> None:
    set_line(example / "mlcards.yaml", key, value)
    result = run_cli("validate", example)
    assert result.code == 0, messages(result)


@pytest.mark.parametrize("value", ["mailto:team@example.org", "javascript:alert(1)",
                                   "//evil.example/x", "git@git.example:org/repo.git",
                                   "https://", "https://git.example/a b",
                                   "https://git.example/a\\b", "https://git.example/`x`",
                                   "https://git.example/'x'", "ftp://git.example/x"])
def test_a_repo_url_that_is_not_an_http_url_is_refused(example: Path, run_cli: Run,
                                                       value: str) -> None:
    line, column = set_line(example / "mlcards.yaml", "repo_url", value)
    result = run_cli("validate", example)
    assert result.code == 1
    assert re.search(rf"(?m)^mlcards\.yaml:{line}:{column}: repo_url: expected an http\(s\) "
                     r"URL\b", messages(result)), messages(result)


# --------------------------------------------------------------------------- every URL field


@pytest.fixture
def scaffold(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the `mlcards init` registry, the working directory."""
    root = tmp_path / "registry"
    shutil.copytree(SCAFFOLD, root)
    monkeypatch.chdir(root)
    return root


CARD = MODEL_DIR / "card.yaml"
EVALUATION = MODEL_DIR / "evaluation.yaml"
READINESS = MODEL_DIR / "readiness.yaml"

URL_SLOTS: dict[str, tuple[Path, str, str, str]] = {
    # field path in messages: (file, text to replace, replacement with {url}, kind)
    "repo_url": (Path("mlcards.yaml"), "owners:\n", "repo_url: {url}\nowners:\n", "http"),
    "site_url": (Path("mlcards.yaml"), "owners:\n", "site_url: {url}\nowners:\n", "http"),
    "owners[0].url": (Path("mlcards.yaml"), "    email: ml-platform@example.com\n",
                      "    email: ml-platform@example.com\n    url: {url}\n", "contact"),
    "model_details.owners[0].url": (CARD, "      role: model owner\n",
                                    "      role: model owner\n      url: {url}\n", "contact"),
    "model_details.references[0].url": (
        CARD, "  license: proprietary\n",
        "  license: proprietary\n  references:\n    - title: paper\n      url: {url}\n", "http"),
    "model_details.repository": (CARD, "  license: proprietary\n",
                                 "  license: proprietary\n  repository: {url}\n", "http"),
    "evaluation_data.datasets[0].url": (CARD, "      size: 1000\n",
                                        "      size: 1000\n      url: {url}\n", "http"),
    "dataset.url": (EVALUATION, "size: 1000}", "size: 1000, url: {url}}}", "http"),
    "assessor.url": (READINESS, "you@example.com}", "you@example.com, url: {url}}}",
                     "contact"),
    "tests.data-1.evidence[0].url": (
        READINESS, "note: Schema checked on every pipeline run.}",
        "evidence: [{{kind: ci-run, url: {url}}}]}}", "http"),
}

HOSTILE_URLS = [
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)",
    "java\tscript:alert(1)", "jav&#x61;script:alert(1)", "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)", REPO_PAYLOAD, SITE_PAYLOAD, "https://x.example/' onmouseover='alert(1)",
    "https://x.example/\\\"", "https://x.example/`alert(1)`", "//evil.example/x",
    "https://x.example/\u2028", "https://x.example/\x00",
]


def put_url(root: Path, slot: str, value: str) -> tuple[Path, int, int]:
    """Write `value` into the URL field `slot`; (file, line, column) of the value."""
    rel, old, new, _ = URL_SLOTS[slot]
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, (rel, old)
    value_text = json.dumps(value) if "\x00" in value or "\u2028" in value else quoted(value)
    text = text.replace(old, new.format(url=value_text))
    path.write_text(text, encoding="utf-8")
    line, column = position(text, value_text)
    return rel, line, column


def test_every_url_field_of_every_file_kind_is_a_url_type() -> None:
    """The fields typed `Url` / `ContactUrl` (a new one belongs here and in URL_SLOTS)."""
    fields = {f"{kind}: {'.'.join(path)}" for kind, model in FILE_KINDS.items()
              for path, _, _ in url_fields(model)}
    assert fields == {
        "registry: repo_url", "registry: site_url", "registry: owners.*.url",
        "card: model_details.owners.*.url", "card: model_details.references.*.url",
        "card: model_details.repository", "card: evaluation_data.datasets.*.url",
        "card: training_data.datasets.*.url", "evaluation: dataset.url",
        "readiness: assessor.url", "readiness: approver.url",
        "readiness: tests.*.evidence.*.url"}


def test_no_url_like_field_is_left_a_plain_string() -> None:
    def strings(model: type[BaseModel], prefix: str) -> Iterator[str]:
        for name, info in model.model_fields.items():
            annotation = info.annotation
            for arg in [annotation, *typing.get_args(annotation)]:
                for sub in [arg, *typing.get_args(arg)]:
                    if isinstance(sub, type) and issubclass(sub, BaseModel):
                        yield from strings(sub, f"{prefix}{name}.")
            yield f"{prefix}{name}"

    marked = {".".join(p for p in path if p != "*") for model in FILE_KINDS.values()
              for path, _, _ in url_fields(model)}
    urlish = {name for model in FILE_KINDS.values() for name in strings(model, "")
              if re.search(r"(^|[._])(url|uri|href|link|homepage|website|repository)s?$",
                           name)}
    assert urlish - marked == set()


@pytest.mark.parametrize("slot", sorted(URL_SLOTS))
@pytest.mark.parametrize("value", HOSTILE_URLS)
def test_a_hostile_url_in_any_field_is_refused_with_its_location(
        scaffold: Path, run_cli: Run, slot: str, value: str) -> None:
    rel, line, column = put_url(scaffold, slot, value)
    result = run_cli("validate", scaffold)
    assert result.code == 1
    pattern = (rf"(?m)^{re.escape(rel.as_posix())}:{line}:{column}: {re.escape(slot)}: "
               r"expected an http\(s\) (or mailto: )?URL\b")
    assert re.search(pattern, messages(result)), messages(result)


@pytest.mark.parametrize("slot", sorted(URL_SLOTS))
def test_a_plain_https_url_is_accepted_in_any_field(scaffold: Path, run_cli: Run,
                                                    slot: str) -> None:
    put_url(scaffold, slot, "https://docs.example/a/b?c=d&e=%22f%22#g")
    result = run_cli("validate", scaffold)
    assert result.code == 0, messages(result)


@pytest.mark.parametrize("slot", sorted(URL_SLOTS))
def test_mailto_is_accepted_only_where_the_field_is_a_contact(scaffold: Path, run_cli: Run,
                                                              slot: str) -> None:
    put_url(scaffold, slot, "mailto:owner@example.org")
    result = run_cli("validate", scaffold)
    assert result.code == (0 if URL_SLOTS[slot][3] == "contact" else 1), messages(result)


def test_javascript_in_a_card_link_and_an_owner_url_exact_messages(scaffold: Path,
                                                                   run_cli: Run) -> None:
    card = scaffold / CARD
    text = card.read_text(encoding="utf-8")
    text = text.replace("      role: model owner\n",
                        "      role: model owner\n      url: javascript:alert(1)\n")
    text = text.replace("  license: proprietary\n", "  license: proprietary\n  references:\n"
                        "    - title: paper\n      url: javascript:alert(1)\n")
    card.write_text(text, encoding="utf-8")
    owner_line = position(text, "      url: javascript")[0]
    link_line = position(text, "    - title: paper")[0] + 1
    result = run_cli("validate", scaffold)
    assert result.code == 1
    lines = messages(result).splitlines()
    assert (f"{CARD.as_posix()}:{owner_line}:12: model_details.owners[0].url: expected an "
            "http(s) or mailto: URL, not javascript: (got 'javascript:alert(1)')") in lines
    assert (f"{CARD.as_posix()}:{link_line}:12: model_details.references[0].url: expected an "
            "http(s) URL, not javascript: (got 'javascript:alert(1)')") in lines


@pytest.mark.parametrize("value", [
    "https://a.example", "https://a.example/x?y=1#z", "https://u@a.example:8443/", "http://[::1]/",
    "https://a.example/%3Cscript%3E", "mailto:a@b.example", "https://", "https:///x", "https:x",
    "javascript:alert(1)", "https://a.example/\"", "https://a.example/<", "https://a b",
    "https://a.example/\\", "https://a.example/`", "https://a.example/\u0085", "www.a.example",
    "mailto:", "mailto:nobody"])
def test_the_json_schema_pattern_agrees_with_the_validator(value: str) -> None:
    """Editors check the pattern; mlcards checks `url_problem` (a port out of range is the
    one thing only the validator sees)."""
    assert (re.match(URL_PATTERN, value) is not None) == (url_problem(value) is None)
    assert (re.match(CONTACT_URL_PATTERN, value) is not None) == \
        (url_problem(value, contact=True) is None)


def test_committed_schemas_say_uri() -> None:
    schema = json.loads((ROOT / "schemas/registry.schema.json").read_text(encoding="utf-8"))
    repo = schema["properties"]["repo_url"]["anyOf"][0]
    assert repo["format"] == "uri" and repo["pattern"] == URL_PATTERN


# --------------------------------------------------------------------------- built site


TITLE = 'Registry "><script>alert(1)</script> <img src=x onerror=alert(2)> \' ` & </title>'
DESCRIPTION = ('About "><script>alert(3)</script>\n<img src=x onerror=alert(4)>'
               "' onmouseover='alert(5)' </textarea>")


def live_markup(page: str) -> list[str]:
    """Markup from the hostile text that a browser would run or render as elements."""
    doc = parse_html(page)
    found = [f"<script> {body[:60]!r}" for _, body in doc.scripts if "alert(" in body]
    found += [f"<{tag} {name}>" for tag, attrs in doc.elements for name in attrs
              if name.startswith("on")]
    found += [f"<{tag} src=x>" for tag, attrs in doc.elements if attrs.get("src") == "x"]
    found += re.findall(r"<script>alert|<img src=x", page, re.I)
    return found


def test_hostile_title_and_description_leave_no_live_markup(scaffold: Path, run_cli: Run,
                                                            tmp_path: Path) -> None:
    config = scaffold / "mlcards.yaml"
    doc = yaml.safe_load(config.read_text(encoding="utf-8"))
    doc.update(title=TITLE, description=DESCRIPTION, repo_url="https://git.example/o/r",
               site_url="https://site.example/registry/")
    config.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    site = tmp_path / "site"
    result = run_cli("build", "-q", scaffold, "-o", site)
    assert result.code == 0, messages(result)
    pages = sorted(site.rglob("*.html"))
    assert site / "404.html" in pages and site / "index.html" in pages
    found = {p.relative_to(site).as_posix(): problems for p in pages
             if (problems := live_markup(p.read_text(encoding="utf-8")))}
    assert found == {}
    for page in (site / "index.html", site / "404.html"):
        html = page.read_text(encoding="utf-8")
        assert inert_problems(html, theme=True) == [], page
        head = html.split("</head>", 1)[0]
        title = re.search(r"<title>(.*?)</title>", head, re.S)
        assert title and "Registry" in title.group(1) and "<" not in title.group(1)
        assert '<a href="https://git.example/o/r"' in html
    assert 'content="About ”script' in (site / "index.html").read_text(encoding="utf-8")


def test_hostile_text_reaches_mkdocs_yml_as_plain_text(scaffold: Path, run_cli: Run,
                                                       tmp_path: Path) -> None:
    from mlcards.site.engine import mkdocs_config
    from mlcards.validate.registry import load_registry

    config = scaffold / "mlcards.yaml"
    doc = yaml.safe_load(config.read_text(encoding="utf-8"))
    doc.update(title=TITLE, description=DESCRIPTION)
    config.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    produced = mkdocs_config(load_registry(scaffold), [], strict=False)
    for key in ("site_name", "site_description"):
        assert not set("<>&\"'`\n") & set(produced[key]), (key, produced[key])
    assert set(produced) & {"copyright", "extra", "repo_name", "site_author",
                            "theme_custom_dir"} == set()
    assert produced["theme"].keys() == {"name", "language", "font", "features"}


# --------------------------------------------------------------------------- importers


def hostile_mct(tmp_path: Path) -> Path:
    card: dict[str, Any] = json.loads(MCT_CARD.read_text(encoding="utf-8"))
    details = card.setdefault("model_details", {})
    details["owners"] = [{"name": "Ada", "contact": 'https://ada.example/"><script>x</script>'},
                         {"name": "Bo", "contact": "https://bo.example/page"}]
    details["references"] = [{"reference": "Smith et al., Fairness in ranking, 2019"},
                             {"reference": "javascript:alert(1)"},
                             {"reference": "https://arxiv.org/abs/1810.03993"}]
    params = card.setdefault("model_parameters", {})
    params["data"] = [{"name": "eval set", "link": "https://data.example/a b"}]
    path = tmp_path / "model_card.json"
    path.write_text(json.dumps(card), encoding="utf-8")
    return path


def test_an_imported_card_with_bad_urls_is_imported_without_them(
        scaffold: Path, run_cli: Run, tmp_path: Path) -> None:
    out = scaffold / "models/imported/1.0.0"
    result = run_cli("import", "mct", hostile_mct(tmp_path), "-o", out, "--date", "2026-01-01",
                     "--task", "binary-classification")
    assert result.code == 0, messages(result)
    warnings = [line.strip() for line in result.out.splitlines() if "warning:" in line]
    assert len(warnings) == 4, result.out
    assert any("model_details.owners[0].url" in w and "%22" in w for w in warnings)
    assert sum("model_details.references[" in w and "the entry is dropped" in w
               for w in warnings) == 2
    assert any("evaluation_data.datasets[0].url" in w for w in warnings) or \
        any("training_data.datasets[0].url" in w for w in warnings)
    card = yaml.safe_load((out / "card.yaml").read_text(encoding="utf-8"))
    details = card["model_details"]
    assert details["references"] == [{"title": "https://arxiv.org/abs/1810.03993",
                                      "url": "https://arxiv.org/abs/1810.03993"}]
    assert {"name": "Bo", "url": "https://bo.example/page"} in details["owners"]
    assert "url" not in next(o for o in details["owners"] if o["name"] == "Ada")
    assert "custom" not in card
    kept = {s["title"]: s["text"] for s in card["additional_sections"]
            if s.get("parents") == ["Links not imported"]}
    assert "Smith et al., Fairness in ranking, 2019" in kept["model_details.references"]
    assert "javascript:alert(1)" in kept["model_details.references"]
    assert kept["model_details.owners.url"] == 'Ada: https://ada.example/"><script>x</script>'
    text = json.dumps(card, default=str)
    assert "https://data.example/a b" in text  # kept, as text only
    assert run_cli("validate", scaffold).code == 0


def test_an_imported_hugging_face_card_drops_a_script_link(scaffold: Path, run_cli: Run,
                                                           tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("---\nlicense: mit\n---\n# Tiny model\n\nA tiny model.\n\n"
                      "## Model Details\n\n### Model Sources\n\n"
                      "- **Repository:** [code](javascript:window.x=1)\n"
                      "- **Demo:** https://demo.example/\"onmouseover=alert\n"
                      "- **Paper:** [the paper](https://arxiv.org/abs/1810.03993)\n",
                      encoding="utf-8")
    out = scaffold / "models/tiny/1.0.0"
    result = run_cli("import", "hf", readme, "-o", out, "--date", "2026-01-01",
                     "--task", "text-classification")
    assert result.code == 0, messages(result)
    card = yaml.safe_load((out / "card.yaml").read_text(encoding="utf-8"))
    assert "repository" not in card["model_details"]
    assert "model_details.repository 'javascript:window.x=1' is not a usable URL" in result.out
    assert "model_details.references[0].url 'https://demo.example/\"onmouseover=alert' is " \
        "not a usable URL" in result.out
    assert card["model_details"]["references"] == [
        {"title": "Paper: the paper", "url": "https://arxiv.org/abs/1810.03993"}]
    assert "custom" not in card
    kept = {s["title"]: s["text"] for s in card["additional_sections"]
            if s.get("parents") == ["Links not imported"]}
    assert kept["model_details.repository"] == "javascript:window.x=1"
    assert kept["model_details.references"] == 'Demo: https://demo.example/"onmouseover=alert'
    assert run_cli("validate", scaffold).code == 0
