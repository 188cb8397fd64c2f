"""psycopg2's ``%s`` / ``%(name)s`` placeholders, and what the statement around them allows.

psycopg2 applies Python ``%`` formatting to the whole query, so placeholders are found
everywhere, even inside quotes and comments; :func:`parse_query` finds them the same way,
then reads the text with a SQL lexer to decide whether the server can bind the values
(extended protocol, ``$n``) or whether they must be inlined as literals like psycopg2 does.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Mapping, Sequence, Union, cast

from . import adapters as _adapters
from .exceptions import DataError, ProgrammingError
from .literals import quote

__all__ = [
    "ParsedQuery",
    "StatementAnalysis",
    "client_sql",
    "needs_client_binding",
    "parse_query",
    "server_params",
]

Params = Union[Sequence[Any], Mapping[str, Any]]

# Statements that Parse accepts with parameters; everything else (SET, SHOW, DDL, DO, CALL,
# COPY, utility statements) gets its values inlined.
SERVER_BINDABLE_KINDS = frozenset(
    {"SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "VALUES", "TABLE", "WITH"}
)

# Keywords after which an expression, hence a ``$n`` parameter, may follow. Any other word
# directly before a placeholder is read as a type name in typed-literal syntax (``date %s``,
# ``interval %s``): ``date '2024-01-02'`` works inlined, ``date $1`` is a syntax error.
# A keyword missing here only costs a client-side binding, which is what psycopg2 does anyway.
EXPRESSION_KEYWORDS = frozenset(
    {
        "ALL", "AND", "ASYMMETRIC", "BETWEEN", "BOTH", "BY", "CASE", "DISTINCT", "ELSE",
        "ESCAPE", "FIRST", "FOR", "FROM", "GROUPS", "HAVING", "ILIKE", "LEADING", "LIKE",
        "LIMIT", "NEXT", "NOT", "OFFSET", "ON", "OR", "PLACING", "RANGE", "RETURNING", "ROWS",
        "SELECT", "SYMMETRIC", "THEN", "TO", "TRAILING", "VARIADIC", "WHEN", "WHERE",
    }
)  # fmt: skip

# Cache parses of ordinary queries; a huge generated query would only pin memory.
_CACHE_MAX_QUERY_LEN = 1 << 16

_IDENT_START = r"A-Za-z_\x80-\U0010ffff"
_IDENT_CONT = _IDENT_START + r"0-9$"

# One token of SQL outside literals and comments. Order matters: ``E'`` before words,
# ``--`` and ``/*`` before single-character operators.
_NORMAL_TOKEN = re.compile(
    rf"""
      (?P<space>\s+)
    | (?P<percent>%)
    | (?P<estring>[eE]')
    | (?P<string>')
    | (?P<qident>")
    | (?P<dollar>\$(?:[{_IDENT_START}][{_IDENT_START}0-9]*)?\$)
    | (?P<line_comment>--)
    | (?P<block_comment>/\*)
    | (?P<word>[{_IDENT_START}][{_IDENT_CONT}]*)
    | (?P<number>(?:\d|\.\d)(?:[\w.]|(?<=[eE])[+-](?=\d))*)
    | (?P<semicolon>;)
    | (?P<paren>\()
    | (?P<other>[^\s%'"$;(/\-{_IDENT_CONT}]+|.)
    """,
    re.VERBOSE | re.DOTALL,
)
_STRING_STOP = re.compile(r"['%]")
_ESTRING_STOP = re.compile(r"['%\\]")
_QIDENT_STOP = re.compile(r'["%]')
_LINE_COMMENT_STOP = re.compile(r"[\r\n%]")
_BLOCK_COMMENT_STOP = re.compile(r"/\*|\*/|%")

# Markers for significant tokens that are not words (words are kept upper-cased).
_QUOTED_NAME = '"'
_OTHER = ""


@dataclass(frozen=True)
class StatementAnalysis:
    """What the lexer learnt about the statement, enough to choose the binding path."""

    kind: str  # first keyword upper-cased ('' when the text does not start with a word)
    multiple_statements: bool
    is_placeholder_after_is: bool  # ``IS %s`` / ``IS NOT %s``: ``IS $1`` is a syntax error
    # A placeholder inside a string, quoted identifier or comment: server-side it would not
    # be a parameter at all, so only psycopg2's inlining gives psycopg2's result.
    placeholder_in_literal: bool
    placeholder_after_type_name: bool  # typed-literal syntax such as ``date %s``

    @property
    def server_bindable(self) -> bool:
        return (
            self.kind in SERVER_BINDABLE_KINDS
            and not self.multiple_statements
            and not self.is_placeholder_after_is
            and not self.placeholder_in_literal
            and not self.placeholder_after_type_name
        )


@dataclass(frozen=True)
class ParsedQuery:
    """A query split at its placeholders, in both the client-side and server-side shapes."""

    chunks: tuple[str, ...]  # text between placeholders, ``%%`` already turned into ``%``
    names: tuple[str | None, ...]  # one per placeholder occurrence; None for ``%s``
    server_sql: bytes  # UTF-8, placeholders as ``$1..$n``
    # What supplies ``$1..$n``: indexes into the params sequence, or distinct names in
    # order of first use (a name used twice is one ``$n``).
    param_keys: tuple[int, ...] | tuple[str, ...]
    slots: tuple[int, ...]  # per placeholder occurrence, its ``$n`` minus one
    analysis: StatementAnalysis

    # cached_property: computed once per (cached) query, a dict read afterwards
    @cached_property
    def named(self) -> bool:
        return bool(self.names) and self.names[0] is not None

    @cached_property
    def server_bindable(self) -> bool:
        return self.analysis.server_bindable


def parse_query(query: str | bytes) -> ParsedQuery:
    """Parse ``query`` (bytes are UTF-8); raises ProgrammingError for malformed placeholders."""
    if not isinstance(query, (str, bytes)):
        raise TypeError(f"the query must be str or bytes, not {type(query).__name__}")
    if len(query) > _CACHE_MAX_QUERY_LEN:
        return _parse(query)
    return _parse_cached(query)


def server_params(pq: ParsedQuery, params: Params) -> list[Any]:
    """The values for ``$1..$n``, checked against the placeholders, adapted values
    (``register_adapter``, ``Json``...) as their parameter form.

    Raises ProgrammingError for a value only an inlined literal can express (use
    ``binding="auto"``, which inlines the statement's values then)."""
    values = _adapt_values(_values(pq, params), strict=True)
    assert values is not None
    return values


def plain_types() -> frozenset[type]:
    """The types seen so far whose values go to the codec as they are (no adapter): a set
    of parameters made only of them needs no :func:`server_params` (executemany's rows)."""
    return frozenset(t for t, adapter in _adapters.route.items() if adapter is None)


_MISS: Any = object()
_NEEDS_LITERAL = _adapters.NEEDS_LITERAL


def _values(pq: ParsedQuery, params: Params) -> list[Any]:
    """The values for ``$1..$n``, checked against the placeholders."""
    kind = type(params)
    if (kind is tuple or kind is list) and not pq.named:  # the common case, without ABC checks
        if len(params) == len(pq.param_keys):
            return list(params)
    if pq.named:
        if not isinstance(params, Mapping):
            raise ProgrammingError(
                "the query uses named placeholders (%(name)s): parameters must be a "
                f"mapping, not {type(params).__name__}"
            )
        values = []
        for name in cast("tuple[str, ...]", pq.param_keys):
            try:
                values.append(params[name])
            except KeyError:
                raise ProgrammingError(f"no value given for placeholder %({name})s") from None
        return values
    if isinstance(params, Mapping):
        if not pq.param_keys:
            return []  # as with Python's % operator, unused keys are fine
        raise ProgrammingError(
            "the query uses positional placeholders (%s): parameters must be a sequence "
            "(tuple, list), not a mapping"
        )
    if isinstance(params, (str, bytes, bytearray, memoryview)) or not isinstance(params, Sequence):
        raise ProgrammingError(
            f"parameters must be a sequence (tuple, list) or a mapping, not {type(params).__name__}"
        )
    if len(params) != len(pq.param_keys):
        raise ProgrammingError(
            f"the query has {_count(len(pq.param_keys), 'placeholder')} but "
            f"{_count(len(params), 'parameter')} {'was' if len(params) == 1 else 'were'} given"
        )
    return list(params)


def client_sql(
    pq: ParsedQuery, params: Params, *, standard_conforming_strings: bool = True
) -> bytes:
    """The query with every placeholder replaced by its value's SQL literal (``mogrify``)."""
    literals = [
        quote(value, standard_conforming_strings=standard_conforming_strings)
        for value in _values(pq, params)
    ]
    parts = [pq.chunks[0]]
    for slot, chunk in zip(pq.slots, pq.chunks[1:]):
        parts.append(literals[slot])
        parts.append(chunk)
    try:
        return "".join(parts).encode()
    except UnicodeEncodeError as exc:  # the chunks were encodable: a value is at fault
        raise DataError(f"a parameter cannot be encoded as UTF-8: {exc.reason}") from None


def needs_client_binding(pq: ParsedQuery, params: Params) -> bool:
    """True when the values must be inlined: the statement cannot take ``$n`` parameters,
    a value is a tuple (psycopg2's ``IN %s`` idiom renders it as ``(1, 2, 3)``) or has an
    adapter that only gives SQL text.

    Raises the errors :func:`server_params` raises for params that do not fit.
    """
    return bindable_values(pq, params) is None


def bindable_values(pq: ParsedQuery, params: Params) -> list[Any] | None:
    """The values for ``$1..$n`` when server-side binding can serve, else None."""
    kind = type(params)
    if (kind is tuple or kind is list) and not pq.named and len(params) == len(pq.param_keys):
        values = list(params)  # the common case without server_params' checks
    else:
        values = _values(pq, params)
    if not pq.server_bindable:
        return None
    return _adapt_values(values)


def _adapt_values(values: list[Any], *, strict: bool = False) -> list[Any] | None:
    """``values`` with adapted ones in parameter form, or None when one needs an inlined
    literal (a tuple, an adapter giving only SQL text). One dict read per plain value.

    ``strict`` (server-side binding forced): tuples are left for the codec to refuse, a
    literal-only adapter is a ProgrammingError."""
    route = _adapters.route
    for i, v in enumerate(values):
        adapter = route.get(type(v), _MISS)
        if adapter is None:
            continue
        if adapter is _MISS:
            adapter = _adapters.resolve_route(type(v))
            if adapter is None:
                continue
        if strict and adapter is _NEEDS_LITERAL:
            continue
        encoded = _adapters.server_value(v, adapter)
        if encoded is _NEEDS_LITERAL:
            if strict:
                raise ProgrammingError(
                    f"a {type(v).__name__} value has no server-side parameter form (its "
                    "adapter only gives SQL text): inline it with binding='auto' or 'client'"
                )
            return None
        values[i] = encoded
    return values


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _parse(query: str | bytes) -> ParsedQuery:
    if isinstance(query, bytes):
        try:
            query = query.decode()
        except UnicodeDecodeError as exc:
            raise ProgrammingError(f"the query is not valid UTF-8: {exc}") from None
    scan = _Scanner(query)
    scan.run()
    return scan.result()


_parse_cached = functools.lru_cache(maxsize=512)(_parse)


class _Scanner:
    """One pass over the query: placeholders (found in every lexical state, as psycopg2
    finds them) and the SQL tokens between them."""

    def __init__(self, query: str) -> None:
        self.query = query
        self.chunks: list[str] = []
        self.pieces: list[str] = []  # the chunk being built, split where ``%%`` was
        self.piece_start = 0
        self.names: list[str | None] = []
        self.recent: list[str] = []  # last significant tokens outside literals, newest last
        self.kind: str | None = None
        self.after_semicolon = False
        self.multiple_statements = False
        self.after_is = False
        self.in_literal = False
        self.after_type_name = False

    def run(self) -> None:
        query, pos, end = self.query, 0, len(self.query)
        while pos < end:
            m = _NORMAL_TOKEN.match(query, pos)
            assert m is not None  # the last alternative matches any character
            token = m.lastgroup
            pos = m.end()
            if token == "space":
                continue
            if token == "line_comment":
                pos = self._skip_past(pos, _LINE_COMMENT_STOP)
                continue
            if token == "block_comment":
                pos = self._skip_block_comment(pos)
                continue
            if token == "semicolon":
                self._significant(_OTHER)
                self.after_semicolon = True
                continue
            if self.after_semicolon:
                self.multiple_statements = True
            if token == "percent":
                pos = self._percent(m.start(), in_literal=False)
            elif token == "word":
                self._significant(m.group().upper())
            elif token == "paren":
                if self.kind is not None:
                    self._significant(_OTHER)
            elif token == "qident":
                self._significant(_QUOTED_NAME)
                pos = self._skip_quoted(pos, _QIDENT_STOP, '"')
            elif token == "string":
                self._significant(_OTHER)
                pos = self._skip_quoted(pos, _STRING_STOP, "'")
            elif token == "estring":
                self._significant(_OTHER)
                pos = self._skip_quoted(pos, _ESTRING_STOP, "'")
            elif token == "dollar":
                self._significant(_OTHER)
                pos = self._skip_past(pos, re.compile(re.escape(m.group()) + "|%"))
            else:  # number, other
                self._significant(_OTHER)

    def result(self) -> ParsedQuery:
        self.pieces.append(self.query[self.piece_start :])
        self.chunks.append("".join(self.pieces))
        names = tuple(self.names)
        if names and names[0] is not None:
            keys = tuple(dict.fromkeys(n for n in names if n is not None))
            index = {name: i for i, name in enumerate(keys)}
            slots = tuple(index[n] for n in names if n is not None)
            param_keys: tuple[int, ...] | tuple[str, ...] = keys
        else:
            slots = param_keys = tuple(range(len(names)))
        analysis = StatementAnalysis(
            kind=self.kind or "",
            multiple_statements=self.multiple_statements,
            is_placeholder_after_is=self.after_is,
            placeholder_in_literal=self.in_literal,
            placeholder_after_type_name=self.after_type_name,
        )
        return ParsedQuery(
            chunks=tuple(self.chunks),
            names=names,
            server_sql=_server_sql(self.chunks, slots),
            param_keys=param_keys,
            slots=slots,
            analysis=analysis,
        )

    def _significant(self, token: str) -> None:
        if self.kind is None:
            self.kind = token if token and token != _QUOTED_NAME else ""
        self.recent.append(token)
        if len(self.recent) > 3:
            del self.recent[0]

    def _percent(self, pos: int, *, in_literal: bool) -> int:
        """Handle the ``%`` at ``pos`` (``%%``, ``%s``, ``%(name)s``); return where to go on."""
        query = self.query
        follower = query[pos + 1 : pos + 2]
        if follower == "%":
            self.pieces.append(query[self.piece_start : pos + 1])
            self.piece_start = pos + 2
            if not in_literal:
                self._significant(_OTHER)  # the modulo operator
            return pos + 2
        name: str | None
        if follower == "s":
            name, end = None, pos + 2
        elif follower == "(":
            close = query.find(")", pos + 2)
            if close < 0:
                raise ProgrammingError(
                    f"incomplete placeholder {query[pos : pos + 20]!r} at position {pos}: "
                    "no closing parenthesis"
                )
            if query[close + 1 : close + 2] != "s":
                raise _unsupported(query[pos : close + 2], pos)
            name, end = query[pos + 2 : close], close + 2
        elif not follower:
            raise ProgrammingError(
                "incomplete placeholder '%' at the end of the query (write %% for a literal %)"
            )
        else:
            raise _unsupported(query[pos : pos + 2], pos)
        if self.names and (self.names[0] is None) != (name is None):
            raise ProgrammingError(
                "the query mixes positional (%s) and named (%(name)s) placeholders"
            )
        self.names.append(name)
        self.pieces.append(query[self.piece_start : pos])
        self.chunks.append("".join(self.pieces))
        self.pieces = []
        self.piece_start = end
        if in_literal:
            self.in_literal = True
        else:
            self._check_context()
            self._significant(_OTHER)
        return end

    def _check_context(self) -> None:
        """Flag a placeholder that the recent tokens make unusable as ``$n``."""
        recent = self.recent
        last = recent[-1] if recent else _OTHER
        if last == "IS" or recent[-2:] == ["IS", "NOT"]:
            self.after_is = True
        elif last == _QUOTED_NAME or (
            last
            and last not in EXPRESSION_KEYWORDS
            and recent[-3:] != ["AT", "TIME", "ZONE"]  # an expression: ts AT TIME ZONE %s
        ):
            self.after_type_name = True

    def _skip_quoted(self, pos: int, stop: re.Pattern[str], quote_char: str) -> int:
        """Skip to after the closing quote (doubled quotes and, if ``stop`` finds them,
        backslash escapes stay inside)."""
        query = self.query
        while True:
            m = stop.search(query, pos)
            if m is None:
                return len(query)
            i = m.start()
            char = query[i]
            if char == "%":
                pos = self._percent(i, in_literal=True)
            elif char == "\\":
                # psycopg2 sees ``%`` first: a backslash does not hide a placeholder
                pos = i + 1 if query[i + 1 : i + 2] == "%" else i + 2
            elif query[i + 1 : i + 2] == quote_char:
                pos = i + 2
            else:
                return i + 1

    def _skip_past(self, pos: int, stop: re.Pattern[str]) -> int:
        """Skip to after the first match of ``stop`` (dollar-quote tag, end of line)."""
        query = self.query
        while True:
            m = stop.search(query, pos)
            if m is None:
                return len(query)
            if m.group() != "%":
                return m.end()
            pos = self._percent(m.start(), in_literal=True)

    def _skip_block_comment(self, pos: int) -> int:
        query, depth = self.query, 1
        while True:
            m = _BLOCK_COMMENT_STOP.search(query, pos)
            if m is None:
                return len(query)
            found = m.group()
            if found == "%":
                pos = self._percent(m.start(), in_literal=True)
                continue
            pos = m.end()
            depth += 1 if found == "/*" else -1
            if depth == 0:
                return pos


def _unsupported(sequence: str, pos: int) -> ProgrammingError:
    return ProgrammingError(
        f"unsupported placeholder {sequence!r} at position {pos}: only %s and %(name)s "
        "are supported (write %% for a literal %)"
    )


def _is_ident_char(char: str) -> bool:
    return char.isalnum() or char in "_$" or char >= "\x80"


def _server_sql(chunks: list[str], slots: tuple[int, ...]) -> bytes:
    """Join the chunks with ``$n``, spaced where a neighbour would otherwise merge with it
    (``a%s`` must not become the identifier ``a$1``, nor ``%s1`` the parameter ``$11``)."""
    parts = [chunks[0]]
    before = chunks[0][-1:]
    for slot, chunk in zip(slots, chunks[1:]):
        param = f"${slot + 1}"
        if before and _is_ident_char(before):
            param = " " + param
        if chunk and _is_ident_char(chunk[0]):
            param += " "
        parts.append(param)
        parts.append(chunk)
        before = (chunk or param)[-1]
    try:
        return "".join(parts).encode()
    except UnicodeEncodeError as exc:
        raise ProgrammingError(f"the query cannot be encoded as UTF-8: {exc.reason}") from None
