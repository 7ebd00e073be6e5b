"""Which attributes a SCIM answer carries: ``attributes`` and ``excludedAttributes`` (RFC 7644 section 3.4.2.5).

Both are lists of attribute names, in a query string as ``a,b`` and in a ``.search`` body as a list or such a
string; names are case-insensitive and may be sub-attributes (``name.givenName``, ``emails.value``) or carry
their schema's URN (``urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber``; the
extension's URN alone names the whole extension). ``attributes`` replaces the default set with the ones named,
``excludedAttributes`` removes the ones named; ``id``, ``schemas`` and ``meta`` are always returned (``meta.version``
stays the version of the whole resource, so ``If-Match`` works the same on a partial read). A name that is not an
attribute of the resource type answers 400 ``invalidValue`` naming it.

The projection is applied to the resource as ``to_scim`` built it, so it costs no query.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

ALWAYS = frozenset({"id", "schemas", "meta"})
# The shape of each resource type: attribute → its sub-attributes (lower case), for checking the names asked for.
Shape = dict[str, Any]


class UnknownAttribute(ValueError):
    """A name in ``attributes`` or ``excludedAttributes`` that the resource type does not have."""


@dataclass(frozen=True)
class Projection:
    """The attributes asked for (``None``: the default set) and those left out, as lower-case paths."""

    attributes: tuple[tuple[str, ...], ...] | None = None
    excluded: tuple[tuple[str, ...], ...] = ()

    def apply(self, resource: dict[str, Any]) -> dict[str, Any]:
        if self.attributes is None and not self.excluded:
            return resource
        result = resource
        if self.attributes is not None:
            result = {key: value for key, value in resource.items() if key.lower() in ALWAYS}
            for parts in self.attributes:
                _copy(resource, result, parts)
        else:
            result = copy.deepcopy(resource)
        for parts in self.excluded:
            if parts[0] not in ALWAYS:
                _remove(result, parts)
        return result


@dataclass(frozen=True)
class ResourceShape:
    """A resource type's attributes: its core schema's URN, its extensions' URNs and the nested names."""

    name: str
    core: str
    extensions: tuple[str, ...]
    shape: Shape

    def path(self, name: str) -> tuple[str, ...]:
        lowered = name.strip().lower()
        for urn in sorted((self.core, *self.extensions), key=len, reverse=True):
            urn = urn.lower()
            if lowered == urn:
                return () if urn == self.core.lower() else (urn,)
            if lowered.startswith(urn + ":"):
                rest = tuple(lowered[len(urn) + 1:].split("."))
                return rest if urn == self.core.lower() else (urn, *rest)
        return tuple(lowered.split("."))

    def knows(self, parts: tuple[str, ...]) -> bool:
        level: Any = self.shape
        for part in parts:
            if not isinstance(level, dict) or part not in level:
                return False
            level = level[part]
        return bool(parts)


def _find(container: dict[str, Any], part: str) -> str | None:
    return next((key for key in container if key.lower() == part), None)


def _copy(source: Any, target: dict[str, Any], parts: tuple[str, ...]) -> None:
    key = _find(source, parts[0]) if isinstance(source, dict) else None
    if key is None:
        return
    value = source[key]
    if len(parts) == 1:
        target[key] = copy.deepcopy(value)
    elif isinstance(value, dict):
        present = target.get(key)
        inner: dict[str, Any] = present if isinstance(present, dict) else {}
        _copy(value, inner, parts[1:])
        if inner:
            target[key] = inner
    elif isinstance(value, list):
        listed = target.get(key)
        items: list[Any] = listed if isinstance(listed, list) else [{} for _ in value]
        for item, out in zip(value, items, strict=True):
            _copy(item, out, parts[1:])
        if any(items):
            target[key] = items


def _remove(target: Any, parts: tuple[str, ...]) -> None:
    key = _find(target, parts[0]) if isinstance(target, dict) else None
    if key is None:
        return
    if len(parts) == 1:
        del target[key]
        return
    value = target[key]
    for item in value if isinstance(value, list) else [value]:
        _remove(item, parts[1:])


def _names(raw: Any, parameter: str) -> list[str]:
    if raw is None or raw == "":
        return []
    if isinstance(raw, str):
        return [name.strip() for name in raw.split(",") if name.strip()]
    if isinstance(raw, list) and all(isinstance(item, str) for item in raw):
        return [name.strip() for item in raw for name in item.split(",") if name.strip()]
    raise UnknownAttribute(f"{parameter} must be a list of attribute names, or names separated by commas.")


def projection(raw_attributes: Any, raw_excluded: Any, shapes: tuple[ResourceShape, ...]) -> Projection:
    """The projection the two parameters ask for over resources of ``shapes`` (one, or Users and Groups for a
    search at the root, where a name needs to be an attribute of one of them)."""
    found: dict[str, tuple[tuple[str, ...], ...]] = {}
    for parameter, raw in (("attributes", raw_attributes), ("excludedAttributes", raw_excluded)):
        paths: list[tuple[str, ...]] = []
        for name in _names(raw, parameter):
            per_shape = [shape.path(name) for shape in shapes]
            known = [parts for shape, parts in zip(shapes, per_shape, strict=True) if shape.knows(parts)]
            if not known:
                kinds = " or ".join(shape.name for shape in shapes)
                choices = "; ".join(f"{shape.name}: {', '.join(_top_names(shape))}" for shape in shapes)
                raise UnknownAttribute(f"{name!r} in {parameter} is not an attribute of a {kinds} ({choices}).")
            paths.extend(dict.fromkeys(known))
        found[parameter] = tuple(dict.fromkeys(paths))
    return Projection(attributes=found["attributes"] if _names(raw_attributes, "attributes") else None,
                      excluded=found["excludedAttributes"])


def _top_names(shape: ResourceShape) -> list[str]:
    return sorted(name for name in shape.shape if name not in ALWAYS and not name.startswith("urn:"))
