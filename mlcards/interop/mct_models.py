"""Model Card Toolkit JSON (schema v0.0.2, and v0.0.1's shapes: string lists, single
license and citation strings, `data` as a {train, eval} mapping, `sensitive` as a flag) as
lenient pydantic models: every field optional, unknown keys allowed (and
kept by the importer), wrong types reported with their JSON position."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from mlcards.schema.common import Text


class _M(BaseModel):
    model_config = ConfigDict(extra="allow")


class Owner(_M):
    name: Text | None = None
    contact: Text | None = None


class Version(_M):
    name: Text | None = None
    date: Text | None = None
    diff: Text | None = None


class License(_M):
    identifier: Text | None = None
    custom_text: Text | None = None


class Reference(_M):
    reference: Text | None = None


class Citation(_M):
    style: Text | None = None
    citation: Text | None = None


class Graphic(_M):
    name: Text | None = None
    image: str | None = None
    description: Text | None = None


class Graphics(_M):
    description: Text | None = None
    collection: list[Graphic] = Field(default_factory=list)


class Sensitive(_M):
    sensitive_data: list[Text] = Field(default_factory=list)


class Dataset(_M):
    name: Text | None = None
    link: Text | None = None
    sensitive: Sensitive | bool | None = None
    graphics: Graphics | None = None
    description: Text | None = None


class KeyVal(_M):
    key: Text | None = None
    value: Text | None = None


class ModelDetails(_M):
    name: Text | None = None
    overview: Text | None = None
    documentation: Text | None = None
    owners: list[Owner] = Field(default_factory=list)
    version: Version | None = None
    licenses: list[License | Text] = Field(default_factory=list)
    license: License | Text | None = None
    references: list[Reference | Text] = Field(default_factory=list)
    citations: list[Citation | Text] = Field(default_factory=list)
    citation: Citation | Text | None = None
    path: Text | None = None


class ModelParameters(_M):
    model_architecture: Text | None = None
    data: list[Dataset] | dict[str, Dataset] = Field(default_factory=list)
    input_format: Text | None = None
    input_format_map: list[KeyVal] = Field(default_factory=list)
    output_format: Text | None = None
    output_format_map: list[KeyVal] = Field(default_factory=list)


class ConfidenceInterval(_M):
    lower_bound: Any = None
    upper_bound: Any = None


class PerfMetric(_M):
    type: Text | None = None
    value: Any = None
    slice: Text | None = None
    confidence_interval: ConfidenceInterval | None = None
    threshold: Text | None = None
    name: Text | None = None


class QuantitativeAnalysis(_M):
    performance_metrics: list[PerfMetric] = Field(default_factory=list)
    graphics: Graphics | None = None


class Described(_M):
    description: Text | None = None


class Risk(_M):
    name: Text | None = None
    mitigation_strategy: Text | None = None


class Considerations(_M):
    users: list[Described | Text] = Field(default_factory=list)
    use_cases: list[Described | Text] = Field(default_factory=list)
    limitations: list[Described | Text] = Field(default_factory=list)
    tradeoffs: list[Described | Text] = Field(default_factory=list)
    ethical_considerations: list[Risk] = Field(default_factory=list)


class MctCard(_M):
    schema_version: Text | None = None
    model_details: ModelDetails | None = None
    model_parameters: ModelParameters | None = None
    quantitative_analysis: QuantitativeAnalysis | None = None
    considerations: Considerations | None = None
