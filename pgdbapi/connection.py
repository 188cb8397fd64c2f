"""The blocking DB-API connection: a thin I/O loop around :class:`pgdbapi.protocol.Protocol`.

One lock per connection (threadsafety 2): every round trip holds it, so threads may share
a connection but their statements are serialized.
"""

from __future__ import annotations

import functools
import ssl
import threading
from typing import Any, Callable, Iterable, Mapping

from . import adapters, pyformat
from . import exceptions as exc
from .adapters import generation as _caster_generation
from .cancel import send_cancel
from .codec import impl as codec
from .conninfo import ConnInfo, HostSpec, resolve
from .exceptions import InterfaceError, OperationalError, ProgrammingError
from .hosts import connect_any
from .protocol import COPY_IN, COPY_OUT, NEED_DATA, READY, PresetResult, Protocol, Result
from .pump import AtomicReader, WaitingReader, fill, pump
from .startup import cancel_encryption
from .stmtcache import StatementCache
from .tpc import TwoPhaseCommit
from .transport import Transport
from .txoptions import (
    ISOLATION_LEVEL_AUTOCOMMIT,
    TransactionOptions,
    parse_isolation,
    parse_tristate,
)
from .types import INTERVAL_MODES

TRANSACTION_STATUS_IDLE = 0
TRANSACTION_STATUS_ACTIVE = 1
TRANSACTION_STATUS_INTRANS = 2
TRANSACTION_STATUS_INERROR = 3
TRANSACTION_STATUS_UNKNOWN = 4

STATUS_READY = 1
STATUS_BEGIN = 2
STATUS_PREPARED = 5

# executemany sends one Sync per batch of this many parameter sets (or this many bytes)
EXECUTEMANY_BATCH_ROWS = 1000
EXECUTEMANY_BATCH_BYTES = 1 << 20

_BINDINGS = ("auto", "server", "client")

# bound once: these run on every execute
_parse_query = pyformat.parse_query
_bindable_values = pyformat.bindable_values
_infer_oid = codec.infer_oid
_MAX_NOTICES = 50


class Notify(tuple):  # type: ignore[type-arg]
    """A NOTIFY received (psycopg2.extensions.Notify): compares equal to ``(pid, channel)``."""

    def __new__(cls, pid: int, channel: str, payload: str = "") -> "Notify":
        return tuple.__new__(cls, (pid, channel, payload))

    pid = property(lambda self: self[0])
    channel = property(lambda self: self[1])
    payload = property(lambda self: self[2])

    def __eq__(self, other: object) -> bool:
        if isinstance(other, tuple) and not isinstance(other, Notify) and len(other) == 2:
            return tuple(self[:2]) == other
        return tuple.__eq__(self, other)  # type: ignore[arg-type]

    def __hash__(self) -> int:
        return tuple.__hash__(self)


def _server_version_num(text: str) -> int:
    parts = text.split()[0].split(".") if text else ["0"]
    nums = []
    for p in parts:
        digits = "".join(ch for ch in p if ch.isdigit())
        nums.append(int(digits) if digits else 0)
    major = nums[0]
    if major >= 10:
        return major * 10000 + (nums[1] if len(nums) > 1 else 0)
    return (
        major * 10000 + (nums[1] if len(nums) > 1 else 0) * 100 + (nums[2] if len(nums) > 2 else 0)
    )


class Connection(TwoPhaseCommit):
    """A PEP 249 connection, psycopg2-compatible where PEP 249 is silent."""

    Warning = exc.Warning
    Error = exc.Error
    InterfaceError = exc.InterfaceError
    DatabaseError = exc.DatabaseError
    DataError = exc.DataError
    OperationalError = exc.OperationalError
    IntegrityError = exc.IntegrityError
    InternalError = exc.InternalError
    ProgrammingError = exc.ProgrammingError
    NotSupportedError = exc.NotSupportedError

    def __init__(
        self,
        info: ConnInfo,
        *,
        prepare_threshold: int | None = 5,
        prepared_statement_cache_size: int = 100,
        binding: str = "auto",
        cursor_factory: Callable[..., Any] | None = None,
        max_message_size: int = 1 << 30,
        sslcontext: ssl.SSLContext | None = None,
        infinity: str = "clamp",
        interval: str = "timedelta",
    ) -> None:
        if binding not in _BINDINGS:
            raise ProgrammingError(
                f"binding must be one of {', '.join(_BINDINGS)}, not {binding!r}"
            )
        if infinity not in _INFINITY_MODES:
            raise ProgrammingError(
                f"infinity must be one of {', '.join(_INFINITY_MODES)}, not {infinity!r}"
            )
        if interval not in INTERVAL_MODES:
            raise ProgrammingError(
                f"interval must be one of {', '.join(INTERVAL_MODES)}, not {interval!r}"
            )
        self.info = info
        self._sslcontext = sslcontext
        self._infinity = infinity
        self._interval = interval
        self.cursor_factory = cursor_factory
        self.binding = binding
        self._lock = threading.RLock()
        self._cache = StatementCache(prepare_threshold, prepared_statement_cache_size)
        self._parse_settings_seen = 0
        # the command tag of executemany's last statement (cursor.statusmessage)
        self.executemany_status: bytes | None = None
        self._max_message_size = max_message_size
        self._transport: Transport | None = None
        self._proto: Protocol
        self._closed = 1
        self._autocommit = False
        self._txopts = TransactionOptions()
        self._begin_sql = b"BEGIN"
        self._session_defaults_set = False
        self._busy = False
        self.notices: list[str] = []
        self.notifies: list[Notify] = []
        self.host: HostSpec | None = None
        self._connect()

    # ----- connecting -----------------------------------------------------------------
    def _connect(self) -> None:
        self.host, self._transport, self._proto = connect_any(
            self.info,
            max_message_size=self._max_message_size,
            on_notice=self._on_notice,
            ssl_context=self._sslcontext,
        )
        self._proto.ctx.infinity = self._infinity
        self._proto.ctx.interval = self._interval
        self._reader = self._make_reader(self._transport)
        self._closed = 0

    # ----- the I/O loop ---------------------------------------------------------------
    def _run(
        self,
        ready_count: int,
        *,
        extended: bool = False,
        data: bytes | None = None,
        meanwhile: Callable[[], None] | None = None,
    ) -> list[Result]:
        """Send what the protocol buffered, read until every ReadyForQuery arrived.

        ``extended``: the request ends with an extended-protocol Sync (which a COPY FROM
        STDIN swallows, so refusing the COPY needs a Sync of its own). ``data``: send this
        instead of the write buffer; ``meanwhile``: work to do after sending, before reading
        (its exception is raised once the answer has been read, the server's error first).

        A KeyboardInterrupt while waiting for the server's answer cancels the statement,
        reads on to ReadyForQuery and is then re-raised, the connection still usable (as
        psycopg 3 does); anywhere else the stream position is unknown and the connection
        is closed.
        """
        proto = self._proto
        transport = self._transport
        if transport is None:
            raise InterfaceError("connection already closed")
        proto.expect(ready_count)
        self._busy = True
        reader = self._reader
        interrupted: BaseException | None = None
        copy_error: exc.Error | None = None
        meanwhile_error: BaseException | None = None
        try:
            transport.send(proto.wbuf.take() if data is None else data)
            if meanwhile is not None:
                try:
                    meanwhile()
                except Exception as e:  # raised after the answer is read: stream stays in sync
                    meanwhile_error = e
            try:
                copy_error = self._read_to_ready(reader, extended)
            except KeyboardInterrupt as e:
                if not reader.waiting:
                    raise
                interrupted = e
                copy_error = self._drain_after_interrupt(reader, extended)
        except OperationalError:
            self._break()
            raise
        except BaseException:
            # interrupted mid-exchange: the stream position is unknown
            self._break()
            raise
        finally:
            self._busy = False
        if proto.notifies:
            self._collect_async()
        if proto.copy_out is not None:
            proto.copy_out = None
            copy_error = copy_error or ProgrammingError(
                "COPY TO STDOUT cannot run through execute(): use copy_expert()"
            )
        if interrupted is not None:  # the 57014 (or anything else) only echoes the cancel
            proto.error = None
            if not proto.transaction_status:
                self._break()
            raise interrupted
        if copy_error is not None:  # the server's error, if any, only echoes our refusal
            proto.error = None
            raise copy_error
        if proto.error is not None:
            err = proto.error
            proto.error = None
            if not proto.transaction_status:  # FATAL: the server is closing
                self._break()
                if not isinstance(err, OperationalError):
                    err = OperationalError(str(err), fields=err.diag.fields)
            raise err
        if meanwhile_error is not None:
            raise meanwhile_error
        return proto.results

    @staticmethod
    def _make_reader(transport: Transport) -> AtomicReader | WaitingReader:
        """How to read so that an interrupt while waiting leaves the stream intact: the
        compiled codec reading the plain socket needs nothing extra (AtomicReader), Python
        code in the read path needs a readiness wait first (WaitingReader)."""
        recv = transport.socket_recv_into
        if recv is not None and codec.IMPLEMENTATION == "c":
            return AtomicReader(recv)
        return WaitingReader(transport)

    def _read_to_ready(
        self, reader: AtomicReader | WaitingReader, extended: bool
    ) -> exc.Error | None:
        """Read and step until the last expected ReadyForQuery; a COPY FROM STDIN is refused
        on the way (its error is returned, raised once the exchange is over)."""
        proto = self._proto
        transport = self._transport
        assert transport is not None
        copy_error: exc.Error | None = None
        # the usual case without the pump's call: the answer arrives in one read
        if len(proto.rbuf):
            ev = proto.step()
        elif isinstance(reader, AtomicReader):  # fill() inlined: this runs every round trip
            reader.waiting = True
            try:
                got = proto.rbuf.fill(reader.recv)
            except OSError as e:
                reader.waiting = False
                raise transport.read_error(e) from None
            reader.waiting = False
            ev = proto.step() if got else NEED_DATA
        else:
            ev = proto.step() if fill(proto.rbuf, transport, reader) else NEED_DATA
        while ev != READY:
            if ev == NEED_DATA:
                ev = pump(proto, transport, reader)
                continue
            if ev == COPY_IN:
                copy_error = ProgrammingError(
                    "COPY FROM STDIN cannot run through execute(): use copy_expert()"
                )
                proto.wbuf.copy_fail(b"COPY FROM STDIN is not supported by execute()")
                if extended:
                    proto.wbuf.sync()
                transport.send(proto.wbuf.take())
            elif ev == COPY_OUT:
                raise OperationalError("COPY BOTH is not supported outside replication")
            else:
                raise OperationalError("unexpected authentication request")
            ev = pump(proto, transport, reader)
        return copy_error

    def _drain_after_interrupt(
        self, reader: AtomicReader | WaitingReader, extended: bool
    ) -> exc.Error | None:
        """Cancel the running statement and read what is left of the answer. A failed
        cancel only means waiting for the statement to end (a second interrupt closes)."""
        reader.waiting = False
        try:
            self.cancel()
        except exc.Error:
            pass
        return self._read_to_ready(reader, extended)

    def _collect_async(self) -> None:
        proto = self._proto
        if proto.notifies:
            self.notifies.extend(Notify(*n) for n in proto.notifies)
            proto.notifies.clear()

    def _on_notice(self, fields: dict[str, str]) -> None:
        sev = fields.get("S") or fields.get("V") or "NOTICE"
        self.notices.append(f"{sev}:  {fields.get('M', '')}\n")
        if len(self.notices) > _MAX_NOTICES:
            del self.notices[: len(self.notices) - _MAX_NOTICES]

    def _break(self) -> None:
        """The connection is unusable: close the socket, remember it was broken."""
        if self._transport is not None:
            self._transport.close()
            self._transport = None
        self._closed = 2

    def _check(self) -> None:
        if self._closed:
            raise InterfaceError("connection already closed")

    # ----- statements -----------------------------------------------------------------
    def _write_prologue(self) -> int:
        """BEGIN when a transaction must start, Close for evicted statements; returns the
        number of extra ReadyForQuery messages those requests add."""
        extra = 0
        w = self._proto.wbuf
        cache = self._cache
        if cache.to_close:
            for name in cache.to_close:
                w.close(0x53, name)
            cache.to_close.clear()
            w.sync()
            extra += 1
        if not self._autocommit and self._proto.transaction_status == b"I":
            w.query(self._begin_sql)
            extra += 1
        return extra

    def _discard_output(self) -> None:
        """Forget a half-written request (a parameter failed to encode): nothing was sent."""
        self._proto.wbuf = codec.WriteBuffer()

    def _began_transaction(self) -> bool:
        return not self._autocommit and self._proto.transaction_status == b"I"

    def execute(self, query: str | bytes, params: Any = None) -> list[Result]:
        """Run one query; the results of every statement it holds, in order."""
        with self._lock:
            if self._closed:
                raise InterfaceError("connection already closed")
            if params is None:
                sql = query.encode() if isinstance(query, str) else bytes(query)
                return self._simple(sql)
            pq = _parse_query(query)
            binding = self.binding
            if binding == "auto":
                values = _bindable_values(pq, params)
                if values is not None:
                    return self._extended(pq.server_sql, values)
            elif binding == "server":
                return self._extended(pq.server_sql, pyformat.server_params(pq, params))
            return self._simple(self._client_sql(pq, params))

    def _client_sql(self, pq: Any, params: Any) -> bytes:
        std = self._proto.parameters.get("standard_conforming_strings", "on") == "on"
        token = adapters.adapting_for.set(self)  # adapters' prepare(conn) gets this connection
        try:
            return pyformat.client_sql(pq, params, standard_conforming_strings=std)
        finally:
            adapters.adapting_for.reset(token)

    def mogrify(self, query: str | bytes, params: Any = None) -> bytes:
        if params is None:
            return query.encode() if isinstance(query, str) else bytes(query)
        return self._client_sql(pyformat.parse_query(query), params)

    def _simple(self, sql: bytes) -> list[Result]:
        began = self._began_transaction()
        extra = self._write_prologue()
        self._proto.wbuf.query(sql)
        self._proto.query_text = sql
        results = self._run(1 + extra)
        if began:
            results = results[1:]
        self._after(results)
        return results

    def _after(self, results: list[Result]) -> None:
        for r in results:
            if r.status in ("DISCARD ALL", "DEALLOCATE ALL"):
                self._cache.clear(server_forgot=True)

    def _extended(self, sql: bytes, values: list[Any], *, retry: bool = True) -> list[Result]:
        proto = self._proto
        oids = tuple(map(_infer_oid, values))
        key = (sql, oids)
        cache = self._cache
        proto.query_text = sql
        if proto.parse_settings_changes != self._parse_settings_seen:
            self._parse_settings_seen = proto.parse_settings_changes
            cache.clear()  # statements prepared under the old TimeZone/DateStyle (protocol.py)
        entry = cache.lookup(key)
        began = not self._autocommit and proto.transaction_status == b"I"
        extra = self._write_prologue() if began or cache.to_close else 0
        preparing = False
        name = b""
        try:
            if entry is None:
                proto.write_extended(b"", sql, values, oids, ())
            elif entry.name is None:
                preparing = True
                name = cache.new_name()
                proto.write_extended(name, sql, values, oids, (), describe_statement=True)
            else:  # prepared: Bind/Execute/Sync, rows decoded with the known description
                if entry.generation != _caster_generation[0]:  # a typecaster registered since
                    self._build_preset(entry)
                w = proto.wbuf
                w.bind(b"", entry.name, values, oids, entry.result_formats, proto.ctx)
                w.execute(b"", 0)
                w.sync()
                proto.presets.append(entry.preset)
        except BaseException:
            self._discard_output()
            raise
        if preparing:
            assert entry is not None
            entry.name = name
        try:
            results = self._run(1 + extra, extended=True)
        except exc.Error as e:
            if entry is not None and entry.name is not None:
                stale = _stale_statement(e)
                if preparing or stale:
                    cache.discard(key)
                if stale == "gone":
                    cache.clear(server_forgot=True)
                if stale and retry and not self._closed:
                    if self._autocommit or proto.transaction_status == b"I":
                        return self._extended(sql, values, retry=False)
                    if began:  # the failed statement was the first of our transaction
                        self._simple_control(b"ROLLBACK")
                        return self._extended(sql, values, retry=False)
            raise
        if preparing and entry is not None:
            self._remember_statement(entry)
        if began:
            results = results[1:]
        return results

    def _remember_statement(self, entry: Any) -> None:
        fields = self._proto.statement_fields
        entry.fields = fields
        entry.result_formats = StatementCache.result_formats_for(fields)
        self._build_preset(entry)

    def _build_preset(self, entry: Any) -> None:
        """The decoders of a prepared statement's rows, from the typecasters registered now."""
        entry.generation = _caster_generation[0]
        fields = entry.fields
        formats = entry.result_formats
        if fields:
            per_col = (
                formats * len(fields) if len(formats) == 1 else (formats or (0,) * len(fields))
            )
            shown = [f[:6] + (fmt,) for f, fmt in zip(fields, per_col)]
            entry.preset = PresetResult(shown, self._proto.make_decoder(shown))
        else:
            entry.preset = PresetResult(None, None)

    def executemany(self, query: str | bytes, params_seq: Iterable[Any]) -> int:
        """Parse once, then Bind/Execute per parameter set, one Sync per batch; returns the
        summed rowcount (-1 when the server reported none)."""
        with self._lock:
            self._check()
            pq = pyformat.parse_query(query)
            self.executemany_status = None
            it = iter(params_seq)
            first = next(it, None)
            if first is None:
                return -1
            total = -1
            if self.binding == "client" or (
                self.binding == "auto" and pyformat.needs_client_binding(pq, first)
            ):
                for params in _chain(first, it):
                    for r in self._simple(self._client_sql(pq, params)):
                        total = _add_count(total, r.rowcount)
                        self.executemany_status = r.tag
                return total
            rows = _chain(first, it)
            first_sets = [
                pyformat.server_params(pq, p) for p in _take(rows, EXECUTEMANY_BATCH_ROWS)
            ]
            return self._executemany_pipelined(pq, first_sets, rows)

    def _executemany_pipelined(self, pq: Any, first_sets: list[list[Any]], rows: Any) -> int:
        """Send batch k, encode batch k+1 while the server works on k, read k's answer,
        then send k+1: the client's encoding overlaps the server's execution, and only one
        batch is ever in flight (nothing to deadlock on; the first error stops the run)."""
        proto = self._proto
        sql = pq.server_sql
        oids = _column_oids(first_sets)
        extra = self._write_prologue()  # BEGIN (and queued Closes) go with the first batch
        exhausted = self._encode_batch(sql, oids, first_sets, rows, pq)
        data, count = proto.wbuf.take(), 1 + extra
        proto.query_text = sql
        proto.tally = -1  # the statements' row counts, summed as they arrive
        proto.tally_tag = b""
        try:
            while True:
                nxt: list[Any] = []  # (exhausted, bytes) of the next batch, encoded meanwhile
                meanwhile = None
                if not exhausted:
                    meanwhile = functools.partial(self._encode_into, nxt, sql, oids, rows, pq)
                self._run(count, extended=True, data=data, meanwhile=meanwhile)
                if exhausted:
                    self.executemany_status = proto.tally_tag[:-1] or None
                    return proto.tally
                exhausted, data = nxt
                count = 1
        finally:
            proto.tally = None

    def _encode_into(
        self, out: list[Any], sql: bytes, oids: tuple[int, ...], rows: Any, pq: Any
    ) -> None:
        out.append(self._encode_batch(sql, oids, [], rows, pq))
        out.append(self._proto.wbuf.take())

    def _encode_batch(
        self, sql: bytes, oids: tuple[int, ...], sets: list[list[Any]], rows: Any, pq: Any
    ) -> bool:
        """Parse + Bind/Execute per parameter set + Sync into the write buffer: ``sets``,
        then more of ``rows`` up to EXECUTEMANY_BATCH_ROWS sets or EXECUTEMANY_BATCH_BYTES
        bytes. True when ``rows`` is exhausted. A set that fails to encode discards the
        batch (nothing of it was sent)."""
        proto = self._proto
        w = proto.wbuf
        ctx = proto.ctx
        exhausted = False
        plain = pyformat.plain_types()
        width = -1 if pq.named else len(pq.param_keys)
        try:
            w.parse(b"", sql, oids)
            count = 0
            for values in sets:
                w.bind(b"", b"", values, oids, (), ctx)
                w.execute(b"", 0)
                count += 1
            while count < EXECUTEMANY_BATCH_ROWS and len(w) < EXECUTEMANY_BATCH_BYTES:
                params = next(rows, None)
                if params is None:
                    exhausted = True
                    break
                if not (type(params) is tuple and len(params) == width
                        and set(map(type, params)) <= plain):
                    params = pyformat.server_params(pq, params)
                w.bind(b"", b"", params, oids, (), ctx)
                w.execute(b"", 0)
                count += 1
            w.sync()
        except BaseException:
            self._discard_output()
            raise
        return exhausted

    def _simple_control(self, sql: bytes) -> None:
        """A transaction-control statement, never wrapped in BEGIN."""
        self._proto.wbuf.query(sql)
        self._proto.query_text = sql
        self._run(1)

    # ----- transactions ---------------------------------------------------------------
    def commit(self) -> None:
        with self._lock:
            self._check()
            if self._tpc_xid is not None:
                raise ProgrammingError("commit cannot be used during a two-phase transaction")
            if self._proto.transaction_status != b"I":
                self._simple_control(b"COMMIT")

    def rollback(self) -> None:
        with self._lock:
            self._check()
            if self._tpc_xid is not None:
                raise ProgrammingError("rollback cannot be used during a two-phase transaction")
            if self._proto.transaction_status != b"I":
                self._simple_control(b"ROLLBACK")

    @property
    def autocommit(self) -> bool:
        return self._autocommit

    @autocommit.setter
    def autocommit(self, value: bool) -> None:
        self.set_session(autocommit=value)

    @property
    def isolation_level(self) -> int | None:
        return self._txopts.isolation_level

    @isolation_level.setter
    def isolation_level(self, value: Any) -> None:
        self.set_session(isolation_level=value)

    @property
    def readonly(self) -> bool | None:
        return self._txopts.readonly

    @readonly.setter
    def readonly(self, value: bool | None) -> None:
        self.set_session(readonly=value)

    @property
    def deferrable(self) -> bool | None:
        return self._txopts.deferrable

    @deferrable.setter
    def deferrable(self, value: bool | None) -> None:
        self.set_session(deferrable=value)

    _UNSET: Any = object()

    def set_session(
        self,
        isolation_level: Any = _UNSET,
        readonly: Any = _UNSET,
        deferrable: Any = _UNSET,
        autocommit: Any = _UNSET,
    ) -> None:
        """psycopg2's set_session: the characteristics of the following transactions.

        In autocommit mode no BEGIN carries them, so they become the session defaults
        (as psycopg2 does); leaving autocommit puts the defaults back.
        """
        with self._lock:
            self._check()
            if self._proto.transaction_status != b"I":
                raise ProgrammingError("set_session cannot be used inside a transaction")
            opts = self._txopts
            if isolation_level is not self._UNSET:
                opts.isolation_level = parse_isolation(isolation_level)
            if readonly is not self._UNSET:
                opts.readonly = parse_tristate(readonly, "readonly")
            if deferrable is not self._UNSET:
                opts.deferrable = parse_tristate(deferrable, "deferrable")
            if autocommit is not self._UNSET:
                self._autocommit = bool(autocommit)
            self._begin_sql = opts.begin_sql()
            wanted = self._autocommit and not opts.is_default()
            if wanted or self._session_defaults_set:
                self._simple_control(opts.session_defaults_sql(reset=not wanted))
                self._session_defaults_set = wanted

    def _begin_statement(self) -> bytes:
        return self._begin_sql

    def set_isolation_level(self, level: int | None) -> None:
        if level == ISOLATION_LEVEL_AUTOCOMMIT:
            self.rollback()
            self.set_session(autocommit=True)
            return
        with self._lock:
            self.rollback()
            self.set_session(isolation_level=level, autocommit=False)

    def get_transaction_status(self) -> int:
        if self._closed:
            return TRANSACTION_STATUS_UNKNOWN
        if self._busy:
            return TRANSACTION_STATUS_ACTIVE
        return {
            b"I": TRANSACTION_STATUS_IDLE,
            b"T": TRANSACTION_STATUS_INTRANS,
            b"E": TRANSACTION_STATUS_INERROR,
        }.get(self._proto.transaction_status, TRANSACTION_STATUS_UNKNOWN)

    @property
    def status(self) -> int:
        if self._tpc_prepared:
            return STATUS_PREPARED
        return STATUS_READY if self._proto.transaction_status == b"I" else STATUS_BEGIN

    # ----- the rest of the DB-API / psycopg2 surface ---------------------------------
    def cursor(
        self,
        name: str | None = None,
        cursor_factory: Callable[..., Any] | None = None,
        scrollable: bool | None = None,
        withhold: bool = False,
    ) -> Any:
        """A client-side cursor, or a server-side (named) one when ``name`` is given."""
        from .cursor import Cursor, NamedCursor

        self._check()
        factory: Callable[..., Any] | None = cursor_factory or self.cursor_factory
        if name is None:
            return (factory or Cursor)(self)
        return (factory or NamedCursor)(self, name, scrollable=scrollable, withhold=withhold)

    def close(self) -> None:
        with self._lock:
            if self._transport is not None:
                try:
                    self._proto.wbuf.terminate()
                    self._transport.send(self._proto.wbuf.take())
                except exc.Error:
                    pass
                self._transport.close()
                self._transport = None
            self._closed = 1

    @property
    def closed(self) -> int:
        """0 while open, 1 after close(), 2 if the connection broke (psycopg2's convention)."""
        return self._closed

    def cancel(self) -> None:
        """Ask the server to cancel the running statement; callable from any thread.

        It takes no lock (the thread running the statement holds it): a CancelRequest goes
        over a new connection to the same host, and the statement fails with QueryCanceled.
        """
        if self._closed:
            raise InterfaceError("connection already closed")
        host = self.host
        if host is None:
            return
        proto = self._proto
        transport = self._transport
        wrap = None
        if transport is not None and isinstance(transport.stream, ssl.SSLSocket):
            wrap = cancel_encryption(self.info, host, self._sslcontext)  # as the session did
        send_cancel(
            host, proto.backend_pid, proto.backend_key, self.info.connect_timeout or 10.0, wrap=wrap
        )

    def __enter__(self) -> "Connection":
        self._check()
        return self

    def __exit__(self, exc_type: Any, exc_value: Any, tb: Any) -> None:
        if self._closed:
            return
        if exc_type is None:
            if self._tpc_xid is None:
                self.commit()
        else:
            try:
                if self._tpc_xid is None:
                    self.rollback()
            except exc.Error:
                pass

    @property
    def server_version(self) -> int:
        return _server_version_num(self._proto.parameters.get("server_version", ""))

    @property
    def protocol_version(self) -> int:
        """The protocol's major version, 3 (psycopg2's attribute)."""
        return self._proto.protocol_version >> 16

    @property
    def negotiated_protocol_version(self) -> tuple[int, int]:
        """(major, minor) agreed at start-up: (3, 0), or (3, 2) with PostgreSQL 18."""
        version = self._proto.protocol_version
        return version >> 16, version & 0xFFFF

    @property
    def parameter_status(self) -> Mapping[str, str]:
        return self._proto.parameters

    def get_parameter_status(self, name: str) -> str | None:
        return self._proto.parameters.get(name)

    def get_backend_pid(self) -> int:
        return self._proto.backend_pid

    @property
    def backend_key(self) -> bytes:
        return self._proto.backend_key

    @property
    def encoding(self) -> str:
        return self._proto.parameters.get("client_encoding", "UTF8")

    @property
    def dsn(self) -> str:
        return self.info.safe_dsn()

    @property
    def transaction_status(self) -> int:
        return self.get_transaction_status()

    def fileno(self) -> int:
        self._check()
        assert self._transport is not None
        return self._transport.fileno()

    @property
    def prepared_statements(self) -> StatementCache:
        return self._cache

    @property
    def prepare_threshold(self) -> int | None:
        return self._cache.threshold

    @prepare_threshold.setter
    def prepare_threshold(self, value: int | None) -> None:
        self._cache.threshold = value

    def __repr__(self) -> str:
        state = {0: "open", 1: "closed", 2: "broken"}[self._closed]
        return f"<pgdbapi.Connection {state} dsn={self.dsn!r}>"

    def __del__(self) -> None:
        if getattr(self, "_transport", None) is not None:
            try:
                self._transport.close()  # type: ignore[union-attr]
            except Exception:
                pass


def _stale_statement(e: exc.Error) -> str | None:
    """'changed' for "cached plan must not change result type", 'gone' when the server lost
    our prepared statement (DISCARD ALL, a pooler), else None."""
    code = e.pgcode
    msg = e.diag.fields.get("M", "")
    if code == "0A000" and "cached plan must not change result type" in msg:
        return "changed"
    if code == "26000" and "_pgdbapi_" in msg:
        return "gone"
    return None


def _column_oids(batch: list[list[Any]]) -> tuple[int, ...]:
    """Per parameter, the type of its first non-None value in the batch (0 if none)."""
    if not batch:
        return ()
    n = len(batch[0])
    oids = [0] * n
    todo = set(range(n))
    for values in batch:
        if len(values) != n:
            raise ProgrammingError("executemany: every parameter set must have the same length")
        for i in list(todo):
            v = values[i]
            if v is not None:
                oids[i] = codec.infer_oid(v)
                todo.discard(i)
        if not todo:
            break
    return tuple(oids)


def _add_count(total: int, count: int) -> int:
    if count < 0:
        return total
    return count if total < 0 else total + count


def _take(it: Any, n: int) -> list[Any]:
    out = []
    for item in it:
        out.append(item)
        if len(out) >= n:
            break
    return out


def _chain(first: Any, rest: Any) -> Any:
    yield first
    yield from rest


_PY_ONLY_KEYS = (
    "prepare_threshold",
    "prepared_statement_cache_size",
    "binding",
    "max_message_size",
    "sslcontext",
    "infinity",
    "interval",
)
_INFINITY_MODES = ("clamp", "error", "sentinel")


def connect(
    dsn: str | None = None,
    connection_factory: Callable[..., Any] | None = None,
    cursor_factory: Callable[..., Any] | None = None,
    **kwargs: Any,
) -> Any:
    """Open a connection from a libpq DSN/URI and/or keyword arguments (psycopg2's signature)."""
    options: dict[str, Any] = {}
    for key in _PY_ONLY_KEYS:
        if key in kwargs:
            options[key] = kwargs.pop(key)
    if "async" in kwargs or "async_" in kwargs:
        if kwargs.pop("async", False) or kwargs.pop("async_", False):
            raise exc.NotSupportedError("asynchronous connections are not supported")
    info = resolve(dsn, **kwargs)
    factory = connection_factory or Connection
    return factory(info, cursor_factory=cursor_factory, **options)


__all__ = ["Connection", "Notify", "connect"]
