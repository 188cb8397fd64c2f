# Parameters: infer_oid() picks the OID sent in Parse, encode_param() and
# WriteBuffer.bind() write binary when the inferred OID is the declared one and text
# otherwise (docs/codec.md "Encoding").  Encoders append straight into an _Out buffer.

from cpython.object cimport PyObject_Str

_Date = _datetime.date
_DateTime = _datetime.datetime
_Time = _datetime.time
_TimeDelta = _datetime.timedelta
_timedelta_text = _more.enc.timedelta_text

# Element OID -> array OID for the element types infer_oid() can produce.
_ARRAY_OF = {
    16: 1000, 23: 1007, 20: 1016, 1700: 1231, 701: 1022, 25: 1009, 17: 1001,
    1114: 1115, 1184: 1185, 1082: 1182, 1083: 1183, 1266: 1270, 1186: 1187, 2950: 2951,
}
_ARRAY_OF.update(_more.ELEMENT_ARRAY)   # inet, cidr, ranges

DEF INT4_MIN = -2147483648
DEF INT4_MAX = 2147483647
DEF INT8_MIN = -9223372036854775808
DEF INT8_MAX = 9223372036854775807


cdef object _cant_adapt(object value):
    return ProgrammingError(f"can't adapt type '{type(value).__name__}'")


cdef inline int64_t _int_oid(object v) except -1:
    """int4 / int8 / numeric, by range."""
    if INT4_MIN <= v <= INT4_MAX:
        return 23
    if INT8_MIN <= v <= INT8_MAX:
        return 20
    return 1700


cdef inline bint _is_aware_datetime(object v) except -1:
    return v.tzinfo is not None and v.utcoffset() is not None


cdef inline bint _is_aware_time(object v) except -1:
    return v.tzinfo is not None and v.utcoffset() is not None


cdef int64_t _scalar_oid(object v) except -1:
    """OID of a non-list, non-None value (0 for str); ProgrammingError if unadaptable."""
    cdef type t = type(v)
    if t is int:
        return _int_oid(v)
    if t is str:
        return 0
    if t is float:
        return 701
    if t is bool:
        return 16
    if t is _Decimal:
        return 1700
    if t is _DateTime:
        return 1184 if _is_aware_datetime(v) else 1114
    if t is _Date:
        return 1082
    if t is bytes:
        return 17
    if t is _UUID:
        return 2950
    if t is _Interval:
        return 1186
    # Subclasses, in the documented order.
    if isinstance(v, bool):
        return 16
    if isinstance(v, int):
        return _int_oid(v)
    if isinstance(v, float):
        return 701
    if isinstance(v, _Decimal):
        return 1700
    if isinstance(v, str):
        return 0
    if isinstance(v, (bytes, bytearray, memoryview)):
        return 17
    if isinstance(v, _DateTime):
        return 1184 if _is_aware_datetime(v) else 1114
    if isinstance(v, _Date):
        return 1082
    if isinstance(v, _Time):
        return 1266 if _is_aware_time(v) else 1083
    if isinstance(v, _TimeDelta):
        return 1186
    if isinstance(v, _UUID):
        return 2950
    if isinstance(v, _Interval):
        return 1186
    extra = _more.extra_adapter(v)      # ipaddress objects, Range
    if extra is not None:
        return extra.oid(v)
    raise _cant_adapt(v)


cdef class _ListInfo:
    """Shape and element type of a (nested) list parameter."""

    cdef list dims          # length per dimension
    cdef list leaves        # leaf values in row-major order (None included)
    cdef int64_t elem_oid   # 0: no common element type -> text format
    cdef bint has_null


cdef int _collect(object obj, list dims, int depth, list leaves) except -1:
    """Check obj against the shape in dims and append its leaves (rectangular or DataError)."""
    if len(obj) != <Py_ssize_t>dims[depth]:
        raise DataError("nested lists must be rectangular (sub-lists of different lengths)")
    if depth + 1 < len(dims):
        for x in obj:
            if not isinstance(x, list):
                raise DataError("nested lists must be rectangular (list mixed with a value)")
            _collect(x, dims, depth + 1, leaves)
    else:
        for x in obj:
            if isinstance(x, list):
                raise DataError("nested lists must be rectangular (list mixed with a value)")
            leaves.append(x)
    return 0


cdef _ListInfo _list_info(list value):
    """Shape, leaves and the shared element OID of a list (see docs/codec.md)."""
    cdef _ListInfo info = _ListInfo.__new__(_ListInfo)
    cdef object cur = value
    cdef int64_t oid, int_oid = 0, other = -1
    cdef bint mixed = False, ints = False
    cdef Py_ssize_t i
    info.dims = [len(value)]
    while len(cur) and isinstance(cur[0], list):
        cur = cur[0]
        info.dims.append(len(cur))
    if len(info.dims) > MAXDIM:
        raise DataError(f"lists nested deeper than {MAXDIM} levels cannot be sent")
    info.leaves = []
    _collect(value, info.dims, 0, info.leaves)
    info.has_null = False
    for x in info.leaves:
        if x is None:
            info.has_null = True
            continue
        if isinstance(x, Encoded):
            raise ProgrammingError("can't adapt type 'Encoded' inside a list")
        oid = _scalar_oid(x)
        if oid == 0:
            if not isinstance(x, str):
                mixed = True     # a Range whose type the server has to infer: text
            oid = 25
        if (oid == 23 or oid == 20 or oid == 1700) and isinstance(x, int) \
                and not isinstance(x, bool):
            if oid == 1700 or (oid == 20 and int_oid != 1700) or int_oid == 0:
                int_oid = oid
            ints = True
            continue         # "some int": widened below
        if other == -1:
            other = oid
        elif other != oid:
            mixed = True
    if mixed:
        info.elem_oid = 0
    elif other == -1:
        info.elem_oid = int_oid
    elif not ints:
        info.elem_oid = other
    elif other == 701 or other == 1700:  # ints among floats / Decimals: float8[] / numeric[]
        info.elem_oid = other
        for i in range(len(info.leaves)):
            x = info.leaves[i]
            if isinstance(x, int) and not isinstance(x, bool):
                info.leaves[i] = _int_as(x, other)
    else:
        info.elem_oid = 0
    return info


cdef object _int_as(object x, int64_t oid):
    """An int among the floats (or Decimals) of a list, as one of them."""
    if oid == 1700:
        return _decimal.Decimal(int(x))
    try:
        return float(x)
    except OverflowError:
        raise DataError(f"an int in a list of floats is too large for float8: {x}") from None


cdef int64_t _infer(object value) except -1:
    if value is None:
        return 0
    if type(value) is list or (isinstance(value, list)):
        info = _list_info(value)
        return _ARRAY_OF[info.elem_oid] if info.elem_oid else 0
    if isinstance(value, Encoded):
        return value.oid
    return _scalar_oid(value)


def infer_oid(value):
    """The OID sent in Parse for a parameter (0 lets the server infer it)."""
    return _infer(value)


# --- binary encoders -----------------------------------------------------------------------

cdef inline int64_t _usecs_of_time(object v) noexcept:
    """µs since midnight of a datetime.time (fields read through the C API)."""
    return ((<int64_t>time_hour(v) * 60 + time_minute(v)) * 60 + time_second(v)) \
        * USECS_PER_SEC + time_microsecond(v)


cdef inline int64_t _usecs_of_delta(object d) noexcept:
    return (<int64_t>timedelta_days(d) * 86400 + timedelta_seconds(d)) * USECS_PER_SEC \
        + timedelta_microseconds(d)


cdef int64_t _usecs_of_datetime(object v, bint aware) except? -1:
    """µs since 2000-01-01 (aware values converted to UTC)."""
    cdef int64_t days = _ordinal_from_civil(date_year(v), date_month(v), date_day(v)) \
        - PG_EPOCH_ORDINAL
    cdef int64_t us = days * USECS_PER_DAY + ((<int64_t>datetime_hour(v) * 60
        + datetime_minute(v)) * 60 + datetime_second(v)) * USECS_PER_SEC \
        + datetime_microsecond(v)
    if aware:
        us -= _usecs_of_delta(v.utcoffset())
    return us


cdef int _put_numeric_c(_Out out, bint negative, const char* d, Py_ssize_t n,
                        int64_t exp) except -1:
    """numeric binary of ``±int(d[:n]) * 10**exp`` (d: ASCII digits, leading zeros allowed):
    dscale = max(0, -exp), base-10000 groups without leading/trailing zero groups, zero
    positive (as the server sends it)."""
    cdef int64_t dscale, intlen, power, g, group_id, gfirst, glast, weight
    cdef Py_ssize_t i, first = 0, last
    cdef int value = 0
    cdef int r
    if exp > 0 and n + exp > 4 * 0x8000:
        raise DataError("numeric value out of range")
    dscale = -exp if exp < 0 else 0
    if dscale > 0x3FFF:
        raise DataError(f"numeric scale {dscale} out of range (max 16383)")
    while first < n and d[first] == b'0':
        first += 1
    if first == n:
        out.put_u64(<uint64_t>dscale)      # ndigits 0, weight 0, positive, dscale
        return 0
    last = n - 1
    while d[last] == b'0':
        last -= 1
    intlen = n + (exp if exp > 0 else 0) - dscale      # digits before the decimal point
    gfirst = _floordiv(intlen - 1 - first, 4)
    glast = _floordiv(intlen - 1 - last, 4)
    weight = gfirst
    if not -0x8000 <= weight <= 0x7FFF:
        raise DataError("numeric value out of range")
    out.put_u16(<uint16_t>(gfirst - glast + 1))
    out.put_u16(<uint16_t><int16_t>weight)
    out.put_u16(0x4000 if negative else 0)
    out.put_u16(<uint16_t>dscale)
    group_id = gfirst
    for i in range(first, last + 1):
        power = intlen - 1 - i
        g = _floordiv(power, 4)
        if g != group_id:
            out.put_u16(<uint16_t>value)
            value = 0
            group_id = g
        r = <int>(power - 4 * g)
        value += (d[i] - c'0') * (1000 if r == 3 else 100 if r == 2 else 10 if r == 1 else 1)
    out.put_u16(<uint16_t>value)
    return 0


cdef str _int_text(object v):
    """str(int), with ints beyond Python's str conversion limit as DataError."""
    try:
        return str(v)
    except ValueError as exc:
        raise DataError(f"integer too large to convert: {exc}")


cdef int _put_numeric(_Out out, object v) except -1:
    """numeric binary of an int or Decimal (NaN / ±Infinity as specials; sNaN refused).

    The coefficient and exponent are read off ``Decimal.__str__`` (fast, exact):
    ``[-]digits[.digits][E±n]``.
    """
    cdef bytes text
    cdef const char* p
    cdef Py_ssize_t n, i = 0, k = 0, frac = -1
    cdef int64_t exp = 0, esign = 1
    cdef bint negative = False
    cdef char* digits
    if isinstance(v, int):
        text = _int_text(abs(v)).encode("ascii")
        return _put_numeric_c(out, v < 0, PyBytes_AS_STRING(text), PyBytes_GET_SIZE(text), 0)
    if not v.is_finite():
        if v.is_snan():
            raise DataError("sNaN cannot be sent to PostgreSQL")
        out.put_u16(0)
        out.put_u16(0)
        out.put_u16(0xC000 if v.is_nan() else (0xF000 if v.is_signed() else 0xD000))
        out.put_u16(0)
        return 0
    text = _Decimal.__str__(v).encode("ascii")
    p = PyBytes_AS_STRING(text)
    n = PyBytes_GET_SIZE(text)
    digits = <char*>PyMem_Malloc(n + 1)
    if digits == NULL:
        raise MemoryError()
    try:
        if p[0] == b'-':
            negative = True
            i = 1
        while i < n and p[i] != b'E' and p[i] != b'e':
            if p[i] == b'.':
                frac = 0
            else:
                digits[k] = p[i]
                k += 1
                if frac >= 0:
                    frac += 1
            i += 1
        if i < n:
            i += 1
            if p[i] == b'-' or p[i] == b'+':
                esign = -1 if p[i] == b'-' else 1
                i += 1
            exp = esign * _num(p, i, n)
        if frac > 0:
            exp -= frac
        return _put_numeric_c(out, negative, digits, k, exp)
    finally:
        PyMem_Free(digits)


cdef int _put_binary(_Out out, object v, int64_t oid) except -1:
    """Binary encoding of v for its inferred OID (without the length prefix)."""
    cdef double d
    cdef uint64_t u
    if oid == 23:
        out.put_u32(<uint32_t><int32_t>v)
    elif oid == 20:
        out.put_u64(<uint64_t><int64_t>v)
    elif oid == 25 or oid == 0:
        out.put_str(v)
    elif oid == 701:
        d = v
        memcpy(&u, &d, 8)
        out.put_u64(u)
    elif oid == 16:
        out.put_byte(1 if v else 0)
    elif oid == 1700:
        _put_numeric(out, v)
    elif oid == 17:
        out.put_bytes_obj(v)
    elif oid == 1114:
        out.put_u64(<uint64_t>_usecs_of_datetime(v, False))
    elif oid == 1184:
        out.put_u64(<uint64_t>_usecs_of_datetime(v, True))
    elif oid == 1082:
        out.put_u32(<uint32_t><int32_t>(_ordinal_from_civil(date_year(v), date_month(v),
                                                            date_day(v)) - PG_EPOCH_ORDINAL))
    elif oid == 1083:
        out.put_u64(<uint64_t>_usecs_of_time(v))
    elif oid == 1266:
        out.put_u64(<uint64_t>_usecs_of_time(v))
        offset = v.utcoffset()      # seconds WEST of UTC, sub-second offsets floored
        out.put_u32(<uint32_t><int32_t>(-(<int64_t>offset.days * 86400 + offset.seconds)))
    elif oid == 1186:
        if isinstance(v, _TimeDelta):
            out.put_u64(<uint64_t>(<int64_t>timedelta_seconds(v) * USECS_PER_SEC
                                   + timedelta_microseconds(v)))
            out.put_u32(<uint32_t><int32_t>timedelta_days(v))
            out.put_u32(0)
        else:       # pgdbapi.types.Interval
            out.put_u64(<uint64_t><int64_t>v.microseconds)
            out.put_u32(<uint32_t><int32_t>v.days)
            out.put_u32(<uint32_t><int32_t>v.months)
    elif oid == 2950:
        out.put_bytes_obj(v.bytes)
    elif isinstance(v, list):
        _put_binary_array(out, _list_info(v))
    else:
        out.put_bytes_obj(_more.extra_adapter(v).binary(v))
    return 0


cdef int _put_binary_array(_Out out, _ListInfo info) except -1:
    cdef Py_ssize_t start
    out.put_u32(<uint32_t>len(info.dims))
    out.put_u32(1 if info.has_null else 0)
    out.put_u32(<uint32_t>info.elem_oid)
    for dim in info.dims:
        out.put_u32(<uint32_t>dim)
        out.put_u32(1)
    for x in info.leaves:
        if x is None:
            out.put_u32(0xFFFFFFFF)
            continue
        start = out.len
        out.put_u32(0)
        _put_binary(out, x, info.elem_oid)
        _put_u32(out.buf + start, <uint32_t>(out.len - start - 4))
    return 0


# --- text encoders -------------------------------------------------------------------------

cdef str _float_text(object v):
    cdef double d = v
    if isnan(d):
        return "NaN"
    if isinf(d):
        return "Infinity" if d > 0 else "-Infinity"
    return repr(v)


cdef str _decimal_text(object v):
    if v.is_snan():
        raise DataError("sNaN cannot be sent to PostgreSQL")
    if v.is_nan():
        return "NaN"
    return str(v)


cdef int _put_hex(_Out out, object v) except -1:
    cdef bytes b = v if type(v) is bytes else bytes(v)
    cdef const unsigned char* p = <const unsigned char*>PyBytes_AS_STRING(b)
    cdef Py_ssize_t n = PyBytes_GET_SIZE(b), i
    cdef char* q
    out.reserve(2 + 2 * n)
    q = out.buf + out.len
    q[0] = b'\\'
    q[1] = b'x'
    for i in range(n):
        q[2 + 2 * i] = b"0123456789abcdef"[p[i] >> 4]
        q[3 + 2 * i] = b"0123456789abcdef"[p[i] & 15]
    out.len += 2 + 2 * n
    return 0


cdef int _put_text(_Out out, object v, int64_t oid) except -1:
    """Text encoding of a non-None value whose inferred OID is oid."""
    if isinstance(v, list):
        _put_text_array(out, _list_info(v))
    elif oid == 25 or (oid == 0 and isinstance(v, str)):
        out.put_str(v)
    elif oid == 23 or oid == 20 or (oid == 1700 and isinstance(v, int)):
        out.put_str(_int_text(v))
    elif oid == 701:
        out.put_str(_float_text(v))
    elif oid == 1700:
        out.put_str(_decimal_text(v))
    elif oid == 16:
        out.put_byte(b't' if v else b'f')
    elif oid == 17:
        _put_hex(out, v)
    elif oid == 1114 or oid == 1184:
        out.put_str(v.isoformat(" "))
    elif oid == 1082 or oid == 1083 or oid == 1266:
        out.put_str(v.isoformat())
    elif oid == 1186:
        out.put_str(_timedelta_text(v) if isinstance(v, _TimeDelta) else PyObject_Str(v))
    elif oid == 2950:
        out.put_str(PyObject_Str(v))
    else:
        out.put_str(_more.extra_adapter(v).text(v))
    return 0


cdef inline bint _needs_quotes(const char* p, Py_ssize_t n) noexcept:
    cdef Py_ssize_t i
    cdef char c
    if n == 0:
        return True
    if n == 4 and (p[0] | 0x20) == b'n' and (p[1] | 0x20) == b'u' and (p[2] | 0x20) == b'l' \
            and (p[3] | 0x20) == b'l':
        return True
    for i in range(n):
        c = p[i]
        if c == b'{' or c == b'}' or c == b'"' or c == b'\\' or c == b',' or _is_space(c):
            return True
    return False


cdef int _put_text_array(_Out out, _ListInfo info) except -1:
    """Array literal {...}: elements quoted per types.md §4.2, NULL for None."""
    cdef Py_ssize_t idx = 0
    _put_text_level(out, info, 0, &idx, _Out())
    return 0


cdef int _put_text_level(_Out out, _ListInfo info, Py_ssize_t depth, Py_ssize_t* idx,
                         _Out elem) except -1:
    """One brace level of an array literal; leaves are taken from info.leaves in order."""
    cdef Py_ssize_t i, k
    cdef char c
    cdef object x
    out.put_byte(b'{')
    for i in range(<Py_ssize_t>info.dims[depth]):
        if i:
            out.put_byte(b',')
        if depth + 1 < len(info.dims):
            _put_text_level(out, info, depth + 1, idx, elem)
            continue
        x = info.leaves[idx[0]]
        idx[0] += 1
        if x is None:
            out.put(b"NULL", 4)
            continue
        elem.len = 0
        _put_text(elem, x, _scalar_oid(x))
        if not _needs_quotes(elem.buf, elem.len):
            out.put(elem.buf, elem.len)
            continue
        out.put_byte(b'"')
        for k in range(elem.len):
            c = elem.buf[k]
            if c == b'"' or c == b'\\':
                out.put_byte(b'\\')
            out.put_byte(c)
        out.put_byte(b'"')
    out.put_byte(b'}')
    return 0


# --- one parameter -------------------------------------------------------------------------

cdef int _encoded_format(object value) except -1:
    fmt = value.fmt
    if fmt != 0 and fmt != 1:
        raise ProgrammingError(f"invalid format code {fmt!r} in Encoded")
    return fmt


cdef int _encode_into(_Out out, object value, int64_t declared, int* fmt) except -1:
    """Append Int32 length + data of one Bind parameter; sets fmt (0 text / 1 binary)."""
    cdef Py_ssize_t start
    cdef int64_t oid
    cdef object data
    if value is None:
        fmt[0] = 0
        out.put_u32(0xFFFFFFFF)
        return 0
    if isinstance(value, Encoded):
        fmt[0] = _encoded_format(value)
        data = value.data
        if data is None:
            out.put_u32(0xFFFFFFFF)
        else:
            out.put_u32(<uint32_t>len(data))
            out.put_bytes_obj(data)
        return 0
    start = out.len
    out.put_u32(0)
    oid = _infer(value)
    if oid == declared and oid != 0:
        fmt[0] = 1
        _put_binary(out, value, oid)
    else:
        fmt[0] = 0
        _put_text(out, value, oid)
    _put_u32(out.buf + start, <uint32_t>(out.len - start - 4))
    return 0


def encode_param(value, oid, ctx):
    """(format, data) for one parameter: binary when infer_oid(value) == oid != 0."""
    cdef _Out out
    cdef int fmt = 0
    cdef int64_t declared
    if value is None:
        return (0, None)
    if isinstance(value, Encoded):
        return (_encoded_format(value), value.data)
    out = _Out()
    declared = oid if -1 <= oid <= 0xFFFFFFFF else -1
    _encode_into(out, value, declared, &fmt)
    return (fmt, out.to_bytes(4))
