"""Session settings that change how values decode, shared by both codec twins.

The twins' own decoders read the text of DateStyle ISO and IntervalStyle postgres (or
iso_8601), the fast path. This module covers everything else, once, in Python:

* ``context_mode(ctx)``: the TypeContext settings as one small int, computed when a decoder
  is built, so the row loop never looks at the context;
* ``interval_value``: an interval's three fields as a ``timedelta`` (psycopg2) or, when
  asked for or when a timedelta cannot hold it, a :class:`pgdbapi.types.Interval`;
* ``decode_text``: date, timestamp, timestamptz text in DateStyle SQL, Postgres and German
  (and ISO, so a statement that still arrives in ISO decodes too) and interval text in
  IntervalStyle sql_standard and postgres_verbose (and the other two). These styles are
  rare, so the readers are regular expressions, not fast code.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Any

from . import _pycodec_types as more
from .exceptions import DataError, ProgrammingError
from .types import INTERVAL_MODES, Interval

DATE, TIMESTAMP, TIMESTAMPTZ, INTERVAL = 1082, 1114, 1184, 1186

# context_mode() bits; the low two are the infinity mode (0 clamp, 1 error, 2 sentinel)
INFINITY_BITS = 0x03
KEEP_INTERVALS = 0x04  # intervals decode to Interval (TypeContext.interval == "interval")
STYLED_DATES = 0x08  # DateStyle is not ISO: dates and timestamps take decode_text
DAY_FIRST = 0x10  # ... and its field order is DMY
STYLED_INTERVALS = 0x20  # IntervalStyle is sql_standard or postgres_verbose

# what the fast decoders' errors add: the style they read, and why it may not have applied
DATESTYLE_HINT = (
    " (expected DateStyle ISO text; a SET DateStyle applies to results from the next query"
    " string on: send it on its own)"
)
INTERVALSTYLE_HINT = (
    " (expected IntervalStyle postgres or iso_8601 text; a SET IntervalStyle applies to"
    " results from the next query string on: send it on its own)"
)

_I32_MIN, _I32_MAX = -(1 << 31), (1 << 31) - 1
_I64_MIN, _I64_MAX = -(1 << 63), (1 << 63) - 1
_FAST_INTERVAL_STYLES = ("postgres", "iso_8601")


def context_mode(ctx: Any) -> int:
    """The settings of a TypeContext that decoders depend on, as context_mode bits;
    ProgrammingError for an ``infinity`` or ``interval`` value that is not a mode."""
    infinity = getattr(ctx, "infinity", "clamp")
    interval = getattr(ctx, "interval", "timedelta")
    datestyle = getattr(ctx, "datestyle", "ISO")
    intervalstyle = getattr(ctx, "intervalstyle", "postgres")
    if infinity == "clamp" and interval == "timedelta" and intervalstyle == "postgres" and (
        datestyle == "ISO, MDY" or datestyle == "ISO, DMY"
    ):
        return 0  # the connection's defaults (the usual DateStyle reports), quickly
    mode = more.infinity_mode(ctx)
    if interval == "interval":
        mode |= KEEP_INTERVALS
    elif interval != "timedelta":
        raise ProgrammingError(
            f"TypeContext.interval must be one of {INTERVAL_MODES}, not {interval!r}"
        )
    bits = _DATESTYLE_BITS.get(datestyle)
    if bits is None:
        style = str(datestyle).upper().replace(" ", "").split(",")
        bits = 0 if style[0] == "ISO" else STYLED_DATES | (DAY_FIRST if "DMY" in style else 0)
        if len(_DATESTYLE_BITS) < 64:
            _DATESTYLE_BITS[datestyle] = bits
    if intervalstyle not in _FAST_INTERVAL_STYLES:
        bits |= STYLED_INTERVALS
    return mode | bits


_DATESTYLE_BITS: dict[str, int] = {}


# -- interval values -------------------------------------------------------------------------

def interval_value(months: int, days: int, usecs: int, keep: bool) -> timedelta | Interval:
    """An interval's fields (in range) as an Interval when ``keep``, else as psycopg2's
    timedelta (a year is 365 days, a remaining month 30), or an Interval when that
    timedelta would overflow."""
    if keep:
        return Interval._from_fields(months, days, usecs)
    total = days
    if months:
        years, rest = divmod(abs(months), 12)
        total += (years * 365 + rest * 30) * (1 if months > 0 else -1)
    try:
        return timedelta(total, 0, usecs)
    except OverflowError:
        return Interval._from_fields(months, days, usecs)


def checked_interval(months: int, days: int, usecs: int, keep: bool) -> timedelta | Interval:
    """interval_value of fields parsed from text: out of the server's range -> DataError."""
    if _I32_MIN <= months <= _I32_MAX and _I32_MIN <= days <= _I32_MAX and (
        _I64_MIN <= usecs <= _I64_MAX
    ):
        return interval_value(months, days, usecs, keep)
    raise DataError("interval field out of range")


def infinite_interval(sign: int, keep: bool) -> timedelta | Interval:
    """``infinity`` / ``-infinity`` (PostgreSQL 17+): timedelta.max / min, or Interval's."""
    if keep:
        return Interval.INFINITY if sign > 0 else Interval.MINUS_INFINITY
    return timedelta.max if sign > 0 else timedelta.min


# -- interval text in every IntervalStyle ----------------------------------------------------
# Bytes in, as they arrive: the pure-Python twin's default interval decoder runs through
# fast_interval_fields for every text interval.

_FRAC = rb"(?:\.([0-9]{1,6}))?"
_CLOCK = re.compile(rb"([+-]?)([0-9]+):([0-5][0-9]):([0-5][0-9])" + _FRAC)
_YEAR_MONTH = re.compile(rb"([+-]?)([0-9]+)-([0-9]+)")
_SIGNED = re.compile(rb"[+-]?[0-9]+")
_DIGITS = re.compile(rb"[0-9]+")
_VERBOSE_SECONDS = re.compile(rb"(-?)([0-9]+)" + _FRAC)
_ISO_8601 = re.compile(
    rb"P(?:([+-]?[0-9]+)Y)?(?:([+-]?[0-9]+)M)?(?:([+-]?[0-9]+)D)?"
    rb"(?:T(?:([+-]?[0-9]+)H)?(?:([+-]?[0-9]+)M)?(?:([+-]?)([0-9]+)" + _FRAC + rb"S)?)?"
)
_FRAC_SCALE = (1, 100000, 10000, 1000, 100, 10, 1)
# unit word -> (order, months, days, µs) per unit; postgres style uses the first three
_UNITS = {
    b"year": (0, 12, 0, 0), b"mon": (1, 1, 0, 0), b"day": (2, 0, 1, 0),
    b"hour": (3, 0, 0, 3_600_000_000), b"min": (4, 0, 0, 60_000_000),
    b"sec": (5, 0, 0, 1_000_000),
}
_UNITS.update({word + b"s": unit for word, unit in list(_UNITS.items())})
_POSTGRES_UNITS = {word: unit for word, unit in _UNITS.items() if unit[0] <= 2}


def _micros(seconds: bytes, frac: bytes | None) -> int:
    usecs = int(seconds) * 1_000_000
    return usecs + int(frac) * _FRAC_SCALE[len(frac)] if frac else usecs


def _clock(m: re.Match[bytes]) -> int:
    """µs of a matched ``[+-]H:MM:SS[.f]``."""
    sign, hours, minutes, seconds, frac = m.groups()
    usecs = (int(hours) * 60 + int(minutes)) * 60_000_000 + _micros(seconds, frac)
    return -usecs if sign == b"-" else usecs


def _verbose_fields(tokens: list[bytes]) -> tuple[int, int, int]:
    """``@ 1 year 2 mons -3 days 4 hours 5 mins 6.7 secs ago`` (``ago`` negates all)."""
    negate = tokens[-1:] == [b"ago"]
    if negate:
        tokens = tokens[:-1]
    if tokens == [b"0"]:
        return 0, 0, 0
    if not tokens or len(tokens) % 2:
        raise ValueError("not a postgres_verbose interval")
    months = days = usecs = 0
    last = -1
    for number, word in zip(tokens[::2], tokens[1::2]):
        unit = _UNITS.get(word)
        if unit is None or unit[0] <= last:
            raise ValueError("unknown unit or fields out of order")
        last = unit[0]
        if last == 5:
            m = _VERBOSE_SECONDS.fullmatch(number)
            if m is None:
                raise ValueError("bad seconds")
            value = _micros(m.group(2), m.group(3))
            usecs += -value if m.group(1) else value
            continue
        if _SIGNED.fullmatch(number) is None:
            raise ValueError("bad number")
        n = int(number)
        months += n * unit[1]
        days += n * unit[2]
        usecs += n * unit[3]
    if negate:
        return -months, -days, -usecs
    return months, days, usecs


def _sql_standard_fields(tokens: list[bytes]) -> tuple[int, int, int]:
    """``0``, ``[-]Y-M``, ``[-]D H:MM:SS``, ``[-]H:MM:SS`` (one sign for all fields), or
    ``±Y-M ±D ±H:MM:SS`` when the fields' signs differ."""
    if tokens == [b"0"]:
        return 0, 0, 0
    if len(tokens) == 3:
        ym = _YEAR_MONTH.fullmatch(tokens[0])
        clock = _CLOCK.fullmatch(tokens[2])
        if ym is None or clock is None or _SIGNED.fullmatch(tokens[1]) is None:
            raise ValueError("not a sql_standard interval")
        months = int(ym.group(2)) * 12 + int(ym.group(3))
        return (-months if ym.group(1) == b"-" else months), int(tokens[1]), _clock(clock)
    negative = tokens[0][:1] == b"-"
    if negative:
        tokens = [tokens[0][1:]] + tokens[1:]
    months = days = usecs = 0
    ym = _YEAR_MONTH.fullmatch(tokens[0]) if len(tokens) == 1 else None
    if ym is not None and not ym.group(1):
        months = int(ym.group(2)) * 12 + int(ym.group(3))
    else:
        if len(tokens) == 2:
            if _DIGITS.fullmatch(tokens[0]) is None:
                raise ValueError("not a sql_standard interval")
            days = int(tokens[0])
        elif len(tokens) != 1:
            raise ValueError("not a sql_standard interval")
        clock = _CLOCK.fullmatch(tokens[-1])
        if clock is None or clock.group(1):
            raise ValueError("not a sql_standard interval")
        usecs = _clock(clock)
    if negative:
        return -months, -days, -usecs
    return months, days, usecs


def _iso_8601_fields(s: bytes) -> tuple[int, int, int]:
    m = _ISO_8601.fullmatch(s)
    if m is None or s == b"P" or s.endswith(b"T"):
        raise ValueError("not an iso_8601 interval")
    y, mo, d, h, mi, ssign, sec, frac = m.groups()
    usecs = (int(h or 0) * 60 + int(mi or 0)) * 60_000_000
    if sec is not None:
        seconds = _micros(sec, frac)
        usecs += -seconds if ssign == b"-" else seconds
    return int(y or 0) * 12 + int(mo or 0), int(d or 0), usecs


def fast_interval_fields(s: bytes) -> tuple[int, int, int]:
    """(months, days, µs) of finite interval text in IntervalStyle postgres (``1 year -2 mons
    +3 days -04:05:06.7``: unit fields in order, then a clock) or iso_8601, the styles the
    twins' default decoders read; ValueError for anything else."""
    if s[:1] == b"P":
        return _iso_8601_fields(s)
    tokens = s.split(b" ")
    months = days = 0
    last = -1
    i = 0
    n = len(tokens)
    while i < n:
        tok = tokens[i]
        clock = _CLOCK.fullmatch(tok)
        if clock is not None:
            if i != n - 1:
                raise ValueError("a clock before the unit fields")
            sign, hours, minutes, seconds, frac = clock.groups()
            usecs = ((int(hours) * 60 + int(minutes)) * 60 + int(seconds)) * 1_000_000
            if frac:
                usecs += int(frac) * _FRAC_SCALE[len(frac)]
            return months, days, (-usecs if sign == b"-" else usecs)
        unit = _POSTGRES_UNITS.get(tokens[i + 1]) if i + 1 < n else None
        if unit is None or unit[0] <= last or _SIGNED.fullmatch(tok) is None:
            raise ValueError("not a postgres-style interval")
        last = unit[0]
        value = int(tok)
        months += value * unit[1]
        days += value * unit[2]
        i += 2
    return months, days, 0


def interval_fields(s: bytes) -> tuple[int, int, int]:
    """(months, days, µs) of finite interval text in any IntervalStyle, told apart by its
    shape; ValueError when it is none of them."""
    if s[:1] == b"P":
        return _iso_8601_fields(s)
    tokens = s.split(b" ")
    if tokens[0] == b"@":
        return _verbose_fields(tokens[1:])
    if any(b"a" <= t[-1:] <= b"z" for t in tokens):
        return fast_interval_fields(s)
    return _sql_standard_fields(tokens)


def _interval_text(s: bytes, mode: int) -> timedelta | Interval:
    keep = bool(mode & KEEP_INTERVALS)
    if s == b"infinity" or s == b"-infinity":
        return infinite_interval(-1 if s[:1] == b"-" else 1, keep)
    try:
        months, days, usecs = interval_fields(s)
    except ValueError:
        raise DataError(
            f"cannot read interval text {s[:60]!r}: not in any IntervalStyle (postgres, "
            "postgres_verbose, sql_standard, iso_8601)"
        ) from None
    return checked_interval(months, days, usecs, keep)


# -- date and timestamp text in every DateStyle ----------------------------------------------

def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.ASCII)  # \\d is [0-9] only, as in the compiled codec


_MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
_TIME = r"(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?"
# ISO 2024-05-06, SQL 05/06/2024 or 06/05/2024, Postgres 05-06-2024, German 06.05.2024
_DATE = r"(?:(\d{4,})-(\d\d)-(\d\d)|(\d\d)([/-])(\d\d)[/-](\d{4,})|(\d\d)\.(\d\d)\.(\d{4,}))"
_DATE_TEXT = _regex(_DATE)
# DATE TIME[offset][ zone], or Postgres style 'Mon May 06 07:08:09.5 2024[ zone]' (MDY) /
# 'Mon 06 May 07:08:09.5 2024[ zone]' (DMY); a zone abbreviation may be empty.
_STAMP_TEXT = _regex(
    r"(?:" + _DATE + " " + _TIME
    + r"|[A-Z][a-z]{2} (?:([A-Z][a-z]{2}) (\d\d)|(\d\d) ([A-Z][a-z]{2})) " + _TIME
    + r" (\d{4,}))"
    + r"([+-]\d\d(?::\d\d){0,2})?(?: ([^ ]*))?"
)
_NUMERIC_ZONE = _regex(r"([+-])(\d\d)(?::?(\d\d))?(?::?(\d\d))?")
_UTC_NAMES = ("UTC", "GMT", "UCT", "Z", "ZULU", "UNIVERSAL")
_ADVICE = "SET DateStyle = 'ISO' (pgdbapi's default) to read it"


def _date_groups(g: tuple[str | None, ...], day_first: bool) -> tuple[int, int, int]:
    """(year, month, day) from the ten groups of _DATE."""
    if g[0] is not None:
        return int(g[0]), int(g[1] or 0), int(g[2] or 0)
    if g[3] is not None:
        a, b = int(g[3]), int(g[5] or 0)
        return (int(g[6] or 0), b, a) if day_first else (int(g[6] or 0), a, b)
    return int(g[9] or 0), int(g[8] or 0), int(g[7] or 0)


def _check_year(s: str, year: int, what: str) -> None:
    if year > 9999:
        raise DataError(f"{what} {s[:60]!r} is out of Python's range (year above 9999)")


def _date_text(s: str, day_first: bool) -> date:
    m = _DATE_TEXT.fullmatch(s)
    if m is None:
        raise ValueError
    year, month, day = _date_groups(m.groups(), day_first)
    _check_year(s, year, "date")
    return date(year, month, day)


def _naive_stamp(m: re.Match[str], s: str, day_first: bool) -> datetime:
    g = m.groups()
    if g[14] is not None or g[16] is not None:  # Postgres style: month by name
        month = _MONTHS[g[14] or g[17] or ""]
        day = int(g[15] or g[16] or 0)
        hms = g[18:22]
        year = int(g[22] or 0)
    else:
        year, month, day = _date_groups(g[:10], day_first)
        hms = g[10:14]
    _check_year(s, year, "timestamp")
    hour, minute, second, frac = hms
    return datetime(year, month, day, int(hour or 0), int(minute or 0), int(second or 0),
                    int(frac.ljust(6, "0")) if frac else 0)


def _east_seconds(m: re.Match[str]) -> int:
    sign, hours, minutes, seconds = m.groups()
    east = int(hours) * 3600 + int(minutes or 0) * 60 + int(seconds or 0)
    return -east if sign == "-" else east


def _fixed(east: int) -> timezone:
    return timezone(timedelta(seconds=east))


def _zoned(s: str, naive: datetime, zone: str, tz: tzinfo) -> datetime:
    """The instant of local time ``naive`` printed with zone abbreviation ``zone`` in the
    session time zone ``tz``: a numeric abbreviation is the offset itself; otherwise the
    session zone gives the offset, its abbreviation picking the side of a DST overlap."""
    numeric = _NUMERIC_ZONE.fullmatch(zone)
    if numeric is not None:
        return naive.replace(tzinfo=_fixed(_east_seconds(numeric))).astimezone(tz)
    if isinstance(tz, timezone):  # fixed offset (a POSIX zone, or the UTC fallback)
        if tz.utcoffset(None) or zone.upper() in _UTC_NAMES:
            return naive.replace(tzinfo=tz)
    else:
        for fold in (0, 1):
            local = naive.replace(tzinfo=tz, fold=fold)
            if local.tzname() == zone:
                offset = local.utcoffset()
                assert offset is not None
                return naive.replace(tzinfo=timezone(offset)).astimezone(tz)
    raise DataError(
        f"timestamptz {s[:60]!r} names its zone by the abbreviation {zone!r}, which "
        f"does not match the session TimeZone as Python knows it ({tz}); {_ADVICE}"
    )


def _stamp_text(s: str, day_first: bool, tz: tzinfo | None) -> datetime:
    m = _STAMP_TEXT.fullmatch(s)
    if m is None:
        raise ValueError
    naive = _naive_stamp(m, s, day_first)
    offset, zone = m.group(24), m.group(25)
    if tz is None:
        if offset is not None or zone is not None:
            raise ValueError
        return naive
    if offset is not None:
        if zone is not None:
            raise ValueError
        east = _east_seconds(_NUMERIC_ZONE.fullmatch(offset.replace(":", "")))  # type: ignore[arg-type]
        return naive.replace(tzinfo=_fixed(east)).astimezone(tz)
    if zone is None:
        raise ValueError
    return _zoned(s, naive, zone, tz)


_WHAT = {DATE: "date", TIMESTAMP: "timestamp", TIMESTAMPTZ: "timestamptz"}


def _infinite_date(oid: int, sign: int, mode: int, tz: tzinfo | None) -> Any:
    if mode & INFINITY_BITS:
        return more.infinity_outcome(sign, mode & INFINITY_BITS)
    if oid == DATE:
        return date.max if sign > 0 else date.min
    value = datetime.max if sign > 0 else datetime.min
    return value if oid == TIMESTAMP else value.replace(tzinfo=timezone.utc)  # as psycopg2


def decode_text(oid: int, mode: int, data: bytes, tz: tzinfo | None) -> Any:
    """A date, timestamp, timestamptz or interval in text format under a non-default
    DateStyle / IntervalStyle (context_mode bits in ``mode``; ``tz`` the session zone)."""
    if oid == INTERVAL:
        return _interval_text(data, mode)
    s = data.decode()
    if s == "infinity" or s == "-infinity":
        return _infinite_date(oid, -1 if s[0] == "-" else 1, mode, tz)
    what = _WHAT[oid]
    if s.endswith(" BC"):
        raise DataError(f"{what} {s[:60]!r} is out of Python's range (BC)")
    day_first = bool(mode & DAY_FIRST)
    try:
        if oid == DATE:
            return _date_text(s, day_first)
        return _stamp_text(s, day_first, tz if oid == TIMESTAMPTZ else None)
    except (ValueError, KeyError):
        raise DataError(
            f"cannot read {what} text {s[:60]!r} in DateStyle "
            f"{'DMY' if day_first else 'MDY'} order (ISO, SQL, Postgres, German); {_ADVICE}"
        ) from None


def text_decoder(oid: int, mode: int, ctx: Any) -> Any:
    """decode_text as a twin decoder ``f(buf, pos, n)`` reading ``ctx.timezone`` per value."""

    def decode(buf: Any, pos: int, n: int) -> Any:
        return decode_text(oid, mode, bytes(buf[pos:pos + n]), ctx.timezone)

    return decode
