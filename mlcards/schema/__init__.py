"""Pydantic models, one module per file kind of a registry."""

from pydantic import BaseModel

from mlcards.schema.card import Card
from mlcards.schema.config import RegistryConfig
from mlcards.schema.evaluation import Evaluation
from mlcards.schema.readiness import Readiness

FILE_KINDS: dict[str, type[BaseModel]] = {
    "card": Card,
    "evaluation": Evaluation,
    "readiness": Readiness,
    "registry": RegistryConfig,
}
"""JSON Schema file stem -> model; also the `kind` names used in messages."""

__all__ = ["FILE_KINDS", "Card", "Evaluation", "Readiness", "RegistryConfig"]
