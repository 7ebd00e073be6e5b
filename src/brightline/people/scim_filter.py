"""SCIM 2.0 filters (RFC 7644 section 3.4.2.2), parsed into a tree and translated into one Django ``Q``.

The grammar, with ``and`` binding tighter than ``or``, names and operators in any case::

    filter    := term ("or" term)*
    term      := factor ("and" factor)*
    factor    := "not" "(" filter ")" | "(" filter ")" | attrPath "[" filter "]" | attrPath "pr"
               | attrPath op value          op: eq ne co sw ew gt ge lt le
    value     := JSON string | number | true | false | null

Each resource type describes its attributes with ``Attr``: the column or expression a value is read from,
its type (string, boolean, dateTime) and whether strings compare exactly or without regard to case (the
schema's ``caseExact``). The translation never reads rows: the database evaluates the whole filter, so a filter
is one query on SQLite and PostgreSQL alike. Anything the parser cannot read, an attribute the resource does not
have, or an operator its type cannot take raises ``FilterError`` naming the character where it went wrong.

Strings that compare without regard to case are lowered on both sides (SQL ``LOWER``; on SQLite that folds
ASCII letters only). ``gt``/``ge``/``lt``/``le`` on strings order by code point on both databases, not by the
database's collation. A missing value (no manager, an empty family name) matches neither ``eq`` nor ``pr``,
and so matches ``ne`` and ``not (…)``, as the RFC reads it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db.models import CharField, Exists, Q, Value
from django.db.models.expressions import Func
from django.db.models.functions import Cast, Left, Lower, Right, StrIndex
from django.db.models.lookups import Exact, GreaterThan, GreaterThanOrEqual, IsNull, LessThan, LessThanOrEqual

COMPARISONS = ("eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le")
OPERATORS = (*COMPARISONS, "pr")
STRING, BOOLEAN, DATETIME = "string", "boolean", "dateTime"
# Bounds that keep a hostile filter from exhausting the parser's stack or building a huge query.
MAX_DEPTH = 32
MAX_COMPARISONS = 200


class FilterError(ValueError):
    """A filter that cannot be read or applied; ``str()`` is the sentence for the client."""


# ---- Reading ----


@dataclass(frozen=True)
class Token:
    kind: str  # "word", "string", "number", "(", ")", "[", "]", "end"
    text: str
    position: int  # 1-based character
    value: Any = None


@dataclass(frozen=True)
class Compare:
    path: str
    op: str
    value: Any
    position: int


@dataclass(frozen=True)
class Present:
    path: str
    position: int


@dataclass(frozen=True)
class Logical:
    op: str  # "and" or "or"
    left: Node
    right: Node


@dataclass(frozen=True)
class Not:
    inner: Node


@dataclass(frozen=True)
class ValuePath:
    path: str  # the multi-valued attribute, e.g. "emails"
    inner: Node  # its filter, whose paths are sub-attributes of it
    position: int


Node = Compare | Present | Logical | Not | ValuePath
WORD_STOP = frozenset(' \t\r\n()[]"')


def _tokens(text: str) -> list[Token]:
    found: list[Token] = []
    index = 0
    decoder = json.JSONDecoder()
    while index < len(text):
        char = text[index]
        if char in " \t\r\n":
            index += 1
        elif char in "()[]":
            found.append(Token(char, char, index + 1))
            index += 1
        elif char == '"':
            try:
                value, end = decoder.raw_decode(text, index)
            except ValueError:
                raise FilterError(f"The string starting at character {index + 1} is not closed or has a bad "
                                  "escape.") from None
            found.append(Token("string", text[index:end], index + 1, value))
            index = end
        else:
            end = index
            while end < len(text) and text[end] not in WORD_STOP:
                end += 1
            word = text[index:end]
            found.append(Token("word", word, index + 1))
            index = end
    found.append(Token("end", "", len(text) + 1))
    return found


class _Parser:
    def __init__(self, text: str):
        self.tokens, self.at = _tokens(text), 0
        self.depth = self.comparisons = 0

    def nested(self, kind: str, closing: str) -> Node:
        """What is inside parentheses or brackets, up to ``closing``, kept to ``MAX_DEPTH`` levels."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise FilterError(f"Invalid filter at character {self.peek().position}: parentheses and brackets "
                              f"nest more than {MAX_DEPTH} deep.")
        inner = self.disjunction()
        self.expect(kind, f"'{closing}'")
        self.depth -= 1
        return inner

    def peek(self) -> Token:
        return self.tokens[self.at]

    def take(self) -> Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def fail(self, expected: str) -> FilterError:
        token = self.peek()
        found = "the end of the filter" if token.kind == "end" else repr(token.text)
        return FilterError(f"Invalid filter at character {token.position}: expected {expected}, found {found}.")

    def keyword(self, *words: str) -> bool:
        token = self.peek()
        return token.kind == "word" and token.text.lower() in words

    def expect(self, kind: str, expected: str) -> Token:
        if self.peek().kind != kind:
            raise self.fail(expected)
        return self.take()

    def whole(self) -> Node:
        node = self.disjunction()
        if self.peek().kind != "end":
            raise self.fail("'and', 'or' or the end of the filter")
        return node

    def disjunction(self) -> Node:
        return self.chain("or", self.conjunction)

    def conjunction(self) -> Node:
        return self.chain("and", self.factor)

    def chain(self, word: str, operand: Callable[[], Node]) -> Node:
        """Operands joined by ``word`` (``and`` or ``or``), grouped from the left."""
        node = operand()
        while self.keyword(word):
            self.take()
            node = Logical(word, node, operand())
        return node

    def factor(self) -> Node:
        token = self.peek()
        if token.kind == "(":
            self.take()
            return self.nested(")", ")")
        if self.keyword("not") and self.tokens[self.at + 1].kind == "(":
            self.take()
            self.take()
            return Not(self.nested(")", ")"))
        if token.kind != "word" or token.text.lower() in {"and", "or", "not", *OPERATORS}:
            raise self.fail("an attribute name, 'not (' or '('")
        self.take()
        path = token.text
        self.comparisons += 1
        if self.comparisons > MAX_COMPARISONS:
            raise FilterError(f"Invalid filter at character {token.position}: more than {MAX_COMPARISONS} "
                              "comparisons in one filter.")
        if self.peek().kind == "[":
            self.take()
            inner = self.nested("]", "]")
            if self.peek().kind == "word" and self.peek().text.startswith("."):
                raise self.fail("'and', 'or' or the end of the filter (a sub-attribute after ']' only goes in "
                                "a PATCH path)")
            return ValuePath(path, inner, token.position)
        if not self.keyword(*OPERATORS):
            raise self.fail(f"an operator after {path!r} (one of {', '.join(OPERATORS)})")
        op = self.take().text.lower()
        if op == "pr":
            return Present(path, token.position)
        return Compare(path, op, self.value(), token.position)

    def value(self) -> Any:
        token = self.peek()
        if token.kind == "string":
            return self.take().value
        if token.kind == "word":
            lowered = token.text.lower()
            if lowered in {"true", "false", "null"}:
                self.take()
                return {"true": True, "false": False, "null": None}[lowered]
            try:
                number = json.loads(token.text)
            except ValueError:
                number = None
            if isinstance(number, int | float) and not isinstance(number, bool):
                self.take()
                return number
        raise self.fail('a value: a "quoted string", a number, true, false or null')


def parse(text: str) -> Node:
    """The tree of a SCIM filter; raises ``FilterError`` naming the character where it cannot be read."""
    if not text.strip():
        raise FilterError("The filter is empty.")
    return _Parser(text).whole()


# ---- Attributes of a resource ----


@dataclass(frozen=True)
class Attr:
    """A filterable attribute: ``expression`` reads it in the database (``None`` for an attribute every resource
    has with the same ``constant`` value); ``nullable`` when the column may be NULL; ``lowered`` when the column
    is already stored in lower case, so an indexed equality can be used."""

    name: str
    type: str = STRING
    expression: Callable[[], Any] | None = None
    case_exact: bool = False
    nullable: bool = False
    lowered: bool = False
    constant: Any = None


@dataclass(frozen=True)
class Schema:
    """The filterable attributes of one resource type, by lower-case path (with or without its schema URN)."""

    attributes: dict[str, Attr]
    # Complex or multi-valued attributes: a filter on the bare name means this sub-attribute ("emails" is
    # "emails.value"), and the names allowed inside "attr[…]".
    defaults: dict[str, str] = field(default_factory=dict)
    urns: tuple[str, ...] = ()
    # Multi-valued attributes kept in rows of their own (a group's members): name → the rows of one resource's
    # values, correlated with ``OuterRef("pk")``; its sub-attributes' expressions read those rows, and a filter
    # on them matches a resource with at least one value that matches (one ``EXISTS``).
    collections: dict[str, Callable[[], Any]] = field(default_factory=dict)
    name: str = "resource"

    def find(self, path: str, prefix: str = "") -> Attr | None:
        lowered = path.lower()
        for urn in sorted(self.urns, key=len, reverse=True):
            if lowered.startswith(urn.lower() + ":"):
                lowered = lowered[len(urn) + 1:]
                break
        full = f"{prefix}.{lowered}" if prefix else lowered
        return self.attributes.get(self.defaults.get(full, full))

    def lookup(self, path: str, position: int, prefix: str = "") -> Attr:
        found = self.find(path, prefix)
        if found is None:
            names = ", ".join(sorted({attr.name for attr in self.attributes.values()}))
            raise FilterError(f"Invalid filter at character {position}: {path!r} is not an attribute that can be "
                              f"filtered on; use one of {names}.")
        return found


# ---- Translation into Q ----


class Codepoint(Func):
    """``expression`` ordered by code point: SQLite's default; on PostgreSQL the "C" collation."""

    template = "%(expressions)s"

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template='(%(expressions)s) COLLATE "C"', **extra)


def _everyone(matches: bool) -> Q:
    return Q(pk__isnull=False) if matches else Q(pk__in=[])


def _refuse(attr: Attr, op: str, position: int, why: str) -> FilterError:
    return FilterError(f"Invalid filter at character {position}: {attr.name} {op} cannot be used: {why}.")


def _typed(attr: Attr, op: str, value: Any, position: int) -> Any:
    """The comparison value checked against the attribute's type: a string, a boolean, or an aware datetime."""
    if value is None:
        raise _refuse(attr, op, position, "compare with null is not defined; use 'pr' or 'not (… pr)'")
    if attr.type == BOOLEAN:
        if op not in {"eq", "ne"}:
            raise _refuse(attr, op, position, "a true/false attribute takes eq, ne or pr only")
        if not isinstance(value, bool):
            raise _refuse(attr, op, position, "give true or false")
        return value
    if not isinstance(value, str):
        raise _refuse(attr, op, position, 'give the value as a "quoted string"')
    if attr.type == DATETIME:
        if op in {"co", "sw", "ew"}:
            raise _refuse(attr, op, position, "a date takes eq, ne, gt, ge, lt, le or pr")
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise _refuse(attr, op, position,
                          f'{value!r} is not a date and time such as "2026-01-31T09:00:00Z"') from None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return value if attr.case_exact else value.lower()


def _constant_matches(attr: Attr, op: str, value: Any) -> bool:
    left = attr.constant if attr.case_exact or not isinstance(attr.constant, str) else attr.constant.lower()
    checks: dict[str, Callable[[], bool]] = {
        "eq": lambda: left == value, "ne": lambda: left != value,
        "co": lambda: value in left, "sw": lambda: left.startswith(value), "ew": lambda: left.endswith(value),
        "gt": lambda: left > value, "ge": lambda: left >= value, "lt": lambda: left < value,
        "le": lambda: left <= value}
    return checks[op]()


def _compare(attr: Attr, op: str, value: Any, position: int) -> Q:
    value = _typed(attr, op, value, position)
    if attr.expression is None:
        return _everyone(_constant_matches(attr, op, value))
    column = attr.expression()
    if attr.type == STRING and not attr.case_exact and not attr.lowered:
        column = Lower(column)
    if op in {"eq", "ne"}:
        matched = Q(Exact(column, Value(value)))
    elif op in {"co", "sw", "ew"} and not value:
        matched = _everyone(True)  # every string contains, starts and ends with the empty one
    elif op == "co":
        matched = Q(GreaterThan(StrIndex(column, Value(value)), 0))
    elif op in {"sw", "ew"}:
        matched = Q(Exact((Left if op == "sw" else Right)(column, len(value)), Value(value)))
    else:
        lookup = {"gt": GreaterThan, "ge": GreaterThanOrEqual, "lt": LessThan, "le": LessThanOrEqual}[op]
        if attr.type == STRING:
            matched = Q(lookup(Codepoint(column, output_field=CharField()), Codepoint(Value(value),
                                                                                      output_field=CharField())))
        else:
            matched = Q(lookup(column, Value(value)))
    if attr.nullable:
        matched &= Q(_not_null(attr))
    return ~matched if op == "ne" else matched


def _not_null(attr: Attr) -> Any:
    assert attr.expression is not None
    return IsNull(attr.expression(), False)


def _present(attr: Attr) -> Q:
    if attr.expression is None:
        return _everyone(attr.constant not in (None, ""))
    if attr.type == BOOLEAN or attr.type == DATETIME:
        return Q(_not_null(attr)) if attr.nullable else _everyone(True)
    present = ~Q(Exact(attr.expression(), Value("")))
    return present & Q(_not_null(attr)) if attr.nullable else present


def to_q(node: Node, schema: Schema, prefix: str = "", *, lenient: bool = False) -> Q:
    """The ``Q`` that selects the resources ``node`` matches; ``FilterError`` for an attribute or operator the
    resource cannot take. Inside ``attr[…]`` paths are sub-attributes of ``attr`` (``prefix``); a resource has
    at most one value of each multi-valued attribute here, so the filter inside applies to that value, except the
    ``collections``, where it applies to each value in turn. ``lenient`` (a search across resource types): an
    attribute the resource type lacks is a missing value rather than an error."""
    if isinstance(node, Logical):
        left = to_q(node.left, schema, prefix, lenient=lenient)
        right = to_q(node.right, schema, prefix, lenient=lenient)
        return left & right if node.op == "and" else left | right
    if isinstance(node, Not):
        return ~to_q(node.inner, schema, prefix, lenient=lenient)
    if isinstance(node, ValuePath):
        if prefix:
            raise FilterError(f"Invalid filter at character {node.position}: a filter in brackets cannot hold "
                              "another one.")
        name = node.path.lower()
        if name not in {key.split(".")[0] for key in schema.attributes if "." in key}:
            if lenient:
                return _everyone(False)
            raise FilterError(f"Invalid filter at character {node.position}: {node.path!r} has no sub-attributes "
                              "to filter in brackets.")
        inner = to_q(node.inner, schema, name, lenient=lenient)
        return Q(Exists(schema.collections[name]().filter(inner))) if name in schema.collections else inner
    found = schema.find(node.path, prefix)
    if found is None and lenient:
        # A search across resource types: a resource without the attribute has no value for it.
        return _everyone(isinstance(node, Compare) and node.op == "ne")
    attr = found or schema.lookup(node.path, node.position, prefix)
    matched = _present(attr) if isinstance(node, Present) else _compare(attr, node.op, node.value, node.position)
    collection = attr.name.split(".")[0].lower()
    if not prefix and collection in schema.collections:
        return Q(Exists(schema.collections[collection]().filter(matched)))
    return matched


def filter_q(text: str, schema: Schema) -> Q:
    """The ``Q`` of the SCIM filter ``text`` over a resource of ``schema``; ``FilterError`` if it cannot be."""
    return to_q(parse(text), schema)


def _leaves(node: Node, prefix: str = "") -> list[tuple[str, int, str]]:
    """Every attribute ``node`` names, as (path, character, the bracketed attribute it is inside)."""
    if isinstance(node, Logical):
        return _leaves(node.left, prefix) + _leaves(node.right, prefix)
    if isinstance(node, Not):
        return _leaves(node.inner, prefix)
    if isinstance(node, ValuePath):
        return _leaves(node.inner, node.path.lower())
    return [(node.path, node.position, prefix)]


def filter_across(text: str, schemas: tuple[Schema, ...]) -> list[Q]:
    """The ``Q`` of ``text`` over each of ``schemas``, for a search at the root (RFC 7644 section 3.4.3): an attribute
    has to belong to one of them, and a resource whose type lacks it has no value for it (so only ``ne`` and
    ``not (…)`` match it)."""
    tree = parse(text)
    for path, position, prefix in _leaves(tree):
        if all(schema.find(path, prefix) is None for schema in schemas):
            kinds = " or a ".join(schema.name for schema in schemas)
            raise FilterError(f"Invalid filter at character {position}: {path!r} is not an attribute of a {kinds} "
                              "that can be filtered on.")
    return [to_q(tree, schema, lenient=True) for schema in schemas]


def id_text(name: str = "pk") -> Callable[[], Any]:
    """An integer key read as the string SCIM shows (``id``, ``manager.value``)."""
    return lambda: Cast(name, output_field=CharField())
