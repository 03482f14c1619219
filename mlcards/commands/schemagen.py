"""JSON Schemas generated from the pydantic models (for editors and other tools)."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from mlcards.schema import FILE_KINDS

SCHEMA_BASE_URL = "https://mlcards.dev/schemas"


def schema_documents() -> dict[str, str]:
    """File name -> JSON text of each file kind's schema (stable key order)."""
    from mlcards.compute.scorecard_data import Scorecard
    from mlcards.validate.rubric import Rubric

    kinds: dict[str, type[BaseModel]] = {**FILE_KINDS, "rubric": Rubric, "scorecard": Scorecard}
    docs: dict[str, str] = {}
    for kind, model in kinds.items():
        schema = model.model_json_schema()
        schema = {"$schema": "https://json-schema.org/draft/2020-12/schema",
                  "$id": f"{SCHEMA_BASE_URL}/{kind}.schema.json", **schema}
        docs[f"{kind}.schema.json"] = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    return docs


def write_schemas(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in schema_documents().items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def packaged_schemas_dir() -> Path:
    """schemas/ inside an installed wheel, or at the source checkout's top."""
    package = Path(__file__).parent.parent
    inside = package / "schemas"  # in a wheel; in a checkout, beside the package
    return inside if inside.is_dir() else package.parent / "schemas"
