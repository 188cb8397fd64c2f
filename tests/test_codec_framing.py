"""Framing of the codec in use (PGDBAPI_IMPL picks the twin): ReadBuffer, RowDecoder,
WriteBuffer, RowDescription. Byte-exact examples are protocol.md §4."""

from __future__ import annotations

import struct
from typing import Any, Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pgdbapi._codec_contract import Encoded
from pgdbapi.codec import impl
from pgdbapi.exceptions import DataError, InterfaceError, OperationalError, ProgrammingError


def h(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", ""))


def message(msgtype: bytes, body: bytes = b"") -> bytes:
    return msgtype + struct.pack("!i", len(body) + 4) + body


def data_row(*values: bytes | None) -> bytes:
    body = struct.pack("!H", len(values))
    for v in values:
        body += b"\xff\xff\xff\xff" if v is None else struct.pack("!i", len(v)) + v
    return message(b"D", body)


def int4(v: int) -> bytes:
    return struct.pack("!i", v)


COMMAND_COMPLETE = message(b"C", b"SELECT 2\0")
READY = h("5a 00 00 00 05 49")  # ReadyForQuery(I), protocol.md §1.2


def decoder(columns: list[tuple[int, int]], loaders: Any = None) -> Any:
    return impl.RowDecoder(columns, impl.TypeContext(), loaders)


def drain(buf: Any) -> list[tuple[int, bytes]]:
    out = []
    while (msg := buf.next_message()) is not None:
        out.append(msg)
    return out


# -- ReadBuffer ------------------------------------------------------------------------------

STREAM = data_row(int4(1), b"one") + data_row(None, b"") + COMMAND_COMPLETE + READY
EXPECTED = [
    (ord("D"), STREAM[5:5 + 17]),
    (ord("D"), data_row(None, b"")[5:]),
    (ord("C"), b"SELECT 2\0"),
    (ord("Z"), b"I"),
]


def test_next_message_whole_stream() -> None:
    buf = impl.ReadBuffer()
    buf.feed(STREAM)
    assert len(buf) == len(STREAM)
    assert drain(buf) == EXPECTED
    assert len(buf) == 0
    assert buf.next_message() is None
    assert buf.peek_type() == -1


@pytest.mark.parametrize("cut", range(len(STREAM) + 1))
def test_split_at_every_byte(cut: int) -> None:
    buf = impl.ReadBuffer()
    buf.feed(STREAM[:cut])
    got = drain(buf)
    complete = [m for m in EXPECTED if sum(len(x[1]) + 5 for x in EXPECTED[: EXPECTED.index(m) + 1]) <= cut]
    assert got == complete
    assert len(buf) == cut - sum(len(b) + 5 for _, b in got)  # partial bytes stay buffered
    buf.feed(STREAM[cut:])
    assert got + drain(buf) == EXPECTED


def test_one_byte_at_a_time() -> None:
    buf = impl.ReadBuffer()
    got = []
    for i in range(len(STREAM)):
        buf.feed(STREAM[i:i + 1])
        if i < len(STREAM) - 1:
            assert buf.peek_type() in (-1, ord("D"), ord("C"), ord("Z"))
        got += drain(buf)
    assert got == EXPECTED


def test_peek_type_does_not_consume() -> None:
    buf = impl.ReadBuffer()
    buf.feed(READY[:5])
    assert buf.peek_type() == -1  # header there, body not
    buf.feed(READY[5:])
    assert buf.peek_type() == ord("Z")
    assert buf.peek_type() == ord("Z")
    assert len(buf) == 6
    assert buf.next_message() == (ord("Z"), b"I")


def test_feed_accepts_buffers() -> None:
    buf = impl.ReadBuffer()
    buf.feed(bytearray(READY[:3]))
    buf.feed(memoryview(READY[3:]))
    assert buf.next_message() == (ord("Z"), b"I")


def test_empty_body() -> None:
    buf = impl.ReadBuffer()
    buf.feed(h("31 00 00 00 04"))  # ParseComplete
    assert buf.next_message() == (ord("1"), b"")


def test_large_message() -> None:
    body = bytes(range(256)) * 4096  # 1 MiB, far above the initial capacity
    buf = impl.ReadBuffer()
    buf.feed(message(b"d", body)[:1000])
    assert buf.next_message() is None
    buf.feed(message(b"d", body)[1000:])
    assert buf.next_message() == (ord("d"), body)


class FakeSocket:
    """recv_into over a byte string, handing out at most ``chunk`` bytes per call."""

    def __init__(self, data: bytes, chunk: int) -> None:
        self.data = data
        self.chunk = chunk
        self.views: list[memoryview] = []
        self.sizes: list[int] = []

    def recv_into(self, view: memoryview) -> int:
        self.views.append(view)
        self.sizes.append(len(view))
        n = min(len(view), self.chunk, len(self.data))
        view[:n] = self.data[:n]
        self.data = self.data[n:]
        return n


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 7, 64, 100000])
def test_fill(chunk: int) -> None:
    sock = FakeSocket(STREAM, chunk)
    buf = impl.ReadBuffer()
    got = []
    while True:
        n = buf.fill(sock.recv_into, 16)
        if n == 0:
            break
        got += drain(buf)
    assert got == EXPECTED
    assert all(size >= 16 for size in sock.sizes)  # at least size_hint bytes offered
    for view in sock.views:  # every view was released, so the buffer may be resized
        with pytest.raises(ValueError):
            view.tobytes()


def test_fill_grows_and_compacts() -> None:
    body = b"x" * 200_000
    sock = FakeSocket(message(b"d", body) + READY, 70_000)
    buf = impl.ReadBuffer()
    msgs = []
    while buf.fill(sock.recv_into, 65536):
        msgs += drain(buf)
    assert msgs == [(ord("d"), body), (ord("Z"), b"I")]
    assert sock.sizes[0] >= 65536
    big = impl.ReadBuffer()
    assert big.fill(FakeSocket(b"", 1).recv_into, 1 << 20) == 0  # end of stream


def test_fill_keeps_unconsumed_bytes_when_compacting() -> None:
    buf = impl.ReadBuffer()
    stream = data_row(int4(7)) * 5000  # 55 000 bytes
    sock = FakeSocket(stream, 4093)  # messages straddle every chunk boundary
    rows: list[Any] = []
    dec = decoder([(23, 1)])
    while buf.fill(sock.recv_into, 4096):
        buf.read_rows(dec, rows)
    assert rows == [(7,)] * 5000


def test_fill_rejects_impossible_counts() -> None:
    buf = impl.ReadBuffer()
    with pytest.raises(InterfaceError):
        buf.fill(lambda view: len(view) + 1, 16)
    with pytest.raises(InterfaceError):
        buf.fill(lambda view: -1, 16)


def test_fill_propagates_recv_errors_and_releases_the_view() -> None:
    buf = impl.ReadBuffer()
    seen: list[memoryview] = []

    def broken(view: memoryview) -> int:
        seen.append(view)
        raise TimeoutError("timed out")

    with pytest.raises(TimeoutError):
        buf.fill(broken, 16)
    with pytest.raises(ValueError):
        seen[0].tobytes()
    buf.feed(READY)
    assert buf.next_message() == (ord("Z"), b"I")


@pytest.mark.parametrize("length", [0, 3, -1, 101, 0x7FFFFFFF])
def test_bad_length(length: int) -> None:
    header = b"D" + struct.pack("!i", length)
    for call in ("next_message", "peek_type", "read_rows"):
        buf = impl.ReadBuffer(max_message_size=100)
        buf.feed(header)  # the header alone is enough to know
        with pytest.raises(OperationalError, match=str(length)):
            if call == "read_rows":
                buf.read_rows(decoder([]), [])
            else:
                getattr(buf, call)()


def test_bad_length_of_a_message_that_is_not_a_data_row() -> None:
    buf = impl.ReadBuffer()
    buf.feed(b"Z" + struct.pack("!i", 2))
    with pytest.raises(OperationalError):
        buf.read_rows(decoder([]), [])


def test_max_message_size_is_inclusive() -> None:
    buf = impl.ReadBuffer(max_message_size=10)
    buf.feed(message(b"d", b"x" * 6))  # length field 10
    assert buf.next_message() == (ord("d"), b"x" * 6)


# -- read_rows -------------------------------------------------------------------------------


BIND_COMPLETE = message(b"2")
TALLY_STREAM = (
    BIND_COMPLETE + message(b"C", b"INSERT 0 1\0") + BIND_COMPLETE
    + message(b"C", b"UPDATE 12\0") + message(b"C", b"BEGIN\0")
    + message(b"C", b"SELECT 00030\0") + message(b"C", b"DO 5\0") + READY
)


def test_tally_commands_sums_the_counted_tags_and_stops_at_anything_else() -> None:
    buf = impl.ReadBuffer()
    buf.feed(TALLY_STREAM)
    assert buf.tally_commands(-1) == (1 + 12 + 30, b"DO 5\0")  # BEGIN, DO: no count
    assert drain(buf) == [(ord("Z"), b"I")]
    buf.feed(message(b"C", b"BEGIN\0") + message(b"C", b"INSERT 0 \0"))
    assert buf.tally_commands(-1) == (-1, b"INSERT 0 \0")  # nothing counted yet: -1
    buf.feed(data_row(int4(1)) + BIND_COMPLETE)
    assert buf.tally_commands(7) == (7, None)  # a DataRow first: nothing consumed
    assert buf.peek_type() == ord("D")


def test_tally_commands_at_every_cut_of_the_stream() -> None:
    for cut in range(len(TALLY_STREAM) + 1):
        buf = impl.ReadBuffer()
        buf.feed(TALLY_STREAM[:cut])
        total, first_last = buf.tally_commands(-1)
        buf.feed(TALLY_STREAM[cut:])
        total, last = buf.tally_commands(total)
        assert (total, last or first_last) == (43, b"DO 5\0")
        assert drain(buf) == [(ord("Z"), b"I")]


def test_tally_commands_refuses_a_bad_length() -> None:
    buf = impl.ReadBuffer()
    buf.feed(b"C" + struct.pack("!i", 2) + b"xx")
    with pytest.raises(OperationalError):
        buf.tally_commands(-1)


def test_read_rows_stops_at_other_messages() -> None:
    buf = impl.ReadBuffer()
    buf.feed(STREAM)
    rows: list[Any] = [("earlier",)]
    assert buf.read_rows(decoder([(23, 1), (25, 0)]), rows) == 2
    assert rows == [("earlier",), (1, "one"), (None, "")]
    assert buf.peek_type() == ord("C")
    assert buf.read_rows(decoder([(23, 1), (25, 0)]), rows) == 0
    assert drain(buf) == EXPECTED[2:]


def test_read_rows_stops_at_an_incomplete_message() -> None:
    stream = data_row(int4(1)) + data_row(int4(2))
    dec = decoder([(23, 1)])
    for cut in range(len(stream) + 1):
        buf = impl.ReadBuffer()
        buf.feed(stream[:cut])
        rows: list[Any] = []
        n = buf.read_rows(dec, rows)
        assert n == len(rows) == cut // 15
        buf.feed(stream[cut:])
        buf.read_rows(dec, rows)
        assert rows == [(1,), (2,)]
        assert len(buf) == 0


def test_read_rows_limit() -> None:
    buf = impl.ReadBuffer()
    buf.feed(b"".join(data_row(int4(i)) for i in range(10)) + READY)
    dec = decoder([(23, 1)])
    rows: list[Any] = []
    assert buf.read_rows(dec, rows, 0) == 0
    assert buf.read_rows(dec, rows, 3) == 3
    assert buf.read_rows(dec, rows, 3) == 3
    assert buf.read_rows(dec, rows) == 4
    assert rows == [(i,) for i in range(10)]
    assert buf.next_message() == (ord("Z"), b"I")


def test_read_rows_many_types() -> None:
    buf = impl.ReadBuffer()
    buf.feed(data_row(b"42", b"t", b"2.5", b"x", struct.pack("!q", -5), None) * 3)
    rows: list[Any] = []
    dec = decoder([(23, 0), (16, 0), (701, 0), (25, 1), (20, 1), (1700, 0)])
    assert buf.read_rows(dec, rows) == 3
    assert rows == [(42, True, 2.5, "x", -5, None)] * 3
    assert all(type(r) is tuple for r in rows)


@pytest.mark.parametrize(
    "row",
    [
        data_row(int4(1), int4(2)),  # two columns, one described
        data_row(),
        message(b"D", b"\x00"),  # truncated column count
        message(b"D", b"\x00\x01\x00\x00\x00"),  # truncated length
        message(b"D", b"\x00\x01\x00\x00\x00\x05abcd"),  # value overruns the message
        message(b"D", b"\x00\x01\xff\xff\xff\xfe"),  # length -2
        message(b"D", b"\x00\x01\x00\x00\x00\x04\x00\x00\x00\x01\x00"),  # trailing byte
    ],
)
def test_corrupt_data_row(row: bytes) -> None:
    buf = impl.ReadBuffer()
    buf.feed(row)
    with pytest.raises(OperationalError):
        buf.read_rows(decoder([(23, 1)]), [])
    with pytest.raises(OperationalError):
        decoder([(23, 1)]).decode_row(row[5:])


def test_value_overrun_does_not_read_the_next_message() -> None:
    # the value claims 8 bytes: 4 of its own message and 4 of the next one
    buf = impl.ReadBuffer()
    buf.feed(message(b"D", b"\x00\x01\x00\x00\x00\x08abcd") + data_row(b"efgh"))
    with pytest.raises(OperationalError):
        buf.read_rows(decoder([(25, 0)]), [])


def test_bad_value_is_data_error_and_consumed() -> None:
    buf = impl.ReadBuffer()
    buf.feed(data_row(b"1") + data_row(b"oops") + data_row(b"3") + READY)
    dec = decoder([(23, 0)])
    rows: list[Any] = []
    with pytest.raises(DataError):
        buf.read_rows(dec, rows)
    assert rows == [(1,)]  # rows before the bad one are kept
    assert buf.read_rows(dec, rows) == 1  # the bad message is gone, reading goes on
    assert rows == [(1,), (3,)]
    assert buf.next_message() == (ord("Z"), b"I")


@pytest.mark.parametrize(
    "column, value",
    [((23, 1), b"\x00\x01"), ((1082, 0), b"0044-03-15 BC"), ((25, 0), b"\xff"), ((3802, 1), b"\x02{}"), ((1007, 1), b"\x00")],
)
def test_bad_values_of_several_types(column: tuple[int, int], value: bytes) -> None:
    buf = impl.ReadBuffer()
    buf.feed(data_row(int4(1), value) + READY)
    with pytest.raises(DataError):
        buf.read_rows(decoder([(23, 1), column]), [])
    assert buf.next_message() == (ord("Z"), b"I")


# -- RowDecoder ------------------------------------------------------------------------------


def test_decode_row() -> None:
    dec = decoder([(23, 1), (25, 0), (16, 1)])
    assert dec.ncols == 3
    assert dec.decode_row(data_row(int4(-3), "é".encode(), b"\x01")[5:]) == (-3, "é", True)
    assert dec.decode_row(bytearray(data_row(None, None, None)[5:])) == (None, None, None)
    assert decoder([]).decode_row(b"\x00\x00") == ()


def test_loaders() -> None:
    calls: list[bytes] = []

    def load(data: bytes) -> object:
        calls.append(data)
        assert type(data) is bytes
        return ("loaded", data)

    dec = decoder([(23, 1), (99999, 0)], [None, load])
    buf = impl.ReadBuffer()
    buf.feed(data_row(int4(5), b"raw") + data_row(int4(6), None))
    rows: list[Any] = []
    assert buf.read_rows(dec, rows) == 2
    assert rows == [(5, ("loaded", b"raw")), (6, None)]
    assert calls == [b"raw"]  # never called for NULL


def test_loader_count_must_match() -> None:
    with pytest.raises(ProgrammingError):
        decoder([(23, 1), (25, 0)], [None])


def test_loader_failure_is_data_error_and_consumed() -> None:
    def load(data: bytes) -> object:
        raise ValueError("no")

    buf = impl.ReadBuffer()
    buf.feed(data_row(b"x") + READY)
    with pytest.raises(DataError):
        buf.read_rows(decoder([(25, 0)], [load]), [])
    assert buf.next_message() == (ord("Z"), b"I")


def test_read_rows_with_a_foreign_decoder() -> None:
    class Counting:
        ncols = 1

        def __init__(self) -> None:
            self.bodies: list[bytes] = []

        def decode_row(self, body: bytes) -> tuple[Any, ...]:
            self.bodies.append(body)
            return (len(body),)

    dec = Counting()
    buf = impl.ReadBuffer()
    buf.feed(data_row(b"abc") + data_row(None) + READY)
    rows: list[Any] = []
    assert buf.read_rows(dec, rows) == 2
    assert rows == [(9,), (6,)]
    assert dec.bodies == [data_row(b"abc")[5:], data_row(None)[5:]]


def test_timestamptz_column_follows_the_context() -> None:
    import datetime as dt

    ctx = impl.TypeContext()
    assert ctx.timezone is dt.timezone.utc
    zone = dt.timezone(dt.timedelta(hours=3))
    ctx.timezone = zone
    dec = impl.RowDecoder([(1184, 1)], ctx)
    (value,) = dec.decode_row(data_row(struct.pack("!q", 0))[5:])
    assert value == dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc) and value.tzinfo is zone


# -- WriteBuffer: protocol.md §4 examples ----------------------------------------------------


def take(build: Callable[[Any], None]) -> bytes:
    wb = impl.WriteBuffer()
    build(wb)
    assert len(wb) > 0
    data = wb.take()
    assert len(wb) == 0 and wb.take() == b""
    return data


def test_parse_example() -> None:
    assert take(lambda wb: wb.parse(b"s1", b"select $1", [23])) == h(
        "50 00 00 00 17 73 31 00 73 65 6c 65 63 74 20 24 31 00 00 01 00 00 00 17"
    )


def test_bind_example() -> None:
    # portal "", statement "s1", one binary int4 parameter 42, binary results
    got = take(lambda wb: wb.bind(b"", b"s1", [42], [23], [1], impl.TypeContext()))
    assert got == h("42 00 00 00 1a 00 73 31 00 00 01 00 01 00 01 00 00 00 04 00 00 00 2a 00 01 00 01")


def test_simple_messages() -> None:
    assert take(lambda wb: wb.query(b"select 1")) == h("51 00 00 00 0d 73 65 6c 65 63 74 20 31 00")
    assert take(lambda wb: wb.sync()) == h("53 00 00 00 04")
    assert take(lambda wb: wb.flush()) == h("48 00 00 00 04")
    assert take(lambda wb: wb.terminate()) == h("58 00 00 00 04")
    assert take(lambda wb: wb.copy_done()) == h("63 00 00 00 04")


def test_startup_example() -> None:
    got = take(lambda wb: wb.startup(196608, [("user", "alice"), ("database", "db")]))
    assert got == h(
        "00 00 00 20 00 03 00 00 75 73 65 72 00 61 6c 69 63 65 00"
        " 64 61 74 61 62 61 73 65 00 64 62 00 00"
    )


def test_other_messages() -> None:
    assert take(lambda wb: wb.describe(ord("S"), b"s1")) == message(b"D", b"Ss1\0")
    assert take(lambda wb: wb.describe(ord("P"), b"")) == message(b"D", b"P\0")
    assert take(lambda wb: wb.close(ord("S"), b"s1")) == message(b"C", b"Ss1\0")
    assert take(lambda wb: wb.execute(b"", 0)) == message(b"E", b"\0\0\0\0\0")
    assert take(lambda wb: wb.execute(b"p", 100)) == message(b"E", b"p\0\0\0\0\x64")
    assert take(lambda wb: wb.password(b"secret\0")) == message(b"p", b"secret\0")
    assert take(lambda wb: wb.copy_data(b"1\t2\n")) == message(b"d", b"1\t2\n")
    assert take(lambda wb: wb.copy_fail(b"stop")) == message(b"f", b"stop\0")


def test_messages_accumulate() -> None:
    wb = impl.WriteBuffer()
    wb.parse(b"", b"select 1", [])
    wb.bind(b"", b"", [], [], [], impl.TypeContext())
    wb.execute(b"", 0)
    wb.sync()
    assert wb.take() == (
        message(b"P", b"\0select 1\0\0\0")
        + message(b"B", b"\0\0" + b"\0\0" + b"\0\0" + b"\0\0")
        + message(b"E", b"\0\0\0\0\0")
        + message(b"S")
    )


def test_primitives() -> None:
    wb = impl.WriteBuffer()
    wb.start(ord("X"))
    wb.write_int16(-1)
    wb.write_int16(65535)
    wb.write_int32(-2)
    wb.write_int32(0xFFFFFFFF)
    wb.write_bytes(b"ab")
    wb.write_cstr(b"cd")
    wb.end()
    assert wb.take() == message(b"X", h("ffff ffff fffffffe ffffffff") + b"abcd\0")


@pytest.mark.parametrize("call", [lambda wb: wb.write_int16(65536), lambda wb: wb.write_int16(-32769),
                                  lambda wb: wb.write_int32(2**32), lambda wb: wb.write_int32(-(2**31) - 1)])
def test_primitives_out_of_range(call: Callable[[Any], None]) -> None:
    with pytest.raises(ProgrammingError):
        call(impl.WriteBuffer())


def test_misuse() -> None:
    wb = impl.WriteBuffer()
    with pytest.raises(InterfaceError):
        wb.end()
    wb.start(ord("Q"))
    with pytest.raises(InterfaceError):
        wb.start(ord("Q"))
    with pytest.raises(InterfaceError):
        wb.take()
    with pytest.raises(InterfaceError):
        wb.sync()
    wb.write_cstr(b"x")
    wb.end()
    assert wb.take() == message(b"Q", b"x\0")


@pytest.mark.parametrize(
    "call",
    [
        lambda wb: wb.query(b"select 1\0"),
        lambda wb: wb.parse(b"a\0b", b"select 1", []),
        lambda wb: wb.bind(b"\0", b"", [], [], [], impl.TypeContext()),
        lambda wb: wb.describe(ord("S"), b"s\0"),
        lambda wb: wb.startup(196608, [("user", "a\0b")]),
    ],
)
def test_nul_inside_a_string(call: Callable[[Any], None]) -> None:
    wb = impl.WriteBuffer()
    wb.sync()
    with pytest.raises(ProgrammingError):
        call(wb)
    assert wb.take() == message(b"S")  # nothing half-written


# -- Bind ------------------------------------------------------------------------------------


def bind_body(params: list[Any], oids: list[int], result_formats: list[int] = []) -> bytes:  # noqa: B006
    data = take(lambda wb: wb.bind(b"", b"", params, oids, result_formats, impl.TypeContext()))
    assert data[:1] == b"B" and struct.unpack("!i", data[1:5])[0] == len(data) - 1
    return data[5:]


def test_bind_format_codes_are_back_patched() -> None:
    params = [42, "x", None, 1.5, 7, Encoded(17, 1, b"\x01"), b"\x02"]
    oids = [23, 0, 0, 701, 20, 17, 0]
    body = bind_body(params, oids, [0, 1])
    assert body == (
        b"\0\0"
        + h("0007 0001 0000 0000 0001 0000 0001 0000")
        + h("0007")
        + h("00000004 0000002a")
        + h("00000001") + b"x"
        + h("ffffffff")
        + h("00000008 3ff8000000000000")
        + h("00000001") + b"7"  # 7 is an int4, declared int8: text
        + h("00000001 01")
        + h("00000004") + b"\\x02"  # bytes declared 0: text
        + h("0002 0000 0001")
    )


@given(
    st.lists(
        st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(), st.text(), st.binary()),
        max_size=8,
    ),
    st.booleans(),
)
def test_bind_agrees_with_encode_param(params: list[Any], declare: bool) -> None:
    ctx = impl.TypeContext()
    oids = [impl.infer_oid(p) if declare else 0 for p in params]
    body = bind_body(params, oids)
    expected = struct.pack("!H", len(params))
    values = b""
    for p, oid in zip(params, oids):
        fmt, data = impl.encode_param(p, oid, ctx)
        expected += struct.pack("!H", fmt)
        values += b"\xff\xff\xff\xff" if data is None else struct.pack("!i", len(data)) + data
    expected += struct.pack("!H", len(params)) + values + b"\0\0"
    assert body == b"\0\0" + expected


def test_bind_many_parameters_uses_unsigned_counts() -> None:
    body = bind_body([1] * 40000, [23] * 40000)
    assert body[2:4] == h("9c40")
    assert body[4 + 80000:4 + 80002] == h("9c40")


def test_bind_too_many_parameters() -> None:
    wb = impl.WriteBuffer()
    with pytest.raises(ProgrammingError):
        wb.bind(b"", b"", [None] * 65536, [0] * 65536, [], impl.TypeContext())
    with pytest.raises(ProgrammingError):
        wb.parse(b"", b"select 1", [0] * 65536)
    assert len(wb) == 0


def test_bind_errors_leave_nothing_behind() -> None:
    wb = impl.WriteBuffer()
    wb.sync()
    ctx = impl.TypeContext()
    with pytest.raises(ProgrammingError):
        wb.bind(b"", b"", [1, 2], [23], [], ctx)  # count mismatch
    with pytest.raises(ProgrammingError, match="can't adapt type 'dict'"):
        wb.bind(b"", b"", [1, {}], [23, 0], [], ctx)
    with pytest.raises(DataError):
        wb.bind(b"", b"", ["ok", [[1], [2, 3]]], [0, 0], [], ctx)  # ragged list
    with pytest.raises(DataError):
        wb.bind(b"", b"", ["\ud800"], [0], [], ctx)
    with pytest.raises(ProgrammingError):
        wb.bind(b"", b"", [1], [23], [-1], ctx)
    wb.flush()
    assert wb.take() == message(b"S") + message(b"H")


def test_parse_bad_oid() -> None:
    with pytest.raises(ProgrammingError):
        impl.WriteBuffer().parse(b"", b"select $1", [-1])


# -- RowDescription --------------------------------------------------------------------------


def field(name: bytes, table: int, attnum: int, oid: int, typlen: int, typmod: int, fmt: int) -> bytes:
    return name + b"\0" + struct.pack("!IhIhih", table, attnum, oid, typlen, typmod, fmt)


ROW_DESCRIPTION = (
    struct.pack("!H", 3)
    + field(b"id", 16385, 1, 23, 4, -1, 0)
    + field("é".encode(), 0xFFFFFFF0, -1, 1043, -1, 36, 1)
    + field(b"id", 0, 0, 25, -1, -1, 0)  # duplicate labels are possible
)


def test_parse_row_description() -> None:
    assert impl.parse_row_description(ROW_DESCRIPTION) == [
        ("id", 16385, 1, 23, 4, -1, 0),
        ("é", 0xFFFFFFF0, -1, 1043, -1, 36, 1),
        ("id", 0, 0, 25, -1, -1, 0),
    ]
    assert impl.parse_row_description(b"\x00\x00") == []


@pytest.mark.parametrize("cut", range(len(ROW_DESCRIPTION)))
def test_parse_row_description_truncated(cut: int) -> None:
    with pytest.raises(OperationalError):
        impl.parse_row_description(ROW_DESCRIPTION[:cut])


def test_parse_row_description_malformed() -> None:
    with pytest.raises(OperationalError):
        impl.parse_row_description(ROW_DESCRIPTION + b"\0")  # trailing byte
    with pytest.raises(OperationalError):
        impl.parse_row_description(struct.pack("!H", 1) + field(b"\xff", 0, 0, 25, -1, -1, 0))
