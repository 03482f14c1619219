"""The four file kinds (Card, Evaluation, Readiness, RegistryConfig): minimal and
full documents validate; invalid ones are rejected at the right location; the
generated JSON Schemas accept what pydantic accepts and reject unknown keys."""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

import jsonschema
import pytest
from pydantic import BaseModel, ValidationError

from mlcards.commands.schemagen import schema_documents
from mlcards.schema import FILE_KINDS, Card, Evaluation, Readiness, RegistryConfig
from mlcards.schema.card import CARD_SECTIONS

OWNER = {"name": "Ann Lee", "email": "ann@example.com", "role": "model owner",
         "team": "Risk", "url": "https://example.com/ann"}

MINIMAL: dict[str, dict[str, Any]] = {
    "card": {
        "schema_version": 1,
        "model_details": {"id": "credit-default", "name": "Credit default", "version": "1.0.0",
                          "date": "2026-01-15", "description": "Scores loans.",
                          "task": "binary-classification", "owners": [{"name": "Ann"}]},
    },
    "evaluation": {
        "schema_version": 1,
        "dataset": {"name": "holdout"},
        "results": [{"metric": "accuracy", "value": 0.9}],
    },
    "readiness": {"schema_version": 1, "assessor": {"name": "Ann"}, "date": "2026-01-15"},
    "registry": {"schema_version": 1, "title": "Models"},
}

FULL: dict[str, dict[str, Any]] = {
    "card": {
        "schema_version": 1,
        "status": "approved",
        "risk_tier": "high",
        "tags": ["tabular", "pii"],
        "model_details": {
            "id": "credit-default", "name": "Credit default", "version": "1.1.0",
            "date": "2026-01-15", "description": "Scores **loans**.",
            "task": "binary-classification", "type": "gradient-boosted trees",
            "architecture": "600 trees", "library": "scikit-learn", "base_model": "none",
            "input_format": "JSON", "output_format": "probability", "owners": [OWNER],
            "license": "Apache-2.0", "citation": "Lee (2026).",
            "references": [{"title": "Paper", "url": "https://example.com/p"}],
            "repository": "https://example.com/repo", "questions": "ann@example.com",
        },
        "intended_use": {"primary_uses": "Underwriting.", "primary_users": "Officers.",
                         "out_of_scope": "Mortgages."},
        "factors": {"relevant": "Age band.", "evaluation": "Per group."},
        "metrics": {"performance_measures": "AUC.", "decision_thresholds": "0.18",
                    "variation_approaches": "Bootstrap."},
        "evaluation_data": {
            "datasets": [{"name": "holdout", "description": "H2 2025.", "url": "https://x.y",
                          "split": "test", "size": 5000, "license": "internal"}],
            "motivation": "Out of time.", "preprocessing": "Same as production."},
        "training_data": {"datasets": [{"name": "train", "size": 100000}],
                          "motivation": "All loans.", "preprocessing": "Capped."},
        "quantitative_analyses": {"unitary": "See below.", "intersectional": "Age x sex."},
        "ethical_considerations": {
            "data": "Personal data.", "human_life": "Credit access.", "mitigations": "Review.",
            "risks": [{"name": "Proxy bias", "mitigation": "Gap checks."}],
            "use_cases": "High-risk use."},
        "caveats_and_recommendations": "Recalibrate yearly.",
        "approvals": [{"name": "Bo", "role": "model risk officer", "date": "2026-01-10",
                       "decision": "approved", "note": "Fine."}],
        "deprecation": {"reason": "Superseded.", "replaced_by": "credit-default-v2"},
        "next_review": "2027-01-15",
        "custom": {"cost_center": "CC-1234", "nested": {"any": ["thing", 1]}},
    },
    "evaluation": {
        "schema_version": 1,
        "date": "2026-01-10",
        "dataset": {"name": "holdout", "split": "test", "size": 5000, "url": "https://x.y"},
        "metrics": [{"name": "accuracy", "description": "Share correct.",
                     "higher_is_better": True, "threshold": 0.8, "headline": True},
                    {"name": "mae", "higher_is_better": False}],
        "results": [
            {"metric": "accuracy", "slice": {}, "value": 0.9, "ci": [0.88, 0.92], "n": 5000},
            {"metric": "accuracy", "slice": {"sex": "female", "age_band": "18-25"},
             "value": 0.85, "ci": [0.8, 0.9], "n": 300}],
        "predictions": {
            "path": "predictions.csv", "task": "binary-classification", "label": "y",
            "prediction": "y_hat", "score": "p", "sensitive": ["sex", "age_band"],
            "metrics": ["accuracy"], "bootstrap": 200, "seed": 7, "confidence": 0.9,
            "reference_groups": {"sex": "male"}, "positive_label": "1"},
        "notes": "Computed nightly.",
    },
    "readiness": {
        "schema_version": 1,
        "rubric": "ml-test-score",
        "assessor": OWNER,
        "approver": {"name": "Bo"},
        "date": "2026-01-15",
        "next_review": "2026-07-15",
        "supersedes": "1.0.0",
        "tests": {
            "data-1": {"status": "automated", "owner": "Ann", "last_run": "2026-01-14",
                       "schedule": "nightly", "note": "Schema checked.",
                       "evidence": [{"kind": "ci-run", "url": "https://ci.example.com/1",
                                     "title": "Run 1"},
                                    {"kind": "report", "path": "../evidence/r.txt"}]},
            "model-7": {"status": "not-done", "not_applicable": "No people involved."},
            "infra-1": {"status": "manual"},
        },
    },
    "registry": {
        "schema_version": 1,
        "title": "Models",
        "description": "All our models.",
        "owners": [OWNER],
        "repo_url": "https://example.com/repo",
        "site_url": "https://models.example.com/",
        "policy": {"min_readiness": 1.0, "max_disparity": 0.1,
                   "disparity_metrics": ["accuracy"], "min_group_size": 30,
                   "required_sections": list(CARD_SECTIONS), "fail_on_regression": True,
                   "regression_tolerance": 0.01, "stale": "fail"},
        "templates": "templates",
        "custom_schema": "custom.schema.json",
        "rubrics": ["rubrics/ours.yaml"],
    },
}


def _with(doc: dict[str, Any], path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    """A deep copy of `doc` with the value at `path` replaced (or deleted if ...)."""
    out = copy.deepcopy(doc)
    node: Any = out
    for part in path[:-1]:
        node = node[part]
    if value is ...:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return out


# kind, path to change, new value (... deletes), expected error location, error type
INVALID: list[tuple[str, tuple[str | int, ...], Any, tuple[str | int, ...], str]] = [
    ("card", ("model_details",), ..., ("model_details",), "missing"),
    ("card", ("model_details", "task"), ..., ("model_details", "task"), "missing"),
    ("card", ("intended_uses",), {"primary_uses": "x"}, ("intended_uses",), "extra_forbidden"),
    ("card", ("status",), "published", ("status",), "literal_error"),
    ("card", ("risk_tier",), "medium", ("risk_tier",), "literal_error"),
    ("card", ("schema_version",), 2, ("schema_version",), "literal_error"),
    ("card", ("tags",), "tabular", ("tags",), "list_type"),
    ("card", ("model_details", "id"), "Credit Default", ("model_details", "id"),
     "string_pattern_mismatch"),
    ("card", ("model_details", "owners"), [], ("model_details", "owners"), "too_short"),
    ("card", ("model_details", "owners", 0, "email"), "not-an-address",
     ("model_details", "owners", 0, "email"), "string_pattern_mismatch"),
    ("card", ("model_details", "date"), "yesterday", ("model_details", "date"),
     "value_error"),  # a date, or a 'TODO: ...' placeholder (one message for both)
    ("card", ("model_details", "date"), "1970", ("model_details", "date"), "value_error"),
    ("card", ("approvals", 0, "decision"), "ok", ("approvals", 0, "decision"),
     "literal_error"),
    ("card", ("evaluation_data", "datasets", 0, "size"), -5,
     ("evaluation_data", "datasets", 0, "size"), "greater_than_equal"),
    ("evaluation", ("dataset",), ..., ("dataset",), "missing"),
    ("evaluation", ("results", 0, "ci"), [0.95, 0.85], ("results", 0), "value_error"),
    ("evaluation", ("results", 0, "n"), -1, ("results", 0, "n"), "greater_than_equal"),
    ("evaluation", ("results", 0, "value"), "high", ("results", 0, "value"), "float_parsing"),
    ("evaluation", ("metrics", 0, "name"), "macro f1", ("metrics", 0, "name"),
     "string_pattern_mismatch"),
    ("evaluation", ("predictions", "sensitive"), [], ("predictions", "sensitive"), "too_short"),
    ("evaluation", ("predictions", "confidence"), 1.5, ("predictions", "confidence"),
     "less_than"),
    ("evaluation", ("predictions", "task"), "ranking", ("predictions", "task"),
     "literal_error"),
    ("readiness", ("assessor",), ..., ("assessor",), "missing"),
    ("readiness", ("date",), ..., ("date",), "missing"),
    ("readiness", ("tests", "data-1", "status"), "done", ("tests", "data-1", "status"),
     "literal_error"),
    ("readiness", ("tests", "data-1", "evidence", 0, "link"), "x",
     ("tests", "data-1", "evidence", 0, "link"), "extra_forbidden"),
    ("registry", ("title",), ..., ("title",), "missing"),
    ("registry", ("policy", "min_readiness"), -1, ("policy", "min_readiness"),
     "greater_than_equal"),
    ("registry", ("policy", "stale"), "ignore", ("policy", "stale"), "literal_error"),
    ("registry", ("policy", "max_disparty"), 0.1, ("policy", "max_disparty"),
     "extra_forbidden"),
]


def _model(kind: str) -> type[BaseModel]:
    return FILE_KINDS[kind]


def _jsonable(value: Any) -> Any:
    """YAML gives dates as date objects; editors (and JSON Schema) see strings."""
    return json.loads(json.dumps(value, default=lambda v: v.isoformat()))


@pytest.mark.parametrize("kind", sorted(MINIMAL))
def test_minimal_document_is_valid(kind: str) -> None:
    obj = _model(kind).model_validate(MINIMAL[kind])
    assert obj.model_dump(exclude_unset=True)["schema_version"] == 1


@pytest.mark.parametrize("kind", sorted(FULL))
def test_full_document_is_valid_and_keeps_every_value(kind: str) -> None:
    obj = _model(kind).model_validate(FULL[kind])
    dumped = obj.model_dump(mode="json", exclude_unset=True)
    assert dumped == _jsonable(FULL[kind])


def test_file_kinds_are_the_four_documented_ones() -> None:
    expected = {"card": Card, "evaluation": Evaluation, "readiness": Readiness,
                "registry": RegistryConfig}
    assert dict(FILE_KINDS) == expected


def test_card_defaults_and_missing_sections() -> None:
    card = Card.model_validate(MINIMAL["card"])
    assert card.status == "draft"
    assert card.custom == {}
    assert card.missing_sections() == [s for s in CARD_SECTIONS if s != "model_details"]
    assert Card.model_validate(FULL["card"]).missing_sections() == []


def test_numbers_given_for_versions_become_text() -> None:
    doc = _with(MINIMAL["card"], ("model_details", "version"), 2.0)
    assert Card.model_validate(doc).model_details.version == "2.0"
    ev = _with(FULL["evaluation"], ("results", 1, "slice"), {"age": 18})
    assert Evaluation.model_validate(ev).results[1].slice == {"age": "18"}


def test_evaluation_needs_results_or_predictions() -> None:
    with pytest.raises(ValidationError, match="give `results`, or `predictions`"):
        Evaluation.model_validate(_with(MINIMAL["evaluation"], ("results",), []))
    only_predictions = _with(FULL["evaluation"], ("results",), ...)
    assert Evaluation.model_validate(only_predictions).results == []


def test_readiness_defaults_to_the_ml_test_score_and_not_done() -> None:
    r = Readiness.model_validate(_with(MINIMAL["readiness"], ("tests",), {"data-1": {}}))
    assert r.rubric == "ml-test-score"
    assert r.tests["data-1"].status == "not-done"
    assert r.date == dt.date(2026, 1, 15)


@pytest.mark.parametrize(("kind", "path", "value", "loc", "error"), INVALID,
                         ids=[f"{k}:{'.'.join(map(str, p))}={v!r}" for k, p, v, _, _ in INVALID])
def test_invalid_document_is_rejected_at_its_location(
        kind: str, path: tuple[str | int, ...], value: Any,
        loc: tuple[str | int, ...], error: str) -> None:
    with pytest.raises(ValidationError) as info:
        _model(kind).model_validate(_with(FULL[kind], path, value))
    errors = info.value.errors()
    assert any(e["type"] == error and _data_part(e["loc"]) == loc for e in errors), errors


def _data_part(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """pydantic adds internal parts ('function-after[...]', 'str') for unions/validators."""
    return tuple(p for p in loc if not (isinstance(p, str) and ("[" in p or p in {"str"})))


# --------------------------------------------------------------------------- JSON Schema


@pytest.mark.parametrize("kind", sorted(FILE_KINDS))
def test_json_schema_accepts_the_valid_documents(kind: str) -> None:
    schema = json.loads(schema_documents()[f"{kind}.schema.json"])
    validator = jsonschema.Draft202012Validator(schema)
    for doc in (MINIMAL[kind], FULL[kind]):
        assert list(validator.iter_errors(_jsonable(doc))) == []


@pytest.mark.parametrize("kind", sorted(FILE_KINDS))
def test_json_schema_rejects_unknown_keys_like_pydantic(kind: str) -> None:
    schema = json.loads(schema_documents()[f"{kind}.schema.json"])
    doc = _jsonable(_with(FULL[kind], ("surprise",), 1))
    messages = [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(doc)]
    assert any("surprise" in m for m in messages), messages
