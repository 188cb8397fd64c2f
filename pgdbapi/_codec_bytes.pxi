# Big-endian access to raw bytes and the growable output buffer the encoders write into.
# Everything on the wire is network order; these inline helpers compile to bswaps.

cdef inline uint16_t _get_u16(const char* p) noexcept nogil:
    cdef const uint8_t* b = <const uint8_t*>p
    return <uint16_t>((<uint16_t>b[0] << 8) | b[1])


cdef inline int16_t _get_i16(const char* p) noexcept nogil:
    return <int16_t>_get_u16(p)


cdef inline uint32_t _get_u32(const char* p) noexcept nogil:
    cdef const uint8_t* b = <const uint8_t*>p
    return ((<uint32_t>b[0] << 24) | (<uint32_t>b[1] << 16)
            | (<uint32_t>b[2] << 8) | <uint32_t>b[3])


cdef inline int32_t _get_i32(const char* p) noexcept nogil:
    return <int32_t>_get_u32(p)


cdef inline uint64_t _get_u64(const char* p) noexcept nogil:
    return (<uint64_t>_get_u32(p) << 32) | <uint64_t>_get_u32(p + 4)


cdef inline int64_t _get_i64(const char* p) noexcept nogil:
    return <int64_t>_get_u64(p)


cdef inline void _put_u16(char* p, uint16_t v) noexcept nogil:
    p[0] = <char>(v >> 8)
    p[1] = <char>v


cdef inline void _put_u32(char* p, uint32_t v) noexcept nogil:
    p[0] = <char>(v >> 24)
    p[1] = <char>(v >> 16)
    p[2] = <char>(v >> 8)
    p[3] = <char>v


cdef inline void _put_u64(char* p, uint64_t v) noexcept nogil:
    _put_u32(p, <uint32_t>(v >> 32))
    _put_u32(p + 4, <uint32_t>v)


cdef inline bint _is_digit(char c) noexcept nogil:
    return c >= b'0' and c <= b'9'


cdef object _data_error(str what, const char* p, Py_ssize_t n):
    """Build the DataError for a value that cannot be decoded (shows a prefix of it)."""
    cdef Py_ssize_t shown = n if n < 40 else 40
    return DataError(f"{what}: {PyBytes_FromStringAndSize(p, shown)!r}")


cdef class _Out:
    """A growable malloc'd byte buffer; encoders append to it and lengths are patched in."""

    cdef char* buf
    cdef Py_ssize_t len
    cdef Py_ssize_t cap

    def __cinit__(self):
        self.cap = 1024
        self.len = 0
        self.buf = <char*>PyMem_Malloc(self.cap)
        if self.buf == NULL:
            raise MemoryError()

    def __dealloc__(self):
        PyMem_Free(self.buf)
        self.buf = NULL

    cdef inline int reserve(self, Py_ssize_t extra) except -1:
        cdef Py_ssize_t need = self.len + extra
        cdef Py_ssize_t cap
        cdef char* nb
        if need <= self.cap:
            return 0
        cap = self.cap * 2
        while cap < need:
            cap *= 2
        nb = <char*>PyMem_Realloc(self.buf, cap)
        if nb == NULL:
            raise MemoryError()
        self.buf = nb
        self.cap = cap
        return 0

    cdef inline int put(self, const char* p, Py_ssize_t n) except -1:
        self.reserve(n)
        memcpy(self.buf + self.len, p, n)
        self.len += n
        return 0

    cdef inline int put_byte(self, char c) except -1:
        self.reserve(1)
        self.buf[self.len] = c
        self.len += 1
        return 0

    cdef inline int put_u16(self, uint16_t v) except -1:
        self.reserve(2)
        _put_u16(self.buf + self.len, v)
        self.len += 2
        return 0

    cdef inline int put_u32(self, uint32_t v) except -1:
        self.reserve(4)
        _put_u32(self.buf + self.len, v)
        self.len += 4
        return 0

    cdef inline int put_u64(self, uint64_t v) except -1:
        self.reserve(8)
        _put_u64(self.buf + self.len, v)
        self.len += 8
        return 0

    cdef inline int put_bytes_obj(self, object b) except -1:
        """Append a bytes-like object (bytes fast, anything with the buffer protocol)."""
        if type(b) is not bytes:
            b = bytes(b)
        self.put(PyBytes_AS_STRING(b), PyBytes_GET_SIZE(b))
        return 0

    cdef int put_cstr(self, object b) except -1:
        """Append a bytes-like C string and its NUL (an embedded NUL -> ProgrammingError)."""
        b = _checked_cstr(b)
        self.put(PyBytes_AS_STRING(b), PyBytes_GET_SIZE(b))
        self.put_byte(0)
        return 0

    cdef int put_str(self, object s) except -1:
        """Append a str as UTF-8 (unencodable text, e.g. lone surrogates -> DataError)."""
        cdef bytes b
        try:
            b = PyUnicode_AsUTF8String(s) if type(s) is str else s.encode()
        except UnicodeEncodeError as exc:
            raise DataError(f"cannot encode string as UTF-8: {exc}")
        self.put(PyBytes_AS_STRING(b), PyBytes_GET_SIZE(b))
        return 0

    cdef inline bytes to_bytes(self, Py_ssize_t start=0):
        return PyBytes_FromStringAndSize(self.buf + start, self.len - start)
