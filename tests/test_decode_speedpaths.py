"""The fast paths of row decoding keep the behaviour of the plain ones.

* Text array literals are parsed into lists built at their final size, with the shape
  checked per depth: any nesting, ragged or not, gives the twin's value or its exception.
* The element decoder of an array type is cached per (array OID, context mode, format).
* While a result set is read, the Cython codec keeps the lists and dicts it decoded (and
  the rows holding them) away from the cycle collector, and hands them back when the
  result set ends, however it ends: afterwards every container is tracked exactly as
  CPython would have it, so cycles users build through them are still collected.
"""

from __future__ import annotations

import gc
import json
import os
import struct
import weakref
from datetime import date
from typing import Any, Callable, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pgdbapi import _pycodec as P
from pgdbapi.exceptions import DataError

try:
    from pgdbapi import _codec as C  # type: ignore[attr-defined]
except ImportError:
    if os.environ.get("PGDBAPI_IMPL", "").strip().lower() == "c":
        raise
    C = None

IMPLS = [pytest.param(P, id="python")] + ([pytest.param(C, id="c")] if C is not None else [])
needs_c = pytest.mark.skipif(C is None, reason="the compiled codec is not built")

INT4_ARRAY, TEXT_ARRAY, DATE_ARRAY, JSONB_ARRAY = 1007, 1009, 1182, 3807
INT4, JSONB = 23, 3802


def outcome(mod: Any, oid: int, text: str, infinity: str = "clamp") -> Any:
    ctx = mod.TypeContext()
    ctx.infinity = infinity
    try:
        return ("ok", mod.decode_value(oid, 0, text.encode(), ctx))
    except Exception as exc:  # the class is what must agree
        return ("error", type(exc))


# --- text array literals -----------------------------------------------------------------

SPACE = st.sampled_from(["", "", "", " ", "\t", " \n "])


@st.composite
def int_elements(draw: Any) -> str:
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return draw(st.sampled_from(["NULL", "null", "NuLl", '"NULL"', "NULLx", "\\NULL"]))
    value = str(draw(st.integers(-(2**31), 2**31 - 1)))
    if kind == 1:
        return '"' + value + '"'
    if kind == 2:  # escapes outside quotes
        return "".join("\\" + c if draw(st.booleans()) else c for c in value)
    if kind == 3:
        return draw(st.sampled_from(["", '""', "1 2", "x", '"1', "1\\"]))
    return value


@st.composite
def text_elements(draw: Any) -> str:
    raw = draw(st.text(alphabet='ab ,{}"\\\té', max_size=6))
    kind = draw(st.integers(0, 4))
    if kind == 0:
        return '"' + raw.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if kind == 1:
        return "".join("\\" + c if c in ',{}"\\ ' else c for c in raw) or "e"
    if kind == 2:
        return draw(st.sampled_from(["NULL", '"NULL"', '""', "a b", '"a', "\\", "a\\ "]))
    return raw  # often malformed


def literals(element: Any) -> Any:
    """Nested braces of any shape (ragged, empty levels, mixed) with optional white space."""
    leaf = st.builds(lambda a, e, b: a + e + b, SPACE, element, SPACE)

    def extend(children: Any) -> Any:
        return st.builds(
            lambda a, items, b: a + "{" + ",".join(items) + "}" + b,
            SPACE,
            st.lists(children, max_size=4),
            SPACE,
        )

    return st.recursive(leaf, extend, max_leaves=14).filter(lambda s: "{" in s)


TWINS = settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))


@needs_c
@TWINS
@given(text=literals(int_elements()), prefix=st.sampled_from(["", "", "[1:2]=", "[0:1][-1:0]="]))
def test_int_array_literals_of_any_shape_decode_alike(text: str, prefix: str) -> None:
    got = outcome(C, INT4_ARRAY, prefix + text)
    assert got == outcome(P, INT4_ARRAY, prefix + text), text


@needs_c
@TWINS
@given(text=literals(text_elements()))
def test_text_array_literals_of_any_shape_decode_alike(text: str) -> None:
    assert outcome(C, TEXT_ARRAY, text) == outcome(P, TEXT_ARRAY, text), text


@pytest.mark.parametrize("mod", IMPLS)
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{}", []),
        ("{{},{}}", []),
        ("{{{}}}", []),
        ("{{1,2},{3,4}}", [[1, 2], [3, 4]]),
        ("{{{1},{2}},{{3},{4}}}", [[[1], [2]], [[3], [4]]]),
        (' { 1 , NULL ,\t"3" } ', [1, None, 3]),
        ("[0:2]={1,2,3}", [1, 2, 3]),
    ],
)
def test_array_shapes(mod: Any, text: str, expected: Any) -> None:
    assert outcome(mod, INT4_ARRAY, text) == ("ok", expected)


@pytest.mark.parametrize("mod", IMPLS)
@pytest.mark.parametrize(
    "text",
    [
        "{{1,2},{3}}",  # ragged
        "{{1},{{2}}}",  # a scalar level beside a deeper one
        "{{{}},{1}}",  # an empty level beside a scalar one at the same depth
        "{{},{1}}",
        "{{1},{}}",
        "{{1},2}",  # mixed
        "{1,{2}}",
        "{{{{{{{1}}}}}}}",  # seven dimensions
        "{1,2",
        "{1,,2}",
        "{1}}",
    ],
)
def test_malformed_array_shapes_are_data_errors(mod: Any, text: str) -> None:
    assert outcome(mod, INT4_ARRAY, text) == ("error", DataError)


@pytest.mark.parametrize("mod", IMPLS)
def test_text_elements_with_and_without_escapes(mod: Any) -> None:
    text = r'{plain,"quoted, with comma","esc\"aped",un\,quoted,"back\\slash",  spaced out  ,""}'
    assert outcome(mod, TEXT_ARRAY, text) == (
        "ok",
        ["plain", "quoted, with comma", 'esc"aped', "un,quoted", "back\\slash", "spaced out", ""],
    )


@needs_c
def test_element_decoder_follows_the_context_mode_of_each_call() -> None:
    """The cached element decoder of date[] differs per infinity mode: alternate them."""
    text = "{infinity,2000-01-02}"
    for _ in range(3):
        for mode in ("clamp", "sentinel", "error", "clamp"):
            got = outcome(C, DATE_ARRAY, text, mode)
            assert got == outcome(P, DATE_ARRAY, text, mode)
        assert outcome(C, DATE_ARRAY, text)[1] == [date.max, date(2000, 1, 2)]
        assert outcome(C, DATE_ARRAY, text, "error") == ("error", DataError)


# --- tracking by the cycle collector -------------------------------------------------------

DOC = {"a": [1, {"k": "v"}], "b": {"c": [], "d": "x"}, "e": {"atomic": 1}}
ROW_COLUMNS = [(INT4, 0), (INT4_ARRAY, 0), (JSONB, 0), (INT4_ARRAY, 1)]


def int4_array_binary(values: list[int]) -> bytes:
    body = struct.pack("!iiIii", 1, 0, INT4, len(values), 1)
    return body + b"".join(struct.pack("!ii", 4, v) for v in values)


def message(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack("!i", len(body) + 4) + body


def data_row(i: int) -> bytes:
    values = [
        str(i).encode(),
        f"{{{i},{i + 1}}}".encode(),
        json.dumps(DOC).encode(),
        int4_array_binary([i, -i]),
    ]
    body = struct.pack("!H", len(values))
    for v in values:
        body += struct.pack("!i", len(v)) + v
    return message(b"D", body)


COMMAND_COMPLETE = message(b"C", b"SELECT 3\x00")


def containers(value: Any) -> Iterator[Any]:
    if isinstance(value, (list, dict, tuple)):
        yield value
        for child in value.values() if isinstance(value, dict) else value:
            yield from containers(child)


def assert_tracked_as_cpython_would(rows: list[Any]) -> None:
    """Lists always tracked; dicts as json.loads leaves them; rows as CPython's tuple rule
    lets a collection pass leave them (tracked while they hold tracked containers)."""
    reference = json.loads(json.dumps(DOC))
    for row in rows:
        assert gc.is_tracked(row)
        for value, want in zip(containers(row[2]), containers(reference)):
            assert gc.is_tracked(value) == gc.is_tracked(want), value
        for value in (row[1], row[3]):
            assert type(value) is list and gc.is_tracked(value)


def decode_stream(mod: Any, stream: bytes, limit: int = -1) -> tuple[Any, Any, list[Any]]:
    buf = mod.ReadBuffer()
    buf.feed(stream)
    decoder = mod.RowDecoder(ROW_COLUMNS, mod.TypeContext())
    rows: list[Any] = []
    buf.read_rows(decoder, rows, limit)
    return buf, decoder, rows


@pytest.mark.parametrize("mod", IMPLS)
def test_containers_are_tracked_once_the_result_set_ends(mod: Any) -> None:
    rows_bytes = b"".join(data_row(i) for i in range(3))
    buf, decoder, rows = decode_stream(mod, rows_bytes + COMMAND_COMPLETE)
    assert len(rows) == 3 and rows[2][:2] == (2, [2, 3]) and rows[2][2] == DOC
    assert rows[2][3] == [2, -2]
    assert_tracked_as_cpython_would(rows)


@pytest.mark.parametrize("mod", IMPLS)
def test_result_set_read_in_pieces_is_tracked_when_its_end_arrives(mod: Any) -> None:
    stream = b"".join(data_row(i) for i in range(5))
    buf, decoder, rows = decode_stream(mod, stream, limit=2)
    assert len(rows) == 2
    assert buf.read_rows(decoder, rows) == 3
    buf.feed(COMMAND_COMPLETE[:3])  # the end is not whole yet
    assert buf.read_rows(decoder, rows) == 0
    buf.feed(COMMAND_COMPLETE[3:])
    assert buf.read_rows(decoder, rows) == 0
    assert buf.peek_type() == ord("C")
    assert_tracked_as_cpython_would(rows)


@pytest.mark.parametrize("mod", IMPLS)
def test_a_value_that_fails_to_decode_ends_the_deferral(mod: Any) -> None:
    bad = data_row(1).replace(b"{1,2}", b"{1,x}")
    buf, decoder, rows = decode_stream(mod, data_row(0))
    buf.feed(bad + data_row(2))
    with pytest.raises(DataError):
        buf.read_rows(decoder, rows)
    assert len(rows) == 1
    assert_tracked_as_cpython_would(rows)


@pytest.mark.parametrize("mod", IMPLS)
def test_a_decoder_dropped_half_way_leaves_nothing_untracked(mod: Any) -> None:
    buf, decoder, rows = decode_stream(mod, data_row(0) + data_row(1))
    del decoder, buf
    gc.collect()
    assert_tracked_as_cpython_would(rows)


@pytest.mark.parametrize("mod", IMPLS)
def test_decode_row_outside_a_result_set_leaves_tracking_alone(mod: Any) -> None:
    decoder = mod.RowDecoder(ROW_COLUMNS, mod.TypeContext())
    row = decoder.decode_row(data_row(7)[5:])
    assert_tracked_as_cpython_would([row])


class Node:
    """Weak-referenceable, to see a cycle collected."""

    children: Any = None


@pytest.mark.parametrize("mod", IMPLS)
def test_cycles_through_decoded_lists_and_dicts_are_collected(mod: Any) -> None:
    _, _, rows = decode_stream(mod, data_row(0) + data_row(1) + COMMAND_COMPLETE)
    refs = []
    for row in rows:
        node = Node()
        node.children = row[1]  # node -> decoded list -> node
        row[1].append(node)
        doc = row[2]
        doc["b"]["c"].append(doc)  # dict -> dict -> list -> dict
        doc["b"]["c"].append(node)
        refs.append(weakref.ref(node))
    del rows, row, node, doc
    gc.collect()
    assert [r() for r in refs] == [None, None]


def full_collections_during(fn: Callable[[], Any]) -> int:
    passes = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and info["generation"] == 2:
            passes.append(1)

    saved = gc.get_threshold()
    gc.set_threshold(700, 10, 10)  # the interpreter's defaults
    gc.collect()
    gc.callbacks.append(count)
    try:
        fn()
    finally:
        gc.callbacks.remove(count)
        gc.set_threshold(*saved)
    return len(passes)


@needs_c
def test_reading_a_big_result_set_runs_no_full_collection() -> None:
    """What the deferral is for: CPython runs a full collection each time the containers
    that survived grow by a quarter of the heap, so decoding rows one by one (the control,
    same objects) runs some; reading them as one result set runs none."""
    gc.collect()
    count = max(20_000, len(gc.get_objects()) // 10)  # 7 tracked containers per row
    messages = [data_row(i) for i in range(count)]
    stream = b"".join(messages) + COMMAND_COMPLETE
    kept: list[Any] = []
    assert full_collections_during(lambda: kept.append(decode_stream(C, stream))) == 0
    assert len(kept[0][2]) == count
    assert_tracked_as_cpython_would(kept[0][2][:: count // 4])
    kept.clear()
    decoder = C.RowDecoder(ROW_COLUMNS, C.TypeContext())
    one_by_one = lambda: kept.extend([decoder.decode_row(m[5:]) for m in messages])  # noqa: E731
    assert full_collections_during(one_by_one) > 0
    assert len(kept) == count


# --- through the server ------------------------------------------------------------------

FETCH = """select i, array[i, i + 1]::int4[], %s::jsonb, array[i, -i]::int4[]
           from generate_series(1, 2000) i"""


def test_fetched_arrays_and_json_are_tracked_in_both_formats(conn: Any) -> None:
    """Text (first executions) and binary (prepared after a few): same values, and every
    container tracked as CPython would leave it once fetchall returns."""
    cur = conn.cursor()
    for _ in range(7):
        cur.execute(FETCH, (json.dumps(DOC),))
        rows = cur.fetchall()
        assert rows[-1][:2] == (2000, [2000, 2001]) and rows[-1][2] == DOC
        assert rows[-1][3] == [2000, -2000]
        assert_tracked_as_cpython_would(rows[::500])
