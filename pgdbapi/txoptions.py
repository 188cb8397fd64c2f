"""Transaction characteristics (psycopg2's set_session): parsing and the SQL that applies them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .exceptions import ProgrammingError

# psycopg2.extensions constants, re-exported by pgdbapi.extensions
ISOLATION_LEVEL_AUTOCOMMIT = 0
ISOLATION_LEVEL_READ_UNCOMMITTED = 4
ISOLATION_LEVEL_READ_COMMITTED = 1
ISOLATION_LEVEL_REPEATABLE_READ = 2
ISOLATION_LEVEL_SERIALIZABLE = 3
ISOLATION_LEVEL_DEFAULT = None

ISOLATION_NAMES = {
    ISOLATION_LEVEL_READ_UNCOMMITTED: "READ UNCOMMITTED",
    ISOLATION_LEVEL_READ_COMMITTED: "READ COMMITTED",
    ISOLATION_LEVEL_REPEATABLE_READ: "REPEATABLE READ",
    ISOLATION_LEVEL_SERIALIZABLE: "SERIALIZABLE",
}
_ISOLATION_BY_NAME = {v: k for k, v in ISOLATION_NAMES.items()}


@dataclass
class TransactionOptions:
    """What the next transactions look like; None everywhere means the server's defaults."""

    isolation_level: int | None = None
    readonly: bool | None = None
    deferrable: bool | None = None

    def is_default(self) -> bool:
        return self.isolation_level is None and self.readonly is None and self.deferrable is None

    def begin_sql(self) -> bytes:
        parts = ["BEGIN"]
        if self.isolation_level is not None:
            parts.append("ISOLATION LEVEL " + ISOLATION_NAMES[self.isolation_level])
        if self.readonly is not None:
            parts.append("READ ONLY" if self.readonly else "READ WRITE")
        if self.deferrable is not None:
            parts.append("DEFERRABLE" if self.deferrable else "NOT DEFERRABLE")
        return " ".join(parts).encode()

    def session_defaults_sql(self, *, reset: bool = False) -> bytes:
        """The same characteristics as session defaults (for autocommit mode, as psycopg2)."""

        def value(v: str | None) -> str:
            return "DEFAULT" if reset or v is None else v

        level = self.isolation_level
        iso = "'" + ISOLATION_NAMES[level].lower() + "'" if level is not None else None
        ro = None if self.readonly is None else ("on" if self.readonly else "off")
        de = None if self.deferrable is None else ("on" if self.deferrable else "off")
        return (
            f"SET default_transaction_isolation TO {value(iso)}; "
            f"SET default_transaction_read_only TO {value(ro)}; "
            f"SET default_transaction_deferrable TO {value(de)}"
        ).encode()


def parse_isolation(value: Any) -> int | None:
    """psycopg2 accepts the ISOLATION_LEVEL_* ints, their names, and "DEFAULT"/None."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        if value in ISOLATION_NAMES:
            return value
        raise ProgrammingError(f"isolation level out of range: {value}")
    if isinstance(value, str):
        name = value.strip().upper().replace("_", " ")
        if name == "DEFAULT":
            return None
        if name in _ISOLATION_BY_NAME:
            return _ISOLATION_BY_NAME[name]
    raise ProgrammingError(f"bad value for isolation level: {value!r}")


def parse_tristate(value: Any, what: str) -> bool | None:
    """True/False, or None/"DEFAULT" for the server's default."""
    if value is None or (isinstance(value, str) and value.upper() == "DEFAULT"):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        v = value.strip().lower()
        if v in ("true", "on", "1", "yes"):
            return True
        if v in ("false", "off", "0", "no"):
            return False
    if isinstance(value, int):
        return bool(value)
    raise ProgrammingError(f"bad value for {what}: {value!r}")
