"""Diffs between the three versions of tests/data/versions/models/churn-predictor,
asserted field by field."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlcards.compute.diff import MetricChange, VersionDiff, diff_versions, to_json
from mlcards.compute.diff_fields import FieldChange, card_field_changes
from mlcards.validate.registry import Registry, load_registry

DATA = Path(__file__).parent / "data" / "versions"


@pytest.fixture(scope="module")
def registry() -> Registry:
    return load_registry(DATA)


def diff(registry: Registry, old: str, new: str) -> VersionDiff:
    entry = registry.model("churn-predictor")
    assert entry is not None
    by = {v.version: v for v in entry.versions}
    return diff_versions(registry, by[old], by[new])


def fields(d: VersionDiff) -> dict[str, FieldChange]:
    return {f.path: f for f in d.fields}


def metric(d: VersionDiff, name: str, **slice_: str) -> MetricChange:
    key = tuple(sorted(slice_.items()))
    return next(m for m in d.metrics if m.metric == name and m.slice == key)


# --------------------------------------------------------------------------- 1.0.0 -> 1.1.0


def test_fields_1_0_to_1_1(registry: Registry) -> None:
    f = fields(diff(registry, "1.0.0", "1.1.0"))
    assert list(f) == ["model_details.date", "model_details.description",
                       "model_details.owners[Ben Ode]", "intended_use.out_of_scope",
                       "approvals[Carla Dias].date"]
    assert (f["model_details.date"].old, f["model_details.date"].new) == ("2025-03-01",
                                                                          "2025-05-01")
    desc = f["model_details.description"]
    assert desc.kind == "edited" and desc.markdown
    assert desc.diff is not None
    assert desc.diff.splitlines() == [
        "--- 1.0.0", "+++ 1.1.0", "@@ -1,2 +1,2 @@",
        " Predicts which customers will cancel within 90 days.",
        "-Trained on 2024 billing data.",
        "+Trained on 2024 billing data and support tickets."]
    owner = f["model_details.owners[Ben Ode]"]
    assert owner.kind == "added" and owner.old is None
    assert owner.new == {"name": "Ben Ode", "email": "ben@example.com"}
    oos = f["intended_use.out_of_scope"]
    assert (oos.kind, oos.new, oos.markdown, oos.diff) == ("added", "Pricing decisions.",
                                                           True, None)


def test_metrics_1_0_to_1_1(registry: Registry) -> None:
    d = diff(registry, "1.0.0", "1.1.0")
    auc = metric(d, "auc")
    assert (auc.old, auc.new, auc.change, auc.headline) == (0.80, 0.84, "improved", True)
    assert auc.delta == pytest.approx(0.04)
    assert auc.outside_ci is True  # 0.84 is above 1.0.0's interval [0.77, 0.83]
    fpr = metric(d, "fpr")
    assert fpr.delta == pytest.approx(-0.01)
    assert fpr.gain == pytest.approx(0.01)  # lower is better: a drop is a gain
    assert (fpr.change, fpr.outside_ci) == ("improved", False)
    young = metric(d, "auc", age="young")
    assert (young.change, young.old, young.new, young.outside_ci) == ("added", None, 0.83, None)
    assert metric(d, "auc", region="south").change == "improved"
    assert metric(d, "accuracy").outside_ci is None  # no interval on either side
    region = next(x for x in d.disparity if x.feature == "region")
    assert region.delta == pytest.approx(0.01)
    assert not region.grew  # widened by exactly the tolerance
    assert d.regressions == []


def test_readiness_1_0_to_1_1(registry: Registry) -> None:
    r = diff(registry, "1.0.0", "1.1.0").readiness
    assert r is not None
    assert (r.old_final, r.new_final, r.dropped) == (1.0, 1.5, False)
    assert [(s.id, s.old, s.new) for s in r.sections] == [
        ("data", 1.0, 1.5), ("model", 1.0, 1.5), ("infra", 1.0, 1.5), ("monitor", 1.0, 1.5)]
    assert [(t.id, t.old, t.new, t.gain) for t in r.tests] == [
        ("data-2", "not-done", "manual", 0.5), ("model-2", "not-done", "manual", 0.5),
        ("infra-2", "not-done", "manual", 0.5), ("monitor-2", "not-done", "manual", 0.5)]


# --------------------------------------------------------------------------- 1.1.0 -> 1.2.0


def test_fields_1_1_to_1_2(registry: Registry) -> None:
    d = diff(registry, "1.1.0", "1.2.0")
    f = fields(d)
    assert {p: c.kind for p, c in f.items()} == {
        "model_details.date": "edited",
        "model_details.description": "edited",
        "model_details.type": "edited",
        "status": "edited",
        "tags": "edited",
        "evaluation_data.datasets[holdout-2025]": "added",
        "ethical_considerations.risks[Feedback loops]": "added",
        "approvals[Carla Dias].date": "edited",
        "approvals[Carla Dias].decision": "edited",
        "next_review": "added",
        "evaluation_data.datasets[holdout-2024]": "removed",
        "caveats_and_recommendations": "removed",
    }
    assert (f["status"].old, f["status"].new) == ("approved", "in-review")
    assert (f["tags"].old, f["tags"].new) == (["tabular", "churn"], ["tabular", "churn", "gbdt"])
    assert f["model_details.type"].diff is None  # plain text field: no text diff
    assert f["ethical_considerations.risks[Feedback loops]"].new == {
        "name": "Feedback loops", "mitigation": "Hold out a random control group."}
    assert f["evaluation_data.datasets[holdout-2024]"].old == {
        "name": "holdout-2024", "split": "test", "size": 2000}
    caveats = f["caveats_and_recommendations"]
    assert (caveats.old, caveats.new, caveats.markdown) == ("Retrain quarterly.", None, True)
    assert f["approvals[Carla Dias].decision"].new == "changes-requested"
    desc = f["model_details.description"].diff
    assert desc is not None
    assert "+Gradient-boosted trees replace the logistic regression." in desc.splitlines()
    assert "model_details.version" not in f  # always differs, never reported


def test_metrics_1_1_to_1_2(registry: Registry) -> None:
    d = diff(registry, "1.1.0", "1.2.0")
    auc = metric(d, "auc")
    assert (auc.change, auc.beyond_tolerance, auc.outside_ci) == ("regressed", True, True)
    assert auc.is_regression
    assert auc.delta == pytest.approx(-0.02)
    north = metric(d, "auc", region="north")  # -0.01 equals the tolerance: not beyond
    assert (north.change, north.beyond_tolerance) == ("regressed", False)
    assert not north.is_regression
    fpr = metric(d, "fpr")
    assert (fpr.change, fpr.outside_ci) == ("improved", True)  # 0.10 below [0.11, 0.15]
    acc = metric(d, "accuracy")
    assert (acc.change, acc.old, acc.new) == ("removed", 0.77, None)


def test_readiness_and_disparity_1_1_to_1_2(registry: Registry) -> None:
    d = diff(registry, "1.1.0", "1.2.0")
    r = d.readiness
    assert r is not None
    assert (r.old_final, r.new_final, r.dropped) == (1.5, 1.0, True)
    assert {(t.id, t.old, t.new) for t in r.tests} == {("data-3", "not-done", "automated"),
                                                        ("infra-1", "automated", "manual")}
    infra = next(s for s in r.sections if s.id == "infra")
    assert (infra.old, infra.new) == (1.5, 1.0)
    disp = {x.feature: x for x in d.disparity}
    assert disp["age"].old == pytest.approx(0.01)
    assert disp["age"].new == pytest.approx(0.08)
    assert disp["age"].grew and not disp["region"].grew


def test_regressions_first_and_gated(registry: Registry) -> None:
    d = diff(registry, "1.1.0", "1.2.0")
    gated = [(r.kind, r.subject) for r in d.gated_regressions]
    assert gated == [("metric", "auc (overall)"), ("readiness", "final readiness score")]
    kinds = {r.kind for r in d.regressions}
    assert kinds == {"metric", "slice", "readiness", "section", "test", "disparity"}
    assert not any(r.gated for r in d.regressions if r.kind == "slice")


def test_tolerance_from_policy(registry: Registry) -> None:
    loose = registry.config.model_copy(deep=True)
    loose.policy.regression_tolerance = 0.05
    reg = Registry(registry.root, loose, registry.config_file, registry.models,
                   registry.rubrics)
    d = diff(reg, "1.1.0", "1.2.0")
    assert metric(d, "auc").beyond_tolerance is False
    assert [r.kind for r in d.gated_regressions] == ["readiness"]


def test_json_is_rounded_and_complete(registry: Registry) -> None:
    data = to_json(diff(registry, "1.1.0", "1.2.0"))
    assert data["old"] == {"version": "1.1.0", "status": "approved", "date": "2025-05-01"}
    assert data["regressions"][0] == {"kind": "metric", "subject": "auc (overall)",
                                      "old": 0.84, "new": 0.82, "delta": -0.02, "gated": True}
    age = next(x for x in data["disparity"] if x["feature"] == "age")
    assert (age["old"], age["new"], age["delta"]) == (0.01, 0.08, 0.07)
    assert data["readiness"]["dropped"] is True


def test_identical_versions_have_no_changes(registry: Registry) -> None:
    mv = registry.versions()[0]
    d = diff_versions(registry, mv, mv)
    assert d.is_empty and d.fields == () and d.regressions == []


def test_repeated_names_are_numbered(registry: Registry) -> None:
    entry = registry.model("churn-predictor")
    assert entry is not None
    old = entry.versions[0].card
    new = old.model_copy(deep=True)
    new.tags = ["churn", "tabular"]
    dup = new.model_details.owners[0].model_copy(update={"email": "x@example.com"})
    new.model_details.owners = [new.model_details.owners[0], dup]
    got = {(c.path, c.kind) for c in card_field_changes(old, new)}
    # two owners share a name: the second one is 'Ana Lima (2)'
    assert got == {("tags", "edited"), ("model_details.owners[Ana Lima (2)]", "added")}
