"""Cache entries as plain data: tagged JSON that can rebuild only allow-listed types.

Nothing read from the build cache is unpickled or otherwise executed. An entry is
JSON; values JSON has no form for are tagged objects (`{"$": tag, ...}`):
tuples, sets, bytes, dates, NumPy arrays of numbers, mappings whose keys are not
all text, and instances of the dataclasses and pydantic models named in
`ALLOWED`. Dataclasses are rebuilt by their constructor with exactly their
fields; pydantic models are validated again (`model_validate`, with the fields
that were set). Any other tag, class, field set or array dtype makes `decode`
raise `CodecError`, which the cache treats as a miss.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import importlib
import json
import sys
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

if TYPE_CHECKING:
    import numpy as np

ALLOWED = (
    # load / validate
    "mlcards.errors:Problem",
    "mlcards.validate.registry:EvaluationSummary",
    "mlcards.incremental.documents:StoredEvaluation",
    # compute
    "mlcards.compute.evaluation:EvaluationReport",
    "mlcards.compute.evaluation:MetricInfo",
    "mlcards.compute.metrics:Disaggregation",
    "mlcards.compute.metrics:Grouping",
    "mlcards.compute.metrics:GroupStats",
    "mlcards.compute.metrics:Curves",
    "mlcards.compute.disparity:Disparity",
    "mlcards.compute.disparity:GroupGap",
    "mlcards.render.scorecard:ScorecardBrief",
    "mlcards.render.scorecard:BriefLevel",
    "mlcards.render.scorecard:BriefSection",
    "mlcards.render.scorecard:BriefRubric",
)
"""Dataclasses a cache entry may hold, as `module:Class`."""

MODEL_MODULES = ("mlcards.schema.", "mlcards.compute.scorecard_data")
"""Pydantic models a cache entry may hold: those defined in these modules."""

NUMBER_KINDS = frozenset("biuf")
"""NumPy dtype kinds an array may have (booleans, integers, floats)."""


class CodecError(ValueError):
    """An entry that is not plain data of an allowed shape."""


# --------------------------------------------------------------------------- encode


def encode(value: object) -> bytes:
    """`value` as tagged JSON (raises CodecError for a type it cannot hold)."""
    return json.dumps(_plain(value), ensure_ascii=False, separators=(",", ":"),
                      allow_nan=True).encode("utf-8")


def _plain(value: object) -> Any:
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        if "$" not in value and all(type(k) is str for k in value):
            return {k: _plain(v) for k, v in value.items()}
        return {"$": "map", "v": [[_plain(k), _plain(v)] for k, v in value.items()]}
    if isinstance(value, tuple):
        return {"$": "tuple", "v": [_plain(v) for v in value]}
    encoder = _ENCODERS.get(type(value))
    if encoder is not None:
        return encoder(value)
    if isinstance(value, BaseModel):
        return _model(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _dataclass(value)
    if type(value).__module__ == "numpy":  # arrays and scalars (numpy is imported then)
        import numpy as np

        if isinstance(value, np.ndarray):
            return _array(value)
        if isinstance(value, np.generic) and value.dtype.kind in NUMBER_KINDS:
            return _plain(value.item())
    raise CodecError(f"cannot store a {type(value).__module__}.{type(value).__qualname__}")


def _array(value: np.ndarray[Any, Any]) -> dict[str, Any]:
    import numpy as np

    if value.dtype.kind not in NUMBER_KINDS:
        raise CodecError(f"cannot store an array of dtype {value.dtype}")
    data = np.ascontiguousarray(value).tobytes()
    return {"$": "nd", "dtype": value.dtype.str, "shape": list(value.shape),
            "v": base64.b64encode(data).decode("ascii")}


_ENCODERS: dict[type, Callable[[Any], Any]] = {
    set: lambda v: {"$": "set", "v": [_plain(x) for x in v]},
    frozenset: lambda v: {"$": "frozenset", "v": [_plain(x) for x in v]},
    bytes: lambda v: {"$": "bytes", "v": base64.b64encode(v).decode("ascii")},
    dt.datetime: lambda v: {"$": "datetime", "v": v.isoformat()},
    dt.date: lambda v: {"$": "date", "v": v.isoformat()},
}


def _name(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _model(value: BaseModel) -> dict[str, Any]:
    name = _name(type(value))
    if _allowed_model(name) is None:
        raise CodecError(f"cannot store a {name}")
    fields = {k: _plain(getattr(value, k)) for k in type(value).model_fields
              if k in value.model_fields_set}
    return {"$": "model", "c": name, "v": fields}


def _dataclass(value: Any) -> dict[str, Any]:
    name = _name(type(value))
    if name not in ALLOWED:
        raise CodecError(f"cannot store a {name}")
    fields = {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)
              if f.init}
    return {"$": "dc", "c": name, "v": fields}


# --------------------------------------------------------------------------- decode


def decode(data: bytes) -> Any:
    """The value `encode` wrote (raises CodecError for anything else)."""
    try:
        return json.loads(data, object_hook=_revive)
    except CodecError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError,
            RecursionError) as exc:
        raise CodecError(f"unreadable entry: {exc}") from None


def _revive(obj: dict[str, Any]) -> Any:
    tag = obj.get("$")
    if tag is None:
        return obj
    if not isinstance(tag, str) or tag not in _DECODERS:
        raise CodecError(f"unknown tag {tag!r}")
    return _DECODERS[tag](obj)


def _revive_array(obj: dict[str, Any]) -> np.ndarray[Any, Any]:
    import numpy as np

    dtype = np.dtype(str(obj["dtype"]))
    if dtype.kind not in NUMBER_KINDS:
        raise CodecError(f"array of dtype {dtype}")
    shape = tuple(int(n) for n in obj["shape"])
    array = np.frombuffer(base64.b64decode(obj["v"], validate=True), dtype=dtype)
    return array.reshape(shape).copy()


def _revive_dataclass(obj: dict[str, Any]) -> Any:
    cls = _allowed_dataclass(str(obj["c"]))
    fields = obj["v"]
    if cls is None or not isinstance(fields, dict):
        raise CodecError(f"class {obj['c']!r} is not allowed")
    expected = {f.name for f in dataclasses.fields(cls) if f.init}
    if set(fields) != expected:
        raise CodecError(f"{obj['c']}: fields {sorted(fields)} are not {sorted(expected)}")
    return cls(**fields)


def _revive_model(obj: dict[str, Any]) -> BaseModel:
    cls = _allowed_model(str(obj["c"]))
    if cls is None or not isinstance(obj["v"], dict):
        raise CodecError(f"class {obj['c']!r} is not allowed")
    try:
        return cls.model_validate(obj["v"])
    except ValueError as exc:  # pydantic's ValidationError
        raise CodecError(f"{obj['c']}: {exc}") from None


def _revive_map(obj: dict[str, Any]) -> dict[Any, Any]:
    return {_hashable(k): v for k, v in obj["v"]}


def _hashable(key: Any) -> Any:
    if isinstance(key, list | dict):
        raise CodecError("a mapping key must be plain data")
    return key


_DECODERS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "map": _revive_map,
    "tuple": lambda o: tuple(o["v"]),
    "set": lambda o: {_hashable(x) for x in o["v"]},
    "frozenset": lambda o: frozenset(_hashable(x) for x in o["v"]),
    "bytes": lambda o: base64.b64decode(o["v"], validate=True),
    "datetime": lambda o: dt.datetime.fromisoformat(o["v"]),
    "date": lambda o: dt.date.fromisoformat(o["v"]),
    "nd": _revive_array,
    "dc": _revive_dataclass,
    "model": _revive_model,
}


@cache
def _allowed_dataclass(name: str) -> type | None:
    if name not in ALLOWED:
        return None
    cls = _import(name)
    return cls if isinstance(cls, type) and dataclasses.is_dataclass(cls) else None


_MODELS: dict[str, type[BaseModel]] = {}


def _allowed_model(name: str) -> type[BaseModel] | None:
    found = _MODELS.get(name)
    if found is not None:
        return found
    module = name.partition(":")[0]
    if not any(module == m or module.startswith(m) for m in MODEL_MODULES):
        return None
    cls = _import(name, load=False)
    if not (isinstance(cls, type) and issubclass(cls, BaseModel)):
        return None
    _MODELS[name] = cls
    return cls


def _import(name: str, *, load: bool = True) -> object:
    """The class `module:Qualname` (only names checked above); with `load=False` only
    from a module this process has already imported (nothing is imported because an
    entry names it)."""
    module, _, qualname = name.partition(":")
    try:
        target: object = importlib.import_module(module) if load else sys.modules[module]
        for part in qualname.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError, KeyError):
        return None
    return target
