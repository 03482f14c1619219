"""The model card: the nine sections of Mitchell et al., "Model Cards for Model
Reporting" (2019), plus the registry fields of Model Card Toolkit and Hugging Face
cards (owners, license, datasets, lifecycle status, approvals, risk tier)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import Field, PlainValidator, WithJsonSchema, model_validator

from mlcards.schema.common import (
    Link,
    Markdown,
    Person,
    SchemaVersion,
    Slug,
    StrictModel,
    Text,
    Url,
)

PLACEHOLDER = re.compile(r"^TODO\b")


def _date_or_placeholder(value: Any) -> dt.date | str:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        if PLACEHOLDER.match(value):
            return value
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError("expected a date as YYYY-MM-DD (or 'TODO: ...' while it is unknown)")


DateOrPlaceholder = Annotated[
    dt.date | str, PlainValidator(_date_or_placeholder),
    WithJsonSchema({"anyOf": [{"type": "string", "format": "date"},
                              {"type": "string", "pattern": "^TODO\\b"}]})]
"""A date, or 'TODO: ...' where an import found none (`validate --strict` rejects it)."""

Status = Literal["draft", "in-review", "approved", "deprecated", "retired"]
STATUSES: tuple[Status, ...] = ("draft", "in-review", "approved", "deprecated", "retired")
RiskTier = Literal["minimal", "limited", "high", "unacceptable"]
Decision = Literal["approved", "rejected", "changes-requested"]


class Dataset(StrictModel):
    """A dataset a model was trained or evaluated on."""

    name: str
    description: Markdown | None = None
    url: Url | None = None
    split: str | None = None
    size: int | None = Field(default=None, ge=0, description="Number of examples.")
    license: str | None = None


class Table(StrictModel):
    """A table kept as a table (header cells and rows of text cells)."""

    columns: list[str] = Field(min_length=1)
    rows: list[list[str]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _same_width(self) -> Table:
        for i, row in enumerate(self.rows):
            if len(row) != len(self.columns):
                raise ValueError(f"row {i} has {len(row)} cells; the table has "
                                 f"{len(self.columns)} columns")
        return self


class Training(StrictModel):
    """How the model was trained (the Hugging Face trainer's card sections)."""

    hyperparameters: dict[str, Text] = Field(
        default_factory=dict, description="e.g. learning_rate: 2e-05, num_epochs: 3.")
    framework_versions: dict[str, Text] = Field(
        default_factory=dict, description="e.g. Transformers: 4.30.0, Pytorch: 2.0.1.")
    results: Table | None = Field(
        default=None, description="Training results per epoch or step (loss, metrics).")


class ModelDetails(StrictModel):
    """Section 1: who made the model, when, what it is."""

    id: Slug = Field(description="Model id; must equal the model's folder name.")
    name: str
    version: Text = Field(description="Release version; must equal the version folder name.")
    date: DateOrPlaceholder = Field(
        description="Release date of this version ('TODO: ...' while unknown after an "
        "import; `validate --strict` rejects it).")
    description: Markdown
    task: str = Field(description="e.g. binary-classification, regression, text-generation.")
    type: str | None = Field(default=None, description="Model type, e.g. gradient-boosted trees.")
    architecture: str | None = None
    library: str | None = Field(default=None, description="e.g. scikit-learn, transformers.")
    base_model: str | None = None
    input_format: str | None = None
    output_format: str | None = None
    owners: list[Person] = Field(min_length=1)
    license: str | None = None
    citation: str | None = None
    references: list[Link] = Field(default_factory=list)
    repository: Url | None = Field(default=None, description="The code repository's URL.")
    questions: str | None = Field(default=None, description="Where to send questions.")
    training: Training | None = None

    @property
    def released(self) -> dt.date | None:
        """The release date, None while it is a placeholder."""
        return self.date if isinstance(self.date, dt.date) else None


class IntendedUse(StrictModel):
    """Section 2."""

    primary_uses: Markdown
    primary_users: Markdown | None = None
    out_of_scope: Markdown | None = None


class Factors(StrictModel):
    """Section 3: groups, instrumentation and environments that affect performance."""

    relevant: Markdown
    evaluation: Markdown | None = None


class Metrics(StrictModel):
    """Section 4: which measures, thresholds and why."""

    performance_measures: Markdown
    decision_thresholds: Markdown | None = None
    variation_approaches: Markdown | None = None


class DataSection(StrictModel):
    """Sections 5 and 6: evaluation data and training data."""

    datasets: list[Dataset] = Field(default_factory=list)
    motivation: Markdown | None = None
    preprocessing: Markdown | None = None


class QuantitativeAnalyses(StrictModel):
    """Section 7 (text); the numbers come from evaluation.yaml."""

    unitary: Markdown | None = None
    intersectional: Markdown | None = None


class Risk(StrictModel):
    name: str
    mitigation: Markdown | None = None


class EthicalConsiderations(StrictModel):
    """Section 8."""

    data: Markdown | None = None
    human_life: Markdown | None = None
    mitigations: Markdown | None = None
    risks: list[Risk] = Field(default_factory=list)
    use_cases: Markdown | None = None


class Approval(StrictModel):
    """A recorded review decision."""

    name: str
    role: str
    date: dt.date
    decision: Decision
    note: Markdown | None = None


class Deprecation(StrictModel):
    """Why a model is deprecated and what replaces it."""

    reason: Markdown | None = None
    replaced_by: Slug | None = Field(default=None, description="Id of the replacing model.")


Heading = Annotated[str, Field(min_length=1, pattern=r"^[^\r\n]+$",
                               description="One line of text.")]


class AdditionalSection(StrictModel):
    """A titled section of an imported card that no Mitchell section takes; shown on the
    card page under its own heading and exported back under it."""

    title: Heading
    parents: list[Heading] = Field(default_factory=list,
                                   description="Headings it sits under, outermost first.")
    text: Markdown


Format = Literal["huggingface", "model-card-toolkit"]


class Provenance(StrictModel):
    """Where an imported card came from."""

    format: Format
    format_version: Text | None = Field(
        default=None, description="e.g. the Model Card Toolkit schema version.")
    imported_with: str = Field(description="The tool and version that imported it.")
    metadata: dict[str, Any] = Field(
        default_factory=dict,
        description="The source's metadata no card field takes, kept verbatim (Hugging "
        "Face front matter keys; Model Card Toolkit keys by JSON path).")
    model_index_name: str | None = Field(
        default=None, description="The Hugging Face model-index name, when not the card's.")
    headings: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Card field (dotted path, or 'title') -> the source heading path it "
        "was read from; export writes the field back under it.")


CARD_SECTIONS: tuple[str, ...] = (
    "model_details",
    "intended_use",
    "factors",
    "metrics",
    "evaluation_data",
    "training_data",
    "quantitative_analyses",
    "ethical_considerations",
    "caveats_and_recommendations",
)
"""The nine sections, in the order of Mitchell et al."""

SECTION_TITLES: dict[str, str] = {
    "model_details": "Model details",
    "intended_use": "Intended use",
    "factors": "Factors",
    "metrics": "Metrics",
    "evaluation_data": "Evaluation data",
    "training_data": "Training data",
    "quantitative_analyses": "Quantitative analyses",
    "ethical_considerations": "Ethical considerations",
    "caveats_and_recommendations": "Caveats and recommendations",
}


class Card(StrictModel):
    """A model card for one released version of a model (`card.yaml`)."""

    schema_version: SchemaVersion
    model_details: ModelDetails
    status: Status = "draft"
    risk_tier: RiskTier | None = None
    tags: list[str] = Field(default_factory=list)
    intended_use: IntendedUse | None = None
    factors: Factors | None = None
    metrics: Metrics | None = None
    evaluation_data: DataSection | None = None
    training_data: DataSection | None = None
    quantitative_analyses: QuantitativeAnalyses | None = None
    ethical_considerations: EthicalConsiderations | None = None
    caveats_and_recommendations: Markdown | None = None
    approvals: list[Approval] = Field(default_factory=list)
    deprecation: Deprecation | None = None
    next_review: dt.date | None = Field(default=None, description="When the card is next due.")
    additional_sections: list[AdditionalSection] = Field(default_factory=list)
    provenance: Provenance | None = None
    custom: dict[str, Any] = Field(
        default_factory=dict,
        description="Team-specific fields, validated against the JSON Schema that "
        "mlcards.yaml names in `custom_schema`.",
    )

    def missing_sections(self) -> list[str]:
        """Card sections (of the nine) that are absent."""
        return [s for s in CARD_SECTIONS if getattr(self, s) in (None, "")]
