"""pgdbapi.literals.quote: SQL literals for client-side binding."""

from __future__ import annotations

import collections.abc
import enum
import ipaddress
import uuid
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pgdbapi import literals
from pgdbapi._codec_contract import Encoded
from pgdbapi.exceptions import DataError, ProgrammingError
from pgdbapi.literals import quote, register_literal
from pgdbapi.pyformat import parse_query

IST = timezone(timedelta(hours=5, minutes=30))
WEST = timezone(-timedelta(hours=8))


class Color(enum.IntEnum):
    RED = 1


class MyStr(str):
    def __str__(self) -> str:
        return "not the value"


class MyDatetime(datetime):
    pass


class MyFloat(float):
    def __repr__(self) -> str:
        return "not a number"


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        (None, "NULL"),
        (True, "true"),
        (False, "false"),
        (0, "0"),
        (42, "42"),
        (-1, " -1"),
        (2**31, "2147483648"),
        (-(2**63) + 1, " -9223372036854775807"),
        (-(2**63), "(-9223372036854775808)"),  # psycopg2's " -9223372036854775808"::int8 fails
        (-(2**31), "(-2147483648)"),
        (-(2**15), "(-32768)"),
        (10**30, "1" + "0" * 30),
        (Color.RED, "1"),
        (1.5, "1.5::float8"),
        (-1.5, " -1.5::float8"),
        (0.0, "0.0::float8"),
        (-0.0, " -0.0::float8"),
        (1e100, "1e+100::float8"),
        (1e-7, "1e-07::float8"),
        (0.1, "0.1::float8"),
        (MyFloat(2.5), "2.5::float8"),
        (float("nan"), "'NaN'::float8"),
        (float("inf"), "'Infinity'::float8"),
        (float("-inf"), "'-Infinity'::float8"),
        (Decimal("1.5"), "1.5"),
        (Decimal("-1.50"), " -1.50"),
        (Decimal("5"), "5::numeric"),
        (Decimal("-5"), " -5::numeric"),
        (Decimal("-0"), " -0::numeric"),
        (Decimal("1E+2"), "1E+2"),
        (Decimal("1E-20"), "1E-20"),
        (Decimal("0.000001"), "0.000001"),
        (Decimal("NaN"), "'NaN'::numeric"),
        (Decimal("-NaN"), "'NaN'::numeric"),
        (Decimal("Infinity"), "'Infinity'::numeric"),
        (Decimal("-Infinity"), "'-Infinity'::numeric"),
        ("", "''"),
        ("abc", "'abc'"),
        ("it's", "'it''s'"),
        ("''", "''''''"),
        ("a\\b", "'a\\b'"),
        ("é\n\t☃", "'é\n\t☃'"),
        (MyStr("x"), "'x'"),
        (b"", "'\\x'::bytea"),
        (b"\x01\x02\xff", "'\\x0102ff'::bytea"),
        (bytearray(b"\x00a"), "'\\x0061'::bytea"),
        (memoryview(b"\xab"), "'\\xab'::bytea"),
        (date(2024, 1, 2), "'2024-01-02'::date"),
        (date(1, 1, 1), "'0001-01-01'::date"),
        (datetime(2024, 1, 2, 3, 4, 5), "'2024-01-02 03:04:05'::timestamp"),
        (datetime(2024, 1, 2, 3, 4, 5, 6), "'2024-01-02 03:04:05.000006'::timestamp"),
        (MyDatetime(2024, 1, 2), "'2024-01-02 00:00:00'::timestamp"),
        (
            datetime(2024, 1, 2, 3, 4, 5, tzinfo=IST),
            "'2024-01-02 03:04:05+05:30'::timestamptz",
        ),
        (
            datetime(2024, 1, 2, 3, 4, 5, 500, tzinfo=WEST),
            "'2024-01-02 03:04:05.000500-08:00'::timestamptz",
        ),
        (
            datetime(2024, 1, 2, tzinfo=timezone.utc),
            "'2024-01-02 00:00:00+00:00'::timestamptz",
        ),
        (time(3, 4, 5), "'03:04:05'::time"),
        (time(3, 4, 5, 6), "'03:04:05.000006'::time"),
        (time(3, 4, 5, tzinfo=IST), "'03:04:05+05:30'::timetz"),
        (
            timedelta(days=1, seconds=2, microseconds=3),
            "'1 days 2 seconds 3 microseconds'::interval",
        ),
        (timedelta(0), "'0 days 0 seconds 0 microseconds'::interval"),
        (timedelta(microseconds=-1), "'-1 days +86399 seconds +999999 microseconds'::interval"),
        (
            uuid.UUID("12345678-1234-5678-1234-567812345678"),
            "'12345678-1234-5678-1234-567812345678'::uuid",
        ),
        (ipaddress.ip_address("192.168.0.1"), "'192.168.0.1'::inet"),
        (ipaddress.ip_interface("2001:db8::1/64"), "'2001:db8::1/64'::inet"),
        (ipaddress.ip_network("10.0.0.0/8"), "'10.0.0.0/8'::cidr"),
        ([], "'{}'"),
        ([[]], "'{{}}'"),
        ([[None], [None]], "'{{NULL},{NULL}}'"),  # as server-side binding sends it (psycopg2)
        ([1, 2, 3], "ARRAY[1,2,3]"),
        ([-1, None], "ARRAY[ -1,NULL]"),
        ([None], "'{NULL}'"),
        ([None, 1], "ARRAY[NULL,1]"),
        (["a", "b'c"], "ARRAY['a','b''c']"),
        ([[1, 2], [3, 4]], "ARRAY[ARRAY[1,2],ARRAY[3,4]]"),
        ([1.5, Decimal("2")], "ARRAY[1.5::float8,2::numeric]"),
        ([date(2024, 1, 2)], "ARRAY['2024-01-02'::date]"),
        ((1, 2, 3), "(1, 2, 3)"),
        ((-1, -2), "( -1,  -2)"),
        (("a",), "('a')"),
        ((), "()"),
        ((None, (1, 2), [3]), "(NULL, (1, 2), ARRAY[3])"),
        (Encoded(114, 0, b'{"a": "b\'c"}'), "'{\"a\": \"b''c\"}'"),
        (Encoded(25, 0, None), "NULL"),
        (Encoded(17, 1, None), "NULL"),
    ],
)
def test_quote(value: object, literal: str) -> None:
    assert quote(value) == literal


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        ("a\\b", "E'a\\\\b'"),
        ("it's \\", "E'it''s \\\\'"),
        ("no backslash", "'no backslash'"),
        (b"\x01", "E'\\\\x01'::bytea"),
        (["\\"], "ARRAY[E'\\\\']"),
        (("\\", "x"), "(E'\\\\', 'x')"),
        (Encoded(25, 0, b"\\n"), "E'\\\\n'"),
        (date(2024, 1, 2), "'2024-01-02'::date"),
        (1, "1"),
    ],
)
def test_quote_without_standard_conforming_strings(value: object, literal: str) -> None:
    assert quote(value, standard_conforming_strings=False) == literal


@pytest.mark.parametrize(
    "value", ["a\0b", ["x", "\0"], ("\0",), Encoded(25, 0, b"\0"), Encoded(25, 0, b"\xff")]
)
def test_data_errors(value: object) -> None:
    with pytest.raises(DataError):
        quote(value)


def test_signaling_nan_is_refused() -> None:
    with pytest.raises(DataError, match="signaling NaN"):
        quote(Decimal("sNaN"))


def test_binary_encoded_cannot_be_inlined() -> None:
    with pytest.raises(ProgrammingError, match="binary format"):
        quote(Encoded(17, 1, b"\x00"))


@pytest.mark.parametrize(
    ("value", "name"),
    [({"a": 1}, "dict"), ({1}, "set"), (frozenset(), "frozenset"), (object(), "object"),
     (1j, "complex"), ([{}], "dict")],
)  # fmt: skip
def test_unadaptable(value: object, name: str) -> None:
    with pytest.raises(ProgrammingError, match=f"can't adapt type '{name}'"):
        quote(value)


# --- register_literal --------------------------------------------------------------------


@pytest.fixture
def own_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Registrations in a test stay in that test."""
    monkeypatch.setattr(literals, "_LITERALS", dict(literals._LITERALS))


class Money:
    def __init__(self, cents: int) -> None:
        self.cents = cents


class Euro(Money):
    pass


@pytest.mark.usefixtures("own_registry")
def test_register_literal_for_a_class_and_its_subclasses() -> None:
    register_literal(Money, lambda v, std: f"{v.cents / 100}::money")
    assert quote(Money(150)) == "1.5::money"
    assert quote(Euro(250)) == "2.5::money"
    assert quote([Euro(100)]) == "ARRAY[1.0::money]"


@pytest.mark.usefixtures("own_registry")
def test_the_most_specific_registration_wins() -> None:
    register_literal(Euro, lambda v, std: "'euro'")
    register_literal(Money, lambda v, std: "'money'")
    assert quote(Euro(1)) == "'euro'"
    assert quote(Money(1)) == "'money'"


@pytest.mark.usefixtures("own_registry")
def test_register_literal_overrides_a_builtin_and_gets_the_setting() -> None:
    seen = []

    def literal(value: object, std: bool) -> str:
        seen.append(std)
        return "'override'"

    register_literal(int, literal)
    assert quote(5, standard_conforming_strings=False) == "'override'"
    assert seen == [False]
    assert quote(True) == "true"  # bool is its own entry


@pytest.mark.usefixtures("own_registry")
def test_register_literal_for_an_abstract_base_class() -> None:
    class Frozen(collections.abc.Mapping):
        def __getitem__(self, key: str) -> int:
            return 1

        def __iter__(self) -> Iterator[str]:
            return iter(["k"])

        def __len__(self) -> int:
            return 1

    register_literal(collections.abc.Mapping, lambda v, std: "'mapping'")
    assert quote({"a": 1}) == "'mapping'"  # dict is only a virtual subclass
    assert quote(Frozen()) == "'mapping'"


def test_registrations_did_not_leak() -> None:
    with pytest.raises(ProgrammingError):
        quote(Money(1))
    assert quote(5) == "5"


# --- properties --------------------------------------------------------------------------


def unquote_string(literal: str) -> str:
    """A reference reader for the two string literal forms quote() writes."""
    if literal.startswith("E'"):
        body, escapes = literal[2:], True
    else:
        assert literal.startswith("'"), literal
        body, escapes = literal[1:], False
    assert body.endswith("'"), literal
    body = body[:-1]
    out = []
    i = 0
    while i < len(body):
        char = body[i]
        if char == "'":
            assert body[i + 1 : i + 2] == "'", f"lone quote in {literal!r}"
            out.append("'")
            i += 2
        elif char == "\\" and escapes:
            escaped = body[i + 1 : i + 2]
            assert escaped in ("\\", "'"), f"unexpected escape in {literal!r}"
            out.append(escaped)
            i += 2
        else:
            out.append(char)
            i += 1
    return "".join(out)


_text = st.text(alphabet=st.characters(blacklist_characters="\0"))
_std = st.booleans()


@given(_text, _std)
def test_string_round_trip(text: str, std: bool) -> None:
    literal = quote(text, standard_conforming_strings=std)
    assert unquote_string(literal) == text
    if std or "\\" not in text:
        assert literal.startswith("'")  # E'' only where backslashes would be escapes


@given(st.binary(), _std)
def test_bytes_round_trip(data: bytes, std: bool) -> None:
    literal = quote(data, standard_conforming_strings=std)
    assert literal.endswith("::bytea")
    text = unquote_string(literal[: -len("::bytea")])
    assert text.startswith("\\x")
    assert bytes.fromhex(text[2:]) == data


@given(st.text(alphabet=st.characters(codec="utf-8", blacklist_characters="\0%")))
def test_a_string_literal_is_one_closed_token(text: str) -> None:
    """Whatever the text, the literal cannot end early or open a comment or statement."""
    for std in (True, False):
        literal = quote(text, standard_conforming_strings=std)
        analysis = parse_query(f"SELECT {literal}, %s").analysis
        assert not analysis.placeholder_in_literal
        assert not analysis.multiple_statements


@given(st.integers() | st.floats() | st.decimals(allow_nan=False))
def test_numbers_never_start_with_a_minus(number: object) -> None:
    literal = quote(number)
    assert not literal.startswith("-")
    assert "--" not in "-" + literal
