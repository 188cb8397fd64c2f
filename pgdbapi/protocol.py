"""Sans-I/O state of one PostgreSQL session.

The protocol object owns the codec's read and write buffers and interprets the backend's
messages; it never touches a socket. The connection (or a future asyncio twin) is a thin
loop: put bytes from ``wbuf.take()`` on the wire, ``rbuf.fill(...)`` from the wire, and call
:meth:`Protocol.step` until it returns :data:`READY`.
"""

from __future__ import annotations

import struct
from typing import Any, Callable, Sequence

from . import command_tags
from .adapters import ConnectionTypes, string_types
from .codec import impl as codec
from .dbapi import Column
from .errors import make_error
from .exceptions import DataError, Error, OperationalError, ProgrammingError

# Events returned by Protocol.step()
NEED_DATA = 0  # feed more bytes from the server
READY = 1  # every expected ReadyForQuery arrived: the operation is over
AUTH = 2  # an authentication request waits in Protocol.auth_request
COPY_IN = 3  # the server waits for COPY data (Protocol.copy_format)
COPY_OUT = 4  # CopyBothResponse: the server wants to stream both ways (replication)

PROTOCOL_3_0 = 0x00030000
PROTOCOL_3_2 = 0x00030002

_unpack_i = struct.Struct("!i").unpack_from
_unpack_ii = struct.Struct("!ii").unpack_from
_unpack_h = struct.Struct("!h").unpack_from


class Result:
    """The outcome of one statement: its description, rows and command tag."""

    # status, rowcount and description are derived on demand: most executions never ask
    __slots__ = ("fields", "decoder", "rows", "tag", "_description")

    def __init__(self, fields: list[Any] | None = None, decoder: Any = None) -> None:
        self.fields = fields  # parsed RowDescription, None for statements without rows
        self.decoder = decoder
        self.rows: list[Any] = []
        self.tag: bytes | None = None  # CommandComplete tag
        self._description: list[Column] | None = None

    @property
    def status(self) -> str | None:
        tag = self.tag
        return None if tag is None else tag.decode("utf-8", "replace")

    @property
    def rowcount(self) -> int:
        tag = self.tag
        if tag is None:
            return -1
        if tag == b"SUSPENDED":
            return len(self.rows)
        return command_tags.rowcount(tag)

    @property
    def description(self) -> list[Column] | None:
        if self.fields is None:
            return None
        if self._description is None:
            self._description = [Column.from_field(f) for f in self.fields]
        return self._description


class PresetResult:
    """Description known in advance (prepared statement): Execute sends no RowDescription."""

    __slots__ = ("fields", "decoder")

    def __init__(self, fields: list[Any] | None, decoder: Any) -> None:
        self.fields = fields
        self.decoder = decoder


def parse_fields(body: bytes) -> dict[str, str]:
    """ErrorResponse/NoticeResponse body -> {field code: value}; unknown codes are kept."""
    fields: dict[str, str] = {}
    pos = 0
    end = len(body)
    while pos < end and body[pos] != 0:
        code = chr(body[pos])
        nul = body.find(b"\0", pos + 1)
        if nul < 0:
            break
        fields[code] = body[pos + 1 : nul].decode("utf-8", "replace")
        pos = nul + 1
    return fields


# Settings by which the server parses literals at Parse time: a statement prepared before
# one changes keeps what it parsed then ('2024-05-06'::date, now()::date at a zone), so
# the connection drops its prepared statements when the server reports a change.
_PARSE_SETTINGS = frozenset(("TimeZone", "DateStyle", "IntervalStyle"))


class Protocol:
    """What the session knows and expects; turns backend messages into results and events."""

    def __init__(self, max_message_size: int = 1 << 30) -> None:
        self.ctx = codec.TypeContext()
        self.types = ConnectionTypes(self.ctx)  # typecasters and type lookups of this session
        self.rbuf = codec.ReadBuffer(max_message_size)
        self.wbuf = codec.WriteBuffer()
        self.parameters: dict[str, str] = {}
        self.transaction_status = b"I"
        self.backend_pid = 0
        self.backend_key = b""
        self.protocol_version = PROTOCOL_3_0
        self.unsupported_options: list[str] = []
        self.on_notice: Callable[[dict[str, str]], None] | None = None
        self.notifies: list[tuple[int, str, str]] = []
        self.auth_request: tuple[int, bytes] | None = None
        self.copy_format = 0
        self.copy_out: list[bytes] | None = None  # CopyData of a COPY TO STDOUT, once started
        self.pending = 0  # ReadyForQuery messages still expected
        self.results: list[Result] = []
        # executemany: the row counts of statements without rows summed here (-1: none yet)
        # instead of one Result per statement; None otherwise
        self.tally: int | None = None
        self.tally_tag = b""  # the last CommandComplete body counted into it
        self.query_text: bytes | None = None  # the statement sent last, for error positions
        # changes of the settings the server reads literals by (see _PARSE_SETTINGS)
        self.parse_settings_changes = 0
        self.error: Error | None = None
        self.statement_fields: list[Any] | None = None  # last Describe(S) answer
        self._current: Result | None = None
        # per Bind still unanswered: the known description of its rows, or None when a
        # RowDescription will come (Describe was sent)
        self.presets: list[PresetResult | None] = []
        self._awaiting_statement_desc = False

    # ----- requests -------------------------------------------------------------------
    def expect(self, ready_count: int = 1) -> None:
        """Start an operation answered by ``ready_count`` ReadyForQuery messages."""
        self.pending += ready_count
        self.results = []
        self.error = None
        self.copy_out = None
        self._current = None
        self.statement_fields = None

    def preset(self, preset: PresetResult | None) -> None:
        """Queue the description of the next Bind's results (None: a RowDescription will come)."""
        self.presets.append(preset)

    # ----- responses ------------------------------------------------------------------
    def step(self) -> int:
        """Process buffered messages; return an event (NEED_DATA when the buffer ran dry).

        The messages of a statement's result are handled inline with locals, the rest by
        :meth:`_dispatch`: this loop runs for every round trip."""
        rbuf = self.rbuf
        cur = self._current
        decoder = cur.decoder if cur is not None else None
        while True:
            if decoder is not None:
                try:
                    rbuf.read_rows(decoder, cur.rows)  # type: ignore[union-attr]
                except DataError as exc:
                    self._fail(exc)
                    cur.decoder = decoder = None  # type: ignore[union-attr]
            elif self.tally is not None:  # executemany: its answers summed by the codec
                self.tally, tag = rbuf.tally_commands(self.tally)
                if tag is not None:
                    self.tally_tag = tag
            msg = rbuf.next_message()
            if msg is None:
                self._current = cur
                return NEED_DATA
            mtype, body = msg
            if mtype == 0x43:  # 'C' CommandComplete
                if cur is None:
                    cur = Result()
                cur.tag = body[:-1]
                self.results.append(cur)
                cur = decoder = None
            elif mtype == 0x5A:  # 'Z' ReadyForQuery
                self.transaction_status = body[:1]
                cur = decoder = None
                if self.presets:
                    self.presets.clear()
                self.pending -= 1
                if self.pending <= 0:
                    self.pending = 0
                    self._current = None
                    return READY
            elif mtype == 0x32:  # '2' BindComplete
                if self.presets:
                    preset = self.presets.pop(0)
                    if preset is not None:
                        decoder = preset.decoder
                        cur = Result(preset.fields, decoder)
            else:
                self._current = cur
                ev = self._dispatch(mtype, body)
                cur = self._current
                decoder = cur.decoder if cur is not None else None
                if ev >= 0:
                    self._current = cur
                    return ev

    def _dispatch(self, mtype: int, body: bytes) -> int:
        """Every message but the hot ones; an event, or -1 to keep stepping."""
        if mtype == 0x54:  # 'T' RowDescription
            fields = codec.parse_row_description(body)
            if self._awaiting_statement_desc:
                self._awaiting_statement_desc = False
                self.statement_fields = fields
            else:
                self._current = Result(fields, self.make_decoder(fields))
        elif mtype == 0x44:  # 'D' DataRow nobody asked to decode (executemany, failed decode)
            pass
        elif mtype == 0x6E:  # 'n' NoData
            if self._awaiting_statement_desc:
                self._awaiting_statement_desc = False
                self.statement_fields = None
        elif mtype == 0x74:  # 't' ParameterDescription
            self._awaiting_statement_desc = True  # its RowDescription/NoData comes next
        elif mtype in (0x31, 0x33):  # '1' ParseComplete, '3' CloseComplete
            pass
        elif mtype == 0x45:  # 'E' ErrorResponse
            err_fields = parse_fields(body)
            query = self.query_text
            text = None if query is None else query.decode("utf-8", "replace")
            self._fail(make_error(err_fields, text))
            if err_fields.get("V", err_fields.get("S")) in ("FATAL", "PANIC"):
                self.transaction_status = b""
            self._current = None
        elif mtype == 0x49:  # 'I' EmptyQueryResponse: the whole query string was empty
            self._current = None
            self.results.append(Result())
            self._fail(ProgrammingError("can't execute an empty query"))  # as psycopg2
        elif mtype == 0x73:  # 's' PortalSuspended
            cur = self._current or Result()
            cur.tag = b"SUSPENDED"
            self.results.append(cur)
            self._current = None
        elif mtype == 0x4E:  # 'N' NoticeResponse
            if self.on_notice is not None:  # kept by whoever listens, not here (no growth)
                self.on_notice(parse_fields(body))
        elif mtype == 0x53:  # 'S' ParameterStatus
            name, _, value = body.rstrip(b"\0").partition(b"\0")
            self._set_parameter(name.decode("utf-8", "replace"), value.decode("utf-8", "replace"))
        elif mtype == 0x41:  # 'A' NotificationResponse
            (pid,) = _unpack_i(body, 0)
            channel, _, payload = body[4:].rstrip(b"\0").partition(b"\0")
            self.notifies.append((pid, channel.decode(), payload.decode()))
        elif mtype == 0x47:  # 'G' CopyInResponse
            self.copy_format = body[0] if body else 0
            return COPY_IN
        elif mtype == 0x48:  # 'H' CopyOutResponse
            self.copy_format = body[0] if body else 0
            self.copy_out = []
        elif mtype == 0x64:  # 'd' CopyData
            if self.copy_out is not None:
                self.copy_out.append(body)
        elif mtype == 0x63:  # 'c' CopyDone
            pass
        elif mtype == 0x57:  # 'W' CopyBothResponse
            self.copy_format = body[0] if body else 0
            return COPY_OUT
        elif mtype == 0x52:  # 'R' Authentication*
            (code,) = _unpack_i(body, 0)
            if code == 0:
                self.auth_request = (0, b"")
            else:
                self.auth_request = (code, body[4:])
            return AUTH
        elif mtype == 0x4B:  # 'K' BackendKeyData
            (self.backend_pid,) = _unpack_i(body, 0)
            self.backend_key = bytes(body[4:])
        elif mtype == 0x76:  # 'v' NegotiateProtocolVersion
            version, count = _unpack_ii(body, 0)
            self.protocol_version = version
            names = body[8:].split(b"\0")[:count]
            self.unsupported_options = [n.decode() for n in names]
        elif mtype == 0x56:  # 'V' FunctionCallResponse
            (n,) = _unpack_i(body, 0)
            res = Result()
            res.rows.append((None if n < 0 else bytes(body[4 : 4 + n]),))
            self.results.append(res)
        else:
            raise OperationalError(
                f"unexpected message type {chr(mtype)!r} (0x{mtype:02x}) from the server: "
                "lost synchronization with the server"
            )
        return -1

    def make_decoder(self, fields: list[Any]) -> Any:
        """The RowDecoder for a RowDescription's fields (each with its format code): the one
        place where decoders are chosen, so adapters registered for a type apply everywhere."""
        columns = [(f[3], f[6]) for f in fields]
        if self.types.casters or string_types:
            loaders = self.types.loaders_for(columns)
            if loaders is not None:
                return codec.RowDecoder(columns, self.ctx, loaders)
        return codec.RowDecoder(columns, self.ctx)

    def _fail(self, exc: Error) -> None:
        if self.error is None:
            self.error = exc

    def _set_parameter(self, name: str, value: str) -> None:
        old = self.parameters.get(name)
        self.parameters[name] = value
        if old is not None and old != value and name in _PARSE_SETTINGS:
            self.parse_settings_changes += 1
        if name == "TimeZone":
            self.ctx.timezone = timezone_from_name(value)
        elif name == "DateStyle":  # text dates decode by it from the next RowDescription on
            self.ctx.datestyle = value
        elif name == "IntervalStyle":
            self.ctx.intervalstyle = value

    # ----- message writers that carry protocol knowledge ------------------------------
    def write_extended(
        self,
        statement: bytes,
        sql: bytes | None,
        params: Sequence[Any],
        oids: Sequence[int],
        result_formats: Sequence[int],
        *,
        describe_statement: bool = False,
        preset: PresetResult | None = None,
        max_rows: int = 0,
        portal: bytes = b"",
    ) -> None:
        """Parse (when ``sql`` is given) + Bind + Describe/Execute + Sync in the write buffer."""
        w = self.wbuf
        if sql is not None:
            w.parse(statement, sql, oids)
            if describe_statement:
                w.describe(0x53, statement)
        w.bind(portal, statement, params, oids, result_formats, self.ctx)
        self.preset(preset)
        if preset is None:
            w.describe(0x50, portal)
        w.execute(portal, max_rows)
        w.sync()


_tz_cache: dict[str, Any] = {}


def timezone_from_name(name: str) -> Any:
    """The session TimeZone as a tzinfo (UTC when Python's zoneinfo cannot resolve it)."""
    tz = _tz_cache.get(name)
    if tz is None:
        import datetime as _dt

        tz = _dt.timezone.utc
        if name.upper() not in ("UTC", "ETC/UTC", "GMT", "Z", "UCT", "ZULU", "UNIVERSAL"):
            try:
                import zoneinfo

                tz = zoneinfo.ZoneInfo(name)
            except Exception:
                tz = _fixed_offset_from_posix(name) or _dt.timezone.utc
        _tz_cache[name] = tz
    return tz


def _fixed_offset_from_posix(name: str) -> Any:
    """'<+03>-03' or 'UTC+3' style (POSIX: sign inverted) -> fixed offset, else None."""
    import datetime as _dt
    import re

    m = re.fullmatch(r"(?:<[^>]*>|[A-Za-z]+)?([+-]?)(\d{1,2})(?::(\d{2}))?", name)
    if not m:
        return None
    sign = 1 if m.group(1) == "-" else -1
    minutes = int(m.group(2)) * 60 + int(m.group(3) or 0)
    return _dt.timezone(_dt.timedelta(minutes=sign * minutes))
