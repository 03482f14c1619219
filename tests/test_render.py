"""Filters and link helpers of the Jinja environment (mlcards.render.environment)."""

from __future__ import annotations

import pytest

from mlcards.render.environment import (
    external_link,
    format_number,
    make_environment,
    plain_title,
    rebase_links,
    relative_url,
    safe_url,
    slugify,
)


@pytest.mark.parametrize(("value", "expected"), [
    (0.86, "0.86"), (0.8449, "0.845"), (1.0, "1"), (0, "0"), (-0.0001, "0"),
    (1234.5, "1234.5"), (None, "—"), (-0.25, "-0.25"),
])
def test_format_number(value: float | None, expected: str) -> None:
    assert format_number(value) == expected


@pytest.mark.parametrize(("url", "expected"), [
    ("https://example.org/a_b?x=1", "https://example.org/a_b?x=1"),
    ("mailto:a@b.org", "mailto:a@b.org"),
    ("docs/report.pdf", "docs/report.pdf"),
    ("javascript:alert(1)", "#"), ("JavaScript:alert(1)", "#"), ("java\tscript:x", "#"),
    ("data:text/html,<b>", "#"), ("//evil.example/x", "#"), ("", "#"), (None, "#"),
])
def test_safe_url_allows_only_http_https_mailto_and_relative(url: str | None,
                                                             expected: str) -> None:
    assert safe_url(url) == expected


def test_external_link_escapes_text_and_attribute() -> None:
    html = external_link('https://x.org/?a="1"&b=<2>', "a_b <i>")
    assert html == ('<a href="https://x.org/?a=&#34;1&#34;&amp;b=&lt;2&gt;" '
                    'rel="noopener noreferrer nofollow">a&#95;b &#60;i&#62;</a>')


def test_plain_title_has_no_markup_characters() -> None:
    assert plain_title('</title><script>"x" & y\n') == "/titlescript\u201dx\u201d y"
    assert plain_title("<>") == "untitled"
    assert plain_title("the registry's `x`") == "the registry\u2019s \u2018x\u2018"


def test_slugify() -> None:
    assert slugify("Fairness & Bias") == "fairness-bias"
    assert slugify("Évaluation") == "evaluation"
    assert slugify("***") == "x"


@pytest.mark.parametrize(("src", "dst", "expected"), [
    ("index.md", "models/a/index.md", "models/a/index.md"),
    ("models/a/1.0/index.md", "models/b/index.md", "../../b/index.md"),
    ("models/a/index.md", "models/a/1.0/scorecard.md", "1.0/scorecard.md"),
    ("models/a/1.0/index.md", "tags/index.md#tag-x", "../../../tags/index.md#tag-x"),
    ("index.md", "models/a/1.0+local/index.md", "models/a/1.0%2Blocal/index.md"),
])
def test_relative_url(src: str, dst: str, expected: str) -> None:
    assert relative_url(src, dst) == expected


def test_rebase_links_moves_relative_targets_only() -> None:
    text = ('[s](scorecard.md) ![p](plots/a.svg) <img src="plots/b.svg" alt="b"> '
            '<a href="scorecard.json">j</a> [e](https://x.org) [m](mailto:a@b) [t](#top) '
            '[r](/abs)\n[ref]: plots/c.svg\n')
    assert rebase_links(text, "1.0") == (
        '[s](1.0/scorecard.md) ![p](1.0/plots/a.svg) <img src="1.0/plots/b.svg" alt="b"> '
        '<a href="1.0/scorecard.json">j</a> [e](https://x.org) [m](mailto:a@b) [t](#top) '
        '[r](/abs)\n[ref]: 1.0/plots/c.svg\n')


def test_environment_escapes_values_for_markdown_tables() -> None:
    env = make_environment()
    out = env.from_string("| {{ a }} | {{ b|num }} |").render(a="x | y\n*z*", b=0.5)
    assert out == "| x &#124; y &#42;z&#42; | 0.5 |"


def test_environment_filters_registered() -> None:
    env = make_environment()
    for name in ("md", "text", "html", "num", "link", "plain", "slug"):
        assert name in env.filters


def test_plain_summary_strips_markdown_and_cuts_at_a_word() -> None:
    from mlcards.render.environment import plain_summary

    text = "Scores **loans** <script>x()</script> for [risk](https://x.org).\n\n" + "word " * 60
    out = plain_summary(text, length=40)
    assert out == "Scores loans for risk. word word word …"
    assert plain_summary(None) == "" and plain_summary("a &lt; b") == "a < b"
    env = make_environment()
    cell = env.from_string("| {{ d|summary }} |").render(d="a | b <i>")
    assert cell == "| a &#124; b |"  # still escaped for the table cell
