# Array decoding, both formats: nested lists of element values (lower bounds ignored).
# Written for strictness first (every malformed input is a DataError, and nothing
# allocates more than the input can justify), then for speed: big result sets of
# arrays are common, so each list is built at its final size, and the element decoder
# of an array type is looked up once, not per value.

from cpython.object cimport PyObject
from cpython.ref cimport Py_DECREF

DEF MAXDIM = 6
DEF ELEMENT_CACHE_SIZE = 64     # a power of two
DEF LEVEL_EMPTY = 0
DEF LEVEL_SCALARS = 1
DEF LEVEL_ARRAYS = 2


cdef inline bint _is_space(char c) noexcept nogil:
    return c == b' ' or c == b'\t' or c == b'\n' or c == b'\r' or c == b'\v' or c == b'\f'


# --- element decoder per array (or range) type -------------------------------------------
# (container aux word, format) -> element OID, decoder code and aux, direct-mapped; the
# containers are arrays and, for _codec_more.pxi, ranges and multiranges (their bounds).
# The tables behind _code_for are fixed at import, so an entry never goes stale.

cdef struct _ElementCode:
    uint32_t array_aux
    int fmt                 # -1: empty slot
    uint32_t elem_oid
    int code
    uint32_t aux

cdef _ElementCode _element_cache[ELEMENT_CACHE_SIZE]
for _slot in range(ELEMENT_CACHE_SIZE):
    _element_cache[_slot].fmt = -1


cdef _ElementCode* _element_code(uint32_t array_aux, int fmt) except NULL:
    """The element type and decoder of an array, range or multirange (aux = its OID |
    context mode)."""
    cdef uint32_t slot = (array_aux ^ (array_aux >> MODE_SHIFT) * 31 ^ <uint32_t>fmt) \
        & (ELEMENT_CACHE_SIZE - 1)
    cdef _ElementCode* e = &_element_cache[slot]
    cdef uint32_t aux
    cdef uint32_t elem_oid
    cdef int code
    if e.fmt == fmt and e.array_aux == array_aux:
        return e
    elem_oid = _INNER_OID[array_aux & AUX_MASK]
    code = _code_for(elem_oid, fmt, array_aux >> MODE_SHIFT, &aux)
    e.array_aux = array_aux
    e.elem_oid = elem_oid
    e.code = code
    e.aux = aux
    e.fmt = fmt
    return e


# --- binary ---------------------------------------------------------------------------

cdef struct _BinArray:
    const char* p
    Py_ssize_t n
    Py_ssize_t pos
    int ecode
    uint32_t eaux
    int ndim
    int32_t dims[MAXDIM]


cdef object _bin_level(_BinArray* a, int d, object tz):
    """The elements of dimension d at a.pos, as a list (recursing for the inner ones)."""
    cdef int32_t i, count = a.dims[d]
    cdef int32_t vlen
    cdef object lst = PyList_New(count)
    cdef object item
    for i in range(count):
        if d + 1 < a.ndim:
            item = _bin_level(a, d + 1, tz)
        else:
            if a.pos + 4 > a.n:
                raise _data_error("truncated array", a.p, a.n)
            vlen = _get_i32(a.p + a.pos)
            a.pos += 4
            if vlen == -1:
                item = None
            elif vlen < 0 or vlen > a.n - a.pos:
                raise _data_error("invalid array element length", a.p, a.n)
            else:
                item = _decode(a.ecode, a.eaux, a.p + a.pos, vlen, tz)
                a.pos += vlen
        Py_INCREF(item)
        PyList_SET_ITEM(lst, i, item)
    return lst


cdef object _dec_b_array(uint32_t array_oid, const char* p, Py_ssize_t n, object tz):
    """Binary array: ndim, flags, element OID, (length, lower bound) per dimension, elements."""
    cdef int32_t ndim, i, dim
    cdef _ElementCode element = _element_code(array_oid, 1)[0]   # a copy: slots get reused
    cdef uint32_t elem_oid = element.elem_oid
    cdef Py_ssize_t hdr
    cdef int64_t nitems = 1
    cdef _BinArray a
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
    a.ndim = ndim
    for i in range(ndim):
        dim = _get_i32(p + 12 + 8 * i)
        if dim < 0:
            raise _data_error("negative array dimension", p, n)
        a.dims[i] = dim
        if dim == 0:
            nitems = 0
    for i in range(ndim):
        if nitems == 0:
            break
        nitems *= a.dims[i]
        # Every element takes at least 4 bytes: refuse counts the body cannot hold
        # (checked as the product grows, so it cannot overflow).
        if nitems > (n - hdr) // 4:
            raise _data_error("array dimensions exceed its data", p, n)
    if ndim == 0 or nitems == 0:
        if n != hdr:
            raise _data_error("trailing bytes after empty array", p, n)
        return []
    a.p = p
    a.n = n
    a.pos = hdr
    a.ecode = element.code
    a.eaux = element.aux
    result = _bin_level(&a, 0, tz)
    if a.pos != n:
        raise _data_error("trailing bytes after array elements", p, n)
    return result


# --- text -----------------------------------------------------------------------------

cdef struct _TextArray:
    const char* p
    Py_ssize_t n
    Py_ssize_t pos
    int ecode
    uint32_t eaux
    char* tmp               # an element's text with its escapes undone (never longer)
    PyObject** stack        # owned references: the items of every level still open
    Py_ssize_t top
    Py_ssize_t dims[MAXDIM + 1]     # items per level at each depth (1-based), -1 unknown
    char kinds[MAXDIM + 1]          # and what they are: LEVEL_*


cdef inline object _text_fail(_TextArray* a, str what):
    return _data_error(f"invalid array literal ({what})", a.p, a.n)


cdef inline void _text_skip_space(_TextArray* a) noexcept:
    while a.pos < a.n and _is_space(a.p[a.pos]):
        a.pos += 1


cdef object _text_element(_TextArray* a, object tz):
    """One scalar element at a.pos (quoted or not) -> decoded value or None."""
    cdef const char* p = a.p
    cdef Py_ssize_t start, k = 0, keep = 0
    cdef bint escaped = False
    cdef char c
    if p[a.pos] == b'"':
        a.pos += 1
        start = a.pos
        while a.pos < a.n and p[a.pos] != b'"' and p[a.pos] != b'\\':
            a.pos += 1
        if a.pos < a.n and p[a.pos] == b'"':         # no escapes: decode in place
            a.pos += 1
            return _decode(a.ecode, a.eaux, p + start, a.pos - 1 - start, tz)
        k = a.pos - start
        memcpy(a.tmp, p + start, k)
        while True:
            if a.pos >= a.n:
                raise _text_fail(a, "unterminated quoted element")
            c = p[a.pos]
            a.pos += 1
            if c == b'"':
                break
            if c == b'\\':
                if a.pos >= a.n:
                    raise _text_fail(a, "trailing backslash")
                c = p[a.pos]
                a.pos += 1
            a.tmp[k] = c
            k += 1
        return _decode(a.ecode, a.eaux, a.tmp, k, tz)
    start = a.pos
    while a.pos < a.n:
        c = p[a.pos]
        if c == b',' or c == b'}':
            break
        if c == b'"' or c == b'{':
            raise _text_fail(a, "unexpected character in unquoted element")
        if c == b'\\':
            escaped = True
            break
        a.pos += 1
        if not _is_space(c):
            keep = a.pos
    if escaped:                 # copy what came before, then undo escapes as we go
        k = a.pos - start
        keep -= start if keep else 0
        memcpy(a.tmp, p + start, k)
        while a.pos < a.n:
            c = p[a.pos]
            if c == b',' or c == b'}':
                break
            if c == b'"' or c == b'{':
                raise _text_fail(a, "unexpected character in unquoted element")
            a.pos += 1
            if c == b'\\':
                if a.pos >= a.n:
                    raise _text_fail(a, "trailing backslash")
                a.tmp[k] = p[a.pos]
                a.pos += 1
                k += 1
                keep = k
            else:
                a.tmp[k] = c
                k += 1
                if not _is_space(c):
                    keep = k
        if keep == 0:
            raise _text_fail(a, "empty unquoted element")
        return _decode(a.ecode, a.eaux, a.tmp, keep, tz)
    # trailing unescaped white space is not part of the element
    k = keep - start if keep else 0
    if k == 0:
        raise _text_fail(a, "empty unquoted element")
    if k == 4 and (p[start] | 0x20) == b'n' and (p[start + 1] | 0x20) == b'u' \
            and (p[start + 2] | 0x20) == b'l' and (p[start + 3] | 0x20) == b'l':
        return None
    return _decode(a.ecode, a.eaux, p + start, k, tz)


cdef int _text_push(_TextArray* a, object item) except -1:
    Py_INCREF(item)
    a.stack[a.top] = <PyObject*>item
    a.top += 1
    return 0


cdef object _text_level(_TextArray* a, int depth, object tz):
    """A brace-delimited level after its '{' -> list.  Every level at one depth must have
    the same number of items, all sub-arrays or all scalars (an empty level has none)."""
    cdef Py_ssize_t base = a.top, count, i
    cdef bint subarrays = False
    cdef char kind
    cdef object lst
    if depth > MAXDIM:
        raise _text_fail(a, "too many dimensions")
    _text_skip_space(a)
    if a.pos < a.n and a.p[a.pos] == b'}':
        a.pos += 1
    else:
        while True:
            _text_skip_space(a)
            if a.pos >= a.n:
                raise _text_fail(a, "unterminated")
            if a.p[a.pos] == b'{':
                if a.top > base and not subarrays:
                    raise _text_fail(a, "mixed sub-arrays and elements")
                subarrays = True
                a.pos += 1
                _text_push(a, _text_level(a, depth + 1, tz))
            else:
                if subarrays:
                    raise _text_fail(a, "mixed sub-arrays and elements")
                _text_push(a, _text_element(a, tz))
            _text_skip_space(a)
            if a.pos >= a.n:
                raise _text_fail(a, "unterminated")
            if a.p[a.pos] == b',':
                a.pos += 1
            elif a.p[a.pos] == b'}':
                a.pos += 1
                break
            else:
                raise _text_fail(a, "expected ',' or '}'")
    count = a.top - base
    # every level at one depth has the same length and kind, or the levels' shapes differ
    kind = LEVEL_EMPTY if count == 0 else LEVEL_ARRAYS if subarrays else LEVEL_SCALARS
    if a.dims[depth] == -1:
        a.dims[depth] = count
        a.kinds[depth] = kind
    elif a.dims[depth] != count or a.kinds[depth] != kind:
        raise _text_fail(a, "sub-arrays of different shapes")
    lst = PyList_New(count)
    for i in range(count):          # the stack's references move into the list
        PyList_SET_ITEM(lst, i, <object>a.stack[base + i])
    a.top = base
    return lst


cdef object _dec_t_array(uint32_t array_oid, const char* p, Py_ssize_t n, object tz):
    """Array literal: optional dimension decoration, nested braces; any empty level -> []."""
    cdef _TextArray a
    cdef _ElementCode element = _element_code(array_oid, 0)[0]   # a copy: slots get reused
    cdef object result
    cdef int d
    a.p = p
    a.n = n
    a.pos = 0
    _text_skip_space(&a)
    a.pos = _skip_dimensions(p, n, a.pos)
    a.ecode = element.code
    a.eaux = element.aux
    a.top = 0
    for d in range(MAXDIM + 1):
        a.dims[d] = -1
    if a.pos >= n or p[a.pos] != b'{':
        raise _data_error("invalid array literal (expected '{')", p, n)
    a.pos += 1
    # every item is followed by its own ',' or '}': at most n / 2 of them are open at once
    a.stack = <PyObject**>PyMem_Malloc(sizeof(PyObject*) * (n // 2 + 2) + n + 1)
    if a.stack == NULL:
        raise MemoryError()
    a.tmp = <char*>(a.stack + (n // 2 + 2))
    try:
        result = _text_level(&a, 1, tz)
    finally:
        while a.top > 0:            # a failure left items on the stack
            a.top -= 1
            Py_DECREF(<object>a.stack[a.top])
        PyMem_Free(a.stack)
    _text_skip_space(&a)
    if a.pos != n:
        raise _data_error("invalid array literal (trailing characters)", p, n)
    for d in range(1, MAXDIM + 1):
        if a.dims[d] == 0:
            return []
    return result


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
