"""The less common built-in types, shared by both codec twins.

Network addresses, bit strings, LSNs, snapshots, tids, void, ranges, multiranges and
records are rare in hot loops, so there is one implementation of them, in Python: the
pure-Python twin registers these decoders directly and the Cython codec calls them (its
own decoders still decode range bounds, record fields and array elements). Built-in
ranges and multiranges, and inet/cidr in binary, are the exceptions: the Cython codec
decodes them itself (_codec_more.pxi), with the same results and errors as the decoders
here. Behaviour is specified in docs/codec.md.

Decoders have the twins' signature ``f(buf, pos, n)``; the ones that contain values of
other types (ranges, multiranges, records) are built by a factory from ``lookup(oid)``,
which returns the twin's decoder of that oid in the same format.
"""

from __future__ import annotations

import re
import struct
from datetime import date, datetime
from decimal import Decimal
from ipaddress import (
    IPv4Address,
    IPv4Interface,
    IPv4Network,
    IPv6Address,
    IPv6Interface,
    IPv6Network,
    ip_address,
    ip_interface,
    ip_network,
)
from typing import Any, Callable

from . import _pycodec_encode as enc
from . import oids
from .exceptions import DataError, ProgrammingError
from .types import INFINITY, INFINITY_MODES, MINUS_INFINITY, Range, _Infinity

Decoder = Callable[[Any, int, int], Any]
Lookup = Callable[[int], Decoder]
Factory = Callable[[Lookup], Decoder]

_i32 = struct.Struct("!i").unpack_from
_u32 = struct.Struct("!I").unpack_from
_u64 = struct.Struct("!Q").unpack_from
_i64 = struct.Struct("!q").unpack_from
_tid = struct.Struct("!IH").unpack_from
_snapshot_head = struct.Struct("!iqq").unpack_from
_pack_i32 = struct.Struct("!i").pack

INET, CIDR, RECORD, TID, VOID = oids.INET, oids.CIDR, oids.RECORD, oids.TID, oids.VOID
RANGE_SUBTYPE, MULTIRANGE_RANGE = oids.RANGE_SUBTYPE, oids.MULTIRANGE_RANGE
_SUBTYPE_RANGE = {sub: rng for rng, sub in RANGE_SUBTYPE.items()}


def _text(buf: Any, pos: int, n: int) -> str:
    return str(buf[pos:pos + n], "utf-8")


def _check(cond: bool, what: str) -> None:
    if not cond:
        raise DataError(f"invalid {what} value")


# -- network addresses -----------------------------------------------------------------------


def _inet_value(iface: IPv4Interface | IPv6Interface) -> Any:
    """inet: an address when the prefix is the full length, else an interface (psycopg 3)."""
    if iface.network.prefixlen == iface.max_prefixlen:
        return iface.ip
    return iface


def _text_inet(buf: Any, pos: int, n: int) -> Any:
    text = _text(buf, pos, n)
    if "/" not in text:  # the server omits a full-length prefix: a plain address
        return ip_address(text)
    return _inet_value(ip_interface(text))


def _text_cidr(buf: Any, pos: int, n: int) -> Any:
    return ip_network(_text(buf, pos, n))


_FAMILIES = {2: (4, IPv4Address, IPv4Interface, IPv4Network),
             3: (16, IPv6Address, IPv6Interface, IPv6Network)}


def _inet_fields(buf: Any, pos: int, n: int) -> tuple[int, int, Any]:
    """(address as an int, prefix bits, the family's classes): built from an int, the
    ipaddress classes skip parsing (an address is ~15x faster than from bytes via a tuple)."""
    _check(n >= 4, "inet/cidr")
    family, bits, _is_cidr, nb = buf[pos:pos + 4]
    classes = _FAMILIES.get(family)
    _check(
        classes is not None and nb == classes[0] and n == 4 + nb and bits <= 8 * nb, "inet/cidr"
    )
    return int.from_bytes(buf[pos + 4:pos + n], "big"), bits, classes


def _bin_inet(buf: Any, pos: int, n: int) -> Any:
    addr, bits, (nb, address, interface, _) = _inet_fields(buf, pos, n)
    if bits == 8 * nb:
        return address(addr)
    return interface((addr, bits))


def _bin_cidr(buf: Any, pos: int, n: int) -> Any:
    addr, bits, classes = _inet_fields(buf, pos, n)
    return classes[3]((addr, bits))


def _inet_binary(v: Any) -> bytes:
    if isinstance(v, (IPv4Network, IPv6Network)):
        addr, bits, is_cidr = v.network_address, v.prefixlen, 1
    elif isinstance(v, (IPv4Interface, IPv6Interface)):
        addr, bits, is_cidr = v.ip, v.network.prefixlen, 0
    else:
        addr, bits, is_cidr = v, v.max_prefixlen, 0
    packed = addr.packed
    return bytes((2 if len(packed) == 4 else 3, bits, is_cidr, len(packed))) + packed


# -- other scalars ---------------------------------------------------------------------------


def _mac(size: int) -> Decoder:
    def decode(buf: Any, pos: int, n: int) -> str:
        _check(n == size, "macaddr")
        return ":".join(f"{b:02x}" for b in buf[pos:pos + n])

    return decode


def _bin_bits(buf: Any, pos: int, n: int) -> str:
    _check(n >= 4, "bit string")
    nbits = _i32(buf, pos)[0]
    nbytes = n - 4
    _check(nbits >= 0 and (nbits + 7) // 8 == nbytes, "bit string")
    if nbits == 0:
        return ""
    value = int.from_bytes(buf[pos + 4:pos + n], "big")
    return format(value, f"0{8 * nbytes}b")[:nbits]


def _bin_lsn(buf: Any, pos: int, n: int) -> str:
    _check(n == 8, "pg_lsn")
    v = _u64(buf, pos)[0]
    return f"{v >> 32:X}/{v & 0xFFFFFFFF:X}"


def _bin_snapshot(buf: Any, pos: int, n: int) -> str:
    _check(n >= 20, "snapshot")
    nxip, xmin, xmax = _snapshot_head(buf, pos)
    _check(nxip >= 0 and n == 20 + 8 * nxip, "snapshot")
    xips = struct.unpack_from(f"!{nxip}q", buf, pos + 20)
    return f"{xmin}:{xmax}:{','.join(map(str, xips))}"


def _bin_jsonpath(buf: Any, pos: int, n: int) -> str:
    _check(n >= 1 and buf[pos] == 1, "jsonpath (version)")
    return _text(buf, pos + 1, n - 1)


def _void(buf: Any, pos: int, n: int) -> None:
    return None


def _text_tid(buf: Any, pos: int, n: int) -> tuple[int, int]:
    s = _text(buf, pos, n)
    _check(s[:1] == "(" and s[-1:] == ")" and s.count(",") == 1, "tid")
    block, offset = s[1:-1].split(",")
    _check(block.isdigit() and offset.isdigit() and block.isascii() and offset.isascii(), "tid")
    return int(block), int(offset)


def _bin_tid(buf: Any, pos: int, n: int) -> tuple[int, int]:
    _check(n == 6, "tid")
    return _tid(buf, pos)  # type: ignore[no-any-return]


def _bin_reg(buf: Any, pos: int, n: int) -> int:
    _check(n == 4, "reg*")
    return _u32(buf, pos)[0]  # type: ignore[no-any-return]


TEXT_DECODERS: dict[int, Decoder] = {
    INET: _text_inet, CIDR: _text_cidr, VOID: _void, TID: _text_tid,
}
# str in text format: the decoder of oids without one, so nothing is registered for
# macaddr, bit, pg_lsn, money, snapshots, tsvector/tsquery, xml, jsonpath, geometric, reg*.

BINARY_DECODERS: dict[int, Decoder] = {
    INET: _bin_inet, CIDR: _bin_cidr, oids.MACADDR: _mac(6), oids.MACADDR8: _mac(8),
    oids.BIT: _bin_bits, oids.VARBIT: _bin_bits, oids.PG_LSN: _bin_lsn,
    oids.TXID_SNAPSHOT: _bin_snapshot, oids.PG_SNAPSHOT: _bin_snapshot, oids.XML: _text,
    oids.JSONPATH: _bin_jsonpath, VOID: _void, TID: _bin_tid,
    **{oid: _bin_reg for oid in oids.REG_NAMES},
}


# -- ranges and multiranges ------------------------------------------------------------------

_RANGE_EMPTY, _LB_INC, _UB_INC, _LB_INF, _UB_INF = 0x01, 0x02, 0x04, 0x08, 0x10
_RANGE_SPECIAL = b'()[],"\\ \t\n\r\v\f'


def _range_bound(s: bytes, i: int) -> tuple[bytes | None, int]:
    """One bound of range text starting at s[i]: (its bytes or None if absent, end)."""
    out = bytearray()
    quoted = False
    start = i
    while i < len(s):
        c = s[i]
        if quoted:
            if c == 0x22:  # '"'
                if s[i + 1:i + 2] == b'"':
                    out.append(c)
                    i += 1
                else:
                    quoted = False
            elif c == 0x5C:  # '\\'
                i += 1
                _check(i < len(s), "range")
                out.append(s[i])
            else:
                out.append(c)
        elif c == 0x22:
            quoted = True
        elif c == 0x5C:
            i += 1
            _check(i < len(s), "range")
            out.append(s[i])
        elif c in b",)]":
            break
        else:
            out.append(c)
        i += 1
    _check(not quoted and i < len(s), "range")
    return (None if i == start else bytes(out)), i


# A range whose bounds need no unescaping: each bound unquoted (empty: absent) or quoted
# without backslashes or doubled quotes, as the server prints ranges of numbers, dates and
# timestamps. Anything else takes the character loop of _range_bound.
_PLAIN_RANGE = re.compile(
    rb'([\[(])(?:"([^"\\]*)"(?!")|([^",()\[\]\\]*)),(?:"([^"\\]*)"(?!")|([^",()\[\]\\]*))([\])])'
).match
def _parse_range(s: bytes, i: int, elem: Decoder) -> tuple[Range, int]:
    """One range in text form starting at s[i] -> (Range, index after it)."""
    m = _PLAIN_RANGE(s, i)
    if m is not None:
        opening, qlo, lo, qhi, hi, closing = m.groups()
        lower = qlo if qlo is not None else (lo or None)
        upper = qhi if qhi is not None else (hi or None)
        i = m.end() - 1
    else:
        if s[i:i + 5].lower() == b"empty":
            return Range._from_parts(None, None, ""), i + 5
        opening = s[i:i + 1]
        _check(opening in (b"[", b"("), "range")
        lower, i = _range_bound(s, i + 1)
        _check(s[i:i + 1] == b",", "range")
        upper, i = _range_bound(s, i + 1)
        closing = s[i:i + 1]
        _check(closing in (b"]", b")"), "range")
    lo_value = None if lower is None else elem(lower, 0, len(lower))
    hi_value = None if upper is None else elem(upper, 0, len(upper))
    return Range(lo_value, hi_value, (opening + closing).decode()), i + 1


def text_range(elem: Decoder) -> Decoder:
    def decode(buf: Any, pos: int, n: int) -> Range:
        s = bytes(buf[pos:pos + n])
        r, end = _parse_range(s, 0, elem)
        _check(end == n, "range")
        return r

    return decode


def text_multirange(elem: Decoder) -> Decoder:
    def decode(buf: Any, pos: int, n: int) -> list[Range]:
        s = bytes(buf[pos:pos + n])
        _check(s[:1] == b"{" and s[-1:] == b"}", "multirange")
        out: list[Range] = []
        i = 1
        if s[i:i + 1] != b"}":
            while True:
                r, i = _parse_range(s, i, elem)
                out.append(r)
                if s[i:i + 1] != b",":
                    break
                i += 1
        _check(i == n - 1, "multirange")
        return out

    return decode


# bounds text by flags (an infinite bound is never inclusive)
BOUNDS_OF_FLAGS = [
    ("[" if f & (_LB_INF | _LB_INC) == _LB_INC else "(")
    + ("]" if f & (_UB_INF | _UB_INC) == _UB_INC else ")")
    for f in range(32)
]


def _sized(buf: Any, pos: int, end: int, what: str) -> tuple[int, int]:
    """A length-prefixed part at ``pos`` (ranges' bounds, multiranges' ranges): where its
    bytes start and how many there are, all before ``end`` (else DataError)."""
    size = _i32(buf, pos)[0] if pos + 4 <= end else -1
    if not 0 <= size <= end - pos - 4:
        raise DataError(f"invalid {what} value")
    return pos + 4, size


def _bin_range_at(buf: Any, pos: int, n: int, elem: Decoder) -> Range:
    if n < 1:
        raise DataError("invalid range value")
    flags = buf[pos]
    end = pos + n
    pos += 1
    if flags & _RANGE_EMPTY:
        _check(n == 1, "range")
        return Range._from_parts(None, None, "")
    lower = upper = None
    if not flags & _LB_INF:
        pos, size = _sized(buf, pos, end, "range")
        lower = elem(buf, pos, size)
        pos += size
    if not flags & _UB_INF:
        pos, size = _sized(buf, pos, end, "range")
        upper = elem(buf, pos, size)
        pos += size
    if pos != end:
        raise DataError("invalid range value")
    return Range._from_parts(lower, upper, BOUNDS_OF_FLAGS[flags & 0x1F])


def bin_range(elem: Decoder) -> Decoder:
    return lambda buf, pos, n: _bin_range_at(buf, pos, n, elem)


def bin_multirange(elem: Decoder) -> Decoder:
    def decode(buf: Any, pos: int, n: int) -> list[Range]:
        _check(n >= 4, "multirange")
        end = pos + n
        count = _i32(buf, pos)[0]
        _check(0 <= count <= (n - 4) // 5, "multirange")
        pos += 4
        out = []
        for _ in range(count):
            pos, size = _sized(buf, pos, end, "multirange")
            out.append(_bin_range_at(buf, pos, size, elem))
            pos += size
        _check(pos == end, "multirange")
        return out

    return decode


# -- records ---------------------------------------------------------------------------------


def _text_record(buf: Any, pos: int, n: int) -> tuple[str | None, ...]:
    """``(a,"b c",)`` -> ``('a', 'b c', None)``: fields as str, empty unquoted -> None."""
    s = bytes(buf[pos:pos + n])
    _check(s[:1] == b"(" and s[-1:] == b")", "record")
    end = n - 1
    fields: list[str | None] = []
    i = 1
    while True:
        out = bytearray()
        quoted = seen_quote = False
        while i < end:
            c = s[i]
            if c == 0x22:  # '"': opens, closes, or "" inside quotes
                if quoted and s[i + 1:i + 2] == b'"':
                    out.append(c)
                    i += 1
                else:
                    quoted = not quoted
                    seen_quote = True
            elif c == 0x5C:  # backslash escapes the next byte
                i += 1
                _check(i < end, "record")
                out.append(s[i])
            elif c == 0x2C and not quoted:
                break
            else:
                out.append(c)
            i += 1
        _check(not quoted, "record")
        fields.append(out.decode() if out or seen_quote else None)
        if i >= end:
            return tuple(fields)
        i += 1  # the comma


def bin_record(lookup: Lookup) -> Decoder:
    def decode(buf: Any, pos: int, n: int) -> tuple[Any, ...]:
        _check(n >= 4, "record")
        end = pos + n
        count = _i32(buf, pos)[0]
        _check(0 <= count <= (n - 4) // 8, "record")
        pos += 4
        values: list[Any] = []
        for _ in range(count):
            _check(pos + 8 <= end, "record")
            oid = _u32(buf, pos)[0]
            size = _i32(buf, pos + 4)[0]
            pos += 8
            if size == -1:
                values.append(None)
                continue
            _check(0 <= size <= end - pos, "record")
            values.append(lookup(oid)(buf, pos, size))
            pos += size
        _check(pos == end, "record")
        return tuple(values)

    return decode


TEXT_DECODERS[RECORD] = _text_record


def _range_factories(sub: int, make: Callable[[Decoder], Decoder]) -> Factory:
    return lambda lookup: make(lookup(sub))


TEXT_FACTORIES: dict[int, Factory] = {}
BINARY_FACTORIES: dict[int, Factory] = {RECORD: bin_record}
for _rng, _sub in RANGE_SUBTYPE.items():
    TEXT_FACTORIES[_rng] = _range_factories(_sub, text_range)
    BINARY_FACTORIES[_rng] = _range_factories(_sub, bin_range)
for _mr, _rng in MULTIRANGE_RANGE.items():
    TEXT_FACTORIES[_mr] = _range_factories(RANGE_SUBTYPE[_rng], text_multirange)
    BINARY_FACTORIES[_mr] = _range_factories(RANGE_SUBTYPE[_rng], bin_multirange)

# -- infinite dates and timestamps (TypeContext.infinity) ------------------------------------

# the types whose infinities the mode governs, and their arrays (ranges and multiranges
# follow through their bounds' decoders)
INFINITE_SCALARS = frozenset({oids.DATE, oids.TIMESTAMP, oids.TIMESTAMPTZ})
INFINITE_ARRAYS = {1182: oids.DATE, 1115: oids.TIMESTAMP, 1185: oids.TIMESTAMPTZ}


def infinity_mode(ctx: Any) -> int:
    """0 clamp (psycopg2: date.max / date.min ...), 1 error (DataError), 2 sentinel."""
    mode = getattr(ctx, "infinity", "clamp")
    if mode == "clamp":
        return 0
    try:
        return INFINITY_MODES.index(mode)
    except ValueError:
        raise ProgrammingError(
            f"TypeContext.infinity must be one of {INFINITY_MODES}, not {mode!r}"
        ) from None


def infinite_sign(oid: int, fmt: int, buf: Any, pos: int, n: int) -> int:
    """1 / -1 when the value is infinity / -infinity, else 0 (the decoder checks the rest)."""
    if fmt == 0:
        if n == 8 and buf[pos:pos + 8] == b"infinity":
            return 1
        if n == 9 and buf[pos:pos + 9] == b"-infinity":
            return -1
        return 0
    if oid == oids.DATE:
        if n == 4:
            v = _i32(buf, pos)[0]
            return 1 if v == 0x7FFFFFFF else -1 if v == -0x80000000 else 0
        return 0
    if n == 8:
        v = _i64(buf, pos)[0]
        return 1 if v == 0x7FFFFFFFFFFFFFFF else -1 if v == -0x8000000000000000 else 0
    return 0


def infinity_outcome(sign: int, mode: int) -> _Infinity:
    if mode == 1:
        raise DataError(
            f"{'-' if sign < 0 else ''}infinity has no Python value "
            "(TypeContext.infinity is 'error')"
        )
    return INFINITY if sign > 0 else MINUS_INFINITY


def infinity_guard(dec: Decoder, oid: int, fmt: int, mode: int) -> Decoder:
    def decode(buf: Any, pos: int, n: int) -> Any:
        sign = infinite_sign(oid, fmt, buf, pos, n)
        if sign:
            return infinity_outcome(sign, mode)
        return dec(buf, pos, n)

    return decode


# -- encoding --------------------------------------------------------------------------------

_INET_ADAPTER = enc.Adapter(lambda v: CIDR if isinstance(v, (IPv4Network, IPv6Network)) else INET,
                            _inet_binary, str)


def _bound_oid(v: Any) -> int:
    """The subtype oid a range bound asks for; 0 if it has none."""
    if isinstance(v, bool):
        return 0
    if isinstance(v, int):
        return enc._int_oid(v)
    if isinstance(v, Decimal):
        return 1700
    if isinstance(v, datetime):
        return 1114 if v.tzinfo is None or v.utcoffset() is None else 1184
    if isinstance(v, date):
        return 1082
    return 0


_INT_ORDER = (23, 20, 1700)


def range_oid(r: Range) -> int:
    """int4/int8/num/date/ts/tstz range from the bounds; 0 (text, server infers) otherwise."""
    found = {_bound_oid(v) for v in (r.lower, r.upper) if v is not None}
    if not found or 0 in found:
        return 0
    if found <= set(_INT_ORDER):
        return _SUBTYPE_RANGE[max(found, key=_INT_ORDER.index)]
    return _SUBTYPE_RANGE[found.pop()] if len(found) == 1 else 0


def _bound_binary(v: Any, sub: int) -> bytes:
    if sub == 23:
        return _pack_i32(v)
    if sub == 20:
        return enc._pack_i64(v)
    if sub == 1700:
        return enc._int_numeric(v) if isinstance(v, int) else enc._decimal_binary(v)
    binary = enc._scalar_adapter(v).binary
    assert binary is not None
    return binary(v)


def range_binary(r: Range) -> bytes:
    if r.isempty:
        return bytes((_RANGE_EMPTY,))
    sub = RANGE_SUBTYPE[range_oid(r)]
    flags = (_LB_INC if r.lower_inc else 0) | (_UB_INC if r.upper_inc else 0)
    out = bytearray(1)
    for v, inf in ((r.lower, _LB_INF), (r.upper, _UB_INF)):
        if v is None:
            flags |= inf
        else:
            data = _bound_binary(v, sub)
            out += _pack_i32(len(data)) + data
    out[0] = flags
    return bytes(out)


def _bound_text(v: Any) -> str:
    if v is None:
        return ""
    s = enc._scalar_adapter(v).text(v)
    if s == "" or any(c in _RANGE_SPECIAL for c in s.encode()):
        return '"' + s.replace("\\", "\\\\").replace('"', '""') + '"'
    return s


def range_text(r: Range) -> str:
    if r.isempty:
        return "empty"
    return f"{r.bounds[0]}{_bound_text(r.lower)},{_bound_text(r.upper)}{r.bounds[1]}"


_RANGE_ADAPTER = enc.Adapter(range_oid, range_binary, range_text)


_INFINITY_ADAPTER = enc.Adapter(lambda v: 0, None, str)


def extra_adapter(value: Any) -> enc.Adapter | None:
    """The adapter of a value of this module's types (ipaddress objects, Range, the
    infinity sentinels), or None."""
    if isinstance(value, Range):
        return _RANGE_ADAPTER
    if isinstance(value, _Infinity):
        return _INFINITY_ADAPTER
    if isinstance(value, (IPv4Address, IPv6Address, IPv4Network, IPv6Network)):
        return _INET_ADAPTER  # interfaces are address subclasses
    return None


# element oid -> array oid for the parameter types of this module
ELEMENT_ARRAY: dict[int, int] = {
    el: arr for arr, el in oids.MORE_ARRAY_ELEMENT.items() if el in (INET, CIDR, *RANGE_SUBTYPE)
}
