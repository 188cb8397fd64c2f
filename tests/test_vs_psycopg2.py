"""Differential test: pgdbapi against psycopg2, the reference wherever PEP 249 is silent.

The same SQL runs through psycopg2 and through pgdbapi on the suite's server, and what comes
back must agree after applying ONLY the differences README documents ("Types", "Differences
from psycopg2"). Each of those is a named normalisation in the section just below, so the list
of differences lives in one place. pgdbapi runs each case three ways: simple query (text
results), prepared (``prepare_threshold=0``: binary results) and, for parameters, client-side
binding. A disagreement README does not document is an ``xfail(strict=True)`` case whose
reason says what differs.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import psycopg2
import psycopg2.extensions
import psycopg2.extras
import pytest

import pgdbapi
import pgdbapi.extras
from pgdbapi.types import Interval, Range

# Session TimeZones: offsets in minutes, DST, a DST of 30 minutes, a POSIX spelling.
ZONES_WITH_ODD_OFFSETS = [
    "UTC",
    "Asia/Kathmandu",  # +05:45
    "America/St_Johns",  # -03:30 / -02:30 with DST
    "Europe/Berlin",  # DST
    "Australia/Lord_Howe",  # DST of 30 minutes
    "<+0330>-03:30",  # POSIX spelling of +03:30
]

# ---------------------------------------------------------------------------------------------
# The documented differences, one function each. psycopg2's value (and the type OID it came
# with) goes in, the value pgdbapi documents comes out. All of them, with where they apply:
#   values by type OID: bytea_as_bytes, uuid_as_UUID, inet_as_ipaddress, cidr_as_ipaddress,
#     record_as_tuple, xid_as_int, tid_as_tuple, void_as_None, char_high_byte_as_character,
#     arrays_as_lists, range_as_Range, multirange_as_list; canonical (timestamptz tzinfo)
#   results needing the server's help: values_python_cannot_hold (24:00, huge intervals),
#     styles_read_as_iso (DateStyle / IntervalStyle); errors: value_error_as_DataError
#   parameters: float_param_as_float8, psycopg2_counterpart, typed_as_pgdbapi_types_it,
#     ragged_list_refused; mogrify: float_literal_as_float8, min_ints_in_brackets,
#     same_statement; description: unconstrained_numeric_as_None
# Everything else must agree as it is, or be an xfail(strict=True) saying how it differs.
# ---------------------------------------------------------------------------------------------


def bytea_as_bytes(value: Any, cur: Any) -> Any:
    """README: "`bytea` comes back as `bytes` (psycopg2: `memoryview`)"."""
    return bytes(value)


def uuid_as_UUID(value: Any, cur: Any) -> Any:
    """README: "`uuid` as `uuid.UUID` (psycopg2 needs `register_uuid()`)"."""
    return uuid.UUID(value)


def inet_as_ipaddress(value: Any, cur: Any) -> Any:
    """README: "`ipaddress` objects for inet/cidr" (docs/codec.md: an interface, or an address
    when the prefix is the full length, which the server's text then omits)."""
    interface = ipaddress.ip_interface(value)
    if interface.network.prefixlen == interface.max_prefixlen:
        return interface.ip
    return interface


def cidr_as_ipaddress(value: Any, cur: Any) -> Any:
    """README: "`ipaddress` objects for inet/cidr" (cidr: a network)."""
    return ipaddress.ip_network(value)


def record_as_tuple(value: Any, cur: Any) -> Any:
    """README Types: "tuples for records" (psycopg2: the record's text); fields stay text."""
    return tuple(psycopg2.extras.CompositeCaster.tokenize(value))


def xid_as_int(value: Any, cur: Any) -> Any:
    """README: "xid/xid8/cid come back as `int`" (psycopg2: str)."""
    return int(value)


def tid_as_tuple(value: Any, cur: Any) -> Any:
    """README: "tid as a `(block, offset)` tuple" (psycopg2: the text `(0,1)`)."""
    block, offset = value.strip("()").split(",")
    return (int(block), int(offset))


def void_as_None(value: Any, cur: Any) -> Any:
    """README: "`void` as `None`" (psycopg2: the server's text, '')."""
    return None


def char_high_byte_as_character(value: Any, cur: Any) -> Any:
    """README: "a `"char"` byte above 0x7F as that character (psycopg2: the server's text,
    `'\\303'`)"."""
    if re.fullmatch(r"\\[0-3][0-7]{2}", value):
        return chr(int(value[1:], 8))
    return value


def arrays_as_lists(value: Any, cur: Any) -> Any:
    """README Types: "lists for arrays of any dimension": psycopg2 returns the text of arrays
    whose element type it does not know; pgdbapi a list (parsed as psycopg2 parses arrays).
    README speaks of built-in types: arrays of enums and other user types stay text in both,
    and so does box[] (its delimiter is ';')."""
    return psycopg2.extensions.UNICODEARRAY(value, cur)


def range_as_Range(value: Any, cur: Any) -> Any:
    """README Types: "`pgdbapi.types.Range` for ranges" (psycopg2: its own Range classes)."""
    if value.isempty:
        return Range(empty=True)
    bounds = ("[" if value.lower_inc else "(") + ("]" if value.upper_inc else ")")
    return Range(value.lower, value.upper, bounds)


def multirange_as_list(text: str, range_oid: int, cur: Any) -> list[Any]:
    """README Types: "(lists of them for multiranges)" (psycopg2: the multirange's text). The
    text is split into its ranges, each parsed by psycopg2's caster of the range type (and
    then made a Range by range_as_Range)."""
    caster = psycopg2.extensions.string_types[range_oid]
    pieces: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for ch in text[1:-1]:
        if not current and ch == ",":  # between two ranges
            continue
        current.append(ch)
        if escaped:
            escaped = False
        elif ch == "\\" and quoted:
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif ch in ")]" and not quoted:
            pieces.append("".join(current))
            current = []
    return [caster(piece, cur) for piece in pieces]


def float_param_as_float8(placeholder: str, value: Any) -> str:
    """README: "`float` parameters are sent as float8" (psycopg2 inlines `1.5`, a numeric): the
    psycopg2 side of a comparison casts the placeholder to float8 (float8[] for lists)."""
    if isinstance(value, float):
        return placeholder + "::float8"
    if _is_float_list(value):
        return placeholder + "::float8[]"
    return placeholder


def _is_float_list(value: Any) -> bool:
    """A list pgdbapi sends as float8[]: floats, or floats with ints (README: "a list with
    mixed ints and floats as `float8[]`")."""
    leaves = [v for v in value if v is not None] if isinstance(value, list) else []
    return (any(type(v) is float for v in leaves)
            and all(type(v) in (int, float) for v in leaves))  # fmt: skip


def min_ints_in_brackets(literal: bytes, value: Any) -> bytes:
    """README: "The smallest int2/int4/int8 values are inlined in brackets, `(-2147483648)`"
    (psycopg2: ` -2147483648`)."""
    if type(value) is int and value in (-(2**15), -(2**31), -(2**63)):
        return literal.replace(b" %d" % value, b"(%d)" % value)
    return literal


def psycopg2_counterpart(value: Any) -> Any:
    """README Types: "Python values go the other way, including lists (arrays), ipaddress
    objects and Range", and uuid is a `uuid.UUID`; psycopg2 takes these through its own
    classes and adapters (psycopg2.extras ranges, UUID_adapter, its ipaddress adapter,
    psycopg2.extras.Json for pgdbapi.extras.Json)."""
    typed = typed_as_pgdbapi_types_it(value)
    if typed is not None:
        return typed
    if isinstance(value, Range):
        if value.isempty:
            return psycopg2.extras.NumericRange(empty=True)
        kind = next(type(b) for b in (value.lower, value.upper) if b is not None)
        if kind is dt.date:
            cls: Any = psycopg2.extras.DateRange
        elif kind is dt.datetime:
            aware = (value.lower or value.upper).tzinfo is not None
            cls = psycopg2.extras.DateTimeTZRange if aware else psycopg2.extras.DateTimeRange
        else:
            cls = psycopg2.extras.NumericRange
        return cls(value.lower, value.upper, value.bounds)
    if isinstance(value, uuid.UUID):
        return psycopg2.extras.UUID_adapter(value)
    if isinstance(value, pgdbapi.extras.Json):
        return psycopg2.extras.Json(value.adapted)
    if isinstance(value, list):
        return [psycopg2_counterpart(v) for v in value]
    return value


def typed_as_pgdbapi_types_it(value: Any) -> Any:
    """README: "Parameters are typed where psycopg2 leaves them to the server: ipaddress
    objects as inet/cidr, `Range` as the range type its bounds give" and "`Decimal('Infinity')`
    is sent as numeric infinity (psycopg2 sends NaN)": psycopg2 gets the typed literal
    (psycopg2's own adapters would inline them untyped, or as NaN). None: not such a value."""
    if isinstance(value, Decimal) and value.is_infinite():
        return psycopg2.extensions.AsIs(f"'{value}'::numeric")
    if isinstance(value, (ipaddress.IPv4Network, ipaddress.IPv6Network)):
        return psycopg2.extensions.AsIs(f"'{value}'::cidr")
    if isinstance(value, IP_TYPES):
        return psycopg2.extensions.AsIs(f"'{value}'::inet")
    bounds = [] if not isinstance(value, Range) else [b for b in (value.lower, value.upper)
                                                      if b is not None]  # fmt: skip
    if bounds and all(type(b) in (int, Decimal) for b in bounds):
        if any(type(b) is Decimal or not -(2**63) <= b < 2**63 for b in bounds):
            name = "numrange"
        else:
            name = "int4range" if all(-(2**31) <= b < 2**31 for b in bounds) else "int8range"
        lower = "" if value.lower is None else value.lower
        upper = "" if value.upper is None else value.upper
        text = f"{value.bounds[0]}{lower},{upper}{value.bounds[1]}"
        return psycopg2.extensions.AsIs(f"'{text}'::{name}")
    return None


IP_TYPES = (ipaddress.IPv4Address, ipaddress.IPv6Address, ipaddress.IPv4Interface,
            ipaddress.IPv6Interface, ipaddress.IPv4Network, ipaddress.IPv6Network)  # fmt: skip


def value_error_as_DataError(error_class: str) -> str:
    """README: "Values Python cannot hold (BC dates, years above 9999, ...) raise `DataError`
    (psycopg2: `ValueError` ...); a `str` parameter holding NUL is a `DataError` (psycopg2:
    `ValueError`)": the class name of what psycopg2 raised, as pgdbapi documents it."""
    return "DataError" if error_class == "ValueError" else error_class


def float_literal_as_float8(literal: bytes, value: Any) -> bytes:
    """README: float parameters are float8: psycopg2's `1.5` / `'NaN'::float` literals become
    `1.5::float8` / `'NaN'::float8`."""
    if not isinstance(value, float):
        return literal
    if literal.endswith(b"::float"):
        return literal + b"8"
    return literal + b"::float8"


def canonical(value: Any) -> Any:
    """A comparable form that keeps what matters: the exact type, floats by repr (NaN, -0.0),
    Decimals by digits and exponent. Aware datetimes/times compare as wall clock + UTC offset,
    not by tzinfo class: README Types "timestamptz aware, in the session TimeZone" (pgdbapi's
    tzinfo is the session zone, psycopg2's a fixed offset; both give the same offset)."""
    if isinstance(value, list):
        return [canonical(v) for v in value]
    if isinstance(value, tuple):
        return (type(value).__name__ if not hasattr(value, "_fields") else "namedtuple",
                getattr(value, "_fields", None), [canonical(v) for v in value])  # fmt: skip
    if isinstance(value, dict):
        return ("dict", sorted((k, repr(canonical(v))) for k, v in value.items()))
    if isinstance(value, float):
        return ("float", repr(value))
    if isinstance(value, Decimal):
        return ("Decimal", str(value))
    if isinstance(value, (dt.datetime, dt.time)) and value.tzinfo is not None:
        return (type(value).__name__, value.replace(tzinfo=None), value.utcoffset())
    if isinstance(value, Range):
        if value.isempty:
            return ("Range", "empty")
        return ("Range", canonical(value.lower), canonical(value.upper), value.bounds)
    return (type(value).__name__, value)


# ---------------------------------------------------------------------------------------------
# Applying them by type OID.
# ---------------------------------------------------------------------------------------------

BY_OID: dict[int, Callable[[Any, Any], Any]] = {
    17: bytea_as_bytes,
    2950: uuid_as_UUID,
    869: inet_as_ipaddress,
    650: cidr_as_ipaddress,
    2249: record_as_tuple,
    28: xid_as_int,
    29: xid_as_int,
    5069: xid_as_int,
    27: tid_as_tuple,
    2278: void_as_None,
    18: char_high_byte_as_character,
}


@dataclass(repr=False)
class Catalog:
    """What pg_type says about arrays, ranges and multiranges (looked up once)."""

    array_element: dict[int, int]
    builtin_arrays: set[int]  # README's "lists for arrays" covers these (not box[]: ';')
    range_subtype: dict[int, int]
    multirange_range: dict[int, int]


def expected_from_psycopg2(value: Any, oid: int, catalog: Catalog, cur: Any) -> Any:
    """psycopg2's value as pgdbapi documents it (see the normalisations above)."""
    if value is None:
        return None
    element = catalog.array_element.get(oid)
    if element is not None:
        if isinstance(value, str) and oid in catalog.builtin_arrays:
            value = arrays_as_lists(value, cur)
            caster = psycopg2.extensions.string_types.get(element)
            if caster is not None:  # the leaves as psycopg2 casts that type
                value = _map_leaves(value, lambda leaf: caster(leaf, cur))
        return _map_leaves(value, lambda leaf: expected_from_psycopg2(leaf, element, catalog, cur))
    if oid in catalog.range_subtype:
        subtype = catalog.range_subtype[oid]
        bounds = range_as_Range(value, cur)
        if bounds.isempty:
            return bounds
        return Range(
            expected_from_psycopg2(bounds.lower, subtype, catalog, cur),
            expected_from_psycopg2(bounds.upper, subtype, catalog, cur),
            bounds.bounds,
        )
    if oid in catalog.multirange_range:
        range_oid = catalog.multirange_range[oid]
        return [
            expected_from_psycopg2(r, range_oid, catalog, cur)
            for r in multirange_as_list(value, range_oid, cur)
        ]
    normalise = BY_OID.get(oid)
    return normalise(value, cur) if normalise is not None else value


def _map_leaves(items: Any, func: Callable[[Any], Any]) -> Any:
    if isinstance(items, list):
        return [_map_leaves(v, func) for v in items]
    return None if items is None else func(items)


# ---------------------------------------------------------------------------------------------
# The catalogue of typed expressions.
# ---------------------------------------------------------------------------------------------


@dataclass
class Case:
    expr: str
    timezone: str = "UTC"
    xfail: str | None = None  # an undocumented disagreement, in text and binary alike
    xfail_binary: str | None = None  # ... only in binary (prepared) results
    style: str = ""  # a DateStyle / IntervalStyle setting, e.g. "datestyle = 'SQL, DMY'"

    @property
    def id(self) -> str:
        where = [] if self.timezone == "UTC" else [self.timezone]
        return " @ ".join([self.expr, *where, *([self.style] if self.style else [])])


INFINITY_IN_DATE_ARRAY = (
    "infinity inside a date[]: psycopg2 raises DataError 'unable to parse date' (its clamp to "
    "date.max is not applied to array elements); pgdbapi clamps there too (date.max)"
)
LOWER_BOUNDS = (
    "array with non-default lower bounds in several dimensions: psycopg2 raises DataError "
    "(it cannot parse the '[0:1][2:3]=' decoration); pgdbapi returns the nested lists"
)


# Session styles other than pgdbapi's (DateStyle ISO, IntervalStyle postgres); psycopg2 reads
# only those, see styles_read_as_iso.
STYLES = [
    "datestyle = 'ISO, DMY'",
    "datestyle = 'SQL, DMY'",
    "datestyle = 'German'",
    "datestyle = 'Postgres, MDY'",
    "intervalstyle = sql_standard",
    "intervalstyle = postgres_verbose",
    "intervalstyle = iso_8601",
]


def _cases() -> list[Case]:
    c = Case
    cases = [
        # bool, integers, oid
        c("true"), c("false"), c("null::bool"),
        c("(-32768)::int2"), c("32767::int2"), c("(-2147483648)::int4"), c("2147483647::int4"),
        c("(-9223372036854775808)::int8"), c("9223372036854775807::int8"),
        c("4294967295::oid"), c("'{1,4294967295}'::oid[]"),
        c("'1'::xid"), c("'1'::cid"),
        c("'18446744073709551615'::xid8"),
        c("'pg_class'::regclass"), c("'int4'::regtype"), c("'now'::regproc"),
        c("'now()'::regprocedure"), c("'pg_catalog'::regnamespace"), c("'simple'::regconfig"),
        c("'+(int4,int4)'::regoperator"), c("'||/'::regoper"), c("'postgres'::regrole"),
        c("'\"C\"'::regcollation"), c("'simple'::regdictionary"), c("'{pg_class,-}'::regclass[]"),
        c("'1 2'::int2vector"), c("'1 2'::oidvector"), c("'x'::refcursor"),
        c("'=r/postgres'::aclitem"), c("'{int4,text}'::regtype[]"),
        # floats
        c("'NaN'::float8"), c("'Infinity'::float8"), c("'-Infinity'::float8"),
        c("'-0'::float8"), c("'5e-324'::float8"), c("'1.7976931348623157e308'::float8"),
        c("0.1::float8"), c("'NaN'::float4"), c("'-Infinity'::float4"), c("0.1::float4"),
        c("'1e-45'::float4"), c("'3.4028235e38'::float4"), c("'-0'::float4"),
        c("1.1::float4"), c("16777217::float4"),
        # numeric
        c("0::numeric"), c("'-0.000'::numeric"), c("1.000::numeric"), c("100000000::numeric"),
        c("'1e-20'::numeric"), c("'NaN'::numeric"), c("'Infinity'::numeric"),
        c("'-Infinity'::numeric"), c("1.5::numeric(5,2)"),
        c("'123456789012345678901234567890.123456789012345678901234567890'::numeric"),
        c("(10::numeric ^ 1000)"), c("(-1::numeric / 3::numeric)"),
        c("'0.00000000000000000000000000000000000001234'::numeric"),
        # text types
        c("''"), c("'plain'::text"), c("'é€𝄞 ǅ'::text"), c("'it''s \\ \"q\"'::text"),
        c("E'line\\nbreak\\ttab'::text"), c("'x'::varchar(5)"), c("'abc'::char(5)"),
        c("''::char(3)"), c("'name'::name"), c("'a'::\"char\""), c("''::\"char\""),
        c("chr(1)::\"char\""), c("'é'::\"char\""),
        c("'unknown literal'"), c("null::text"),
        # bytea
        c("''::bytea"), c("'\\x00ff'::bytea"), c("convert_to('é\\', 'UTF8')"),
        # date / time
        c("'2020-02-29'::date"), c("'0001-01-01'::date"), c("'9999-12-31'::date"),
        c("'infinity'::date"), c("'-infinity'::date"),
        c("'4713-01-01 BC'::date"),
        c("'00:00'::time"), c("'23:59:59.999999'::time"), c("'24:00'::time"),
        c("'12:34:56.789+05:45'::timetz"), c("'00:00-08'::timetz"),
        c("'01:02:03+01:02:03'::timetz"), c("'23:59:59.999999-15:59'::timetz"),
        c("'2020-01-02 03:04:05.678901'::timestamp"), c("'0001-01-01 00:00'::timestamp"),
        c("'9999-12-31 23:59:59.999999'::timestamp"), c("'infinity'::timestamp"),
        c("'-infinity'::timestamp"), c("'2000-01-01 BC'::timestamp"),
        c("'infinity'::timestamptz"), c("'-infinity'::timestamptz"),
        # interval (psycopg2: months as 30 days, years as 365)
        c("'1 year 2 mons 3 days 04:05:06.7'::interval"),
        c("'-1 years -2 mons +3 days -04:05:06'::interval"), c("'10 days 25:00:00'::interval"),
        c("'00:00:00.000001'::interval"), c("'-00:00:00.000001'::interval"),
        c("'1 mon -1 days +00:00:00.000001'::interval"), c("'P1Y2M3DT4H5M6.7S'::interval"),
        c("'0'::interval"), c("'-2147483648 days'::interval"),
        c("'999999999 days'::interval"),
        c("'2147483647 days 2562047788:00:54.775807'::interval"),
        c("'178000000 years'::interval"),
        # uuid, network, misc str types
        c("'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid"),
        c("'00000000-0000-0000-0000-000000000000'::uuid"),
        c("'192.168.0.1/24'::inet"), c("'1.2.3.4'::inet"), c("'1.2.3.4/32'::inet"),
        c("'::1'::inet"), c("'2001:db8::1/64'::inet"), c("'::ffff:1.2.3.4'::inet"),
        c("'10/8'::cidr"), c("'2001:db8::/32'::cidr"), c("'1.2.3.4/32'::cidr"),
        c("'08:00:2b:01:02:03'::macaddr"), c("'08:00:2b:01:02:03:04:05'::macaddr8"),
        c("B'101'"), c("B''"), c("B'1'::bit(3)"), c("'101'::varbit(10)"),
        c("'1/0'::pg_lsn"), c("'FFFFFFFF/FFFFFFFF'::pg_lsn"), c("1.5::money"),
        c("(-92233720368547758.08)::money"), c("'10:20:10,14,15'::txid_snapshot"),
        c("'10:20:10,14,15'::pg_snapshot"), c("'a fat:2 cat'::tsvector"),
        c("'fat & (rat | !cat)'::tsquery"), c("'<a b=\"1\">é</a>'::xml"),
        c("'$.a[*] ? (@ > 1)'::jsonpath"), c("null::void"), c("pg_sleep(0)"),
        c("'(0,1)'::tid"),
        c("'(1,2)'::point"), c("'{1,2,3}'::line"), c("'[(0,0),(1,1)]'::lseg"),
        c("'(1,1),(0,0)'::box"), c("'((0,0),(1,1),(2,0))'::path"),
        c("'((0,0),(1,1),(2,0))'::polygon"), c("'<(1,2),3>'::circle"),
        # json / jsonb
        c("'{\"a\": [1, 2.5, \"é\", null, true], \"b\": {}}'::json"),
        c("'{\"a\": [1, 2.5, \"é\", null, true], \"b\": {}}'::jsonb"),
        c("'null'::json"), c("'null'::jsonb"), c("'\"s\"'::jsonb"), c("'[]'::jsonb"),
        c("'12345678901234567890.5'::jsonb"), c("'1e400'::json"), c("'\"\\u00e9\"'::jsonb"),
        # arrays
        c("'{{1,NULL},{3,4}}'::int[]"), c("'[0:1][2:3]={{1,2},{3,4}}'::int[]", xfail=LOWER_BOUNDS),
        c("'[0:2]={1,2,3}'::int[]"), c("'[-1:-1]={x}'::text[]"),
        c("'{}'::int[]"), c("'{NULL}'::int2[]"), c("'{{{1}},{{2}}}'::int8[]"),
        c(r"""'{"a b","NULL",NULL,"","q\"x","é","{}",",","\\"}'::text[]"""),
        c("array['a''b', 'c d']::varchar[]"), c("'{a,b}'::char(2)[]"), c("'{x,y}'::name[]"),
        c("'{a,b}'::\"char\"[]"), c("'{t,f,NULL}'::bool[]"),
        c("'{1.5,NaN,Infinity,-Infinity,-0}'::float8[]"), c("'{0.1,NaN}'::float4[]"),
        c("'{1.50,NaN,-Infinity,1e-20}'::numeric[]"), c("'{\"\\\\x00ff\",NULL}'::bytea[]"),
        c("'{2020-01-01,NULL}'::date[]"),
        c("'{2020-01-01,infinity}'::date[]", xfail=INFINITY_IN_DATE_ARRAY),
        c("'{12:00,23:59:59.999999}'::time[]"), c("'{12:00+01,12:00-05:45}'::timetz[]"),
        c("'{\"2020-01-01 10:00\"}'::timestamp[]"),
        c("'{1 day,1 mon,-1 year -00:00:01}'::interval[]"),
        c("'{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11,NULL}'::uuid[]"),
        c("'{1.2.3.4,10.0.0.1/8,::1}'::inet[]"), c("'{10/8,2001:db8::/32}'::cidr[]"),
        c("'{08:00:2b:01:02:03}'::macaddr[]"), c("'{101,NULL}'::bit(3)[]"),
        c("'{1/0}'::pg_lsn[]"), c("'{1.50}'::money[]"), c("'{\"(1,2)\"}'::point[]"),
        c("'{(1,1),(0,0);(2,2),(1,1)}'::box[]"), c("'{\"<a/>\"}'::xml[]"),
        c("'{\"{\\\"a\\\":1}\",null}'::jsonb[]"), c("'{\"[1]\"}'::json[]"),
        c("'{\"[1,3)\",empty}'::int4range[]"), c("'{1}'::xid[]"),
        c("array[row(1,'a'), row(2,null)]"),
        # ranges and multiranges
        c("'[1,5)'::int4range"), c("'(1,5]'::int4range"), c("'empty'::int4range"),
        c("'(,)'::int8range"), c("'[-9223372036854775808,0)'::int8range"),
        c("'(1.5,2.5]'::numrange"), c("'[NaN,NaN]'::numrange"), c("'(,1e-20]'::numrange"),
        c("'[2020-01-01,infinity)'::daterange"), c("'[2020-01-01,2020-01-01]'::daterange"),
        c("'[\"2020-01-01 10:00\",\"2020-01-02 00:00\")'::tsrange"),
        c("'[\"2020-01-01 10:00+05:45\",)'::tstzrange"), c("'(,-infinity]'::tstzrange"),
        c("'{}'::int4multirange"), c("'{[1,5),[7,9)}'::int4multirange"),
        c("'{(,)}'::int8multirange"), c("'{(1.5,2]}'::nummultirange"),
        c("'{[2020-01-01,2020-02-01),[2020-03-01,)}'::datemultirange"),
        c("'{[\"2020-01-01 10:00\",\"2020-01-02 00:00\")}'::tsmultirange"),
        c("'{[\"2020-01-01 10:00+00\",)}'::tstzmultirange"),
        # records
        c("row(1,'a',null)"), c("row()"), c("row(null)"), c("row('')"),
        c("row('a\"b','c,d','\\','(x)')"), c("row(row(1,2),'x')"), c("row(array[1,2])"),
        # composites, enums, domains, hstore (created in the module fixture)
        c("row(1,'x',array[1.5])::vs_pg2_comp"), c("row(null,null,null)::vs_pg2_comp"),
        c("row(2,'q\"uote, comma',array[]::numeric[])::vs_pg2_comp"),
        c("array[row(1,'a',null)::vs_pg2_comp, null]"),
        c("'happy'::vs_pg2_mood"), c("'{happy,sad}'::vs_pg2_mood[]"),
        c("5::vs_pg2_posint"), c("12.5::vs_pg2_money"), c("'{a,b}'::vs_pg2_tags"),
        c("'a=>1, b=>NULL, \"é k\"=>\"v \\\"q\\\"\"'::hstore"), c("''::hstore"),
        c("array['a=>1'::hstore, null]"),
        c("row(row(1,'x',array[2.5])::vs_pg2_comp, array['t'])::vs_pg2_outer"),
        c("'{}'::vs_pg2_outer[]"),
    ]
    for zone in ZONES_WITH_ODD_OFFSETS + ["+05:30"]:  # the last: POSIX for UTC-05:30
        for expr in (
            "'2020-07-01 12:34:56.789+00'::timestamptz",
            "'2020-01-01 12:00+00'::timestamptz",
            "'1900-01-01 00:00+00'::timestamptz",  # local mean time: offsets with seconds
            "'2020-03-08 06:59:59+00'::timestamptz",  # just before/after a DST change in America
            "'2020-03-29 01:00:00+00'::timestamptz",  # the DST change in Europe
            "'2020-10-04 15:00:00+00'::timestamptz",  # Lord Howe's half-hour DST change
            # the same local time twice when DST ends (Berlin, St. John's, Lord Howe): the
            # offset must be the one of the instant (fold)
            "'2020-10-25 00:30+00'::timestamptz", "'2020-10-25 01:30+00'::timestamptz",
            "'2020-11-01 03:45+00'::timestamptz", "'2020-11-01 04:45+00'::timestamptz",
            "'2020-04-04 14:45+00'::timestamptz", "'2020-04-04 15:15+00'::timestamptz",
            "'infinity'::timestamptz", "'-infinity'::timestamptz",
            "'0001-01-01 12:00+00'::timestamptz", "'9999-12-31 12:00+00'::timestamptz",
            "'{\"2020-07-01 12:00+00\",NULL}'::timestamptz[]",
            "'[\"2020-07-01 12:00+00\",\"2020-12-01 12:00+00\")'::tstzrange",
            "'2020-07-01 12:00'::timestamp",
            "'2020-07-01 12:00'::timestamp at time zone 'Asia/Kolkata'",
        ):
            cases.append(c(expr, timezone=zone))
    for style in STYLES:
        for expr in (
            "'2024-05-06'::date",
            "'2024-05-06 07:08:09.5'::timestamp",
            "'2024-05-06 07:08:09.5+00'::timestamptz",
            "'{2024-05-06}'::date[]",
            "'[2024-05-06,2024-06-01)'::daterange",
            "'1 year -2 mons 3 days -04:05:06.7'::interval",
            "'-1 day'::interval",
            "'{\"-1 mon +1 day\"}'::interval[]",
        ):
            cases.append(c(expr, timezone="Europe/Berlin", style=style))
    return cases


CASES = _cases()

# ---------------------------------------------------------------------------------------------
# Fixtures: one psycopg2 and two pgdbapi connections for the module.
# ---------------------------------------------------------------------------------------------

SETUP_SQL = """
drop type if exists vs_pg2_outer cascade;
drop type if exists vs_pg2_comp cascade;
drop type if exists vs_pg2_mood cascade;
drop domain if exists vs_pg2_posint cascade;
drop domain if exists vs_pg2_money cascade;
drop domain if exists vs_pg2_tags cascade;
create type vs_pg2_comp as (a int, b text, c numeric(5,2)[]);
create type vs_pg2_outer as (inner_ vs_pg2_comp, tags text[]);
create type vs_pg2_mood as enum ('happy', 'sad', 'é');
create domain vs_pg2_posint as int check (value > 0);
create domain vs_pg2_money as numeric(10,2);
create domain vs_pg2_tags as text[];
"""


@dataclass(repr=False)  # a short repr keeps failure reports (and xfails) cheap
class Peers:
    psycopg2: Any
    text: Any  # pgdbapi, simple query: text results
    binary: Any  # pgdbapi, prepare_threshold=0: binary results
    client: Any  # pgdbapi, binding="client"
    catalog: Catalog
    has_hstore: bool
    session: tuple[str, str] = ("UTC", "")

    def pgdbapi_conns(self) -> list[Any]:
        return [self.text, self.binary, self.client]

    def set_session(self, zone: str = "UTC", style: str = "") -> None:
        """Session TimeZone and styles, each SET sent on its own (a style changed in the same
        query string as a SELECT is reported to the client after that SELECT)."""
        if (zone, style) == self.session:
            return
        for conn in [self.psycopg2, *self.pgdbapi_conns()]:
            cur = conn.cursor()
            cur.execute(f"set time zone '{zone}'")
            cur.execute("set datestyle = 'ISO, MDY'")
            cur.execute("set intervalstyle = postgres")
            if style:
                cur.execute(f"set {style}")
        self.session = (zone, style)


@pytest.fixture(scope="module")
def peers(pg_server: Any) -> Iterator[Peers]:
    dsn = pg_server.dsn()
    ref = psycopg2.connect(dsn)
    ref.autocommit = True
    cur = ref.cursor()
    cur.execute(SETUP_SQL)
    cur.execute("select count(*) from pg_available_extensions where name = 'hstore'")
    has_hstore = cur.fetchone()[0] == 1
    if has_hstore:
        cur.execute("create extension if not exists hstore")
    cur.execute(
        "select a.oid::int, a.typelem::int, a.oid < 16384 and e.typdelim = ','"
        " from pg_type a join pg_type e on e.typarray = a.oid"  # not int2vector, oidvector
    )
    arrays = cur.fetchall()
    cur.execute("select rngtypid::int, rngsubtype::int, rngmultitypid::int from pg_range")
    ranges = cur.fetchall()
    catalog = Catalog(
        {a: element for a, element, _ in arrays},
        {a for a, _, builtin in arrays if builtin},
        {r: sub for r, sub, _ in ranges},
        {multi: r for r, _, multi in ranges},
    )
    conns = [
        pgdbapi.connect(dsn),
        pgdbapi.connect(dsn, prepare_threshold=0),
        pgdbapi.connect(dsn, binding="client"),
    ]
    for conn in [ref, *conns]:
        conn.autocommit = True
        conn.cursor().execute("set time zone 'UTC'")
    psycopg2.extras.register_composite("vs_pg2_comp", ref)
    psycopg2.extras.register_composite("vs_pg2_outer", ref)
    for conn in conns:
        pgdbapi.extras.register_composite("vs_pg2_comp", conn)
        pgdbapi.extras.register_composite("vs_pg2_outer", conn)
    if has_hstore:
        psycopg2.extras.register_hstore(ref)
        for conn in conns:
            pgdbapi.extras.register_hstore(conn)
    yield Peers(ref, conns[0], conns[1], conns[2], catalog, has_hstore)
    for conn in [ref, *conns]:
        conn.close()


def outcome(conn: Any, sql: str, params: Any = None) -> tuple[str, Any, Any]:
    """("ok", value, type OID) or ("error", exception class name, SQLSTATE or None)."""
    cur = conn.cursor()
    try:
        if params is None:
            cur.execute(sql)
        else:
            cur.execute(sql, params)
        row = cur.fetchone()
    except Exception as exc:  # compared with the other driver's outcome
        return ("error", type(exc).__name__, getattr(exc, "pgcode", None))
    return ("ok", row[0], cur.description[0][1])


def prepared_outcome(conn: Any, sql: str, params: Any) -> tuple[str, Any, Any]:
    """The outcome of the second execution: the first prepares the statement (and has text
    results), the second has binary results for every column the codec decodes in binary."""
    outcome(conn, sql, params)
    return outcome(conn, sql, params)


def reference(
    peers: Peers, sql: str, params: Any = None, server_error_ok: bool = False
) -> tuple[str, Any, Any]:
    """psycopg2's outcome with the documented differences applied to its value. A server
    error means the case itself is broken (both drivers would agree on it), unless expected."""
    kind, value, code = outcome(peers.psycopg2, sql, params)  # code: type OID or SQLSTATE
    if kind == "error" and code is not None and not server_error_ok:
        pytest.fail(f"the server rejects {sql!r} ({value}, SQLSTATE {code})", pytrace=False)
    if kind == "ok":
        value = expected_from_psycopg2(value, code, peers.catalog, peers.psycopg2.cursor())
    else:
        value = value_error_as_DataError(value)
    return (kind, value, code)


def agree(got: Any, expected: Any, what: str = "") -> None:
    """Fail when pgdbapi's ``got`` differs from psycopg2's ``expected``, with both in the
    message and no traceback (pytest would parse this long module again for every failure,
    the xfail cases included)."""
    if got == expected:
        return
    where = ""
    while isinstance(got, (list, tuple)) and isinstance(expected, (list, tuple)):
        if len(got) != len(expected):
            where += f" (lengths {len(got)} and {len(expected)})"
            break
        i = next((i for i, (g, e) in enumerate(zip(got, expected)) if g != e), None)
        if i is None:
            break
        where += f"[{i}]"
        got, expected = got[i], expected[i]
    pytest.fail(
        f"{what}{where}\n  pgdbapi:  {got!r:.2000}\n  psycopg2: {expected!r:.2000}",
        pytrace=False,
    )


def same(ref: tuple[str, Any, Any], got: tuple[str, Any, Any]) -> None:
    if ref[0] == "ok" and got[0] == "ok":
        agree((canonical(got[1]), got[2]), (canonical(ref[1]), ref[2]), "value, type OID")
    elif got != ref:  # an error on one side or both: compared whole
        agree(f"{got!r:.2000}", f"{ref!r:.2000}", "outcome")


def xfail_if(reason: str | None) -> list[Any]:
    """The marks of a case: a strict xfail with ``reason`` when there is one."""
    return [pytest.mark.xfail(strict=True, reason=reason)] if reason else []


def _params(cases: list[Case]) -> list[Any]:
    return [
        pytest.param(case, mode, id=f"{mode}: {case.id}",
                     marks=xfail_if(case.xfail or (case.xfail_binary if mode == "binary" else None)))
        for case in cases
        for mode in ("text", "binary")
    ]  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case, mode", _params(CASES))
def test_result_value(peers: Peers, case: Case, mode: str) -> None:
    if "hstore" in case.expr and not peers.has_hstore:
        pytest.skip("the hstore extension is not available on this server")
    peers.set_session(case.timezone, case.style)
    sql = f"select {case.expr}"
    expected = reference(peers, sql)
    if case.style:
        expected = styles_read_as_iso(peers, sql, case.style)
    expected = values_python_cannot_hold(peers, case.expr, expected)
    if mode == "text":
        got = outcome(peers.text, sql)
    else:  # a parameter makes it an extended-protocol statement, prepared at once
        got = prepared_outcome(peers.binary, sql.replace("%", "%%") + " where %s", (True,))
    same(expected, got)


def styles_read_as_iso(peers: Peers, sql: str, style: str) -> tuple[str, Any, Any]:
    """README: "Every DateStyle and IntervalStyle is read (psycopg2 misreads or refuses all but
    ISO/postgres)": the reference is psycopg2's value in DateStyle ISO, IntervalStyle postgres."""
    cur = peers.psycopg2.cursor()
    cur.execute("set datestyle = 'ISO, MDY'")
    cur.execute("set intervalstyle = postgres")
    try:
        return reference(peers, sql)
    finally:
        cur.execute(f"set {style}")


def values_python_cannot_hold(
    peers: Peers, expr: str, expected: tuple[str, Any, Any]
) -> tuple[str, Any, Any]:
    """README: "Values Python cannot hold (... `24:00:00`) raise `DataError` (psycopg2: ... a
    wrong value for `24:00`); an interval beyond `timedelta` comes back as
    `pgdbapi.types.Interval` (psycopg2: `OverflowError`)". psycopg2 drops what tells these
    apart, so the server is asked: the time's text, the interval's fields."""
    cur = peers.psycopg2.cursor()
    if expected[0] == "ok" and expected[2] == 1083 and expected[1] == dt.time(0):
        cur.execute(f"select ({expr})::text")
        if cur.fetchone()[0].startswith("24:"):
            return ("error", "DataError", None)
    if expected[:2] == ("error", "OverflowError"):
        cur.execute(
            "select (extract(year from v) * 12 + extract(month from v))::int,"
            " extract(day from v)::int, (extract(hour from v) * 3600000000"
            " + extract(minute from v) * 60000000 + extract(microseconds from v))::int8"
            f" from (select ({expr})::interval as v) t"
        )
        return ("ok", Interval(*cur.fetchone()), 1186)
    return expected


def test_binary_path_is_prepared(peers: Peers) -> None:
    """The "binary" mode above really runs prepared statements with binary results."""
    sql = "select 1::int4 as vs_pg2_marker where %s"
    assert prepared_outcome(peers.binary, sql, (True,)) == ("ok", 1, 23)
    cur = peers.binary.cursor()
    cur.execute("select count(*) from pg_prepared_statements where statement like '%%marker%%'")
    assert cur.fetchone()[0] == 1
    entries = peers.binary._cache._entries  # internal: the formats the statement binds with
    assert [e.result_formats for k, e in entries.items() if b"vs_pg2_marker" in k[0]] == [(1,)]
    cur = peers.text.cursor()
    cur.execute("select count(*) from pg_prepared_statements")
    assert cur.fetchone()[0] == 0


# ---------------------------------------------------------------------------------------------
# Parameters: psycopg2 inlines them; pgdbapi binds server-side (text and prepared/binary) or,
# with binding="client", inlines them too.
# ---------------------------------------------------------------------------------------------

KATHMANDU = dt.timezone(dt.timedelta(hours=5, minutes=45))
ST_JOHNS = dt.timezone(dt.timedelta(hours=-3, minutes=-30))


@dataclass
class Param:
    value: Any
    label: str
    xfail: str | None = None
    xfail_client: str | None = None  # mogrify and binding="client"
    xfail_bound: str | None = None  # server-side binding (text and prepared) only


NUL_STRING = (
    "a str holding NUL bound server-side: pgdbapi sends it and the server refuses it "
    "(CharacterNotInRepertoire, SQLSTATE 22021, a DataError subclass); psycopg2 (ValueError, "
    "README: DataError) refuses it before sending, as pgdbapi's client-side binding does"
)
EMPTY_NESTED = (
    "[[]]: psycopg2 inlines ARRAY[ARRAY[]] (the server: IndeterminateDatatype); pgdbapi sends "
    "an untyped '{}' (mogrify, client-side: text '{}') or '{{}}' (server-side: text '{{}}')"
)
MIXED_LIST = (
    "a list of mixed kinds ([1, 'a'], [True, 1]) bound server-side: psycopg2's ARRAY[1,'a'] "
    "fails on the server; pgdbapi sends an untyped '{1,a}' and gets the text back "
    "(docs/codec.md; client-side binding gives psycopg2's error)"
)

PARAMS = [
    Param(None, "None"), Param(True, "True"), Param(False, "False"), Param(0, "0"),
    Param(-5, "-5"), Param(-(2**15), "min int2"), Param(-(2**31), "min int4"),
    Param(2**31, "2**31"), Param(-(2**63), "min int8"), Param(2**63 - 1, "max int8"),
    Param(10**30, "10**30"), Param(-(10**30), "-10**30"),
    Param(1.5, "1.5"), Param(-2.25, "-2.25"), Param(float("nan"), "nan"),
    Param(float("inf"), "inf"), Param(float("-inf"), "-inf"), Param(-0.0, "-0.0"),
    Param(1e300, "1e300"), Param(5e-324, "5e-324"), Param(0.1, "0.1"),
    Param(Decimal("NaN"), "Decimal NaN"), Param(Decimal("Infinity"), "Decimal inf"),
    Param(Decimal("-Infinity"), "Decimal -inf"),
    Param(Decimal("1E-20"), "Decimal 1E-20"), Param(Decimal("1.000"), "Decimal 1.000"),
    Param(Decimal("-1.5"), "Decimal -1.5"),
    Param(Decimal("123456789012345678901234567890.000000000000000000001"), "Decimal long"),
    Param("", "empty str"), Param("it's \\ é €𝄞", "str quotes"), Param("a\nb\tc", "str ws"),
    Param(b"", "empty bytes"), Param(b"\x00\xff'\\", "bytes"), Param(bytearray(b"ab"), "bytearray"),
    Param(memoryview(b"mv"), "memoryview"),
    Param(dt.date(2020, 2, 29), "date"), Param(dt.date(1, 1, 1), "date.min"),
    Param(dt.date.max, "date.max"),
    Param(dt.time(1, 2, 3, 4), "time"), Param(dt.time(23, 59, 59, 999999), "time max"),
    Param(dt.time(1, 2, tzinfo=KATHMANDU), "timetz +05:45"),
    Param(dt.time(1, 2, tzinfo=ST_JOHNS), "timetz -03:30"),
    Param(dt.datetime(2020, 1, 2, 3, 4, 5, 6), "timestamp"),
    Param(dt.datetime(1, 1, 1), "timestamp min"),
    Param(dt.datetime(2020, 1, 2, 3, 4, tzinfo=KATHMANDU), "timestamptz +05:45"),
    Param(dt.datetime(2020, 7, 2, 3, 4, 5, 1, tzinfo=ST_JOHNS), "timestamptz -03:30"),
    Param(dt.datetime(2020, 1, 2, tzinfo=dt.timezone.utc), "timestamptz utc"),
    Param(dt.timedelta(0), "timedelta 0"),
    Param(dt.timedelta(days=-1, microseconds=5), "timedelta -1d+5us"),
    Param(dt.timedelta(days=400, seconds=3661, microseconds=7), "timedelta 400d"),
    Param(dt.timedelta(microseconds=-1), "timedelta -1us"),
    Param([1, 2, None], "int list"), Param([[1, 2], [3, 4]], "2-d list"),
    Param([1, 2**40], "int8 list"), Param([1, 10**30], "numeric list"),
    Param(["a b", None, 'q"\\', "NULL", "", "é"], "str list"),
    Param([1.5, 2.0], "float list"), Param([Decimal("1.5")], "Decimal list"),
    Param([True, None], "bool list"), Param([dt.date(2020, 1, 1)], "date list"),
    Param([b"\x00"], "bytes list"), Param([], "empty list"),
    Param([None], "None list"),
    Param(uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"), "UUID"),
    Param(Range(dt.date(2020, 1, 1), dt.date(2020, 2, 1)), "date Range"),
    Param(Range(dt.datetime(2020, 1, 1), None), "naive datetime Range"),
    Param(Range(dt.datetime(2020, 1, 1, tzinfo=KATHMANDU), None, "()"), "aware datetime Range"),
    Param(Range(1, 5), "int Range"),
    Param(Range(Decimal("1.5"), None, "()"), "Decimal Range"),
    Param(Range(empty=True), "empty Range"),
    Param(ipaddress.ip_interface("192.168.0.1/24"), "IPv4Interface"),
    Param(ipaddress.ip_address("::1"), "IPv6Address"),
    Param(ipaddress.ip_network("10.0.0.0/8"), "IPv4Network"),
    Param(pgdbapi.extras.Json({"a": [1, "é", None]}), "Json"),
    Param({"a": "1", "b": None, "é k": 'v "q"'}, "dict (hstore)"),
    Param("a\x00b", "str with NUL", xfail_bound=NUL_STRING),
    Param([[]], "[[]]", xfail=EMPTY_NESTED),
    Param([[1, 2], [3]], "ragged list"),
    Param([None, None], "[None, None]"),
    Param([[None]], "[[None]]"),
    Param([1, "a"], "[1, 'a']", xfail_bound=MIXED_LIST),
    Param([True, 1], "[True, 1]", xfail_bound=MIXED_LIST),
    Param([uuid.UUID(int=1), None], "UUID list"),
    Param([dt.timedelta(days=1), dt.timedelta(microseconds=-1)], "timedelta list"),
    Param([dt.datetime(2020, 1, 1, tzinfo=KATHMANDU)], "aware datetime list"),
    Param(["{}", "a,b", "NULL", " x "], "str list with array syntax"),
    Param([Decimal("NaN"), 1], "Decimal NaN and int list"),
    Param([1.5, None, float("inf")], "float list with None"),
    Param([1, 2.5, None], "ints and floats list"),
    Param([b"\x00", None], "bytes list with None"),
    Param([dt.time(1, 2)], "time list"),
]


def _param_params() -> list[Any]:
    return [
        pytest.param(p, mode, id=f"{mode}: {p.label}",
                     marks=xfail_if((p.xfail_client if mode == "client" else p.xfail_bound)
                                    or p.xfail))
        for p in PARAMS
        for mode in ("server", "binary", "client")
    ]  # fmt: skip


@pytest.mark.parametrize("param, mode", _param_params())
def test_parameter(peers: Peers, param: Param, mode: str) -> None:
    peers.set_session()
    value = param.value
    if isinstance(value, dict) and not peers.has_hstore:
        pytest.skip("the hstore extension is not available on this server")
    ref = psycopg2_counterpart(value)
    sql = f"select {float_param_as_float8('%s', value)}"
    expected = reference(peers, sql, (ref,), server_error_ok=True)  # a value may be refused
    conn = {"server": peers.text, "binary": peers.binary, "client": peers.client}[mode]
    run = prepared_outcome if mode == "binary" else outcome
    if mode != "client":
        expected = ragged_list_refused(value, expected)
    same(expected, run(conn, "select %s", (value,)))
    # the value as the server sees it, spelled by the server
    sql = f"select ({float_param_as_float8('%s', value)})::text"
    expected = reference(peers, sql, (ref,), server_error_ok=True)
    if mode != "client":
        expected = ragged_list_refused(value, expected)
    same(expected, run(conn, "select (%s)::text", (value,)))


def ragged_list_refused(value: Any, expected: tuple[str, Any, Any]) -> tuple[str, Any, Any]:
    """README: "A list that psycopg2 would send as a ragged `ARRAY[...]` is refused before
    sending (`DataError`)" (psycopg2: the server's ArraySubscriptError). Server-side binding
    only: inlined by pgdbapi, the list reaches the server as psycopg2's does."""
    if expected[:3] == ("error", "ArraySubscriptError", "2202E"):
        return ("error", "DataError", None)
    return expected


ZONED_VALUES = [
    dt.datetime(2020, 3, 8, 2, 30),  # a local time that does not exist in America/St_Johns
    dt.datetime(2020, 11, 1, 1, 15),  # one that exists twice there
    dt.datetime(2020, 7, 1, 12, 0, tzinfo=KATHMANDU),
    dt.datetime(2020, 10, 25, 0, 30, tzinfo=dt.timezone.utc),  # Berlin's repeated hour
    dt.date(2020, 3, 8),
    dt.time(12, 0, tzinfo=ST_JOHNS),
]


@pytest.mark.parametrize("zone", ["Asia/Kathmandu", "America/St_Johns", "Europe/Berlin"])
@pytest.mark.parametrize("cast", ["", "::timestamptz", "::timestamp", "::date", "::text"])
def test_datetime_parameter_in_a_zone(peers: Peers, zone: str, cast: str) -> None:
    """Date/time parameters read by the server in the session TimeZone, cast every way."""
    peers.set_session(zone)
    for value in ZONED_VALUES:
        if isinstance(value, dt.time) and cast not in ("", "::text"):
            continue
        sql = f"select %s{cast}"
        expected = reference(peers, sql, (value,))
        for conn in peers.pgdbapi_conns():
            run = prepared_outcome if conn is peers.binary else outcome
            same(expected, run(conn, sql, (value,)))


def _mogrify_params() -> list[Any]:
    return [
        pytest.param(p, id=p.label, marks=xfail_if(p.xfail_client or p.xfail))
        for p in PARAMS
    ]


def mogrified(conn: Any, sql: str, args: Any) -> Any:
    """``cursor.mogrify``'s bytes, or the class name of what it raised."""
    try:
        return conn.cursor().mogrify(sql, args)
    except Exception as exc:  # compared with the other driver's
        return type(exc).__name__


@pytest.mark.parametrize("param", _mogrify_params())
def test_mogrify(peers: Peers, param: Param) -> None:
    value = param.value
    if isinstance(value, dict) and not peers.has_hstore:
        pytest.skip("the hstore extension is not available on this server")
    literal = mogrified(peers.psycopg2, "select %s", (psycopg2_counterpart(value),))
    if isinstance(literal, str):  # what it raised
        literal = value_error_as_DataError(literal)
    else:
        literal = float_literal_as_float8(min_ints_in_brackets(literal, value), value)
        if _is_float_list(value):  # float8 elements
            literal = re.sub(rb"(\d)(?=[,\]])", rb"\1::float8", literal)
            literal = re.sub(rb"::float(?=[,\]])", b"::float8", literal)
    for conn in (peers.text, peers.client):
        same_statement(peers, mogrified(conn, "select %s", (value,)), literal)


def same_statement(peers: Peers, got: Any, expected: Any) -> None:
    """README: "`mogrify` may spell a value differently (...): the same value": two
    spellings agree when psycopg2 runs both to the same value and type."""
    if isinstance(got, bytes) and isinstance(expected, bytes) and got != expected:
        got_value = reference(peers, got.decode(), server_error_ok=True)
        same(reference(peers, expected.decode(), server_error_ok=True), got_value)
    else:
        agree(got, expected, "mogrify")


def test_tuple_parameter_in(peers: Peers) -> None:
    sql = "select 3 in %s, %s"
    args = ((1, 2, 3), "x")
    assert peers.text.cursor().mogrify(sql, args) == peers.psycopg2.cursor().mogrify(sql, args)
    for conn in peers.pgdbapi_conns():
        same(outcome(peers.psycopg2, sql, args), outcome(conn, sql, args))


def test_is_parameter(peers: Peers) -> None:
    sql = "select null is %s, true is %s, 1 is not %s"
    args = (None, True, None)
    assert peers.text.cursor().mogrify(sql, args) == peers.psycopg2.cursor().mogrify(sql, args)
    for conn in peers.pgdbapi_conns():
        cur = conn.cursor()
        cur.execute(sql, args)
        assert cur.fetchone() == (True, True, True)


@pytest.mark.parametrize(
    "value",
    [(1, "x", [Decimal("1.5")]), (None, "q'\"", []), (1,), ((1, "a", None), ["t"])],
    ids=["fields", "NULL, quotes, empty array", "too few fields", "nested"],
)
def test_composite_parameter(peers: Peers, value: tuple[Any, ...]) -> None:
    """A tuple is inlined as a ROW literal (client-side binding), read back through
    register_composite; errors compare by class and SQLSTATE."""
    peers.set_session()
    target = "vs_pg2_outer" if len(value) == 2 else "vs_pg2_comp"
    sql = f"select %s::{target}"
    agree(peers.text.cursor().mogrify(sql, (value,)),
          peers.psycopg2.cursor().mogrify(sql, (value,)), "mogrify")  # fmt: skip
    expected = reference(peers, sql, (value,), server_error_ok=True)
    for conn in peers.pgdbapi_conns():
        same(expected, outcome(conn, sql, (value,)))


def test_named_parameters_and_percent(peers: Peers) -> None:
    sql = "select %(a)s || '%%' || %(b)s || %(a)s"
    args = {"a": "x'y", "b": "é"}
    assert peers.text.cursor().mogrify(sql, args) == peers.psycopg2.cursor().mogrify(sql, args)
    for conn in peers.pgdbapi_conns():
        same(outcome(peers.psycopg2, sql, args), outcome(conn, sql, args))


# ---------------------------------------------------------------------------------------------
# cursor.description, rowcount, statusmessage
# ---------------------------------------------------------------------------------------------


# (expression, xfail reason or None)
DESCRIBED: list[tuple[str, str | None]] = [
    ("1::int2", None), ("1::int4", None), ("1::int8", None), ("1::float4", None),
    ("1::float8", None), ("true", None), ("1::oid", None), ("'x'::varchar(20)", None),
    ("'x'::char(5)", None), ("'x'::name", None), ("now()::timestamp(3)", None),
    ("now()", None), ("'1 day'::interval(2)", None), ("'12:00'::time(0)", None),
    ("'12:00+01'::timetz", None), ("current_date", None), ("gen_random_uuid()", None),
    ("'happy'::vs_pg2_mood", None), ("5::vs_pg2_posint", None),
    ("1.5::numeric(7,3)", None), ("12.5::vs_pg2_money", None),
    ("1.5::numeric", None),
    ("'x'::varchar", None), ("'x'::text", None), ("null", None),
    ("'x'", None), ("'\\x00'::bytea", None), ("'{1}'::int[]", None),
    ("row(1, 2)", None), ("'{}'::jsonb", None), ("B'1'::bit(3)", None),
    ("'[1,2)'::int4range", None),
    ("'{x}'::varchar(4)[]", None), ("'{1.5}'::numeric(4,1)[]", None),
]


def _described_params() -> list[Any]:
    return [pytest.param(f"select {e} as col", id=e, marks=xfail_if(r)) for e, r in DESCRIBED]


def _description(conn: Any, sql: str, args: Any = None) -> list[Any]:
    cur = conn.cursor()
    cur.execute(sql, args)
    return [(tuple(c), c.table_oid, c.table_column) for c in cur.description]


def unconstrained_numeric_as_None(column: tuple[Any, ...]) -> tuple[Any, ...]:
    """README: "`cursor.description`'s precision and scale are `None` for an unconstrained
    `numeric` (psycopg2: 65535)"."""
    if column[1] == 1700 and column[4:6] == (65535, 65535):
        return column[:4] + (None, None) + column[6:]
    return column


def descriptions_agree(peers: Peers, sql: str) -> None:
    """pgdbapi's description of ``sql`` is psycopg2's: unprepared, preparing, prepared."""
    expected = [(unconstrained_numeric_as_None(c), *rest)
                for c, *rest in _description(peers.psycopg2, sql)]  # fmt: skip
    for conn in peers.pgdbapi_conns():
        agree(_description(conn, sql), expected, "description")
        for _ in range(2):
            got = _description(conn, sql + " where %s", (True,))
            agree(got, expected, "description (prepared)")


@pytest.mark.parametrize("sql", _described_params())
def test_description_of_expression(peers: Peers, sql: str) -> None:
    """All seven items (name, type_code, display_size, internal_size, precision, scale,
    null_ok) plus table_oid / table_column, unprepared and prepared."""
    descriptions_agree(peers, sql)


TABLE_COLUMNS: list[tuple[str, str | None]] = [
    ("id int primary key", None), ("n numeric(10,2) not null", None),
    ("v varchar(30)", None), ("c char(2) not null default 'x'", None),
    ("t timestamptz(0)", None), ("a text[]", None),
]


@pytest.mark.parametrize(
    "column",
    [pytest.param(col, id=col, marks=xfail_if(r)) for col, r in TABLE_COLUMNS],
)
def test_description_of_table_column(peers: Peers, column: str) -> None:
    name = column.split()[0]
    table = f"vs_pg2_described_{name}"
    peers.psycopg2.cursor().execute(
        f"drop table if exists {table}; create table {table} ({column})"
    )
    sql = f"select {name} from {table}"
    descriptions_agree(peers, sql)


STATEMENTS = [
    "drop table if exists vs_pg2_rows",
    "create table vs_pg2_rows (a int, b text)",
    "insert into vs_pg2_rows values (1, 'x'), (2, 'y'), (3, null)",
    "insert into vs_pg2_rows select 4, 'z' where false",
    "update vs_pg2_rows set b = 'w' where a > 1",
    "select * from vs_pg2_rows order by a",
    "select * from vs_pg2_rows where false",
    "insert into vs_pg2_rows values (5, 'v') returning a",
    "delete from vs_pg2_rows where a = 1",
    "merge into vs_pg2_rows t using (values (2), (9)) s(a) on t.a = s.a"
    " when matched then update set b = 'm' when not matched then insert values (s.a, 'n')",
    "drop table if exists vs_pg2_copy, vs_pg2_into",
    "create temp table vs_pg2_copy as select * from vs_pg2_rows",
    "select 1 into temp vs_pg2_into",
    "truncate vs_pg2_rows",
    "begin", "savepoint s1", "release savepoint s1", "commit",
    "set search_path = public", "show search_path", "reset search_path",
    "explain select 1", "values (1), (2)", "do $$ begin end $$",
    "prepare vs_pg2_p as select 1", "execute vs_pg2_p", "deallocate vs_pg2_p",
    "listen vs_pg2_chan", "notify vs_pg2_chan", "unlisten vs_pg2_chan",
    "drop table vs_pg2_rows",
]


def _status(conn: Any, sql: str, args: Any) -> tuple[Any, ...]:
    cur = conn.cursor()
    cur.execute(sql, args)
    rows = cur.fetchall() if cur.description is not None else None
    return (cur.rowcount, cur.statusmessage, rows, cur.description is None)


def _fetch_error(cur: Any) -> str | None:
    try:
        cur.fetchall()
    except Exception as exc:  # compared with the other driver's
        return type(exc).__name__
    return None


ONE_OFF_STATEMENTS = [
    ("copy (select 1) to stdout", None),
    ("select 1; select 2, 3", None),
    ("select 1 where false; create temp table if not exists vs_pg2_t2 ()", None),
    ("create temp table if not exists vs_pg2_t3 (a int); insert into vs_pg2_t3 values (1), (2);"
     " update vs_pg2_t3 set a = 3", None),
    ("lock table pg_class", None),
    ("select 1/0", None),
    ("vacuum pg_class", None),
    ("", None),
    ("   ", None),
    ("-- nothing", None),
]


@pytest.mark.parametrize(
    "sql",
    [pytest.param(sql, id=repr(sql), marks=xfail_if(r)) for sql, r in ONE_OFF_STATEMENTS],
)
def test_statement_outcome(peers: Peers, sql: str) -> None:
    """rowcount, statusmessage, description, rows and the error class of fetchall() (or of
    execute()) of statements with no parameters."""

    def run(conn: Any) -> tuple[Any, ...]:
        cur = conn.cursor()
        try:
            cur.execute(sql)
        except Exception as exc:  # compared with the other driver's
            return ("error", type(exc).__name__, getattr(exc, "pgcode", None))
        description = cur.description and [tuple(c) for c in cur.description]
        return (cur.rowcount, cur.statusmessage, description, _fetch_error(cur))

    expected = run(peers.psycopg2)
    for conn in peers.pgdbapi_conns():
        agree(run(conn), expected, "rowcount, statusmessage, description, fetch error")


@pytest.mark.parametrize("extended", [False, True], ids=["simple", "with a parameter"])
def test_rowcount_and_statusmessage(peers: Peers, extended: bool) -> None:
    ref = [_status(peers.psycopg2, sql, None) for sql in STATEMENTS]
    for conn in peers.pgdbapi_conns():
        got = []
        for sql in STATEMENTS:
            if extended and sql.startswith(("select", "insert", "update", "delete")):
                # same statement, now with a parameter (extended protocol, prepared for
                # the prepare_threshold=0 connection)
                got.append(_status(conn, sql + (" and %s" if "where" in sql else ""),
                                   (True,) if "where" in sql else None))  # fmt: skip
            else:
                got.append(_status(conn, sql, None))
        agree(got, ref, "rowcount, statusmessage, rows, description is None")


REPEATED = [
    "select a, b from vs_pg2_rep where a > %s order by a",
    "update vs_pg2_rep set b = b where a > %s",
    "delete from vs_pg2_rep where a < %s",
    "insert into vs_pg2_rep select a + 100, b from vs_pg2_rep where a > %s and a < 0",
]


def test_rowcount_and_statusmessage_prepared(peers: Peers) -> None:
    """The same statements three times (pgdbapi prepares them at the first use on the
    prepare_threshold=0 connection and runs them prepared after)."""
    setup = (
        "drop table if exists vs_pg2_rep;"
        "create table vs_pg2_rep as select g as a, g::text as b from generate_series(1, 5) g"
    )
    peers.psycopg2.cursor().execute(setup)
    expected = [_status(peers.psycopg2, sql, (2,)) for sql in REPEATED * 3]
    for conn in peers.pgdbapi_conns():
        peers.psycopg2.cursor().execute(setup)
        got = [_status(conn, sql, (2,)) for sql in REPEATED * 3]
        agree(got, expected, "rowcount, statusmessage, rows, description is None")


def _executemany(conn: Any) -> list[tuple[Any, Any]]:
    cur = conn.cursor()
    cur.execute("create temp table if not exists vs_pg2_many (a int)")
    cur.execute("truncate vs_pg2_many")
    out = []
    for sql, args in (
        ("insert into vs_pg2_many values (%s)", [(1,), (2,), (2,)]),
        ("update vs_pg2_many set a = a + 1 where a = %s", [(2,), (7,)]),
        ("delete from vs_pg2_many where a = %s", [(1,)]),
    ):
        cur.executemany(sql, args)
        out.append((cur.rowcount, cur.statusmessage))
    return out


def test_rowcount_of_executemany(peers: Peers) -> None:
    expected = [rowcount for rowcount, _ in _executemany(peers.psycopg2)]
    for conn in peers.pgdbapi_conns():
        assert [rowcount for rowcount, _ in _executemany(conn)] == expected


def test_statusmessage_of_executemany(peers: Peers) -> None:
    expected = [status for _, status in _executemany(peers.psycopg2)]
    for conn in peers.pgdbapi_conns():
        agree([status for _, status in _executemany(conn)], expected, "statusmessage")


# (statement, unused: every case agrees now)
ERRORS = [
    ("select 1/0", None),
    ("select 'x'::int", None),
    ("select 2147483647::int + 1", None),
    ("select (1e400)::float8", None),
    ("select '2020-13-01'::date", None),
    ("select '{1'::int[]", None),
    ("select E'\\xff'::text", None),
    ("insert into vs_pg2_err values (1, 1, null), (1, 1, null)", None),
    ("insert into vs_pg2_err values (2, null, null)", None),
    ("insert into vs_pg2_err values (3, -1, null)", None),
    ("insert into vs_pg2_err values (4, 1, 99)", None),
    ("selec 1", None),
    ("select * from vs_pg2_nope", None),
    ("select nope from vs_pg2_err", None),
    ("set statement_timeout = 'x'", None),
    ("do $$ begin raise exception using errcode = 'P0001', message = 'boom é', detail = 'd',"
     " hint = 'h'; end $$", None),
]


def _raised(conn: Any, sql: str, args: Any) -> Any:
    try:
        conn.cursor().execute(sql, args)
    except Exception as exc:  # the point of the comparison
        return exc
    pytest.fail(f"{sql!r} did not fail", pytrace=False)


def _error_fields(exc: Any) -> tuple[Any, ...]:
    bases = {"DataError", "IntegrityError", "ProgrammingError", "OperationalError",
             "InternalError", "NotSupportedError", "DatabaseError", "Error"}  # fmt: skip
    diag = exc.diag
    return (
        type(exc).__name__,
        sorted(b.__name__ for b in type(exc).__mro__ if b.__name__ in bases),
        exc.pgcode,
        [getattr(diag, f) for f in ("sqlstate", "severity", "message_primary",
                                    "message_detail", "message_hint", "statement_position",
                                    "table_name", "column_name", "constraint_name")],
    )  # fmt: skip


def _both_protocols(peers: Peers, sql: str) -> Iterator[tuple[Any, Any, Any]]:
    """(pgdbapi connection, SQL, args): as a simple query, and with a parameter (extended
    protocol; prepared on the prepare_threshold=0 connection) unless it is a DO block."""
    for conn in peers.pgdbapi_conns():
        yield conn, sql, None
        if "$$" not in sql:
            yield conn, sql.replace("%", "%%") + " --%s", (1,)


@pytest.fixture
def error_table(peers: Peers) -> None:
    peers.set_session()
    peers.psycopg2.cursor().execute(
        "create table if not exists vs_pg2_err (a int primary key,"
        " b int not null check (b > 0), c int references vs_pg2_err (a))"
    )


def errors_agree(peers: Peers, sql: str, view: Callable[[Any], Any], what: str) -> None:
    """``view`` of the exception ``sql`` raises: psycopg2's, and pgdbapi's on every path."""
    expected = view(_raised(peers.psycopg2, sql, None))
    for conn, query, args in _both_protocols(peers, sql):
        got = view(_raised(conn, query, args))
        if args is not None and isinstance(got, str):
            # libpq's LINE line shows the statement as sent: the parameterized one here
            # (' --$1' appended) against psycopg2's inlined text; the caret must still agree
            got, expected_here = _without_line(got), _without_line(expected)
            agree(got, expected_here, what)
        else:
            agree(got, expected, what)


def _without_line(message: str) -> str:
    return "\n".join(x for x in message.split("\n") if not x.startswith("LINE "))


@pytest.mark.parametrize("sql", [sql for sql, _ in ERRORS])
def test_server_error(peers: Peers, error_table: None, sql: str) -> None:
    """Exception class, PEP 249 base classes, pgcode and diag fields."""
    errors_agree(peers, sql, _error_fields, "error")


@pytest.mark.parametrize("sql", [sql for sql, _ in ERRORS])
def test_server_error_pgerror(peers: Peers, error_table: None, sql: str) -> None:
    """libpq's text: severity, message, LINE and caret, DETAIL, HINT, CONTEXT."""
    errors_agree(peers, sql, lambda exc: exc.pgerror, "pgerror")


@pytest.mark.parametrize("sql", [sql for sql, _ in ERRORS])
def test_server_error_str(peers: Peers, error_table: None, sql: str) -> None:
    errors_agree(peers, sql, str, "str(exc)")


@pytest.mark.parametrize(
    "sql, before, after",
    [
        pytest.param("select '2020-07-01 12:00'::timestamptz where %s", ("UTC", ""),
                     ("Asia/Kathmandu", ""), id="TimeZone"),
        pytest.param("select '05/06/2024'::date where %s", ("UTC", "datestyle = 'ISO, MDY'"),
                     ("UTC", "datestyle = 'ISO, DMY'"), id="DateStyle"),
        pytest.param("select '-1 2:00:00'::interval::text where %s",
                     ("UTC", "intervalstyle = postgres"), ("UTC", "intervalstyle = sql_standard"),
                     id="IntervalStyle"),
    ],
)  # fmt: skip
def test_prepared_statement_after_a_setting_changes(
    peers: Peers, sql: str, before: tuple[str, str], after: tuple[str, str]
) -> None:
    """The server parses literals by TimeZone, DateStyle and IntervalStyle when a statement
    is prepared and does not re-plan it when they change: psycopg2 sends the text every time,
    so pgdbapi's prepared statements must not outlive such a change."""
    peers.set_session(*before)
    prepared_outcome(peers.binary, sql, (True,))
    peers.set_session(*after)
    expected = reference(peers, sql, (True,))
    for conn in peers.pgdbapi_conns():
        same(expected, outcome(conn, sql, (True,)))


SWEEPS = {
    # float4 (ordinary, subnormal, huge): binary uses docs/codec.md's shortest-repr rule
    "float4": (
        "UTC",
        "select array_agg(v) from (select ((i * 0.37 - 1.1) / 7)::float4 as v"
        " from generate_series(1, 300) i union all select (i * 1.3e-42)::float4"
        " from generate_series(1, 100) i union all select (3.4e38 / i)::float4"
        " from generate_series(1, 100) i) t",
    ),
    "float8": (
        "UTC",
        "select array_agg(((i * 0.37 - 1.1) / 7)::float8 * 10::float8 ^ (i % 600 - 300))"
        " from generate_series(1, 600) i",
    ),
    "numeric": (
        "UTC",
        "select array_agg(v) from (select (i::numeric / 7) * 10::numeric ^ (i % 40 - 20) as v"
        " from generate_series(1, 200) i union all select ('-1e' || i)::numeric"
        " from generate_series(-30, 30) i union all select round(i::numeric / 3, i % 9)"
        " from generate_series(1, 50) i) t",
    ),
    **{
        f"timestamptz in {zone}": (
            zone,
            "select array_agg(t) from generate_series('2020-03-07 20:00+00'::timestamptz,"
            " '2020-11-02 00:00+00', '97 minutes') t",
        )
        for zone in ZONES_WITH_ODD_OFFSETS
    },
    "interval": (
        "UTC",
        "select array_agg(make_interval(0, i % 13 - 6, 0, i % 41 - 20, 0, 0, i * 1234.567891)"
        " * (case when i % 2 = 0 then 1 else -1 end)) from generate_series(1, 300) i",
    ),
}


@pytest.mark.parametrize("name", list(SWEEPS))
def test_sweep(peers: Peers, name: str) -> None:
    """Many values of one type in one array: the text path and the binary (prepared) path
    against psycopg2 (text)."""
    zone, sql = SWEEPS[name]
    peers.set_session(zone)
    expected = reference(peers, sql)
    assert expected[0] == "ok" and len(expected[1]) >= 100
    same(expected, outcome(peers.text, sql))
    prepared = sql.replace("%", "%%") + " where %s"
    same(expected, prepared_outcome(peers.binary, prepared, (True,)))
