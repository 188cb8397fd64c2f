# cython: language_level=3
"""The compiled codec: message framing, DataRow decoding and Bind encoding in C.

Behaviour is specified in ``docs/codec.md``; the pure-Python twin ``_pycodec`` gives the
same results for every input (``tests/test_codec_twins.py`` holds the two to it).  This
module is only about speed, so the hot paths work on raw ``char*`` views of the receive
buffer and build Python objects directly with the C API.

The code is split by concern into include files, in dependency order:

* ``_codec_bytes.pxi``  big-endian access, errors, the growable output buffer;
* ``_codec_decode.pxi`` value decoders (text and binary) and the decoder-code table;
* ``_codec_arrays.pxi`` array decoding (both formats);
* ``_codec_encode.pxi`` ``infer_oid`` / ``encode_param`` and the binary/text encoders;
* ``_codec_framing.pxi`` ``ReadBuffer``, ``RowDecoder``, ``WriteBuffer``, RowDescription.
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.bytearray cimport PyByteArray_AS_STRING, PyByteArray_GET_SIZE, PyByteArray_Resize
from cpython.datetime cimport (
    date_day,
    date_month,
    date_new,
    date_year,
    datetime_hour,
    datetime_microsecond,
    datetime_minute,
    datetime_new,
    datetime_second,
    time_hour,
    time_microsecond,
    time_minute,
    time_new,
    time_second,
    timedelta_days,
    timedelta_microseconds,
    timedelta_new,
    timedelta_seconds,
    import_datetime,
)
from cpython.list cimport PyList_Append, PyList_New, PyList_SET_ITEM
from cpython.long cimport PyLong_FromLongLong, PyLong_FromUnsignedLongLong
from cpython.mem cimport PyMem_Free, PyMem_Malloc, PyMem_Realloc
from cpython.ref cimport Py_INCREF
from cpython.tuple cimport PyTuple_New, PyTuple_SET_ITEM
from cpython.unicode cimport PyUnicode_AsUTF8String, PyUnicode_DecodeUTF8
from libc.math cimport isinf, isnan
from libc.stdint cimport (
    INT32_MIN,
    INT64_MIN,
    int16_t,
    int32_t,
    int64_t,
    uint8_t,
    uint16_t,
    uint32_t,
    uint64_t,
)
from libc.string cimport memchr, memcpy, memmove

import datetime as _datetime
import decimal as _decimal
import json as _json
import uuid as _uuid

from pgdbapi import _pycodec_styles as _styles
from pgdbapi import _pycodec_types as _more
from pgdbapi import command_tags as _command_tags
from pgdbapi import oids as _oids
from pgdbapi._codec_contract import Encoded
from pgdbapi.exceptions import (
    DataError,
    Error,
    InterfaceError,
    OperationalError,
    ProgrammingError,
)
from pgdbapi.types import Interval as _Interval

import_datetime()

IMPLEMENTATION = "c"

__all__ = [
    "IMPLEMENTATION",
    "Encoded",
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

cdef class TypeContext:
    """Session state value conversion depends on; the connection keeps it current."""

    cdef public object timezone
    cdef public object infinity     # "clamp" / "error" / "sentinel": docs/codec.md
    cdef public object interval     # "timedelta" / "interval" (pgdbapi.types.Interval)
    cdef public object datestyle    # as the server reports them (ParameterStatus)
    cdef public object intervalstyle

    def __init__(self):
        self.timezone = _UTC
        self.infinity = "clamp"
        self.interval = "timedelta"
        self.datestyle = "ISO, MDY"
        self.intervalstyle = "postgres"

    def __repr__(self):
        return (f"TypeContext(timezone={self.timezone!r}, infinity={self.infinity!r}, "
                f"interval={self.interval!r}, datestyle={self.datestyle!r}, "
                f"intervalstyle={self.intervalstyle!r})")


include "_codec_bytes.pxi"
include "_codec_decode.pxi"
include "_codec_arrays.pxi"
include "_codec_more.pxi"
include "_codec_encode.pxi"
include "_codec_framing.pxi"


def decode_value(oid, fmt, data, ctx):
    """Decode one value of type ``oid`` in format ``fmt`` (0 text, 1 binary)."""
    cdef uint32_t aux
    cdef int code = _code_for(oid, fmt, _mode_of(ctx), &aux)
    if not isinstance(data, bytes):
        data = bytes(data)
    return _decode_guarded(code, aux, PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data),
                           ctx.timezone if _needs_tz(code) else None)


def has_binary(oid):
    """True for the OIDs whose results the connection may request in binary."""
    return oid in _BINARY_OIDS
