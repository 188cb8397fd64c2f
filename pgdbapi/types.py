"""Value types for PostgreSQL values with no natural Python counterpart.

``Range`` is what range columns decode to (multiranges decode to a list of them) and
what a range parameter is built from. Behaviour follows psycopg 3's ``Range``: ``None``
as a bound means unbounded on that side, and an unbounded side is never inclusive.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Range", "INFINITY", "MINUS_INFINITY", "INFINITY_MODES"]

_BOUNDS = ("[)", "(]", "()", "[]")


class Range:
    """A range of values: ``Range(1, 10)`` is ``[1,10)``, ``Range(empty=True)`` is empty.

    ``bounds`` is two characters, ``[`` / ``(`` for an inclusive / exclusive lower bound
    and ``]`` / ``)`` for the upper one. Equality compares bounds and flags as given (the
    server canonicalises discrete ranges, so ``(1,5]`` comes back as ``[2,6)``).
    """

    __slots__ = ("_lower", "_upper", "_bounds")

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
