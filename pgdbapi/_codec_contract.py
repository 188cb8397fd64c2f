"""The contract that both codec implementations meet.

``pgdbapi._codec`` (Cython, compiled from ``_codec.pyx``) and ``pgdbapi._pycodec`` (pure
Python) export exactly these names with identical behaviour; :mod:`pgdbapi.codec` picks one.
The hypothesis tests in ``tests/test_codec_twins.py`` hold them to it.

Only the hot path lives in the codec: message framing, DataRow decoding, parameter
encoding (Bind written in one pass) and value conversion in text and binary format.
Everything else (start-up, auth, protocol state) is plain Python.

Errors raised by a codec:

* malformed framing (length < 4 or above ``max_message_size``) -> ``OperationalError``
  (the connection must be closed: the stream is out of sync);
* a value that cannot be decoded (malformed bytes, out of Python's range) -> ``DataError``;
* a Python value with no adapter -> ``ProgrammingError("can't adapt type 'X'")``.
"""

from __future__ import annotations

from datetime import tzinfo
from typing import Any, Callable, NamedTuple, Protocol, Sequence


class Encoded(NamedTuple):
    """A parameter already encoded by an adapter: passed through the codec untouched.

    ``fmt`` is 0 (text) or 1 (binary); ``data`` is None for NULL.
    """

    oid: int
    fmt: int
    data: bytes | None


class TypeContextProto(Protocol):
    """Session state that value conversion depends on; the connection keeps it current."""

    timezone: tzinfo  # session TimeZone: timestamptz values are returned in it (default UTC)
    infinity: str  # "clamp" (default) / "error" / "sentinel": infinite dates, docs/codec.md
    interval: str  # "timedelta" (default) / "interval": what intervals decode to
    datestyle: str  # DateStyle as reported by the server ("ISO, MDY"): text dates
    intervalstyle: str  # IntervalStyle as reported ("postgres"): text intervals


class RowDecoderProto(Protocol):
    """Turns DataRow bodies into tuples; built once per RowDescription.

    ``columns`` is one ``(type_oid, format_code)`` per column; ``loaders`` optionally gives
    per column a callable ``f(data: bytes) -> object`` that overrides the built-in decoder
    (custom adapters); it is never called for NULL.
    """

    ncols: int

    def decode_row(self, body: bytes) -> tuple[Any, ...]: ...


class ReadBufferProto(Protocol):
    """One growable receive buffer; finds message boundaries without copying the stream."""

    def fill(self, recv_into: Callable[[memoryview], int], size_hint: int = 65536) -> int:
        """Make room for at least ``size_hint`` bytes, call ``recv_into`` on the free space
        once, keep what it wrote; return its result (0 means end of stream)."""
        ...

    def feed(self, data: bytes) -> None:
        """Append bytes (TLS/GSS layers that decrypt elsewhere, tests)."""
        ...

    def next_message(self) -> tuple[int, bytes] | None:
        """Pop the next complete message as ``(type_byte, body)``, or None if incomplete."""
        ...

    def peek_type(self) -> int:
        """Type byte of the next *complete* message, or -1."""
        ...

    def read_rows(self, decoder: RowDecoderProto, rows: list[Any], limit: int = -1) -> int:
        """Decode consecutive complete DataRow ('D') messages into ``rows`` (appending
        tuples); stop at anything else, at an incomplete message or after ``limit`` rows
        (-1: no limit). Return how many rows were appended."""
        ...

    def tally_commands(self, total: int) -> tuple[int, bytes | None]:
        """Consume consecutive complete BindComplete ('2') and CommandComplete ('C')
        messages (executemany's answers); stop before anything else or an incomplete one.
        Return ``total`` plus the row count of each command tag (-1 stays -1 until a tag
        has one) and the last CommandComplete body consumed (None if none)."""
        ...

    def __len__(self) -> int: ...


class WriteBufferProto(Protocol):
    """Accumulates frontend messages; message lengths are back-patched on ``end``."""

    def start(self, msgtype: int) -> None: ...
    def end(self) -> None: ...
    def write_int16(self, v: int) -> None: ...
    def write_int32(self, v: int) -> None: ...
    def write_bytes(self, b: bytes) -> None: ...
    def write_cstr(self, b: bytes) -> None: ...

    def startup(self, version: int, params: Sequence[tuple[str, str]]) -> None: ...
    def query(self, sql: bytes) -> None: ...
    def parse(self, name: bytes, sql: bytes, oids: Sequence[int]) -> None: ...

    def bind(
        self,
        portal: bytes,
        statement: bytes,
        params: Sequence[Any],
        oids: Sequence[int],
        result_formats: Sequence[int],
        ctx: TypeContextProto,
    ) -> None:
        """Bind, each parameter encoded straight into the buffer: binary when
        ``infer_oid(value) == oids[i]`` and a binary encoder exists, text otherwise."""
        ...

    def describe(self, kind: int, name: bytes) -> None: ...
    def execute(self, portal: bytes, max_rows: int) -> None: ...
    def close(self, kind: int, name: bytes) -> None: ...
    def sync(self) -> None: ...
    def flush(self) -> None: ...
    def terminate(self) -> None: ...
    def password(self, data: bytes) -> None: ...
    def copy_data(self, data: bytes) -> None: ...
    def copy_done(self) -> None: ...
    def copy_fail(self, message: bytes) -> None: ...

    def take(self) -> bytes:
        """Return everything written so far and reset (an unfinished message is an error)."""
        ...

    def __len__(self) -> int: ...


class CodecModule(Protocol):
    """The module-level names of ``pgdbapi._codec`` and ``pgdbapi._pycodec``."""

    IMPLEMENTATION: str  # "c" or "python"

    TypeContext: Callable[[], TypeContextProto]
    ReadBuffer: Callable[..., ReadBufferProto]  # ReadBuffer(max_message_size=1 << 30)
    WriteBuffer: Callable[[], WriteBufferProto]
    RowDecoder: Callable[..., RowDecoderProto]  # RowDecoder(columns, ctx, loaders=None)

    def decode_value(self, oid: int, fmt: int, data: bytes, ctx: TypeContextProto) -> Any: ...
    def has_binary(self, oid: int) -> bool: ...
    def infer_oid(self, value: Any) -> int: ...
    def encode_param(
        self, value: Any, oid: int, ctx: TypeContextProto
    ) -> tuple[int, bytes | None]: ...
    def parse_row_description(
        self, body: bytes
    ) -> list[tuple[str, int, int, int, int, int, int]]: ...
