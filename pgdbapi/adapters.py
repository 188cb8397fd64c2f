"""psycopg2's adaptation registries: typecasters turn column text into Python objects,
adapters turn Python objects into SQL.

Decoding. A typecaster (:func:`new_type`) is ``castfunc(value: str, cursor)``, applied to
the column's *text* representation, as in psycopg2. Registered globally (``string_types``)
or per connection (held by its :class:`pgdbapi.protocol.Protocol`), it becomes the
column's loader in :meth:`Protocol.make_decoder`. Columns normally arrive in text; the one
exception is a prepared statement's result, which the connection requests in binary for
the types the codec decodes in binary. Rather than change that choice per caster, such a
binary value is first rendered to the text PostgreSQL would have sent
(:func:`binary_to_text`), then cast: a caster sees text either way. NULL stays ``None``
without calling the castfunc (psycopg2 calls it with ``None``; every castfunc must
return ``None`` for it anyway).

Encoding. ``register_adapter(cls, adapter)`` with psycopg2's protocol:
``adapter(obj).getquoted() -> bytes``, an SQL expression. An arbitrary SQL expression
cannot be a bound parameter, so a statement with such a value is sent with its values
inlined client-side (as psycopg2 always does). Adapted objects that know their value as
a plain parameter (:meth:`to_param` returning an :class:`Encoded`: ``QuotedString``,
``Binary``, ``extras.Json``, enums, hstore) still go server-side.
"""

from __future__ import annotations

import struct
from contextvars import ContextVar
from decimal import Decimal
from typing import Any, Callable, Iterable, Sequence

from . import literals as _literals
from ._codec_contract import Encoded
from ._pycodec_oids import ARRAY_ELEMENT
from .codec import impl as codec
from .exceptions import DataError, InterfaceError, ProgrammingError
from .literals import quote, quote_text, register_literal
from .types import Interval

__all__ = [
    "AsIs",
    "Binary",
    "CastContext",
    "ConnectionTypes",
    "ISQLQuote",
    "QuotedString",
    "TypeCaster",
    "TypeInfo",
    "adapt",
    "adapters",
    "binary_to_text",
    "fetch_type_info",
    "new_array_type",
    "new_type",
    "register_adapter",
    "register_enum",
    "register_type",
    "refresh_types",
    "string_types",
    "types_of",
]

# ---------------------------------------------------------------------------------------
# Decoding: typecasters
# ---------------------------------------------------------------------------------------

CastFunc = Callable[[Any, Any], Any]


class TypeCaster:
    """psycopg2's typecaster object: ``values`` (the OIDs), ``name``, and callable as
    ``caster(value, cursor)``."""

    __slots__ = ("values", "name", "castfunc")

    def __init__(self, values: Iterable[int], name: str, castfunc: CastFunc) -> None:
        self.values = tuple(int(v) for v in values)
        self.name = name
        self.castfunc = castfunc

    def __call__(self, value: Any, cursor: Any = None) -> Any:
        return self.castfunc(value, cursor)

    def __eq__(self, other: object) -> bool:
        """Equal to each of its OIDs, as psycopg2's (``type_code == extensions.DATE``)."""
        if isinstance(other, int):
            return other in self.values
        return self is other

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        return f"<pgdbapi.adapters.TypeCaster {self.name!r} oids={self.values}>"


def new_type(values: Iterable[int], name: str, castobj: CastFunc) -> TypeCaster:
    """A typecaster for the type OIDs ``values`` (psycopg2.extensions.new_type)."""
    if not callable(castobj):
        raise TypeError("the typecaster's castfunc must be callable")
    return TypeCaster(values, name, castobj)


def new_array_type(values: Iterable[int], name: str, base_caster: CastFunc) -> TypeCaster:
    """A typecaster for arrays whose elements ``base_caster`` casts (NULL elements -> None)."""

    def cast_array(value: str | None, cursor: Any) -> Any:
        if value is None:
            return None
        # the codec's text[] parser splits and unquotes any ','-delimited array literal
        items = codec.decode_value(1009, 0, value.encode(), _UTC_CONTEXT)
        return _map_leaves(items, lambda s: base_caster(s, cursor))

    return TypeCaster(values, name, cast_array)


def _map_leaves(items: list[Any], func: Callable[[str], Any]) -> list[Any]:
    return [
        _map_leaves(x, func) if isinstance(x, list) else (None if x is None else func(x))
        for x in items
    ]


class CasterRegistry(dict):  # type: ignore[type-arg]
    """Typecasters by OID that count their changes in :data:`generation`, so a connection
    rebuilds the decoders of the statements it prepared before a registration (code that
    edits ``string_types`` directly, as psycopg2 allows, is seen too)."""

    def _changed(self) -> None:
        generation[0] += 1

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, value)
        self._changed()

    def __delitem__(self, key: Any) -> None:
        super().__delitem__(key)
        self._changed()

    def pop(self, *args: Any) -> Any:
        value = super().pop(*args)
        self._changed()
        return value

    def popitem(self) -> Any:
        item = super().popitem()
        self._changed()
        return item

    def setdefault(self, key: Any, default: Any = None) -> Any:
        value = super().setdefault(key, default)
        self._changed()
        return value

    def update(self, *args: Any, **kwargs: Any) -> None:
        super().update(*args, **kwargs)
        self._changed()

    def clear(self) -> None:
        super().clear()
        self._changed()

    def __ior__(self, other: Any) -> Any:  # type: ignore[misc]
        self.update(other)
        return self


# Bumped by every change to a CasterRegistry: a one-item list, read on each execution of
# a prepared statement (one comparison).
generation = [0]

# Global typecasters by OID (psycopg2.extensions.string_types).
string_types: dict[int, TypeCaster] = CasterRegistry()


class TypeInfo:
    """What the catalog says about a type looked up by name."""

    __slots__ = ("name", "schema", "oid", "array_oid", "typtype", "attnames", "atttypes", "labels")

    def __init__(
        self,
        name: str,
        schema: str,
        oid: int,
        array_oid: int,
        typtype: str,
        attnames: list[str],
        atttypes: list[int],
        labels: list[str],
    ) -> None:
        self.name = name
        self.schema = schema
        self.oid = oid
        self.array_oid = array_oid
        self.typtype = typtype  # 'b' base, 'c' composite, 'd' domain, 'e' enum, ...
        self.attnames = attnames
        self.atttypes = atttypes
        self.labels = labels


class ConnectionTypes:
    """Per-connection adaptation state, held by the Protocol: typecasters registered on the
    connection and the catalog lookups made for it (by name, made once, never while rows
    are decoded)."""

    __slots__ = ("casters", "info", "by_name", "cast_context")

    def __init__(self, ctx: Any) -> None:
        self.casters: dict[int, TypeCaster] = CasterRegistry()
        self.info: dict[str, TypeInfo] = {}
        # registrations made from a catalog lookup, to redo them (refresh_types)
        self.by_name: dict[tuple[str, str], Callable[[], Any]] = {}
        self.cast_context = CastContext(self, ctx)

    def caster_for(self, oid: int) -> TypeCaster | None:
        caster = self.casters.get(oid)
        return caster if caster is not None else string_types.get(oid)

    def loaders_for(self, columns: Sequence[tuple[int, int]]) -> list[Any] | None:
        """Per column the loader of its registered typecaster, or None when none applies."""
        loaders: list[Any] = [None] * len(columns)
        found = False
        for i, (oid, fmt) in enumerate(columns):
            caster = self.caster_for(oid)
            if caster is not None:
                loaders[i] = self._loader(caster, oid, fmt)
                found = True
        return loaders if found else None

    def _loader(self, caster: TypeCaster, oid: int, fmt: int) -> Callable[[bytes], Any]:
        cursor = self.cast_context
        castfunc = caster.castfunc
        if fmt == 0:
            return lambda data: castfunc(data.decode(), cursor)
        ctx = cursor.ctx
        return lambda data: castfunc(binary_to_text(oid, data, ctx), cursor)


class CastContext:
    """Given to castfuncs as their ``cursor``: psycopg2's ``cursor.cast(oid, s)``, which
    composite casters use for their attributes."""

    def __init__(self, types: ConnectionTypes, ctx: Any) -> None:
        self.types = types
        self.ctx = ctx

    def cast(self, oid: int, value: str | None) -> Any:
        """``value`` (text) as the Python object a column of type ``oid`` would give."""
        if value is None:
            return None
        caster = self.types.caster_for(oid)
        if caster is not None:
            return caster.castfunc(value, self)
        return codec.decode_value(oid, 0, value.encode(), self.ctx)


_UTC_CONTEXT = codec.TypeContext()  # for parsing that involves no time zone


def _connection_of(scope: Any) -> Any:
    """The open connection behind a connection or cursor."""
    conn: Any = scope if hasattr(scope, "_proto") else getattr(scope, "connection", None)
    if not hasattr(getattr(conn, "_proto", None), "types"):
        raise TypeError(f"expected a pgdbapi connection or cursor, not {type(scope).__name__}")
    if conn.closed:
        raise InterfaceError("connection already closed")
    return conn


def types_of(scope: Any) -> ConnectionTypes:
    """The per-connection adaptation state of a connection or cursor."""
    return _connection_of(scope)._proto.types  # type: ignore[no-any-return]


def register_type(obj: TypeCaster, scope: Any = None) -> None:
    """Use ``obj`` for its OIDs: everywhere (``scope`` None) or on one connection.

    A cursor as ``scope`` registers on its connection (psycopg2 limits it to the cursor;
    rows here are decoded before any cursor sees them). Either way it applies from the next
    execution on, also to statements already prepared (their decoders are rebuilt)."""
    if not isinstance(obj, TypeCaster):
        raise TypeError(f"expected a typecaster (new_type), not {type(obj).__name__}")
    if scope is None:
        target = string_types
    else:
        conn = _connection_of(scope)
        target = conn._proto.types.casters
    for oid in obj.values:
        target[oid] = obj


# ---------------------------------------------------------------------------------------
# Binary values rendered as the server's text output (prepared statements' results)
# ---------------------------------------------------------------------------------------

_i32 = struct.Struct("!i").unpack_from
_i64 = struct.Struct("!q").unpack_from
_INT32_MAX, _INT32_MIN = 2**31 - 1, -(2**31)
_INT64_MAX, _INT64_MIN = 2**63 - 1, -(2**63)


def _offset_text(value: Any) -> str:
    """UTC offset as PostgreSQL prints it: +05, +05:30, -01:02:03."""
    off = value.utcoffset()
    secs = int(off.total_seconds()) if off is not None else 0
    sign = "-" if secs < 0 else "+"
    h, rest = divmod(abs(secs), 3600)
    m, s = divmod(rest, 60)
    text = f"{sign}{h:02d}"
    if m or s:
        text += f":{m:02d}"
    if s:
        text += f":{s:02d}"
    return text


def _clock(t: Any) -> str:
    text = f"{t.hour:02d}:{t.minute:02d}:{t.second:02d}"
    if t.microsecond:
        text += f".{t.microsecond:06d}".rstrip("0")
    return text


def _float_text(fixed_below: int) -> Callable[[float], str]:
    """float4/float8 output: the shortest digits that round-trip, positional when the
    decimal exponent is in [-4, fixed_below) (6 for float4, 15 for float8), else
    ``1.5e+15`` style, as the server's float4out/float8out. The server now and then
    prints a digit more than Python's shortest form; both read back as the same float."""

    def render(v: float) -> str:
        if v != v:
            return "NaN"
        if v in (float("inf"), float("-inf")):
            return "Infinity" if v > 0 else "-Infinity"
        d = Decimal(repr(v)).normalize()
        sign, digits, exp = d.as_tuple()
        assert isinstance(exp, int)
        if not any(digits):
            return "-0" if sign else "0"
        e10 = len(digits) - 1 + exp
        if -4 <= e10 < fixed_below:
            return format(d, "f")
        mantissa = str(digits[0]) + ("." + "".join(map(str, digits[1:])) if len(digits) > 1 else "")
        return f"{'-' if sign else ''}{mantissa}e{'+' if e10 >= 0 else '-'}{abs(e10):02d}"

    return render


def _numeric_text(v: Any) -> str:
    if v.is_nan():
        return "NaN"
    if v.is_infinite():
        return "-Infinity" if v.is_signed() else "Infinity"
    return format(v, "f")


def _date_text(data: bytes, ctx: Any) -> str:
    (days,) = _i32(data)
    if days in (_INT32_MAX, _INT32_MIN):
        return "infinity" if days > 0 else "-infinity"
    return codec.decode_value(1082, 1, data, ctx).isoformat()  # type: ignore[no-any-return]


def _timestamp_text(oid: int) -> Callable[[bytes, Any], str]:
    def render(data: bytes, ctx: Any) -> str:
        (us,) = _i64(data)
        if us in (_INT64_MAX, _INT64_MIN):
            return "infinity" if us > 0 else "-infinity"
        v = codec.decode_value(oid, 1, data, ctx)
        text = f"{v.date().isoformat()} {_clock(v)}"
        return text + _offset_text(v) if oid == 1184 else text

    return render


def _interval_text(data: bytes, ctx: Any) -> str:
    """IntervalStyle postgres, as the server writes it (infinity included)."""
    (us,) = _i64(data)
    (days,) = _i32(data, 8)
    (months,) = _i32(data, 12)
    return str(Interval(months, days, us))


def _value_text(oid: int, render: Callable[[Any], str]) -> Callable[[bytes, Any], str]:
    return lambda data, ctx: render(codec.decode_value(oid, 1, data, ctx))


_BINARY_TEXT: dict[int, Callable[[bytes, Any], str]] = {
    16: lambda data, ctx: "t" if data == b"\x01" else "f",
    17: lambda data, ctx: "\\x" + data.hex(),
    700: _value_text(700, _float_text(6)),
    701: _value_text(701, _float_text(15)),
    1700: _value_text(1700, _numeric_text),
    1082: _date_text,
    1083: _value_text(1083, _clock),
    1266: _value_text(1266, lambda t: _clock(t) + _offset_text(t)),
    1114: _timestamp_text(1114),
    1184: _timestamp_text(1184),
    1186: _interval_text,
    2950: _value_text(2950, str),
    3802: lambda data, ctx: bytes(data[1:]).decode(),
}
_BINARY_TEXT[27] = _value_text(27, lambda tid: f"({tid[0]},{tid[1]})")  # tid
_BINARY_TEXT[2278] = lambda data, ctx: ""  # void
# types whose Python value's str() is the server's text (checked by the tests)
STR_IS_TEXT: tuple[int, ...] = (
    *(20, 21, 23, 26, 28, 29, 5069),  # integers, oid, xid, cid
    *(142, 650, 774, 829, 869, 1560, 1562, 2970, 3220, 4072, 5038),  # xml ... pg_snapshot
)
for _oid in STR_IS_TEXT:
    _BINARY_TEXT[_oid] = _value_text(_oid, str)
for _oid in (18, 19, 25, 114, 1042, 1043):
    _BINARY_TEXT[_oid] = lambda data, ctx: bytes(data).decode()


def _range_bound(text: str) -> str:
    """A range bound as range_out writes it: quoted (``"`` and ``\\`` doubled) when empty or
    holding a delimiter or whitespace."""
    if text == "" or any(c in '"\\()[],' or c.isspace() for c in text):
        return '"' + text.replace("\\", "\\\\").replace('"', '""') + '"'
    return text


def _range_text(subtype: int) -> Callable[[bytes, Any], str]:
    """Binary range (flags byte, then each finite bound as Int32 length + value) as text."""

    def render(data: bytes, ctx: Any) -> str:
        flags = data[0]
        if flags & 0x01:
            return "empty"
        pos = 1
        bounds = []
        for infinite in (0x08, 0x10):
            if flags & infinite:
                bounds.append("")
                continue
            (n,) = _i32(data, pos)
            bounds.append(_range_bound(binary_to_text(subtype, data[pos + 4 : pos + 4 + n], ctx)))
            pos += 4 + n
        return ("[" if flags & 0x02 else "(") + ",".join(bounds) + ("]" if flags & 0x04 else ")")

    return render


def _multirange_text(range_text: Callable[[bytes, Any], str]) -> Callable[[bytes, Any], str]:
    """Binary multirange (Int32 count, then Int32 length + range each) as text."""

    def render(data: bytes, ctx: Any) -> str:
        (count,) = _i32(data)
        pos = 4
        ranges = []
        for _ in range(count):
            (n,) = _i32(data, pos)
            ranges.append(range_text(data[pos + 4 : pos + 4 + n], ctx))
            pos += 4 + n
        return "{" + ",".join(ranges) + "}"

    return render


# range oid -> (subtype oid, multirange oid)
_RANGES = {
    3904: (23, 4451),
    3926: (20, 4536),
    3906: (1700, 4532),
    3908: (1114, 4533),
    3910: (1184, 4534),
    3912: (1082, 4535),
}
for _range_oid, (_subtype, _multi_oid) in _RANGES.items():
    _BINARY_TEXT[_range_oid] = _range_text(_subtype)
    _BINARY_TEXT[_multi_oid] = _multirange_text(_BINARY_TEXT[_range_oid])


def _array_item(text: str | None) -> str:
    if text is None:
        return "NULL"
    if text == "" or text.upper() == "NULL" or any(c in text for c in ' {}",\\\t\n\r\f\v'):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


def _array_text(data: bytes, ctx: Any) -> str:
    ndim, _flags, elem_oid = struct.unpack_from("!iiI", data)
    if ndim == 0:
        return "{}"
    dims = struct.unpack_from(f"!{2 * ndim}i", data, 12)
    lengths, lbounds = dims[0::2], dims[1::2]
    pos = 12 + 8 * ndim
    items: list[str] = []
    total = 1
    for n in lengths:
        total *= n
    for _ in range(total):
        (n,) = _i32(data, pos)
        pos += 4
        if n < 0:
            items.append("NULL")
        else:
            items.append(_array_item(binary_to_text(elem_oid, data[pos : pos + n], ctx)))
            pos += n
    for n in reversed(lengths):
        items = ["{" + ",".join(items[i : i + n]) + "}" for i in range(0, len(items), n)]
    text = items[0]
    if any(lb != 1 for lb in lbounds):
        text = "".join(f"[{lb}:{lb + n - 1}]" for lb, n in zip(lbounds, lengths)) + "=" + text
    return text


def binary_to_text(oid: int, data: bytes, ctx: Any) -> str:
    """A binary-format value as the text PostgreSQL sends for it (DateStyle ISO,
    IntervalStyle postgres), so typecasters see text whichever format arrived."""
    data = bytes(data)
    render = _BINARY_TEXT.get(oid)
    try:
        if render is not None:
            return render(data, ctx)
        if oid in ARRAY_ELEMENT:
            return _array_text(data, ctx)
        return str(codec.decode_value(oid, 1, data, ctx))
    except (struct.error, IndexError, ValueError) as exc:
        raise DataError(f"malformed binary value of type {oid}: {exc}") from None


# ---------------------------------------------------------------------------------------
# Encoding: adapters
# ---------------------------------------------------------------------------------------


class ISQLQuote:
    """psycopg2's adaptation protocol marker: ``adapt(obj, ISQLQuote)``, ``__conform__``."""

    def __init__(self, wrapped: Any = None) -> None:
        self._wrapped = wrapped

    def getquoted(self) -> bytes:
        raise NotImplementedError


class _Adapter:
    """Base of the adapters defined here: conform to ISQLQuote as themselves."""

    adapted: Any

    def __init__(self, obj: Any) -> None:
        self.adapted = obj

    def __conform__(self, proto: Any) -> Any:
        return self if proto is ISQLQuote else None

    def prepare(self, conn: Any) -> None:
        pass

    def getquoted(self) -> bytes:
        raise NotImplementedError

    def to_param(self) -> Encoded | None:
        """The value as a bound parameter, or None when only inlined SQL can express it."""
        return None

    def __str__(self) -> str:
        return self.getquoted().decode()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.adapted!r})"


class AsIs(_Adapter):
    """The object's ``str()`` inlined as raw SQL (``None`` -> NULL): always client-side."""

    def getquoted(self) -> bytes:
        return b"NULL" if self.adapted is None else str(self.adapted).encode()


class QuotedString(_Adapter):
    """A string literal; server-side it is an ordinary text parameter."""

    encoding = "utf-8"

    def getquoted(self) -> bytes:
        return quote_text(str(self.adapted)).encode(self.encoding)

    def to_param(self) -> Encoded:
        return Encoded(0, 0, str(self.adapted).encode(self.encoding))


class Binary(_Adapter):
    """bytea; server-side it is a binary bytea parameter."""

    def getquoted(self) -> bytes:
        return quote(bytes(self.adapted)).encode()

    def to_param(self) -> Encoded:
        return Encoded(17, 1, bytes(self.adapted))


class _Literal(_Adapter):
    """What ``adapt()`` returns for the types pgdbapi quotes itself."""

    def getquoted(self) -> bytes:
        return quote(self.adapted).encode()


# psycopg2.extensions.adapters: {(class, ISQLQuote): adapter}
adapters: dict[tuple[type, type], Callable[[Any], Any]] = {}

# type -> its adapter for the parameter path (None: the codec takes the value as is).
# Filled lazily; emptied by register_adapter. pyformat reads it for every value.
NEEDS_LITERAL: Any = object()
route: dict[type, Any] = {}


def register_adapter(typ: type, callable: Callable[[Any], Any]) -> None:
    """Adapt instances of ``typ`` (and subclasses) with ``callable(obj)`` -> an object with
    ``getquoted()`` (psycopg2.extensions.register_adapter)."""
    adapters[(typ, ISQLQuote)] = callable
    route.clear()
    register_literal(typ, _quote_adapted)


def _find_adapter(cls: type) -> Callable[[Any], Any] | None:
    for klass in cls.__mro__:
        found = adapters.get((klass, ISQLQuote))
        if found is not None:
            return found
    if hasattr(cls, "__conform__"):
        return _conform
    return None


def _conform(obj: Any) -> Any:
    conformed = obj.__conform__(ISQLQuote)
    if conformed is None:
        raise ProgrammingError(f"can't adapt type '{type(obj).__name__}'")
    return conformed


def adapt(obj: Any, protocol: Any = ISQLQuote, alternate: Any = None) -> Any:
    """The adapter for ``obj``: ``adapt(obj).getquoted()`` is its SQL (psycopg2's adapt)."""
    adapter = _find_adapter(type(obj))
    if adapter is not None:
        return adapter(obj)
    quote(obj)  # raises "can't adapt type" for what pgdbapi cannot quote either
    return _Literal(obj)


# The connection whose query is being rendered (Connection sets it around mogrify and
# client-side binding): psycopg2 calls an adapter's ``prepare(conn)`` before ``getquoted()``.
adapting_for: ContextVar[Any] = ContextVar("adapting_for", default=None)


def _quote_adapted(value: Any, std: bool) -> str:
    adapter = _find_adapter(type(value))
    if adapter is None:
        raise ProgrammingError(f"can't adapt type '{type(value).__name__}'")
    adapted = adapter(value)
    prepare = getattr(adapted, "prepare", None)
    if prepare is not None:
        conn = adapting_for.get()
        if conn is not None:
            prepare(conn)
    return bytes(adapted.getquoted()).decode()


def resolve_route(cls: type) -> Any:
    """How values of ``cls`` go to the server: None (the codec encodes them), an adapter,
    or NEEDS_LITERAL (tuples: psycopg2's ``IN %s``). Cached in :data:`route`."""
    if cls is tuple:
        found: Any = NEEDS_LITERAL
    elif issubclass(cls, Encoded):
        found = None
    else:
        found = _find_adapter(cls)
        if found is None and issubclass(cls, tuple):
            found = NEEDS_LITERAL
    route[cls] = found
    return found


def server_value(value: Any, adapter: Any) -> Any:
    """``value`` through ``adapter`` as a bound parameter, or NEEDS_LITERAL."""
    if adapter is NEEDS_LITERAL:
        return NEEDS_LITERAL
    adapted = adapter(value)
    to_param = getattr(adapted, "to_param", None)
    encoded = to_param() if to_param is not None else None
    return NEEDS_LITERAL if encoded is None else encoded


_literals.conform_literal = _quote_adapted
for _cls in (AsIs, QuotedString, Binary, _Literal):
    register_literal(_cls, _quote_adapted)


# ---------------------------------------------------------------------------------------
# Catalog lookups by name (cached per connection)
# ---------------------------------------------------------------------------------------

_TYPE_QUERY = """\
SELECT t.oid, t.typarray, t.typtype, t.typname, ns.nspname,
  (SELECT array_agg(a.attname ORDER BY a.attnum) FROM pg_attribute a
    WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped),
  (SELECT array_agg(CASE WHEN at.typtype = 'd' THEN at.typbasetype ELSE at.oid END
      ORDER BY a.attnum) FROM pg_attribute a JOIN pg_type at ON at.oid = a.atttypid
    WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped),
  (SELECT array_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_enum e
    WHERE e.enumtypid = t.oid)
FROM pg_type t JOIN pg_namespace ns ON ns.oid = t.typnamespace
WHERE t.oid = to_regtype({name})"""


def fetch_type_info(scope: Any, name: str, *, refresh: bool = False) -> TypeInfo:
    """The catalog's answer for type ``name`` (search-path rules, ``schema.name`` works),
    queried once per connection and cached on it by name; ``refresh`` queries again
    (a type dropped and re-created has a new OID).

    The query is a plain simple-protocol statement with the name inlined, so it needs no
    prepared statement and works the same behind a pooler (DISCARD ALL, another backend).
    In a transaction-less connection, the transaction it opened is rolled back as
    psycopg2 does."""
    types = types_of(scope)
    if not refresh:
        info = types.info.get(name)
        if info is not None:
            return info
    conn = _connection_of(scope)
    was_idle = conn._proto.transaction_status == b"I"
    rows = conn.execute(_TYPE_QUERY.format(name=quote(name)))[-1].rows
    if was_idle and not conn.autocommit and conn._proto.transaction_status != b"I":
        conn.rollback()
    if not rows:
        raise ProgrammingError(f"PostgreSQL type {name!r} not found")
    oid, array_oid, typtype, typname, schema, attnames, atttypes, labels = rows[0]
    info = TypeInfo(
        typname,
        schema,
        int(oid),
        int(array_oid),
        _text(typtype),
        [_text(a) for a in _as_list(attnames)],
        [int(a) for a in _as_list(atttypes)],
        [_text(label) for label in _as_list(labels)],
    )
    types.info[name] = info
    return info


def remember_registration(scope: Any, kind: str, name: str, redo: Callable[[], Any]) -> None:
    """Record a registration that depends on a lookup of ``name``, for refresh_types."""
    types_of(scope).by_name[(kind, name)] = redo


def refresh_types(scope: Any) -> list[str]:
    """Look every type registered by name up again and register it anew: what a type
    dropped and re-created (a new OID; its values then arrive as str), or a connection
    moved to another database by a pooler, needs. Returns the names looked up."""
    types = types_of(scope)
    types.info.clear()
    redo = list(types.by_name.items())
    for _key, func in redo:
        func()
    return [name for (_kind, name), _ in redo]


def _as_list(value: Any) -> list[Any]:
    """array_agg of name/oid arrays: a list, or its text form for types without a decoder."""
    if value is None:
        return []
    if isinstance(value, str):
        items: list[Any] = codec.decode_value(1009, 0, value.encode(), _UTC_CONTEXT)
        return items
    return list(value)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


# ---------------------------------------------------------------------------------------
# Enums
# ---------------------------------------------------------------------------------------


class _EnumAdapter(_Adapter):
    oid = 0

    def getquoted(self) -> bytes:
        return quote_text(self.adapted.name).encode()

    def to_param(self) -> Encoded:
        return Encoded(self.oid, 0, self.adapted.name.encode())


def register_enum(name: str, scope: Any, enum_cls: Any | None = None) -> TypeCaster:
    """Decode the PostgreSQL enum ``name`` to members of ``enum_cls`` (matched by member
    name = label) on this connection, and encode those members as its labels.

    Without ``enum_cls`` an Enum class is made from the labels. Enums not registered
    decode as ``str``. The adapter sends the type's OID found here (the same in every
    session of the database). Returns the typecaster."""
    import enum

    info = fetch_type_info(scope, name)
    if info.typtype != "e":
        raise ProgrammingError(f"{name!r} is not an enum type")
    if enum_cls is None:
        enum_cls = enum.Enum(info.name, [(lb, lb) for lb in info.labels])  # type: ignore[misc,no-redef]
    assert enum_cls is not None
    missing = [label for label in info.labels if label not in enum_cls.__members__]
    if missing:
        raise ProgrammingError(f"{enum_cls.__name__} has no member for the labels {missing}")
    members = enum_cls.__members__

    def cast(value: str | None, cursor: Any) -> Any:
        return None if value is None else members[value]

    caster = TypeCaster((info.oid,), info.name.upper(), cast)
    register_type(caster, scope)
    register_type(new_array_type((info.array_oid,), info.name.upper() + "ARRAY", cast), scope)
    adapter = type(f"{enum_cls.__name__}Adapter", (_EnumAdapter,), {"oid": info.oid})
    register_adapter(enum_cls, adapter)
    remember_registration(scope, "enum", name, lambda: register_enum(name, scope, enum_cls))
    return caster
