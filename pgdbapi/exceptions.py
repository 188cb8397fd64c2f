"""PEP 249 exception hierarchy, shaped like psycopg2's so ``except`` clauses carry over.

The per-SQLSTATE classes (``UniqueViolation`` ...) live in :mod:`pgdbapi.errors`; they
subclass the classes defined here.
"""

from __future__ import annotations

from typing import Any, Mapping

from .errmsg import server_message

__all__ = [
    "Warning",
    "Error",
    "InterfaceError",
    "DatabaseError",
    "DataError",
    "OperationalError",
    "IntegrityError",
    "InternalError",
    "ProgrammingError",
    "NotSupportedError",
    "QueryCanceledError",
    "TransactionRollbackError",
    "Diagnostics",
]

# ErrorResponse/NoticeResponse field code -> psycopg2 ``Diagnostics`` attribute name.
DIAG_FIELDS: dict[str, str] = {
    "S": "severity",
    "V": "severity_nonlocalized",
    "C": "sqlstate",
    "M": "message_primary",
    "D": "message_detail",
    "H": "message_hint",
    "P": "statement_position",
    "p": "internal_position",
    "q": "internal_query",
    "W": "context",
    "s": "schema_name",
    "t": "table_name",
    "c": "column_name",
    "d": "datatype_name",
    "n": "constraint_name",
    "F": "source_file",
    "L": "source_line",
    "R": "source_function",
}


class Diagnostics:
    """Every field of an ErrorResponse/NoticeResponse, under psycopg2's attribute names.

    Missing fields read as ``None``; unknown field codes are kept in :attr:`fields`.
    """

    __slots__ = ("fields",)

    def __init__(self, fields: Mapping[str, str] | None = None) -> None:
        self.fields: dict[str, str] = dict(fields or {})

    def __getattr__(self, name: str) -> str | None:
        for code, attr in DIAG_FIELDS.items():
            if attr == name:
                return self.fields.get(code)
        raise AttributeError(name)

    def __repr__(self) -> str:
        return f"<Diagnostics {self.fields!r}>"


class Warning(Exception):  # noqa: A001 - PEP 249 mandates the name
    """Important warnings such as data truncation (PEP 249)."""


class Error(Exception):
    """Base of every error pgdbapi raises.

    ``pgerror``/``pgcode``/``diag`` come from the server's ErrorResponse when there was one.
    """

    _pgerror: str | None = None  # libpq's text of the server's error, set by make_error

    def __init__(self, *args: Any, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(*args)
        self.diag = Diagnostics(fields)
        self.cursor: Any = None

    @property
    def pgcode(self) -> str | None:
        return self.diag.fields.get("C")

    @property
    def pgerror(self) -> str | None:
        """The server's error as libpq words it, which psycopg2 shows (severity, message,
        LINE and caret, DETAIL, HINT, QUERY, CONTEXT); None without a server error."""
        if self._pgerror is not None:
            return self._pgerror
        f = self.diag.fields
        return server_message(f) if "M" in f else None

    def __reduce__(self) -> Any:
        return (_rebuild_error, (type(self), self.args, self.diag.fields, self._pgerror))


def _rebuild_error(
    cls: type[Error], args: tuple[Any, ...], fields: dict[str, str], pgerror: str | None = None
) -> Error:
    err = cls(*args, fields=fields)
    err._pgerror = pgerror
    return err


class InterfaceError(Error):
    """Errors of the driver itself rather than the database (closed objects, misuse)."""


class DatabaseError(Error):
    """Errors related to the database."""


class DataError(DatabaseError):
    """Problems with the processed data (division by zero, value out of range...)."""


class OperationalError(DatabaseError):
    """Errors in the database's operation, often outside the programmer's control."""


class IntegrityError(DatabaseError):
    """Relational integrity violated (foreign key, unique, check...)."""


class InternalError(DatabaseError):
    """The database hit an internal error (or the transaction state is invalid)."""


class ProgrammingError(DatabaseError):
    """Programming errors: bad SQL, missing table, wrong number of parameters..."""


class NotSupportedError(DatabaseError):
    """A method or database API was used that the database does not support."""


class QueryCanceledError(OperationalError):
    """The statement was cancelled (SQLSTATE 57014), as psycopg2.extensions names it."""


class TransactionRollbackError(OperationalError):
    """The transaction was rolled back (SQLSTATE class 40): serialization failure, deadlock."""
