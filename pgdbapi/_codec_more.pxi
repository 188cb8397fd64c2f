# Types of the shared module _pycodec_types common enough in big results to be decoded
# here, in C, with the same results and errors as there (docs/codec.md,
# tests/test_codec_twins.py): the built-in ranges and multiranges (both formats; bounds go
# through this codec's own decoders of the subtype, the Range is built without
# Range.__init__, whose checks the server has made) and inet/cidr in binary.

DEF R_EMPTY = 0x01
DEF R_LB_INF = 0x08
DEF R_UB_INF = 0x10

cdef object _Range = _more.Range
cdef list _BOUNDS_OF_FLAGS = list(_more.BOUNDS_OF_FLAGS)
cdef object _EMPTY_BOUNDS = ""


cdef object _new_range(object lower, object upper, object bounds):
    cdef object r = _object_new(_Range)
    PyObject_GenericSetAttr(r, "_lower", lower)
    PyObject_GenericSetAttr(r, "_upper", upper)
    PyObject_GenericSetAttr(r, "_bounds", bounds)
    return r


cdef object _dec_range(int code, uint32_t aux, const char* p, Py_ssize_t n, object tz):
    """A range or multirange (aux = its OID | context mode): the bounds' decoder is the
    codec's own for the subtype under the same mode."""
    cdef bint binary = code == C_B_RANGE or code == C_B_MULTIRANGE
    cdef _ElementCode bound = _element_code(aux, 1 if binary else 0)[0]   # a copy
    if code == C_B_RANGE:
        return _range_bin(bound.code, bound.aux, p, n, tz)
    if code == C_B_MULTIRANGE:
        return _multirange_bin(bound.code, bound.aux, p, n, tz)
    return _range_text(bound.code, bound.aux, p, n, tz, code == C_T_MULTIRANGE)


cdef inline object _bad_range():
    return DataError("invalid range value")


cdef int32_t _sized(const char* p, Py_ssize_t* pos, Py_ssize_t n, str what) except -1:
    """The length prefix of a part at pos (a range's bound, a multirange's range): moves pos
    past it and returns the part's size, which must fit before n (else DataError)."""
    cdef int32_t size
    if pos[0] + 4 > n:
        raise DataError(f"invalid {what} value")
    size = _get_i32(p + pos[0])
    pos[0] += 4
    if size < 0 or size > n - pos[0]:
        raise DataError(f"invalid {what} value")
    return size


cdef object _range_bin(int ecode, uint32_t eaux, const char* p, Py_ssize_t n, object tz):
    """flags byte, then (length, bytes) of each finite bound."""
    cdef unsigned char flags
    cdef Py_ssize_t pos = 1
    cdef int32_t size
    cdef object lower = None, upper = None
    if n < 1:
        raise _bad_range()
    flags = <unsigned char>p[0]
    if flags & R_EMPTY:
        if n != 1:
            raise _bad_range()
        return _new_range(None, None, _EMPTY_BOUNDS)
    if not flags & R_LB_INF:
        size = _sized(p, &pos, n, "range")
        lower = _decode(ecode, eaux, p + pos, size, tz)
        pos += size
    if not flags & R_UB_INF:
        size = _sized(p, &pos, n, "range")
        upper = _decode(ecode, eaux, p + pos, size, tz)
        pos += size
    if pos != n:
        raise _bad_range()
    return _new_range(lower, upper, _BOUNDS_OF_FLAGS[flags & 0x1F])


cdef object _multirange_bin(int ecode, uint32_t eaux, const char* p, Py_ssize_t n, object tz):
    """count, then (length, range) per range."""
    cdef int32_t count, size, i
    cdef Py_ssize_t pos = 4
    cdef list out
    if n < 4:
        raise DataError("invalid multirange value")
    count = _get_i32(p)
    if count < 0 or count > (n - 4) // 5:
        raise DataError("invalid multirange value")
    out = PyList_New(0)
    for i in range(count):
        size = _sized(p, &pos, n, "multirange")
        out.append(_range_bin(ecode, eaux, p + pos, size, tz))
        pos += size
    if pos != n:
        raise DataError("invalid multirange value")
    return out


cdef class _RangeTextParser:
    """range_out's text: ``[lo,hi)``, bounds bare or double-quoted (``""`` and ``\\x``
    inside quotes, ``\\x`` outside), an absent bound is infinite, or ``empty``."""

    cdef const char* p
    cdef Py_ssize_t n
    cdef Py_ssize_t pos
    cdef int ecode
    cdef uint32_t eaux
    cdef object tz
    cdef char* tmp          # an unescaped bound (never longer than the input)

    cdef object bound(self, bint* present):
        """One bound from pos up to the ',' / ')' / ']' after it -> its value."""
        cdef Py_ssize_t start = self.pos, k = 0
        cdef bint quoted = False
        cdef char c
        while self.pos < self.n:
            c = self.p[self.pos]
            if quoted:
                if c == b'"':
                    if self.pos + 1 < self.n and self.p[self.pos + 1] == b'"':
                        self.tmp[k] = c
                        k += 1
                        self.pos += 1
                    else:
                        quoted = False
                elif c == b'\\':
                    self.pos += 1
                    if self.pos >= self.n:
                        raise _bad_range()
                    self.tmp[k] = self.p[self.pos]
                    k += 1
                else:
                    self.tmp[k] = c
                    k += 1
            elif c == b'"':
                quoted = True
            elif c == b'\\':
                self.pos += 1
                if self.pos >= self.n:
                    raise _bad_range()
                self.tmp[k] = self.p[self.pos]
                k += 1
            elif c == b',' or c == b')' or c == b']':
                break
            else:
                self.tmp[k] = c
                k += 1
            self.pos += 1
        if quoted or self.pos >= self.n:
            raise _bad_range()
        present[0] = self.pos != start
        if not present[0]:
            return None
        return _decode(self.ecode, self.eaux, self.tmp, k, self.tz)

    cdef object range(self):
        """One range at pos; pos ends after it."""
        cdef const char* s = self.p + self.pos
        cdef char opening, closing
        cdef bint has_lower, has_upper
        cdef object lower, upper
        if self.n - self.pos >= 5 and (s[0] | 0x20) == b'e' and (s[1] | 0x20) == b'm' \
                and (s[2] | 0x20) == b'p' and (s[3] | 0x20) == b't' and (s[4] | 0x20) == b'y':
            self.pos += 5
            return _new_range(None, None, _EMPTY_BOUNDS)
        if self.pos >= self.n or (s[0] != b'[' and s[0] != b'('):
            raise _bad_range()
        opening = s[0]
        self.pos += 1
        lower = self.bound(&has_lower)
        if self.p[self.pos] != b',':
            raise _bad_range()
        self.pos += 1
        upper = self.bound(&has_upper)
        closing = self.p[self.pos]
        if closing != b']' and closing != b')':
            raise _bad_range()
        self.pos += 1
        return _new_range(lower, upper, (
            ("[" if opening == b'[' and has_lower else "(")
            + ("]" if closing == b']' and has_upper else ")")
        ))


cdef object _range_text(int ecode, uint32_t eaux, const char* p, Py_ssize_t n, object tz,
                        bint multi):
    cdef _RangeTextParser r = _RangeTextParser.__new__(_RangeTextParser)
    cdef list out
    r.p = p
    r.n = n
    r.pos = 0
    r.ecode = ecode
    r.eaux = eaux
    r.tz = tz
    r.tmp = <char*>PyMem_Malloc(n + 1)
    if r.tmp == NULL:
        raise MemoryError()
    try:
        if not multi:
            value = r.range()
            if r.pos != n:
                raise _bad_range()
            return value
        if n < 2 or p[0] != b'{' or p[n - 1] != b'}':
            raise DataError("invalid multirange value")
        out = PyList_New(0)
        r.n = n - 1  # the closing brace ends the last range's text
        r.pos = 1
        if p[1] != b'}':
            while True:
                out.append(r.range())
                if r.pos >= r.n or p[r.pos] != b',':
                    break
                r.pos += 1
        if r.pos != n - 1:
            raise DataError("invalid multirange value")
        return out
    finally:
        PyMem_Free(r.tmp)


# --- inet / cidr, binary ------------------------------------------------------------------
# family, bits, is_cidr, address length, address: the ipaddress objects are built from an
# int (no parsing), as _pycodec_types does, with the same checks and errors.

cdef object _IPV4 = (_more.IPv4Address, _more.IPv4Interface, _more.IPv4Network)
cdef object _IPV6 = (_more.IPv6Address, _more.IPv6Interface, _more.IPv6Network)


cdef object _dec_b_inet(bint cidr, const char* p, Py_ssize_t n):
    cdef int family, bits, nb
    cdef uint32_t v4
    cdef tuple classes
    if n < 4:
        raise DataError("invalid inet/cidr value")
    family = <unsigned char>p[0]
    bits = <unsigned char>p[1]
    nb = <unsigned char>p[3]
    if family == 2 and nb == 4:
        classes = _IPV4
    elif family == 3 and nb == 16:
        classes = _IPV6
    else:
        raise DataError("invalid inet/cidr value")
    if n != 4 + nb or bits > 8 * nb:
        raise DataError("invalid inet/cidr value")
    if nb == 4:
        v4 = <uint32_t>_get_i32(p + 4)
        addr = PyLong_FromUnsignedLongLong(v4)
    else:
        addr = (PyLong_FromUnsignedLongLong(<uint64_t>_get_i64(p + 4)) << 64) \
            | PyLong_FromUnsignedLongLong(<uint64_t>_get_i64(p + 12))
    if cidr:
        return classes[2]((addr, bits))
    if bits == 8 * nb:
        return classes[0](addr)
    return classes[1]((addr, bits))
