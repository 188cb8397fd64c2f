"""Value conversion of the codec in use (PGDBAPI_IMPL picks the twin): docs/codec.md.

Byte fixtures are the server dumps of shared/reference/types.md unless marked otherwise.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
import struct
import uuid
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pgdbapi._codec_contract import Encoded
from pgdbapi.codec import impl
from pgdbapi.exceptions import DataError, ProgrammingError
from pgdbapi.types import Interval

UTC = dt.timezone.utc
NEW_YORK = ZoneInfo("America/New_York")


def tz(hours: int = 0, minutes: int = 0, seconds: int = 0) -> dt.timezone:
    return dt.timezone(dt.timedelta(hours=hours, minutes=minutes, seconds=seconds))


def ctx_in(zone: dt.tzinfo = UTC) -> object:
    ctx = impl.TypeContext()
    ctx.timezone = zone
    return ctx


def h(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", "").replace("│", ""))


def text(oid: int, data: bytes | str, zone: dt.tzinfo = UTC) -> object:
    if isinstance(data, str):
        data = data.encode()
    return impl.decode_value(oid, 0, data, ctx_in(zone))


def binary(oid: int, data: bytes, zone: dt.tzinfo = UTC) -> object:
    return impl.decode_value(oid, 1, data, ctx_in(zone))


def encode(value: object, oid: int) -> tuple[int, bytes | None]:
    return impl.encode_param(value, oid, impl.TypeContext())


def encode_binary(value: object) -> bytes:
    """The binary encoding the codec picks when Parse declared the inferred oid."""
    fmt, data = encode(value, impl.infer_oid(value))
    assert fmt == 1 and data is not None
    return data


def encode_text(value: object, oid: int = 0) -> str:
    fmt, data = encode(value, oid)
    assert fmt == 0 and data is not None
    return data.decode()


def same(a: object, b: object) -> bool:
    """Equal, of the same type, and with the same tzinfo when there is one."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)  # type: ignore[arg-type]
    if isinstance(a, (dt.datetime, dt.time)) and a.tzinfo is not b.tzinfo:  # type: ignore[union-attr]
        if a.utcoffset() != b.utcoffset():  # type: ignore[union-attr]
            return False
    if isinstance(a, Decimal):
        return a.as_tuple() == b.as_tuple()  # type: ignore[union-attr]
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))  # type: ignore[arg-type]
    return a == b


# -- bool ------------------------------------------------------------------------------------


def test_bool() -> None:
    assert text(16, "t") is True
    assert text(16, "f") is False
    assert binary(16, b"\x01") is True
    assert binary(16, b"\x00") is False


@pytest.mark.parametrize("bad", ["", "true", "T", "1", "tt", " t"])
def test_bool_bad_text(bad: str) -> None:
    with pytest.raises(DataError):
        text(16, bad)


@pytest.mark.parametrize("bad", [b"", b"\x01\x00"])
def test_bool_bad_binary(bad: bytes) -> None:
    with pytest.raises(DataError):
        binary(16, bad)


# -- integers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "oid, data, value",
    [
        (21, "7fff", 32767),
        (21, "8000", -32768),
        (23, "0000002a", 42),
        (23, "ffffffff", -1),
        (20, "7fffffffffffffff", 2**63 - 1),
        (20, "8000000000000000", -(2**63)),
        (26, "ffffffff", 2**32 - 1),  # oid, xid, cid, reg*: unsigned
        (28, "80000000", 2**31),
        (29, "00000001", 1),
        (24, "ffffffff", 2**32 - 1),
        (2205, "00000017", 23),
        (2206, "00000017", 23),  # 'int4'::regtype in binary
        (5069, "ffffffffffffffff", 2**64 - 1),  # xid8: unsigned 64-bit
    ],
)
def test_integers_binary(oid: int, data: str, value: int) -> None:
    got = binary(oid, h(data))
    assert type(got) is int and got == value


@pytest.mark.parametrize("oid", [21, 23, 20, 26, 28, 29, 5069])
def test_integers_text(oid: int) -> None:
    assert text(oid, "12345") == 12345
    assert text(oid, "-7") == -7
    assert text(oid, "0") == 0
    assert text(oid, "123456789012345678901234567890") == 123456789012345678901234567890


@pytest.mark.parametrize("oid", [24, 2205, 2206])
def test_reg_types_text_are_names(oid: int) -> None:
    assert text(oid, "integer") == "integer"


@pytest.mark.parametrize("bad", ["", "-", "+1", " 1", "1 ", "1.5", "1_000", "0x10", "1e3", "٣"])
def test_integer_bad_text(bad: str) -> None:
    with pytest.raises(DataError):
        text(23, bad)


@pytest.mark.parametrize("oid, size", [(21, 2), (23, 4), (20, 8), (26, 4), (5069, 8)])
def test_integer_bad_binary_length(oid: int, size: int) -> None:
    for n in (0, size - 1, size + 1):
        with pytest.raises(DataError):
            binary(oid, b"\x01" * n)


# -- floats ----------------------------------------------------------------------------------


def test_float_binary() -> None:
    assert binary(700, h("3fc00000")) == 1.5
    assert binary(701, h("3fb999999999999a")) == 0.1
    assert math.isnan(binary(701, h("7ff8000000000000")))  # type: ignore[arg-type]
    assert binary(701, h("fff0000000000000")) == -math.inf


def test_float4_binary_is_the_shortest_round_trip_decimal() -> None:
    assert binary(700, struct.pack("!f", 1.1)) == 1.1
    assert binary(700, struct.pack("!f", 0.1)) == 0.1
    assert binary(700, struct.pack("!f", 3.4028234663852886e38)) == 3.4028235e38
    assert binary(700, struct.pack("!f", -0.0)) == 0.0
    assert math.copysign(1, binary(700, struct.pack("!f", -0.0))) == -1  # type: ignore[arg-type]
    assert math.isnan(binary(700, h("7fc00000")))  # type: ignore[arg-type]
    assert binary(700, h("ff800000")) == -math.inf
    assert binary(700, h("7f800000")) == math.inf


@given(st.floats(width=32))
def test_float4_binary_is_the_first_g_format_that_round_trips(x: float) -> None:
    got = binary(700, struct.pack("!f", x))
    assert isinstance(got, float)
    if math.isnan(x):
        assert math.isnan(got)
        return
    assert struct.pack("!d", got) == struct.pack("!d", shortest_float32(x))


def shortest_float32(x: float) -> float:
    """docs/codec.md: the first '%.{p}g' (p = 1..9) that packs back to the same float32."""
    packed = struct.pack("!f", x)
    for p in range(1, 10):
        y = float(f"%.{p}g" % x)
        try:
            if struct.pack("!f", y) == packed:
                return y
        except OverflowError:  # rounded above FLT_MAX
            continue
    raise AssertionError(x)


@pytest.mark.parametrize("oid", [700, 701])
@pytest.mark.parametrize(
    "data, value",
    [
        ("0.1", 0.1),
        ("1.1", 1.1),
        ("1e+100", 1e100),
        ("1e-07", 1e-07),
        ("123456789.123", 123456789.123),
        ("-0", -0.0),
        ("Infinity", math.inf),
        ("-Infinity", -math.inf),
    ],
)
def test_float_text(oid: int, data: str, value: float) -> None:
    got = text(oid, data)
    assert type(got) is float and got == value


def test_float_text_nan() -> None:
    assert math.isnan(text(701, "NaN"))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "bad", ["", "nan", "inf", "infinity", "-nan", "+1", " 1", "1 ", "1_0", "1e", "--1", "0x1p3", "1e999", "-1e400"]
)
def test_float_bad_text(bad: str) -> None:
    with pytest.raises(DataError):
        text(701, bad)


@pytest.mark.parametrize("oid, size", [(700, 4), (701, 8)])
def test_float_bad_binary_length(oid: int, size: int) -> None:
    with pytest.raises(DataError):
        binary(oid, bytes(size - 1))


# -- numeric ---------------------------------------------------------------------------------

NUMERIC_DUMPS = [
    ("0", "00 00 00 00 00 00 00 00"),
    ("1", "00 01 00 00 00 00 00 00 00 01"),
    ("-12345.678", "00 03 00 01 40 00 00 03 │ 00 01 09 29 1a 7c"),
    ("0.00012", "00 02 ff ff 00 00 00 05 │ 00 01 07 d0"),
    ("1.000", "00 01 00 00 00 00 00 03 │ 00 01"),
    ("100000000", "00 01 00 02 00 00 00 00 │ 00 01"),
    ("0.100", "00 01 ff ff 00 00 00 03 │ 03 e8"),
    ("1E-20", "00 01 ff fb 00 00 00 14 │ 00 01"),
    # types.md labels this dump 123456789012.5; the digits (1, 1234, 5678, .5000, weight 2)
    # spell 112345678.5, which is what it decodes to.
    ("112345678.5", "00 04 00 02 00 00 00 01 │ 00 01 04 d2 16 2e 13 88"),
    # computed from the layout for the value that label meant
    ("123456789012.5", "00 04 00 02 00 00 00 01 │ 04 d2 16 2e 23 34 13 88"),
]


@pytest.mark.parametrize("value, dump", NUMERIC_DUMPS)
def test_numeric_binary_decode(value: str, dump: str) -> None:
    assert same(binary(1700, h(dump)), Decimal(value))


@pytest.mark.parametrize("value, dump", NUMERIC_DUMPS)
def test_numeric_binary_encode(value: str, dump: str) -> None:
    assert encode_binary(Decimal(value)) == h(dump)


def test_numeric_exact_digits_and_exponent() -> None:
    assert str(binary(1700, h("00 01 00 00 00 00 00 03 00 01"))) == "1.000"
    assert str(binary(1700, h("00 01 00 02 00 00 00 00 00 01"))) == "100000000"
    assert binary(1700, h("00 01 ff fb 00 00 00 14 00 01")).as_tuple() == (0, (1,), -20)  # type: ignore[union-attr]
    # digits beyond dscale are truncated, as numeric_recv does
    assert str(binary(1700, h("00 02 00 00 00 00 00 01 00 01 1a 85"))) == "1.6"  # 1.6789
    assert str(binary(1700, h("00 00 00 00 00 00 00 02"))) == "0.00"


@pytest.mark.parametrize(
    "dump, value",
    [
        ("00 00 00 00 c0 00 00 00", "NaN"),
        ("00 00 00 00 d0 00 00 20", "Infinity"),  # PG 18 leaves dscale 0x20 on infinities
        ("00 00 00 00 f0 00 00 20", "-Infinity"),
    ],
)
def test_numeric_specials(dump: str, value: str) -> None:
    got = binary(1700, h(dump))
    assert isinstance(got, Decimal) and str(got) == value
    assert str(text(1700, value)) == value


@pytest.mark.parametrize("value", ["0", "-12345.678", "0.00012", "1.000", "100000000", "0.100"])
def test_numeric_text(value: str) -> None:
    assert same(text(1700, value), Decimal(value))


@pytest.mark.parametrize(
    "bad",
    [
        "00 00 00 00 80 00 00 00",  # bad sign
        "00 01 00 00 00 00 00 00 27 10",  # digit 10000
        "00 01 00 00 00 00 00 00",  # one digit announced, none there
        "00 00 00 00 00 00 00 00 00 01",  # trailing digit
        "00 00 00 00 00 00 40 00",  # dscale above 0x3FFF
        "00 00 00",
    ],
)
def test_numeric_bad_binary(bad: str) -> None:
    with pytest.raises(DataError):
        binary(1700, h(bad))


@pytest.mark.parametrize(
    "bad", ["", "1e5", "1E+5", " 1", "1.", ".5", "+1", "nan", "inf", "sNaN", "1_0", "1.2.3", "-"]
)
def test_numeric_bad_text(bad: str) -> None:
    with pytest.raises(DataError):
        text(1700, bad)


@pytest.mark.parametrize(
    "value, dump",
    [
        (Decimal("NaN"), "00 00 00 00 c0 00 00 00"),
        (Decimal("Infinity"), "00 00 00 00 d0 00 00 00"),
        (Decimal("-Infinity"), "00 00 00 00 f0 00 00 00"),
        (Decimal("-0.00"), "00 00 00 00 00 00 00 02"),  # zero is sent positive
        (Decimal("1E+5"), "00 01 00 01 00 00 00 00 00 0a"),
    ],
)
def test_numeric_encode_more(value: object, dump: str) -> None:
    assert encode(value, 1700) == (1, h(dump))


def test_numeric_encode_big_int() -> None:
    assert impl.infer_oid(10**20) == 1700
    assert encode(10**20, 1700) == (1, h("00 01 00 05 00 00 00 00 00 01"))
    assert encode(-(10**20) - 5, 1700) == (1, h("00 06 00 05 40 00 00 00 00 01 00 00 00 00 00 00 00 00 00 05"))


def test_numeric_encode_refusals() -> None:
    with pytest.raises(DataError):
        encode(Decimal("sNaN"), 1700)
    with pytest.raises(DataError):
        encode(Decimal("sNaN"), 0)
    with pytest.raises(DataError):
        encode(Decimal("1E-16384"), 1700)  # dscale above 0x3FFF
    with pytest.raises(DataError):
        encode(Decimal("1E+200000"), 1700)  # weight beyond Int16


@given(
    st.decimals(allow_nan=False, allow_infinity=False, places=None).filter(
        lambda d: -16383 <= d.as_tuple().exponent <= 100 and len(d.as_tuple().digits) < 200  # type: ignore[operator]
    )
)
def test_numeric_binary_round_trip(value: Decimal) -> None:
    got = binary(1700, encode_binary(value))
    assert isinstance(got, Decimal)
    assert got == value
    # the server's view: exactly max(0, -exponent) fractional digits
    want_scale = max(0, -value.as_tuple().exponent)  # type: ignore[operator]
    assert -got.as_tuple().exponent == want_scale or got.is_zero() and value.is_zero()  # type: ignore[operator]


@given(st.integers(min_value=-(10**60), max_value=10**60))
def test_int_binary_round_trip(value: int) -> None:
    oid = impl.infer_oid(value)
    got = binary(oid, encode_binary(value))
    assert got == value and (type(got) is int if oid != 1700 else isinstance(got, Decimal))


# -- text types ------------------------------------------------------------------------------


@pytest.mark.parametrize("oid", [25, 1043, 1042, 19, 705])
def test_text_types(oid: int) -> None:
    assert text(oid, "héllo") == "héllo"
    assert binary(oid, "héllo".encode()) == "héllo"
    assert text(oid, "") == ""


def test_bpchar_keeps_padding() -> None:
    assert binary(1042, h("61 62 20 20")) == "ab  "
    assert text(1042, "ab  ") == "ab  "


def test_unknown_oid() -> None:
    assert text(99999, "whatever") == "whatever"
    assert binary(99999, b"\x00\x01raw") == b"\x00\x01raw"
    assert type(binary(99999, b"x")) is bytes


@pytest.mark.parametrize("oid, fmt", [(25, 0), (25, 1), (1043, 1), (19, 1), (99999, 0), (114, 0)])
def test_invalid_utf8(oid: int, fmt: int) -> None:
    with pytest.raises(DataError):
        impl.decode_value(oid, fmt, b"\xff\xfe", impl.TypeContext())


def test_unsupported_format_code() -> None:
    with pytest.raises(ProgrammingError):
        impl.decode_value(23, 2, b"1", impl.TypeContext())


# -- "char" ----------------------------------------------------------------------------------


def test_char() -> None:
    assert binary(18, b"A") == "A"
    assert binary(18, b"\xe9") == "\xe9"
    assert binary(18, b"\x00") == ""  # the empty "char" (its text is empty too)
    assert text(18, "a") == "a"
    assert text(18, b"\\351") == "\xe9"
    assert text(18, "") == ""
    assert text(18, b"\\") == "\\"
    assert text(18, b"\\38") == "\\38"  # not three octal digits: the text itself


@pytest.mark.parametrize("bad", [b"", b"ab"])
def test_char_bad_binary(bad: bytes) -> None:
    with pytest.raises(DataError):
        binary(18, bad)


# -- bytea -----------------------------------------------------------------------------------


def test_bytea() -> None:
    assert binary(17, h("00ff41")) == h("00ff41")
    assert text(17, b"\\x00ff41") == h("00ff41")
    assert text(17, b"\\x00FF41") == h("00ff41")
    assert text(17, b"\\x") == b""
    assert text(17, b"\\000\\377A'\\\\") == h("00 ff 41 27 5c")  # escape form
    assert text(17, b"plain") == b"plain"
    assert type(text(17, b"plain")) is bytes


@pytest.mark.parametrize("bad", [b"\\x0", b"\\xzz", b"\\x 00", b"\\9", b"\\400", b"\\", b"a\\12"])
def test_bytea_bad_text(bad: bytes) -> None:
    with pytest.raises(DataError):
        text(17, bad)


# -- date ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "dump, value",
    [
        ("00000000", dt.date(2000, 1, 1)),
        ("ffffffff", dt.date(1999, 12, 31)),
        ("00002279", dt.date(2024, 2, 29)),
        ("7fffffff", dt.date.max),
        ("80000000", dt.date.min),
    ],
)
def test_date_binary(dump: str, value: dt.date) -> None:
    assert binary(1082, h(dump)) == value


def test_date_text() -> None:
    assert text(1082, "2024-02-29") == dt.date(2024, 2, 29)
    assert text(1082, "0001-01-01") == dt.date(1, 1, 1)
    assert text(1082, "infinity") == dt.date.max
    assert text(1082, "-infinity") == dt.date.min


def test_date_encode() -> None:
    assert impl.infer_oid(dt.date(2024, 2, 29)) == 1082
    assert encode_binary(dt.date(2024, 2, 29)) == h("00002279")
    assert encode_binary(dt.date(1999, 12, 31)) == h("ffffffff")
    assert encode_text(dt.date(2024, 2, 29)) == "2024-02-29"


@pytest.mark.parametrize("dump", ["fff49d7b", "7ffffffe", "00", "0000000000"])  # BC, too far, length
def test_date_bad_binary(dump: str) -> None:
    with pytest.raises(DataError):
        binary(1082, h(dump))


@pytest.mark.parametrize(
    "bad",
    ["0044-03-15 BC", "5874897-12-31", "10000-01-01", "2024-13-01", "2024-02-30", "0000-01-01",
     "24-01-01", "2024-1-01", "2024/01/01", "Infinity", ""],
)
def test_date_bad_text(bad: str) -> None:
    with pytest.raises(DataError):
        text(1082, bad)


# -- time, timetz ----------------------------------------------------------------------------


def test_time() -> None:
    assert binary(1083, h("0000000b187d38e0")) == dt.time(13, 14, 15, 500000)
    assert text(1083, "13:14:15.5") == dt.time(13, 14, 15, 500000)
    assert text(1083, "13:14:15") == dt.time(13, 14, 15)
    assert text(1083, "00:00:00.000001") == dt.time(0, 0, 0, 1)
    assert text(1083, "23:59:59.999999") == dt.time(23, 59, 59, 999999)


@pytest.mark.parametrize("bad", ["24:00:00", "13:14", "13:14:15.", "13:14:15.1234567", "1:02:03", "13:60:00", ""])
def test_time_bad_text(bad: str) -> None:
    with pytest.raises(DataError):
        text(1083, bad)


@pytest.mark.parametrize("usecs", [86_400_000_000, -1, 2**62])
def test_time_bad_binary(usecs: int) -> None:
    with pytest.raises(DataError):
        binary(1083, struct.pack("!q", usecs))


def test_timetz_binary_offset_is_west() -> None:
    got = binary(1266, h("0000000b187d38e0 ffffb2a8"))
    assert got == dt.time(13, 14, 15, 500000, tzinfo=tz(5, 30))
    assert got.utcoffset() == dt.timedelta(hours=5, minutes=30)  # type: ignore[union-attr]
    got = binary(1266, h("0000000b187597c0 00007080"))  # 13:14:15-08
    assert got.utcoffset() == dt.timedelta(hours=-8)  # type: ignore[union-attr]
    assert got.replace(tzinfo=None) == dt.time(13, 14, 15)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "data, value",
    [
        ("13:14:15.5+05:30", dt.time(13, 14, 15, 500000, tzinfo=tz(5, 30))),
        ("13:14:15-08", dt.time(13, 14, 15, tzinfo=tz(-8))),
        ("13:14:15+01:02:03", dt.time(13, 14, 15, tzinfo=tz(1, 2, 3))),
        ("00:00:00+00", dt.time(0, 0, 0, tzinfo=UTC)),
        ("13:14:15-04:56:02", dt.time(13, 14, 15, tzinfo=tz(-4, -56, -2))),
    ],
)
def test_timetz_text(data: str, value: dt.time) -> None:
    got = text(1266, data)
    assert got == value and got.utcoffset() == value.utcoffset()  # type: ignore[union-attr]


@pytest.mark.parametrize("bad", ["13:14:15", "13:14:15+5", "13:14:15+05:3", "13:14:15 +05", "13:14:15+24", "13:14:15+05:30:00:00"])
def test_timetz_bad_text(bad: str) -> None:
    with pytest.raises(DataError):
        text(1266, bad)


def test_timetz_bad_binary() -> None:
    with pytest.raises(DataError):
        binary(1266, h("0000000b187d38e0"))  # no zone
    with pytest.raises(DataError):
        binary(1266, struct.pack("!qi", 0, 86400))  # offset of a whole day


def test_time_encode() -> None:
    assert impl.infer_oid(dt.time(13, 14, 15)) == 1083
    assert encode_binary(dt.time(13, 14, 15, 500000)) == h("0000000b187d38e0")
    aware = dt.time(13, 14, 15, 500000, tzinfo=tz(5, 30))
    assert impl.infer_oid(aware) == 1266
    assert encode_binary(aware) == h("0000000b187d38e0 ffffb2a8")
    assert encode_binary(dt.time(13, 14, 15, tzinfo=tz(-8))) == h("0000000b187597c0 00007080")
    assert encode_text(aware) == "13:14:15.500000+05:30"
    assert encode_text(dt.time(1, 2, 3)) == "01:02:03"


# -- timestamp, timestamptz ------------------------------------------------------------------


def test_timestamp_binary() -> None:
    assert binary(1114, h("0002bac2801b6a80")) == dt.datetime(2024, 5, 6, 7, 8, 9, 123456)
    assert binary(1114, h("0000000000000000")) == dt.datetime(2000, 1, 1)
    assert binary(1114, h("ffffffffffffffff")) == dt.datetime(1999, 12, 31, 23, 59, 59, 999999)
    assert binary(1114, h("7fffffffffffffff")) == dt.datetime.max
    assert binary(1114, h("8000000000000000")) == dt.datetime.min


@pytest.mark.parametrize(
    "data",
    [
        h("7fffff5bb3b29fff"),  # 294276-12-31 23:59:59.999999
        struct.pack("!q", -2001 * 366 * 86_400_000_000),  # BC
        struct.pack("!q", 8000 * 366 * 86_400_000_000),  # year > 9999
        h("00"),
    ],
)
def test_timestamp_bad_binary(data: bytes) -> None:
    with pytest.raises(DataError):
        binary(1114, data)


def test_timestamp_text() -> None:
    assert text(1114, "2024-05-06 07:08:09.123456") == dt.datetime(2024, 5, 6, 7, 8, 9, 123456)
    assert text(1114, "2024-05-06 07:08:09") == dt.datetime(2024, 5, 6, 7, 8, 9)
    assert text(1114, "2024-05-06 07:08:09.5") == dt.datetime(2024, 5, 6, 7, 8, 9, 500000)
    assert text(1114, "infinity") == dt.datetime.max
    assert text(1114, "-infinity") == dt.datetime.min


@pytest.mark.parametrize(
    "bad",
    ["0044-03-15 12:00:00 BC", "294276-12-31 23:59:59.999999", "2024-05-06T07:08:09",
     "2024-05-06 07:08:09+00", "2024-05-06", "06/05/2024 07:08:09", "2024-05-06 24:00:00"],
)
def test_timestamp_bad_text(bad: str) -> None:
    with pytest.raises(DataError):
        text(1114, bad)


def test_timestamptz_binary_is_utc_shown_in_the_session_zone() -> None:
    instant = dt.datetime(2024, 5, 6, 5, 8, 9, 500000, tzinfo=UTC)
    data = struct.pack("!q", (instant - dt.datetime(2000, 1, 1, tzinfo=UTC)) // dt.timedelta(microseconds=1))
    got = binary(1184, data)
    assert got == instant and got.tzinfo is UTC  # type: ignore[union-attr]
    got = binary(1184, data, NEW_YORK)
    assert got == instant and got.tzinfo is NEW_YORK  # type: ignore[union-attr]
    assert got.hour == 1  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "data, zone",
    [
        ("2024-05-06 05:08:09.5+00", UTC),
        ("2024-05-06 01:08:09.5-04", NEW_YORK),
        ("2024-05-06 10:38:09.5+05:30", tz(5, 30)),
    ],
)
def test_timestamptz_text(data: str, zone: dt.tzinfo) -> None:
    instant = dt.datetime(2024, 5, 6, 5, 8, 9, 500000, tzinfo=UTC)
    for session in (UTC, NEW_YORK, zone):
        got = text(1184, data, session)
        assert got == instant and got.tzinfo is session  # type: ignore[union-attr]


def test_timestamptz_text_with_seconds_in_the_offset() -> None:
    got = text(1184, "1799-12-31 19:03:58-04:56:02", NEW_YORK)
    assert got == dt.datetime(1800, 1, 1, 0, 0, 0, tzinfo=UTC)
    assert got.tzinfo is NEW_YORK  # type: ignore[union-attr]


def test_timestamptz_text_and_binary_agree() -> None:
    text_value = text(1184, "2024-01-06 02:08:09-05", NEW_YORK)
    data = struct.pack("!q", (dt.datetime(2024, 1, 6, 7, 8, 9) - dt.datetime(2000, 1, 1)) // dt.timedelta(microseconds=1))
    binary_value = binary(1184, data, NEW_YORK)
    assert text_value == binary_value and str(text_value) == str(binary_value) == "2024-01-06 02:08:09-05:00"


def test_timestamptz_infinity() -> None:
    """datetime.max / min at UTC whatever the session zone (psycopg2's clamp)."""
    for got, want in [
        (binary(1184, h("7fffffffffffffff"), NEW_YORK), dt.datetime.max),
        (binary(1184, h("8000000000000000"), NEW_YORK), dt.datetime.min),
        (text(1184, "infinity", NEW_YORK), dt.datetime.max),
        (text(1184, "-infinity", NEW_YORK), dt.datetime.min),
    ]:
        assert got == want.replace(tzinfo=UTC) and got.tzinfo is UTC  # type: ignore[union-attr]


def test_timestamptz_out_of_range() -> None:
    with pytest.raises(DataError):
        text(1184, "0001-01-01 00:00:00+01")  # 0000-12-31 in UTC
    with pytest.raises(DataError):
        text(1184, "9999-12-31 23:00:00+00", tz(2))
    with pytest.raises(DataError):
        text(1184, "0044-03-15 12:00:00+00 BC")
    with pytest.raises(DataError):
        binary(1184, h("7fffff5bb3b29fff"))
    with pytest.raises(DataError):
        text(1184, "2024-05-06 05:08:09")  # no offset


def test_datetime_encode() -> None:
    naive = dt.datetime(2024, 5, 6, 7, 8, 9, 123456)
    assert impl.infer_oid(naive) == 1114
    assert encode_binary(naive) == h("0002bac2801b6a80")
    aware = naive.replace(tzinfo=tz(2))
    assert impl.infer_oid(aware) == 1184
    assert encode_binary(aware) == encode_binary(naive - dt.timedelta(hours=2))  # sent as UTC
    assert encode_binary(naive.replace(tzinfo=NEW_YORK)) == encode_binary(naive + dt.timedelta(hours=4))
    assert encode_text(naive) == "2024-05-06 07:08:09.123456"
    assert encode_text(aware) == "2024-05-06 07:08:09.123456+02:00"
    assert encode(naive, 1184) == (0, b"2024-05-06 07:08:09.123456")  # declared otherwise: text


# -- interval --------------------------------------------------------------------------------


def test_interval_binary() -> None:
    assert binary(1186, h("000000036c966ee0 00000003 0000000e")) == dt.timedelta(
        days=428, hours=4, minutes=5, seconds=6.7
    )  # 1 year 2 mons 3 days 04:05:06.7: 365 + 2 * 30 + 3 days
    assert binary(1186, h("0000000000000001 ffffffff 00000001")) == dt.timedelta(days=29, microseconds=1)
    assert binary(1186, h("7fffffffffffffff 7fffffff 7fffffff")) == dt.timedelta.max
    assert binary(1186, h("8000000000000000 80000000 80000000")) == dt.timedelta.min
    # negative months: the sign applies to the whole year/month conversion
    assert binary(1186, struct.pack("!qii", 0, 0, -14)) == dt.timedelta(days=-(365 + 60))


@pytest.mark.parametrize("data", ["000000036c966ee0 00000003", "7fffffffffffffff 7fffffff 7fffffff 00"])
def test_interval_bad_binary(data: str) -> None:
    with pytest.raises(DataError):
        binary(1186, h(data))


def test_interval_binary_overflow() -> None:
    # a timedelta cannot hold these: the months are kept in a pgdbapi.types.Interval
    assert binary(1186, struct.pack("!qii", 0, 0, 2**31 - 1)) == Interval(2**31 - 1)  # 178 956 970 years
    assert binary(1186, struct.pack("!qii", 2**63 - 1, 2**31 - 1, 0)) == Interval(0, 2**31 - 1, 2**63 - 1)
    assert text(1186, "-178956970 years -8 mons") == Interval(-(2**31))
    assert text(1186, "2147483647 days 2562047788:00:54.775807") == Interval(0, 2**31 - 1, 2**63 - 1)


@pytest.mark.parametrize(
    "data, value",
    [
        ("1 year 2 mons 3 days 04:05:06.7", dt.timedelta(days=428, hours=4, minutes=5, seconds=6.7)),
        ("-1 years -2 mons +3 days -04:05:06", dt.timedelta(days=-425 + 3, hours=-4, minutes=-5, seconds=-6)),
        ("10 days 25:00:00", dt.timedelta(days=10, hours=25)),
        ("00:00:00.000001", dt.timedelta(microseconds=1)),
        ("1 mon -1 days +00:00:00.000001", dt.timedelta(days=29, microseconds=1)),
        ("-1 days -02:00:00", dt.timedelta(days=-1, hours=-2)),
        ("1 year", dt.timedelta(days=365)),
        ("1 year 6 mons", dt.timedelta(days=365 + 180)),
        ("2 years", dt.timedelta(days=730)),
        ("1 day", dt.timedelta(days=1)),
        ("00:00:00", dt.timedelta(0)),
        ("1000:00:00", dt.timedelta(hours=1000)),
        ("infinity", dt.timedelta.max),
        ("-infinity", dt.timedelta.min),
        ("P1Y2M3DT4H5M6.7S", dt.timedelta(days=428, hours=4, minutes=5, seconds=6.7)),
        ("P-1Y-2M3DT-4H-5M-6S", dt.timedelta(days=-425 + 3, hours=-4, minutes=-5, seconds=-6)),
        ("PT0S", dt.timedelta(0)),
        ("PT-0.5S", dt.timedelta(seconds=-0.5)),
        ("P1D", dt.timedelta(days=1)),
        ("PT36H", dt.timedelta(hours=36)),
    ],
)
def test_interval_text(data: str, value: dt.timedelta) -> None:
    assert text(1186, data) == value


@pytest.mark.parametrize(
    "bad",
    ["", "1", "1 fortnight", "1 days 2 years", "1 day 1 day", "04:05:06 1 day", "1  day",
     "1 day ", "00:60:00", "00:00:60", "00:00", "1.5 days", "@ 1 year", "+1-2 +3 +4:05:06.7",
     "P", "PT", "P1DT", "P1W", "P1H", "PT1.5H", "1Y", "3000000000 mons -91250000000 days"],
)
def test_interval_bad_text(bad: str) -> None:
    with pytest.raises(DataError):
        text(1186, bad)


def test_interval_encode() -> None:
    value = dt.timedelta(days=-2, hours=5, microseconds=7)
    assert impl.infer_oid(value) == 1186
    assert encode_binary(value) == struct.pack("!qii", 5 * 3600 * 10**6 + 7, -2, 0)
    # explicit signs after the negative days: under IntervalStyle sql_standard the server
    # would apply a lone leading minus to every field
    assert encode_text(value) == "-2 days +18000 seconds +7 microseconds"
    assert binary(1186, encode_binary(value)) == value


# -- uuid, json ------------------------------------------------------------------------------

UUID_TEXT = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"


def test_uuid() -> None:
    u = uuid.UUID(UUID_TEXT)
    got = text(2950, UUID_TEXT)
    assert type(got) is uuid.UUID and got == u and str(got) == UUID_TEXT and hash(got) == hash(u)
    assert binary(2950, u.bytes) == u
    assert text(2950, UUID_TEXT.upper()) == u
    assert impl.infer_oid(u) == 2950
    assert encode_binary(u) == u.bytes
    assert encode_text(u) == UUID_TEXT


@pytest.mark.parametrize(
    "bad",
    [UUID_TEXT.replace("-", ""), "{" + UUID_TEXT + "}", UUID_TEXT[:-1], UUID_TEXT[:-1] + "g",
     UUID_TEXT.replace("-", "_"), "0x" + UUID_TEXT[2:]],
)
def test_uuid_bad_text(bad: str) -> None:
    with pytest.raises(DataError):
        text(2950, bad)


def test_uuid_bad_binary() -> None:
    with pytest.raises(DataError):
        binary(2950, bytes(15))


def test_json() -> None:
    doc = {"a": 1, "b": [1, 2, None], "c": "é"}
    for oid in (114, 3802):
        assert text(oid, '{"a": 1, "b": [1, 2, null], "c": "é"}') == doc
    assert binary(114, b'{"a": 1, "b": [1, 2, null], "c": "\xc3\xa9"}') == doc
    assert binary(3802, b'\x01{"a": 1, "b": [1, 2, null], "c": "\xc3\xa9"}') == doc
    assert text(3802, "3") == 3


@pytest.mark.parametrize("oid, fmt, data", [(3802, 1, b'\x02{}'), (3802, 1, b""), (114, 0, b"{"), (3802, 0, b""), (114, 1, b"[1,]")])
def test_json_bad(oid: int, fmt: int, data: bytes) -> None:
    with pytest.raises(DataError):
        impl.decode_value(oid, fmt, data, impl.TypeContext())


# -- arrays ----------------------------------------------------------------------------------

INT4_ARRAY_123 = h(
    "00 00 00 01 │ 00 00 00 00 │ 00 00 00 17 │ 00 00 00 03 00 00 00 01 │ 00 00 00 04 00 00 00 01"
    " │ 00 00 00 04 00 00 00 02 │ 00 00 00 04 00 00 00 03"
)


def array_dump(elem_oid: int, dims: list[tuple[int, int]], items: list[bytes | None], flags: int | None = None) -> bytes:
    if flags is None:
        flags = 1 if None in items else 0
    out = struct.pack("!iiI", len(dims), flags, elem_oid)
    for length, lower in dims:
        out += struct.pack("!ii", length, lower)
    for item in items:
        out += b"\xff\xff\xff\xff" if item is None else struct.pack("!i", len(item)) + item
    return out


def test_array_binary() -> None:
    assert binary(1007, INT4_ARRAY_123) == [1, 2, 3]
    i4 = [struct.pack("!i", v) for v in (1, 3)]
    assert binary(1007, array_dump(23, [(3, 1)], [i4[0], None, i4[1]])) == [1, None, 3]
    assert binary(1007, h("00 00 00 00 00 00 00 00 00 00 00 17")) == []
    assert binary(1007, array_dump(23, [(3, 0)], [struct.pack("!i", v) for v in (1, 2, 3)])) == [1, 2, 3]
    two_d = array_dump(21, [(2, 1), (2, 1)], [struct.pack("!h", v) for v in (1, 2, 3, 4)])
    assert binary(1005, two_d) == [[1, 2], [3, 4]]
    three_d = array_dump(25, [(2, 1), (1, 1), (3, 1)], [c.encode() for c in "abcdef"])
    assert binary(1009, three_d) == [[["a", "b", "c"]], [["d", "e", "f"]]]
    assert binary(1007, array_dump(23, [(2, 1), (0, 1)], [])) == []


def test_array_binary_flags() -> None:
    assert binary(1007, array_dump(23, [(1, 1)], [None], flags=0)) == [None]  # receivers accept 0/1
    with pytest.raises(DataError):
        binary(1007, array_dump(23, [(1, 1)], [None], flags=2))


@pytest.mark.parametrize(
    "bad",
    [
        array_dump(20, [(1, 1)], [struct.pack("!q", 1)]),  # int8 elements in an int4[]
        array_dump(23, [(1, 1)] * 7, [struct.pack("!i", 1)]),  # 7 dimensions
        struct.pack("!iiI", -1, 0, 23),
        INT4_ARRAY_123[:-1],  # truncated element
        INT4_ARRAY_123[:-4],  # one element missing
        INT4_ARRAY_123 + b"\x00",  # trailing byte
        INT4_ARRAY_123[:11],  # truncated header
        array_dump(23, [(1, 1)], [b"\x00\x01"]),  # element of the wrong size
        array_dump(23, [(-1, 1)], []),
        array_dump(23, [(2**30, 1), (2**30, 1)], [struct.pack("!i", 1)]),  # dims the data cannot hold
        array_dump(23, [(1, 1)], []) + b"\xff\xff\xff\xfe",  # length -2
        array_dump(23, [(1, 1)], []) + b"\x00\x00\x00\x08\x00",  # length overruns
        h("00 00 00 00 00 00 00 00 00 00 00 17 00"),  # empty with a trailing byte
    ],
)
def test_array_bad_binary(bad: bytes) -> None:
    with pytest.raises(DataError):
        binary(1007, bad)


def test_array_bad_element() -> None:
    with pytest.raises(DataError):
        binary(1182, array_dump(1082, [(1, 1)], [h("fff49d7b")]))  # BC date


@pytest.mark.parametrize(
    "oid, data, value",
    [
        (1007, "{1,2,3}", [1, 2, 3]),
        (1007, "{1,NULL,3}", [1, None, 3]),
        (1007, "{1,null,NuLl}", [1, None, None]),
        (1007, "{}", []),
        (1007, "{{1,2},{3,4}}", [[1, 2], [3, 4]]),
        (1007, "[0:2]={1,2,3}", [1, 2, 3]),
        (1007, "[1:1][3:4]={{1,2}}", [[1, 2]]),
        (1007, "[-3:-1]={1,2,3}", [1, 2, 3]),
        (1007, "[+1:3] = {1,2,3}", [1, 2, 3]),
        (1007, "[3]={1,2,3}", [1, 2, 3]),
        (1007, "{ 1 , 2 }", [1, 2]),
        (1007, " {1} ", [1]),
        (1007, "{{},{}}", []),
        (1007, '{"1", "2"}', [1, 2]),
        (1009, '{"a b","c,d","e\\"f","g\\\\h",NULL,"NULL","",x}', ["a b", "c,d", 'e"f', "g\\h", None, "NULL", "", "x"]),
        (1009, '{" x ","","a{b}","a,b","null","tab\there"}', [" x ", "", "a{b}", "a,b", "null", "tab\there"]),
        (1009, "{a b,  c  }", ["a b", "c"]),
        (1009, "{a\\,b,\\NULL,N\\ULL,a\\ }", ["a,b", "NULL", "NULL", "a "]),
        (1009, '{{"a","b"},{NULL,"d"}}', [["a", "b"], [None, "d"]]),
        (1001, '{"\\\\x0102"}', [b"\x01\x02"]),
        (3807, '{"{\\"a\\": 1}"}', [{"a": 1}]),
        (1000, "{t,f,NULL}", [True, False, None]),
        (1021, "{1.1,NaN,-Infinity}", None),
        (1231, "{1.000,NaN}", [Decimal("1.000"), Decimal("NaN")]),
        (1002, '{a,"\\\\351"}', ["a", "\xe9"]),
        (1182, "{2024-02-29,infinity}", [dt.date(2024, 2, 29), dt.date.max]),
        (1183, "{13:14:15.5}", [dt.time(13, 14, 15, 500000)]),
        (1270, "{13:14:15-08}", [dt.time(13, 14, 15, tzinfo=tz(-8))]),
        (1115, '{"2024-05-06 07:08:09"}', [dt.datetime(2024, 5, 6, 7, 8, 9)]),
        (1187, '{"1 day",00:00:01}', [dt.timedelta(days=1), dt.timedelta(seconds=1)]),
        (2951, "{" + UUID_TEXT + "}", [uuid.UUID(UUID_TEXT)]),
        (199, '{"[1, 2]",3}', [[1, 2], 3]),
        (1015, "{x}", ["x"]),
        (1014, '{"ab  "}', ["ab  "]),
        (1003, "{pg_class}", ["pg_class"]),
        (1028, "{4294967295}", [4294967295]),
        (1016, "{-9223372036854775808}", [-(2**63)]),
        (1005, "{{{{{{1}}}}}}", [[[[[[1]]]]]]),
    ],
)
def test_array_text(oid: int, data: str, value: list[object] | None) -> None:
    got = text(oid, data)
    if value is None:  # float4 with NaN
        assert got[0] == 1.1 and math.isnan(got[1]) and got[2] == -math.inf  # type: ignore[index]
    else:
        assert same(got, value)


def test_array_text_timestamptz_in_session_zone() -> None:
    got = text(1185, '{"2024-05-06 05:08:09.5+00",NULL}', NEW_YORK)
    assert got[0] == dt.datetime(2024, 5, 6, 5, 8, 9, 500000, tzinfo=UTC) and got[0].tzinfo is NEW_YORK  # type: ignore[index]
    assert got[1] is None  # type: ignore[index]
    data = array_dump(1184, [(1, 1)], [struct.pack("!q", 0)])
    assert binary(1185, data, NEW_YORK)[0].tzinfo is NEW_YORK  # type: ignore[index]


@pytest.mark.parametrize(
    "bad",
    ["", "1,2", "{1,2", "{1,,2}", "{1,}", "{,1}", "{1 2 3,{4}}", "{{1},2}", "{1,{2}}", "{{1,2},{3}}",
     "{{1},{{2}}}", "{{{1},{2}},{{1,2},{3,4}}}", '{"1}', '{"1"2}', "{1}x", "{1}}", "[0:2]{1,2,3}",
     "[0:2]=", "[a:b]={1}", "[0:2]x{1}", "[0:2={1}", "{{{{{{{1}}}}}}}", "{a\"}", "{1\\", "{1.5}", "{{},{1}}"],
)
def test_array_bad_text(bad: str) -> None:
    with pytest.raises(DataError):
        text(1007, bad)


ALL_ARRAY_OIDS = {
    1000: 16, 1005: 21, 1007: 23, 1016: 20, 1028: 26, 1021: 700, 1022: 701, 1231: 1700,
    1009: 25, 1015: 1043, 1014: 1042, 1003: 19, 1002: 18, 1001: 17, 1182: 1082, 1183: 1083,
    1270: 1266, 1115: 1114, 1185: 1184, 1187: 1186, 2951: 2950, 199: 114, 3807: 3802,
}
SAMPLE_ELEMENT = {  # one binary element per element type, and the value it decodes to
    16: (b"\x01", True), 21: (h("0007"), 7), 23: (h("00000007"), 7), 20: (h("0000000000000007"), 7),
    26: (h("ffffffff"), 2**32 - 1), 700: (h("3fc00000"), 1.5), 701: (h("3ff8000000000000"), 1.5),
    1700: (h("00010000000000030001"), Decimal("1.000")), 25: (b"x", "x"), 1043: (b"x", "x"),
    1042: (b"x ", "x "), 19: (b"x", "x"), 18: (b"x", "x"), 17: (b"\x00", b"\x00"),
    1082: (h("00002279"), dt.date(2024, 2, 29)), 1083: (h("0000000b187d38e0"), dt.time(13, 14, 15, 500000)),
    1266: (h("0000000b187d38e0ffffb2a8"), dt.time(13, 14, 15, 500000, tzinfo=tz(5, 30))),
    1114: (h("0002bac2801b6a80"), dt.datetime(2024, 5, 6, 7, 8, 9, 123456)),
    1184: (h("0002bac2801b6a80"), dt.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)),
    1186: (h("000000036c966ee0000000030000000e"), dt.timedelta(days=428, seconds=14706.7)),
    2950: (uuid.UUID(UUID_TEXT).bytes, uuid.UUID(UUID_TEXT)), 114: (b"[1]", [1]), 3802: (b"\x01[1]", [1]),
}


@pytest.mark.parametrize("array_oid, elem_oid", sorted(ALL_ARRAY_OIDS.items()))
def test_every_array_type_binary(array_oid: int, elem_oid: int) -> None:
    data, value = SAMPLE_ELEMENT[elem_oid]
    got = binary(array_oid, array_dump(elem_oid, [(2, 1)], [data, None]))
    assert same(got, [value, None])
    assert impl.has_binary(array_oid)
    with pytest.raises(DataError):  # element OID must be the array's
        binary(array_oid, array_dump(elem_oid + 1, [(2, 1)], [data, None]))


def test_has_binary() -> None:
    for oid in (16, 17, 18, 19, 20, 21, 23, 25, 26, 28, 29, 114, 700, 701, 1042, 1043, 1082, 1083,
                1114, 1184, 1186, 1266, 1700, 2950, 3802, 5069, *ALL_ARRAY_OIDS):
        assert impl.has_binary(oid) is True, oid
    for oid in (869, 650, 829, 774, 1560, 1562, 3220, 2970, 5038, 142, 4072, 2278, 27, 3904,
                3926, 3906, 3912, 3908, 3910, 4451, 4536, 4532, 4535, 4533, 4534, 1041, 3905, 6150):
        assert impl.has_binary(oid) is True, oid
    # text only: names (reg*), money (locale), text search, geometric, records
    for oid in (705, 24, 2205, 2206, 0, 99999, 1008, 2249, 2287, 790, 791, 3614, 3615, 600, 603,
                4089, 2210):
        assert impl.has_binary(oid) is False, oid


# -- infer_oid / encode_param ----------------------------------------------------------------


class Color(enum.IntEnum):
    RED = 1


class MyStr(str):
    pass


class MyDateTime(dt.datetime):
    pass


@pytest.mark.parametrize(
    "value, oid",
    [
        (None, 0),
        (True, 16),
        (False, 16),
        (0, 23),
        (2**31 - 1, 23),
        (-(2**31), 23),
        (2**31, 20),
        (-(2**31) - 1, 20),
        (2**63 - 1, 20),
        (-(2**63), 20),
        (2**63, 1700),
        (-(2**63) - 1, 1700),
        (1.5, 701),
        (Decimal("1.5"), 1700),
        ("x", 0),
        (b"x", 17),
        (bytearray(b"x"), 17),
        (memoryview(b"x"), 17),
        (dt.datetime(2024, 1, 1), 1114),
        (dt.datetime(2024, 1, 1, tzinfo=UTC), 1184),
        (dt.date(2024, 1, 1), 1082),
        (dt.time(1, 2), 1083),
        (dt.time(1, 2, tzinfo=tz(1)), 1266),
        (dt.timedelta(1), 1186),
        (uuid.UUID(UUID_TEXT), 2950),
        ([1, 2], 1007),
        (Encoded(1234, 0, b"x"), 1234),
        (Color.RED, 23),
        (MyStr("x"), 0),
        (MyDateTime(2024, 1, 1), 1114),
    ],
)
def test_infer_oid(value: object, oid: int) -> None:
    assert impl.infer_oid(value) == oid


@pytest.mark.parametrize("value", [{}, {1}, (1, 2), object(), 1j, frozenset(), [{}], [(1,)], [1, object()], [Encoded(23, 0, b"1")]])
def test_unadaptable(value: object) -> None:
    with pytest.raises(ProgrammingError, match="can't adapt type"):
        impl.infer_oid(value)
    with pytest.raises(ProgrammingError, match="can't adapt type"):
        encode(value, 0)


def test_cant_adapt_message_names_the_type() -> None:
    with pytest.raises(ProgrammingError, match="^can't adapt type 'dict'$"):
        encode({}, 0)


@pytest.mark.parametrize(
    "value, oid, data",
    [
        (True, 16, "01"),
        (False, 16, "00"),
        (42, 23, "0000002a"),
        (-1, 23, "ffffffff"),
        (2**40, 20, "0000010000000000"),
        (0.1, 701, "3fb999999999999a"),
        (-math.inf, 701, "fff0000000000000"),
        (b"\x00\xffA", 17, "00ff41"),
        (bytearray(b"\x00\xffA"), 17, "00ff41"),
        (memoryview(b"\x00\xffA"), 17, "00ff41"),
        (Color.RED, 23, "00000001"),
    ],
)
def test_encode_binary(value: object, oid: int, data: str) -> None:
    assert impl.infer_oid(value) == oid
    assert encode(value, oid) == (1, h(data))


@pytest.mark.parametrize(
    "value, data",
    [
        (True, "t"),
        (False, "f"),
        (42, "42"),
        (2**63, "9223372036854775808"),
        (Color.RED, "1"),
        (1.5, "1.5"),
        (0.1, "0.1"),
        (1e100, "1e+100"),
        (math.nan, "NaN"),
        (math.inf, "Infinity"),
        (-math.inf, "-Infinity"),
        (Decimal("1.50"), "1.50"),
        (Decimal("NaN"), "NaN"),
        (Decimal("-Infinity"), "-Infinity"),
        ("héllo", "héllo"),
        (MyStr("x"), "x"),
        (b"\x00\xffA", "\\x00ff41"),
        (memoryview(b"\xab"), "\\xab"),
        (dt.date(2024, 2, 29), "2024-02-29"),
        (dt.datetime(2024, 2, 29, 1, 2, 3), "2024-02-29 01:02:03"),
        (dt.time(1, 2, 3, 4), "01:02:03.000004"),
        (dt.timedelta(days=1, seconds=2, microseconds=3), "1 days 2 seconds 3 microseconds"),
        (uuid.UUID(UUID_TEXT), UUID_TEXT),
    ],
)
def test_encode_text_fallback(value: object, data: str) -> None:
    """Declared oid 0 (or any oid but the inferred one): text, what the input function reads."""
    assert encode_text(value, 0) == data
    assert encode_text(value, 25) == data


def test_encode_null() -> None:
    assert encode(None, 0) == (0, None)
    assert encode(None, 23) == (0, None)


def test_int_declared_wider_is_sent_as_text() -> None:
    # binary only when infer_oid(value) == oid: a small int declared int8 goes as text
    assert encode(5, 20) == (0, b"5")
    assert encode(2**40, 23) == (0, b"1099511627776")


def test_str_is_never_binary() -> None:
    assert encode("x", 25) == (0, b"x")


def test_unencodable_str() -> None:
    with pytest.raises(DataError):
        encode("\ud800", 0)


def test_encoded_format_must_be_0_or_1() -> None:
    with pytest.raises(ProgrammingError):
        encode(Encoded(23, 2, b"1"), 23)


def test_encoded_passthrough() -> None:
    assert encode(Encoded(23, 1, b"\x00\x00\x00\x01"), 0) == (1, b"\x00\x00\x00\x01")
    assert encode(Encoded(25, 0, b"abc"), 999) == (0, b"abc")
    assert encode(Encoded(25, 0, None), 25) == (0, None)
    assert impl.infer_oid(Encoded(1234, 1, None)) == 1234


# -- lists -> arrays -------------------------------------------------------------------------


def test_list_int4_binary_matches_the_server_dump() -> None:
    assert impl.infer_oid([1, 2, 3]) == 1007
    assert encode([1, 2, 3], 1007) == (1, INT4_ARRAY_123)
    i4 = [struct.pack("!i", v) for v in (1, 3)]
    assert encode([1, None, 3], 1007) == (1, array_dump(23, [(3, 1)], [i4[0], None, i4[1]]))


def test_list_ints_widen() -> None:
    assert impl.infer_oid([1, 2**40, None]) == 1016
    assert encode([1, 2**40], 1016) == (1, array_dump(20, [(2, 1)], [struct.pack("!q", 1), struct.pack("!q", 2**40)]))
    assert impl.infer_oid([1, 2**40, 2**70]) == 1231
    fmt, data = encode([1, 2**70], 1231)
    assert fmt == 1 and binary(1231, data) == [1, 2**70]  # type: ignore[arg-type]
    assert impl.infer_oid([[1], [2**31]]) == 1016


def test_list_ints_among_floats_or_decimals() -> None:
    """As SQL's ARRAY[1, 2.5]: ints join the floats (float8[]) or the Decimals (numeric[])."""
    assert impl.infer_oid([1, 2.5, None]) == 1022
    back = binary(1022, encode_binary([1, 2.5, None]))
    assert back == [1.0, 2.5, None] and type(back[0]) is float  # type: ignore[index]
    assert impl.infer_oid([[2**70], [Decimal("1.5")]]) == 1231
    assert binary(1231, encode_binary([2**70, Decimal("1.5")])) == [Decimal(2**70), Decimal("1.5")]
    assert impl.infer_oid([True, 1.5]) == 0  # bools are not ints here
    with pytest.raises(DataError):
        encode([1.5, 10**400], 1022)


def test_list_element_types() -> None:
    cases = [
        ([True, None], 1000),
        ([1.5], 1022),
        ([Decimal("1.5")], 1231),
        (["a", "b"], 1009),
        ([b"x", bytearray(b"y")], 1001),
        ([dt.date(2024, 1, 1)], 1182),
        ([dt.time(1)], 1183),
        ([dt.time(1, tzinfo=UTC)], 1270),
        ([dt.datetime(2024, 1, 1)], 1115),
        ([dt.datetime(2024, 1, 1, tzinfo=UTC)], 1185),
        ([dt.timedelta(1)], 1187),
        ([uuid.UUID(UUID_TEXT)], 2951),
    ]
    for value, oid in cases:
        assert impl.infer_oid(value) == oid, value
        assert same(binary(oid, encode_binary(value)), [bytes(x) if isinstance(x, bytearray) else x for x in value])


def test_list_str_binary_is_text_bytes() -> None:
    assert encode(["é", None], 1009) == (1, array_dump(25, [(2, 1)], ["é".encode(), None]))


def test_list_nested_binary() -> None:
    value = [[1, 2], [3, 4], [5, None]]
    assert impl.infer_oid(value) == 1007
    fmt, data = encode(value, 1007)
    assert fmt == 1
    assert data == array_dump(23, [(3, 1), (2, 1)], [struct.pack("!i", v) for v in (1, 2, 3, 4, 5)] + [None])
    assert binary(1007, data) == value  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "value, literal",
    [
        ([], "{}"),
        ([None, None], "{NULL,NULL}"),
        ([[None], [None]], "{{NULL},{NULL}}"),
        ([1, "a"], "{1,a}"),
        ([1.5, Decimal("1.5")], "{1.5,1.5}"),
        ([True, 1], "{t,1}"),
        ([dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 1, tzinfo=UTC)], '{"2024-01-01 00:00:00","2024-01-01 00:00:00+00:00"}'),
    ],
)
def test_list_without_element_type_is_text(value: list[object], literal: str) -> None:
    assert impl.infer_oid(value) == 0
    assert encode(value, 0) == (0, literal.encode())


def test_list_text_quoting() -> None:
    value = ["a b", "c,d", 'e"f', "g\\h", None, "NULL", "", "x", "null", "tab\there", "{}", "é"]
    literal = '{"a b","c,d","e\\"f","g\\\\h",NULL,"NULL","",x,"null","tab\there","{}",é}'
    assert encode_text(value, 0) == literal
    assert text(1009, literal) == value
    assert encode_text([b"\x01\x02"], 0) == '{"\\\\x0102"}'
    assert encode_text([[1, 2], [3, None]], 0) == "{{1,2},{3,NULL}}"
    assert encode_text([1.5, math.nan], 0) == "{1.5,NaN}"


@pytest.mark.parametrize("value", [[[1, 2], [3]], [[1], 2], [1, [2]], [[1], None], [None, [1]], [[[1]], [[1, 2]]], [[]] * 2 + [[1]]])
def test_list_ragged(value: list[object]) -> None:
    with pytest.raises(DataError):
        impl.infer_oid(value)
    with pytest.raises(DataError):
        encode(value, 0)


def test_list_too_deep() -> None:
    assert impl.infer_oid([[[[[[1]]]]]]) == 1007
    with pytest.raises(DataError):
        impl.infer_oid([[[[[[[1]]]]]]])


@given(st.lists(st.one_of(st.none(), st.integers(-(2**70), 2**70)), max_size=20))
def test_int_list_round_trip(value: list[int | None]) -> None:
    oid = impl.infer_oid(value)
    fmt, data = encode(value, oid)
    if oid == 0:
        assert fmt == 0 and all(v is None for v in value)
        return
    assert fmt == 1 and data is not None
    assert [v if v is None else int(v) for v in binary(oid, data)] == value  # type: ignore[union-attr]


@given(st.lists(st.one_of(st.none(), st.text()), min_size=1, max_size=10))
def test_text_list_round_trip_through_the_literal(value: list[str | None]) -> None:
    literal = encode_text(value, 0).encode()
    assert text(1009, literal) == value


# -- the Python twin's two readers of ISO text agree -----------------------------------------

SHAPES = (
    [("date", "0000-00-00")]
    + [("time", t) for t in ["00:00:00"] + ["00:00:00." + "0" * k for k in range(1, 7)]]
    + [("time", t + o) for t in ("00:00:00", "00:00:00.000") for o in ("+00", "-00:00", "+00:00:00")]
    + [("datetime", "0000-00-00 00:00:00" + f + o) for f in ("", ".0", ".000000") for o in ("", "+00", "-00:00", "+00:00:00")]
)


@pytest.mark.skipif(__import__("sys").version_info < (3, 11), reason="fromisoformat reads these since 3.11")
@given(st.sampled_from(SHAPES), st.data())
def test_python_twin_iso_readers_agree(shape: tuple[str, str], data: st.DataObject) -> None:
    """The pure-Python twin parses ISO text with fromisoformat on 3.11+ and by hand before:
    both must give the same value or both fail, for every shape it accepts."""
    from pgdbapi import _pycodec_decode as d

    kind, template = shape
    digit = st.sampled_from("0123456789") if data.draw(st.booleans()) else st.sampled_from("0129")
    text_value = "".join(data.draw(digit) if c == "0" else c for c in template).encode()
    k = next((i for i in range(8, len(text_value)) if text_value[i] in b"+-" and kind != "date"), len(text_value))
    if kind == "datetime":
        k = next((i for i in range(19, len(text_value)) if text_value[i] in b"+-"), len(text_value))
    readers = {"date": (d._manual_date, d._iso_date), "time": (d._manual_time, d._iso_time),
               "datetime": (d._manual_datetime, d._iso_datetime)}[kind]
    results = []
    for read in readers:
        try:
            value = read(text_value) if kind == "date" else read(text_value, k)  # type: ignore[call-arg]
            results.append((value, getattr(value, "utcoffset", lambda: None)()))
        except ValueError:
            results.append(("ValueError", None))
    assert results[0] == results[1], text_value
