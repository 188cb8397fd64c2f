"""psycopg2.extras look-alike: JSON wrappers and casters, composite types, hstore and the
dict / named-tuple cursors, for code written as ``import pgdbapi.extras as extras``."""

from __future__ import annotations

import json as _json
import re
from collections import OrderedDict, namedtuple
from typing import Any, Callable, Iterator

from ._codec_contract import Encoded
from .adapters import (
    TypeCaster,
    _Adapter,
    fetch_type_info,
    new_array_type,
    refresh_types,
    register_adapter,
    register_type,
    remember_registration,
)
from .cursor import Cursor, NamedCursor
from .exceptions import DataError, ProgrammingError
from .literals import quote_text

__all__ = [
    "execute_batch",
    "execute_values",
    "refresh_types",
    "register_uuid",
    "CompositeCaster",
    "DictCursor",
    "DictRow",
    "HstoreAdapter",
    "Json",
    "Jsonb",
    "NamedTupleCursor",
    "RealDictCursor",
    "RealDictRow",
    "register_composite",
    "register_default_json",
    "register_default_jsonb",
    "register_hstore",
    "register_json",
]

# ---------------------------------------------------------------------------------------
# JSON
# ---------------------------------------------------------------------------------------


class Json(_Adapter):
    """A Python object sent as JSON (``json.dumps`` or ``dumps``); an untyped parameter,
    as psycopg2's untyped literal, so it fits json and jsonb columns alike."""

    oid = 0
    cast = ""

    def __init__(self, adapted: Any, dumps: Callable[[Any], str] | None = None) -> None:
        super().__init__(adapted)
        self._dumps = dumps or _json.dumps

    def dumps(self, obj: Any) -> str:
        """Override in a subclass to customise serialisation (psycopg2's hook)."""
        return self._dumps(obj)

    def getquoted(self) -> bytes:
        return (quote_text(self.dumps(self.adapted)) + self.cast).encode()

    def to_param(self) -> Encoded:
        return Encoded(self.oid, 0, self.dumps(self.adapted).encode())


class Jsonb(Json):
    """Like :class:`Json`, typed jsonb."""

    oid = 3802
    cast = "::jsonb"


def register_json(
    conn_or_curs: Any = None,
    globally: bool = False,
    loads: Callable[[str], Any] | None = None,
    oid: int | None = None,
    array_oid: int | None = None,
    name: str = "json",
) -> tuple[TypeCaster, TypeCaster]:
    """Decode json (or the type ``name``/``oid``) with ``loads``; returns (caster, array
    caster) as psycopg2 does."""
    if oid is None:
        if conn_or_curs is None:
            raise ProgrammingError("register_json needs a connection or the oid")
        info = fetch_type_info(conn_or_curs, name)
        oid, array_oid = info.oid, array_oid or info.array_oid
    loads = loads or _json.loads

    def cast(value: str | None, cursor: Any) -> Any:
        return None if value is None else loads(value)

    caster = TypeCaster((oid,), name.upper(), cast)
    array_caster = new_array_type((array_oid,) if array_oid else (), name.upper() + "ARRAY", cast)
    scope = None if globally else conn_or_curs
    register_type(caster, scope)
    if array_oid:
        register_type(array_caster, scope)
    return caster, array_caster


def register_default_json(
    conn_or_curs: Any = None, globally: bool = False, loads: Callable[[str], Any] | None = None
) -> tuple[TypeCaster, TypeCaster]:
    """json (114) and json[] (199) decoded with ``loads``, without a catalog lookup."""
    return register_json(conn_or_curs, globally=globally or conn_or_curs is None, loads=loads,
                         oid=114, array_oid=199)  # fmt: skip


def register_default_jsonb(
    conn_or_curs: Any = None, globally: bool = False, loads: Callable[[str], Any] | None = None
) -> tuple[TypeCaster, TypeCaster]:
    """jsonb (3802) and jsonb[] (3807) decoded with ``loads``, without a catalog lookup."""
    return register_json(conn_or_curs, globally=globally or conn_or_curs is None, loads=loads,
                         oid=3802, array_oid=3807, name="jsonb")  # fmt: skip


# ---------------------------------------------------------------------------------------
# Composite types
# ---------------------------------------------------------------------------------------


def parse_record(text: str) -> list[str | None]:
    """The attributes of a record's text form ``(a,"b c",,"")``: unquoted empty is NULL,
    ``""`` inside quotes is ``"``, backslash escapes the next character."""
    if len(text) < 2 or text[0] != "(" or text[-1] != ")":
        raise DataError(f"malformed record literal: {text[:50]!r}")
    items: list[str | None] = []
    i, end = 1, len(text) - 1
    while True:
        if i >= end or text[i] == ",":
            items.append(None)
        else:
            buf: list[str] = []
            quoted = False
            while i < end and (quoted or text[i] != ","):
                c = text[i]
                if c == '"':
                    if quoted and i + 1 < end and text[i + 1] == '"':
                        buf.append('"')
                        i += 1
                    else:
                        quoted = not quoted
                elif c == "\\" and i + 1 < end:
                    i += 1
                    buf.append(text[i])
                else:
                    buf.append(c)
                i += 1
            items.append("".join(buf))
        if i >= end:
            return items
        i += 1  # the comma
        if i == end:
            items.append(None)
            return items


class CompositeCaster:
    """Decodes one composite type to a named tuple (psycopg2.extras.CompositeCaster);
    subclass it and override :meth:`make` for another result."""

    def __init__(
        self,
        name: str,
        oid: int,
        attrs: list[tuple[str, int]],
        array_oid: int | None = None,
        schema: str | None = None,
    ) -> None:
        self.name = name
        self.schema = schema
        self.oid = oid
        self.array_oid = array_oid
        self.attnames = [a[0] for a in attrs]
        self.atttypes = [a[1] for a in attrs]
        self._create_type(name, self.attnames)
        self.typecaster = TypeCaster((oid,), name.upper(), self.parse)
        self.array_typecaster = (
            new_array_type((array_oid,), f"{name.upper()}ARRAY", self.parse) if array_oid else None
        )

    def parse(self, s: str | None, curs: Any) -> Any:
        if s is None:
            return None
        tokens = parse_record(s)
        if len(tokens) != len(self.atttypes):
            raise DataError(
                f"expecting {len(self.atttypes)} components for the type {self.name}, "
                f"{len(tokens)} found instead"
            )
        values = [curs.cast(oid, token) for oid, token in zip(self.atttypes, tokens)]
        return self.make(values)

    def make(self, values: list[Any]) -> Any:
        return self._ctor(values)

    def _create_type(self, name: str, attnames: list[str]) -> None:
        nt: Any = namedtuple(  # type: ignore[misc]
            _identifier(name), [_identifier(a) for a in attnames], rename=True
        )
        self.type = nt
        self._ctor = nt._make


def _identifier(name: str) -> str:
    ident = re.sub(r"\W", "_", name)
    return ident if ident and not ident[0].isdigit() else "_" + ident


def register_composite(
    name: str, conn_or_curs: Any, globally: bool = False, factory: Any = None
) -> CompositeCaster:
    """Decode the composite type ``name`` (and arrays of it) from its catalog description.

    ``factory``: a :class:`CompositeCaster` subclass (psycopg2), or any other callable,
    which is then given the attribute values positionally (a class, a dataclass)."""
    info = fetch_type_info(conn_or_curs, name)
    if info.typtype != "c":
        raise ProgrammingError(f"{name!r} is not a composite type")
    attrs = list(zip(info.attnames, info.atttypes))
    args = (info.name, info.oid, attrs, info.array_oid, info.schema)
    if isinstance(factory, type) and issubclass(factory, CompositeCaster):
        caster = factory(*args)
    else:
        caster = CompositeCaster(*args)
        if factory is not None:
            caster.make = lambda values: factory(*values)  # type: ignore[method-assign]
    scope = None if globally else conn_or_curs
    register_type(caster.typecaster, scope)
    if caster.array_typecaster is not None:
        register_type(caster.array_typecaster, scope)
    remember_registration(
        conn_or_curs,
        "composite",
        name,
        lambda: register_composite(name, conn_or_curs, globally, factory),
    )
    return caster


# ---------------------------------------------------------------------------------------
# hstore
# ---------------------------------------------------------------------------------------

_HSTORE_PAIR = re.compile(
    r'"((?:[^"\\]|\\.)*)"\s*=>\s*(?:"((?:[^"\\]|\\.)*)"|(NULL))\s*(?:,\s*|$)', re.DOTALL
)
_UNESCAPE = re.compile(r"\\(.)", re.DOTALL)


def parse_hstore(text: str | None, cursor: Any = None) -> dict[str, str | None] | None:
    """hstore's text form ``"k"=>"v", "n"=>NULL`` as a dict."""
    if text is None:
        return None
    out: dict[str, str | None] = {}
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _HSTORE_PAIR.match(text, pos)
        if m is None:
            raise DataError(f"malformed hstore value near {text[pos : pos + 30]!r}")
        key = _UNESCAPE.sub(r"\1", m.group(1))
        out[key] = None if m.group(3) else _UNESCAPE.sub(r"\1", m.group(2))
        pos = m.end()
    return out


def _hstore_item(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class HstoreAdapter(_Adapter):
    """A dict as hstore (keys and values as str; None values are NULL)."""

    oid = 0

    def _text(self) -> str:
        parts = []
        for k, v in self.adapted.items():
            if not isinstance(k, str) or not (v is None or isinstance(v, str)):
                raise DataError("hstore keys must be str and values str or None")
            parts.append(_hstore_item(k) + "=>" + ("NULL" if v is None else _hstore_item(v)))
        return ", ".join(parts)

    def getquoted(self) -> bytes:
        return (quote_text(self._text()) + "::hstore").encode()

    def to_param(self) -> Encoded:
        return Encoded(self.oid, 0, self._text().encode())


def register_hstore(
    conn_or_curs: Any,
    globally: bool = False,
    unicode: bool = False,
    oid: int | None = None,
    array_oid: int | None = None,
) -> None:
    """hstore values decode to dicts and dicts encode as hstore (psycopg2's
    register_hstore; the dict adapter is global, as there). ProgrammingError when the
    extension is not installed in the database."""
    looked_up = oid is None
    if oid is None:
        try:
            info = fetch_type_info(conn_or_curs, "hstore")
        except ProgrammingError:
            raise ProgrammingError(
                "hstore type not found in the database: CREATE EXTENSION hstore first"
            ) from None
        oid, array_oid = info.oid, array_oid or info.array_oid
    scope = None if globally else conn_or_curs
    register_type(TypeCaster((oid,), "HSTORE", parse_hstore), scope)
    if array_oid:
        register_type(new_array_type((array_oid,), "HSTOREARRAY", parse_hstore), scope)
    adapter = type("HstoreAdapter", (HstoreAdapter,), {"oid": oid})
    register_adapter(dict, adapter)
    if looked_up:
        remember_registration(
            conn_or_curs, "hstore", "hstore", lambda: register_hstore(conn_or_curs, globally)
        )


# ---------------------------------------------------------------------------------------
# Cursors returning dicts and named tuples
# ---------------------------------------------------------------------------------------


class _RowFactoryCursor(Cursor):
    """A cursor whose fetch methods turn each row with :meth:`_make_row`. Given a name
    (``conn.cursor("name", cursor_factory=DictCursor)``) it is a server-side cursor that
    does the same."""

    _named_variants: dict[type, type] = {}

    def __new__(cls, connection: Any, name: str | None = None, **kwargs: Any) -> Any:
        if name is None or issubclass(cls, NamedCursor):
            return super().__new__(cls)
        variant = _RowFactoryCursor._named_variants.get(cls)
        if variant is None:
            variant = type(cls.__name__, (cls, NamedCursor), {})
            _RowFactoryCursor._named_variants[cls] = variant
        return variant(connection, name, **kwargs)

    def _make_row(self, row: Any) -> Any:
        raise NotImplementedError

    def fetchone(self) -> Any:
        row = super().fetchone()
        return None if row is None else self._make_row(row)

    def fetchmany(self, size: int | None = None) -> list[Any]:
        return [self._make_row(r) for r in super().fetchmany(size)]

    def fetchall(self) -> list[Any]:
        return [self._make_row(r) for r in super().fetchall()]

    def __iter__(self) -> Iterator[Any]:
        for row in super().__iter__():
            yield self._make_row(row)

    def _names(self) -> list[str]:
        desc = self.description or []
        return [c.name for c in desc]


class DictRow(list):  # type: ignore[type-arg]
    """A row read by index or by column name (psycopg2.extras.DictRow)."""

    __slots__ = ("_index",)

    def __init__(self, values: Any, index: dict[str, int]) -> None:
        super().__init__(values)
        self._index = index

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            key = self._index[key]
        return super().__getitem__(key)

    def __setitem__(self, key: Any, value: Any) -> None:
        if isinstance(key, str):
            key = self._index[key]
        super().__setitem__(key, value)

    def keys(self) -> Iterator[str]:
        return iter(self._index)

    def values(self) -> Iterator[Any]:
        return iter(list.__iter__(self))

    def items(self) -> Iterator[tuple[str, Any]]:
        return ((k, list.__getitem__(self, i)) for k, i in self._index.items())

    def get(self, key: Any, default: Any = None) -> Any:
        try:
            return self[key]
        except (KeyError, IndexError):
            return default

    def __contains__(self, key: Any) -> bool:
        return key in self._index

    def copy(self) -> OrderedDict[str, Any]:  # type: ignore[override]
        return OrderedDict(self.items())


class DictCursor(_RowFactoryCursor):
    """Rows as :class:`DictRow`: by index or by column name."""

    def _make_row(self, row: Any) -> Any:
        index = self._index_cache()
        return DictRow(row, index)

    def _index_cache(self) -> dict[str, int]:
        result = self._result
        cached = getattr(self, "_index_for", None)
        if cached is None or cached[0] is not result:
            index: dict[str, int] = {}
            for i, name in enumerate(self._names()):
                index.setdefault(name, i)
            self._index_for = (result, index)
            return index
        return cached[1]  # type: ignore[no-any-return]


class RealDictRow(OrderedDict):  # type: ignore[type-arg]
    """A row as a dict keyed by column name (psycopg2.extras.RealDictRow)."""


class RealDictCursor(_RowFactoryCursor):
    """Rows as :class:`RealDictRow` (a later column of the same name wins, as psycopg2)."""

    def _make_row(self, row: Any) -> Any:
        return RealDictRow(zip(self._names(), row))


class NamedTupleCursor(_RowFactoryCursor):
    """Rows as named tuples; names that are not identifiers are renamed (``_1``)."""

    def _make_row(self, row: Any) -> Any:
        result = self._result
        cached = getattr(self, "_nt_for", None)
        if cached is None or cached[0] is not result:
            nt = namedtuple("Record", self._names(), rename=True)  # type: ignore[misc]
            cached = self._nt_for = (result, nt._make)
        return cached[1](row)


# ---------------------------------------------------------------------------------------
# Batch helpers and no-op registrations psycopg2 code calls
# ---------------------------------------------------------------------------------------


def _pages(seq: Any, page_size: int) -> Iterator[list[Any]]:
    page: list[Any] = []
    for item in seq:
        page.append(item)
        if len(page) >= page_size:
            yield page
            page = []
    if page:
        yield page


def _as_bytes(sql: Any) -> bytes:
    return sql.encode() if isinstance(sql, str) else bytes(sql)


def execute_batch(cur: Any, sql: Any, argslist: Any, page_size: int = 100) -> None:
    """Run ``sql`` for every parameter set, ``page_size`` statements per round trip, each
    with its values inlined (psycopg2.extras.execute_batch)."""
    for page in _pages(argslist, page_size):
        cur.execute(b";".join(cur.mogrify(sql, args) for args in page))


def _split_values_sql(sql: bytes) -> tuple[bytes, bytes]:
    """``sql`` around its one ``%s`` (``%%`` is a literal ``%``)."""
    parts: list[list[bytes]] = [[]]
    for token in re.split(rb"(%.)", sql):
        if len(token) != 2 or token[:1] != b"%":
            parts[-1].append(token)
        elif token == b"%s":
            if len(parts) > 1:
                raise ProgrammingError("the query contains more than one '%s' placeholder")
            parts.append([])
        elif token == b"%%":
            parts[-1].append(b"%")
        else:
            raise ProgrammingError(f"unsupported format character: {token.decode()!r}")
    if len(parts) == 1:
        raise ProgrammingError("the query doesn't contain any '%s' placeholder")
    return b"".join(parts[0]), b"".join(parts[1])


def execute_values(
    cur: Any,
    sql: Any,
    argslist: Any,
    template: Any = None,
    page_size: int = 100,
    fetch: bool = False,
) -> list[Any] | None:
    """``INSERT ... VALUES %s`` with the ``%s`` replaced by up to ``page_size`` rows per
    statement (psycopg2.extras.execute_values); ``fetch`` returns the rows of every page."""
    pre, post = _split_values_sql(_as_bytes(sql))
    rows: list[Any] = []
    for page in _pages(argslist, page_size):
        tmpl = template
        if tmpl is None:
            tmpl = "(" + ",".join(["%s"] * len(page[0])) + ")"
        values = b",".join(cur.mogrify(tmpl, args) for args in page)
        cur.execute(pre + values + post)
        if fetch:
            rows.extend(cur.fetchall())
    return rows if fetch else None


def register_uuid(oids: Any = None, conn_or_curs: Any = None) -> TypeCaster:
    """Nothing to do: uuid values are ``uuid.UUID`` both ways already. Returns a caster
    for psycopg2 code that keeps it."""
    import uuid

    def cast(value: str | None, cursor: Any) -> Any:
        return None if value is None else uuid.UUID(value)

    return TypeCaster((2950,), "UUID", cast)
