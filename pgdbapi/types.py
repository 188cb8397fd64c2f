"""Value types for PostgreSQL values with no natural Python counterpart.

``Range`` is what range columns decode to (multiranges decode to a list of them) and
what a range parameter is built from. Behaviour follows psycopg 3's ``Range``: ``None``
as a bound means unbounded on that side, and an unbounded side is never inclusive.

``Interval`` is PostgreSQL's interval with its three fields kept apart (a month is not a
fixed number of days), for the values a ``timedelta`` cannot hold and for connections
opened with ``interval="interval"``.
"""

from __future__ import annotations

import operator
from calendar import monthrange
from datetime import date, datetime, timedelta, timezone
from typing import Any, TypeVar

__all__ = [
    "Range",
    "Interval",
    "INFINITY",
    "MINUS_INFINITY",
    "INFINITY_MODES",
    "INTERVAL_MODES",
]

_BOUNDS = ("[)", "(]", "()", "[]")


class Range:
    """A range of values: ``Range(1, 10)`` is ``[1,10)``, ``Range(empty=True)`` is empty.

    ``bounds`` is two characters, ``[`` / ``(`` for an inclusive / exclusive lower bound
    and ``]`` / ``)`` for the upper one. Equality compares bounds and flags as given (the
    server canonicalises discrete ranges, so ``(1,5]`` comes back as ``[2,6)``).
    """

    __slots__ = ("_lower", "_upper", "_bounds")

    @classmethod
    def _from_parts(cls, lower: Any, upper: Any, bounds: str) -> Range:
        """A Range of parts already checked (by the server: decoders), without __init__."""
        r = object.__new__(cls)
        r._lower = lower
        r._upper = upper
        r._bounds = bounds
        return r

    def __init__(
        self, lower: Any = None, upper: Any = None, bounds: str = "[)", empty: bool = False
    ) -> None:
        if empty:
            self._lower = self._upper = None
            self._bounds = ""
            return
        if bounds not in _BOUNDS:
            raise ValueError(f"bounds must be one of {', '.join(_BOUNDS)}, not {bounds!r}")
        if lower is None:
            bounds = "(" + bounds[1]
        if upper is None:
            bounds = bounds[0] + ")"
        self._lower = lower
        self._upper = upper
        self._bounds = bounds

    @property
    def lower(self) -> Any:
        """The lower bound, None when unbounded or empty."""
        return self._lower

    @property
    def upper(self) -> Any:
        """The upper bound, None when unbounded or empty."""
        return self._upper

    @property
    def bounds(self) -> str:
        """``'[)'``, ``'(]'``, ``'()'`` or ``'[]'``; ``''`` for an empty range."""
        return self._bounds

    @property
    def isempty(self) -> bool:
        return not self._bounds

    @property
    def lower_inf(self) -> bool:
        return bool(self._bounds) and self._lower is None

    @property
    def upper_inf(self) -> bool:
        return bool(self._bounds) and self._upper is None

    @property
    def lower_inc(self) -> bool:
        return self._bounds[:1] == "["

    @property
    def upper_inc(self) -> bool:
        return self._bounds[1:] == "]"

    def __contains__(self, x: Any) -> bool:
        if not self._bounds:
            return False
        if self._lower is not None:
            if x < self._lower or (x == self._lower and self._bounds[0] == "("):
                return False
        if self._upper is not None:
            if x > self._upper or (x == self._upper and self._bounds[1] == ")"):
                return False
        return True

    def __bool__(self) -> bool:
        return bool(self._bounds)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Range):
            return NotImplemented
        return (self._lower, self._upper, self._bounds) == (
            other._lower, other._upper, other._bounds
        )

    def __hash__(self) -> int:
        return hash((self._lower, self._upper, self._bounds))

    def __repr__(self) -> str:
        if not self._bounds:
            return "Range(empty=True)"
        return f"Range({self._lower!r}, {self._upper!r}, {self._bounds!r})"

    def __str__(self) -> str:
        if not self._bounds:
            return "empty"
        lo = "" if self._lower is None else str(self._lower)
        hi = "" if self._upper is None else str(self._upper)
        return f"{self._bounds[0]}{lo}, {hi}{self._bounds[1]}"


class _Infinity:
    """PostgreSQL's ``infinity`` / ``-infinity`` for date and timestamp values, returned
    when ``TypeContext.infinity == 'sentinel'`` and accepted as a parameter (sent as text)."""

    __slots__ = ("_sign",)

    def __init__(self, sign: int) -> None:
        self._sign = sign

    @property
    def sign(self) -> int:
        return self._sign

    def __repr__(self) -> str:
        return "INFINITY" if self._sign > 0 else "MINUS_INFINITY"

    def __str__(self) -> str:
        return "infinity" if self._sign > 0 else "-infinity"

    def __reduce__(self) -> str:
        return repr(self)


INFINITY = _Infinity(1)
MINUS_INFINITY = _Infinity(-1)

# TypeContext.infinity: what infinite dates and timestamps decode to
INFINITY_MODES = ("clamp", "error", "sentinel")


# TypeContext.interval: what interval values decode to
INTERVAL_MODES = ("timedelta", "interval")

_I32_MIN, _I32_MAX = -(1 << 31), (1 << 31) - 1
_I64_MIN, _I64_MAX = -(1 << 63), (1 << 63) - 1
_USECS_PER_HOUR = 3_600_000_000
_D = TypeVar("_D", bound=date)


class Interval:
    """A PostgreSQL ``interval``: ``months``, ``days`` and ``microseconds``, each with its
    own sign, as the server stores them (``1 mon -1 days +00:00:00.000001`` is
    ``Interval(1, -1, 1)``).

    Equality and hash compare the three fields (the server's ``=`` compares intervals
    normalised with 30-day months, so ``'1 mon' = '30 days'`` there but not here).
    ``str()`` is the text of IntervalStyle ``postgres``. Adding an Interval to a ``date`` or
    ``datetime`` follows PostgreSQL's calendar: months first (the day clamped to the end of
    the month), then days, then microseconds. ``infinity`` / ``-infinity`` (PostgreSQL 17+)
    are ``Interval.INFINITY`` / ``Interval.MINUS_INFINITY``: every field at its maximum /
    minimum, as the server stores them.
    """

    # The codecs build decoded values by filling these slots directly (no __init__).
    __slots__ = ("_months", "_days", "_microseconds")

    INFINITY: Interval
    MINUS_INFINITY: Interval

    @classmethod
    def _from_fields(cls, months: int, days: int, microseconds: int) -> Interval:
        """An Interval of fields already in range (decoders), without __init__'s checks."""
        value = object.__new__(cls)
        value._months = months
        value._days = days
        value._microseconds = microseconds
        return value

    def __init__(self, months: int = 0, days: int = 0, microseconds: int = 0) -> None:
        months = operator.index(months)
        days = operator.index(days)
        microseconds = operator.index(microseconds)
        if not (
            _I32_MIN <= months <= _I32_MAX
            and _I32_MIN <= days <= _I32_MAX
            and _I64_MIN <= microseconds <= _I64_MAX
        ):
            raise OverflowError(
                "interval out of range: months and days are 32-bit, microseconds 64-bit"
            )
        self._months = months
        self._days = days
        self._microseconds = microseconds

    @classmethod
    def from_timedelta(cls, value: timedelta) -> Interval:
        """The interval a ``timedelta`` parameter is sent as: its days, and the rest in µs."""
        return cls(0, value.days, value.seconds * 1_000_000 + value.microseconds)

    @property
    def months(self) -> int:
        return self._months

    @property
    def days(self) -> int:
        return self._days

    @property
    def microseconds(self) -> int:
        return self._microseconds

    def _infinite(self) -> int:
        """1 / -1 for infinity / -infinity, else 0."""
        if self._microseconds == _I64_MAX and self._days == _I32_MAX and self._months == _I32_MAX:
            return 1
        if self._microseconds == _I64_MIN and self._days == _I32_MIN and self._months == _I32_MIN:
            return -1
        return 0

    def to_timedelta(self) -> timedelta:
        """psycopg2's conversion: a year is 365 days, a remaining month 30 days (applied to
        the absolute month count, then signed); infinity gives ``timedelta.max`` / ``min``.
        OverflowError when the result is beyond ``timedelta``'s range."""
        sign = self._infinite()
        if sign:
            return timedelta.max if sign > 0 else timedelta.min
        years, months = divmod(abs(self._months), 12)
        days = years * 365 + months * 30
        return timedelta(
            self._days + (days if self._months >= 0 else -days), 0, self._microseconds
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Interval):
            return NotImplemented
        return (
            self._months == other._months
            and self._days == other._days
            and self._microseconds == other._microseconds
        )

    def __hash__(self) -> int:
        return hash((self._months, self._days, self._microseconds))

    def __repr__(self) -> str:
        return (
            f"Interval(months={self._months}, days={self._days}, "
            f"microseconds={self._microseconds})"
        )

    def __str__(self) -> str:
        sign = self._infinite()
        if sign:
            return "infinity" if sign > 0 else "-infinity"
        return _postgres_text(self._months, self._days, self._microseconds)

    def __reduce__(self) -> tuple[Any, ...]:
        return (Interval, (self._months, self._days, self._microseconds))

    def __bool__(self) -> bool:
        return bool(self._months or self._days or self._microseconds)

    def __pos__(self) -> Interval:
        return self

    def __neg__(self) -> Interval:
        sign = self._infinite()
        if sign:
            return Interval.MINUS_INFINITY if sign > 0 else Interval.INFINITY
        return Interval(-self._months, -self._days, -self._microseconds)

    def __add__(self, other: Any) -> Any:
        if isinstance(other, Interval):
            return _combine(self, other, 1)
        if isinstance(other, date):
            return _shift(other, self, 1)
        return NotImplemented

    def __radd__(self, other: Any) -> Any:
        if isinstance(other, date):
            return _shift(other, self, 1)
        return NotImplemented

    def __sub__(self, other: Any) -> Any:
        if isinstance(other, Interval):
            return _combine(self, other, -1)
        return NotImplemented

    def __rsub__(self, other: Any) -> Any:
        if isinstance(other, date):
            return _shift(other, self, -1)
        return NotImplemented


Interval.INFINITY = Interval(_I32_MAX, _I32_MAX, _I64_MAX)
Interval.MINUS_INFINITY = Interval(_I32_MIN, _I32_MIN, _I64_MIN)


def _combine(a: Interval, b: Interval, sign: int) -> Interval:
    """a + b (sign 1) or a - b (sign -1), field by field; infinities as PostgreSQL 17."""
    ia, ib = a._infinite(), b._infinite() * sign
    if ia or ib:
        if ia and ib and ia != ib:
            raise OverflowError("interval out of range: infinity minus infinity")
        return Interval.INFINITY if (ia or ib) > 0 else Interval.MINUS_INFINITY
    return Interval(
        a._months + sign * b._months,
        a._days + sign * b._days,
        a._microseconds + sign * b._microseconds,
    )


def _shift(value: _D, iv: Interval, sign: int) -> _D:
    """value + iv (sign 1) or value - iv (sign -1) with PostgreSQL's calendar arithmetic.

    A ``date`` stays a date, as with ``date + timedelta`` (microseconds count in whole
    days, floored). An aware datetime moves by months and days on its own wall clock and
    by microseconds in elapsed time, as ``timestamptz + interval`` does in the session
    time zone: a wall time the zone skips moves forward, a repeated one is the later."""
    if iv._infinite():
        raise OverflowError(f"cannot add an infinite interval to a {type(value).__name__}")
    months, days, usecs = sign * iv._months, sign * iv._days, sign * iv._microseconds
    result: Any = value
    if months:
        total = result.year * 12 + result.month - 1 + months
        year, month0 = divmod(total, 12)
        if not 1 <= year <= 9999:
            raise OverflowError("date value out of range")
        day = min(result.day, monthrange(year, month0 + 1)[1])
        result = result.replace(year=year, month=month0 + 1, day=day)
    if days:
        result = result + timedelta(days=days)
    step = timedelta(microseconds=usecs)
    offset = result.utcoffset() if isinstance(result, datetime) else None
    if offset is not None:
        later = result.replace(fold=1).utcoffset()
        if (months or days) and later is not None and later < offset:
            result = result.replace(fold=1)  # a repeated hour: the later one, as the server
        zone = result.tzinfo
        return (result.astimezone(timezone.utc) + step).astimezone(zone)  # type: ignore[no-any-return]
    return result + step  # type: ignore[no-any-return]


def _postgres_text(months: int, days: int, usecs: int) -> str:
    """IntervalStyle ``postgres``, as the server's EncodeInterval writes it: a field after
    a negative one carries an explicit sign (``-1 years -2 mons +3 days -04:05:06``), so
    the text reads back the same under every IntervalStyle."""
    years, mons = divmod(abs(months), 12)
    if months < 0:
        years, mons = -years, -mons
    parts: list[str] = []
    before_negative = False
    for value, unit in ((years, "year"), (mons, "mon"), (days, "day")):
        if value:
            plus = "+" if before_negative and value > 0 else ""
            parts.append(f"{plus}{value} {unit}{'' if value == 1 else 's'}")
            before_negative = value < 0
    if usecs or not parts:
        secs, frac = divmod(abs(usecs), 1_000_000)
        hours, rest = divmod(secs, 3600)
        clock = f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"
        if frac:
            clock += f".{frac:06d}".rstrip("0")
        parts.append(("-" if usecs < 0 else "+" if before_negative else "") + clock)
    return " ".join(parts)
