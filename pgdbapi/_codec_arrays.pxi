# Array decoding, both formats: nested lists of element values (lower bounds ignored).
# Not a hot path; written for strictness (every malformed input is a DataError, and
# nothing allocates more than the input can justify).

DEF MAXDIM = 6


cdef inline bint _is_space(char c) noexcept nogil:
    return c == b' ' or c == b'\t' or c == b'\n' or c == b'\r' or c == b'\v' or c == b'\f'


cdef class _BinArrayReader:
    """Walks the elements of a binary array body in row-major order."""

    cdef const char* p
    cdef Py_ssize_t n
    cdef Py_ssize_t pos
    cdef int ecode
    cdef uint32_t eaux
    cdef object tz
    cdef int ndim
    cdef int32_t dims[MAXDIM]

    cdef object level(self, int d):
        cdef int32_t i, count = self.dims[d]
        cdef int32_t vlen
        cdef object lst = PyList_New(count)
        cdef object item
        for i in range(count):
            if d + 1 < self.ndim:
                item = self.level(d + 1)
            else:
                if self.pos + 4 > self.n:
                    raise _data_error("truncated array", self.p, self.n)
                vlen = _get_i32(self.p + self.pos)
                self.pos += 4
                if vlen == -1:
                    item = None
                elif vlen < 0 or vlen > self.n - self.pos:
                    raise _data_error("invalid array element length", self.p, self.n)
                else:
                    item = _decode(self.ecode, self.eaux, self.p + self.pos, vlen, self.tz)
                    self.pos += vlen
            Py_INCREF(item)
            PyList_SET_ITEM(lst, i, item)
        return lst


cdef object _dec_b_array(uint32_t array_oid, const char* p, Py_ssize_t n, object tz):
    """Binary array: ndim, flags, element OID, (length, lower bound) per dimension, elements."""
    cdef int32_t ndim, i, dim
    cdef uint32_t elem_oid = _ARRAY_ELEMENT[array_oid & AUX_MASK]
    cdef Py_ssize_t hdr
    cdef int64_t nitems = 1
    cdef _BinArrayReader r
    if n < 12:
        raise _data_error("truncated array header", p, n)
    ndim = _get_i32(p)
    if ndim < 0 or ndim > MAXDIM:
        raise _data_error(f"invalid array dimension count {ndim}", p, n)
    if _get_i32(p + 4) != 0 and _get_i32(p + 4) != 1:
        raise _data_error(f"invalid array flags {_get_i32(p + 4)}", p, n)
    if _get_u32(p + 8) != elem_oid:
        raise _data_error(
            f"array element type {_get_u32(p + 8)} is not the expected {elem_oid}", p, n)
    hdr = 12 + 8 * ndim
    if n < hdr:
        raise _data_error("truncated array header", p, n)
    r = _BinArrayReader.__new__(_BinArrayReader)
    r.ndim = ndim
    for i in range(ndim):
        dim = _get_i32(p + 12 + 8 * i)
        if dim < 0:
            raise _data_error("negative array dimension", p, n)
        r.dims[i] = dim
        if dim == 0:
            nitems = 0
    for i in range(ndim):
        if nitems == 0:
            break
        nitems *= r.dims[i]
        # Every element takes at least 4 bytes: refuse counts the body cannot hold
        # (checked as the product grows, so it cannot overflow).
        if nitems > (n - hdr) // 4:
            raise _data_error("array dimensions exceed its data", p, n)
    if ndim == 0 or nitems == 0:
        if n != hdr:
            raise _data_error("trailing bytes after empty array", p, n)
        return []
    r.p = p
    r.n = n
    r.pos = hdr
    r.ecode = _code_for(elem_oid, 1, array_oid >> MODE_SHIFT, &r.eaux)
    r.tz = tz
    result = r.level(0)
    if r.pos != n:
        raise _data_error("trailing bytes after array elements", p, n)
    return result


cdef class _TextArrayParser:
    """Recursive-descent parser for array literals: {a,"b c",NULL,{...}} (types.md §4.2)."""

    cdef const char* p
    cdef Py_ssize_t n
    cdef Py_ssize_t pos
    cdef int ecode
    cdef uint32_t eaux
    cdef object tz
    cdef char* tmp          # unescaped element text (never longer than the input)

    cdef object fail(self, str what):
        return _data_error(f"invalid array literal ({what})", self.p, self.n)

    cdef void skip_space(self) noexcept:
        while self.pos < self.n and _is_space(self.p[self.pos]):
            self.pos += 1

    cdef object element(self):
        """One scalar element at pos (quoted or not) -> decoded value or None."""
        cdef Py_ssize_t k = 0, keep = 0
        cdef bint escaped = False
        cdef char c
        if self.p[self.pos] == b'"':
            self.pos += 1
            while True:
                if self.pos >= self.n:
                    raise self.fail("unterminated quoted element")
                c = self.p[self.pos]
                self.pos += 1
                if c == b'"':
                    break
                if c == b'\\':
                    if self.pos >= self.n:
                        raise self.fail("trailing backslash")
                    c = self.p[self.pos]
                    self.pos += 1
                self.tmp[k] = c
                k += 1
            return _decode(self.ecode, self.eaux, self.tmp, k, self.tz)
        while self.pos < self.n:
            c = self.p[self.pos]
            if c == b',' or c == b'}':
                break
            if c == b'"' or c == b'{':
                raise self.fail("unexpected character in unquoted element")
            self.pos += 1
            if c == b'\\':
                if self.pos >= self.n:
                    raise self.fail("trailing backslash")
                c = self.p[self.pos]
                self.pos += 1
                escaped = True
                self.tmp[k] = c
                k += 1
                keep = k
            else:
                self.tmp[k] = c
                k += 1
                if not _is_space(c):
                    keep = k
        k = keep   # trailing unescaped whitespace is not part of the element
        if k == 0:
            raise self.fail("empty unquoted element")
        if not escaped and k == 4 and (self.tmp[0] | 0x20) == b'n' and (self.tmp[1] | 0x20) == b'u' \
                and (self.tmp[2] | 0x20) == b'l' and (self.tmp[3] | 0x20) == b'l':
            return None
        return _decode(self.ecode, self.eaux, self.tmp, k, self.tz)

    cdef tuple level(self, int depth):
        """A brace-delimited level after its '{' -> (list, shape); the items are all
        sub-arrays of one shape or all scalars.  An empty level has shape (0,)."""
        cdef list items = []
        cdef object sub_shape = None      # () for scalars, else the sub-arrays' shape
        cdef object item, shape
        if depth > MAXDIM:
            raise self.fail("too many dimensions")
        self.skip_space()
        if self.pos < self.n and self.p[self.pos] == b'}':
            self.pos += 1
            return items, (0,)
        while True:
            self.skip_space()
            if self.pos >= self.n:
                raise self.fail("unterminated")
            if self.p[self.pos] == b'{':
                self.pos += 1
                item, shape = self.level(depth + 1)
                if sub_shape is None:
                    sub_shape = shape
                elif sub_shape != shape:
                    raise self.fail("sub-arrays of different shapes")
            else:
                if sub_shape is None:
                    sub_shape = ()
                elif sub_shape != ():
                    raise self.fail("mixed sub-arrays and elements")
                item = self.element()
            items.append(item)
            self.skip_space()
            if self.pos >= self.n:
                raise self.fail("unterminated")
            if self.p[self.pos] == b',':
                self.pos += 1
            elif self.p[self.pos] == b'}':
                self.pos += 1
                return items, (len(items),) + sub_shape
            else:
                raise self.fail("expected ',' or '}'")


cdef Py_ssize_t _skip_signed(const char* p, Py_ssize_t n, Py_ssize_t pos) except -1:
    """A [+-]?digits bound at pos; returns the position after it."""
    if pos < n and (p[pos] == b'-' or p[pos] == b'+'):
        pos += 1
    if _digits(p, pos, n) == pos:
        raise _data_error("invalid array dimension decoration", p, n)
    return _digits(p, pos, n)


cdef Py_ssize_t _skip_dimensions(const char* p, Py_ssize_t n, Py_ssize_t pos) except -1:
    """Skip a '[lo:hi][lo:hi] = ' decoration at pos (lower bounds are not kept)."""
    if pos >= n or p[pos] != b'[':
        return pos
    while pos < n and p[pos] == b'[':
        pos = _skip_signed(p, n, pos + 1)
        if pos < n and p[pos] == b':':
            pos = _skip_signed(p, n, pos + 1)
        if pos >= n or p[pos] != b']':
            raise _data_error("invalid array dimension decoration", p, n)
        pos += 1
    while pos < n and _is_space(p[pos]):
        pos += 1
    if pos >= n or p[pos] != b'=':
        raise _data_error("invalid array dimension decoration", p, n)
    pos += 1
    while pos < n and _is_space(p[pos]):
        pos += 1
    return pos


cdef object _dec_t_array(uint32_t array_oid, const char* p, Py_ssize_t n, object tz):
    """Array literal: optional dimension decoration, nested braces; any empty level -> []."""
    cdef _TextArrayParser parser = _TextArrayParser.__new__(_TextArrayParser)
    cdef object result, shape
    parser.p = p
    parser.n = n
    parser.pos = 0
    parser.skip_space()
    parser.pos = _skip_dimensions(p, n, parser.pos)
    parser.ecode = _code_for(_ARRAY_ELEMENT[array_oid & AUX_MASK], 0, array_oid >> MODE_SHIFT,
                             &parser.eaux)
    parser.tz = tz
    if parser.pos >= n or p[parser.pos] != b'{':
        raise _data_error("invalid array literal (expected '{')", p, n)
    parser.pos += 1
    parser.tmp = <char*>PyMem_Malloc(n + 1)
    if parser.tmp == NULL:
        raise MemoryError()
    try:
        result, shape = parser.level(1)
    finally:
        PyMem_Free(parser.tmp)
        parser.tmp = NULL
    parser.skip_space()
    if parser.pos != n:
        raise _data_error("invalid array literal (trailing characters)", p, n)
    if 0 in shape:
        return []
    return result
