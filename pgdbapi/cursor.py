"""PEP 249 cursors: the client-side cursor and psycopg2-style named (server-side) cursors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping, Sequence

from .dbapi import Column
from .exceptions import InterfaceError, ProgrammingError
from .protocol import Result

if TYPE_CHECKING:
    from .connection import Connection


class ScrollError(ProgrammingError, IndexError):
    """Scrolling out of the result set: ProgrammingError as psycopg2, IndexError as PEP 249."""


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class Cursor:
    """A client-side cursor: execute() brings the whole result over, fetch*() read it.

    A query string holding several statements yields several results; ``multiresult``
    decides where the cursor stands afterwards: ``"last"`` (psycopg2: the last statement's
    result, the default) or ``"first"`` (PEP 249 style: start at the first, ``nextset()``
    moves on).
    """

    itersize = 2000

    def __init__(self, connection: "Connection") -> None:
        self.connection = connection
        self.arraysize = 1
        self.multiresult = "last"
        self._results: list[Result] = []
        self._index = -1
        self._rows: list[Any] = []
        self._pos = 0
        self._result: Result | None = None
        self._rowcount: int | None = -1
        self._closed = False
        self._last_query: tuple[Any, Any] | None = None
        self.name: str | None = None
        self.scrollable: bool | None = None
        self.withhold = False
        self.lastrowid = None

    # ----- state ----------------------------------------------------------------------
    def _check(self) -> None:
        if self._closed:
            raise InterfaceError("cursor already closed")
        if self.connection.closed:
            raise InterfaceError("connection already closed")

    @property
    def closed(self) -> bool:
        return self._closed or bool(self.connection.closed)

    def close(self) -> None:
        self._closed = True
        self._results = []
        self._rows = []
        self._result = None

    def __enter__(self) -> "Cursor":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @property
    def description(self) -> list[Column] | None:
        r = self._result
        return None if r is None else r.description

    @property
    def rowcount(self) -> int:
        count = self._rowcount
        if count is None:
            r = self._result
            if r is None:
                return -1
            count = r.rowcount
            if count < 0 and r.fields is not None:
                count = len(r.rows)
            self._rowcount = count
        return count

    @property
    def rownumber(self) -> int | None:
        return None if self._result is None else self._pos

    @property
    def statusmessage(self) -> str | None:
        r = self._result
        return None if r is None else r.status

    @property
    def query(self) -> bytes | None:
        """The last query as sent, with parameters inlined (psycopg2's ``cursor.query``)."""
        if self._last_query is None:
            return None
        q, params = self._last_query
        return self.connection.mogrify(q, params)

    def _set_results(self, results: list[Result]) -> None:
        self._results = results
        if not results:
            self._select(-1)
        elif self.multiresult == "first":
            self._select(0)
        else:
            self._select(len(results) - 1)

    def _select(self, index: int) -> None:
        self._index = index
        if index < 0:
            self._result = None
            self._rows = []
            self._rowcount = -1
        else:
            r = self._results[index]
            self._result = r
            self._rows = r.rows
            self._rowcount = None  # derived from the result when asked
        self._pos = 0

    # ----- executing ------------------------------------------------------------------
    def execute(self, query: str | bytes, vars: Any = None) -> None:
        if self._closed or self.connection._closed:
            self._check()
        self._last_query = (query, vars)
        if self._rows:  # let the last result's rows go before this one's arrive (peak memory)
            self._rows = []
            self._result = None
            self._results = []
        try:
            results = self.connection.execute(query, vars)
        except Exception as e:
            self._set_results([])
            if hasattr(e, "cursor"):
                e.cursor = self
            raise
        if len(results) == 1:  # the usual case, inline (this runs on every execute)
            r = self._result = results[0]
            self._results = results
            self._index = 0
            self._rows = r.rows
            self._rowcount = None
            self._pos = 0
        else:
            self._set_results(results)

    def executemany(self, query: str | bytes, vars_list: Iterable[Any]) -> None:
        self._check()
        self._last_query = None
        self._set_results([])
        try:
            self._rowcount = self.connection.executemany(query, vars_list)
            status = self.connection.executemany_status
            if status is not None:  # psycopg2's statusmessage: the last statement's tag
                self._result = Result()
                self._result.tag = status
        except Exception as e:
            if hasattr(e, "cursor"):
                e.cursor = self
            raise

    def mogrify(self, query: str | bytes, vars: Any = None) -> bytes:
        self._check()
        return self.connection.mogrify(query, vars)

    def callproc(
        self, procname: str, parameters: Sequence[Any] | Mapping[str, Any] | None = None
    ) -> Any:
        """``SELECT * FROM procname(...)`` as psycopg2 builds it; returns the parameters."""
        self._check()
        if parameters is None:
            self.execute(f"SELECT * FROM {procname}()")
        elif isinstance(parameters, Mapping):
            args = ", ".join(f"{_quote_ident(k)} := %({k})s" for k in parameters)
            self.execute(f"SELECT * FROM {procname}({args})", parameters)
        else:
            args = ", ".join(["%s"] * len(parameters))
            self.execute(f"SELECT * FROM {procname}({args})", parameters)
        return parameters

    def setinputsizes(self, sizes: Any) -> None:
        pass

    def setoutputsize(self, size: Any, column: Any = None) -> None:
        pass

    def nextset(self) -> bool | None:
        self._check()
        if self._index + 1 < len(self._results):
            self._select(self._index + 1)
            return True
        return None

    # ----- fetching -------------------------------------------------------------------
    def _need_rows(self) -> list[Any]:
        if self._closed or self.connection._closed:
            self._check()
        r = self._result
        if r is None or r.fields is None:
            raise ProgrammingError("no results to fetch")
        return self._rows

    def fetchone(self) -> Any:
        rows = self._need_rows()
        pos = self._pos
        if pos < len(rows):
            self._pos = pos + 1
            return rows[pos]
        return None

    def fetchmany(self, size: int | None = None) -> list[Any]:
        rows = self._need_rows()
        if size is None:
            size = self.arraysize
        pos = self._pos
        chunk = rows[pos : pos + size]
        self._pos = pos + len(chunk)
        return chunk

    def fetchall(self) -> list[Any]:
        rows = self._need_rows()
        pos = self._pos
        self._pos = len(rows)
        return rows[pos:] if pos else list(rows)

    def __iter__(self) -> Iterator[Any]:
        rows = self._need_rows()
        while self._pos < len(rows):
            pos = self._pos
            self._pos = pos + 1
            yield rows[pos]

    def scroll(self, value: int, mode: str = "relative") -> None:
        rows = self._need_rows()
        if mode == "relative":
            new = self._pos + value
        elif mode == "absolute":
            new = value
        else:
            raise ProgrammingError(f"scroll mode must be 'relative' or 'absolute', not {mode!r}")
        if not 0 <= new <= len(rows):
            raise ScrollError("scroll destination out of bounds")
        self._pos = new

    def __repr__(self) -> str:
        return f"<pgdbapi.Cursor closed={self.closed}>"


class NamedCursor(Cursor):
    """A server-side cursor (``DECLARE ... CURSOR``): rows come over ``itersize`` at a time
    while iterating, or as many as each fetch asks for, as psycopg2's named cursors do."""

    def __init__(
        self,
        connection: "Connection",
        name: str,
        *,
        scrollable: bool | None = None,
        withhold: bool = False,
    ) -> None:
        super().__init__(connection)
        self.name = name
        self.scrollable = scrollable
        self.withhold = withhold
        self._declared = False
        self._qname = _quote_ident(name)
        self._fields: Result | None = None

    def execute(self, query: str | bytes, vars: Any = None) -> None:
        self._check()
        if self._declared:
            raise ProgrammingError("can't call .execute() on named cursors more than once")
        if isinstance(query, bytes):
            query = query.decode()
        body = self.connection.mogrify(query, vars).decode() if vars is not None else query
        scroll = "" if self.scrollable is None else ("SCROLL " if self.scrollable else "NO SCROLL ")
        hold = "WITH HOLD " if self.withhold else ""
        self._last_query = (f"DECLARE {self._qname} {scroll}CURSOR {hold}FOR {body}", None)
        self.connection.execute(self._last_query[0])
        self._declared = True
        self._rowcount = -1
        self._fetch("FORWARD 0")

    def executemany(self, query: str | bytes, vars_list: Iterable[Any]) -> None:
        raise ProgrammingError("executemany cannot be used on named cursors")

    def _fetch(self, what: str) -> list[Any]:
        self._check()
        if not self._declared:
            raise ProgrammingError("named cursor isn't valid anymore")
        results = self.connection.execute(f"FETCH {what} FROM {self._qname}")
        r = results[-1]
        self._result = r
        rows = r.rows
        if what != "FORWARD 0":
            self._pos += len(rows)
            self._rowcount = self._pos
        return rows

    @property
    def rownumber(self) -> int | None:
        return None if self._result is None else self._pos

    def fetchone(self) -> Any:
        rows = self._fetch("FORWARD 1")
        return rows[0] if rows else None

    def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._fetch(f"FORWARD {int(self.arraysize if size is None else size)}")

    def fetchall(self) -> list[Any]:
        return self._fetch("FORWARD ALL")

    def __iter__(self) -> Iterator[Any]:
        while True:
            rows = self._fetch(f"FORWARD {int(self.itersize)}")
            if not rows:
                return
            yield from rows

    def scroll(self, value: int, mode: str = "relative") -> None:
        if mode == "relative":
            moved = self.connection.execute(f"MOVE {int(value)} FROM {self._qname}")
            self._pos += int(value) if moved else 0
        elif mode == "absolute":
            self.connection.execute(f"MOVE ABSOLUTE {int(value)} FROM {self._qname}")
            self._pos = int(value)
        else:
            raise ProgrammingError(f"scroll mode must be 'relative' or 'absolute', not {mode!r}")

    def close(self) -> None:
        if self._declared and not self.connection.closed:
            conn = self.connection
            if self.withhold or conn.get_transaction_status() == 2:  # INTRANS
                try:
                    conn.execute(f"CLOSE {self._qname}")
                except Exception:
                    pass
        self._declared = False
        super().close()
