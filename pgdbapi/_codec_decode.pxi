# Value decoders.  Each (oid, format) pair maps once to a small int "decoder code" so the
# row loop is a C switch; the functions below work on (char*, length) views of the
# receive buffer and raise DataError for malformed input (other exceptions raised by
# the Python constructors they call are turned into DataError by the callers).

from cpython.float cimport PyFloat_FromDouble
from cpython.object cimport PyObject_GenericSetAttr
from cpython.unicode cimport PyUnicode_FromStringAndSize

cdef extern from "Python.h":
    void PyObject_GC_UnTrack(void* op)
    double PyOS_string_to_double(const char* s, char** endptr, object overflow_exception) except? -1.0
    char* PyOS_double_to_string(double val, char format_code, int precision, int flags, int* ptype) except NULL
    const double Py_HUGE_VAL


cdef enum:
    C_STR = 0          # UTF-8 text -> str (text types in both formats, unknown OIDs in text)
    C_BYTES            # raw bytes (bytea binary, binary of an OID without decoder)
    C_JSON             # json text (json in both formats, jsonb text)
    C_T_BOOL
    C_T_INT
    C_T_FLOAT
    C_T_NUMERIC
    C_T_CHAR
    C_T_BYTEA
    C_T_DATE
    C_T_TIME
    C_T_TIMETZ
    C_T_TIMESTAMP
    C_T_TIMESTAMPTZ
    C_T_INTERVAL
    C_T_UUID
    C_T_ARRAY
    C_B_BOOL
    C_B_INT2
    C_B_INT4
    C_B_INT8
    C_B_UINT4
    C_B_UINT8
    C_B_FLOAT4
    C_B_FLOAT8
    C_B_NUMERIC
    C_B_CHAR
    C_B_DATE
    C_B_TIME
    C_B_TIMETZ
    C_B_TIMESTAMP
    C_B_TIMESTAMPTZ
    C_B_INTERVAL
    C_B_UUID
    C_B_JSONB
    C_B_ARRAY
    C_T_MORE           # types of the shared module _pycodec_types (aux = oid | mode)
    C_B_MORE
    C_T_INF            # date/timestamp(tz) under TypeContext.infinity != clamp
    C_B_INF            # (aux = base code | mode)
    C_LOADER           # a custom loader (RowDecoder only)
    C_T_STYLED         # date/timestamp(tz)/interval text under a non-default DateStyle /
                       # IntervalStyle: _pycodec_styles.decode_text (aux = oid | mode)
    C_T_RANGE          # built-in ranges and multiranges: _codec_more.pxi (aux = oid | mode)
    C_B_RANGE
    C_T_MULTIRANGE
    C_B_MULTIRANGE
    C_B_INET           # inet and cidr, binary: _codec_more.pxi
    C_B_CIDR


_UTC = _datetime.timezone.utc
_Decimal = _decimal.Decimal
_DEC_NAN = _Decimal("NaN")
_DEC_INF = _Decimal("Infinity")
_DEC_NINF = _Decimal("-Infinity")
_UUID = _uuid.UUID
_SAFE_UUID_UNKNOWN = _uuid.SafeUUID.unknown
_object_new = object.__new__
_json_scan = _json.JSONDecoder().scan_once   # json.loads minus its two regex passes
_timezone = _datetime.timezone
_DATE_MAX = _datetime.date.max
_DATE_MIN = _datetime.date.min
_DATETIME_MAX = _datetime.datetime.max
_DATETIME_MIN = _datetime.datetime.min
# timestamptz ±infinity under infinity="clamp": at UTC whatever the session zone, as psycopg2
_DATETIME_MAX_UTC = _DATETIME_MAX.replace(tzinfo=_datetime.timezone.utc)
_DATETIME_MIN_UTC = _DATETIME_MIN.replace(tzinfo=_datetime.timezone.utc)
_TIMEDELTA_MAX = _datetime.timedelta.max
_TIMEDELTA_MIN = _datetime.timedelta.min
_INTERVAL_INF = _Interval.INFINITY
_INTERVAL_NINF = _Interval.MINUS_INFINITY
_NAN = float("nan")
# fast-path failures: say which style the text had to be in (a SET DateStyle or
# IntervalStyle in the same query string as the statement is only reported after it)
_BAD_DATE = "invalid date" + _styles.DATESTYLE_HINT
_BAD_TIMESTAMP = "invalid timestamp" + _styles.DATESTYLE_HINT
_BAD_INTERVAL = "invalid interval" + _styles.INTERVALSTYLE_HINT

# Array type OID -> element type OID (docs/codec.md decoding table).
_ARRAY_ELEMENT = {
    1000: 16, 1005: 21, 1007: 23, 1016: 20, 1028: 26, 1021: 700, 1022: 701, 1231: 1700,
    1009: 25, 1015: 1043, 1014: 1042, 1003: 19, 1002: 18, 1001: 17, 1182: 1082,
    1183: 1083, 1270: 1266, 1115: 1114, 1185: 1184, 1187: 1186, 2951: 2950, 199: 114,
    3807: 3802,
}
_ARRAY_ELEMENT.update(_oids.MORE_ARRAY_ELEMENT)

_TEXT_CODES = {
    16: C_T_BOOL,
    21: C_T_INT, 23: C_T_INT, 20: C_T_INT, 26: C_T_INT, 28: C_T_INT, 29: C_T_INT,
    5069: C_T_INT,
    700: C_T_FLOAT, 701: C_T_FLOAT,
    1700: C_T_NUMERIC,
    18: C_T_CHAR,
    17: C_T_BYTEA,
    1082: C_T_DATE,
    1083: C_T_TIME,
    1266: C_T_TIMETZ,
    1114: C_T_TIMESTAMP,
    1184: C_T_TIMESTAMPTZ,
    1186: C_T_INTERVAL,
    2950: C_T_UUID,
    114: C_JSON, 3802: C_JSON,
}
_BINARY_CODES = {
    16: C_B_BOOL,
    21: C_B_INT2, 23: C_B_INT4, 20: C_B_INT8,
    26: C_B_UINT4, 28: C_B_UINT4, 29: C_B_UINT4, 24: C_B_UINT4, 2205: C_B_UINT4,
    2206: C_B_UINT4,
    5069: C_B_UINT8,
    700: C_B_FLOAT4, 701: C_B_FLOAT8,
    1700: C_B_NUMERIC,
    25: C_STR, 1043: C_STR, 1042: C_STR, 19: C_STR, 705: C_STR,
    18: C_B_CHAR,
    17: C_BYTES,
    1082: C_B_DATE,
    1083: C_B_TIME,
    1266: C_B_TIMETZ,
    1114: C_B_TIMESTAMP,
    1184: C_B_TIMESTAMPTZ,
    1186: C_B_INTERVAL,
    2950: C_B_UUID,
    114: C_JSON, 3802: C_B_JSONB,
}
for _oid in list(_more.TEXT_DECODERS) + list(_more.TEXT_FACTORIES):
    _TEXT_CODES[_oid] = C_T_MORE
for _oid in list(_more.BINARY_DECODERS) + list(_more.BINARY_FACTORIES):
    _BINARY_CODES[_oid] = C_B_MORE
for _oid in _ARRAY_ELEMENT:
    _TEXT_CODES[_oid] = C_T_ARRAY
    _BINARY_CODES[_oid] = C_B_ARRAY
# range or multirange OID -> the OID of its bounds
_RANGE_BOUNDS_OID = dict(_oids.RANGE_SUBTYPE)
for _oid, _rng in _oids.MULTIRANGE_RANGE.items():
    _RANGE_BOUNDS_OID[_oid] = _oids.RANGE_SUBTYPE[_rng]
    _TEXT_CODES[_oid] = C_T_MULTIRANGE
    _BINARY_CODES[_oid] = C_B_MULTIRANGE
for _oid in _oids.RANGE_SUBTYPE:
    _TEXT_CODES[_oid] = C_T_RANGE
    _BINARY_CODES[_oid] = C_B_RANGE
# container OID (array, range, multirange) -> the OID of the values inside it
_INNER_OID = {**_ARRAY_ELEMENT, **_RANGE_BOUNDS_OID}
_BINARY_CODES[_oids.INET] = C_B_INET
_BINARY_CODES[_oids.CIDR] = C_B_CIDR

# has_binary(): the core types except unknown and the reg* types whose text is a name, the
# binary types of _pycodec_types, and the arrays of all of those.
_BINARY_ELEMENTS = frozenset(
    oid for oid, code in _BINARY_CODES.items() if code != C_B_MORE and code != C_B_ARRAY
) - {705, 24, 2205, 2206} | _oids.MORE_BINARY
_BINARY_OIDS = _BINARY_ELEMENTS | frozenset(
    arr for arr, el in _ARRAY_ELEMENT.items() if el in _BINARY_ELEMENTS)


cdef int _decoder_code(object oid, object fmt) except -1:
    """The decoder code for (oid, format); unknown OIDs decode as str (text) / bytes (binary)."""
    if fmt == 1:
        return _BINARY_CODES.get(oid, C_BYTES)
    if fmt == 0:
        return _TEXT_CODES.get(oid, C_STR)
    raise ProgrammingError(f"unsupported format code: {fmt!r}")


cdef inline bint _needs_tz(int code) noexcept:
    return code == C_T_TIMESTAMPTZ or code == C_B_TIMESTAMPTZ or code == C_T_ARRAY \
        or code == C_B_ARRAY or code == C_T_MORE or code == C_B_MORE or code == C_T_INF \
        or code == C_B_INF or code == C_T_STYLED or (code >= C_T_RANGE and code <= C_B_MULTIRANGE)


# The aux word of a decoder code: arrays, shared-module types and styled text carry their
# (built-in, so < 2**16) OID, the infinity guard its base code; the top 16 bits are the
# context mode (_pycodec_styles.context_mode: infinity mode, interval type, DateStyle,
# IntervalStyle), so that array elements and range bounds decode under the same settings.
# Interval codes carry the mode alone (aux != 0: decode to Interval).
DEF AUX_MASK = 0xFFFF
DEF MODE_SHIFT = 16
DEF INFINITY_BITS = 0x03
DEF KEEP_INTERVALS = 0x04
DEF STYLED_DATES = 0x08
DEF STYLED_INTERVALS = 0x20


cdef int _mode_of(object ctx) except -1:
    """The TypeContext settings decoders depend on as _pycodec_styles.context_mode bits:
    0 for the defaults, without a call into Python (ProgrammingError for a bad mode)."""
    cdef TypeContext c
    if type(ctx) is TypeContext:
        c = <TypeContext>ctx
        if c.infinity == "clamp" and c.interval == "timedelta" \
                and c.intervalstyle == "postgres" \
                and (c.datestyle == "ISO, MDY" or c.datestyle == "ISO, DMY"):
            return 0
    return _styles.context_mode(ctx)


cdef int _code_for(object oid, object fmt, int mode, uint32_t* aux) except -1:
    """Decoder code and aux word for (oid, format) under a context mode."""
    cdef int code = _decoder_code(oid, fmt)
    if code == C_T_ARRAY or code == C_B_ARRAY or code == C_T_MORE or code == C_B_MORE \
            or (code >= C_T_RANGE and code <= C_B_MULTIRANGE):
        aux[0] = <uint32_t>oid | (<uint32_t>mode << MODE_SHIFT)
    elif mode == 0:
        aux[0] = 0
    elif code == C_T_INTERVAL and mode & STYLED_INTERVALS:
        aux[0] = <uint32_t>oid | (<uint32_t>mode << MODE_SHIFT)
        code = C_T_STYLED
    elif code == C_T_INTERVAL or code == C_B_INTERVAL:
        aux[0] = mode & KEEP_INTERVALS
    elif mode & STYLED_DATES and (code == C_T_DATE or code == C_T_TIMESTAMP
                                  or code == C_T_TIMESTAMPTZ):
        aux[0] = <uint32_t>oid | (<uint32_t>mode << MODE_SHIFT)
        code = C_T_STYLED
    elif mode & INFINITY_BITS and (code == C_T_DATE or code == C_T_TIMESTAMP
                                   or code == C_T_TIMESTAMPTZ):
        aux[0] = <uint32_t>code | (<uint32_t>(mode & INFINITY_BITS) << MODE_SHIFT)
        code = C_T_INF
    elif mode & INFINITY_BITS and (code == C_B_DATE or code == C_B_TIMESTAMP
                                   or code == C_B_TIMESTAMPTZ):
        aux[0] = <uint32_t>code | (<uint32_t>(mode & INFINITY_BITS) << MODE_SHIFT)
        code = C_B_INF
    else:
        aux[0] = 0
    return code


cdef object _dec_inf(int code, uint32_t aux, const char* p, Py_ssize_t n, object tz):
    """infinity / -infinity per the mode in aux, anything else by the base decoder."""
    cdef int base = aux & AUX_MASK
    cdef int sign = 0
    cdef int64_t v
    if code == C_T_INF:
        if n == 8 and _eq(p, n, b"infinity", 8):
            sign = 1
        elif n == 9 and _eq(p, n, b"-infinity", 9):
            sign = -1
    elif base == C_B_DATE:
        if n == 4:
            v = _get_i32(p)
            sign = 1 if v == 0x7FFFFFFF else (-1 if v == INT32_MIN else 0)
    elif n == 8:
        v = _get_i64(p)
        sign = 1 if v == 0x7FFFFFFFFFFFFFFF else (-1 if v == INT64_MIN else 0)
    if sign:
        return _more.infinity_outcome(sign, (aux >> MODE_SHIFT) & INFINITY_BITS)
    return _decode(base, 0, p, n, tz)


# --- calendar arithmetic (proleptic Gregorian, days relative to 2000-01-01) ---------------

DEF PG_EPOCH_ORDINAL = 730120          # date(2000, 1, 1).toordinal()
DEF MAX_ORDINAL = 3652059              # date(9999, 12, 31).toordinal()
DEF USECS_PER_DAY = 86400000000
DEF USECS_PER_HOUR = 3600000000
DEF USECS_PER_MINUTE = 60000000
DEF USECS_PER_SEC = 1000000


cdef inline int64_t _floordiv(int64_t a, int64_t b) noexcept nogil:
    """Floor division for b > 0 (the module is compiled with C division semantics)."""
    cdef int64_t q = a // b
    if (a % b) != 0 and a < 0:
        q -= 1
    return q


cdef inline void _civil_from_ordinal(int64_t ordinal, int* y, int* m, int* d) noexcept nogil:
    """Proleptic Gregorian y/m/d of a date ordinal (1 = 0001-01-01); ordinal in range."""
    # Days since 0000-03-01, then the era/year-of-era decomposition (400-year cycles).
    cdef int64_t z = ordinal + 305
    cdef int64_t era = z // 146097
    cdef int64_t doe = z - era * 146097
    cdef int64_t yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    cdef int64_t doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    cdef int64_t mp = (5 * doy + 2) // 153
    d[0] = <int>(doy - (153 * mp + 2) // 5 + 1)
    m[0] = <int>(mp + 3 if mp < 10 else mp - 9)
    y[0] = <int>(yoe + era * 400 + (1 if m[0] <= 2 else 0))


cdef inline int64_t _ordinal_from_civil(int64_t y, int m, int d) noexcept nogil:
    """Inverse of _civil_from_ordinal (y/m/d assumed valid)."""
    if m <= 2:
        y -= 1
    cdef int64_t era = y // 400
    cdef int64_t yoe = y - era * 400
    cdef int64_t mp = m - 3 if m > 2 else m + 9
    cdef int64_t doy = (153 * mp + 2) // 5 + d - 1
    cdef int64_t doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 305


cdef inline bint _valid_ymd(int64_t y, int m, int d) noexcept nogil:
    cdef int mdays
    if y < 1 or y > 9999 or m < 1 or m > 12 or d < 1:
        return False
    if m == 2:
        mdays = 29 if (y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)) else 28
    elif m == 4 or m == 6 or m == 9 or m == 11:
        mdays = 30
    else:
        mdays = 31
    return d <= mdays


cdef object _datetime_from_usecs(int64_t us, object tzinfo):
    """datetime for µs since 2000-01-01 (naive or with tzinfo); DataError when out of range."""
    cdef int64_t days = _floordiv(us, USECS_PER_DAY)
    cdef int64_t rem = us - days * USECS_PER_DAY
    cdef int64_t ordinal = days + PG_EPOCH_ORDINAL
    cdef int y, m, d
    if ordinal < 1 or ordinal > MAX_ORDINAL:
        raise DataError(f"timestamp out of Python's range: {us} µs from 2000-01-01")
    _civil_from_ordinal(ordinal, &y, &m, &d)
    cdef int secs = <int>(rem // USECS_PER_SEC)
    return datetime_new(y, m, d, secs // 3600, (secs // 60) % 60, secs % 60,
                        <int>(rem % USECS_PER_SEC), tzinfo)


cdef object _tstz_from_usecs(int64_t us, object tz):
    """Aware datetime in the session time zone for UTC µs since 2000-01-01."""
    cdef object dt = _datetime_from_usecs(us, _UTC)
    if tz is _UTC:
        return dt
    return dt.astimezone(tz)


cdef object _timezone_east(int64_t seconds):
    """A fixed-offset tzinfo ``seconds`` east of UTC (DataError outside ±24h)."""
    if seconds <= -86400 or seconds >= 86400:
        raise DataError(f"time zone offset out of range: {seconds} s")
    if seconds == 0:
        return _UTC
    return _timezone(timedelta_new(0, <int>seconds, 0))


cdef object _make_interval(int64_t months, int64_t days, int64_t us):
    """pgdbapi.types.Interval of in-range fields, built without running its __init__."""
    cdef object v = _object_new(_Interval)
    PyObject_GenericSetAttr(v, "_months", PyLong_FromLongLong(months))
    PyObject_GenericSetAttr(v, "_days", PyLong_FromLongLong(days))
    PyObject_GenericSetAttr(v, "_microseconds", PyLong_FromLongLong(us))
    return v


cdef object _interval(int64_t months, int64_t days, int64_t us, bint keep):
    """An interval (months and days in int32 range) as an Interval when ``keep``; else
    psycopg2's timedelta (a year is 365 days, a remaining month 30), or an Interval when a
    timedelta cannot hold it."""
    cdef int64_t am = months if months >= 0 else -months
    cdef int64_t dd = (am // 12) * 365 + (am % 12) * 30
    cdef int64_t q, rest
    if keep:
        return _make_interval(months, days, us)
    if months < 0:
        dd = -dd
    dd += days
    q = _floordiv(us, USECS_PER_DAY)
    rest = us - q * USECS_PER_DAY
    dd += q
    if dd > 999999999 or dd < -999999999:
        return _make_interval(months, days, us)
    return timedelta_new(<int>dd, <int>(rest // USECS_PER_SEC), <int>(rest % USECS_PER_SEC))


# --- binary decoders -----------------------------------------------------------------------

cdef inline int _check_len(const char* p, Py_ssize_t n, Py_ssize_t want, str what) except -1:
    if n != want:
        raise _data_error(f"{what} needs {want} bytes, got {n}", p, n)
    return 0


cdef object _float4_widen(float f):
    """The float whose repr is the shortest decimal that round-trips through float32."""
    cdef int prec
    cdef char* s
    cdef double d
    cdef float back
    if isnan(f):
        return _NAN
    if isinf(f):
        return PyFloat_FromDouble(<double>f)
    for prec in range(1, 10):
        s = PyOS_double_to_string(<double>f, b'g', prec, 0, NULL)
        try:
            d = PyOS_string_to_double(s, NULL, None)
        finally:
            PyMem_Free(s)
        back = <float>d
        if back == f and not isinf(back):
            return PyFloat_FromDouble(d)
    return PyFloat_FromDouble(<double>f)


cdef object _dec_b_numeric(const char* p, Py_ssize_t n):
    """numeric: base-10000 digits -> digit string in a C buffer -> one Decimal() call."""
    cdef int ndigits, weight, dscale, i, k, g, dig, intgroups, fracgroups
    cdef uint16_t sign
    cdef char* buf
    cdef char* q
    cdef char stackbuf[256]
    cdef Py_ssize_t size
    if n < 8:
        raise _data_error("numeric too short", p, n)
    ndigits = _get_u16(p)
    weight = _get_i16(p + 2)
    sign = _get_u16(p + 4)
    dscale = _get_u16(p + 6)
    if n != 8 + 2 * <Py_ssize_t>ndigits:
        raise _data_error("numeric length does not match its digit count", p, n)
    if sign == 0xC000:
        return _DEC_NAN
    if sign == 0xD000:
        return _DEC_INF
    if sign == 0xF000:
        return _DEC_NINF
    if sign != 0 and sign != 0x4000:
        raise _data_error(f"invalid numeric sign 0x{sign:04x}", p, n)
    if dscale > 0x3FFF:
        raise _data_error(f"invalid numeric dscale {dscale}", p, n)
    for i in range(ndigits):
        if _get_u16(p + 8 + 2 * i) > 9999:
            raise _data_error("invalid numeric digit", p, n)
    intgroups = weight + 1 if weight >= 0 else 0
    fracgroups = (dscale + 3) // 4
    size = 2 + 4 * intgroups + 1 + 4 * fracgroups + 1
    if size <= 256:
        buf = stackbuf
    else:
        buf = <char*>PyMem_Malloc(size)
        if buf == NULL:
            raise MemoryError()
    try:
        q = buf
        if sign == 0x4000:
            q[0] = b'-'
            q += 1
        if intgroups == 0:
            q[0] = b'0'
            q += 1
        else:
            for g in range(intgroups):
                dig = _get_u16(p + 8 + 2 * g) if g < ndigits else 0
                for k in range(3, -1, -1):
                    q[k] = <char>(c'0' + dig % 10)
                    dig //= 10
                q += 4
        if dscale > 0:
            q[0] = b'.'
            q += 1
            for k in range(fracgroups):
                g = weight + 1 + k
                dig = _get_u16(p + 8 + 2 * g) if 0 <= g < ndigits else 0
                for i in range(3, -1, -1):
                    q[i] = <char>(c'0' + dig % 10)
                    dig //= 10
                q += 4
            q -= 4 * fracgroups - dscale
        return _Decimal(PyUnicode_FromStringAndSize(buf, q - buf))
    finally:
        if buf != stackbuf:
            PyMem_Free(buf)


cdef object _make_uuid(const char* p):
    """uuid.UUID from 16 bytes without running UUID.__init__ (same object state).

    The object is then untracked by the cycle collector: it only refers to an int and an
    enum member and refuses new attributes, so it can never be part of a cycle, and big
    result sets of tracked UUIDs would otherwise cost more in GC passes than to build.
    """
    cdef object value = PyLong_FromUnsignedLongLong(_get_u64(p)) << 64
    value |= PyLong_FromUnsignedLongLong(_get_u64(p + 8))
    cdef object u = _object_new(_UUID)
    PyObject_GenericSetAttr(u, "int", value)
    PyObject_GenericSetAttr(u, "is_safe", _SAFE_UUID_UNKNOWN)
    PyObject_GC_UnTrack(<void*>u)
    return u


cdef object _dec_b_timetz(const char* p, Py_ssize_t n):
    _check_len(p, n, 12, "timetz")
    cdef int64_t us = _get_i64(p)
    cdef int32_t west = _get_i32(p + 8)
    if us < 0 or us >= USECS_PER_DAY:
        raise _data_error("time of day out of Python's range", p, n)
    cdef int secs = <int>(us // USECS_PER_SEC)
    return time_new(secs // 3600, (secs // 60) % 60, secs % 60, <int>(us % USECS_PER_SEC),
                    _timezone_east(-<int64_t>west))


cdef object _dec_b_interval(const char* p, Py_ssize_t n, bint keep):
    _check_len(p, n, 16, "interval")
    cdef int64_t us = _get_i64(p)
    cdef int32_t days = _get_i32(p + 8)
    cdef int32_t months = _get_i32(p + 12)
    if us == 0x7FFFFFFFFFFFFFFF and days == 0x7FFFFFFF and months == 0x7FFFFFFF:
        return _INTERVAL_INF if keep else _TIMEDELTA_MAX
    if us == INT64_MIN and days == INT32_MIN \
            and months == INT32_MIN:
        return _INTERVAL_NINF if keep else _TIMEDELTA_MIN
    return _interval(months, days, us, keep)


cdef object _dec_b_date(const char* p, Py_ssize_t n):
    _check_len(p, n, 4, "date")
    cdef int32_t days = _get_i32(p)
    cdef int64_t ordinal = <int64_t>days + PG_EPOCH_ORDINAL
    cdef int y, m, d
    if days == 0x7FFFFFFF:
        return _DATE_MAX
    if days == INT32_MIN:
        return _DATE_MIN
    if ordinal < 1 or ordinal > MAX_ORDINAL:
        raise _data_error("date out of Python's range", p, n)
    _civil_from_ordinal(ordinal, &y, &m, &d)
    return date_new(y, m, d)


cdef object _dec_b_time(const char* p, Py_ssize_t n):
    _check_len(p, n, 8, "time")
    cdef int64_t us = _get_i64(p)
    if us < 0 or us >= USECS_PER_DAY:
        raise _data_error("time of day out of Python's range", p, n)
    cdef int secs = <int>(us // USECS_PER_SEC)
    return time_new(secs // 3600, (secs // 60) % 60, secs % 60, <int>(us % USECS_PER_SEC), None)


cdef object _dec_b_timestamp(const char* p, Py_ssize_t n, object tz):
    """timestamp (tz None) or timestamptz (tz = session zone); ±infinity -> max/min."""
    _check_len(p, n, 8, "timestamp")
    cdef int64_t us = _get_i64(p)
    if us == 0x7FFFFFFFFFFFFFFF:
        return _DATETIME_MAX if tz is None else _DATETIME_MAX_UTC
    if us == INT64_MIN:
        return _DATETIME_MIN if tz is None else _DATETIME_MIN_UTC
    if tz is None:
        return _datetime_from_usecs(us, None)
    return _tstz_from_usecs(us, tz)


cdef inline bint _is_json_space(char c) noexcept nogil:
    return c == b' ' or c == b'\t' or c == b'\n' or c == b'\r'


cdef object _dec_json(const char* p, Py_ssize_t n):
    """json.loads(text): the C scanner on the text with JSON white space trimmed around it
    (what json.loads skips with regexes); anything unparsed left over is an error."""
    while n and _is_json_space(p[0]):
        p += 1
        n -= 1
    while n and _is_json_space(p[n - 1]):
        n -= 1
    cdef str s = PyUnicode_DecodeUTF8(p, n, NULL)
    try:
        value, end = _json_scan(s, 0)
    except StopIteration:
        raise _data_error("invalid json", p, n)
    if end != len(s):
        raise _data_error("invalid json (extra data)", p, n)
    return value


# --- text decoders -------------------------------------------------------------------------

cdef inline Py_ssize_t _digits(const char* p, Py_ssize_t pos, Py_ssize_t n) noexcept nogil:
    """Index of the first non-digit at or after pos."""
    while pos < n and _is_digit(p[pos]):
        pos += 1
    return pos


cdef inline int64_t _num(const char* p, Py_ssize_t start, Py_ssize_t end) noexcept nogil:
    """Value of the digit run p[start:end] (callers keep it within 18 digits)."""
    cdef int64_t v = 0
    while start < end:
        v = v * 10 + (p[start] - c'0')
        start += 1
    return v


cdef inline bint _eq(const char* p, Py_ssize_t n, const char* lit, Py_ssize_t ln) noexcept nogil:
    cdef Py_ssize_t i
    if n != ln:
        return False
    for i in range(n):
        if p[i] != lit[i]:
            return False
    return True


cdef object _dec_t_int(const char* p, Py_ssize_t n):
    """Decimal integer; up to 18 digits without leaving C."""
    cdef Py_ssize_t i = 0
    cdef int64_t v = 0
    cdef bint neg = False
    cdef char c
    if n > 0 and p[0] == b'-':
        neg = True
        i = 1
    if i == n:
        raise _data_error("invalid integer", p, n)
    if n - i <= 18:
        while i < n:
            c = p[i]
            if not _is_digit(c):
                raise _data_error("invalid integer", p, n)
            v = v * 10 + (c - c'0')
            i += 1
        return PyLong_FromLongLong(-v if neg else v)
    if _digits(p, i, n) != n:
        raise _data_error("invalid integer", p, n)
    return int(PyBytes_FromStringAndSize(p, n))


cdef object _dec_t_float(const char* p, Py_ssize_t n):
    """Server float text: [0-9.eE+-] starting with a digit, '-' or '.', read whole to a
    finite value; or NaN / Infinity / -Infinity."""
    cdef Py_ssize_t i
    cdef char c
    cdef char* end
    cdef char stackbuf[64]
    cdef char* s = stackbuf
    cdef bytes owner
    cdef double d
    if _eq(p, n, "NaN", 3):
        return _NAN
    if _eq(p, n, "Infinity", 8):
        return PyFloat_FromDouble(Py_HUGE_VAL)
    if _eq(p, n, "-Infinity", 9):
        return PyFloat_FromDouble(-Py_HUGE_VAL)
    if n == 0 or not (_is_digit(p[0]) or p[0] == b'-' or p[0] == b'.'):
        raise _data_error("invalid float", p, n)
    for i in range(n):
        c = p[i]
        if not (_is_digit(c) or c == b'.' or c == b'e' or c == b'E' or c == b'-' or c == b'+'):
            raise _data_error("invalid float", p, n)
    if n >= 64:     # strtod needs a NUL-terminated copy
        owner = PyBytes_FromStringAndSize(p, n)
        s = PyBytes_AS_STRING(owner)
    else:
        memcpy(s, p, n)
        s[n] = 0
    d = PyOS_string_to_double(s, &end, None)
    if end != s + n or isinf(d):
        raise _data_error("invalid float", p, n)
    return PyFloat_FromDouble(d)


cdef object _dec_t_numeric(const char* p, Py_ssize_t n):
    """numeric text: -?digits[.digits] or NaN / Infinity / -Infinity."""
    cdef Py_ssize_t i = 0, j
    if _eq(p, n, "NaN", 3):
        return _DEC_NAN
    if _eq(p, n, "Infinity", 8):
        return _DEC_INF
    if _eq(p, n, "-Infinity", 9):
        return _DEC_NINF
    if n > 0 and p[0] == b'-':
        i = 1
    j = _digits(p, i, n)
    if j == i:
        raise _data_error("invalid numeric", p, n)
    if j < n:
        if p[j] != b'.':
            raise _data_error("invalid numeric", p, n)
        i = j + 1
        j = _digits(p, i, n)
        if j == i or j != n:
            raise _data_error("invalid numeric", p, n)
    return _Decimal(PyUnicode_FromStringAndSize(p, n))


cdef object _dec_t_bool(const char* p, Py_ssize_t n):
    if n == 1:
        if p[0] == b't':
            return True
        if p[0] == b'f':
            return False
    raise _data_error("invalid boolean", p, n)


cdef inline bint _is_octal(char c) noexcept nogil:
    return c >= b'0' and c <= b'7'


cdef object _dec_t_char(const char* p, Py_ssize_t n):
    """'"char"' text: backslash + 3 octal digits is one byte >= 0x80, else the text."""
    if n == 4 and p[0] == b'\\' and _is_octal(p[1]) and _is_octal(p[2]) and _is_octal(p[3]):
        return chr((p[1] - c'0') * 64 + (p[2] - c'0') * 8 + (p[3] - c'0'))
    return PyUnicode_DecodeUTF8(p, n, NULL)


cdef signed char[256] _HEX
for _i in range(256):
    _HEX[_i] = int(chr(_i), 16) if chr(_i) in "0123456789abcdefABCDEF" else -1


cdef inline int _hexval(char c) noexcept nogil:
    return _HEX[<uint8_t>c]


cdef object _dec_t_bytea(const char* p, Py_ssize_t n):
    """bytea text: hex (\\x...) or escape format."""
    cdef bytes out
    cdef char* q
    cdef Py_ssize_t i, k
    cdef int hi, lo
    if n >= 2 and p[0] == b'\\' and p[1] == b'x':
        if (n - 2) % 2:
            raise _data_error("invalid bytea hex (odd length)", p, n)
        out = PyBytes_FromStringAndSize(NULL, (n - 2) // 2)
        q = PyBytes_AS_STRING(out)
        k = 0
        for i in range(2, n, 2):
            hi = _hexval(p[i])
            lo = _hexval(p[i + 1])
            if hi < 0 or lo < 0:
                raise _data_error("invalid bytea hex digit", p, n)
            q[k] = <char>(hi * 16 + lo)
            k += 1
        return out
    # Escape format: count the output first, then fill it.
    k = 0
    i = 0
    while i < n:
        if p[i] == b'\\':
            if i + 1 < n and p[i + 1] == b'\\':
                i += 2
            elif (i + 3 < n and p[i + 1] >= b'0' and p[i + 1] <= b'3' and _is_octal(p[i + 2])
                  and _is_octal(p[i + 3])):
                i += 4
            else:
                raise _data_error("invalid bytea escape", p, n)
        else:
            i += 1
        k += 1
    out = PyBytes_FromStringAndSize(NULL, k)
    q = PyBytes_AS_STRING(out)
    i = 0
    k = 0
    while i < n:
        if p[i] == b'\\':
            if p[i + 1] == b'\\':
                q[k] = b'\\'
                i += 2
            else:
                q[k] = <char>((p[i + 1] - c'0') * 64 + (p[i + 2] - c'0') * 8 + (p[i + 3] - c'0'))
                i += 4
        else:
            q[k] = p[i]
            i += 1
        k += 1
    return out


cdef int _parse_date(const char* p, Py_ssize_t n, Py_ssize_t* pos, int* y, int* m, int* d) except -1:
    """ISO date YYYY-MM-DD at pos (year 1..9999, 4 digits); advances pos."""
    cdef Py_ssize_t i = pos[0]
    cdef Py_ssize_t j = _digits(p, i, n)
    if j - i != 4:
        if j - i > 4:
            raise _data_error("date out of Python's range (year > 9999)", p, n)
        raise _data_error(_BAD_DATE, p, n)
    if j + 6 > n or p[j] != b'-' or p[j + 3] != b'-' or not _is_digit(p[j + 1]) \
            or not _is_digit(p[j + 2]) or not _is_digit(p[j + 4]) or not _is_digit(p[j + 5]):
        raise _data_error(_BAD_DATE, p, n)
    y[0] = <int>_num(p, i, j)
    m[0] = <int>_num(p, j + 1, j + 3)
    d[0] = <int>_num(p, j + 4, j + 6)
    if not _valid_ymd(y[0], m[0], d[0]):
        raise _data_error("date out of Python's range", p, n)
    pos[0] = j + 6
    return 0


cdef int _parse_time(const char* p, Py_ssize_t n, Py_ssize_t* pos, int64_t* us) except -1:
    """HH:MM:SS[.ffffff] at pos -> µs since midnight (HH < 24); advances pos."""
    cdef Py_ssize_t i = pos[0]
    cdef Py_ssize_t j, k
    cdef int64_t frac
    cdef int h, mi, s
    if i + 8 > n or not _is_digit(p[i]) or not _is_digit(p[i + 1]) or p[i + 2] != b':' \
            or not _is_digit(p[i + 3]) or not _is_digit(p[i + 4]) or p[i + 5] != b':' \
            or not _is_digit(p[i + 6]) or not _is_digit(p[i + 7]):
        raise _data_error("invalid time", p, n)
    h = <int>_num(p, i, i + 2)
    mi = <int>_num(p, i + 3, i + 5)
    s = <int>_num(p, i + 6, i + 8)
    if h > 23 or mi > 59 or s > 59:
        raise _data_error("time out of Python's range", p, n)
    i += 8
    frac = 0
    if i < n and p[i] == b'.':
        j = _digits(p, i + 1, n)
        if j == i + 1 or j - i - 1 > 6:
            raise _data_error("invalid time fraction", p, n)
        frac = _num(p, i + 1, j)
        for k in range(6 - (j - i - 1)):
            frac *= 10
        i = j
    us[0] = ((h * 60 + mi) * 60 + s) * <int64_t>USECS_PER_SEC + frac
    pos[0] = i
    return 0


cdef int _parse_offset(const char* p, Py_ssize_t n, Py_ssize_t* pos, int64_t* east) except -1:
    """UTC offset ±HH[:MM[:SS]] at pos -> seconds east; advances pos."""
    cdef Py_ssize_t i = pos[0]
    cdef int64_t v
    cdef int sign
    cdef int part
    if i + 3 > n or (p[i] != b'+' and p[i] != b'-') or not _is_digit(p[i + 1]) \
            or not _is_digit(p[i + 2]):
        raise _data_error("invalid time zone offset", p, n)
    sign = -1 if p[i] == b'-' else 1
    v = _num(p, i + 1, i + 3) * 3600
    i += 3
    for part in range(2):
        if i < n and p[i] == b':':
            if i + 3 > n or not _is_digit(p[i + 1]) or not _is_digit(p[i + 2]):
                raise _data_error("invalid time zone offset", p, n)
            v += _num(p, i + 1, i + 3) * (60 if part == 0 else 1)
            i += 3
        else:
            break
    east[0] = sign * v
    pos[0] = i
    return 0


cdef object _dec_t_date(const char* p, Py_ssize_t n):
    cdef Py_ssize_t pos = 0
    cdef int y, m, d
    if _eq(p, n, "infinity", 8):
        return _DATE_MAX
    if _eq(p, n, "-infinity", 9):
        return _DATE_MIN
    _parse_date(p, n, &pos, &y, &m, &d)
    if pos != n:
        raise _data_error("invalid date (or BC date out of Python's range)", p, n)
    return date_new(y, m, d)


cdef object _dec_t_time(const char* p, Py_ssize_t n, bint with_tz):
    cdef Py_ssize_t pos = 0
    cdef int64_t us, east = 0
    cdef object tzinfo = None
    _parse_time(p, n, &pos, &us)
    if with_tz:
        _parse_offset(p, n, &pos, &east)
        tzinfo = _timezone_east(east)
    if pos != n:
        raise _data_error("invalid time", p, n)
    cdef int secs = <int>(us // USECS_PER_SEC)
    return time_new(secs // 3600, (secs // 60) % 60, secs % 60, <int>(us % USECS_PER_SEC), tzinfo)


cdef object _dec_t_timestamp(const char* p, Py_ssize_t n, object tz):
    """timestamp (tz None) or timestamptz (offset parsed, then converted to tz)."""
    cdef Py_ssize_t pos = 0
    cdef int y, m, d
    cdef int64_t us, east = 0
    if _eq(p, n, "infinity", 8):
        return _DATETIME_MAX if tz is None else _DATETIME_MAX_UTC
    if _eq(p, n, "-infinity", 9):
        return _DATETIME_MIN if tz is None else _DATETIME_MIN_UTC
    _parse_date(p, n, &pos, &y, &m, &d)
    if pos >= n or p[pos] != b' ':
        raise _data_error(_BAD_TIMESTAMP, p, n)
    pos += 1
    _parse_time(p, n, &pos, &us)
    if tz is not None:
        _parse_offset(p, n, &pos, &east)
    if pos != n:
        raise _data_error("invalid timestamp (or BC timestamp out of Python's range)", p, n)
    if tz is None or (east == 0 and tz is _UTC):      # no conversion needed
        return datetime_new(y, m, d, <int>(us // USECS_PER_HOUR),
                            <int>((us // USECS_PER_MINUTE) % 60),
                            <int>((us // USECS_PER_SEC) % 60), <int>(us % USECS_PER_SEC), tz)
    us += (_ordinal_from_civil(y, m, d) - PG_EPOCH_ORDINAL) * USECS_PER_DAY - east * USECS_PER_SEC
    return _tstz_from_usecs(us, tz)


cdef object _dec_t_uuid(const char* p, Py_ssize_t n):
    """Canonical 8-4-4-4-12 hex text."""
    cdef char raw[16]
    cdef Py_ssize_t i, k = 0
    cdef int hi, lo
    if n != 36:
        raise _data_error("invalid uuid", p, n)
    i = 0
    while i < 36:
        if i == 8 or i == 13 or i == 18 or i == 23:
            if p[i] != b'-':
                raise _data_error("invalid uuid", p, n)
            i += 1
            continue
        hi = _hexval(p[i])
        lo = _hexval(p[i + 1])
        if hi < 0 or lo < 0:
            raise _data_error("invalid uuid", p, n)
        raw[k] = <char>(hi * 16 + lo)
        k += 1
        i += 2
    return _make_uuid(raw)


cdef extern from *:
    bint __builtin_mul_overflow(int64_t a, int64_t b, int64_t* r) nogil
    bint __builtin_add_overflow(int64_t a, int64_t b, int64_t* r) nogil


cdef inline int _checked_mul_add(int64_t* acc, int64_t mul, int64_t add) except -1:
    """acc = acc * mul + add with overflow -> DataError."""
    cdef int64_t r
    if __builtin_mul_overflow(acc[0], mul, &r) or __builtin_add_overflow(r, add, &r):
        raise DataError("interval field out of range")
    acc[0] = r
    return 0


cdef inline int _checked_add(int64_t* acc, int64_t add) except -1:
    if __builtin_add_overflow(acc[0], add, acc):
        raise DataError("interval field out of range")
    return 0


cdef int _signed_int(const char* p, Py_ssize_t n, Py_ssize_t* pos, int64_t* out) except -1:
    """[+-]?digits (at most 18) at pos."""
    cdef Py_ssize_t i = pos[0]
    cdef Py_ssize_t j
    cdef int64_t sign = 1
    if i < n and (p[i] == b'-' or p[i] == b'+'):
        sign = -1 if p[i] == b'-' else 1
        i += 1
    j = _digits(p, i, n)
    if j == i:
        raise _data_error(_BAD_INTERVAL, p, n)
    if j - i > 18:
        raise _data_error("interval field out of range", p, n)
    out[0] = sign * _num(p, i, j)
    pos[0] = j
    return 0


cdef int _frac_usecs(const char* p, Py_ssize_t n, Py_ssize_t* pos, int64_t* out) except -1:
    """Optional .f{1,6} at pos -> µs."""
    cdef Py_ssize_t i = pos[0]
    cdef Py_ssize_t j, k
    cdef int64_t frac = 0
    if i < n and p[i] == b'.':
        j = _digits(p, i + 1, n)
        if j == i + 1 or j - i - 1 > 6:
            raise _data_error("invalid interval fraction", p, n)
        frac = _num(p, i + 1, j)
        for k in range(6 - (j - i - 1)):
            frac *= 10
        pos[0] = j
    out[0] = frac
    return 0


cdef object _dec_t_interval_iso(const char* p, Py_ssize_t n, bint keep):
    """iso_8601 style: P[nY][nM][nD][T[nH][nM][n[.f]S]] with signed fields."""
    cdef Py_ssize_t pos = 1
    cdef int64_t months = 0, days = 0, us = 0, v, frac, sign
    cdef bint in_time = False, any_field = False
    cdef char unit
    cdef int last = 0    # order of the last unit seen, to reject repeats / disorder
    cdef int order
    while pos < n:
        if p[pos] == b'T' and not in_time:
            in_time = True
            pos += 1
            continue
        sign = -1 if p[pos] == b'-' else 1
        _signed_int(p, n, &pos, &v)
        frac = 0
        if in_time:
            _frac_usecs(p, n, &pos, &frac)
        if pos >= n:
            raise _data_error(_BAD_INTERVAL, p, n)
        unit = p[pos]
        pos += 1
        if not in_time and unit == b'Y':
            order = 1
            _checked_mul_add(&v, 12, 0)
            _checked_add(&months, v)
        elif not in_time and unit == b'M':
            order = 2
            _checked_add(&months, v)
        elif not in_time and unit == b'D':
            order = 3
            days = v
        elif in_time and unit == b'H':
            order = 4
            _checked_mul_add(&v, USECS_PER_HOUR, 0)
            _checked_add(&us, v)
        elif in_time and unit == b'M':
            order = 5
            _checked_mul_add(&v, USECS_PER_MINUTE, 0)
            _checked_add(&us, v)
        elif in_time and unit == b'S':
            order = 6
            _checked_mul_add(&v, USECS_PER_SEC, sign * frac)
            _checked_add(&us, v)
        else:
            raise _data_error(_BAD_INTERVAL, p, n)
        if frac and unit != b'S':
            raise _data_error(_BAD_INTERVAL, p, n)
        if order <= last:
            raise _data_error(_BAD_INTERVAL, p, n)
        last = order
        any_field = True
    if not any_field or (in_time and last < 4):
        raise _data_error(_BAD_INTERVAL, p, n)
    return _text_interval(months, days, us, keep, p, n)


cdef object _text_interval(int64_t months, int64_t days, int64_t us, bint keep,
                           const char* p, Py_ssize_t n):
    """_interval of fields read from text, which may be beyond the server's range."""
    if months > 0x7FFFFFFF or months < INT32_MIN or days > 0x7FFFFFFF or days < INT32_MIN:
        raise _data_error("interval field out of range", p, n)
    return _interval(months, days, us, keep)


cdef object _dec_t_interval(const char* p, Py_ssize_t n, bint keep):
    """postgres style: [N year[s]] [N mon[s]] [N day[s]] [[+-]H+:MM:SS[.f]], or iso_8601."""
    cdef Py_ssize_t pos = 0, j
    cdef int64_t months = 0, days = 0, us = 0, v, h, frac, sign
    cdef int last = 0, order
    cdef const char* word
    cdef Py_ssize_t wl
    if _eq(p, n, "infinity", 8):
        return _INTERVAL_INF if keep else _TIMEDELTA_MAX
    if _eq(p, n, "-infinity", 9):
        return _INTERVAL_NINF if keep else _TIMEDELTA_MIN
    if n > 0 and p[0] == b'P':
        return _dec_t_interval_iso(p, n, keep)
    if n == 0:
        raise _data_error(_BAD_INTERVAL, p, n)
    while True:
        # A time field is digits followed by ':'; a unit field is digits, space, word.
        j = pos + 1 if pos < n and (p[pos] == b'-' or p[pos] == b'+') else pos
        j = _digits(p, j, n)
        if j < n and p[j] == b':':
            if last >= 4:
                raise _data_error(_BAD_INTERVAL, p, n)
            sign = -1 if p[pos] == b'-' else 1
            if p[pos] == b'-' or p[pos] == b'+':
                pos += 1
            if j == pos or j - pos > 18 or j + 6 > n or not _is_digit(p[j + 1]) \
                    or not _is_digit(p[j + 2]) or p[j + 3] != b':' or not _is_digit(p[j + 4]) \
                    or not _is_digit(p[j + 5]):
                raise _data_error(_BAD_INTERVAL, p, n)
            h = _num(p, pos, j)
            v = _num(p, j + 1, j + 3) * 60 + _num(p, j + 4, j + 6)
            if _num(p, j + 1, j + 3) > 59 or _num(p, j + 4, j + 6) > 59:
                raise _data_error(_BAD_INTERVAL, p, n)
            pos = j + 6
            _frac_usecs(p, n, &pos, &frac)
            us = sign * h       # hours are not folded into days: Interval keeps them
            _checked_mul_add(&us, USECS_PER_HOUR, sign * (v * USECS_PER_SEC + frac))
            last = 4
        else:
            _signed_int(p, n, &pos, &v)
            if pos >= n or p[pos] != b' ':
                raise _data_error(_BAD_INTERVAL, p, n)
            pos += 1
            j = pos
            while j < n and p[j] != b' ':
                j += 1
            word = p + pos
            wl = j - pos
            if _eq(word, wl, "year", 4) or _eq(word, wl, "years", 5):
                order = 1
                _checked_mul_add(&v, 12, 0)
                _checked_add(&months, v)
            elif _eq(word, wl, "mon", 3) or _eq(word, wl, "mons", 4):
                order = 2
                _checked_add(&months, v)
            elif _eq(word, wl, "day", 3) or _eq(word, wl, "days", 4):
                order = 3
                _checked_add(&days, v)
            else:
                raise _data_error(_BAD_INTERVAL, p, n)
            if order <= last:
                raise _data_error(_BAD_INTERVAL, p, n)
            last = order
            pos = j
        if pos == n:
            break
        if p[pos] != b' ' or pos + 1 == n:
            raise _data_error(_BAD_INTERVAL, p, n)
        pos += 1
    return _text_interval(months, days, us, keep, p, n)


# --- dispatch ------------------------------------------------------------------------------

cdef object _decode(int code, uint32_t aux, const char* p, Py_ssize_t n, object tz):
    """Decode one non-NULL value; may raise non-DataError exceptions (callers convert)."""
    cdef double dv
    cdef uint32_t u32
    cdef uint64_t u64
    cdef float fv
    if code == C_STR:
        return PyUnicode_DecodeUTF8(p, n, NULL)
    elif code == C_B_INT4:
        _check_len(p, n, 4, "int4")
        return PyLong_FromLongLong(_get_i32(p))
    elif code == C_T_INT:
        return _dec_t_int(p, n)
    elif code == C_B_INT8:
        _check_len(p, n, 8, "int8")
        return PyLong_FromLongLong(_get_i64(p))
    elif code == C_B_FLOAT8:
        _check_len(p, n, 8, "float8")
        u64 = _get_u64(p)
        memcpy(&dv, &u64, 8)
        return PyFloat_FromDouble(dv)
    elif code == C_B_BOOL:
        _check_len(p, n, 1, "bool")
        return p[0] != 0
    elif code == C_B_NUMERIC:
        return _dec_b_numeric(p, n)
    elif code == C_B_TIMESTAMP:
        return _dec_b_timestamp(p, n, None)
    elif code == C_B_TIMESTAMPTZ:
        return _dec_b_timestamp(p, n, tz)
    elif code == C_B_DATE:
        return _dec_b_date(p, n)
    elif code == C_B_UUID:
        _check_len(p, n, 16, "uuid")
        return _make_uuid(p)
    elif code == C_B_JSONB:
        if n < 1 or p[0] != 1:
            raise _data_error("unsupported jsonb version", p, n)
        return _dec_json(p + 1, n - 1)
    elif code == C_JSON:
        return _dec_json(p, n)
    elif code == C_BYTES:
        return PyBytes_FromStringAndSize(p, n)
    elif code == C_T_FLOAT:
        return _dec_t_float(p, n)
    elif code == C_T_NUMERIC:
        return _dec_t_numeric(p, n)
    elif code == C_T_BOOL:
        return _dec_t_bool(p, n)
    elif code == C_T_DATE:
        return _dec_t_date(p, n)
    elif code == C_T_TIMESTAMP:
        return _dec_t_timestamp(p, n, None)
    elif code == C_T_TIMESTAMPTZ:
        return _dec_t_timestamp(p, n, tz)
    elif code == C_T_UUID:
        return _dec_t_uuid(p, n)
    elif code == C_B_INT2:
        _check_len(p, n, 2, "int2")
        return PyLong_FromLongLong(_get_i16(p))
    elif code == C_B_UINT4:
        _check_len(p, n, 4, "oid")
        return PyLong_FromUnsignedLongLong(_get_u32(p))
    elif code == C_B_UINT8:
        _check_len(p, n, 8, "xid8")
        return PyLong_FromUnsignedLongLong(_get_u64(p))
    elif code == C_B_FLOAT4:
        _check_len(p, n, 4, "float4")
        u32 = _get_u32(p)
        memcpy(&fv, &u32, 4)
        return _float4_widen(fv)
    elif code == C_B_CHAR:
        _check_len(p, n, 1, "\"char\"")
        return chr(<uint8_t>p[0]) if p[0] else ""  # the empty "char" is one zero byte
    elif code == C_B_TIME:
        return _dec_b_time(p, n)
    elif code == C_B_TIMETZ:
        return _dec_b_timetz(p, n)
    elif code == C_B_INTERVAL:
        return _dec_b_interval(p, n, aux)
    elif code == C_T_CHAR:
        return _dec_t_char(p, n)
    elif code == C_T_BYTEA:
        return _dec_t_bytea(p, n)
    elif code == C_T_TIME:
        return _dec_t_time(p, n, False)
    elif code == C_T_TIMETZ:
        return _dec_t_time(p, n, True)
    elif code == C_T_INTERVAL:
        return _dec_t_interval(p, n, aux)
    elif code == C_T_ARRAY:
        return _dec_t_array(aux, p, n, tz)
    elif code == C_B_ARRAY:
        return _dec_b_array(aux, p, n, tz)
    elif code == C_T_MORE or code == C_B_MORE:
        return _dec_more(code == C_B_MORE, aux, p, n, tz)
    elif code == C_T_INF or code == C_B_INF:
        return _dec_inf(code, aux, p, n, tz)
    elif code == C_T_STYLED:
        return _styles.decode_text(aux & AUX_MASK, aux >> MODE_SHIFT,
                                   PyBytes_FromStringAndSize(p, n), tz)
    elif code >= C_T_RANGE and code <= C_B_MULTIRANGE:
        return _dec_range(code, aux, p, n, tz)
    elif code == C_B_INET or code == C_B_CIDR:
        return _dec_b_inet(code == C_B_CIDR, p, n)
    else:
        raise AssertionError(f"unknown decoder code {code}")


cdef class _CodeDecoder:
    """One of this codec's decoders as a ``f(buf, pos, n)`` callable, for the shared
    decoders of _pycodec_types (range bounds, record fields)."""

    cdef int code
    cdef uint32_t aux
    cdef object tz

    def __call__(self, buf, Py_ssize_t pos, Py_ssize_t n):
        if type(buf) is not bytes:
            buf = bytes(buf)
        if pos < 0 or n < 0 or pos + n > PyBytes_GET_SIZE(buf):
            raise DataError("value overruns its container")
        return _decode(self.code, self.aux, PyBytes_AS_STRING(buf) + pos, n, self.tz)


cdef class _CodeLookup:
    """oid -> _CodeDecoder in one format: the ``lookup`` of the shared factories."""

    cdef int fmt
    cdef int mode
    cdef object tz

    def __call__(self, oid):
        cdef _CodeDecoder d = _CodeDecoder.__new__(_CodeDecoder)
        d.code = _code_for(oid, self.fmt, self.mode, &d.aux)
        d.tz = self.tz
        return d


cdef object _dec_more(bint binary, uint32_t aux, const char* p, Py_ssize_t n, object tz):
    """A type of _pycodec_types, decoded by its shared Python decoder."""
    cdef _CodeLookup lookup
    cdef uint32_t oid = aux & AUX_MASK
    data = PyBytes_FromStringAndSize(p, n)
    f = (_more.BINARY_DECODERS if binary else _more.TEXT_DECODERS).get(oid)
    if f is None:
        lookup = _CodeLookup.__new__(_CodeLookup)
        lookup.fmt = 1 if binary else 0
        lookup.mode = aux >> MODE_SHIFT
        lookup.tz = tz
        f = (_more.BINARY_FACTORIES if binary else _more.TEXT_FACTORIES)[oid](lookup)
    return f(data, 0, n)


cdef object _as_data_error(object exc):
    """What to raise for an exception escaping a decoder: pgdbapi errors as they are,
    anything else as a DataError chained to it."""
    if isinstance(exc, Error):
        return exc
    err = DataError(f"cannot decode value: {type(exc).__name__}: {exc}")
    err.__cause__ = exc
    return err


cdef object _decode_guarded(int code, uint32_t aux, const char* p, Py_ssize_t n, object tz):
    """_decode with every failure reported as DataError."""
    try:
        return _decode(code, aux, p, n, tz)
    except Exception as exc:
        raise _as_data_error(exc)
