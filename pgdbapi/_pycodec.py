"""The pure-Python codec twin: framing, DataRow decoding and Bind encoding.

Implements ``pgdbapi._codec_contract`` with the behaviour of docs/codec.md, identical to the
Cython ``_codec``. Value conversion lives in ``_pycodec_decode`` / ``_pycodec_encode``; this
module holds the buffers and the row loop, written for CPython's speed: precompiled structs
reading the receive buffer in place, one decoder callable per column chosen up front, and
Bind values appended to one bytearray with the lengths back-patched.

Choices where docs/codec.md is silent (psycopg2/libpq-like):

* a DataRow with bytes left over after its last value, a value length below -1, or a
  RowDescription with trailing bytes or a non-UTF-8 name -> ``OperationalError`` (libpq calls
  the first "message contents do not agree with length");
* any exception raised while converting one value, including by a custom loader, becomes
  ``DataError`` (chained); pgdbapi errors pass through unchanged; ``loaders`` must have one
  entry (callable or None) per column, else ``ProgrammingError``;
* misuse of ``WriteBuffer`` (nested ``start``, ``end``/``take`` out of turn) ->
  ``InterfaceError``; a NUL byte inside a C string, a count or Int16/Int32 out of range ->
  ``ProgrammingError``;
* Bind always sends one format code per parameter (C = N), result formats as given.
"""

from __future__ import annotations

import struct
import sys
from datetime import timezone, tzinfo
from typing import Any, Callable, Sequence

from . import command_tags
from ._pycodec_decode import FIXED_BINARY, get_decoder, get_decoders
from ._pycodec_encode import encode_param as _encode_param
from ._pycodec_encode import infer_oid, write_param
from ._pycodec_oids import HAS_BINARY
from .exceptions import DataError, Error, InterfaceError, OperationalError, ProgrammingError

__all__ = [
    "IMPLEMENTATION",
    "TypeContext",
    "ReadBuffer",
    "WriteBuffer",
    "RowDecoder",
    "decode_value",
    "has_binary",
    "infer_oid",
    "encode_param",
    "parse_row_description",
]

IMPLEMENTATION = "python"

Loader = Callable[[bytes], Any]

_i32 = struct.Struct("!i").unpack_from
_u16 = struct.Struct("!H").unpack_from
_rowdesc_field = struct.Struct("!IhIhih").unpack_from
_pack_u16 = struct.Struct("!H").pack
_pack_u32 = struct.Struct("!I").pack
_pack_into_i32 = struct.Struct("!i").pack_into
_pack_header = struct.Struct("!Bi").pack  # type byte + length


class TypeContext:
    """Session state value conversion depends on: the TimeZone timestamptz values land in,
    what infinite dates and timestamps and what intervals become, and the DateStyle and
    IntervalStyle of text results."""

    __slots__ = ("timezone", "infinity", "interval", "datestyle", "intervalstyle")

    def __init__(self) -> None:
        self.timezone: tzinfo = timezone.utc
        self.infinity: str = "clamp"  # or "error" / "sentinel": docs/codec.md
        self.interval: str = "timedelta"  # or "interval" (pgdbapi.types.Interval)
        self.datestyle: str = "ISO, MDY"  # as the server reports them (ParameterStatus)
        self.intervalstyle: str = "postgres"

    def __repr__(self) -> str:
        return (
            f"TypeContext(timezone={self.timezone!r}, infinity={self.infinity!r}, "
            f"interval={self.interval!r}, datestyle={self.datestyle!r}, "
            f"intervalstyle={self.intervalstyle!r})"
        )


def has_binary(oid: int) -> bool:
    """True for the oids whose results the connection may request in binary."""
    return oid in HAS_BINARY


def encode_param(value: Any, oid: int, ctx: TypeContext) -> tuple[int, bytes | None]:
    """``(fmt, data)`` of one parameter; NULL is ``(0, None)``."""
    return _encode_param(value, oid)


def _value_error(exc: Exception, oid: int, fmt: int) -> DataError:
    err = DataError(f"cannot decode value of type {oid} ({'binary' if fmt else 'text'}): {exc}")
    err.__cause__ = exc
    return err


def decode_value(oid: int, fmt: int, data: bytes, ctx: TypeContext) -> Any:
    """One value (never NULL) in the given format; bad bytes -> DataError."""
    decode = get_decoder(oid, fmt, ctx)
    if type(data) is not bytes:
        data = bytes(data)
    try:
        return decode(data, 0, len(data))
    except Error:
        raise
    except Exception as e:
        raise _value_error(e, oid, fmt) from e


def _corrupt(what: str) -> OperationalError:
    return OperationalError(f"malformed DataRow: {what}; the stream is out of sync")


class RowDecoder:
    """DataRow bodies -> tuples, with one decoder per column chosen once.

    Three ways to a row, fastest first: a row of fixed-width binary columns (ints, float8,
    bool) with no NULL has one layout, read with a single struct; any other row goes through
    an unchecked loop over the column decoders; whatever that loop cannot finish cleanly
    (an error, or not landing exactly on the end of the message) is decoded again by the
    checked loop, which says what is wrong. Decoders are pure, so only errors cost twice.
    """

    __slots__ = ("ncols", "_decoders", "_columns", "_row_size", "_unpack_row", "_row_lengths")

    def __init__(
        self,
        columns: Sequence[tuple[int, int]],
        ctx: TypeContext,
        loaders: Sequence[Loader | None] | None = None,
    ) -> None:
        cols = [(int(oid), int(fmt)) for oid, fmt in columns]
        if loaders is not None and len(loaders) != len(cols):
            raise ProgrammingError(f"{len(loaders)} loaders for {len(cols)} columns")
        decoders = get_decoders(cols, ctx)
        if loaders is not None:
            for i, loader in enumerate(loaders):
                if loader is not None:
                    decoders[i] = _LoaderCall(loader)
        self.ncols: int = len(cols)
        self._decoders = decoders
        self._columns = cols
        # whole-row layout: Int16 count, then Int32 length + value per column
        codes = [FIXED_BINARY.get(oid, "") if fmt == 1 else "" for oid, fmt in cols]
        fixed = bool(cols) and all(codes) and not (loaders and any(loaders))
        row = struct.Struct("!H" + "".join("i" + c for c in codes)) if fixed else None
        self._row_size = -1 if row is None else row.size
        self._unpack_row = None if row is None else row.unpack_from
        self._row_lengths = tuple(struct.calcsize("!" + c) for c in codes) if fixed else ()

    def decode_row(self, body: bytes) -> tuple[Any, ...]:
        if type(body) is not bytes:
            body = bytes(body)
        return self._decode(body, 0, len(body))

    def _decode(self, buf: Any, pos: int, end: int) -> tuple[Any, ...]:
        """Decode the DataRow body ``buf[pos:end]`` in place."""
        if end - pos == self._row_size:
            values = self._unpack_row(buf, pos)  # type: ignore[misc]
            if values[1::2] == self._row_lengths and values[0] == self.ncols:
                return values[2::2]  # type: ignore[no-any-return]
        try:
            if _u16(buf, pos)[0] == self.ncols:
                p = pos + 2
                row: list[Any] = []
                append = row.append
                i32 = _i32
                for decode in self._decoders:
                    n = i32(buf, p)[0]
                    p += 4
                    if n >= 0:
                        append(decode(buf, p, n))
                        p += n
                    elif n == -1:
                        append(None)
                    else:
                        break
                else:
                    if p == end:
                        return tuple(row)
        except Exception:
            pass  # the checked loop below raises the right error
        return self._decode_checked(buf, pos, end)

    def _decode_checked(self, buf: Any, pos: int, end: int) -> tuple[Any, ...]:
        if end - pos < 2 or _u16(buf, pos)[0] != self.ncols:
            raise _corrupt(f"column count differs from the {self.ncols} described")
        pos += 2
        row: list[Any] = []
        append = row.append
        i32 = _i32
        try:
            for decode in self._decoders:
                if pos + 4 > end:
                    raise _corrupt("truncated")
                n = i32(buf, pos)[0]
                pos += 4
                if n < 0:
                    if n != -1:
                        raise _corrupt(f"value length {n}")
                    append(None)
                    continue
                if pos + n > end:
                    raise _corrupt("value overruns the message")
                append(decode(buf, pos, n))
                pos += n
        except Error:
            raise
        except Exception as e:
            oid, fmt = self._columns[len(row)]
            raise _value_error(e, oid, fmt) from e
        if pos != end:
            raise _corrupt("bytes left after the last column")
        return tuple(row)


class _LoaderCall:
    """A custom loader in decoder form: it gets the value as ``bytes``."""

    __slots__ = ("loader",)

    def __init__(self, loader: Loader) -> None:
        self.loader = loader

    def __call__(self, buf: Any, pos: int, n: int) -> Any:
        return self.loader(bytes(buf[pos:pos + n]))


def parse_row_description(body: bytes) -> list[tuple[str, int, int, int, int, int, int]]:
    """RowDescription -> ``(name, table_oid, attnum, type_oid, typlen, typmod, format)``."""
    if type(body) is not bytes:
        body = bytes(body)
    out = []
    try:
        pos = 2
        for _ in range(_u16(body, 0)[0]):
            z = body.index(b"\0", pos)
            name = body[pos:z].decode()
            out.append((name, *_rowdesc_field(body, z + 1)))
            pos = z + 19
    except (ValueError, struct.error) as e:
        raise OperationalError(f"malformed RowDescription: {e}") from e
    if pos != len(body):
        raise OperationalError("malformed RowDescription: bytes left after the last field")
    return out


# -- receive ---------------------------------------------------------------------------------

_MIN_CAPACITY = 65536


class ReadBuffer:
    """One growable receive buffer; messages are found in place, not copied out of the stream.

    ``_buf[_pos:_end]`` holds the bytes received and not consumed yet; the capacity past
    ``_end`` is where ``fill`` lets ``recv_into`` write.
    """

    __slots__ = ("_buf", "_pos", "_end", "_max")

    def __init__(self, max_message_size: int = 1 << 30) -> None:
        self._buf = bytearray(_MIN_CAPACITY)
        self._pos = 0
        self._end = 0
        self._max = max_message_size

    def __len__(self) -> int:
        return self._end - self._pos

    def _reserve(self, size: int) -> None:
        """Make at least ``size`` bytes free after ``_end`` (reset, compact or grow)."""
        buf = self._buf
        pos, end = self._pos, self._end
        live = end - pos
        if live == 0:
            self._pos = self._end = 0
            if len(buf) > 4 * max(size, _MIN_CAPACITY):  # give back a huge message's space
                self._buf = bytearray(max(size, _MIN_CAPACITY))
            elif len(buf) < size:
                self._buf = bytearray(max(2 * len(buf), size))
            return
        if len(buf) - end >= size:
            return
        if len(buf) - live >= size:
            buf[:live] = buf[pos:end]
        else:
            grown = bytearray(max(2 * len(buf), live + size))
            grown[:live] = buf[pos:end]
            self._buf = grown
        self._pos, self._end = 0, live

    def fill(self, recv_into: Callable[[memoryview], int], size_hint: int = 65536) -> int:
        self._reserve(size_hint)
        view = memoryview(self._buf)[self._end:]
        try:
            n = recv_into(view)
        finally:
            view.release()
        if n:
            if not 0 < n <= len(self._buf) - self._end:
                raise InterfaceError(f"recv_into returned {n!r}")
            self._end += n
        return n

    def feed(self, data: bytes) -> None:
        if type(data) is not bytes:
            data = bytes(memoryview(data).cast("B"))
        n = len(data)
        self._reserve(n)
        end = self._end
        self._buf[end:end + n] = data
        self._end = end + n

    def _check_length(self, pos: int) -> int:
        """Length field of the message at ``pos`` (5 header bytes are there), validated."""
        length = _i32(self._buf, pos + 1)[0]
        if length < 4 or length > self._max:
            t = bytes(self._buf[pos:pos + 1])
            raise OperationalError(
                f"invalid message length {length} (message type {t!r}); the stream is out of sync"
            )
        return length

    def next_message(self) -> tuple[int, bytes] | None:
        pos = self._pos
        if self._end - pos < 5:
            return None
        mend = pos + 1 + self._check_length(pos)
        if mend > self._end:
            return None
        buf = self._buf
        msg = (buf[pos], bytes(buf[pos + 5:mend]))
        if mend == self._end:
            self._pos = self._end = 0
        else:
            self._pos = mend
        return msg

    def tally_commands(self, total: int) -> tuple[int, bytes | None]:
        buf = self._buf
        last = None
        while True:
            pos = self._pos
            if self._end - pos < 5:
                break
            kind = buf[pos]
            if kind != 0x32 and kind != 0x43:  # BindComplete, CommandComplete
                break
            mend = pos + 1 + self._check_length(pos)
            if mend > self._end:
                break
            if kind == 0x43:
                last = bytes(buf[pos + 5:mend])
                count = command_tags.rowcount(last[:-1])
                if count >= 0:
                    total = count if total < 0 else total + count
            if mend == self._end:
                self._pos = self._end = 0
            else:
                self._pos = mend
        return total, last

    def peek_type(self) -> int:
        pos = self._pos
        if self._end - pos < 5 or pos + 1 + self._check_length(pos) > self._end:
            return -1
        return self._buf[pos]

    def read_rows(self, decoder: Any, rows: list[Any], limit: int = -1) -> int:
        buf = self._buf
        pos = self._pos
        end = self._end
        maxlen = self._max
        decode: Callable[[Any, int, int], Any]
        row_size = -1  # RowDecoder's one-struct rows, inlined (see RowDecoder)
        unpack_row: Any = None
        row_lengths: tuple[int, ...] = ()
        ncols = -1
        if type(decoder) is RowDecoder:
            decode = decoder._decode
            row_size = decoder._row_size
            unpack_row = decoder._unpack_row
            row_lengths = decoder._row_lengths
            ncols = decoder.ncols
        else:
            def decode(buf: Any, start: int, mend: int) -> Any:
                return decoder.decode_row(bytes(buf[start:mend]))
        append = rows.append
        i32 = _i32
        todo = sys.maxsize if limit < 0 else limit
        count = 0
        try:
            while count < todo and end - pos >= 5:
                length = i32(buf, pos + 1)[0]
                if length < 4 or length > maxlen:  # checked whatever the type
                    self._check_length(pos)
                if buf[pos] != 68:  # 'D'
                    break
                mend = pos + 1 + length
                if mend > end:
                    break
                start = pos + 5
                pos = mend  # consumed even if decoding fails
                if length - 4 == row_size:
                    values = unpack_row(buf, start)
                    if values[1::2] == row_lengths and values[0] == ncols:
                        append(values[2::2])
                        count += 1
                        continue
                append(decode(buf, start, mend))
                count += 1
        finally:
            if pos == end:
                self._pos = self._end = 0
            else:
                self._pos = pos
        return count


# -- send ------------------------------------------------------------------------------------


def _cstr(b: bytes) -> bytes:
    if b"\0" in b:
        raise ProgrammingError(f"a NUL byte cannot be sent inside a string: {bytes(b)[:60]!r}")
    return b


def _kind(kind: int | bytes | str) -> bytes:
    """The 'S'/'P' byte of Describe and Close, given as an int or one byte/character."""
    if isinstance(kind, int):
        return bytes((kind,))
    if len(kind) == 1:
        return kind.encode() if isinstance(kind, str) else bytes(kind)
    raise ProgrammingError(f"invalid kind {kind!r}")


def _count(n: int, what: str) -> bytes:
    if n > 0xFFFF:
        raise ProgrammingError(f"too many {what}: {n} (the protocol allows 65535)")
    return _pack_u16(n)


class WriteBuffer:
    """Accumulates frontend messages; each message length is back-patched when it ends."""

    __slots__ = ("_buf", "_msg")

    def __init__(self) -> None:
        self._buf = bytearray()
        self._msg = -1  # offset of the open message, -1 when none

    def __len__(self) -> int:
        return len(self._buf)

    def start(self, msgtype: int) -> None:
        if self._msg >= 0:
            raise InterfaceError("a message is already being written")
        self._msg = len(self._buf)
        self._buf += _pack_header(msgtype, 0)

    def end(self) -> None:
        start = self._msg
        if start < 0:
            raise InterfaceError("no message is being written")
        length = len(self._buf) - start - 1
        self._msg = -1
        if length > 0x7FFFFFFF:
            del self._buf[start:]
            raise ProgrammingError(f"message too long: {length} bytes")
        _pack_into_i32(self._buf, start + 1, length)

    def write_int16(self, v: int) -> None:
        if not -0x8000 <= v <= 0xFFFF:
            raise ProgrammingError(f"{v} does not fit in an Int16")
        self._buf += _pack_u16(v & 0xFFFF)

    def write_int32(self, v: int) -> None:
        if not -0x80000000 <= v <= 0xFFFFFFFF:
            raise ProgrammingError(f"{v} does not fit in an Int32")
        self._buf += _pack_u32(v & 0xFFFFFFFF)

    def write_bytes(self, b: bytes) -> None:
        self._buf += b

    def write_cstr(self, b: bytes) -> None:
        self._buf += _cstr(b)
        self._buf.append(0)

    def _simple(self, msgtype: int, body: bytes = b"") -> None:
        if self._msg >= 0:
            raise InterfaceError("a message is already being written")
        if len(body) > 0x7FFFFFFB:
            raise ProgrammingError(f"message too long: {len(body)} bytes")
        self._buf += _pack_header(msgtype, len(body) + 4)
        self._buf += body

    def startup(self, version: int, params: Sequence[tuple[str, str]]) -> None:
        if self._msg >= 0:
            raise InterfaceError("a message is already being written")
        body = bytearray(_pack_u32(version))
        for name, value in params:
            body += _cstr(name.encode())
            body.append(0)
            body += _cstr(value.encode())
            body.append(0)
        body.append(0)
        self._buf += _pack_u32(len(body) + 4)
        self._buf += body

    def query(self, sql: bytes) -> None:
        self._simple(81, _cstr(sql) + b"\0")  # 'Q'

    def parse(self, name: bytes, sql: bytes, oids: Sequence[int]) -> None:
        n = len(oids)
        try:
            types = struct.pack(f"!{n}I", *oids)
        except struct.error as e:
            raise ProgrammingError(f"invalid parameter type oid: {e}") from None
        body = (_cstr(name), b"\0", _cstr(sql), b"\0", _count(n, "parameters"), types)
        self._simple(80, b"".join(body))  # 'P'


    def bind(
        self,
        portal: bytes,
        statement: bytes,
        params: Sequence[Any],
        oids: Sequence[int],
        result_formats: Sequence[int],
        ctx: TypeContext,
    ) -> None:
        n = len(params)
        if n != len(oids):
            raise ProgrammingError(f"{n} parameters but {len(oids)} parameter types")
        if self._msg >= 0:
            raise InterfaceError("a message is already being written")
        buf = self._buf
        start = len(buf)
        try:
            buf += b"B\0\0\0\0"  # length patched below
            buf += _cstr(portal)
            buf.append(0)
            buf += _cstr(statement)
            buf.append(0)
            count = _count(n, "parameters")
            buf += count
            codes = len(buf)
            buf += bytes(2 * n)  # one format code per parameter, 0 (text) until known
            buf += count
            i = codes
            for value, oid in zip(params, oids):
                if write_param(buf, value, oid):
                    buf[i + 1] = 1  # binary; the high byte stays 0
                i += 2
            buf += _count(len(result_formats), "result format codes")
            buf += struct.pack(f"!{len(result_formats)}H", *result_formats)
            length = len(buf) - start - 1
            if length > 0x7FFFFFFF:
                raise ProgrammingError(f"Bind message too long: {length} bytes")
            _pack_into_i32(buf, start + 1, length)
        except struct.error as e:  # a result format code out of range
            del buf[start:]
            raise ProgrammingError(f"invalid Bind field: {e}") from None
        except BaseException:
            del buf[start:]  # never leave half a message behind
            raise

    def describe(self, kind: int | bytes | str, name: bytes) -> None:
        self._simple(68, _kind(kind) + _cstr(name) + b"\0")  # 'D'

    def execute(self, portal: bytes, max_rows: int) -> None:
        if not -0x80000000 <= max_rows <= 0xFFFFFFFF:
            raise ProgrammingError(f"{max_rows} does not fit in an Int32")
        self._simple(69, _cstr(portal) + b"\0" + _pack_u32(max_rows & 0xFFFFFFFF))  # 'E'

    def close(self, kind: int | bytes | str, name: bytes) -> None:
        self._simple(67, _kind(kind) + _cstr(name) + b"\0")  # 'C'

    def sync(self) -> None:
        self._simple(83)  # 'S'

    def flush(self) -> None:
        self._simple(72)  # 'H'

    def terminate(self) -> None:
        self._simple(88)  # 'X'

    def password(self, data: bytes) -> None:
        """Any 'p' message; ``data`` is the whole body (a PasswordMessage includes its NUL)."""
        self._simple(112, data)

    def copy_data(self, data: bytes) -> None:
        self._simple(100, data)  # 'd'

    def copy_done(self) -> None:
        self._simple(99)  # 'c'

    def copy_fail(self, message: bytes) -> None:
        self._simple(102, _cstr(message) + b"\0")  # 'f'

    def take(self) -> bytes:
        if self._msg >= 0:
            raise InterfaceError("take() while a message is being written")
        data = bytes(self._buf)
        self._buf = bytearray()
        return data
