"""JSON text for rollup values: the project's own dataclasses, tuples, sets, dates and dicts with any keys.

Decoding builds only dataclasses and enums defined in ``brightline`` modules, from their fields: a stored
value can never name arbitrary code to run (unlike pickle). Anything else (a model instance, say) is
refused when the value is written, so a rollup never holds a row that could change under it. A value
written before the code changed the fields of one of its types fails to decode (``ValueError``), so the
reader computes it again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import importlib
import json
import math
from decimal import Decimal
from typing import Any

ERR_UNSUPPORTED = "a rollup value cannot hold {kind}"
ERR_SHAPE = "a rollup value was written for another version of {name}"
ERR_FOREIGN = "a rollup value names a type outside the project: {name}"


def _name(kind: type) -> str:
    return f"{kind.__module__}:{kind.__qualname__}"


def _type(name: str) -> Any:
    module, _, qualname = name.partition(":")
    if module != "brightline" and not module.startswith("brightline."):
        raise ValueError(ERR_FOREIGN.format(name=name))
    found: Any = importlib.import_module(module)
    for part in qualname.split("."):
        found = getattr(found, part)
    return found


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, (bool, str, int)) and not isinstance(value, enum.Enum):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"@f": repr(value)}
    if isinstance(value, enum.Enum):
        return {"@e": _name(type(value)), "v": _encode(value.value)}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {field.name: _encode(getattr(value, field.name)) for field in dataclasses.fields(value)}
        return {"@c": _name(type(value)), "f": fields}
    if isinstance(value, dt.datetime):
        return {"@dt": value.isoformat()}
    if isinstance(value, dt.date):
        return {"@date": value.isoformat()}
    if isinstance(value, Decimal):
        return {"@dec": str(value)}
    if isinstance(value, tuple):
        return {"@t": [_encode(item) for item in value]}
    if isinstance(value, (set, frozenset)):
        return {"@s": [_encode(item) for item in sorted(value, key=repr)]}
    if isinstance(value, list):
        return [_encode(item) for item in value]
    if isinstance(value, dict):
        return {"@d": [[_encode(key), _encode(item)] for key, item in value.items()]}
    raise TypeError(ERR_UNSUPPORTED.format(kind=type(value).__name__))


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(item) for item in value]
    if not isinstance(value, dict):
        return value
    if "@c" in value:
        kind: Any = _type(value["@c"])
        if not (isinstance(kind, type) and dataclasses.is_dataclass(kind)):
            raise ValueError(ERR_FOREIGN.format(name=value["@c"]))
        if set(value["f"]) != {field.name for field in dataclasses.fields(kind)}:
            raise ValueError(ERR_SHAPE.format(name=value["@c"]))
        fields = {name: _decode(item) for name, item in value["f"].items()}
        init = {field.name for field in dataclasses.fields(kind) if field.init}
        made = kind(**{name: item for name, item in fields.items() if name in init})
        for name, item in fields.items():
            if name not in init:
                object.__setattr__(made, name, item)
        return made
    if "@e" in value:
        return _type(value["@e"])(_decode(value["v"]))
    if "@t" in value:
        return tuple(_decode(item) for item in value["@t"])
    if "@s" in value:
        return {_decode(item) for item in value["@s"]}
    if "@d" in value:
        return {_decode(key): _decode(item) for key, item in value["@d"]}
    if "@dt" in value:
        return dt.datetime.fromisoformat(value["@dt"])
    if "@date" in value:
        return dt.date.fromisoformat(value["@date"])
    if "@dec" in value:
        return Decimal(value["@dec"])
    if "@f" in value:
        return float(value["@f"])
    raise ValueError("a rollup value holds an unknown tag")


def dumps(value: Any) -> str:
    return json.dumps(_encode(value), separators=(",", ":"), ensure_ascii=False)


def loads(text: str) -> Any:
    return _decode(json.loads(text))
