"""Lifecycle flags, the as-of date, the reviewer checklist and the card slots
("top", "changes", "checklist") of the review feature."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from html_tables import table_rows

from mlcards.compute.review import (
    as_of_date,
    checklist,
    lifecycle_flags,
    newest_input_date,
    registry_completeness,
)
from mlcards.render.checklist import checklist_fragment
from mlcards.render.context import BuildContext
from mlcards.render.environment import make_environment
from mlcards.render.history import history_fragment, lifecycle_badges
from mlcards.validate.registry import ModelVersion, Registry, load_registry

DATA = Path(__file__).parent / "data" / "versions"


@pytest.fixture(scope="module")
def registry() -> Registry:
    return load_registry(DATA)


def version(registry: Registry, model: str, v: str) -> ModelVersion:
    entry = registry.model(model)
    assert entry is not None
    return next(mv for mv in entry.versions if mv.version == v)


def context(registry: Registry, build_date: str | None = None) -> BuildContext:
    return BuildContext(registry, make_environment(), build_date=build_date)


# --------------------------------------------------------------------------- dates and flags


def test_as_of_defaults_to_the_newest_input_date_never_the_clock(registry: Registry) -> None:
    # the newest past-facing date is 1.2.0's approval (2025-09-02); next_review dates
    # (2026-03-01) look forward and do not count
    assert newest_input_date(registry) == dt.date(2025, 9, 2)
    assert as_of_date(registry) == dt.date(2025, 9, 2)
    assert as_of_date(registry, "2026-01-31") == dt.date(2026, 1, 31)
    assert as_of_date(registry, dt.date(2024, 1, 1)) == dt.date(2024, 1, 1)


def test_stale_evaluation_is_flagged_on_its_version(registry: Registry) -> None:
    flags = lifecycle_flags(registry, version(registry, "churn-predictor", "1.2.0"),
                            dt.date(2025, 9, 2))
    assert [(f.kind, f.file, f.loc) for f in flags] == [
        ("stale-evaluation", "evaluation", ("date",))]
    assert "2025-08-20 is older than the release of this version (2025-09-01)" in \
        flags[0].message
    assert lifecycle_flags(registry, version(registry, "churn-predictor", "1.1.0"),
                           dt.date(2025, 9, 2)) == []


def test_overdue_review_only_for_the_newest_version(registry: Registry) -> None:
    later = dt.date(2026, 3, 2)
    newest = lifecycle_flags(registry, version(registry, "churn-predictor", "1.2.0"), later)
    assert "review-overdue" in [f.kind for f in newest]
    on_time = lifecycle_flags(registry, version(registry, "churn-predictor", "1.2.0"),
                              dt.date(2026, 3, 1))
    assert "review-overdue" not in [f.kind for f in on_time]  # due that day is not late


def test_deprecated_model_names_its_replacement(registry: Registry) -> None:
    legacy = version(registry, "legacy-churn", "0.9.0")
    kinds = [f.kind for f in lifecycle_flags(registry, legacy, dt.date(2025, 9, 2))]
    assert kinds == ["review-overdue", "deprecated"]
    bare = legacy.card.model_copy(deep=True)
    bare.deprecation = None
    copy = ModelVersion(legacy.model_id, legacy.version, legacy.folder, bare,
                        files=legacy.files)
    entry = registry.model("legacy-churn")
    assert entry is not None
    entry.versions[0] = copy
    try:
        kinds = [f.kind for f in lifecycle_flags(registry, copy, dt.date(2025, 1, 1))]
    finally:
        entry.versions[0] = legacy
    assert kinds == ["no-replacement"]


# --------------------------------------------------------------------------- checklist


def test_checklist_states_per_required_section(registry: Registry) -> None:
    c = checklist(registry, version(registry, "legacy-churn", "0.9.0"))
    states = {s.key: (s.state, s.missing) for s in c.sections}
    assert list(states) == ["model_details", "intended_use", "metrics", "evaluation_data",
                            "ethical_considerations"]  # the policy's list, in its order
    assert states["intended_use"] == ("present", ("primary_users", "out_of_scope"))
    assert states["metrics"][0] == "missing"
    assert states["ethical_considerations"][0] == "missing"
    assert (c.filled, c.total) == (3, 20)  # description, owners, primary uses
    assert c.completeness == pytest.approx(0.15)
    assert (c.count("complete"), c.count("present"), c.count("missing")) == (0, 2, 3)


def test_placeholders_do_not_count_and_complete_sections_are_complete(
        registry: Registry) -> None:
    mv = version(registry, "churn-predictor", "1.1.0")
    card = mv.card.model_copy(deep=True)
    assert card.intended_use is not None
    card.intended_use.primary_users = "Retention team analysts."
    card.intended_use.out_of_scope = "TODO"
    filled = ModelVersion(mv.model_id, mv.version, mv.folder, card, mv.evaluation)
    states = {s.key: s for s in checklist(registry, filled).sections}
    assert states["intended_use"].missing == ("out_of_scope",)
    card.intended_use.out_of_scope = "Pricing decisions."
    states = {s.key: s for s in checklist(registry, filled).sections}
    assert states["intended_use"].state == "complete"


def test_registry_completeness_counts_current_versions(registry: Registry) -> None:
    filled, total = registry_completeness(registry)
    one = checklist(registry, version(registry, "churn-predictor", "1.2.0"))
    two = checklist(registry, version(registry, "legacy-churn", "0.9.0"))
    assert (filled, total) == (one.filled + two.filled, one.total + two.total) == (12, 40)


# --------------------------------------------------------------------------- card slots


def test_changes_slot_regressions_first(registry: Registry) -> None:
    ctx = context(registry, "2025-09-01")
    text = history_fragment(ctx, version(registry, "churn-predictor", "1.2.0"))["changes"]
    assert text.startswith("## Changes since 1.1.0 { #changes }\n")
    assert "[version 1.1.0](../1.1.0/index.md)" in text
    regressions = text.index('<details class="danger mlcards-fold" id="regressions" '
                             'markdown="1" open>\n<summary>7 regressions, 2 counted by the '
                             'gate</summary>')  # open: it holds what fails the gate
    assert regressions < text.index('<div class="mlcards-tab" id="metric-changes"') \
        < text.index('<div class="mlcards-tab" id="field-changes"')
    items = [line for line in text.splitlines() if line.startswith("- ")]
    assert items[0] == "- auc &#40;overall&#41;: 0.84 → 0.82 (-0.02) — **counted by the gate**"
    assert items[1].startswith("- final readiness score: 1.5 → 1 (-0.5)")
    assert len(items) == 2 and "\nNot counted: " in text  # the other 5, in one paragraph
    assert '<div class="mlcards-tab" id="field-changes" markdown="1">' in text
    assert '<details class="mlcards-diff" id="diff-2">' in text
    rows = table_rows(text)
    assert rows[0] == ["Slice", "accuracy ↑", "auc ↑", "fpr ↓"]
    assert rows[1][2] == '0.82 <small class="mlcards-change mlcards-change-regressed">-0.02 ⚠' \
                         '</small>'  # a regression, marked
    assert ["auc", "age", "0.01", "0.08", "<strong>grew</strong> +0.07"] in rows
    assert ["<code>model&#95;details.description</code>", "edited",
            "Predicts which customers will cancel within 90 days. Traine…",
            '<a href="#diff-2">text diff</a>'] in rows
    assert '<span class="mlcards-diff-add">+Gradient-boosted trees replace the logistic ' \
           'regression.</span>' in text


def test_first_version_has_no_changes_and_old_versions_point_to_the_newest(
        registry: Registry) -> None:
    ctx = context(registry, "2025-09-01")
    slots = history_fragment(ctx, version(registry, "churn-predictor", "1.0.0"))
    assert slots["changes"] == ""
    assert '!!! note "Not the latest version"' in slots["top"]
    assert "[1.2.0](../1.2.0/index.md)" in slots["top"]


def test_top_callouts_follow_the_build_date(registry: Registry) -> None:
    mv = version(registry, "churn-predictor", "1.2.0")
    early = history_fragment(context(registry, "2025-09-01"), mv)["top"]
    assert early.startswith('!!! warning "Stale evaluation"\n    Evaluation dated 2025-08-20')
    assert "Review overdue" not in early
    late = history_fragment(context(registry, "2026-06-01"), mv)["top"]
    assert '!!! warning "Review overdue"' in late
    assert lifecycle_badges(context(registry, "2026-06-01"), mv) == (
        ("stale-evaluation", "stale evaluation"), ("review-overdue", "review overdue"))


def test_checklist_slot(registry: Registry) -> None:
    ctx = context(registry, "2025-09-01")
    text = checklist_fragment(ctx, version(registry, "legacy-churn", "0.9.0"))["checklist"]
    assert "Completeness **15 %**: 3 of 20 prompts filled in 5 required sections" in text
    assert "Registry: 30 % over 2 current models." in text
    assert ['<a href="#metrics">Metrics</a>', "✗ missing",
            "performance measures, decision thresholds, variation approaches"] in table_rows(text)
    assert "| Replacement | ✓ [churn-predictor](../../churn-predictor/index.md) |" in text


def test_hostile_card_text_is_escaped_in_the_changes_slot(tmp_path: Path) -> None:
    root = tmp_path / "reg"
    shutil.copytree(DATA, root)
    card = root / "models/churn-predictor/1.2.0/card.yaml"
    text = card.read_text(encoding="utf-8")
    text = text.replace("    Gradient-boosted trees replace the logistic regression.",
                        "    </code></pre><script>alert(1)</script>")
    text = text.replace("type: gradient-boosted trees",
                        'type: "[x](javascript:alert(1)) | <img src=x onerror=alert(1)>"')
    card.write_text(text, encoding="utf-8")
    reg = load_registry(root)
    slots = history_fragment(context(reg), version(reg, "churn-predictor", "1.2.0"))
    changes = slots["changes"]
    assert "<script>" not in changes and "<img" not in changes
    assert "&lt;/code&gt;&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in changes
    assert "](javascript" not in changes
    row = next(r for r in table_rows(changes) if "model&#95;details.type" in r[0])
    assert len(row) == 4 and "&#124;" in row[3]  # the '|' is text inside its cell


def test_predictions_are_measured_through_the_evaluation_module(tmp_path: Path) -> None:
    root = tmp_path / "reg"
    shutil.copytree(DATA, root)
    folder = root / "models/churn-predictor/1.2.0"
    rows = ["label,pred,region"] + [f"{i % 2},{i % 2 if i % 5 else 1 - i % 2},"
                                    f"{'north' if i % 3 else 'south'}" for i in range(60)]
    (folder / "preds.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (folder / "evaluation.yaml").write_text(
        "schema_version: 1\ndate: 2025-09-01\ndataset: {name: holdout-2025}\n"
        "predictions: {path: preds.csv, label: label, prediction: pred, sensitive: [region],"
        " metrics: [accuracy, false_positive_rate], bootstrap: 20}\n", encoding="utf-8")
    reg = load_registry(root)
    from mlcards.compute.diff import diff_versions
    from mlcards.compute.review import measurements_function

    d = diff_versions(reg, version(reg, "churn-predictor", "1.1.0"),
                      version(reg, "churn-predictor", "1.2.0"),
                      measured_by=measurements_function(reg))
    fpr = next(m for m in d.metrics if m.metric == "false_positive_rate" and not m.slice)
    assert fpr.higher_is_better is False  # the built-in metric's direction
    assert fpr.change == "added" and fpr.new_ci is not None
    acc = next(m for m in d.metrics if m.metric == "accuracy" and not m.slice)
    assert acc.old == 0.77 and acc.new == pytest.approx(0.8)  # 12 of 60 flipped
